"""Pinyin search and order (issue 13): the conversion, every write path keeping the columns
current, search by characters, pinyin and initials, and name order as pinyin order.

The search and order tests run on whatever DATABASE_URL names; `make test` runs this module on
PostgreSQL and again on SQLite (the list must read the same on both).
"""

import csv
import importlib
import io
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Contact, Customer
from accounts.pinyin import has_latin, name_initials, name_pinyin, pinyin_columns, without_legal_form
from accounts.privacy import person_erase
from accounts.selectors import CustomerFilters, customer_list
from accounts.services import contacts_create, customer_create, customer_update, customers_create
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.both_databases

NANJING = "南京百川生物医药有限公司"
NANJING_STORED = ("nanjingbaichuanshengwuyiyao", "njbcswyy")  # the legal form left out

# --- The conversion (no database) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        (NANJING, "nanjingbaichuanshengwuyiyaoyouxiangongsi", "njbcswyyyxgs"),
        # Polyphones in company names, read by phrase.
        ("重庆长安汽车股份有限公司", "chongqingchanganqichegufenyouxiangongsi", "cqcaqcgfyxgs"),
        ("长沙银行", "changshayinhang", "csyh"),
        ("厦门航空有限公司", "xiamenhangkongyouxiangongsi", "xmhkyxgs"),
        ("中国建设银行", "zhongguojiansheyinhang", "zgjsyh"),
        ("三一重工", "sanyizhonggong", "syzg"),
        ("西安", "xian", "xa"),
        ("绿地集团", "lvdijituan", "ldjt"),  # ü is typed v
        # Fixed on top of pypinyin's dictionary: 长 outside a known word, 朝阳 the place.
        ("长宁", "changning", "cn"),
        ("长电科技", "changdiankeji", "cdkj"),
        ("北京朝阳医院", "beijingchaoyangyiyuan", "bjcyyy"),
        ("漯河", "luohe", "lh"),
        ("董事长", "dongshizhang", "dsz"),  # a word of the dictionary keeps zhǎng
        # Latin letters and digits: lowercased, full-width made plain, accents dropped, kept whole.
        ("ABB（中国）有限公司", "abbzhongguoyouxiangongsi", "abbzgyxgs"),
        ("３Ｍ 中国", "3mzhongguo", "3mzg"),
        ("Café Müller GmbH", "cafemullergmbh", "cafemullergmbh"),
        ("Acme Co., Ltd.", "acmecoltd", "acmecoltd"),
        # Nothing to read.
        ("", "", ""),
        ("！？…——", "", ""),
    ],
)
def test_a_company_name_as_pinyin_and_initials(name, pinyin, initials):
    assert name_pinyin(name) == pinyin
    assert name_initials(name) == initials


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("张伟", "zhangwei", "zw"),
        ("曾国藩", "zengguofan", "zgf"),  # 曾 is zēng as a surname, céng elsewhere
        ("单田芳", "shantianfang", "stf"),
        ("解缙", "xiejin", "xj"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("欧阳明", "ouyangming", "oym"),
        ("王区长", "wangquzhang", "wqz"),
        ("Mike Zeng", "mikezeng", "mikezeng"),
    ],
)
def test_a_persons_name_reads_the_surname_as_a_surname(name, pinyin, initials):
    assert name_pinyin(name, person=True) == pinyin
    assert name_initials(name, person=True) == initials


@pytest.mark.parametrize(
    ("name", "without"),
    [
        ("华为技术有限公司", "华为技术"),
        ("长沙银行股份有限公司", "长沙银行"),
        ("中国石油天然气集团公司", "中国石油天然气集团"),  # a group is part of who it is
        ("阿里巴巴（中国）有限公司", "阿里巴巴(中国)"),
        ("Acme Co., Ltd.", "Acme"),
        ("上海华信Co.,Ltd.", "上海华信"),
        ("Apple Inc", "Apple"),
        ("Zinc", "Zinc"),  # not the "inc" of a word
        ("有限公司上海分部", "有限公司上海分部"),  # only at the end
    ],
)
def test_a_company_name_is_stored_without_its_legal_form(name, without):
    assert without_legal_form(name).strip() == without
    assert pinyin_columns(name) == (name_pinyin(without), name_initials(without))


