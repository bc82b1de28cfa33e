"""Personal data requests (PIPL/GDPR): `person_export` shows everything held on a contact, and
`person_erase` leaves none of their values anywhere in the database while the contact keeps its
place in the buying committee."""

import io
import json
import stat

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils import translation

from accounts import privacy
from accounts.models import BuyingRole, Contact, Customer, Visit
from audit.models import AuditEvent
from tests.factories import ContactFactory, CustomerFactory, VisitFactory

pytestmark = pytest.mark.django_db


def run(*args, **kwargs):
    """The commands speak the active language (Chinese by default, and a request made before
    leaves it active); these tests read English."""
    with translation.override("en"):
        return call_command(*args, **kwargs)


NAME = "植入张三"
PHONE = "13912345678"
OLD_PHONE = "13911112222"
EMAIL = "plant@example.com"
OLD_EMAIL = "zhang.old@example.org"
WECHAT = "plant_wx"
BIRTHDAY = "1971-03-14"
HOMETOWN = "植入籍贯温州"
INTERESTS = "植入爱好高尔夫"
FAMILY = "植入家属女儿在读大学"
NOTES = "植入备注喜欢喝茶"
PLANTED = [NAME, PHONE, OLD_PHONE, EMAIL, OLD_EMAIL, WECHAT, BIRTHDAY, HOMETOWN, INTERESTS, FAMILY, NOTES]


def holding(strings: list[str]) -> set[tuple[str, str]]:
    """(table, column) of every text or JSON column, in every table, that holds one of `strings`,
    as written or as JSON escapes it ("\\u690d…", how the admin's log stores Chinese)."""
    needles = set(strings) | {json.dumps(string)[1:-1] for string in strings}
    found = set()
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                column = Cast(field.attname, models.TextField())
            elif isinstance(field, models.CharField | models.TextField):
                column = F(field.attname)
            else:
                continue
            query = Q()
            for needle in needles:
                query |= Q(as_text__icontains=needle)
            if model._base_manager.annotate(as_text=column).filter(query).exists():
                found.add((model._meta.label_lower, field.name))
    return found


def erase_command(*args, **kwargs) -> str:
    out = io.StringIO()
    run("person_erase", *args, stdout=out, **kwargs)
    return out.getvalue()


def export_command(*args) -> dict:
    out = io.StringIO()
    run("person_export", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="苏州精工有限公司")


