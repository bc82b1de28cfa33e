"""Scoring's REST routes, mounted under /api/v1/ by kam/urls.py."""

from django.urls import path
from rest_framework import routers

from . import api

router = routers.SimpleRouter()
router.register("scoring/runs", api.ScoringRunViewSet, basename="scoring-run")

urlpatterns = [
    path("scoring/model/", api.ScoringModelView.as_view(), name="scoring-model"),
    path("scoring/model/preview/", api.ScoringPreviewView.as_view(), name="scoring-model-preview"),
    path("scoring/summary/", api.ScoringSummaryView.as_view(), name="scoring-summary"),
    path("dashboard/coverage/", api.DashboardCoverageView.as_view(), name="dashboard-coverage"),
    path("dashboard/aging/", api.DashboardAgingView.as_view(), name="dashboard-aging"),
    path("dashboard/<str:name>/", api.DashboardView.as_view(), name="dashboard"),
    path("customers/<int:pk>/score-history/", api.ScoreHistoryView.as_view(), name="customer-score-history"),
    *router.urls,
]
