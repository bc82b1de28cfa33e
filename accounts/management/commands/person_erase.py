"""`person_erase <contact> [--email E | --phone P] [--yes]`: a data subject's erasure request.

Anonymises one contact and its copies (see `accounts.privacy.person_erase`). Without --yes it asks
for the contact's id to be typed, and refuses to run when nobody can answer.
"""

import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import privacy

from ._person import PersonCommand


class Command(PersonCommand):
    help = (
        "Erase a contact's personal data: the contact keeps its place in the buying committee under "
        "a placeholder name; its copies in visit notes, other records and the audit trail are masked."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, contact, email, phone, yes, **options):
        found = self.get_contact(contact=contact, email=email, phone=phone)
        if not yes:
            self.confirm(found.pk, options.get("stdin") or sys.stdin)
        report = privacy.person_erase(contact=found)
        self.print_report(report)

    def confirm(self, contact_id: int, stdin) -> None:
        if stdin is None or not stdin.isatty():
            raise CommandError(
                _(
                    "Erasing cannot be undone. Run this command again with --yes to confirm; nothing was erased."
                )
            )
        self.stdout.write(
            _("Erasing contact #%(id)s cannot be undone. Type its id to confirm: ") % {"id": contact_id},
            ending="",
        )
        self.stdout.flush()
        if stdin.readline().strip() != str(contact_id):
            raise CommandError(_("Not confirmed; nothing was erased."))

    def print_report(self, report: privacy.ErasureReport) -> None:
        if not report.changed:
            self.stdout.write(
                _("Contact #%(id)s holds no personal data any more; nothing to erase.")
                % {"id": report.contact_id}
            )
            return
        if report.deleted:
            message = _("Erased deleted contact #%(id)s from the audit trail and its customers' records.")
        else:
            message = _("Erased contact #%(id)s; it is now “%(placeholder)s”.")
        self.stdout.write(
            self.style.SUCCESS(message % {"id": report.contact_id, "placeholder": report.placeholder})
        )
        for table, count in sorted(report.texts.items()):
            self.stdout.write(
                ngettext(
                    "  free text rewritten in %(count)d row of %(table)s",
                    "  free text rewritten in %(count)d rows of %(table)s",
                    count,
                )
                % {"count": count, "table": table}
            )
        self.stdout.write(_("  audit rows masked: %(count)d") % {"count": report.audit_rows})
        self.stdout.write(_("  admin log entries rewritten: %(count)d") % {"count": report.admin_log_entries})
        if report.name_left_in_text:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Another contact of this customer has the same name, so the name was left in "
                        "free text (it may mean them); its phone, e-mail and WeChat were replaced. "
                        "Review the customer's notes and visits by hand."
                    )
                )
            )
