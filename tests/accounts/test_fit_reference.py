"""The experience method's reference data (经历推算法): the industry fit table, kept by managers
and admins, and the customer-fit checklist's items, kept by admins; everyone reads both."""

from decimal import Decimal

import pytest

from accounts.models import Customer, FitCriterion, IndustryFit
from audit.models import AuditEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

INDUSTRIES = "/api/v1/industry-fits/"
CRITERIA = "/api/v1/fit-criteria/"


@pytest.fixture
def manufacturing(db):
    return IndustryFit.objects.create(industry="制造业", need=4, capability=3, notes="核心行业")


def default_labels() -> list[str]:
    return list(FitCriterion.objects.order_by("position", "id").values_list("label", flat=True))


# --- The industry fit table: the model's formula ----------------------------------------------


@pytest.mark.parametrize(
    ("need", "capability", "fit"),
    [(1, 1, Decimal(0)), (5, 5, Decimal(100)), (4, 3, Decimal("62.5")), (2, 1, Decimal("12.5"))],
)
def test_industry_fit_is_the_mean_of_need_and_capability_on_0_to_100(need, capability, fit):
    assert IndustryFit(need=need, capability=capability).industry_fit == fit


# --- The industry fit table over the API ------------------------------------------------------


def test_everyone_signed_in_reads_the_table(api_client, rep, manufacturing):
    api_client.force_authenticate(rep)

    response = api_client.get(INDUSTRIES)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": manufacturing.pk,
            "industry": "制造业",
            "need": 4,
            "capability": 3,
            "industry_fit": 62.5,
            "notes": "核心行业",
            "updated_at": response.json()["results"][0]["updated_at"],
        }
    ]


