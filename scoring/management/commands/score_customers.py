"""`score_customers [--as-of YYYY-MM-DD]`: a whole-population scoring run from the shell."""

import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from audit.context import AuditedCommand
from scoring import services


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {value!r}") from error


class Command(AuditedCommand):
    help = "Score, classify and tier every customer now, in this process, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=str, help="score as of this date (default: today)")

    def handle(self, *args, as_of=None, **options):
        as_of = parse_date(as_of) if as_of else None
        try:
            run, created = services.run_request(by=None, as_of=as_of, trigger="command", enqueue=False)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if not created:
            raise CommandError(f"Run {run.pk} is already {run.status}; wait for it to finish.")
        bar = ProgressBar(self.stdout)
        try:
            services.run_execute(run_id=run.pk, report=bar.update)
        except Exception as error:
            services.run_mark_failed(run_id=run.pk, error=f"{type(error).__name__}: {error}")
            raise CommandError(f"Run {run.pk} failed: {error}") from error
        run.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} (model v{run.model.version}, as of {run.as_of}): "
                f"{run.customers_scored} customers scored, {run.tier_changes} tier changes."
            )
        )


class ProgressBar:
    width = 30

    def __init__(self, out):
        self.out = out
        self.interactive = hasattr(out, "isatty") and out.isatty() or sys.stdout.isatty()

    def update(self, percent: int, stage: str) -> None:
        filled = self.width * percent // 100
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% {stage}"
        if self.interactive:
            self.out.write("\r" + line, ending="")
            if percent >= 100:
                self.out.write("")
        else:
            self.out.write(line)
