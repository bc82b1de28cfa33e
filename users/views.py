"""The signed-in user's own API keys page: list them, create one (its full key shown on that
answer only) and revoke one. Admins manage everyone's keys in the admin and over the API."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApiKeyForm
from .models import ApiKey


def api_keys(request: HttpRequest) -> HttpResponse:
    """GET: the list and an empty form. POST: create, then the same page with the new key,
    shown this once (never stored, never redirected with: it would sit in the session)."""
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, key = services.api_key_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
                by=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            created.key = key
            form = ApiKeyForm()
    context = {
        "form": form,
        "created": created,
        "keys": selectors.api_keys_of(user=request.user, now=timezone.now()),
    }
    status = 400 if form.errors else 200
    response = render(request, "users/api_keys.html", context, status=status)
    if created is not None:
        response["Cache-Control"] = "no-store"  # the page holds the key: no copy in any cache
    return response


@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey.objects.visible_to(request.user), pk=pk)
    services.api_key_revoke(api_key=api_key, by=request.user)
    messages.success(request, _("The API key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("users:api-keys")
