"""API of the signed-in user's own notifications: list, read one, mark read, mark all read, and
the daily digest's switch. Nobody sees anyone else's notifications (another's id is a 404)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import notifications as service
from .models import Notification
from .notification_serializers import (
    NotificationSerializer,
    NotificationSettingsSerializer,
    ReadAllSerializer,
)


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first."""

    lookup_value_regex = "[^/]+"  # a malformed id: 401/404 after authentication, not a routing 404

    serializer_class = NotificationSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return Notification.objects.none()
        return service.notifications_of(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="Mark one read")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None, format=None):
        notification = service.mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: ReadAllSerializer}, summary="Mark all read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request, format=None):
        return Response({"marked": service.mark_all_read(user=request.user)})

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: NotificationSettingsSerializer},
        summary="Digest switch",
    )
    @extend_schema(
        methods=["PATCH"],
        request=NotificationSettingsSerializer,
        responses={200: NotificationSettingsSerializer},
        summary="Switch the daily digest e-mail on or off",
    )
    @action(
        detail=False,
        methods=["get", "patch"],
        url_path="settings",
        url_name="settings",
        serializer_class=NotificationSettingsSerializer,
    )
    def digest_settings(self, request, format=None):
        user = request.user
        if request.method == "PATCH":
            serializer = NotificationSettingsSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            if "digest_enabled" in serializer.validated_data:
                service.set_digest(user=user, enabled=serializer.validated_data["digest_enabled"])
        return Response({"digest_enabled": user.digest_enabled, "unread": service.unread_count(user=user)})
