"""Pages of the rep's daily work: customers, contacts, visits and follow-ups (My day, which
gathers several apps, is kam.views.my_day).

Views stay short: they read through accounts.selectors and write through accounts.services.
Every customer is found through `Customer.objects.visible_to(request.user)`, and everything
under a customer through it, so what a user may not see is a 404 on every page.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.paging import IdsFirstPaginator

from . import selectors, services
from .forms import ContactForm, CustomerFilterForm, CustomerForm, CustomerPickForm, VisitForm
from .models import Contact, Customer, Visit, normalise_company_name

PAGE_SIZE = 25


def _visible_customer(request: HttpRequest, pk: int, *related: str) -> Customer:
    customers = Customer.objects.visible_to(request.user)
    if related:
        customers = customers.select_related(*related)
    return get_object_or_404(customers, pk=pk)


def _customer_url(pk: int, anchor: str = "") -> str:
    url = reverse("accounts:customer-detail", args=[pk])
    return f"{url}#{anchor}" if anchor else url


def _next_url(request: HttpRequest) -> str | None:
    """A same-site `next` from the form, never an address elsewhere."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return None


# --- Follow-ups (ticked off from My day, kam.views.my_day) --------------------------------


@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=pk)
    try:
        services.follow_up_mark_done(visit=visit, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Follow-up marked done."))
    return HttpResponseRedirect(_next_url(request) or _customer_url(visit.customer_id, f"visit-{visit.pk}"))


# --- Customers -------------------------------------------------------------------------------


def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, choices=selectors.filter_choices(user=request.user))
    customers = selectors.customer_list(user=request.user, filters=form.filters())
    page = IdsFirstPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/customer_list.html", {"form": form, "page": page})


@dataclass(frozen=True)
class TrendBar:
    month: date
    amount: Decimal
    percent: int  # bar height against the best month; credit-note months show as empty


def _sales_trend(summary: selectors.SalesSummary) -> list[TrendBar]:
    top = max((amount for _month, amount in summary.monthly), default=Decimal(0))
    return [
        TrendBar(month, amount, round(amount / top * 100) if top > 0 and amount > 0 else 0)
        for month, amount in summary.monthly
    ]


def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk, "owner", "parent", "referred_by")
    sales = selectors.customer_sales_summary(customer=customer)
    context = {
        "customer": customer,
        "sales": sales,
        "growth_percent": None if sales.growth is None else round(sales.growth * 100, 1),
        "trend": _sales_trend(sales),
        "contacts": selectors.customer_contacts(customer=customer),
        "timeline": selectors.customer_timeline(customer=customer),
        "competitors": selectors.customer_competitors(customer=customer),
        "team": customer.team_memberships.select_related("user").order_by("user__username"),
        "show_profile": services.can_see_personal_profile(request.user, customer),
        "fit": selectors.customer_fit(customer=customer),
    }
    return render(request, "accounts/customer_detail.html", context)


# The name a rep confirmed to save despite its possible duplicates (the "Save anyway" button).
CONFIRM_POSSIBLE_DUPLICATES = "confirm_possible_duplicates"


def _possible_duplicates(request: HttpRequest, name: str) -> list[selectors.PossibleDuplicate]:
    """Near matches to show before a new customer is saved (可能重复), unless the rep has
    confirmed this very name already. None when the name is taken outright: the save refuses
    that as a 撞单, with its own message."""
    confirmed = request.POST.get(CONFIRM_POSSIBLE_DUPLICATES, "")
    if confirmed and normalise_company_name(confirmed) == normalise_company_name(name):
        return []
    possible = selectors.customer_possible_duplicates(user=request.user, name=name)
    return [] if any(match.same_company for match in possible) else possible


def _customer_form_page(
    request: HttpRequest, form: CustomerForm, save, *, warn_possible_duplicates: bool = False
) -> HttpResponse:
    """Validate, save through `save(fields)`, and on a 撞单 show whose customer it is. A new
    customer is saved only once the rep has seen its possible duplicates, if it has any."""
    duplicate = None
    possible: list[selectors.PossibleDuplicate] = []
    if request.method == "POST" and form.is_valid():
        if warn_possible_duplicates:
            # Any: the form comes back with them and a "Save anyway" button, nothing saved yet.
            possible = _possible_duplicates(request, form.cleaned_data["name"])
        if not possible:
            try:
                customer = save(form.service_fields())
            except services.DuplicateCustomer as error:
                form.add_service_error(error)
                # Link to the existing customer only for those allowed to open it.
                duplicate = Customer.objects.visible_to(request.user).filter(pk=error.existing.pk).first()
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Customer saved."))
                return redirect(_customer_url(customer.pk))
    context = {
        "form": form,
        "duplicate": duplicate,
        "possible_duplicates": possible,
        "confirm_field": CONFIRM_POSSIBLE_DUPLICATES,
    }
    return render(request, "accounts/customer_form.html", context)


def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST if request.method == "POST" else None, user=request.user)
    return _customer_form_page(
        request,
        form,
        lambda fields: services.customer_create(by=request.user, **fields),
        warn_possible_duplicates=True,
    )


def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk, "owner")
    form = CustomerForm(
        request.POST if request.method == "POST" else None, instance=customer, user=request.user
    )
    return _customer_form_page(
        request, form, lambda fields: services.customer_update(customer=customer, by=request.user, **fields)
    )


# --- Contacts --------------------------------------------------------------------------------


def _contact_form_page(request: HttpRequest, customer: Customer, contact: Contact) -> HttpResponse:
    form = ContactForm(
        request.POST if request.method == "POST" else None,
        instance=contact,
        show_profile=services.can_see_personal_profile(request.user, customer),
    )
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_save(contact=form.instance)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect(_customer_url(customer.pk, f"contact-{contact.pk}"))
    return render(request, "accounts/contact_form.html", {"customer": customer, "form": form})


def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk, "owner")
    return _contact_form_page(request, customer, Contact(customer=customer))


def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk, "owner")
    return _contact_form_page(request, customer, get_object_or_404(customer.contacts, pk=contact_pk))


# --- Visits ----------------------------------------------------------------------------------


def visit_pick_customer(request: HttpRequest) -> HttpResponse:
    """Logging a visit from My day: find the customer first, then the customer's visit form."""
    form = CustomerPickForm(request.GET or None)
    search = form.cleaned_data["search"] if form.is_valid() else ""
    customers = selectors.customer_list(user=request.user, filters=selectors.CustomerFilters(search=search))
    page = IdsFirstPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/visit_pick.html", {"form": form, "page": page})


@require_POST
def visit_use_as_site(request: HttpRequest, pk: int) -> HttpResponse:
    """The rep confirms a visit's check-in as the customer's site (设为客户地址)."""
    visit = get_object_or_404(Visit.objects.visible_to(request.user).select_related("customer"), pk=pk)
    if visit.latitude is None or visit.longitude is None:
        messages.error(request, _("This visit has no check-in location."))
    else:
        try:
            services.customer_set_location(
                customer=visit.customer, by=request.user, latitude=visit.latitude, longitude=visit.longitude
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The check-in is now the customer’s site."))
    return HttpResponseRedirect(_next_url(request) or _customer_url(visit.customer_id, f"visit-{visit.pk}"))


def visit_log(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _visible_customer(request, pk)
    form = VisitForm(request.POST if request.method == "POST" else None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_log(customer=customer, by=request.user, **form.service_fields())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Visit logged."))
            return redirect(_customer_url(customer.pk, f"visit-{visit.pk}"))
    return render(request, "accounts/visit_form.html", {"customer": customer, "form": form})
