"""Writing audit rows: what changed on a record (old → new), by whom and from where.

Model signals (connected by `registry.py`) call `record_save` / `record_delete` for every audited model,
so pages, the API, the admin, commands and jobs are all covered by one path. Bulk writes
that bypass signals (an import, the account-team editor, a scoring run's tier changes)
write their rows themselves through `record` / `record_many`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models

from .context import current
from .models import Action, AuditEvent

MASK = "******"


def masked(value):
    """A recorded value hidden: [old, new] and added/removed lists keep their shape, and an empty
    value stays empty ("was empty" says nothing about anyone)."""
    if value is None or value == "":
        return value
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, dict) and set(value) <= {"added", "removed"}:
        return {key: masked(item) for key, item in value.items()}
    return MASK


class Readers(StrEnum):
    """Who may read a model's rows, besides admins (who read everything)."""

    CUSTOMER = "customer"  # managers who may see the row's customer
    MANAGERS = "managers"  # every manager
    ADMINS = "admins"  # admins only


@dataclass(frozen=True)
class Spec:
    """How one model is audited (see `registry.audit_model`)."""

    object_type: str
    exclude: frozenset[str] = field(default_factory=frozenset)  # attnames never recorded
    masked: frozenset[str] = field(default_factory=frozenset)  # recorded as changed, value hidden
    personal: frozenset[str] = field(default_factory=frozenset)  # hidden from who may not see profiles
    customer_attname: str | None = None  # the attname holding the customer id, for scoping
    owner_attname: str | None = None  # the foreign key to the owning user, if any
    readers: str = Readers.ADMINS
    versioned: bool = False  # rows are versions of one thing: a new row lists every setting


_SPECS: dict[type[models.Model], Spec] = {}
_TYPES: dict[str, type[models.Model]] = {}
_ALWAYS_EXCLUDED = frozenset({"id", "created_at", "updated_at"})


def register(model: type[models.Model], spec: Spec) -> None:
    _SPECS[model] = spec
    _TYPES[spec.object_type] = model


def spec_for(model: type[models.Model]) -> Spec | None:
    return _SPECS.get(model)


def model_for(object_type: str) -> type[models.Model] | None:
    return _TYPES.get(object_type)


def object_types() -> list[str]:
    return sorted(_TYPES)


def specs() -> list[tuple[type[models.Model], Spec]]:
    return list(_SPECS.items())


def object_types_read_by(readers: str) -> list[str]:
    return sorted(spec.object_type for spec in _SPECS.values() if spec.readers == readers)


# --- Values --------------------------------------------------------------------------------


def _tracked_fields(model: type[models.Model], spec: Spec) -> list[models.Field]:
    excluded = _ALWAYS_EXCLUDED | spec.exclude
    return [f for f in model._meta.concrete_fields if f.attname not in excluded and f.name not in excluded]


def _label(field: models.Field, pk) -> dict | None:
    if pk is None:
        return None
    target = field.related_model._base_manager.filter(pk=pk).first()
    return {"id": pk, "label": str(target) if target is not None else ""}


def _related_label(instance: models.Model, field: models.Field) -> dict | None:
    """The current value of a foreign key, from the cached object when there is one."""
    pk = getattr(instance, field.attname)
    if pk is None:
        return None
    cached = field.get_cached_value(instance, default=None)
    if cached is not None and cached.pk == pk:
        return {"id": pk, "label": str(cached)}
    return _label(field, pk)


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _skip_on_create(f: models.Field, value) -> bool:
    """A new row lists what was set: not empty values, nor untouched defaults, except a
    choice (a role, a status, a stage), which says what the record is."""
    return _is_empty(value) or (not f.choices and f.has_default() and value == f.get_default())


# --- Writing -------------------------------------------------------------------------------


def _customer_id(instance: models.Model, spec: Spec) -> int | None:
    return getattr(instance, spec.customer_attname) if spec.customer_attname else None


def event(
    *,
    object_type: str,
    object_id: int,
    object_repr: str,
    action: str,
    changes: dict,
    customer_id: int | None = None,
) -> AuditEvent:
    """An unsaved row stamped with the current actor and source."""
    context = current()
    actor = context.actor_user()
    return AuditEvent(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        source=context.source,
        origin=context.origin,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        customer_id=customer_id,
        changes=changes,
    )


def event_on(instance: models.Model, spec: Spec, action: str, changes: dict) -> AuditEvent:
    return event(
        object_type=spec.object_type,
        object_id=instance.pk,
        object_repr=str(instance),
        action=action,
        changes=changes,
        customer_id=_customer_id(instance, spec),
    )


def record(**kwargs) -> AuditEvent:
    row = event(**kwargs)
    row.save()
    return row


