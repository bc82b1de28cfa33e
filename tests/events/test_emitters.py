"""The events the apps record (events.types): each change through its service emits its events
exactly once, in the change's own transaction, with the documented data and no personal profile."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountTeamMember, Contact
from accounts.services import VisitRow, visit_log, visits_log
from events.dispatch import dispatch, sweep
from events.models import Event
from events.types import DATA_KEYS, EventType
from pipeline.models import Stage
from pipeline.services import GateNotMet, opportunity_create, opportunity_move
from receivables import services as receivables
from receivables.models import Installment
from receivables.services import PaymentRow
from receivables.tasks import announce_overdue_installments
from scoring.models import ScoringRun, TierChange
from scoring.services import run_execute, run_request
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    OpportunityFactory,
    TransactionFactory,
    UserFactory,
)
from users.models import Role

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 30)
PROFILE = {
    "hometown": "绍兴柯桥老家",
    "interests": "钓鱼和紫砂壶收藏",
    "personality": "谨慎细致型",
    "family": "女儿在读高三",
    "working_style": "凡事要看书面材料",
}


def events(type=None) -> list[Event]:
    rows = Event.objects.order_by("created_at", "id")
    return list(rows.filter(type=type) if type else rows)


def assert_documented(event: Event) -> None:
    assert set(event.data) == DATA_KEYS[event.type], event.type
    json.dumps(event.data)  # plain JSON: no dates, no Decimals


@pytest.fixture
def member(customer):
    user = UserFactory(username="solution", role=Role.REP, last_name="赵", first_name="敏")
    AccountTeamMember.objects.create(customer=customer, user=user)
    return user


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="南京百川生物医药有限公司", status="prospect")


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, **PROFILE)


# --- visit.logged ----------------------------------------------------------------------------


def test_a_logged_visit_is_announced_once_without_its_notes(rep, customer, member, contact):
    visit = visit_log(
        customer=customer,
        by=rep,
        occurred_at=datetime(2026, 5, 6, 10, tzinfo=SHANGHAI),
        kind="site_visit",
        contacts=[contact],
        summary="参观产线，客户很满意",
        needs="交期缩短到两周",
    )

    [event] = events()
    assert event.type == EventType.VISIT_LOGGED
    assert_documented(event)
    assert event.data == {
        "visit_id": visit.pk,
        "customer_id": customer.pk,
        "customer_name": "南京百川生物医药有限公司",
        "kind": "site_visit",
        "occurred_at": "2026-05-06T10:00:00+08:00",
        "by_id": rep.pk,
        "by_name": rep.display_name,
    }
    assert event.customer_id == customer.pk
    assert event.audience == [rep.pk, member.pk]
    assert "参观产线" not in json.dumps(event.data, ensure_ascii=False)


def test_a_batch_of_visits_is_announced_once_each(rep, customer, member):
    other = CustomerFactory(owner=member, name="苏州华信电子科技有限公司")
    when = datetime(2026, 5, 6, 10, tzinfo=SHANGHAI)

    logged = visits_log(
        visits=[
            VisitRow(customer=customer, by=rep, occurred_at=when),
            VisitRow(customer=other, by=member, occurred_at=when),
        ]
    )

    announced = events(EventType.VISIT_LOGGED)
    assert [event.data["visit_id"] for event in announced] == [visit.pk for visit in logged]
    assert [event.data["customer_name"] for event in announced] == [customer.name, other.name]
    assert [event.audience for event in announced] == [[rep.pk, member.pk], [member.pk]]


def test_a_refused_batch_announces_nothing(rep, customer, contact):
    other = CustomerFactory(owner=rep)
    when = datetime(2026, 5, 6, 10, tzinfo=SHANGHAI)

    with pytest.raises(ValidationError):  # the contact belongs to another customer
        visits_log(
            visits=[
                VisitRow(customer=customer, by=rep, occurred_at=when),
                VisitRow(customer=other, by=rep, occurred_at=when, contacts=[contact]),
            ]
        )

    assert events() == []


def test_a_rolled_back_change_announces_nothing_and_queues_nothing(
    rep, customer, django_capture_on_commit_callbacks
):
    @transaction.atomic
    def log_then_fail():
        visit_log(customer=customer, by=rep, occurred_at=datetime(2026, 5, 6, 10, tzinfo=SHANGHAI))
        raise RuntimeError("the caller's transaction fails after the visit")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        log_then_fail()

    assert events() == []
    assert callbacks == []


def test_a_committed_event_is_queued_for_dispatch_after_the_commit(
    rep, customer, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("events.tasks.queue_dispatch", lambda ids: queued.append(list(ids)))

    with django_capture_on_commit_callbacks(execute=True):
        visit_log(customer=customer, by=rep, occurred_at=datetime(2026, 5, 6, 10, tzinfo=SHANGHAI))
        assert queued == []  # not before the commit

    assert queued == [[events()[0].pk]]


def test_logging_a_visit_through_the_api_announces_it_once(api_client, rep, customer):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {
            "customer": customer.pk,
            "kind": "call",
            "occurred_at": "2026-05-06T10:00:00+08:00",
            "summary": "电话",
        },
        format="json",
    )

    assert response.status_code == 201
    [event] = events()
    assert (event.type, event.data["visit_id"], event.data["kind"]) == (
        EventType.VISIT_LOGGED,
        response.json()["id"],
        "call",
    )


# --- opportunity.stage_changed / won / lost ----------------------------------------------------


@pytest.fixture
def opportunity(customer, rep, gate_items):
    return opportunity_create(
        customer=customer, by=rep, title="年度框架协议", expected_amount=Decimal(500_000)
    )


def move(opportunity, to, by, **kwargs):
    return opportunity_move(opportunity_id=opportunity.pk, to=to, by=by, **kwargs)


def test_creating_an_opportunity_is_no_move(opportunity):
    assert events() == []


def test_a_move_is_announced_once_with_its_override(opportunity, rep, manager, member):
    move(opportunity, Stage.INFORMATION, manager, override_reason="老客户转介绍")

    [event] = events()
    assert event.type == EventType.OPPORTUNITY_STAGE_CHANGED
    assert_documented(event)
    assert event.data == {
        "opportunity_id": opportunity.pk,
        "title": "年度框架协议",
        "customer_id": opportunity.customer_id,
        "customer_name": "南京百川生物医药有限公司",
        "from_stage": "target",
        "to_stage": "information",
        "amount": "500000.00",
        "owner_id": rep.pk,
        "owner_name": rep.display_name,
        "by_id": manager.pk,
        "by_name": manager.display_name,
        "override": True,
        "lost_reason": "",
    }
    assert event.audience == [rep.pk, member.pk]


def test_a_refused_move_announces_nothing(opportunity, rep):
    with pytest.raises(GateNotMet):
        move(opportunity, Stage.INFORMATION, rep)

    assert events() == []


def test_a_won_deal_is_announced_as_a_move_and_as_won(customer, rep, manager, gate_items):
    deal = OpportunityFactory(
        customer=customer, stage=Stage.CLOSING, expected_amount=Decimal(80_000), owner=None
    )

    move(deal, Stage.WON, manager, override_reason="合同已签")

    announced = events()
    assert [event.type for event in announced] == [
        EventType.OPPORTUNITY_STAGE_CHANGED,
        EventType.OPPORTUNITY_WON,
    ]
    assert announced[0].data == announced[1].data
    assert announced[1].data["amount"] == "80000.00"
    assert announced[1].data["owner_id"] is None
    assert announced[1].data["to_stage"] == "won"
    assert announced[1].audience == [rep.pk]


def test_a_lost_deal_says_why(opportunity, rep):
    move(opportunity, Stage.LOST, rep, reason="预算被砍")

    announced = events()
    assert [event.type for event in announced] == [
        EventType.OPPORTUNITY_STAGE_CHANGED,
        EventType.OPPORTUNITY_LOST,
    ]
    assert {event.data["lost_reason"] for event in announced} == {"预算被砍"}
    assert {event.data["override"] for event in announced} == {False}
    for event in announced:
        assert_documented(event)


def test_a_move_through_the_api_is_announced_once(api_client, opportunity, manager):
    api_client.force_authenticate(manager)

    response = api_client.post(
        f"/api/v1/opportunities/{opportunity.pk}/move/",
        {"to": "information", "override_reason": "老客户"},
        format="json",
    )

    assert response.status_code == 200
    [event] = events()
    assert (event.type, event.data["to_stage"]) == (EventType.OPPORTUNITY_STAGE_CHANGED, "information")


# --- payment.received ----------------------------------------------------------------------


def pay(manager, customer, reference, amount="50000.00", received="2026-05-06", **fields):
    row = PaymentRow(
        customer_id=customer.pk,
        reference=reference,
        received_on=date.fromisoformat(received),
        amount=Decimal(amount),
        **fields,
    )
    return receivables.payments_upsert(rows=[row], by=manager)


def test_a_new_payment_is_announced_once_a_repeat_or_correction_not(manager, rep, customer):
    pay(manager, customer, "ERP-1", source="erp")
    pay(manager, customer, "ERP-1", source="erp")  # the ERP sends the batch again
    pay(manager, customer, "ERP-1", amount="49000.00", source="erp")  # a correction

    [event] = events()
    assert event.type == EventType.PAYMENT_RECEIVED
    assert_documented(event)
    assert event.data == {
        "payment_id": event.data["payment_id"],
        "reference": "ERP-1",
        "customer_id": customer.pk,
        "customer_name": customer.name,
        "amount": "50000.00",
        "received_on": "2026-05-06",
        "source": "erp",
    }
    assert event.data["payment_id"] is not None
    assert event.audience == [rep.pk]


def test_an_erp_batch_through_the_api_announces_each_new_payment(api_client, manager, customer):
    api_client.force_authenticate(manager)
    pay(manager, customer, "ERP-1")
    body = [
        {"customer": customer.pk, "reference": ref, "received_on": "2026-05-07", "amount": "100.00"}
        for ref in ("ERP-1", "ERP-2", "ERP-3")
    ]

    response = api_client.post("/api/v1/payments/", body, format="json")

    assert response.status_code == 201, response.json()
    assert sorted(event.data["reference"] for event in events()) == ["ERP-1", "ERP-2", "ERP-3"]


def test_a_bad_erp_batch_announces_nothing(api_client, manager, customer):
    api_client.force_authenticate(manager)
    body = [
        {"customer": customer.pk, "reference": "ERP-2", "received_on": "2026-05-07", "amount": "100.00"},
        {"customer": customer.pk, "reference": "ERP-3", "received_on": "2026-05-07", "amount": "-1.00"},
    ]

    response = api_client.post("/api/v1/payments/", body, format="json")

    assert response.status_code == 400
    assert events() == []


# --- installment.overdue ---------------------------------------------------------------------


@pytest.fixture
def plan(customer, rep):
    won = OpportunityFactory(
        customer=customer, stage=Stage.WON, probability=100, expected_amount=Decimal(300)
    )
    return receivables.plan_create(
        opportunity=won,
        by=rep,
        contract_amount=Decimal("300.00"),
        contract_number="HT-2026-001",
        installments=[
            (date(2026, 5, 31), Decimal("100.00")),
            (date(2026, 6, 30), Decimal("100.00")),
            (date(2026, 7, 31), Decimal("100.00")),
        ],
    )


def overdue_on(day: date) -> int:
    return receivables.installments_announce_overdue(today=day)


def test_an_overdue_installment_is_announced_once_over_two_days(plan, customer, rep, member, manager):
    pay(manager, customer, "ERP-1", amount="40.00", received="2026-06-01")
    Event.objects.all().delete()
    first = plan.installments.get(due_on=date(2026, 5, 31))

    assert overdue_on(date(2026, 6, 30)) == 1  # due 30 June is not late on 30 June
    assert overdue_on(date(2026, 6, 30)) == 0  # run again the same day
    assert overdue_on(date(2026, 7, 1)) == 1  # the next day: only the second one is new

    announced = events(EventType.INSTALLMENT_OVERDUE)
    assert [event.data["installment_id"] for event in announced] == [
        first.pk,
        plan.installments.get(due_on=date(2026, 6, 30)).pk,
    ]
    assert_documented(announced[0])
    assert announced[0].data == {
        "installment_id": first.pk,
        "plan_id": plan.pk,
        "contract_number": "HT-2026-001",
        "opportunity_id": plan.opportunity_id,
        "customer_id": customer.pk,
        "customer_name": customer.name,
        "due_on": "2026-05-31",
        "amount": "100.00",
        "open_amount": "60.00",
        "days_overdue": 30,
    }
    assert announced[0].audience == [rep.pk, member.pk]
    assert Installment.objects.get(pk=first.pk).overdue_announced_on == date(2026, 6, 30)


def test_the_daily_task_is_idempotent_and_a_reopened_installment_is_announced_again(
    plan, customer, manager, monkeypatch
):
    def today_is(day: date) -> None:
        monkeypatch.setattr("receivables.tasks.timezone.localdate", lambda: day)

    today_is(date(2026, 6, 10))
    assert announce_overdue_installments() == 1
    assert announce_overdue_installments() == 0
    pay(manager, customer, "ERP-9", amount="100.00", received="2026-06-11")  # pays the first off
    today_is(date(2026, 6, 12))
    assert announce_overdue_installments() == 0
    assert Installment.objects.filter(overdue_announced_on__isnull=False).count() == 0  # forgotten

    receivables.payment_delete(payment=customer.payments.get(), by=manager)  # taken back
    today_is(date(2026, 6, 13))
    assert announce_overdue_installments() == 1

    assert len(events(EventType.INSTALLMENT_OVERDUE)) == 2


# --- customer.tier_changed and scoring.run_finished -----------------------------------------


def population(owner, member):
    """Five customers whose tiers a credit note reshuffles (tests/scoring/test_services.py)."""
    ratings = {
        1: {"potential": 5, "demonstration": 3, "winnability": 4},
        2: {"potential": 2, "winnability": 5},
        3: {},
        4: {"potential": 5, "demonstration": 5, "winnability": 5},
        5: {"potential": 3, "demonstration": 3, "winnability": 3},
    }
    sales = {1: 500, 2: 300, 3: 300, 4: 0, 5: 100}
    customers = {}
    for key in range(1, 6):
        customer = CustomerFactory(
            name=f"客户{key}", status="customer", owner=owner if key != 5 else None, **ratings[key]
        )
        if sales[key]:
            TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=10), amount=sales[key])
        customers[key] = customer
    AccountTeamMember.objects.create(customer=customers[1], user=member)
    AccountTeamMember.objects.create(customer=customers[1], user=owner)  # the owner listed again
    AccountTeamMember.objects.create(customer=customers[5], user=member)
    return customers


def scoring_run(by=None) -> ScoringRun:
    run, _created = run_request(by=by, as_of=AS_OF, enqueue=False)
    run_execute(run_id=run.pk)
    return ScoringRun.objects.select_related("model").get(pk=run.pk)


def test_a_run_announces_each_tier_change_once_and_its_end(
    rep, manager, django_capture_on_commit_callbacks, monkeypatch
):
    member = UserFactory(username="solution", role=Role.REP)
    customers = population(rep, member)
    first = scoring_run()
    assert events(EventType.CUSTOMER_TIER_CHANGED) == []  # nobody had a tier before
    TransactionFactory(customer=customers[1], occurred_on=AS_OF, amount=-500)
    queued = []
    monkeypatch.setattr("events.tasks.queue_dispatch", lambda ids: queued.append(list(ids)))

    with django_capture_on_commit_callbacks(execute=True):
        second = scoring_run(by=manager)
    run_execute(run_id=second.pk)  # a second delivery of the same run writes nothing

    finished = events(EventType.SCORING_RUN_FINISHED)
    assert [event.data for event in finished] == [
        {
            "run_id": run.pk,
            "as_of": "2026-06-30",
            "model_version": run.model.version,
            "customers_scored": 5,
            "tier_changes": tier_changes,
        }
        for run, tier_changes in ((first, 0), (second, 3))
    ]
    assert finished[1].audience == [manager.pk]
    assert_documented(finished[1])
    # The run's transaction wrote its end and its tier changes, not yet their events: those are
    # written when the run's end is dispatched, after the commit.
    assert queued == [[finished[1].pk]]
    assert events(EventType.CUSTOMER_TIER_CHANGED) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch(event_ids=[finished[1].pk]) == 1
    assert dispatch(event_ids=[finished[1].pk]) == 0  # a second dispatch writes nothing twice

    changes = {change.customer_id: change for change in TierChange.objects.filter(run=second)}
    announced = events(EventType.CUSTOMER_TIER_CHANGED)
    assert len(announced) == len(changes) == second.tier_changes == 3
    for event in announced:
        assert_documented(event)
        assert event.created_at == finished[1].created_at  # dated with the run's end
        change = changes[event.customer_id]
        customer = customers[next(k for k, c in customers.items() if c.pk == event.customer_id)]
        customer.refresh_from_db()
        assert event.data == {
            "customer_id": customer.pk,
            "customer_name": customer.name,
            "from_tier": change.from_tier,
            "to_tier": change.to_tier,
            "direction": change.direction,
            "score": f"{customer.score:.2f}",
            "run_id": second.pk,
            "as_of": "2026-06-30",
        }
    audiences = {event.customer_id: event.audience for event in announced}
    assert audiences[customers[1].pk] == [rep.pk, member.pk]  # owner first, not twice
    assert audiences[customers[5].pk] == [member.pk]  # no owner
    assert audiences[customers[4].pk] == [rep.pk]
    # Then queued for their own dispatch, after the dispatch's commit.
    assert sorted(str(pk) for ids in queued[1:] for pk in ids) == sorted(str(e.pk) for e in announced)


def test_tier_changes_a_dead_worker_left_are_announced_by_the_sweep(rep, manager, monkeypatch):
    """The worker dies between the run's commit and the dispatch of its end: the sweep
    dispatches the run's end a minute later, and with it writes the tier-change events."""
    customers = population(rep, UserFactory(username="solution", role=Role.REP))
    scoring_run()
    TransactionFactory(customer=customers[1], occurred_on=AS_OF, amount=-500)
    monkeypatch.setattr("events.tasks.queue_dispatch", lambda ids: None)  # the broker is gone
    second = scoring_run(by=manager)
    assert events(EventType.CUSTOMER_TIER_CHANGED) == []

    later = timezone.now() + timedelta(minutes=2)
    assert sweep(now=later)["dispatched"] == 2  # both runs' ends
    assert len(events(EventType.CUSTOMER_TIER_CHANGED)) == second.tier_changes == 3
    assert sweep(now=later)["dispatched"] == 3  # then the tier changes themselves
    assert Event.objects.filter(dispatched_at__isnull=True).count() == 0
    assert sweep(now=later) == {"dispatched": 0, "requeued": 0}
    assert len(events(EventType.CUSTOMER_TIER_CHANGED)) == 3  # once each


