"""Customer export (CSV and .xlsx): visibility, filters, formula safety, no personal data, query count."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import ContactFactory, CustomerFactory, VisitFactory
from web.spreadsheets import neutralise

pytestmark = pytest.mark.django_db

CSV_URL = "/customers/export.csv"
XLSX_URL = "/customers/export.xlsx"


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[dict]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = workbook.worksheets[0].iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_urls_are_the_documented_ones():
    assert reverse("accounts_io:customers-export-csv") == CSV_URL
    assert reverse("accounts_io:customers-export-xlsx") == XLSX_URL


def test_export_needs_a_login(client):
    response = client.get(CSV_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_csv_has_a_bom_and_only_the_visible_customers(client, rep, other_rep):
    CustomerFactory(name="上海华信有限公司", owner=rep, potential=4, sales_12m=Decimal("1234.50"))
    CustomerFactory(name="深圳别人的客户有限公司", owner=other_rep)

    client.force_login(rep)
    response = client.get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = csv_rows(response)
    assert [row["name"] for row in rows] == ["上海华信有限公司"]
    assert rows[0]["owner"] == "rep1"
    assert rows[0]["potential"] == "4"
    assert rows[0]["sales_12m"] == "1234.50"


def test_a_manager_exports_the_customers_of_the_team(client, rep, manager, other_rep):
    CustomerFactory(name="甲有限公司", owner=rep)
    CustomerFactory(name="乙有限公司", owner=manager)
    CustomerFactory(name="丙有限公司", owner=other_rep)

    client.force_login(manager)

    # In pinyin order: 甲 jia before 乙 yi.
    assert [row["name"] for row in csv_rows(client.get(CSV_URL))] == ["甲有限公司", "乙有限公司"]


def test_an_account_team_member_exports_the_shared_customer(client, rep, other_rep):
    shared = CustomerFactory(name="共享客户有限公司", owner=other_rep)
    shared.account_team.add(rep)
    CustomerFactory(name="不共享有限公司", owner=other_rep)

    client.force_login(rep)

    assert [row["name"] for row in csv_rows(client.get(CSV_URL))] == ["共享客户有限公司"]


def test_export_applies_the_list_filters(client, rep):
    CustomerFactory(name="A1", owner=rep, tier="gold", region="华东", industry="汽车", is_key_account=True)
    CustomerFactory(name="A2", owner=rep, tier="gold", region="华南", industry="汽车", is_key_account=False)
    CustomerFactory(name="A3", owner=rep, tier="lead", region="华东", industry="电子", status="customer")
    ContactFactory(customer=CustomerFactory(name="B1", owner=rep), name="赵子龙")
    client.force_login(rep)

    def names(**params) -> list[str]:
        return [row["name"] for row in csv_rows(client.get(CSV_URL, params))]

    assert names(tier="gold") == ["A1", "A2"]
    assert names(tier="gold", region="华东") == ["A1"]
    assert names(industry="电子") == ["A3"]
    assert names(status="customer") == ["A3"]
    assert names(is_key_account="true") == ["A1"]
    assert names(is_key_account="no") == ["A2"]
    assert names(search="赵子") == ["B1"]  # a contact's name finds its customer
    assert names(owner=str(rep.pk)) == ["A1", "A2", "A3", "B1"]
    assert names(owner="999999") == []
    assert names(ordering="-name") == ["B1", "A3", "A2", "A1"]
    # Nonsense is ignored rather than a server error.
    assert names(owner="abc", is_key_account="maybe", ordering="drop table") == ["A1", "A2", "A3", "B1"]
    assert names(owner="9" * 40) == ["A1", "A2", "A3", "B1"]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client, rep):
    CustomerFactory(name='=HYPERLINK("http://evil","x")', owner=rep, industry="+1+2", region="-3")
    CustomerFactory(name="@SUM(A1)", owner=rep, industry="\tcmd", region="\rcmd")
    CustomerFactory(name="普通客户", owner=rep, sales_12m=Decimal("-500.00"))
    client.force_login(rep)

    for rows in (csv_rows(client.get(CSV_URL)), xlsx_rows(client.get(XLSX_URL))):
        by_name = {row["name"]: row for row in rows}
        assert set(by_name) == {'\'=HYPERLINK("http://evil","x")', "'@SUM(A1)", "普通客户"}
        first = by_name['\'=HYPERLINK("http://evil","x")']
        assert (first["industry"], first["region"]) == ("'+1+2", "'-3")
        second = by_name["'@SUM(A1)"]
        assert second["industry"] == "'\tcmd"
        assert second["region"] in {"'\rcmd", "'\ncmd"}  # XML turns a lone CR into LF when read
        # A negative number stays a number.
        assert str(by_name["普通客户"]["sales_12m"]) in {"-500.00", "-500", "-500.0"}


def test_xlsx_has_typed_cells_that_cannot_run(client, rep):
    customer = CustomerFactory(
        name="=1+1", owner=rep, potential=5, score=Decimal("87.50"), is_key_account=True, tier="gold"
    )
    VisitFactory(customer=customer)
    client.force_login(rep)

    response = client.get(XLSX_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["name"].value == "'=1+1"
    assert row["name"].data_type == "s"  # a string, not a formula
    assert row["potential"].value == 5
    assert row["score"].value == pytest.approx(87.5)
    assert row["is_key_account"].value is True
    assert row["owner"].value == "rep1"
    assert row["last_visit_on"].value.date() == timezone.localdate()
    assert sheet.max_row == 2


def test_exports_contain_no_contact_personal_data(client, rep):
    customer = CustomerFactory(name="华信有限公司", owner=rep)
    ContactFactory(
        customer=customer,
        name="王建国",
        phone="13800138000",
        email="wang@example.cn",
        wechat="wjg-1970",
        hometown="浙江温州",
        interests="高尔夫",
        family="女儿在读大学",
    )
    client.force_login(rep)

    csv_body = b"".join(client.get(CSV_URL).streaming_content).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL).streaming_content)), read_only=True)
    xlsx_text = " ".join(
        str(value) for row in workbook.worksheets[0].iter_rows(values_only=True) for value in row
    )

    for text in (csv_body, xlsx_text):
        assert "华信有限公司" in text
        for secret in ["王建国", "13800138000", "wang@example.cn", "wjg-1970", "浙江温州", "高尔夫", "女儿"]:
            assert secret not in text


def test_a_group_account_the_user_cannot_see_is_not_named(client, rep, other_rep):
    hidden_group = CustomerFactory(name="看不见的集团有限公司", owner=other_rep)
    visible_group = CustomerFactory(name="看得见的集团有限公司", owner=rep)
    CustomerFactory(name="子公司一有限公司", owner=rep, parent=hidden_group, referred_by=hidden_group)
    CustomerFactory(name="子公司二有限公司", owner=rep, parent=visible_group, referred_by=visible_group)
    client.force_login(rep)

    rows = {row["name"]: row for row in csv_rows(client.get(CSV_URL))}

    assert "看不见的集团有限公司" not in rows
    assert (rows["子公司一有限公司"]["parent"], rows["子公司一有限公司"]["referred_by"]) == ("", "")
    assert rows["子公司二有限公司"]["parent"] == "看得见的集团有限公司"
    assert rows["子公司二有限公司"]["referred_by"] == "看得见的集团有限公司"


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_export_query_count_does_not_grow_with_customers(client, rep, django_assert_num_queries, url):
    def export_queries(n: int) -> int:
        for i in range(n):
            customer = CustomerFactory(owner=rep, name=f"客户{n}-{i}有限公司")
            VisitFactory(customer=customer)
            ContactFactory(customer=customer)
        client.force_login(rep)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            rows = len(b"".join(response.streaming_content))
        assert rows > 0
        return len(queries)

    few = export_queries(3)
    many = export_queries(27)  # 30 customers in all
    assert few == many
    # session, user, the manager check (for the list, and again for the group accounts it may
    # name), the checklist's active items (a column each), the rows
    assert few <= 6


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("上海华信") == "上海华信"
    assert neutralise("A-1") == "A-1"
    assert neutralise("-1") == "'-1"
    assert neutralise("") == ""
