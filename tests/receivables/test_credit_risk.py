"""The credit-risk flag (money open more than 30 days past due today) wherever churn risk is
shown: the customer API (field and `credit_risk` filter), the customer list (filter form and
badge), its CSV and .xlsx exports, the customer page and the dashboard's churn panel.

Assertions look at data (data-testid hooks, figures), never at translated labels.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Customer
from receivables import services
from receivables.services import PaymentRow
from tests.factories import CustomerFactory
from tests.receivables.conftest import D, won_opportunity

pytestmark = pytest.mark.django_db


def owes(customer, by, days_past_due: int, amount: str = "100.00"):
    """A plan with one installment `days_past_due` days past its due date today."""
    due = timezone.localdate() - timedelta(days=days_past_due)
    services.plan_create(
        opportunity=won_opportunity(customer, title=f"合同{days_past_due}"),
        by=by,
        contract_amount=D(amount),
        installments=[(due, D(amount))],
    )


@pytest.fixture
def book(rep, manager):
    """Late (31 days past due: credit risk), Recent (30 days: not yet), Paid (31 days, paid), Clean."""
    late = CustomerFactory(owner=rep, name="逾期客户", churn_risk=True)
    recent = CustomerFactory(owner=rep, name="刚逾期客户", churn_risk=True)
    paid = CustomerFactory(owner=rep, name="已付清客户")
    clean = CustomerFactory(owner=rep, name="无欠款客户")
    owes(late, rep, 31)
    owes(recent, rep, 30)
    owes(paid, rep, 31)
    row = PaymentRow(
        customer_id=paid.pk, reference="PAID-1", received_on=timezone.localdate(), amount=D("100")
    )
    services.payments_upsert(rows=[row], by=manager)
    return {"late": late, "recent": recent, "paid": paid, "clean": clean}


def test_the_api_field_and_filter(api_client, rep, book):
    api_client.force_authenticate(rep)

    flags = {
        item["name"]: item["credit_risk"] for item in api_client.get("/api/v1/customers/").json()["results"]
    }
    at_risk = api_client.get("/api/v1/customers/", {"credit_risk": "true"}).json()["results"]
    not_at_risk = api_client.get("/api/v1/customers/", {"credit_risk": "false"}).json()["results"]

    assert flags == {"逾期客户": True, "刚逾期客户": False, "已付清客户": False, "无欠款客户": False}
    assert [item["name"] for item in at_risk] == ["逾期客户"]
    assert {item["name"] for item in not_at_risk} == {"刚逾期客户", "已付清客户", "无欠款客户"}
    assert api_client.get("/api/v1/customers/", {"credit_risk": "maybe"}).status_code == 400
    detail = api_client.get(f"/api/v1/customers/{book['late'].pk}/").json()
    assert detail["credit_risk"] is True


def test_the_api_field_is_read_only(api_client, rep, book):
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/customers/{book['clean'].pk}/", {"credit_risk": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["credit_risk"] is False


def test_the_flag_follows_the_date(api_client, rep, book):
    """Tomorrow the 30-day-old installment is 31 days past due: no job needed."""
    Customer.objects.filter(pk=book["recent"].pk).update(
        oldest_open_due_on=timezone.localdate() - timedelta(days=31)
    )
    api_client.force_authenticate(rep)

    assert api_client.get(f"/api/v1/customers/{book['recent'].pk}/").json()["credit_risk"] is True


def test_the_api_list_query_count_does_not_change(api_client, rep):
    """The flag comes from the row itself: as many queries with customers at risk as without."""
    CustomerFactory.create_batch(3, owner=rep)
    api_client.force_authenticate(rep)
    with CaptureQueriesContext(connection) as without_risk:
        api_client.get("/api/v1/customers/", {"page_size": 50})
    late = timezone.localdate() - timedelta(days=45)
    for customer in CustomerFactory.create_batch(30, owner=rep):
        Customer.objects.filter(pk=customer.pk).update(oldest_open_due_on=late)

    with CaptureQueriesContext(connection) as with_risk:
        results = api_client.get("/api/v1/customers/", {"page_size": 50}).json()["results"]

    assert sum(item["credit_risk"] for item in results) == 30
    assert len(with_risk) == len(without_risk)


def test_the_list_page_filters_and_badges(client, rep, book):
    client.force_login(rep)

    html = client.get("/customers/").content.decode()
    filtered = client.get("/customers/", {"credit_risk": "yes"}).content.decode()
    others = client.get("/customers/", {"credit_risk": "no"}).content.decode()

    assert html.count('data-testid="credit-risk-badge"') == 1
    assert re.findall(r'data-testid="customer-row" data-customer-id="(\d+)"', filtered) == [
        str(book["late"].pk)
    ]
    assert 'data-testid="credit-risk-badge"' in filtered
    assert str(book["late"].pk) not in re.findall(
        r'data-testid="customer-row" data-customer-id="(\d+)"', others
    )
    assert 'name="credit_risk"' in html


def test_the_list_page_query_count_does_not_change(client, rep):
    CustomerFactory.create_batch(3, owner=rep)
    client.force_login(rep)
    with CaptureQueriesContext(connection) as without_risk:
        client.get("/customers/", {"ordering": "-last_visit_at"})
    late = timezone.localdate() - timedelta(days=45)
    for customer in CustomerFactory.create_batch(30, owner=rep):
        Customer.objects.filter(pk=customer.pk).update(oldest_open_due_on=late)

    with CaptureQueriesContext(connection) as with_risk:
        html = client.get("/customers/", {"ordering": "-last_visit_at"}).content.decode()

    assert html.count('data-testid="credit-risk-badge"') > 0
    assert len(with_risk) == len(without_risk)


def test_the_customer_page_flags_it_near_churn_risk(client, rep, book):
    client.force_login(rep)

    late = client.get(f"/customers/{book['late'].pk}/").content.decode()
    recent = client.get(f"/customers/{book['recent'].pk}/").content.decode()

    assert 'data-testid="credit-risk"' in late
    assert 'data-testid="credit-risk"' not in recent


def test_the_exports_have_a_credit_risk_column(client, rep, book):
    client.force_login(rep)

    response = client.get("/customers/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    only_late = client.get("/customers/export.csv", {"credit_risk": "yes"})
    late_rows = list(csv.DictReader(io.StringIO(b"".join(only_late.streaming_content).decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(b"".join(client.get("/customers/export.xlsx").streaming_content)))

    assert {row["name"]: row["credit_risk"] for row in rows} == {
        "逾期客户": "true",
        "刚逾期客户": "false",
        "已付清客户": "false",
        "无欠款客户": "false",
    }
    assert [row["name"] for row in late_rows] == ["逾期客户"]
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    values = {
        row[header.index("name")].value: row[header.index("credit_risk")].value
        for row in sheet.iter_rows(min_row=2)
    }
    assert values["逾期客户"] is True
    assert values["刚逾期客户"] is False


def test_the_dashboard_churn_panel_shows_credit_risk_too(api_client, manager, book):
    api_client.force_authenticate(manager)

    data = api_client.get("/api/v1/dashboard/churn/").json()

    assert {row["name"]: row["credit_risk"] for row in data["rows"]} == {
        "逾期客户": True,
        "刚逾期客户": False,
    }
    assert data["credit_risk_count"] == 1
    assert [(row["name"], row["days_overdue"], row["churn_risk"]) for row in data["credit_risk_rows"]] == [
        ("逾期客户", 31, True)
    ]
