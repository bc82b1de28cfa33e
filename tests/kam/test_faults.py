"""PostgreSQL and Redis going away under a running KAM, and coming back.

Everything here is private to this module, so the shared services the other tests use are
never touched: a PostgreSQL cluster in a temporary directory, a redis-server, both on free
ports, and KAM itself served by gunicorn (one sync worker, so it keeps one persistent database
connection, CONN_MAX_AGE=60) in a subprocess pointed at them. The tests stop, restart and start
those services and read the answers over HTTP: a 503 with Retry-After while a service is
down, never a 500, and 200s again once it is back, without restarting KAM.
"""

import contextlib
import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import redis
from celery import Celery
from django.db import OperationalError, connection, transaction

from tests.conftest import service_missing
from web.outage import unavailable_service

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "kam_faults"
CSRF_TOKEN = "faultsfaultsfaultsfaultsfaults32"  # any 32 letters: sent as cookie and header

pytestmark = pytest.mark.services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=20.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PrivatePostgres:
    """A throwaway cluster; initdb refuses root, so as root it runs as the `postgres` user."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kam-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> None:
        # Output to a file: a server started with a pipe as its stdout would keep that pipe open.
        with open(self.dir / "pg_ctl.out", "a") as out:
            subprocess.run(
                [*self.as_owner, *args], check=True, stdout=out, stderr=subprocess.STDOUT, timeout=60
            )

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")  # fmt: skip
        # In the configuration file, so every start and restart uses this port and never 5432.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\nautovacuum = off\n"
            )
        self.start()
        with contextlib.closing(self.connect("postgres")) as conn:
            conn.autocommit = True
            conn.cursor().execute(f"CREATE DATABASE {DATABASE}")

    def pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *args)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "restart")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def connect(self, dbname: str = DATABASE):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)

    def query(self, sql: str, params=()) -> list[tuple]:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
            conn.commit()
            return rows

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def ping(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


CREATE_MANAGER = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from users.services import user_upsert

user, _ = user_upsert(username="faults", password="faults-pass-1", role="manager", teams=None,
                      manages=["Faults"], validate=False)
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
session.create()
print(Token.objects.get_or_create(user=user)[0].key, session.session_key)
"""


