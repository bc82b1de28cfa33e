"""Scoring pages: the model with a live preview, runs with a progress bar, a customer's history,
and the manager dashboard."""

from dataclasses import asdict
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors as accounts_selectors
from accounts.models import Customer, LifecycleStage, MatrixQuadrant, Tier
from pipeline.models import Stage
from receivables.selectors import BUCKETS
from servicing.coverage import Coverage, Requirement
from users.models import Team

from . import dashboard as aggregates
from . import selectors, services
from .forms import DashboardFilterForm, RunForm, ScoringModelForm
from .models import TierChange


def _require_tuner(request: HttpRequest) -> None:
    if not selectors.can_tune_scoring(request.user):
        raise PermissionDenied(_("Only managers and admins can change the scoring model or start runs."))


def scoring_home(request: HttpRequest) -> HttpResponse:
    """The scoring model (editable, with a live preview), the run button and run history."""
    _require_tuner(request)
    active = services.scoring_model_active()
    # The form starts from the active version's settings; the note describes the next one.
    form = ScoringModelForm(
        request.POST or None, instance=active if request.method != "POST" else None, initial={"note": ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            model = services.scoring_model_save(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved as version %(version)d.") % {"version": model.version})
            return redirect("scoring:home")
    context = {
        "form": form,
        "active": active,
        "run_form": RunForm(),
        "runs": selectors.runs_recent(limit=20),
        "in_flight": selectors.run_in_flight(),
        "summary": selectors.scoring_summary(user=request.user),
    }
    return render(request, "scoring/home.html", context, status=400 if form.errors else 200)


@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    _require_tuner(request)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid as-of date."))
        return redirect("scoring:home")
    try:
        run, created = services.run_request(
            by=request.user, as_of=form.cleaned_data.get("as_of"), trigger="page"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("scoring:home")
    if not created:
        messages.info(request, _("A run is already in progress; showing it."))
    return redirect(reverse("scoring:home") + f"#run-{run.pk}")


@require_safe
def customer_history_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """HTML panel for the customer page: score, tier and ABC class in each run."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    history = selectors.customer_score_history(customer=customer, limit=24)
    tiers = dict(Tier.choices)  # the tier as the page's language names it
    for row in history:
        row["tier_label"] = tiers.get(row["tier"], row["tier"])
    return render(request, "scoring/customer_history_panel.html", {"customer": customer, "history": history})


# --- The manager dashboard --------------------------------------------------------------------


def _chart_labels() -> dict:
    """The words drawn inside the charts, translated here so the browser needs no catalogue."""
    return {
        "tiers": dict(Tier.choices),
        "quadrants": dict(MatrixQuadrant.choices),
        "stages": dict(Stage.choices),
        "lifecycle": dict(LifecycleStage.choices),
        "directions": dict(TierChange.Direction.choices),
        "measures": {
            "top1_share": _("Largest customer's share"),
            "top10_share": _("Top 10 customers' share"),
            "hhi": _("Herfindahl index (HHI)"),
        },
        "customers": _("Customers"),
        "revenue_share": _("Revenue share"),
        "customer_share": _("Share of customers"),
        "cumulative_revenue": _("Cumulative revenue share"),
        "a_class": _("A customers"),
        "potential": _("Potential"),
        "value_rank": _("Value (sales rank)"),
        "not_rated": _("Not rated"),
        "from_tier": _("Before"),
        "to_tier": _("Now"),
        "limit": _("Limit"),
        "sales_12m": _("Sales, 12 months"),
        "reached": _("Reached"),
        "visits": _("Visits"),
        "visited_customers": _("Customers visited"),
        "far_checkins": _("Far check-ins"),
        "avg_score": _("Average score"),
        "no_data": _("No data for these filters."),
        "first_run": _("Only one scoring run so far: tiers move from the second run on."),
        "hhi_figure": _("HHI"),
        "load_error": _("Could not load this chart. Try again."),
        "period_invalid": _("The period must end on or after its start."),
        "none": "—",
        # The coverage panel (servicing.coverage).
        "coverage": dict(Coverage.choices),
        "requirements": dict(Requirement.choices),
        "not_tiered": _("Not tiered yet"),
        "never": _("Never"),
        "compliance": _("Compliance"),
        "overdue_shown": _("the first %(shown)s of %(count)s"),
        # The aging panel (payment collection).
        "buckets": {bucket.key: str(bucket.label) for bucket in BUCKETS},
        "no_team": _("No team"),
        "credit_risk": _("Credit risk"),
        "churn_risk": _("Churn risk"),
        "open_amount": pgettext("amount", "Open"),
    }


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Filters and one card per chart; the browser draws each chart from its JSON endpoint
    (scoring.api.DashboardView), so changing a filter needs no page reload."""
    if not selectors.can_tune_scoring(request.user):
        raise PermissionDenied(_("Only managers and admins can see the dashboard."))
    user = request.user
    teams = list(Team.objects.order_by("name") if user.is_staff else user.managed_teams.order_by("name"))
    visible = accounts_selectors.filter_choices(user=user)
    choices = {"teams": teams, "regions": visible["regions"], "industries": visible["industries"]}
    filters = DashboardFilterForm(request.GET, **choices).filters()
    initial = {name: value for name, value in asdict(filters).items() if value not in (None, "")}
    context = {
        "form": DashboardFilterForm(initial=initial, **choices),
        "query": urlencode({name: str(value) for name, value in initial.items()}),
        "endpoints": {name: reverse("dashboard", args=[name]) for name in aggregates.NAMES},
        "customer_url": reverse("accounts:customer-detail", args=[0]),
        "tiers": Tier.choices,
        "labels": _chart_labels(),
        "checkin_max_meters": settings.KAM_CHECKIN_MAX_METERS,
    }
    return render(request, "scoring/dashboard.html", context)
