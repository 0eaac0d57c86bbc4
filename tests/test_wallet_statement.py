"""The wallet history read as a statement, through the API on both databases.

Each row names the balance it moved (`balance`), and `balanceAfter` is that balance's. The order
is newest first by `createdAt`, ties (one transaction's rows, or transactions at one instant)
broken by a fixed key, so paging one row at a time, forwards or backwards, gives the same list
as one big page; rows committed out of time order (two jobs) still come out by `createdAt`.
Cursors given out before the history was keyed by time (the posting id alone) still page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_cursor
from reelpay.wallet import ledger
from reelpay.wallet.models import (
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    TransactionKind,
)
from tests.factories import User, add_paypal, credit_earnings, new_key, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

ROW = "kind asset balance amount balanceAfter description createdAt"
HISTORY = (
    "query($first: Int, $after: String, $last: Int, $before: String) { viewer { wallet { "
    "history(first: $first, after: $after, last: $last, before: $before) { totalCount "
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
    "edges { cursor node { " + ROW + " } } } } } }"
)
EARLY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SAME = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
LATE = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


async def history(api: Any, user: User, **args: Any) -> dict[str, Any]:
    data = await api.data(HISTORY, args, token=user.token)
    return data["viewer"]["wallet"]["history"]  # type: ignore[no-any-return]


def rows(page: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (n["kind"], n["balance"], n["amount"], n["balanceAfter"], n["createdAt"])
        for n in (e["node"] for e in page["edges"])
    ]


async def credit(api: Any, user: User, cents: int, at: datetime) -> None:
    await credit_earnings(api.engine, user, cents, at=at)


async def test_a_payout_hold_names_the_balance_each_row_moved(api, clock):
    star = await sign_up(api)
    await credit(api, star, 25_000, EARLY)
    method = await add_paypal(api, star)
    payout = await api.mutate(
        "requestPayout",
        {"amountCents": 10_000, "idempotencyKey": new_key(), "methodId": method},
        "payout { status } wallet { earnings { minorUnits } inPayout { minorUnits } }",
        token=star.token,
    )
    assert payout["userErrors"] == []
    now = clock.now().isoformat()

    page = await history(api, star, first=10)

    assert rows(page) == [
        ("PAYOUT_HOLD", "IN_PAYOUT", 10_000, 10_000, now),
        ("PAYOUT_HOLD", "EARNINGS_AVAILABLE", -10_000, 15_000, now),
        ("REWARDS_ACCRUAL", "EARNINGS_AVAILABLE", 25_000, 25_000, EARLY.isoformat()),
    ]
    assert [e["node"]["asset"] for e in page["edges"]] == ["USD", "USD", "USD"]
    # Each row's balanceAfter is the balance the wallet shows for that balance.
    assert payout["wallet"] == {
        "earnings": {"minorUnits": 15_000},
        "inPayout": {"minorUnits": 10_000},
    }


async def test_coins_diamonds_and_pending_earnings_name_their_balance(api):
    fan = await sign_up(api)
    async with create_sessionmaker(api.engine)() as session:

        async def post() -> None:
            await ledger.post(
                session,
                kind=TransactionKind.GIFT,
                legs=[
                    (ledger.platform(LedgerAccountKind.COIN_ISSUANCE), -70),
                    (ledger.user(fan.pk, LedgerAccountKind.COINS), 70),
                    (ledger.platform(LedgerAccountKind.DIAMOND_ISSUANCE), -35),
                    (ledger.user(fan.pk, LedgerAccountKind.DIAMONDS), 35),
                ],
                now=SAME,
                memo="coins and diamonds",
            )

        await run_write(session, post)

    page = await history(api, fan)

    assert sorted((r[1], r[2], r[3]) for r in rows(page)) == [
        ("COINS", 70, 70),
        ("DIAMONDS", 35, 35),
    ]


async def arrange_ties(api: Any) -> User:
    """Six rows: two at EARLY, three transactions at SAME, one at LATE, written out of time
    order (LATE first, EARLY last), as jobs committing in another order than they started."""
    star = await sign_up(api)
    await credit(api, star, 600, LATE)
    for cents in (300, 400, 500):
        await credit(api, star, cents, SAME)
    await credit(api, star, 100, EARLY)
    await credit(api, star, 200, EARLY)
    return star


# Newest first; at one instant, the row written last first (the posting key).
TIED_ORDER = [600, 500, 400, 300, 200, 100]


async def test_rows_come_out_by_created_at_whatever_order_they_were_written_in(api):
    star = await arrange_ties(api)

    page = await history(api, star, first=100)

    assert [r[2] for r in rows(page)] == TIED_ORDER
    times = [r[4] for r in rows(page)]
    assert times == sorted(times, reverse=True)
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (6, False)


async def test_paging_one_row_at_a_time_gives_the_one_big_page(api):
    star = await arrange_ties(api)
    whole = await history(api, star, first=100)

    forwards, after = [], None
    while True:
        page = await history(api, star, first=1, after=after)
        forwards += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backwards, before = [], None
    while True:
        page = await history(api, star, last=1, before=before)
        backwards = page["edges"] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]

    assert [r[2] for r in rows(whole)] == TIED_ORDER
    assert forwards == whole["edges"]
    assert backwards == whole["edges"]


async def test_a_page_of_two_starts_after_the_tie_it_ended_in(api):
    star = await arrange_ties(api)

    first = await history(api, star, first=2)
    second = await history(api, star, first=2, after=first["pageInfo"]["endCursor"])
    back = await history(api, star, last=2, before=second["pageInfo"]["startCursor"])

    assert [r[2] for r in rows(first)] == [600, 500]
    assert [r[2] for r in rows(second)] == [400, 300]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert back["edges"] == first["edges"]


async def posting_ids(api: Any, user: User) -> dict[int, int]:
    """{amount: posting id} of the user's postings (tests only: to build an old cursor)."""
    async with api.engine.connect() as connection:
        found = await connection.execute(
            sa.select(LedgerPosting.amount, LedgerPosting.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
            .where(LedgerAccount.owner_id == user.pk)
        )
        return {amount: pk for amount, pk in found.all()}


async def test_a_cursor_given_out_before_the_history_was_keyed_by_time_still_pages(api):
    star = await arrange_ties(api)
    ids = await posting_ids(api, star)
    old_cursor = encode_cursor((ids[400],))  # what `cursor` was: the posting id alone

    after = await history(api, star, first=2, after=old_cursor)
    before = await history(api, star, last=2, before=old_cursor)

    assert [r[2] for r in rows(after)] == [300, 200]
    assert [r[2] for r in rows(before)] == [600, 500]


@pytest.mark.parametrize("cursor", ["other", "missing", "junk"])
async def test_an_old_cursor_of_no_posting_of_yours_is_an_invalid_cursor(api, cursor):
    star, other = await arrange_ties(api), await sign_up(api)
    await credit(api, other, 700, LATE)
    ids = await posting_ids(api, other)
    value = {
        "other": encode_cursor((ids[700],)),
        "missing": encode_cursor((10**9,)),
        "junk": "bm90IGEgY3Vyc29y",
    }[cursor]

    error = await api.error(HISTORY, {"first": 2, "after": value}, token=star.token)

    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "BAD_USER_INPUT",
        "INVALID_CURSOR",
    )
    assert error["message"] == "`after` is not a cursor this list gave out."


