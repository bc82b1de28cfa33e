"""Account-plan pages (联合生意计划): the panel on the customer page, a plan's page, its form,
and the button that moves it to the next of the five steps of business uplift (生意提升五步骤).

Every customer is found through `Customer.objects.visible_to(request.user)` and every plan
through `AccountPlan.objects.visible_to(request.user)`, so another rep's plan is a 404 here as
everywhere. Writes go through pipeline.services.account_plan_save.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Customer

from . import services
from .models import AccountPlan, ActionStatus, PlanAction, PlanObjective, PlanStep
from .plan_forms import AccountPlanForm, ActionFormSet, ObjectiveFormSet, action_owner_choices

STEPS = list(PlanStep)


@dataclass(frozen=True)
class StepView:
    value: str
    label: str
    number: int
    state: str  # done, current or todo


def plan_steps(step: str) -> list[StepView]:
    """The five steps with where the plan stands: the progress indicator."""
    current = STEPS.index(PlanStep(step))
    return [
        StepView(s.value, s.label, n + 1, "done" if n < current else "current" if n == current else "todo")
        for n, s in enumerate(STEPS)
    ]


def next_plan_step(step: str) -> PlanStep | None:
    index = STEPS.index(PlanStep(step))
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


@dataclass(frozen=True)
class ObjectiveRow:
    objective: PlanObjective
    percent: int | None  # actual against target, when both are known and the target is not 0

    @property
    def bar(self) -> int:
        """The progress bar's width: 0–100."""
        return min(max(self.percent or 0, 0), 100)


def objective_rows(objectives: Iterable[PlanObjective]) -> list[ObjectiveRow]:
    rows = []
    for objective in objectives:
        percent = None
        if objective.target and objective.actual is not None:
            percent = round(objective.actual / objective.target * 100)
        rows.append(ObjectiveRow(objective, percent))
    return rows


@dataclass(frozen=True)
class PlanCard:
    plan: AccountPlan
    steps: list[StepView]
    objectives: list[ObjectiveRow]
    open_actions: list[PlanAction]


def _visible_customer(request: HttpRequest, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)


def _visible_plan(request: HttpRequest, pk: int) -> AccountPlan:
    plans = AccountPlan.objects.visible_to(request.user).select_related("customer", "created_by")
    return get_object_or_404(plans, pk=pk)


# --- Reading ---------------------------------------------------------------------------------


def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """HTML fragment for the customer page: the customer's plans, each with its step, its
    objectives and its open actions. Three queries after the customer, whatever the numbers."""
    customer = _visible_customer(request, customer_id)
    open_actions = PlanAction.objects.exclude(status=ActionStatus.DONE).select_related("owner")
    plans = AccountPlan.objects.filter(customer=customer).prefetch_related(
        "objectives", Prefetch("actions", queryset=open_actions, to_attr="open_actions")
    )
    cards = [
        PlanCard(plan, plan_steps(plan.step), objective_rows(plan.objectives.all()), plan.open_actions)
        for plan in plans
    ]
    context = {"customer": customer, "cards": cards, "today": timezone.localdate()}
    return render(request, "pipeline/plans/customer_panel.html", context)


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _visible_plan(request, pk)
    context = {
        "plan": plan,
        "customer": plan.customer,
        "steps": plan_steps(plan.step),
        "next_step": next_plan_step(plan.step),
        "objectives": objective_rows(plan.objectives.all()),
        "actions": list(plan.actions.select_related("owner")),
        "today": timezone.localdate(),
    }
    return render(request, "pipeline/plans/plan_detail.html", context)


# --- Writing ---------------------------------------------------------------------------------


def _plan_form_page(
    request: HttpRequest,
    *,
    customer: Customer,
    plan: AccountPlan,
    objectives: list[dict],
    actions: list[dict],
    initial: dict | None = None,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    owners = action_owner_choices(
        customer=customer, user=request.user, current=[row["owner"] for row in actions]
    )
    form = AccountPlanForm(data, instance=plan, initial=initial)
    objective_forms = ObjectiveFormSet(data, initial=objectives, prefix="objectives")
    action_forms = ActionFormSet(data, initial=actions, prefix="actions", form_kwargs={"owners": owners})
    # Every part is validated (and shows its errors) before anything is written.
    if data is not None and all([form.is_valid(), objective_forms.is_valid(), action_forms.is_valid()]):
        creating = plan.pk is None
        try:
            plan = services.account_plan_save(
                plan=form.instance,
                by=request.user,
                objectives=objective_forms.service_rows(),
                actions=action_forms.service_rows(),
            )
        except ValidationError as error:
            if creating:  # rolled back: the plan was not created after all
                form.instance.pk = None
            form.add_service_error(error)
        else:
            messages.success(request, _("Account plan saved."))
            return redirect("plans:plan-detail", plan.pk)
    context = {
        "customer": customer,
        "form": form,
        "objective_forms": objective_forms,
        "action_forms": action_forms,
    }
    return render(request, "pipeline/plans/plan_form.html", context)


def plan_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _visible_customer(request, customer_id)
    start = timezone.localdate().replace(day=1)  # a year from this month, by default
    end = start.replace(year=start.year + 1) - timedelta(days=1)
    return _plan_form_page(
        request,
        customer=customer,
        plan=AccountPlan(customer=customer),
        objectives=[],
        actions=[],
        initial={"period_start": start, "period_end": end},
    )


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _visible_plan(request, pk)
    objectives = list(plan.objectives.values("description", "target", "actual", "unit"))
    actions = list(plan.actions.values("description", "owner", "due_on", "status"))
    return _plan_form_page(request, customer=plan.customer, plan=plan, objectives=objectives, actions=actions)


@require_POST
def plan_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the plan to the next step. The form says which step it saw, so a second press (or
    a colleague's press in between) does not skip a step."""
    plan = _visible_plan(request, pk)
    step = next_plan_step(plan.step)
    if request.POST.get("from_step") != plan.step or step is None:
        messages.info(request, _("The plan is already at %(step)s.") % {"step": plan.get_step_display()})
    else:
        plan.step = step
        services.account_plan_save(plan=plan, by=request.user)
        messages.success(request, _("The plan moved on to %(step)s.") % {"step": plan.get_step_display()})
    return redirect("plans:plan-detail", plan.pk)
