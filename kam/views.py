"""Project-level pages: the home page, the health check and the error pages (JSON for the API)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from accounts import views as accounts_views
from scoring import selectors as scoring_selectors


def home(request: HttpRequest) -> HttpResponse:
    """The start page: managers and admins land on their dashboard, reps on My day (which
    managers reach from the menu at /my-day/)."""
    if scoring_selectors.can_tune_scoring(request.user):
        return redirect("scoring:dashboard")
    return accounts_views.my_day(request)


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and docker compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 — any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def handler404(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return server_error(request)


# Seconds a client is asked to wait before trying again while a backing service is down.
RETRY_AFTER_SECONDS = 30


def service_unavailable(request: HttpRequest, service: str) -> HttpResponse:
    """The 503 answer while PostgreSQL ("database") or Redis ("redis": the job queue, and the
    cache that API rate limits count in) cannot be reached.

    The page is rendered without the request, so no context processor runs: nothing here may
    touch the database or the session, which may be exactly what is down.
    """
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE):
        if service == "redis":
            message = _("A background service cannot be reached right now. Please try again in a moment.")
        else:
            message = _("The database cannot be reached right now. Please try again in a moment.")
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
