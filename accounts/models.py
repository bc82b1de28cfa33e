"""Customer accounts, the people in them and what we did with them.

`Customer.objects.visible_to(user)` is the one gatekeeper: every page, endpoint, export
and search starts from it, and everything under a customer is reached through it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import Audited
from web.names import check_names
from web.text import CleanText, first_control

from .company_names import normalise_company_name
from .credit_code import normalise_credit_code, validate_credit_code
from .geo import distance_m
from .phones import normalise_phone
from .pinyin import pinyin_columns

RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


def _fitted(instance: models.Model, columns: tuple[str, str]) -> tuple[str, str]:
    """`name_pinyin` and `name_initials` cut to their columns (a name of 200 characters of 6-letter
    syllables would not fit; its first 1,000 letters sort and search the same)."""
    pinyin, initials = columns
    fields = instance._meta
    return (
        pinyin[: fields.get_field("name_pinyin").max_length],
        initials[: fields.get_field("name_initials").max_length],
    )


def rating_field(verbose_name):
    return models.PositiveSmallIntegerField(verbose_name, null=True, blank=True, validators=RATING_VALIDATORS)


def rating_constraint(field: str, model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
        name=f"{model}_{field}_1_to_5",
    )


# --- The experience method's reference data (经历推算法, DOMAIN.md scoring item 9) ---------------


class IndustryFit(CleanText, Audited, models.Model):
    """How much an industry needs what we sell, and how well we can serve that need (1–5 each).

    industry_fit = ((need − 1) × 25 + (capability − 1) × 25) / 2, 0–100; an industry not in
    this table, or a customer with no industry, has industry_fit 0."""

    industry = models.CharField(_("industry"), max_length=50, unique=True)
    need = models.PositiveSmallIntegerField(_("need 行业需求"), validators=RATING_VALIDATORS)
    capability = models.PositiveSmallIntegerField(_("our capability 我方能力"), validators=RATING_VALIDATORS)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("industry fit")
        verbose_name_plural = _("industry fits")
        ordering = ["industry"]
        constraints = [
            models.CheckConstraint(condition=Q(need__gte=1, need__lte=5), name="industryfit_need_1_to_5"),
            models.CheckConstraint(
                condition=Q(capability__gte=1, capability__lte=5), name="industryfit_capability_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return self.industry

    @property
    def industry_fit(self):
        """0–100, exact (a multiple of 12.5)."""
        return Decimal((self.need - 1) * 25 + (self.capability - 1) * 25) / 2


class FitCriterion(CleanText, Audited, models.Model):
    """One item of the customer-fit checklist (客户基因), with its weight. Admins keep the list;
    an inactive item no longer counts, for anyone, but its ticks are kept."""

    label = models.CharField(_("item"), max_length=100, unique=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("customer-fit item")
        verbose_name_plural = _("customer-fit items")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="fitcriterion_weight_not_negative")
        ]

    def __str__(self) -> str:
        return self.label


# --- Customers -----------------------------------------------------------------------------


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", pgettext_lazy("customer status", "Customer")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    ASSOCIATION = "association", _("Industry association")
    REFERRAL = "referral", _("Customer referral")
    OTHER = "other", _("Other")


class Tier(models.TextChoices):
    PLATINUM = "platinum", _("Platinum")
    GOLD = "gold", _("Gold")
    IRON = "iron", _("Iron")
    LEAD = "lead", _("Lead")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class SizeClass(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")
    VIP = "vip", _("VIP")


class ValueClass(models.TextChoices):
    MVC = "MVC", _("Most valuable")
    MGC = "MGC", _("Most growth")
    BZC = "BZC", _("Below zero")
    REGULAR = "regular", _("Regular")


class MatrixQuadrant(models.TextChoices):
    KEY = "key", _("Key: maintain intensively")
    DEVELOP = "develop", _("Develop")
    MAINTAIN = "maintain", _("Maintain")
    BASIC = "basic", _("Basic service")


class LifecycleStage(models.TextChoices):
    ACQUISITION = "acquisition", _("Acquisition")
    GROWTH = "growth", pgettext_lazy("lifecycle stage", "Growth")
    MATURITY = "maturity", _("Maturity")
    DECLINE = "decline", _("Decline")
    CHURNED = "churned", _("Churned")


class ProspectGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class InSubquery(models.Lookup):
    """`lhs IN (subquery)`, written for PostgreSQL as `lhs = ANY(ARRAY(subquery))`.

    The array is computed once (an InitPlan), so `owner = me OR id = ANY(...)` can combine
    two index scans; with `IN (subquery)` inside an OR, PostgreSQL scans every customer. At
    100,000 customers that took a rep's list count from 28 ms to 4 ms (bench/load.py).
    """

    lookup_name = "in_subquery"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        template = "%s = ANY(ARRAY%s)" if connection.vendor == "postgresql" else "%s IN %s"
        return template % (lhs, rhs), (*lhs_params, *rhs_params)


@dataclass(frozen=True)
class OnStanding:
    """What picks a set of customers, said again on the standing table, whose rows carry their
    customer's owner (CustomerStanding.owner): so the dashboards aggregate the rows of the
    customers a manager sees from that narrow table alone (accounts.selectors.standing_of).

    `where` is the customer query's condition it was recorded for: another filter added since
    changes it, and then it no longer applies. `counts` are disjoint conditions on the customer
    table whose counts add up to the set (scored or not), each served by one index."""

    where: object
    standing: Q
    counts: tuple[Q, ...]


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CustomerQuerySet":
        """The customers `user` may see; anything else does not exist for them (404).

        A rep: customers they own or are on the account team of. A manager: those too,
        plus every customer owned by a member of a team they manage. An admin: all.
        Subqueries, not joins, so a customer never appears twice. The same rule read the other
        way round (who sees one customer) is `accounts.selectors.users_who_see`: change both.
        The same condition is recorded for the standing table, whose rows carry the owner too
        (`on_standing`); the team members are read as a constant list, one index condition.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        from users.models import Team

        team_of = AccountTeamMember.objects.filter(user=user).values("customer_id")
        # Read now: one query (as `managed_teams.exists()` was), a handful of ids.
        members = Team.members.through.objects.filter(team__managers=user).values_list("user_id", flat=True)
        owned = Q(owner_id__in=sorted({user.pk, *members}))  # the same on either table
        # Counted apart, each from one index: the customers they or their teams own, then the
        # others on their account teams (owned by someone else or by nobody).
        others = Q(owner__isnull=True) | ~owned
        return self._also_on_standing(
            owned | Q(InSubquery(F("pk"), team_of)),
            standing=owned | Q(InSubquery(F("customer_id"), team_of)),
            counts=(owned, Q(InSubquery(F("pk"), team_of)) & others),
        )

    def owned_by(self, owners: models.QuerySet) -> "CustomerQuerySet":
        """The customers owned by one of `owners` (a subquery of user ids)."""
        owned = Q(InSubquery(F("owner_id"), owners))
        return self._also_on_standing(owned, standing=owned, counts=(owned,))

    def _also_on_standing(self, condition: Q, *, standing: Q, counts: tuple[Q, ...]) -> "CustomerQuerySet":
        before = self.on_standing()
        filtered = self.filter(condition)
        if before is not None:
            filtered.query.on_standing = OnStanding(
                where=filtered.query.where.clone(),
                standing=before.standing & standing,
                counts=tuple(a & b for a in before.counts for b in counts),
            )
        return filtered

    def on_standing(self) -> OnStanding | None:
        """These customers' condition on the standing table, when every filter they have was
        added by `visible_to` or `owned_by`; None when another one was."""
        if not self.query.where:
            return OnStanding(where=None, standing=Q(), counts=(Q(),))
        recorded = getattr(self.query, "on_standing", None)  # the query's clones carry it
        if recorded is not None and recorded.where == self.query.where:
            return recorded
        return None

    def select_for_update(self, nowait=False, skip_locked=False, of=(), no_key=False) -> "CustomerQuerySet":
        """Locks the customer rows only: the standing, joined for its numbers, is never locked
        (and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join)."""
        return super().select_for_update(
            nowait=nowait, skip_locked=skip_locked, of=of or ("self",), no_key=no_key
        )


