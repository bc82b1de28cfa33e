"""The pipeline's REST routes, mounted under /api/v1/ by kam/urls.py."""

from django.urls import path
from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("opportunities", api.OpportunityViewSet, basename="opportunity")
router.register("account-plans", api.AccountPlanViewSet, basename="account-plan")

urlpatterns = [
    path("pipeline/forecast/", api.ForecastView.as_view(), name="pipeline-forecast"),
    *router.urls,
]
