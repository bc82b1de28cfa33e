"""A name has at least one letter, Chinese character or digit (web/names.py): customers, contacts,
competitors and teams, on the page forms, the API (400 on the field), the services and the import."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import CompetitorPresence, Contact, Customer
from accounts.services import contact_save, customer_create
from tests.accounts.test_io_import import csv_file, row_errors
from tests.factories import CustomerFactory
from users.models import Team
from web.names import MESSAGE, has_name_character

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOT_A_NAME = (
    "Enter at least one letter, Chinese character or digit; emoji or punctuation alone is not a name."
)
JUNK = ["🎉", "🎉🎉🎉", "？？？", "——", "...", "(*_*)", "👍🏻", "\u200b"]


@pytest.mark.parametrize("name", ["华", "a", "É", "3", "３", "あ", "한", "Ⅻ", "3M", "🎉 华信 🎉", "A&B"])
def test_a_letter_or_digit_of_any_script_makes_a_name(name):
    assert has_name_character(name)


@pytest.mark.parametrize("name", ["", *JUNK])
def test_emoji_punctuation_and_invisible_characters_alone_do_not(name):
    assert not has_name_character(name)


def test_the_message_says_what_is_missing():
    with translation.override("en"):
        assert str(MESSAGE) == NOT_A_NAME


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


# --- Model validation and the services -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", JUNK)
def test_a_customer_needs_a_real_name(rep, name):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name=name)
    assert codes(refused.value) == {"name": ["name_without_letters"]}
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_contact_needs_a_real_name(rep):
    with pytest.raises(ValidationError) as refused:
        contact_save(contact=Contact(customer=CustomerFactory(owner=rep), name="😀😀"))
    assert codes(refused.value) == {"name": ["name_without_letters"]}
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_competitor_and_a_team_need_real_names(rep):
    competitor = CompetitorPresence(customer=CustomerFactory(owner=rep), competitor="？？")
    with pytest.raises(ValidationError) as refused_competitor:
        competitor.full_clean()
    with pytest.raises(ValidationError) as refused_team:
        Team(name="🚀🚀").full_clean()
    assert codes(refused_competitor.value) == {"competitor": ["name_without_letters"]}
    assert codes(refused_team.value) == {"name": ["name_without_letters"]}
    Team(name="华南大客户部 🚀").full_clean()


# --- Page forms ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_and_contact_forms_refuse_emoji_names(client, rep):
    customer = CustomerFactory(owner=rep)
    client.force_login(rep)

    new_customer = client.post("/customers/new/", {"name": "🎉🎉", "status": "prospect"})
    edited_customer = client.post(f"/customers/{customer.pk}/edit/", {"name": "！！！", "status": "prospect"})
    new_contact = client.post(f"/customers/{customer.pk}/contacts/new/", {"name": "🙂"})

    for response, field in ((new_customer, "name"), (edited_customer, "name"), (new_contact, "name")):
        assert response.status_code == 200
        assert [e.code for e in response.context["form"].errors.as_data()[field]] == ["name_without_letters"]
        assert f'data-testid="error-{field}"' in response.content.decode()
    assert list(Customer.objects.values_list("name", flat=True)) == [customer.name]
    assert not Contact.objects.exists()


# --- API -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_refuses_emoji_names_with_a_400_on_the_field(api_client, rep):
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    responses = [
        api_client.post("/api/v1/customers/", {"name": "🎉🎉"}, format="json", **EN),
        api_client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "。。。"}, format="json", **EN),
        api_client.post("/api/v1/contacts/", {"customer": customer.pk, "name": "👍"}, format="json", **EN),
    ]

    for response in responses:
        assert (response.status_code, response.json()) == (400, {"name": [NOT_A_NAME]})
    assert list(Customer.objects.values_list("name", flat=True)) == [customer.name]
    assert not Contact.objects.exists()


# --- Import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_import_refuses_a_row_without_a_real_name(client, rep):
    client.force_login(rep)

    upload = csv_file(["name,region", "苏州新材料有限公司,华东", "🎉🎉,华东"])

    response = client.post("/customers/import/", {"file": upload}, **EN)

    assert row_errors(response) == [(3, "name")]
    assert [error.message for error in response.context["errors"]] == [NOT_A_NAME]
    assert not Customer.objects.exists()
