"""Load benchmark: KAM's API served by gunicorn at 100,000 customers, driven by wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/load.py            # build + measure
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/load.py --reuse    # measure again
    DATABASE_URL=... python bench/load.py --quick     # smoke run: 5,000 customers, 3 s per line
    DATABASE_URL=... python bench/load.py --reuse --only customers,search   # only those lines

Needs wrk, the HTTP load generator (C, one process, Lua scripts): on Debian
`apt-get install -y wrk`. The requests are shaped by bench/load.lua.

Builds a fresh `kam_bench_load` database (`--database` names another) with bench/dashboard.py's
data builder (N customers named as Chinese companies are, 10 transactions each, visits, a contact
each, 20 reps in 4 teams, opportunities with a stage history) and two scoring runs, or with
--reuse keeps the one an earlier run left (migrated to the latest schema). Then it starts gunicorn on a free port of 127.0.0.1 as production runs it (DEBUG=0,
the Dockerfile's 3 sync workers, persistent database connections), with the API throttles
raised far out of the way, and for each line below warms up, then runs wrk for a fixed time:

  floor             GET /api/v1/me/ as a rep: the cheapest authenticated DRF endpoint
  customers         GET /api/v1/customers/ (first page of 50, in name order) as a rep, then as a manager
  search <text>     GET /api/v1/customers/?search=<text>: the Chinese name 南京, its initials nj (as
                    the rep) and its pinyin nanjing (as the manager); customer and contact names
  customer detail   GET /api/v1/customers/<id>/ as the rep, over 1,000 of their customers in turn
  log a visit       POST /api/v1/visits/ as the rep, a JSON body, a different customer each time
  dashboard <name>  GET /api/v1/dashboard/<name>/ as the manager (--dashboards)

`--only customers,search` measures only the lines whose label starts with one of those words.

The floor is measured first and again after every line. Each line reports requests per
second, p50 and p99 latency, and the ratio of its RPS and of its p50 to its floor: the mean of
the floor runs just before and just after it, so that on a shared machine whose load changes
during the run both sides of a ratio see the same conditions. It also reports the CPU time
the gunicorn workers spent per request (from /proc; PostgreSQL's share is not in it), which a
busy machine changes far less than it changes latency. Gunicorn is stopped on exit, also
after Ctrl+C or an error.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("load.lua")
DB = "kam_bench_load"
REP = "bench_rep4"  # a member of Bench team 1: owns 5 % of the customers
MANAGER = "bench_manager"  # manages Bench team 1: five reps, a quarter of the customers
VISIT_SUMMARY = "bench/load.py"  # marks the visits this benchmark logs, removed at the next start
DETAIL_IDS = 1000


def _load(name: str, filename: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_scoring = _load("bench_scoring", "scoring.py")
bench_dashboard = _load("bench_dashboard", "dashboard.py")


@dataclass(frozen=True)
class Line:
    """One measured line: a request shape and who sends it."""

    label: str
    role: str
    token: str
    path: str  # "{id}" is replaced by the ids of `ids_file`, in turn
    method: str = "GET"
    body: str = ""
    ids_file: Path | None = None
    expect: int = 200


@dataclass(frozen=True)
class Result:
    line: Line
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    app_cpu_ms: float  # CPU time of the gunicorn workers per request (not PostgreSQL's)
    load: float  # the machine's 1-minute load average as the measurement ended


@dataclass(frozen=True)
class Paired:
    """A line with its floor: the mean of the floor runs just before and just after it, so a
    machine that gets busier or quieter during the run moves both sides of the ratio."""

    result: Result
    floor_rps: float
    floor_p50_ms: float


# --- Data ------------------------------------------------------------------------------------


def build(url: str, n: int, database: str) -> None:
    # The dashboard benchmark's builder, pointed at this benchmark's own database.
    bench_dashboard.DB = database
    bench_dashboard.setup(url, n, database)


def database_exists(url: str, database: str) -> bool:
    found = subprocess.run(
        ["psql", bench_scoring.server_url(url, "postgres"), "-At", "-c",
         f"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return found == "1"


@dataclass(frozen=True)
class Plan:
    rep_token: str
    manager_token: str
    detail_ids: Path
    customers: int
    rep_visible: int
    manager_visible: int


def prepare(bench: str, tmp: Path) -> Plan:
    """Scoring runs if none, API tokens, and the rep's customer ids to rotate over."""
    bench_scoring.setup_django(bench)
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.models import Contact, Customer, Visit
    from scoring.models import ScoringRun
    from scoring.services import run_execute, run_request
    from users.models import User

    if not ScoringRun.objects.filter(status="succeeded").exists():
        print("scoring the customers twice (so movements and trends exist) …", flush=True)
        for as_of in (date(2026, 5, 31), date.fromisoformat(bench_scoring.AS_OF)):
            run, _ = run_request(by=None, as_of=as_of, trigger="bench", enqueue=False)
            run_execute(run_id=run.pk)
        bench_scoring.psql(bench, "VACUUM ANALYZE")
    stale, _ = Visit.objects.filter(summary=VISIT_SUMMARY).delete()
    if stale:
        bench_scoring.psql(bench, "VACUUM ANALYZE accounts_visit")
    check_pinyin(Customer, Contact)
    rep = User.objects.get(username=REP)
    manager = User.objects.get(username=MANAGER)
    ids = list(Customer.objects.visible_to(rep).values_list("pk", flat=True))
    detail_ids = tmp / "ids.txt"
    sample = random.Random(0).sample(ids, min(DETAIL_IDS, len(ids)))
    detail_ids.write_text("".join(f"{pk}\n" for pk in sample))
    plan = Plan(
        rep_token=Token.objects.get_or_create(user=rep)[0].key,
        manager_token=Token.objects.get_or_create(user=manager)[0].key,
        detail_ids=detail_ids,
        customers=Customer.objects.count(),
        rep_visible=len(ids),
        manager_visible=Customer.objects.visible_to(manager).count(),
    )
    connection.close()  # the server's workers get the database to themselves
    return plan


