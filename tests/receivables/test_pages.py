"""Payment-collection pages: the customer page's receivables panel, a won opportunity's plan
panel, the plan form with its installment rows, and the payment form; who sees and may do what.

Assertions look at data (data-testid hooks, figures), never at translated labels.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AccountTeamMember
from pipeline.models import Stage
from receivables import services
from receivables.models import Installment, Payment, PaymentPlan
from receivables.services import PaymentRow
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory
from tests.receivables.conftest import D, day, won_opportunity
from users.models import Role

pytestmark = pytest.mark.django_db


def page_html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def plan_post(*rows, initial=0, **fields) -> dict:
    data = {
        "contract_number": "HT-9",
        "contract_amount": "100000.00",
        "signed_on": "2026-01-10",
        "notes": "",
        **fields,
    }
    data |= {
        "installments-TOTAL_FORMS": str(len(rows)),
        "installments-INITIAL_FORMS": str(initial),
        "installments-MIN_NUM_FORMS": "0",
        "installments-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"installments-{index}-{key}": value for key, value in row.items()}
    return data


def make_plan(opportunity, by, *rows):
    schedule = [(due, D(amount)) for due, amount in rows]
    return services.plan_create(
        opportunity=opportunity,
        by=by,
        contract_amount=sum((amount for _due, amount in schedule), D("0")),
        installments=schedule,
    )


def pay(customer, by, reference, amount):
    services.payments_upsert(
        rows=[
            PaymentRow(
                customer_id=customer.pk,
                reference=reference,
                received_on=timezone.localdate(),
                amount=D(amount),
            )
        ],
        by=by,
    )


# --- The opportunity page --------------------------------------------------------------------


def test_a_won_opportunity_page_has_a_payment_plan_section(client, rep, customer, won):
    client.force_login(rep)
    open_one = OpportunityFactory(customer=customer)

    assert 'data-testid="payment-plan"' in page_html(client.get(f"/pipeline/opportunities/{won.pk}/"))
    assert 'data-testid="payment-plan"' not in page_html(
        client.get(f"/pipeline/opportunities/{open_one.pk}/")
    )


def test_the_panel_offers_to_create_the_plan(client, rep, won):
    client.force_login(rep)

    html = page_html(client.get(f"/receivables/opportunities/{won.pk}/panel/"))

    assert 'data-testid="create-payment-plan"' in html


def test_the_panel_shows_the_plan(client, rep, manager, won):
    today = timezone.localdate()
    make_plan(won, rep, (today - timedelta(days=40), "100.00"), (today + timedelta(days=20), "300.00"))
    pay(won.customer, manager, "ERP-1", "30.00")
    client.force_login(rep)

    html = page_html(client.get(f"/receivables/opportunities/{won.pk}/panel/"))

    assert re.findall(
        r'data-testid="installment" data-installment-id="\d+" data-due="[\d-]+" data-open="([\d.]+)" data-overdue="(\d)"',
        html,
    ) == [
        ("70.00", "1"),
        ("300.00", "0"),
    ]
    assert 'data-testid="edit-payment-plan"' in html
    assert 'data-testid="plan-locked"' in html
    assert 'data-testid="delete-payment-plan"' not in html  # money applied


def test_an_account_team_member_sees_the_plan_but_not_the_buttons(client, rep, customer, won):
    make_plan(won, rep, (timezone.localdate(), "100.00"))
    member = UserFactory(username="member", role=Role.REP)
    AccountTeamMember.objects.create(customer=customer, user=member)
    client.force_login(member)

    html = page_html(client.get(f"/receivables/opportunities/{won.pk}/panel/"))

    assert 'data-testid="installment"' in html
    assert 'data-testid="edit-payment-plan"' not in html
    assert client.get(f"/receivables/opportunities/{won.pk}/plan/").status_code == 403


def test_another_teams_opportunity_is_404(client, other_rep, won):
    client.force_login(other_rep)

    assert client.get(f"/receivables/opportunities/{won.pk}/panel/").status_code == 404
    assert client.get(f"/receivables/opportunities/{won.pk}/plan/").status_code == 404


# --- The plan form ---------------------------------------------------------------------------


def test_the_plan_form_creates_a_plan_from_its_rows(client, rep, won):
    client.force_login(rep)
    assert 'data-testid="installment-row"' in page_html(
        client.get(f"/receivables/opportunities/{won.pk}/plan/")
    )

    response = client.post(
        f"/receivables/opportunities/{won.pk}/plan/",
        plan_post(
            {"due_on": "2026-03-31", "amount": "40000.00"},
            {"due_on": "2026-06-30", "amount": "60000.00"},
            {"due_on": "", "amount": ""},  # an empty new row is skipped
        ),
    )

    assert response.status_code == 302
    plan = PaymentPlan.objects.get()
    assert (plan.contract_number, plan.contract_amount) == ("HT-9", D("100000.00"))
    assert list(Installment.objects.order_by("due_on").values_list("amount", flat=True)) == [
        D("40000.00"),
        D("60000.00"),
    ]


def test_the_plan_form_shows_a_sum_that_is_off_and_writes_nothing(client, rep, won):
    client.force_login(rep)

    html = page_html(
        client.post(
            f"/receivables/opportunities/{won.pk}/plan/",
            plan_post(
                {"due_on": "2026-03-31", "amount": "40000.00"}, {"due_on": "2026-06-30", "amount": "59999.99"}
            ),
        )
    )

    assert 'data-testid="schedule-errors"' in html
    assert "¥99,999.99" in html
    assert PaymentPlan.objects.count() == 0


def test_the_plan_form_shows_field_errors_of_a_row(client, rep, won):
    client.force_login(rep)

    html = page_html(
        client.post(
            f"/receivables/opportunities/{won.pk}/plan/",
            plan_post({"due_on": "2026-03-31", "amount": "0"}, contract_amount="0"),
        )
    )

    assert 'data-testid="error-amount"' in html
    assert PaymentPlan.objects.count() == 0


def test_a_locked_plan_keeps_its_schedule_but_takes_notes(client, rep, manager, won):
    plan = make_plan(won, rep, (timezone.localdate(), "100.00"))
    pay(won.customer, manager, "ERP-1", "10.00")
    client.force_login(rep)

    html = page_html(client.get(f"/receivables/opportunities/{won.pk}/plan/"))
    response = client.post(
        f"/receivables/opportunities/{won.pk}/plan/",
        {"contract_number": "HT-2", "notes": "已开票", "contract_amount": "5"},
    )

    assert 'data-testid="plan-locked"' in html
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.contract_number, plan.notes, plan.contract_amount) == ("HT-2", "已开票", D("100.00"))


def test_the_plan_form_of_an_open_opportunity_sends_back(client, rep, customer):
    opportunity = OpportunityFactory(customer=customer, stage=Stage.CLOSING)
    client.force_login(rep)

    response = client.get(f"/receivables/opportunities/{opportunity.pk}/plan/")

    assert response.status_code == 302
    assert PaymentPlan.objects.count() == 0


def test_a_plan_without_money_is_deleted_from_its_page(client, rep, won):
    plan = make_plan(won, rep, (timezone.localdate(), "100.00"))
    client.force_login(rep)

    response = client.post(f"/receivables/plans/{plan.pk}/delete/")

    assert response.status_code == 302
    assert PaymentPlan.objects.count() == 0


# --- The customer page -----------------------------------------------------------------------


def test_the_customer_page_loads_the_receivables_panel(client, rep, customer):
    client.force_login(rep)

    html = page_html(client.get(f"/customers/{customer.pk}/"))

    assert f'data-panel-url="/receivables/customers/{customer.pk}/panel/"' in html


def test_the_receivables_panel(client, rep, manager, customer, won, django_assert_num_queries):
    today = timezone.localdate()
    make_plan(won, rep, (today - timedelta(days=45), "100.00"), (today + timedelta(days=10), "200.00"))
    make_plan(won_opportunity(customer, title="二期"), rep, (today - timedelta(days=5), "50.00"))
    pay(customer, manager, "ERP-1", "60.00")
    client.force_login(rep)

    # Session, user, visibility, customer; plans, installments, payments.
    with django_assert_num_queries(7):
        html = page_html(client.get(f"/receivables/customers/{customer.pk}/panel/"))

    assert 'data-credit-risk="1"' in html
    assert 'data-testid="credit-risk"' in html
    assert re.search(r'data-testid="receivables-open">¥290<', html)
    assert re.search(r'data-testid="receivables-overdue"[^>]*>¥90<', html)
    buckets = dict(re.findall(r'data-bucket="(\w+)" data-amount="([\d.]+)"', html))
    assert buckets == {
        "not_due": "200.00",
        "days_1_30": "50.00",
        "days_31_60": "40.00",
        "days_61_90": "0.00",
        "over_90": "0.00",
    }
    assert 'data-testid="record-payment"' not in html  # a rep reads


def test_a_manager_gets_the_payment_buttons(client, manager, customer):
    client.force_login(manager)

    html = page_html(client.get(f"/receivables/customers/{customer.pk}/panel/"))

    assert f'href="/receivables/payments/new/?customer={customer.pk}"' in html


def test_another_teams_panel_is_404(client, other_rep, customer):
    client.force_login(other_rep)

    assert client.get(f"/receivables/customers/{customer.pk}/panel/").status_code == 404


# --- The payment form ------------------------------------------------------------------------


def test_reps_may_not_enter_payments(client, rep, customer):
    client.force_login(rep)

    assert client.get(f"/receivables/payments/new/?customer={customer.pk}").status_code == 403
    assert client.post("/receivables/payments/new/", {"customer": customer.pk}).status_code == 403
    assert Payment.objects.count() == 0


def test_a_manager_enters_a_payment_that_clears_an_overdue_installment(client, rep, manager, customer, won):
    today = timezone.localdate()
    make_plan(won, rep, (today - timedelta(days=40), "100.00"))
    client.force_login(manager)
    html = page_html(client.get(f"/receivables/payments/new/?customer={customer.pk}"))
    suggested = re.search(r'name="reference" value="(MANUAL-\d{8}-1)"', html)
    assert suggested

    response = client.post(
        "/receivables/payments/new/",
        {
            "customer": customer.pk,
            "received_on": today.isoformat(),
            "amount": "100.00",
            "reference": suggested.group(1),
            "notes": "银行转账",
        },
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.source, payment.amount, payment.created_by) == ("manual", D("100.00"), manager)
    assert Installment.objects.get().applied == D("100.00")
    customer.refresh_from_db()
    assert customer.oldest_open_due_on is None
    assert 'data-credit-risk="0"' in page_html(client.get(f"/receivables/customers/{customer.pk}/panel/"))


def test_a_known_reference_is_refused_on_the_form(client, manager, customer, won):
    pay(customer, manager, "ERP-1", "10.00")
    client.force_login(manager)

    html = page_html(
        client.post(
            "/receivables/payments/new/",
            {"customer": customer.pk, "received_on": "2026-01-05", "amount": "5.00", "reference": "ERP-1"},
        )
    )

    assert 'data-testid="error-reference"' in html
    assert Payment.objects.get().amount == D("10.00")


def test_a_customer_out_of_sight_cannot_be_chosen(client, manager, other_rep):
    hidden = CustomerFactory(owner=other_rep)
    client.force_login(manager)

    html = page_html(
        client.post(
            "/receivables/payments/new/",
            {"customer": hidden.pk, "received_on": "2026-01-05", "amount": "5.00", "reference": "X-1"},
        )
    )

    assert 'data-testid="error-customer"' in html
    assert Payment.objects.count() == 0


def test_a_manager_corrects_and_deletes_a_payment(client, rep, manager, customer, won):
    make_plan(won, rep, (timezone.localdate(), "100.00"))
    pay(customer, manager, "ERP-1", "100.00")
    payment = Payment.objects.get()
    client.force_login(manager)
    assert 'data-testid="delete-payment"' in page_html(
        client.get(f"/receivables/payments/{payment.pk}/edit/")
    )

    response = client.post(
        f"/receivables/payments/{payment.pk}/edit/",
        {
            "customer": customer.pk,
            "received_on": "2026-01-05",
            "amount": "40.00",
            "reference": "CHANGED",
            "notes": "",
        },
    )

    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.reference, payment.amount) == ("ERP-1", D("40.00"))  # the reference stays
    assert Installment.objects.get().applied == D("40.00")

    assert client.post(f"/receivables/payments/{payment.pk}/delete/").status_code == 302
    assert Payment.objects.count() == 0
    assert Installment.objects.get().applied == D("0.00")


# --- The history -----------------------------------------------------------------------------


def test_the_plans_history_shows_its_installments(client, rep, manager, won):
    plan = make_plan(won, rep, (day("2026-03-31"), "60.00"), (day("2026-06-30"), "40.00"))
    services.plan_update(
        plan=plan, by=rep, installments=[(day("2026-03-31"), D("60.00")), (day("2026-07-31"), D("40.00"))]
    )
    client.force_login(manager)

    assert 'data-panel-url="/history/paymentplan/' in page_html(
        client.get(f"/receivables/opportunities/{won.pk}/plan/")
    )
    html = page_html(client.get(f"/history/paymentplan/{plan.pk}/"))

    assert "2026-07-31: 40.00" in html
    assert "2026-06-30: 40.00" in html
    assert "2026-03-31: 60.00" in html  # in the created row
