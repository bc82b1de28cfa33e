"""`person_export <contact> [--email E | --phone P] [--output FILE]`: a data subject's access request.

Prints, as JSON, everything KAM holds on one contact (see `accounts.privacy.person_export`).
"""

import json
import os

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from accounts import privacy

from ._person import PersonCommand


class Command(PersonCommand):
    help = (
        "Print everything held on a contact as JSON: the contact, its customer, the visits it "
        "attended, the audit rows about it and every other record that names it."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--output", metavar="FILE", help="write the JSON to FILE (readable by its owner only)"
        )

    def handle(self, *args, contact, email, phone, output, **options):
        found = self.get_contact(contact=contact, email=email, phone=phone)
        text = json.dumps(
            privacy.person_export(contact=found), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        )
        if not output:
            self.stdout.write(text)
            return
        # Personal data: the file is created readable by its owner only.
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "w", encoding="utf-8") as file:
                os.fchmod(descriptor, 0o600)  # os.open's mode applies only to a file it creates
                file.write(text + "\n")
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": output, "error": error.strerror}
            ) from error
        self.stdout.write(
            self.style.SUCCESS(_("Wrote contact #%(id)s to %(file)s.") % {"id": found.pk, "file": output})
        )
