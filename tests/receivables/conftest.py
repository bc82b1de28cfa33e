"""What the payment-collection tests share: a rep's customer with a won opportunity."""

from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import Stage
from tests.factories import CustomerFactory, OpportunityFactory


def D(value: str) -> Decimal:  # noqa: N802 - reads as the amount it is
    return Decimal(value)


def day(text: str) -> date:
    return date.fromisoformat(text)


def won_opportunity(customer, title: str = "年度框架合同", amount: str = "100000.00"):
    return OpportunityFactory(
        customer=customer, title=title, stage=Stage.WON, probability=100, expected_amount=Decimal(amount)
    )


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="回款测试客户有限公司")


@pytest.fixture
def won(customer):
    return won_opportunity(customer)
