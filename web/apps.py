from django.apps import AppConfig


class WebConfig(AppConfig):
    """Installed only so that the toolkit's template filters (`{% load money %}`) are found."""

    name = "web"
    verbose_name = "KAM toolkit"
