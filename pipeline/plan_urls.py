"""Account-plan pages (联合生意计划), mounted at the root by kam/urls.py."""

from django.urls import path

from . import plan_views

app_name = "plans"

urlpatterns = [
    path("plans/customers/<int:customer_id>/panel/", plan_views.customer_panel, name="customer-panel"),
    path("customers/<int:customer_id>/plans/new/", plan_views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/advance/", plan_views.plan_advance, name="plan-advance"),
]
