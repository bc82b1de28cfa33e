"""撞单 by unified social credit code and by bracket-variant names, and possible duplicates (可能重复).

The code on every write path (service, batch service, page form, API, admin, import) and in
the export; a code already another customer's is refused naming its owner, as a duplicate name
is. Near matches: PostgreSQL's trigram rule and SQLite's shared-run rule, each tested on its own
database; the new-customer page shows them and saves only once the rep confirms. Messages are
read in English (their msgid).
"""

import csv
import importlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import modelform_factory
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from accounts.admin import CustomerAdminForm
from accounts.models import Customer
from accounts.selectors import customer_possible_duplicates, is_near_name
from accounts.services import (
    DuplicateCreditCode,
    DuplicateCustomer,
    customer_create,
    customer_update,
    customers_create,
)
from tests.factories import CustomerFactory

# The near-match rule differs by database: `make test` runs this module on SQLite as well.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

CODE = "91350100M000100Y43"
OTHER_CODE = "91110000600037341L"
THIRD_CODE = "12100000400000624D"
WRONG_CHECK = "91350100M000100Y44"

only_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="pg_trgm rule")
only_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's own rule")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def api_client():
    return APIClient(headers={"accept-language": "en"})


@pytest.fixture
def named(rep, other_rep):
    rep.first_name, rep.last_name = "Ming", "Li"
    rep.save()
    other_rep.first_name, other_rep.last_name = "Wei", "Zhang"
    other_rep.save()


# --- Services ----------------------------------------------------------------------------------


def test_the_code_is_stored_compact_and_upper_case(rep):
    customer = customer_create(by=rep, name="永盛汽车零部件有限公司", credit_code=" 9135 0100 m000 100y43 ")

    customer.refresh_from_db()
    assert customer.credit_code == CODE


def test_a_wrong_code_is_refused_and_nothing_written(rep):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="永盛汽车零部件有限公司", credit_code=WRONG_CHECK)

    assert refused.value.message_dict == {
        "credit_code": [
            "The check character (the 18th) should be 3, not 4: a character is probably mistyped."
        ]
    }
    assert not Customer.objects.exists()


def test_a_code_that_is_too_long_is_named_by_its_length(rep):
    with pytest.raises(ValidationError) as refused:
        customer_create(by=rep, name="永盛汽车零部件有限公司", credit_code=CODE + "12")

    assert refused.value.message_dict["credit_code"] == [
        "A unified social credit code has 18 characters; this one has 20."
    ]


def test_a_code_on_another_customer_is_refused_naming_its_owner(named, rep, other_rep):
    existing = customer_create(by=other_rep, name="福州永盛有限公司", credit_code=CODE)

    with pytest.raises(DuplicateCreditCode) as refused:
        customer_create(by=rep, name="完全不同的名字有限公司", credit_code=CODE.lower())

    assert refused.value.existing == existing
    assert refused.value.message_dict == {
        "credit_code": [
            f"The unified social credit code {CODE} is already that of “福州永盛有限公司”, owned by Wei Zhang."
        ]
    }
    assert Customer.objects.count() == 1


def test_a_duplicate_code_is_a_duplicate_customer_for_the_pages(rep):
    assert issubclass(DuplicateCreditCode, DuplicateCustomer)


def test_changing_the_code_to_another_customers_is_refused(rep):
    customer_create(by=rep, name="甲有限公司", credit_code=CODE)
    second = customer_create(by=rep, name="乙有限公司", credit_code=OTHER_CODE)

    with pytest.raises(DuplicateCreditCode):
        customer_update(customer=second, by=rep, credit_code=CODE)

    second.refresh_from_db()
    assert second.credit_code == OTHER_CODE


def test_a_customer_keeps_its_own_code_on_edit_and_empty_codes_never_clash(rep):
    customer = customer_create(by=rep, name="甲有限公司", credit_code=CODE)
    customer_create(by=rep, name="乙有限公司")
    customer_create(by=rep, name="丙有限公司", credit_code="")

    customer_update(customer=customer, by=rep, notes="同一代码", credit_code=CODE)

    assert Customer.objects.filter(credit_code="").count() == 2


