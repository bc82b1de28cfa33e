"""Root URLs: pages, the admin, the REST API under /api/v1/ and its docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import routers

from accounts.api import (
    ContactViewSet,
    CustomerViewSet,
    FitCriterionViewSet,
    IndustryFitViewSet,
    TransactionViewSet,
    VisitViewSet,
)
from events.notification_api import NotificationViewSet
from users.api import ApiKeyViewSet, MeView, TeamViewSet, TokenView

from . import views

router = routers.DefaultRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("visits", VisitViewSet, basename="visit")
router.register("transactions", TransactionViewSet, basename="transaction")
router.register("industry-fits", IndustryFitViewSet, basename="industry-fit")
router.register("fit-criteria", FitCriterionViewSet, basename="fit-criterion")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("notifications", NotificationViewSet, basename="notification")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("", include("scoring.api_urls")),
    path("", include("pipeline.api_urls")),
    path("", include("servicing.review_api_urls")),
    path("", include("servicing.api_urls")),
    path("", include("receivables.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("events.webhook_api_urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("my-day/", views.my_day, name="my-day"),  # also `/` for reps (views.home)
    path("", include("accounts.urls")),
    path("", include("accounts.io_urls")),
    path("", include("accounts.fit_urls")),
    path("", include("scoring.urls")),
    path("", include("pipeline.plan_urls")),
    path("", include("pipeline.urls")),
    path("", include("servicing.review_urls")),
    path("", include("servicing.urls")),
    path("", include("receivables.urls")),
    path("", include("audit.urls")),
    path("", include("users.urls")),
    path("", include("events.notification_urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Pages for people: GET and HEAD only (DRF's OPTIONS would render them without a template).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-redoc",
    ),
]

handler404 = "kam.views.handler404"
handler500 = "kam.views.handler500"
