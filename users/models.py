"""Who logs in to KAM, with which role, in which sales teams."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
