"""The audit trail: one append-only row per change of something that matters.

Rows are written by `audit.services` (from model signals and from the bulk writes that
bypass them) and are never edited through the product: the admin and the API only read
them. The one exception is `person_erase`, which anonymises a contact's copies in place.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    PAGE = "page", _("Page")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    IMPORT = "import", _("Import")
    JOB = "job", _("Job")
    COMMAND = "command", _("Command")
    SYSTEM = "system", _("System")


class Action(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class AuditEvent(models.Model):
    """Who changed what on which record, when and from where.

    `changes` maps a field name to `[old, new]`; a to-many field (team members, account
    team) maps to `{"added": [...], "removed": [...]}`. A foreign key's value is
    `{"id": …, "label": …}` so the row still reads right after the target is renamed or gone.
    """

    at = models.DateTimeField(_("at"), default=timezone.now)
    # No database constraint and nothing done on delete: deleting a user must not rewrite the
    # rows they wrote (actor_name keeps their name; the id stays, pointing at nobody).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    source = models.CharField(_("from"), max_length=10, choices=Source.choices)
    origin = models.CharField(_("origin"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=30)
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object"),
            models.Index(fields=["customer_id", "-at"], name="audit_customer"),
            models.Index(fields=["-at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.object_type}:{self.object_id}"


def value_as_loaded(instance, attname: str, default=None):
    """The value `attname` had when `instance` was read from the database (or last saved):
    what a signal receiver compares with to see whether a field really changed."""
    return (getattr(instance, "_audit_loaded", None) or {}).get(attname, default)


class Audited:
    """Mixin for models whose changes are audited: remembers the values a row was loaded
    with, so the change can be written as old → new without reading the row again."""

    _audit_loaded: dict

    def value_as_loaded(self, attname: str, default=None):
        return value_as_loaded(self, attname, default)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = dict(zip(field_names, values, strict=True))
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """What was just read is the new baseline, or a change someone else made in between
        would be recorded as this instance's next change."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = getattr(self, "_audit_loaded", None)
        if loaded is None:
            return
        names = set(fields) if fields else None
        for field in self._meta.concrete_fields:
            if (
                names is None or field.name in names or field.attname in names
            ) and field.attname in self.__dict__:
                loaded[field.attname] = self.__dict__[field.attname]
