"""Connects the audited models to `audit.services`: which models, which fields, and the
to-many relations (team members and managers, a customer's account team)."""

from contextvars import ContextVar

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from . import services
from .context import current
from .models import Action
from .services import Spec

# Customers being deleted right now: their account-team rows go with them, and that is not a
# change of the team worth a row of its own (the customer's own "deleted" row says it all).
_customers_deleting: ContextVar[frozenset] = ContextVar("customers_deleting", default=frozenset())  # noqa: B039


def _before_save(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk is not None:
        services.load_missing_baseline(instance)


def _on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw:
        services.record_save(instance, created=created, update_fields=update_fields)


def _on_delete(sender, instance, **kwargs):
    services.record_delete(instance)


def _on_team_change(sender, instance, action, reverse, model, pk_set, field_name, **kwargs):
    """Team.members / Team.managers changed, from either side (team.members.add(user) or
    user.teams.set(teams)): one row per team, naming the users added or removed."""
    if current().suppressed:
        return
    related = getattr(instance, _accessor(sender, reverse, field_name))
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
    if reverse:  # instance is a user, `others` are teams
        for team in others:
            services.record_membership(instance=team, field_name=field_name, **{key: [instance]})
    else:
        services.record_membership(instance=instance, field_name=field_name, **{key: others})


def _accessor(sender, reverse, field_name) -> str:
    if not reverse:
        return field_name
    return "teams" if field_name == "members" else "managed_teams"


def _on_account_team_saved(sender, instance, created, raw=False, **kwargs):
    """A member added (the admin's inline) or swapped for another user in the same row."""
    if raw or current().suppressed:
        return
    if created:
        services.record_membership(
            instance=instance.customer, field_name="account_team", added=[instance.user]
        )
    else:
        before = getattr(instance, "_audit_loaded", {}).get("user_id")
        if before is not None and before != instance.user_id:
            removed = list(type(instance.user)._base_manager.filter(pk=before))
            services.record_membership(
                instance=instance.customer, field_name="account_team", added=[instance.user], removed=removed
            )
    instance._audit_loaded = {"user_id": instance.user_id}


def _on_account_team_added(sender, instance, action, reverse, model, pk_set, **kwargs):
    """customer.account_team.add(user): a bulk insert, so no post_save per row."""
    if action != "post_add" or not pk_set or current().suppressed:
        return
    if reverse:  # user.<related name>.add(customers)
        for customer in model._base_manager.filter(pk__in=pk_set):
            services.record_membership(instance=customer, field_name="account_team", added=[instance])
    else:
        added = list(model._base_manager.filter(pk__in=pk_set))
        services.record_membership(instance=instance, field_name="account_team", added=added)


def _on_account_team_deleted(sender, instance, **kwargs):
    if current().suppressed or instance.customer_id in _customers_deleting.get():
        return
    customer = apps.get_model("accounts", "Customer")._base_manager.filter(pk=instance.customer_id).first()
    if customer is not None:
        services.record_membership(instance=customer, field_name="account_team", removed=[instance.user])


def _customer_deleting(sender, instance, **kwargs):
    _customers_deleting.set(_customers_deleting.get() | {instance.pk})


def _customer_deleted(sender, instance, **kwargs):
    _customers_deleting.set(_customers_deleting.get() - {instance.pk})


def _user_deleting(sender, instance, **kwargs):
    """Deleting a user empties the owner of their customers and opportunities (SET_NULL, a
    bulk update without signals): record each of those owner changes first."""
    if current().suppressed:
        return
    label = {"id": instance.pk, "label": str(instance)}
    rows = []
    for app_label, name in (("accounts", "Customer"), ("pipeline", "Opportunity")):
        model = apps.get_model(app_label, name)
        spec = services.spec_for(model)
        for obj in model._base_manager.filter(owner=instance):
            rows.append(services.event_on(obj, spec, Action.UPDATE, {"owner": [label, None]}))
    services.record_many(rows)


def connect() -> None:
    audited = {
        ("accounts", "Customer"): Spec("customer", frozenset({"name_normalised"}), customer_attname="id"),
        ("accounts", "Contact"): Spec("contact", customer_attname="customer_id"),
        ("pipeline", "Opportunity"): Spec("opportunity", customer_attname="customer_id"),
        ("scoring", "ScoringModel"): Spec("scoringmodel", all_on_create=True),
        ("users", "User"): Spec("user", frozenset({"last_login", "date_joined"}), frozenset({"password"})),
        ("users", "Team"): Spec("team"),
    }
    for (app_label, name), spec in audited.items():
        model = apps.get_model(app_label, name)
        services.register(model, spec)
        uid = f"audit:{app_label}.{name}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(_on_save, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid)

    team = apps.get_model("users", "Team")
    for field_name in ("members", "managers"):
        through = getattr(team, field_name).through
        m2m_changed.connect(
            _with_field(field_name), sender=through, weak=False, dispatch_uid=f"audit:team.{field_name}"
        )

    membership = apps.get_model("accounts", "AccountTeamMember")
    post_save.connect(_on_account_team_saved, sender=membership, dispatch_uid="audit:account_team")
    post_delete.connect(_on_account_team_deleted, sender=membership, dispatch_uid="audit:account_team")
    m2m_changed.connect(_on_account_team_added, sender=membership, dispatch_uid="audit:account_team")
    customer = apps.get_model("accounts", "Customer")
    pre_delete.connect(_customer_deleting, sender=customer, dispatch_uid="audit:customer_deleting")
    post_delete.connect(_customer_deleted, sender=customer, dispatch_uid="audit:customer_deleted")
    user = apps.get_model("users", "User")
    pre_delete.connect(_user_deleting, sender=user, dispatch_uid="audit:user_deleting")


def _with_field(field_name: str):
    def receiver(**kwargs):
        _on_team_change(field_name=field_name, **kwargs)

    return receiver