@pytest.fixture
def contact(api_client, client, rep, admin_user, customer, rf):
    """A decision maker with a personal profile and a history, written the ways KAM writes them."""
    api_client.force_authenticate(rep)
    created = api_client.post(
        "/api/v1/contacts/",
        {
            "customer": customer.pk,
            "name": NAME,
            "title": "采购总监",
            "phone": OLD_PHONE,
            "email": OLD_EMAIL,
            "buying_role": "decision_maker",
            "influence": 5,
            "relationship_strength": 3,
            "attitude": "supporter",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = api_client.patch(
        f"/api/v1/contacts/{pk}/",
        {
            "phone": PHONE,
            "email": EMAIL,
            "wechat": WECHAT,
            "birthday": BIRTHDAY,
            "hometown": HOMETOWN,
            "interests": INTERESTS,
            "family": FAMILY,
            "notes": NOTES,
        },
        format="json",
    )
    assert changed.status_code == 200, changed.content
    responses = [
        api_client.patch(
            f"/api/v1/customers/{customer.pk}/", {"notes": f"决策人{NAME}，手机{PHONE}"}, format="json"
        ),
        api_client.post(
            "/api/v1/visits/",
            {
                "customer": customer.pk,
                "occurred_at": "2025-03-01T10:00:00+08:00",
                "contacts": [pk],
                "summary": f"与{NAME}面谈，手机{PHONE}",
                "needs": f"资料发到{EMAIL.upper()}",
                "next_step": f"旧号码{OLD_PHONE}已停用",
            },
            format="json",
        ),
        api_client.post(
            "/api/v1/contacts/",
            {"customer": customer.pk, "name": "李四", "notes": f"向{NAME}汇报，微信{WECHAT}"},
            format="json",
        ),
        api_client.post(
            "/api/v1/opportunities/",
            {"customer": customer.pk, "title": "二期产线", "obstacles": f"{NAME}担心交期"},
            format="json",
        ),
        api_client.post(
            "/api/v1/account-plans/",
            {
                "customer": customer.pk,
                "title": "2026 联合生意计划",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "summary": f"每月与{NAME}复盘",
                "actions": [{"description": f"加微信{WECHAT}", "owner": rep.pk}],
            },
            format="json",
        ),
    ]
    assert [response.status_code for response in responses] == [200, 201, 201, 201, 201], [
        response.content for response in responses
    ]
    # The admin: an edit of the contact, and the customer's "added contact …" from its inline.
    client.force_login(admin_user)
    edited = client.post(
        f"/admin/accounts/contact/{pk}/change/",
        {
            "customer": customer.pk,
            "name": NAME,
            "title": "采购副总裁",
            "phone": PHONE,
            "email": EMAIL,
            "wechat": WECHAT,
            "buying_role": "decision_maker",
            "influence": 5,
            "relationship_strength": 3,
            "attitude": "supporter",
            "notes": NOTES,
            "hometown": HOMETOWN,
            "birthday": BIRTHDAY,
            "interests": INTERESTS,
            "family": FAMILY,
            "_save": "Save",
        },
    )
    assert edited.status_code == 302, edited.content
    request = rf.post("/admin/")
    request.user = admin_user
    admin.site._registry[Customer].log_change(
        request, customer, [{"added": {"name": "contact", "object": NAME}}]
    )
    return Contact.objects.get(pk=pk)


# --- Export --------------------------------------------------------------------------------------


def test_the_export_holds_the_contact_its_visits_its_history_and_every_mention(contact, customer):
    data = export_command(contact.pk)

    assert data["contact"]["name"] == NAME
    assert data["contact"]["phone"] == PHONE
    assert data["contact"]["birthday"] == BIRTHDAY
    assert data["contact"]["buying_role"] == "decision_maker"
    with translation.override("en"):
        assert data["contact"]["buying_role_display"] == str(BuyingRole.DECISION_MAKER.label)
    assert data["customer"] == {"id": customer.pk, "name": "苏州精工有限公司"}
    [visit] = data["visits"]
    assert visit["summary"] == f"与{NAME}面谈，手机{PHONE}"
    assert [(row["action"], row["source"]) for row in data["audit"]] == [
        ("create", "api"),
        ("update", "api"),
        ("update", "admin"),
    ]
    assert data["audit"][1]["changes"]["phone"] == [OLD_PHONE, PHONE]
    assert {(m["table"], m["field"]) for m in data["mentions"]["text"]} == {
        ("accounts.customer", "notes"),
        ("accounts.visit", "summary"),
        ("accounts.visit", "needs"),
        ("accounts.visit", "next_step"),  # the old phone number is theirs too
        ("accounts.contact", "notes"),  # 李四's notes
        ("pipeline.opportunity", "obstacles"),
        ("pipeline.accountplan", "summary"),
        ("pipeline.planaction", "description"),
    }
    assert {row["object_type"] for row in data["mentions"]["audit"]} == {"customer", "contact", "opportunity"}
    assert len(data["mentions"]["admin_log"]) == 2
    text = json.dumps(data, ensure_ascii=False)
    assert [value for value in PLANTED if value not in text] == []


def test_the_export_can_go_to_a_file_readable_by_its_owner_only(contact, tmp_path):
    target = tmp_path / "person.json"

    run("person_export", contact.pk, "--output", str(target), stdout=io.StringIO())

    assert json.loads(target.read_text(encoding="utf-8"))["contact"]["wechat"] == WECHAT
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_contact_is_found_by_email_or_phone(contact):
    assert export_command("--email", EMAIL.upper())["contact"]["id"] == contact.pk
    assert export_command("--phone", "139-1234-5678")["contact"]["id"] == contact.pk


def test_an_existing_output_file_is_made_readable_by_its_owner_only(contact, tmp_path):
    target = tmp_path / "person.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)

    run("person_export", contact.pk, "--output", str(target), stdout=io.StringIO())

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))["contact"]["id"] == contact.pk


def test_several_matches_are_listed_by_id_and_customer_without_names(contact):
    other = ContactFactory(phone="139 1234 5678", name="植入王五")

    with pytest.raises(CommandError, match="2 contacts match") as error:
        run("person_export", "--phone", PHONE, stdout=io.StringIO())

    message = str(error.value)
    assert f"#{contact.pk} (customer #{contact.customer_id})" in message
    assert f"#{other.pk} (customer #{other.customer_id})" in message
    assert [
        value for value in (NAME, "植入王五", contact.customer.name, other.customer.name) if value in message
    ] == []


