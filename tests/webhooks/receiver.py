"""A webhook receiver for tests, written from the Standard Webhooks specification
(https://www.standardwebhooks.com, "Verifying webhook authenticity"), not from our sender:

    The signature is computed over the content `msg_id.timestamp.payload` with HMAC-SHA256,
    keyed with the secret's bytes: the base64 part of a `whsec_`-prefixed secret, decoded.
    `webhook-signature` is a space-delimited list of signatures, each `v1,` followed by the
    base64 of the HMAC. A receiver compares in constant time and should refuse timestamps
    too far from its own clock.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE = 5 * 60


def verify(secret, headers, payload, *, now=None):
    """True if ``payload`` (str) carries a valid signature for ``secret``."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and timestamp and timestamp.isdigit()):
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{msg_id}.{timestamp}.{payload}".encode()
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Receiver:
    """Records each POST; answers from ``answers`` in turn (the last one repeats).

    An answer is a status code, ("redirect", location) or ("hang", seconds)."""

    def __init__(self, answers=(204,)):
        self.answers = list(answers)
        self.secret = None  # when set, each request is verified on arrival, by its clock
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                valid = receiver.secret is not None and verify(receiver.secret, headers, body)
                with receiver.lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": headers, "body": body, "valid": valid}
                    )
                    answer = receiver.answers[
                        min(len(receiver.requests), len(receiver.answers)) - 1
                    ]
                if isinstance(answer, tuple) and answer[0] == "hang":
                    time.sleep(answer[1])
                    answer = 204
                if isinstance(answer, tuple) and answer[0] == "redirect":
                    self.send_response(302)
                    self.send_header("Location", answer[1])
                else:
                    self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def events(self):
        return [json.loads(r["body"])["type"] for r in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
