"""Project-level pages: the home page, My day, the health check and the error pages (JSON for
the API). My day lives here, at the top, because it gathers what several apps put on a user's
day: follow-ups and activity (accounts), the accounts due for service and the agreed actions
(servicing), the installments to collect (receivables)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from accounts import selectors as accounts_selectors
from accounts.models import Customer
from receivables import selectors as receivables_selectors
from scoring import selectors as scoring_selectors
from servicing import coverage
from web.paths import is_api_request


def home(request: HttpRequest) -> HttpResponse:
    """The start page: managers and admins land on their dashboard, reps on My day (which
    managers reach from the menu at /my-day/)."""
    if scoring_selectors.can_tune_scoring(request.user):
        return redirect("scoring:dashboard")
    return my_day(request)


def my_day(request: HttpRequest) -> HttpResponse:
    """A user's day: follow-ups due, their accounts due or overdue for service (by their tier's
    service policy, most urgent first), their agreed actions due, the installments of their
    customers overdue or due within a week (payment collection), recent activity and teams.
    Reps get it at `/` too; everyone at /my-day/."""
    user = request.user
    today = timezone.localdate()
    visible = Customer.objects.visible_to(user)  # one gatekeeper call, shared by the sections
    context = {
        "today": today,
        "day": accounts_selectors.my_day(user=user, today=today, visible=visible),
        "servicing": coverage.my_day(user=user, today=today, visible=visible),
        "installments_due": receivables_selectors.installments_due(user=user, today=today, visible=visible),
        "member_of": user.teams.prefetch_related("managers").order_by("name"),
        "manages": user.managed_teams.prefetch_related("members").order_by("name"),
    }
    return render(request, "my_day.html", context)


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
