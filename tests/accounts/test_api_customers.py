"""/api/v1/customers/: the JSON shape, writes through the services, filters, ordering, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AccountTeamMember, Customer
from tests.factories import ContactFactory, CustomerFactory, TransactionFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db

SCORING = [
    "score",
    "fit_score",
    "abc_class",
    "tier",
    "is_key_account",
    "size_class",
    "value_class",
    "matrix_quadrant",
    "lifecycle_stage",
    "prospect_grade",
    "churn_risk",
    "sales_12m",
    "sales_rank",
    "scored_at",
]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def test_create_with_only_a_name_gives_the_caller_ownership_and_empty_scores(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.post("/api/v1/customers/", {"name": "上海华信有限公司"}, format="json")

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.pk
    assert body["owner"] == rep.pk
    assert body["owner_name"] == rep.last_name + rep.first_name  # 李明: surname first, no space
    assert customer.owner == rep
    assert body["status"] == "prospect"
    assert body["account_team"] == []
    assert body["fit_criteria"] == []
    assert body["last_visit_at"] is None
    assert body["credit_risk"] is False  # nothing owed yet
    # A new prospect has no opportunity: grade D at once (DOMAIN.md); the rest waits for a run.
    assert body["prospect_grade"] == "D"
    assert all(body[name] is None for name in SCORING if name != "prospect_grade")
    assert set(body) == {
        "id",
        "name",
        "credit_code",
        "industry",
        "region",
        "latitude",
        "longitude",
        "parent",
        "source",
        "referred_by",
        "status",
        "owner",
        "owner_name",
        "account_team",
        "potential",
        "demonstration",
        "winnability",
        "fit_criteria",
        "notes",
        "created_at",
        "updated_at",
        *SCORING,
        "last_visit_at",
        "credit_risk",
    }


def test_create_with_every_writable_field(api_client, rep, other_rep):
    group = CustomerFactory(owner=rep, name="华信集团")
    referrer = CustomerFactory(owner=rep, name="老客户")
    api_client.force_authenticate(rep)
    body = {
        "name": "华信电子有限公司",
        "industry": "电子",
        "region": "华东",
        "parent": group.pk,
        "source": "referral",
        "referred_by": referrer.pk,
        "status": "customer",
        "owner": rep.pk,
        "account_team": [other_rep.pk],
        "potential": 5,
        "demonstration": 4,
        "winnability": 3,
        "notes": "行业标杆",
    }

    response = api_client.post("/api/v1/customers/", body, format="json")

    assert response.status_code == 201
    assert {name: response.json()[name] for name in body} == body
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.parent == group
    assert list(customer.account_team.all()) == [other_rep]


def test_scoring_fields_are_read_only_and_shown_as_plain_values(api_client, rep):
    customer = CustomerFactory(
        owner=rep,
        score=Decimal("87.50"),
        tier="gold",
        abc_class="A",
        is_key_account=True,
        sales_12m=Decimal("1200000.00"),
        scored_at=timezone.now(),
    )
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"tier": "lead", "score": 1, "is_key_account": False},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 87.5
    assert body["tier"] == "gold"
    assert body["abc_class"] == "A"
    assert body["is_key_account"] is True
    assert body["sales_12m"] == "1200000.00"
    assert body["size_class"] is None
    customer.refresh_from_db()
    assert customer.tier == "gold"


def test_optional_choices_read_and_write_as_null(api_client, rep):
    customer = CustomerFactory(owner=rep, source="web")
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"source": None}, format="json")

    assert response.status_code == 200
    assert response.json()["source"] is None
    customer.refresh_from_db()
    assert customer.source == ""


def test_put_of_the_representation_round_trips(api_client, rep, other_rep):
    customer = CustomerFactory(owner=other_rep, potential=4)
    AccountTeamMember.objects.create(customer=customer, user=rep)
    api_client.force_authenticate(rep)
    url = f"/api/v1/customers/{customer.pk}/"
    body = api_client.get(url).json()
    body["notes"] = "团队成员补充"

    response = api_client.put(url, body, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.notes == "团队成员补充"
    assert customer.owner == other_rep
    assert customer.potential == 4


@pytest.mark.parametrize("rating", [0, 6, -1, "high"])
@pytest.mark.parametrize("field", ["potential", "demonstration", "winnability"])
def test_ratings_outside_1_to_5_are_refused(api_client, rep, field, rating):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    created = api_client.post("/api/v1/customers/", {"name": "新客户", field: rating}, format="json")
    updated = api_client.patch(f"/api/v1/customers/{customer.pk}/", {field: rating}, format="json")

    assert created.status_code == 400
    assert set(created.json()) == {field}
    assert updated.status_code == 400
    assert set(updated.json()) == {field}
    assert Customer.objects.count() == 1
    customer.refresh_from_db()
    assert getattr(customer, field) is None


def test_a_duplicate_name_is_refused_naming_the_owner(api_client, rep, other_rep):
    other_rep.first_name, other_rep.last_name = "Wei", "Zhang"
    other_rep.save()
    CustomerFactory(owner=other_rep, name="上海华信股份有限公司")
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/", {"name": "上海 华信 有限公司"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert "Wei Zhang" in response.json()["name"][0]
    assert Customer.objects.count() == 1


def test_renaming_onto_another_customer_is_refused(api_client, rep):
    CustomerFactory(owner=rep, name="华信")
    customer = CustomerFactory(owner=rep, name="恒达")
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "华信有限公司"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name"}
    customer.refresh_from_db()
    assert customer.name == "恒达"


def test_a_customer_cannot_be_its_own_group_account(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"parent": customer.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"parent"}


def test_a_rep_may_only_own_customers_themselves(api_client, rep, other_rep):
    api_client.force_authenticate(rep)

    response = api_client.post("/api/v1/customers/", {"name": "新客户", "owner": other_rep.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}
    assert not Customer.objects.exists()


def test_a_manager_may_assign_a_customer_to_a_team_member_only(api_client, manager, rep, other_rep):
    api_client.force_authenticate(manager)

    to_member = api_client.post("/api/v1/customers/", {"name": "甲公司", "owner": rep.pk}, format="json")
    to_outsider = api_client.post(
        "/api/v1/customers/", {"name": "乙公司", "owner": other_rep.pk}, format="json"
    )

    assert to_member.status_code == 201
    assert Customer.objects.get().owner == rep
    assert to_outsider.status_code == 400
    assert set(to_outsider.json()) == {"owner"}


def test_owner_may_not_be_emptied(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"owner": None}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"owner"}
    customer.refresh_from_db()
    assert customer.owner == rep


def test_the_owner_sets_the_account_team_and_the_new_member_sees_the_customer(api_client, rep, other_rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"account_team": [other_rep.pk]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["account_team"] == [other_rep.pk]
    api_client.force_authenticate(other_rep)
    assert api_client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200


def test_an_inactive_user_cannot_join_an_account_team(api_client, rep):
    customer = CustomerFactory(owner=rep)
    gone = UserFactory(is_active=False)
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"account_team": [gone.pk]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"account_team"}
    assert not AccountTeamMember.objects.exists()


def test_the_owner_deletes_a_customer(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    assert api_client.delete(f"/api/v1/customers/{customer.pk}/").status_code == 204
    assert not Customer.objects.exists()


def test_a_customer_with_transactions_cannot_be_deleted(api_client, rep):
    customer = CustomerFactory(owner=rep)
    TransactionFactory(customer=customer)
    api_client.force_authenticate(rep)

    response = api_client.delete(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_last_visit_at_is_the_latest_visit(api_client, rep):
    customer = CustomerFactory(owner=rep)
    latest = timezone.now() - timedelta(days=2)
    VisitFactory(customer=customer, occurred_at=latest - timedelta(days=30))
    VisitFactory(customer=customer, occurred_at=latest)
    api_client.force_authenticate(rep)

    body = api_client.get(f"/api/v1/customers/{customer.pk}/").json()

    assert body["last_visit_at"] == timezone.localtime(latest).isoformat()


# --- Filters and ordering --------------------------------------------------------------------


@pytest.fixture
def portfolio(rep, manager):
    """Four customers the manager sees, differing in every filtered column."""
    return [
        CustomerFactory(
            owner=rep,
            name="甲",
            tier="platinum",
            abc_class="A",
            status="customer",
            region="华东",
            industry="汽车",
            is_key_account=True,
            score=Decimal("90"),
            sales_12m=Decimal("500"),
        ),
        CustomerFactory(
            owner=rep,
            name="乙",
            tier="gold",
            abc_class="B",
            status="customer",
            region="华南",
            industry="电子",
            is_key_account=True,
            score=Decimal("70"),
            sales_12m=Decimal("900"),
        ),
        CustomerFactory(
            owner=manager,
            name="丙",
            tier="lead",
            abc_class="C",
            status="prospect",
            region="华东",
            industry="电子",
            is_key_account=False,
            score=Decimal("10"),
            sales_12m=Decimal("0"),
        ),
        CustomerFactory(owner=manager, name="丁", region="华北", industry="化工"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "gold"}, ["乙"]),
        ({"abc_class": "C"}, ["丙"]),
        # In name order, which is pinyin order: 丙 bing, 丁 ding, 甲 jia, 乙 yi.
        ({"status": "prospect"}, ["丙", "丁"]),
        ({"region": "华东"}, ["丙", "甲"]),
        ({"industry": "电子"}, ["丙", "乙"]),
        ({"is_key_account": "true"}, ["甲", "乙"]),
        ({"is_key_account": "false"}, ["丙"]),
        ({"region": "华东", "industry": "电子"}, ["丙"]),
        ({"search": "甲"}, ["甲"]),
    ],
)
def test_customer_filters(api_client, manager, portfolio, params, expected):
    api_client.force_authenticate(manager)

    assert names(api_client.get("/api/v1/customers/", params)) == expected


def test_owner_filter(api_client, manager, rep, portfolio):
    api_client.force_authenticate(manager)

    assert names(api_client.get("/api/v1/customers/", {"owner": rep.pk})) == ["甲", "乙"]  # jia, yi


def test_search_finds_a_customer_by_a_contacts_name(api_client, rep):
    customer = CustomerFactory(owner=rep, name="恒达")
    CustomerFactory(owner=rep, name="华信")
    ContactFactory(customer=customer, name="欧阳明")
    ContactFactory(customer=customer, name="欧阳亮")
    api_client.force_authenticate(rep)

    assert names(api_client.get("/api/v1/customers/", {"search": "欧阳"})) == ["恒达"]


@pytest.mark.parametrize(
    ("ordering", "scored_in_order"),
    [
        ("-score", ["甲", "乙", "丙"]),
        ("score", ["丙", "乙", "甲"]),
        ("sales_12m", ["丙", "甲", "乙"]),
        ("-sales_12m", ["乙", "甲", "丙"]),
    ],
)
@pytest.mark.both_databases
def test_ordering(api_client, manager, portfolio, ordering, scored_in_order):
    api_client.force_authenticate(manager)

    result = names(api_client.get("/api/v1/customers/", {"ordering": ordering}))

    # Where the unscored 丁 (NULLs) goes differs between SQLite and PostgreSQL.
    assert [name for name in result if name != "丁"] == scored_in_order
    assert "丁" in result


def test_ordering_by_name_and_by_last_change(api_client, rep):
    b = CustomerFactory(owner=rep, name="B")
    CustomerFactory(owner=rep, name="A")
    Customer.objects.filter(pk=b.pk).update(updated_at=timezone.now() + timedelta(hours=1))
    api_client.force_authenticate(rep)

    assert names(api_client.get("/api/v1/customers/", {"ordering": "name"})) == ["A", "B"]
    assert names(api_client.get("/api/v1/customers/", {"ordering": "-name"})) == ["B", "A"]
    assert names(api_client.get("/api/v1/customers/", {"ordering": "-updated_at"})) == ["B", "A"]
    assert names(api_client.get("/api/v1/customers/")) == ["A", "B"]


@pytest.mark.parametrize(
    "params",
    [
        {"tier": "bogus"},
        {"abc_class": "Z"},
        {"status": "vip"},
        {"owner": "abc"},
        {"owner": "99999999999999999999999"},
        {"is_key_account": "maybe"},
        {"ordering": "password"},
        {"ordering": "-owner__password"},
    ],
)
def test_invalid_filter_values_are_400_naming_the_parameter(api_client, rep, params):
    CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.get("/api/v1/customers/", params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


# --- Query counts ----------------------------------------------------------------------------


def test_list_runs_a_constant_number_of_queries(api_client, rep, other_rep, django_assert_num_queries):
    def customers(n):
        for _ in range(n):
            customer = CustomerFactory(owner=rep)
            AccountTeamMember.objects.create(customer=customer, user=other_rep)
            VisitFactory(customer=customer)

    api_client.force_authenticate(rep)
    customers(3)
    # managed teams? (visible_to), count, page, account teams, checklist ticks (a query of
    # their own, as the team's: an array of ids in the page's query would need PostgreSQL)
    with django_assert_num_queries(5):
        assert len(api_client.get("/api/v1/customers/").json()["results"]) == 3
    customers(27)
    with django_assert_num_queries(5):
        assert len(api_client.get("/api/v1/customers/").json()["results"]) == 30


def test_filtered_list_for_a_manager_runs_a_constant_number_of_queries(
    api_client, rep, manager, django_assert_num_queries
):
    api_client.force_authenticate(manager)
    CustomerFactory.create_batch(3, owner=rep, region="华东")
    params = {"region": "华东", "search": "客户", "ordering": "-last_visit_at"}
    with django_assert_num_queries(5):  # as above
        assert api_client.get("/api/v1/customers/", params).json()["count"] == 3
    CustomerFactory.create_batch(27, owner=rep, region="华东")
    with django_assert_num_queries(5):
        assert api_client.get("/api/v1/customers/", params).json()["count"] == 30
