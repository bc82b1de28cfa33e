"""The new-market shortlist (经历推算法): visible prospects with no sales in the last 12 months,
by fit score (not yet scored last), then name in pinyin order; filters; visibility; queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.models import Customer, CustomerStatus, FitCriterion, IndustryFit
from accounts.selectors import ShortlistFilters, new_market_shortlist, shortlist_rows
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/shortlist/"
PAGE = "/customers/shortlist/"
TODAY = date(2026, 6, 30)


def prospect(owner, name: str, fit_score=None, **fields) -> Customer:
    return CustomerFactory(
        owner=owner, name=name, status=CustomerStatus.PROSPECT, fit_score=fit_score, **fields
    )


def names(customers) -> list[str]:
    return [customer.name for customer in customers]


# --- Who is on it ---------------------------------------------------------------------------------


def test_prospects_ranked_by_fit_score_then_pinyin_name(rep):
    prospect(rep, "北京乙有限公司", Decimal("40.00"))
    prospect(rep, "东莞丙有限公司")  # not scored yet: last
    prospect(rep, "安徽甲有限公司", Decimal("40.00"))  # same score: 安 (an) before 北 (bei)
    prospect(rep, "重庆丁有限公司", Decimal("87.50"))
    prospect(rep, "阿坝戊有限公司")  # not scored either: 阿 (a) before 东 (dong)

    shortlist = new_market_shortlist(user=rep, as_of=TODAY)

    assert names(shortlist) == [
        "重庆丁有限公司",
        "安徽甲有限公司",
        "北京乙有限公司",
        "阿坝戊有限公司",
        "东莞丙有限公司",
    ]


def test_customers_and_prospects_with_sales_are_left_out(rep):
    prospect(rep, "无交易有限公司")
    old = prospect(rep, "老交易有限公司")
    TransactionFactory(customer=old, occurred_on=TODAY - timedelta(days=365), amount=Decimal("5000"))
    recent = prospect(rep, "近期交易有限公司")
    TransactionFactory(customer=recent, occurred_on=TODAY - timedelta(days=364), amount=Decimal("1"))
    today = prospect(rep, "今日交易有限公司")
    TransactionFactory(customer=today, occurred_on=TODAY, amount=Decimal("1"))
    future = prospect(rep, "未来交易有限公司")  # dated after D: not in (D−365, D]
    TransactionFactory(customer=future, occurred_on=TODAY + timedelta(days=1), amount=Decimal("9"))
    credited = prospect(rep, "全额退货有限公司")  # an order and its credit note: no sales
    TransactionFactory(customer=credited, occurred_on=TODAY - timedelta(days=10), amount=Decimal("800"))
    TransactionFactory(customer=credited, occurred_on=TODAY - timedelta(days=5), amount=Decimal("-800"))
    CustomerFactory(owner=rep, name="已成交有限公司", status=CustomerStatus.CUSTOMER)

    shortlist = new_market_shortlist(user=rep, as_of=TODAY)

    assert set(names(shortlist)) == {
        "无交易有限公司",
        "老交易有限公司",
        "未来交易有限公司",
        "全额退货有限公司",
    }


def test_only_visible_prospects(rep, other_rep, manager):
    prospect(rep, "我的潜在客户有限公司")
    prospect(other_rep, "别队的潜在客户有限公司")
    shared = prospect(other_rep, "共享的潜在客户有限公司")
    shared.team_memberships.create(user=rep)

    assert set(names(new_market_shortlist(user=rep))) == {"我的潜在客户有限公司", "共享的潜在客户有限公司"}
    assert names(new_market_shortlist(user=manager)) == ["我的潜在客户有限公司"]
    assert names(new_market_shortlist(user=other_rep)) == ["别队的潜在客户有限公司", "共享的潜在客户有限公司"]


def test_filters(rep, manager, team):
    from tests.factories import UserFactory

    colleague = UserFactory(username="rep3")
    team.members.add(colleague)
    prospect(rep, "华东制造有限公司", industry="制造业", region="华东")
    prospect(rep, "华南制造有限公司", industry="制造业", region="华南")
    prospect(rep, "华东医疗有限公司", industry="医疗", region="华东")
    prospect(colleague, "同事的制造有限公司", industry="制造业", region="华东")

    def shortlist(**filters):
        return set(names(new_market_shortlist(user=manager, filters=ShortlistFilters(**filters))))

    assert shortlist(industry="制造业") == {"华东制造有限公司", "华南制造有限公司", "同事的制造有限公司"}
    assert shortlist(region="华东", industry="制造业") == {"华东制造有限公司", "同事的制造有限公司"}
    assert shortlist(owner=colleague.pk) == {"同事的制造有限公司"}
    assert shortlist(owner=colleague.pk, region="华南") == set()


def test_rows_carry_industry_fit_and_ticks_of_active_items(rep):
    IndustryFit.objects.create(industry="制造业", need=5, capability=4)
    items = list(FitCriterion.objects.order_by("position"))
    items[4].is_active = False
    items[4].save()
    in_table = prospect(rep, "在表中有限公司", industry="制造业")
    in_table.fit_criteria.add(items[0], items[1], items[4])
    prospect(rep, "不在表中有限公司", industry="矿业")
    prospect(rep, "无行业有限公司", industry="")

    rows = {row.customer.name: row for row in shortlist_rows(new_market_shortlist(user=rep))}

    assert (rows["在表中有限公司"].industry_fit, rows["在表中有限公司"].fit_ticked) == (Decimal("87.5"), 2)
    assert (rows["不在表中有限公司"].industry_fit, rows["不在表中有限公司"].fit_ticked) == (Decimal(0), 0)
    assert rows["无行业有限公司"].industry_fit == Decimal(0)


def test_the_selector_is_one_query_after_the_manager_check(rep, django_assert_num_queries):
    for n in range(3):
        prospect(rep, f"客户{n}有限公司").fit_criteria.add(*FitCriterion.objects.all())
    with django_assert_num_queries(2):
        assert len(shortlist_rows(new_market_shortlist(user=rep))) == 3
    for n in range(3, 30):
        TransactionFactory(customer=prospect(rep, f"客户{n}有限公司"), amount=Decimal("-1"))
    with django_assert_num_queries(2):
        assert len(shortlist_rows(new_market_shortlist(user=rep))) == 30


# --- The API ------------------------------------------------------------------------------------------


def test_the_api_lists_the_shortlist(api_client, rep):
    IndustryFit.objects.create(industry="制造业", need=4, capability=3)
    first = prospect(rep, "甲有限公司", Decimal("77.25"), industry="制造业", region="华东")
    first.fit_criteria.add(FitCriterion.objects.get(label="需求已确认"))
    prospect(rep, "乙有限公司", industry="矿业", region="西北")
    api_client.force_authenticate(rep)

    response = api_client.get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": first.pk,
        "name": "甲有限公司",
        "industry": "制造业",
        "region": "华东",
        "owner": rep.pk,
        "owner_name": rep.display_name,
        "fit_score": 77.25,
        "industry_fit": 62.5,
        "customer_fit_ticked": 1,
        "customer_fit_items": 5,
    }
    assert body["results"][1]["fit_score"] is None
    assert body["results"][1]["industry_fit"] == 0


def test_the_api_filters_and_pages(api_client, rep):
    for n in range(5):
        prospect(rep, f"华东{n}有限公司", Decimal(n), region="华东")
    prospect(rep, "西北有限公司", region="西北")
    api_client.force_authenticate(rep)

    response = api_client.get(API, {"region": "华东", "page_size": 2, "page": 2})

    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert [row["name"] for row in response.json()["results"]] == ["华东2有限公司", "华东1有限公司"]
    assert api_client.get(API, {"owner": rep.pk}).json()["count"] == 6
    assert api_client.get(API, {"industry": "医疗"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"owner": "abc"}, "owner"),
        ({"owner": "0"}, "owner"),
        ({"owner": "9" * 30}, "owner"),
        ({"region": "华\x00东"}, "region"),
    ],
)
def test_bad_filters_are_400(api_client, rep, params, field):
    api_client.force_authenticate(rep)

    response = api_client.get(API, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_api_is_for_signed_in_users_and_shows_only_visible_prospects(api_client, rep, other_rep):
    prospect(rep, "我的有限公司")
    prospect(other_rep, "别人的有限公司")

    assert api_client.get(API).status_code == 401
    api_client.force_authenticate(other_rep)
    assert [row["name"] for row in api_client.get(API).json()["results"]] == ["别人的有限公司"]


def test_the_api_runs_a_constant_number_of_queries(api_client, rep, django_assert_num_queries):
    api_client.force_authenticate(rep)
    for n in range(3):
        prospect(rep, f"客户{n}有限公司").fit_criteria.add(*FitCriterion.objects.all())
    # managed teams? (visible_to), count, page, active items
    with django_assert_num_queries(4):
        assert len(api_client.get(API).json()["results"]) == 3
    for n in range(3, 30):
        prospect(rep, f"客户{n}有限公司", Decimal(n))
    with django_assert_num_queries(4):
        assert len(api_client.get(API).json()["results"]) == 30


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_lists_and_filters(client, rep):
    IndustryFit.objects.create(industry="制造业", need=5, capability=5)
    top = prospect(rep, "甲有限公司", Decimal("90.00"), industry="制造业", region="华东")
    top.fit_criteria.add(*FitCriterion.objects.all()[:3])
    prospect(rep, "乙有限公司", Decimal("10.00"), industry="医疗", region="华南")
    client.force_login(rep)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert [row.customer.name for row in response.context["rows"]] == ["甲有限公司", "乙有限公司"]
    html = response.content.decode()
    assert 'data-testid="shortlist-industry-fit">100<' in html
    assert 'data-testid="shortlist-customer-fit">3/5<' in html
    assert 'data-testid="shortlist-fit-score">90.00<' in html
    filtered = client.get(PAGE, {"industry": "医疗"})
    assert [row.customer.name for row in filtered.context["rows"]] == ["乙有限公司"]
    ignored = client.get(PAGE, {"owner": "abc"})  # a tampered filter is reported, not fatal
    assert ignored.status_code == 200
    assert ignored.context["form"].errors


def test_the_customer_list_links_to_the_page(client, rep):
    client.force_login(rep)

    assert f'href="{PAGE}"' in client.get("/customers/").content.decode()


def test_the_page_runs_a_constant_number_of_queries(client, rep, django_assert_num_queries):
    client.force_login(rep)
    prospect(rep, "客户有限公司")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    for n in range(30):
        prospect(rep, f"客户{n}有限公司", Decimal(n), industry=f"行业{n % 4}").fit_criteria.add(
            FitCriterion.objects.first()
        )
    with django_assert_num_queries(len(few)):
        assert client.get(PAGE).status_code == 200
