"""The demo data written in order, one loader after another, and the counts `seed_demo` reports.

`demo_load` writes the demo customers with their contacts, visits, transactions and
competitors; `demo_pipeline_load` then the opportunities and account plans over them, and the
prospect grades. Both need the demo logins (`logins_load`) first, and both are idempotent: a
second run creates nothing (see each loader for its key).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import CompetitorPresence, Contact, Customer, Transaction, Visit
from pipeline.models import FORWARD, Opportunity, Stage
from pipeline.services import prospect_grades_refresh

from .dataset import DemoDataset, demo_dataset
from .loaders.competitors import competitors_load
from .loaders.contacts import contacts_load
from .loaders.customers import customers_load, demo_customers
from .loaders.fit import FitLoaded, fit_load
from .loaders.logins import demo_users
from .loaders.opportunities import opportunities_load
from .loaders.plans import plans_load
from .loaders.receivables import ReceivablesLoaded, receivables_load
from .loaders.servicing import ServicingLoaded, servicing_load
from .loaders.transactions import transactions_load
from .loaders.visits import visits_load
from .pipeline_dataset import SEED as PIPELINE_SEED
from .pipeline_dataset import opportunity_specs, plan_specs
from .servicing_dataset import fit_specs


@dataclass(frozen=True)
class DemoLoadResult:
    customers_created: int
    contacts_created: int
    visits_created: int
    transactions_created: int
    transactions_updated: int
    competitors_created: int


@transaction.atomic
def demo_load(*, today: date | None = None, dataset: DemoDataset | None = None) -> DemoLoadResult:
    """Write the demo customers and everything under them; transactions are dated from `today`
    (on a later day the same rows move, none is added)."""
    today = today or timezone.localdate()
    data = dataset or demo_dataset()
    users = demo_users()
    customers_created = customers_load(customers=data.customers, users=users)
    customers = demo_customers(data.customers)
    contacts_created = contacts_load(contacts=data.contacts, customers=customers, today=today)
    visits_created = visits_load(visits=data.visits, customers=customers, users=users, today=today)
    transactions = transactions_load(transactions=data.transactions, customers=customers, today=today)
    competitors_created = competitors_load(competitors=data.competitors, customers=customers)
    return DemoLoadResult(
        customers_created=customers_created,
        contacts_created=contacts_created,
        visits_created=visits_created,
        transactions_created=transactions.created,
        transactions_updated=transactions.updated,
        competitors_created=competitors_created,
    )


@dataclass(frozen=True)
class PipelineLoadResult:
    opportunities_created: int
    stage_changes_created: int
    overrides: int
    gate_checks_created: int
    visits_created: int
    plans_created: int
    objectives_created: int
    actions_created: int
    grades_changed: int


@transaction.atomic
def demo_pipeline_load(
    *, dataset: DemoDataset | None = None, now: datetime | None = None, seed: int = PIPELINE_SEED
) -> PipelineLoadResult:
    """Write the demo opportunities and account plans, then grade every prospect (the services
    grade only the customers they touch). Needs the demo customers: `demo_load` first."""
    data = dataset or demo_dataset()
    now = now or timezone.now()
    users = demo_users()
    customers = demo_customers(data.customers)
    grades = dict(Customer.objects.values_list("pk", "prospect_grade"))
    opportunities = opportunities_load(
        opportunities=opportunity_specs(data, seed=seed), customers=customers, users=users, now=now, seed=seed
    )
    plans = plans_load(
        plans=plan_specs(data, seed=seed), customers=customers, users=users, today=timezone.localdate(now)
    )
    prospect_grades_refresh()
    graded = Customer.objects.values_list("pk", "prospect_grade")
    return PipelineLoadResult(
        opportunities_created=opportunities.opportunities,
        stage_changes_created=opportunities.stage_changes,
        overrides=opportunities.overrides,
        gate_checks_created=opportunities.gate_checks,
        visits_created=opportunities.visits,
        plans_created=plans.plans,
        objectives_created=plans.objectives,
        actions_created=plans.actions,
        grades_changed=sum(1 for pk, grade in graded if grades.get(pk) != grade),
    )


def demo_summary() -> dict[str, int]:
    """Row counts of the demo customers' tables, for the command's report."""
    return {
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "visits": Visit.objects.count(),
        "transactions": Transaction.objects.count(),
        "competitors": CompetitorPresence.objects.count(),
    }


def demo_pipeline_summary() -> dict[str, int]:
    """Opportunities by stage (open, won, lost) in the database, for the command's report."""
    by_stage = dict(Opportunity.objects.order_by().values_list("stage").annotate(n=Count("id")))
    return {str(stage): by_stage.get(stage, 0) for stage in (*FORWARD, Stage.LOST)}


@transaction.atomic
def demo_fit_load(*, dataset: DemoDataset | None = None) -> FitLoaded:
    """The experience method's demo data (issue 14): the industry fit table and the checklist
    ticks, before the scoring run that computes the fit scores. Needs `demo_load` first."""
    data = dataset or demo_dataset()
    return fit_load(ticks=fit_specs(data), customers=demo_customers(data.customers), users=demo_users())


@transaction.atomic
def demo_servicing_load(*, dataset: DemoDataset | None = None, today: date | None = None) -> ServicingLoaded:
    """Account reviews and service visits putting every tier's accounts in every coverage state
    (issue 14). After the scoring run: a customer's service policy is its tier's."""
    data = dataset or demo_dataset()
    return servicing_load(
        customers=demo_customers(data.customers), users=demo_users(), today=today or timezone.localdate()
    )


@transaction.atomic
def demo_receivables_load(
    *, dataset: DemoDataset | None = None, today: date | None = None
) -> ReceivablesLoaded:
    """Payment plans and ERP payments for some won demo opportunities (issue 15): paid on time,
    open, more than 30 days overdue, paid early with credit, due this week. Needs
    `demo_pipeline_load` first (the won opportunities)."""
    data = dataset or demo_dataset()
    return receivables_load(
        customers=demo_customers(data.customers), users=demo_users(), today=today or timezone.localdate()
    )
