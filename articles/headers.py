"""Response headers the security middleware of Django does not send.

`Permissions-Policy` on every response: the site uses no camera, microphone, location,
payment or sensors, so no page (nor anything it embeds) may ask for them.

The admin's Content Security Policy: the public site's policy (`SECURE_CSP`) allows no inline
style, but the admin's pages and its body editor set `style` attributes, so the admin alone
gets `NEWSROOM_ADMIN_CSP`. Django's CSP middleware leaves a policy a response already has.
"""

from django.conf import settings
from django.middleware.csp import get_nonce
from django.utils.csp import CSP, build_policy


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.NEWSROOM_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.NEWSROOM_PERMISSIONS_POLICY)
        header = str(CSP.HEADER_ENFORCE)
        if request.path.startswith("/admin/") and header not in response.headers:
            response.headers[header] = build_policy(settings.NEWSROOM_ADMIN_CSP, get_nonce(request))
        return response
