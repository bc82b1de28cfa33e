"""Account-review pages (大客户定期评估): the panel on the customer page, a review's page, its
form with the agreed actions, deleting a review and ticking off an action.

Every customer is found through `Customer.objects.visible_to(request.user)` and every review
through `AccountReview.objects.visible_to(request.user)`, so another rep's review is a 404 here
as everywhere. Whoever sees the customer may write its reviews (as they may edit the customer);
deleting one needs its author or whoever manages the customer. Writes go through
servicing.services.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Customer

from . import selectors, services
from .models import AccountReview, ReviewAction
from .review_forms import ActionFormSet, ReviewForm, action_owner_choices


def _visible_customer(request: HttpRequest, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)


def _visible_review(request: HttpRequest, pk: int, *, figures: bool = False) -> AccountReview:
    reviews = AccountReview.objects.visible_to(request.user).select_related("customer", "created_by")
    if figures:
        reviews = selectors.reviews_with_figures(reviews)
    return get_object_or_404(reviews, pk=pk)


def _customer_reviews_url(customer_id: int) -> str:
    return reverse("accounts:customer-detail", args=[customer_id]) + "#account-reviews"


# --- Reading ---------------------------------------------------------------------------------


def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """HTML fragment for the customer page: the customer's reviews with their period's sales,
    relationship health and open actions. Two queries after the customer, whatever the numbers."""
    customer = _visible_customer(request, customer_id)
    context = {
        "customer": customer,
        "reviews": selectors.customer_reviews(customer=customer),
        "today": timezone.localdate(),
    }
    return render(request, "servicing/reviews/customer_panel.html", context)


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _visible_review(request, pk, figures=True)
    detail = selectors.review_detail(review=review)
    context = {
        "review": review,
        "customer": review.customer,
        "actions": detail.actions,
        "plans": detail.plans,
        "can_delete": services.can_delete_review(request.user, review),
        "today": timezone.localdate(),
    }
    return render(request, "servicing/reviews/review_detail.html", context)


# --- Writing ---------------------------------------------------------------------------------


def _review_form_page(
    request: HttpRequest,
    *,
    customer: Customer,
    review: AccountReview,
    actions: list[dict],
    initial: dict | None = None,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    owners = action_owner_choices(customer=customer, current=[row["owner"] for row in actions])
    form = ReviewForm(data, instance=review, initial=initial)
    action_forms = ActionFormSet(data, initial=actions, prefix="actions", form_kwargs={"owners": owners})
    # Every part is validated (and shows its errors) before anything is written.
    if data is not None and all([form.is_valid(), action_forms.is_valid()]):
        rows = action_forms.service_rows()
        try:
            if review.pk is None:
                review = services.review_create(
                    customer=customer, by=request.user, actions=rows, **form.service_fields()
                )
            else:
                review = services.review_update(
                    review=review, by=request.user, actions=rows, **form.service_fields()
                )
        except services.ActionRowsInvalid as error:
            for row_form, errors in zip(action_forms.kept_forms(), error.rows, strict=True):
                for field, field_errors in errors.items():
                    row_form.add_error(
                        field if field in ("description", "owner", "due_on") else None, field_errors
                    )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Account review saved."))
            return redirect("reviews:review-detail", review.pk)
    context = {"customer": customer, "form": form, "action_forms": action_forms, "review": review}
    return render(request, "servicing/reviews/review_form.html", context)


def review_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _visible_customer(request, customer_id)
    today = timezone.localdate()
    # By default the period since the last review, or the last three months.
    last = AccountReview.objects.filter(customer=customer).order_by("-period_end").first()
    start = last.period_end + timedelta(days=1) if last and last.period_end < today else None
    if start is None:
        month = today.month - 3
        start = today.replace(year=today.year + (month - 1) // 12, month=(month - 1) % 12 + 1, day=1)
    return _review_form_page(
        request,
        customer=customer,
        review=AccountReview(customer=customer),
        actions=[],
        initial={"reviewed_on": today, "period_start": start, "period_end": today},
    )


def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _visible_review(request, pk)
    actions = list(
        review.actions.order_by("done_at", "due_on", "id").values(
            "id", "description", "owner", "due_on", "done_at"
        )
    )
    return _review_form_page(request, customer=review.customer, review=review, actions=actions)


@require_POST
def review_delete(request: HttpRequest, pk: int) -> HttpResponse:
    review = _visible_review(request, pk)
    if not services.can_delete_review(request.user, review):
        raise PermissionDenied(
            _("Only the review's author, the customer's owner, their manager or an admin can delete it.")
        )
    services.review_delete(review=review, by=request.user)
    messages.success(request, _("Account review deleted."))
    return redirect(_customer_reviews_url(review.customer_id))


@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick off an agreed action; back to where the button was (My day, the review)."""
    action = get_object_or_404(
        ReviewAction.objects.filter(review__customer__in=Customer.objects.visible_to(request.user)), pk=pk
    )
    services.review_action_done(action=action, by=request.user)
    messages.success(request, _("Action marked done."))
    url = request.POST.get("next")
    if not (
        url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    ):
        url = reverse("reviews:review-detail", args=[action.review_id]) + f"#action-{action.pk}"
    return HttpResponseRedirect(url)
