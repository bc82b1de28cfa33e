"""Payment-collection pages: the receivables panel of the customer page, the payment-plan
panel of a won opportunity, the plan form with its installments, and the payment form.

Every customer is found through `Customer.objects.visible_to(request.user)` and every
opportunity, plan and payment through their own `visible_to`, so another team's records are a
404 here as everywhere. Writes go through `receivables.services`; who may write is theirs to
decide (`can_edit_plan`, `can_record_payments`), and a refusal is a 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Customer
from pipeline.models import Opportunity, Stage

from . import selectors, services
from .forms import InstallmentRows, PaymentForm, PaymentPlanForm, suggested_reference
from .models import Installment, Payment, PaymentPlan, PaymentSource


def _visible_opportunity(request: HttpRequest, pk: int) -> Opportunity:
    opportunities = Opportunity.objects.visible_to(request.user).select_related("customer", "owner")
    return get_object_or_404(opportunities, pk=pk)


def _opportunity_url(pk: int) -> str:
    return reverse("pipeline:opportunity-detail", args=[pk]) + "#payment-plan"


def _customer_url(pk: int) -> str:
    return reverse("accounts:customer-detail", args=[pk]) + "#receivables"


def _plan_of(opportunity: Opportunity) -> PaymentPlan | None:
    installments = Prefetch("installments", queryset=Installment.objects.order_by("due_on", "id"))
    return PaymentPlan.objects.filter(opportunity=opportunity).prefetch_related(installments).first()


# --- Panels ----------------------------------------------------------------------------------


@require_safe
def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """HTML fragment for the customer page: plans, installments, payments, open and overdue
    amounts, credit, aging and the credit-risk flag. Four queries after the session's."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_id)
    context = {
        "customer": customer,
        "receivables": selectors.customer_receivables(customer=customer, today=timezone.localdate()),
        "can_record_payments": services.can_record_payments(request.user),
    }
    return render(request, "receivables/customer_panel.html", context)


@require_safe
def opportunity_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """HTML fragment for a won opportunity's page: its payment plan, or a link to make one."""
    opportunity = _visible_opportunity(request, pk)
    plan = _plan_of(opportunity)
    today = timezone.localdate()
    lines = []
    if plan is not None:
        lines = [
            selectors.InstallmentLine(row, row.open_amount, (today - row.due_on).days)
            for row in plan.installments.all()
        ]
    context = {
        "opportunity": opportunity,
        "is_won": opportunity.stage == Stage.WON,
        "plan": plan,
        "plan_line": selectors.PlanLine(plan, lines) if plan is not None else None,
        "can_edit": services.can_edit_plan(request.user, opportunity),
    }
    return render(request, "receivables/opportunity_panel.html", context)


# --- The payment plan ------------------------------------------------------------------------


def plan_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Create or edit the payment plan of won opportunity `pk`, with its installments."""
    opportunity = _visible_opportunity(request, pk)
    if not services.can_edit_plan(request.user, opportunity):
        raise PermissionDenied(
            _("Only the opportunity's owner, their manager or an admin can plan its payments.")
        )
    if opportunity.stage != Stage.WON:
        messages.error(request, _("Only a won opportunity gets a payment plan."))
        return redirect("pipeline:opportunity-detail", opportunity.pk)
    plan = _plan_of(opportunity)
    installments = list(plan.installments.all()) if plan is not None else []
    locked = any(row.applied > 0 for row in installments)
    data = request.POST if request.method == "POST" else None
    initial = None
    if plan is None:
        initial = {"contract_amount": opportunity.expected_amount, "signed_on": timezone.localdate()}
    form = PaymentPlanForm(
        data, instance=plan or PaymentPlan(opportunity=opportunity), initial=initial, locked=locked
    )
    rows = InstallmentRows(
        data,
        initial=[{"due_on": row.due_on, "amount": row.amount} for row in installments],
        prefix="installments",
    )
    schedule_errors: list[str] = []
    if data is not None and form.is_valid() and (locked or rows.is_valid()):
        fields = form.service_fields()
        if not locked:
            fields["installments"] = rows.schedule()
        try:
            if plan is None:
                services.plan_create(opportunity=opportunity, by=request.user, **fields)
            else:
                services.plan_update(plan=plan, by=request.user, **fields)
        except ValidationError as error:
            errors = dict(error.message_dict) if hasattr(error, "error_dict") else {"__all__": error.messages}
            schedule_errors = errors.pop("installments", [])
            if errors:
                form.add_service_error(ValidationError(errors))
        else:
            messages.success(request, _("Payment plan saved."))
            return redirect(_opportunity_url(opportunity.pk))
    context = {
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "plan": plan,
        "form": form,
        "rows": rows,
        "locked": locked,
        "installments": installments,
        "schedule_errors": schedule_errors,
    }
    return render(request, "receivables/plan_form.html", context)


@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        PaymentPlan.objects.visible_to(request.user).select_related("opportunity__customer"), pk=pk
    )
    try:
        services.plan_delete(plan=plan, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Payment plan deleted."))
    return redirect(_opportunity_url(plan.opportunity_id))


# --- Payments --------------------------------------------------------------------------------


def _payments_writer(request: HttpRequest) -> None:
    if not services.can_record_payments(request.user):
        raise PermissionDenied(_("Only managers and admins can record payments."))


def payment_create(request: HttpRequest) -> HttpResponse:
    """A payment entered by hand (`?customer=` chooses the customer beforehand)."""
    _payments_writer(request)
    customer = None
    if request.GET.get("customer", "").isdigit():
        customer = Customer.objects.visible_to(request.user).filter(pk=int(request.GET["customer"])).first()
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else None
    initial = {"customer": customer, "received_on": today, "reference": suggested_reference(today)}
    form = PaymentForm(data, user=request.user, customer=customer, initial=initial)
    if data is not None and form.is_valid():
        fields = form.service_fields()
        row = services.PaymentRow(
            customer_id=fields["customer"].pk,
            reference=form.cleaned_data["reference"],
            received_on=fields["received_on"],
            amount=fields["amount"],
            source=PaymentSource.MANUAL,
            notes=fields["notes"],
        )
        try:
            services.payments_upsert(rows=[row], by=request.user)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(_customer_url(row.customer_id))
    return render(request, "receivables/payment_form.html", {"form": form, "customer": customer})


def _visible_payment(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(Payment.objects.visible_to(request.user).select_related("customer"), pk=pk)


def payment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _payments_writer(request)
    payment = _visible_payment(request, pk)
    data = request.POST if request.method == "POST" else None
    form = PaymentForm(data, instance=payment, user=request.user)
    if data is not None and form.is_valid():
        try:
            services.payment_update(payment=payment, by=request.user, **form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Payment saved."))
            return redirect(_customer_url(form.cleaned_data["customer"].pk))
    return render(
        request,
        "receivables/payment_form.html",
        {"form": form, "payment": payment, "customer": payment.customer},
    )


@require_POST
def payment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _payments_writer(request)
    payment = _visible_payment(request, pk)
    services.payment_delete(payment=payment, by=request.user)
    messages.success(request, _("Payment deleted."))
    return redirect(_customer_url(payment.customer_id))
