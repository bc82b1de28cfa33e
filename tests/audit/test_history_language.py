"""The History panel reads like the rest of the page: times in the site's time zone, record
types and recorded values (tier, stage, status) in the UI language, people by their display name."""

import re
from datetime import UTC, datetime

import pytest

from audit.models import AuditEvent
from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, OpportunityFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def history(rep, manager):
    customer = CustomerFactory(owner=rep, name="南京百川生物医药有限公司")
    opportunity = OpportunityFactory(customer=customer)
    AuditEvent.objects.all().delete()
    at = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 2026-03-02 02:30 in Shanghai
    common = {"actor": rep, "actor_name": rep.username, "source": "job", "action": "update", "at": at}
    AuditEvent.objects.create(
        **common,
        object_type="customer",
        object_id=customer.pk,
        object_repr=customer.name,
        customer_id=customer.pk,
        changes={"tier": ["gold", "platinum"], "status": ["prospect", "customer"]},
    )
    AuditEvent.objects.create(
        **common,
        object_type="opportunity",
        object_id=opportunity.pk,
        object_repr=opportunity.title,
        customer_id=customer.pk,
        changes={"stage": ["target", "information"]},
    )
    return customer


def test_the_panel_speaks_the_pages_language_and_time(client, manager, rep, history):
    client.force_login(manager)

    html = client.get(f"/history/customer/{history.pk}/").content.decode()
    text = visible_text(html)

    assert "2026-03-02 02:30" in text
    assert 'datetime="2026-03-02T02:30+08:00"' in html
    assert "18:30" not in text
    for chinese in ("黄金", "铂金", "潜在客户", "客户", "商机", "确定开发对象"):
        assert chinese in text, chinese
    for raw in ("gold", "platinum", "prospect", "customer", "opportunity", "target", "information"):
        assert raw not in text.lower(), raw
    assert rep.display_name in text
    assert rep.username not in text


def test_in_english_the_same_rows_read_in_english(client, manager, history):
    client.force_login(manager)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    text = visible_text(client.get(f"/history/customer/{history.pk}/").content.decode())

    assert "Gold" in text
    assert "Platinum" in text
    assert "Target identified" in text


def test_the_score_history_panel_names_tiers_in_the_pages_language(client, rep):
    customer = CustomerFactory(owner=rep, status="customer")
    TransactionFactory(customer=customer, amount=500_000)
    run, _created = run_request(by=None, enqueue=False)
    run_execute(run_id=run.pk)
    customer.refresh_from_db()
    client.force_login(rep)

    text = visible_text(client.get(f"/scoring/customers/{customer.pk}/history/").content.decode())

    tier_names = {"platinum": "铂金", "gold": "黄金", "iron": "铁", "lead": "铅"}
    assert tier_names[customer.tier] in text
    assert customer.tier not in text
