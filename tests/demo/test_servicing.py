"""seed_demo's issue 14 data: industry fits, ticked checklists, account reviews with agreed
actions, and accounts on track, due and overdue in every tier, on the demo rep's My day."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import Customer, FitCriterion, IndustryFit
from accounts.selectors import new_market_shortlist
from demo.dataset import INDUSTRIES, demo_dataset
from demo.load import demo_servicing_load
from demo.servicing_dataset import CHECKLIST, INDUSTRY_FITS, NOT_IN_TABLE, fit_specs
from servicing.coverage import TIERS, Coverage, coverage_summary, my_day, policy_table
from servicing.models import AccountReview, ReviewAction
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seed for the module's tests (seed_demo takes seconds), rolled back after them: each
    test runs in a savepoint inside this transaction. The command's report is the value."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


def test_the_fit_data_is_the_same_every_time_and_uses_the_default_checklist():
    data = demo_dataset()
    assert fit_specs(data) == fit_specs(data)
    assert {label for spec in fit_specs(data) for label in spec.items} == set(CHECKLIST)
    assert set(INDUSTRY_FITS) | set(NOT_IN_TABLE) == set(INDUSTRIES)
    assert NOT_IN_TABLE  # "not in the table" is visible


def test_industry_fits_and_checklists(seeded):
    assert set(IndustryFit.objects.values_list("industry", flat=True)) == set(INDUSTRY_FITS)
    assert not IndustryFit.objects.filter(industry__in=NOT_IN_TABLE).exists()
    assert Customer.objects.filter(industry__in=NOT_IN_TABLE).exists()
    assert len({fit.industry_fit for fit in IndustryFit.objects.all()}) >= 6
    assert set(FitCriterion.objects.values_list("label", flat=True)) >= set(CHECKLIST)

    prospects = Customer.objects.filter(status="prospect")
    counts = Counter(prospects.annotate(n=Count("fit_criteria")).values_list("n", flat=True))
    assert counts[0] > 0  # from none…
    assert counts[len(CHECKLIST)] > 0  # …to all
    assert len(counts) == len(CHECKLIST) + 1

    # The shortlist ranks visibly different fit scores after the seed's scoring run.
    admin = User.objects.get(username="admin")
    scores = list(new_market_shortlist(user=admin).values_list("fit_score", flat=True))
    assert len(scores) >= 20
    assert None not in scores
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) >= 15


def test_every_tier_has_every_coverage_state(seeded):
    today = timezone.localdate()
    summary = coverage_summary(Customer.objects.all(), today=today, policies=policy_table())
    for tier in TIERS:
        counts = summary.by_tier[tier]
        assert min(counts.on_track, counts.due, counts.overdue) > 0, (tier, counts)
        # The dashboard's compliance (the share not overdue) is strictly between 0 and 100%.
        assert 0 < counts.customers - counts.overdue < counts.customers
    assert "" not in summary.by_tier  # every demo customer is tiered by the run


def test_reviews_with_agreed_actions_fill_the_demo_reps_my_day(seeded):
    today = timezone.localdate()
    key_accounts = Customer.objects.filter(tier__in=["platinum", "gold"])
    reviewed = AccountReview.objects.filter(customer__in=key_accounts)
    assert reviewed.values("customer").distinct().count() >= key_accounts.count() // 2
    assert reviewed.filter(reviewed_on__gte=today - timedelta(days=30)).exists()
    assert reviewed.filter(reviewed_on__lt=today - timedelta(days=90)).exists()
    assert not AccountReview.objects.filter(reviewed_on__gt=today).exists()
    assert ReviewAction.objects.filter(done_at__isnull=False).exists()
    # Every action's owner is the account's owner, who sees it.
    assert not ReviewAction.objects.exclude(owner=F("review__customer__owner")).exists()

    rep = User.objects.get(username="rep1")
    day = my_day(user=rep, today=today, limit=1000)
    statuses = {row.status for row in day.accounts_due}
    assert {Coverage.OVERDUE, Coverage.DUE} <= statuses
    assert {row.tier for row in day.accounts_due if row.status == Coverage.DUE} & {"platinum", "gold"}
    assert any(action.due_on < today for action in day.actions_due)
    assert any(today <= action.due_on <= today + timedelta(days=6) for action in day.actions_due)


def test_the_report_and_a_second_load_creates_nothing(seeded):
    assert "coverage platinum" in seeded
    assert "rep1's My day" in seeded
    assert "9 industry fits added" in seeded
    counts = (AccountReview.objects.count(), ReviewAction.objects.count())
    result = demo_servicing_load()
    assert (result.reviews, result.actions, result.visits, result.executive_meetings) == (0, 0, 0, 0)
    assert (AccountReview.objects.count(), ReviewAction.objects.count()) == counts