def test_a_persons_name_is_stored_whole():
    assert pinyin_columns("曾公司", person=True) == ("zenggongsi", "zgs")


@pytest.mark.parametrize(
    ("place", "pinyin"),
    [
        ("长治", "changzhi"),
        ("长春", "changchun"),
        ("朝阳", "chaoyang"),
        ("蚌埠", "bengbu"),
        ("六安", "luan"),
        ("漯河", "luohe"),
        ("乐山", "leshan"),
        ("台州", "taizhou"),
        ("丽水", "lishui"),
        ("亳州", "bozhou"),
        ("番禺", "panyu"),
    ],
)
def test_place_names_read_as_their_people_say_them(place, pinyin):
    assert name_pinyin(place) == pinyin


def test_a_surname_character_in_a_company_name_reads_as_usual():
    assert name_pinyin("曾经的公司") == "cengjingdegongsi"
    assert name_pinyin("单位") == "danwei"


@pytest.mark.parametrize(
    ("text", "latin"),
    [("南京", False), ("123", False), ("nj", True), ("Nan Jing", True), ("xi'an", True), ("ｎｊ", True)],
)
def test_whether_a_search_text_can_be_pinyin(text, latin):
    assert has_latin(text) is latin


# --- Every write path fills the columns --------------------------------------------------------


def stored(model, **lookup) -> tuple[str, str]:
    return tuple(model.objects.filter(**lookup).values_list("name_pinyin", "name_initials").get())


@pytest.mark.django_db
def test_customer_create_and_update_services(rep):
    customer = customer_create(by=rep, name=NANJING)
    assert stored(Customer, pk=customer.pk) == NANJING_STORED

    customer_update(customer=customer, by=rep, name="重庆百川有限公司")

    assert stored(Customer, pk=customer.pk) == ("chongqingbaichuan", "cqbc")


@pytest.mark.django_db
def test_a_save_of_the_name_alone_writes_its_pinyin():
    customer = CustomerFactory(name="上海华信有限公司")
    customer.name = "厦门华信有限公司"
    customer.save(update_fields=["name"])

    assert stored(Customer, pk=customer.pk) == ("xiamenhuaxin", "xmhx")


@pytest.mark.django_db
def test_batches_of_customers_and_contacts(rep):
    created = customers_create(by=rep, customers=[Customer(name="长沙银行"), Customer(name="Acme Ltd")])
    contacts_create(contacts=[Contact(customer=created[0], name="曾国藩")])

    assert stored(Customer, name="长沙银行") == ("changshayinhang", "csyh")
    assert stored(Customer, name="Acme Ltd") == ("acme", "acme")
    assert stored(Contact, name="曾国藩") == ("zengguofan", "zgf")


