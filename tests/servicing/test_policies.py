"""The service levels per tier: the page (one row per tier) and the API, who may change them,
what a refusal leaves behind, and who changed them last."""

import pytest

from accounts.models import Tier
from audit.models import AuditEvent
from servicing.models import ServicePolicy
from tests.factories import UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DEFAULTS = {
    "platinum": (14, 90, 90),
    "gold": (30, 180, 180),
    "iron": (60, None, 365),
    "lead": (90, None, None),
}


def cadences() -> dict[str, tuple]:
    return {
        tier: (visit, executive, review)
        for tier, visit, executive, review in ServicePolicy.objects.values_list(
            "tier", "visit_days", "executive_days", "review_days"
        )
    }


def form_data(**changes) -> dict:
    """The page's form as it is posted: every tier's row, with `changes` ({"gold-visit_days": 21})."""
    data = {}
    for tier, values in DEFAULTS.items():
        data[f"{tier}-tier"] = tier
        for name, value in zip(("visit_days", "executive_days", "review_days"), values, strict=True):
            data[f"{tier}-{name}"] = "" if value is None else str(value)
    return {**data, **changes}


# --- The page ---------------------------------------------------------------------------------


def test_the_defaults_are_domain_md_s():
    assert cadences() == DEFAULTS


def test_reps_read_the_page_without_a_form_to_save(client, rep):
    client.force_login(rep)

    response = client.get("/service-levels/", **EN)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<fieldset") == 4
    assert 'data-testid="policy-platinum" disabled' in html
    assert 'data-testid="policies-save"' not in html
    assert 'data-testid="policies-read-only"' in html


def test_a_rep_cannot_save(client, rep):
    client.force_login(rep)

    response = client.post("/service-levels/", form_data(**{"gold-visit_days": "7"}))

    assert response.status_code == 403
    assert cadences() == DEFAULTS


def test_a_manager_saves_every_tier_at_once(client, manager):
    client.force_login(manager)

    response = client.post(
        "/service-levels/",
        form_data(**{"gold-visit_days": "21", "iron-executive_days": "120", "platinum-review_days": ""}),
    )

    assert response.status_code == 302
    assert response["Location"] == "/service-levels/"
    assert cadences() == {
        **DEFAULTS,
        "gold": (21, 180, 180),
        "iron": (60, 120, 365),
        "platinum": (14, 90, None),
    }
    changed = ServicePolicy.objects.filter(updated_by=manager).values_list("tier", flat=True)
    assert sorted(changed) == ["gold", "iron", "platinum"]  # lead was not changed: not touched
    assert AuditEvent.objects.filter(object_type="servicepolicy").count() == 3


@pytest.mark.parametrize("value", ["0", "3651", "abc", "-5", "1.5"])
def test_a_wrong_cadence_is_a_field_error_and_nothing_is_saved(client, admin_user, value):
    client.force_login(admin_user)

    response = client.post(
        "/service-levels/", form_data(**{"gold-visit_days": "21", "lead-visit_days": value}), **EN
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="field-error"' in html
    assert cadences() == DEFAULTS  # not even gold's valid change


def test_a_post_without_the_rows_saves_nothing(client, manager):
    client.force_login(manager)

    response = client.post("/service-levels/", {})

    assert response.status_code == 400
    assert cadences() == DEFAULTS


def test_the_scoring_page_links_to_the_service_levels(client, manager):
    client.force_login(manager)

    html = client.get("/scoring/").content.decode()

    assert 'href="/service-levels/"' in html


# --- The API ----------------------------------------------------------------------------------


def test_everyone_reads_the_policies_strictest_tier_first(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.get("/api/v1/service-policies/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["tier"], row["visit_days"], row["executive_days"], row["review_days"]) for row in rows] == [
        (tier, *values) for tier, values in DEFAULTS.items()
    ]
    assert rows[0]["updated_by"] is None


def test_a_manager_changes_one_tier(api_client, manager):
    manager.last_name, manager.first_name = "王", "芳"
    manager.save()
    api_client.force_authenticate(manager)

    response = api_client.patch("/api/v1/service-policies/iron/", {"executive_days": 120}, format="json")

    assert response.status_code == 200
    assert response.json()["executive_days"] == 120
    assert response.json()["updated_by"] == manager.pk
    assert response.json()["updated_by_name"] == "王芳"
    assert cadences()["iron"] == (60, 120, 365)


def test_put_sets_what_it_sends_and_keeps_the_rest(api_client, admin_user):
    api_client.force_authenticate(admin_user)

    response = api_client.put(
        "/api/v1/service-policies/gold/", {"visit_days": 21, "review_days": None}, format="json"
    )

    assert response.status_code == 200
    assert cadences()["gold"] == (21, 180, None)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_reps_cannot_change_a_policy(api_client, rep, method):
    api_client.force_authenticate(rep)

    response = getattr(api_client, method)("/api/v1/service-policies/gold/", {"visit_days": 1}, format="json")

    assert response.status_code == 403
    assert cadences() == DEFAULTS


@pytest.mark.parametrize("value", [0, 3651, "abc", 1.5, True])
def test_a_wrong_cadence_is_a_400_with_the_field_named(api_client, manager, value):
    api_client.force_authenticate(manager)

    response = api_client.patch("/api/v1/service-policies/gold/", {"visit_days": value}, format="json")

    assert response.status_code == 400
    assert "visit_days" in response.json()
    assert cadences() == DEFAULTS


def test_an_unknown_tier_is_a_404(api_client, manager):
    api_client.force_authenticate(manager)

    assert api_client.get("/api/v1/service-policies/bronze/").status_code == 404
    assert (
        api_client.patch("/api/v1/service-policies/bronze/", {"visit_days": 3}, format="json").status_code
        == 404
    )


def test_a_missing_row_is_shown_with_the_defaults_and_comes_back_when_saved(api_client, manager):
    ServicePolicy.objects.filter(tier=Tier.LEAD).delete()
    api_client.force_authenticate(manager)

    assert api_client.get("/api/v1/service-policies/lead/").json()["visit_days"] == 90
    response = api_client.patch("/api/v1/service-policies/lead/", {"visit_days": 60}, format="json")

    assert response.status_code == 200
    assert cadences()["lead"] == (60, None, None)


def test_the_list_takes_one_query(api_client, manager, django_assert_num_queries):
    other = UserFactory(role=Role.MANAGER)
    ServicePolicy.objects.filter(tier__in=["gold", "iron"]).update(updated_by=other)
    api_client.force_authenticate(manager)

    with django_assert_num_queries(1):  # the policies with who changed them (no session: forced auth)
        api_client.get("/api/v1/service-policies/")
