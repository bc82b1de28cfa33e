"""Webhooks' REST routes, mounted under /api/v1/ by kam/urls.py."""

from django.urls import path
from rest_framework import routers

from . import webhook_api as api

router = routers.SimpleRouter()
router.register("webhooks", api.WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = [
    path("webhooks/<str:pk>/deliveries/", api.DeliveryListView.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/deliveries/<str:pk>/replay/",
        api.DeliveryReplayView.as_view(),
        name="webhook-delivery-replay",
    ),
    *router.urls,
]
