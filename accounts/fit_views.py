"""Pages of the experience method (经历推算法, DOMAIN.md scoring item 9): the industry fit table,
the customer-fit checklist's items, the ticks on a customer's page and the new-market shortlist.

Everyone signed in reads the table and the items; managers and admins edit the table and
admins the items (anyone else gets 403). Customers are found through
`Customer.objects.visible_to(request.user)`, so one the user may not see is a 404 here too.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import selectors, services
from .fit_forms import CustomerFitForm, FitCriterionForm, IndustryFitForm, ShortlistFilterForm
from .models import Customer, FitCriterion, IndustryFit

PAGE_SIZE = 25


def _require_industry_editor(request: HttpRequest) -> None:
    if not services.can_edit_industry_fits(request.user):
        raise PermissionDenied(_("Only managers and admins can change the industry fit table."))


def _require_checklist_editor(request: HttpRequest) -> None:
    if not services.can_edit_fit_criteria(request.user):
        raise PermissionDenied(_("Only admins can change the customer-fit checklist."))


# --- The industry fit table ------------------------------------------------------------------


@require_safe
def industry_list(request: HttpRequest) -> HttpResponse:
    context = {
        "industries": selectors.industry_fit_table(),
        "can_edit": services.can_edit_industry_fits(request.user),
    }
    return render(request, "accounts/fit/industry_list.html", context)


def _industry_form_page(request: HttpRequest, industry_fit: IndustryFit | None) -> HttpResponse:
    form = IndustryFitForm(
        request.POST if request.method == "POST" else None,
        instance=industry_fit,
        industries=selectors.industries_not_in_table(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.industry_fit_save(by=request.user, industry_fit=industry_fit, **form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Industry fit saved."))
            return redirect("fit:industry-list")
    return render(request, "accounts/fit/industry_form.html", {"form": form, "industry_fit": industry_fit})


def industry_create(request: HttpRequest) -> HttpResponse:
    _require_industry_editor(request)
    return _industry_form_page(request, None)


def industry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_industry_editor(request)
    return _industry_form_page(request, get_object_or_404(IndustryFit, pk=pk))


@require_POST
def industry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_industry_editor(request)
    industry_fit = get_object_or_404(IndustryFit, pk=pk)
    services.industry_fit_delete(by=request.user, industry_fit=industry_fit)
    messages.success(request, _("“%(industry)s” is no longer in the table.") % {"industry": industry_fit})
    return redirect("fit:industry-list")


# --- The checklist's items -------------------------------------------------------------------


@require_safe
def criterion_list(request: HttpRequest) -> HttpResponse:
    context = {
        "criteria": selectors.fit_criteria_with_ticks(),
        "can_edit": services.can_edit_fit_criteria(request.user),
    }
    return render(request, "accounts/fit/criterion_list.html", context)


def _criterion_form_page(request: HttpRequest, criterion: FitCriterion | None) -> HttpResponse:
    form = FitCriterionForm(request.POST if request.method == "POST" else None, instance=criterion)
    if request.method == "POST" and form.is_valid():
        try:
            services.fit_criterion_save(by=request.user, criterion=criterion, **form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Checklist item saved."))
            return redirect("fit:criterion-list")
    return render(request, "accounts/fit/criterion_form.html", {"form": form, "criterion": criterion})


def criterion_create(request: HttpRequest) -> HttpResponse:
    _require_checklist_editor(request)
    return _criterion_form_page(request, None)


def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_checklist_editor(request)
    return _criterion_form_page(request, get_object_or_404(FitCriterion, pk=pk))


@require_POST
def criterion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_checklist_editor(request)
    criterion = get_object_or_404(FitCriterion, pk=pk)
    try:
        services.fit_criterion_delete(by=request.user, criterion=criterion)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("fit:criterion-edit", pk=criterion.pk)
    messages.success(request, _("“%(item)s” is deleted.") % {"item": criterion})
    return redirect("fit:criterion-list")


# --- A customer's ticks ----------------------------------------------------------------------


@require_POST
def customer_fit_tick(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer page's checklist form: tick exactly what was sent (of the active items)."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    form = CustomerFitForm(request.POST)
    if form.is_valid():
        try:
            services.customer_set_fit_criteria(
                customer=customer, by=request.user, criteria=form.cleaned_data["fit_criteria"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Customer fit saved."))
    else:
        messages.error(request, _("The checklist has changed meanwhile; tick it again."))
    return redirect(reverse("accounts:customer-detail", args=[customer.pk]) + "#customer-fit")


# --- The new-market shortlist ----------------------------------------------------------------


@require_safe
def shortlist(request: HttpRequest) -> HttpResponse:
    """Prospects with no sales in the last 12 months, best fit score first (经历推算法)."""
    form = ShortlistFilterForm(request.GET or None, choices=selectors.filter_choices(user=request.user))
    customers = selectors.new_market_shortlist(user=request.user, filters=form.filters())
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": selectors.shortlist_rows(page),
        "fit_items": selectors.active_fit_criteria().count(),
    }
    return render(request, "accounts/fit/shortlist.html", context)
