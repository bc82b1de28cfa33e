from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events for other systems and people: the outbox, webhook subscriptions and their deliveries."""

    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from . import notification_tasks  # noqa: F401 - registers the digest's Celery task
        from .dispatch import register_fanout
        from .notifications import notifications_from_events

        # People's notifications come from the same events, in the dispatch's transaction.
        register_fanout(notifications_from_events)
