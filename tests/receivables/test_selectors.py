"""receivables/selectors.py: one customer's receivables, aging boundaries, the credit-risk flag
and the aging table over many customers, with their query counts."""

from datetime import date, timedelta

import pytest

from accounts.models import Customer, credit_risk_q
from receivables import selectors, services
from receivables.services import PaymentRow
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.receivables.conftest import D, won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def plan_due(customer, by, *installments, title="合同"):
    """A plan with installments given as (days past due on TODAY, amount)."""
    schedule = [(TODAY - timedelta(days=days), D(amount)) for days, amount in installments]
    return services.plan_create(
        opportunity=won_opportunity(customer, title=title),
        by=by,
        contract_amount=sum((amount for _due, amount in schedule), D("0")),
        installments=schedule,
    )


def pay(customer, by, reference, amount, received=TODAY):
    services.payments_upsert(
        rows=[
            PaymentRow(customer_id=customer.pk, reference=reference, received_on=received, amount=D(amount))
        ],
        by=by,
    )


# --- Aging boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-30, "not_due"),
        (0, "not_due"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_aging_bucket_boundaries(days, bucket):
    assert selectors.aging_bucket(days) == bucket


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "not_due"), (1, "days_1_30"), (30, "days_1_30"), (31, "days_31_60"), (60, "days_31_60"),
     (61, "days_61_90"), (90, "days_61_90"), (91, "over_90")],
)  # fmt: skip
def test_an_open_installment_lands_in_its_bucket(rep, customer, days, bucket):
    plan_due(customer, rep, (days, "100.00"))

    summary = selectors.customer_receivables(customer=customer, today=TODAY)
    rows = {row["id"]: row for row in selectors.aging_rows(customers=Customer.objects.all(), today=TODAY)}

    expected = {key: D("100.00") if key == bucket else D("0.00") for key in selectors.BUCKET_KEYS}
    assert {line.key: line.amount for line in summary.aging.lines} == expected
    assert {key: rows[customer.pk][key] for key in selectors.BUCKET_KEYS} == expected
    assert summary.overdue == (D("0.00") if days == 0 else D("100.00"))
    assert summary.installments[0].overdue is (days > 0)
    assert summary.installments[0].days_past_due == days


@pytest.mark.parametrize(("days", "at_risk"), [(0, False), (1, False), (30, False), (31, True), (91, True)])
def test_credit_risk_flips_between_30_and_31_days(rep, customer, days, at_risk):
    plan_due(customer, rep, (days, "100.00"))

    summary = selectors.customer_receivables(customer=customer, today=TODAY)
    rows = selectors.aging_rows(customers=Customer.objects.all(), today=TODAY)

    assert summary.credit_risk is at_risk
    assert rows[0]["credit_risk"] is at_risk
    # The list filter's rule reads the stored oldest open due date: the same answer.
    assert Customer.objects.filter(credit_risk_q(TODAY), pk=customer.pk).exists() is at_risk


def test_paying_the_late_installment_clears_the_credit_risk(rep, manager, customer):
    plan_due(customer, rep, (45, "100.00"), (-10, "100.00"))
    assert Customer.objects.filter(credit_risk_q(TODAY), pk=customer.pk).exists()

    pay(customer, manager, "ERP-1", "100.00")

    summary = selectors.customer_receivables(customer=customer, today=TODAY)
    assert summary.credit_risk is False
    assert summary.overdue == D("0.00")
    assert not Customer.objects.filter(credit_risk_q(TODAY), pk=customer.pk).exists()


def test_a_partly_paid_installment_ages_what_is_open(rep, manager, customer):
    plan_due(customer, rep, (40, "100.00"))
    pay(customer, manager, "ERP-1", "60.00")

    summary = selectors.customer_receivables(customer=customer, today=TODAY)

    assert summary.aging.days_31_60 == D("40.00")
    assert summary.open == D("40.00")
    assert summary.credit_risk is True


# --- One customer's receivables -------------------------------------------------------------


