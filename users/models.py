"""Who logs in to KAM, with which role, in which sales teams."""

from datetime import datetime

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import Audited
from web.names import check_names
from web.text import CleanText


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in text)


def person_name(*, last_name: str, first_name: str) -> str:
    """A person's full name as it is written: 李明 for Chinese (surname first, no space),
    "Ming Li" for Latin script (given name first); "" when neither part is set."""
    last_name, first_name = last_name.strip(), first_name.strip()
    if _is_cjk(last_name + first_name):
        return last_name + first_name
    return " ".join(part for part in (first_name, last_name) if part)


# What `user_display_name` needs, for reads that take values instead of User objects:
# `.values(*(f"owner__{name}" for name in DISPLAY_NAME_FIELDS))`.
DISPLAY_NAME_FIELDS = ("username", "last_name", "first_name")


def user_display_name(*, username: str, last_name: str, first_name: str) -> str:
    """`User.display_name` from the three values, for rows read with `.values()`."""
    return person_name(last_name=last_name or "", first_name=first_name or "") or username or ""


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class KamUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(CleanText, Audited, AbstractUser):
    """A login. The role decides what the user may do; `is_staff` follows the role."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    # The daily e-mail summing up the day's unread notifications (events.digest); users switch it off.
    digest_enabled = models.BooleanField(_("daily digest e-mail"), default=True)

    objects = KamUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Admin means staff, and only admins are staff: the two never disagree.
            models.CheckConstraint(
                condition=(Q(role=Role.ADMIN) & Q(is_staff=True)) | (~Q(role=Role.ADMIN) & Q(is_staff=False)),
                name="user_staff_iff_admin",
            ),
        ]

    @property
    def display_name(self) -> str:
        """The name people know this user by, wherever KAM shows one (pages, API `*_name`
        fields, exports, charts, the history panel): 李明 (surname first, no space) when the
        name is written in Chinese, "Ming Li" (given name first) otherwise, the username when
        no name is set."""
        return user_display_name(username=self.username, last_name=self.last_name, first_name=self.first_name)

    @property
    def can_manage(self) -> bool:
        """Managers and admins: they tune scoring, override stage gates, read the audit trail
        and reassign the accounts of the people they manage."""
        return self.is_staff or self.role == Role.MANAGER

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Team(CleanText, Audited, models.Model):
    """A sales team: its members' customers are visible to its managers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True, verbose_name=_("members"))
    managers = models.ManyToManyField(
        User, related_name="managed_teams", blank=True, verbose_name=_("managers")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        check_names(name=self.name)


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class ApiKeyStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("API key status", "Active")
    EXPIRED = "expired", pgettext_lazy("API key status", "Expired")
    REVOKED = "revoked", pgettext_lazy("API key status", "Revoked")


class ApiKeyQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> "ApiKeyQuerySet":
        """Admins see every key; anyone else only their own."""
        if user.is_staff:
            return self.all()
        return self.filter(user=user)


class ApiKey(CleanText, Audited, models.Model):
    """A named key an integration (an ERP, a BI tool) authenticates with, acting as `user`.

    The key is `kam_<prefix>_<secret>`: the prefix is its public id, shown in lists and used
    to find the row; the secret is 43 random letters and digits (about 256 bits) that KAM
    shows once, when the key is created, and never again. Only the secret's SHA-256 is stored.

    Why a plain SHA-256, not a password hasher or an HMAC with SECRET_KEY: a slow key
    derivation function (PBKDF2, Argon2) exists to make guessing a low-entropy password
    expensive; a 256-bit random secret cannot be guessed at any speed, so a slow hash would only
    cost every API request tens of milliseconds. An HMAC keyed with SECRET_KEY would add nothing
    against guessing either, and would tie every key to SECRET_KEY: rotating it would silently
    break every integration. Someone who reads the table learns the prefixes and hashes, which
    let them authenticate as nobody.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("user"))
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the key is for, e.g. the integration: “ERP 用友”.")
    )
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=16, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Leave empty for a key that does not expire.")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (kam_{self.prefix}_…)"

    def status_at(self, now: datetime) -> ApiKeyStatus:
        """Revoked, expired or active at `now` (whether its user is active is the user's own status)."""
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        return ApiKeyStatus.ACTIVE

    @property
    def is_read_only(self) -> bool:
        return self.scope != ApiKeyScope.READ_WRITE