def record_many(rows: Sequence[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(rows, batch_size=500)


def _snapshot(instance: models.Model, update_fields: Iterable[str] | None = None) -> None:
    """After a save, what was written is the baseline for the next change (only the saved
    fields, with update_fields: the others still hold what the database has not seen)."""
    fields = instance._meta.concrete_fields
    loaded = getattr(instance, "_audit_loaded", None)
    if update_fields is not None and loaded is not None:
        names = set(update_fields)
        fields = [f for f in fields if f.name in names or f.attname in names]
    else:
        loaded = instance._audit_loaded = {}
    for f in fields:
        if f.attname in instance.__dict__:
            loaded[f.attname] = instance.__dict__[f.attname]


def load_missing_baseline(instance: models.Model) -> None:
    """Before an update, read from the database the old values this instance never loaded:
    a row built as Model(pk=…) and saved, or a field deferred by only()/defer() and then set.
    Costs a query only in those cases."""
    spec = spec_for(type(instance))
    if spec is None or instance.pk is None or current().suppressed:
        return
    loaded = getattr(instance, "_audit_loaded", None)
    wanted = [
        f.attname
        for f in _tracked_fields(type(instance), spec)
        if f.attname in instance.__dict__ and (loaded is None or f.attname not in loaded)
    ]
    if not wanted:
        return
    row = type(instance)._base_manager.filter(pk=instance.pk).values(*wanted).first()
    if row is None:
        return  # a new row after all (save() with a fresh pk inserts)
    if loaded is None:
        loaded = instance._audit_loaded = {}
    loaded.update(row)


def record_save(instance: models.Model, *, created: bool, update_fields: Iterable[str] | None) -> None:
    spec = spec_for(type(instance))
    if spec is None or current().suppressed:
        _snapshot(instance, update_fields)
        return
    fields = _tracked_fields(type(instance), spec)
    if update_fields is not None:
        names = set(update_fields)
        fields = [f for f in fields if f.name in names or f.attname in names]
    changes: dict = {}
    if created:
        for f in fields:
            value = getattr(instance, f.attname)
            if _is_empty(value) if spec.versioned else _skip_on_create(f, value):
                continue
            changes[f.name] = [None, _new_value(instance, f, spec)]
    else:
        loaded = getattr(instance, "_audit_loaded", None) or {}
        for f in fields:
            if f.attname not in loaded:
                continue
            old, new = loaded[f.attname], getattr(instance, f.attname)
            if old == new:
                continue
            if f.name in spec.masked or f.attname in spec.masked:
                changes[f.name] = [MASK, MASK]
            elif f.is_relation:
                changes[f.name] = [_label(f, old), _related_label(instance, f)]
            else:
                changes[f.name] = [old, new]
        if not changes:
            _snapshot(instance, update_fields)
            return
    event_on(instance, spec, Action.CREATE if created else Action.UPDATE, changes).save()
    _snapshot(instance, None if created else update_fields)


def _new_value(instance: models.Model, f: models.Field, spec: Spec):
    if f.name in spec.masked or f.attname in spec.masked:
        return MASK
    if f.is_relation:
        return _related_label(instance, f)
    return getattr(instance, f.attname)


def record_delete(instance: models.Model) -> None:
    spec = spec_for(type(instance))
    if spec is None or current().suppressed:
        return
    changes = {}
    for f in _tracked_fields(type(instance), spec):
        value = getattr(instance, f.attname)
        if _is_empty(value) or (f.has_default() and value == f.get_default()):
            continue
        if f.is_relation:
            changes[f.name] = [{"id": value, "label": ""}, None]
        else:
            changes[f.name] = [MASK if f.name in spec.masked else value, None]
    event_on(instance, spec, Action.DELETE, changes).save()


def record_membership(
    *,
    instance: models.Model,
    field_name: str,
    added: Iterable[models.Model] = (),
    removed: Iterable[models.Model] = (),
) -> AuditEvent | None:
    """A to-many change (team members, an account team) as one row on `instance`."""
    row = membership_event(instance=instance, field_name=field_name, added=added, removed=removed)
    if row is not None:
        row.save()
    return row


def membership_event(
    *,
    instance: models.Model,
    field_name: str,
    added: Iterable[models.Model] = (),
    removed: Iterable[models.Model] = (),
) -> AuditEvent | None:
    """`record_membership`'s row, unsaved: for changes written in bulk (`record_many`)."""
    spec = spec_for(type(instance))
    added = sorted(str(o) for o in added)
    removed = sorted(str(o) for o in removed)
    if spec is None or not (added or removed):
        return None
    return event_on(instance, spec, Action.UPDATE, {field_name: {"added": added, "removed": removed}})


def created_events(instances: Iterable[models.Model]) -> list[AuditEvent]:
    """Unsaved 'created' rows for objects written with bulk_create (which sends no signals)."""
    instances = list(instances)
    labels = _bulk_labels(instances)
    rows = []
    for instance in instances:
        spec = spec_for(type(instance))
        changes = {}
        for f in _tracked_fields(type(instance), spec):
            value = getattr(instance, f.attname)
            if _skip_on_create(f, value):
                continue
            if f.is_relation:
                changes[f.name] = [None, {"id": value, "label": labels.get((f.related_model, value), "")}]
            else:
                changes[f.name] = [None, MASK if f.name in spec.masked else value]
        rows.append(event_on(instance, spec, Action.CREATE, changes))
    return rows


def _bulk_labels(instances: list[models.Model]) -> dict[tuple[type, object], str]:
    """Labels of every foreign key the instances point to: one query per target model."""
    wanted: dict[type, set] = {}
    for instance in instances:
        for f in _tracked_fields(type(instance), spec_for(type(instance))):
            if f.is_relation and getattr(instance, f.attname) is not None:
                wanted.setdefault(f.related_model, set()).add(getattr(instance, f.attname))
    return {
        (model, obj.pk): str(obj)
        for model, pks in wanted.items()
        for obj in model._base_manager.filter(pk__in=pks)
    }