def check_pinyin(*models) -> None:
    """The builder writes names' pinyin in SQL from its own tables: check a sample against
    accounts/pinyin.py, so that name order and pinyin search are measured on what KAM would store."""
    from accounts.pinyin import pinyin_columns

    for model in models:
        person = model.__name__ == "Contact"
        for name, pinyin, initials in model.objects.order_by("?").values_list(
            "name", "name_pinyin", "name_initials"
        )[:500]:
            expected = pinyin_columns(name, person=person)
            if (pinyin, initials) != expected:
                raise RuntimeError(
                    f"{model.__name__} {name}: stored {(pinyin, initials)}, KAM gives {expected}"
                )


# --- The server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(args: argparse.Namespace, bench: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    static_root = tmp / "static"  # API answers need no static files; an empty root keeps WhiteNoise quiet
    static_root.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": bench,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, as behind a TLS proxy
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        # Measure the application, not the rate limiter. Per second, not per minute: DRF's
        # throttle keeps every request's time within the window in the cache and (un)pickles
        # that list on each request, so a minute at a few hundred requests per second would
        # cost more than production's 600/min ever does.
        "KAM_API_THROTTLE_USER": "1000000/s",
        "KAM_API_THROTTLE_ANON": "1000000/s",
    }
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)
    if args.redis:
        # The throttle counters in Redis, as docker compose runs KAM (it is also the broker,
        # but none of the measured requests queues a task).
        env["REDIS_URL"] = args.redis
    command = [
        sys.executable, "-m", "gunicorn", args.app,
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--worker-class", args.worker_class, "--timeout", "60",
        "--no-control-socket",  # its default path is shared by every gunicorn of this user
    ]  # fmt: skip
    if args.worker_class == "gthread":
        command += ["--threads", str(args.gthreads)]
    with open(tmp / "gunicorn.log", "w") as log:
        # Its own session, so Ctrl+C reaches only this script, which then stops the server.
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_tail(tmp)}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log_tail(tmp)}")
        time.sleep(0.2)


def stop_gunicorn(process: subprocess.Popen) -> None:
    """TERM to the master (it stops its workers), then KILL whatever is left of its group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group is this gunicorn's alone (own session)
    except ProcessLookupError:
        pass
    process.wait()


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU time the master's worker processes have used so far."""
    try:
        workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in workers:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def log_tail(tmp: Path, lines: int = 30) -> str:
    path = tmp / "gunicorn.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


# --- Measuring -------------------------------------------------------------------------------


