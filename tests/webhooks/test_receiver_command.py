"""The README's example receiver (`manage.py webhook_receiver`) prints verified deliveries and
refuses forged ones."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webhooks.delivery import DeliveryFailed, post, signed_headers
from webhooks.models import new_secret

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver():
    port, secret = free_port(), new_secret()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "webhook_receiver", "--port", str(port), "--secret", secret],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Receiving webhooks" in process.stdout.readline()
        yield f"http://127.0.0.1:{port}/", secret, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_example_receiver_verifies_signed_deliveries_and_refuses_forgeries(receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    url, secret, process = receiver
    body = '{"type":"article.published","data":{"headline":"Harbour reopens"}}'
    headers = signed_headers(secret, "nr-1", int(time.time()), body)
    assert post(url, body.encode(), headers) == 204
    assert "verified article.published nr-1: Harbour reopens" in process.stdout.readline()
    forged = signed_headers(new_secret(), "nr-2", int(time.time()), body)
    with pytest.raises(DeliveryFailed) as failure:
        post(url, body.encode(), forged)
    assert failure.value.status == 401
    assert "refused: bad signature" in process.stdout.readline()
