"""`Authorization: Bearer <token>`: optional. Without it a request reads what readers see;
with a valid token, what its scopes allow; with any other, a 401."""

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from .models import ApiToken


class Anonymous:
    """No token: public content only."""

    reads_drafts = False

    def __bool__(self):
        # Truthy: ninja treats a falsy result as a failed authentication.
        return True


ANONYMOUS = Anonymous()


class OptionalBearer(HttpBearer):
    def __call__(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return ANONYMOUS
        return super().__call__(request)

    def authenticate(self, request, token):
        found = ApiToken.objects.for_secret(token)
        if found is None:
            raise AuthenticationError(401, "The API token is unknown or revoked.")
        found.note_use()
        return found
