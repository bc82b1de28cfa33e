"""The defects an outside scan of a running KAM found (issue "Four defects an outside scan
found"), each with the exact request that broke it, and the headers it missed."""

import io
import json

import pytest
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from accounts.models import Customer
from tests.accounts.test_io_import import CUSTOMERS_URL, csv_file, file_errors, row_errors, upload, xlsx_file
from tests.factories import TEST_PASSWORD, CustomerFactory
from tests.kam.test_settings import run

pytestmark = pytest.mark.django_db


# --- 1. A "%" in the audit filter -------------------------------------------------------------


def test_a_percent_sign_in_the_audit_object_filter_is_a_400(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.get("/api/v1/audit/?object=%25s:1")

    assert response.status_code == 400
    assert "%s" in response.json()["object"][0]


# --- 2. Control characters in text --------------------------------------------------------------


def test_the_api_refuses_control_characters_with_field_messages_and_writes_nothing(api_client, rep):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/", {"name": "ctl\u000bname Co", "industry": "x\u0001y"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"name", "industry"}
    assert "U+000B" in body["name"][0]
    assert "U+0001" in body["industry"][0]
    assert not Customer.objects.exists()


def test_multi_line_text_keeps_tabs_and_line_breaks_but_not_other_controls(api_client, rep):
    api_client.force_authenticate(rep)

    fine = api_client.post("/api/v1/customers/", {"name": "甲公司", "notes": "一\t二\r\n三"}, format="json")
    c1 = api_client.post("/api/v1/customers/", {"name": "乙公司", "notes": "下\u0085一行"}, format="json")

    assert fine.status_code == 201
    assert c1.status_code == 400
    assert set(c1.json()) == {"notes"}


def test_the_customer_form_refuses_control_characters(client, rep):
    client.force_login(rep)

    response = client.post("/customers/new/", {"name": "ctl\u000bname Co", "status": "prospect"})

    assert response.status_code == 200
    assert "U+000B" in response.context["form"].errors["name"][0]
    assert not Customer.objects.exists()


def test_the_import_refuses_a_row_with_control_characters(client, rep):
    client.force_login(rep)
    rows = [
        ["name", "industry", "notes"],
        ["甲有限公司", "制造业", "好"],
        ["乙有限公司", "x\u0085y", "一\u009f二"],
    ]

    response = upload(client, CUSTOMERS_URL, xlsx_file(rows))

    assert row_errors(response) == [(3, "industry"), (3, "notes")]
    assert not Customer.objects.exists()


def test_a_csv_file_with_c0_control_characters_is_refused_whole(client, rep):
    client.force_login(rep)

    response = upload(client, CUSTOMERS_URL, csv_file(["name,industry", "乙有限公司,x\u0001y"]))

    assert len(file_errors(response)) == 1
    assert not Customer.objects.exists()


def test_the_admin_refuses_control_characters(client, admin_user, rep):
    client.force_login(admin_user)

    response = client.post(
        "/admin/accounts/customer/add/",
        {
            "name": "ctl\u000bname Co",
            "status": "prospect",
            "owner": rep.pk,
            "team_memberships-TOTAL_FORMS": 0,
            "team_memberships-INITIAL_FORMS": 0,
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "U+000B" in str(response.context["adminform"].form.errors["name"])
    assert not Customer.objects.exists()


def test_exports_drop_control_characters_a_row_already_holds(client, rep):
    customer = CustomerFactory(owner=rep, name="旧数据有限公司")
    Customer.objects.filter(pk=customer.pk).update(name="ctl\u000bname Co", industry="x\u0001y")
    client.force_login(rep)

    xlsx = client.get("/customers/export.xlsx")
    csv = client.get("/customers/export.csv")

    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    row = [cell.value for cell in sheet[2]]
    assert (row[header.index("name")], row[header.index("industry")]) == ("ctlname Co", "xy")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "ctlname Co" in text
    assert "\u000b" not in text
    assert "\u0001" not in text


# --- 3. NUL in the export's filters -------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["/customers/export.xlsx?search=%2Fe%00", "/customers/export.csv?search=a%00"]
    + [
        f"/customers/export.{kind}?{name}=a%00" for kind in ("csv", "xlsx") for name in ("region", "industry")
    ],
)
def test_a_nul_in_an_export_filter_is_a_400_before_any_download(client, rep, query):
    CustomerFactory(owner=rep)
    client.force_login(rep)

    response = client.get(query)

    assert response.status_code == 400
    assert not response.streaming
    assert "Content-Disposition" not in response
    name = query.split("?")[1].split("=")[0]
    assert response.content.decode().startswith(f"{name}: ")


# --- 4. A token login resets the lockout count --------------------------------------------------


def test_a_successful_token_login_resets_the_failure_count(api_client, rep):
    def token(password):
        return api_client.post("/api/v1/auth/token/", {"username": "rep1", "password": password})

    for _ in range(3):
        assert token("wrong").status_code == 400
    assert token(TEST_PASSWORD).status_code == 200
    for _ in range(2):
        assert token("wrong").status_code == 400

    response = token(TEST_PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=rep).key


# --- 5. Headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/api/docs/", "/admin/login/", "/api/v1/me/"])
def test_every_response_carries_the_policies(client, url):
    response = client.get(url)

    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["default-src"]
    assert response["Permissions-Policy"].startswith("geolocation=(self), camera=(), microphone=()")


def test_swagger_ui_has_no_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    assert "<script>" not in html
    assert "?script=" in html


PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "1"}, [False, False]),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, [True, True]),
        ({"DEBUG": "1", "SESSION_COOKIE_SECURE": "1", "CSRF_COOKIE_SECURE": "1"}, [True, True]),
        (
            {"DEBUG": "0", "SECRET_KEY": "x" * 50, "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"},
            [False, False],
        ),
    ],
)
def test_secure_cookies_come_from_the_environment(tmp_path, env, expected):
    assert json.loads(run(PROBE, env, tmp_path).stdout) == expected
