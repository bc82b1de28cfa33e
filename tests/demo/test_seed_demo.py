"""seed_demo: demo logins that work and ~300 demo customers with activity, loaded idempotently."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import (
    AccountTeamMember,
    CompetitorPresence,
    Contact,
    Customer,
    IndustryFit,
    Transaction,
    Visit,
    normalise_company_name,
)
from accounts.selectors import my_day
from demo.dataset import demo_dataset
from demo.load import demo_load
from demo.loaders.logins import DEMO_PASSWORD
from receivables.models import Installment, Payment, PaymentPlan
from servicing.models import AccountReview, ReviewAction
from users.models import Role, Team, User

pytestmark = pytest.mark.django_db


def table_counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Team.objects.count(),
        Team.members.through.objects.count(),
        Customer.objects.count(),
        AccountTeamMember.objects.count(),
        Contact.objects.count(),
        Visit.objects.count(),
        Visit.contacts.through.objects.count(),
        Transaction.objects.count(),
        CompetitorPresence.objects.count(),
        IndustryFit.objects.count(),
        Customer.fit_criteria.through.objects.count(),
        AccountReview.objects.count(),
        ReviewAction.objects.count(),
        PaymentPlan.objects.count(),
        Installment.objects.count(),
        Payment.objects.count(),
    )


def test_seed_demo_creates_working_logins_and_two_teams(capsys):
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    assert "Payment collection:" in out
    for username in ["admin", "manager", "rep1", "rep2"]:
        assert username in out
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert User.objects.get(username="admin").role == Role.ADMIN
    assert User.objects.get(username="manager").role == Role.MANAGER
    assert Team.objects.count() == 2


def test_seed_demo_twice_does_not_duplicate(client):
    call_command("seed_demo")
    counts = table_counts()
    call_command("seed_demo")

    assert table_counts() == counts
    for username in ["rep1", "manager"]:
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        client.post("/logout/")


def test_logins_only_loads_no_customers():
    call_command("seed_demo", "--logins-only")
    assert User.objects.filter(username__in=["admin", "manager", "rep1", "rep2", "rep3"]).count() == 5
    assert Customer.objects.count() == 0


def test_demo_customers_look_like_a_sales_territory():
    call_command("seed_demo")
    today = timezone.localdate()

    customers = Customer.objects.annotate(orders=Count("transactions"))
    assert 280 <= customers.count() <= 320
    buyers = customers.filter(orders__gt=0)
    assert buyers.count() >= 0.5 * customers.count()
    # Status follows from having deals.
    assert set(buyers.values_list("status", flat=True)) == {"customer"}
    assert set(customers.filter(orders=0).values_list("status", flat=True)) == {"prospect"}
    assert customers.values("industry").distinct().count() >= 8
    assert set(customers.values_list("region", flat=True)) == {
        "华东",
        "华南",
        "华北",
        "华中",
        "西南",
        "西北",
        "东北",
    }
    assert set(customers.values_list("owner__username", flat=True)) == {"rep1", "rep2", "rep3", "manager"}
    assert AccountTeamMember.objects.exists()
    assert Customer.objects.filter(parent__isnull=False).values("parent").distinct().count() >= 3
    assert Customer.objects.filter(source="referral", referred_by__isnull=False).exists()
    assert CompetitorPresence.objects.exists()

    contacts_per_customer = Customer.objects.annotate(n=Count("contacts")).values_list("n", flat=True)
    assert min(contacts_per_customer) >= 1
    assert max(contacts_per_customer) <= 5
    decision_makers = Contact.objects.filter(buying_role="decision_maker")
    assert decision_makers.exists()
    assert not decision_makers.filter(Q(hometown="") | Q(birthday__isnull=True)).exists()

    dates = Transaction.objects.values_list("occurred_on", flat=True)
    assert max(dates) <= today
    assert min(dates) > today - timedelta(days=3 * 365 + 1)
    assert Transaction.objects.filter(amount__lt=0).exists()  # credit notes
    assert Transaction.objects.filter(amount__gt=0, margin__lt=0).exists()
    assert Transaction.objects.filter(reference__regex=r"^[A-Z]+-[A-Z]+-\d{6}$").count() == len(dates)

    assert (
        Visit.objects.filter(occurred_at__gte=timezone.now() - timedelta(days=190)).count()
        == Visit.objects.count()
    )
    follow_ups = my_day(user=User.objects.get(username="rep1"), today=today).follow_ups_due
    assert any(visit.follow_up_on == today for visit in follow_ups)
    assert any(visit.follow_up_on < today for visit in follow_ups)


def test_a_few_accounts_bring_most_of_the_revenue():
    call_command("seed_demo")
    start = timezone.localdate() - timedelta(days=365)
    sales = sorted(
        (
            total or Decimal(0)
            for total in Customer.objects.annotate(
                s=Sum("transactions__amount", filter=Q(transactions__occurred_on__gt=start))
            ).values_list("s", flat=True)
        ),
        reverse=True,
    )
    top = sales[: len(sales) // 5]
    revenue = sum(total for total in sales if total > 0)

    assert sum(top) / revenue > Decimal("0.6")


def test_the_dataset_is_the_same_every_time_and_names_are_unique():
    first, second = demo_dataset(), demo_dataset()

    assert first == second
    names = [normalise_company_name(customer.name) for customer in first.customers]
    assert len(names) == len(set(names))
    assert len({row.reference for row in first.transactions}) == len(first.transactions)


def test_a_later_day_moves_the_transactions_instead_of_adding_them():
    call_command("seed_demo")
    counts = table_counts()
    later = timezone.localdate() + timedelta(days=40)

    result = demo_load(today=later)

    assert table_counts() == counts
    assert (result.customers_created, result.transactions_created) == (0, 0)
    assert result.transactions_updated == Transaction.objects.count()
    assert max(Transaction.objects.values_list("occurred_on", flat=True)) <= later
    assert demo_load(today=later).transactions_updated == 0


def test_seed_demo_ends_with_a_scored_population():
    from accounts.models import Customer
    from scoring.models import ScoringRun

    call_command("seed_demo")

    run = ScoringRun.objects.get()
    assert run.status == "succeeded"
    assert run.customers_scored == Customer.objects.count()
    assert not Customer.objects.filter(scored_at__isnull=True).exists()
    assert Customer.objects.filter(tier="platinum").count() == 15  # ⌈5% × 300⌉
