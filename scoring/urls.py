from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("scoring/", views.scoring_home, name="home"),
    path("scoring/runs/", views.run_start, name="run-start"),
    path("scoring/customers/<int:pk>/history/", views.customer_history_panel, name="customer-history"),
]