class StandingValue:
    """One of the last scoring run's results for a customer (CustomerStanding), read as an attribute.

    Every query through `Customer.objects` annotates them (one LEFT JOIN on the standing's primary
    key), so the value is on the instance already; a customer reached another way (a related
    object) reads its standing row once. A customer never scored has no standing row: its classes
    read "" and its numbers None, as the columns' defaults were. `refresh_from_db` forgets them."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if self.name not in instance.__dict__:
            standing = (
                CustomerStanding.objects.filter(customer_id=instance.pk).first() if instance.pk else None
            )
            for name in STANDING_FIELDS:
                if name not in instance.__dict__:
                    self.__set__(instance, getattr(standing, name) if standing else None, name)
        return instance.__dict__[self.name]

    def __set__(self, instance, value, name: str | None = None) -> None:
        name = name or self.name
        instance.__dict__[name] = "" if value is None and name in STANDING_CLASSES else value


# The run's results, in the order of the standing table's columns; the classes are text ("" until
# scored), the rest numbers, flags and a time (None until scored).
STANDING_FIELDS = (
    "score",
    "fit_score",
    "rank",
    "tier",
    "abc_class",
    "is_key_account",
    "size_class",
    "value_class",
    "matrix_quadrant",
    "lifecycle_stage",
    "churn_risk",
    "sales_12m",
    "sales_rank",
    "scored_at",
)
STANDING_CLASSES = frozenset(
    {"tier", "abc_class", "size_class", "value_class", "matrix_quadrant", "lifecycle_stage"}
)


class CustomerManager(models.Manager.from_queryset(CustomerQuerySet)):
    def get_queryset(self) -> CustomerQuerySet:
        return super().get_queryset().annotate(**{name: F(f"standing__{name}") for name in STANDING_FIELDS})


CREDIT_RISK_OVERDUE_DAYS = 30  # DOMAIN.md: any amount more than 30 days overdue → credit risk


def credit_risk_q(today: date, prefix: str = "") -> Q:
    """Customers carrying the credit-risk flag (风险: credit) on `today`: an installment still
    open more than 30 days after it fell due. From the row's `oldest_open_due_on`, which payment
    collection keeps current on every write, so the flag moves with the date by itself."""
    return Q(**{f"{prefix}oldest_open_due_on__lt": today - timedelta(days=CREDIT_RISK_OVERDUE_DAYS)})


def credit_risk_on(oldest_open_due_on: date | None, today: date) -> bool:
    """`credit_risk_q` for one row already read: money open more than 30 days past due."""
    return oldest_open_due_on is not None and oldest_open_due_on < today - timedelta(
        days=CREDIT_RISK_OVERDUE_DAYS
    )


def location_constraints(prefix: str, *, both_or_neither: str) -> list[models.CheckConstraint]:
    """A WGS-84 point in `latitude`/`longitude`: each in range, and both or neither."""
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            name=f"{prefix}_longitude_range",
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=both_or_neither,
        ),
    ]


class DerivedFromName:
    """Model mixin: columns that are pure functions of `name` (NAME_DERIVED, set by the model's
    `derive_from_name`), kept in step on every save that writes the name."""

    NAME_DERIVED: tuple[str, ...] = ()  # the model also defines derive_from_name(), which sets them

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "name" in update_fields:  # not when only other columns are written
            self.derive_from_name()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *self.NAME_DERIVED}
        super().save(*args, **kwargs)


class Customer(DerivedFromName, CleanText, Audited, models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_normalised = models.CharField(max_length=200, editable=False)
    # What search and name order need, derived from the name on every write (pinyin order).
    name_pinyin = models.CharField(max_length=1000, editable=False, blank=True)
    name_initials = models.CharField(max_length=200, editable=False, blank=True)
    # 统一社会信用代码 (GB 32100-2015): 18 characters; one customer per code.
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    # The customer's site, set by hand or from a check-in confirmed as the site.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("group account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    account_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account team"),
        through="AccountTeamMember",
        blank=True,
        related_name="team_customers",
    )
    potential = rating_field(_("potential"))
    demonstration = rating_field(_("demonstration effect"))
    winnability = rating_field(_("winnability"))
    notes = models.TextField(_("notes"), blank=True)
    # The customer-fit checklist (经历推算法): the items ticked for this customer.
    fit_criteria = models.ManyToManyField(
        FitCriterion, verbose_name=_("customer fit"), blank=True, related_name="customers"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Written only by the pipeline: a prospect's grade by its best open opportunity.
    prospect_grade = models.CharField(
        _("prospect grade"), max_length=1, choices=ProspectGrade.choices, blank=True
    )
    # Written only by payment collection (receivables): the earliest due date with money still
    # open. Overdue and the credit-risk flag follow from it and today's date (`credit_risk_q`).
    oldest_open_due_on = models.DateField(
        _("oldest open installment due"), null=True, blank=True, editable=False
    )

    SCORING_FIELDS = (
        "score",
        "fit_score",
        "abc_class",
        "tier",
        "is_key_account",
        "size_class",
        "value_class",
        "matrix_quadrant",
        "lifecycle_stage",
        "prospect_grade",
        "churn_risk",
        "sales_12m",
        "sales_rank",
        "scored_at",
    )

    # What the last scoring run found, from the customer's standing row (CustomerStanding): no
    # run ever rewrites this wide, much-indexed row. Annotated by every Customer query
    # (CustomerManager), so filters, ordering, values() and aggregates name them as columns.
    # Empty ("" or None) until the customer is first scored.
    score = StandingValue()
    fit_score = StandingValue()
    rank = StandingValue()
    abc_class = StandingValue()
    tier = StandingValue()
    is_key_account = StandingValue()
    size_class = StandingValue()
    value_class = StandingValue()
    matrix_quadrant = StandingValue()
    lifecycle_stage = StandingValue()
    churn_risk = StandingValue()
    sales_12m = StandingValue()
    sales_rank = StandingValue()
    scored_at = StandingValue()

    objects = CustomerManager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name_pinyin", "id"]  # 名称 A–Z is pinyin order: 阿… before 北… before 东…
        constraints = [
            # Two reps must not chase one account (撞单): one row per normalised name.
            models.UniqueConstraint(fields=["name_normalised"], name="customer_unique_normalised_name"),
            rating_constraint("potential", "customer"),
            rating_constraint("demonstration", "customer"),
            rating_constraint("winnability", "customer"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="customer_not_own_parent"),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="customer_unique_credit_code"
            ),
            *location_constraints("customer", both_or_neither="customer_location_both_or_neither"),
        ]
        indexes = [
            # A filter of the list, in name order (pinyin: CUSTOMER_ORDERINGS["name"]).
            models.Index(fields=["owner", "name_pinyin"], name="customer_owner_pinyin"),
            models.Index(fields=["status", "name_pinyin"], name="customer_status_pinyin"),
            models.Index(fields=["region", "name_pinyin"], name="customer_region_pinyin"),
            models.Index(fields=["industry", "name_pinyin"], name="customer_industry_pinyin"),
            models.Index(fields=["name_pinyin", "id"], name="customer_pinyin"),
            models.Index(fields=["-updated_at"], name="customer_updated_desc"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.grade_from_status()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields and self.status != CustomerStatus.PROSPECT:
            # A customer's grade is always none: written with its status. A prospect's is the
            # pipeline's, never written from a value read before an opportunity changed it.
            kwargs["update_fields"] = {*update_fields, "prospect_grade"}
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        for name in STANDING_FIELDS:  # read again from the standing row when next asked
            self.__dict__.pop(name, None)

    @classmethod
    def audit_field(cls, name: str) -> models.Field | None:
        """The field an audit row's change of `name` is labelled by: a run's tier changes name the
        customer's tier, which lives in its standing (audit.selectors)."""
        return CustomerStanding._meta.get_field(name) if name in STANDING_FIELDS else None

    @property
    def credit_risk(self) -> bool:
        """The credit-risk flag (风险: credit) today, from the row's `oldest_open_due_on`."""
        return credit_risk_on(self.oldest_open_due_on, timezone.localdate())

    # Pure functions of the name, kept in step on every save, and by clean(), which the bulk
    # writes (customers_create, the import) call before they insert.
    NAME_DERIVED = ("name_normalised", "name_pinyin", "name_initials")

    def derive_from_name(self) -> None:
        self.name_normalised = normalise_company_name(self.name)
        self.name_pinyin, self.name_initials = _fitted(self, pinyin_columns(self.name))

    def clean_fields(self, exclude=None):
        # The code as copied from a licence ("9135 0100 M000 100Y43", full-width, lower case) is
        # stored compact; a wrong one gets the message naming what is wrong (its length too)
        # instead of the field's generic ones. A control character keeps CleanText's message.
        self.credit_code = normalise_credit_code(self.credit_code)
        exclude = set(exclude or ())
        errors: dict = {}
        if "credit_code" not in exclude and first_control(self.credit_code) is None:
            try:
                validate_credit_code(self.credit_code)
            except ValidationError as error:
                errors["credit_code"] = error.error_list
                exclude.add("credit_code")
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        self.name = (self.name or "").strip()
        self.derive_from_name()
        if not self.name:
            raise ValidationError({"name": _("Enter the company's name.")})
        check_names(name=self.name)  # before the next: "？？？" lacks a name, not only a legal form
        if not self.name_normalised:
            raise ValidationError({"name": _("Enter the company's name, not only its legal form.")})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A customer cannot be its own group account.")})
        if self.referred_by_id and self.referred_by_id == self.pk:
            raise ValidationError({"referred_by": _("A customer cannot refer itself.")})
        self.grade_from_status()

    # The prospect grade (DOMAIN.md: A/B/C/D by a prospect's best open opportunity) as far as it
    # needs no opportunity: none for a customer, D for a prospect not saved yet (it has no
    # opportunity). Set on every save, and by clean(), which the bulk writes call before they
    # insert; the pipeline re-grades a customer whose status changes (pipeline/signals.py).
    def grade_from_status(self) -> None:
        if self.status != CustomerStatus.PROSPECT:
            self.prospect_grade = ""
        elif self._state.adding:
            self.prospect_grade = ProspectGrade.D


