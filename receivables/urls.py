"""Payment-collection pages, mounted at the root by kam/urls.py."""

from django.urls import path

from . import views

app_name = "receivables"

urlpatterns = [
    path("receivables/customers/<int:customer_id>/panel/", views.customer_panel, name="customer-panel"),
    path("receivables/opportunities/<int:pk>/panel/", views.opportunity_panel, name="opportunity-panel"),
    path("receivables/opportunities/<int:pk>/plan/", views.plan_form, name="plan-form"),
    path("receivables/plans/<int:pk>/delete/", views.plan_delete, name="plan-delete"),
    path("receivables/payments/new/", views.payment_create, name="payment-create"),
    path("receivables/payments/<int:pk>/edit/", views.payment_edit, name="payment-edit"),
    path("receivables/payments/<int:pk>/delete/", views.payment_delete, name="payment-delete"),
]
