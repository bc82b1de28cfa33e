"""The demo pipeline (demo.pipeline_dataset and its loaders): a plausible spread of opportunities
whose histories follow the same rules as real moves, account plans for key accounts, prospect
grades, and a second run that adds nothing."""

import io
import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts.models import Customer, Visit
from demo.dataset import demo_dataset
from demo.load import demo_load, demo_pipeline_load
from demo.pipeline_dataset import opportunity_specs, plan_specs
from pipeline.models import (
    OPEN_STAGES,
    AccountPlan,
    GateCheck,
    Opportunity,
    PlanAction,
    PlanObjective,
    StageChange,
)
from pipeline.services import gate_status, grade_for
from users.models import User

pytestmark = pytest.mark.django_db


def pipeline_counts() -> tuple[int, ...]:
    return (
        Opportunity.objects.count(),
        StageChange.objects.count(),
        GateCheck.objects.count(),
        Visit.objects.count(),
        AccountPlan.objects.count(),
        PlanObjective.objects.count(),
        PlanAction.objects.count(),
    )


@pytest.fixture
def dataset():
    return demo_dataset()


@pytest.fixture
def demo(dataset):
    """The demo logins and customers, then the demo pipeline (no scoring run: that is seed_demo's)."""
    call_command("seed_demo", "--logins-only", stdout=io.StringIO())
    demo_load(dataset=dataset)
    return demo_pipeline_load(dataset=dataset)


def test_opportunities_spread_over_the_stages(demo):
    by_stage = Counter(Opportunity.objects.values_list("stage", flat=True))

    assert 110 <= sum(by_stage.values()) <= 130
    for stage in OPEN_STAGES:
        assert 8 <= by_stage[stage] <= 30, stage
    assert by_stage["target"] >= by_stage["closing"]  # a funnel
    assert 10 <= by_stage["won"] <= 25
    assert 8 <= by_stage["lost"] <= 25
    assert demo.opportunities_created == sum(by_stage.values())


def test_every_opportunity_has_its_history_from_target(demo):
    now = timezone.now()
    changes: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.order_by("opportunity_id", "at", "id"):
        changes.setdefault(change.opportunity_id, []).append(change)

    for opportunity in Opportunity.objects.all():
        chain = changes[opportunity.pk]
        assert (chain[0].from_stage, chain[0].to_stage, chain[0].days_in_stage) == ("", "target", None)
        assert chain[0].at == opportunity.created_at
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_stage == before.to_stage
            assert after.at > before.at
            days = Decimal(str(round((after.at - before.at).total_seconds() / 86400, 2)))
            assert after.days_in_stage == days
        forward = [change.to_stage for change in chain if change.to_stage != "lost"]
        order = ["target", "information", "evaluation", "relationship", "closing", "won"]
        assert forward == order[: len(forward)]  # one step at a time, nothing skipped
        assert chain[-1].to_stage == opportunity.stage
        assert chain[-1].at == opportunity.stage_entered_at < now
        assert (opportunity.closed_at == chain[-1].at) is (opportunity.stage in ("won", "lost"))
        assert opportunity.owner_id == opportunity.customer.owner_id
        assert all(change.by_id == opportunity.owner_id for change in chain if not change.override_reason)


def test_moves_pass_their_gates_or_are_a_managers_override(demo):
    manager = User.objects.get(username="manager")
    moves = StageChange.objects.filter(from_stage__in=OPEN_STAGES).exclude(to_stage="lost")
    overrides = moves.exclude(override_reason="")

    assert 1 <= overrides.count() <= 15  # a few
    assert set(overrides.values_list("by", flat=True)) == {manager.pk}
    assert demo.overrides == overrides.count()
    for move in moves.select_related("opportunity__customer"):
        unmet = [
            item.label
            for item in gate_status(opportunity=move.opportunity, stage=move.from_stage)
            if not item.met
        ]
        assert unmet == move.unmet_items, move
    # The hand-checked items of a stage were ticked while the opportunity was in it.
    entered = {(change.opportunity_id, change.to_stage): change.at for change in StageChange.objects.all()}
    left = {(change.opportunity_id, change.from_stage): change.at for change in StageChange.objects.all()}
    checks = GateCheck.objects.select_related("item")
    owners = dict(Opportunity.objects.values_list("pk", "owner_id"))
    assert checks.count() > moves.count()
    for check in checks:
        assert check.item.rule == ""
        start = entered[(check.opportunity_id, check.item.stage)]
        end = left.get((check.opportunity_id, check.item.stage), timezone.now())
        assert start < check.checked_at < end
        assert check.checked_by_id == owners[check.opportunity_id]


def test_won_deals_come_with_their_closing_visits_and_lost_ones_with_a_reason(demo):
    for opportunity in Opportunity.objects.filter(stage="won").select_related("customer"):
        assert opportunity.customer.status == "customer"
        assert opportunity.probability == 100
        assert opportunity.expected_close_on == timezone.localtime(opportunity.closed_at).date()
        kinds = set(opportunity.customer.visits.values_list("kind", flat=True))
        assert {"executive", "site_visit"} <= kinds
    lost = Opportunity.objects.filter(stage="lost")
    assert not lost.filter(lost_reason="").exists()
    assert lost.filter(lost_reason__startswith="无则终止").exists()
    assert lost.filter(Q(lost_reason__contains="价格") | Q(lost_reason__contains="竞争对手")).exists()
    assert set(lost.values_list("probability", flat=True)) == {0}
    # Lost at target: "is there a chance?" was answered no (无则终止).
    lost_at_target = lost.filter(stage_changes__from_stage="target", stage_changes__to_stage="lost")
    assert lost_at_target.exists()
    assert all(
        reason.startswith("无则终止") for reason in lost_at_target.values_list("lost_reason", flat=True)
    )
    # Every visit stays within the demo's last half year.
    assert not Visit.objects.filter(occurred_at__lt=timezone.now() - timedelta(days=190)).exists()


