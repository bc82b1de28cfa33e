"""Prospect grades (DOMAIN.md: A ≥ 70%, B ≥ 40%, C ≥ 10%, D below or none, by a prospect's best
open opportunity; a customer has none), through every door a customer is written by.

Two defects, fixed where every path passes: a new prospect is graded D at once (it has no
opportunity yet), and a status change (prospect ↔ customer) re-grades the customer at once, by
the page form, the API (create, PATCH), the import, the bulk service, the admin and a plain
save(). The data migration grades the customers written before.
"""

import importlib

import pytest
from django.apps import apps as global_apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory

from accounts.forms import CustomerForm
from accounts.models import Customer
from accounts.services import customer_create, customer_update, customers_create
from pipeline.models import Opportunity
from pipeline.services import opportunity_create
from tests.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def grade(customer) -> str:
    return Customer.objects.values_list("prospect_grade", flat=True).get(pk=customer.pk)


@pytest.fixture
def client_rep(client, rep):
    client.force_login(rep)
    return client


def form_data(form) -> dict:
    """What the page's form posts back for `form`'s current values (whatever fields it has)."""
    data = {}
    for field in form:
        value = field.value()
        if value is None:
            continue
        data[field.html_name] = (
            [str(v.pk if hasattr(v, "pk") else v) for v in value]
            if isinstance(value, list | tuple)
            else str(value)
        )
    return data


# --- A new customer ----------------------------------------------------------------------------


def test_a_prospect_is_graded_d_when_it_is_created_and_a_customer_not_at_all(rep):
    prospect = customer_create(by=rep, name="新潜在客户有限公司")
    customer = customer_create(by=rep, name="老客户有限公司", status="customer")
    plain = Customer.objects.create(name="直接保存有限公司", owner=rep)
    assert (prospect.prospect_grade, grade(prospect)) == ("D", "D")
    assert (customer.prospect_grade, grade(customer)) == ("", "")
    assert grade(plain) == "D"


