"""Writes of the pipeline: opportunities, gate checks, stage moves, account plans, prospect grades.

Moves lock the opportunity row (SELECT … FOR UPDATE), so of two concurrent moves of the same
opportunity only one applies; the other finds the stage already changed and is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contact, Customer, CustomerStatus, ProspectGrade, Visit
from accounts.services import can_manage_customer
from users.models import User
from users.services import owner_check, owner_choices
from web.deletion import delete_or_explain

from .events import opportunity_moved
from .models import (
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    AccountPlan,
    GateCheck,
    GateRule,
    Opportunity,
    PlanAction,
    PlanObjective,
    Stage,
    StageChange,
    StageGateItem,
    next_stage,
)

# --- Stage gates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GateItemStatus:
    item_id: int
    label: str
    rule: str  # '' = checked by hand
    met: bool
    checked: bool  # ticked by hand (only for manual items)


def _rule_facts(opportunity: Opportunity, rules: set[str]) -> dict[str, bool]:
    """Evaluate the data-backed gate rules that the stage needs, one query per source."""
    facts: dict[str, bool] = {}
    customer = opportunity.customer
    if rules & {GateRule.HAS_VISIT, GateRule.NEEDS_RECORDED, GateRule.EXECUTIVE_MEETING, GateRule.SITE_VISIT}:
        visits = Visit.objects.filter(customer=customer).aggregate(
            any=Max("id"),
            needs=Max("id", filter=~Q(needs="")),
            executive=Max("id", filter=Q(kind="executive")),
            site=Max("id", filter=Q(kind="site_visit")),
        )
        facts[GateRule.HAS_VISIT] = visits["any"] is not None
        facts[GateRule.NEEDS_RECORDED] = visits["needs"] is not None
        facts[GateRule.EXECUTIVE_MEETING] = visits["executive"] is not None
        facts[GateRule.SITE_VISIT] = visits["site"] is not None
    contact_rules = {
        GateRule.HAS_COACH,
        GateRule.DECISION_MAKER_PROFILE,
        GateRule.DECISION_MAKER_RELATIONSHIP,
        GateRule.INFLUENCERS_NOT_OPPOSED,
    }
    if rules & contact_rules:
        profile = Q(birthday__isnull=False) | Q(age__isnull=False)
        for field in Contact.PROFILE_FIELDS:
            if field not in ("birthday", "age"):
                profile |= ~Q(**{field: ""})
        committee = ("decision_maker", "influencer")
        contacts = Contact.objects.filter(customer=customer).aggregate(
            coach=Max("id", filter=Q(buying_role="coach")),
            profile=Max("id", filter=Q(buying_role="decision_maker") & profile),
            relationship=Max("id", filter=Q(buying_role="decision_maker", relationship_strength__gte=4)),
            influencer=Max("id", filter=Q(buying_role="influencer")),
            opponent=Max("id", filter=Q(buying_role__in=committee, attitude="opponent")),
        )
        facts[GateRule.HAS_COACH] = contacts["coach"] is not None
        facts[GateRule.DECISION_MAKER_PROFILE] = contacts["profile"] is not None
        facts[GateRule.DECISION_MAKER_RELATIONSHIP] = contacts["relationship"] is not None
        facts[GateRule.INFLUENCERS_NOT_OPPOSED] = (
            contacts["influencer"] is not None and contacts["opponent"] is None
        )
    facts[GateRule.WINNABILITY_RATED] = customer.winnability is not None
    facts[GateRule.OBSTACLES_RECORDED] = bool(opportunity.obstacles.strip())
    facts[GateRule.COST_RECORDED] = opportunity.expected_cost is not None
    facts[GateRule.PLAN_RECORDED] = bool(opportunity.development_plan.strip())
    return facts


def gate_status(*, opportunity: Opportunity, stage: str | None = None) -> list[GateItemStatus]:
    """The gate checklist of `stage` (default: the opportunity's current stage), each item met or not."""
    stage = stage or opportunity.stage
    items = list(StageGateItem.objects.filter(stage=stage, is_active=True).order_by("position", "id"))
    if not items:
        return []
    checked = set(
        GateCheck.objects.filter(opportunity=opportunity, item__in=items).values_list("item_id", flat=True)
    )
    facts = _rule_facts(opportunity, {item.rule for item in items if item.rule})
    return [
        GateItemStatus(
            item_id=item.pk,
            label=item.label,
            rule=item.rule,
            met=facts.get(item.rule, False) if item.rule else item.pk in checked,
            checked=item.pk in checked,
        )
        for item in items
    ]


@transaction.atomic
def gate_check_set(*, opportunity: Opportunity, item: StageGateItem, checked: bool, by: User) -> None:
    """Tick or untick a hand-checked item. Items met by data cannot be ticked."""
    if item.rule:
        raise ValidationError({"item": [_("This item is met by the data, not by a tick: %(rule)s") % {
            "rule": GateRule(item.rule).label}]})  # fmt: skip
    if item.stage != opportunity.stage:
        raise ValidationError({"item": [_("This item belongs to another stage.")]})
    if checked:
        GateCheck.objects.get_or_create(opportunity=opportunity, item=item, defaults={"checked_by": by})
    else:
        GateCheck.objects.filter(opportunity=opportunity, item=item).delete()


# --- Opportunities ---------------------------------------------------------------------------

OPPORTUNITY_EDITABLE = (
    "title",
    "expected_amount",
    "probability",
    "expected_close_on",
    "owner",
    "obstacles",
    "expected_cost",
    "development_plan",
)


def can_override_gates(user: User) -> bool:
    return user.can_manage


@transaction.atomic
def opportunity_create(*, customer: Customer, by: User, **fields) -> Opportunity:
    unknown = set(fields) - set(OPPORTUNITY_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    fields.setdefault("owner", by)
    owner_check(by=by, owner=fields["owner"], message=_("You cannot assign opportunities to %(user)s."))
    overridden = fields.get("probability") is not None
    if not overridden:
        fields["probability"] = DEFAULT_PROBABILITY[Stage.TARGET]
    opportunity = Opportunity(
        customer=customer, stage=Stage.TARGET, probability_overridden=overridden, **fields
    )
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage="", to_stage=Stage.TARGET, by=by, at=timezone.now()
    )
    prospect_grades_refresh(customer_ids=[customer.pk])
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User, **fields) -> Opportunity:
    """Change anything but the stage (moves go through opportunity_move)."""
    unknown = set(fields) - set(OPPORTUNITY_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if "owner" in fields and fields["owner"] != opportunity.owner:
        owner_check(by=by, owner=fields["owner"], message=_("You cannot assign opportunities to %(user)s."))
    if "probability" in fields:
        if fields["probability"] is None:  # back to the stage's default
            fields["probability"] = DEFAULT_PROBABILITY[opportunity.stage]
            opportunity.probability_overridden = False
        else:
            opportunity.probability_overridden = True
    for name, value in fields.items():
        setattr(opportunity, name, value)
    opportunity.full_clean()
    # Only these columns: a move that committed since the row was read keeps its stage.
    opportunity.save(update_fields=[*fields, "probability_overridden", "updated_at"])
    prospect_grades_refresh(customer_ids=[opportunity.customer_id])
    return opportunity


def can_delete_opportunity(user: User, opportunity: Opportunity) -> bool:
    """Its owner, the owner's manager, or whoever manages the customer (owner, manager, admin)."""
    if opportunity.owner_id is not None and owner_choices(user).filter(pk=opportunity.owner_id).exists():
        return True
    return can_manage_customer(user, opportunity.customer)


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, by: User) -> None:
    if not can_delete_opportunity(by, opportunity):
        raise PermissionDenied(_("Only the owner, their manager or an admin can delete this opportunity."))
    customer_id = opportunity.customer_id
    delete_or_explain(opportunity)  # a won one's payment plan protects it
    prospect_grades_refresh(customer_ids=[customer_id])  # it may have been the best open one


