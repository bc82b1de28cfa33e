"""The history panel each record's page loads (managers and admins only)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import selectors, services
from .models import AuditEvent
from .registry import get_customer_scope
from .services import Readers


@require_safe
def history_panel(request: HttpRequest, object_type: str, pk: int) -> HttpResponse:
    """A customer's history covers its contacts and opportunities too; a scoring model's covers
    every version; anything else is the record's own rows."""
    if not selectors.can_read_audit(request.user):
        raise PermissionDenied(_("Only managers and admins can see the history."))
    model = services.model_for(object_type)
    if model is None:
        raise Http404
    spec = services.spec_for(model)
    if spec.readers == Readers.CUSTOMER:
        visible = get_customer_scope().visible(request.user).values("pk")
        get_object_or_404(model._base_manager.filter(**{f"{spec.customer_attname}__in": visible}), pk=pk)
    elif spec.readers == Readers.ADMINS and not request.user.is_staff:
        raise PermissionDenied(_("Only admins can see the history of users and teams."))
    if spec.customer_attname == "id":  # the customer itself: everything under it too
        events = AuditEvent.objects.filter(customer_id=pk)
    elif spec.versioned:  # every version of the one thing
        events = AuditEvent.objects.filter(object_type=object_type)
    else:
        events = AuditEvent.objects.filter(object_type=object_type, object_id=pk)
    rows = selectors.history(viewer=request.user, events=events, limit=100)
    return render(request, "audit/history_panel.html", {"rows": rows, "object_type": object_type, "pk": pk})