def test_amounts_are_skewed_and_close_dates_lie_ahead(demo):
    today = timezone.localdate()
    amounts = sorted(Opportunity.objects.values_list("expected_amount", flat=True), reverse=True)
    top = amounts[: math.ceil(len(amounts) * 0.2)]
    assert sum(top) / sum(amounts) > Decimal("0.4")
    assert amounts[0] > 10 * amounts[len(amounts) // 2]

    open_rows = Opportunity.objects.filter(stage__in=OPEN_STAGES)
    dates = list(open_rows.values_list("expected_close_on", flat=True))
    assert all(today - timedelta(days=31) <= day <= today + timedelta(days=183) for day in dates)
    overdue = sum(1 for day in dates if day < today)
    assert 1 <= overdue <= 12  # a few


def test_mostly_key_accounts_and_high_potential_ones(demo):
    sales = dict(
        Customer.objects.annotate(
            s=Sum(
                "transactions__amount",
                filter=Q(transactions__occurred_on__gt=timezone.localdate() - timedelta(days=365)),
            )
        ).values_list("pk", "s")
    )
    ranked = sorted(sales, key=lambda pk: -(sales[pk] or 0))
    key = set(ranked[: math.ceil(len(ranked) * 0.2)])
    customers = list(
        Opportunity.objects.values_list("customer_id", "customer__potential", "customer__status")
    )

    chosen = [pk for pk, potential, _status in customers if pk in key or (potential or 0) >= 4]
    assert len(chosen) >= 0.75 * len(customers)
    assert any(status == "prospect" for _pk, _potential, status in customers)
    assert Opportunity.objects.values("customer").distinct().count() >= 40


def test_prospects_are_graded_by_their_best_open_opportunity(demo):
    best = dict(
        Opportunity.objects.filter(stage__in=OPEN_STAGES)
        .values("customer")
        .annotate(best=Max("probability"))
        .values_list("customer", "best")
    )
    prospects = Customer.objects.filter(status="prospect")
    for pk, grade in prospects.values_list("pk", "prospect_grade"):
        assert grade == grade_for(best.get(pk)), pk
    assert prospects.filter(prospect_grade="A").exists()  # a prospect at closing (80%)
    assert set(Customer.objects.filter(status="customer").values_list("prospect_grade", flat=True)) == {""}


def test_account_plans_for_key_accounts(demo):
    plans = AccountPlan.objects.select_related("customer")

    assert 8 <= plans.count() <= 12
    for plan in plans:
        assert plan.customer.status == "customer"
        assert plan.period_start <= timezone.localdate() <= plan.period_end
        assert plan.created_by_id == plan.customer.owner_id
        assert plan.objectives.exists()
        team = {plan.customer.owner_id, *plan.customer.team_memberships.values_list("user_id", flat=True)}
        assert set(plan.actions.values_list("owner_id", flat=True)) <= team
        assert plan.actions.count() >= 3
    assert len(set(plans.values_list("step", flat=True))) >= 3


def test_a_second_run_adds_nothing(demo, dataset):
    counts = pipeline_counts()
    grades = list(Customer.objects.order_by("pk").values_list("prospect_grade", flat=True))

    again = demo_pipeline_load(dataset=dataset)

    assert pipeline_counts() == counts
    assert (again.opportunities_created, again.plans_created, again.visits_created) == (0, 0, 0)
    assert list(Customer.objects.order_by("pk").values_list("prospect_grade", flat=True)) == grades


def test_the_specs_are_the_same_every_time_and_keys_unique(dataset):
    first, second = opportunity_specs(dataset), opportunity_specs(dataset)

    assert first == second
    assert len({(spec.customer, spec.title) for spec in first}) == len(first)
    assert plan_specs(dataset) == plan_specs(dataset)
    assert len({(spec.customer, spec.title) for spec in plan_specs(dataset)}) == len(plan_specs(dataset))


def test_seed_demo_twice_loads_the_pipeline_once_and_ends_scored(capsys):
    from scoring.models import ScoringRun

    call_command("seed_demo")
    counts = pipeline_counts()
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "120 opportunities (" in out
    assert pipeline_counts() == counts
    assert counts[0] == 120
    assert ScoringRun.objects.filter(status="succeeded").count() == 2
    assert not Customer.objects.filter(scored_at__isnull=True).exists()
    # Scoring saw the open opportunities: prospects with one are in acquisition.
    with_open = Customer.objects.filter(status="prospect", opportunities__stage__in=OPEN_STAGES).distinct()
    assert set(with_open.values_list("lifecycle_stage", flat=True)) == {"acquisition"}


def test_the_admin_lists_every_pipeline_model(demo, client, admin_user):
    client.force_login(admin_user)
    for model in (
        "opportunity",
        "stagechange",
        "gatecheck",
        "stagegateitem",
        "accountplan",
        "planaction",
        "planobjective",
    ):
        assert client.get(f"/admin/pipeline/{model}/").status_code == 200, model
    opportunity = Opportunity.objects.filter(stage="won").first()
    assert client.get(f"/admin/pipeline/opportunity/{opportunity.pk}/change/").status_code == 200
    plan = AccountPlan.objects.first()
    assert client.get(f"/admin/pipeline/accountplan/{plan.pk}/change/").status_code == 200
    # The gate checklist is the admins' to edit; the history is not.
    assert 'name="form-0-position"' in client.get("/admin/pipeline/stagegateitem/").content.decode()
    assert client.get("/admin/pipeline/stagegateitem/add/").status_code == 200
    assert client.get("/admin/pipeline/stagechange/add/").status_code == 403
