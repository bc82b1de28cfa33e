"""A visit has happened, and its follow-up comes after it.

A visit may be dated at most KAM_VISIT_FUTURE_SKEW_MINUTES (default 5) ahead of the server's
clock; its follow-up date is the visit's day (in the site's time zone) or later. Refused with a
field message on the page form, the API (a 400 on that field), the services and the batch.
There is no visit import: the customer and transaction imports carry no visit dates.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts.models import Visit
from accounts.services import VisitRow, visit_log, visit_update, visits_log
from tests.factories import CustomerFactory, VisitFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FUTURE = "A visit cannot be dated in the future; log it once it has taken place."
FOLLOW_UP = "The follow-up cannot be before the day of the visit."
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def customer(rep):
    return CustomerFactory(owner=rep)


def in_minutes(minutes: int) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)


def local_input(moment: datetime) -> str:
    """As the page's datetime-local field sends it, to the second (the margin is then a minute)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


# --- The model rule, through the service -----------------------------------------------------


@pytest.mark.parametrize("minutes", [-60, 0, 4])
def test_a_visit_may_be_dated_up_to_the_clock_skew_ahead(rep, customer, minutes):
    assert visit_log(customer=customer, by=rep, occurred_at=in_minutes(minutes)).pk


@pytest.mark.parametrize("minutes", [6, 60 * 24])
def test_a_visit_dated_beyond_the_clock_skew_is_refused(rep, customer, minutes):
    with pytest.raises(ValidationError) as refused:
        visit_log(customer=customer, by=rep, occurred_at=in_minutes(minutes))
    assert codes(refused.value) == {"occurred_at": ["visit_in_future"]}
    assert not Visit.objects.exists()


def test_the_skew_is_a_setting(rep, customer, settings):
    settings.KAM_VISIT_FUTURE_SKEW_MINUTES = 0
    with pytest.raises(ValidationError):
        visit_log(customer=customer, by=rep, occurred_at=in_minutes(1))

    settings.KAM_VISIT_FUTURE_SKEW_MINUTES = 30
    assert visit_log(customer=customer, by=rep, occurred_at=in_minutes(25)).pk


