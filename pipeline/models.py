"""Opportunities and how they move through the five development stages (开发流程的五个阶段).

An opportunity leaves a stage only when that stage's gate items are met (some are checked by
hand, some follow from the data) or a manager overrides the gate with a reason. Every move is
recorded. Account plans (联合生意计划) for key accounts live here too.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, UnderCustomerQuerySet
from audit.models import Audited
from web.names import check_names
from web.text import CleanText


class Stage(models.TextChoices):
    TARGET = "target", _("Target identified")
    INFORMATION = "information", _("Samples and information")
    EVALUATION = "evaluation", _("Value assessment")
    RELATIONSHIP = "relationship", _("Relationship building")
    CLOSING = "closing", _("Closing")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (Stage.TARGET, Stage.INFORMATION, Stage.EVALUATION, Stage.RELATIONSHIP, Stage.CLOSING)
FORWARD = (*OPEN_STAGES, Stage.WON)  # the one-step-forward order
DEFAULT_PROBABILITY = {
    Stage.TARGET: 10,
    Stage.INFORMATION: 25,
    Stage.EVALUATION: 40,
    Stage.RELATIONSHIP: 60,
    Stage.CLOSING: 80,
    Stage.WON: 100,
    Stage.LOST: 0,
}


def next_stage(stage: str) -> str | None:
    """The only forward move from `stage` (None from won or lost)."""
    if stage not in FORWARD or stage == Stage.WON:
        return None
    return FORWARD[FORWARD.index(stage) + 1]


class OpportunityQuerySet(UnderCustomerQuerySet):
    def open(self) -> "OpportunityQuerySet":
        return self.filter(stage__in=OPEN_STAGES)


class Opportunity(CleanText, Audited, models.Model):
    """A development project / deal (开发项目/商机) at a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(_("title"), max_length=200)
    expected_amount = models.DecimalField(
        _("expected amount (CNY)"), max_digits=14, decimal_places=2, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )  # fmt: skip
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.TARGET)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    # False: the probability follows the stage's default; True: the owner set it.
    probability_overridden = models.BooleanField(_("probability set by hand"), default=False)
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    obstacles = models.TextField(_("obstacles to closing"), blank=True)
    expected_cost = models.DecimalField(
        _("expected cost (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )  # fmt: skip
    development_plan = models.TextField(_("development plan"), blank=True)
    lost_reason = models.TextField(_("reason lost"), blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="opportunity_probability_max_100"),
            models.CheckConstraint(
                condition=Q(expected_amount__gte=0), name="opportunity_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(stage="lost") | ~Q(lost_reason=""), name="opportunity_lost_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "expected_close_on"], name="opportunity_stage_close"),
            models.Index(fields=["customer", "stage"], name="opportunity_customer_stage"),
            models.Index(fields=["owner", "stage"], name="opportunity_owner_stage"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_amount(self) -> Decimal:
        return (self.expected_amount * self.probability / 100).quantize(Decimal("0.01"))

    @property
    def is_overdue(self) -> bool:
        """Open, with its expected close date before today (the site's time zone): flagged on the
        board, the list and the forecast, which counts these apart. Closing today is not late."""
        return (
            self.is_open
            and self.expected_close_on is not None
            and self.expected_close_on < timezone.localdate()
        )

    def clean(self):
        super().clean()
        check_names(title=self.title)


class GateRule(models.TextChoices):
    """Gate items that follow from the data instead of a tick."""

    MANUAL = "", _("Checked by hand")
    HAS_VISIT = "has_visit", _("A visit, call or meeting is logged")
    HAS_COACH = "has_coach", _("A coach/insider is among the contacts")
    DECISION_MAKER_PROFILE = "decision_maker_profile", _("A decision maker's personal profile is filled in")
    NEEDS_RECORDED = "needs_recorded", _("Needs are written down in a visit")
    WINNABILITY_RATED = "winnability_rated", _("Winnability is rated")
    OBSTACLES_RECORDED = "obstacles_recorded", _("Obstacles are recorded")
    COST_RECORDED = "cost_recorded", _("Expected cost is recorded")
    PLAN_RECORDED = "plan_recorded", _("A development plan is recorded")
    DECISION_MAKER_RELATIONSHIP = (
        "decision_maker_relationship",
        _("A decision maker's relationship strength is 4 or more"),
    )
    INFLUENCERS_NOT_OPPOSED = "influencers_not_opposed", _("No influencer or decision maker is an opponent")
    EXECUTIVE_MEETING = "executive_meeting", _("An executive meeting is logged")
    SITE_VISIT = "site_visit", _("A site visit or factory audit is logged")


class StageGateItem(CleanText, models.Model):
    """One item of a stage's gate checklist (admins edit the list)."""

    stage = models.CharField(_("stage"), max_length=12, choices=[(s.value, s.label) for s in OPEN_STAGES])
    label = models.CharField(_("item"), max_length=200)
    rule = models.CharField(_("met when"), max_length=40, choices=GateRule.choices, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage gate item")
        verbose_name_plural = _("stage gate items")
        ordering = ["stage", "position", "id"]
        indexes = [models.Index(fields=["stage", "is_active"], name="gate_item_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.label}"


class GateCheck(CleanText, models.Model):
    """A hand-checked gate item of one opportunity."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="gate_checks")
    item = models.ForeignKey(StageGateItem, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gate check")
        verbose_name_plural = _("gate checks")
        constraints = [models.UniqueConstraint(fields=["opportunity", "item"], name="gate_check_once")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.item_id}"


class StageChange(CleanText, models.Model):
    """Who moved an opportunity, when, from which stage to which, and any gate override."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)  # '' = created
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(db_index=True)
    override_reason = models.TextField(blank=True)
    unmet_items = models.JSONField(default=list, blank=True)  # what an override skipped
    # How long the opportunity had been in from_stage: average days per stage is one aggregate.
    days_in_stage = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["opportunity_id", "at", "id"]
        indexes = [models.Index(fields=["opportunity", "at"], name="stage_change_opportunity")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage or '∅'} → {self.to_stage}"

    @property
    def is_override(self) -> bool:
        return bool(self.override_reason)


# --- Account plans (联合生意计划) ---------------------------------------------------------------


class PlanStep(models.TextChoices):
    """The five steps of business uplift (生意提升五步骤), the plan's status."""

    OPPORTUNITY = "opportunity", _("Find the opportunity")
    JOINT_PLAN = "joint_plan", _("Plan it with the customer")
    EXECUTION = "execution", _("Execute to target")
    EVALUATION = "evaluation", _("Evaluate and feed back")
    REPLICATION = "replication", _("Replicate")


class AccountPlan(CleanText, models.Model):
    """A joint business plan with a key account for a period."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="account_plans")
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    step = models.CharField(_("step"), max_length=12, choices=PlanStep.choices, default=PlanStep.OPPORTUNITY)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="plan_period_order"
            )
        ]
        indexes = [models.Index(fields=["customer", "-period_start"], name="plan_customer_period")]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        check_names(title=self.title)


class PlanObjective(CleanText, models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(_("objective"), max_length=300)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(_("actual"), max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("plan objective")
        verbose_name_plural = _("plan objectives")
        ordering = ["plan_id", "id"]

    def __str__(self) -> str:
        return self.description


class ActionStatus(models.TextChoices):
    TO_DO = "todo", _("To do")
    DOING = "doing", _("In progress")
    DONE = "done", _("Done")


class PlanAction(CleanText, models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="plan_actions",
    )  # fmt: skip
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.TO_DO
    )

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["plan_id", "due_on", "id"]

    def __str__(self) -> str:
        return self.description