class Server:
    """KAM under gunicorn, with a manager's API token and signed-in session."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        token, session = manage(env, "shell", "-v", "0", "-c", CREATE_MANAGER).split()[-2:]
        self.token, self.session = token, session
        self.log = open(log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--timeout", "60", "kam.wsgi:application"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_up(self) -> None:
        wait_for(self._up, timeout=30)

    def _up(self) -> bool:
        assert self.process.poll() is None, self.log_path.read_text()
        try:
            return self.request("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def request(self, method: str, path: str, *, as_api: bool = False, as_page: bool = False):
        """(status, headers, body); `as_api` sends the token, `as_page` the session and CSRF token."""
        headers = {"Accept-Language": "en"}
        if as_api:
            headers["Authorization"] = f"Token {self.token}"
        if as_page:
            headers["Cookie"] = f"sessionid={self.session}; csrftoken={CSRF_TOKEN}"
            headers["X-CSRFToken"] = CSRF_TOKEN
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@pytest.fixture(scope="module")
def binaries():
    bindirs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: [int(part) for part in Path(path).parent.name.split(".") if part.isdigit()],
    )
    if not bindirs or not (Path(bindirs[-1]) / "initdb").exists():
        service_missing("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        service_missing("redis-server not found")
    if os.geteuid() == 0:  # initdb refuses root: the cluster runs as the `postgres` user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            service_missing("running as root, and there is no `postgres` user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            service_missing("running as root without runuser to start PostgreSQL as `postgres`")
    return Path(bindirs[-1]), redis_server


@pytest.fixture(scope="module")
def pg(binaries):
    cluster = PrivatePostgres(binaries[0])
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def private_redis(binaries):
    server = PrivateRedis(binaries[1])
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def kam_server(pg, private_redis, tmp_path_factory):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": pg.url,
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": private_redis.url,
        "REDIS_URL": private_redis.url,
        "CELERY_RESULT_BACKEND": private_redis.url,
        "SCORING_NIGHTLY_AT": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage(env, "migrate", "-v", "0")
    kam = Server(env, tmp_path_factory.mktemp("faults") / "gunicorn.log")
    try:
        kam.wait_until_up()
        yield kam
    finally:
        kam.stop()


@pytest.fixture
def server(kam_server, pg, private_redis):
    """The running KAM; whatever the test stopped is started again afterwards, even on failure."""
    yield kam_server
    if not pg.running():
        pg.start()
    if not private_redis.running():
        private_redis.start()


def assert_unavailable(answer, *, json_detail: str | None = None, page_text: str | None = None):
    status, headers, body = answer
    assert status == 503, body[:2000]
    assert headers["Retry-After"] == "30"
    if json_detail is not None:
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"detail": json_detail}
    if page_text is not None:
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert page_text in body
        assert "Temporarily unavailable" in body


# --- What counts as a service being down (no private services needed) ----------------------


def test_a_refused_database_connection_is_unreachable_but_a_statement_timeout_is_not(postgres):
    dead = connection.copy()
    dead.settings_dict["PORT"] = free_port()
    with pytest.raises(OperationalError) as refused:
        dead.ensure_connection()
    assert unavailable_service(refused.value) == "database"

    def query_timing_out():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    # Also an OperationalError, but the database is up: a bug or an overload to see as a 500.
    with pytest.raises(OperationalError) as timed_out:
        query_timing_out()
    assert timed_out.value.__cause__.pgcode == "57014"
    assert unavailable_service(timed_out.value) is None


def test_redis_refusing_or_celery_giving_up_on_it_is_unreachable():
    with pytest.raises(redis.RedisError) as refused:
        redis.Redis(port=free_port(), socket_connect_timeout=1).ping()
    assert unavailable_service(refused.value) == "redis"
    # What sending a task raises once Celery's result store has retried in vain.
    with pytest.raises(RuntimeError) as gave_up:
        raise RuntimeError("Retry limit exceeded while trying to reconnect") from refused.value
    assert unavailable_service(gave_up.value) == "redis"
    assert unavailable_service(RuntimeError("something else")) is None


# --- KAM under faults ---------------------------------------------------------------------

DATABASE_DOWN = "The database cannot be reached right now. Please try again in a moment."
REDIS_DOWN = "A background service cannot be reached right now. Please try again in a moment."


def test_while_postgresql_is_stopped_everything_answers_503_and_recovers_by_itself(server, pg):
    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200
    assert server.request("GET", "/customers/", as_page=True)[0] == 200

    pg.stop()
    # The login check loads the session before any view runs; the API fails in DRF's view.
    assert_unavailable(server.request("GET", "/customers/", as_page=True), page_text=DATABASE_DOWN)
    assert_unavailable(server.request("GET", "/api/v1/customers/", as_api=True), json_detail=DATABASE_DOWN)
    assert_unavailable(
        server.request("POST", "/api/v1/scoring/runs/", as_api=True), json_detail=DATABASE_DOWN
    )
    status, _, body = server.request("GET", "/healthz")
    assert (status, json.loads(body)) == (503, {"status": "unavailable", "database": "down"})

    pg.start()
    assert server.request("GET", "/healthz")[0] == 200
    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200
    assert server.request("GET", "/customers/", as_page=True)[0] == 200
    assert server.process.poll() is None  # the same server, never restarted


def app_backends(pg) -> set[int]:
    """Backend pids of KAM's connections (everything but this query's own)."""
    return {
        pid
        for (pid,) in pg.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (DATABASE,)
        )
    }


# A client's query waiting for a lock (not, say, autovacuum waiting for the same table).
WAITING_REQUEST = (
    "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'client backend' AND wait_event_type = 'Lock'"
)


def test_a_restart_between_requests_costs_nothing_and_one_mid_request_is_a_503(server, pg):
    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200
    before = app_backends(pg)
    assert len(before) == 1  # the persistent connection, kept between requests

    # Restarted between two requests: the health check replaces the dead connection.
    pg.restart()
    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200
    assert app_backends(pg).isdisjoint(before)

    # Restarted in the middle of one: the request is stuck behind a lock when the server goes.
    locker = pg.connect()
    locker.cursor().execute("LOCK TABLE accounts_customer IN ACCESS EXCLUSIVE MODE")
    answers = []
    request = threading.Thread(
        target=lambda: answers.append(server.request("GET", "/api/v1/customers/", as_api=True))
    )
    request.start()
    try:
        wait_for(lambda: pg.query(WAITING_REQUEST))
        # Immediate, as when the server crashes: a fast shutdown ends the locker first, and in the moment
        # before its own signal is handled the waiting query may take the freed lock and answer 200.
        pg.restart("immediate")
    finally:
        with contextlib.suppress(psycopg2.Error):
            locker.close()  # the restart ended it already, unless the test failed before that
        request.join(timeout=60)
    assert_unavailable(answers[0], json_detail=DATABASE_DOWN)

    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200
    assert server.request("GET", "/customers/", as_page=True)[0] == 200


def runs(pg) -> list[tuple[str, bool | None, str]]:
    return pg.query("SELECT status, in_flight, error FROM scoring_scoringrun ORDER BY id")


def test_with_redis_stopped_starting_a_run_is_a_503_and_leaves_nothing_in_flight(server, pg, private_redis):
    # A run queued while Redis is up (no worker here: it stays queued, so the test finishes it).
    assert server.request("POST", "/api/v1/scoring/runs/", as_api=True)[0] == 202
    assert private_redis.client().llen("celery") == 1
    pg.query("UPDATE scoring_scoringrun SET status = 'succeeded', in_flight = NULL WHERE in_flight")
    before = len(runs(pg))

    private_redis.stop()
    assert_unavailable(server.request("POST", "/api/v1/scoring/runs/", as_api=True), json_detail=REDIS_DOWN)
    assert_unavailable(server.request("POST", "/scoring/runs/", as_page=True), page_text=REDIS_DOWN)
    # Reading needs no Redis: pages, and the API too (its rate limits fail open).
    assert server.request("GET", "/customers/", as_page=True)[0] == 200
    assert server.request("GET", "/api/v1/customers/", as_api=True)[0] == 200

    # No run was left "queued" without a message behind it: any row written is failed.
    written = runs(pg)[before:]
    assert written, "the page's request reaches the enqueue and records the failed run"
    assert all(status == "failed" and in_flight is None for status, in_flight, _ in written)
    assert all(error.startswith("could not be queued, broker unreachable") for *_, error in written)

    private_redis.start()
    status, _, body = server.request("POST", "/api/v1/scoring/runs/", as_api=True)
    assert status == 202, body
    assert json.loads(body)["status"] == "queued"
    assert [run[:2] for run in runs(pg) if run[1]] == [("queued", True)]
    # The message really is on the restarted (and so emptied) Redis for a worker to take.
    assert private_redis.client().llen("celery") == 1


def test_a_worker_reconnects_when_redis_comes_back(server, pg, private_redis, tmp_path, monkeypatch):
    # Celery prefers these variables to the URLs an app is given: point them at the private Redis.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", private_redis.url)
    queue = f"kam-faults-{uuid.uuid4().hex[:8]}"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 — closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=INFO", "-n", f"{queue}@%h"],
        cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery("kam-faults-client", broker=private_redis.url, backend=private_redis.url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")
    assert client.conf.broker_url == client.conf.result_backend == private_redis.url
    try:
        assert client.send_task("kam.ping", queue=queue).get(timeout=30) == "pong"

        private_redis.stop()
        time.sleep(1)  # the worker notices, and keeps trying to reconnect
        private_redis.start()

        assert client.send_task("kam.ping", queue=queue).get(timeout=30) == "pong"
        assert worker.poll() is None
    finally:
        stop_process(worker)
        log.close()
