"""Django's PostgreSQL backend with a health check that needs no round trip while it can.

With ``CONN_HEALTH_CHECKS``, Django sends ``SELECT 1`` before the first query of every request
on a persistent connection: on the article page, a third round trip beside its two queries,
about a twentieth of what the page costs the application and PostgreSQL together. A
connection that sits idle and open, and on which the server has sent nothing since the last
query, is as usable as that ``SELECT 1`` would show: when PostgreSQL ends a session (a
restart, ``pg_terminate_backend``, an idle timeout) it says so on the socket, or the socket
reports its end, and either makes it readable. Only then, or when the connection is not idle,
is Django's own check run.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self._quietly_idle()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quietly_idle(self):
        """Open, outside any transaction, and nothing from the server waiting to be read."""
        connection = self.connection
        if (
            connection.closed
            or connection.broken
            or connection.info.transaction_status != TransactionStatus.IDLE
        ):
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (AttributeError, OSError, ValueError):  # no poll() here, or no socket
            return False
