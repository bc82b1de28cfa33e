"""Personal data requests about a contact (PIPL, GDPR): everything KAM holds on a person, and erasing it.

Where a contact's personal data lives:
- the contact row: name, title, ways to reach them, notes and the personal profile;
- the visits they attended (`Visit.contacts`): the link itself names no one once the contact is erased;
- free text written under their customer that names them or quotes their phone, e-mail or WeChat: visit
  summaries, the customer's and other contacts' notes, opportunities, account plans and so on. These are
  found by following the relations to `Customer` (`text_places`) rather than from a list, so a free-text
  field added later is covered, and `accounts` need not import the apps built on it;
- the audit trail: the contact's own rows (old → new values), and rows on other records of the same
  customer that quote those values (a customer's notes, an opportunity's obstacles);
- the admin's change log: entries on the contact (its name) and on its customer (an inline "added contact …").

Erasure anonymises in place rather than deleting, so visits and the buying committee keep their shape.
The contact keeps its customer and its place in the committee (buying role, influence, relationship
strength, attitude), which describe no one once the person is nameless; everything else is emptied and
the name becomes a placeholder. Only the records of the customers the contact belonged to (now or ever,
as its audit rows and visits tell) are searched for the person's values: a common name in another
customer's notes most likely means someone else.

A contact deleted since is still a person KAM holds data on: its audit rows keep its values, and free
text may still quote them. It is rebuilt from those rows (`deleted_contact`) and goes through the same
export and erasure, minus the contact row itself.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.context import audit_suppressed
from audit.models import Action, AuditEvent
from audit.services import MASK, masked, record, spec_for

from .models import Contact, Customer, Visit

# What the contact is in the buying committee, and bookkeeping: kept on erasure. Every other field is
# emptied, so a personal field added to Contact later is erased without anyone remembering to list it.
KEPT_FIELDS = frozenset(
    {
        "id",
        "customer",
        "buying_role",
        "influence",
        "relationship_strength",
        "attitude",
        "created_at",
        "updated_at",
    }
)
# The values that identify the person, looked for verbatim in free text.
IDENTIFYING_FIELDS = ("name", "phone", "email", "wechat")
# A one-character value (a surname alone) would match unrelated text, so it is not looked for.
MIN_TERM_LENGTH = 2
# The erasure's own audit row: it says that, not what.
ERASED_CHANGES = {"erased": [None, "personal data"]}

JsonValue = None | bool | int | float | str | list | dict


def placeholder(contact_id: int) -> str:
    """The name an erased contact is left with, and what replaces their values in free text:
    stored data, so in the site's language, whoever runs the command in whichever language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased contact #%(id)s") % {"id": contact_id}


def _contact_object_type() -> str:
    return spec_for(Contact).object_type


# --- Finding the person's values -------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _term_pattern(term: str) -> str:
    # "13912345678" must not match inside "139123456789", nor "Li" inside "Limited". Chinese has no
    # word boundaries, so only ASCII letters and digits count as "inside a word".
    pattern = re.escape(term)
    if term[0].isascii() and term[0].isalnum():
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if term[-1].isascii() and term[-1].isalnum():
        pattern += r"(?![A-Za-z0-9])"
    return pattern


