"""factory_boy factories for every model the tests build."""

from decimal import Decimal

import factory
from django.utils import timezone

from users.models import Role, Team, User

TEST_PASSWORD = "correct-horse-battery"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="zh_CN")
    last_name = factory.Faker("last_name", locale="zh_CN")
    role = Role.REP
    is_staff = factory.LazyAttribute(lambda user: user.role == Role.ADMIN)
    password = factory.django.Password(TEST_PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"团队{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Customer"

    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    industry = "制造业"
    region = "华东"
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """`tier=`, `score=`, `sales_12m=` … as a scoring run leaves them: in the customer's standing row."""
        from accounts.models import STANDING_FIELDS, CustomerStanding

        results = {name: kwargs.pop(name) for name in STANDING_FIELDS if name in kwargs}
        customer = super()._create(model_class, *args, **kwargs)
        if results:
            standing = CustomerStanding.objects.create(
                customer=customer, owner_id=customer.owner_id, **results
            )
            for name in STANDING_FIELDS:
                setattr(customer, name, getattr(standing, name))
        return customer


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Contact"

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name", locale="zh_CN")
    title = "采购经理"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Visit"

    customer = factory.SubFactory(CustomerFactory)
    by = factory.LazyAttribute(lambda visit: visit.customer.owner)
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "拜访了解需求"


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Transaction"

    customer = factory.SubFactory(CustomerFactory)
    reference = factory.Sequence(lambda n: f"ERP-{n:06d}")
    occurred_on = factory.LazyFunction(timezone.localdate)
    amount = Decimal("10000.00")
    margin = Decimal("2000.00")


class CompetitorPresenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.CompetitorPresence"

    customer = factory.SubFactory(CustomerFactory)
    competitor = factory.Sequence(lambda n: f"竞争对手{n}")


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pipeline.Opportunity"

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"商机{n}")
    expected_amount = Decimal("100000.00")
    owner = factory.LazyAttribute(lambda opportunity: opportunity.customer.owner)
    probability = 10
