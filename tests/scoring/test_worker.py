"""Scoring through a real Celery worker, a real Redis broker and the real PostgreSQL.

The worker runs in its own process against the test database; the test data is committed
(transactional tests) so it sees it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from scoring.models import RunStatus, ScoreSnapshot, ScoringRun, TierChange
from scoring.services import run_execute, run_request
from tests.factories import CustomerFactory, TransactionFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(postgres, redis_url):
    """Start `celery -A kam worker` (prefork, one child) on a private queue; yield a handle."""
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DEBUG": "1",
        "CONN_MAX_AGE": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(ROOT / "var" / f"worker-{queue}.log", "w")  # noqa: SIM115 — closed in teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool=prefork", "--concurrency=1",
         "-Q", queue, "--loglevel=INFO", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery("kam-test-client", broker=redis_url, backend=redis_url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")

    class Handle:
        pid = process.pid

        @staticmethod
        def send(run_id: int):
            return client.send_task("scoring.run", args=[run_id], queue=queue)

        @staticmethod
        def children() -> list[int]:
            out = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
            return [int(pid) for pid in out.split()]

    try:
        yield Handle
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def population():
    today = timezone.localdate()
    customers = []
    for i in range(30):
        customer = CustomerFactory(name=f"工人测试客户{i}", status="customer", potential=(i % 5) + 1)
        TransactionFactory(customer=customer, occurred_on=today - timedelta(days=3), amount=1000 + i * 100)
        customers.append(customer)
    return customers


def wait_for(predicate, timeout=90.0, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def run_status(run_id):
    return ScoringRun.objects.get(pk=run_id)


def test_a_worker_scores_the_population(worker):
    customers = population()
    first, _ = run_request(by=None, enqueue=False)
    worker.send(first.pk)
    wait_for(lambda: run_status(first.pk).status == RunStatus.SUCCEEDED)

    assert Customer.objects.filter(scored_at__isnull=False).count() == 30
    assert Customer.objects.filter(tier="platinum").count() == 2  # ⌈5% × 30⌉
    assert Customer.objects.filter(is_key_account=True).count() == 6  # ⌈20% × 30⌉
    assert ScoreSnapshot.objects.filter(run=first).count() == 30
    top = Customer.objects.order_by("-score", "-sales_12m", "id").first()
    assert top.tier == "platinum"

    # The weakest customer becomes the biggest: the second run records its upgrade.
    weakest = customers[0]
    TransactionFactory(customer=weakest, occurred_on=timezone.localdate(), amount=1_000_000)
    Customer.objects.filter(pk=weakest.pk).update(potential=5, demonstration=5, winnability=5)
    second, _ = run_request(by=None, enqueue=False)
    worker.send(second.pk)
    wait_for(lambda: run_status(second.pk).status == RunStatus.SUCCEEDED)

    change = TierChange.objects.get(run=second, customer=weakest)
    assert (change.to_tier, change.direction) == ("platinum", "upgrade")
    assert Customer.objects.get(pk=weakest.pk).tier == "platinum"
    assert run_status(second.pk).tier_changes == TierChange.objects.filter(run=second).count()


def test_killing_the_worker_mid_run_keeps_old_results_and_the_run_completes(worker):
    customers = population()
    baseline, _ = run_request(by=None, enqueue=False)
    run_execute(run_id=baseline.pk)
    before = dict(Customer.objects.values_list("id", "tier"))
    numbers = list(Customer.objects.order_by("id").values_list("id", "score", "sales_12m", "scored_at"))
    weakest = customers[0]
    TransactionFactory(customer=weakest, occurred_on=timezone.localdate(), amount=1_000_000)
    Customer.objects.filter(pk=weakest.pk).update(potential=5, demonstration=5, winnability=5)
    run, _ = run_request(by=None, enqueue=False)

    # Hold a lock that lets the worker read but blocks its write-back midway (its results are
    # written, its tier changes wait), so it is surely mid-write.
    s = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    blocker.cursor().execute("LOCK TABLE scoring_tierchange IN SHARE ROW EXCLUSIVE MODE")
    try:
        worker.send(run.pk)
        wait_for(lambda: run_status(run.pk).progress == 60)
        time.sleep(1)  # now waiting inside the write transaction
        children = worker.children()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        time.sleep(1)

        # The killed attempt changed nothing anyone can see.
        assert dict(Customer.objects.values_list("id", "tier")) == before
        assert (
            list(Customer.objects.order_by("id").values_list("id", "score", "sales_12m", "scored_at"))
            == numbers
        )
        assert not ScoreSnapshot.objects.filter(run=run).exists()
        assert run_status(run.pk).status == RunStatus.RUNNING
    finally:
        blocker.rollback()
        blocker.close()

    # The task is redelivered to a fresh child (acks_late + reject_on_worker_lost) and completes.
    finished = wait_for(lambda: run_status(run.pk).status == RunStatus.SUCCEEDED and run_status(run.pk))
    assert finished.attempts >= 2
    assert Customer.objects.get(pk=weakest.pk).tier == "platinum"
    assert Customer.objects.get(pk=weakest.pk).scored_at > numbers[0][3]
    assert ScoreSnapshot.objects.filter(run=run).count() == 30
