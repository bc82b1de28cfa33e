"""Project-wide request middleware."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login; the API answers for itself.

    API requests authenticate with a token inside DRF's view, after middleware has run,
    so redirecting them to the login page would be wrong: DRF's own permission classes
    answer them with 401/403 JSON instead. Static files never reach here (WhiteNoise).
    """

    open_prefixes = ("/api/",)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(self.open_prefixes) or request.path_info.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