class GateNotMet(ValidationError):
    """Leaving the stage needs these items met, or a manager's override with a reason."""

    def __init__(self, unmet: list[GateItemStatus]):
        self.unmet = unmet
        super().__init__(
            {
                "to": [_("The stage gate is not met.")],
                "unmet_items": [item.label for item in unmet],
            }
        )


@transaction.atomic
def opportunity_move(
    *, opportunity_id: int, to: str, by: User, override_reason: str = "", reason: str = ""
) -> Opportunity:
    """Move one stage forward (won only from closing) or to lost from any open stage.

    The row is locked for the whole decision, so two concurrent moves cannot both apply.
    """
    # The owner is read for the event (events.types); only the opportunity and customer rows are locked.
    opportunity = (
        Opportunity.objects.select_for_update(of=("self", "customer"))
        .select_related("customer", "owner")
        .get(pk=opportunity_id)
    )
    if to not in Stage.values:
        raise ValidationError({"to": [_("Unknown stage %(stage)s.") % {"stage": to}]})
    if not opportunity.is_open:
        raise ValidationError({"to": [_("This opportunity is closed (%(stage)s).") % {
            "stage": opportunity.get_stage_display()}]})  # fmt: skip
    now = timezone.now()
    override_reason = override_reason.strip()
    unmet: list[GateItemStatus] = []
    if to == Stage.LOST:
        if not reason.strip():
            raise ValidationError({"reason": [_("Say why the opportunity was lost.")]})
        opportunity.lost_reason = reason.strip()
    else:
        expected = next_stage(opportunity.stage)
        if to != expected:
            raise ValidationError(
                {"to": [_("From %(current)s an opportunity can only move to %(next)s (or be lost).") % {
                    "current": opportunity.get_stage_display(), "next": Stage(expected).label}]}
            )  # fmt: skip
        unmet = [item for item in gate_status(opportunity=opportunity) if not item.met]
        if unmet:
            if not override_reason:
                raise GateNotMet(unmet)
            if not can_override_gates(by):
                raise PermissionDenied(_("Only a manager can override a stage gate."))
    elapsed_days = (now - opportunity.stage_entered_at).total_seconds() / 86400
    from_stage = opportunity.stage
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=opportunity.stage,
        to_stage=to,
        by=by,
        at=now,
        override_reason=override_reason if unmet else "",
        unmet_items=[item.label for item in unmet],
        days_in_stage=Decimal(str(round(elapsed_days, 2))),
    )
    opportunity.stage = to
    opportunity.stage_entered_at = now
    if not opportunity.probability_overridden or to in (Stage.WON, Stage.LOST):
        opportunity.probability = DEFAULT_PROBABILITY[to]
    if to in (Stage.WON, Stage.LOST):
        opportunity.closed_at = now
    opportunity.save()
    if to == Stage.WON:
        # A deal made: the prospect is now a customer (已成交客户).
        customer = opportunity.customer
        if customer.status == CustomerStatus.PROSPECT:
            customer.status = CustomerStatus.CUSTOMER
            customer.save(update_fields=["status", "updated_at"])  # audited: prospect → customer
    prospect_grades_refresh(customer_ids=[opportunity.customer_id])
    opportunity_moved(opportunity=opportunity, from_stage=from_stage, by=by, override=bool(unmet))
    return opportunity


