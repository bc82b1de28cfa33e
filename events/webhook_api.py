"""The webhook subscriptions' REST API, for admins only (everyone else: 403)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from web.viewsets import ModelViewSet

from . import services
from .models import Delivery, WebhookSubscription
from .webhook_serializers import (
    DeliverySerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
)


class IsAdmin(permissions.BasePermission):
    """Webhooks send data out of KAM: administrators only."""

    message = _("Only administrators manage webhooks.")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_admin", False))


def deliveries_of(queryset):
    return queryset.select_related("event").prefetch_related("attempt_log").order_by("-created_at", "id")


@extend_schema(tags=["webhooks"])
class WebhookSubscriptionViewSet(ModelViewSet):
    """Outbound webhooks (docs/webhooks.md): signed JSON deliveries, or the 企业微信 / 钉钉 / 飞书
    group bots. The secret of a JSON subscription is in the creation's answer only."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdmin]
    queryset = WebhookSubscription.objects.order_by("name", "id")
    filter_backends = []
    # Any id reaches the view (a malformed one is a 404 after authentication, not before it).
    lookup_value_regex = "[^/]+"

    @extend_schema(responses={201: WebhookSubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_create(**serializer.validated_data, by=request.user)
        return Response(
            WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        services.subscription_update(
            subscription=serializer.instance, by=self.request.user, **serializer.validated_data
        )


@extend_schema(tags=["webhooks"])
class DeliveryListView(generics.ListAPIView):
    """A subscription's delivery log, newest first: status, response code, duration, attempts."""

    serializer_class = DeliverySerializer
    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a request
            return Delivery.objects.none()
        subscription = get_object_or_404(WebhookSubscription, pk=self.kwargs["pk"])
        return deliveries_of(subscription.deliveries.all())


@extend_schema(tags=["webhooks"])
class DeliveryReplayView(APIView):
    """Send a delivery again now (one more attempt; its retries continue if any are left)."""

    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    @extend_schema(
        request=None,
        responses={200: DeliverySerializer, 404: OpenApiResponse(description="No such delivery.")},
        summary="Replay a delivery",
    )
    def post(self, request, pk):
        delivery = get_object_or_404(Delivery, pk=pk)
        services.delivery_replay(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(deliveries_of(Delivery.objects.filter(pk=pk)).get()).data)
