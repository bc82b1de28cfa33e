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
        from django.shortcuts import get_object_or_404
        from django.template.response import TemplateResponse

        from . import selectors, services

        obj = get_object_or_404(self.model._base_manager, pk=object_id)
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
