"""A contact's personal data never leaves KAM by a side door: not in error reports, logs, task
arguments or exports. (The customer exports' own test, with planted values, is in
tests/accounts/test_io.py.)"""

import inspect
import json
import logging
import sys

import pytest
from django.views.debug import ExceptionReporter, get_default_exception_reporter_filter
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.exports import COLUMNS
from accounts.models import Contact
from accounts.reporting import PersonalDataReporterFilter
from tests.factories import CustomerFactory

NAME = "植入张三"
PHONE = "13912345678"
EMAIL = "plant@example.com"
WECHAT = "plant_wx"
BIRTHDAY = "1971-03-14"
HOMETOWN = "植入籍贯温州"
INTERESTS = "植入爱好高尔夫"
FAMILY = "植入家属女儿在读大学"
NOTES = "植入备注喜欢喝茶"
PLANTED = [NAME, PHONE, EMAIL, WECHAT, BIRTHDAY, HOMETOWN, INTERESTS, FAMILY, NOTES]
CONTACT_POST = {
    "name": NAME,
    "title": "采购总监",
    "phone": PHONE,
    "email": EMAIL,
    "wechat": WECHAT,
    "birthday": BIRTHDAY,
    "hometown": HOMETOWN,
    "interests": INTERESTS,
    "family": FAMILY,
    "notes": NOTES,
}


# --- Error reports -------------------------------------------------------------------------------


def save_contact(data):
    """Fails the way a view would, with the contact's data in its local variables (which the
    report shows, frame by frame)."""
    validated_data = {key.rsplit("-", 1)[-1]: value for key, value in data.items()}
    contact = Contact(name=validated_data["name"], phone=validated_data["phone"])  # noqa: F841
    namesakes = Contact.objects.filter(name=validated_data["name"])  # noqa: F841
    value = f"{validated_data['phone']} "  # noqa: F841
    raise RuntimeError("database went away")


@pytest.fixture(autouse=True)
def _configured_reporter_filter():
    # Django caches the filter it first builds; a test that changed the setting must not leave its own.
    get_default_exception_reporter_filter.cache_clear()
    yield
    get_default_exception_reporter_filter.cache_clear()


def error_report(request, fail=save_contact) -> tuple[ExceptionReporter, str, str]:
    data = json.loads(request.body) if request.content_type == "application/json" else request.POST
    try:
        fail(data)
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter, reporter.get_traceback_html(), reporter.get_traceback_text()


@pytest.mark.parametrize(
    ("path", "post", "content_type"),
    [
        ("/customers/1/contacts/new/", CONTACT_POST, None),
        ("/api/v1/contacts/", json.dumps(CONTACT_POST), "application/json"),  # as the API is called
        # The customer admin's contact inline: its fields carry the formset's prefix.
        ("/admin/accounts/customer/1/change/", {f"contacts-0-{k}": v for k, v in CONTACT_POST.items()}, None),
    ],
)
def test_an_error_report_shows_no_personal_data_of_a_posted_contact(
    db, rf, settings, path, post, content_type
):
    settings.DEBUG = False
    settings.KAM_SUPPORT_PHONE = PHONE  # a setting named like personal data is hidden too
    request = rf.post(path, post, **({"content_type": content_type} if content_type else {}))

    reporter, html, text = error_report(request)

    assert isinstance(reporter.filter, PersonalDataReporterFilter)
    assert "采购总监" in html  # what is not personal stays, for whoever debugs it
    for report in (html, text):
        assert "database went away" in report
        assert [value for value in PLANTED if value in report] == []


def test_an_error_report_of_the_api_shows_no_personal_data_of_the_json_it_parsed(db, settings):
    """DRF reads the request's stream itself, so the body cannot be read again for the report."""
    settings.DEBUG = False

    class FailingContacts(APIView):
        authentication_classes = []
        permission_classes = []

        def post(self, request):
            save_contact(request.data)

    request = APIRequestFactory().post("/api/v1/contacts/", CONTACT_POST, format="json")
    try:
        FailingContacts.as_view()(request)
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())

    html = reporter.get_traceback_html()
    assert "采购总监" in html
    for report in (html, reporter.get_traceback_text()):
        assert "database went away" in report
        assert [value for value in PLANTED if value in report] == []


