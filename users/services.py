"""Creating and updating logins, team membership and API keys; whom a user may assign work to."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import api_keys
from .models import ApiKey, ApiKeyScope, Role, Team, User


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


# --- API keys ----------------------------------------------------------------------------------


def can_create_api_key_for(*, by: User, user: User) -> bool:
    """Admins for anyone; everyone else only for themselves (a key acts only as its user)."""
    return by.is_staff or by.pk == user.pk


@transaction.atomic
def api_key_create(
    *, user: User, name: str, scope: str = ApiKeyScope.READ, expires_at: datetime | None = None, by: User
) -> tuple[ApiKey, str]:
    """A new key for `user`, and the full key: the only time it exists outside the caller's
    hands, so show it once and keep it nowhere. Refused (ValidationError) for someone else's
    key unless `by` is an admin, for an inactive user, or with an expiry in the past."""
    if not can_create_api_key_for(by=by, user=user):
        raise ValidationError({"user": _("You can create API keys only for yourself.")})
    if not user.is_active:
        raise ValidationError({"user": _("This user is inactive; an API key for them would not work.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    for _attempt in range(5):  # 36⁸ prefixes: a collision is rare, two in a row rarer still
        parts = api_keys.new_key_parts()
        if not ApiKey.objects.filter(prefix=parts.prefix).exists():
            break
    api_key = ApiKey(
        user=user,
        name=name.strip(),
        scope=scope,
        expires_at=expires_at,
        prefix=parts.prefix,
        secret_hash=api_keys.secret_hash(parts.secret),
        created_by=by,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, parts.key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by: User) -> ApiKey:
    """Revoke the key from the next request on (authentication reads the row every time).
    Revoking a revoked key changes nothing. The caller has checked that `by` may."""
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


@transaction.atomic
def api_keys_revoke_all(*, user: User) -> int:
    """Revoke every key of `user` still in force (their login ends: see users.signals)."""
    keys = ApiKey.objects.filter(user=user, revoked_at__isnull=True)
    count = 0
    for api_key in keys.select_for_update():
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])  # one audit row each
        count += 1
    return count
