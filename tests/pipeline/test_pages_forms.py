"""The opportunity forms: create at a customer, edit (never the stage), the probability's
stage default, who may pick the owner. Bad input shows a form error and writes nothing.
"""

from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import Opportunity, StageChange
from pipeline.services import opportunity_create
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospect(rep):
    return CustomerFactory(owner=rep, name="苏州新材料有限公司", status="prospect")


@pytest.fixture
def opportunity(prospect, rep, gate_items):
    return opportunity_create(
        customer=prospect, by=rep, title="年度框架协议", expected_amount=Decimal(500_000)
    )


def form_html(response) -> str:
    """A form page shown again with its errors."""
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html
    return html


VALID = {
    "title": "新产线配套",
    "expected_amount": "1200000",
    "probability": "",
    "expected_close_on": "2026-12-31",
    "obstacles": "",
    "expected_cost": "",
    "development_plan": "",
}


def test_a_rep_creates_an_opportunity_they_own(client, rep, prospect, gate_items):
    client.force_login(rep)
    assert 'name="owner"' not in client.get(f"/customers/{prospect.pk}/opportunities/new/").content.decode()

    response = client.post(f"/customers/{prospect.pk}/opportunities/new/", VALID)

    created = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pipeline/opportunities/{created.pk}/"
    assert (created.customer, created.owner, created.stage, created.title) == (
        prospect,
        rep,
        "target",
        "新产线配套",
    )
    assert (created.expected_amount, created.expected_close_on) == (Decimal(1_200_000), date(2026, 12, 31))
    assert (created.probability, created.probability_overridden) == (10, False)  # blank: the stage's default
    assert StageChange.objects.get().to_stage == "target"


def test_a_probability_given_is_kept(client, rep, prospect, gate_items):
    client.force_login(rep)
    client.post(f"/customers/{prospect.pk}/opportunities/new/", {**VALID, "probability": "35"})
    created = Opportunity.objects.get()
    assert (created.probability, created.probability_overridden) == (35, True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expected_amount", "一百万"),
        ("expected_amount", "-1"),
        ("expected_amount", "1e20"),
        ("probability", "101"),
        ("probability", "-5"),
        ("probability", "abc"),
        ("expected_cost", "-10"),
        ("expected_close_on", "2026-02-30"),
        ("title", ""),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(client, rep, prospect, opportunity, field, value):
    client.force_login(rep)
    before = Opportunity.objects.get(pk=opportunity.pk)

    create = client.post(f"/customers/{prospect.pk}/opportunities/new/", {**VALID, field: value})
    edit = client.post(f"/pipeline/opportunities/{opportunity.pk}/edit/", {**VALID, field: value})

    assert f'data-testid="error-{field}"' in form_html(create)
    assert f'data-testid="error-{field}"' in form_html(edit)
    assert Opportunity.objects.count() == 1
    after = Opportunity.objects.get(pk=opportunity.pk)
    assert (after.title, after.expected_amount, after.probability) == (
        before.title,
        before.expected_amount,
        before.probability,
    )


def test_a_rep_cannot_hand_an_opportunity_to_someone_else(client, rep, other_rep, prospect, gate_items):
    client.force_login(rep)
    client.post(f"/customers/{prospect.pk}/opportunities/new/", {**VALID, "owner": other_rep.pk})
    assert Opportunity.objects.get().owner == rep


def test_a_manager_assigns_the_owner_among_their_team(client, manager, rep, other_rep, prospect, gate_items):
    client.force_login(manager)
    html = client.get(f"/customers/{prospect.pk}/opportunities/new/").content.decode()
    assert f'<option value="{rep.pk}"' in html
    assert f'<option value="{other_rep.pk}"' not in html

    refused = client.post(f"/customers/{prospect.pk}/opportunities/new/", {**VALID, "owner": other_rep.pk})
    assert 'data-testid="error-owner"' in form_html(refused)
    assert not Opportunity.objects.exists()

    client.post(f"/customers/{prospect.pk}/opportunities/new/", {**VALID, "owner": rep.pk})
    assert Opportunity.objects.get().owner == rep


def test_another_reps_customer_is_a_404(client, rep, other_rep, gate_items):
    theirs = CustomerFactory(owner=other_rep)
    client.force_login(rep)
    assert client.post(f"/customers/{theirs.pk}/opportunities/new/", VALID).status_code == 404
    assert not Opportunity.objects.exists()


def test_editing_never_changes_the_stage(client, rep, opportunity):
    client.force_login(rep)

    response = client.post(
        f"/pipeline/opportunities/{opportunity.pk}/edit/",
        {**VALID, "stage": "won", "probability": "55", "obstacles": "预算未批"},
    )

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.title, opportunity.obstacles) == (
        "target",
        "新产线配套",
        "预算未批",
    )
    assert (opportunity.probability, opportunity.probability_overridden) == (55, True)
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1


def test_a_blank_probability_goes_back_to_the_stage_default(client, rep, prospect, gate_items):
    opportunity = OpportunityFactory(
        customer=prospect, stage="evaluation", probability=33, probability_overridden=True
    )
    client.force_login(rep)
    html = client.get(f"/pipeline/opportunities/{opportunity.pk}/edit/").content.decode()
    assert 'name="probability" value="33"' in html

    client.post(f"/pipeline/opportunities/{opportunity.pk}/edit/", {**VALID, "probability": ""})

    opportunity.refresh_from_db()
    assert (opportunity.probability, opportunity.probability_overridden) == (40, False)


def test_a_manager_keeps_an_owner_outside_their_team_when_editing(client, manager, rep, gate_items):
    """The current owner stays selectable, so editing other fields does not fail."""
    outsider = UserFactory(username="outsider")
    customer = CustomerFactory(owner=rep)
    opportunity = OpportunityFactory(customer=customer, owner=outsider)
    client.force_login(manager)

    response = client.post(f"/pipeline/opportunities/{opportunity.pk}/edit/", {**VALID, "owner": outsider.pk})

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.owner, opportunity.title) == (outsider, "新产线配套")
