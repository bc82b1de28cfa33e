"""A customer's site and each check-in's distance to it: the service, the customer form, the
"use as the customer's site" button, the API and the pages that list visits.

The site is 上海人民广场 (31.2304, 121.4737). A check-in 0.0009° of latitude north of it is
0.0009 × 111,195.08 m = 100.08 m away (near); one 0.0108° north is 1,200.91 m away (far, beyond
the default 1,000 m). Page assertions look at data and data-testid hooks, not translated labels.
"""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts import services
from accounts.models import Customer, Visit
from accounts.templatetags.checkin import distance
from audit.models import AuditEvent
from tests.factories import CustomerFactory, VisitFactory

pytestmark = pytest.mark.django_db

SITE = (Decimal("31.230400"), Decimal("121.473700"))
NEAR = (Decimal("31.231300"), Decimal("121.473700"))  # 100 m north
FAR = (Decimal("31.241200"), Decimal("121.473700"))  # 1,201 m north


@pytest.fixture
def sited(rep):
    return CustomerFactory(owner=rep, name="上海华信精密机械有限公司", latitude=SITE[0], longitude=SITE[1])


@pytest.fixture
def unsited(rep):
    return CustomerFactory(owner=rep, name="杭州西湖软件有限公司")


def check_in(customer, at, **fields):
    return VisitFactory(customer=customer, latitude=at[0], longitude=at[1], **fields)


def site_of(customer):
    customer.refresh_from_db()
    return (customer.latitude, customer.longitude)


def audit_rows(customer):
    return list(
        AuditEvent.objects.filter(object_type="customer", object_id=customer.pk, action="update").order_by(
            "id"
        )
    )


# --- The service -----------------------------------------------------------------------------


def test_setting_the_site_writes_the_coordinates_and_an_audit_row(rep, unsited):
    services.customer_set_location(customer=unsited, by=rep, latitude=SITE[0], longitude=SITE[1])

    assert site_of(unsited) == SITE
    [row] = audit_rows(unsited)
    assert set(row.changes) == {"latitude", "longitude"}
    assert [Decimal(str(value)) if value is not None else None for value in row.changes["latitude"]] == [
        None,
        SITE[0],
    ]


def test_setting_the_same_site_again_changes_nothing(rep, sited):
    services.customer_set_location(customer=sited, by=rep, latitude=SITE[0], longitude=Decimal("121.4737"))

    assert audit_rows(sited) == []


def test_clearing_the_site(rep, sited):
    services.customer_set_location(customer=sited, by=rep, latitude=None, longitude=None)

    assert site_of(sited) == (None, None)
    assert len(audit_rows(sited)) == 1


def test_the_owners_manager_may_set_the_site(manager, unsited):
    services.customer_set_location(customer=unsited, by=manager, latitude=SITE[0], longitude=SITE[1])

    assert site_of(unsited) == SITE


def test_someone_who_cannot_see_the_customer_may_not(other_rep, sited):
    with pytest.raises(PermissionDenied):
        services.customer_set_location(customer=sited, by=other_rep, latitude=NEAR[0], longitude=NEAR[1])

    assert site_of(sited) == SITE
    assert audit_rows(sited) == []


@pytest.mark.parametrize(
    ("latitude", "longitude", "fields"),
    [
        (SITE[0], None, {"latitude", "longitude"}),
        (None, SITE[1], {"latitude", "longitude"}),
        (Decimal("90.000001"), SITE[1], {"latitude"}),
        (SITE[0], Decimal("-180.5"), {"longitude"}),
        (Decimal("31.2304001"), SITE[1], {"latitude"}),  # seven decimals: more than the column holds
    ],
)
def test_an_incomplete_or_impossible_site_is_refused(rep, sited, latitude, longitude, fields):
    with pytest.raises(ValidationError) as refused:
        services.customer_set_location(customer=sited, by=rep, latitude=latitude, longitude=longitude)

    assert set(refused.value.message_dict) == fields
    assert site_of(sited) == SITE


def test_customer_update_checks_the_site_too(rep, sited):
    with pytest.raises(ValidationError) as refused:
        services.customer_update(customer=sited, by=rep, latitude=None)

    assert set(refused.value.message_dict) == {"latitude", "longitude"}
    assert site_of(sited) == SITE


# --- The distance on a visit -----------------------------------------------------------------


def test_a_visit_knows_its_distance_from_the_site_read_with_it(sited, unsited, settings):
    near, far = check_in(sited, NEAR), check_in(sited, FAR)
    no_check_in = VisitFactory(customer=sited)
    no_site = check_in(unsited, NEAR)

    visits = {visit.pk: visit for visit in Visit.objects.with_site()}

    assert (visits[near.pk].checkin_distance_m, visits[near.pk].checkin_far) == (100, False)
    assert (visits[far.pk].checkin_distance_m, visits[far.pk].checkin_far) == (1201, True)
    assert (visits[no_check_in.pk].checkin_distance_m, visits[no_check_in.pk].checkin_far) == (None, None)
    assert (visits[no_site.pk].checkin_distance_m, visits[no_site.pk].checkin_far) == (None, None)
    settings.KAM_CHECKIN_MAX_METERS = 100  # 100.08 m is beyond it
    assert visits[near.pk].checkin_far is True


