"""Dashboard benchmark: every /api/v1/dashboard/<name>/ endpoint at 100,000 customers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/dashboard.py [--n 100000]

Builds a fresh `kam_bench_dash` database (N customers, 10 transactions each, visits, a contact
each, 20 reps in 4 teams, opportunities with stage history), runs two scoring runs so movements and
trends exist, then requests each endpoint R times as an admin (all customers) and as a
manager (one team, about a quarter of them), in-process through Django's test client, and
prints median and p95 per endpoint next to a floor: `GET /api/v1/me/`, a plain DRF endpoint
answered by the same stack. Target: every median under 150 ms.

For the coverage panel (issue 14) the data also has the last few months' in-person visits, calls,
executive meetings and account reviews, dated from today (SERVICING). `--only coverage` measures
one panel; `--visit-index drop` measures without the index `visit_customer_kind_when` (accounts
migration 0013; `keep`, the default, recreates it if an earlier run dropped it).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = "kam_bench_dash"

_spec = importlib.util.spec_from_file_location("bench_scoring", Path(__file__).with_name("scoring.py"))
bench_scoring = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scoring)

PEOPLE = """
INSERT INTO users_team (name) SELECT 'Bench team ' || t FROM generate_series(1, 4) t;
INSERT INTO users_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                        date_joined, role, digest_enabled)
SELECT '!', false, 'bench_rep' || r, '', '', '', false, true, now(), 'rep', true FROM generate_series(1, 20) r;
INSERT INTO users_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                        date_joined, role, digest_enabled)
VALUES ('!', false, 'bench_manager', '', '', '', false, true, now(), 'manager', true),
       ('!', true, 'bench_admin', '', '', '', true, true, now(), 'admin', true);
INSERT INTO users_team_members (team_id, user_id)
SELECT t.id, u.id FROM users_user u
JOIN users_team t ON t.name = 'Bench team ' || (1 + (substring(u.username from 10)::int %% 4))
WHERE u.username LIKE 'bench_rep%%';
INSERT INTO users_team_managers (team_id, user_id)
SELECT t.id, u.id FROM users_team t, users_user u WHERE t.name = 'Bench team 1' AND u.username = 'bench_manager';
UPDATE accounts_customer c SET owner_id = u.id
FROM users_user u WHERE u.username = 'bench_rep' || (1 + c.id %% 20);
UPDATE accounts_visit v SET by_id = c.owner_id FROM accounts_customer c WHERE c.id = v.customer_id;

-- Opportunities at every fifth customer, spread over the stages, with a two-step history.
INSERT INTO pipeline_opportunity (customer_id, title, expected_amount, stage, probability, probability_overridden,
    expected_close_on, owner_id, obstacles, development_plan, lost_reason, stage_entered_at, created_at, updated_at)
SELECT c.id, 'Bench deal ' || c.id, 10000 + (c.id %% 97) * 1000,
       (ARRAY['target','information','evaluation','relationship','closing','won','lost'])[1 + (c.id %% 7)::int],
       (ARRAY[10,25,40,60,80,100,0])[1 + (c.id %% 7)::int], false,
       CURRENT_DATE + (c.id %% 180)::int, c.owner_id, '', '',
       CASE WHEN c.id %% 7 = 6 THEN '价格过高' ELSE '' END, now() - interval '5 days', now(), now()
FROM accounts_customer c WHERE c.id %% 5 = 0;
INSERT INTO pipeline_stagechange (opportunity_id, from_stage, to_stage, by_id, at, override_reason, unmet_items,
                                  days_in_stage)
SELECT o.id, '', 'target', o.owner_id, now() - interval '30 days', '', '[]', NULL FROM pipeline_opportunity o;
INSERT INTO pipeline_stagechange (opportunity_id, from_stage, to_stage, by_id, at, override_reason, unmet_items,
                                  days_in_stage)
