"""The notifications pages, mounted at the root by kam/urls.py."""

from django.urls import path

from . import notification_views as views

app_name = "events"

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
    path("notifications/digest/", views.digest_setting, name="notifications-digest"),
]
