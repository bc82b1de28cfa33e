"""`seed_demo`: demo logins and teams, then ~300 demo customers with contacts, visits,
competitors and three years of transactions, ~120 opportunities with their stage history and
10 account plans (`demo.load`, one loader per kind of record), and a scoring run.

Idempotent: running it again updates the same logins and adds no customer, contact, visit,
transaction, opportunity or plan twice; transaction dates are moved to stay relative to today.
"""

from time import perf_counter

from django.db import transaction

from audit.context import AuditedCommand
from demo.dataset import DemoDataset, demo_dataset
from demo.load import demo_load, demo_pipeline_load, demo_pipeline_summary, demo_summary
from demo.loaders.logins import DEMO_PASSWORD, DEMO_USERS, logins_load


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
        if not options["logins_only"]:
            self.score()
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
