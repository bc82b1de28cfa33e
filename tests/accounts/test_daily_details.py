"""Small things a rep or manager tripped over on the daily screens."""

import re

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_api_link_is_for_managers_and_admins_not_reps(client, rep, manager):
    client.force_login(rep)
    assert 'data-testid="nav-api"' not in client.get("/").content.decode()

    client.force_login(manager)
    assert 'data-testid="nav-api"' in client.get("/my-day/").content.decode()


def test_the_contact_form_asks_for_a_persons_full_name(client, rep):
    customer = CustomerFactory(owner=rep)
    client.force_login(rep)

    html = client.get(f"/customers/{customer.pk}/contacts/new/").content.decode()

    assert re.search(r'<label for="id_name"[^>]*>姓名</label>', html)


def test_applied_filters_fold_on_a_phone_and_are_counted(client, rep):
    CustomerFactory(owner=rep, region="华东")
    client.force_login(rep)

    html = client.get("/customers/?region=华东&tier=gold&search=").content.decode()

    details = re.search(r"<details[^>]*data-testid=\"filter-details\"[^>]*>", html).group()
    assert " open" not in details  # kam.js opens it on a wide screen only
    assert re.search(r'data-testid="applied-filter-count">2<', html)
