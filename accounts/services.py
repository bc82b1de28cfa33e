"""The writes of the rep's daily work: customers, contacts, visits, follow-ups, transactions.

Every function is keyword-only, validates with `full_clean()` before it saves and runs in
one transaction, so bad input raises a ValidationError and writes nothing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.context import audit_suppressed
from audit.services import created_events, membership_event, record_many, record_membership
from users.models import User
from users.services import owner_check, owner_choices
from web.deletion import delete_or_explain

from .credit_code import normalise_credit_code
from .events import visits_logged
from .models import (
    AccountTeamMember,
    Contact,
    Customer,
    FitCriterion,
    IndustryFit,
    Transaction,
    Visit,
    normalise_company_name,
)

# --- Who may do what with a customer ---------------------------------------------------------


def can_manage_customer(user: User, customer: Customer) -> bool:
    """Owner, the owner's manager or an admin: may reassign, change the team, delete."""
    if user.is_staff or customer.owner_id == user.pk:
        return True
    return customer.owner_id is not None and owner_choices(user).filter(pk=customer.owner_id).exists()


def can_see_personal_profile(user: User, customer: Customer) -> bool:
    """A contact's personal profile: the account team (owner and members), the owner's
    manager and admins."""
    if can_manage_customer(user, customer):
        return True
    return AccountTeamMember.objects.filter(customer=customer, user=user).exists()


def personal_profile_customer_ids(user: User, customer_ids: Iterable[int]) -> set[int]:
    """Of `customer_ids`, those whose contacts' personal profiles `user` may see: the rule of
    `can_see_personal_profile`, for a whole list of contacts in one query."""
    customer_ids = set(customer_ids)
    if user.is_staff or not customer_ids:
        return customer_ids
    team = AccountTeamMember.objects.filter(user=user).values("customer_id")
    return set(
        Customer.objects.filter(pk__in=customer_ids)
        .filter(Q(owner=user) | Q(owner__in=owner_choices(user)) | Q(pk__in=team))
        .values_list("pk", flat=True)
    )


# --- Customers -------------------------------------------------------------------------------


def _owner_name(customer: Customer) -> str:
    return customer.owner.display_name if customer.owner else _("nobody")


class DuplicateCustomer(ValidationError):
    """The name matches an existing customer once legal forms and spaces are ignored (撞单)."""

    def __init__(self, existing: Customer, name: str):
        self.existing = existing
        message = _("“%(name)s” is already a customer as “%(existing)s”, owned by %(owner)s.") % {
            "name": name,
            "existing": existing.name,
            "owner": _owner_name(existing),
        }
        super().__init__({"name": [message]})


class DuplicateCreditCode(DuplicateCustomer):
    """The unified social credit code is already another customer's (撞单 by code): refused
    as a duplicate name is, naming the customer and its owner, on the `credit_code` field."""

    def __init__(self, existing: Customer, credit_code: str):
        self.existing = existing
        message = _(
            "The unified social credit code %(code)s is already that of “%(existing)s”, owned by %(owner)s."
        ) % {"code": credit_code, "existing": existing.name, "owner": _owner_name(existing)}
        ValidationError.__init__(self, {"credit_code": [message]})


def customer_find_duplicate(*, name: str, exclude_pk: int | None = None) -> Customer | None:
    normalised = normalise_company_name(name)
    if not normalised:
        return None
    duplicates = Customer.objects.select_related("owner").filter(name_normalised=normalised)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    return duplicates.first()


def customer_find_by_credit_code(*, credit_code: str, exclude_pk: int | None = None) -> Customer | None:
    """The customer holding this unified social credit code (as typed or stored), if any."""
    credit_code = normalise_credit_code(credit_code)
    if not credit_code:
        return None
    holders = Customer.objects.select_related("owner").filter(credit_code=credit_code)
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    return holders.first()


def customer_check_duplicates(customer: Customer) -> None:
    """撞单: the name, then the credit code, already another customer's."""
    duplicate = customer_find_duplicate(name=customer.name, exclude_pk=customer.pk)
    if duplicate is not None:
        raise DuplicateCustomer(duplicate, customer.name)
    holder = customer_find_by_credit_code(credit_code=customer.credit_code, exclude_pk=customer.pk)
    if holder is not None:
        raise DuplicateCreditCode(holder, normalise_credit_code(customer.credit_code))


CUSTOMER_EDITABLE = (
    "name",
    "credit_code",
    "industry",
    "region",
    "parent",
    "source",
    "referred_by",
    "status",
    "owner",
    "potential",
    "demonstration",
    "winnability",
    "notes",
    "latitude",
    "longitude",
)