SELECT o.id, 'target', o.stage, o.owner_id, now() - interval '5 days', '', '[]', 25
FROM pipeline_opportunity o WHERE o.stage <> 'target';
"""


# One contact per customer, named as people are: a surname (none read differently as a surname)
# and a given name, each with its pinyin and initials, as accounts/pinyin.py would give them.
SURNAMES = (
    ("王", "wang", "w"), ("李", "li", "l"), ("张", "zhang", "z"), ("刘", "liu", "l"), ("陈", "chen", "c"),
    ("杨", "yang", "y"), ("黄", "huang", "h"), ("赵", "zhao", "z"), ("吴", "wu", "w"), ("周", "zhou", "z"),
    ("徐", "xu", "x"), ("孙", "sun", "s"), ("马", "ma", "m"), ("朱", "zhu", "z"), ("胡", "hu", "h"),
    ("郭", "guo", "g"), ("何", "he", "h"), ("高", "gao", "g"), ("林", "lin", "l"), ("罗", "luo", "l"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei", "w"), ("芳", "fang", "f"), ("娜", "na", "n"), ("敏", "min", "m"), ("静", "jing", "j"),
    ("丽", "li", "l"), ("强", "qiang", "q"), ("磊", "lei", "l"), ("军", "jun", "j"), ("洋", "yang", "y"),
    ("勇", "yong", "y"), ("艳", "yan", "y"), ("杰", "jie", "j"), ("涛", "tao", "t"), ("明", "ming", "m"),
    ("超", "chao", "c"), ("秀英", "xiuying", "xy"), ("霞", "xia", "x"), ("平", "ping", "p"), ("刚", "gang", "g"),
)  # fmt: skip


def _person(column: int) -> str:
    """The contact's name (0), its pinyin (1) or its initials (2), as an SQL expression."""
    surname = bench_scoring.sql_array(SURNAMES, column)
    given = bench_scoring.sql_array(GIVEN_NAMES, column)
    return f"({surname})[s.f] || ({given})[s.g]"


CONTACTS = f"""
INSERT INTO accounts_contact (customer_id, name, name_pinyin, name_initials, title, department, phone, email, wechat,
    buying_role, attitude, notes, hometown, interests, tenure, authority, personality, working_style, family,
    created_at, updated_at)
SELECT s.id, {_person(0)}, {_person(1)}, {_person(2)}, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
       now(), now()
FROM (
    SELECT id, 1 + (hashint4(id::int * 5 + 1) & 65535) % {len(SURNAMES)} AS f,
           1 + (hashint4(id::int * 5 + 2) & 65535) % {len(GIVEN_NAMES)} AS g
    FROM accounts_customer
) s;
"""


# Servicing (issue 14), dated from today as coverage is: about three contacts in the last four months
# for most customers, of mixed kinds (so the visit index's kind column has something to skip), an
# executive meeting for a quarter of them, an account review for two thirds, some a year old or more.
SERVICING = """
INSERT INTO accounts_visit (customer_id, by_id, kind, occurred_at, summary, needs, objections, next_step,
                            created_at, updated_at)
SELECT c.id, c.owner_id,
       (ARRAY['visit','call','call','meeting','site_visit','other','call','visit'])[1 + (hashint4(c.id::int * 8 + k) & 7)],
       now() - ((hashint4(c.id::int * 8 + k + 100) & 65535) %% 120 || ' days')::interval, '', '', '', '', now(), now()
FROM accounts_customer c, generate_series(1, 3) k
WHERE (hashint4(c.id::int * 11) & 15) < 13;
INSERT INTO accounts_visit (customer_id, by_id, kind, occurred_at, summary, needs, objections, next_step,
                            created_at, updated_at)
SELECT c.id, c.owner_id, 'executive', now() - ((hashint4(c.id::int * 13) & 65535) %% 240 || ' days')::interval,
       '', '', '', '', now(), now()
FROM accounts_customer c WHERE c.id %% 4 = 1;
INSERT INTO servicing_accountreview (customer_id, reviewed_on, period_start, period_end, potential, problems,
    relationship_health, summary, created_by_id, created_at, updated_at)
SELECT c.id, CURRENT_DATE - r.days_ago, CURRENT_DATE - r.days_ago - 180, CURRENT_DATE - r.days_ago - 1,
       '', '', 1 + c.id %% 5, '', c.owner_id, now(), now()
FROM accounts_customer c
CROSS JOIN LATERAL (SELECT (hashint4(c.id::int * 17) & 65535) %% 420 AS days_ago) r
WHERE c.id %% 3 <> 0;
"""


