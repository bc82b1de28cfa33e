"""What a scoring run tells other systems and people: one customer.tier_changed per moved
customer (events.types), written off the run's critical path.

The run's transaction records the facts (its TierChange rows, its snapshots) and one outbox
event, scoring.run_finished. When that event is dispatched (events.dispatch, a Celery task
after the commit, or the sweep a minute later if the worker died), this fan-out handler writes
the run's tier-change events with one INSERT … SELECT, in the dispatch's transaction: they
commit together with the run_finished event's dispatched mark, or not at all and the sweep
dispatches it again. So every tier change is announced exactly once in the outbox, a killed
worker loses none, and a run at 100,000 customers does not pay for 75,000 event rows (the
bench's --events measures both sides; docs/benchmarks.md).
"""

from __future__ import annotations

import uuid

from django.db import connection

from events.models import Event
from events.outbox import emitted
from events.types import EventType

# The event's values: the change, its new score (the run's snapshot) and the customer's name;
# its audience: the customer's owner, then its account team by id (as accounts.events).
_INSERT = {
    "postgresql": """
INSERT INTO events_event (id, type, created_at, data, customer_id, audience)
SELECT gen_random_uuid(), %(type)s, %(created)s,
       jsonb_build_object('customer_id', c.id, 'customer_name', c.name, 'from_tier', t.from_tier,
                          'to_tier', t.to_tier, 'direction', t.direction, 'score', CAST(s.score AS TEXT),
                          'run_id', t.run_id, 'as_of', %(as_of)s),
       c.id,
       CASE WHEN c.owner_id IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(c.owner_id) END
           || COALESCE(m.members, '[]'::jsonb)
FROM scoring_tierchange t
JOIN accounts_customer c ON c.id = t.customer_id
JOIN scoring_scoresnapshot s ON s.customer_id = t.customer_id AND s.run_id = t.run_id
LEFT JOIN (
    SELECT a.customer_id, jsonb_agg(a.user_id ORDER BY a.user_id) AS members
    FROM accounts_accountteammember a
    JOIN accounts_customer o ON o.id = a.customer_id
    WHERE a.user_id IS DISTINCT FROM o.owner_id
      AND a.customer_id IN (SELECT customer_id FROM scoring_tierchange WHERE run_id = %(run)s)
    GROUP BY a.customer_id
) m ON m.customer_id = c.id
WHERE t.run_id = %(run)s
RETURNING id
""",
    "sqlite": """
INSERT INTO events_event (id, type, created_at, data, customer_id, audience)
SELECT lower(hex(randomblob(16))), %(type)s, %(created)s,
       json_object('customer_id', c.id, 'customer_name', c.name, 'from_tier', t.from_tier,
                   'to_tier', t.to_tier, 'direction', t.direction, 'score', printf('%%.2f', s.score),
                   'run_id', t.run_id, 'as_of', %(as_of)s),
       c.id,
       (SELECT json_group_array(u) FROM (
            SELECT c.owner_id AS u, 0 AS o WHERE c.owner_id IS NOT NULL
            UNION ALL
            SELECT a.user_id, 1 FROM accounts_accountteammember a
            WHERE a.customer_id = c.id AND a.user_id IS NOT c.owner_id
            ORDER BY o, u))
FROM scoring_tierchange t
JOIN accounts_customer c ON c.id = t.customer_id
JOIN scoring_scoresnapshot s ON s.customer_id = t.customer_id AND s.run_id = t.run_id
WHERE t.run_id = %(run)s
RETURNING id
""",
}


def announce_tier_changes(events: list[Event]) -> None:
    """Fan-out handler (events.dispatch): for each scoring.run_finished being dispatched, its
    run's customer.tier_changed events, dated with the run's end; their own dispatch is queued
    after the commit."""
    finished = [event for event in events if event.type == EventType.SCORING_RUN_FINISHED]
    for event in finished:
        if not event.data.get("tier_changes"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT[connection.vendor],
                {
                    "type": EventType.CUSTOMER_TIER_CHANGED.value,
                    "created": event.created_at,
                    "as_of": event.data["as_of"],
                    "run": event.data["run_id"],
                },
            )
            ids = [uuid.UUID(str(row[0])) for row in cursor.fetchall()]  # SQLite returns hex text
        emitted(ids)