def _check_owner(*, by: User, customer: Customer, new_owner: User | None) -> None:
    if new_owner is None or new_owner.pk == customer.owner_id:
        return
    owner_check(by=by, owner=new_owner, message=_("You cannot assign customers to %(user)s."))
    if customer.pk and not can_manage_customer(by, customer):
        raise ValidationError(
            {"owner": [_("Only the owner, their manager or an admin can reassign this customer.")]}
        )


def _save_customer(customer: Customer) -> Customer:
    customer_check_duplicates(customer)
    _check_location(latitude=customer.latitude, longitude=customer.longitude)
    customer.full_clean()
    # An edit writes what it may change, never the scoring results a run may have written since
    # the customer was read.
    update_fields = (
        None if customer._state.adding else [*CUSTOMER_EDITABLE, *Customer.NAME_DERIVED, "updated_at"]
    )
    try:
        with transaction.atomic():
            customer.save(update_fields=update_fields)
    except IntegrityError as error:
        # Lost a race with another rep creating the same company a moment ago.
        try:
            customer_check_duplicates(customer)
        except DuplicateCustomer as duplicate:
            raise duplicate from error
        raise
    return customer


@transaction.atomic
def customer_create(
    *,
    by: User,
    account_team: Iterable[User] | None = None,
    fit_criteria: Iterable[FitCriterion] | None = None,
    **fields,
) -> Customer:
    """A new customer, owned by `by` unless an owner `by` may assign is given; `fit_criteria`
    are the checklist items ticked for it (active ones only)."""
    unknown = set(fields) - set(CUSTOMER_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    fields.setdefault("owner", by)
    customer = Customer(**{k: v for k, v in fields.items() if k != "owner"})
    _check_owner(by=by, customer=customer, new_owner=fields["owner"])
    customer.owner = fields["owner"]
    _save_customer(customer)
    if account_team is not None:
        customer_set_team(customer=customer, by=by, users=account_team)
    if fit_criteria is not None:
        _set_fit_criteria(customer=customer, criteria=fit_criteria)
    return customer


@transaction.atomic
def customers_create(*, by: User, customers: Sequence[Customer]) -> list[Customer]:
    """Many new customers in one insert: `customer_create` for a batch.

    Each is an unsaved Customer, owned by `by` unless it names an owner `by` may assign; its
    group account and referrer may be saved customers or ones earlier in the batch. Each is
    checked as `customer_create` checks one (撞单 by name or credit code against the database
    and within the batch, the owner, `full_clean`), except for the table's check constraints,
    which the database enforces on the insert itself (as the customer import leaves them to
    it): Django checks each with a query per row, most of the cost of a batch. The insert sends
    no signals, so the audit rows are written here. Account teams are `customer_set_team`'s.
    """
    customers = list(customers)
    batch: dict[str, Customer] = {}
    codes: dict[str, Customer] = {}
    # Whom `by` may assign, looked up once for the whole batch (owner_check asks per owner).
    wanted = {customer.owner_id or by.pk for customer in customers}
    assignable = set(owner_choices(by).filter(pk__in=wanted).values_list("pk", flat=True))
    for customer in customers:
        owner = customer.owner or by
        if owner.pk not in assignable:
            message = _("You cannot assign customers to %(user)s.") % {"user": owner.display_name}
            raise ValidationError({"owner": [message]})
        customer.owner = owner
        # The owner was checked just above and the links are saved or in this batch: checking
        # that each exists would be a query per row; the foreign keys hold them on insert.
        customer.full_clean(exclude=["owner", "parent", "referred_by"], validate_constraints=False)
        if customer.name_normalised in batch:
            raise DuplicateCustomer(batch[customer.name_normalised], customer.name)
        batch[customer.name_normalised] = customer
        if customer.credit_code in codes:
            raise DuplicateCreditCode(codes[customer.credit_code], customer.credit_code)
        if customer.credit_code:
            codes[customer.credit_code] = customer
    duplicate = Customer.objects.select_related("owner").filter(name_normalised__in=list(batch)).first()
    if duplicate is not None:
        raise DuplicateCustomer(duplicate, batch[duplicate.name_normalised].name)
    holder = Customer.objects.select_related("owner").filter(credit_code__in=list(codes)).first()
    if holder is not None:
        raise DuplicateCreditCode(holder, holder.credit_code)
    # Links to customers of the batch can be written only once those have ids.
    links = [(customer, customer.parent, customer.referred_by) for customer in customers]
    for customer in customers:
        customer.parent = customer.referred_by = None
    Customer.objects.bulk_create(customers, batch_size=500)
    linked = []
    for customer, parent, referred_by in links:
        if parent is not None or referred_by is not None:
            customer.parent, customer.referred_by = parent, referred_by
            linked.append(customer)
    Customer.objects.bulk_update(linked, ["parent", "referred_by"], batch_size=500)
    record_many(created_events(customers))
    return customers


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    by: User,
    account_team: Iterable[User] | None = None,
    fit_criteria: Iterable[FitCriterion] | None = None,
    **fields,
) -> Customer:
    unknown = set(fields) - set(CUSTOMER_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    if "owner" in fields:
        _check_owner(by=by, customer=customer, new_owner=fields["owner"])
    for name, value in fields.items():
        setattr(customer, name, value)
    _save_customer(customer)
    if account_team is not None:
        customer_set_team(customer=customer, by=by, users=account_team)
    if fit_criteria is not None:
        _set_fit_criteria(customer=customer, criteria=fit_criteria)
    return customer


def _check_location(*, latitude: Decimal | None, longitude: Decimal | None) -> None:
    """A site is both coordinates or neither, each a valid column value within its range: said
    as field messages rather than the names of the table's constraints."""
    errors: dict[str, list[str]] = {}
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            continue
        try:
            Customer._meta.get_field(name).clean(value, None)
            MinValueValidator(-limit)(value)
            MaxValueValidator(limit)(value)
        except ValidationError as error:
            errors[name] = error.messages
    if not errors and (latitude is None) != (longitude is None):
        message = _("Send both latitude and longitude, or neither.")
        errors = {"latitude": [message], "longitude": [message]}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def customer_set_location(
    *, customer: Customer, by: User, latitude: Decimal | None, longitude: Decimal | None
) -> Customer:
    """Set the customer's site (None and None clear it): by hand, or from a visit's check-in the
    rep confirms as the site. Anyone who may edit the customer may, that is anyone who sees it.
    The row is locked and only the two coordinates are written; the audit trail records it."""
    if not Customer.objects.visible_to(by).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not change this customer."))
    _check_location(latitude=latitude, longitude=longitude)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if (locked.latitude, locked.longitude) != (latitude, longitude):
        locked.latitude, locked.longitude = latitude, longitude
        locked.save(update_fields=["latitude", "longitude", "updated_at"])
    customer.latitude, customer.longitude = locked.latitude, locked.longitude
    return customer


def customer_set_team(*, customer: Customer, by: User, users: Iterable[User]) -> None:
    users = [user for user in users if user.pk != customer.owner_id]
    current = set(customer.team_memberships.values_list("user_id", flat=True))
    if current == {user.pk for user in users}:
        return
    if not can_manage_customer(by, customer):
        raise ValidationError(
            {"account_team": [_("Only the owner, their manager or an admin can change the team.")]}
        )
    removed = [m.user for m in customer.team_memberships.select_related("user").exclude(user__in=users)]
    with audit_suppressed():  # one row for the whole change, not one per membership
        customer.team_memberships.exclude(user__in=users).delete()
    AccountTeamMember.objects.bulk_create(
        [AccountTeamMember(customer=customer, user=user) for user in users if user.pk not in current]
    )
    record_membership(
        instance=customer,
        field_name="account_team",
        added=[user for user in users if user.pk not in current],
        removed=removed,
    )


@transaction.atomic
def customer_delete(*, customer: Customer, by: User) -> None:
    if not can_manage_customer(by, customer):
        raise PermissionDenied(_("Only the owner, their manager or an admin can delete this customer."))
    if customer.transactions.exists():
        raise ValidationError(
            {
                "non_field_errors": [
                    _("This customer has transactions and cannot be deleted; set it inactive instead.")
                ]
            }
        )
    delete_or_explain(customer)  # payment plans and payments protect it too


# --- Contacts --------------------------------------------------------------------------------


@transaction.atomic
def contact_save(*, contact: Contact) -> Contact:
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contacts_create(*, contacts: Sequence[Contact]) -> list[Contact]:
    """Many new contacts in one insert: `contact_save` for a batch.

    Each is validated as `contact_save` validates one, except for the table's check constraints,
    which the database enforces on the insert itself (as the customer import leaves them to it):
    Django checks each with a query per row, which is most of the cost of a batch. The insert
    sends no signals, so the audit rows are written here.
    """
    contacts = list(contacts)
    for contact in contacts:
        contact.full_clean(validate_constraints=False)
    Contact.objects.bulk_create(contacts, batch_size=500)
    record_many(created_events(contacts))
    return contacts


# --- Visits and follow-ups -------------------------------------------------------------------


@transaction.atomic
def visit_log(
    *,
    customer: Customer,
    by: User,
    occurred_at: datetime,
    kind: str = "visit",
    contacts: Sequence[Contact] = (),
    summary: str = "",
    needs: str = "",
    objections: str = "",
    next_step: str = "",
    follow_up_on: date | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    location_accuracy_m: float | None = None,
) -> Visit:
    """Record a visit, call or meeting. Contacts must belong to the customer."""
    _check_visit_contacts(customer_id=customer.pk, contacts=contacts)
    visit = Visit(
        customer=customer,
        by=by,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary,
        needs=needs,
        objections=objections,
        next_step=next_step,
        follow_up_on=follow_up_on,
        latitude=latitude,
        longitude=longitude,
        location_accuracy_m=location_accuracy_m,
    )
    visit.full_clean()
    visit.save()
    visit.contacts.set(contacts)
    visits_logged([visit])
    return visit


def _check_visit_contacts(*, customer_id: int, contacts: Sequence[Contact]) -> None:
    foreign = [contact for contact in contacts if contact.customer_id != customer_id]
    if foreign:
        raise ValidationError(
            {"contacts": [_("%(name)s is not a contact of this customer.") % {"name": foreign[0]}]}
        )


@dataclass(frozen=True)
class VisitRow:
    """One visit for `visits_log`: what `visit_log` takes, without a check-in location (taken
    only by a rep's phone, one visit at a time)."""

    customer: Customer
    by: User
    occurred_at: datetime
    kind: str = "visit"
    contacts: Sequence[Contact] = ()
    summary: str = ""
    needs: str = ""
    objections: str = ""
    next_step: str = ""
    follow_up_on: date | None = None


@transaction.atomic
def visits_log(*, visits: Sequence[VisitRow]) -> list[Visit]:
    """Record many visits at once, with the contacts present: `visit_log` for a batch.

    Each is validated as `visit_log` validates one (its contacts belong to its customer,
    `full_clean`); the check constraints concern only the check-in location, which none of
    these has. Needs a database that returns ids from a bulk insert (PostgreSQL, SQLite ≥ 3.35).
    """
    rows = []
    for row in visits:
        _check_visit_contacts(customer_id=row.customer.pk, contacts=row.contacts)
        visit = Visit(
            customer=row.customer,
            by=row.by,
            kind=row.kind,
            occurred_at=row.occurred_at,
            summary=row.summary,
            needs=row.needs,
            objections=row.objections,
            next_step=row.next_step,
            follow_up_on=row.follow_up_on,
        )
        visit.full_clean(validate_constraints=False)
        rows.append(visit)
    Visit.objects.bulk_create(rows, batch_size=500)
    Visit.contacts.through.objects.bulk_create(
        [
            Visit.contacts.through(visit_id=visit.pk, contact_id=contact_id)
            for visit, row in zip(rows, visits, strict=True)
            # A contact named twice is present once, as `contacts.set()` makes it in visit_log.
            for contact_id in dict.fromkeys(contact.pk for contact in row.contacts)
        ],
        batch_size=1000,
    )
    visits_logged(rows)
    return rows


VISIT_EDITABLE = (
    "kind",
    "occurred_at",
    "summary",
    "needs",
    "objections",
    "next_step",
    "follow_up_on",
    "latitude",
    "longitude",
    "location_accuracy_m",
)


@transaction.atomic
def visit_update(*, visit: Visit, contacts: Sequence[Contact] | None = None, **fields) -> Visit:
    """Correct a logged visit; the customer stays. A new follow-up date opens the follow-up again."""
    unknown = set(fields) - set(VISIT_EDITABLE)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in sorted(unknown)})
    if contacts is not None:
        _check_visit_contacts(customer_id=visit.customer_id, contacts=contacts)
    if "follow_up_on" in fields and fields["follow_up_on"] != visit.follow_up_on:
        visit.follow_up_done_at = None
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.full_clean()
    visit.save()
    if contacts is not None:
        visit.contacts.set(contacts)
    return visit


