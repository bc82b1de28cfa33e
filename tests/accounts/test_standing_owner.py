"""The standing row's owner: what lets a manager's dashboards pick the customers they see from the
standing table alone. It must be the customer's owner at every moment a reader can look, however
the owner changed, and the rows it picks must be exactly those `visible_to` picks."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accounts.models import AccountTeamMember, Customer, CustomerStanding
from accounts.selectors import customers_count, standing_of
from scoring import engine
from scoring.services import load_inputs, run_execute, run_request, write_results
from tests.factories import CustomerFactory, TeamFactory, TransactionFactory, UserFactory
from users.models import Role, Team

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

AS_OF = date(2026, 6, 30)


def score():
    run, _created = run_request(by=None, as_of=AS_OF, enqueue=False)
    run_execute(run_id=run.pk)


def owners() -> dict[int, int | None]:
    return dict(CustomerStanding.objects.values_list("customer_id", "owner_id"))


@pytest.fixture
def world():
    """A manager of one team (two reps), a rep of another team, an admin; customers of each rep,
    one owned by nobody, and account-team memberships across owners."""
    manager = UserFactory(username="经理", role=Role.MANAGER)
    near, far, outsider = (UserFactory(username=name) for name in ("近", "远", "外"))
    team = TeamFactory(name="华东大客户部")
    team.managers.add(manager)
    team.members.add(near, far)
    TeamFactory(name="华北大客户部").members.add(outsider)
    admin = UserFactory(username="管理员", role=Role.ADMIN)
    customers = {}
    for i, (key, owner) in enumerate(
        [("near", near), ("near2", near), ("far", far), ("outsider", outsider), ("orphan", None)]
    ):
        customer = CustomerFactory(
            name=f"客户{key}", owner=owner, status="customer", region="华东" if i % 2 else "华北"
        )
        TransactionFactory(customer=customer, occurred_on=AS_OF - timedelta(days=10), amount=1000 * (i + 1))
        customers[key] = customer
    AccountTeamMember.objects.create(customer=customers["outsider"], user=near)  # a rep on another's account
    AccountTeamMember.objects.create(customer=customers["orphan"], user=manager)  # nobody owns it
    score()
    unscored = CustomerFactory(name="新客户", owner=far)  # created since the run: no standing row
    return {
        "users": {"manager": manager, "near": near, "far": far, "outsider": outsider, "admin": admin},
        "customers": customers,
        "unscored": unscored,
    }


def test_the_run_writes_each_customers_owner(world):
    expected = {c.pk: c.owner_id for c in world["customers"].values()}
    assert owners() == expected


def test_every_way_of_changing_an_owner_changes_the_standing(world):
    customers, users = world["customers"], world["users"]
    near = customers["near"]
    near.owner = users["outsider"]
    near.save()  # a form or the API
    Customer.objects.filter(pk=customers["far"].pk).update(owner=users["near"])  # a bulk reassignment
    assert owners()[near.pk] == users["outsider"].pk
    assert owners()[customers["far"].pk] == users["near"].pk
    users["outsider"].delete()  # SET_NULL: an UPDATE Django issues itself
    assert owners()[near.pk] is None
    assert owners()[customers["outsider"].pk] is None
    assert Customer.objects.get(pk=near.pk).owner_id is None


def test_an_owner_changed_while_the_run_computes_is_the_one_written(world):
    customers, users = world["customers"], world["users"]
    run, _created = run_request(by=None, as_of=AS_OF + timedelta(days=1), enqueue=False)
    results = engine.score_population(load_inputs(as_of=run.as_of), run.model.to_parameters())
    Customer.objects.filter(pk=customers["near"].pk).update(owner=users["outsider"])
    Customer.objects.filter(pk=customers["orphan"].pk).update(owner=users["far"])
    write_results(run=run, results=results)
    assert owners()[customers["near"].pk] == users["outsider"].pk
    assert owners()[customers["orphan"].pk] == users["far"].pk
    assert owners()[world["unscored"].pk] == users["far"].pk  # loaded by this run, scored now


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the swap and its log are PostgreSQL's")
def test_the_swap_reads_only_the_customers_reassigned_since_the_last_one(world):
    customers, users = world["customers"], world["users"]

    def logged() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT customer_id FROM accounts_standing_owner_log ORDER BY customer_id")
            return [row[0] for row in cursor.fetchall()]

    Customer.objects.filter(pk=customers["near"].pk).update(owner=users["far"])
    Customer.objects.filter(pk=customers["far"].pk).update(owner=users["far"])  # not a change
    assert logged() == [customers["near"].pk]
    score()
    assert logged() == []
    assert owners()[customers["near"].pk] == users["far"].pk


@pytest.mark.parametrize("role", ["manager", "near", "far", "outsider", "admin"])
def test_the_standing_picks_exactly_the_customers_a_user_sees(world, role):
    user = world["users"][role]
    Customer.objects.filter(pk=world["customers"]["far"].pk).update(owner=world["users"]["outsider"])
    team = Team.objects.get(name="华东大客户部")
    members = Team.members.through.objects.filter(team=team).values("user_id")
    for customers in (
        Customer.objects.visible_to(user),
        Customer.objects.visible_to(user).owned_by(members),  # the dashboard's team filter
        Customer.objects.visible_to(user).filter(region="华东"),  # not said on the standing: a semi-join
    ):
        seen = set(customers.values_list("pk", flat=True))
        picked = standing_of(customers)
        assert set(picked.values_list("customer_id", flat=True)) == seen - {world["unscored"].pk}
        total = picked.aggregate(n=customers_count(customers))["n"]
        assert total == len(seen)  # the customer never scored counted too
        grouped = picked.values("tier").annotate(
            n=Count("pk"), everyone=customers_count(customers, grouped=True)
        )
        assert {row["everyone"] for row in grouped} <= {len(seen)}


def test_what_a_manager_sees_is_read_from_the_standing_alone(world):
    manager = world["users"]["manager"]
    customers = Customer.objects.visible_to(manager)
    assert customers.on_standing() is not None
    assert customers.filter(region="华东").on_standing() is None
    with CaptureQueriesContext(connection) as queries:
        list(standing_of(customers).values_list("customer_id", flat=True))
    (sql,) = [q["sql"] for q in queries.captured_queries if "accounts_customerstanding" in q["sql"]]
    assert 'accounts_customer"' not in sql.replace("accounts_customerstanding", "")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds a table to alter it")
def test_the_trigger_is_there_on_sqlite():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'accounts_customer'"
        )
        assert ("accounts_standing_owner",) in cursor.fetchall()
