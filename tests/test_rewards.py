"""Creator Rewards accrual: the staff mutation `runRewardsAccrual`, `reelpay jobs rewards --date`
and `Account.rewards(from, to)`.

Rules: for a UTC day that is over, every enrolled and not suspended CREATOR_REWARDS creator is
credited once for that day's views of original, PUBLIC, not deleted videos longer than
`rewards_min_video_seconds` (60): `views * rewards_cents_per_1000_views (50) // 1000` US cents,
as USD earnings with source REWARDS through the ledger. A zero amount posts no transaction but
still records the day. Suspended creators (BANNED, RESTRICTED, political, BUSINESS) are skipped
and counted; a later run after they are restored credits the day.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.clock import FrozenClock
from tests.factories import (
    User,
    apply_input,
    enrol,
    make_staff,
    publish,
    set_standing,
    sign_up,
)
from tests.factories import add_views as load_views

pytestmark = pytest.mark.usefixtures("verify_ledger")

TODAY = date(2026, 6, 15)  # the frozen clock: 2026-06-15T12:00Z
DAY = date(2026, 6, 14)  # yesterday
SUMMARY = "date creatorsCredited credited { currency minorUnits amount } alreadyCredited suspended"
REWARDS = "date qualifiedViews estimated { currency minorUnits } credited { currency minorUnits }"
DAY_NOT_OVER = "Rewards are computed for days that are over (UTC); pick an earlier date."
ALL_SOURCES = ["REWARDS", "GIFTS", "TIPS", "SERIES", "MARKETPLACE"]


@pytest.fixture
def settings(settings, request):
    """Rules overridden by `@pytest.mark.parametrize("settings", [{...}], indirect=True)`."""
    changes = getattr(request, "param", {})
    return dataclasses.replace(settings, rules=dataclasses.replace(settings.rules, **changes))


# --- helpers -------------------------------------------------------------------------------


async def creator(
    api: Any,
    handle: str,
    views: dict[date, int] | None = None,
    *,
    enrolled: tuple[str, ...] = ("CREATOR_REWARDS",),
    **video: Any,
) -> User:
    """A creator with one qualifying video (61 s, public, original) holding `views`."""
    user = await sign_up(api, handle)
    if enrolled:
        await enrol(api.engine, user, *enrolled)
    if views is not None:
        video_id = await publish(
            api, user, durationSeconds=video.pop("durationSeconds", 61), **video
        )
        await load_views(api.engine, video_id, views)
    return user


async def run(api: Any, staff: User | None, day: date = DAY) -> dict[str, Any]:
    return await api.mutate(
        "runRewardsAccrual",
        {"date": day.isoformat()},
        SUMMARY,
        token=staff.token if staff else None,
    )


def summary(
    credited: int, cents: int, already: int = 0, suspended: int = 0, day: date = DAY
) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "creatorsCredited": credited,
        "credited": {"currency": "USD", "minorUnits": cents, "amount": f"{cents / 100:.2f}"},
        "alreadyCredited": already,
        "suspended": suspended,
        "userErrors": [],
    }


async def rewards(
    api: Any, handle: str, start: date, end: date, token: str | None
) -> list[dict[str, Any]] | None:
    query = (
        "query($h: String!, $f: Date!, $t: Date!) "
        f"{{ account(handle: $h) {{ rewards(from: $f, to: $t) {{ {REWARDS} }} }} }}"
    )
    data = await api.data(query, {"h": handle, "f": str(start), "t": str(end)}, token)
    return data["account"]["rewards"]


def usd(cents: int | None) -> dict[str, Any] | None:
    return None if cents is None else {"currency": "USD", "minorUnits": cents}


def rewards_day(day: date, views: int, estimated: int, credited: int | None) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "qualifiedViews": views,
        "estimated": usd(estimated),
        "credited": usd(credited),
    }


async def credited_on(api: Any, user: User, day: date = DAY) -> int | None:
    days = await rewards(api, user.handle, day, day, user.token)
    assert days is not None
    return None if days[0]["credited"] is None else days[0]["credited"]["minorUnits"]


async def earnings(api: Any, user: User) -> tuple[int, dict[str, int]]:
    """(wallet earnings, earnings by source) in cents, as the owner sees them."""
    query = (
        "{ viewer { wallet { earnings { currency minorUnits } "
        "earningsBySource { source amount { currency minorUnits } } } } }"
    )
    wallet = (await api.data(query, token=user.token))["viewer"]["wallet"]
    assert wallet["earnings"]["currency"] == "USD"
    assert {r["amount"]["currency"] for r in wallet["earningsBySource"]} == {"USD"}
    by_source = {r["source"]: r["amount"]["minorUnits"] for r in wallet["earningsBySource"]}
    assert sorted(by_source) == sorted(ALL_SOURCES)
    return wallet["earnings"]["minorUnits"], by_source


def only_rewards(cents: int) -> dict[str, int]:
    return {source: cents if source == "REWARDS" else 0 for source in ALL_SOURCES}


async def history(api: Any, user: User) -> list[dict[str, Any]]:
    query = (
        "{ viewer { wallet { history { totalCount edges { node { "
        "kind asset amount balanceAfter description } } } } } }"
    )
    found = (await api.data(query, token=user.token))["viewer"]["wallet"]["history"]
    assert found["totalCount"] == len(found["edges"])
    return [e["node"] for e in found["edges"]]


def accrual_entry(cents: int, balance: int, views: str, day: date = DAY) -> dict[str, Any]:
    return {
        "kind": "REWARDS_ACCRUAL",
        "asset": "USD",
        "amount": cents,
        "balanceAfter": balance,
        "description": f"Creator Rewards for {day.isoformat()}: {views} qualified views",
    }


async def accruals(engine: Any) -> list[tuple[int, str, int, int, bool]]:
    """Every recorded (account, day, views, cents, has ledger transaction)."""
    sql = (
        "SELECT account_id, day, qualified_views, cents, ledger_transaction_id IS NOT NULL "
        "FROM rewards_accruals ORDER BY account_id, day"
    )
    async with engine.connect() as c:
        rows = (await c.execute(sa.text(sql))).all()
    return [(a, str(d), v, cents, bool(t)) for a, d, v, cents, t in rows]


async def accrual_transactions(engine: Any) -> int:
    sql = "SELECT count(*) FROM ledger_transactions WHERE kind = 'REWARDS_ACCRUAL'"
    async with engine.connect() as c:
        return (await c.execute(sa.text(sql))).scalar_one()


async def staff_mutate(api: Any, staff: User, name: str, input: dict[str, Any]) -> None:
    payload = await api.mutate(name, input, "account { id }", token=staff.token)
    assert payload["userErrors"] == [], payload


async def switch(api: Any, user: User, account_type: str) -> None:
    payload = await api.mutate(
        "switchAccountType", {"accountType": account_type}, "account { id }", token=user.token
    )
    assert payload["userErrors"] == [], payload


async def suspend(api: Any, staff: User, user: User, how: str) -> None:
    if how in ("BANNED", "RESTRICTED", "WARNED"):
        await set_standing(api.engine, user, how)
    elif how == "POLITICAL":
        await staff_mutate(
            api, staff, "setAccountPolitical", {"accountId": user.id, "isPolitical": True}
        )
    else:
        await switch(api, user, "BUSINESS")


async def restore(api: Any, staff: User, user: User, how: str) -> None:
    if how in ("BANNED", "RESTRICTED"):
        await set_standing(api.engine, user, "GOOD")
    elif how == "POLITICAL":
        await staff_mutate(
            api, staff, "setAccountPolitical", {"accountId": user.id, "isPolitical": False}
        )
    else:
        await switch(api, user, "PERSONAL")


# --- which views qualify -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("video", "deleted", "counts"),
    [
        ({"durationSeconds": 61}, False, True),
        ({"durationSeconds": 3600}, False, True),
        ({"durationSeconds": 60}, False, False),
        ({"durationSeconds": 1}, False, False),
        ({"durationSeconds": 61, "isOriginal": False}, False, False),
        ({"durationSeconds": 61, "visibility": "PRIVATE"}, False, False),
        ({"durationSeconds": 61}, True, False),
    ],
    ids=["61s", "3600s", "60s", "1s", "not-original", "private", "deleted-after-views"],
)
async def test_only_original_public_live_videos_longer_than_a_minute_qualify(
    api, video, deleted, counts
):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    candidate = await publish(api, star, "Candidate", **video)
    await load_views(api.engine, candidate, {DAY: 1_000})
    if deleted:
        payload = await api.mutate(
            "deleteVideo", {"videoId": candidate}, "deletedVideoId", token=star.token
        )
        assert payload["userErrors"] == []
    views, cents = (3_000, 150) if counts else (2_000, 100)

    assert await rewards(api, "star", DAY, DAY, star.token) == [
        rewards_day(DAY, views, cents, None)
    ]
    assert await run(api, staff) == summary(1, cents)
    assert await rewards(api, "star", DAY, DAY, star.token) == [
        rewards_day(DAY, views, cents, cents)
    ]
    assert await accruals(api.engine) == [(star.pk, str(DAY), views, cents, True)]
    assert await earnings(api, star) == (cents, only_rewards(cents))


async def test_views_on_other_days_do_not_count(api):
    staff = await make_staff(api, api.engine)
    before, after = DAY - timedelta(days=1), DAY + timedelta(days=1)
    star = await creator(api, "star", {before: 4_000, DAY: 2_000, after: 6_000})

    assert await run(api, staff) == summary(1, 100)

    assert await rewards(api, "star", before, after, star.token) == [
        rewards_day(before, 4_000, 200, None),
        rewards_day(DAY, 2_000, 100, 100),
        rewards_day(after, 6_000, 300, None),  # today: views so far, not credited
    ]
    assert await earnings(api, star) == (100, only_rewards(100))


# --- the amount ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("views", "cents"),
    [(19, 0), (20, 1), (39, 1), (1_999, 99), (2_000, 100), (1_000_000, 50_000)],
)
async def test_amount_is_views_times_50_per_1000_rounded_down(api, views, cents):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: views})

    assert await run(api, staff) == summary(1, cents)

    assert await rewards(api, "star", DAY, DAY, star.token) == [
        rewards_day(DAY, views, cents, cents)
    ]
    assert await earnings(api, star) == (cents, only_rewards(cents))
    assert await accruals(api.engine) == [(star.pk, str(DAY), views, cents, cents > 0)]
    assert await accrual_transactions(api.engine) == (1 if cents else 0)
    expected = [accrual_entry(cents, cents, f"{views:,}")] if cents else []
    assert await history(api, star) == expected


async def test_accruals_add_up_in_the_wallet_and_its_history(api):
    staff = await make_staff(api, api.engine)
    before = DAY - timedelta(days=1)
    star = await creator(api, "star", {before: 1_999, DAY: 2_000})

    assert await run(api, staff, before) == summary(1, 99, day=before)
    assert await run(api, staff, DAY) == summary(1, 100)

    assert await earnings(api, star) == (199, only_rewards(199))
    assert await history(api, star) == [
        accrual_entry(100, 199, "2,000"),
        accrual_entry(99, 99, "1,999", before),
    ]
    query = '{ account(handle: "star") { wallet { earnings { minorUnits } } } }'
    seen_by_staff = await api.data(query, token=staff.token)
    assert seen_by_staff["account"]["wallet"] == {"earnings": {"minorUnits": 199}}


# --- who accrues ---------------------------------------------------------------------------


async def test_only_creators_enrolled_in_creator_rewards_accrue(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    outsider = await creator(api, "outsider", {DAY: 8_000}, enrolled=())
    other_programs = await creator(
        api, "other", {DAY: 8_000}, enrolled=("TIPS", "LIVE_GIFTS", "CREATOR_MARKETPLACE")
    )

    assert await run(api, staff) == summary(1, 100)

    assert await accruals(api.engine) == [(star.pk, str(DAY), 2_000, 100, True)]
    for user in (outsider, other_programs):
        assert await earnings(api, user) == (0, only_rewards(0))
        assert await rewards(api, user.handle, DAY, DAY, user.token) == [
            rewards_day(DAY, 8_000, 400, None)
        ]


@pytest.mark.parametrize("how", ["BANNED", "RESTRICTED", "POLITICAL", "BUSINESS"])
async def test_a_day_settled_while_suspended_earns_nothing_even_after_restoring(api, how):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    held = await creator(api, "held", {DAY: 4_000})
    await suspend(api, staff, held, how)

    assert await run(api, staff) == summary(1, 100, suspended=1)

    assert await credited_on(api, held) == 0
    assert await earnings(api, held) == (0, only_rewards(0))
    assert sorted(await accruals(api.engine)) == sorted(
        [(star.pk, str(DAY), 2_000, 100, True), (held.pk, str(DAY), 4_000, 0, False)]
    )

    await restore(api, staff, held, how)
    assert await run(api, staff) == summary(0, 0, already=2)  # the day stays settled
    assert await credited_on(api, held) == 0
    assert await earnings(api, held) == (0, only_rewards(0))
    assert await earnings(api, star) == (100, only_rewards(100))
    assert await accrual_transactions(api.engine) == 1


async def test_a_day_settled_while_rewards_are_paused_earns_nothing(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    paused = await creator(api, "paused", {DAY: 4_000})
    payload = await api.mutate(
        "pauseMonetization", {"program": "CREATOR_REWARDS"}, "enrolment { active }",
        token=paused.token,
    )  # fmt: skip
    assert payload == {"enrolment": {"active": False}, "userErrors": []}

    assert await run(api, staff) == summary(1, 100, suspended=1)

    assert await credited_on(api, paused) == 0
    assert await earnings(api, paused) == (0, only_rewards(0))
    assert await earnings(api, star) == (100, only_rewards(100))


async def test_a_warned_creator_still_accrues(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    await suspend(api, staff, star, "WARNED")

    assert await run(api, staff) == summary(1, 100)
    assert await earnings(api, star) == (100, only_rewards(100))


async def test_an_enrolled_creator_without_views_is_recorded_at_zero(api):
    staff = await make_staff(api, api.engine)
    quiet = await creator(api, "quiet")

    assert await run(api, staff) == summary(1, 0)

    assert await accruals(api.engine) == [(quiet.pk, str(DAY), 0, 0, False)]
    assert await credited_on(api, quiet) == 0
    assert await history(api, quiet) == []


# --- once per creator and day --------------------------------------------------------------


async def test_running_twice_for_a_day_credits_once(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    duo = await creator(api, "duo", {DAY: 1_999})
    assert await run(api, staff) == summary(2, 199)
    views_late = await publish(api, star, "Late", durationSeconds=90)
    await load_views(api.engine, views_late, {DAY: 1_000})  # recorded after the run

    assert await run(api, staff) == summary(0, 0, already=2)

    assert await rewards(api, "star", DAY, DAY, star.token) == [rewards_day(DAY, 3_000, 150, 100)]
    assert await earnings(api, star) == (100, only_rewards(100))
    assert await earnings(api, duo) == (99, only_rewards(99))
    assert await accrual_transactions(api.engine) == 2
    assert len(await history(api, star)) == 1


async def test_concurrent_runs_for_a_day_credit_each_creator_once(api):
    staff = await make_staff(api, api.engine)
    views = {"ann": 2_000, "bob": 1_999, "cy": 19, "dee": 40_000}
    creators = [await creator(api, handle, {DAY: n}) for handle, n in views.items()]
    total = 100 + 99 + 0 + 2_000

    first, second = await asyncio.gather(run(api, staff), run(api, staff))

    assert first["userErrors"] == second["userErrors"] == []
    assert first["creatorsCredited"] + second["creatorsCredited"] == 4
    assert first["alreadyCredited"] + second["alreadyCredited"] == 4
    assert first["credited"]["minorUnits"] + second["credited"]["minorUnits"] == total
    assert await accrual_transactions(api.engine) == 3
    assert len(await accruals(api.engine)) == 4
    for user, cents in zip(creators, (100, 99, 0, 2_000), strict=True):
        assert await earnings(api, user) == (cents, only_rewards(cents))
    assert await run(api, staff) == summary(0, 0, already=4)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), TODAY),
        (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), date(2026, 6, 16)),
        (datetime(2026, 6, 15, 12, 0, tzinfo=UTC), date(2030, 1, 1)),
        (datetime(2026, 6, 14, 23, 59, 59, tzinfo=UTC), DAY),
    ],
    ids=["today", "tomorrow", "years-ahead", "last-second-of-the-day"],
)
async def test_a_day_that_is_not_over_is_refused_and_nothing_is_credited(api, clock, now, day):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {day: 2_000, DAY: 2_000})
    clock.set(now)

    payload = await run(api, staff, day)

    assert payload == {
        "date": None,
        "creatorsCredited": None,
        "credited": None,
        "alreadyCredited": None,
        "suspended": None,
        "userErrors": [
            {"code": "DAY_NOT_OVER", "field": ["input", "date"], "message": DAY_NOT_OVER}
        ],
    }
    assert await accruals(api.engine) == []
    assert await earnings(api, star) == (0, only_rewards(0))


async def test_a_day_is_over_at_midnight_utc(api, clock):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    clock.set(datetime(2026, 6, 15, 0, 0, tzinfo=UTC))

    assert await run(api, staff) == summary(1, 100)
    assert await earnings(api, star) == (100, only_rewards(100))


async def test_only_staff_run_the_accrual(api):
    star = await creator(api, "star", {DAY: 2_000})
    other = await sign_up(api, "other")
    query = "mutation($i: RunRewardsAccrualInput!) { runRewardsAccrual(input: $i) { suspended } }"

    for user, code in ((None, "UNAUTHENTICATED"), (other, "FORBIDDEN"), (star, "FORBIDDEN")):
        error = await api.error(query, {"i": {"date": str(DAY)}}, user.token if user else None)
        assert error["extensions"]["code"] == code, user

    assert await accruals(api.engine) == []
    assert await earnings(api, star) == (0, only_rewards(0))


# --- the command line ----------------------------------------------------------------------


async def cli(clock: FrozenClock, *args: str) -> int:
    return await asyncio.to_thread(main, ["jobs", "rewards", *args], clock=clock)


async def test_the_cli_credits_what_the_mutation_credits(api, settings, clock, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    staff = await make_staff(api, api.engine)
    before = DAY - timedelta(days=1)
    same = {before: 2_000, DAY: 2_000}
    star = await creator(api, "star", same)
    duo = await creator(api, "duo", {before: 1_999, DAY: 1_999})
    held = await creator(api, "held", same)
    await suspend(api, staff, held, "BANNED")
    capsys.readouterr()

    assert await cli(clock, "--date", str(DAY)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rewards for {DAY}: 2 creator(s) credited 1.99 USD; 0 already credited; 1 suspended"
    ]
    assert await run(api, staff, before) == summary(2, 199, suspended=1, day=before)

    for user, cents in ((star, 100), (duo, 99)):
        days = await rewards(api, user.handle, before, DAY, user.token)
        assert [d["credited"] for d in days] == [usd(cents), usd(cents)]
        assert await earnings(api, user) == (2 * cents, only_rewards(2 * cents))
    assert await credited_on(api, held) == 0  # settled at nothing while banned

    assert await cli(clock, "--date", str(DAY)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"rewards for {DAY}: 0 creator(s) credited 0.00 USD; 3 already credited; 0 suspended"
    ]
    assert await run(api, staff) == summary(0, 0, already=3)
    assert await accrual_transactions(api.engine) == 4


async def test_the_cli_refuses_a_day_that_is_not_over(api, settings, clock, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    star = await creator(api, "star", {DAY: 2_000})
    capsys.readouterr()

    for day in (TODAY, TODAY + timedelta(days=1), date(2999, 1, 1)):
        assert await cli(clock, "--date", str(day)) == 1
        captured = capsys.readouterr()
        assert captured.err.splitlines() == [DAY_NOT_OVER]
        assert captured.out == ""

    with pytest.raises(SystemExit) as exit_info:
        await cli(clock, "--date", "2026-06-31")
    assert exit_info.value.code == 2
    assert await accruals(api.engine) == []
    assert await earnings(api, star) == (0, only_rewards(0))


# --- Account.rewards -----------------------------------------------------------------------


async def test_rewards_show_each_day_with_credited_null_until_the_run(api):
    staff = await make_staff(api, api.engine)
    start = DAY - timedelta(days=2)
    star = await creator(api, "star", {start: 39, DAY: 1_999, TODAY: 500})
    expected = [
        rewards_day(start, 39, 1, None),
        rewards_day(DAY - timedelta(days=1), 0, 0, None),
        rewards_day(DAY, 1_999, 99, None),
        rewards_day(TODAY, 500, 25, None),
    ]
    assert await rewards(api, "star", start, TODAY, star.token) == expected

    assert await run(api, staff) == summary(1, 99)

    expected[2] = rewards_day(DAY, 1_999, 99, 99)
    assert await rewards(api, "star", start, TODAY, star.token) == expected
    assert await rewards(api, "star", start, TODAY, staff.token) == expected


async def test_rewards_are_hidden_from_everyone_but_the_owner_and_staff(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    other = await creator(api, "other", {DAY: 2_000})
    assert await run(api, staff) == summary(2, 200)
    mine = [rewards_day(DAY, 2_000, 100, 100)]

    assert await rewards(api, "star", DAY, DAY, star.token) == mine
    assert await rewards(api, "star", DAY, DAY, staff.token) == mine
    assert await rewards(api, "star", DAY, DAY, other.token) is None
    assert await rewards(api, "star", DAY, DAY, None) is None


REVERSED = ("The range ends before it starts.", ["to"])
TOO_LONG = ("A range covers at most 92 days.", ["from"])


@pytest.mark.parametrize(
    ("days_after", "length", "refusal"),
    [(0, 1, None), (91, 92, None), (-1, None, REVERSED), (92, None, TOO_LONG),
     (-30, None, REVERSED)],
    ids=["one-day", "92-days", "from-after-to", "93-days", "reversed-month"],
)  # fmt: skip
async def test_rewards_range_is_1_to_92_days(api, days_after, length, refusal):
    star = await creator(api, "star", {DAY: 2_000})
    start, end = DAY - timedelta(days=days_after), DAY
    query = "query($f: Date!, $t: Date!) { viewer { rewards(from: $f, to: $t) { date } } }"
    variables = {"f": str(start), "t": str(end)}

    if length is not None:
        found = (await api.data(query, variables, star.token))["viewer"]["rewards"]
        assert [d["date"] for d in found] == [str(start + timedelta(days=i)) for i in range(length)]
        return
    error = await api.error(query, variables, star.token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (error["message"], error["extensions"]["field"]) == refusal


async def test_rewards_cannot_end_after_today(api, clock):
    star = await creator(api, "star", {DAY: 2_000})
    query = "query($f: Date!, $t: Date!) { viewer { rewards(from: $f, to: $t) { date } } }"
    today = clock.now().date()

    ok = await api.data(query, {"f": str(today), "t": str(today)}, star.token)
    error = await api.error(
        query, {"f": str(today), "t": str(today + timedelta(days=1))}, star.token
    )

    assert [d["date"] for d in ok["viewer"]["rewards"]] == [str(today)]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", ["to"])


# --- rates come from settings --------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{"rewards_cents_per_1000_views": 120, "rewards_min_video_seconds": 30}],
    indirect=True,
)
async def test_rate_and_minimum_length_come_from_settings(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 1_999}, durationSeconds=31)
    too_short = await publish(api, star, "Short", durationSeconds=30)
    await load_views(api.engine, too_short, {DAY: 5_000})

    assert await rewards(api, "star", DAY, DAY, star.token) == [rewards_day(DAY, 1_999, 239, None)]
    assert await run(api, staff) == summary(1, 239)
    assert await earnings(api, star) == (239, only_rewards(239))
    assert await history(api, star) == [accrual_entry(239, 239, "1,999")]


# --- days before the enrolment ---------------------------------------------------------------


@pytest.mark.parametrize(
    "settings", [{"rewards_min_followers": 0, "rewards_min_views": 0}], indirect=True
)
async def test_views_from_before_the_approval_earn_nothing(api, clock):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000, TODAY: 4_000}, enrolled=())
    applied = await api.mutate(
        "applyToProgram",
        await apply_input(api, "CREATOR_REWARDS"),
        "application { id }",
        token=star.token,
    )
    assert applied["userErrors"] == []
    approved = await api.mutate(
        "approveProgramApplication",
        {"applicationId": applied["application"]["id"]},
        "application { status }",
        token=staff.token,
    )
    assert approved["application"] == {"status": "APPROVED"}  # at 2026-06-15T12:00Z
    clock.advance(timedelta(days=1))

    await run(api, staff, DAY)  # the day before the approval
    await run(api, staff, TODAY)  # the day of the approval

    assert await earnings(api, star) == (200, only_rewards(200))
    assert await credited_on(api, star, DAY) in (None, 0)
