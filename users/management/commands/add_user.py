"""`add_user USERNAME --password PASS --role rep|manager|admin [--team NAME] [--manages NAME]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from audit.context import AuditedCommand
from users.models import Role
from users.services import user_upsert


class Command(AuditedCommand):
    help = (
        "Create a login or update an existing one (idempotent). --team and --manages may be "
        "repeated; when given they replace the user's memberships, and missing teams are created."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--team", action="append", dest="teams", metavar="NAME", help="member of this team"
        )
        parser.add_argument("--manages", action="append", metavar="NAME", help="manager of this team")
        parser.add_argument(
            "--skip-password-check", action="store_true", help="accept a password the validators would refuse"
        )

    def handle(self, *args, username, password, role, teams, manages, skip_password_check, **options):
        try:
            user, created = user_upsert(
                username=username,
                password=password,
                role=role,
                teams=teams,
                manages=manages,
                validate=not skip_password_check,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        action = "Created" if created else "Updated"
        details = [f"role {user.role}"]
        if teams is not None:
            details.append("teams " + (", ".join(sorted(teams)) or "none"))
        if manages is not None:
            details.append("manages " + (", ".join(sorted(manages)) or "none"))
        self.stdout.write(self.style.SUCCESS(f"{action} user {user.username}: {'; '.join(details)}"))
