from django.apps import AppConfig


class KamConfig(AppConfig):
    """The project itself as an app: settings, root URLs, the Celery app, the project-wide views.
    The demo data and `seed_demo` live in the `demo` app."""

    name = "kam"
    verbose_name = "KAM"

    def ready(self) -> None:
        from accounts.models import Tier
        from events.notifications import register_labels
        from pipeline.models import Stage

        # Notifications show tiers and stages with their labels, in the reader's language.
        register_labels(tier=Tier, stage=Stage)
