"""Request middleware every page and endpoint passes through (MIDDLEWARE in the settings)."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpResponseNotAllowed

from .outage import service_unavailable, unavailable_service
from .paths import API_PREFIX

logger = logging.getLogger(__name__)


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login; the API answers for itself.

    API requests authenticate with a token inside DRF's view, after middleware has run,
    so redirecting them to the login page would be wrong: DRF's own permission classes
    answer them with 401/403 JSON instead. Static files never reach here (WhiteNoise).
    """

    open_prefixes = (API_PREFIX,)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(self.open_prefixes) or request.path_info.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class PageMethodsMiddleware:
    """Pages answer GET, HEAD and POST; any other method is a 405 before a view runs.

    Django's function views accept every method unless decorated, so a PUT or DELETE on a
    form page would render it like a GET. The API (DRF declares its methods per view) and
    the admin (its own views) are left alone.
    """

    allowed = ("GET", "HEAD", "POST")
    own_methods = (API_PREFIX, "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.allowed and not request.path_info.startswith(self.own_methods):
            return HttpResponseNotAllowed(self.allowed)
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """A 503 with Retry-After, never a 500, while PostgreSQL or Redis cannot be reached.

    A view's error (DRF re-raises what its handler does not know) arrives in
    `process_exception`. An error raised in a later middleware, such as the login check
    loading the session before any view runs, has already become Django's 500 response by the
    time it gets back here: `note_unavailable_service` marks the request, and `__call__`
    swaps that 500 for the 503. Recovery needs nothing from us: the failed query marked the
    connection, and Django closes it when the request finishes, so the next request
    connects afresh.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        service = getattr(request, "unavailable_service", None)
        if service is not None and response.status_code == 500:
            return service_unavailable(request, service)
        return response

    def process_exception(self, request, exception):
        service = unavailable_service(exception)
        if service is None:
            return None
        logger.warning("%s unreachable, answering %s with 503: %s", service, request.path, exception)
        return service_unavailable(request, service)


@receiver(got_request_exception)
def note_unavailable_service(sender, request=None, **kwargs):
    """Sent by Django while it turns an uncaught error into a 500 (sys.exc_info() is that error)."""
    service = unavailable_service(sys.exc_info()[1])
    if request is not None and service is not None:
        request.unavailable_service = service


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (settings
    CONTENT_SECURITY_POLICY, a dict of directive → sources, and PERMISSIONS_POLICY, a dict of
    feature → allow-list), unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = "; ".join(
            f"{directive} {' '.join(sources)}".strip()
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )
        self.permissions = ", ".join(
            f"{feature}=({' '.join(allowed)})" for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
