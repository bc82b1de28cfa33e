"""Scoring benchmark: the project's whole scoring run against a hand-written SQL floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/scoring.py [--n 1000000]

Creates a fresh database `kam_bench` on that server (dropped first), migrates it, generates
N customers with 10 transactions each (a visit for every other customer, an industry fit for
four of the five industries, ticks on the customer-fit checklist) with generate_series, then
times, each in its own process so its peak memory can be read:

(a) the project's run through scoring.services (inputs, engine, write-back, snapshots and
    tier-change events), exactly what the Celery task does;
(b) the floor: one hand-written SQL script computing the same score, fit score, ABC class and
    tier with window functions, updating the customers and inserting the snapshot rows, with
    work_mem raised for it.

It prints both times, the ratio (a)/(b), rows per second and each process's peak RSS, and
checks that (a) and (b) agree on every customer's score, fit score, tier and ABC class.

`--events R` measures instead what the run's customer.tier_changed events cost: before each
run every customer is given a scrambled tier (so about three in four of them move, each one an
event), then the project's run is timed with its events and without them (the outbox's emit
switched off in the child process), alternating, R times each; it prints the medians and the
slowdown, and apart from them the time the worker's dispatch of the run's end takes to write
the run's tier-change events after the commit (scoring/events.py). `--db NAME` uses another database than kam_bench (dropped first).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "kam_bench"
AS_OF = "2026-06-30"


def server_url(url: str, database: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{database}"))


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# Customer names as a Chinese sales team's list reads them: city, brand, a number that keeps
# the normalised name unique, trade and 有限公司. Each part comes with its pinyin and initials, so
# the SQL fills `name_pinyin` and `name_initials` as accounts/pinyin.py would (without the legal
# form; bench/load.py checks a sample). The cities span the alphabet and include 重庆, 长沙, 厦门.
CITIES = (
    ("鞍山", "anshan", "as"), ("北京", "beijing", "bj"), ("成都", "chengdu", "cd"), ("重庆", "chongqing", "cq"),
    ("长沙", "changsha", "cs"), ("东莞", "dongguan", "dg"), ("广州", "guangzhou", "gz"), ("杭州", "hangzhou", "hz"),
    ("合肥", "hefei", "hf"), ("南京", "nanjing", "nj"), ("宁波", "ningbo", "nb"), ("青岛", "qingdao", "qd"),
    ("上海", "shanghai", "sh"), ("深圳", "shenzhen", "sz"), ("苏州", "suzhou", "sz"), ("天津", "tianjin", "tj"),
    ("武汉", "wuhan", "wh"), ("无锡", "wuxi", "wx"), ("西安", "xian", "xa"), ("厦门", "xiamen", "xm"),
)  # fmt: skip
BRANDS = (
    ("百川", "baichuan", "bc"), ("华信", "huaxin", "hx"), ("永盛", "yongsheng", "ys"), ("恒通", "hengtong", "ht"),
    ("金达", "jinda", "jd"), ("瑞丰", "ruifeng", "rf"), ("新元", "xinyuan", "xy"), ("天诚", "tiancheng", "tc"),
    ("宏远", "hongyuan", "hy"), ("博瑞", "borui", "br"), ("中科", "zhongke", "zk"), ("东方", "dongfang", "df"),
    ("海纳", "haina", "hn"), ("普华", "puhua", "ph"), ("欣荣", "xinrong", "xr"), ("联创", "lianchuang", "lc"),
    ("力源", "liyuan", "ly"), ("康达", "kangda", "kd"), ("明辉", "minghui", "mh"), ("泰和", "taihe", "th"),
    ("景程", "jingcheng", "jc"), ("安信", "anxin", "ax"), ("佳禾", "jiahe", "jh"), ("汇通", "huitong", "ht"),
    ("万隆", "wanlong", "wl"), ("鑫源", "xinyuan", "xy"), ("润泽", "runze", "rz"), ("信达", "xinda", "xd"),
    ("嘉华", "jiahua", "jh"), ("同舟", "tongzhou", "tz"), ("晨光", "chenguang", "cg"), ("华夏", "huaxia", "hx"),
    ("凯盛", "kaisheng", "ks"), ("豪迈", "haomai", "hm"), ("德远", "deyuan", "dy"), ("益民", "yimin", "ym"),
    ("龙腾", "longteng", "lt"), ("星河", "xinghe", "xh"), ("正泰", "zhengtai", "zt"), ("云帆", "yunfan", "yf"),
)  # fmt: skip
TRADES = (
    ("生物医药", "shengwuyiyao", "swyy"), ("汽车零部件", "qichelingbujian", "qclbj"), ("电子科技", "dianzikeji", "dzkj"),
    ("化工", "huagong", "hg"), ("机械制造", "jixiezhizao", "jxzz"), ("新材料", "xincailiao", "xcl"),
    ("精密仪器", "jingmiyiqi", "jmyq"), ("食品", "shipin", "sp"), ("物流", "wuliu", "wl"),
    ("环保科技", "huanbaokeji", "hbkj"),
)  # fmt: skip


def sql_array(parts: tuple[tuple[str, ...], ...], column: int) -> str:
    return "ARRAY[" + ",".join(f"'{part[column]}'" for part in parts) + "]"


def _name_part(parts: tuple[tuple[str, ...], ...], column: int, index: str) -> str:
    return f"({sql_array(parts, column)})[{index}]"


def _name(column: int) -> str:
    """City, brand, the number g, trade: the name (0), its pinyin (1) or its initials (2) in SQL."""
    city, brand, trade = (
        _name_part(parts, column, index)
        for parts, index in ((CITIES, "s.c"), (BRANDS, "s.b"), (TRADES, "s.t"))
    )
    return f"{city} || {brand} || g || {trade}"


GENERATE = f"""
SET synchronous_commit = off;
INSERT INTO accounts_customer (id, name, name_normalised, name_pinyin, name_initials, credit_code, industry, region,
    source, status, potential, demonstration, winnability, notes, created_at, updated_at, abc_class, tier,
    size_class, value_class, matrix_quadrant, lifecycle_stage, prospect_grade)