@pytest.mark.parametrize("args", [["person_export", 999999], ["person_erase", 999999, "--yes"]])
def test_an_unknown_contact_is_a_clear_error(db, args):
    with pytest.raises(CommandError, match="no contact with id 999999"):
        run(*args, stdout=io.StringIO())


# --- Erasure -------------------------------------------------------------------------------------


def test_after_erasure_no_planted_value_is_left_in_any_table(contact, customer):
    before = holding(PLANTED)
    assert before >= {
        ("accounts.contact", "name"),
        ("accounts.contact", "notes"),
        ("accounts.customer", "notes"),
        ("accounts.visit", "summary"),
        ("audit.auditevent", "changes"),
        ("audit.auditevent", "object_repr"),
        ("pipeline.opportunity", "obstacles"),
        ("pipeline.accountplan", "summary"),
        ("pipeline.planaction", "description"),
        ("admin.logentry", "object_repr"),
        ("admin.logentry", "change_message"),
    }, "the search must see the planted values before the erasure"
    rows_before = AuditEvent.objects.count()

    output = erase_command(contact.pk, "--yes")

    assert holding(PLANTED) == set()
    erased_name = privacy.placeholder(contact.pk)
    assert erased_name in output
    contact.refresh_from_db()
    assert contact.name == erased_name
    assert (contact.customer_id, contact.buying_role, contact.influence) == (customer.pk, "decision_maker", 5)
    assert (contact.relationship_strength, contact.attitude) == (3, "supporter")
    assert (contact.title, contact.phone, contact.email, contact.wechat, contact.notes) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert (contact.birthday, contact.age, contact.hometown, contact.family) == (None, None, "", "")
    visit = Visit.objects.get(customer=customer)
    assert list(visit.contacts.all()) == [contact]
    assert visit.summary == f"与{erased_name}面谈，手机{erased_name}"
    assert customer.contacts.get(name="李四").notes == f"向{erased_name}汇报，微信{erased_name}"
    assert AuditEvent.objects.count() == rows_before + 1
    erasure = AuditEvent.objects.order_by("pk").last()
    assert (erasure.object_type, erasure.object_id, erasure.action) == ("contact", contact.pk, "update")
    assert (erasure.source, erasure.object_repr) == ("command", erased_name)
    assert erasure.changes == {"erased": [None, "personal data"]}
    created, changed, *_ = AuditEvent.objects.filter(object_type="contact", object_id=contact.pk).order_by(
        "id"
    )
    assert created.changes["name"] == [None, "******"]  # which fields changed, and when, stays known
    assert changed.changes["phone"] == ["******", "******"]


def test_erasing_twice_changes_nothing_the_second_time(contact):
    erase_command(contact.pk, "--yes")
    rows = list(AuditEvent.objects.order_by("pk").values())
    values = Contact.objects.filter(pk=contact.pk).values().get()

    output = erase_command(contact.pk, "--yes")

    assert "nothing to erase" in output
    assert list(AuditEvent.objects.order_by("pk").values()) == rows
    assert Contact.objects.filter(pk=contact.pk).values().get() == values


def test_a_name_another_contact_shares_is_left_in_text_but_the_phone_is_not(rep):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="王伟", phone=PHONE)
    ContactFactory(customer=customer, name="王伟")
    visit = VisitFactory(customer=customer, summary=f"王伟，手机{PHONE}")

    report = privacy.person_erase(contact=contact)

    assert report.name_left_in_text
    visit.refresh_from_db()
    assert visit.summary == f"王伟，手机{privacy.placeholder(contact.pk)}"


def test_a_number_inside_a_longer_number_is_not_replaced(rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep), phone=PHONE)
    visit = VisitFactory(customer=contact.customer, summary=f"订单号{PHONE}9")

    privacy.person_erase(contact=contact)

    visit.refresh_from_db()
    assert visit.summary == f"订单号{PHONE}9"


def snapshot() -> tuple:
    return (
        list(Contact.objects.order_by("pk").values()),
        list(Visit.objects.order_by("pk").values()),
        list(AuditEvent.objects.order_by("pk").values()),
    )


def test_without_yes_a_run_nobody_can_answer_is_refused_and_changes_nothing(contact):
    before = snapshot()

    with pytest.raises(CommandError, match="--yes"):
        erase_command(contact.pk, stdin=io.StringIO())

    assert snapshot() == before


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_contact_id_must_be_typed(contact):
    before = snapshot()

    with pytest.raises(CommandError, match="Not confirmed"):
        erase_command(contact.pk, stdin=Terminal("yes\n"))
    assert snapshot() == before

    output = erase_command(contact.pk, stdin=Terminal(f"{contact.pk}\n"))

    assert "Type its id to confirm" in output
    contact.refresh_from_db()
    assert contact.name == privacy.placeholder(contact.pk)


