"""The writes of payment collection: payment plans, payments, and the allocation between them.

Every function is keyword-only and runs in one transaction; bad input raises a ValidationError
and writes nothing. Every write first locks the customer rows it touches (SELECT … FOR UPDATE,
in id order), so two writes for one customer take turns and the allocation each one rebuilds
is never computed from a half-written state. Whatever changes what a customer owes or paid
(a plan created, edited or deleted, a payment recorded, changed or deleted) ends with
`allocation_rebuild` for that customer, in the same transaction.

Who may write: a plan, whoever may edit its opportunity's deal (`can_edit_plan`); payments,
managers and admins (`can_record_payments`), integrations included through their user's token.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Customer
from audit.context import audit_suppressed
from audit.models import Action
from audit.services import created_events, event_on, record_many, record_membership, spec_for
from pipeline.models import Opportunity, Stage
from pipeline.services import can_delete_opportunity
from users.models import User
from web.money import format_money

from .allocation import Allocation, InstallmentDue, PaymentIn, allocate
from .events import installments_overdue, payments_received
from .models import Installment, Payment, PaymentApplication, PaymentPlan, PaymentSource

MAX_INSTALLMENTS = 120  # ten years of monthly payments
PLAN_EDITABLE = ("contract_number", "contract_amount", "signed_on", "notes")
BATCH = 1000

# --- Who may write ---------------------------------------------------------------------------


def can_edit_plan(user: User, opportunity: Opportunity) -> bool:
    """Whoever may edit the deal: the opportunity's owner or their manager, the customer's owner
    or their manager, an admin. Account-team members and others who only see it read."""
    return user.is_active and can_delete_opportunity(user, opportunity)


def can_record_payments(user: User) -> bool:
    """Managers and admins (finance works through them or through an integration's token of
    such a user); reps read what came in."""
    return user.is_active and user.can_manage


def _lock_customers(customer_ids: Iterable[int]) -> dict[int, date | None]:
    """Lock the customers' rows, in id order (two writers never wait on each other in a
    circle); their current oldest open due date."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return dict(rows.values_list("pk", "oldest_open_due_on"))


def _money(amount: Decimal) -> str:
    return format_money(amount, short=False, language=get_language() or "")


# --- Payment plans ---------------------------------------------------------------------------


def _schedule_errors(contract_amount, installments: Sequence[tuple[date, Decimal]]) -> list[str]:
    """What is wrong with a schedule for this contract amount: empty if nothing."""
    if not installments:
        return [_("Add at least one installment.")]
    if len(installments) > MAX_INSTALLMENTS:
        return [_("A plan has at most %(max)d installments.") % {"max": MAX_INSTALLMENTS}]
    errors = []
    if any(not isinstance(due_on, date) for due_on, _amount in installments):
        errors.append(_("Every installment needs a due date."))
    if any(
        not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0
        for _due_on, amount in installments
    ):
        errors.append(_("Every installment needs an amount above zero."))
    if not errors:
        for due_on, amount in installments:  # the columns' sizes (12 digits, 2 decimals)
            try:
                Installment(due_on=due_on, amount=amount).clean_fields(
                    exclude=["plan", "customer", "applied"]
                )
            except ValidationError as error:
                errors.extend(message for messages in error.message_dict.values() for message in messages)
                break
    if errors or not isinstance(contract_amount, Decimal):
        return errors
    total = sum((amount for _due, amount in installments), Decimal(0))
    if total != contract_amount:
        errors.append(
            _("The installments add up to %(total)s, not the contract amount %(contract)s.")
            % {"total": _money(total), "contract": _money(contract_amount)}
        )
    return errors


def _installment_rows(plan: PaymentPlan, installments: Sequence[tuple[date, Decimal]]) -> list[Installment]:
    rows = [
        Installment(plan=plan, customer_id=plan.customer_id, due_on=due_on, amount=amount)
        for due_on, amount in installments
    ]
    return rows


