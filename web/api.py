"""API conventions shared by every app: pagination and the JSON error format."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from rest_framework import exceptions, pagination, status
from rest_framework.views import exception_handler as drf_exception_handler

from .paging import IdsFirstPaginator

# Django's own messages that its Chinese catalogue gets wrong, translated again in ours (which
# comes first): ProhibitNullCharactersValidator's reads "empty strings are not allowed".
RETRANSLATED = (gettext_noop("Null characters are not allowed."),)

logger = logging.getLogger(__name__)


class PageNumberPagination(pagination.PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page_size=` up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200


class IdsFirstPagination(PageNumberPagination):
    """The same pages, each read as its ids first (web.paging.IdsFirstPaginator): for lists of
    wide, joined rows."""

    django_paginator_class = IdsFirstPaginator


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "This conflicts with a change saved at the same moment; reload and try again."
    )
    default_code = "conflict"


def throttled_message(seconds: int | None) -> str:
    if seconds is None:
        return _("Too many requests. Try again later.")
    return ngettext(
        "Too many requests. Try again in %(seconds)d second.",
        "Too many requests. Try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


def exception_handler(exc, context):
    """DRF's handler, plus model validation errors from services as field-keyed 400s.

    A service calls `full_clean()` before it writes; its ValidationError becomes
    `{"field": ["message", ...]}` just like a serializer's, so clients parse one shape.
    A body too large is a 413 and a write the database refuses a 409, both `{"detail": "…"}`.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE: JSON like every other API error, not Django's HTML 400.
        exc = PayloadTooLarge()
    elif isinstance(exc, IntegrityError):
        # Services validate before they write, so a constraint the database still refuses means a
        # concurrent write won the race (or a check was missed: logged, to be fixed there).
        logger.warning("API write refused by a database constraint", exc_info=exc)
        exc = Conflict()
    elif isinstance(exc, exceptions.Throttled):
        # DRF's own message mixes a translated and an untranslated sentence; say it in one.
        # `wait` stays, and DRF's handler turns it into the Retry-After header.
        wait = exc.wait
        exc = exceptions.Throttled(detail=throttled_message(wait))
        exc.wait = wait
    return drf_exception_handler(exc, context)