# --- Never a contact's personal profile ----------------------------------------------------


def test_no_event_carries_a_personal_profile(rep, manager, customer, contact, gate_items, plan):
    visit_log(
        customer=customer,
        by=rep,
        occurred_at=datetime(2026, 5, 6, 10, tzinfo=SHANGHAI),
        contacts=[contact],
        summary=f"和{contact.name}聊了{PROFILE['interests']}",
    )
    deal = opportunity_create(customer=customer, by=rep, title="扩产项目")
    move(deal, Stage.INFORMATION, manager, override_reason="熟客")
    move(deal, Stage.LOST, rep, reason="预算被砍")
    pay(manager, customer, "ERP-1", amount="10.00")
    overdue_on(date(2026, 7, 1))

    announced = events()
    assert {event.type for event in announced} >= {
        EventType.VISIT_LOGGED,
        EventType.OPPORTUNITY_STAGE_CHANGED,
        EventType.OPPORTUNITY_LOST,
        EventType.PAYMENT_RECEIVED,
        EventType.INSTALLMENT_OVERDUE,
    }
    text = json.dumps([event.data for event in announced], ensure_ascii=False)
    for field in Contact.PROFILE_FIELDS:
        assert all(field not in event.data for event in announced)
    for value in PROFILE.values():
        assert value not in text
    assert contact.name not in text
    for event in announced:
        assert_documented(event)
