"""The customer-fit checklist on each customer (经历推算法): ticked on the customer form, on the
customer page, over the API and in the import; exported; recorded in the audit trail."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.models import Customer, FitCriterion, IndustryFit
from audit.models import AuditEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEED, BUDGET, SIMILAR, CRITERIA_MATCH, PROCESS = (
    "需求已确认",
    "预算已落实",
    "采购过同类产品或方案",
    "选择标准与我方优势匹配",
    "决策流程已清楚",
)


@pytest.fixture
def items(db) -> dict[str, FitCriterion]:
    """The default checklist (migration accounts/0011), by label."""
    return {item.label: item for item in FitCriterion.objects.all()}


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep, name="华信精密机械有限公司", industry="制造业")


def tick(customer, *criteria) -> None:
    """Ticks set up for a test, written without an audit row of their own."""
    through = Customer.fit_criteria.through
    through.objects.bulk_create(
        [through(customer_id=customer.pk, fitcriterion_id=item.pk) for item in criteria]
    )


def ticked(customer) -> set[str]:
    return set(customer.fit_criteria.values_list("label", flat=True))


def tick_events(customer) -> list[dict]:
    events = AuditEvent.objects.filter(object_type="customer", object_id=customer.pk).order_by("id")
    return [event.changes["fit_criteria"] for event in events if "fit_criteria" in event.changes]


# --- The customer form --------------------------------------------------------------------------


def test_the_form_offers_the_active_items(client, rep, customer, items):
    items[PROCESS].is_active = False
    items[PROCESS].save()
    tick(customer, items[NEED], items[PROCESS])
    client.force_login(rep)

    form = client.get(f"/customers/{customer.pk}/edit/").context["form"]

    offered = [item.label for item in form.fields["fit_criteria"].queryset]
    assert offered == [NEED, BUDGET, SIMILAR, CRITERIA_MATCH]
    assert form.initial["fit_criteria"] == [items[NEED].pk]


def test_a_new_customer_is_saved_with_its_ticks(client, rep, items):
    client.force_login(rep)

    response = client.post(
        "/customers/new/",
        {"name": "新客户有限公司", "status": "prospect", "fit_criteria": [items[NEED].pk, items[BUDGET].pk]},
    )

    assert response.status_code == 302
    customer = Customer.objects.get(name="新客户有限公司")
    assert ticked(customer) == {NEED, BUDGET}


def test_editing_ticks_keeps_the_ticks_of_inactive_items(client, rep, customer, items):
    tick(customer, items[NEED], items[PROCESS])
    items[PROCESS].is_active = False
    items[PROCESS].save()
    client.force_login(rep)

    response = client.post(
        f"/customers/{customer.pk}/edit/",
        {"name": customer.name, "status": "prospect", "fit_criteria": [items[SIMILAR].pk]},
    )

    assert response.status_code == 302
    assert ticked(customer) == {SIMILAR, PROCESS}
    assert tick_events(customer)[-1] == {"added": [SIMILAR], "removed": [NEED]}


def test_the_form_refuses_an_inactive_item(client, rep, customer, items):
    items[BUDGET].is_active = False
    items[BUDGET].save()
    client.force_login(rep)

    response = client.post(
        f"/customers/{customer.pk}/edit/",
        {"name": customer.name, "status": "prospect", "fit_criteria": [items[BUDGET].pk]},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["fit_criteria"]
    assert ticked(customer) == set()


# --- The customer page ----------------------------------------------------------------------------


def test_the_page_shows_the_checklist_and_the_industry_fit(client, rep, customer, items):
    IndustryFit.objects.create(industry="制造业", need=4, capability=3)
    tick(customer, items[NEED], items[BUDGET])
    client.force_login(rep)

    response = client.get(f"/customers/{customer.pk}/")

    fit = response.context["fit"]
    assert (fit.ticked, fit.total, fit.industry_fit, fit.customer_fit) == (
        2,
        5,
        Decimal("62.5"),
        Decimal("50.00"),
    )
    html = response.content.decode()
    assert 'data-testid="customer-fit-ticked">2/5<' in html
    assert 'data-testid="customer-industry-fit">62.5<' in html
    assert html.count('data-testid="fit-item"') == 5
    assert html.count('data-ticked="1"') == 2
    assert f'action="/customers/{customer.pk}/fit/"' in html


def test_an_industry_not_in_the_table_has_fit_0(client, rep, customer):
    client.force_login(rep)

    fit = client.get(f"/customers/{customer.pk}/").context["fit"]

    assert (fit.in_table, fit.industry_fit, fit.customer_fit) == (False, Decimal(0), Decimal("0.00"))


def test_ticking_on_the_page(client, rep, customer, items):
    tick(customer, items[NEED])
    client.force_login(rep)

    response = client.post(
        f"/customers/{customer.pk}/fit/", {"fit_criteria": [items[BUDGET].pk, items[PROCESS].pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/#customer-fit"
    assert ticked(customer) == {BUDGET, PROCESS}
    assert tick_events(customer) == [{"added": sorted([BUDGET, PROCESS]), "removed": [NEED]}]


def test_a_team_member_may_tick(client, rep, other_rep, customer, items):
    customer.team_memberships.create(user=other_rep)
    client.force_login(other_rep)

    client.post(f"/customers/{customer.pk}/fit/", {"fit_criteria": [items[NEED].pk]})

    assert ticked(customer) == {NEED}


@pytest.mark.parametrize("user_fixture", ["manager", "admin_user"])
def test_the_owners_manager_and_admins_may_tick(request, client, customer, items, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.post(f"/customers/{customer.pk}/fit/", {"fit_criteria": [items[PROCESS].pk]})

    assert response.status_code == 302
    assert ticked(customer) == {PROCESS}


def test_ticking_a_customer_one_cannot_see_is_404_and_changes_nothing(client, other_rep, customer, items):
    tick(customer, items[NEED])
    client.force_login(other_rep)

    response = client.post(f"/customers/{customer.pk}/fit/", {"fit_criteria": [items[BUDGET].pk]})

    assert response.status_code == 404
    assert ticked(customer) == {NEED}


def test_ticking_an_inactive_or_unknown_item_changes_nothing(client, rep, customer, items):
    tick(customer, items[NEED])
    items[BUDGET].is_active = False
    items[BUDGET].save()
    client.force_login(rep)

    for sent in ([items[BUDGET].pk], [999999], ["x"]):
        response = client.post(f"/customers/{customer.pk}/fit/", {"fit_criteria": sent}, follow=True)
        assert response.status_code == 200
        assert ticked(customer) == {NEED}
    assert tick_events(customer) == []


def test_sending_the_same_ticks_again_writes_nothing(client, rep, customer, items):
    tick(customer, items[NEED])
    client.force_login(rep)

    client.post(f"/customers/{customer.pk}/fit/", {"fit_criteria": [items[NEED].pk]})

    assert tick_events(customer) == []


def test_the_customer_page_runs_a_fixed_number_of_queries(
    client, rep, customer, items, django_assert_max_num_queries
):
    client.force_login(rep)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(f"/customers/{customer.pk}/")
    for n in range(5):
        FitCriterion.objects.create(label=f"检查项{n}", weight=5, position=10 + n)
    tick(customer, *FitCriterion.objects.all())
    with django_assert_max_num_queries(len(few)):
        client.get(f"/customers/{customer.pk}/")


# --- The API ----------------------------------------------------------------------------------------


def test_the_api_lists_the_active_ticks(api_client, rep, customer, items):
    tick(customer, items[NEED], items[PROCESS])
    items[PROCESS].is_active = False
    items[PROCESS].save()
    api_client.force_authenticate(rep)

    detail = api_client.get(f"/api/v1/customers/{customer.pk}/").json()
    listed = api_client.get("/api/v1/customers/").json()["results"][0]

    assert detail["fit_criteria"] == listed["fit_criteria"] == [items[NEED].pk]


def test_creating_a_customer_with_ticks(api_client, rep, items):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/",
        {"name": "接口新客户有限公司", "fit_criteria": [items[SIMILAR].pk]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["fit_criteria"] == [items[SIMILAR].pk]
    assert ticked(Customer.objects.get(name="接口新客户有限公司")) == {SIMILAR}


def test_patching_ticks_sets_exactly_those_and_keeps_inactive_ones(api_client, rep, customer, items):
    tick(customer, items[NEED], items[PROCESS])
    items[PROCESS].is_active = False
    items[PROCESS].save()
    api_client.force_authenticate(rep)
    url = f"/api/v1/customers/{customer.pk}/"

    response = api_client.patch(url, {"fit_criteria": [items[BUDGET].pk, items[SIMILAR].pk]}, format="json")

    assert response.status_code == 200
    assert sorted(response.json()["fit_criteria"]) == sorted([items[BUDGET].pk, items[SIMILAR].pk])
    assert ticked(customer) == {BUDGET, SIMILAR, PROCESS}
    assert api_client.patch(url, {"notes": "只改备注"}, format="json").status_code == 200
    assert ticked(customer) == {BUDGET, SIMILAR, PROCESS}
    assert api_client.patch(url, {"fit_criteria": []}, format="json").json()["fit_criteria"] == []
    assert ticked(customer) == {PROCESS}


@pytest.mark.parametrize("bad", ["unknown", "inactive", "text", "not a list", "null"])
def test_bad_ticks_are_400_on_the_field_and_write_nothing(api_client, rep, customer, items, bad):
    tick(customer, items[NEED])
    items[BUDGET].is_active = False
    items[BUDGET].save()
    sent = {
        "unknown": [items[NEED].pk, 999999],
        "inactive": [items[BUDGET].pk],
        "text": ["abc"],
        "not a list": items[NEED].pk,
        "null": None,
    }[bad]
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"notes": "不应保存", "fit_criteria": sent}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["fit_criteria"]
    customer.refresh_from_db()
    assert customer.notes == ""
    assert ticked(customer) == {NEED}


def test_api_ticks_are_one_audit_row(api_client, rep, customer, items):
    tick(customer, items[NEED])
    api_client.force_authenticate(rep)

    api_client.patch(f"/api/v1/customers/{customer.pk}/", {"fit_criteria": [items[BUDGET].pk]}, format="json")

    assert tick_events(customer) == [{"added": [BUDGET], "removed": [NEED]}]


def test_ticks_made_elsewhere_are_audited_too(customer, items):
    customer.fit_criteria.add(items[NEED], items[BUDGET])
    customer.fit_criteria.remove(items[NEED])

    assert tick_events(customer) == [
        {"added": sorted([NEED, BUDGET]), "removed": []},
        {"added": [], "removed": [NEED]},
    ]


# --- The import -------------------------------------------------------------------------------------


def upload(client, lines: list[str]):
    data = ("\r\n".join(lines) + "\r\n").encode()
    return client.post("/customers/import/", {"file": SimpleUploadedFile("customers.csv", data)})


def test_the_template_and_the_page_name_a_column_per_active_item(client, rep, items):
    items[PROCESS].is_active = False
    items[PROCESS].save()
    client.force_login(rep)

    header = client.get("/customers/import/template.csv").content.decode("utf-8-sig").strip().split(",")
    page = client.get("/customers/import/").content.decode()

    assert header[-4:] == [NEED, BUDGET, SIMILAR, CRITERIA_MATCH]
    assert PROCESS not in header
    for label in (NEED, BUDGET, SIMILAR, CRITERIA_MATCH):
        assert f"<code>{label}</code>" in page


def test_imported_customers_get_their_ticks(client, rep, items):
    client.force_login(rep)

    response = upload(
        client,
        [
            f"name,{NEED},{BUDGET},{SIMILAR},{CRITERIA_MATCH}",
            "甲客户有限公司,是,yes,1,✓",
            "乙客户有限公司,否,no,0,",
            "丙客户有限公司,√,,TRUE,Y",
        ],
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    assert ticked(Customer.objects.get(name="甲客户有限公司")) == {NEED, BUDGET, SIMILAR, CRITERIA_MATCH}
    assert ticked(Customer.objects.get(name="乙客户有限公司")) == set()
    third = Customer.objects.get(name="丙客户有限公司")
    assert ticked(third) == {NEED, SIMILAR, CRITERIA_MATCH}
    event = AuditEvent.objects.get(object_type="customer", object_id=third.pk, action="update")
    assert event.source == "import"
    assert event.changes == {
        "fit_criteria": {"added": sorted([NEED, SIMILAR, CRITERIA_MATCH]), "removed": []}
    }


def test_a_bad_tick_is_the_rows_error_and_nothing_is_written(client, rep, items):
    client.force_login(rep)

    response = upload(
        client,
        [
            f"name,{NEED},{BUDGET}",
            "甲客户有限公司,是,是",
            "乙客户有限公司,也许,是",
        ],
    )

    assert response.status_code == 200
    errors = [(error.row, error.column) for error in response.context["errors"]]
    assert errors == [(3, NEED)]
    assert not Customer.objects.exists()
    assert not Customer.fit_criteria.through.objects.exists()


def test_a_column_of_an_inactive_item_is_ignored(client, rep, items):
    items[PROCESS].is_active = False
    items[PROCESS].save()
    client.force_login(rep)

    response = upload(client, [f"name,{PROCESS}", "甲客户有限公司,是"])

    assert response.status_code == 302
    assert ticked(Customer.objects.get(name="甲客户有限公司")) == set()


# --- The export -------------------------------------------------------------------------------------


def test_the_export_has_a_column_per_active_item(client, rep, customer, items):
    tick(customer, items[NEED], items[PROCESS])
    items[PROCESS].is_active = False
    items[PROCESS].save()
    client.force_login(rep)

    body = b"".join(client.get("/customers/export.csv").streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    workbook = load_workbook(io.BytesIO(b"".join(client.get("/customers/export.xlsx").streaming_content)))
    header, xlsx_row = workbook.worksheets[0].iter_rows(values_only=True)
    xlsx = dict(zip(header, xlsx_row, strict=True))

    assert list(row)[-4:] == [NEED, BUDGET, SIMILAR, CRITERIA_MATCH]
    assert PROCESS not in row
    assert (row[NEED], row[BUDGET]) == ("true", "false")
    assert (xlsx[NEED], xlsx[BUDGET]) == (True, False)


def test_an_export_imports_back_with_its_ticks(client, rep, customer, items):
    tick(customer, items[NEED], items[SIMILAR])
    client.force_login(rep)
    body = b"".join(client.get("/customers/export.csv").streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    customer.delete()

    lines = [f"name,{NEED},{BUDGET},{SIMILAR}", f"{row['name']},{row[NEED]},{row[BUDGET]},{row[SIMILAR]}"]
    assert upload(client, lines).status_code == 302
    assert ticked(Customer.objects.get(name=row["name"])) == {NEED, SIMILAR}


# --- Query counts -------------------------------------------------------------------------------------


def test_the_api_list_stays_bounded_with_ticks(api_client, rep, items, django_assert_num_queries):
    api_client.force_authenticate(rep)
    for _ in range(3):
        CustomerFactory(owner=rep).fit_criteria.add(*items.values())
    # managed teams? (visible_to), count, page, account teams, ticks
    with django_assert_num_queries(5):
        assert len(api_client.get("/api/v1/customers/").json()["results"]) == 3
    for _ in range(20):
        CustomerFactory(owner=rep).fit_criteria.add(items[NEED])
    with django_assert_num_queries(5):
        assert len(api_client.get("/api/v1/customers/").json()["results"]) == 23
