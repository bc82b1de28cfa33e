from django.contrib import admin
from django.utils.translation import gettext as _

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the product, never edited through it."""

    list_display = ["at", "actor_name", "source", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["source", "action", "object_type"]
    search_fields = ["object_repr", "actor_name", "origin"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditHistoryMixin:
    """The admin's "History" button shows the product's audit trail for the record (every
    change from pages, the API, imports, jobs and commands), not only the admin's own log."""

    def history_view(self, request, object_id, extra_context=None):
        from django.contrib.admin.utils import unquote
        from django.core.exceptions import PermissionDenied
        from django.http import Http404
        from django.template.response import TemplateResponse

        from . import selectors, services

        obj = self.get_object(request, unquote(object_id))  # None for a malformed or unknown id
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        spec = services.spec_for(self.model)
        events = AuditEvent.objects.filter(object_type=spec.object_type, object_id=obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(object)s") % {"object": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "rows": selectors.history(viewer=request.user, events=events, limit=500),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit_history.html", context)
