"""A contact's phone: a mainland mobile, a landline with its area code or an international number,
stored in one readable form (accounts/phones.py); anything else is a field error on the page form,
the API (400) and the services. No import carries a phone (customers and transactions only)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import Contact
from accounts.phones import MESSAGE, MESSAGE_AREA_CODE, normalise_phone
from accounts.services import contact_save, contacts_create
from tests.factories import ContactFactory, CustomerFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
INVALID = (
    "Enter a mobile number (11 digits, e.g. 13812345678), a landline with its area code "
    "(e.g. 021-12345678) or an international number starting with + (e.g. +852 2123 4567)."
)
AREA_CODE = "Add the area code to the landline number, e.g. 021-12345678."


# --- The rule itself (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("   ", ""),
        # Mobiles: the 11 digits, however they were typed.
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width, from a Chinese input method
        ("19912345678", "19912345678"),
        ("14012345678", "14012345678"),  # 1[3-9] and 11 digits, whatever is allocated today
        # Landlines: area code, hyphen, number; an extension after 转.
        ("021-12345678", "021-12345678"),
        ("02112345678", "021-12345678"),
        ("(021)12345678", "021-12345678"),
        ("（０２１）１２３４５６７８", "021-12345678"),
        ("0755 1234 5678", "0755-12345678"),
        ("010-62345678", "010-62345678"),
        ("+86 21 1234 5678", "021-12345678"),
        ("021-12345678-801", "021-12345678转801"),
        ("021-12345678转801", "021-12345678转801"),
        ("0755-12345678 转 8001", "0755-12345678转8001"),
        ("021-12345678 分机 801", "021-12345678转801"),
        ("021 1234 5678 ext. 801", "021-12345678转801"),
        # Elsewhere: international format.
        ("+852 2123 4567", "+852 2123 4567"),
        ("+1 650 253 0000", "+1 650-253-0000"),
        ("00 44 20 7946 0958", "+44 20 7946 0958"),
        ("+886 2 2345 6789", "+886 2 2345 6789"),
    ],
)
def test_accepted_numbers_are_stored_in_one_form(typed, stored):
    assert normalise_phone(typed) == stored
    assert normalise_phone(stored) == stored  # saving again changes nothing


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12345678", "phone_without_area_code"),  # a landline without its area code
        ("6234 5678", "phone_without_area_code"),
        ("2112345678", "phone_without_area_code"),  # 021 without its 0, or a typo: ask
        ("1381234567", "invalid_phone"),  # a digit short
        ("138123456789", "invalid_phone"),  # a digit too many
        ("12812345678", "invalid_phone"),  # 11 digits, but no mobile starts 12
        ("10012345678", "invalid_phone"),
        ("021-1234567", "invalid_phone"),  # Shanghai numbers have 8 digits
        ("400-812-3123", "invalid_phone"),  # a hotline is not a person's number
        ("800-820-8820", "invalid_phone"),
        ("+852 123", "invalid_phone"),
        ("13812345678转1", "invalid_phone"),  # a mobile has no extension
        ("138-1234-567a", "invalid_phone"),
        ("+1-800-FLOWERS", "invalid_phone"),
        ("电话待补", "invalid_phone"),
        ("📞", "invalid_phone"),
        ("+", "invalid_phone"),
        ("--", "invalid_phone"),
    ],
)
def test_anything_else_is_refused(typed, code):
    with pytest.raises(ValidationError) as refused:
        normalise_phone(typed)
    assert refused.value.code == code


def test_the_messages_say_what_to_type():
    with translation.override("en"):
        assert (str(MESSAGE), str(MESSAGE_AREA_CODE)) == (INVALID, AREA_CODE)


# --- Model validation and the services -------------------------------------------------------


@pytest.mark.django_db
def test_saving_a_contact_stores_the_normalised_number(rep):
    contact = contact_save(
        contact=Contact(customer=CustomerFactory(owner=rep), name="王伟", phone="+86 138-1234-5678")
    )
    contact.refresh_from_db()
    assert contact.phone == "13812345678"


@pytest.mark.django_db
def test_a_bad_number_is_a_field_error_and_writes_nothing(rep):
    with pytest.raises(ValidationError) as refused:
        contact_save(contact=Contact(customer=CustomerFactory(owner=rep), name="王伟", phone="62345678"))
    assert {field: [e.code for e in errors] for field, errors in refused.value.error_dict.items()} == {
        "phone": ["phone_without_area_code"]
    }
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_batch_with_one_bad_number_writes_nothing(rep):
    customer = CustomerFactory(owner=rep)
    with pytest.raises(ValidationError) as refused:
        contacts_create(
            contacts=[
                Contact(customer=customer, name="王伟", phone="13812345678"),
                Contact(customer=customer, name="李娜", phone="400-812-3123"),
            ]
        )
    assert list(refused.value.message_dict) == ["phone"]
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_form_without_the_phone_leaves_an_old_number_alone(rep):
    # The admin's contact rows under a customer do not show the phone: an old number that does not
    # follow the rule must not stop them (nor turn into an error on a field the form lacks).
    contact = ContactFactory(customer=CustomerFactory(owner=rep), name="王伟", phone="62345678")
    RowForm = forms.modelform_factory(Contact, fields=["name", "title"])  # noqa: N806

    form = RowForm({"name": "王伟", "title": "总经理"}, instance=contact)

    assert form.is_valid(), form.errors
    assert contact.phone == "62345678"


# --- The page form ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_contact_form_stores_the_normalised_number(client, rep):
    customer = CustomerFactory(owner=rep)
    client.force_login(rep)

    response = client.post(
        f"/customers/{customer.pk}/contacts/new/", {"name": "王伟", "phone": "0755 1234 5678"}
    )

    assert response.status_code == 302
    assert Contact.objects.get().phone == "0755-12345678"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phone", "code"), [("62345678", "phone_without_area_code"), ("1381234567", "invalid_phone")]
)
def test_the_contact_form_refuses_a_bad_number(client, rep, phone, code):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="王伟", phone="13812345678")
    client.force_login(rep)

    created = client.post(f"/customers/{customer.pk}/contacts/new/", {"name": "李娜", "phone": phone})
    edited = client.post(
        f"/customers/{customer.pk}/contacts/{contact.pk}/edit/", {"name": "王伟", "phone": phone}
    )

    for response in (created, edited):
        assert response.status_code == 200
        assert {
            f: [e.code for e in errors] for f, errors in response.context["form"].errors.as_data().items()
        } == {"phone": [code]}
        assert 'data-testid="error-phone"' in response.content.decode()
    assert list(Contact.objects.values_list("name", "phone")) == [("王伟", "13812345678")]


# --- The API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_answers_with_the_stored_number(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/contacts/",
        {"customer": customer.pk, "name": "王伟", "phone": "021 1234 5678 转 8"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["phone"] == "021-12345678转8"
    assert Contact.objects.get().phone == "021-12345678转8"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phone", "message"), [("62345678", AREA_CODE), ("400-812-3123", INVALID), ("n/a", INVALID)]
)
def test_the_api_refuses_a_bad_number_with_a_400_on_the_field(api_client, rep, phone, message):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="王伟", phone="13812345678")
    api_client.force_authenticate(rep)

    created = api_client.post(
        "/api/v1/contacts/", {"customer": customer.pk, "name": "李娜", "phone": phone}, format="json", **EN
    )
    patched = api_client.patch(f"/api/v1/contacts/{contact.pk}/", {"phone": phone}, format="json", **EN)

    for response in (created, patched):
        assert (response.status_code, response.json()) == (400, {"phone": [message]})
    assert list(Contact.objects.values_list("name", "phone")) == [("王伟", "13812345678")]