@pytest.mark.parametrize(
    "variant",
    ["永盛汽车零部件（上海）有限公司", "上海永盛汽车零部件(集团)有限公司", "上海市永盛汽车零部件公司"],
)
def test_bracket_and_region_variants_are_refused_as_the_same_company(named, rep, other_rep, variant):
    existing = customer_create(by=other_rep, name="上海永盛汽车零部件有限公司")

    with pytest.raises(DuplicateCustomer) as refused:
        customer_create(by=rep, name=variant)

    assert refused.value.existing == existing
    assert "owned by Wei Zhang" in refused.value.message_dict["name"][0]


def test_the_batch_service_refuses_a_code_twice_in_the_batch(rep):
    with pytest.raises(DuplicateCreditCode):
        customers_create(
            by=rep,
            customers=[
                Customer(name="甲有限公司", credit_code=CODE),
                Customer(name="乙有限公司", credit_code=CODE),
            ],
        )
    assert not Customer.objects.exists()


def test_the_batch_service_refuses_a_code_already_saved(named, rep, other_rep):
    CustomerFactory(owner=other_rep, name="福州永盛有限公司", credit_code=CODE)

    with pytest.raises(DuplicateCreditCode) as refused:
        customers_create(by=rep, customers=[Customer(name="乙有限公司", credit_code=CODE.lower())])

    assert "owned by Wei Zhang" in refused.value.message_dict["credit_code"][0]
    assert Customer.objects.count() == 1


def test_the_batch_service_checks_and_stores_codes(rep):
    created = customers_create(
        by=rep,
        customers=[Customer(name="甲有限公司", credit_code="9135 0100 M000 100Y43"), Customer(name="乙")],
    )
    assert [c.credit_code for c in created] == [CODE, ""]
    with pytest.raises(ValidationError) as refused:
        customers_create(by=rep, customers=[Customer(name="丙有限公司", credit_code="91350100M000100O43")])
    assert "credit_code" in refused.value.message_dict


def test_the_batch_service_refuses_bracket_variants_within_the_batch(rep):
    with pytest.raises(DuplicateCustomer):
        customers_create(
            by=rep,
            customers=[
                Customer(name="上海永盛汽车零部件有限公司"),
                Customer(name="永盛汽车零部件（上海）有限公司"),
            ],
        )


# --- The page form ---------------------------------------------------------------------------


def test_the_form_takes_a_code_as_typed(client, rep):
    client.force_login(rep)
    assert 'name="credit_code"' in client.get("/customers/new/").content.decode()

    response = client.post(
        "/customers/new/",
        {"name": "永盛汽车零部件有限公司", "status": "prospect", "credit_code": "9135 0100 m000 100y43"},
    )

    assert response.status_code == 302
    assert Customer.objects.get().credit_code == CODE


