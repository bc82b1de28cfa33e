"""The short Chinese text the group bots (企业微信, 钉钉, 飞书) post for an event.

Pure functions of the event's type and data (keys: events.types): Chinese whatever the
language of the request that caused the event, since the bots post to a Chinese team's group.
Labels are spelled out here rather than read from the apps' choices, as events sit below them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

PREFIX = "【KAM】"

TIERS = {"platinum": "铂金", "gold": "黄金", "iron": "铁", "lead": "铅"}
TIER_ORDER = ["lead", "iron", "gold", "platinum"]
STAGES = {
    "target": "确定开发对象",
    "information": "样品提供/信息收集",
    "evaluation": "价值评估",
    "relationship": "关系建立",
    "closing": "促成成交",
    "won": "签约",
    "lost": "终止",
}


def _name(data: dict) -> str:
    return str(data.get("customer_name") or f"客户 #{data.get('customer_id', '?')}")


def _tier(value) -> str:
    return TIERS.get(value, str(value)) if value else "无等级"


def _score(value) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _money(value) -> str:
    """¥1,234,567.00 (the bots' text is plain: no 万 abbreviation, every digit)."""
    try:
        return f"¥{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _tier_changed(data: dict) -> str:
    before, after = data.get("from_tier"), data.get("to_tier")
    moved = "升为"
    if data.get("direction") == "downgrade" or (
        data.get("direction") is None
        and before in TIER_ORDER
        and after in TIER_ORDER
        and TIER_ORDER.index(after) < TIER_ORDER.index(before)
    ):
        moved = "降为"
    text = f"{_name(data)} 由 {_tier(before)} {moved} {_tier(after)}"
    if data.get("score") is not None:
        text += f"（评分 {_score(data['score'])}）"
    return text


def _run_finished(data: dict) -> str:
    text = f"评分运行 #{data.get('run_id', '?')} 已完成"
    details = []
    if data.get("as_of"):
        details.append(f"基准日 {data['as_of']}")
    if data.get("customers_scored") is not None:
        details.append(f"评估客户 {data['customers_scored']} 家")
    if data.get("tier_changes") is not None:
        details.append(f"等级变动 {data['tier_changes']} 家")
    return text + (f"（{'，'.join(details)}）" if details else "")


def _stage(value) -> str:
    return STAGES.get(value, value or "?")


def _by(data: dict) -> str:
    return f"，操作人 {data['by_name']}" if data.get("by_name") else ""


def _stage_changed(data: dict) -> str:
    text = f"{_name(data)} 的商机「{data.get('title', '')}」由 {_stage(data.get('from_stage'))} 推进到 {_stage(data.get('to_stage'))}"
    if data.get("override"):
        text += "（经理越过阶段检查）"
    return text + _by(data)


def _won(data: dict) -> str:
    text = f"{_name(data)} 的商机「{data.get('title', '')}」已签约"
    if data.get("amount") is not None:
        text += f"（金额 {_money(data['amount'])}）"
    return text + _by(data)


def _lost(data: dict) -> str:
    text = f"{_name(data)} 的商机「{data.get('title', '')}」已终止"
    if data.get("lost_reason"):
        text += f"（原因：{data['lost_reason']}）"
    return text + _by(data)


def _visit(data: dict) -> str:
    when = str(data.get("occurred_at") or "")[:10]
    who = f"{data['by_name']} " if data.get("by_name") else ""
    return f"{who}新增 {_name(data)} 的拜访记录" + (f"（{when}）" if when else "")


def _overdue(data: dict) -> str:
    amount = data.get("open_amount") if data.get("open_amount") is not None else data.get("amount")
    text = f"{_name(data)} 的回款 {_money(amount)} 已逾期（应收日 {data.get('due_on', '?')}"
    if data.get("contract_number"):
        text += f"，合同 {data['contract_number']}"
    return text + "）"


def _payment(data: dict) -> str:
    return f"{_name(data)} 回款 {_money(data.get('amount'))} 已到账（{data.get('received_on', '?')}）"


FORMATTERS = {
    "customer.tier_changed": _tier_changed,
    "scoring.run_finished": _run_finished,
    "opportunity.stage_changed": _stage_changed,
    "opportunity.won": _won,
    "opportunity.lost": _lost,
    "visit.logged": _visit,
    "installment.overdue": _overdue,
    "payment.received": _payment,
}


def event_text(type: str, data: dict) -> str:
    """ "【KAM】南京百川生物医药有限公司 由 黄金 升为 铂金（评分 86.50）"."""
    formatter = FORMATTERS.get(type)
    body = formatter(data or {}) if formatter else f"{type}"
    return PREFIX + body
