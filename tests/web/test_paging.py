"""A page read as its ids first: the same rows in the same order as Django's Paginator, in the
same one query per page."""

import pytest
from django.core.paginator import EmptyPage, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from tests.factories import CustomerFactory
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
