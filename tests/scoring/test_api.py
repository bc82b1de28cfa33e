"""Scoring over REST: runs, the model (managers only), the summary and score history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from scoring.models import ScoringModel, ScoringRun
from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(rep, other_rep):
    today = timezone.localdate()
    mine = [
        CustomerFactory(name=f"我的客户{i}", owner=rep, status="customer", potential=i + 1) for i in range(4)
    ]
    theirs = [CustomerFactory(name=f"别人的客户{i}", owner=other_rep, status="customer") for i in range(4)]
    for i, customer in enumerate(mine + theirs):
        TransactionFactory(customer=customer, occurred_on=today - timedelta(days=5), amount=1000 * (i + 1))
    return {"mine": mine, "theirs": theirs}


def scored_now():
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    return run


def test_manager_starts_a_run_and_gets_202(
    eager_celery, api_client, manager, population, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/scoring/runs/", {}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert {"id", "status", "progress"} <= set(body)
    assert body["status"] == "queued"  # the task is queued when the request's transaction commits
    run = ScoringRun.objects.get(pk=body["id"])
    assert run.status == "succeeded"  # eager mode here: it ran in-process after the commit
    assert run.customers_scored == 8


def test_second_request_returns_the_run_in_flight(api_client, manager, population):
    api_client.force_authenticate(manager)
    queued, _ = run_request(by=manager, enqueue=False)

    response = api_client.post("/api/v1/scoring/runs/", {}, format="json")

    assert response.status_code == 202
    assert response.json()["id"] == queued.pk
    assert ScoringRun.objects.count() == 1


def test_reps_cannot_start_runs_or_touch_the_model(api_client, rep):
    api_client.force_authenticate(rep)
    assert api_client.post("/api/v1/scoring/runs/", {}, format="json").status_code == 403
    assert api_client.get("/api/v1/scoring/model/").status_code == 403
    assert api_client.put("/api/v1/scoring/model/", {"weight_sales": 50}, format="json").status_code == 403
    assert not ScoringRun.objects.exists()
    assert ScoringModel.objects.filter(weight_sales=50).count() == 0


def test_anyone_signed_in_can_follow_runs(api_client, rep, population):
    run = scored_now()
    api_client.force_authenticate(rep)
    assert api_client.get(f"/api/v1/scoring/runs/{run.pk}/").json()["status"] == "succeeded"
    assert api_client.get("/api/v1/scoring/runs/").json()["count"] == 1


def test_invalid_as_of_is_a_400(api_client, manager):
    api_client.force_authenticate(manager)
    assert api_client.post("/api/v1/scoring/runs/", {"as_of": "yesterday"}, format="json").status_code == 400
    response = api_client.post("/api/v1/scoring/runs/", {"as_of": "2999-01-01"}, format="json")
    assert response.status_code == 400
    assert "as_of" in response.json()
    assert not ScoringRun.objects.exists()


def test_put_model_creates_a_new_version(api_client, manager):
    api_client.force_authenticate(manager)
    before = api_client.get("/api/v1/scoring/model/").json()

    response = api_client.put(
        "/api/v1/scoring/model/", {"weight_sales": "50.00", "note": "sales matter"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["version"] == before["version"] + 1
    assert response.json()["weight_sales"] == "50.00"
    assert response.json()["weight_potential"] == before["weight_potential"]


@pytest.mark.parametrize(
    "body",
    [
        {"tier_platinum_share": "30"},
        {"weight_sales": "-1"},
        {"abc_a_share": "abc"},
        {"weight_sales": 0, "weight_potential": 0, "weight_demonstration": 0, "weight_winnability": 0},
    ],
)
def test_bad_model_settings_are_400_and_write_nothing(api_client, manager, body):
    api_client.force_authenticate(manager)
    api_client.get("/api/v1/scoring/model/")
    response = api_client.put("/api/v1/scoring/model/", body, format="json")
    assert response.status_code == 400
    assert ScoringModel.objects.count() == 1


def test_preview(api_client, manager, population):
    scored_now()
    api_client.force_authenticate(manager)
    response = api_client.post(
        "/api/v1/scoring/model/preview/",
        {"tier_platinum_share": "50", "tier_gold_share": "50"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["tier_counts"]["platinum"] == 4
    assert ScoringModel.objects.count() == 1


def test_summary_covers_only_visible_customers(api_client, rep, admin_user, population):
    scored_now()
    api_client.force_authenticate(rep)
    mine = api_client.get("/api/v1/scoring/summary/").json()
    api_client.force_authenticate(admin_user)
    everyone = api_client.get("/api/v1/scoring/summary/").json()

    assert mine["customers"] == 4
    assert everyone["customers"] == 8
    assert Decimal(mine["revenue_12m"]) == Decimal(1000 + 2000 + 3000 + 4000)
    assert sum(share["count"] for share in everyone["tiers"].values()) == 8
    assert Decimal(everyone["concentration"]["top1_share"]) == (
        Decimal(8000) * 100 / Decimal(36000)
    ).quantize(Decimal("0.01"))
    assert everyone["key_accounts"] == 2  # ⌈20% × 8⌉


def test_summary_query_count_is_fixed(api_client, admin_user, population, django_assert_max_num_queries):
    scored_now()
    api_client.force_authenticate(admin_user)
    with django_assert_max_num_queries(8):
        api_client.get("/api/v1/scoring/summary/")


def test_score_history_of_a_visible_customer(api_client, rep, population):
    scored_now()
    scored_now()
    customer = population["mine"][0]
    api_client.force_authenticate(rep)

    response = api_client.get(f"/api/v1/customers/{customer.pk}/score-history/")

    assert response.status_code == 200
    assert len(response.json()) == 2
    assert response.json()[0]["score"] == str(Customer.objects.get(pk=customer.pk).score)


def test_score_history_of_someone_elses_customer_is_404(api_client, rep, population):
    scored_now()
    api_client.force_authenticate(rep)
    assert api_client.get(f"/api/v1/customers/{population['theirs'][0].pk}/score-history/").status_code == 404


def test_retry_only_failed_runs(api_client, manager, population):
    api_client.force_authenticate(manager)
    run = scored_now()
    assert api_client.post(f"/api/v1/scoring/runs/{run.pk}/retry/").status_code == 400
