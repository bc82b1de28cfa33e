"""A page read as its ids first: the same rows in the same order as Django's Paginator, in the
same one query per page."""

import pytest
from django.core.paginator import EmptyPage, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from tests.factories import ContactFactory, CustomerFactory
from web.paging import IdsFirstPaginator

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.mark.parametrize("ordering", [("name_pinyin", "id"), ("-score", "id"), ("-id",)])
def test_every_page_holds_the_rows_django_would_give(ordering):
    for i in range(23):
        CustomerFactory(name=f"客户{i:02}", score=(i * 7) % 10 if i % 3 else None)
    customers = Customer.objects.select_related("owner").order_by(*ordering)
    plain, ids_first = Paginator(customers, 5), IdsFirstPaginator(customers, 5)
    assert ids_first.num_pages == plain.num_pages == 5
    for number in plain.page_range:
        expected = [c.pk for c in plain.page(number)]
        page = ids_first.page(number)
        with CaptureQueriesContext(connection) as queries:
            rows = list(page)
        assert [c.pk for c in rows] == expected
        assert rows[0].owner.username  # the joins still come with the rows
        (sql,) = [q["sql"] for q in queries.captured_queries]
        assert " IN (SELECT " in sql
        assert " LIMIT " in sql


def test_a_page_out_of_range_is_refused_as_before():
    CustomerFactory()
    with pytest.raises(EmptyPage):
        IdsFirstPaginator(Customer.objects.order_by("id"), 5).page(2)


def test_the_filters_are_worked_out_once_and_a_list_that_repeats_rows_is_paged_as_before():
    for i in range(12):
        customer = CustomerFactory(name=f"南京客户{i:02}" if i % 2 else f"上海客户{i:02}", region="华东")
        ContactFactory(customer=customer, name="王伟")
        ContactFactory(customer=customer, name="王芳")
    searched = Customer.objects.filter(
        region="华东", pk__in=Customer.objects.filter(name__startswith="南京").values("pk")
    ).order_by("name", "id")
    joined = Customer.objects.filter(contacts__name__startswith="王").order_by("name", "id")
    for customers, found in ((searched, 6), (joined, 24)):
        plain, ids_first = Paginator(customers, 5), IdsFirstPaginator(customers, 5)
        assert ids_first.count == found
        for number in plain.page_range:
            with CaptureQueriesContext(connection) as queries:
                rows = [c.pk for c in ids_first.page(number)]
            assert rows == [c.pk for c in plain.page(number)]
            (sql,) = [q["sql"] for q in queries.captured_queries]
            if customers is searched:  # the filters once, in the ids
                assert sql.count("南京") == 1
                assert " IN (SELECT " in sql
            else:  # a customer once per contact: paged as Django pages it
                assert " IN (SELECT " not in sql
