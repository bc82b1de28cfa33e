"""Serving each class differently (DOMAIN.md "Serving each class differently"; seed 004 区别对待,
seed 000 定期评估).

A ServicePolicy per tier says how often an account of that tier is to be visited, met at the
executive level (高层拜访) and reviewed (大客户定期评估); an empty cadence means "not required".
Coverage is computed at request time from these, the customer's tier, its visits and its
reviews (`servicing.selectors`). An AccountReview is the periodic review of one customer;
its agreed actions have an owner and a due date and land on that person's My day.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, Tier, UnderCustomerQuerySet, rating_constraint, rating_field
from audit.models import Audited
from web.text import CleanText

CADENCE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(3650)]

# DOMAIN.md's product defaults: days between visits, executive meetings and account reviews
# (None = not required). A customer with no tier yet follows lead.
DEFAULT_POLICIES = {
    Tier.PLATINUM: (14, 90, 90),
    Tier.GOLD: (30, 180, 180),
    Tier.IRON: (60, None, 365),
    Tier.LEAD: (90, None, None),
}


def cadence_field(verbose_name):
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=CADENCE_VALIDATORS,
        help_text=_("Empty: not required."),
    )


class ServicePolicy(Audited, models.Model):
    """How often an account of one tier is to be seen. One row per tier."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, unique=True)
    visit_days = cadence_field(_("visit every (days)"))
    executive_days = cadence_field(_("executive meeting every (days)"))
    review_days = cadence_field(_("account review every (days)"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(visit_days__isnull=True) | Q(visit_days__gte=1), name="policy_visit_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(executive_days__isnull=True) | Q(executive_days__gte=1),
                name="policy_executive_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(review_days__isnull=True) | Q(review_days__gte=1),
                name="policy_review_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_tier_display())


class AccountReview(CleanText, Audited, models.Model):
    """A periodic review of one key account (大客户定期评估) for a period it covers."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="account_reviews")
    reviewed_on = models.DateField(_("review date"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    potential = models.TextField(_("potential"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    relationship_health = rating_field(_("relationship health"))
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("account review")
        verbose_name_plural = _("account reviews")
        ordering = ["-reviewed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="review_period_order"
            ),
            rating_constraint("relationship_health", "review"),
        ]
        indexes = [models.Index(fields=["customer", "-reviewed_on"], name="review_customer_date")]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.reviewed_on}"

    def clean(self):
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})


class ReviewAction(CleanText, models.Model):
    """An action agreed in a review, with its owner and due date: on the owner's My day until done."""

    review = models.ForeignKey(AccountReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_actions",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["owner", "due_on"], condition=Q(done_at__isnull=True), name="review_action_open_due"
            )
        ]

    def __str__(self) -> str:
        return self.description
