"""Who logs in to KAM, with which role, in which sales teams."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.models import Audited


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class KamUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(Audited, AbstractUser):
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
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Team(Audited, models.Model):
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
