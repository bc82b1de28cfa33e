from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    """Opportunities and how they move through the five development stages."""

    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from audit.registry import Readers, audit_model

        from .models import Opportunity

        audit_model(
            Opportunity,
            object_type="opportunity",
            readers=Readers.CUSTOMER,
            customer_attname="customer_id",
            owner_attname="owner_id",
        )