def test_the_page_form_creates_a_graded_prospect(client_rep):
    response = client_rep.post("/customers/new/", {"name": "页面新建有限公司", "status": "prospect"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Customer.objects.get(name="页面新建有限公司").prospect_grade == "D"


def test_the_api_creates_a_graded_prospect(api_client, rep):
    api_client.force_authenticate(rep)
    prospect = api_client.post("/api/v1/customers/", {"name": "接口潜在客户"}, format="json").json()
    customer = api_client.post(
        "/api/v1/customers/", {"name": "接口成交客户", "status": "customer"}, format="json"
    ).json()
    assert (prospect["prospect_grade"], customer["prospect_grade"]) == ("D", None)


def test_the_import_creates_graded_prospects(client_rep):
    lines = "name,status\n导入潜在客户,prospect\n导入成交客户,customer\n导入默认状态,\n"
    response = client_rep.post(
        "/customers/import/", {"file": SimpleUploadedFile("c.csv", lines.encode(), content_type="text/csv")}
    )
    assert response.status_code == 302  # imported: back to the import page with a message
    grades = dict(Customer.objects.values_list("name", "prospect_grade"))
    assert grades == {"导入潜在客户": "D", "导入成交客户": "", "导入默认状态": "D"}


def test_the_bulk_service_creates_graded_prospects(rep):
    customers_create(
        by=rep, customers=[Customer(name="批量潜在客户"), Customer(name="批量成交客户", status="customer")]
    )
    assert dict(Customer.objects.values_list("name", "prospect_grade")) == {
        "批量潜在客户": "D",
        "批量成交客户": "",
    }


# --- A status change ---------------------------------------------------------------------------


@pytest.fixture
def won(rep):
    """A customer (a deal was made) that still has an open opportunity at 80%."""
    customer = CustomerFactory(owner=rep, status="customer", name="成交后又有新商机")
    OpportunityFactory(customer=customer, stage="closing", probability=80)
    return customer


@pytest.fixture
def bare(rep):
    """A customer with no open opportunity."""
    return CustomerFactory(owner=rep, status="customer", name="没有商机的客户")


def test_a_service_save_re_grades_at_once(rep, won, bare):
    assert (grade(won), grade(bare)) == ("", "")
    returned = customer_update(customer=won, by=rep, status="prospect")
    assert returned.prospect_grade == "A"  # the caller's object too
    customer_update(customer=bare, by=rep, status="prospect")
    assert (grade(won), grade(bare)) == ("A", "D")
    customer_update(customer=won, by=rep, status="customer")
    assert grade(won) == ""


def test_the_page_form_re_grades(client_rep, rep, won):
    data = form_data(CustomerForm(instance=won, user=rep))
    response = client_rep.post(f"/customers/{won.pk}/edit/", {**data, "status": "prospect"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert grade(won) == "A"
    response = client_rep.post(f"/customers/{won.pk}/edit/", {**data, "status": "customer"})
    assert response.status_code == 302
    assert grade(won) == ""


def test_the_api_patch_re_grades_and_answers_with_the_new_grade(api_client, rep, won, bare):
    api_client.force_authenticate(rep)
    response = api_client.patch(f"/api/v1/customers/{won.pk}/", {"status": "prospect"}, format="json")
    assert response.json()["prospect_grade"] == "A"
    response = api_client.patch(f"/api/v1/customers/{bare.pk}/", {"status": "prospect"}, format="json")
    assert response.json()["prospect_grade"] == "D"
    response = api_client.patch(f"/api/v1/customers/{won.pk}/", {"status": "customer"}, format="json")
    assert response.json()["prospect_grade"] is None
    assert grade(won) == ""


def test_the_admin_re_grades(client, admin_user, won):
    model_admin = admin.site._registry[Customer]
    request = RequestFactory().get("/")
    request.user = admin_user
    data = form_data(model_admin.get_form(request, won)(instance=won))
    for prefix in ("team_memberships", "contacts", "competitors"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    client.force_login(admin_user)

    response = client.post(f"/admin/accounts/customer/{won.pk}/change/", {**data, "status": "prospect"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert grade(won) == "A"
    response = client.post(f"/admin/accounts/customer/{won.pk}/change/", {**data, "status": "customer"})
    assert response.status_code == 302
    assert grade(won) == ""


def test_a_plain_save_and_update_fields_re_grade(won):
    won.status = "prospect"
    won.save(update_fields=["status"])
    assert (won.prospect_grade, grade(won)) == ("A", "A")
    won.status = "customer"
    won.save()
    assert grade(won) == ""


def test_saving_other_fields_leaves_the_grade_alone(rep):
    """An edit that keeps the status never writes a grade read before an opportunity changed it."""
    prospect = customer_create(by=rep, name="潜在客户有限公司")
    stale = Customer.objects.get(pk=prospect.pk)  # read while the grade is D
    opportunity_create(customer=prospect, by=rep, title="新商机", probability=45)
    assert grade(prospect) == "B"
    customer_update(customer=stale, by=rep, notes="改了备注")
    assert grade(prospect) == "B"


def test_a_won_deal_makes_a_customer_with_no_grade(rep, gate_items, manager):
    from pipeline.services import opportunity_move

    prospect = customer_create(by=rep, name="要成交的客户")
    opportunity = OpportunityFactory(customer=prospect, stage="closing", probability=80)
    opportunity_move(opportunity_id=opportunity.pk, to="won", by=manager, override_reason="合同已签")
    assert Customer.objects.values_list("status", "prospect_grade").get(pk=prospect.pk) == ("customer", "")


# --- The data migration --------------------------------------------------------------------------


def test_the_migration_grades_what_was_written_before(rep):
    CustomerFactory(owner=rep, name="从未评级")
    with_opportunities = CustomerFactory(owner=rep, name="有商机")
    stale_customer = CustomerFactory(owner=rep, name="已成交仍有评级", status="customer")
    OpportunityFactory(customer=with_opportunities, stage="information", probability=25)
    OpportunityFactory(customer=with_opportunities, stage="evaluation", probability=40)
    OpportunityFactory(customer=with_opportunities, stage="won", probability=100)  # closed: not counted
    at_70 = CustomerFactory(owner=rep, name="七成")
    OpportunityFactory(customer=at_70, stage="closing", probability=70)
    low = CustomerFactory(owner=rep, name="低概率")
    OpportunityFactory(customer=low, stage="target", probability=5)
    # As the defects left them: no grade for prospects, a stale one for a customer.
    Customer.objects.filter(status="prospect").update(prospect_grade="")
    Customer.objects.filter(pk=stale_customer.pk).update(prospect_grade="A")

    migration = importlib.import_module("pipeline.migrations.0003_grade_every_prospect")
    migration.grade(global_apps, connection.schema_editor())

    grades = dict(Customer.objects.values_list("name", "prospect_grade"))
    assert grades == {"从未评级": "D", "有商机": "B", "已成交仍有评级": "", "七成": "A", "低概率": "D"}
    assert Opportunity.objects.count() == 5  # nothing else touched
