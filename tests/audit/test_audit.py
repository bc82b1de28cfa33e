"""The audit trail: every change that matters is recorded with who, when, old → new and from
where, shown to managers and admins, and never editable through the product."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Customer, Tier
from accounts.services import customer_update
from audit.admin import AuditEventAdmin
from audit.context import audit_context
from audit.models import AuditEvent
from pipeline.models import Opportunity
from scoring import services as scoring_services
from scoring.models import TierChange
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    OpportunityFactory,
    TeamFactory,
    TransactionFactory,
    UserFactory,
)
from users.models import Role, User

pytestmark = pytest.mark.django_db


def events(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("id"))


def forget_setup() -> None:
    """The rows the factories' own saves wrote; each test asserts only what it does."""
    AuditEvent.objects.all().delete()


@pytest.fixture
def other_manager(other_rep):
    user = UserFactory(username="manager9", role=Role.MANAGER)
    other_rep.teams.get().managers.add(user)
    return user


# --- What is recorded ---------------------------------------------------------------------------


def test_a_customer_created_on_the_page_records_who_what_and_from_where(client, rep):
    client.force_login(rep)
    before = timezone.now()

    response = client.post(
        "/customers/new/", {"name": "苏州精工有限公司", "industry": "制造业", "status": "prospect"}
    )

    assert response.status_code == 302, response.content
    customer = Customer.objects.get(name="苏州精工有限公司")
    [created] = events("customer", customer.pk)
    assert created.action == "create"
    assert (created.actor, created.actor_name, created.source) == (rep, "rep1", "page")
    assert created.origin == "POST /customers/new/"
    assert created.at >= before
    assert created.customer_id == customer.pk
    assert created.changes["name"] == [None, "苏州精工有限公司"]
    assert created.changes["owner"] == [None, {"id": rep.pk, "label": "rep1"}]


def test_an_owner_change_over_the_api_records_old_and_new_owner(api_client, rep, manager, team):
    colleague = UserFactory(username="rep2", role=Role.REP)
    team.members.add(colleague)
    customer = CustomerFactory(owner=rep, name="无锡华光有限公司")
    forget_setup()
    api_client.force_authenticate(manager)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"owner": colleague.pk}, format="json")

    assert response.status_code == 200, response.content
    [changed] = events("customer", customer.pk)
    assert (changed.action, changed.source, changed.actor) == ("update", "api", manager)
    assert changed.origin == f"PATCH /api/v1/customers/{customer.pk}/"
    assert changed.changes == {
        "owner": [{"id": rep.pk, "label": "rep1"}, {"id": colleague.pk, "label": "rep2"}]
    }


def test_saving_without_a_change_records_nothing(api_client, rep):
    customer = CustomerFactory(owner=rep, industry="制造业")
    forget_setup()
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{customer.pk}/", {"industry": "制造业"}, format="json")

    assert response.status_code == 200
    assert events("customer", customer.pk) == []


def test_a_token_authenticated_change_is_attributed_to_the_token_user(client, rep):
    from rest_framework.authtoken.models import Token

    customer = CustomerFactory(owner=rep, region="华东")
    forget_setup()
    token = Token.objects.create(user=rep)

    response = client.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"region": "华南"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )

    assert response.status_code == 200
    [changed] = events("customer", customer.pk)
    assert (changed.actor, changed.source, changed.changes) == (rep, "api", {"region": ["华东", "华南"]})