@pytest.mark.django_db
def test_the_customer_and_contact_forms(client, rep):
    client.force_login(rep)
    response = client.post("/customers/new/", {"name": NANJING, "status": "prospect"})
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert stored(Customer, pk=customer.pk) == NANJING_STORED

    client.post(f"/customers/{customer.pk}/edit/", {"name": "长沙百川有限公司", "status": "prospect"})
    assert stored(Customer, pk=customer.pk) == ("changshabaichuan", "csbc")

    response = client.post(f"/customers/{customer.pk}/contacts/new/", {"name": "单田芳"})
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert stored(Contact, pk=contact.pk) == ("shantianfang", "stf")

    client.post(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/", {"name": "解缙"})
    assert stored(Contact, pk=contact.pk) == ("xiejin", "xj")


@pytest.mark.django_db
def test_the_api_creates_and_updates(api_client, rep):
    api_client.force_authenticate(rep)
    created = api_client.post("/api/v1/customers/", {"name": "厦门航空有限公司"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert stored(Customer, pk=pk) == ("xiamenhangkong", "xmhk")
    assert "name_pinyin" not in created.json()  # stored for search and order, not shown

    assert (
        api_client.patch(f"/api/v1/customers/{pk}/", {"name": "重庆航空"}, format="json").status_code == 200
    )
    assert stored(Customer, pk=pk) == ("chongqinghangkong", "cqhk")

    contact = api_client.post("/api/v1/contacts/", {"customer": pk, "name": "张伟"}, format="json")
    assert contact.status_code == 201
    contact_pk = contact.json()["id"]
    assert stored(Contact, pk=contact_pk) == ("zhangwei", "zw")

    api_client.patch(f"/api/v1/contacts/{contact_pk}/", {"name": "曾伟"}, format="json")
    assert stored(Contact, pk=contact_pk) == ("zengwei", "zw")


@pytest.mark.django_db
def test_the_customer_import(client, rep):
    client.force_login(rep)
    data = "\r\n".join(["name,region", f"{NANJING},华东", "ＡＢＣ科技有限公司,华北", ""]).encode()
    response = client.post(
        "/customers/import/", {"file": SimpleUploadedFile("upload.csv", data, content_type="text/csv")}
    )

    assert response.status_code == 302
    assert stored(Customer, name=NANJING) == NANJING_STORED
    assert stored(Customer, name="ＡＢＣ科技有限公司") == ("abckeji", "abckj")


def _inline_management(prefix: str, total: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.django_db
def test_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/customer/add/",
        {
            "name": "长沙重工有限公司",
            "status": "prospect",
            **_inline_management("team_memberships"),
            **_inline_management("contacts", total=1),
            "contacts-0-name": "曾国藩",
            **_inline_management("competitors"),
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(Customer, name="长沙重工有限公司") == ("changshazhonggong", "cszg")
    contact = Contact.objects.get()
    assert stored(Contact, pk=contact.pk) == ("zengguofan", "zgf")

    response = client.post(
        f"/admin/accounts/contact/{contact.pk}/change/",
        {"customer": contact.customer_id, "name": "单田芳", "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(Contact, pk=contact.pk) == ("shantianfang", "stf")

    # The admin's search (and its customer pickers) find by pinyin too.
    assert client.get("/admin/accounts/customer/", {"q": "changsha"}).context["cl"].result_count == 1
    assert client.get("/admin/accounts/contact/", {"q": "stf"}).context["cl"].result_count == 1


@pytest.mark.django_db
def test_an_erased_contact_keeps_only_the_placeholders_pinyin(rep):
    contact = ContactFactory(customer=CustomerFactory(owner=rep), name="曾国藩")

    report = person_erase(contact=contact)

    contact.refresh_from_db()
    assert contact.name == report.placeholder
    assert (contact.name_pinyin, contact.name_initials) == (
        name_pinyin(report.placeholder, person=True),
        name_initials(report.placeholder, person=True),
    )
    assert "zeng" not in contact.name_pinyin
    assert not person_erase(contact=contact).changed  # a second run changes nothing


@pytest.mark.django_db
def test_the_data_migration_fills_the_rows_written_before(rep):
    customer = CustomerFactory(name=NANJING)
    contact = ContactFactory(customer=customer, name="单田芳")
    Customer.objects.update(name_pinyin="", name_initials="")
    Contact.objects.update(name_pinyin="", name_initials="")

    importlib.import_module("accounts.migrations.0006_fill_name_pinyin").fill(apps, None)

    assert stored(Customer, pk=customer.pk) == NANJING_STORED
    assert stored(Contact, pk=contact.pk) == ("shantianfang", "stf")


# --- Search --------------------------------------------------------------------------------------


@pytest.fixture
def portfolio(rep):
    CustomerFactory(owner=rep, name="北京百川生物医药有限公司")
    CustomerFactory(owner=rep, name="西安电子有限公司")
    return CustomerFactory(owner=rep, name=NANJING)


def found(user, text: str) -> list[str]:
    return [customer.name for customer in customer_list(user=user, filters=CustomerFilters(search=text))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["南京", "南京百川", "nanjing", "NanJing", "nan jing", "NANJINGBAICHUAN", "njbc"]
)
def test_search_by_characters_pinyin_or_initials(rep, portfolio, text):
    assert found(rep, text) == [NANJING]


@pytest.mark.django_db
def test_search_finds_every_name_the_text_fits(rep, portfolio):
    assert found(rep, "bc") == ["北京百川生物医药有限公司", NANJING]
    # Not every 有限公司 (you-xian-gong-si): the legal form is not searched.
    assert found(rep, "xi'an") == ["西安电子有限公司"]
    assert found(rep, "南京bc") == [NANJING]  # characters and initials mixed
    assert found(rep, "xyz") == []


@pytest.mark.django_db
def test_pinyin_finds_what_sounds_alike_characters_only_what_is_written(rep, portfolio):
    homophone = CustomerFactory(owner=rep, name="男经贸易有限公司")  # nanjing, but not 南京

    assert found(rep, "nanjing") == [NANJING, homophone.name]  # nanjingb… before nanjingm…
    assert found(rep, "nj") == [NANJING, homophone.name]
    assert found(rep, "南京") == [NANJING]


@pytest.mark.django_db
def test_search_by_a_contacts_name_in_pinyin(rep, portfolio):
    ContactFactory(customer=portfolio, name="欧阳明")

    assert found(rep, "ouyang") == [NANJING]
    assert found(rep, "OYM") == [NANJING]


@pytest.mark.django_db
def test_pinyin_search_never_reveals_another_reps_customer(rep, other_rep, portfolio):
    CustomerFactory(owner=other_rep, name="南京别家有限公司")

    assert found(rep, "nanjing") == [NANJING]
    assert found(other_rep, "nj") == ["南京别家有限公司"]


@pytest.mark.django_db
def test_search_keeps_its_query_count(rep, portfolio, django_assert_num_queries):
    with django_assert_num_queries(2):  # "does the user manage a team?" + the list
        assert found(rep, "njbc") == [NANJING]


@pytest.mark.django_db
def test_api_page_and_export_search(api_client, client, rep, portfolio, django_assert_num_queries):
    api_client.force_authenticate(rep)
    with django_assert_num_queries(5):  # as the list without a search
        response = api_client.get("/api/v1/customers/", {"search": "NanJing"})
    assert [item["name"] for item in response.json()["results"]] == [NANJING]

    client.force_login(rep)
    page = client.get("/customers/", {"search": "njbc"}).content.decode()
    assert f'data-customer-id="{portfolio.pk}"' in page
    assert page.count('data-testid="customer-row"') == 1
    assert export_names(client, search="nan jing") == [NANJING]
    picked = client.get("/visits/new/", {"search": "nj"}).content.decode()
    assert f'data-customer-id="{portfolio.pk}"' in picked


@pytest.mark.django_db
def test_contact_search_in_the_api(api_client, rep, portfolio):
    zhang = ContactFactory(customer=portfolio, name="张伟")
    zeng = ContactFactory(customer=portfolio, name="曾伟")
    api_client.force_authenticate(rep)

    def contacts(text: str) -> set[int]:
        response = api_client.get("/api/v1/contacts/", {"search": text})
        assert response.status_code == 200
        return {item["id"] for item in response.json()["results"]}

    assert contacts("张伟") == {zhang.pk}
    assert contacts("zhangwei") == {zhang.pk}
    assert contacts("Zeng Wei") == {zeng.pk}
    assert contacts("zw") == {zhang.pk, zeng.pk}
    assert contacts("wei") == {zhang.pk, zeng.pk}


# --- Order ---------------------------------------------------------------------------------------

# Pinyin order: a, bei, chang, chong, dong, shang, xia; the code points would put 上 first.
IN_PINYIN_ORDER = [
    "阿里巴巴（中国）有限公司",
    "北京华信有限公司",
    "长沙银行股份有限公司",
    "重庆长安汽车股份有限公司",
    "东风汽车集团有限公司",
    "上海永盛汽车零部件有限公司",
    "厦门航空有限公司",
]


@pytest.fixture
def alphabet(rep):
    for name in reversed(IN_PINYIN_ORDER):
        CustomerFactory(owner=rep, name=name)


def export_names(client, **params) -> list[str]:
    body = b"".join(client.get("/customers/export.csv", params).streaming_content)
    return [row["name"] for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))]


@pytest.mark.django_db
def test_name_order_is_pinyin_order_in_the_list_the_api_and_the_export(client, api_client, rep, alphabet):
    client.force_login(rep)
    api_client.force_authenticate(rep)
    by_id = dict(Customer.objects.values_list("pk", "name"))

    page = client.get("/customers/").content.decode()
    rows = [by_id[int(pk)] for pk in _row_ids(page)]
    api = [
        item["name"] for item in api_client.get("/api/v1/customers/", {"ordering": "name"}).json()["results"]
    ]
    descending = api_client.get("/api/v1/customers/", {"ordering": "-name"}).json()["results"]

    assert rows == api == export_names(client) == IN_PINYIN_ORDER
    assert [item["name"] for item in descending] == IN_PINYIN_ORDER[::-1]
    assert export_names(client, ordering="-name") == IN_PINYIN_ORDER[::-1]
    assert [customer.name for customer in Customer.objects.all()] == IN_PINYIN_ORDER  # Meta ordering


def _row_ids(html: str) -> list[str]:
    return re.findall(r'data-testid="customer-row" data-customer-id="(\d+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["baichuan", "bc"])  # with and without the trigram indexes
def test_a_searched_list_keeps_name_order(client, api_client, rep, text):
    later = CustomerFactory(owner=rep, name=NANJING)
    earlier = CustomerFactory(owner=rep, name="北京百川生物医药有限公司")
    client.force_login(rep)
    api_client.force_authenticate(rep)

    def api(**params) -> list[str]:
        return [item["name"] for item in api_client.get("/api/v1/customers/", params).json()["results"]]

    assert (
        found(rep, text)
        == api(search=text)
        == export_names(client, search=text)
        == [earlier.name, later.name]
    )
    assert api(search=text, ordering="-name") == [later.name, earlier.name]
    assert export_names(client, search=text, ordering="-name") == [later.name, earlier.name]


@pytest.mark.django_db
def test_names_that_read_alike_keep_the_order_they_were_created_in(rep):
    first = CustomerFactory(owner=rep, name="黎明科技")
    second = CustomerFactory(owner=rep, name="李明科技")  # also limingkeji

    assert list(customer_list(user=rep)) == [first, second]
    assert list(customer_list(user=rep, filters=CustomerFilters(ordering="-name"))) == [second, first]


@pytest.mark.django_db
def test_contacts_are_listed_in_pinyin_order(api_client, rep):
    customer = CustomerFactory(owner=rep)
    for name in ["周杰", "曾国藩", "王伟", "安然"]:
        ContactFactory(customer=customer, name=name)
    api_client.force_authenticate(rep)

    results = api_client.get("/api/v1/contacts/", {"customer": customer.pk}).json()["results"]

    assert [item["name"] for item in results] == ["安然", "王伟", "曾国藩", "周杰"]  # an, wang, zeng, zhou
    assert [contact.name for contact in customer.contacts.all()] == ["安然", "王伟", "曾国藩", "周杰"]
