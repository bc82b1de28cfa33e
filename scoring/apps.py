from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    """How every account is scored, classified and tiered, run after run."""

    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from audit.registry import Readers, audit_model
        from events.dispatch import register_fanout

        from .events import announce_tier_changes
        from .models import ScoringModel

        # Each moved customer's customer.tier_changed, written when the run's end is dispatched.
        register_fanout(announce_tier_changes)

        audit_model(ScoringModel, object_type="scoringmodel", readers=Readers.MANAGERS, versioned=True)