# 00:30 in Shanghai is still 28 February in UTC: the visit's day is the local one.
EARLY_ON_1_MARCH = datetime(2025, 3, 1, 0, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("follow_up_on", [date(2025, 3, 1), date(2025, 3, 2)])
def test_a_follow_up_on_the_visits_day_or_later_is_taken(rep, customer, follow_up_on):
    visit = visit_log(customer=customer, by=rep, occurred_at=EARLY_ON_1_MARCH, follow_up_on=follow_up_on)
    assert visit.follow_up_on == follow_up_on


@pytest.mark.parametrize("follow_up_on", [date(2025, 2, 28), date(2024, 3, 1)])
def test_a_follow_up_before_the_visits_day_is_refused(rep, customer, follow_up_on):
    with pytest.raises(ValidationError) as refused:
        visit_log(customer=customer, by=rep, occurred_at=EARLY_ON_1_MARCH, follow_up_on=follow_up_on)
    assert codes(refused.value) == {"follow_up_on": ["follow_up_before_visit"]}
    assert not Visit.objects.exists()


def test_both_rules_are_reported_together(rep, customer):
    with pytest.raises(ValidationError) as refused:
        visit_log(
            customer=customer,
            by=rep,
            occurred_at=timezone.now() + timedelta(days=2),
            follow_up_on=timezone.localdate(),
        )
    assert codes(refused.value) == {
        "occurred_at": ["visit_in_future"],
        "follow_up_on": ["follow_up_before_visit"],
    }


def test_moving_a_visit_after_its_follow_up_is_refused(rep, customer):
    visit = visit_log(
        customer=customer,
        by=rep,
        occurred_at=datetime(2025, 3, 1, 10, tzinfo=SHANGHAI),
        follow_up_on=date(2025, 3, 3),
    )
    with pytest.raises(ValidationError) as refused:
        visit_update(visit=visit, occurred_at=datetime(2025, 3, 4, 10, tzinfo=SHANGHAI))
    assert codes(refused.value) == {"follow_up_on": ["follow_up_before_visit"]}
    visit.refresh_from_db()
    assert visit.occurred_at == datetime(2025, 3, 1, 10, tzinfo=SHANGHAI)


def test_a_batch_with_one_future_visit_writes_nothing(rep, customer):
    rows = [
        VisitRow(customer=customer, by=rep, occurred_at=in_minutes(-30)),
        VisitRow(customer=customer, by=rep, occurred_at=in_minutes(10)),
    ]
    with pytest.raises(ValidationError) as refused:
        visits_log(visits=rows)
    assert codes(refused.value) == {"occurred_at": ["visit_in_future"]}
    assert not Visit.objects.exists()


def test_the_messages_say_what_is_wrong():
    visit = Visit(occurred_at=in_minutes(60), follow_up_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        visit.clean()
    with translation.override("en"):
        assert refused.value.message_dict == {"occurred_at": [FUTURE], "follow_up_on": [FOLLOW_UP]}


# --- The page form ---------------------------------------------------------------------------


def post_visit(client, customer, **fields):
    return client.post(f"/customers/{customer.pk}/visits/new/", {"kind": "visit", **fields})


def form_error_codes(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return {
        field: [e.code for e in errors] for field, errors in response.context["form"].errors.as_data().items()
    }


def test_the_visit_form_takes_a_time_within_the_skew(client, rep, customer):
    client.force_login(rep)
    response = post_visit(client, customer, occurred_at=local_input(in_minutes(4)))
    assert response.status_code == 302
    assert Visit.objects.count() == 1


def test_the_visit_form_refuses_a_time_beyond_the_skew(client, rep, customer):
    client.force_login(rep)
    response = post_visit(client, customer, occurred_at=local_input(in_minutes(6)))
    assert form_error_codes(response) == {"occurred_at": ["visit_in_future"]}
    assert 'data-testid="error-occurred_at"' in response.content.decode()
    assert not Visit.objects.exists()


def test_the_visit_form_takes_a_follow_up_on_the_same_day(client, rep, customer):
    client.force_login(rep)
    response = post_visit(client, customer, occurred_at="2026-03-02T23:30", follow_up_on="2026-03-02")
    assert response.status_code == 302
    assert Visit.objects.get().follow_up_on == date(2026, 3, 2)


def test_the_visit_form_refuses_a_follow_up_the_day_before(client, rep, customer):
    client.force_login(rep)
    response = post_visit(client, customer, occurred_at="2026-03-02T00:10", follow_up_on="2026-03-01")
    assert form_error_codes(response) == {"follow_up_on": ["follow_up_before_visit"]}
    assert 'data-testid="error-follow_up_on"' in response.content.decode()
    assert not Visit.objects.exists()


# --- The API ---------------------------------------------------------------------------------


def test_the_api_takes_a_visit_within_the_skew(api_client, rep, customer):
    api_client.force_authenticate(rep)
    body = {"customer": customer.pk, "occurred_at": in_minutes(4).isoformat()}
    assert api_client.post("/api/v1/visits/", body, format="json").status_code == 201


def test_the_api_refuses_a_visit_beyond_the_skew(api_client, rep, customer):
    api_client.force_authenticate(rep)
    body = {"customer": customer.pk, "occurred_at": in_minutes(6).isoformat()}

    response = api_client.post("/api/v1/visits/", body, format="json", **EN)

    assert response.status_code == 400
    assert response.json() == {"occurred_at": [FUTURE]}
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("follow_up_on", "status"), [("2025-03-01", 201), ("2025-02-28", 400)])
def test_the_api_checks_the_follow_up_against_the_visits_local_day(
    api_client, rep, customer, follow_up_on, status
):
    api_client.force_authenticate(rep)
    body = {"customer": customer.pk, "occurred_at": "2025-03-01T00:30:00+08:00", "follow_up_on": follow_up_on}

    response = api_client.post("/api/v1/visits/", body, format="json", **EN)

    assert response.status_code == status
    if status == 400:
        assert response.json() == {"follow_up_on": [FOLLOW_UP]}


def test_a_patch_checks_the_new_follow_up_against_the_stored_visit(api_client, rep, customer):
    visit = VisitFactory(customer=customer, occurred_at=datetime(2025, 3, 5, 9, tzinfo=SHANGHAI))
    api_client.force_authenticate(rep)

    refused = api_client.patch(
        f"/api/v1/visits/{visit.pk}/", {"follow_up_on": "2025-03-04"}, format="json", **EN
    )
    moved = api_client.patch(
        f"/api/v1/visits/{visit.pk}/", {"occurred_at": in_minutes(30).isoformat()}, format="json", **EN
    )
    taken = api_client.patch(f"/api/v1/visits/{visit.pk}/", {"follow_up_on": "2025-03-05"}, format="json")

    assert (refused.status_code, refused.json()) == (400, {"follow_up_on": [FOLLOW_UP]})
    assert (moved.status_code, moved.json()) == (400, {"occurred_at": [FUTURE]})
    assert taken.status_code == 200
    visit.refresh_from_db()
    assert (visit.occurred_at, visit.follow_up_on) == (
        datetime(2025, 3, 5, 9, tzinfo=SHANGHAI),
        date(2025, 3, 5),
    )
