"""How an app puts its models under the audit trail: one call per model, from the app's own
`AppConfig.ready()`, so that adding an audited model touches only its own app.

    audit_model(Customer, object_type="customer", customer_attname="id", readers=Readers.CUSTOMER,
                owner_attname="owner_id", exclude={"name_normalised"})
    audit_m2m(Team, "members")                 # a to-many field edited from either side
    audit_membership(AccountTeamMember, parent="customer", member="user", field_name="account_team")
    customer_scope(visible=..., personal=...)  # the reading side's visibility rule (accounts)

Audit imports no app: the models come in through these calls, and the rule of who may read
which rows (the customer visibility, the personal-profile rule) through `customer_scope`.
"""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from . import services
from .context import current
from .models import Action, value_as_loaded
from .services import Readers, Spec

# Parents (a customer) being deleted right now, as (model, pk): their membership rows go with
# them, and that is not a change of the team worth a row of its own (the parent's own
# "deleted" row says it all).
_parents_deleting: ContextVar[frozenset] = ContextVar("parents_deleting", default=frozenset())  # noqa: B039


def _before_save(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk is not None:
        services.load_missing_baseline(instance)


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw:
        services.record_save(instance, created=created, update_fields=update_fields)


def _on_delete(sender, instance, **kwargs):
    services.record_delete(instance)


def _on_m2m_change(sender, instance, action, reverse, model, pk_set, field_name, accessor, **kwargs):
    """A to-many field (Team.members) changed, from either side (team.members.add(user) or
    user.teams.set(teams)): one row per owning object, naming what was added or removed."""
    if current().suppressed:
        return
    related = getattr(instance, accessor)
    if action == "pre_clear":
        instance._audit_cleared = set(related.values_list("pk", flat=True))
        return
    if action == "pre_remove":  # pk_set names what was asked for; keep what really goes
        instance._audit_removing = set(related.filter(pk__in=pk_set).values_list("pk", flat=True))
        return
    if action == "post_add":
        pks = set(pk_set or ())  # Django has already dropped the ones that were there
    elif action in ("post_remove", "post_clear"):
        pks = getattr(instance, "_audit_cleared" if action == "post_clear" else "_audit_removing", set())
    else:
        return
    if not pks:
        return
    key = "added" if action == "post_add" else "removed"
    others = list(model._base_manager.filter(pk__in=pks))
    if reverse:  # instance is on the other side (a user), `others` own the field (teams)
        for owner in others:
            services.record_membership(instance=owner, field_name=field_name, **{key: [instance]})
    else:
        services.record_membership(instance=instance, field_name=field_name, **{key: others})


@dataclass(frozen=True)
class _Membership:
    """A row model that puts a member (a user) on a parent (a customer), audited as a to-many
    field of the parent."""

    parent: str  # the foreign key to the parent
    member: str  # the foreign key to the member
    field_name: str  # the name the change is recorded under on the parent


def _membership_handlers(membership: _Membership, parent_model: type[models.Model]):
    parent_attname = f"{membership.parent}_id"
    member_attname = f"{membership.member}_id"

    def saved(sender, instance, created, raw=False, **kwargs):
        """A member added (the admin's inline) or swapped for another in the same row."""
        if raw or current().suppressed:
            return
        parent, member = getattr(instance, membership.parent), getattr(instance, membership.member)
        if created:
            services.record_membership(instance=parent, field_name=membership.field_name, added=[member])
        else:
            before = value_as_loaded(instance, member_attname)
            if before is not None and before != getattr(instance, member_attname):
                removed = list(type(member)._base_manager.filter(pk=before))
                services.record_membership(
                    instance=parent, field_name=membership.field_name, added=[member], removed=removed
                )
        instance._audit_loaded = {member_attname: getattr(instance, member_attname)}

    def added(sender, instance, action, reverse, model, pk_set, **kwargs):
        """parent.<field>.add(member): a bulk insert, so no post_save per row."""
        if action != "post_add" or not pk_set or current().suppressed:
            return
        if reverse:  # member.<related name>.add(parents)
            for parent in model._base_manager.filter(pk__in=pk_set):
                services.record_membership(
                    instance=parent, field_name=membership.field_name, added=[instance]
                )
        else:
            members = list(model._base_manager.filter(pk__in=pk_set))
            services.record_membership(instance=instance, field_name=membership.field_name, added=members)

    def deleted(sender, instance, **kwargs):
        parent_pk = getattr(instance, parent_attname)
        if current().suppressed or (parent_model, parent_pk) in _parents_deleting.get():
            return
        parent = parent_model._base_manager.filter(pk=parent_pk).first()
        if parent is not None:
            services.record_membership(
                instance=parent,
                field_name=membership.field_name,
                removed=[getattr(instance, membership.member)],
            )

    return saved, added, deleted


def _parent_deleting(sender, instance, **kwargs):
    _parents_deleting.set(_parents_deleting.get() | {(sender, instance.pk)})


def _parent_deleted(sender, instance, **kwargs):
    _parents_deleting.set(_parents_deleting.get() - {(sender, instance.pk)})


def _user_deleting(sender, instance, **kwargs):
    """Deleting a user empties the owner of what they own (SET_NULL, a bulk update without
    signals): record each of those owner changes first, for every model audited with an owner."""
    if current().suppressed:
        return
    label = {"id": instance.pk, "label": str(instance)}
    rows = []
    for model, spec in services.specs():
        if spec.owner_attname is None:
            continue
        field = model._meta.get_field(spec.owner_attname.removesuffix("_id"))
        for obj in model._base_manager.filter(**{spec.owner_attname: instance.pk}):
            rows.append(services.event_on(obj, spec, Action.UPDATE, {field.name: [label, None]}))
    services.record_many(rows)


def audit_model(
    model: type[models.Model],
    *,
    object_type: str,
    readers: Readers,
    customer_attname: str | None = None,
    owner_attname: str | None = None,
    exclude: Iterable[str] = (),
    masked: Iterable[str] = (),
    personal: Iterable[str] = (),
    versioned: bool = False,
) -> None:
    """Record every create, change and delete of `model`, whatever door it comes through.

    `object_type` names it in the trail (`?object=customer:12`); `readers` says who may read
    its rows; `customer_attname` is the attname holding its customer's id (the customer's own
    `id` for customers), which scopes rows to the customers a manager may see;
    `owner_attname` a foreign key to the user that owns it (deleting that user is recorded as
    an owner change); `exclude` fields are never recorded, `masked` ones recorded as changed
    with the value hidden, `personal` ones hidden from viewers who may not see the customer's
    personal profiles; a `versioned` model's rows are versions of one thing (a new row lists
    every setting, and its history is that of every version).
    """
    spec = Spec(
        object_type,
        exclude=frozenset(exclude),
        masked=frozenset(masked),
        personal=frozenset(personal),
        customer_attname=customer_attname,
        owner_attname=owner_attname,
        readers=readers,
        versioned=versioned,
    )
    services.register(model, spec)
    uid = f"audit:{model._meta.label}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=uid)
    post_save.connect(_on_save, sender=model, dispatch_uid=uid)
    post_delete.connect(_on_delete, sender=model, dispatch_uid=uid)
    if owner_attname is not None:
        pre_delete.connect(
            _user_deleting, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit:user_deleting"
        )


def audit_m2m(model: type[models.Model], field_name: str) -> None:
    """Changes of a many-to-many field of an audited model (team members), made from either
    side, as one row per owning object naming what was added or removed."""
    field = model._meta.get_field(field_name)
    accessor = field.remote_field.get_accessor_name()

    def receiver(reverse, **kwargs):
        _on_m2m_change(
            reverse=reverse, field_name=field_name, accessor=accessor if reverse else field_name, **kwargs
        )

    m2m_changed.connect(
        receiver,
        sender=field.remote_field.through,
        weak=False,
        dispatch_uid=f"audit:{model._meta.label}.{field_name}",
    )


def audit_membership(through: type[models.Model], *, parent: str, member: str, field_name: str) -> None:
    """A row model putting members on an audited parent (a customer's account team): rows
    added, swapped or deleted, and `parent.<field>.add(...)`, recorded on the parent as
    changes of `field_name`. Rows deleted along with their parent record nothing of their own."""
    membership = _Membership(parent=parent, member=member, field_name=field_name)
    parent_model = through._meta.get_field(parent).related_model
    saved, added, deleted = _membership_handlers(membership, parent_model)
    uid = f"audit:{through._meta.label}"
    post_save.connect(saved, sender=through, weak=False, dispatch_uid=uid)
    post_delete.connect(deleted, sender=through, weak=False, dispatch_uid=uid)
    m2m_changed.connect(added, sender=through, weak=False, dispatch_uid=uid)
    pre_delete.connect(_parent_deleting, sender=parent_model, dispatch_uid=f"audit:{uid}:deleting")
    post_delete.connect(_parent_deleted, sender=parent_model, dispatch_uid=f"audit:{uid}:deleted")


@dataclass(frozen=True)
class CustomerScope:
    """The reading side's rule for rows audited with `Readers.CUSTOMER`."""

    visible: Callable[..., QuerySet]  # user → the customers they may see
    personal: Callable[..., set[int]]  # (user, customer ids) → those whose personal profiles they may see


_scope: list[CustomerScope] = []


def customer_scope(*, visible: Callable[..., QuerySet], personal: Callable[..., set[int]]) -> None:
    """Set by the app that owns customers: which customers a user may see, and of which
    customers they may see contacts' personal profiles."""
    _scope[:] = [CustomerScope(visible=visible, personal=personal)]


def get_customer_scope() -> CustomerScope:
    if not _scope:
        raise LookupError("No customer scope registered: call audit.registry.customer_scope() in ready().")
    return _scope[0]