async def test_interleaved_jobs_on_postgresql_still_list_by_created_at(api, backend):
    """Two job runs: the one that started later (LATE) writes its rows first and commits last,
    the earlier one (EARLY) writes and commits in between: posting ids are not time order."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): no interleaving to test")
    star = await sign_up(api)
    maker = create_sessionmaker(api.engine)

    def job(session: Any, kind: TransactionKind, legs: Any, at: datetime) -> Any:
        return ledger.post(
            session,
            kind=kind,
            legs=legs,
            now=at,
            earnings_source=EarningsSource.REWARDS
            if kind is TransactionKind.REWARDS_ACCRUAL
            else None,
            memo=f"job at {at.isoformat()}",
        )

    # Different balances, so neither waits for the other's row lock.
    async with maker() as late, maker() as early:
        await job(
            late,
            TransactionKind.REWARDS_ACCRUAL,
            [
                (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -111),
                (ledger.user(star.pk, LedgerAccountKind.EARNINGS), 111),
            ],
            LATE,
        )
        await late.flush()
        await job(
            early,
            TransactionKind.GIFT,
            [
                (ledger.platform(LedgerAccountKind.DIAMOND_ISSUANCE), -222),
                (ledger.user(star.pk, LedgerAccountKind.DIAMONDS), 222),
            ],
            EARLY,
        )
        await early.commit()
        await late.commit()

    page = await history(api, star, first=10)

    assert rows(page) == [
        ("REWARDS_ACCRUAL", "EARNINGS_AVAILABLE", 111, 111, LATE.isoformat()),
        ("GIFT", "DIAMONDS", 222, 222, EARLY.isoformat()),
    ]
    ids = await posting_ids(api, star)
    assert ids[111] < ids[222]  # the interleaving happened: id order is not time order
