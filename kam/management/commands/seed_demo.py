"""`seed_demo`: demo logins and teams (and, as the apps grow, demo customers and activity).

Idempotent: running it again updates the same rows instead of adding new ones.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from users.models import Role
from users.services import user_upsert

DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105 — printed on purpose: these are demo logins

EAST = "华东大客户部"
SOUTH = "华南大客户部"

DEMO_USERS = [
    # username, role, member of, manages, display name
    ("admin", Role.ADMIN, [], [], ("系统", "管理员")),
    ("manager", Role.MANAGER, [], [EAST], ("王", "经理")),
    ("rep1", Role.REP, [EAST], [], ("李", "明")),
    ("rep2", Role.REP, [EAST], [], ("张", "伟")),
    ("rep3", Role.REP, [SOUTH], [], ("陈", "静")),
]


class Command(BaseCommand):
    help = "Load demo logins and teams (idempotent) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        for username, role, teams, manages, (last_name, first_name) in DEMO_USERS:
            user, _created = user_upsert(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                teams=teams,
                manages=manages,
                validate=False,
            )
            user.last_name, user.first_name = last_name, first_name
            user.save(update_fields=["last_name", "first_name"])
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for username, role, teams, manages, _name in DEMO_USERS:
            where = ", ".join([f"member of {t}" for t in teams] + [f"manages {t}" for t in manages])
            self.stdout.write(f"  {username:<8} {role.value:<8} {where}")
        self.stdout.write("")
