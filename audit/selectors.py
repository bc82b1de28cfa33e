"""Reading the audit trail: who may see which rows, and rows made readable for a page.

Managers see the rows of customers they may see (and of everything under them: contacts,
opportunities) and of the scoring model; admins see everything, users and teams included.
Reps see none. A contact's personal-profile fields are masked for a viewer who may not see
that customer's personal profiles, exactly as on the customer page.

Which models are read by whom comes from their registration (`registry.audit_model`), and the
customer visibility and personal-profile rules from `registry.customer_scope`, which the app
owning customers sets: the rules stay in one place (accounts), and audit imports no app.
"""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import services
from .models import Action, AuditEvent, Source
from .registry import get_customer_scope
from .services import Readers


def can_read_audit(user) -> bool:
    return user.is_authenticated and user.can_manage


def events_visible_to(user) -> QuerySet[AuditEvent]:
    if not can_read_audit(user):
        return AuditEvent.objects.none()
    if user.is_staff:
        return AuditEvent.objects.all()
    visible = get_customer_scope().visible(user).values("pk")
    return AuditEvent.objects.filter(
        Q(object_type__in=services.object_types_read_by(Readers.CUSTOMER), customer_id__in=visible)
        | Q(object_type__in=services.object_types_read_by(Readers.MANAGERS))
    )


def parse_object(value: str) -> tuple[str, int]:
    """`customer:12` → ("customer", 12); ValueError with a message the caller can show."""
    object_type, _sep, object_id = value.partition(":")
    if object_type not in services.object_types():
        raise ValueError(
            _("Unknown object type “%(type)s”; use one of %(types)s, as in customer:12.")
            % {"type": object_type, "types": ", ".join(services.object_types())}
        )
    if not object_id.isdigit() or len(object_id) > 18:
        raise ValueError(_("Give the object as type:id, as in customer:12."))
    return object_type, int(object_id)


def _personal_fields(object_type: str) -> frozenset[str]:
    model = services.model_for(object_type)
    spec = services.spec_for(model) if model is not None else None
    return spec.personal if spec is not None else frozenset()


def mask_personal(events: list[AuditEvent], viewer) -> list[AuditEvent]:
    """Hide personal-profile values (a contact's) from viewers who may not see them (in place)."""
    personal_rows = [e for e in events if e.customer_id is not None and _personal_fields(e.object_type)]
    if not personal_rows:
        return events
    allowed = get_customer_scope().personal(viewer, {e.customer_id for e in personal_rows})
    for row in personal_rows:
        if row.customer_id in allowed:
            continue
        personal = _personal_fields(row.object_type)
        row.changes = {
            name: services.masked(value) if name in personal else value for name, value in row.changes.items()
        }
    return events


# --- For pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    at: str
    at_iso: str
    actor: str
    source: str
    origin: str
    action: str
    object_label: str
    changes: list[Change]


def _get_field(model, name: str):
    """The model's field `name`, or the one a model names as standing in for it (a value kept in
    another table but read as the model's own: `audit_field`), or FieldDoesNotExist."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        if (field := getattr(model, "audit_field", lambda _name: None)(name)) is None:
            raise
        return field


def _field_label(model, name: str) -> str:
    try:
        field = _get_field(model, name)
        if field.one_to_many and not field.concrete:  # the rows under it (a review's actions)
            return str(field.related_model._meta.verbose_name_plural)
        return str(field.verbose_name)
    except FieldDoesNotExist:
        return {"account_team": _("account team"), "members": _("members"), "managers": _("managers")}.get(
            name, name
        )


def _display(model, name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict) and "label" in value:
        return value["label"] or f"#{value.get('id')}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    try:
        field = _get_field(model, name)
    except FieldDoesNotExist:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _changes(event: AuditEvent) -> list[Change]:
    model = services.model_for(event.object_type)
    rows = []
    for name, value in event.changes.items():
        label = _field_label(model, name)
        if isinstance(value, dict):  # a to-many change
            rows.append(
                Change(
                    label,
                    ", ".join(value.get("removed", [])) or "—",
                    ", ".join(value.get("added", [])) or "—",
                )
            )
        else:
            old, new = value
            rows.append(Change(label, _display(model, name, old), _display(model, name, new)))
    return rows


def _actor(event: AuditEvent) -> str:
    """The actor as people know them now (their display name), or as recorded when the login
    is gone; "system" for rows no person caused."""
    name = getattr(event.actor, "display_name", "") if event.actor_id else ""
    return name or event.actor_name or _("system")


def history(*, viewer, events: QuerySet[AuditEvent], limit: int = 50) -> list[HistoryRow]:
    """The newest `limit` rows of `events` the viewer may see, ready for a template."""
    visible = events.filter(pk__in=events_visible_to(viewer).values("pk")).select_related("actor")
    rows = mask_personal(list(visible[:limit]), viewer)
    sources, actions = dict(Source.choices), dict(Action.choices)
    result = []
    for event in rows:
        model = services.model_for(event.object_type)
        kind = str(model._meta.verbose_name) if model else event.object_type
        result.append(
            HistoryRow(
                # In the site's time zone, like every other time on the page (the row holds UTC).
                at=date_format(timezone.localtime(event.at), "Y-m-d H:i", use_l10n=False),
                at_iso=timezone.localtime(event.at).isoformat(timespec="minutes"),
                actor=_actor(event),
                source=str(sources.get(event.source, event.source)),
                origin=event.origin,
                action=str(actions.get(event.action, event.action)),
                object_label=f"{kind} {event.object_repr}",
                changes=_changes(event),
            )
        )
    return result
