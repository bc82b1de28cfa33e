"""Login throttling with django-axes: whose address a login comes from (`client_ip`) and what
a locked-out attempt gets back (`lockout_response`)."""

import math

from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .paths import is_api_request


def lockout_message(minutes: int) -> str:
    return _(
        "Too many failed login attempts. This login is locked for %(minutes)d minutes; "
        "try again later or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The same answer whether or not the username exists: a 429 with a clear message.

    API clients get JSON with Retry-After; people get the login page with the message.
    """
    from django.conf import settings

    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = lockout_message(math.ceil(seconds / 60))
    if is_api_request(request):
        response = JsonResponse({"detail": message}, status=429)
    else:
        # The admin login too: the same page, so the answer never depends on the door used.
        context = {"form": AuthenticationForm(request), "lockout_message": message}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address by the API's own rule (DRF's throttle identity, KAM_NUM_PROXIES):
    with no proxies the connecting address, never a header a client can forge; behind N
    proxies the address the outermost of them appended to X-Forwarded-For."""
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)
