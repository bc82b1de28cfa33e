"""The scoring page, the run button and the customer's history panel."""

import pytest

from scoring.models import ScoringModel, ScoringRun
from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_reps_are_refused_the_scoring_page(client, rep):
    client.force_login(rep)
    assert client.get("/scoring/").status_code == 403
    assert client.post("/scoring/runs/").status_code == 403
    assert not ScoringRun.objects.exists()


def test_manager_sees_model_runs_and_summary(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        response = client.get("/scoring/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="model-form"' in html
    assert 'name="weight_sales"' in html
    assert 'data-testid="run-start"' in html


def test_saving_the_form_makes_a_new_version(client, manager):
    client.force_login(manager)
    form = client.get("/scoring/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(weight_sales="55", note="更重视销售额")

    response = client.post("/scoring/", data)

    assert response.status_code == 302
    active = ScoringModel.objects.get(is_active=True)
    assert active.version == 2
    assert active.weight_sales == 55


def test_invalid_form_shows_errors_and_saves_nothing(client, manager):
    client.force_login(manager)
    form = client.get("/scoring/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(tier_platinum_share="60")

    response = client.post("/scoring/", data)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert ScoringModel.objects.count() == 1


def test_run_button_runs_and_redirects(eager_celery, client, manager, django_capture_on_commit_callbacks):
    TransactionFactory(customer=CustomerFactory(status="customer"))
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/scoring/runs/", {"as_of": ""})
    run = ScoringRun.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#run-{run.pk}")
    assert run.status == "succeeded"


def test_history_panel(client, rep, other_rep):
    mine = CustomerFactory(owner=rep)
    theirs = CustomerFactory(owner=other_rep)
    run, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    client.force_login(rep)

    response = client.get(f"/scoring/customers/{mine.pk}/history/")
    assert response.status_code == 200
    assert 'data-testid="score-history"' in response.content.decode()
    assert client.get(f"/scoring/customers/{theirs.pk}/history/").status_code == 404


def test_score_customers_command(capsys):
    from django.core.management import call_command

    CustomerFactory.create_batch(3)
    call_command("score_customers", "--as-of", "2026-01-31")
    out = capsys.readouterr().out
    assert "100%" in out
    assert "3 customers scored" in out
    assert ScoringRun.objects.get().as_of.isoformat() == "2026-01-31"


def test_score_customers_command_refuses_bad_dates():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("score_customers", "--as-of", "31/01/2026")
    assert not ScoringRun.objects.exists()
