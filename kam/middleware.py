"""Project-wide request middleware."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponseNotAllowed

from kam.celery import broker_unreachable
from kam.views import service_unavailable

logger = logging.getLogger(__name__)


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


class PageMethodsMiddleware:
    """Pages answer GET, HEAD and POST; any other method is a 405 before a view runs.

    Django's function views accept every method unless decorated, so a PUT or DELETE on a
    form page would render it like a GET. The API (DRF declares its methods per view) and
    the admin (its own views) are left alone.
    """

    allowed = ("GET", "HEAD", "POST")
    own_methods = ("/api/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.allowed and not request.path_info.startswith(self.own_methods):
            return HttpResponseNotAllowed(self.allowed)
        return self.get_response(request)


# SQLSTATEs that mean "no usable connection": class 08 (connection exception) and the server
# shutting down, crashed or still starting. A statement timeout (57014), a lock timeout
# (55P03) or a deadlock (40P01) is an OperationalError too, but the database is up: a 500.
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03"}


def database_unreachable(error: BaseException | None) -> bool:
    """Did this error come from PostgreSQL being down or the connection being lost?"""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    cause = error.__cause__
    if hasattr(cause, "pgcode"):  # psycopg2: no code when libpq itself lost the connection
        code = cause.pgcode
    elif hasattr(cause, "sqlstate"):  # psycopg 3
        code = cause.sqlstate
    else:  # SQLite's "database is locked" and the like: the database is there
        return False
    return code is None or code.startswith("08") or code in UNREACHABLE_SQLSTATES


def unavailable_service(error: BaseException | None) -> str | None:
    if database_unreachable(error):
        return "database"
    if broker_unreachable(error):  # redis-py's errors too: the API's rate limits count in Redis
        return "redis"
    return None


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
