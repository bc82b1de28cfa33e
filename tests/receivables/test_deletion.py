"""A customer or won deal that money hangs on cannot be deleted, and says so (400, not a 409 'clash')."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import Customer
from pipeline.models import Opportunity
from receivables.services import PaymentRow, payments_upsert, plan_create

pytestmark = pytest.mark.django_db


def test_a_won_opportunity_with_a_payment_plan_is_not_deleted(api_client, rep, won):
    plan_create(
        opportunity=won,
        by=rep,
        contract_amount=Decimal(100000),
        installments=[(date(2026, 1, 31), Decimal(100000))],
    )
    api_client.force_authenticate(rep)
    with translation.override("en"):
        answer = api_client.delete(f"/api/v1/opportunities/{won.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400, answer.content
    assert answer.json() == {
        "non_field_errors": ["Opportunity cannot be deleted while it has payment plans."]
    }
    assert Opportunity.objects.filter(pk=won.pk).exists()


def test_a_customer_with_payments_is_not_deleted(api_client, rep, manager, customer):
    payments_upsert(
        rows=[
            PaymentRow(
                customer_id=customer.pk, reference="ERP-1", received_on=date(2026, 3, 1), amount=Decimal(5)
            )
        ],
        by=manager,
    )
    api_client.force_authenticate(rep)
    answer = api_client.delete(f"/api/v1/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400, answer.content
    assert answer.json() == {"non_field_errors": ["Customer cannot be deleted while it has payments."]}
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_message_reads_in_chinese(api_client, rep, won):
    plan_create(
        opportunity=won, by=rep, contract_amount=Decimal(1), installments=[(date(2026, 1, 31), Decimal(1))]
    )
    api_client.force_authenticate(rep)
    answer = api_client.delete(f"/api/v1/customers/{won.customer_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400, answer.content
    assert answer.json() == {"non_field_errors": ["客户还有回款计划，不能删除。"]}
