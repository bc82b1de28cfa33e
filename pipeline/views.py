"""Pipeline pages: the board, the list, an opportunity and its forms, the forecast, and the
opportunities panel of the customer page.

Views stay short: they read through pipeline.selectors and write through pipeline.services.
Every opportunity is found through `Opportunity.objects.visible_to(request.user)` (and every
customer through `Customer.objects.visible_to`), so another rep's opportunity is a 404 on every
page and action.

Everything works as plain forms and redirects. static/kam/js/pipeline.js posts the same forms
with fetch (X-Requested-With: XMLHttpRequest); those requests get JSON instead of a redirect,
with the gate checklist's HTML when a gate refuses a move, so it can be shown on the card. A
refusal the page expects (a gate not met, a missing reason) is an answer, `ok: false` with a 200;
input no page sends (an unknown stage, someone else's gate item) is a 400, an override by a rep
a 403.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Customer

from . import selectors, services
from .forms import GateCheckForm, MoveForm, OpportunityFilterForm, OpportunityForm
from .models import FORWARD, OPEN_STAGES, GateRule, Opportunity, Stage, next_stage

PAGE_SIZE = 25


def _visible_opportunity(request: HttpRequest, pk: int, *related: str) -> Opportunity:
    return get_object_or_404(
        Opportunity.objects.visible_to(request.user).select_related("customer", *related), pk=pk
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _opportunity_url(pk: int) -> str:
    return reverse("pipeline:opportunity-detail", args=[pk])


def _next_url(request: HttpRequest) -> str | None:
    """A same-site `next` from the form, never an address elsewhere."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return None


def _with_gate(url: str, pk: int) -> str:
    """`url` showing opportunity `pk`'s gate checklist (the board opens it on that card)."""
    parts = urlsplit(url)
    query = QueryDict(parts.query, mutable=True)
    query["gate"] = str(pk)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query.urlencode(), f"gate-{pk}"))


