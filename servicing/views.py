"""Service-level pages: the policies per tier, and a customer's coverage panel.

Everyone signed in reads the policies; managers and admins change them (anyone else: 403).
A customer is found through `Customer.objects.visible_to(request.user)`, so one the user may
not see is a 404 here too. (Account reviews have their own pages: review_views.py.)
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Customer

from . import coverage, services
from .forms import ServicePolicyForm


def _save_policies(forms: list[ServicePolicyForm], *, by) -> bool:
    """All four rows or none; a refusal is shown on its row."""
    try:
        with transaction.atomic():
            for form in forms:
                try:
                    services.service_policy_update(tier=form.policy.tier, by=by, **form.service_fields())
                except ValidationError as error:
                    form.add_service_error(error)
                    raise
    except ValidationError:
        return False
    return True


def policies(request: HttpRequest) -> HttpResponse:
    """The service level of each tier: how often an account is to be visited, met at the
    executive level and reviewed. Managers and admins edit all four rows in one form."""
    can_edit = services.can_edit_service_policies(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only managers and admins can change service policies."))
    data = request.POST if request.method == "POST" else None
    forms = [ServicePolicyForm(data, policy=policy) for policy in coverage.service_policies()]
    if request.method == "POST" and all(form.is_valid() for form in forms):
        if _save_policies(forms, by=request.user):
            messages.success(request, _("Service levels saved."))
            return redirect("servicing:policies")
    context = {"forms": forms, "can_edit": can_edit, "due_window": coverage.DUE_WINDOW_DAYS}
    status = 400 if any(form.errors for form in forms) else 200
    return render(request, "servicing/policies.html", context, status=status)


@require_safe
def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """HTML fragment for the customer page: the tier's service level and, per requirement, the
    last date, the next due date and the status. Two queries after the customer."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_id)
    today = timezone.localdate()
    context = {
        "customer": customer,
        "coverage": coverage.customer_coverage(customer=customer, today=today),
        "today": today,
    }
    return render(request, "servicing/customer_panel.html", context)