def test_the_form_names_what_is_wrong_with_a_code(client, rep):
    client.force_login(rep)

    response = client.post(
        "/customers/new/",
        {"name": "永盛汽车零部件有限公司", "status": "prospect", "credit_code": "91350100M0001OOY43"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-credit_code"' in html
    assert "Character 14 is the letter O" in html
    assert not Customer.objects.exists()


def test_a_duplicate_code_on_the_form_links_to_a_visible_customer(client, named, rep):
    mine = CustomerFactory(owner=rep, name="福州永盛有限公司", credit_code=CODE)
    client.force_login(rep)

    response = client.post(
        "/customers/new/", {"name": "完全不同有限公司", "status": "prospect", "credit_code": CODE}
    )

    html = response.content.decode()
    assert 'data-testid="error-credit_code"' in html
    assert "owned by Ming Li" in html
    assert f'data-testid="duplicate-link">\n    <a href="/customers/{mine.pk}/"' in html
    assert Customer.objects.count() == 1


def test_a_duplicate_code_of_an_invisible_customer_names_the_owner_without_a_link(
    client, named, rep, other_rep
):
    theirs = CustomerFactory(owner=other_rep, name="福州永盛有限公司", credit_code=CODE)
    client.force_login(rep)

    response = client.post(
        "/customers/new/", {"name": "完全不同有限公司", "status": "prospect", "credit_code": CODE}
    )

    html = response.content.decode()
    assert "owned by Wei Zhang" in html
    assert 'data-testid="duplicate-link"' not in html
    assert f"/customers/{theirs.pk}/" not in html


def test_editing_keeps_the_code_and_may_clear_it(client, rep):
    customer = CustomerFactory(owner=rep, name="甲有限公司", credit_code=CODE)
    client.force_login(rep)

    client.post(
        f"/customers/{customer.pk}/edit/", {"name": "甲有限公司", "status": "prospect", "credit_code": CODE}
    )
    customer.refresh_from_db()
    assert customer.credit_code == CODE

    client.post(
        f"/customers/{customer.pk}/edit/", {"name": "甲有限公司", "status": "prospect", "credit_code": ""}
    )
    customer.refresh_from_db()
    assert customer.credit_code == ""


# --- The API -----------------------------------------------------------------------------------


def test_the_api_reads_and_writes_the_code(api_client, rep):
    api_client.force_authenticate(rep)

    created = api_client.post(
        "/api/v1/customers/",
        {"name": "永盛汽车零部件有限公司", "credit_code": "9135 0100 m000 100y43"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["credit_code"] == CODE
    pk = created.json()["id"]
    assert api_client.get(f"/api/v1/customers/{pk}/").json()["credit_code"] == CODE
    cleared = api_client.patch(f"/api/v1/customers/{pk}/", {"credit_code": ""}, format="json")
    assert (cleared.status_code, cleared.json()["credit_code"]) == (200, "")
    assert (
        api_client.post("/api/v1/customers/", {"name": "无代码有限公司"}, format="json").json()["credit_code"]
        == ""
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (WRONG_CHECK, "The check character (the 18th) should be 3, not 4: a character is probably mistyped."),
        ("91350100", "A unified social credit code has 18 characters; this one has 8."),
    ],
)
def test_the_api_refuses_a_wrong_code_with_its_message(api_client, rep, code, message):
    api_client.force_authenticate(rep)

    response = api_client.post(
        "/api/v1/customers/",
        {"name": "永盛有限公司", "credit_code": code},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"credit_code": [message]}
    assert not Customer.objects.exists()


def test_the_api_refuses_a_duplicate_code_naming_the_owner(api_client, named, rep, other_rep):
    CustomerFactory(owner=other_rep, name="福州永盛有限公司", credit_code=CODE)
    mine = CustomerFactory(owner=rep, name="甲有限公司")
    api_client.force_authenticate(rep)

    created = api_client.post(
        "/api/v1/customers/",
        {"name": "乙有限公司", "credit_code": CODE},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    updated = api_client.patch(
        f"/api/v1/customers/{mine.pk}/", {"credit_code": CODE}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    for response in (created, updated):
        assert response.status_code == 400
        assert list(response.json()) == ["credit_code"]
        assert "owned by Wei Zhang" in response.json()["credit_code"][0]
    mine.refresh_from_db()
    assert mine.credit_code == ""


# --- The admin ---------------------------------------------------------------------------------


def _admin_post(client, data: dict):
    management = {}
    for prefix in ("team_memberships", "contacts", "competitors"):
        management |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return client.post("/admin/accounts/customer/add/", {"status": "prospect", **management, **data})


def test_the_admin_saves_the_code(client, admin_user, rep):
    client.force_login(admin_user)

    response = _admin_post(
        client, {"name": "永盛有限公司", "owner": rep.pk, "credit_code": "9135 0100 m000 100y43"}
    )

    assert response.status_code == 302
    assert Customer.objects.get().credit_code == CODE
    assert CODE in client.get("/admin/accounts/customer/?q=91350100").content.decode()


def test_the_admin_refuses_wrong_and_duplicate_codes_and_names(client, named, admin_user, rep, other_rep):
    CustomerFactory(owner=other_rep, name="上海永盛汽车零部件有限公司", credit_code=CODE)
    client.force_login(admin_user)

    wrong = _admin_post(client, {"name": "甲有限公司", "owner": rep.pk, "credit_code": WRONG_CHECK})
    taken = _admin_post(client, {"name": "甲有限公司", "owner": rep.pk, "credit_code": CODE})
    same_name = _admin_post(client, {"name": "永盛汽车零部件（上海）有限公司", "owner": rep.pk})

    assert wrong.status_code == taken.status_code == same_name.status_code == 200
    assert "should be 3, not 4" in str(wrong.context["adminform"].form.errors["credit_code"])
    assert "owned by Wei Zhang" in str(taken.context["adminform"].form.errors["credit_code"])
    assert "owned by Wei Zhang" in str(same_name.context["adminform"].form.errors["name"])
    assert Customer.objects.count() == 1


def test_the_admin_form_lets_a_customer_keep_its_own_code(rep):
    customer = CustomerFactory(owner=rep, name="甲有限公司", credit_code=CODE)
    form_class = modelform_factory(
        Customer, form=CustomerAdminForm, fields=["name", "status", "owner", "credit_code"]
    )

    form = form_class(
        {"name": "甲有限公司", "status": "prospect", "owner": rep.pk, "credit_code": CODE}, instance=customer
    )

    assert form.is_valid(), form.errors


# --- Import and export ---------------------------------------------------------------------------


def _csv(lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("upload.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")


def _row_errors(response) -> list[tuple[int, str, str]]:
    assert response.status_code == 200
    return [(error.row, error.column, error.message) for error in response.context["errors"]]


def test_the_import_reads_codes(client, rep):
    client.force_login(rep)

    response = client.post(
        "/customers/import/",
        {"file": _csv(["name,统一社会信用代码", "甲有限公司,9135 0100 m000 100y43", "乙有限公司,"])},
    )

    assert response.status_code == 302
    assert dict(Customer.objects.values_list("name", "credit_code")) == {"甲有限公司": CODE, "乙有限公司": ""}


def test_the_import_reports_each_code_problem_by_row(client, named, rep, other_rep):
    CustomerFactory(owner=other_rep, name="福州永盛有限公司", credit_code=OTHER_CODE)
    client.force_login(rep)

    response = client.post(
        "/customers/import/",
        {
            "file": _csv(
                [
                    "name,credit_code",
                    f"甲有限公司,{CODE}",  # 2
                    f"乙有限公司,{CODE.lower()}",  # 3: the same code as row 2
                    f"丙有限公司,{WRONG_CHECK}",  # 4
                    f"丁有限公司,{OTHER_CODE}",  # 5: another customer's
                    "戊有限公司,91350100M000100I43",  # 6
                ]
            )
        },
    )

    assert _row_errors(response) == [
        (3, "credit_code", "The same unified social credit code as row 2."),
        (
            4,
            "credit_code",
            "The check character (the 18th) should be 3, not 4: a character is probably mistyped.",
        ),
        (
            5,
            "credit_code",
            f"The unified social credit code {OTHER_CODE} is already that of “福州永盛有限公司”, owned by Wei Zhang.",
        ),
        (
            6,
            "credit_code",
            "Character 16 is the letter I, which a unified social credit code never contains "
            "(I, O, Z, S and V are not used); did you mean the digit 1?",
        ),
    ]
    assert Customer.objects.count() == 1


def test_the_import_treats_bracket_variants_as_the_same_company(client, named, rep, other_rep):
    CustomerFactory(owner=other_rep, name="上海永盛汽车零部件有限公司")
    client.force_login(rep)

    response = client.post(
        "/customers/import/",
        {
            "file": _csv(
                [
                    "name",
                    "永盛汽车零部件（上海）有限公司",  # 2: the saved customer
                    "华信精密（集团）有限公司",  # 3
                    "华信精密(集团)有限公司",  # 4: row 3 again
                ]
            )
        },
    )

    errors = _row_errors(response)
    assert [(row, column) for row, column, _message in errors] == [(2, "name"), (4, "name")]
    assert "owned by Wei Zhang" in errors[0][2]
    assert errors[1][2] == "The same company as row 3."
    assert Customer.objects.count() == 1


def _export_rows(client) -> list[dict[str, str]]:
    body = b"".join(client.get("/customers/export.csv").streaming_content)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_export_has_the_code_and_the_import_reads_it_back(client, rep):
    CustomerFactory(owner=rep, name="甲有限公司", credit_code=CODE, potential=4)
    CustomerFactory(owner=rep, name="乙有限公司")
    client.force_login(rep)

    exported = b"".join(client.get("/customers/export.csv").streaming_content)
    header = exported.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["id", "name", "credit_code"]
    Customer.objects.all().delete()
    response = client.post("/customers/import/", {"file": SimpleUploadedFile("export.csv", exported)})

    assert response.status_code == 302
    assert dict(Customer.objects.values_list("name", "credit_code")) == {"甲有限公司": CODE, "乙有限公司": ""}
    assert Customer.objects.get(name="甲有限公司").potential == 4


def test_the_xlsx_export_has_the_code(client, rep):
    from openpyxl import load_workbook

    CustomerFactory(owner=rep, name="甲有限公司", credit_code=CODE)
    client.force_login(rep)

    workbook = load_workbook(io.BytesIO(b"".join(client.get("/customers/export.xlsx").streaming_content)))
    header, row = workbook.worksheets[0].iter_rows(values_only=True)
    assert dict(zip(header, row, strict=True))["credit_code"] == CODE


# --- Possible duplicates (可能重复) ------------------------------------------------------------------


@pytest.fixture
def yongsheng(rep, other_rep):
    """A customer of the rep's and one of another team's, close to 永盛汽车零部件."""
    return (
        CustomerFactory(owner=rep, name="上海永盛汽车零部件有限公司"),
        CustomerFactory(owner=other_rep, name="苏州永盛汽车零部件有限公司"),
    )


def _names(matches) -> list[str]:
    return [match.name for match in matches]


def test_near_matches_name_visible_and_invisible_customers(rep, yongsheng):
    mine, theirs = yongsheng
    CustomerFactory(owner=rep, name="华信科技有限公司")

    matches = customer_possible_duplicates(user=rep, name="永盛汽车零部件有限公司")

    assert sorted(_names(matches)) == ["上海永盛汽车零部件有限公司", "苏州永盛汽车零部件有限公司"]
    by_name = {match.name: match for match in matches}
    assert (by_name[mine.name].pk, by_name[mine.name].visible) == (mine.pk, True)
    assert by_name[theirs.name].visible is False
    assert by_name[theirs.name].owner_name == theirs.owner.display_name
    assert not any(match.same_company for match in matches)


def test_the_same_company_comes_first_and_is_flagged(rep, yongsheng):
    matches = customer_possible_duplicates(user=rep, name="永盛汽车零部件（上海）有限公司")

    assert matches[0].name == "上海永盛汽车零部件有限公司"
    assert matches[0].same_company is True


def test_unrelated_and_very_short_names_have_no_near_matches(rep, yongsheng):
    CustomerFactory(owner=rep, name="华信科技有限公司")

    assert customer_possible_duplicates(user=rep, name="华兴电子有限公司") == []
    assert customer_possible_duplicates(user=rep, name="有限公司") == []
    assert customer_possible_duplicates(user=rep, name="永") == []


def test_at_most_five_near_matches_and_a_fixed_number_of_queries(rep, django_assert_num_queries):
    for city in ("上海", "北京", "广州", "深圳", "杭州", "南京", "武汉"):
        CustomerFactory(owner=rep, name=f"{city}永盛汽车零部件有限公司")

    # The matches (on PostgreSQL after setting the threshold), whether the rep manages a team,
    # which of the matches they may see.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 3):
        matches = customer_possible_duplicates(user=rep, name="永盛汽车零部件")

    assert len(matches) == 5


@only_postgresql
def test_postgresql_ranks_by_trigram_similarity(rep):
    CustomerFactory(owner=rep, name="上海永盛汽车零部件有限公司")  # similarity 0.5 with the name below
    CustomerFactory(owner=rep, name="永盛汽车零部件销售有限公司")
    CustomerFactory(owner=rep, name="深圳恒达精密机械有限公司")

    matches = customer_possible_duplicates(user=rep, name="永盛汽车零部件有限公司")

    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity('上海永盛汽车零部件', '永盛汽车零部件')")
        assert cursor.fetchone()[0] == pytest.approx(0.5)
    assert "深圳恒达精密机械有限公司" not in _names(matches)
    assert set(_names(matches)) == {"上海永盛汽车零部件有限公司", "永盛汽车零部件销售有限公司"}


@only_postgresql
def test_postgresql_uses_the_trigram_index(rep):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_name_normalised_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]


@only_sqlite
def test_sqlite_rule_is_containment_or_a_long_shared_run(rep):
    CustomerFactory(owner=rep, name="上海华信精密机械有限公司")
    CustomerFactory(owner=rep, name="深圳恒达精密机械有限公司")  # shares only 精密机械 with the name below

    matches = customer_possible_duplicates(user=rep, name="苏州华信精密机械有限公司")

    assert _names(matches) == ["上海华信精密机械有限公司"]  # shares 华信精密机械: 6 of 8


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("永盛汽车零部件", "上海永盛汽车零部件", True),  # contained
        ("华信", "上海华信科技", True),
        ("苏州华信精密机械", "上海华信精密机械", True),  # a run of 6 of 8
        ("上海华信精密机械", "深圳恒达精密机械", False),  # a run of 4 of 8
        ("华信科技", "华兴科技", False),
        ("华", "华信", False),  # a one-character name is no evidence
    ],
)
def test_the_sqlite_rule(a, b, near):
    assert is_near_name(a, b) is near
    assert is_near_name(b, a) is near


def test_the_api_lists_possible_duplicates(api_client, rep, yongsheng):
    mine, theirs = yongsheng
    api_client.force_authenticate(rep)

    response = api_client.get("/api/v1/customers/possible-duplicates/", {"name": "永盛汽车零部件有限公司"})

    assert response.status_code == 200
    assert sorted(response.json(), key=lambda item: item["name"]) == [
        {"id": mine.pk, "name": mine.name, "owner_name": rep.display_name, "same_company": False},
        {"id": None, "name": theirs.name, "owner_name": theirs.owner.display_name, "same_company": False},
    ]


def test_the_api_needs_a_name(api_client, rep):
    api_client.force_authenticate(rep)

    assert api_client.get("/api/v1/customers/possible-duplicates/").status_code == 400
    assert api_client.get("/api/v1/customers/possible-duplicates/", {"name": "a\x0bb"}).status_code == 400
    assert api_client.get("/api/v1/customers/possible-duplicates/", {"name": "x"}).json() == []


def test_the_api_never_blocks_a_near_match(api_client, rep, yongsheng):
    api_client.force_authenticate(rep)

    response = api_client.post("/api/v1/customers/", {"name": "永盛汽车零部件有限公司"}, format="json")

    assert response.status_code == 201


# --- The new-customer page: "可能重复", then "仍然保存" --------------------------------------------------


def test_the_page_shows_possible_duplicates_before_saving(client, rep, yongsheng):
    mine, theirs = yongsheng
    client.force_login(rep)
    data = {"name": "永盛汽车零部件有限公司", "status": "prospect", "credit_code": CODE}

    shown = client.post("/customers/new/", data)

    html = shown.content.decode()
    assert shown.status_code == 200
    assert 'data-testid="possible-duplicates"' in html
    assert f'<a href="/customers/{mine.pk}/">{mine.name}</a>' in html
    assert theirs.name in html
    assert f"/customers/{theirs.pk}/" not in html
    assert theirs.owner.display_name in html
    assert 'name="confirm_possible_duplicates" value="永盛汽车零部件有限公司"' in html
    assert 'data-testid="save"' not in html
    assert 'data-testid="form-errors"' not in html  # a warning, not an error
    assert Customer.objects.count() == 2

    saved = client.post("/customers/new/", {**data, "confirm_possible_duplicates": "永盛汽车零部件有限公司"})

    created = Customer.objects.get(name="永盛汽车零部件有限公司")
    assert saved.status_code == 302
    assert saved["Location"] == f"/customers/{created.pk}/"
    assert created.credit_code == CODE


def test_confirming_one_name_does_not_skip_the_check_for_another(client, rep, yongsheng):
    client.force_login(rep)

    response = client.post(
        "/customers/new/",
        {"name": "永盛汽车零部件有限公司", "status": "prospect", "confirm_possible_duplicates": "别的公司"},
    )

    assert 'data-testid="possible-duplicates"' in response.content.decode()
    assert Customer.objects.count() == 2


def test_the_same_company_is_refused_not_listed(client, rep, yongsheng):
    client.force_login(rep)

    response = client.post(
        "/customers/new/", {"name": "永盛汽车零部件（上海）有限公司", "status": "prospect"}
    )

    html = response.content.decode()
    assert 'data-testid="possible-duplicates"' not in html
    assert 'data-testid="error-name"' in html
    assert 'data-testid="duplicate-link"' in html


def test_a_name_without_near_matches_saves_at_once(client, rep, yongsheng):
    client.force_login(rep)

    response = client.post("/customers/new/", {"name": "华信科技有限公司", "status": "prospect"})

    assert response.status_code == 302


def test_editing_a_customer_shows_no_possible_duplicates(client, rep, yongsheng):
    mine, _theirs = yongsheng
    client.force_login(rep)

    response = client.post(
        f"/customers/{mine.pk}/edit/", {"name": mine.name, "status": "prospect", "notes": "改"}
    )

    assert response.status_code == 302


# --- The data migration ------------------------------------------------------------------------------


renormalise = importlib.import_module("accounts.migrations.0008_renormalise_company_names")


def test_the_migration_recomputes_names_and_keeps_the_first_of_a_collision(rep, capsys):
    from django.apps import apps

    first = CustomerFactory(owner=rep, name="上海永盛汽车零部件有限公司")
    second, third = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
    # As saved under the old rule.
    Customer.objects.filter(pk=second.pk).update(
        name="永盛汽车零部件（上海）有限公司", name_normalised="永盛汽车零部件上海"
    )
    Customer.objects.filter(pk=third.pk).update(name="华信（集团）有限公司", name_normalised="华信集团")

    renormalise.forwards(apps, None)

    values = dict(Customer.objects.values_list("pk", "name_normalised"))
    assert values == {first.pk: "上海永盛汽车零部件", second.pk: "永盛汽车零部件上海", third.pk: "华信"}
    printed = capsys.readouterr().out
    assert (
        f"customer {second.pk} “永盛汽车零部件（上海）有限公司” is the same company as customer {first.pk}"
        in printed
    )
    assert "华信" not in printed

    renormalise.backwards(apps, None)

    assert Customer.objects.get(pk=third.pk).name_normalised == "华信集团"


def test_the_migration_plan_moves_values_between_rows_and_never_duplicates():
    rows = [(1, "b", "a"), (2, "c", "b"), (3, "a", "c"), (4, "b", "x")]  # (pk, name, current value)

    final, report = renormalise.plan(rows, rule=lambda name: name)

    assert final == {1: "b", 2: "c", 3: "a", 4: "x"}
    assert len(set(final.values())) == len(final)
    assert len(report) == 1
    assert report[0].startswith("accounts: customer 4 “b” is the same company as customer 1")


def test_the_migration_plan_prefers_the_row_that_already_holds_a_value():
    rows = [(1, "b", "a"), (2, "b", "b")]

    final, report = renormalise.plan(rows, rule=lambda name: name)

    assert final == {1: "a", 2: "b"}
    assert "customer 1" in report[0]