def _here(request: HttpRequest) -> str:
    """This page's address with its filters, without the one-off `gate` parameter."""
    query = request.GET.copy()
    query.pop("gate", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def _filter_form(request: HttpRequest, *, with_stage: bool = False) -> OpportunityFilterForm:
    query = request.GET.copy()
    for name in ("gate", "page"):
        query.pop(name, None)
    return OpportunityFilterForm(
        query or None, choices=selectors.filter_choices(user=request.user), with_stage=with_stage
    )


# --- Stage gates -----------------------------------------------------------------------------

# Where the data a rule reads is entered, so an unmet item links to what satisfies it.
VISIT_RULES = {GateRule.HAS_VISIT, GateRule.NEEDS_RECORDED, GateRule.EXECUTIVE_MEETING, GateRule.SITE_VISIT}
CONTACT_RULES = {
    GateRule.HAS_COACH,
    GateRule.DECISION_MAKER_PROFILE,
    GateRule.DECISION_MAKER_RELATIONSHIP,
    GateRule.INFLUENCERS_NOT_OPPOSED,
}
OPPORTUNITY_RULES = {GateRule.OBSTACLES_RECORDED, GateRule.COST_RECORDED, GateRule.PLAN_RECORDED}


def _fix_url(opportunity: Opportunity, rule: str) -> str:
    customer_id = opportunity.customer_id
    if rule in VISIT_RULES:
        return reverse("accounts:visit-log", args=[customer_id])
    if rule in CONTACT_RULES:
        return reverse("accounts:customer-detail", args=[customer_id]) + "#committee"
    if rule in OPPORTUNITY_RULES:
        return reverse("pipeline:opportunity-edit", args=[opportunity.pk])
    if rule == GateRule.WINNABILITY_RATED:
        return reverse("accounts:customer-edit", args=[customer_id])
    return ""


@dataclass(frozen=True)
class GateRow:
    item: services.GateItemStatus
    rule_label: str  # what satisfies a data-backed item ('' for a tick)
    fix_url: str


@dataclass(frozen=True)
class Gate:
    """The current stage's checklist, with what the user may do about it."""

    opportunity: Opportunity
    rows: list[GateRow]
    next_stage: str
    next_label: str
    can_override: bool
    next: str  # where the forms come back to

    @property
    def met(self) -> bool:
        return all(row.item.met for row in self.rows)

    @property
    def has_manual(self) -> bool:
        return any(not row.item.rule for row in self.rows)


def _gate(request: HttpRequest, opportunity: Opportunity, next_url: str) -> Gate:
    items = services.gate_status(opportunity=opportunity)
    stage = next_stage(opportunity.stage)
    return Gate(
        opportunity=opportunity,
        rows=[
            GateRow(item, GateRule(item.rule).label if item.rule else "", _fix_url(opportunity, item.rule))
            for item in items
        ],
        next_stage=stage,
        next_label=Stage(stage).label,
        can_override=services.can_override_gates(request.user),
        next=next_url,
    )


def _gate_html(request: HttpRequest, gate: Gate) -> str:
    return render_to_string("pipeline/_gate.html", {"gate": gate}, request=request)


# --- Board -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    column: selectors.BoardColumn
    next_stage: str | None
    next_label: str
    is_open: bool

    @property
    def hidden(self) -> int:
        """Cards not shown (the board shows the first ones of a long column)."""
        return self.column.count - len(self.column.cards)


def _column(column: selectors.BoardColumn) -> Column:
    after = next_stage(column.stage)
    return Column(column, after, Stage(after).label if after else "", column.stage in OPEN_STAGES)


def board(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    columns = [_column(column) for column in selectors.board(user=request.user, filters=form.filters())]
    here = _here(request)
    # After a refused move without JavaScript, the board opens that card's checklist.
    gate = None
    if request.GET.get("gate", "").isdigit():
        opportunity = (
            Opportunity.objects.visible_to(request.user)
            .open()
            .select_related("customer")
            .filter(pk=int(request.GET["gate"]))
            .first()
        )
        if opportunity is not None:
            gate = _gate(request, opportunity, here)
    context = {
        "form": form,
        "columns": columns,
        "open_columns": [column for column in columns if column.is_open],
        "closed_columns": [column for column in columns if not column.is_open],  # won and lost, stacked
        "here": here,
        "gate": gate,
    }
    return render(request, "pipeline/board.html", context)


@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """One stage forward, or lost with a reason; answers the board's fetch with JSON."""
    opportunity = _visible_opportunity(request, pk)
    next_url = _next_url(request) or _opportunity_url(opportunity.pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, next_url, [_("Choose a stage to move to.")], status=400)
    try:
        moved = services.opportunity_move(opportunity_id=opportunity.pk, by=request.user, **form.cleaned_data)
    except services.GateNotMet:
        gate = _gate(request, opportunity, next_url)
        errors = [_("The gate of this stage is not met yet.")]
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": errors, "gate_html": _gate_html(request, gate)})
        messages.error(request, errors[0])
        return redirect(_with_gate(next_url, opportunity.pk))
    except PermissionDenied as error:
        return _refused(request, next_url, [str(error)], status=403)
    except ValidationError as error:
        return _refused(request, next_url, error.messages)
    messages.success(
        request,
        _("“%(title)s” is now in %(stage)s.") % {"title": moved.title, "stage": moved.get_stage_display()},
    )
    if _wants_json(request):
        return JsonResponse({"ok": True, "redirect": next_url})
    return redirect(next_url)


def _refused(request: HttpRequest, next_url: str, errors: list[str], status: int = 200) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": errors}, status=status)
    for error in errors:
        messages.error(request, error)
    return redirect(next_url)


@require_POST
def gate_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick or untick the current stage's hand-checked items; all or nothing."""
    opportunity = _visible_opportunity(request, pk)
    next_url = _next_url(request) or _opportunity_url(opportunity.pk)
    form = GateCheckForm(request.POST, opportunity=opportunity)
    errors: list[str] = []
    if form.is_valid():
        checked = set(form.cleaned_data["checked"])
        try:
            with transaction.atomic():
                for item in form.cleaned_data["items"]:
                    services.gate_check_set(
                        opportunity=opportunity, item=item, checked=item in checked, by=request.user
                    )
        except ValidationError as error:
            errors = error.messages
    else:
        errors = [_("These items cannot be ticked here; reload the page.")]
    if _wants_json(request):
        gate_html = _gate_html(request, _gate(request, opportunity, next_url)) if opportunity.is_open else ""
        return JsonResponse(
            {"ok": not errors, "errors": errors, "gate_html": gate_html}, status=400 if errors else 200
        )
    for error in errors:
        messages.error(request, error)
    if not errors:
        messages.success(request, _("Checklist saved."))
    return redirect(_with_gate(next_url, opportunity.pk))


# --- List and one opportunity ----------------------------------------------------------------


def opportunity_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request, with_stage=True)
    rows = selectors.opportunity_list(user=request.user, filters=form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pipeline/list.html", {"form": form, "page": page})


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, stopped (where it was lost), todo


def _progress(opportunity: Opportunity, history: list) -> list[Step]:
    """The five stages and the outcome, marked against where the opportunity is (or stopped)."""
    lost = opportunity.stage == Stage.LOST
    reached = opportunity.stage
    if lost:
        reached = next(
            (change.from_stage for change in reversed(history) if change.to_stage == Stage.LOST), ""
        )
    at = FORWARD.index(reached) if reached in FORWARD else -1
    steps = []
    for index, stage in enumerate(FORWARD):
        if lost and stage == Stage.WON:
            stage, state = Stage.LOST, "current"
        elif index < at:
            state = "done"
        elif index == at:
            state = "stopped" if lost else "current"
        else:
            state = "todo"
        steps.append(Step(Stage(stage).label, state))
    return steps


def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _visible_opportunity(request, pk, "owner")
    history = list(opportunity.stage_changes.select_related("by").order_by("at", "id"))
    here = request.path
    context = {
        "opportunity": opportunity,
        "progress": _progress(opportunity, history),
        "gate": _gate(request, opportunity, here) if opportunity.is_open else None,
        "history": history,
        "here": here,
    }
    return render(request, "pipeline/opportunity_detail.html", context)


def _opportunity_form_page(request: HttpRequest, form: OpportunityForm, save) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = save(form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect(_opportunity_url(opportunity.pk))
    context = {"form": form, "customer": form.instance.customer}
    return render(request, "pipeline/opportunity_form.html", context)


def opportunity_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_pk)
    form = OpportunityForm(
        request.POST if request.method == "POST" else None,
        instance=Opportunity(customer=customer),
        user=request.user,
    )
    return _opportunity_form_page(
        request,
        form,
        lambda fields: services.opportunity_create(customer=customer, by=request.user, **fields),
    )


def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _visible_opportunity(request, pk, "owner")
    form = OpportunityForm(
        request.POST if request.method == "POST" else None, instance=opportunity, user=request.user
    )
    return _opportunity_form_page(
        request,
        form,
        lambda fields: services.opportunity_update(opportunity=opportunity, by=request.user, **fields),
    )


# --- Forecast --------------------------------------------------------------------------------


def _with_bars(rows: list[dict], key: str = "weighted") -> list[dict]:
    """Each row with `percent`: its bar's length against the largest row."""
    top = max((row[key] for row in rows), default=Decimal(0))
    return [
        {**row, "percent": round(row[key] / top * 100) if top > 0 and row[key] > 0 else 0} for row in rows
    ]


def _months_with_overdue(result: dict) -> list[dict]:
    """The month table's rows: the overdue ones first (in no month), then the months, then no
    date; together every open opportunity once, so they add up to the header."""
    if not result["overdue"]["count"]:
        return result["by_month"]
    return [{**result["overdue"], "month": None, "overdue": True}, *result["by_month"]]


def forecast(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    result = selectors.forecast(user=request.user, filters=form.filters())
    days = [
        {"stage": stage, "label": Stage(stage).label, "days": value or Decimal(0), "known": value is not None}
        for stage, value in result["avg_days_in_stage"].items()
    ]
    context = {
        "form": form,
        "forecast": result,
        "by_month": _with_bars(_months_with_overdue(result)),
        "by_owner": _with_bars(result["by_owner"]),
        "by_team": _with_bars(result["by_team"]),
        "days": _with_bars(days, key="days"),
    }
    return render(request, "pipeline/forecast.html", context)


# --- Customer page panel ---------------------------------------------------------------------


@require_safe
def customer_panel(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """HTML fragment for the customer page: the customer's opportunities, open ones first."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_pk)
    rows = selectors.opportunity_list(
        user=request.user, filters=selectors.OpportunityFilters(customer=customer.pk)
    )
    opportunities = sorted(rows, key=lambda opportunity: not opportunity.is_open)
    return render(
        request, "pipeline/customer_panel.html", {"customer": customer, "opportunities": opportunities}
    )
