"""An opportunity's and an account plan's title has at least one letter, Chinese character or
digit (web/names.py): refused on the page forms, the API (400 on the field) and the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipeline.models import AccountPlan, Opportunity
from pipeline.services import account_plan_save, opportunity_create
from tests.factories import CustomerFactory, OpportunityFactory
from tests.pipeline.test_plans import plan_form

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOT_A_NAME = (
    "Enter at least one letter, Chinese character or digit; emoji or punctuation alone is not a name."
)


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep)


def test_the_services_refuse_titles_without_letters(rep, customer, gate_items):
    with pytest.raises(ValidationError) as opportunity:
        opportunity_create(customer=customer, by=rep, title="💰💰💰", expected_amount=Decimal(1))
    plan = AccountPlan(
        customer=customer, title="——", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    with pytest.raises(ValidationError) as account_plan:
        account_plan_save(plan=plan, by=rep)

    for refused in (opportunity, account_plan):
        assert [e.code for e in refused.value.error_dict["title"]] == ["name_without_letters"]
    assert not Opportunity.objects.exists()
    assert not AccountPlan.objects.exists()
    # A title with something to read out is fine, emoji and all.
    assert opportunity_create(customer=customer, by=rep, title="💰 二期扩容", expected_amount=Decimal(1)).pk


def test_the_page_forms_refuse_titles_without_letters(client, rep, customer, gate_items):
    opportunity = OpportunityFactory(customer=customer, title="年度框架协议")
    client.force_login(rep)
    opportunity_fields = {"title": "🔥🔥", "expected_amount": "1000", "probability": ""}

    responses = [
        client.post(f"/customers/{customer.pk}/opportunities/new/", opportunity_fields),
        client.post(f"/pipeline/opportunities/{opportunity.pk}/edit/", opportunity_fields),
        client.post(f"/customers/{customer.pk}/plans/new/", plan_form(title="？？？")),
    ]

    for response in responses:
        assert response.status_code == 200
        assert 'data-testid="error-title"' in response.content.decode()
    assert list(Opportunity.objects.values_list("title", flat=True)) == ["年度框架协议"]
    assert not AccountPlan.objects.exists()


def test_the_api_refuses_titles_without_letters_with_a_400_on_the_field(
    api_client, rep, customer, gate_items
):
    opportunity = OpportunityFactory(customer=customer, title="年度框架协议")
    api_client.force_authenticate(rep)
    plan = {"customer": customer.pk, "title": "!!!", "period_start": "2026-01-01", "period_end": "2026-12-31"}

    responses = [
        api_client.post(
            "/api/v1/opportunities/", {"customer": customer.pk, "title": "🎯"}, format="json", **EN
        ),
        api_client.patch(f"/api/v1/opportunities/{opportunity.pk}/", {"title": "……"}, format="json", **EN),
        api_client.post("/api/v1/account-plans/", plan, format="json", **EN),
    ]

    for response in responses:
        assert (response.status_code, response.json()) == (400, {"title": [NOT_A_NAME]})
    assert list(Opportunity.objects.values_list("title", flat=True)) == ["年度框架协议"]
    assert not AccountPlan.objects.exists()
