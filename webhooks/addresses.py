"""Where a webhook may be sent: http(s) URLs on public addresses only.

A webhook URL is typed by a user, and the server then calls it: without this check it could be
pointed at the server's own internal services (a database admin on localhost, a cloud metadata
endpoint on 169.254.169.254, a router on 10.0.0.1), which is server-side request forgery
(SSRF). The URL is checked when it is saved and again at every delivery, because what a name
resolves to can change in between; the delivery then connects to the address it checked.
`WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=1` lifts the address rule, for trying webhooks on one machine.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeURL(ValueError):
    """A URL a webhook may not be sent to; the message says why, for the form or the log."""


def parse(url):
    """Return (scheme, host, port, path with query) of an acceptable URL, or raise UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(_("This is not a valid URL: %(error)s") % {"error": exc}) from exc
    if parts.scheme not in {"http", "https"}:
        raise UnsafeURL(_("A webhook URL must start with http:// or https://."))
    if not parts.hostname:
        raise UnsafeURL(_("A webhook URL needs a host name."))
    if parts.username or parts.password:
        raise UnsafeURL(
            _("Leave user names and passwords out of the URL: deliveries are signed instead.")
        )
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def resolve(host, port):
    """The addresses ``host`` resolves to now, each checked. Raises UnsafeURL."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(
            _("The host %(host)s could not be found: %(error)s") % {"host": host, "error": exc}
        ) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not is_public(address):
                raise UnsafeURL(
                    _(
                        "%(host)s resolves to %(address)s, a private, loopback or link-local "
                        "address: webhooks may only call public addresses "
                        "(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES)."
                    )
                    % {"host": host, "address": address}
                )
    return addresses


def is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def check(url):
    """Raise UnsafeURL unless ``url`` may receive webhooks now. Returns what `parse` does plus
    the checked addresses."""
    scheme, host, port, path = parse(url)
    return scheme, host, port, path, resolve(host, port)
