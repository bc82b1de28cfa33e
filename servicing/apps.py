from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    """Serving each class differently (区别对待): service levels per tier, coverage, account reviews."""

    name = "servicing"
    verbose_name = _("Servicing")

    def ready(self) -> None:
        from audit.registry import Readers, audit_model

        from .models import AccountReview, ServicePolicy

        audit_model(ServicePolicy, object_type="servicepolicy", readers=Readers.MANAGERS)
        audit_model(
            AccountReview,
            object_type="accountreview",
            readers=Readers.CUSTOMER,
            customer_attname="customer_id",
        )