@dataclass(frozen=True)
class Terms:
    """A contact's identifying values, now and in its audit history (an old phone number quoted in
    last year's visit notes is theirs too), as found verbatim, in any case, in free text."""

    values: tuple[str, ...]
    customer_ids: tuple[int, ...] = ()  # whose records are searched: every customer the contact belonged to
    name_shared: bool = False  # another contact of those customers has the same name: not looked for

    @classmethod
    def of(cls, contact: Contact) -> "Terms":
        known: dict[str, set[str]] = {name: {getattr(contact, name) or ""} for name in IDENTIFYING_FIELDS}
        for changes in _own_audit_rows(contact).values_list("changes", flat=True):
            for name in IDENTIFYING_FIELDS:
                recorded = changes.get(name) if isinstance(changes, dict) else None
                if isinstance(recorded, list):
                    known[name].update(value for value in recorded if isinstance(value, str))
        customer_ids = _customer_ids(contact)
        others = {
            name.strip().casefold()
            for name in Contact.objects.filter(customer_id__in=customer_ids)
            .exclude(pk=contact.pk)
            .values_list("name", flat=True)
        }
        shared = {name for name in known["name"] if name.strip().casefold() in others}
        known["name"] -= shared
        for phone in list(known["phone"]):
            if len(_digits(phone)) >= 7:  # "139 1234 5678" is often written "13912345678"
                known["phone"].add(_digits(phone))
        ignored = {placeholder(contact.pk), MASK}
        values: dict[str, str] = {}
        for value in sorted(set().union(*known.values())):
            value = value.strip()
            if len(value) >= MIN_TERM_LENGTH and value not in ignored:
                values.setdefault(value.casefold(), value)
        # Longest first, so an e-mail address is replaced whole before a WeChat id inside it.
        return cls(
            values=tuple(sorted(values.values(), key=len, reverse=True)),
            customer_ids=customer_ids,
            name_shared=bool(shared),
        )

    @cached_property
    def _pattern(self) -> re.Pattern | None:
        if not self.values:
            return None
        return re.compile("|".join(_term_pattern(value) for value in self.values), re.IGNORECASE)

    def found_in(self, text: str) -> bool:
        pattern = self._pattern
        return bool(text) and pattern is not None and pattern.search(text) is not None

    def replace(self, text: str, replacement: str) -> str:
        pattern = self._pattern
        if not text or pattern is None:
            return text
        return pattern.sub(replacement, text)

    def q(self, field_name: str) -> Q:
        """Rows whose `field_name` may hold a value (the database's first pass; `found_in` decides)."""
        query = Q()
        for value in self.values:
            query |= Q(**{f"{field_name}__icontains": value})
        return query


