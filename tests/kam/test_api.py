"""API skeleton: token and session auth, OpenAPI schema and docs, pagination, JSON errors."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.factories import TEST_PASSWORD, TeamFactory

pytestmark = pytest.mark.django_db


def test_token_for_a_valid_login(api_client, rep):
    response = api_client.post("/api/v1/auth/token/", {"username": "rep1", "password": TEST_PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=rep).key}


def test_token_refused_with_field_messages(api_client, rep):
    response = api_client.post("/api/v1/auth/token/", {"username": "rep1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"password": ["该字段是必填项。"]}


def test_token_refused_for_a_wrong_password(api_client, rep):
    response = api_client.post("/api/v1/auth/token/", {"username": "rep1", "password": "wrong"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_token_authenticates_requests(api_client, rep):
    token = Token.objects.create(user=rep)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "rep1"
    assert response.json()["role"] == "rep"
    assert response.json()["teams"] == ["华东大客户部"]


def test_session_authenticates_requests(client, manager):
    client.force_login(manager)
    response = client.get("/api/v1/me/", HTTP_ACCEPT="application/json")
    assert response.json()["managed_teams"] == ["华东大客户部"]


def test_anonymous_api_request_is_a_json_401(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_bad_token_is_a_json_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_unknown_api_url_is_a_json_404(api_client, rep):
    api_client.force_authenticate(rep)
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_pagination_envelope_and_page_size_cap(api_client, rep, django_assert_max_num_queries):
    TeamFactory.create_batch(250)
    api_client.force_authenticate(rep)

    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/teams/", {"page_size": 1000})

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 251
    assert len(body["results"]) == 200
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_size_parameter_and_invalid_page(api_client, rep):
    TeamFactory.create_batch(5)
    api_client.force_authenticate(rep)

    assert len(api_client.get("/api/v1/teams/", {"page_size": 2}).json()["results"]) == 2
    response = api_client.get("/api/v1/teams/", {"page": 99})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_team_list_query_count_does_not_grow_with_rows(api_client, rep, django_assert_num_queries):
    api_client.force_authenticate(rep)
    TeamFactory.create_batch(3)
    with django_assert_num_queries(4):  # count, page, members, managers
        api_client.get("/api/v1/teams/")
    TeamFactory.create_batch(30)
    with django_assert_num_queries(4):
        api_client.get("/api/v1/teams/")


def test_schema_is_valid_openapi_3(tmp_path):
    # drf-spectacular validates the generated document against the OpenAPI 3 JSON schema.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert text.startswith("openapi: 3.")
    assert "/api/v1/auth/token/" in text


def test_schema_url_serves_openapi_json(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_docs_page_loads_its_assets_locally(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "unpkg" not in html.lower()