class CustomerStanding(models.Model):
    """What the last scoring run found for one customer: its score, classes, tier and numbers.

    Kept off the customer row, which is wide and carries a dozen indexes the lists need: a run
    builds this narrow table anew beside the live one and swaps it in by rename in its own
    transaction (scoring/services.py), so it never rewrites a customer row and leaves no dead
    tuples behind, however many customers move. No database key to the customer (the table is
    rebuilt each run); Django's on_delete removes a deleted customer's row. Read through
    `Customer.tier` etc. (annotations), never written but by the run."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
        db_constraint=False,
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    fit_score = models.DecimalField(_("fit score"), max_digits=5, decimal_places=2, null=True, blank=True)
    # Place by score among the run's customers, 1 = best.
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices, blank=True)
    is_key_account = models.BooleanField(_("key account"), null=True, blank=True)
    size_class = models.CharField(_("size class"), max_length=10, choices=SizeClass.choices, blank=True)
    value_class = models.CharField(_("value class"), max_length=10, choices=ValueClass.choices, blank=True)
    matrix_quadrant = models.CharField(
        _("matrix quadrant"), max_length=10, choices=MatrixQuadrant.choices, blank=True
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=LifecycleStage.choices, blank=True
    )
    churn_risk = models.BooleanField(_("churn risk"), null=True, blank=True)
    sales_12m = models.DecimalField(
        _("sales, last 12 months"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    # PERCENT_RANK of sales_12m among all customers in the last run (the matrix's value axis).
    sales_rank = models.DecimalField(
        _("sales percent rank"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    # The customer's owner, so that what a user may see can be picked from this table alone
    # (CustomerQuerySet.visible_to). Not a result: the run copies it with the results, a trigger
    # on accounts_customer (migration 0017) keeps it in step when the owner changes, and the run
    # takes the owners again under its swap's lock (scoring.services._standing_swap).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # the customer's SET_NULL fires the trigger
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer standing")
        verbose_name_plural = _("customer standings")
        # What the lists filter and sort on; the run builds each in one sorted pass
        # (scoring.services._STANDING_INDEXES names the same: change both).
        indexes = [
            models.Index(fields=["tier"], name="standing_tier"),
            models.Index(fields=["-score", "customer"], name="standing_score_desc"),
            models.Index(fields=["abc_class"], name="standing_abc"),
            models.Index(fields=["is_key_account"], name="standing_key"),
            # Top customers by revenue (concentration's top 1 / top 10, the Pareto curve): walked
            # in order, the visible ones picked as it goes.
            models.Index(fields=["-sales_12m", "customer"], name="standing_sales_desc"),
            # What a manager or a rep sees, picked by owner (CustomerQuerySet.visible_to).
            models.Index(fields=["owner"], name="standing_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


def _standing_display(name: str):
    def display(self):
        return self._get_FIELD_display(CustomerStanding._meta.get_field(name))

    display.__name__ = f"get_{name}_display"
    return display


for _name in sorted(STANDING_CLASSES):  # customer.get_tier_display() etc., as the columns had them
    setattr(Customer, f"get_{_name}_display", _standing_display(_name))


class UnderCustomerQuerySet(models.QuerySet):
    """Rows that belong to a customer: visible exactly when their customer is."""

    def visible_to(self, user):
        return self.filter(customer__in=Customer.objects.visible_to(user))


class AccountTeamMember(CleanText, Audited, models.Model):
    """A user working on a customer besides its owner (regional sales, solution sales…)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="team_memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_memberships"
    )
    role = models.CharField(_("role on the account"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="account_team_unique_member")
        ]
        indexes = [models.Index(fields=["user", "customer"], name="account_team_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer}"


# --- Contacts ------------------------------------------------------------------------------


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Technical gatekeeper")
    COACH = "coach", _("Coach / insider")


class Attitude(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class Contact(DerivedFromName, CleanText, Audited, models.Model):
    """A person at a customer, seen as a member of its buying committee.

    `phone` is a mainland mobile, a landline with its area code or an international number,
    stored in one readable form (accounts/phones.py): `13812345678`, `021-12345678`,
    `0755-12345678转801`, `+852 2123 4567`. Anything else is refused by model validation.
    """

    # The personal profile (seed 002's list for key decision makers): shown only to the
    # account team, its manager and admins; never exported.
    # What a contact is at work: shown to everyone who sees the customer.
    BUSINESS_FIELDS = (
        "name",
        "title",
        "department",
        "phone",
        "email",
        "wechat",
        "buying_role",
        "influence",
        "relationship_strength",
        "attitude",
        "notes",
    )
    PROFILE_FIELDS = (
        "hometown",
        "birthday",
        "age",
        "interests",
        "tenure",
        "authority",
        "personality",
        "working_style",
        "family",
    )

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(max_length=500, editable=False, blank=True)
    name_initials = models.CharField(max_length=100, editable=False, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=100, blank=True)
    buying_role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole.choices, blank=True)
    influence = rating_field(_("influence"))
    relationship_strength = rating_field(_("relationship strength"))
    attitude = models.CharField(_("attitude to us"), max_length=10, choices=Attitude.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    hometown = models.CharField(_("hometown"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MinValueValidator(16), MaxValueValidator(100)]
    )
    interests = models.TextField(_("interests"), blank=True)
    tenure = models.CharField(_("tenure"), max_length=100, blank=True)
    authority = models.TextField(_("authority"), blank=True)
    personality = models.TextField(_("personality"), blank=True)
    working_style = models.TextField(_("working style"), blank=True)
    family = models.TextField(_("family"), blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer_id", "name_pinyin", "id"]
        constraints = [
            rating_constraint("influence", "contact"),
            rating_constraint("relationship_strength", "contact"),
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__gte=16, age__lte=100), name="contact_age_plausible"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "name_pinyin"], name="contact_customer_pinyin"),
            models.Index(fields=["name"], name="contact_name"),
            models.Index(fields=["buying_role"], name="contact_buying_role"),
        ]

    def __str__(self) -> str:
        return self.name

    # As Customer's: pure functions of the name, read as a person's (the surname first).
    NAME_DERIVED = ("name_pinyin", "name_initials")

    def derive_from_name(self) -> None:
        self.name_pinyin, self.name_initials = _fitted(self, pinyin_columns(self.name, person=True))

    # The phone rule (accounts/phones.py), run by CleanText as a field validator would run it.
    FIELD_NORMALISERS = {"phone": normalise_phone}

    def clean(self):
        super().clean()
        self.derive_from_name()
        check_names(name=self.name)


# --- Visits --------------------------------------------------------------------------------


class VisitKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    SITE_VISIT = "site_visit", _("Site visit / factory audit")
    EXECUTIVE = "executive", _("Executive meeting")
    OTHER = "other", _("Other")


class VisitQuerySet(UnderCustomerQuerySet):
    def follow_ups_open(self) -> "VisitQuerySet":
        return self.filter(follow_up_on__isnull=False, follow_up_done_at__isnull=True)

    def with_site(self) -> "VisitQuerySet":
        """Each visit with its customer's site (`site_latitude`, `site_longitude`) from the same
        query, for `Visit.checkin_distance_m` and `checkin_far`."""
        return self.annotate(site_latitude=F("customer__latitude"), site_longitude=F("customer__longitude"))


class Visit(CleanText, models.Model):
    """A visit, call or meeting with a customer (拜访记录) and what came of it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visits")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices, default=VisitKind.VISIT)
    occurred_at = models.DateTimeField(_("when"))
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts present"), blank=True, related_name="visits"
    )
    summary = models.TextField(_("summary"), blank=True)
    needs = models.TextField(_("needs and pain points"), blank=True)
    objections = models.TextField(_("objections and how they were handled"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done"), null=True, blank=True)
    # Check-in location, taken from the phone's browser only with the rep's consent.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_accuracy_m = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *location_constraints("visit", both_or_neither="visit_location_complete"),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="visit_customer_when"),
            # Coverage: a customer's last executive meeting among many visits (servicing.coverage).
            models.Index(fields=["customer", "kind", "-occurred_at"], name="visit_customer_kind_when"),
            models.Index(fields=["by", "-occurred_at"], name="visit_by_when"),
            models.Index(fields=["-occurred_at"], name="visit_when"),
            models.Index(
                fields=["by", "follow_up_on"],
                name="visit_open_follow_up",
                condition=Q(follow_up_on__isnull=False, follow_up_done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.customer} {self.occurred_at:%Y-%m-%d}"

    def clean(self):
        """A visit has happened: dated no later than now plus KAM_VISIT_FUTURE_SKEW_MINUTES (a
        phone's clock may run a little fast); its follow-up is on the visit's day or later."""
        super().clean()
        occurred_at = self.occurred_at
        if not isinstance(occurred_at, datetime):
            return  # missing or unreadable: the field's own error
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
        errors = {}
        skew = timedelta(minutes=settings.KAM_VISIT_FUTURE_SKEW_MINUTES)
        if occurred_at > timezone.now() + skew:
            errors["occurred_at"] = ValidationError(
                _("A visit cannot be dated in the future; log it once it has taken place."),
                code="visit_in_future",
            )
        if isinstance(self.follow_up_on, date) and self.follow_up_on < timezone.localdate(occurred_at):
            errors["follow_up_on"] = ValidationError(
                _("The follow-up cannot be before the day of the visit."), code="follow_up_before_visit"
            )
        if errors:
            raise ValidationError(errors)

    # The check-in's distance to the customer's site, from the site read with the visit:
    # `Visit.objects.with_site()`, or the customer loaded with it (its page, select_related).
    # Never a query of its own, so a list of visits stays one query.
    def _checkin_distance(self) -> float | None:
        if self.latitude is None or self.longitude is None:
            return None
        if hasattr(self, "site_latitude"):
            site = (self.site_latitude, self.site_longitude)
        elif Visit.customer.is_cached(self):
            site = (self.customer.latitude, self.customer.longitude)
        else:
            raise TypeError("Read the visit with_site() or with its customer for the check-in distance.")
        if site[0] is None or site[1] is None:
            return None
        return distance_m(self.latitude, self.longitude, *site)

    @property
    def checkin_distance_m(self) -> int | None:
        """Whole metres from the check-in to the customer's site; None without either."""
        distance = self._checkin_distance()
        return None if distance is None else round(distance)

    @property
    def checkin_far(self) -> bool | None:
        """Farther than `KAM_CHECKIN_MAX_METERS` from the customer's site; None without a distance."""
        distance = self._checkin_distance()
        return None if distance is None else distance > settings.KAM_CHECKIN_MAX_METERS


# --- Transactions --------------------------------------------------------------------------


class Transaction(CleanText, models.Model):
    """A dated order or invoice line in CNY, usually pushed by the ERP under its own reference."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="transactions")
    reference = models.CharField(_("external reference"), max_length=100, unique=True)
    occurred_on = models.DateField(_("date"))
    # A credit note has a negative amount; a margin may be negative.
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    margin = models.DecimalField(
        _("gross margin (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_on"], name="transaction_customer_date"),
            models.Index(fields=["occurred_on"], name="transaction_date"),
        ]

    def __str__(self) -> str:
        return self.reference


# --- Competitors ---------------------------------------------------------------------------


class CompetitorPresence(CleanText, models.Model):
    """A competitor at a customer: who, their strengths and weaknesses, their offer and bottom line."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="competitors")
    competitor = models.CharField(_("competitor"), max_length=200)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    offer = models.TextField(_("value they offer"), blank=True)
    bottom_line = models.TextField(_("their bottom line"), blank=True)
    share_of_wallet = models.PositiveSmallIntegerField(
        _("estimated share of wallet (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnderCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("competitor presence")
        verbose_name_plural = _("competitor presences")
        ordering = ["customer_id", "competitor"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "competitor"], name="competitor_unique_per_customer"),
            models.CheckConstraint(
                condition=Q(share_of_wallet__isnull=True) | Q(share_of_wallet__lte=100),
                name="competitor_share_max_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor} @ {self.customer}"

    def clean(self):
        super().clean()
        check_names(competitor=self.competitor)
