"""The writes of servicing: the service policy per tier, account reviews and their agreed actions.

Keyword-only, in a transaction, validated with `full_clean()` before saving; the audit trail
records the changes (servicing/apps.py registers the models).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, Tier
from accounts.selectors import users_who_see
from accounts.services import can_manage_customer
from audit.services import record_membership
from users.models import User

from .models import DEFAULT_POLICIES, AccountReview, ReviewAction, ServicePolicy

POLICY_FIELDS = ("visit_days", "executive_days", "review_days")


def can_edit_service_policies(user: User) -> bool:
    """Managers and admins set the service policies; everyone signed in reads them."""
    return user.is_authenticated and user.can_manage


@transaction.atomic
def service_policy_update(
    *,
    tier: str,
    by: User,
    visit_days: int | None,
    executive_days: int | None,
    review_days: int | None,
) -> ServicePolicy:
    """Set one tier's cadences (None: not required). Only managers and admins may; a save that
    changes nothing writes nothing (no audit row, `updated_by` kept)."""
    if not can_edit_service_policies(by):
        raise PermissionDenied(_("Only managers and admins can change service policies."))
    if tier not in Tier.values:
        raise ValidationError({"tier": [_("Unknown tier.")]})
    # The row normally exists (servicing/migrations/0002); if it was removed, it starts again
    # from the product defaults.
    visit, executive, review = DEFAULT_POLICIES[tier]
    policy, _created = ServicePolicy.objects.select_for_update().get_or_create(
        tier=tier, defaults={"visit_days": visit, "executive_days": executive, "review_days": review}
    )
    values = {"visit_days": visit_days, "executive_days": executive_days, "review_days": review_days}
    changed = [name for name, value in values.items() if getattr(policy, name) != value]
    if not changed:
        return policy
    for name in changed:
        setattr(policy, name, values[name])
    policy.updated_by = by
    policy.full_clean()
    policy.save(update_fields=[*changed, "updated_by", "updated_at"])
    return policy


def review_action_done(*, action: ReviewAction, by: User) -> ReviewAction:
    """Tick off an action agreed in an account review; doing it twice keeps the first time.
    The caller has found the action through the customers `by` may see."""
    with transaction.atomic():
        action = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if action.done_at is None:
            action.done_at = timezone.now()
            action.save(update_fields=["done_at"])
            _record_actions(action.review, removed=[_action_label(action, done=False)], added=[action])
    return action


# --- Account reviews (大客户定期评估) -----------------------------------------------------------

REVIEW_EDITABLE = (
    "reviewed_on",
    "period_start",
    "period_end",
    "potential",
    "problems",
    "relationship_health",
    "summary",
)
ACTION_EDITABLE = ("description", "owner", "due_on")


@dataclass(frozen=True)
class ActionRow:
    """An agreed action as a form or the API hands it over: `id` names an action of the review
    being edited (kept, with its done time), None a new one."""

    description: str
    owner: User | None = None
    due_on: date | None = None
    id: int | None = None


class ActionRowsInvalid(ValidationError):
    """Some agreed actions are refused: `rows` holds, for each row handed over and in that
    order, its field → messages (empty for a good row), the shape of DRF's nested errors."""

    def __init__(self, rows: list[dict[str, list[str]]]):
        self.rows = rows
        messages = [
            _("Action %(row)d: %(message)s") % {"row": number, "message": message}
            for number, errors in enumerate(rows, start=1)
            for field_messages in errors.values()
            for message in field_messages
        ]
        super().__init__({"actions": messages})


def can_write_review(user: User, customer: Customer) -> bool:
    """Writing a review is editing its customer, which whoever sees the customer may (the
    customer form's rule): its owner, account team, their managers and admins."""
    return Customer.objects.visible_to(user).filter(pk=customer.pk).exists()


def can_delete_review(user: User, review: AccountReview) -> bool:
    """As for account plans: the review's author, or whoever manages the customer (its owner,
    their manager, admins)."""
    return review.created_by_id == user.pk or can_manage_customer(user, review.customer)


def _action_label(action: ReviewAction, *, done: bool | None = None) -> str:
    """An action as the review's history lists it: what, who, by when, ✓ once done. Written
    into the audit row as it is, so it holds nothing to translate."""
    parts = [action.description]
    if action.owner_id is not None:
        parts.append(action.owner.display_name)
    if action.due_on is not None:
        parts.append(action.due_on.isoformat())
    done = action.done_at is not None if done is None else done
    return " · ".join(parts) + (" ✓" if done else "")


def _record_actions(review: AccountReview, *, added=(), removed=()) -> None:
    """Changes of a review's actions, recorded on the review (its history shows them) as one
    to-many change of "agreed actions"; an edited action is its old line out, its new one in."""
    record_membership(
        instance=review,
        field_name="actions",
        added=[item if isinstance(item, str) else _action_label(item) for item in added],
        removed=[item if isinstance(item, str) else _action_label(item) for item in removed],
    )