SELECT g, {_name(0)} || '有限公司', {_name(0)}, {_name(1)}, {_name(2)}, '',
       (ARRAY['制造业','汽车','电子','医药','化工'])[1 + g %% 5], (ARRAY['华东','华南','华北','西南'])[1 + g %% 4],
       '', CASE WHEN g %% 7 = 0 THEN 'prospect' ELSE 'customer' END,
       NULLIF((hashint4(g) & 7) %% 6, 0), NULLIF((hashint4(g + 1) & 7) %% 6, 0), NULLIF((hashint4(g + 2) & 7) %% 6, 0),
       '', now(), now(), '', '', '', '', '', '', ''
FROM (
    SELECT g, 1 + (hashint4(g * 3 + 1) & 65535) %% {len(CITIES)} AS c,
           1 + (hashint4(g * 3 + 2) & 65535) %% {len(BRANDS)} AS b,
           1 + (hashint4(g * 3 + 3) & 65535) %% {len(TRADES)} AS t
    FROM generate_series(1, %(n)s) g
) s;
SELECT setval(pg_get_serial_sequence('accounts_customer', 'id'), %(n)s);

-- Skewed amounts: a lognormal-ish spread so that a few accounts take most of the revenue.
INSERT INTO accounts_transaction (customer_id, reference, occurred_on, amount, margin, description, created_at, updated_at)
SELECT c, 'B-' || c || '-' || k,
       DATE '%(as_of)s' - ((hashint4(c * 16 + k) & 1023) %% 900),
       round((exp(((hashint4(c) & 65535) / 65535.0) * 9) * (1 + (k %% 3)))::numeric, 2)
         * CASE WHEN (c + k) %% 53 = 0 THEN -1 ELSE 1 END,
       round((exp(((hashint4(c) & 65535) / 65535.0) * 9) * 0.2 - (c %% 11))::numeric, 2),
       '', now(), now()
FROM generate_series(1, %(n)s) c, generate_series(1, 10) k;

INSERT INTO accounts_visit (customer_id, kind, occurred_at, summary, needs, objections, next_step, created_at, updated_at)
SELECT c, 'visit', TIMESTAMPTZ '%(as_of)s 10:00+08' - ((c %% 200) || ' days')::interval, '', '', '', '', now(), now()
FROM generate_series(1, %(n)s, 2) c;

