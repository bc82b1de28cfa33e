"""Far check-ins per rep in the dashboard's rep activity: counted in SQL, in the activity's own
grouped query, by the same rule as `Visit.checkin_far` (accounts.geo's haversine).

The site is 上海人民广场 (31.2304, 121.4737); 0.0009° of latitude north is 100.08 m, 0.0108° is
1,200.91 m (one degree of latitude: 111,195.08 m).
"""

from datetime import timedelta
from decimal import Decimal
from math import pi

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.geo import EARTH_RADIUS_M
from accounts.models import Visit
from accounts.selectors import checkin_far
from tests.factories import CustomerFactory, UserFactory, VisitFactory
from users.models import Role

pytestmark = pytest.mark.django_db

SITE = (Decimal("31.230400"), Decimal("121.473700"))
NEAR = (Decimal("31.231300"), Decimal("121.473700"))
FAR = (Decimal("31.241200"), Decimal("121.473700"))


def check_in(customer, by, at, **fields):
    return VisitFactory(customer=customer, by=by, latitude=at[0], longitude=at[1], **fields)


def test_activity_counts_each_reps_far_check_ins(api_client, team, rep, other_rep, manager):
    colleague = UserFactory(username="rep2", role=Role.REP)
    team.members.add(colleague)
    sited = CustomerFactory(owner=rep, latitude=SITE[0], longitude=SITE[1])
    unsited = CustomerFactory(owner=rep)
    check_in(sited, rep, NEAR)
    check_in(sited, rep, FAR)
    check_in(sited, rep, FAR)
    VisitFactory(customer=sited, by=rep)  # no check-in
    check_in(unsited, rep, FAR)  # no site to be far from
    check_in(sited, rep, FAR, occurred_at=timezone.now() - timedelta(days=40))  # before the period
    check_in(sited, colleague, NEAR)
    theirs = CustomerFactory(owner=other_rep, latitude=SITE[0], longitude=SITE[1])
    check_in(theirs, other_rep, FAR)  # not the manager's team
    api_client.force_authenticate(manager)

    data = api_client.get("/api/v1/dashboard/activity/").json()

    assert [(row["username"], row["visits"], row["far_checkins"]) for row in data["rows"]] == [
        ("rep1", 5, 2),
        ("rep2", 1, 0),
    ]
    csv = api_client.get("/api/v1/dashboard/activity/", {"download": "csv"}).content.decode("utf-8")
    assert csv.startswith("\ufeffrep,username,name,visits,customers,far_checkins")


def test_the_limit_is_the_setting(api_client, rep, manager, settings):
    sited = CustomerFactory(owner=rep, latitude=SITE[0], longitude=SITE[1])
    check_in(sited, rep, NEAR)
    check_in(sited, rep, FAR)
    api_client.force_authenticate(manager)

    settings.KAM_CHECKIN_MAX_METERS = 100  # 100.08 m is beyond it
    assert api_client.get("/api/v1/dashboard/activity/").json()["rows"][0]["far_checkins"] == 2
    settings.KAM_CHECKIN_MAX_METERS = 5000
    assert api_client.get("/api/v1/dashboard/activity/").json()["rows"][0]["far_checkins"] == 0


@pytest.mark.parametrize("max_m", [50, 1000, 3000])
def test_sql_and_python_draw_the_line_in_the_same_place(rep, max_m, settings):
    # Check-ins half a metre inside and outside the limit, due north and due east of the site
    # (a degree of longitude is cos 31.2304° = 0.85509 of one of latitude there), and one well
    # inside to the north-east: the SQL count agrees with Visit.checkin_far row by row.
    settings.KAM_CHECKIN_MAX_METERS = max_m
    sited = CustomerFactory(owner=rep, latitude=SITE[0], longitude=SITE[1])
    degrees_per_m = 180 / (pi * EARTH_RADIUS_M)
    for metres in (max_m - 0.5, max_m + 0.5):
        step = Decimal(str(round(metres * degrees_per_m, 6)))
        check_in(sited, rep, (SITE[0] + step, SITE[1]))
        check_in(sited, rep, (SITE[0], SITE[1] + (step / Decimal("0.85509")).quantize(Decimal("0.000001"))))
    check_in(sited, rep, (SITE[0] + step / 2, SITE[1] + step / 2))
    visits = Visit.objects.filter(customer=sited)

    in_python = {visit.pk for visit in visits.with_site() if visit.checkin_far}
    in_sql = set(visits.filter(checkin_far(max_m)).values_list("pk", flat=True))

    assert in_sql == in_python
    assert len(in_sql) == 2  # the two just outside
    assert visits.aggregate(n=Count("id", filter=checkin_far(max_m)))["n"] == len(in_python)
