"""An e-mail backend for the demo and development: one line per message on the console
("mail to tom@example.com: Ready for review: …") where Django's console backend prints each
message whole. `make run` uses it; production sets a real backend (see the README)."""

import sys

from django.core.mail.backends.base import BaseEmailBackend


class OneLineEmailBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, email_messages):
        for message in email_messages:
            recipients = ", ".join(message.recipients()) or "(no recipients)"
            # One write per line, so lines from two threads never interleave.
            self.stream.write(f"mail to {recipients}: {message.subject}\n")
        self.stream.flush()
        return len(email_messages)
