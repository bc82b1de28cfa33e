"""One rule for a person's name (`User.display_name`): 李明 surname first with no space, "Ming Li"
given name first, the username when no name is set; and every page, API field and export that
names a user follows it, never Django's "明 李"."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.imports import CUSTOMER_COLUMNS, read_table
from accounts.models import CustomerStanding
from tests.factories import CustomerFactory, OpportunityFactory, UserFactory, VisitFactory
from users.models import DISPLAY_NAME_FIELDS, Role, User, person_name, user_display_name

# --- The rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_name", "first_name", "expected"),
    [
        ("李", "明", "李明"),  # Chinese: surname first, no space
        ("欧阳", "娜娜", "欧阳娜娜"),  # a two-character surname
        ("Li", "Ming", "Ming Li"),  # Latin script: given name first
        ("李", "", "李"),  # only the surname
        ("Li", "", "Li"),
        ("", "明", "明"),  # only the given name
        (" 李 ", "\t明 ", "李明"),  # stray whitespace is not part of the name
        ("  Li ", " Ming  ", "Ming Li"),
        ("", "", ""),
        ("  ", " ", ""),
    ],
)
def test_person_name(last_name, first_name, expected):
    assert person_name(last_name=last_name, first_name=first_name) == expected


@pytest.mark.parametrize(
    ("last_name", "first_name", "expected"),
    [
        ("李", "明", "李明"),
        ("Li", "Ming", "Ming Li"),
        ("李", "", "李"),
        ("", "", "liming"),  # no name set: the username
        ("   ", "  ", "liming"),  # only whitespace is no name either
    ],
)
def test_display_name(last_name, first_name, expected):
    user = User(username="liming", last_name=last_name, first_name=first_name)

    assert user.display_name == expected
    assert user_display_name(username="liming", last_name=last_name, first_name=first_name) == expected


def test_display_name_from_values_of_an_outer_join():
    # `.values("owner__username", …)` of a row without owner gives None for every part.
    assert user_display_name(**dict.fromkeys(DISPLAY_NAME_FIELDS)) == ""
    assert user_display_name(username="liming", last_name=None, first_name=None) == "liming"


# --- Everywhere a user is named --------------------------------------------------------------

LI_MING = "李明"
DJANGO_FULL_NAME = "明 李"  # what get_full_name() gives: never shown


@pytest.fixture
def li_ming(team):
    user = UserFactory(username="liming", last_name="李", first_name="明", role=Role.REP)
    team.members.add(user)
    return user


@pytest.fixture
def book(li_ming):
    """A key account 李明 has not visited (neglected, at risk of churn) and one he visited today,
    each with an open opportunity he owns."""
    neglected = CustomerFactory(name="华信精密机械有限公司", owner=li_ming, status="customer")
    visited = CustomerFactory(name="南方电子有限公司", owner=li_ming, status="customer")
    CustomerStanding.objects.update_or_create(  # as a scoring run leaves it
        customer=neglected,
        defaults={
            "is_key_account": True,
            "churn_risk": True,
            "tier": "gold",
            "sales_12m": Decimal("500000.00"),
        },
    )
    VisitFactory(customer=visited, by=li_ming, occurred_at=timezone.now() - timedelta(hours=1))
    OpportunityFactory(customer=neglected, expected_amount=Decimal(300_000), probability=50)
    OpportunityFactory(customer=visited, expected_amount=Decimal(100_000), probability=10)
    return {"neglected": neglected, "visited": visited}


def html_of(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert DJANGO_FULL_NAME not in html
    return html


def texts(html: str, testid: str) -> list[str]:
    """The text of every element with this data-testid (not nesting its own tag), tags stripped."""
    pattern = rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>'
    found = re.findall(pattern, html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip() for _tag, text in found]


def test_my_day_names_the_rep_their_visits_and_accounts(client, li_ming, book):
    client.force_login(li_ming)

    html = html_of(client.get("/"))

    assert texts(html, "current-user") == [f"{LI_MING} · 销售代表"]
    assert f"您好，{LI_MING}" in html
    # His own gold account, not visited: listed as due for service (owned by him, so not named).
    assert "华信精密机械有限公司" in " ".join(texts(html, "coverage-account"))
    assert LI_MING in " ".join(texts(html, "activity"))


def test_my_day_of_a_manager_names_the_team_members(client, manager, li_ming):
    client.force_login(manager)

    html = html_of(client.get("/my-day/"))

    assert LI_MING in " ".join(texts(html, "teams"))


def test_the_customer_page_names_the_owner_and_the_visitor(client, li_ming, book):
    client.force_login(li_ming)

    html = html_of(client.get(f"/customers/{book['visited'].pk}/"))

    assert texts(html, "customer-owner") == [LI_MING]
    assert f"· {LI_MING}" in html  # the visit's author


def test_the_forecast_names_the_owner(client, manager, li_ming, book):
    client.force_login(manager)

    html = html_of(client.get("/pipeline/forecast/"))

    owners = re.search(r'data-testid="forecast-by-owner".*?</section>', html, re.S).group(0)
    assert re.findall(r'<th scope="row">(.*?)</th>', owners) == [LI_MING]


def test_the_forecast_api_names_the_owner(api_client, manager, li_ming, book):
    api_client.force_authenticate(manager)

    by_owner = api_client.get("/api/v1/pipeline/forecast/").json()["by_owner"]

    assert [(row["owner"], row["username"], row["owner_name"]) for row in by_owner] == [
        (li_ming.pk, "liming", LI_MING)
    ]


def test_the_dashboard_activity_and_churn_tables_name_the_rep(api_client, manager, li_ming, book):
    api_client.force_authenticate(manager)

    activity = api_client.get("/api/v1/dashboard/activity/").json()
    churn = api_client.get("/api/v1/dashboard/churn/").json()

    assert [(row["username"], row["name"], row["visits"]) for row in activity["rows"]] == [
        ("liming", LI_MING, 1)
    ]
    assert [(row["name"], row["owner_name"]) for row in activity["neglected"]] == [
        ("华信精密机械有限公司", LI_MING)
    ]
    assert [(row["name"], row["owner__username"], row["owner_name"]) for row in churn["rows"]] == [
        ("华信精密机械有限公司", "liming", LI_MING)
    ]


@pytest.mark.parametrize(("name", "column"), [("activity", "name"), ("churn", "owner_name")])
def test_the_dashboard_csv_names_the_rep(api_client, manager, li_ming, book, name, column):
    api_client.force_authenticate(manager)

    response = api_client.get(f"/api/v1/dashboard/{name}/", {"download": "csv"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[column] for row in rows] == [LI_MING]
    assert DJANGO_FULL_NAME not in response.content.decode("utf-8-sig")


def test_the_api_names_owners_and_authors(api_client, li_ming, book):
    api_client.force_authenticate(li_ming)
    customer = book["visited"]

    body = api_client.get(f"/api/v1/customers/{customer.pk}/").json()
    visits = api_client.get("/api/v1/visits/", {"customer": customer.pk}).json()["results"]
    opportunities = api_client.get("/api/v1/opportunities/", {"customer": customer.pk}).json()["results"]
    me = api_client.get("/api/v1/me/").json()

    assert (body["owner"], body["owner_name"]) == (li_ming.pk, LI_MING)
    assert [(visit["by"], visit["by_name"]) for visit in visits] == [(li_ming.pk, LI_MING)]
    assert [(row["owner"], row["owner_name"]) for row in opportunities] == [(li_ming.pk, LI_MING)]
    assert (me["username"], me["display_name"]) == ("liming", LI_MING)


def test_the_customer_export_names_the_owner_and_the_import_ignores_the_name(client, li_ming, book):
    client.force_login(li_ming)

    response = client.get("/customers/export.csv")
    data = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))

    header = list(rows[0])
    assert header[header.index("owner") + 1] == "owner_name"
    assert {(row["name"], row["owner"], row["owner_name"]) for row in rows} == {
        ("华信精密机械有限公司", "liming", LI_MING),
        ("南方电子有限公司", "liming", LI_MING),
    }
    # Read back by the import, `owner` is still the username and `owner_name` is left out.
    table = read_table(data, filename="customers.csv", columns=CUSTOMER_COLUMNS)
    assert "owner_name" in table.ignored_columns
    assert {cells["owner"] for _number, cells in table.rows} == {"liming"}


def test_the_admin_lists_users_by_display_name(client, admin_user, li_ming):
    client.force_login(admin_user)

    html = html_of(client.get("/admin/users/user/"))

    assert f'<td class="field-display_name">{LI_MING}</td>' in html
