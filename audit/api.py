"""`GET /api/v1/audit/`: the audit trail, read-only, for managers and admins."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from . import selectors
from .filters import AuditEventFilter
from .serializers import AuditEventSerializer


class CanReadAudit(permissions.BasePermission):
    message = "Only managers and admins can read the audit trail."

    def has_permission(self, request, view) -> bool:
        return selectors.can_read_audit(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Audit trail",
        description="Who changed what (old → new), when and from where (page, api, admin, import, job, "
        "command). Filter one record with `?object=customer:12`, or everything under a customer with "
        "`?customer=12`. Managers see their customers' rows and the scoring model's; admins see all.",
    ),
    retrieve=extend_schema(summary="One audit event"),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, CanReadAudit]
    filterset_class = AuditEventFilter
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        return selectors.events_visible_to(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.mask_personal(page, self.request.user) if page is not None else None

    def get_object(self):
        event = super().get_object()
        selectors.mask_personal([event], self.request.user)
        return event
