"""Reads: the customer list, a customer's sales summary and My day, with their query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from accounts.selectors import CustomerFilters, customer_list, customer_sales_summary, my_day
from tests.factories import ContactFactory, CustomerFactory, TransactionFactory, VisitFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def test_sales_summary_windows_are_half_open_at_365_days():
    customer = CustomerFactory()
    TransactionFactory(customer=customer, occurred_on=AS_OF, amount=Decimal("100"), margin=Decimal("10"))
    TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=364), amount=Decimal("50"))
    # Exactly 365 days back belongs to the year before, not to the last 12 months.
    TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=365), amount=Decimal("70"))
    TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=400), amount=Decimal("-20"))
    TransactionFactory(customer=customer, occurred_on=AS_OF + timedelta(days=1), amount=Decimal("999"))

    summary = customer_sales_summary(customer=customer, as_of=AS_OF)

    assert summary.sales_12m == Decimal("150.00")
    assert summary.sales_prev_12m == Decimal("50.00")
    assert summary.orders_12m == 2
    assert summary.margin_12m == Decimal("2010.00")  # 10 + the factory's default 2000 on the second row
    assert summary.last_order_on == AS_OF
    assert summary.growth == Decimal("2")


def test_sales_summary_of_a_customer_without_sales_is_zero_not_empty():
    summary = customer_sales_summary(customer=CustomerFactory(), as_of=AS_OF)
    assert summary.sales_12m == Decimal("0")
    assert summary.orders_12m == 0
    assert summary.growth is None
    assert len(summary.monthly) == 12
    assert all(total == 0 for _month, total in summary.monthly)


def test_monthly_trend_covers_twelve_calendar_months_oldest_first():
    customer = CustomerFactory()
    TransactionFactory(customer=customer, occurred_on=date(2026, 6, 3), amount=Decimal("10"))
    TransactionFactory(customer=customer, occurred_on=date(2026, 6, 20), amount=Decimal("5"))
    TransactionFactory(customer=customer, occurred_on=date(2025, 7, 1), amount=Decimal("7"))
    TransactionFactory(customer=customer, occurred_on=date(2025, 6, 30), amount=Decimal("1000"))

    monthly = customer_sales_summary(customer=customer, as_of=AS_OF).monthly

    assert monthly[0] == (date(2025, 7, 1), Decimal("7.00"))
    assert monthly[-1] == (date(2026, 6, 1), Decimal("15.00"))
    assert [month.month for month, _ in monthly] == [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]


def test_sales_summary_is_two_queries(django_assert_num_queries):
    customer = CustomerFactory()
    TransactionFactory.create_batch(5, customer=customer)
    with django_assert_num_queries(2):
        customer_sales_summary(customer=customer, as_of=AS_OF)


def test_customer_list_filters_search_and_orders(rep):
    a = CustomerFactory(name="A阿尔法有限公司", owner=rep, region="华东", tier="gold", score=Decimal("70"))
    b = CustomerFactory(name="B贝塔有限公司", owner=rep, region="华南", tier="iron", score=Decimal("40"))
    ContactFactory(customer=b, name="王建国")
    CustomerFactory(name="别人的公司", region="华东")

    assert list(customer_list(user=rep)) == [a, b]
    assert list(customer_list(user=rep, filters=CustomerFilters(region="华东"))) == [a]
    assert list(customer_list(user=rep, filters=CustomerFilters(search="建国"))) == [b]
    assert list(customer_list(user=rep, filters=CustomerFilters(search="公司", tier="iron"))) == [b]
    assert list(customer_list(user=rep, filters=CustomerFilters(ordering="score"))) == [b, a]
    assert list(customer_list(user=rep, filters=CustomerFilters(ordering="nonsense"))) == [a, b]


def test_customer_list_query_count_is_constant(rep, django_assert_num_queries):
    CustomerFactory.create_batch(3, owner=rep)
    with django_assert_num_queries(2):  # "does the user manage a team?" + the list
        list(customer_list(user=rep))
    CustomerFactory.create_batch(30, owner=rep)
    with django_assert_num_queries(2):
        rows = list(customer_list(user=rep))
    assert len(rows) == 33
    assert rows[0].owner == rep  # loaded with the row, no extra query


def test_my_day(rep, django_assert_num_queries):
    today = timezone.localdate()
    key = CustomerFactory(name="重点客户", owner=rep, is_key_account=True)
    visited = CustomerFactory(name="常拜访的重点客户", owner=rep, is_key_account=True)
    VisitFactory(customer=visited, by=rep, occurred_at=timezone.now() - timedelta(days=3))
    old = VisitFactory(
        customer=key,
        by=rep,
        occurred_at=timezone.now() - timedelta(days=40),
        follow_up_on=today - timedelta(days=2),
    )
    VisitFactory(customer=key, by=rep, follow_up_on=today + timedelta(days=5))  # not due yet
    VisitFactory(customer=CustomerFactory(), follow_up_on=today)  # someone else's

    with django_assert_num_queries(3):  # manager check + two lists
        day = my_day(user=rep, today=today)

    assert day.follow_ups_due == [old]
    assert day.recent_activity[0].customer in {key, visited}
    # The accounts due for a visit come from their tier's service level: tests/servicing.


def test_my_day_takes_the_visible_customers_from_the_caller(rep, django_assert_num_queries):
    VisitFactory(customer=CustomerFactory(owner=rep), by=rep, follow_up_on=timezone.localdate())
    visible = Customer.objects.visible_to(rep)

    with django_assert_num_queries(2):
        day = my_day(user=rep, visible=visible)

    assert len(day.follow_ups_due) == 1