@transaction.atomic
def follow_up_mark_done(*, visit: Visit, by: User) -> Visit:
    """Tick off a follow-up; doing it twice keeps the first time."""
    if visit.follow_up_on is None:
        raise ValidationError({"follow_up_on": [_("This visit has no follow-up to mark done.")]})
    if visit.follow_up_done_at is None:
        visit.follow_up_done_at = timezone.now()
        visit.save(update_fields=["follow_up_done_at", "updated_at"])
    return visit


# --- Transactions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionRow:
    """One validated transaction, ready to write."""

    customer_id: int
    reference: str
    occurred_on: date
    amount: Decimal
    margin: Decimal | None = None
    description: str = ""


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int


@transaction.atomic
def transactions_upsert(*, rows: Sequence[TransactionRow]) -> UpsertResult:
    """Write validated rows in one transaction: a known reference is updated, not duplicated.

    Re-sending the same ERP batch therefore changes nothing. Rows are expected to be
    validated already (serializer or import); a duplicate reference inside one batch keeps
    the last row, as the ERP's latest word on it.
    """
    latest = {row.reference: row for row in rows}
    known = set(Transaction.objects.filter(reference__in=list(latest)).values_list("reference", flat=True))
    # One INSERT … ON CONFLICT (reference) DO UPDATE per 1,000 rows, on PostgreSQL and SQLite
    # alike: no per-row UPDATE, and a concurrent push of the same reference cannot duplicate it.
    Transaction.objects.bulk_create(
        [
            Transaction(
                customer_id=row.customer_id,
                reference=reference,
                occurred_on=row.occurred_on,
                amount=row.amount,
                margin=row.margin,
                description=row.description,
            )
            for reference, row in latest.items()
        ],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["reference"],
        update_fields=["customer", "occurred_on", "amount", "margin", "description", "updated_at"],
    )
    created = len(latest) - len(known)
    return UpsertResult(created=created, updated=len(known))


