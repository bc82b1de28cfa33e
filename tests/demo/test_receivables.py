"""Demo payment collection: plans and ERP payments for won demo deals that show every case
(paid on time, open and not yet due, more than 30 days overdue, paid early with credit, due
this week on the demo rep's My day), loaded idempotently."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Customer, credit_risk_q
from demo.dataset import demo_dataset
from demo.load import demo_load, demo_pipeline_load, demo_receivables_load
from demo.loaders.logins import logins_load
from receivables import selectors
from receivables.models import Installment, Payment, PaymentApplication, PaymentPlan, PaymentSource
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def dataset():
    return demo_dataset()


@pytest.fixture
def loaded(dataset):
    logins_load()
    demo_load(dataset=dataset)
    demo_pipeline_load(dataset=dataset)
    return demo_receivables_load(dataset=dataset)


def counts() -> tuple[int, ...]:
    return (
        PaymentPlan.objects.count(),
        Installment.objects.count(),
        Payment.objects.count(),
        PaymentApplication.objects.count(),
    )


def test_plans_add_up_and_payments_come_from_the_erp(loaded):
    assert loaded.plans >= 8
    assert (loaded.plans, loaded.installments, loaded.payments) == counts()[:3]
    for plan in PaymentPlan.objects.prefetch_related("installments"):
        rows = list(plan.installments.all())
        assert 2 <= len(rows) <= 4
        assert sum(row.amount for row in rows) == plan.contract_amount
        assert plan.opportunity.stage == "won"
    assert set(Payment.objects.values_list("source", flat=True)) == {PaymentSource.ERP}


def test_every_case_is_shown(loaded):
    today = timezone.localdate()
    summaries = [
        selectors.customer_receivables(customer=customer, today=today)
        for customer in Customer.objects.filter(payment_plans__isnull=False).distinct()
    ]
    paid_up = [s for s in summaries if s.open == 0]
    open_not_due = [s for s in summaries if s.open > 0 and s.overdue == 0]

    assert len(paid_up) > len(summaries) / 3  # most paid on time
    assert open_not_due
    assert Customer.objects.filter(credit_risk_q(today)).exists()
    assert any(s.credit_risk and s.aging.days_31_60 > 0 for s in summaries)
    assert any(s.credit > 0 for s in summaries)  # paid early, and more


def test_the_demo_rep_has_an_installment_due_this_week(loaded):
    rep = User.objects.get(username="rep1")
    today = timezone.localdate()

    rows = selectors.installments_due(user=rep, today=today, visible=Customer.objects.visible_to(rep))

    assert any(0 < (row.installment.due_on - today).days <= 7 for row in rows)


def test_a_second_run_creates_nothing(loaded, dataset):
    before = counts()

    again = demo_receivables_load(dataset=dataset)
    tomorrow = demo_receivables_load(dataset=dataset, today=timezone.localdate() + timedelta(days=1))

    assert (again.plans, again.payments, tomorrow.plans, tomorrow.payments) == (0, 0, 0, 0)
    assert counts() == before
