"""Creating and updating logins and team membership; whom a user may assign work to."""

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from .models import Role, Team, User


def team_get_or_create(*, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    team, _created = Team.objects.get_or_create(name=name)
    return team


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str,
    role: str,
    teams: Iterable[str] | None = None,
    manages: Iterable[str] | None = None,
    validate: bool = True,
) -> tuple[User, bool]:
    """Create the user or bring an existing one to exactly this state.

    `teams` / `manages`, when given, become the user's complete memberships; when None
    they are left as they are. Teams that do not exist yet are created. Running it twice
    with the same arguments changes nothing the second time. Returns (user, created).
    """
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; choose one of {', '.join(Role.values)}."})
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.is_active = True
    if validate:
        validate_password(password, user)
    # The same password again is no change: a new hash would end the user's token and sessions.
    if created or not user.check_password(password):
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if teams is not None:
        user.teams.set([team_get_or_create(name=name) for name in teams])
    if manages is not None:
        user.managed_teams.set([team_get_or_create(name=name) for name in manages])
    return user, created


def owner_choices(user: User) -> QuerySet[User]:
    """Whom `user` may make the owner of a customer: a rep only themselves, a manager anyone
    in the teams they manage (and themselves), an admin anyone active."""
    active = User.objects.filter(is_active=True)
    if user.is_staff:
        return active
    if user.role == Role.MANAGER:
        members = Team.members.through.objects.filter(team__managers=user).values("user_id")
        return active.filter(pk__in=members) | active.filter(pk=user.pk)
    return active.filter(pk=user.pk)


def owner_check(*, by: User, owner: User | None, message: str) -> None:
    """Refuse (a ValidationError on `owner`) to let `by` assign something to `owner` outside
    `owner_choices(by)`; `message` names the thing, with `%(user)s` for the owner's name."""
    if owner is not None and not owner_choices(by).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [message % {"user": owner.display_name}]})
