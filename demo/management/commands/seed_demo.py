"""`seed_demo`: demo logins and teams, then ~300 demo customers with contacts, visits,
competitors and three years of transactions, ~120 opportunities with their stage history and
10 account plans (`demo.load`, one loader per kind of record), the industry fit table and
checklist ticks, payment plans and ERP payments for some won deals, a scoring run, then account reviews and service visits that put every tier's
accounts in every coverage state (on track, due, overdue).

Idempotent: running it again updates the same logins and adds no customer, contact, visit,
transaction, opportunity, plan, industry fit, checklist tick or account review twice (see
demo.loaders.fit and demo.loaders.servicing for their keys); transaction dates are moved to stay
relative to today (reviews and service visits are not: on a later day some accounts fall due).
"""

from time import perf_counter

from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, IndustryFit, credit_risk_q
from audit.context import AuditedCommand
from demo.dataset import DemoDataset, demo_dataset
from demo.load import (
    demo_fit_load,
    demo_load,
    demo_pipeline_load,
    demo_pipeline_summary,
    demo_receivables_load,
    demo_servicing_load,
    demo_summary,
)
from demo.loaders.events import events_load
from demo.loaders.logins import DEMO_PASSWORD, DEMO_USERS, logins_load
from demo.loaders.servicing import DEMO_REP, servicing_summary
from receivables.models import Payment, PaymentPlan
from servicing.coverage import Coverage


class Command(AuditedCommand):
    help = "Load demo logins, teams and customers with their activity (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-only", action="store_true", help="Only the demo logins and teams, no customers."
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            logins_load()
            if not options["logins_only"]:
                dataset = demo_dataset()
                self.load_customers(dataset)
                # Before scoring, which reads the open opportunities (lifecycle of prospects).
                self.load_pipeline(dataset)
                self.load_receivables(dataset)  # payment plans of the won opportunities
                self.load_fit(dataset)  # before scoring, which computes the fit scores
        if not options["logins_only"]:
            self.score()
            self.load_servicing(dataset)  # after scoring: the service policies go by tier
            self.load_events()  # last: notifications of what the demo data has due and overdue
        self.print_logins()

    def load_customers(self, dataset: DemoDataset) -> None:
        started = perf_counter()
        result = demo_load(dataset=dataset)
        seconds = perf_counter() - started
        totals = demo_summary()
        self.stdout.write(
            f"Demo customers loaded in {seconds:.1f}s: "
            f"{result.customers_created} customers, {result.contacts_created} contacts, "
            f"{result.visits_created} visits, {result.competitors_created} competitors and "
            f"{result.transactions_created} transactions created, "
            f"{result.transactions_updated} transactions moved to today's dates."
        )
        self.stdout.write(
            "In the database: " + ", ".join(f"{count} {name}" for name, count in totals.items())
        )

    def load_pipeline(self, dataset: DemoDataset) -> None:
        started = perf_counter()
        result = demo_pipeline_load(dataset=dataset)
        seconds = perf_counter() - started
        self.stdout.write(
            f"Demo pipeline loaded in {seconds:.1f}s: "
            f"{result.opportunities_created} opportunities with {result.stage_changes_created} stage changes "
            f"({result.overrides} gate overrides), {result.gate_checks_created} gate checks and "
            f"{result.visits_created} closing visits created; {result.plans_created} account plans with "
            f"{result.objectives_created} objectives and {result.actions_created} actions created; "
            f"{result.grades_changed} prospect grades changed."
        )
        by_stage = demo_pipeline_summary()
        self.stdout.write(
            f"In the database: {sum(by_stage.values())} opportunities ("
            + ", ".join(f"{stage} {count}" for stage, count in by_stage.items())
            + ")"
        )

    def load_fit(self, dataset: DemoDataset) -> None:
        result = demo_fit_load(dataset=dataset)
        self.stdout.write(
            f"Experience method: {result.industry_fits} industry fits added "
            f"({IndustryFit.objects.count()} in the table), checklists of {result.customers_ticked} customers "
            f"ticked ({result.ticks} ticks)."
        )

    def load_servicing(self, dataset: DemoDataset) -> None:
        result = demo_servicing_load(dataset=dataset)
        summary = servicing_summary(today=timezone.localdate())
        self.stdout.write(
            f"Servicing: {result.reviews} account reviews with {result.actions} agreed actions "
            f"({result.actions_done} done), {result.visits} visits and {result.executive_meetings} executive "
            f"meetings created; {summary['reviews']} reviews and {summary['actions']} actions in the database."
        )
        for tier, counts in summary["by_tier"].items():
            if counts.customers:
                compliance = 100 * (counts.customers - counts.overdue) / counts.customers
                self.stdout.write(
                    f"  coverage {tier or 'untiered':<9} {counts.customers:>4} customers: "
                    f"{counts.on_track} {Coverage.ON_TRACK.value}, {counts.due} {Coverage.DUE.value}, "
                    f"{counts.overdue} {Coverage.OVERDUE.value} (compliance {compliance:.0f}%)"
                )
        self.stdout.write(
            f"  {DEMO_REP}'s My day: {summary['rep_overdue']} overdue and {summary['rep_due']} due accounts, "
            f"{summary['rep_actions']} agreed actions due this week or overdue."
        )

    def load_events(self) -> None:
        result = events_load(today=timezone.localdate())
        self.stdout.write(
            f"Events: {result.subscriptions} webhook subscription created (inactive: see docs/webhooks.md), "
            f"{result.announced} overdue installments announced, {result.notifications} notifications made."
        )

    def load_receivables(self, dataset: DemoDataset) -> None:
        result = demo_receivables_load(dataset=dataset)
        today = timezone.localdate()
        at_risk = Customer.objects.filter(credit_risk_q(today)).count()
        self.stdout.write(
            f"Payment collection: {result.plans} payment plans with {result.installments} installments and "
            f"{result.payments} ERP payments created; {PaymentPlan.objects.count()} plans and "
            f"{Payment.objects.count()} payments in the database, {at_risk} customers at credit risk "
            "(more than 30 days overdue)."
        )

    def score(self) -> None:
        """End with a scored population, so tiers, ABC classes and dashboards have data."""
        from scoring.services import run_execute, run_request

        run, created = run_request(by=None, trigger="seed_demo", enqueue=False)
        if not created:
            self.stdout.write(f"Scoring run {run.pk} is already {run.status}; not starting another.")
            return
        run_execute(run_id=run.pk)
        run.refresh_from_db()
        self.stdout.write(
            f"Scored {run.customers_scored} customers (run {run.pk}, model v{run.model.version}): "
            f"{run.tier_changes} tier changes."
        )

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for username, role, teams, manages, _name in DEMO_USERS:
            where = ", ".join([f"member of {t}" for t in teams] + [f"manages {t}" for t in manages])
            self.stdout.write(f"  {username:<8} {role.value:<8} {where}")
        self.stdout.write("")
