from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    """Opportunities and how they move through the five development stages."""

    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from accounts.models import Customer
        from audit.registry import Readers, audit_model

        from . import signals
        from .models import Opportunity

        audit_model(
            Opportunity,
            object_type="opportunity",
            readers=Readers.CUSTOMER,
            customer_attname="customer_id",
            owner_attname="owner_id",
        )
        # A customer whose status changes is re-graded at once, whichever door it came through.
        pre_save.connect(signals.status_before_save, sender=Customer, dispatch_uid="pipeline:status_before")
        post_save.connect(signals.regrade_on_status_change, sender=Customer, dispatch_uid="pipeline:regrade")