# --- The experience method: industry fits and the customer-fit checklist (经历推算法) --------


def can_edit_industry_fits(user: User) -> bool:
    """Managers and admins keep the industry fit table; everyone signed in reads it."""
    return user.is_authenticated and user.can_manage


def can_edit_fit_criteria(user: User) -> bool:
    """Admins keep the customer-fit checklist's items and weights; everyone signed in reads them."""
    return user.is_authenticated and user.is_staff


INDUSTRY_FIT_EDITABLE = ("industry", "need", "capability", "notes")


def _check_industry_free(industry_fit: IndustryFit) -> None:
    taken = IndustryFit.objects.filter(industry=industry_fit.industry).exclude(pk=industry_fit.pk)
    if industry_fit.industry and taken.exists():
        message = _("“%(industry)s” is already in the table.") % {"industry": industry_fit.industry}
        raise ValidationError({"industry": [message]})


@transaction.atomic
def industry_fit_save(*, by: User, industry_fit: IndustryFit | None = None, **fields) -> IndustryFit:
    """Add an industry to the table (without `industry_fit`) or change one: its need and our
    capability, 1–5 each. An industry is in the table once; the name is matched as written."""
    if not can_edit_industry_fits(by):
        raise PermissionDenied(_("Only managers and admins can change the industry fit table."))
    row = industry_fit if industry_fit is not None else IndustryFit()
    return _save_named_row(
        row, fields, editable=INDUSTRY_FIT_EDITABLE, name="industry", check=_check_industry_free
    )