def _map_strings(value: JsonValue, function: Callable[[str], str]) -> JsonValue:
    """`value` (a JSON document) with `function` applied to every string in it; keys are field names."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, function) for key, item in value.items()}
    return value


def _strings(value: JsonValue) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | dict):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


def _mentions_in_json(value: JsonValue, terms: Terms) -> bool:
    return any(terms.found_in(text) for text in _strings(value))


# --- Where free text under a customer lives --------------------------------------------------


@dataclass(frozen=True)
class TextPlace:
    """A model with free text that belongs to a customer, and how to reach that customer from it."""

    model: type[models.Model]
    customer_lookup: str  # "pk" (the customer itself), "customer", "plan__customer"…
    fields: tuple[str, ...]


def _customer_lookup(model: type[models.Model]) -> str | None:
    if model is Customer:
        return "pk"  # not its parent / referred_by: those are other customers
    foreign_keys = [f for f in model._meta.concrete_fields if f.many_to_one]
    for f in foreign_keys:
        if f.related_model is Customer:
            return f.name
    for f in foreign_keys:  # one step further: a plan's actions, an opportunity's stage changes
        if f.related_model is model:
            continue
        for g in f.related_model._meta.concrete_fields:
            if g.many_to_one and g.related_model is Customer:
                return f"{f.name}__{g.name}"
    return None


def _free_text_fields(model: type[models.Model]) -> tuple[str, ...]:
    names = []
    for f in model._meta.concrete_fields:
        if not isinstance(f, models.CharField | models.TextField) or isinstance(f, models.EmailField):
            continue
        if f.primary_key or f.unique or f.choices or not f.editable:
            continue  # codes, references and choices, not prose
        if model is Contact and not isinstance(f, models.TextField):
            continue  # another contact's own name, phone or title is theirs, even when it is the same
        if model is Customer and f.name == "name":
            continue  # the company's name
        names.append(f.name)
    return tuple(names)


@cache
def text_places() -> tuple[TextPlace, ...]:
    """Every model with free text that belongs to a customer (its rows are searched for a contact)."""
    places = []
    for model in apps.get_models():
        lookup = _customer_lookup(model)
        fields = _free_text_fields(model) if lookup else ()
        if fields:
            places.append(TextPlace(model=model, customer_lookup=lookup, fields=fields))
    return tuple(places)


@dataclass(frozen=True)
class TextMention:
    place: TextPlace
    pk: int
    texts: dict[str, str]  # field → its whole text

    @property
    def table(self) -> str:
        return self.place.model._meta.label_lower


def _text_mentions(*, contact: Contact, terms: Terms) -> Iterator[TextMention]:
    """The customer's records whose free text quotes the contact (the contact's own row aside)."""
    if not terms.values:
        return
    for place in text_places():
        query = Q()
        for name in place.fields:
            query |= terms.q(name)
        rows = place.model._base_manager.filter(**{f"{place.customer_lookup}__in": terms.customer_ids})
        rows = rows.filter(query)
        if place.model is Contact:
            rows = rows.exclude(pk=contact.pk)
        rows = rows.order_by("pk").values_list("pk", *place.fields)
        for pk, *texts in rows:
            found = {
                name: text for name, text in zip(place.fields, texts, strict=True) if terms.found_in(text)
            }
            if found:
                yield TextMention(place=place, pk=pk, texts=found)


# --- The audit trail and the admin's log -----------------------------------------------------


def _own_audit_rows(contact: Contact | int) -> QuerySet[AuditEvent]:
    contact_id = contact.pk if isinstance(contact, Contact) else contact
    return AuditEvent.objects.filter(object_type=_contact_object_type(), object_id=contact_id).order_by(
        "at", "id"
    )


def _customer_ids(contact: Contact) -> tuple[int, ...]:
    """Every customer the contact belonged to: now, in its audit rows (their customer, and the old and
    new value of a change of `customer`, in the admin say), and the customers of the visits it attended."""
    ids = {contact.customer_id}
    for customer_id, changes in _own_audit_rows(contact).values_list("customer_id", "changes"):
        ids.add(customer_id)
        recorded = changes.get("customer") if isinstance(changes, dict) else None
        for value in recorded if isinstance(recorded, list) else ():
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                ids.add(value["id"])
    ids.update(Visit.objects.filter(contacts=contact.pk).values_list("customer_id", flat=True))
    return tuple(sorted(customer_id for customer_id in ids if customer_id is not None))


def is_deleted(contact: Contact) -> bool:
    """Whether `contact` is one rebuilt from the audit trail (`deleted_contact`), not a row."""
    return contact._state.adding


def deleted_contact(contact_id: int) -> Contact | None:
    """A contact deleted since, as its audit rows last recorded it: an unsaved instance (never to be
    saved) with its last known customer and values. None when it still exists or left no row."""
    if Contact.objects.filter(pk=contact_id).exists():
        return None
    rows = list(_own_audit_rows(contact_id).values_list("action", "customer_id", "changes"))
    if not rows:
        return None
    fields = {f.name: f for f in Contact._meta.concrete_fields if not f.primary_key}
    contact = Contact(pk=contact_id)
    for action, customer_id, changes in rows:
        if customer_id is not None:
            contact.customer_id = customer_id
        for name, recorded in changes.items() if isinstance(changes, dict) else ():
            if name not in fields or not isinstance(recorded, list) or len(recorded) != 2:
                continue
            value = (
                recorded[0] if action == Action.DELETE else recorded[1]
            )  # a deletion records [value, None]
            if fields[name].is_relation:
                if isinstance(value, dict) and isinstance(value.get("id"), int):
                    setattr(contact, fields[name].attname, value["id"])
            else:
                setattr(contact, fields[name].attname, value)
    return contact


def _audit_mentions(*, contact: Contact, terms: Terms) -> Iterator[AuditEvent]:
    """Rows on the customer's other records that quote the contact's values. Read in Python: JSON
    is stored escaped on SQLite, so the database cannot be asked to look inside it everywhere."""
    if not terms.values:
        return
    rows = (
        AuditEvent.objects.filter(customer_id__in=terms.customer_ids)
        .exclude(object_type=_contact_object_type(), object_id=contact.pk)
        .order_by("at", "id")
    )
    for row in rows.iterator(chunk_size=500):
        if terms.found_in(row.object_repr) or _mentions_in_json(row.changes, terms):
            yield row


def _masked_changes(changes: dict) -> dict:
    if changes == ERASED_CHANGES:
        return changes
    return {name: masked(value) for name, value in changes.items()}


@dataclass(frozen=True)
class AdminLogMention:
    entry: models.Model  # a django.contrib.admin LogEntry
    own: bool  # an entry on the contact itself (its name is the entry's object_repr)


def _change_message_mentions(message: str, terms: Terms) -> bool:
    try:
        return _mentions_in_json(json.loads(message), terms)
    except ValueError:
        return terms.found_in(message)


def _scrub_change_message(message: str, terms: Terms, replacement: str) -> str:
    # The admin stores a JSON list with non-ASCII escaped ("\u5f20…"): rewrite the parsed strings.
    try:
        parsed = json.loads(message)
    except ValueError:
        return terms.replace(message, replacement)
    scrubbed = _map_strings(parsed, lambda text: terms.replace(text, replacement))
    return message if scrubbed == parsed else json.dumps(scrubbed)


def _admin_log_mentions(*, contact: Contact, terms: Terms) -> list[AdminLogMention]:
    """The admin's log entries on the contact, and those on its customer that quote its values
    (an inline "added contact …"). Nothing when the admin is not installed."""
    if not apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.get_for_models(Contact, Customer)
    entries = LogEntry.objects.filter(
        Q(content_type=types[Contact], object_id=str(contact.pk))
        | Q(content_type=types[Customer], object_id__in=[str(pk) for pk in terms.customer_ids])
    ).order_by("action_time", "id")
    found = []
    for entry in entries:
        own = entry.content_type_id == types[Contact].pk
        if own or terms.found_in(entry.object_repr) or _change_message_mentions(entry.change_message, terms):
            found.append(AdminLogMention(entry=entry, own=own))
    return found


# --- Export ----------------------------------------------------------------------------------


def contacts_matching(*, email: str = "", phone: str = "") -> list[Contact]:
    """Contacts with this e-mail address (any case) or phone number (digits compared, so
    "139-1234-5678" finds "13912345678"), and deleted contacts whose audit rows recorded it."""
    email = email.strip()
    digits = _digits(phone)
    if email:
        live = list(Contact.objects.filter(email__iexact=email).order_by("pk"))
        deleted = _deleted_matching(
            "email", email, lambda value: value.strip().casefold() == email.casefold()
        )
    elif len(digits) >= 4:
        candidates = Contact.objects.filter(phone__contains=digits[-4:]).order_by("pk")
        live = [contact for contact in candidates if _digits(contact.phone) == digits]
        deleted = _deleted_matching("phone", digits[-4:], lambda value: _digits(value) == digits)
    else:
        return []
    return sorted(live + deleted, key=lambda contact: contact.pk)


def _json_text_needles(value: str) -> set[str]:
    """What to look for in a JSON document's text to find `value` in it, on any database. JSON
    escapes non-ASCII on SQLite ("\\u00e9"), where LIKE ignores case in ASCII only: its longest ASCII
    run is enough for a first pass; without one, the value as written and as escaped, in two cases."""
    longest = max(re.findall(r"[A-Za-z0-9@._+\-]+", value), key=len, default="")
    if len(longest) >= 3:
        return {longest}
    return {form for text in {value, value.lower(), value.upper()} for form in (text, json.dumps(text)[1:-1])}


def _deleted_matching(name: str, needle: str, matches: Callable[[str], bool]) -> list[Contact]:
    """Deleted contacts whose audit rows recorded a `name` that `matches`: the database narrows the
    rows by `needle` in the JSON's text, Python decides."""
    query = Q()
    for text in _json_text_needles(needle):
        query |= Q(changes_text__icontains=text)
    rows = (
        AuditEvent.objects.filter(object_type=_contact_object_type())
        .annotate(changes_text=Cast("changes", TextField()))
        .filter(query)
        .values_list("object_id", "changes")
    )
    found = set()
    for object_id, changes in rows:
        recorded = changes.get(name) if isinstance(changes, dict) else None
        if isinstance(recorded, list) and any(isinstance(v, str) and matches(v) for v in recorded):
            found.add(object_id)
    return [contact for pk in sorted(found) if (contact := deleted_contact(pk)) is not None]


