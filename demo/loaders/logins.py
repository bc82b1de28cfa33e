"""The demo logins and teams: an admin, a manager of 华东大客户部 and three reps in two teams."""

from users.models import Role, User
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


def logins_load() -> int:
    """Create the demo logins, or bring existing ones back to this state; how many were created."""
    created = 0
    for username, role, teams, manages, (last_name, first_name) in DEMO_USERS:
        user, was_created = user_upsert(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            teams=teams,
            manages=manages,
            validate=False,
        )
        # user_upsert sets no names (add_user has none to give); the demo's people have them.
        user.last_name, user.first_name = last_name, first_name
        user.save(update_fields=["last_name", "first_name"])
        created += was_created
    return created


def demo_users() -> dict[str, User]:
    """The demo logins by username: the owners and authors of everything the demo loads."""
    usernames = [username for username, *_rest in DEMO_USERS]
    return {user.username: user for user in User.objects.filter(username__in=usernames)}
