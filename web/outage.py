"""Telling "a backing service is down" from any other error, and the 503 answer it gets.

PostgreSQL unreachable or Redis (the job queue, and the cache the API limits count in)
unreachable is not a bug in KAM: the caller gets a clear 503 with Retry-After, never a 500,
and the next request after the service returns simply works.
"""

import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError

from .paths import is_api_request

# What sending a task raises when Redis cannot be reached: kombu's wrapper around a refused
# or dropped connection, redis-py's own errors, or Celery's RuntimeError ("Retry limit
# exceeded while trying to reconnect to the Celery result store") raised from one of them.
BROKER_ERRORS = (BrokerOperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# SQLSTATEs that mean "no usable connection": class 08 (connection exception) and the server
# shutting down, crashed or still starting. A statement timeout (57014), a lock timeout
# (55P03) or a deadlock (40P01) is an OperationalError too, but the database is up: a 500.
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03"}

# Seconds a client is asked to wait before trying again while a backing service is down.
RETRY_AFTER_SECONDS = 30


def broker_unreachable(error: BaseException | None) -> bool:
    """Did this error come from the broker (or result store) being unreachable?"""
    while error is not None:
        if isinstance(error, BROKER_ERRORS):
            return True
        error = error.__cause__
    return False


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
    """ "database", "redis", or None when the error is not a backing service being away."""
    if database_unreachable(error):
        return "database"
    if broker_unreachable(error):  # redis-py's errors too: the API's rate limits count in Redis
        return "redis"
    return None


def service_unavailable(request: HttpRequest, service: str) -> HttpResponse:
    """The 503 answer while PostgreSQL ("database") or Redis ("redis") cannot be reached.

    The page is rendered without the request, so no context processor runs: nothing here may
    touch the database or the session, which may be exactly what is down.
    """
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE):
        if service == "redis":
            message = _("A background service cannot be reached right now. Please try again in a moment.")
        else:
            message = _("The database cannot be reached right now. Please try again in a moment.")
        if is_api_request(request):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
