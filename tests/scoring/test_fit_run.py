"""The fit score (experience method 经历推算法) after a real scoring run: on the customer, in the
run's snapshot, in the API (field, ordering, filter), on the pages and in the exports."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Customer, FitCriterion, IndustryFit
from scoring.models import ScoreSnapshot
from scoring.services import load_inputs, run_execute, run_request, scoring_model_save
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# The default checklist (migration accounts 0011): 需求已确认 30, 预算已落实 20, 采购过同类产品或方案 20,
# 选择标准与我方优势匹配 20, 决策流程已清楚 10. Here 决策流程已清楚 is made inactive: the active total is 90.
NEED, BUDGET, SIMILAR, CRITERIA, PROCESS = (
    "需求已确认",
    "预算已落实",
    "采购过同类产品或方案",
    "选择标准与我方优势匹配",
    "决策流程已清楚",
)

# Hand-worked (w_i = w_c = 50):
#   制造业 need 5, capability 4 → industry fit (100 + 75) / 2 = 87.5
#   医药   need 3, capability 2 → industry fit (50 + 25) / 2 = 37.5
#   甲 制造业, nothing ticked                      → (87.5 + 0) / 2            = 43.75
#   乙 医药, every item ticked (inactive included) → (37.5 + 100 × 90/90) / 2  = 68.75
#   丙 化工 (not in the table), 需求已确认 ticked   → (0 + 100 × 30/90) / 2     = 16.666… → 16.67
#   丁 no industry, only the inactive item ticked  → 0
EXPECTED = {"甲": Decimal("43.75"), "乙": Decimal("68.75"), "丙": Decimal("16.67"), "丁": Decimal("0.00")}


@pytest.fixture
def fit_population(postgres, rep):
    IndustryFit.objects.create(industry="制造业", need=5, capability=4)
    IndustryFit.objects.create(industry="医药", need=3, capability=2)
    FitCriterion.objects.filter(label=PROCESS).update(is_active=False)
    items = {item.label: item for item in FitCriterion.objects.all()}
    customers = {
        "甲": CustomerFactory(name="甲制造有限公司", owner=rep, industry="制造业"),
        "乙": CustomerFactory(name="乙医药有限公司", owner=rep, industry="医药"),
        "丙": CustomerFactory(name="丙化工有限公司", owner=rep, industry="化工"),
        "丁": CustomerFactory(name="丁贸易有限公司", owner=rep, industry=""),
    }
    customers["乙"].fit_criteria.set(items.values())
    customers["丙"].fit_criteria.set([items[NEED]])
    customers["丁"].fit_criteria.set([items[PROCESS]])
    return customers


def score_now():
    run, _created = run_request(by=None, enqueue=False)
    return run_execute(run_id=run.pk)


def test_inputs_join_the_industry_table_and_the_active_ticks(fit_population):
    inputs = load_inputs(as_of=timezone.localdate())
    by_id = {int(i): k for k, i in enumerate(inputs.ids)}
    row = {key: by_id[customer.pk] for key, customer in fit_population.items()}
    assert inputs.fit_total == 9_000  # hundredths: 30 + 20 + 20 + 20
    assert [int(inputs.industry_need[row[k]]) for k in "甲乙丙丁"] == [5, 3, 0, 0]
    assert [int(inputs.industry_capability[row[k]]) for k in "甲乙丙丁"] == [4, 2, 0, 0]
    assert [int(inputs.fit_ticked[row[k]]) for k in "甲乙丙丁"] == [0, 9_000, 3_000, 0]


def test_a_run_stores_the_fit_score_on_the_customer_and_in_the_snapshot(fit_population):
    run = score_now()

    for key, customer in fit_population.items():
        customer.refresh_from_db()
        assert customer.fit_score == EXPECTED[key], key
        snapshot = ScoreSnapshot.objects.get(run=run, customer=customer)
        assert snapshot.fit_score == EXPECTED[key], key
        assert snapshot.score == customer.score


def test_fit_weights_of_the_model_are_used(fit_population, manager):
    # w_i = 1, w_c = 3: 甲 87.5 / 4 = 21.875 → 21.88; 丙 (0 + 3 × 33.33…) / 4 = 25.00.
    scoring_model_save(by=manager, fit_industry_weight=Decimal(1), fit_customer_weight=Decimal(3))
    score_now()
    assert Customer.objects.get(pk=fit_population["甲"].pk).fit_score == Decimal("21.88")
    assert Customer.objects.get(pk=fit_population["丙"].pk).fit_score == Decimal("25.00")


def test_fit_alone_as_the_composite_makes_the_score_the_fit(fit_population, manager):
    score_now()
    before = {c.pk: c.score for c in Customer.objects.all()}
    assert before[fit_population["甲"].pk] == Decimal("0.00")  # no sales, no ratings

    zero = Decimal(0)
    scoring_model_save(
        by=manager,
        weight_sales=zero,
        weight_potential=zero,
        weight_demonstration=zero,
        weight_winnability=zero,
        weight_fit=Decimal(1),
    )
    score_now()
    for key, customer in fit_population.items():
        customer.refresh_from_db()
        assert customer.score == EXPECTED[key], key
    assert Customer.objects.get(pk=fit_population["乙"].pk).tier == "platinum"


def test_api_field_ordering_and_filter(fit_population, api_client, rep):
    score_now()
    api_client.force_authenticate(rep)

    body = api_client.get(f"/api/v1/customers/{fit_population['乙'].pk}/").json()
    assert Decimal(str(body["fit_score"])) == Decimal("68.75")

    def names(query):
        response = api_client.get(f"/api/v1/customers/?{query}")
        assert response.status_code == 200, response.content
        return [row["name"][0] for row in response.json()["results"]]

    assert names("ordering=-fit_score") == ["乙", "甲", "丙", "丁"]
    assert names("ordering=fit_score") == ["丁", "丙", "甲", "乙"]
    assert names("fit_score_min=43.75&ordering=-fit_score") == ["乙", "甲"]
    assert names("fit_score_min=0&ordering=name") == ["丙", "丁", "甲", "乙"]  # pinyin: bing, ding, jia, yi
    assert names("fit_score_min=100") == []


@pytest.mark.parametrize("value", ["abc", "-1", "100.01", "1e3", "NaN", "50.123"])
def test_api_bad_fit_score_min_is_a_400(api_client, rep, value):
    api_client.force_authenticate(rep)
    response = api_client.get("/api/v1/customers/", {"fit_score_min": value})
    assert response.status_code == 400
    assert "fit_score_min" in response.json()


def test_unscored_customers_sort_last_and_fail_the_filter(api_client, rep, postgres):
    CustomerFactory(name="甲", owner=rep, fit_score=Decimal("10.00"))
    CustomerFactory(name="乙", owner=rep)  # never scored: fit_score null
    api_client.force_authenticate(rep)
    for ordering in ("fit_score", "-fit_score"):
        rows = api_client.get(f"/api/v1/customers/?ordering={ordering}").json()["results"]
        assert [row["name"] for row in rows] == ["甲", "乙"]
    rows = api_client.get("/api/v1/customers/?fit_score_min=0").json()["results"]
    assert [row["name"] for row in rows] == ["甲"]


def test_list_page_column_sort_and_filter(fit_population, client, rep):
    score_now()
    client.force_login(rep)

    response = client.get("/customers/", {"ordering": "-fit_score", "fit_score_min": "16.67"})

    assert response.status_code == 200
    html = response.content.decode()
    rows = [customer.pk for customer in response.context["page"]]
    assert rows == [fit_population[k].pk for k in ("乙", "甲", "丙")]
    assert 'data-testid="fit-score">68.75<' in html
    assert 'name="fit_score_min"' in html
    assert '<option value="-fit_score" selected>' in html


def test_list_page_ignores_and_reports_a_bad_fit_filter(fit_population, client, rep):
    score_now()
    client.force_login(rep)
    response = client.get("/customers/", {"fit_score_min": "101"})
    assert response.status_code == 200
    assert 'data-testid="filter-error-fit_score_min"' in response.content.decode()
    assert len(response.context["page"]) == 4


def test_customer_page_shows_the_fit_score_beside_the_score(fit_population, client, rep):
    score_now()
    client.force_login(rep)
    html = client.get(f"/customers/{fit_population['乙'].pk}/").content.decode()
    assert 'data-testid="fit-score">68.75<' in html


def test_history_panel_and_api_carry_the_fit_score(fit_population, client, api_client, rep):
    score_now()
    customer = fit_population["丙"]
    api_client.force_authenticate(rep)
    history = api_client.get(f"/api/v1/customers/{customer.pk}/score-history/").json()
    assert [Decimal(str(row["fit_score"])) for row in history] == [Decimal("16.67")]
    client.force_login(rep)
    assert "<td>16.67</td>" in client.get(f"/scoring/customers/{customer.pk}/history/").content.decode()


def test_snapshots_from_before_the_fit_score_show_null(fit_population, api_client, rep):
    run = score_now()
    ScoreSnapshot.objects.filter(run=run).update(fit_score=None)
    api_client.force_authenticate(rep)
    history = api_client.get(f"/api/v1/customers/{fit_population['甲'].pk}/score-history/").json()
    assert history[0]["fit_score"] is None


def test_csv_and_xlsx_exports_have_the_fit_score_column(fit_population, client, rep):
    score_now()
    client.force_login(rep)

    body = b"".join(client.get("/customers/export.csv", {"ordering": "-fit_score"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    header = list(rows[0])
    assert header.index("fit_score") == header.index("score") + 1
    assert [(row["name"][0], row["fit_score"]) for row in rows] == [
        ("乙", "68.75"),
        ("甲", "43.75"),
        ("丙", "16.67"),
        ("丁", "0.00"),
    ]
    filtered = b"".join(client.get("/customers/export.csv", {"fit_score_min": "40"}).streaming_content)
    assert len(list(csv.DictReader(io.StringIO(filtered.decode("utf-8-sig"))))) == 2

    response = client.get("/customers/export.xlsx", {"ordering": "-fit_score"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *values = workbook.worksheets[0].iter_rows(values_only=True)
    column = header.index("fit_score")
    assert [row[column] for row in values] == pytest.approx([68.75, 43.75, 16.67, 0])
