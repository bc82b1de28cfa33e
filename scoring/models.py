"""How every account is scored, classified and tiered, run after run.

ScoringModel holds every number of DOMAIN.md "Scoring and tiering" (saving makes a new
version; exactly one is active). A ScoringRun scores the whole population at an as-of date
with one model version and keeps a ScoreSnapshot per customer and a TierChange for every
customer whose tier moved.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AbcClass, Customer, Tier
from audit.models import Audited
from web.text import CleanText

from .engine import Parameters

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
NON_NEGATIVE = [MinValueValidator(Decimal(0))]


def percent_field(verbose_name, default):
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, default=Decimal(default), validators=PERCENT
    )


def weight_field(verbose_name, default):
    return models.DecimalField(
        verbose_name,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
    )


def money_field(verbose_name, default):
    return models.DecimalField(
        verbose_name, max_digits=16, decimal_places=2, default=Decimal(default), validators=NON_NEGATIVE
    )


class ScoringModel(CleanText, Audited, models.Model):
    """One version of the scoring model's settings. Never edited in place: saving adds a version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # Composite score 综合积分法: weights of the dimension scores (0 leaves a dimension out).
    weight_sales = weight_field(_("weight: sales"), 40)
    weight_potential = weight_field(_("weight: potential"), 30)
    weight_demonstration = weight_field(_("weight: demonstration effect"), 15)
    weight_winnability = weight_field(_("weight: winnability"), 15)
    weight_frequency = weight_field(_("weight: order frequency"), 0)
    weight_margin = weight_field(_("weight: margin"), 0)
    weight_growth = weight_field(_("weight: growth"), 0)
    weight_fit = weight_field(_("weight: fit score (experience method)"), 0)
    # Experience method 经历推算法: fit score = weighted mean of industry fit and customer fit.
    fit_industry_weight = weight_field(_("fit score: weight of industry fit"), 50)
    fit_customer_weight = weight_field(_("fit score: weight of customer fit"), 50)

    key_account_share = percent_field(_("key accounts: top % by score"), 20)
    abc_a_share = percent_field(_("ABC: A while revenue above is below %"), 80)
    abc_b_share = percent_field(_("ABC: B while revenue above is below %"), 95)
    tier_platinum_share = percent_field(_("platinum: top %"), 5)
    tier_gold_share = percent_field(_("gold: up to top %"), 20)
    tier_iron_share = percent_field(_("iron: up to top %"), 50)
    size_medium_from = money_field(_("size: medium from (CNY)"), 100_000)
    size_large_from = money_field(_("size: large from (CNY)"), 1_000_000)
    size_vip_from = money_field(_("size: VIP from (CNY)"), 5_000_000)
    value_top_share = percent_field(_("value class: top % by margin / growth"), 20)
    quadrant_value_rank = percent_field(_("matrix: high value from sales percent rank"), 50)
    quadrant_potential_from = models.PositiveSmallIntegerField(
        _("matrix: high potential from rating"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    lifecycle_growth_ratio = models.DecimalField(
        _("lifecycle: growth from sales ratio"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.20"),
        validators=[MinValueValidator(Decimal("1.00"))],
    )
    lifecycle_decline_ratio = models.DecimalField(
        _("lifecycle: decline below sales ratio"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("1.00"))],
    )
    churn_no_visit_days = models.PositiveSmallIntegerField(
        _("churn risk: key account not visited for days"), default=90, validators=[MinValueValidator(1)]
    )
    concentration_top1_limit = percent_field(_("warn when the largest customer's share exceeds %"), 20)
    concentration_top10_limit = percent_field(_("warn when the top 10 customers' share exceeds %"), 50)
    concentration_hhi_limit = models.DecimalField(
        _("warn when the HHI exceeds"),
        max_digits=7,
        decimal_places=2,
        default=Decimal(1500),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10_000))],
    )

    WEIGHT_FIELDS = {
        "sales": "weight_sales",
        "potential": "weight_potential",
        "demonstration": "weight_demonstration",
        "winnability": "weight_winnability",
        "frequency": "weight_frequency",
        "margin": "weight_margin",
        "growth": "weight_growth",
        "fit": "weight_fit",
    }
    # The engine's Parameters fields that map one to one onto columns.
    PARAMETER_FIELDS = (
        "key_account_share",
        "abc_a_share",
        "abc_b_share",
        "tier_platinum_share",
        "tier_gold_share",
        "tier_iron_share",
        "size_medium_from",
        "size_large_from",
        "size_vip_from",
        "value_top_share",
        "quadrant_value_rank",
        "quadrant_potential_from",
        "lifecycle_growth_ratio",
        "lifecycle_decline_ratio",
        "churn_no_visit_days",
        "fit_industry_weight",
        "fit_customer_weight",
    )
    SETTING_FIELDS = (
        *WEIGHT_FIELDS.values(),
        *PARAMETER_FIELDS,
        "concentration_top1_limit",
        "concentration_top10_limit",
        "concentration_hhi_limit",
    )

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="scoring_one_active_model"
            ),
            models.CheckConstraint(
                condition=Q(tier_platinum_share__lte=models.F("tier_gold_share"))
                & Q(tier_gold_share__lte=models.F("tier_iron_share")),
                name="scoring_tier_shares_rise",
            ),
            models.CheckConstraint(
                condition=Q(abc_a_share__lte=models.F("abc_b_share")), name="scoring_abc_shares_rise"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def clean(self):
        errors = {}
        if sum(getattr(self, f) or 0 for f in self.WEIGHT_FIELDS.values()) <= 0:
            errors["weight_sales"] = _("At least one weight must be above zero.")
        if (self.fit_industry_weight or 0) + (self.fit_customer_weight or 0) <= 0:
            errors["fit_customer_weight"] = _("Industry fit and customer fit cannot both weigh zero.")
        if None not in (self.tier_platinum_share, self.tier_gold_share, self.tier_iron_share) and not (
            self.tier_platinum_share <= self.tier_gold_share <= self.tier_iron_share
        ):
            errors["tier_gold_share"] = _("Tier shares must rise: platinum ≤ gold ≤ iron.")
        if None not in (self.abc_a_share, self.abc_b_share) and self.abc_a_share > self.abc_b_share:
            errors["abc_b_share"] = _("The B share must be at least the A share.")
        if None not in (self.size_medium_from, self.size_large_from, self.size_vip_from) and not (
            self.size_medium_from <= self.size_large_from <= self.size_vip_from
        ):
            errors["size_large_from"] = _("Size thresholds must rise: medium ≤ large ≤ VIP.")
        if (
            None not in (self.lifecycle_decline_ratio, self.lifecycle_growth_ratio)
            and self.lifecycle_decline_ratio > self.lifecycle_growth_ratio
        ):
            errors["lifecycle_decline_ratio"] = _("The decline ratio must not exceed the growth ratio.")
        if errors:
            raise ValidationError(errors)
        try:
            self.to_parameters()
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def to_parameters(self) -> Parameters:
        weights = {
            dim: getattr(self, field) for dim, field in self.WEIGHT_FIELDS.items() if getattr(self, field)
        }
        return Parameters(weights=weights, **{name: getattr(self, name) for name in self.PARAMETER_FIELDS})


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ScoringRun(models.Model):
    """One scoring of the whole population. Its results become visible all at once."""

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # True while queued or running, NULL afterwards: the unique constraint allows one at a time.
    in_flight = models.BooleanField(null=True, default=True, editable=False)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model version"), on_delete=models.PROTECT, related_name="runs"
    )
    as_of = models.DateField(_("as of"))
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    tier_changes = models.PositiveIntegerField(_("tier changes"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trigger = models.CharField(_("started from"), max_length=20, default="api")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # When its snapshots were dropped by the history rule (scoring/history.py); its tier changes stay.
    history_pruned_at = models.DateTimeField(_("history pruned"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["in_flight"], name="scoring_one_run_in_flight"),
            models.CheckConstraint(
                condition=(Q(status__in=["queued", "running"]) & Q(in_flight=True))
                | (Q(status__in=["succeeded", "failed"]) & Q(in_flight__isnull=True)),
                name="scoring_in_flight_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "-finished_at"], name="scoring_run_status_finished")]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


class ScoreSnapshot(models.Model):
    """A customer's results in one run: the history behind trends and tier movements.

    On PostgreSQL the table is partitioned by run (LIST on run_id, migration 0003): a run
    writes its snapshots into a table of their own and attaches it (scoring/history.py), and
    pruning old runs drops their tables instead of deleting rows. Its keys on the customer and
    the run are Django's (on_delete cascades through the ORM), not the database's, so a run's
    million rows are not checked one by one; the unique (customer, run) index serves a
    customer's history and the (run, tier) index a run's trend.
    """

    run = models.ForeignKey(
        ScoringRun, on_delete=models.CASCADE, related_name="snapshots", db_constraint=False, db_index=False
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="score_snapshots",
        db_constraint=False,
        db_index=False,
    )
    score = models.DecimalField(max_digits=5, decimal_places=2)
    fit_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    rank = models.PositiveIntegerField()
    tier = models.CharField(max_length=10, choices=Tier.choices)
    abc_class = models.CharField(max_length=1, choices=AbcClass.choices)
    is_key_account = models.BooleanField()
    sales_12m = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")
        constraints = [
            models.UniqueConstraint(fields=["customer", "run"], name="snapshot_one_per_customer_run")
        ]
        indexes = [models.Index(fields=["run", "tier"], name="snapshot_run_tier")]

    def __str__(self) -> str:
        return f"{self.customer_id} @ run {self.run_id}: {self.score}"


class TierChange(models.Model):
    """A customer's tier moved in a run (动态评估)."""

    class Direction(models.TextChoices):
        UPGRADE = "upgrade", _("Upgrade")
        DOWNGRADE = "downgrade", _("Downgrade")

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="tier_change_events")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(max_length=10, choices=Tier.choices)
    to_tier = models.CharField(max_length=10, choices=Tier.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-run_id", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="tier_change_one_per_customer_run")
        ]
        indexes = [models.Index(fields=["customer", "-run"], name="tier_change_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier} → {self.to_tier}"
