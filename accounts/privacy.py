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
the name becomes a placeholder. Only the customer's own records are searched for the person's values: a
common name in another customer's notes most likely means someone else.
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
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.context import audit_suppressed
from audit.models import Action, AuditEvent
from audit.services import MASK, record, spec_for

from .models import Contact, Customer

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
    name_shared: bool = False  # another contact of the customer has (had) the same name: not looked for

    @classmethod
    def of(cls, contact: Contact) -> "Terms":
        known: dict[str, set[str]] = {name: {getattr(contact, name) or ""} for name in IDENTIFYING_FIELDS}
        for changes in _own_audit_rows(contact).values_list("changes", flat=True):
            for name in IDENTIFYING_FIELDS:
                recorded = changes.get(name) if isinstance(changes, dict) else None
                if isinstance(recorded, list):
                    known[name].update(value for value in recorded if isinstance(value, str))
        others = {
            name.strip().casefold()
            for name in Contact.objects.filter(customer_id=contact.customer_id)
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
        return cls(values=tuple(sorted(values.values(), key=len, reverse=True)), name_shared=bool(shared))

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
        rows = place.model._base_manager.filter(**{place.customer_lookup: contact.customer_id}).filter(query)
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


def _own_audit_rows(contact: Contact) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=_contact_object_type(), object_id=contact.pk).order_by(
        "at", "id"
    )


def _audit_mentions(*, contact: Contact, terms: Terms) -> Iterator[AuditEvent]:
    """Rows on the customer's other records that quote the contact's values. Read in Python: JSON
    is stored escaped on SQLite, so the database cannot be asked to look inside it everywhere."""
    if not terms.values:
        return
    rows = (
        AuditEvent.objects.filter(customer_id=contact.customer_id)
        .exclude(object_type=_contact_object_type(), object_id=contact.pk)
        .order_by("at", "id")
    )
    for row in rows.iterator(chunk_size=500):
        if terms.found_in(row.object_repr) or _mentions_in_json(row.changes, terms):
            yield row


def _masked(value: JsonValue) -> JsonValue:
    """A recorded value hidden: [old, new] and added/removed lists keep their shape, and an empty
    value stays empty ("was empty" says nothing about anyone)."""
    if value is None or value == "":
        return value
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, dict) and set(value) <= {"added", "removed"}:
        return {key: _masked(item) for key, item in value.items()}
    return MASK


def _masked_changes(changes: dict) -> dict:
    if changes == ERASED_CHANGES:
        return changes
    return {name: _masked(value) for name, value in changes.items()}


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
        | Q(content_type=types[Customer], object_id=str(contact.customer_id))
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
    "139-1234-5678" finds "13912345678")."""
    if email.strip():
        return list(
            Contact.objects.select_related("customer").filter(email__iexact=email.strip()).order_by("pk")
        )
    digits = _digits(phone)
    if len(digits) < 4:
        return []
    candidates = Contact.objects.select_related("customer").filter(phone__contains=digits[-4:]).order_by("pk")
    return [contact for contact in candidates if _digits(contact.phone) == digits]


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
    rows about it, and every other record of the customer that names it or quotes its phone,
    e-mail or WeChat (`mentions`: what `person_erase` rewrites)."""
    customer = contact.customer
    terms = Terms.of(contact)
    visits = contact.visits.select_related("by").order_by("occurred_at", "id")
    return _local_times(
        {
            "exported_at": timezone.now(),
            "contact": _contact_data(contact),
            "customer": {"id": customer.pk, "name": customer.name},
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
    return values


@transaction.atomic
def person_erase(*, contact: Contact) -> ErasureReport:
    """Anonymise `contact` and its copies, in one transaction; running it again changes nothing.

    The contact row stays, with a placeholder name and only its place in the buying committee. Free
    text under its customer has its name, phone, e-mail and WeChat replaced by the placeholder (its
    name is left when another contact of the customer has the same one: the text may mean them).
    Its own audit rows keep their field names with every value masked; rows on the customer's other
    records and the admin's log entries have the values replaced. One audit row records the erasure.
    Instances of the customer's other records loaded before the call are stale afterwards.
    """
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

    values = _erased_values(contact)
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
