"""The event types other systems are told about (DOMAIN.md "Events for other systems").

Each event's `data` holds ids and the changed values, never a contact's personal profile: the
keys of each type are in DATA_KEYS and EVENT_DOCS below, the contract between the apps that emit
(`events.outbox.emit`) and what reads the events — the JSON envelope sent to webhooks as it is,
the group bots' Chinese text (`events.formatting`, which copes with a missing key), and people's
notifications.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CUSTOMER_TIER_CHANGED = "customer.tier_changed", _("Customer tier changed")
    SCORING_RUN_FINISHED = "scoring.run_finished", _("Scoring run finished")
    OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed", _("Opportunity stage changed")
    OPPORTUNITY_WON = "opportunity.won", _("Opportunity won")
    OPPORTUNITY_LOST = "opportunity.lost", _("Opportunity lost")
    VISIT_LOGGED = "visit.logged", _("Visit logged")
    INSTALLMENT_OVERDUE = "installment.overdue", _("Installment overdue")
    PAYMENT_RECEIVED = "payment.received", _("Payment received")


# --- What each event's `data` holds ----------------------------------------------------------
#
# Ids, the changed values and the names a bot's message needs ("【KAM】南京百川生物医药有限公司 由
# 黄金 升为 铂金（评分 86.50）"), never a contact's personal profile and no free text written
# about a person. Money and scores are decimal strings ("86.50", "120000.00"), never floats;
# dates are ISO dates ("2026-06-30"), times ISO 8601 with their offset. A user's `*_name` is
# `User.display_name`. The keys of every type are in DATA_KEYS (tests hold the emitters to it).
#
# Who emits what, each in the transaction of the change (events.outbox.emit / emit_many):
# - scoring.services.write_results: one customer.tier_changed per moved customer and one
#   scoring.run_finished, in the transaction that marks the run succeeded;
# - pipeline.services.opportunity_move: every move emits opportunity.stage_changed; a move to
#   won or lost emits opportunity.won or opportunity.lost as well, with the same data. So
#   a subscriber to stage_changed sees the whole pipeline (won and lost are stages too), and one
#   that cares only about deals closing subscribes to won/lost. Creating an opportunity (in the
#   first stage) is not a move and emits nothing.
# - accounts.services.visit_log and visits_log (pages, API, demo, imports): visit.logged;
#   correcting a visit later emits nothing.
# - receivables.services.payments_upsert (ERP push, API, the manual entry page, payment_update):
#   payment.received for a reference KAM had not recorded before. Sending it again, or
#   correcting a recorded payment, emits nothing (the money was received once).
# - receivables.tasks.announce_overdue_installments (daily, and idempotent): installment.overdue
#   once per installment that has fallen overdue (money open, due date passed), see that task.

EVENT_DOCS: dict[str, str] = {
    EventType.CUSTOMER_TIER_CHANGED: """A scoring run moved a customer to another tier.
    customer_id, customer_name; from_tier, to_tier (platinum / gold / iron / lead); direction
    (upgrade / downgrade); score (the new score, "86.50"); run_id; as_of (the run's date).""",
    EventType.SCORING_RUN_FINISHED: """A scoring run succeeded.
    run_id; as_of; model_version; customers_scored; tier_changes (customers that moved).""",
    EventType.OPPORTUNITY_STAGE_CHANGED: """An opportunity moved to another stage (won and lost included).
    opportunity_id, title; customer_id, customer_name; from_stage, to_stage; amount (expected,
    "120000.00"); owner_id, owner_name (the opportunity's owner, or null); by_id,
    by_name (who moved it); override (a manager moved it past an unmet stage gate);
    lost_reason (the reason given, "" unless lost).""",
    EventType.OPPORTUNITY_WON: """An opportunity was won (emitted with its stage_changed event).
    The keys of opportunity.stage_changed.""",
    EventType.OPPORTUNITY_LOST: """An opportunity was lost (emitted with its stage_changed event).
    The keys of opportunity.stage_changed; lost_reason says why.""",
    EventType.VISIT_LOGGED: """A visit, call or meeting was logged.
    visit_id; customer_id, customer_name; kind (visit / call / …); occurred_at; by_id, by_name
    (who logged it). No notes: what was said stays in KAM.""",
    EventType.INSTALLMENT_OVERDUE: """An installment of a payment plan has fallen overdue.
    installment_id, plan_id, contract_number, opportunity_id; customer_id, customer_name;
    due_on; amount (the installment's), open_amount (still unpaid); days_overdue (on the day
    it was announced).""",
    EventType.PAYMENT_RECEIVED: """A payment was recorded for the first time.
    payment_id, reference (the ERP's); customer_id, customer_name; amount ("50000.00");
    received_on; source (erp / manual).""",
}

_OPPORTUNITY_KEYS = frozenset(
    {
        "opportunity_id",
        "title",
        "customer_id",
        "customer_name",
        "from_stage",
        "to_stage",
        "amount",
        "owner_id",
        "owner_name",
        "by_id",
        "by_name",
        "override",
        "lost_reason",
    }
)

DATA_KEYS: dict[str, frozenset[str]] = {
    EventType.CUSTOMER_TIER_CHANGED: frozenset(
        {"customer_id", "customer_name", "from_tier", "to_tier", "direction", "score", "run_id", "as_of"}
    ),
    EventType.SCORING_RUN_FINISHED: frozenset(
        {"run_id", "as_of", "model_version", "customers_scored", "tier_changes"}
    ),
    EventType.OPPORTUNITY_STAGE_CHANGED: _OPPORTUNITY_KEYS,
    EventType.OPPORTUNITY_WON: _OPPORTUNITY_KEYS,
    EventType.OPPORTUNITY_LOST: _OPPORTUNITY_KEYS,
    EventType.VISIT_LOGGED: frozenset(
        {"visit_id", "customer_id", "customer_name", "kind", "occurred_at", "by_id", "by_name"}
    ),
    EventType.INSTALLMENT_OVERDUE: frozenset(
        {
            "installment_id",
            "plan_id",
            "contract_number",
            "opportunity_id",
            "customer_id",
            "customer_name",
            "due_on",
            "amount",
            "open_amount",
            "days_overdue",
        }
    ),
    EventType.PAYMENT_RECEIVED: frozenset(
        {"payment_id", "reference", "customer_id", "customer_name", "amount", "received_on", "source"}
    ),
}