def setup(url: str, n: int, database: str = DB) -> None:
    admin = bench_scoring.server_url(url, "postgres")
    bench_scoring.psql(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    bench_scoring.psql(admin, f"CREATE DATABASE {database}")
    bench = bench_scoring.server_url(url, database)
    bench_scoring.migrate(bench)
    sql = (
        bench_scoring.GENERATE.replace("%(n)s", str(n))
        .replace("%(as_of)s", bench_scoring.AS_OF)
        .replace("%%", "%")
    )
    subprocess.run(["psql", bench, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True, check=True)
    subprocess.run(
        ["psql", bench, "-v", "ON_ERROR_STOP=1", "-q"], input=PEOPLE.replace("%%", "%"), text=True, check=True
    )
    subprocess.run(["psql", bench, "-v", "ON_ERROR_STOP=1", "-q"], input=CONTACTS, text=True, check=True)
    subprocess.run(
        ["psql", bench, "-v", "ON_ERROR_STOP=1", "-q"],
        input=SERVICING.replace("%%", "%"),
        text=True,
        check=True,
    )
    bench_scoring.psql(bench, "VACUUM ANALYZE")


VISIT_INDEX = "visit_customer_kind_when"


def visit_index(url: str, keep: bool) -> None:
    """Drop or (re)create accounts migration 0013's index, as its migration defines it."""
    if keep:
        sql = f"CREATE INDEX IF NOT EXISTS {VISIT_INDEX} ON accounts_visit (customer_id, kind, occurred_at DESC)"
    else:
        sql = f"DROP INDEX IF EXISTS {VISIT_INDEX}"
    bench_scoring.psql(url, sql)
    bench_scoring.psql(url, "ANALYZE accounts_visit")


def measure(url: str, repeats: int, only: tuple[str, ...] = ()) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import date

    from django.conf import settings
    from django.test import Client

    from accounts.models import Customer
    from scoring.dashboard import NAMES
    from scoring.models import ScoringRun
    from scoring.services import run_execute, run_request
    from users.models import User

    settings.ALLOWED_HOSTS = ["*"]
    if not ScoringRun.objects.filter(status="succeeded").exists():
        for as_of in (date(2026, 5, 31), date.fromisoformat(bench_scoring.AS_OF)):
            run, _ = run_request(by=None, as_of=as_of, trigger="bench", enqueue=False)
            run_execute(run_id=run.pk)
        # A run rewrites every customer row; autovacuum then clears the dead versions. Measure
        # the dashboards in that steady state, not in the minutes right after a run.
        bench_scoring.psql(url, "VACUUM ANALYZE")

    def timings(client: Client, path: str) -> list[float]:
        client.get(path)  # warm caches and connections
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return samples

    def p95(samples: list[float]) -> float:
        return sorted(samples)[max(0, int(round(0.95 * len(samples))) - 1)]

    print(f"customers: {Customer.objects.count():,}; runs: {ScoringRun.objects.count()}; repeats: {repeats}")
    print(f"{'endpoint':<14}{'role':<9}{'median ms':>10}{'p95 ms':>9}{'× floor':>9}")
    worst = 0.0
    for username in ("bench_admin", "bench_manager"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        floor = statistics.median(timings(client, "/api/v1/me/"))
        print(f"{'floor (me)':<14}{username[6:]:<9}{floor:>10.1f}{'':>9}{1:>9.1f}")
        for name in only or NAMES:
            samples = timings(client, f"/api/v1/dashboard/{name}/")
            median = statistics.median(samples)
            worst = max(worst, median)
            print(f"{name:<14}{username[6:]:<9}{median:>10.1f}{p95(samples):>9.1f}{median / floor:>9.1f}")
    print(f"slowest median: {worst:.1f} ms (target < 150 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="customers (10 transactions each)")
    parser.add_argument("--repeats", type=int, default=30, help="requests per endpoint and role")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--database", default=DB, help=f"the bench database (default {DB})")
    parser.add_argument("--only", default="", help="comma-separated endpoint names (default: all)")
    parser.add_argument(
        "--visit-index",
        choices=("keep", "drop"),
        default="keep",
        help=f"measure with {VISIT_INDEX} (recreated if missing) or without it (dropped)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if not args.reuse:
        started = time.perf_counter()
        setup(url, args.n, args.database)
        print(f"generated {args.n:,} customers in {time.perf_counter() - started:.1f} s", flush=True)
    bench = bench_scoring.server_url(url, args.database)
    visit_index(bench, keep=args.visit_index == "keep")
    print(f"{VISIT_INDEX}: {'present' if args.visit_index == 'keep' else 'dropped'}")
    measure(bench, args.repeats, only=tuple(name for name in args.only.split(",") if name))


if __name__ == "__main__":
    main()