def test_deleting_a_customer_records_the_deletion_and_its_contacts(api_client, rep):
    customer = CustomerFactory(owner=rep, name="待删除有限公司")
    contact = ContactFactory(customer=customer, name="王伟")
    forget_setup()
    api_client.force_authenticate(rep)

    response = api_client.delete(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 204
    [deleted] = events("customer", customer.pk)
    assert deleted.action == "delete"
    assert deleted.object_repr == "待删除有限公司"
    assert deleted.changes["name"] == ["待删除有限公司", None]
    [contact_deleted] = events("contact", contact.pk)
    assert (contact_deleted.action, contact_deleted.customer_id) == ("delete", customer.pk)


def test_contact_changes_are_recorded_under_their_customer(api_client, rep):
    customer = CustomerFactory(owner=rep)
    contact = ContactFactory(customer=customer, name="李娜", title="采购经理")
    forget_setup()
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/contacts/{contact.pk}/", {"title": "采购总监"}, format="json")

    assert response.status_code == 200, response.content
    [changed] = events("contact", contact.pk)
    assert changed.customer_id == customer.pk
    assert changed.changes == {"title": ["采购经理", "采购总监"]}


def test_an_opportunity_stage_change_is_recorded(api_client, rep):
    opportunity = OpportunityFactory(customer=CustomerFactory(owner=rep), owner=rep)
    forget_setup()
    api_client.force_authenticate(rep)

    response = api_client.post(
        f"/api/v1/opportunities/{opportunity.pk}/move/", {"to": "lost", "reason": "价格太高"}, format="json"
    )

    assert response.status_code == 200, response.content
    [moved] = events("opportunity", opportunity.pk)
    assert moved.changes["stage"] == [opportunity.stage, "lost"]
    assert moved.changes["lost_reason"] == ["", "价格太高"]
    assert moved.customer_id == opportunity.customer_id


def test_a_new_scoring_model_version_is_recorded(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.put(
        "/api/v1/scoring/model/", {"weight_sales": "50.00", "note": "重销售"}, format="json"
    )

    assert response.status_code == 200, response.content
    created = AuditEvent.objects.filter(object_type="scoringmodel", action="create").latest("id")
    assert (created.actor, created.source) == (manager, "api")
    assert created.changes["weight_sales"][1] == "50.00"


def test_users_and_team_membership_from_the_command_are_recorded(db):
    call_command(
        "add_user", "rep7", "--password", "Kam-test-2026!", "--role", "rep", "--team", "华北大客户部"
    )

    user = User.objects.get(username="rep7")
    [created] = events("user", user.pk)
    assert (created.source, created.origin) == ("command", "manage.py add_user")
    assert created.changes["role"] == [None, "rep"]
    assert created.changes["password"] == [None, "******"]
    team = user.teams.get()
    assert events("team", team.pk)[-1].changes == {"members": {"added": ["rep7"], "removed": []}}

    call_command(
        "add_user", "rep7", "--password", "Kam-test-2026!", "--role", "manager", "--team", "华北大客户部"
    )

    assert events("user", user.pk)[-1].changes["role"] == ["rep", "manager"]


def test_team_membership_changes_from_the_team_side(db):
    team = TeamFactory(name="华中大客户部")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")

    team.members.add(alice, bob)
    team.members.remove(bob)
    team.managers.set([alice])

    changes = [event.changes for event in events("team", team.pk)]
    assert changes[-3:] == [
        {"members": {"added": ["alice", "bob"], "removed": []}},
        {"members": {"added": [], "removed": ["bob"]}},
        {"managers": {"added": ["alice"], "removed": []}},
    ]


def test_an_account_team_change_is_one_row_with_who_joined_and_who_left(rep, team):
    joiner, leaver = UserFactory(username="rep2"), UserFactory(username="rep3")
    team.members.add(joiner, leaver)
    customer = CustomerFactory(owner=rep)
    customer_update(customer=customer, by=rep, account_team=[leaver])
    AuditEvent.objects.all().delete()

    customer_update(customer=customer, by=rep, account_team=[joiner])

    [changed] = events("customer", customer.pk)
    assert changed.changes == {"account_team": {"added": ["rep2"], "removed": ["rep3"]}}


def test_an_import_records_each_created_customer_as_from_the_import(client, rep):
    client.force_login(rep)
    data = "name,industry\n常州一号有限公司,制造业\n常州二号有限公司,化工\n".encode()

    response = client.post("/customers/import/", {"file": SimpleUploadedFile("c.csv", data)})

    assert response.status_code in (200, 302), response.content
    rows = AuditEvent.objects.filter(object_type="customer").order_by("object_repr")
    assert [(r.object_repr, r.source, r.actor, r.action) for r in rows] == [
        ("常州一号有限公司", "import", rep, "create"),
        ("常州二号有限公司", "import", rep, "create"),
    ]
    assert rows[0].changes["industry"] == [None, "制造业"]
    assert rows[0].changes["owner"] == [None, {"id": rep.pk, "label": "rep1"}]


def test_a_scoring_run_records_each_tier_change_as_from_the_job(rep, manager):
    customers = [CustomerFactory(owner=rep, status="customer", tier=Tier.LEAD) for _ in range(6)]
    for index, customer in enumerate(customers):
        TransactionFactory(customer=customer, amount=Decimal(10_000 * (index + 1) ** 3))
    run, _created = scoring_services.run_request(by=manager, trigger="api", enqueue=False)

    scoring_services.run_execute(run_id=run.pk)

    moved = {(t.customer_id, t.from_tier, t.to_tier) for t in TierChange.objects.filter(run=run)}
    assert moved  # the biggest customers left the lead tier
    rows = AuditEvent.objects.filter(object_type="customer", source="job")
    assert {(r.object_id, *r.changes["tier"]) for r in rows} == moved
    assert {(r.actor_id, r.actor_name, r.origin) for r in rows} == {
        (manager.pk, "manager", f"scoring run {run.pk}")
    }


def test_a_job_context_attributes_writes_to_the_job(rep):
    customer = CustomerFactory(owner=rep, notes="")

    forget_setup()

    with audit_context(source="job", origin="nightly"):
        customer.notes = "自动备注"
        customer.save()

    [changed] = events("customer", customer.pk)
    assert (changed.source, changed.origin, changed.actor) == ("job", "nightly", None)


# --- Who may read it -----------------------------------------------------------------------------


@pytest.fixture
def trail(rep, other_rep, manager, admin_user):
    """One change each on a customer of ours, of the other team, on a user and on the model."""
    ours = CustomerFactory(owner=rep, name="我们的客户有限公司")
    theirs = CustomerFactory(owner=other_rep, name="别人的客户有限公司")
    for customer in (ours, theirs):
        customer.notes = "改过"
        customer.save()
    rep.first_name = "伟伟"
    rep.save()
    return ours, theirs


def test_reps_cannot_read_the_audit_trail(api_client, rep, trail):
    api_client.force_authenticate(rep)

    assert api_client.get("/api/v1/audit/").status_code == 403


def test_anonymous_cannot_read_the_audit_trail(api_client, trail):
    assert api_client.get("/api/v1/audit/").status_code == 401


def test_a_manager_reads_their_teams_customers_but_not_others_nor_users(api_client, manager, trail):
    ours, theirs = trail
    api_client.force_authenticate(manager)

    response = api_client.get("/api/v1/audit/")

    assert response.status_code == 200
    seen = {(row["object_type"], row["object_id"]) for row in response.json()["results"]}
    assert ("customer", ours.pk) in seen
    assert ("customer", theirs.pk) not in seen
    assert not any(object_type == "user" for object_type, _id in seen)


def test_the_object_filter_narrows_to_one_record(api_client, manager, trail):
    ours, _theirs = trail
    api_client.force_authenticate(manager)

    response = api_client.get(f"/api/v1/audit/?object=customer:{ours.pk}")

    rows = response.json()["results"]
    assert [(row["action"], row["object_id"]) for row in rows] == [("update", ours.pk), ("create", ours.pk)]
    assert rows[0]["changes"] == {"notes": ["", "改过"]}


def test_another_teams_manager_sees_nothing_of_our_customer(api_client, other_manager, trail):
    ours, theirs = trail
    api_client.force_authenticate(other_manager)

    assert api_client.get(f"/api/v1/audit/?object=customer:{ours.pk}").json()["results"] == []
    assert len(api_client.get(f"/api/v1/audit/?object=customer:{theirs.pk}").json()["results"]) == 2


def test_an_admin_reads_everything_including_users(api_client, admin_user, rep, trail):
    api_client.force_authenticate(admin_user)

    response = api_client.get(f"/api/v1/audit/?object=user:{rep.pk}")

    assert response.status_code == 200
    assert response.json()["results"][0]["changes"]["first_name"][1] == "伟伟"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("object=planet:1", "object"),
        ("object=customer:abc", "object"),
        ("object=customer", "object"),
        ("source=fax", "source"),
        ("since=yesterday", "since"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api_client, manager, query, field):
    api_client.force_authenticate(manager)

    response = api_client.get(f"/api/v1/audit/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_the_list_costs_the_same_queries_for_one_row_or_many(
    api_client, manager, rep, trail, django_assert_num_queries
):
    api_client.force_authenticate(manager)
    for index in range(20):
        CustomerFactory(owner=rep, name=f"批量客户{index}有限公司")

    # is the caller a team manager, count, page: none per row
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/audit/?page_size=200")

    assert response.status_code == 200
    assert response.json()["count"] >= 22


# --- Nothing can be edited -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_offers_no_way_to_write(api_client, admin_user, trail, method):
    api_client.force_authenticate(admin_user)
    event = AuditEvent.objects.first()
    url = "/api/v1/audit/" if method == "post" else f"/api/v1/audit/{event.pk}/"

    response = getattr(api_client, method)(url, {"actor_name": "nobody"}, format="json")

    assert response.status_code == 405
    event.refresh_from_db()
    assert event.actor_name != "nobody"


def test_the_admin_is_read_only(rf, admin_user):
    from django.contrib.admin.sites import site

    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = AuditEventAdmin(AuditEvent, site)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


# --- The history on each record's page -----------------------------------------------------------


def test_the_customer_page_shows_its_history_to_the_manager(client, manager, trail):
    ours, _theirs = trail
    ContactFactory(customer=ours, name="赵敏")
    client.force_login(manager)

    page = client.get(f"/customers/{ours.pk}/")
    panel = client.get(f"/history/customer/{ours.pk}/")

    assert f'data-panel-url="/history/customer/{ours.pk}/"' in page.content.decode()
    assert panel.status_code == 200
    html = panel.content.decode()
    assert html.count('data-testid="audit-row"') == 3  # created, notes changed, contact created
    assert "赵敏" in html
    assert "改过" in html


def test_reps_see_no_history_panel(client, rep, trail):
    ours, _theirs = trail
    client.force_login(rep)

    assert "history-panel" not in client.get(f"/customers/{ours.pk}/").content.decode()
    assert client.get(f"/history/customer/{ours.pk}/").status_code == 403


def test_another_teams_manager_gets_404_for_our_history(client, other_manager, trail):
    ours, _theirs = trail
    client.force_login(other_manager)

    assert client.get(f"/history/customer/{ours.pk}/").status_code == 404


def test_the_opportunity_page_and_scoring_page_have_their_history(client, manager, rep):
    opportunity = Opportunity.objects.get(
        pk=OpportunityFactory(customer=CustomerFactory(owner=rep), owner=rep).pk
    )
    opportunity.title = "新标题"
    opportunity.save()
    client.force_login(manager)

    detail = client.get(f"/pipeline/opportunities/{opportunity.pk}/").content.decode()
    panel = client.get(f"/history/opportunity/{opportunity.pk}/").content.decode()
    scoring = client.get("/scoring/").content.decode()

    assert f"/history/opportunity/{opportunity.pk}/" in detail
    assert "新标题" in panel
    assert "/history/scoringmodel/" in scoring


def test_user_history_is_for_admins_only(client, manager, admin_user, rep, trail):
    client.force_login(manager)
    assert client.get(f"/history/user/{rep.pk}/").status_code == 403

    client.force_login(admin_user)
    response = client.get(f"/history/user/{rep.pk}/")
    assert response.status_code == 200
    assert "伟伟" in response.content.decode()


def test_unknown_object_types_are_404(client, manager):
    client.force_login(manager)

    assert client.get("/history/planet/1/").status_code == 404


def test_the_admin_history_button_shows_the_audit_trail(client, admin_user, rep, trail):
    client.force_login(admin_user)

    response = client.get(f"/admin/users/user/{rep.pk}/history/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="admin-audit-history"' in html
    assert "伟伟" in html


@pytest.mark.parametrize(
    "moment", ["0317-06-18T00:19:30-17:36", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00"]
)
def test_times_out_of_range_are_a_400_not_a_database_error(api_client, manager, moment):
    api_client.force_authenticate(manager)

    response = api_client.get("/api/v1/audit/", {"since": moment, "until": moment})

    assert response.status_code == 400
    assert "since" in response.json()


def test_a_far_offset_within_range_is_compared_in_utc(api_client, manager, trail):
    api_client.force_authenticate(manager)

    response = api_client.get("/api/v1/audit/", {"since": "2000-01-01T00:00:00-15:30"})

    assert response.status_code == 200
    assert response.json()["count"] >= 2


# --- The baseline a change is measured against ---------------------------------------------------


def test_a_save_with_update_fields_leaves_the_other_changes_for_the_next_save(rep):
    customer = Customer.objects.get(pk=CustomerFactory(owner=rep, region="华东", industry="制造业").pk)
    forget_setup()

    customer.region, customer.industry = "华南", "化工"
    customer.save(update_fields=["region"])
    customer.save()

    assert [e.changes for e in events("customer", customer.pk)] == [
        {"region": ["华东", "华南"]},
        {"industry": ["制造业", "化工"]},
    ]


def test_a_deferred_field_set_and_saved_is_recorded_with_its_old_value(rep):
    pk = CustomerFactory(owner=rep, region="华东").pk
    forget_setup()

    customer = Customer.objects.only("name").get(pk=pk)
    customer.region = "华南"
    customer.save()

    assert [e.changes for e in events("customer", pk)] == [{"region": ["华东", "华南"]}]


def test_a_change_made_elsewhere_and_refreshed_is_not_blamed_on_the_next_save(rep):
    customer = Customer.objects.get(pk=CustomerFactory(owner=rep, region="华东").pk)
    Customer.objects.filter(pk=customer.pk).update(region="华北")
    forget_setup()

    customer.refresh_from_db()
    customer.notes = "备注"
    customer.save()

    assert [e.changes for e in events("customer", customer.pk)] == [{"notes": ["", "备注"]}]


def test_a_row_saved_by_primary_key_alone_is_compared_with_the_database():
    team = TeamFactory(name="旧名字")
    forget_setup()

    TeamFactory._meta.model(pk=team.pk, name="新名字").save()

    assert [e.changes for e in events("team", team.pk)] == [{"name": ["旧名字", "新名字"]}]


def test_a_new_model_version_lists_every_setting_even_one_back_at_its_default(api_client, manager):
    api_client.force_authenticate(manager)
    default = api_client.get("/api/v1/scoring/model/").json()["weight_sales"]
    api_client.put("/api/v1/scoring/model/", {"weight_sales": "50.00"}, format="json")

    api_client.put("/api/v1/scoring/model/", {"weight_sales": default}, format="json")

    latest = AuditEvent.objects.filter(object_type="scoringmodel", action="create").latest("id")
    assert latest.changes["weight_sales"] == [None, default]


# --- Team and account-team edge cases ------------------------------------------------------------


def test_deleting_a_customer_with_an_account_team_writes_only_its_own_deletion(api_client, rep, team):
    helper = UserFactory(username="rep2")
    team.members.add(helper)
    customer = CustomerFactory(owner=rep)
    customer_update(customer=customer, by=rep, account_team=[helper])
    forget_setup()
    api_client.force_authenticate(rep)

    assert api_client.delete(f"/api/v1/customers/{customer.pk}/").status_code == 204

    assert [(e.object_type, e.action) for e in AuditEvent.objects.all()] == [("customer", "delete")]


def test_an_account_team_member_swapped_in_the_same_row_is_recorded(rep):
    from accounts.models import AccountTeamMember

    first, second = UserFactory(username="rep2"), UserFactory(username="rep3")
    customer = CustomerFactory(owner=rep)
    AccountTeamMember.objects.create(customer=customer, user=first)
    forget_setup()

    membership = AccountTeamMember.objects.get(customer=customer)
    membership.user = second
    membership.save()

    [changed] = events("customer", customer.pk)
    assert changed.changes == {"account_team": {"added": ["rep3"], "removed": ["rep2"]}}


def test_account_team_add_through_the_relation_is_recorded(rep):
    helper = UserFactory(username="rep2")
    customer = CustomerFactory(owner=rep)
    forget_setup()

    customer.account_team.add(helper)

    [changed] = events("customer", customer.pk)
    assert changed.changes == {"account_team": {"added": ["rep2"], "removed": []}}


def test_removing_someone_who_is_not_a_member_records_nothing():
    team = TeamFactory(name="华中大客户部")
    outsider = UserFactory(username="outsider")
    forget_setup()

    team.members.remove(outsider)

    assert events("team", team.pk) == []


# --- Changes made on the side ----------------------------------------------------------------------


def test_winning_a_deal_records_the_prospect_becoming_a_customer(api_client, manager, rep):
    customer = CustomerFactory(owner=rep, status="prospect")
    opportunity = OpportunityFactory(customer=customer, owner=rep, stage="closing")
    forget_setup()
    api_client.force_authenticate(manager)

    response = api_client.post(
        f"/api/v1/opportunities/{opportunity.pk}/move/",
        {"to": "won", "override_reason": "已签约"},
        format="json",
    )

    assert response.status_code == 200, response.content
    [changed] = events("customer", customer.pk)
    assert changed.changes == {"status": ["prospect", "customer"]}


def test_deleting_a_user_records_the_owner_changes_and_keeps_their_rows(rep, manager):
    customer = CustomerFactory(owner=rep)
    opportunity = OpportunityFactory(customer=customer, owner=rep)
    with audit_context(actor=rep, source="api"):
        customer.notes = "rep1 写的"
        customer.save()
    written = AuditEvent.objects.get(object_type="customer", object_id=customer.pk, action="update")

    rep.delete()

    owner_rows = AuditEvent.objects.filter(changes__owner__isnull=False, action="update")
    assert {(e.object_type, e.object_id) for e in owner_rows} == {
        ("customer", customer.pk),
        ("opportunity", opportunity.pk),
    }
    assert all(e.changes["owner"] == [{"id": written.actor_id, "label": "rep1"}, None] for e in owner_rows)
    written.refresh_from_db()
    assert (written.actor_id, written.actor_name) == (owner_rows[0].changes["owner"][0]["id"], "rep1")


def test_a_malformed_admin_history_id_is_a_404(client, admin_user):
    client.force_login(admin_user)

    assert client.get("/admin/accounts/customer/abc/history/").status_code == 404
    assert client.get("/admin/users/team/999999/history/").status_code == 404


def test_contact_profile_values_are_masked_for_a_viewer_who_may_not_see_them(rep, other_rep):
    from audit.selectors import mask_personal

    contact = ContactFactory(customer=CustomerFactory(owner=rep), name="钱七", hometown="绍兴", title="经理")
    [created] = events("contact", contact.pk)

    [masked] = mask_personal([created], other_rep)
    [shown] = mask_personal(events("contact", contact.pk), rep)

    assert masked.changes["hometown"] == [None, "******"]  # the personal profile
    assert masked.changes["title"] == [None, "经理"]  # business fields stay
    assert shown.changes["hometown"] == [None, "绍兴"]
