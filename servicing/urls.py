"""Service-level pages, mounted at the root by kam/urls.py."""

from django.urls import path

from . import views

app_name = "servicing"

urlpatterns = [
    path("service-levels/", views.policies, name="policies"),
    path("service-levels/customers/<int:customer_id>/panel/", views.customer_panel, name="customer-panel"),
]
