"""Account reviews (大客户定期评估), the writes: creating and editing a review with its agreed
actions (added, changed, removed), what is refused and that a refusal writes nothing, who may
own an action, ticking one off, deleting, and the audit rows on the review."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AccountTeamMember, Customer
from accounts.selectors import users_who_see
from audit.models import AuditEvent
from servicing.models import AccountReview, ReviewAction
from servicing.services import (
    ActionRow,
    ActionRowsInvalid,
    review_action_done,
    review_create,
    review_delete,
    review_update,
)
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

REVIEWED_ON = date(2026, 3, 31)


@pytest.fixture
def mine(rep):
    return CustomerFactory(owner=rep, name="华信集团")


@pytest.fixture
def teammate(team):
    user = UserFactory(username="rep2", role=Role.REP, last_name="王", first_name="芳")
    team.members.add(user)
    return user


def create(customer, by, actions=(), **fields):
    values = {
        "reviewed_on": REVIEWED_ON,
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 3, 31),
        "relationship_health": 4,
        "potential": "二期扩产",
        **fields,
    }
    return review_create(customer=customer, by=by, actions=list(actions), **values)


def counts() -> tuple[int, int, int]:
    return AccountReview.objects.count(), ReviewAction.objects.count(), AuditEvent.objects.count()


def test_a_review_is_saved_with_its_actions_and_author(mine, rep):
    review = create(
        mine,
        rep,
        [
            ActionRow(description="季度业务回顾会", owner=rep, due_on=date(2026, 4, 15)),
            ActionRow(description="寄送新品样品"),
        ],
    )
    assert (review.customer, review.created_by, review.relationship_health) == (mine, rep, 4)
    rows = list(review.actions.order_by("id").values_list("description", "owner_id", "due_on", "done_at"))
    assert rows == [("季度业务回顾会", rep.pk, date(2026, 4, 15), None), ("寄送新品样品", None, None, None)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"period_start": date(2026, 4, 1), "period_end": date(2026, 3, 31)}, "period_end"),
        ({"relationship_health": 6}, "relationship_health"),
        ({"relationship_health": 0}, "relationship_health"),
        ({"reviewed_on": None}, "reviewed_on"),
        ({"summary": "坏\x00字符"}, "summary"),
    ],
)
def test_a_bad_review_is_refused_and_nothing_is_written(mine, rep, fields, field):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        create(mine, rep, [ActionRow(description="跟进")], **fields)
    assert field in refused.value.message_dict
    assert counts() == before


def test_a_review_cannot_be_dated_in_the_future(mine, rep):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        create(mine, rep, reviewed_on=tomorrow, period_end=tomorrow)
    assert list(refused.value.message_dict) == ["reviewed_on"]


def test_unknown_fields_are_refused(mine, rep):
    with pytest.raises(ValidationError) as refused:
        create(mine, rep, created_by=rep)
    assert "created_by" in refused.value.message_dict


def test_an_action_owner_must_see_the_customer(mine, rep, other_rep, teammate):
    before = counts()
    with pytest.raises(ActionRowsInvalid) as refused:
        create(
            mine,
            rep,
            [
                ActionRow(description="可以", owner=rep),
                ActionRow(description="看不到客户", owner=other_rep),
                ActionRow(description="同组但不在客户团队", owner=teammate),
            ],
        )
    assert [sorted(row) for row in refused.value.rows] == [[], ["owner"], ["owner"]]
    assert list(refused.value.message_dict) == ["actions"]
    assert counts() == before


def test_the_account_team_their_managers_and_admins_may_own_actions(mine, rep, teammate, manager, admin_user):
    AccountTeamMember.objects.create(customer=mine, user=teammate)
    review = create(
        mine,
        rep,
        [ActionRow(description=name, owner=user) for name, user in
         (("团队", teammate), ("经理", manager), ("管理员", admin_user))],
    )  # fmt: skip
    assert review.actions.count() == 3


def test_an_action_is_not_due_before_its_review(mine, rep):
    with pytest.raises(ActionRowsInvalid) as refused:
        create(mine, rep, [ActionRow(description="补交材料", due_on=REVIEWED_ON - timedelta(days=1))])
    assert refused.value.rows == [{"due_on": [refused.value.rows[0]["due_on"][0]]}]
    create(mine, rep, [ActionRow(description="当天完成", due_on=REVIEWED_ON)])  # the same day is fine


def test_an_empty_description_is_refused_per_row(mine, rep):
    with pytest.raises(ActionRowsInvalid) as refused:
        create(mine, rep, [ActionRow(description="好的"), ActionRow(description="")])
    assert [sorted(row) for row in refused.value.rows] == [[], ["description"]]


def test_editing_adds_changes_and_removes_actions_and_keeps_done_times(mine, rep, teammate):
    AccountTeamMember.objects.create(customer=mine, user=teammate)
    review = create(
        mine,
        rep,
        [
            ActionRow(description="保留并完成"),
            ActionRow(description="改负责人"),
            ActionRow(description="删除"),
        ],
    )
    kept, changed, removed = review.actions.order_by("id")
    review_action_done(action=kept, by=rep)
    done_at = ReviewAction.objects.get(pk=kept.pk).done_at

    review_update(
        review=review,
        by=rep,
        summary="已复盘",
        actions=[
            ActionRow(id=kept.pk, description="保留并完成"),
            ActionRow(id=changed.pk, description="改负责人", owner=teammate, due_on=date(2026, 5, 1)),
            ActionRow(description="新增行动", owner=rep),
        ],
    )

    rows = {a.description: a for a in ReviewAction.objects.filter(review=review)}
    assert set(rows) == {"保留并完成", "改负责人", "新增行动"}
    assert rows["保留并完成"].pk == kept.pk
    assert rows["保留并完成"].done_at == done_at
    assert (rows["改负责人"].pk, rows["改负责人"].owner, rows["改负责人"].due_on) == (
        changed.pk, teammate, date(2026, 5, 1),
    )  # fmt: skip
    assert not ReviewAction.objects.filter(pk=removed.pk).exists()
    assert AccountReview.objects.get(pk=review.pk).summary == "已复盘"


def test_leaving_actions_out_keeps_them(mine, rep):
    review = create(mine, rep, [ActionRow(description="不变")])
    review_update(review=review, by=rep, problems="交期不稳")
    assert list(review.actions.values_list("description", flat=True)) == ["不变"]


def test_an_action_of_another_review_cannot_be_taken_over(mine, rep):
    first = create(mine, rep, [ActionRow(description="第一次的")])
    second = create(mine, rep, reviewed_on=date(2026, 3, 30))
    action = first.actions.get()
    with pytest.raises(ActionRowsInvalid) as refused:
        review_update(review=second, by=rep, actions=[ActionRow(id=action.pk, description="抢过来")])
    assert list(refused.value.rows[0]) == ["id"]
    assert ReviewAction.objects.get(pk=action.pk).review_id == first.pk


def test_an_owner_who_can_no_longer_see_the_customer_may_stay_on_an_action(mine, rep, teammate):
    membership = AccountTeamMember.objects.create(customer=mine, user=teammate)
    review = create(mine, rep, [ActionRow(description="老成员的行动", owner=teammate)])
    membership.delete()
    action = review.actions.get()
    review_update(
        review=review, by=rep, actions=[ActionRow(id=action.pk, description="改个说法", owner=teammate)]
    )
    assert ReviewAction.objects.get(pk=action.pk).description == "改个说法"
    with pytest.raises(ActionRowsInvalid):  # but cannot be given a new one
        review_update(review=review, by=rep, actions=[ActionRow(description="新的", owner=teammate)])


def test_only_who_sees_the_customer_may_write_its_reviews(mine, rep, other_rep):
    with pytest.raises(PermissionDenied):
        create(mine, other_rep)
    review = create(mine, rep)
    with pytest.raises(PermissionDenied):
        review_update(review=review, by=other_rep, summary="越权")
    assert AccountReview.objects.get(pk=review.pk).summary == ""


def test_the_author_the_owner_their_manager_and_admins_may_delete(mine, rep, teammate, manager, admin_user):
    AccountTeamMember.objects.create(customer=mine, user=teammate)
    by_owner = create(mine, rep)
    with pytest.raises(PermissionDenied):
        review_delete(review=by_owner, by=teammate)  # on the team, but neither author nor manager
    by_teammate = create(mine, teammate, reviewed_on=date(2026, 3, 1))
    review_delete(review=by_teammate, by=teammate)
    review_delete(review=by_owner, by=manager)
    admins = create(mine, rep, reviewed_on=date(2026, 2, 1))
    review_delete(review=admins, by=admin_user)
    assert not AccountReview.objects.exists()


def test_done_twice_keeps_the_first_time(mine, rep):
    action = create(mine, rep, [ActionRow(description="一次")]).actions.get()
    first = review_action_done(action=action, by=rep).done_at
    assert first is not None
    assert review_action_done(action=action, by=rep).done_at == first


def test_the_reviews_history_shows_its_actions(mine, rep, teammate):
    AccountTeamMember.objects.create(customer=mine, user=teammate)
    rep.last_name, rep.first_name = "李", "明"
    rep.save()
    review = create(mine, rep, [ActionRow(description="回顾会", owner=rep, due_on=date(2026, 4, 15))])
    action = review.actions.get()
    review_update(
        review=review,
        by=rep,
        actions=[ActionRow(id=action.pk, description="回顾会", owner=teammate, due_on=date(2026, 4, 15))],
    )
    review_action_done(action=ReviewAction.objects.get(pk=action.pk), by=rep)
    review_update(review=review, by=rep, actions=[])

    events = list(AuditEvent.objects.filter(object_type="accountreview", object_id=review.pk).order_by("id"))
    assert [event.action for event in events] == ["create", "update", "update", "update", "update"]
    assert all(event.customer_id == mine.pk for event in events)
    assert [event.changes["actions"] for event in events[1:]] == [
        {"added": ["回顾会 · 李明 · 2026-04-15"], "removed": []},
        {"added": ["回顾会 · 王芳 · 2026-04-15"], "removed": ["回顾会 · 李明 · 2026-04-15"]},
        {"added": ["回顾会 · 王芳 · 2026-04-15 ✓"], "removed": ["回顾会 · 王芳 · 2026-04-15"]},
        {"added": [], "removed": ["回顾会 · 王芳 · 2026-04-15 ✓"]},
    ]


def test_an_unchanged_save_records_no_action_change(mine, rep):
    review = create(mine, rep, [ActionRow(description="不变", owner=rep)])
    action = review.actions.get()
    before = AuditEvent.objects.count()
    review_update(review=review, by=rep, actions=[ActionRow(id=action.pk, description="不变", owner=rep)])
    assert AuditEvent.objects.count() == before


# --- Who sees a customer, the other way round -------------------------------------------------


def test_users_who_see_a_customer_are_exactly_those_it_is_visible_to(
    team, rep, manager, admin_user, other_rep
):
    other_manager = UserFactory(username="manager9", role=Role.MANAGER)
    TeamFactory(name="华南大客户部").managers.add(other_manager)
    member = UserFactory(username="solution", role=Role.REP)
    gone = UserFactory(username="gone", role=Role.REP, is_active=False)
    nobody_owns = CustomerFactory(owner=None, name="无主客户")
    mine = CustomerFactory(owner=rep, name="华信集团")
    theirs = CustomerFactory(owner=other_rep, name="南方客户")
    for customer in (mine, theirs):
        AccountTeamMember.objects.create(customer=customer, user=member)
        AccountTeamMember.objects.create(customer=customer, user=gone)
    everyone = [rep, manager, admin_user, other_rep, other_manager, member, gone]
    for customer in (mine, theirs, nobody_owns):
        expected = {
            user.pk for user in everyone if Customer.objects.visible_to(user).filter(pk=customer.pk).exists()
        }
        assert set(users_who_see(customer=customer).values_list("pk", flat=True)) == expected, customer.name
