"""An open opportunity whose expected close date has passed is overdue: flagged on the board, the
list and over the API (`is_overdue`), and counted apart in the forecast, whose header and tables
add up: open = overdue + Σ months (the month table's last row: no expected close date)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pipeline.models import Opportunity
from pipeline.selectors import OpportunityFilters, forecast
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

FORECAST_URL = "/api/v1/pipeline/forecast/"


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def book(rep):
    """Hand-worked: amounts and probabilities give distinct weighted figures per row.

    overdue: 100k×10% (yesterday) + 200k×60% (a month ago) = 10k + 120k = 130k, 300k
    today: 50k×80% = 40k · next year's month: 400k×25% = 100k · no date: 30k×50% = 15k
    closed ones with past dates are neither open nor overdue."""
    customer = CustomerFactory(owner=rep, name="南京百川生物医药有限公司")
    rows = {
        "yesterday": OpportunityFactory(customer=customer, expected_amount=Decimal(100_000), probability=10,
                                        expected_close_on=days(-1)),
        "month_ago": OpportunityFactory(customer=customer, expected_amount=Decimal(200_000), probability=60,
                                        stage="relationship", expected_close_on=days(-31)),
        "today": OpportunityFactory(customer=customer, expected_amount=Decimal(50_000), probability=80,
                                    stage="closing", expected_close_on=days(0)),
        "next_year": OpportunityFactory(customer=customer, expected_amount=Decimal(400_000), probability=25,
                                        stage="information", expected_close_on=days(366)),
        "no_date": OpportunityFactory(customer=customer, expected_amount=Decimal(30_000), probability=50),
        "won": OpportunityFactory(customer=customer, stage="won", probability=100, expected_close_on=days(-5)),
        "lost": OpportunityFactory(customer=customer, stage="lost", probability=0, lost_reason="价格",
                                   expected_close_on=days(-5)),
    }  # fmt: skip
    return rows


# --- The flag ----------------------------------------------------------------------------------


def test_only_an_open_opportunity_with_a_past_close_date_is_overdue(book):
    assert {name for name, row in book.items() if row.is_overdue} == {"yesterday", "month_ago"}


def test_closing_today_is_not_late_and_a_closed_deal_never_is(rep):
    opportunity = OpportunityFactory(customer=CustomerFactory(owner=rep), expected_close_on=days(0))
    assert not opportunity.is_overdue
    opportunity.expected_close_on = days(-1)
    assert opportunity.is_overdue
    opportunity.stage = "won"
    assert not opportunity.is_overdue


def test_the_api_says_which_are_overdue(api_client, rep, book):
    api_client.force_authenticate(rep)

    listed = api_client.get("/api/v1/opportunities/", {"page_size": 50}).json()["results"]
    one = api_client.get(f"/api/v1/opportunities/{book['yesterday'].pk}/").json()

    flags = {row["id"]: row["is_overdue"] for row in listed}
    assert flags == {row.pk: name in ("yesterday", "month_ago") for name, row in book.items()}
    assert one["is_overdue"] is True


def test_is_overdue_cannot_be_written(api_client, rep, book):
    api_client.force_authenticate(rep)
    response = api_client.patch(
        f"/api/v1/opportunities/{book['today'].pk}/", {"is_overdue": True, "title": "改名"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_overdue"] is False
    assert Opportunity.objects.get(pk=book["today"].pk).title == "改名"


# --- Board and list ----------------------------------------------------------------------------


def flagged(html: str, *, row_start: str, row_end: str, flag: str) -> set[int]:
    """Ids of the rows (cards) that carry `flag`."""
    rows = [chunk.split(row_end)[0] for chunk in html.split(row_start)[1:]]
    return {int(re.search(r'data-opportunity-id="(\d+)"', row).group(1)) for row in rows if flag in row}


def test_the_board_flags_the_overdue_cards(client, rep, book, gate_items):
    client.force_login(rep)
    html = client.get("/pipeline/").content.decode()
    cards = flagged(
        html, row_start='<li class="opp-card"', row_end="</li>", flag='data-testid="card-overdue"'
    )
    assert cards == {book["yesterday"].pk, book["month_ago"].pk}
    assert f"{days(-1):%Y-%m-%d}" in html


def test_the_list_flags_the_overdue_rows(client, rep, book, gate_items):
    client.force_login(rep)
    html = client.get("/pipeline/list/").content.decode()
    rows = flagged(
        html,
        row_start='<tr data-testid="opportunity-row"',
        row_end="</tr>",
        flag='data-testid="opportunity-overdue"',
    )
    assert rows == {book["yesterday"].pk, book["month_ago"].pk}


# --- The forecast --------------------------------------------------------------------------------


def totals(rows) -> dict:
    return {
        "count": sum(row["count"] for row in rows),
        "amount": sum((row["amount"] for row in rows), Decimal(0)),
        "weighted": sum((row["weighted"] for row in rows), Decimal(0)),
    }


def test_the_forecast_counts_overdue_apart_and_adds_up(rep, book):
    result = forecast(user=rep)

    assert result["open"] == {"count": 5, "amount": Decimal("780000.00"), "weighted": Decimal("285000.00")}
    assert result["overdue"] == {"count": 2, "amount": Decimal("300000.00"), "weighted": Decimal("130000.00")}
    assert [(row["month"], row["weighted"]) for row in result["by_month"]] == [
        (days(0).replace(day=1), Decimal("40000.00")),
        (days(366).replace(day=1), Decimal("100000.00")),
        (None, Decimal("15000.00")),
    ]
    # Every open opportunity is in exactly one row: the header is the sum of the table.
    assert totals([result["overdue"], *result["by_month"]]) == result["open"]
    # The other tables add up to the header on their own.
    assert totals(result["by_owner"]) == result["open"]


def test_the_forecast_moves_an_opportunity_to_overdue_the_day_after_its_close(rep, book):
    tomorrow = forecast(user=rep, today=days(1))
    assert tomorrow["overdue"]["count"] == 3  # today's is overdue tomorrow
    assert totals([tomorrow["overdue"], *tomorrow["by_month"]]) == tomorrow["open"]


def test_a_past_month_filter_shows_only_overdue(rep, book):
    month = days(-31).replace(day=1)
    result = forecast(user=rep, filters=OpportunityFilters(close_month=month))
    assert result["by_month"] == []
    assert result["overdue"]["count"] == result["open"]["count"] >= 1


def test_the_forecast_api_has_the_overdue_figures(api_client, rep, book):
    api_client.force_authenticate(rep)

    body = api_client.get(FORECAST_URL).json()

    assert body["open"] == {"count": 5, "amount": "780000.00", "weighted": "285000.00"}
    assert body["overdue"] == {"count": 2, "amount": "300000.00", "weighted": "130000.00"}
    assert [row["month"] for row in body["by_month"]] == [
        f"{days(0):%Y-%m}-01",
        f"{days(366):%Y-%m}-01",
        None,
    ]
    assert sum(row["count"] for row in body["by_month"]) + body["overdue"]["count"] == body["open"]["count"]


def test_the_forecast_api_with_nothing_overdue(api_client, rep):
    api_client.force_authenticate(rep)
    body = api_client.get(FORECAST_URL).json()
    assert body["overdue"] == {"count": 0, "amount": "0.00", "weighted": "0.00"}


def test_the_forecast_page_shows_the_overdue_row_first_and_adds_up(client, rep, book, gate_items):
    client.force_login(rep)

    html = client.get("/pipeline/forecast/").content.decode()

    months = re.search(r'data-testid="forecast-by-month".*?</section>', html, re.S).group(0)
    rows = re.findall(r'data-testid="forecast-row" data-weighted="([\d.]+)"( data-overdue)?', months)
    assert rows == [("130000.00", " data-overdue"), ("40000.00", ""), ("100000.00", ""), ("15000.00", "")]
    assert sum(Decimal(weighted) for weighted, _overdue in rows) == Decimal("285000.00")
    assert 'data-testid="open-weighted" data-value="285000.00"' in html
    assert re.search(r'data-testid="overdue-count" data-weighted="130000.00">2\b', html)


def test_the_forecast_page_without_overdue_has_no_such_row(client, rep, gate_items):
    OpportunityFactory(customer=CustomerFactory(owner=rep), expected_close_on=days(10))
    client.force_login(rep)
    html = client.get("/pipeline/forecast/").content.decode()
    assert "data-overdue" not in html
    assert re.search(r'data-testid="overdue-count" data-weighted="0.00">0<', html)
