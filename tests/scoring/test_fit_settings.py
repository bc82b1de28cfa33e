"""The experience method's settings in the scoring model: `weight_fit` among the composite
weights, the industry / customer fit weights in their own group, over the API and the page."""

from decimal import Decimal

import pytest
from django.utils import translation

from scoring.models import ScoringModel
from scoring.services import scoring_model_active

pytestmark = pytest.mark.django_db

MODEL_URL = "/api/v1/scoring/model/"


def test_api_shows_the_defaults(api_client, manager):
    api_client.force_authenticate(manager)
    body = api_client.get(MODEL_URL).json()
    assert (body["weight_fit"], body["fit_industry_weight"], body["fit_customer_weight"]) == (
        "0.00",
        "50.00",
        "50.00",
    )


def test_api_saves_the_fit_settings_as_a_new_version(api_client, manager):
    api_client.force_authenticate(manager)
    before = api_client.get(MODEL_URL).json()

    response = api_client.patch(
        MODEL_URL,
        {"weight_fit": "10", "fit_industry_weight": "30", "fit_customer_weight": "70", "note": "经历推算法"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == before["version"] + 1
    assert (body["weight_fit"], body["fit_industry_weight"], body["fit_customer_weight"]) == (
        "10.00",
        "30.00",
        "70.00",
    )
    parameters = ScoringModel.objects.get(is_active=True).to_parameters()
    assert parameters.weights["fit"] == Decimal(10)
    assert (parameters.fit_industry_weight, parameters.fit_customer_weight) == (Decimal(30), Decimal(70))


def test_one_fit_weight_may_be_zero(api_client, manager):
    api_client.force_authenticate(manager)
    response = api_client.put(MODEL_URL, {"fit_industry_weight": "0"}, format="json")
    assert response.status_code == 200
    assert response.json()["fit_industry_weight"] == "0.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fit_industry_weight": "0", "fit_customer_weight": "0"}, "fit_customer_weight"),
        ({"fit_industry_weight": "-1"}, "fit_industry_weight"),
        ({"fit_customer_weight": "1000.01"}, "fit_customer_weight"),
        ({"fit_customer_weight": "abc"}, "fit_customer_weight"),
        ({"weight_fit": "-5"}, "weight_fit"),
    ],
)
def test_bad_fit_settings_are_400_with_a_field_message_and_write_nothing(api_client, manager, body, field):
    api_client.force_authenticate(manager)
    scoring_model_active()

    response = api_client.put(MODEL_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ScoringModel.objects.count() == 1


def test_the_preview_refuses_both_fit_weights_zero(api_client, manager):
    api_client.force_authenticate(manager)
    response = api_client.post(
        f"{MODEL_URL}preview/", {"fit_industry_weight": "0", "fit_customer_weight": "0"}, format="json"
    )
    assert response.status_code == 400
    assert "fit_customer_weight" in response.json()


def test_reps_cannot_change_the_fit_settings(api_client, client, rep):
    scoring_model_active()
    api_client.force_authenticate(rep)
    assert api_client.patch(MODEL_URL, {"weight_fit": "10"}, format="json").status_code == 403
    assert api_client.put(MODEL_URL, {"fit_industry_weight": "10"}, format="json").status_code == 403
    client.force_login(rep)
    assert client.post("/scoring/", {"weight_fit": "10"}).status_code == 403
    assert ScoringModel.objects.count() == 1
    assert ScoringModel.objects.get().weight_fit == 0


def test_page_shows_weight_fit_with_the_weights_and_the_fit_weights_in_their_own_group(client, manager):
    client.force_login(manager)
    response = client.get("/scoring/", HTTP_ACCEPT_LANGUAGE="en")
    groups = response.context["form"].groups()
    assert "weight_fit" in [field.name for field in groups["weights"]]
    assert [field.name for field in groups["experience"]] == ["fit_industry_weight", "fit_customer_weight"]
    html = response.content.decode()
    assert "Experience method (fit score)" in html
    assert 'name="fit_industry_weight"' in html
    assert 'name="fit_customer_weight"' in html


def form_data(client):
    form = client.get("/scoring/").context["form"]
    return {name: form[name].value() for name in form.fields}


def test_page_saves_the_fit_settings(client, manager):
    client.force_login(manager)
    data = form_data(client)
    data.update(weight_fit="20", fit_industry_weight="40", fit_customer_weight="60", note="加入匹配度")

    assert client.post("/scoring/", data).status_code == 302

    active = ScoringModel.objects.get(is_active=True)
    assert (active.version, active.weight_fit, active.fit_industry_weight, active.fit_customer_weight) == (
        2,
        20,
        40,
        60,
    )


def test_page_refuses_both_fit_weights_zero_with_a_field_message(client, manager):
    client.force_login(manager)
    data = form_data(client)
    data.update(fit_industry_weight="0", fit_customer_weight="0")

    response = client.post("/scoring/", data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    with translation.override("en"):  # the form's lazy messages are read in the test's language
        errors = response.context["form"].errors["fit_customer_weight"]
    assert errors == ["Industry fit and customer fit cannot both weigh zero."]
    assert ScoringModel.objects.count() == 1
