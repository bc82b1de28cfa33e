"""Scoring pages: the model with a live preview, runs with a progress bar, a customer's history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Customer

from . import selectors, services
from .forms import RunForm, ScoringModelForm


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


@require_GET
def customer_history_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """HTML panel for the customer page: score, tier and ABC class in each run."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    history = selectors.customer_score_history(customer=customer, limit=24)
    return render(request, "scoring/customer_history_panel.html", {"customer": customer, "history": history})
