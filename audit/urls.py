from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("history/<slug:object_type>/<int:pk>/", views.history_panel, name="history"),
]