def check(base: str, line: Line) -> None:
    """One request by hand first: a wrong status would otherwise be measured as a fast line."""
    first_id = line.ids_file.read_text().split()[0] if line.ids_file else ""
    path, body = line.path.replace("{id}", first_id), line.body.replace("{id}", first_id)
    request = urllib.request.Request(
        base + path,
        method=line.method,
        data=body.encode() if body else None,
        headers={
            "Authorization": f"Token {line.token}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if body else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    if status != line.expect:
        raise RuntimeError(f"{line.method} {path} answered {status}, not {line.expect}: {content[:300]!r}")


def wrk(args: argparse.Namespace, base: str, line: Line, seconds: int) -> dict:
    env = {
        **os.environ,
        "LOAD_TOKEN": line.token,
        "LOAD_METHOD": line.method,
        "LOAD_PATH": line.path,
        "LOAD_BODY": line.body,
        "LOAD_IDS": str(line.ids_file or ""),
        "LOAD_THREADS": str(args.threads),
    }
    command = [
        "wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
        "--timeout", "30s", "-s", str(LUA), base,
    ]  # fmt: skip
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if finished.returncode:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    for output in finished.stdout.splitlines():
        if output.startswith("LOADJSON "):
            return json.loads(output.removeprefix("LOADJSON "))
    raise RuntimeError(f"wrk printed no LOADJSON line:\n{finished.stdout}")


def measure(args: argparse.Namespace, base: str, master: int, line: Line, *, warm_up: bool = True) -> Result:
    check(base, line)
    if warm_up:
        wrk(args, base, line, args.warmup)
    cpu_before = workers_cpu_seconds(master)
    stats = wrk(args, base, line, args.duration)
    app_cpu = workers_cpu_seconds(master) - cpu_before
    errors = sum(stats[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Result(
        line=line,
        rps=stats["requests"] / (stats["duration_us"] / 1e6),
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        requests=stats["requests"],
        errors=errors,
        app_cpu_ms=1000 * app_cpu / max(stats["requests"], 1),
        load=os.getloadavg()[0],
    )


def lines(plan: Plan, dashboards: list[str]) -> list[Line]:
    occurred_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    visit = json.dumps(
        {"customer": "ID", "kind": "visit", "occurred_at": occurred_at, "summary": VISIT_SUMMARY,
         "next_step": "Send the samples"}
    ).replace('"ID"', "{id}")  # fmt: skip
    return [
        Line("customers", "rep", plan.rep_token, "/api/v1/customers/"),
        Line("customers", "manager", plan.manager_token, "/api/v1/customers/"),
        *(
            Line(f"search {text}", role, token, f"/api/v1/customers/?search={urllib.parse.quote(text)}")
            for text, role, token in (
                ("南京", "rep", plan.rep_token),
                ("nj", "rep", plan.rep_token),
                ("nanjing", "manager", plan.manager_token),
            )
        ),
        Line("customer detail", "rep", plan.rep_token, "/api/v1/customers/{id}/", ids_file=plan.detail_ids),
        Line(
            "log a visit",
            "rep",
            plan.rep_token,
            "/api/v1/visits/",
            method="POST",
            body=visit,
            ids_file=plan.detail_ids,
            expect=201,
        ),
        *(
            Line(f"dashboard {name}", "manager", plan.manager_token, f"/api/v1/dashboard/{name}/")
            for name in dashboards
        ),
    ]


def progress(result: Result) -> str:
    return (
        f"{result.line.label:<22}{result.line.role:<9}{result.rps:>8.1f}{result.p50_ms:>9.1f}"
        f"{result.p99_ms:>9.1f}{result.app_cpu_ms:>9.1f}{result.errors:>8}{result.load:>7.2f}"
    )


def markdown(paired: list[Paired]) -> str:
    out = [
        "| endpoint | role | RPS | p50 ms | p99 ms | floor RPS | floor p50 ms | RPS ÷ floor | p50 ÷ floor "
        "| app CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pair in paired:
        result = pair.result
        out.append(
            f"| {result.line.label} | {result.line.role} | {result.rps:,.1f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {pair.floor_rps:,.1f} | {pair.floor_p50_ms:.1f} | "
            f"{result.rps / pair.floor_rps:.2f} | {result.p50_ms / pair.floor_p50_ms:.2f} | "
            f"{result.app_cpu_ms:.1f} |"
        )
    return "\n".join(out)


# --- Main ------------------------------------------------------------------------------------


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through `finally`, which stops gunicorn


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, help="customers to generate (default 100,000; 5,000 with --quick)")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--database", default=DB, help=f"the benchmark's own database (default {DB})")
    parser.add_argument(
        "--only",
        metavar="WORDS",
        help="comma-separated: measure only the lines whose label starts with one of them, e.g. customers,search",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 s per line, 1 s warm-up")
    parser.add_argument("--duration", type=int, help="seconds measured per line (default 20)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per line, not measured (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (default 3, as the Dockerfile)"
    )
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument(
        "--gthreads", type=int, default=4, help="threads per worker with --worker-class gthread"
    )
    parser.add_argument(
        "--app",
        default="kam.wsgi:application",
        help="WSGI application to serve, for trying a change side by side (default kam.wsgi:application)",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="Redis for the throttle counters, as in production, e.g. redis://127.0.0.1:6379/13 "
        "(a database index nobody else uses); default: each worker counts in its own memory",
    )
    parser.add_argument(
        "--dashboards",
        default="pyramid,pareto,movements,funnel",
        help="comma-separated dashboard names, or 'all' (default: pyramid,pareto,movements,funnel)",
    )
    args = parser.parse_args()
    args.duration = args.duration or (3 if args.quick else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 5)
    n = args.n or (5_000 if args.quick else 100_000)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian), then run this again.")
    bench = bench_scoring.server_url(url, args.database)

    if args.reuse:
        if not database_exists(url, args.database):
            sys.exit(f"There is no {args.database} database to reuse: run once without --reuse.")
        bench_scoring.migrate(bench)
    else:
        started = time.perf_counter()
        print(f"generating {n:,} customers in {args.database} …", flush=True)
        build(url, n, args.database)
        print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)

    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    with tempfile.TemporaryDirectory(prefix="kam-load-") as tmp_name:
        tmp = Path(tmp_name)
        plan = prepare(bench, tmp)
        from scoring.dashboard import NAMES  # importable once prepare() has set Django up

        names = list(NAMES) if args.dashboards == "all" else args.dashboards.split(",")
        postgres = subprocess.run(
            ["psql", bench, "-At", "-c", "SHOW server_version"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        load_before = os.getloadavg()
        server = None
        try:
            server, base = start_gunicorn(args, bench, tmp)
            print(
                f"\n{time.strftime('%Y-%m-%d')}  {platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}, PostgreSQL {postgres}; load average before "
                f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}\n"
                f"customers: {plan.customers:,} (rep sees {plan.rep_visible:,}, manager "
                f"{plan.manager_visible:,})\n"
                f"gunicorn: {args.app}, {args.workers} {args.worker_class} workers"
                f"{f' × {args.gthreads} threads' if args.worker_class == 'gthread' else ''}, DEBUG=0, {base}, "
                f"cache: {args.redis or 'per-process memory'}\n"
                f"wrk: {args.connections} connections, {args.threads} threads, {args.warmup} s warm-up + "
                f"{args.duration} s per line\n",
                flush=True,
            )
            print(
                f"{'endpoint':<22}{'role':<9}{'RPS':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>9}{'errors':>8}{'load':>7}",
                flush=True,
            )
            floor_line = Line("floor (/api/v1/me/)", "rep", plan.rep_token, "/api/v1/me/")
            floors = [measure(args, base, server.pid, floor_line)]
            print(progress(floors[0]), flush=True)
            paired = []
            only = tuple(word.strip() for word in args.only.split(",")) if args.only else ("",)
            for line in (line for line in lines(plan, names) if line.label.startswith(only)):
                result = measure(args, base, server.pid, line)
                print(progress(result), flush=True)
                floors.append(measure(args, base, server.pid, floor_line, warm_up=False))
                print(progress(floors[-1]), flush=True)
                before, after = floors[-2:]
                paired.append(
                    Paired(result, (before.rps + after.rps) / 2, (before.p50_ms + after.p50_ms) / 2)
                )
        except Exception:
            if server is not None:
                print(f"\ngunicorn's log (last lines):\n{log_tail(tmp)}", file=sys.stderr)
            raise
        finally:
            if server is not None:
                stop_gunicorn(server)
        load_after = os.getloadavg()
        errors = sum(result.errors for result in [*floors, *(pair.result for pair in paired)])
        floor_rps = sorted(floor.rps for floor in floors)
        floor_p50 = sorted(floor.p50_ms for floor in floors)
        floor_cpu = sorted(floor.app_cpu_ms for floor in floors)
        print(
            f"\nload average after {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}; "
            f"requests with errors or non-2xx answers: {errors}\n"
            f"floor: {len(floors)} runs, RPS {floor_rps[0]:,.1f}–{floor_rps[-1]:,.1f}, "
            f"p50 {floor_p50[0]:.1f}–{floor_p50[-1]:.1f} ms, app CPU {floor_cpu[0]:.1f}–{floor_cpu[-1]:.1f} "
            "ms/req; each line's floor is the mean of the runs just before and after it\n"
        )
        print(markdown(paired))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (gunicorn stopped)")