def test_the_distance_is_never_a_query_of_its_own(sited, django_assert_num_queries):
    visit = check_in(sited, NEAR)
    bare = Visit.objects.get(pk=visit.pk)  # neither the site nor the customer loaded

    with django_assert_num_queries(0), pytest.raises(TypeError):
        bare.checkin_distance_m  # noqa: B018
    with django_assert_num_queries(1):
        assert Visit.objects.select_related("customer").get(pk=visit.pk).checkin_distance_m == 100


@pytest.mark.parametrize(
    ("meters", "text"),
    [(None, ""), (0, "0 m"), (320, "320 m"), (999, "999 m"), (1000, "1.0 km"), (1249, "1.2 km"),
     (99_949, "99.9 km"), (1_068_140, "1,068 km")],
)  # fmt: skip
def test_how_a_distance_reads(meters, text):
    with translation.override("en"):
        assert distance(meters) == text


# --- The pages -------------------------------------------------------------------------------


def checkins(html: str) -> list[tuple[str, str]]:
    """(distance in metres, far) of each check-in shown, in page order."""
    return re.findall(r'data-testid="visit-checkin" data-distance-m="(\d*)" data-far="(\d?)"', html)


def test_the_customer_page_shows_each_check_ins_distance(client, rep, sited):
    far = check_in(sited, FAR, summary="远")
    VisitFactory(customer=sited, summary="没有签到")
    check_in(sited, NEAR, summary="近")
    client.force_login(rep)

    html = client.get(f"/customers/{sited.pk}/").content.decode()

    assert checkins(html) == [("100", "0"), ("1201", "1")]  # newest first; no row without a check-in
    assert html.count('data-testid="checkin-far"') == 1
    assert html.count('data-testid="use-as-site"') == 2
    assert f'action="/visits/{far.pk}/use-as-site/"' in html
    assert 'data-testid="customer-site">31.230400, 121.473700<' in html


def test_a_check_in_at_a_customer_without_a_site_offers_to_become_it(client, rep, unsited):
    check_in(unsited, NEAR)
    client.force_login(rep)

    html = client.get(f"/customers/{unsited.pk}/").content.decode()

    assert checkins(html) == [("", "")]
    assert html.count('data-testid="use-as-site"') == 1
    assert 'data-testid="customer-site"' not in html


def test_my_day_shows_the_distance_of_recent_check_ins(client, rep, sited):
    check_in(sited, FAR)
    client.force_login(rep)

    html = client.get("/my-day/").content.decode()

    assert checkins(html) == [("1201", "1")]
    assert 'data-testid="use-as-site"' not in html


def test_use_as_the_customers_site(client, rep, unsited):
    visit = check_in(unsited, NEAR)
    client.force_login(rep)

    response = client.post(f"/visits/{visit.pk}/use-as-site/")

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{unsited.pk}/#visit-{visit.pk}"
    assert site_of(unsited) == NEAR
    [row] = audit_rows(unsited)
    assert row.actor == rep
    html = client.get(f"/customers/{unsited.pk}/").content.decode()
    assert checkins(html) == [("0", "0")]
    assert 'data-testid="use-as-site"' not in html  # it is the site now


def test_use_as_site_replaces_an_earlier_site(client, rep, sited):
    visit = check_in(sited, FAR)
    client.force_login(rep)

    client.post(f"/visits/{visit.pk}/use-as-site/")

    assert site_of(sited) == FAR


def test_use_as_site_of_a_visit_without_a_check_in_changes_nothing(client, rep, sited):
    visit = VisitFactory(customer=sited)
    client.force_login(rep)

    assert client.post(f"/visits/{visit.pk}/use-as-site/").status_code == 302
    assert site_of(sited) == SITE
    assert audit_rows(sited) == []


def test_use_as_site_of_another_teams_visit_is_404(client, other_rep, sited):
    visit = check_in(sited, FAR)
    client.force_login(other_rep)

    assert client.post(f"/visits/{visit.pk}/use-as-site/").status_code == 404
    assert client.get(f"/visits/{visit.pk}/use-as-site/").status_code == 405
    assert site_of(sited) == SITE


# --- The customer form -----------------------------------------------------------------------


def edit(client, customer, **fields):
    return client.post(
        f"/customers/{customer.pk}/edit/", {"name": customer.name, "status": "prospect", **fields}
    )


def test_the_customer_form_sets_and_clears_the_site(client, rep, unsited):
    client.force_login(rep)

    assert edit(client, unsited, latitude="31.2304", longitude="121.4737").status_code == 302
    assert site_of(unsited) == SITE
    assert 'value="31.230400"' in client.get(f"/customers/{unsited.pk}/edit/").content.decode()
    assert edit(client, unsited, latitude="", longitude="").status_code == 302
    assert site_of(unsited) == (None, None)
    assert len(audit_rows(unsited)) == 2


