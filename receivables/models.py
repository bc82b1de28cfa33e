"""Payment collection 回款 (DOMAIN.md "Payment collection").

A won opportunity becomes a contract with a PaymentPlan: Installments (due date, amount)
that add up exactly to the contract amount. Payments (pushed by the ERP with its reference, or
entered by hand) are applied to the customer's open installments oldest due date first (ties:
lower id first); what is left over is the customer's credit and goes to the next installment
that comes due. PaymentApplication rows are that allocation, rebuilt for the customer on every
write that can change it (`services.allocation_rebuild`), so it never depends on the order in
which plans and payments arrived.

The customer row carries `oldest_open_due_on` (the earliest due date with money still open),
kept current by the same rebuild: overdue and the credit-risk flag (more than 30 days overdue)
follow from it and today's date at request time, so they change as days pass without a job.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, UnderCustomerQuerySet
from audit.models import Audited
from web.text import CleanText

MONEY = {"max_digits": 14, "decimal_places": 2}


class PaymentPlan(CleanText, Audited, models.Model):
    """The contract of a won opportunity and how it is to be paid."""

    opportunity = models.OneToOneField(
        "pipeline.Opportunity", on_delete=models.PROTECT, related_name="payment_plan"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payment_plans")
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    contract_amount = models.DecimalField(
        _("contract amount (CNY)"), validators=[MinValueValidator(0)], **MONEY
    )
    signed_on = models.DateField(_("signed"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_amount__gte=0), name="plan_contract_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.contract_number or f"#{self.pk}"


class Installment(models.Model):
    """One agreed payment of a plan. `applied` is what the allocation put on it."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="installments")
    due_on = models.DateField(_("due"))
    amount = models.DecimalField(_("amount (CNY)"), validators=[MinValueValidator(0)], **MONEY)
    applied = models.DecimalField(_("paid"), default=0, editable=False, **MONEY)
    # The day installment.overdue was emitted for it (receivables.tasks); cleared by that task
    # once nothing is overdue on it any more, so an installment that falls overdue again is
    # announced again.
    overdue_announced_on = models.DateField(null=True, blank=True, editable=False)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
            models.CheckConstraint(
                condition=Q(applied__gte=0) & Q(applied__lte=F("amount")), name="installment_applied_within"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "due_on", "id"], name="installment_customer_due"),
            models.Index(
                fields=["due_on"], condition=Q(applied__lt=F("amount")), name="installment_open_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.due_on}: {self.amount}"

    @property
    def open_amount(self):
        return self.amount - self.applied


class PaymentSource(models.TextChoices):
    ERP = "erp", _("ERP")
    MANUAL = "manual", _("Entered by hand")


class Payment(CleanText, Audited, models.Model):
    """Money received from a customer, keyed by its reference: sending it again changes nothing."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("external reference"), max_length=100, unique=True)
    received_on = models.DateField(_("received"))
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    source = models.CharField(
        _("source"), max_length=10, choices=PaymentSource.choices, default=PaymentSource.MANUAL
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [models.Index(fields=["customer", "received_on", "id"], name="payment_customer_received")]

    def __str__(self) -> str:
        return self.reference


class PaymentApplication(models.Model):
    """How much of a payment went to an installment (the allocation, rebuilt per customer)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="applications")
    installment = models.ForeignKey(Installment, on_delete=models.CASCADE, related_name="applications")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            models.UniqueConstraint(fields=["payment", "installment"], name="application_one_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.installment_id}: {self.amount}"
