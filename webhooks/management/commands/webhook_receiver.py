"""A small webhook receiver for trying webhooks on one machine: it verifies each delivery's
Standard Webhooks signature and prints one line per delivery.

Written with the standard library only, so an integrator can read it as an example of what
their receiver must do (`verify`)."""

import base64
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError

TOLERANCE = 5 * 60  # seconds a delivery's timestamp may differ from our clock (replays)


def verify(secret, headers, body):
    """Why ``body`` (bytes) is not a genuine delivery for ``secret``, or "" if it is."""
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not webhook_id or not timestamp.isdigit():
        return "missing webhook-id or webhook-timestamp"
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return "timestamp too far from now"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers.get("webhook-signature", "").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return ""
    return "bad signature"


class Command(BaseCommand):
    help = "Receive webhooks on localhost, verify their signatures and print them."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--secret", required=True, help="The endpoint's signing secret (whsec_…)."
        )

    def handle(self, *args, host, port, secret, **options):
        try:
            base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError as exc:
            raise CommandError("--secret must be the endpoint's whsec_… secret") from exc
        out = self.stdout
        style = self.style

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                problem = verify(secret, self.headers, body)
                if problem:
                    out.write(style.ERROR(f"refused: {problem}"))
                    self.send_response(401)
                else:
                    event = json.loads(body)
                    data = event.get("data", {})
                    out.write(
                        style.SUCCESS("verified ")
                        + f"{event.get('type')} {self.headers['webhook-id']}: "
                        + f"{data.get('headline') or data.get('message') or ''} "
                        + f"{data.get('url', '')}"
                    )
                    self.send_response(204)
                out.flush()  # one line per delivery, as it comes, into a pipe too
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        out.write(f"Receiving webhooks on http://{host}:{port}/ (Ctrl-C to stop)")
        out.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
