"""My day's "payments to collect": the installments of the customers a user owns that are
overdue or due within 7 days, overdue first, with their open amount and days overdue; the
selector and the page, with their query counts.

Assertions look at data (data-testid hooks, figures), never at translated labels.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Customer
from receivables import selectors, services
from receivables.services import PaymentRow
from tests.factories import CustomerFactory, UserFactory
from tests.receivables.conftest import D, won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db


def plan(customer, by, *installments, title="合同"):
    """A plan with installments given as (days past due today, amount)."""
    today = timezone.localdate()
    schedule = [(today - timedelta(days=days), D(amount)) for days, amount in installments]
    return services.plan_create(
        opportunity=won_opportunity(customer, title=title),
        by=by,
        contract_amount=sum((amount for _due, amount in schedule), D("0")),
        installments=schedule,
    )


def pay(customer, by, reference: str, amount: str) -> None:
    row = PaymentRow(
        customer_id=customer.pk, reference=reference, received_on=timezone.localdate(), amount=D(amount)
    )
    services.payments_upsert(rows=[row], by=by)


@pytest.fixture
def book(rep, manager, team):
    """rep's customers: 甲 (40 days overdue 100, part paid 30; due in 3 days 200; due in 8 days
    300), 乙 (due today 50; 2 days overdue 60 paid in full). rep2 (same team) owns 丙 (due in 1
    day 70): on the manager's list only if the manager owned it — they do not."""
    first = CustomerFactory(owner=rep, name="甲公司")
    second = CustomerFactory(owner=rep, name="乙公司")
    plan(first, rep, (40, "100.00"), (-3, "200.00"), (-8, "300.00"))
    pay(first, manager, "P-1", "30.00")
    plan(second, rep, (2, "60.00"), (0, "50.00"))
    pay(second, manager, "P-2", "60.00")
    rep2 = UserFactory(username="rep2", role=Role.REP)
    team.members.add(rep2)
    third = CustomerFactory(owner=rep2, name="丙公司")
    plan(third, rep2, (-1, "70.00"))
    return {"first": first, "second": second, "third": third}


def test_overdue_first_then_by_due_date_within_the_week(rep, book):
    today = timezone.localdate()
    rows = selectors.installments_due(user=rep, today=today, visible=Customer.objects.visible_to(rep))

    assert [(row.installment.customer.name, row.open, row.days_overdue, row.overdue) for row in rows] == [
        ("甲公司", D("70.00"), 40, True),
        ("乙公司", D("50.00"), 0, False),  # due today: not overdue yet
        ("甲公司", D("200.00"), -3, False),
    ]  # due in 8 days: not yet on the list; paid in full: never


def test_my_day_shows_the_installments_to_collect(client, rep, book):
    client.force_login(rep)

    html = client.get("/my-day/").content.decode()

    section = html.split('data-testid="installments-due"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-testid="installment-due-count">(\d+)<', html) == ["3"]
    customers = re.findall(
        r'data-testid="installment-due" data-installment-id="\d+" data-customer-id="(\d+)"', section
    )
    assert customers == [str(book["first"].pk), str(book["second"].pk), str(book["first"].pk)]
    assert re.findall(r'data-testid="installment-due-open">([^<]+)<', section) == ["¥70", "¥50", "¥200"]
    assert "丙公司" not in section


def test_a_manager_sees_only_the_customers_they_own(client, manager, book):
    client.force_login(manager)

    html = client.get("/my-day/").content.decode()

    assert 'data-testid="no-installments-due"' in html


@pytest.mark.parametrize("n", [1, 10])
def test_the_section_takes_one_query_whatever_the_number(rep, n, django_assert_num_queries):
    for i in range(n):
        plan(CustomerFactory(owner=rep), rep, (i * 5, "10.00"), (-i % 7, "20.00"), title=f"合同{i}")
    visible = Customer.objects.visible_to(rep)

    with django_assert_num_queries(1):
        rows = selectors.installments_due(user=rep, today=timezone.localdate(), visible=visible)
        names = [row.installment.customer.name for row in rows]
    assert len(names) >= n