def _save_named_row(row, fields: dict, *, editable: Sequence[str], name: str, check) -> object:
    """Set `fields` on a reference-table row known by its unique `name` field (stripped), check
    that name is free with `check` (a field message), validate and save. A concurrent insert of
    the same name loses the race at the unique constraint and gets the same message."""
    unknown = set(fields) - set(editable)
    if unknown:
        raise ValidationError({field: [_("This field cannot be set.")] for field in sorted(unknown)})
    for field, value in fields.items():
        setattr(row, field, value)
    if isinstance(getattr(row, name), str):
        setattr(row, name, getattr(row, name).strip())
    check(row)
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        check(row)  # lost a race with someone adding the same name
        raise
    return row


@transaction.atomic
def industry_fit_delete(*, by: User, industry_fit: IndustryFit) -> None:
    """Take an industry out of the table: its customers' industry fit becomes 0 from the next run."""
    if not can_edit_industry_fits(by):
        raise PermissionDenied(_("Only managers and admins can change the industry fit table."))
    industry_fit.delete()


FIT_CRITERION_EDITABLE = ("label", "weight", "is_active", "position")


def _check_label(criterion: FitCriterion) -> None:
    """An item is a column of the customer import under its label: the label must not read as
    another item's or as one of the import's own columns (header matching ignores case, spaces
    and underscores)."""
    from .imports import customer_header_taken, header_text  # imports.py builds on this module

    label = criterion.label
    if not isinstance(label, str) or not header_text(label):
        return  # empty: the field's own "required" message
    others = FitCriterion.objects.exclude(pk=criterion.pk).values_list("label", flat=True)
    if any(header_text(other) == header_text(label) for other in others):
        raise ValidationError({"label": [_("Another item already has this name.")]})
    if customer_header_taken(label):
        message = _("“%(label)s” is already a column of the customer import; choose another name.")
        raise ValidationError({"label": [message % {"label": label}]})