-- Experience method: four of the five industries in the fit table (化工 is not: industry fit 0), and
-- ticks on the default checklist, item p ticked when bit p of a hash of the customer is set.
INSERT INTO accounts_industryfit (industry, need, capability, notes, updated_at)
VALUES ('制造业', 5, 4, '', now()), ('汽车', 4, 3, '', now()), ('电子', 3, 5, '', now()), ('医药', 2, 2, '', now());
INSERT INTO accounts_customer_fit_criteria (customer_id, fitcriterion_id)
SELECT g, f.id
FROM generate_series(1, %(n)s) g CROSS JOIN accounts_fitcriterion f
WHERE (hashint4(g * 5) >> f.position) & 1 = 1;
"""


def migrate(bench: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": bench, "DEBUG": "1"},
        check=True,
    )


def generate(url: str, n: int) -> float:
    admin = server_url(url, "postgres")
    psql(admin, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {BENCH_DB}")
    bench = server_url(url, BENCH_DB)
    started = time.perf_counter()
    migrate(bench)
    sql = GENERATE.replace("%(n)s", str(n)).replace("%(as_of)s", AS_OF).replace("%%", "%")
    subprocess.run(["psql", bench, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True, check=True)
    psql(bench, "VACUUM ANALYZE")
    return time.perf_counter() - started


# --- (a) the project's run ------------------------------------------------------------------


def measure_service(url: str, *, events: bool = True) -> dict:
    setup_django(url)
    from datetime import date

    from scoring import services
    from scoring.services import run_execute, run_request

    if not events:  # the run as it was before it announced anything: no outbox row at all
        services.emit = lambda *args, **kwargs: None
    # The events' dispatch (fan-out to webhooks and notifications) is its own Celery task that a
    # worker runs after the commit; with no broker here it would run eagerly inside the timed
    # run. Queueing is replaced by a no-op, and the dispatch of the run's end (which writes the
    # run's customer.tier_changed events: scoring/events.py) is timed apart, after the run.
    from events import outbox

    outbox._dispatch_later = lambda ids: None

    run, _created = run_request(by=None, as_of=date.fromisoformat(AS_OF), trigger="bench", enqueue=False)
    stages: dict[str, float] = {}
    current = {"stage": "start", "since": time.perf_counter()}

    def report(progress, stage):
        # Called as each stage begins: the time since the previous call belongs to that stage.
        now = time.perf_counter()
        stages[current["stage"]] = round(now - current["since"], 2)
        current.update(stage=stage, since=now)

    started = time.perf_counter()
    run_execute(run_id=run.pk, report=report)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    dispatch_seconds = None
    if events:
        from events.dispatch import dispatch
        from events.models import Event

        finished = Event.objects.filter(type="scoring.run_finished", data__run_id=run.pk).values_list(
            "pk", flat=True
        )
        started = time.perf_counter()
        dispatch(event_ids=list(finished))
        dispatch_seconds = round(time.perf_counter() - started, 2)
    return {
        "seconds": elapsed,
        "dispatch_seconds": dispatch_seconds,
        "customers": run.customers_scored,
        "run": run.pk,
        "stages": stages,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- (b) the SQL floor ------------------------------------------------------------------------

FLOOR = """
SET work_mem = '512MB';
BEGIN;
CREATE TEMP TABLE floor_result ON COMMIT DROP AS
WITH inputs AS (
    SELECT c.id, COALESCE(t.sales, 0) AS sales,
           COALESCE(c.potential, 0) AS potential, COALESCE(c.demonstration, 0) AS demonstration,
           COALESCE(c.winnability, 0) AS winnability,
           round((50 * COALESCE(((f.need - 1) * 25 + (f.capability - 1) * 25) / 2.0, 0)
                  + 50 * CASE WHEN w.total > 0 THEN 100 * COALESCE(k.ticked, 0) / w.total ELSE 0 END) / 100, 2)
             AS fit_score
    FROM accounts_customer c
    LEFT JOIN (SELECT customer_id, SUM(amount) AS sales FROM accounts_transaction
               WHERE occurred_on > DATE '{as_of}' - 365 AND occurred_on <= DATE '{as_of}'
               GROUP BY customer_id) t ON t.customer_id = c.id
    LEFT JOIN accounts_industryfit f ON f.industry = c.industry
    LEFT JOIN (SELECT x.customer_id, SUM(i.weight) AS ticked
               FROM accounts_customer_fit_criteria x JOIN accounts_fitcriterion i ON i.id = x.fitcriterion_id
               WHERE i.is_active GROUP BY x.customer_id) k ON k.customer_id = c.id
    CROSS JOIN (SELECT SUM(weight) AS total FROM accounts_fitcriterion WHERE is_active) w
), dims AS (
    SELECT *, count(*) OVER () AS n,
           CASE WHEN sales <= 0 THEN 0
                WHEN count(*) OVER () = 1 THEN 100
                ELSE 100 * (rank() OVER (ORDER BY sales) - 1)::numeric / (count(*) OVER () - 1) END AS sales_dim
    FROM inputs
), scored AS (
    SELECT id, sales, n, fit_score,
           round((40 * sales_dim
                  + 30 * CASE WHEN potential > 0 THEN (potential - 1) * 25 ELSE 0 END
                  + 15 * CASE WHEN demonstration > 0 THEN (demonstration - 1) * 25 ELSE 0 END
                  + 15 * CASE WHEN winnability > 0 THEN (winnability - 1) * 25 ELSE 0 END) / 100, 2) AS score
    FROM dims
), ranked AS (
    SELECT *, row_number() OVER (ORDER BY score DESC, sales DESC, id) AS position,
           COALESCE(sum(GREATEST(sales, 0)) OVER (ORDER BY sales DESC, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS above,
           sum(GREATEST(sales, 0)) OVER () AS total
    FROM scored
)
SELECT id, score, fit_score, position, sales,
       CASE WHEN position <= ceil(0.05 * n) THEN 'platinum' WHEN position <= ceil(0.20 * n) THEN 'gold'
            WHEN position <= ceil(0.50 * n) THEN 'iron' ELSE 'lead' END AS tier,
       CASE WHEN sales <= 0 THEN 'C' WHEN above < 0.80 * total THEN 'A' WHEN above < 0.95 * total THEN 'B'
            ELSE 'C' END AS abc_class,
       position <= ceil(0.20 * n) AS is_key_account
FROM ranked;
UPDATE accounts_customer c
SET score = r.score, fit_score = r.fit_score, tier = r.tier, abc_class = r.abc_class,
    is_key_account = r.is_key_account, sales_12m = r.sales, scored_at = now()
FROM floor_result r WHERE c.id = r.id;
INSERT INTO scoring_scoresnapshot
    (run_id, customer_id, score, fit_score, rank, tier, abc_class, is_key_account, sales_12m)
SELECT {run}, id, score, fit_score, position, tier, abc_class, is_key_account, sales FROM floor_result;
COMMIT;
"""


def measure_floor(url: str, run_id: int) -> dict:
    sql = FLOOR.format(as_of=AS_OF, run=run_id)
    started = time.perf_counter()
    process = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True, check=True)
    del process
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed}


# --- The cost of the tier-change events (--events R) --------------------------------------------

SCRAMBLE = """
DELETE FROM events_event;
DELETE FROM audit_auditevent WHERE source = 'job';
DELETE FROM scoring_scoresnapshot; DELETE FROM scoring_tierchange; DELETE FROM scoring_scoringrun;
UPDATE accounts_customer
SET tier = (ARRAY['platinum', 'gold', 'iron', 'lead'])[1 + (hashint4((id * 7 + 3)::int) & 3)];
"""


def compare_events(bench: str, repeats: int) -> None:
    import statistics

    times: dict[str, list[float]] = {"with": [], "without": []}
    moved: dict[str, list[int]] = {"with": [], "without": []}
    dispatches: list[float] = []
    for repeat in range(repeats):
        # Alternate which side goes first, so a trend in the machine's load hits both alike.
        for side in ("with", "without") if repeat % 2 == 0 else ("without", "with"):
            psql(bench, SCRAMBLE)
            psql(bench, "VACUUM ANALYZE")
            psql(bench, "CHECKPOINT")
            command = [sys.executable, __file__, "--measure-service"]
            if side == "without":
                command.append("--without-events")
            child = subprocess.run(
                command, env={**os.environ, "DATABASE_URL": bench}, capture_output=True, text=True
            )
            if child.returncode:
                sys.exit(f"the project's run failed:\n{child.stderr}")
            service = json.loads(child.stdout.strip().splitlines()[-1])
            events = int(subprocess.run(
                ["psql", bench, "-At", "-c", "SELECT count(*) FROM events_event WHERE type = 'customer.tier_changed'"],
                capture_output=True, text=True, check=True,
            ).stdout)  # fmt: skip
            changes = int(subprocess.run(
                ["psql", bench, "-At", "-c", "SELECT count(*) FROM scoring_tierchange"],
                capture_output=True, text=True, check=True,
            ).stdout)  # fmt: skip
            times[side].append(service["seconds"])
            if service["dispatch_seconds"] is not None:
                dispatches.append(service["dispatch_seconds"])
            moved[side].append(changes)
            print(
                f"  {side:>7} events: {service['seconds']:6.2f} s  tier changes {changes:,}  events {events:,}"
                f"  stages {service['stages']}",
                flush=True,
            )
    with_events, without = statistics.median(times["with"]), statistics.median(times["without"])
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"customers: {service['customers']:,}; tier changes per run: {moved['with'][0]:,}")
    print(
        f"run with events:    median {with_events:6.2f} s  ({', '.join(f'{t:.2f}' for t in times['with'])})"
    )
    print(f"run without events: median {without:6.2f} s  ({', '.join(f'{t:.2f}' for t in times['without'])})")
    print(f"slowdown:           {100 * (with_events / without - 1):+6.1f} %   target ≤ +5 %")
    print(
        f"after the commit, the dispatch of the run's end writing its tier-change events (a worker's"
        f" task): median {statistics.median(dispatches):.2f} s ({', '.join(f'{t:.2f}' for t in dispatches)})"
    )


def main() -> None:
    global BENCH_DB  # noqa: PLW0603 - the one switch of a script: --db
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="customers (10 transactions each)")
    parser.add_argument("--measure-service", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--without-events", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", default=BENCH_DB, help="the benchmark database (dropped and created)")
    parser.add_argument(
        "--events",
        type=int,
        default=0,
        metavar="R",
        help="time the run with and without its tier-change events, R times each",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the kam_bench data of an earlier run (migrated to the latest schema)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")

    if args.measure_service:
        print(json.dumps(measure_service(url, events=not args.without_events)))
        return

    BENCH_DB = args.db
    bench = server_url(url, BENCH_DB)
    if args.reuse:
        migrate(bench)
        psql(bench, "DROP TABLE IF EXISTS bench_service")
        psql(
            bench,
            "DELETE FROM scoring_scoresnapshot; DELETE FROM scoring_tierchange; DELETE FROM scoring_scoringrun",
        )
        psql(
            bench,
            "UPDATE accounts_customer SET score = NULL, fit_score = NULL, tier = '', abc_class = '', is_key_account = NULL",
        )
        psql(bench, "VACUUM ANALYZE")
        args.n = int(subprocess.run(["psql", bench, "-At", "-c", "SELECT count(*) FROM accounts_customer"],
                                    capture_output=True, text=True, check=True).stdout)  # fmt: skip
    else:
        print(f"generating {args.n:,} customers and {10 * args.n:,} transactions …", flush=True)
        generated = generate(url, args.n)
        print(f"  generated in {generated:.1f} s", flush=True)

    if args.events:
        compare_events(bench, args.events)
        return

    # Each side starts from a checkpoint, so neither pays for the other's (or the load's) WAL.
    psql(bench, "CHECKPOINT")
    child = subprocess.run(
        [sys.executable, __file__, "--measure-service"],
        env={**os.environ, "DATABASE_URL": bench},
        capture_output=True,
        text=True,
    )
    if child.returncode:
        sys.exit(f"the project's run failed:\n{child.stderr}")
    service = json.loads(child.stdout.strip().splitlines()[-1])
    # Keep the service's results to compare, then let the floor do the same work from the same state.
    psql(
        bench,
        "CREATE TABLE bench_service AS SELECT id, score, fit_score, tier, abc_class FROM accounts_customer",
    )
    psql(
        bench,
        "UPDATE accounts_customer SET score = NULL, fit_score = NULL, tier = '', abc_class = '', is_key_account = NULL",
    )
    psql(bench, "DELETE FROM scoring_scoresnapshot; DELETE FROM scoring_tierchange")
    psql(bench, "VACUUM ANALYZE accounts_customer")
    psql(bench, "CHECKPOINT")
    floor = measure_floor(bench, service["run"])
    check = subprocess.run(
        ["psql", bench, "-At", "-c",
         "SELECT count(*) FROM accounts_customer c JOIN bench_service s USING (id) "
         "WHERE (c.score, c.fit_score, c.tier, c.abc_class) "
         "IS DISTINCT FROM (s.score, s.fit_score, s.tier, s.abc_class)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip

    ratio = service["seconds"] / floor["seconds"]
    print()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"customers: {service['customers']:,}; transactions: {10 * args.n:,}")
    print(
        f"(a) project run:  {service['seconds']:8.2f} s  {service['customers'] / service['seconds']:>10,.0f} rows/s"
        f"  peak RSS {service['peak_rss_mb']:.0f} MB  stages {service['stages']}"
    )
    print(
        f"(b) SQL floor:    {floor['seconds']:8.2f} s  {service['customers'] / floor['seconds']:>10,.0f} rows/s"
        "  (all of its work happens inside the PostgreSQL server)"
    )
    print(f"ratio (a)/(b):    {ratio:8.2f}   target ≤ 0.80")
    print(f"customers where (a) and (b) disagree on score/fit score/tier/ABC: {check}")


if __name__ == "__main__":
    main()
