"""The signed-in user's own settings pages, mounted at the root by kam/urls.py."""

from django.urls import path

from . import views

app_name = "users"

urlpatterns = [
    path("account/api-keys/", views.api_keys, name="api-keys"),
    path("account/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
