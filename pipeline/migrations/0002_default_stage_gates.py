"""The default gate checklist of each stage, from"""

from django.db import migrations

DEFAULT_ITEMS = [
    # stage, label, rule ('' = checked by hand)
    ("target", "存在潜在需求", ""),
    ("target", "已首次接触", "has_visit"),
    ("target", "“有没有机会？”答案为是", ""),
    ("information", "已确定内线", "has_coach"),
    ("information", "已提供样品（如适用）", ""),
    ("information", "信息充分，含关键决策人档案", "decision_maker_profile"),
    ("information", "需求明确", "needs_recorded"),
    ("evaluation", "已评估赢单可能性", "winnability_rated"),
    ("evaluation", "已记录成交障碍", "obstacles_recorded"),
    ("evaluation", "已记录预期费用", "cost_recorded"),
    ("evaluation", "已制定开发计划", "plan_recorded"),
    ("relationship", "已与关键决策人建立关系", "decision_maker_relationship"),
    ("relationship", "影响力渗透：影响者支持或中立", "influencers_not_opposed"),
    ("closing", "高层沟通", "executive_meeting"),
    ("closing", "考察/验厂", "site_visit"),
    ("closing", "公司系统支持（领导与资源已承诺）", ""),
]


def create(apps, schema_editor):
    StageGateItem = apps.get_model("pipeline", "StageGateItem")
    for position, (stage, label, rule) in enumerate(DEFAULT_ITEMS):
        StageGateItem.objects.get_or_create(stage=stage, label=label, defaults={"rule": rule, "position": position})


def remove(apps, schema_editor):
    StageGateItem = apps.get_model("pipeline", "StageGateItem")
    for stage, label, _rule in DEFAULT_ITEMS:
        StageGateItem.objects.filter(stage=stage, label=label).delete()


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
