from django.apps import AppConfig


class KamConfig(AppConfig):
    """The project itself as an app: it holds commands that span every app, such as seed_demo."""

    name = "kam"
    verbose_name = "KAM"