def test_customer_receivables_totals(rep, manager, customer, django_assert_num_queries):
    plan_due(customer, rep, (70, "300.00"), (10, "300.00"), (-20, "400.00"), title="一期")
    plan_due(customer, rep, (-60, "500.00"), title="二期")
    pay(customer, manager, "ERP-1", "350.00", received=TODAY - timedelta(days=65))
    pay(customer, manager, "ERP-2", "1000.00", received=TODAY - timedelta(days=1))
    pay(customer, manager, "ERP-3", "250.00")  # 1,600 received against 1,500: 100 credit

    with django_assert_num_queries(3):
        summary = selectors.customer_receivables(customer=customer, today=TODAY)

    assert summary.contracted == D("1500.00")
    assert summary.received == D("1600.00")
    assert summary.applied == D("1500.00")
    assert summary.open == D("0.00")
    assert summary.overdue == D("0.00")
    assert summary.credit == D("100.00")
    assert summary.credit_risk is False
    assert summary.oldest_open_due_on is None
    assert [payment.reference for payment in summary.payments] == ["ERP-3", "ERP-2", "ERP-1"]
    assert [(p.reference, p.applied_amount, p.unapplied_amount) for p in summary.payments] == [
        ("ERP-3", D("150.00"), D("100.00")),
        ("ERP-2", D("1000.00"), D("0.00")),
        ("ERP-1", D("350.00"), D("0.00")),
    ]
    assert [line.plan.opportunity.title for line in summary.plans] == ["一期", "二期"]


def test_customer_receivables_of_a_customer_without_any(customer):
    summary = selectors.customer_receivables(customer=customer, today=TODAY)

    assert summary.plans == []
    assert summary.payments == []
    assert (summary.contracted, summary.received, summary.open, summary.credit) == (D("0"),) * 4
    assert summary.credit_risk is False


# --- The aging table ------------------------------------------------------------------------


@pytest.fixture
def two_teams(rep, manager, team):
    """rep (team A) with two customers, rep2 (team B) with one; every customer owes something."""
    rep2 = UserFactory(username="rep2", role=Role.REP)
    TeamFactory(name="华南大客户部").members.add(rep2)
    first = CustomerFactory(owner=rep, name="甲客户")
    second = CustomerFactory(owner=rep, name="乙客户")
    third = CustomerFactory(owner=rep2, name="丙客户")
    plan_due(first, rep, (95, "100.00"), (5, "200.00"))
    plan_due(second, rep, (-5, "50.00"))
    plan_due(third, rep2, (45, "70.00"))
    paid = CustomerFactory(owner=rep, name="已结清客户")
    plan_due(paid, rep, (10, "10.00"))
    pay(paid, manager, "ERP-PAID", "10.00")
    return {"first": first, "second": second, "third": third, "paid": paid, "rep2": rep2}


def test_aging_rows_by_customer(two_teams, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.aging_rows(customers=Customer.objects.all(), today=TODAY)

    assert [(row["label"], row["open"], row["overdue"], row["credit_risk"]) for row in rows] == [
        ("甲客户", D("300.00"), D("300.00"), True),
        ("丙客户", D("70.00"), D("70.00"), True),
        ("乙客户", D("50.00"), D("0.00"), False),
    ]  # the settled customer has no row
    first = rows[0]
    assert (first["over_90"], first["days_1_30"], first["not_due"]) == (D("100.00"), D("200.00"), D("0.00"))
    assert first["owner_id"] == two_teams["first"].owner_id


def test_aging_rows_by_owner_and_team(rep, team, two_teams, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_owner = selectors.aging_rows(customers=Customer.objects.all(), today=TODAY, by="owner")
    with django_assert_num_queries(1):
        by_team = selectors.aging_rows(customers=Customer.objects.all(), today=TODAY, by="team")

    assert [(row["id"], row["label"], row["open"]) for row in by_owner] == [
        (rep.pk, rep.display_name, D("350.00")),
        (two_teams["rep2"].pk, two_teams["rep2"].display_name, D("70.00")),
    ]
    assert [(row["label"], row["open"], row["over_90"], row["days_31_60"]) for row in by_team] == [
        (team.name, D("350.00"), D("100.00"), D("0.00")),
        ("华南大客户部", D("70.00"), D("0.00"), D("70.00")),
    ]


def test_aging_rows_cover_only_the_customers_given(rep, two_teams):
    rows = selectors.aging_rows(customers=Customer.objects.visible_to(rep), today=TODAY)

    assert {row["label"] for row in rows} == {"甲客户", "乙客户"}


def test_aging_rows_refuse_an_unknown_grouping():
    with pytest.raises(ValueError, match="groups by"):
        selectors.aging_rows(customers=Customer.objects.none(), today=TODAY, by="region")
