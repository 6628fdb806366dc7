from django.db import DatabaseError

from . import addresses

# The content API's parameters (its `?tag=` filter) are its own, never WordPress's.
NOT_WORDPRESS = ("/api/",)


class OldAddressMiddleware:
    """Answer old WordPress addresses with a 301. A normal page costs nothing: only a request
    that would be a 404, or one carrying WordPress's ``?p=`` style parameters, is looked up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"GET", "HEAD"} and not request.path.startswith(NOT_WORDPRESS):
            path = addresses.query_address(request)
            if path is not None and (found := self._redirect(path)) is not None:
                return found
        response = self.get_response(request)
        if response.status_code == 404 and request.method in {"GET", "HEAD"}:
            found = self._redirect(addresses.normalise(request.path))
            if found is not None:
                return found
        return response

    @staticmethod
    def _redirect(path):
        try:
            return addresses.redirect_for(path)
        except DatabaseError:  # the page itself will say the database is down
            return None
