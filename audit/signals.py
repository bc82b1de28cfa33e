"""Connects the audited models to `audit.services`: which models, which fields, and the
to-many relations (team members and managers, a customer's account team)."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import services
from .context import current
from .services import Spec


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
    if action == "pre_clear":
        instance._audit_cleared = list(
            getattr(instance, _accessor(sender, reverse, field_name)).values_list("pk", flat=True)
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    pks = set(pk_set or ()) if action != "post_clear" else set(getattr(instance, "_audit_cleared", []))
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
    if created and not raw and not current().suppressed:
        services.record_membership(
            instance=instance.customer, field_name="account_team", added=[instance.user]
        )


def _on_account_team_deleted(sender, instance, **kwargs):
    if current().suppressed:
        return
    customer = apps.get_model("accounts", "Customer")._base_manager.filter(pk=instance.customer_id).first()
    if customer is not None:  # not when the customer itself is being deleted
        services.record_membership(instance=customer, field_name="account_team", removed=[instance.user])


def connect() -> None:
    audited = {
        ("accounts", "Customer"): Spec("customer", frozenset({"name_normalised"}), customer_attname="id"),
        ("accounts", "Contact"): Spec("contact", customer_attname="customer_id"),
        ("pipeline", "Opportunity"): Spec("opportunity", customer_attname="customer_id"),
        ("scoring", "ScoringModel"): Spec("scoringmodel"),
        ("users", "User"): Spec("user", frozenset({"last_login", "date_joined"}), frozenset({"password"})),
        ("users", "Team"): Spec("team"),
    }
    for (app_label, name), spec in audited.items():
        model = apps.get_model(app_label, name)
        services.register(model, spec)
        uid = f"audit:{app_label}.{name}"
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


def _with_field(field_name: str):
    def receiver(**kwargs):
        _on_team_change(field_name=field_name, **kwargs)

    return receiver
