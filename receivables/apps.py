from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    """Payment collection 回款: what a won deal is to bring in, what came in, and what is late."""

    name = "receivables"
    verbose_name = _("Payment collection")

    def ready(self) -> None:
        from audit.registry import Readers, audit_model

        from .models import Payment, PaymentPlan

        audit_model(
            PaymentPlan, object_type="paymentplan", readers=Readers.CUSTOMER, customer_attname="customer_id"
        )
        audit_model(Payment, object_type="payment", readers=Readers.CUSTOMER, customer_attname="customer_id")
