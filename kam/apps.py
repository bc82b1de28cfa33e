from django.apps import AppConfig


class KamConfig(AppConfig):
    """The project itself as an app: settings, root URLs, the Celery app, the project-wide views.
    The demo data and `seed_demo` live in the `demo` app."""

    name = "kam"
    verbose_name = "KAM"