def _contact_data(contact: Contact) -> dict:
    data = {}
    for f in Contact._meta.concrete_fields:
        if f.name == "customer":
            continue
        data[f.name] = getattr(contact, f.attname)
        if f.choices:
            data[f"{f.name}_display"] = str(getattr(contact, f"get_{f.name}_display")())
    return data


def _audit_data(row: AuditEvent) -> dict:
    return {
        "id": row.pk,
        "at": row.at,
        "actor_name": row.actor_name,
        "source": row.source,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object": row.object_repr,
        "changes": row.changes,
    }


def person_export(*, contact: Contact) -> dict:
    """Everything KAM holds on `contact`, as a JSON-ready dict (dates and times as Python objects;
    serialise with DjangoJSONEncoder): the contact, its customer, the visits it attended, the audit
    rows about it, and every other record of its customers that names it or quotes its phone,
    e-mail or WeChat (`mentions`: what `person_erase` rewrites). For a deleted contact, `contact`
    is what its audit rows last recorded."""
    customer = Customer.objects.filter(pk=contact.customer_id).first()
    terms = Terms.of(contact)
    visits = Visit.objects.filter(contacts=contact.pk).select_related("by").order_by("occurred_at", "id")
    return _local_times(
        {
            "exported_at": timezone.now(),
            "deleted": is_deleted(contact),
            "contact": _contact_data(contact),
            "customer": {"id": contact.customer_id, "name": customer.name if customer else ""},
            "customers_searched": list(terms.customer_ids),
            "visits": [
                {
                    "id": visit.pk,
                    "occurred_at": visit.occurred_at,
                    "kind": visit.kind,
                    "kind_display": visit.get_kind_display(),
                    "logged_by": visit.by.get_username() if visit.by else "",
                    "summary": visit.summary,
                    "needs": visit.needs,
                    "objections": visit.objections,
                    "next_step": visit.next_step,
                    "follow_up_on": visit.follow_up_on,
                    "follow_up_done_at": visit.follow_up_done_at,
                }
                for visit in visits
            ],
            "audit": [_audit_data(row) for row in _own_audit_rows(contact)],
            "mentions": {
                "text": [
                    {"table": mention.table, "id": mention.pk, "field": name, "text": text}
                    for mention in _text_mentions(contact=contact, terms=terms)
                    for name, text in mention.texts.items()
                ],
                "audit": [_audit_data(row) for row in _audit_mentions(contact=contact, terms=terms)],
                "admin_log": [
                    {
                        "id": mention.entry.pk,
                        "action_time": mention.entry.action_time,
                        "user": mention.entry.user.get_username() if mention.entry.user_id else "",
                        "action_flag": mention.entry.action_flag,
                        "object": mention.entry.object_repr,
                        "change_message": mention.entry.get_change_message(),
                    }
                    for mention in _admin_log_mentions(contact=contact, terms=terms)
                ],
                "name_searched": not terms.name_shared,
            },
        }
    )


