"""The tier-movement panel says when there has been only one scoring run (nothing could move
yet), instead of an empty chart that looks like "no movements"."""

import pytest

from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, TransactionFactory
from tests.scoring.test_dashboard import get

pytestmark = pytest.mark.django_db


def _score():
    run, _created = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)


def test_before_any_run_there_is_no_run_and_no_first_run(api_client, manager):
    data = get(api_client, manager, "movements")
    assert (data["run"], data["first_run"]) == (None, False)


def test_after_one_run_the_panel_knows_it_is_the_first(api_client, manager, rep):
    TransactionFactory(customer=CustomerFactory(owner=rep, status="customer"), amount=1000)
    _score()

    assert get(api_client, manager, "movements")["first_run"] is True

    _score()

    assert get(api_client, manager, "movements")["first_run"] is False


def test_the_dashboard_page_carries_the_first_run_message(client, manager):
    client.force_login(manager)
    response = client.get("/dashboard/")
    assert "从第二次运行起才会出现层级变动" in response.context["labels"]["first_run"]
    assert 'data-testid="concentration-hhi"' in response.content.decode()
