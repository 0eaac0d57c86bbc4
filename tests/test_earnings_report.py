"""Earnings reports: per source (pending, available, in payout, paid out) and per UTC day, and
configured holds released by `release_due`.

Rules: payouts draw on the earnings balance as a whole and are matched to the oldest credits
first (FIFO by UTC day, sources in enum order REWARDS, GIFTS, TIPS, SERIES, MARKETPLACE on the
same day), paid out before in payout; a reversal takes back its source's newest credit. Per
source pending + available + inPayout + paidOut = total, and the sources add up to the wallet.
earningsByDay(from, to): both ends included, at most 92 days. *_hold_days put new credits in
pending until `reelpay.wallet.earnings.release_due` releases them (once, even concurrently).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from reelpay.app import create_app
from reelpay.db import create_sessionmaker
from reelpay.series import purchases as series_sales
from reelpay.wallet import earnings
from reelpay.wallet.earnings import SourceBreakdown, allocate
from reelpay.wallet.models import EarningsSource
from tests.conftest import Api
from tests.factories import (
    SUCCESS_TOKEN,
    User,
    add_paypal,
    buy_coins,
    credit_earnings,
    enrol,
    ledger_problems,
    make_staff,
    new_key,
    publish,
    sign_up,
)
from tests.test_gifts_live import gift_id, send
from tests.test_series_buying import REFUNDABLE_UNTIL, buy, make_series, refund
from tests.test_series_buying import make_creator as series_creator

# API tests end with `reelpay ledger verify`; the pure allocate tables need no database.
money = pytest.mark.usefixtures("verify_ledger")

SOURCES = ["REWARDS", "GIFTS", "TIPS", "SERIES", "MARKETPLACE"]
R, G, T, S, M = (EarningsSource(s) for s in SOURCES)
D1, D2, D3, D4 = (date(2026, 6, d) for d in (1, 2, 3, 4))


# --- allocate: pure tables --------------------------------------------------------------------


def figures(result: dict[EarningsSource, SourceBreakdown]) -> dict[str, tuple[int, ...]]:
    """{source: (pending, available, in_payout, paid_out)} for the sources with anything."""
    return {
        s.value: (b.pending, b.available, b.in_payout, b.paid_out)
        for s, b in result.items()
        if b.total
    }


def check_sums(credits, pending, withdrawn, paid_out, result) -> None:
    assert list(result) == list(EarningsSource)  # every source, in enum order
    for source, b in result.items():
        net = sum(c for _, s, c in credits if s is source)
        assert b.source is source
        assert b.total == pending.get(source, 0) + net
        assert b.credited == net  # what `SourceEarnings.amount` (deprecated) reports
        assert b.pending + b.available + b.in_payout + b.paid_out == b.total
        assert min(b.pending, b.available, b.in_payout, b.paid_out) >= 0
    assert sum(b.available for b in result.values()) == sum(c for *_, c in credits) - withdrawn
    assert sum(b.in_payout for b in result.values()) == withdrawn - paid_out
    assert sum(b.paid_out for b in result.values()) == paid_out


ALLOCATIONS = {
    "no withdrawals: everything available, pending kept apart": (
        [(D1, T, 500), (D2, R, 300)], {S: 349}, 0, 0,
        {"REWARDS": (0, 300, 0, 0), "TIPS": (0, 500, 0, 0), "SERIES": (349, 0, 0, 0)},
    ),
    "an older day goes first whatever its source": (
        [(D2, R, 300), (D1, M, 500)], {}, 600, 600,
        {"REWARDS": (0, 200, 0, 100), "MARKETPLACE": (0, 0, 0, 500)},
    ),
    "same day: enum order, not input order": (
        [(D1, M, 100), (D1, S, 100), (D1, T, 100), (D1, G, 100), (D1, R, 100)], {}, 250, 250,
        {"REWARDS": (0, 0, 0, 100), "GIFTS": (0, 0, 0, 100), "TIPS": (0, 50, 0, 50),
         "SERIES": (0, 100, 0, 0), "MARKETPLACE": (0, 100, 0, 0)},
    ),
    "one cent out of a credit": (
        [(D1, G, 1000)], {}, 1, 0, {"GIFTS": (0, 999, 1, 0)},
    ),
    "one cent short of a whole credit, then the whole credit": (
        [(D1, G, 1000), (D2, T, 10)], {}, 1000, 999,
        {"GIFTS": (0, 0, 1, 999), "TIPS": (0, 10, 0, 0)},
    ),
    "everything withdrawn and paid": (
        [(D1, T, 100), (D2, G, 50)], {}, 150, 150,
        {"GIFTS": (0, 0, 0, 50), "TIPS": (0, 0, 0, 100)},
    ),
    "paid takes the oldest, in payout the next oldest": (
        [(D1, R, 100), (D2, G, 100), (D3, T, 100)], {}, 250, 150,
        {"REWARDS": (0, 0, 0, 100), "GIFTS": (0, 0, 50, 50), "TIPS": (0, 50, 50, 0)},
    ),
    "in payout only": (
        [(D1, R, 100), (D2, G, 100)], {}, 150, 0,
        {"REWARDS": (0, 0, 100, 0), "GIFTS": (0, 50, 50, 0)},
    ),
    "a reversal takes its source's newest credit, so the older one is matched first": (
        [(D1, T, 100), (D3, T, 100), (D2, G, 100), (D4, T, -150)], {}, 100, 100,
        {"GIFTS": (0, 50, 0, 50), "TIPS": (0, 0, 0, 50)},
    ),
    "a reversal bigger than the newest credit eats into the one before": (
        [(D1, R, 100), (D2, R, 40), (D3, R, -120), (D2, G, 30)], {}, 30, 0,
        {"REWARDS": (0, 0, 20, 0), "GIFTS": (0, 20, 10, 0)},
    ),
    "a reversal leaves the other sources alone": (
        [(D1, G, 100), (D2, T, 100), (D3, G, -100)], {G: 7}, 50, 20,
        {"GIFTS": (7, 0, 0, 0), "TIPS": (0, 50, 30, 20)},
    ),
    "a whole source reversed before the payout is matched": (
        [(D1, T, 100), (D1, G, 100), (D2, T, -100)], {}, 100, 100,
        {"GIFTS": (0, 0, 0, 100)},
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("credits", "pending", "withdrawn", "paid_out", "expected"),
    list(ALLOCATIONS.values()),
    ids=list(ALLOCATIONS),
)
def test_allocate(credits, pending, withdrawn, paid_out, expected):
    result = allocate(credits, pending=pending, withdrawn=withdrawn, paid_out=paid_out)

    assert figures(result) == expected
    check_sums(credits, pending, withdrawn, paid_out, result)


def test_allocate_with_nothing_lists_every_source_at_zero():
    result = allocate([], pending={}, withdrawn=0, paid_out=0)

    assert result == {s: SourceBreakdown(source=s) for s in EarningsSource}


def test_allocate_sums_always_match_on_random_histories():
    rng = random.Random(6)
    for _ in range(300):
        credits: list[tuple[date, EarningsSource, int]] = []
        held = dict.fromkeys(EarningsSource, 0)
        for day in range(rng.randint(0, 8)):
            for source in rng.sample(list(EarningsSource), rng.randint(1, 5)):
                # a day's net amount; a negative one reverses at most what the source has
                cents = rng.randint(-held[source], 500) or 1
                held[source] += cents
                credits.append((D1 + timedelta(days=day), source, cents))
        rng.shuffle(credits)
        balance = sum(c for *_, c in credits)
        withdrawn = rng.randint(0, balance)
        paid_out = rng.randint(0, withdrawn)
        pending = {s: rng.randint(0, 50) for s in rng.sample(list(EarningsSource), 2)}

        result = allocate(credits, pending=pending, withdrawn=withdrawn, paid_out=paid_out)

        check_sums(credits, pending, withdrawn, paid_out, result)


# --- through the API: earningsBySource and the balances ------------------------------------------

WALLET = """
query($id: ID!) { node(id: $id) { ... on Account { wallet {
  earnings { minorUnits } pendingEarnings { minorUnits } inPayout { minorUnits }
  paidOut { minorUnits }
  earningsBySource { source amount { minorUnits } pending { minorUnits }
    available { minorUnits } inPayout { minorUnits } paidOut { minorUnits } total { minorUnits } }
} } } }
"""
KEYS = ("amount", "pending", "available", "inPayout", "paidOut", "total")


async def report(api: Any, user: User, viewer: User | None = None) -> dict[str, Any]:
    """Wallet balances as ints, and per source (amount, pending, available, inPayout, paidOut,
    total), as `viewer` (default: the owner) sees them."""
    token = (viewer or user).token
    w = (await api.data(WALLET, {"id": user.id}, token=token))["node"]["wallet"]
    assert [s["source"] for s in w["earningsBySource"]] == SOURCES
    by_source = {
        s["source"]: tuple(s[k]["minorUnits"] for k in KEYS) for s in w["earningsBySource"]
    }
    for figures_ in by_source.values():
        assert sum(figures_[1:5]) == figures_[5]  # pending + available + inPayout + paidOut
    names = ("pendingEarnings", "earnings", "inPayout", "paidOut")  # as KEYS[1:5]
    balances = {k: w[k]["minorUnits"] for k in names}
    columns = list(zip(*by_source.values(), strict=True))[1:5]
    assert [sum(c) for c in columns] == list(balances.values())  # sources add up to the wallet
    return {**balances, "sources": by_source}


async def request_payout(api: Any, user: User, cents: int, method_id: str | None = None) -> str:
    input = {"amountCents": cents, "idempotencyKey": new_key()}
    if method_id:
        input["methodId"] = method_id
    payload = await api.mutate("requestPayout", input, "payout { id status }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["payout"]["status"] == "REQUESTED"
    return payload["payout"]["id"]


async def payout_status(api: Any, user: User, payout_id: str) -> str:
    query = "query($id: ID!) { node(id: $id) { ... on Payout { status } } }"
    return (await api.data(query, {"id": payout_id}, token=user.token))["node"]["status"]


async def series_sale(api: Any, creator: User) -> None:
    """One Series sale at the clock: 349 cents of SERIES pending for `creator`."""
    series_id = await make_series(api, creator, 499)
    fan = await sign_up(api, "seriesfan")
    await buy_coins(api, fan, 700)
    assert (await buy(api, fan, series_id))["userErrors"] == []


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


@money
async def test_sources_split_into_pending_available_in_payout_and_paid_out(api, clock):
    creator = await series_creator(api, "maker")
    staff = await make_staff(api, api.engine)
    for cents, source, when in [
        (6_000, "REWARDS", at(1)), (4_000, "TIPS", at(1, 23, 59, 59)), (5_000, "GIFTS", at(2, 0)),
        (7_000, "MARKETPLACE", at(3, 1)), (3_000, "REWARDS", at(3, 22)),
    ]:  # fmt: skip
        await credit_earnings(api.engine, creator, cents, source=source, at=when)
    await series_sale(api, creator)
    amounts = {"REWARDS": 9_000, "GIFTS": 5_000, "TIPS": 4_000, "SERIES": 0, "MARKETPLACE": 7_000}

    before = await report(api, creator)
    assert before == {
        "earnings": 25_000, "pendingEarnings": 349, "inPayout": 0, "paidOut": 0,
        "sources": {
            "REWARDS": (9_000, 0, 9_000, 0, 0, 9_000), "GIFTS": (5_000, 0, 5_000, 0, 0, 5_000),
            "TIPS": (4_000, 0, 4_000, 0, 0, 4_000), "SERIES": (0, 349, 0, 0, 0, 349),
            "MARKETPLACE": (7_000, 0, 7_000, 0, 0, 7_000),
        },
    }  # fmt: skip

    await add_paypal(api, creator)  # the default: paid
    failing = await add_paypal(api, creator, "payout-fail@paypal.example")
    unavailable = await add_paypal(api, creator, "payout-unavailable@paypal.example")
    failed_id = await request_payout(api, creator, 10_000, failing)
    run = await api.mutate("runPayouts", {}, "scheduled paid failed retrying", token=staff.token)
    assert run == {"scheduled": 0, "paid": 0, "failed": 1, "retrying": 0, "userErrors": []}
    assert await report(api, creator) == before  # a failed payout's money is back

    paid_id = await request_payout(api, creator, 12_000)
    flying_id = await request_payout(api, creator, 10_000, unavailable)
    run = await api.mutate("runPayouts", {}, "scheduled paid failed retrying", token=staff.token)
    assert run == {"scheduled": 0, "paid": 1, "failed": 0, "retrying": 1, "userErrors": []}
    assert [await payout_status(api, creator, p) for p in (failed_id, paid_id, flying_id)] == [
        "FAILED", "PAID", "PROCESSING",
    ]  # fmt: skip

    # Paid 12,000: day 1 REWARDS 6,000 and TIPS 4,000 (enum order), day 2 GIFTS 2,000.
    # In payout 10,000: GIFTS 3,000, then day 3 REWARDS 3,000 before MARKETPLACE 4,000.
    after = await report(api, creator)
    assert after == {
        "earnings": 3_000, "pendingEarnings": 349, "inPayout": 10_000, "paidOut": 12_000,
        "sources": {
            "REWARDS": (9_000, 0, 0, 3_000, 6_000, 9_000),
            "GIFTS": (5_000, 0, 0, 3_000, 2_000, 5_000),
            "TIPS": (4_000, 0, 0, 0, 4_000, 4_000),
            "SERIES": (0, 349, 0, 0, 0, 349),
            "MARKETPLACE": (7_000, 0, 3_000, 4_000, 0, 7_000),
        },
    }  # fmt: skip
    assert {s: f[0] for s, f in after["sources"].items()} == amounts  # deprecated: unchanged
    assert await report(api, creator, viewer=staff) == after

    # The sale's refund window closes: released on that day, so the newest credit.
    clock.set(datetime.fromisoformat(REFUNDABLE_UNTIL))
    maker = create_sessionmaker(api.engine)
    assert await series_sales.release_due(maker, now=clock.now()) == (1, 349)
    released = await report(api, creator)
    assert released["sources"]["SERIES"] == (349, 0, 349, 0, 0, 349)
    assert {k: v for k, v in released.items() if k != "sources"} == {
        "earnings": 3_349, "pendingEarnings": 0, "inPayout": 10_000, "paidOut": 12_000,
    }  # fmt: skip
    assert {s: released["sources"][s] for s in SOURCES if s != "SERIES"} == {
        s: after["sources"][s] for s in SOURCES if s != "SERIES"
    }


# --- earningsByDay ---------------------------------------------------------------------------

BY_DAY = """
query($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on Account { wallet {
  earningsByDay(from: $from, to: $to) { date total { minorUnits }
    bySource { source amount { minorUnits } } }
} } } }
"""


async def by_day_body(api: Any, user: User, start: date, end: date, viewer: User | None = None):
    variables = {"id": user.id, "from": start.isoformat(), "to": end.isoformat()}
    token = (viewer or user).token
    response = await api.post(BY_DAY, variables, token)
    assert response.status_code == 200, response.text
    return response.json()


async def by_day(api: Any, user: User, start: date, end: date, viewer: User | None = None):
    """[(date, total, {source: cents} without zeros)]; checks enum order and the totals."""
    body = await by_day_body(api, user, start, end, viewer)
    assert "errors" not in body, body["errors"]
    days = body["data"]["node"]["wallet"]["earningsByDay"]
    found = []
    for d in days:
        assert [s["source"] for s in d["bySource"]] == SOURCES
        cents = {s["source"]: s["amount"]["minorUnits"] for s in d["bySource"]}
        assert sum(cents.values()) == d["total"]["minorUnits"]
        found.append((d["date"], d["total"]["minorUnits"], {k: v for k, v in cents.items() if v}))
    return found


@money
async def test_earnings_by_day_buckets_by_utc_day_with_both_ends_included(api, clock):
    creator = await series_creator(api, "maker")
    for cents, source, when in [
        (1, "REWARDS", at(1) - timedelta(hours=12, seconds=1)),  # May 31 23:59:59: before
        (10, "GIFTS", at(1, 0)), (20, "TIPS", at(1, 23, 59, 59)),
        (40, "GIFTS", at(1, 23, 59, 59) + timedelta(microseconds=999_999)),
        (300, "MARKETPLACE", at(2, 0)), (5, "REWARDS", at(2, 13)),
        (700, "TIPS", at(4, 23, 59, 59)),
        (9_000, "REWARDS", at(5, 0)),  # June 5 00:00:00: after
    ]:  # fmt: skip
        await credit_earnings(api.engine, creator, cents, source=source, at=when)
    await series_sale(api, creator)  # June 15, pending: counted on the day it was earned
    await add_paypal(api, creator)
    await request_payout(api, creator, 10_000)  # payouts are not earnings

    assert await by_day(api, creator, D1, D4) == [
        ("2026-06-01", 70, {"GIFTS": 50, "TIPS": 20}),  # 23:59:59.999999 still June 1
        ("2026-06-02", 305, {"REWARDS": 5, "MARKETPLACE": 300}),
        ("2026-06-03", 0, {}),
        ("2026-06-04", 700, {"TIPS": 700}),
    ]
    assert await by_day(api, creator, D4, D4) == [("2026-06-04", 700, {"TIPS": 700})]
    assert await by_day(api, creator, date(2026, 5, 31), date(2026, 5, 31)) == [
        ("2026-05-31", 1, {"REWARDS": 1})
    ]
    sale_day = [("2026-06-15", 349, {"SERIES": 349})]
    assert await by_day(api, creator, date(2026, 6, 15), date(2026, 6, 15)) == sale_day

    # The sale's release (June 23) is not earned again on that day.
    clock.set(datetime.fromisoformat(REFUNDABLE_UNTIL))
    assert await series_sales.release_due(create_sessionmaker(api.engine), now=clock.now()) == (
        1, 349,
    )  # fmt: skip
    after = await by_day(api, creator, date(2026, 6, 15), date(2026, 6, 23))
    assert after == sale_day + [(f"2026-06-{d}", 0, {}) for d in range(16, 24)]


@money
async def test_earnings_by_day_allows_92_days_and_refuses_93_or_a_reversed_range(api):
    creator = await sign_up(api, "maker")
    await credit_earnings(api.engine, creator, 123, source="TIPS", at=at(1, 0))
    start = date(2026, 3, 2)
    longest = start + timedelta(days=91)
    assert longest == D1

    days = await by_day(api, creator, start, longest)
    assert [d[0] for d in days] == [(start + timedelta(days=i)).isoformat() for i in range(92)]
    assert days[-1] == ("2026-06-01", 123, {"TIPS": 123}) and sum(d[1] for d in days) == 123

    for bad_from, bad_to, field in [
        (start - timedelta(days=1), longest, ["from"]),  # 93 days
        (D2, D1, ["to"]),  # ends before it starts
        (D1, date(2026, 2, 1), ["to"]),
    ]:
        body = await by_day_body(api, creator, bad_from, bad_to)
        assert len(body["errors"]) == 1, body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["reason"] == "INVALID_INPUT"
        assert error["extensions"]["field"] == field
        assert body["data"] is None or body["data"]["node"]["wallet"] is None


@money
async def test_a_refunded_sale_counts_back_on_the_refund_day(api, clock):
    creator = await series_creator(api, "maker")
    series_id = await make_series(api, creator, 499)
    fan = await sign_up(api, "seriesfan")
    await buy_coins(api, fan, 700)
    purchase = (await buy(api, fan, series_id))["purchase"]
    staff = await make_staff(api, api.engine)
    clock.set(clock.now() + timedelta(days=1))
    assert (await refund(api, staff, purchase["id"]))["userErrors"] == []

    assert await by_day(api, creator, date(2026, 6, 15), date(2026, 6, 16)) == [
        ("2026-06-15", 349, {"SERIES": 349}), ("2026-06-16", -349, {"SERIES": -349}),
    ]  # fmt: skip
    assert (await report(api, creator))["sources"]["SERIES"] == (0,) * 6


@money
async def test_earnings_by_day_cannot_end_after_today(api, clock):
    creator = await sign_up(api, "maker")
    today = clock.now().date()
    assert [d[0] for d in await by_day(api, creator, today, today)] == [today.isoformat()]

    for end in (today + timedelta(days=1), date(9999, 12, 31)):  # the last one once gave a 500
        body = await by_day_body(api, creator, end, end)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["field"] == ["to"]


@money
async def test_a_malformed_date_is_a_client_error(api):
    creator = await sign_up(api, "maker")
    variables = {"id": creator.id, "from": "2026-13-01", "to": "2026-06-01"}

    body = await api.execute(BY_DAY, variables, token=creator.token)

    assert len(body["errors"]) == 1, body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$from" in body["errors"][0]["message"]


@money
async def test_only_the_owner_and_staff_see_a_wallet(api):
    creator = await sign_up(api, "maker")
    other = await sign_up(api, "other")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, creator, 250, source="GIFTS", at=at(2, 8))
    expected = [("2026-06-01", 0, {}), ("2026-06-02", 250, {"GIFTS": 250})]

    assert await by_day(api, creator, D1, D2) == expected
    assert await by_day(api, creator, D1, D2, viewer=staff) == expected
    for token in (other.token, None):
        body = await api.execute(WALLET, {"id": creator.id}, token=token)
        assert body == {"data": {"node": {"wallet": None}}}
        variables = {"id": creator.id, "from": "2026-06-01", "to": "2026-06-02"}
        body = await api.execute(BY_DAY, variables, token=token)
        assert body == {"data": {"node": {"wallet": None}}}


# --- holds -----------------------------------------------------------------------------------

HOLD_DAYS = 3


@pytest.fixture
async def held_api(settings, clock, clean_db) -> AsyncIterator[Api]:
    """The app with tips and gifts held for 3 days (REELPAY_TIPS_HOLD_DAYS, ..._GIFTS_...)."""
    rules = dataclasses.replace(settings.rules, tips_hold_days=HOLD_DAYS, gifts_hold_days=HOLD_DAYS)
    app = create_app(dataclasses.replace(settings, rules=rules), clock=clock, engine=clean_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, clean_db, app)


async def tipped(api: Any, *cents: int) -> User:
    """A creator enrolled in Tips who received card tips of `cents` at the clock."""
    creator = await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    fan = await sign_up(api, "tipper")
    for amount in cents:
        input = {
            "creatorId": creator.id, "amountCents": amount, "method": "CARD",
            "anonymous": False, "idempotencyKey": new_key(), "paymentToken": SUCCESS_TOKEN,
        }  # fmt: skip
        payload = await api.mutate("sendTip", input, "tip { method }", token=fan.token)
        assert payload["userErrors"] == [], payload["userErrors"]
    return creator


async def release(api: Any, now: datetime) -> tuple[int, int]:
    return await earnings.release_due(create_sessionmaker(api.engine), now=now)


async def count(api: Any, sql: str) -> int:
    async with api.engine.connect() as connection:
        return int(await connection.scalar(sa.text(sql)))


def held(source: str, cents: int, *, released: bool) -> dict[str, Any]:
    figures_ = (cents, 0, cents, 0, 0, cents) if released else (0, cents, 0, 0, 0, cents)
    return {
        "earnings": cents if released else 0, "pendingEarnings": 0 if released else cents,
        "inPayout": 0, "paidOut": 0,
        "sources": {s: figures_ if s == source else (0,) * 6 for s in SOURCES},
    }  # fmt: skip


@money
async def test_held_tips_are_pending_until_the_hold_ends_then_released_once(held_api, clock):
    api = held_api
    creator = await tipped(api, 7_500, 7_000)
    await add_paypal(api, creator)
    tipped_at = clock.now()

    assert await report(api, creator) == held("TIPS", 14_500, released=False)
    # held money cannot be paid out: nothing moves
    refused = await api.mutate(
        "requestPayout", {"amountCents": 10_000, "idempotencyKey": new_key()},
        "payout { id } wallet { earnings { minorUnits } }", token=creator.token,
    )  # fmt: skip
    assert [e["code"] for e in refused["userErrors"]] == ["INSUFFICIENT_EARNINGS"]
    assert refused["payout"] is None
    assert await count(api, "SELECT count(*) FROM payouts") == 0
    assert await report(api, creator) == held("TIPS", 14_500, released=False)

    assert await release(api, tipped_at + timedelta(days=HOLD_DAYS, seconds=-1)) == (0, 0)
    assert await report(api, creator) == held("TIPS", 14_500, released=False)

    clock.set(tipped_at + timedelta(days=HOLD_DAYS))
    assert await release(api, clock.now()) == (2, 14_500)
    assert await report(api, creator) == held("TIPS", 14_500, released=True)
    assert await ledger_problems(api.engine) == []

    assert await release(api, clock.now()) == (0, 0)
    assert await release(api, clock.now() + timedelta(days=30)) == (0, 0)
    assert await report(api, creator) == held("TIPS", 14_500, released=True)
    # counted on the day they were tipped, not on the day they were released
    assert await by_day(api, creator, tipped_at.date(), clock.now().date()) == [
        ("2026-06-15", 14_500, {"TIPS": 14_500}), ("2026-06-16", 0, {}),
        ("2026-06-17", 0, {}), ("2026-06-18", 0, {}),
    ]  # fmt: skip
    await request_payout(api, creator, 10_000)
    paying = await report(api, creator)
    assert (paying["earnings"], paying["inPayout"], paying["sources"]["TIPS"]) == (
        4_500, 10_000, (14_500, 0, 4_500, 10_000, 0, 14_500),
    )  # fmt: skip


@money
async def test_concurrent_releases_release_each_hold_once(held_api, clock):
    api = held_api
    creator = await tipped(api, 1_000, 2_500, 100)
    due = clock.now() + timedelta(days=HOLD_DAYS)

    results = await asyncio.gather(release(api, due), release(api, due))

    assert sum(n for n, _ in results) == 3
    assert sum(c for _, c in results) == 3_600
    assert await report(api, creator) == held("TIPS", 3_600, released=True)
    assert await count(api, "SELECT count(*) FROM ledger_transactions "
                            "WHERE kind = 'EARNINGS_RELEASE'") == 3  # fmt: skip
    assert await count(api, "SELECT count(*) FROM earnings_holds "
                            "WHERE released_at IS NULL") == 0  # fmt: skip


@money
async def test_without_a_hold_a_tip_is_available_at_once(api, clock):
    creator = await tipped(api, 1_000)

    assert await report(api, creator) == held("TIPS", 1_000, released=True)
    assert await count(api, "SELECT count(*) FROM earnings_holds") == 0
    assert await release(api, clock.now() + timedelta(days=365)) == (0, 0)
    assert await report(api, creator) == held("TIPS", 1_000, released=True)


async def redeemed_diamonds(api: Any) -> tuple[User, dict[str, Any]]:
    """A LIVE-gifts creator given 700 diamonds who redeemed them all (350 cents)."""
    creator = await sign_up(api, "creator")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    video = await publish(api, creator)
    sent = await send(api, fan, await gift_id(api, "Hand Hearts"), quantity=7, video=video)
    assert sent["userErrors"] == []
    payload = await api.mutate(
        "redeemDiamonds", {"idempotencyKey": new_key()},
        "diamondsRedeemed earningsAdded { minorUnits } wallet { diamonds }", token=creator.token,
    )  # fmt: skip
    assert payload["userErrors"] == []
    return creator, payload


@money
async def test_held_redeemed_diamonds_are_pending_until_the_hold_ends(held_api, clock):
    api = held_api
    creator, payload = await redeemed_diamonds(api)
    assert (payload["diamondsRedeemed"], payload["earningsAdded"]) == (700, {"minorUnits": 350})
    redeemed_at = clock.now()

    assert await report(api, creator) == held("GIFTS", 350, released=False)
    assert await release(api, redeemed_at + timedelta(days=HOLD_DAYS, seconds=-1)) == (0, 0)
    assert await release(api, redeemed_at + timedelta(days=HOLD_DAYS)) == (1, 350)
    assert await release(api, redeemed_at + timedelta(days=HOLD_DAYS)) == (0, 0)
    assert await report(api, creator) == held("GIFTS", 350, released=True)


@money
async def test_without_a_hold_redeemed_diamonds_are_available_at_once(api):
    creator, _ = await redeemed_diamonds(api)

    assert await report(api, creator) == held("GIFTS", 350, released=True)
    assert await count(api, "SELECT count(*) FROM earnings_holds") == 0
