"""Payment collection's REST routes, mounted under /api/v1/ by kam/urls.py."""

from django.urls import path
from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("payment-plans", api.PaymentPlanViewSet, basename="payment-plan")
router.register("payments", api.PaymentViewSet, basename="payment")

urlpatterns = [
    path(
        "customers/<int:pk>/receivables/", api.CustomerReceivablesView.as_view(), name="customer-receivables"
    ),
    *router.urls,
]
