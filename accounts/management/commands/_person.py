"""What `person_export` and `person_erase` share: naming the contact by id, --email or --phone."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import privacy
from accounts.models import Contact
from audit.context import AuditedCommand


class PersonCommand(AuditedCommand):
    """A command about one contact, live or deleted (then known from the audit trail). The e-mail or
    phone number typed is not echoed back, nor any name: the output may end up in a job's log."""

    def add_arguments(self, parser):
        parser.add_argument("contact", nargs="?", type=int, help="the contact's id")
        parser.add_argument("--email", default="", help="find the contact by e-mail address instead")
        parser.add_argument("--phone", default="", help="find the contact by phone number instead")

    def get_contact(self, *, contact: int | None, email: str, phone: str) -> Contact:
        if sum([contact is not None, bool(email), bool(phone)]) != 1:
            raise CommandError(_("Name the contact by its id, --email or --phone: one of them."))
        if contact is not None:
            # A contact deleted since is still held on in the audit trail, and can be exported and erased.
            found = Contact.objects.select_related("customer").filter(pk=contact).first()
            found = found or privacy.deleted_contact(contact)
            if found is None:
                raise CommandError(_("There is no contact with id %(id)s.") % {"id": contact})
            return found
        matches = privacy.contacts_matching(email=email, phone=phone)
        if not matches:
            raise CommandError(_("No contact has this e-mail address or phone number."))
        if len(matches) > 1:
            # Ids only, not names: the message may end up in a job's log.
            listed = "\n".join(
                (
                    _("  #%(id)s (customer #%(customer_id)s, deleted)")
                    if privacy.is_deleted(match)
                    else _("  #%(id)s (customer #%(customer_id)s)")
                )
                % {"id": match.pk, "customer_id": match.customer_id}
                for match in matches
            )
            intro = ngettext(
                "%(count)d contact matches; run again with its id:",
                "%(count)d contacts match; run again with the id of the one you mean:",
                len(matches),
            ) % {"count": len(matches)}
            raise CommandError(f"{intro}\n{listed}")
        return matches[0]