def _local_times(value):
    """Times in the local time zone, as the person reading the export lives them."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    if isinstance(value, list):
        return [_local_times(item) for item in value]
    if isinstance(value, dict):
        return {key: _local_times(item) for key, item in value.items()}
    return value


# --- Erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    """What one `person_erase` changed; no personal value in it, so it can be printed and logged."""

    contact_id: int
    placeholder: str
    deleted: bool = False  # the contact was deleted before: only its copies were left
    contact_row: bool = False  # the contact itself still held personal data
    texts: dict[str, int] = field(default_factory=dict)  # table → rows whose free text was rewritten
    audit_rows: int = 0
    admin_log_entries: int = 0
    name_left_in_text: bool = False  # another contact of the customer has the same name

    @property
    def changed(self) -> bool:
        return self.contact_row or bool(self.texts) or bool(self.audit_rows) or bool(self.admin_log_entries)


def _erased_values(contact: Contact) -> dict:
    values = {}
    for f in Contact._meta.concrete_fields:
        if f.name in KEPT_FIELDS:
            continue
        if f.name == "name":
            values[f.attname] = placeholder(contact.pk)
        else:
            values[f.attname] = None if f.null else f.get_default()
    # The name's pinyin is the placeholder's, as save() derives it, so a second run changes nothing.
    erased = Contact(name=values["name"])
    erased.derive_from_name()
    values.update({name: getattr(erased, name) for name in Contact.NAME_DERIVED})
    return values


@transaction.atomic
def person_erase(*, contact: Contact) -> ErasureReport:
    """Anonymise `contact` and its copies, in one transaction; running it again changes nothing.

    The contact row stays, with a placeholder name and only its place in the buying committee. Free
    text under its customers (every one it belonged to) has its name, phone, e-mail and WeChat
    replaced by the placeholder (its name is left when another contact of those customers has the
    same one: the text may mean them). Its own audit rows keep their field names with every value
    masked; rows on the customers' other records and the admin's log entries have the values
    replaced. One audit row records the erasure. A deleted contact (`deleted_contact`) has no row
    left; the rest is the same. Instances of the customers' other records loaded before the call
    are stale afterwards.
    """
    deleted = is_deleted(contact)
    if not deleted:
        Contact.objects.select_for_update().filter(pk=contact.pk).exists()  # one erasure at a time
        contact.refresh_from_db()
    terms = Terms.of(contact)
    erased_name = placeholder(contact.pk)

    def scrub(text: str) -> str:
        return terms.replace(text, erased_name)

    texts: dict[str, int] = {}
    for mention in list(_text_mentions(contact=contact, terms=terms)):
        fields = {f.name: f for f in mention.place.model._meta.concrete_fields}
        rewritten = {name: scrub(text)[: fields[name].max_length] for name, text in mention.texts.items()}
        # update(), not save(): no audit row quoting the old text, no signal, no full_clean of old data.
        mention.place.model._base_manager.filter(pk=mention.pk).update(**rewritten)
        texts[mention.table] = texts.get(mention.table, 0) + 1

    audit_rows = 0
    for row in list(_audit_mentions(contact=contact, terms=terms)):
        row.object_repr = scrub(row.object_repr)[:200]
        row.changes = _map_strings(row.changes, scrub)
        row.save(update_fields=["object_repr", "changes"])
        audit_rows += 1
    for row in _own_audit_rows(contact):
        masked = _masked_changes(row.changes)
        if row.object_repr != erased_name or masked != row.changes:
            row.object_repr, row.changes = erased_name, masked
            row.save(update_fields=["object_repr", "changes"])
            audit_rows += 1

    admin_log_entries = 0
    for mention in _admin_log_mentions(contact=contact, terms=terms):
        entry = mention.entry
        object_repr = erased_name if mention.own else scrub(entry.object_repr)[:200]
        message = _scrub_change_message(entry.change_message, terms, erased_name)
        if (object_repr, message) != (entry.object_repr, entry.change_message):
            type(entry).objects.filter(pk=entry.pk).update(object_repr=object_repr, change_message=message)
            admin_log_entries += 1

    values = {} if deleted else _erased_values(contact)
    contact_row = any(getattr(contact, name) != value for name, value in values.items())
    if contact_row:
        for name, value in values.items():
            setattr(contact, name, value)
        # Not full_clean(): what is written is valid by construction, and an unrelated invalid old
        # value must not block an erasure. Suppressed: the model signal would record old → new.
        with audit_suppressed():
            contact.save(update_fields=[*values, "updated_at"])

    report = ErasureReport(
        contact_id=contact.pk,
        placeholder=erased_name,
        deleted=deleted,
        contact_row=contact_row,
        texts=texts,
        audit_rows=audit_rows,
        admin_log_entries=admin_log_entries,
        name_left_in_text=terms.name_shared,
    )
    if report.changed:
        record(
            object_type=_contact_object_type(),
            object_id=contact.pk,
            object_repr=erased_name,
            action=Action.UPDATE,
            changes=ERASED_CHANGES,
            customer_id=contact.customer_id,
        )
    return report