def test_a_customers_name_is_not_hidden_outside_contact_pages(db, rf, settings):
    settings.DEBUG = False
    request = rf.post("/customers/new/", {"name": "苏州精工有限公司", "notes": NOTES})

    def save_customer(data):
        raise RuntimeError("database went away")

    _, html, text = error_report(request, fail=save_customer)

    for report in (html, text):
        assert "苏州精工有限公司" in report
        assert NOTES not in report


# --- Logs ----------------------------------------------------------------------------------------


def test_writing_a_contact_and_a_visit_logs_none_of_their_personal_data(db, caplog, api_client, client, rep):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    customer = CustomerFactory(owner=rep)
    api_client.force_authenticate(rep)

    created = api_client.post("/api/v1/contacts/", {"customer": customer.pk, "name": NAME}, format="json")
    contact_pk = created.json()["id"]
    profile = {key: value for key, value in CONTACT_POST.items() if key != "name"}
    changed = api_client.patch(f"/api/v1/contacts/{contact_pk}/", profile, format="json")
    refused = api_client.patch(f"/api/v1/contacts/{contact_pk}/", {"phone": PHONE, "age": 7}, format="json")
    visit = api_client.post(
        "/api/v1/visits/",
        {
            "customer": customer.pk,
            "occurred_at": "2025-03-01T10:00:00+08:00",
            "contacts": [contact_pk],
            "summary": f"与{NAME}面谈，手机{PHONE}",
        },
        format="json",
    )
    client.force_login(rep)
    page = client.post(f"/customers/{customer.pk}/contacts/new/", {"name": f"{NAME}二", "phone": PHONE})
    search = client.get("/customers/", {"search": NAME})

    assert [r.status_code for r in (created, changed, refused, visit, page, search)] == [
        201,
        200,
        400,
        201,
        302,
        200,
    ]
    assert any("Bad Request" in record.getMessage() for record in caplog.records)  # the capture works
    logged = "\n".join(
        [caplog.text]
        + [record.getMessage() for record in caplog.records]
        + [record.exc_text or "" for record in caplog.records]
    )
    assert [value for value in PLANTED if value in logged] == []


# --- Task arguments ------------------------------------------------------------------------------


def test_every_task_takes_ids_only():
    """A message on the broker (and in the result store, and in a worker's log) holds a task's
    arguments: an id names a row, a contact's data would copy it out of the database."""
    from kam.celery import app

    app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in app.tasks.items()
        if task.__module__.split(".")[0] in {"kam", "accounts", "pipeline", "scoring", "users", "audit"}
    }
    assert {"scoring.run", "scoring.nightly", "kam.ping"} <= set(ours)
    parameters = {
        f"{name}({parameter.name})": parameter.annotation
        for name, task in ours.items()
        for parameter in inspect.signature(task.run, eval_str=True).parameters.values()
    }
    assert {
        key: annotation for key, annotation in parameters.items() if annotation not in (int, int | None)
    } == {}
    assert all(key.endswith("_id)") for key in parameters), parameters


# --- Exports -------------------------------------------------------------------------------------


def test_the_customer_export_reads_no_contact_column():
    assert [column.source for column in COLUMNS if "contact" in column.source] == []


def test_gunicorns_access_log_names_paths_but_never_query_strings(tmp_path):
    """A search for a contact's name must not land in the access log (gunicorn.conf.py)."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("CELERY_BROKER_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kam.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/i18n/setlang/?secret=PLANTED-NAME-13912345678"
                )
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[0]
    assert '"GET /i18n/setlang/ HTTP/1.1"' in log
    assert "PLANTED" not in log
    assert "13912345678" not in log
