"""Customer and transaction imports: all rows or none, errors by row, malformed files as form errors."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.imports import MAX_UPLOAD_BYTES, TRANSACTION_COLUMNS, read_table, transactions_import
from accounts.models import Customer, Transaction
from tests.factories import CustomerFactory, TransactionFactory, UserFactory

pytestmark = pytest.mark.django_db

CUSTOMERS_URL = "/customers/import/"
TRANSACTIONS_URL = "/transactions/import/"


def csv_file(lines: list[str], *, name: str = "upload.csv", encoding: str = "utf-8", bom: bool = False):
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv")


def xlsx_file(rows: list[list], *, name: str = "upload.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, url: str, file):
    return client.post(url, {"file": file})


def row_errors(response) -> list[tuple[int, str]]:
    assert response.status_code == 200
    return [(error.row, error.column) for error in response.context["errors"]]


def file_errors(response) -> list[str]:
    assert response.status_code == 200
    return response.context["form"].errors.get("file", [])


# --- Pages -----------------------------------------------------------------------------------


def test_urls_are_the_documented_ones():
    assert reverse("accounts_io:customers-import") == CUSTOMERS_URL
    assert reverse("accounts_io:transactions-import") == TRANSACTIONS_URL


def test_import_pages_need_a_login(client):
    for url in [CUSTOMERS_URL, TRANSACTIONS_URL, CUSTOMERS_URL + "template.csv"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", [CUSTOMERS_URL, TRANSACTIONS_URL])
def test_import_page_offers_the_form_and_a_template(client, rep, url):
    client.force_login(rep)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert url + "template.csv" in html
    assert "kam/css/io.css" in html


def test_templates_are_csv_headers_with_bom(client, rep):
    client.force_login(rep)
    customers = client.get(CUSTOMERS_URL + "template.csv")
    transactions = client.get(TRANSACTIONS_URL + "template.csv")
    assert customers.status_code == transactions.status_code == 200
    assert customers.content.startswith(b"\xef\xbb\xbfname,credit_code,industry,region,status,source,owner")
    assert (
        transactions.content
        == b"\xef\xbb\xbfcustomer_id,customer,reference,date,amount,margin,description\r\n"
    )


# --- Customers -------------------------------------------------------------------------------


def test_all_valid_customers_are_written(client, rep, manager):
    client.force_login(manager)
    response = upload(
        client,
        CUSTOMERS_URL,
        csv_file(
            [
                "name,industry,region,status,source,owner,parent,referred_by,potential,demonstration,winnability,notes",
                "华信控股集团有限公司,制造业,华东,customer,web,,,,5,4,3,集团总部",
                "苏州华信精密电子有限公司,电子,华东,prospect,referral,rep1,华信控股集团有限公司,华信控股集团,4,,,",
                "杭州新客户有限公司,汽车,华东,,trade_fair,rep1,,,,,,",
            ],
            bom=True,
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == CUSTOMERS_URL
    group = Customer.objects.get(name="华信控股集团有限公司")
    subsidiary = Customer.objects.get(name="苏州华信精密电子有限公司")
    plain = Customer.objects.get(name="杭州新客户有限公司")
    assert (group.owner, group.status, group.potential, group.notes) == (manager, "customer", 5, "集团总部")
    assert (subsidiary.owner, subsidiary.parent, subsidiary.referred_by) == (rep, group, group)
    assert (subsidiary.source, subsidiary.demonstration) == ("referral", None)
    assert (plain.status, plain.source, plain.owner) == ("prospect", "trade_fair", rep)
    assert plain.name_normalised == "杭州新客户"
    assert Customer.objects.count() == 3


def test_one_bad_row_writes_nothing_and_the_report_names_its_row(client, rep):
    client.force_login(rep)
    response = upload(
        client,
        CUSTOMERS_URL,
        csv_file(
            [
                "name,potential",
                "甲有限公司,3",
                "",  # a blank line still counts, as it does in Excel
                "乙有限公司,9",
                "丙有限公司,",
            ]
        ),
    )

    assert row_errors(response) == [(4, "potential")]
    assert response.context["error_rows"] == 1
    assert Customer.objects.count() == 0
    assert 'data-row="4"' in response.content.decode()


def test_every_row_is_checked_and_all_errors_are_reported(client, rep, other_rep):
    CustomerFactory(name="上海 已有 股份有限公司", owner=other_rep)
    CustomerFactory(name="看不见的集团有限公司", owner=other_rep)
    client.force_login(rep)
    response = upload(
        client,
        CUSTOMERS_URL,
        csv_file(
            [
                "name,status,source,owner,parent,potential,demonstration,winnability,industry",
                "上海已有有限公司,,,,,,,,",  # 2: 撞单 with an existing customer
                "新客户A有限公司,maybe,,,,,,,",  # 3: unknown status
                "新客户B有限公司,,tv,,,,,,",  # 4: unknown source
                "新客户C有限公司,,,rep9,,,,,",  # 5: a rep may only assign themselves
                "新客户D有限公司,,,,看不见的集团有限公司,,,,",  # 6: invisible group account
                "新客户E有限公司,,,,,0,6,2.5,",  # 7: ratings out of range
                "新客户A 股份有限公司,,,,,,,,",  # 8: same company as row 3
                "有限公司,,,,,,,,",  # 9: only a legal form
                ",,,,,,,,",  # 10: blank row: skipped
                ",customer,,,,,,,",  # 11: no name
                "新客户F有限公司,,,,新客户G有限公司,,,,",  # 12: parent created further down
                "新客户G有限公司,,,,,,,," + "x" * 60,  # 13: industry too long
                "新客户H有限公司,Customer,customer referral,rep1,,1,5,3,",  # 14: valid (labels accepted)
            ]
        ),
    )

    assert row_errors(response) == [
        (2, "name"),
        (3, "status"),
        (4, "source"),
        (5, "owner"),
        (6, "parent"),
        (7, "potential"),
        (7, "demonstration"),
        (7, "winnability"),
        (8, "name"),
        (9, "name"),
        (11, "name"),
        (12, "parent"),
        (13, "industry"),
    ]
    assert Customer.objects.count() == 2


def test_customers_import_from_xlsx_and_gb18030(client, rep):
    client.force_login(rep)

    response = upload(client, CUSTOMERS_URL, xlsx_file([["name", "potential"], ["表格客户有限公司", 4]]))
    assert response.status_code == 302
    assert Customer.objects.get(name="表格客户有限公司").potential == 4

    response = upload(
        client, CUSTOMERS_URL, csv_file(["name,region", "国标编码客户有限公司,华南"], encoding="gb18030")
    )
    assert response.status_code == 302, file_errors(response)
    assert Customer.objects.get(name="国标编码客户有限公司").region == "华南"


def test_a_manager_assigns_team_members_but_not_outsiders(client, rep, manager, other_rep):
    client.force_login(manager)
    response = upload(client, CUSTOMERS_URL, csv_file(["name,owner", "甲有限公司,rep1", "乙有限公司,rep9"]))
    assert row_errors(response) == [(3, "owner")]
    assert Customer.objects.count() == 0


# --- Transactions ----------------------------------------------------------------------------


def test_transactions_are_imported_and_reimport_updates_instead_of_duplicating(client, rep):
    customer = CustomerFactory(name="上海华信股份有限公司", owner=rep)
    other = CustomerFactory(name="杭州客户有限公司", owner=rep)
    client.force_login(rep)
    header = "customer_id,customer,reference,date,amount,margin,description"

    first = upload(
        client,
        TRANSACTIONS_URL,
        csv_file(
            [
                header,
                f"{customer.pk},,ERP-2026-000001,2026-01-15,12345.67,2000.10,第一单",
                ',上海华信有限公司,ERP-2026-000002,2026/2/1,"1,000.00",-50,',  # name match, credit margin
                f"{other.pk},,ERP-2026-000003,2026-03-01,-300,-300,红字发票",
            ]
        ),
    )
    assert first.status_code == 302, file_errors(first)
    assert Transaction.objects.count() == 3

    second = upload(
        client,
        TRANSACTIONS_URL,
        csv_file(
            [
                header,
                f"{customer.pk},,ERP-2026-000001,2026-01-16,20000,,改过的第一单",
                f"{customer.pk},,ERP-2026-000004,2026-04-01,10,1,",
            ]
        ),
    )
    assert second.status_code == 302, file_errors(second)

    assert Transaction.objects.count() == 4
    updated = Transaction.objects.get(reference="ERP-2026-000001")
    assert (updated.occurred_on, updated.amount, updated.margin, updated.description) == (
        date(2026, 1, 16),
        Decimal("20000.00"),
        None,
        "改过的第一单",
    )
    by_name = Transaction.objects.get(reference="ERP-2026-000002")
    assert (by_name.customer, by_name.amount, by_name.margin) == (
        customer,
        Decimal("1000.00"),
        Decimal("-50.00"),
    )
    assert Transaction.objects.get(reference="ERP-2026-000003").amount == Decimal("-300.00")


def test_transactions_from_xlsx_with_real_dates_and_numbers(client, rep):
    customer = CustomerFactory(name="表格客户有限公司", owner=rep)
    client.force_login(rep)
    response = upload(
        client,
        TRANSACTIONS_URL,
        xlsx_file(
            [["customer", "reference", "date", "amount"], ["表格客户", "X-1", date(2026, 5, 4), 0.1 + 0.2]]
        ),
    )
    assert response.status_code == 302, file_errors(response)
    transaction = Transaction.objects.get(reference="X-1")
    assert (transaction.customer, transaction.occurred_on, transaction.amount) == (
        customer,
        date(2026, 5, 4),
        Decimal("0.30"),
    )


def test_a_bad_transaction_row_writes_nothing(client, rep, other_rep):
    mine = CustomerFactory(name="我的客户有限公司", owner=rep)
    hidden = CustomerFactory(name="别人的客户有限公司", owner=other_rep)
    TransactionFactory(customer=hidden, reference="THEIRS-1", amount=Decimal("5.00"))
    client.force_login(rep)
    response = upload(
        client,
        TRANSACTIONS_URL,
        csv_file(
            [
                "customer_id,customer,reference,date,amount,margin",
                f"{mine.pk},,OK-1,2026-01-01,100,10",  # 2: fine
                f"{hidden.pk},,OK-2,2026-01-01,100,",  # 3: invisible customer by id
                ",别人的客户有限公司,OK-3,2026-01-01,100,",  # 4: invisible customer by name
                f"{mine.pk},,THEIRS-1,2026-01-01,100,",  # 5: reference of an invisible transaction
                f"{mine.pk},,OK-4,01.02.2026,abc,1.234",  # 6: bad date, amount, margin
                f"{mine.pk},,,2026-01-01,100,",  # 7: no reference
                ",,OK-5,2026-01-01,100,",  # 8: no customer
                f"{mine.pk},,OK-1,2026-02-30,100,",  # 9: duplicate reference in the file; no 30 Feb
                "abc,,OK-6,2026-01-01,,",  # 10: id not a number; amount missing
            ]
        ),
    )

    assert row_errors(response) == [
        (3, "customer_id"),
        (4, "customer"),
        (5, "reference"),
        (6, "date"),
        (6, "amount"),
        (6, "margin"),
        (7, "reference"),
        (8, "customer"),
        (9, "reference"),
        (9, "date"),
        (10, "customer_id"),
        (10, "customer"),
        (10, "amount"),
    ]
    assert list(Transaction.objects.values_list("reference", "customer_id", "amount")) == [
        ("THEIRS-1", hidden.pk, Decimal("5.00"))
    ]


def test_a_transaction_file_without_a_customer_column_is_a_form_error(client, rep):
    client.force_login(rep)
    response = upload(client, TRANSACTIONS_URL, csv_file(["reference,date,amount", "A-1,2026-01-01,5"]))
    assert len(file_errors(response)) == 1
    assert Transaction.objects.count() == 0


# --- Malformed files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file",
    [
        pytest.param(SimpleUploadedFile("empty.csv", b""), id="empty"),
        pytest.param(SimpleUploadedFile("blank.csv", b"\r\n\r\n , \r\n"), id="blank-lines"),
        pytest.param(SimpleUploadedFile("garbage.csv", bytes(range(256)) * 20), id="binary-garbage"),
        pytest.param(SimpleUploadedFile("fake.xlsx", b"PK\x03\x04not really a zip"), id="broken-xlsx"),
        pytest.param(
            SimpleUploadedFile("image.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), id="png-as-xlsx"
        ),
        pytest.param(
            SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100), id="xls"
        ),
        pytest.param(SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100), id="wrong-suffix"),
        pytest.param(SimpleUploadedFile("wrong.csv", "客户,电话\r\n甲,123\r\n".encode()), id="wrong-header"),
        pytest.param(SimpleUploadedFile("header.csv", b"name,industry\r\n"), id="header-only"),
        pytest.param(SimpleUploadedFile("dup.csv", b"name,name\r\nA,B\r\n"), id="duplicate-column"),
        pytest.param(SimpleUploadedFile("quote.csv", b'name\r\n"unterminated\r\nA"B"\r\n'), id="bad-quoting"),
        pytest.param(SimpleUploadedFile("latin.csv", b"name\r\n\x81\x30\xff\xff\r\n"), id="undecodable"),
    ],
)
def test_a_malformed_file_is_a_form_error_not_a_crash(client, rep, file):
    client.force_login(rep)
    response = upload(client, CUSTOMERS_URL, file)
    assert len(file_errors(response)) == 1
    assert response.context["errors"] == []
    assert Customer.objects.count() == 0
    assert 'data-testid="file-error"' in response.content.decode()


def test_a_file_over_the_size_limit_is_a_form_error(client, rep):
    client.force_login(rep)
    big = SimpleUploadedFile("big.csv", b"name\r\n" + b"x" * MAX_UPLOAD_BYTES)
    response = upload(client, CUSTOMERS_URL, big)
    assert len(file_errors(response)) == 1
    assert Customer.objects.count() == 0


def test_no_file_is_a_form_error(client, rep):
    client.force_login(rep)
    response = client.post(CUSTOMERS_URL, {})
    assert len(file_errors(response)) == 1


def test_utf16_tab_separated_text_from_excel_is_read(client, rep):
    client.force_login(rep)
    data = "name\tregion\r\n制表符客户有限公司\t西南\r\n".encode("utf-16")
    response = upload(client, CUSTOMERS_URL, SimpleUploadedFile("unicode.txt", data))
    assert response.status_code == 302, file_errors(response)
    assert Customer.objects.get(name="制表符客户有限公司").region == "西南"


def test_unknown_columns_are_ignored_and_named(client, rep):
    client.force_login(rep)
    response = upload(client, CUSTOMERS_URL, csv_file(["id,name,score", "99,多列客户有限公司,88"]))
    assert response.status_code == 302
    customer = Customer.objects.get(name="多列客户有限公司")
    assert customer.pk != 99 or Customer.objects.count() == 1
    assert customer.score is None


def test_an_inactive_user_cannot_be_made_owner(client, manager, team):
    gone = UserFactory(username="gone", is_active=False)
    team.members.add(gone)
    client.force_login(manager)
    response = upload(client, CUSTOMERS_URL, csv_file(["name,owner", "甲有限公司,gone"]))
    assert row_errors(response) == [(2, "owner")]


def test_more_rows_than_allowed_is_a_form_error_not_a_silent_cut(client, rep, monkeypatch):
    monkeypatch.setattr("accounts.imports.MAX_ROWS", 3)
    client.force_login(rep)
    lines = ["name", "甲有限公司", "", "", "乙有限公司", "丙有限公司", "", "丁有限公司"]
    response = upload(client, CUSTOMERS_URL, csv_file(lines))
    assert len(file_errors(response)) == 1
    assert Customer.objects.count() == 0

    response = upload(client, CUSTOMERS_URL, csv_file(lines[:-1]))  # blank lines do not count
    assert response.status_code == 302
    assert Customer.objects.count() == 3


def test_rows_are_numbered_as_in_the_sheet_when_the_header_is_lower_down(client, rep):
    client.force_login(rep)
    response = upload(
        client,
        CUSTOMERS_URL,
        xlsx_file([[None], ["name", "potential"], ["甲有限公司", 2], [None, None], ["乙有限公司", "高"]]),
    )
    assert row_errors(response) == [(5, "potential")]


def test_reimporting_the_same_transactions_rewrites_nothing(rep):
    customer = CustomerFactory(name="重复导入客户有限公司", owner=rep)
    lines = [
        "customer_id,reference,date,amount,margin",
        f"{customer.pk},R-1,2026-01-01,100,",
        f"{customer.pk},R-2,2026-01-02,5.5,1",
    ]
    table = read_table(csv_file(lines).read(), filename="t.csv", columns=TRANSACTION_COLUMNS)

    first = transactions_import(by=rep, table=table)
    second = transactions_import(by=rep, table=table)

    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert Transaction.objects.count() == 2
