from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events for other systems and people: the outbox, webhook subscriptions and their deliveries."""

    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from audit.registry import Readers, audit_model

        from . import notification_tasks  # noqa: F401 - registers the digest's Celery task
        from .dispatch import register_fanout
        from .models import WebhookSubscription
        from .notifications import notifications_from_events

        # People's notifications come from the same events, in the dispatch's transaction.
        register_fanout(notifications_from_events)

        # Who pointed KAM at which address, and who switched it on or off (the secret never).
        audit_model(
            WebhookSubscription,
            object_type="webhook",
            readers=Readers.ADMINS,
            exclude={"secret", "consecutive_failures", "updated_at"},
        )
