"""Pipeline pages: the board, the list, opportunities, the forecast, the customer-page panel."""

from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("pipeline/", views.board, name="board"),
    path("pipeline/list/", views.opportunity_list, name="list"),
    path("pipeline/forecast/", views.forecast, name="forecast"),
    path("pipeline/opportunities/<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("pipeline/opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("pipeline/opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity-move"),
    path("pipeline/opportunities/<int:pk>/gate/", views.gate_check, name="gate-check"),
    path("pipeline/customers/<int:customer_pk>/panel/", views.customer_panel, name="customer-panel"),
    path(
        "customers/<int:customer_pk>/opportunities/new/", views.opportunity_create, name="opportunity-create"
    ),
]