def test_a_contact_to_erase_can_be_named_by_email(contact):
    erase_command("--email", EMAIL, "--yes")

    assert Contact.objects.get(pk=contact.pk).email == ""


# --- A contact deleted since, and one moved to another customer ----------------------------------


def test_a_deleted_contact_is_exported_from_the_audit_trail(contact, customer, api_client):
    deleted = api_client.delete(f"/api/v1/contacts/{contact.pk}/")
    assert deleted.status_code == 204, deleted.content

    data = export_command(contact.pk)

    assert data["deleted"] is True
    assert (data["contact"]["id"], data["contact"]["name"]) == (contact.pk, NAME)
    assert (data["contact"]["phone"], data["contact"]["hometown"]) == (PHONE, HOMETOWN)
    assert data["customer"] == {"id": customer.pk, "name": "苏州精工有限公司"}
    assert [row["action"] for row in data["audit"]] == ["create", "update", "update", "delete"]
    assert ("accounts.visit", "summary") in {(m["table"], m["field"]) for m in data["mentions"]["text"]}
    text = json.dumps(data, ensure_ascii=False)
    assert [value for value in PLANTED if value not in text] == []


def test_a_deleted_contact_is_found_by_email_or_phone(contact, api_client):
    api_client.delete(f"/api/v1/contacts/{contact.pk}/")

    assert export_command("--email", EMAIL.upper())["contact"]["id"] == contact.pk
    assert export_command("--email", OLD_EMAIL)["contact"]["id"] == contact.pk
    assert export_command("--phone", "139-1234-5678")["contact"]["id"] == contact.pk


def test_a_deleted_contact_with_a_non_ascii_email_is_found_on_any_database(rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep), email="Zhāng.Wěi@例子.cn")
    pk = contact.pk
    contact.delete()

    assert export_command("--email", "ZHĀNG.WĚI@例子.CN")["contact"]["id"] == pk


def test_after_erasing_a_deleted_contact_no_planted_value_is_left_in_any_table(contact, customer, api_client):
    api_client.delete(f"/api/v1/contacts/{contact.pk}/")
    assert ("audit.auditevent", "changes") in holding(PLANTED)
    rows_before = AuditEvent.objects.count()

    output = erase_command(contact.pk, "--yes")

    assert holding(PLANTED) == set()
    assert f"#{contact.pk}" in output
    erased_name = privacy.placeholder(contact.pk)
    assert Visit.objects.get(customer=customer).summary == f"与{erased_name}面谈，手机{erased_name}"
    assert AuditEvent.objects.count() == rows_before + 1
    erasure = AuditEvent.objects.order_by("pk").last()
    assert (erasure.object_type, erasure.object_id, erasure.object_repr) == (
        "contact",
        contact.pk,
        erased_name,
    )
    assert (erasure.changes, erasure.customer_id) == ({"erased": [None, "personal data"]}, customer.pk)
    own = AuditEvent.objects.filter(object_type="contact", object_id=contact.pk).exclude(pk=erasure.pk)
    assert {row.object_repr for row in own} == {erased_name}
    removed = own.get(action="delete")
    assert removed.changes["customer"] == ["******", None]  # a foreign key's value too
    assert removed.changes["hometown"] == ["******", None]

    assert "nothing to erase" in erase_command(contact.pk, "--yes")
    assert AuditEvent.objects.count() == rows_before + 1


def test_a_contact_moved_to_another_customer_is_erased_from_the_old_ones_records_too(rep, client, admin_user):
    old = CustomerFactory(owner=rep)
    new = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=old, name=NAME, phone=PHONE)
    visit = VisitFactory(customer=old, summary=f"与{NAME}面谈，手机{PHONE}")  # not linked to the contact
    old.notes = f"手机{PHONE}"
    old.save()
    contact.customer = new
    contact.save()

    privacy.person_erase(contact=contact)

    erased_name = privacy.placeholder(contact.pk)
    visit.refresh_from_db()
    old.refresh_from_db()
    assert visit.summary == f"与{erased_name}面谈，手机{erased_name}"
    assert old.notes == f"手机{erased_name}"
    assert holding([NAME, PHONE]) == set()