def _check_review(review: AccountReview) -> None:
    errors: dict = {}
    try:
        # The customer was found by the caller and the author is set here; the table's checks
        # (period order, health 1–5) are the model's clean() and validators, with field messages.
        review.full_clean(exclude=["customer", "created_by"], validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    reviewed_on = review.reviewed_on
    if isinstance(reviewed_on, date) and "reviewed_on" not in errors and reviewed_on > timezone.localdate():
        errors["reviewed_on"] = [
            ValidationError(
                _("A review cannot be dated in the future; record it once it has taken place."),
                code="review_in_future",
            )
        ]
    if errors:
        raise ValidationError(errors)


def _save_actions(*, review: AccountReview, rows: Sequence[ActionRow], creating: bool) -> None:
    """Make the review's actions exactly `rows`: add the new ones, change the named ones (their
    done time stays), delete the others. Every row is checked before anything is written.

    An owner must see the customer, or the action would be invisible to them; one an action
    already has may stay. A due date is optional, and not before the review's date when set
    or changed."""
    existing = {} if creating else {action.pk: action for action in review.actions.select_related("owner")}
    wanted = {row.owner.pk for row in rows if row.owner is not None}
    allowed = set()
    if wanted:
        allowed = set(
            users_who_see(customer=review.customer).filter(pk__in=wanted).values_list("pk", flat=True)
        )
    errors: list[dict[str, list[str]]] = []
    actions: list[ReviewAction] = []
    kept: set[int] = set()
    for row in rows:
        row_errors: dict[str, list[str]] = {}
        current = None
        if row.id is not None:
            current = existing.get(row.id)
            if current is None or row.id in kept:
                row_errors["id"] = [_("Not one of this review's actions.")]
            else:
                kept.add(row.id)
        action = ReviewAction(
            pk=current.pk if current else None,
            review=review,
            description=row.description,
            owner=row.owner,
            due_on=row.due_on,
            done_at=current.done_at if current else None,
        )
        action._state.adding = current is None  # a kept action is not checked as a new id
        try:
            action.full_clean(exclude=["review", "owner"])
        except ValidationError as error:
            row_errors.update(error.message_dict)
        owner_kept = current is not None and row.owner is not None and row.owner.pk == current.owner_id
        if row.owner is not None and not owner_kept and row.owner.pk not in allowed:
            row_errors["owner"] = [
                _("%(user)s cannot see this customer, so cannot own an action on it.")
                % {"user": row.owner.display_name}
            ]
        due_changed = current is None or row.due_on != current.due_on
        if due_changed and row.due_on is not None and row.due_on < review.reviewed_on:
            row_errors.setdefault("due_on", []).append(
                _("An action cannot be due before the review it was agreed in.")
            )
        errors.append(row_errors)
        actions.append(action)
    if any(errors):
        raise ActionRowsInvalid(errors)

    removed = [action for pk, action in existing.items() if pk not in kept]
    new = [action for action in actions if action.pk is None]
    changed = [
        action
        for action in actions
        if action.pk is not None
        and any(getattr(action, name) != getattr(existing[action.pk], name) for name in ACTION_EDITABLE)
    ]
    if removed:
        ReviewAction.objects.filter(pk__in=[action.pk for action in removed]).delete()
    ReviewAction.objects.bulk_create(new)
    ReviewAction.objects.bulk_update(changed, list(ACTION_EDITABLE))
    _record_actions(
        review,
        added=[*new, *changed],
        removed=[*removed, *(existing[action.pk] for action in changed)],
    )


def _unknown_fields(fields: dict) -> None:
    unknown = set(fields) - set(REVIEW_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})


@transaction.atomic
def review_create(
    *, customer: Customer, by: User, actions: Sequence[ActionRow] = (), **fields
) -> AccountReview:
    """A review of `customer` by `by`, with the actions agreed in it; all or nothing."""
    _unknown_fields(fields)
    if not can_write_review(by, customer):
        raise PermissionDenied(_("You may not review this customer."))
    review = AccountReview(customer=customer, created_by=by, **fields)
    _check_review(review)
    review.save()
    _save_actions(review=review, rows=actions, creating=True)
    return review


@transaction.atomic
def review_update(
    *, review: AccountReview, by: User, actions: Sequence[ActionRow] | None = None, **fields
) -> AccountReview:
    """Change a review; `actions`, when given, become its actions (see `_save_actions`), when
    None they stay as they are. The customer and the author never change."""
    _unknown_fields(fields)
    if not can_write_review(by, review.customer):
        raise PermissionDenied(_("You may not review this customer."))
    for name, value in fields.items():
        setattr(review, name, value)
    _check_review(review)
    review.save(update_fields=[*REVIEW_EDITABLE, "updated_at"])
    if actions is not None:
        _save_actions(review=review, rows=actions, creating=False)
    return review


@transaction.atomic
def review_delete(*, review: AccountReview, by: User) -> None:
    if not can_delete_review(by, review):
        raise PermissionDenied(
            _("Only the review's author, the customer's owner, their manager or an admin can delete it.")
        )
    review.delete()
