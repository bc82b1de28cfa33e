"""Project-level pages: the home page, the health check and the error pages (JSON for the API)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from accounts import views as accounts_views
from scoring import selectors as scoring_selectors
from web.paths import is_api_request


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
    if is_api_request(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return server_error(request)