def _clean_plan(plan: PaymentPlan, installments: Sequence[tuple[date, Decimal]]) -> None:
    """The plan's fields and its schedule, every error at once, as field messages."""
    errors: dict[str, list[str]] = {}
    try:
        # The opportunity's single plan is checked by the callers with a clearer message.
        plan.full_clean(
            exclude=["created_by", "opportunity"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        errors = {name: list(messages) for name, messages in error.message_dict.items()}
    schedule = _schedule_errors(plan.contract_amount, installments)
    if schedule:
        errors["installments"] = schedule
    if errors:
        raise ValidationError(errors)


def _schedule(installments: Iterable[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    return [(due_on, amount) for due_on, amount in installments]


@transaction.atomic
def plan_create(
    *,
    opportunity: Opportunity,
    by: User,
    contract_amount: Decimal,
    installments: Iterable[tuple[date, Decimal]],
    contract_number: str = "",
    signed_on: date | None = None,
    notes: str = "",
) -> PaymentPlan:
    """The payment plan of a won opportunity: its installments add up exactly to the contract."""
    if not can_edit_plan(by, opportunity):
        raise PermissionDenied(
            _("Only the opportunity's owner, their manager or an admin can plan its payments.")
        )
    _lock_customers([opportunity.customer_id])
    stage = Opportunity.objects.filter(pk=opportunity.pk).values_list("stage", flat=True).first()
    if stage != Stage.WON:
        message = _("Only a won opportunity gets a payment plan; “%(title)s” is %(stage)s.") % {
            "title": opportunity.title,
            "stage": Stage(stage).label if stage in Stage.values else "—",
        }
        raise ValidationError({"opportunity": [message]})
    if PaymentPlan.objects.filter(opportunity=opportunity).exists():
        raise ValidationError(
            {"opportunity": [_("This opportunity has a payment plan already; edit that one.")]}
        )
    installments = _schedule(installments)
    plan = PaymentPlan(
        opportunity=opportunity,
        customer_id=opportunity.customer_id,
        contract_amount=contract_amount,
        contract_number=contract_number,
        signed_on=signed_on,
        notes=notes,
        created_by=by,
    )
    _clean_plan(plan, installments)
    with audit_suppressed():  # one row for the plan and its schedule, written below
        plan.save()
    rows = _installment_rows(plan, installments)
    Installment.objects.bulk_create(rows)
    (created,) = created_events([plan])
    created.changes["installments"] = {"added": sorted(str(row) for row in rows), "removed": []}
    record_many([created])
    allocation_rebuild(customer_ids=[plan.customer_id])
    return plan


def _installments_now(plan: PaymentPlan) -> list[Installment]:
    """The plan's installments as they are now (read under the customer's lock)."""
    return list(Installment.objects.filter(plan=plan).order_by("due_on", "id"))


@transaction.atomic
def plan_update(
    *,
    plan: PaymentPlan,
    by: User,
    installments: Iterable[tuple[date, Decimal]] | None = None,
    **fields,
) -> PaymentPlan:
    """Change the plan. Its amounts and dates (the contract amount, the schedule) can change
    until money is applied to it; the contract number, signing date and notes always can.
    `installments`, when given, replaces the schedule (the same schedule again is no change)."""
    unknown = set(fields) - set(PLAN_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if not can_edit_plan(by, plan.opportunity):
        raise PermissionDenied(
            _("Only the opportunity's owner, their manager or an admin can change its plan.")
        )
    _lock_customers([plan.customer_id])
    current = _installments_now(plan)
    current_schedule = [(row.due_on, row.amount) for row in current]
    new_schedule = current_schedule if installments is None else _schedule(installments)
    schedule_changes = sorted(new_schedule) != sorted(current_schedule)
    # The stored amount: `plan` may hold a form's new values already.
    stored_amount = PaymentPlan.objects.filter(pk=plan.pk).values_list("contract_amount", flat=True).first()
    amount_changes = "contract_amount" in fields and fields["contract_amount"] != stored_amount
    applied = sum((row.applied for row in current), Decimal(0))
    if applied > 0 and (schedule_changes or amount_changes):
        message = _(
            "%(applied)s has been applied to this plan, so its amounts and due dates can no longer "
            "change; the contract number, signing date and notes still can."
        ) % {"applied": _money(applied)}
        raise ValidationError({"installments" if schedule_changes else "contract_amount": [message]})
    for name, value in fields.items():
        setattr(plan, name, value)
    _clean_plan(plan, new_schedule)
    plan.save(update_fields=[*fields, "updated_at"])
    if schedule_changes:
        Installment.objects.filter(plan=plan).delete()
        rows = _installment_rows(plan, new_schedule)
        Installment.objects.bulk_create(rows)
        before, after = _multiset_difference(current, rows)
        record_membership(instance=plan, field_name="installments", added=after, removed=before)
        allocation_rebuild(customer_ids=[plan.customer_id])
    return plan


def _multiset_difference(old: list[Installment], new: list[Installment]) -> tuple[list, list]:
    """The installments only in the old schedule, and those only in the new one (an
    installment in both is not a change worth recording)."""
    unmatched = Counter(str(row) for row in old)
    added = []
    for row in new:
        if unmatched[str(row)] > 0:
            unmatched[str(row)] -= 1
        else:
            added.append(row)
    removed = []
    for row in old:
        if unmatched[str(row)] > 0:
            unmatched[str(row)] -= 1
            removed.append(row)
    return removed, added


@transaction.atomic
def plan_delete(*, plan: PaymentPlan, by: User) -> None:
    """Delete a plan no money has been applied to."""
    if not can_edit_plan(by, plan.opportunity):
        raise PermissionDenied(
            _("Only the opportunity's owner, their manager or an admin can delete its plan.")
        )
    _lock_customers([plan.customer_id])
    applied = sum((row.applied for row in _installments_now(plan)), Decimal(0))
    if applied > 0:
        message = _("%(applied)s has been applied to this plan, so it cannot be deleted.") % {
            "applied": _money(applied)
        }
        raise ValidationError({"non_field_errors": [message]})
    customer_id = plan.customer_id
    plan.delete()
    allocation_rebuild(customer_ids=[customer_id])


# --- Payments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    """One validated payment, ready to write."""

    customer_id: int
    reference: str
    received_on: date
    amount: Decimal
    source: str = PaymentSource.MANUAL
    notes: str = ""


@dataclass(frozen=True)
class PaymentUpsertResult:
    created: int
    updated: int
    unchanged: int


PAYMENT_FIELDS = ("customer_id", "received_on", "amount", "source", "notes")


def _payment_changes(payment: Payment, row: PaymentRow) -> dict[str, tuple]:
    """attname → (old, new) of what the row changes on the stored payment."""
    changes = {}
    for name in PAYMENT_FIELDS:
        old, new = getattr(payment, name), getattr(row, name)
        if old != new:
            changes[name] = (old, new)
    return changes


def _checked(row: PaymentRow, by: User) -> Payment:
    """The row as an unsaved Payment, validated without a query (the customer was looked up
    among the visible ones by the caller, the reference's uniqueness is the upsert's)."""
    payment = Payment(
        customer_id=row.customer_id,
        reference=row.reference,
        received_on=row.received_on,
        amount=row.amount,
        source=row.source,
        notes=row.notes,
        created_by=by,
    )
    payment.full_clean(exclude=["customer", "created_by"], validate_unique=False, validate_constraints=False)
    if payment.amount <= 0:
        raise ValidationError({"amount": [_("A payment is an amount above zero.")]})
    return payment


def _locked_existing(references: list[str], customer_ids: set[int]) -> dict[str, Payment]:
    """The stored payments with these references, read with every customer involved locked:
    the rows' own customers and those the stored payments belong to now."""
    locked: set[int] = set()
    wanted = set(customer_ids)
    while True:
        _lock_customers(wanted - locked)
        locked |= wanted
        existing = {
            payment.reference: payment for payment in Payment.objects.filter(reference__in=references)
        }
        wanted = locked | {payment.customer_id for payment in existing.values()}
        if wanted == locked:  # nobody moved a payment to a customer we had not locked meanwhile
            return existing


@transaction.atomic
def payments_upsert(*, rows: Sequence[PaymentRow], by: User) -> PaymentUpsertResult:
    """Record payments keyed by their reference: a known reference updates that payment, and
    the same row again changes nothing, so an ERP may send a batch twice.

    Rows are validated already (the API's serializer, the page's form) and their customers
    visible to `by`; a reference twice in one batch keeps the last row. Set-based: a fixed
    number of queries for a batch of any size (a few more per thousand rows), then one
    allocation rebuild for every customer concerned.
    """
    if not can_record_payments(by):
        raise PermissionDenied(_("Only managers and admins can record payments."))
    latest = {row.reference: row for row in rows}
    if not latest:
        return PaymentUpsertResult(created=0, updated=0, unchanged=0)
    checked = {reference: _checked(row, by) for reference, row in latest.items()}
    existing = _locked_existing(list(latest), {row.customer_id for row in latest.values()})
    new, changed, audit_rows = [], [], []
    affected: set[int] = set()
    for reference, row in latest.items():
        payment = checked[reference]
        stored = existing.get(reference)
        if stored is None:
            new.append(payment)
            affected.add(row.customer_id)
            continue
        changes = _payment_changes(stored, row)
        if not changes:
            continue
        payment.created_by_id = stored.created_by_id
        changed.append((stored, payment, changes))
        affected |= {stored.customer_id, row.customer_id}
    # One INSERT … ON CONFLICT (reference) DO UPDATE per thousand rows: no per-row UPDATE, and a
    # concurrent push of the same reference cannot add it twice.
    Payment.objects.bulk_create(
        [*new, *(payment for _stored, payment, _changes in changed)],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["reference"],
        update_fields=["customer", "received_on", "amount", "source", "notes", "updated_at"],
    )
    audit_rows.extend(created_events(new))
    audit_rows.extend(_changed_events(changed))
    record_many(audit_rows)
    allocation_rebuild(customer_ids=affected)
    # Only the new references: a correction or a batch sent again received no money.
    payments_received(new)
    return PaymentUpsertResult(
        created=len(new), updated=len(changed), unchanged=len(latest) - len(new) - len(changed)
    )


def _changed_events(changed: list[tuple[Payment, Payment, dict[str, tuple]]]) -> list:
    """The audit rows of payments updated by the bulk upsert (which sends no signals), as the
    signals would write them: field → [old, new], a customer as {id, label}."""
    if not changed:
        return []
    spec = spec_for(Payment)
    customer_ids = {value for *_rest, changes in changed for value in changes.get("customer_id", ())}
    names = (
        dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name")) if customer_ids else {}
    )
    rows = []
    for stored, payment, changes in changed:
        payment.pk = payment.pk or stored.pk
        recorded = {}
        for attname, (old, new) in changes.items():
            if attname == "customer_id":
                recorded["customer"] = [
                    {"id": old, "label": names.get(old, "")},
                    {"id": new, "label": names.get(new, "")},
                ]
            else:
                recorded[attname] = [old, new]
        rows.append(event_on(payment, spec, Action.UPDATE, recorded))
    return rows


def payment_update(*, payment: Payment, by: User, **fields) -> Payment:
    """Correct a payment (customer, date, amount, source, notes); its reference stays."""
    unknown = set(fields) - {"customer", "received_on", "amount", "source", "notes"}
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    customer = fields.get("customer")
    row = PaymentRow(
        customer_id=customer.pk if customer is not None else payment.customer_id,
        reference=payment.reference,
        received_on=fields.get("received_on", payment.received_on),
        amount=fields.get("amount", payment.amount),
        source=fields.get("source", payment.source),
        notes=fields.get("notes", payment.notes),
    )
    payments_upsert(rows=[row], by=by)
    return Payment.objects.get(reference=payment.reference)


@transaction.atomic
def payment_delete(*, payment: Payment, by: User) -> None:
    """Take back a payment recorded by mistake; what it paid is open again."""
    if not can_record_payments(by):
        raise PermissionDenied(_("Only managers and admins can delete payments."))
    _lock_customers([payment.customer_id])
    customer_id = payment.customer_id
    payment.delete()
    allocation_rebuild(customer_ids=[customer_id])


# --- The allocation --------------------------------------------------------------------------


@transaction.atomic
def allocation_rebuild(*, customer_ids: Iterable[int]) -> dict[int, Allocation]:
    """Recompute, from scratch, what each customer's payments paid: the PaymentApplication
    rows, every installment's `applied`, and the customer's `oldest_open_due_on` (DOMAIN.md:
    oldest due first, ties by id; what is left over is credit). Set-based over the customers:
    a fixed number of queries (a few more per thousand rows), whatever their number.

    The customers' rows are locked first (the writes calling this hold those locks already).
    The customer column is written with a queryset update, not `save()`: it is derived, and
    not a change anyone made to the customer worth an audit row.
    """
    current = _lock_customers(customer_ids)
    if not current:
        return {}
    ids = list(current)
    installments: dict[int, list[InstallmentDue]] = defaultdict(list)
    applied_before: dict[int, Decimal] = {}
    for pk, customer_id, due_on, amount, applied in Installment.objects.filter(
        customer_id__in=ids
    ).values_list("pk", "customer_id", "due_on", "amount", "applied"):
        installments[customer_id].append(InstallmentDue(pk, due_on, amount))
        applied_before[pk] = applied
    payments: dict[int, list[PaymentIn]] = defaultdict(list)
    for pk, customer_id, received_on, amount in Payment.objects.filter(customer_id__in=ids).values_list(
        "pk", "customer_id", "received_on", "amount"
    ):
        payments[customer_id].append(PaymentIn(pk, received_on, amount))

    result = {pk: allocate(installments[pk], payments[pk]) for pk in ids}

    PaymentApplication.objects.filter(installment__customer_id__in=ids).delete()
    PaymentApplication.objects.bulk_create(
        [
            PaymentApplication(
                payment_id=row.payment_id, installment_id=row.installment_id, amount=row.amount
            )
            for allocation in result.values()
            for row in allocation.applications
        ],
        batch_size=BATCH,
    )
    changed = [
        Installment(pk=pk, applied=applied)
        for allocation in result.values()
        for pk, applied in allocation.applied.items()
        if applied_before[pk] != applied
    ]
    Installment.objects.bulk_update(changed, ["applied"], batch_size=BATCH)
    moved = [
        Customer(pk=pk, oldest_open_due_on=allocation.oldest_open_due_on)
        for pk, allocation in result.items()
        if current[pk] != allocation.oldest_open_due_on
    ]
    Customer.objects.bulk_update(moved, ["oldest_open_due_on"], batch_size=BATCH)
    return result


# --- Announcing overdue installments ---------------------------------------------------------


def installments_announce_overdue(*, today: date, batch: int = BATCH) -> int:
    """Emit installment.overdue once for each installment with money open whose due date has
    passed, and remember the day on it (`overdue_announced_on`). Returns how many were announced.

    Idempotent: run twice on a day (or by two workers at once: the rows are locked, and locked
    ones are skipped) it announces each installment once. An installment that is no longer
    overdue (paid in full, or its due date moved to today or later) forgets its announcement,
    so if it falls overdue again (a payment taken back) it is announced again on the next run.
    Each batch is its own transaction: the events and the marks commit together.
    """
    Installment.objects.filter(overdue_announced_on__isnull=False).filter(
        Q(applied__gte=F("amount")) | Q(due_on__gte=today)
    ).update(overdue_announced_on=None)
    announced = 0
    while True:
        with transaction.atomic():
            due = list(
                Installment.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("plan")
                .filter(due_on__lt=today, applied__lt=F("amount"), overdue_announced_on__isnull=True)
                .order_by("due_on", "id")[:batch]
            )
            if not due:
                return announced
            installments_overdue(due, today=today)
            Installment.objects.filter(pk__in=[row.pk for row in due]).update(overdue_announced_on=today)
            announced += len(due)