def opportunity_lose(*, opportunity_id: int, by: User, reason: str) -> Opportunity:
    return opportunity_move(opportunity_id=opportunity_id, to=Stage.LOST, by=by, reason=reason)


# --- Prospect grades -------------------------------------------------------------------------

GRADE_CUTOFFS = ((70, ProspectGrade.A), (40, ProspectGrade.B), (10, ProspectGrade.C))


def grade_for(probability: int | None) -> str:
    """A ≥ 70%, B ≥ 40%, C ≥ 10%, D below or with no open opportunity."""
    for cutoff, grade in GRADE_CUTOFFS:
        if probability is not None and probability >= cutoff:
            return grade
    return ProspectGrade.D


def prospect_grades_refresh(*, customer_ids: Iterable[int] | None = None) -> int:
    """Set prospect_grade from each prospect's best open opportunity ('' for customers).

    A handful of UPDATEs whatever the number of customers: one per grade.
    """
    customers = Customer.objects.all()
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    best = dict(
        Opportunity.objects.filter(customer__in=customers, stage__in=OPEN_STAGES)
        .values("customer_id")
        .annotate(best=Max("probability"))
        .values_list("customer_id", "best")
    )
    prospects = list(customers.filter(status=CustomerStatus.PROSPECT).values_list("pk", flat=True))
    by_grade: dict[str, list[int]] = {}
    for pk in prospects:
        by_grade.setdefault(grade_for(best.get(pk)), []).append(pk)
    changed = 0
    for grade, ids in by_grade.items():
        changed += (
            Customer.objects.filter(pk__in=ids).exclude(prospect_grade=grade).update(prospect_grade=grade)
        )
    changed += (
        customers.exclude(status=CustomerStatus.PROSPECT).exclude(prospect_grade="").update(prospect_grade="")
    )
    return changed


def prospect_grade_refresh(*, customer: Customer) -> None:
    """Re-grade one customer now (its status changed), and give `customer` the stored grade, so
    what the caller shows or saves next is the new one (and the audit baseline knows it)."""
    prospect_grades_refresh(customer_ids=[customer.pk])
    customer.refresh_from_db(fields=["prospect_grade"])


# --- Account plans ---------------------------------------------------------------------------


@transaction.atomic
def account_plan_save(
    *,
    plan: AccountPlan,
    by: User,
    objectives: list[dict] | None = None,
    actions: list[dict] | None = None,
) -> AccountPlan:
    """Save a plan; objectives/actions, when given, replace the plan's lists."""
    if plan.pk is None:
        plan.created_by = by
    plan.full_clean(exclude=["created_by"])  # set here, and null once its author is deleted
    plan.save()
    if objectives is not None:
        plan.objectives.all().delete()
        rows = [PlanObjective(plan=plan, **row) for row in objectives]
        for row in rows:
            row.full_clean(exclude=["plan"])
        PlanObjective.objects.bulk_create(rows)
    if actions is not None:
        plan.actions.all().delete()
        rows = [PlanAction(plan=plan, **row) for row in actions]
        for row in rows:
            row.full_clean(exclude=["plan"])
        PlanAction.objects.bulk_create(rows)
    return plan


@transaction.atomic
def account_plan_delete(*, plan: AccountPlan, by: User) -> None:
    """The plan's author, or whoever manages the customer (owner, their manager, admins)."""
    if plan.created_by_id != by.pk and not can_manage_customer(by, plan.customer):
        raise PermissionDenied(
            _("Only the plan's author, the customer's owner, their manager or an admin can delete it.")
        )
    plan.delete()