def test_a_rep_cannot_write_the_table(api_client, rep, manufacturing):
    api_client.force_authenticate(rep)

    created = api_client.post(INDUSTRIES, {"industry": "医疗", "need": 3, "capability": 3}, format="json")
    changed = api_client.patch(f"{INDUSTRIES}{manufacturing.pk}/", {"need": 1}, format="json")
    deleted = api_client.delete(f"{INDUSTRIES}{manufacturing.pk}/")

    assert (created.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert list(IndustryFit.objects.values_list("industry", "need")) == [("制造业", 4)]


@pytest.mark.parametrize("user_fixture", ["manager", "admin_user"])
def test_managers_and_admins_add_change_and_delete_rows(request, api_client, user_fixture):
    api_client.force_authenticate(request.getfixturevalue(user_fixture))

    created = api_client.post(
        INDUSTRIES, {"industry": " 医疗器械 ", "need": 5, "capability": 4, "notes": "新市场"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["industry"] == "医疗器械"
    assert created.json()["industry_fit"] == 87.5
    url = f"{INDUSTRIES}{created.json()['id']}/"

    changed = api_client.patch(url, {"capability": 2}, format="json")
    assert changed.status_code == 200
    assert changed.json()["industry_fit"] == 62.5

    assert api_client.delete(url).status_code == 204
    assert not IndustryFit.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"industry": "医疗", "need": 0, "capability": 3}, "need"),
        ({"industry": "医疗", "need": 6, "capability": 3}, "need"),
        ({"industry": "医疗", "need": 3, "capability": 0}, "capability"),
        ({"industry": "医疗", "need": 3, "capability": 6}, "capability"),
        ({"industry": "医疗", "need": "high", "capability": 3}, "need"),
        ({"industry": "", "need": 3, "capability": 3}, "industry"),
        ({"industry": "   ", "need": 3, "capability": 3}, "industry"),
        ({"industry": "医\x00疗", "need": 3, "capability": 3}, "industry"),
        ({"industry": "长" * 51, "need": 3, "capability": 3}, "industry"),
        ({"need": 3, "capability": 3}, "industry"),
    ],
)
def test_bad_rows_are_400_with_the_field_named(api_client, manager, body, field):
    api_client.force_authenticate(manager)

    response = api_client.post(INDUSTRIES, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not IndustryFit.objects.exists()


def test_an_industry_is_in_the_table_once(api_client, manager, manufacturing):
    api_client.force_authenticate(manager)

    response = api_client.post(INDUSTRIES, {"industry": "制造业", "need": 2, "capability": 2}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["industry"]
    assert "制造业" in response.json()["industry"][0]
    assert IndustryFit.objects.count() == 1


def test_renaming_a_row_to_a_taken_industry_is_refused(api_client, manager, manufacturing):
    other = IndustryFit.objects.create(industry="医疗", need=2, capability=2)
    api_client.force_authenticate(manager)

    response = api_client.patch(f"{INDUSTRIES}{other.pk}/", {"industry": "制造业"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["industry"]
    other.refresh_from_db()
    assert other.industry == "医疗"


def test_table_edits_have_a_history_that_managers_read(api_client, manager, rep):
    api_client.force_authenticate(manager)
    row = api_client.post(INDUSTRIES, {"industry": "医疗", "need": 3, "capability": 3}, format="json").json()
    api_client.patch(f"{INDUSTRIES}{row['id']}/", {"need": 5}, format="json")

    events = AuditEvent.objects.filter(object_type="industryfit", object_id=row["id"]).order_by("id")
    assert [event.action for event in events] == ["create", "update"]
    assert events[1].changes == {"need": [3, 5]}
    assert events[1].actor == manager
    trail = api_client.get("/api/v1/audit/", {"object": f"industryfit:{row['id']}"})
    assert trail.status_code == 200
    assert trail.json()["count"] == 2


# --- The industry fit table's pages -------------------------------------------------------------


def test_a_rep_reads_the_table_page_without_edit_links(client, rep, manufacturing):
    client.force_login(rep)

    response = client.get("/industry-fits/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "制造业" in html
    assert 'data-testid="industry-fit">62.5<' in html
    assert "/industry-fits/new/" not in html
    assert f"/industry-fits/{manufacturing.pk}/edit/" not in html


def test_a_rep_gets_403_from_the_table_forms(client, rep, manufacturing):
    client.force_login(rep)

    assert client.get("/industry-fits/new/").status_code == 403
    post = client.post("/industry-fits/new/", {"industry": "医疗", "need": 3, "capability": 3})
    edit = client.post(
        f"/industry-fits/{manufacturing.pk}/edit/", {"industry": "x", "need": 1, "capability": 1}
    )
    delete = client.post(f"/industry-fits/{manufacturing.pk}/delete/")

    assert (post.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    assert list(IndustryFit.objects.values_list("industry", "need")) == [("制造业", 4)]


def test_the_add_form_offers_the_industries_in_use_not_yet_in_the_table(client, manager, rep, other_rep):
    IndustryFit.objects.create(industry="制造业", need=3, capability=3)
    CustomerFactory(owner=rep, industry="制造业")
    CustomerFactory(owner=rep, industry="医疗")
    CustomerFactory(owner=rep, industry="医疗")
    CustomerFactory(owner=rep, industry="")
    CustomerFactory(owner=other_rep, industry="矿业")  # another team's: not the manager's to see
    client.force_login(manager)

    response = client.get("/industry-fits/new/")

    assert response.status_code == 200
    assert response.context["form"].industries == ["医疗"]
    html = response.content.decode()
    assert 'list="industries-in-use"' in html
    assert '<option value="医疗">' in html


def test_a_manager_adds_edits_and_deletes_a_row_from_the_pages(client, manager):
    client.force_login(manager)
    assert "/industry-fits/new/" in client.get("/industry-fits/").content.decode()

    added = client.post("/industry-fits/new/", {"industry": "新能源", "need": "5", "capability": "2"})
    assert added.status_code == 302
    row = IndustryFit.objects.get(industry="新能源")
    assert (row.need, row.capability, row.industry_fit) == (5, 2, Decimal("62.5"))
    form = client.get(f"/industry-fits/{row.pk}/edit/").content.decode()
    assert f'action="/industry-fits/{row.pk}/delete/"' in form
    assert f'data-panel-url="/history/industryfit/{row.pk}/"' in form
    assert client.get(f"/history/industryfit/{row.pk}/").status_code == 200

    edited = client.post(
        f"/industry-fits/{row.pk}/edit/", {"industry": "新能源", "need": "5", "capability": "5"}
    )
    assert edited.status_code == 302
    row.refresh_from_db()
    assert row.industry_fit == Decimal(100)

    deleted = client.post(f"/industry-fits/{row.pk}/delete/")
    assert deleted.status_code == 302
    assert not IndustryFit.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"industry": "医疗", "need": "0", "capability": "3"}, "need"),
        ({"industry": "医疗", "need": "6", "capability": "3"}, "need"),
        ({"industry": "制造业", "need": "3", "capability": "3"}, "industry"),
        ({"industry": "", "need": "3", "capability": "3"}, "industry"),
    ],
)
def test_the_form_shows_field_errors(client, manager, manufacturing, data, field):
    client.force_login(manager)

    response = client.post("/industry-fits/new/", data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert IndustryFit.objects.count() == 1


# --- The checklist's items over the API ---------------------------------------------------------


def test_everyone_reads_the_items_in_checklist_order(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.get(CRITERIA)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["label"] for item in results] == default_labels()
    assert [item["weight"] for item in results] == ["30.00", "20.00", "20.00", "20.00", "10.00"]
    assert all(item["is_active"] for item in results)


@pytest.mark.parametrize("user_fixture", ["rep", "manager"])
def test_only_admins_write_the_items(request, api_client, user_fixture):
    item = FitCriterion.objects.get(label="需求已确认")
    api_client.force_authenticate(request.getfixturevalue(user_fixture))

    created = api_client.post(CRITERIA, {"label": "高层支持", "weight": "10"}, format="json")
    changed = api_client.patch(f"{CRITERIA}{item.pk}/", {"weight": "99"}, format="json")
    deleted = api_client.delete(f"{CRITERIA}{item.pk}/")

    assert (created.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert FitCriterion.objects.count() == 5
    item.refresh_from_db()
    assert item.weight == Decimal(30)


def test_an_admin_adds_changes_and_deletes_items(api_client, admin_user):
    api_client.force_authenticate(admin_user)

    created = api_client.post(CRITERIA, {"label": "高层支持", "weight": "12.5", "position": 6}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() == {
        "id": created.json()["id"],
        "label": "高层支持",
        "weight": "12.50",
        "is_active": True,
        "position": 6,
    }
    url = f"{CRITERIA}{created.json()['id']}/"
    assert api_client.patch(url, {"weight": "0"}, format="json").json()["weight"] == "0.00"
    assert api_client.delete(url).status_code == 204
    assert FitCriterion.objects.count() == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "高层支持", "weight": "-1"}, "weight"),
        ({"label": "高层支持", "weight": "1000.01"}, "weight"),
        ({"label": "高层支持", "weight": "abc"}, "weight"),
        ({"label": "高层支持", "weight": "1e9"}, "weight"),
        ({"label": "高层支持", "weight": "1.234"}, "weight"),
        ({"label": "高层支持"}, "weight"),
        ({"label": "", "weight": "5"}, "label"),
        ({"label": "需求已确认", "weight": "5"}, "label"),
        ({"label": " 需求已确认 ", "weight": "5"}, "label"),
        ({"label": "Industry", "weight": "5"}, "label"),  # the import's column, in English
        ({"label": "行业", "weight": "5"}, "label"),  # … and in Chinese
        ({"label": "name", "weight": "5"}, "label"),  # … and its key
        ({"label": "高层支持", "weight": "5", "position": -1}, "position"),
    ],
)
def test_bad_items_are_400_with_the_field_named(api_client, admin_user, body, field):
    api_client.force_authenticate(admin_user)

    response = api_client.post(CRITERIA, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert FitCriterion.objects.count() == 5


def test_labels_that_differ_only_in_case_or_spacing_are_the_same_item(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    assert (
        api_client.post(CRITERIA, {"label": "Budget owner known", "weight": "5"}, format="json").status_code
        == 201
    )

    response = api_client.post(CRITERIA, {"label": "budget_owner  KNOWN", "weight": "5"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["label"]


def test_deactivating_an_item_keeps_its_ticks(api_client, admin_user, rep):
    item = FitCriterion.objects.get(label="预算已落实")
    customer = CustomerFactory(owner=rep)
    customer.fit_criteria.add(item)
    api_client.force_authenticate(admin_user)

    response = api_client.patch(f"{CRITERIA}{item.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert list(customer.fit_criteria.all()) == [item]
    assert api_client.patch(f"{CRITERIA}{item.pk}/", {"is_active": True}, format="json").status_code == 200
    assert list(customer.fit_criteria.all()) == [item]


def test_an_item_ever_ticked_is_not_deleted(api_client, admin_user, rep):
    item = FitCriterion.objects.get(label="预算已落实")
    CustomerFactory(owner=rep).fit_criteria.add(item)
    api_client.force_authenticate(admin_user)

    response = api_client.delete(f"{CRITERIA}{item.pk}/")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert FitCriterion.objects.filter(pk=item.pk).exists()
    assert Customer.fit_criteria.through.objects.filter(fitcriterion=item).count() == 1


def test_item_edits_have_a_history(api_client, admin_user, manager):
    item = FitCriterion.objects.get(label="需求已确认")
    api_client.force_authenticate(admin_user)

    api_client.patch(f"{CRITERIA}{item.pk}/", {"weight": "40", "is_active": False}, format="json")

    event = AuditEvent.objects.get(object_type="fitcriterion", object_id=item.pk)
    assert event.action == "update"
    assert event.changes == {"weight": ["30.00", "40.00"], "is_active": [True, False]}
    api_client.force_authenticate(manager)
    assert api_client.get("/api/v1/audit/", {"object": f"fitcriterion:{item.pk}"}).json()["count"] == 1


# --- The checklist's pages ----------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["rep", "manager"])
def test_everyone_reads_the_items_page_but_only_admins_edit(request, client, user_fixture):
    item = FitCriterion.objects.get(label="需求已确认")
    client.force_login(request.getfixturevalue(user_fixture))

    page = client.get("/fit-criteria/")

    assert page.status_code == 200
    assert [criterion.label for criterion in page.context["criteria"]] == default_labels()
    assert "/fit-criteria/new/" not in page.content.decode()
    assert client.get("/fit-criteria/new/").status_code == 403
    assert client.post(f"/fit-criteria/{item.pk}/edit/", {"label": "x", "weight": "1"}).status_code == 403
    assert client.post(f"/fit-criteria/{item.pk}/delete/").status_code == 403
    item.refresh_from_db()
    assert (item.label, item.weight) == ("需求已确认", Decimal(30))


def test_an_admin_edits_items_from_the_pages(client, admin_user):
    item = FitCriterion.objects.get(label="决策流程已清楚")
    client.force_login(admin_user)

    assert "/fit-criteria/new/" in client.get("/fit-criteria/").content.decode()
    edited = client.post(
        f"/fit-criteria/{item.pk}/edit/", {"label": "决策流程已清楚", "weight": "15", "position": "5"}
    )
    assert edited.status_code == 302
    item.refresh_from_db()
    assert (item.weight, item.is_active) == (Decimal(15), False)  # the unticked box: inactive

    bad = client.post("/fit-criteria/new/", {"label": "高层支持", "weight": "2000", "position": "6"})
    assert bad.status_code == 200
    assert list(bad.context["form"].errors) == ["weight"]

    added = client.post(
        "/fit-criteria/new/", {"label": "高层支持", "weight": "5", "is_active": "on", "position": "6"}
    )
    assert added.status_code == 302
    created = FitCriterion.objects.get(label="高层支持")
    assert client.post(f"/fit-criteria/{created.pk}/delete/").status_code == 302
    assert not FitCriterion.objects.filter(label="高层支持").exists()


def test_deleting_a_ticked_item_from_the_page_is_refused(client, admin_user, rep):
    item = FitCriterion.objects.get(label="预算已落实")
    CustomerFactory(owner=rep).fit_criteria.add(item)
    client.force_login(admin_user)

    response = client.post(f"/fit-criteria/{item.pk}/delete/", follow=True)

    assert response.redirect_chain == [(f"/fit-criteria/{item.pk}/edit/", 302)]
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert FitCriterion.objects.filter(pk=item.pk).exists()