@pytest.mark.parametrize(
    ("latitude", "longitude", "error_on"),
    [
        ("31.2304", "", "longitude"),
        ("", "121.4737", "latitude"),
        ("91", "121.4737", "latitude"),
        ("31.2304", "181", "longitude"),
        ("31.23040001", "121.4737", "latitude"),
        ("31.2304,121.4737", "", "latitude"),
    ],
)
def test_the_customer_form_refuses_a_half_or_impossible_site(
    client, rep, sited, latitude, longitude, error_on
):
    client.force_login(rep)

    response = edit(client, sited, latitude=latitude, longitude=longitude)

    assert response.status_code == 200
    assert f'data-testid="error-{error_on}"' in response.content.decode()
    assert site_of(sited) == SITE


def test_a_half_site_is_refused_in_chinese(client, rep, sited):
    client.force_login(rep)

    html = edit(client, sited, latitude="31.2304", longitude="").content.decode()

    with translation.override("zh-hans"):
        expected = translation.gettext("Enter both latitude and longitude, or leave both empty.")
    assert expected in html


# --- The API ---------------------------------------------------------------------------------


def test_visits_carry_their_distance_and_flag(api_client, rep, sited, unsited):
    near, far = check_in(sited, NEAR), check_in(sited, FAR)
    plain, no_site = VisitFactory(customer=sited), check_in(unsited, NEAR)
    api_client.force_authenticate(rep)

    results = {row["id"]: row for row in api_client.get("/api/v1/visits/").json()["results"]}

    assert {pk: (results[pk]["distance_m"], results[pk]["checkin_far"]) for pk in results} == {
        near.pk: (100, False),
        far.pk: (1201, True),
        plain.pk: (None, None),
        no_site.pk: (None, None),
    }
    assert api_client.get(f"/api/v1/visits/{far.pk}/").json()["distance_m"] == 1201


def test_a_visit_logged_with_a_check_in_answers_with_its_distance(api_client, rep, sited):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/visits/",
        {
            "customer": sited.pk,
            "occurred_at": "2025-06-02T10:00:00+08:00",
            "latitude": "31.2412",
            "longitude": "121.4737",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert (response.json()["distance_m"], response.json()["checkin_far"]) == (1201, True)


def test_the_distance_follows_the_setting(api_client, rep, sited, settings):
    check_in(sited, FAR)
    settings.KAM_CHECKIN_MAX_METERS = 2000
    api_client.force_authenticate(rep)

    [row] = api_client.get("/api/v1/visits/").json()["results"]

    assert (row["distance_m"], row["checkin_far"]) == (1201, False)


def test_distance_and_flag_are_read_only(api_client, rep, sited):
    visit = check_in(sited, FAR)
    api_client.force_authenticate(rep)

    response = api_client.patch(
        f"/api/v1/visits/{visit.pk}/", {"distance_m": 1, "checkin_far": False}, format="json"
    )

    assert (response.json()["distance_m"], response.json()["checkin_far"]) == (1201, True)


def test_the_api_sets_and_clears_a_customers_site(api_client, rep, unsited):
    api_client.force_authenticate(rep)
    url = f"/api/v1/customers/{unsited.pk}/"

    response = api_client.patch(url, {"latitude": "31.2304", "longitude": "121.4737"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == ("31.230400", "121.473700")
    assert site_of(unsited) == SITE
    assert api_client.patch(url, {"latitude": "31.2313"}, format="json").status_code == 200  # one moves
    assert site_of(unsited) == (NEAR[0], SITE[1])
    assert api_client.patch(url, {"latitude": None, "longitude": None}, format="json").status_code == 200
    assert site_of(unsited) == (None, None)
    assert len(audit_rows(unsited)) == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"latitude": "31.2304"}, {"latitude", "longitude"}),
        ({"longitude": "121.4737", "latitude": None}, {"latitude", "longitude"}),
        ({"latitude": "90.5", "longitude": "121.4737"}, {"latitude"}),
        ({"latitude": "31.2304", "longitude": "-181"}, {"longitude"}),
        ({"latitude": "abc", "longitude": "121.4737"}, {"latitude"}),
    ],
)
def test_the_api_refuses_a_half_or_impossible_site(api_client, rep, unsited, body, fields):
    api_client.force_authenticate(rep)

    response = api_client.patch(f"/api/v1/customers/{unsited.pk}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert site_of(unsited) == (None, None)


def test_a_customer_is_created_with_its_site(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/",
        {"name": "苏州新材料有限公司", "latitude": 31.2304, "longitude": 121.4737},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert site_of(Customer.objects.get()) == SITE


def test_the_admins_visit_list_shows_the_distance(client, admin_user, sited):
    check_in(sited, FAR)
    client.force_login(admin_user)

    response = client.get("/admin/accounts/visit/")

    assert response.status_code == 200
    assert '<td class="field-distance_m">1201</td>' in response.content.decode()