@transaction.atomic
def fit_criterion_save(*, by: User, criterion: FitCriterion | None = None, **fields) -> FitCriterion:
    """Add a checklist item (without `criterion`) or change one: its label, weight (0–1000),
    whether it is active, and its position. Deactivating an item keeps its ticks: it no
    longer counts, for anyone, and counts again once reactivated."""
    if not can_edit_fit_criteria(by):
        raise PermissionDenied(_("Only admins can change the customer-fit checklist."))
    row = criterion if criterion is not None else FitCriterion()
    return _save_named_row(row, fields, editable=FIT_CRITERION_EDITABLE, name="label", check=_check_label)


@transaction.atomic
def fit_criterion_delete(*, by: User, criterion: FitCriterion) -> None:
    """Delete an item that was never ticked; one that was is deactivated instead, so that
    customers' checklists and their history keep it."""
    if not can_edit_fit_criteria(by):
        raise PermissionDenied(_("Only admins can change the customer-fit checklist."))
    ticked = criterion.customers.count()
    if ticked:
        message = _(
            "This item is ticked on %(count)d customers and cannot be deleted; deactivate it instead."
        ) % {"count": ticked}
        raise ValidationError({"non_field_errors": [message]})
    criterion.delete()


def _set_fit_criteria(*, customer: Customer, criteria: Iterable[FitCriterion]) -> None:
    """Tick exactly `criteria` among the active items, recorded as one audit row. Ticks of
    inactive items are left as they are: a deactivated item keeps its ticks."""
    criteria = list(criteria)
    inactive = [criterion for criterion in criteria if not criterion.is_active]
    if inactive:
        message = _("“%(item)s” is not an active checklist item.") % {"item": inactive[0].label}
        raise ValidationError({"fit_criteria": [message]})
    wanted = {criterion.pk: criterion for criterion in criteria}
    current = {criterion.pk: criterion for criterion in customer.fit_criteria.filter(is_active=True)}
    added = [criterion for pk, criterion in wanted.items() if pk not in current]
    removed = [criterion for pk, criterion in current.items() if pk not in wanted]
    if not (added or removed):
        return
    with audit_suppressed():  # one row for the whole change, not one per add and remove
        customer.fit_criteria.remove(*removed)
        customer.fit_criteria.add(*added)
    record_membership(instance=customer, field_name="fit_criteria", added=added, removed=removed)


@transaction.atomic
def customer_set_fit_criteria(*, customer: Customer, by: User, criteria: Iterable[FitCriterion]) -> Customer:
    """Tick the customer-fit checklist (the customer page's form): exactly `criteria` of the
    active items. Anyone who may edit the customer may, that is anyone who sees it; the
    customer's row is locked so two people ticking at once cannot collide."""
    locked = Customer.objects.visible_to(by).select_for_update().filter(pk=customer.pk)
    if not list(locked.values_list("pk", flat=True)):
        raise PermissionDenied(_("You may not change this customer."))
    _set_fit_criteria(customer=customer, criteria=criteria)
    return customer


def customers_tick_fit_criteria(*, ticks: Iterable[tuple[Customer, Sequence[FitCriterion]]]) -> None:
    """Ticks for customers just created in bulk (the import), which have none yet: one insert,
    and one audit row per customer with ticks (a bulk insert sends no signals)."""
    ticks = [(customer, list(criteria)) for customer, criteria in ticks if criteria]
    through = Customer.fit_criteria.through
    through.objects.bulk_create(
        [
            through(customer_id=customer.pk, fitcriterion_id=criterion.pk)
            for customer, criteria in ticks
            for criterion in criteria
        ],
        batch_size=1000,
    )
    events = (
        membership_event(instance=customer, field_name="fit_criteria", added=criteria)
        for customer, criteria in ticks
    )
    record_many([event for event in events if event is not None])
