"""What one money mutation costs the database, through the real HTTP stack: one connection
checkout, one transaction, and a fixed list of statements (issue 13).

A mutation authenticates inside its write transaction and reads what its payload shows
there too: no read before it (a second checkout, a second pre-ping) and none after it.
Each statement is named by its verb, the tables it reads or writes and its row lock, so a
failure shows which one came back. SQLite counts its BEGIN IMMEDIATE (sent as a statement);
PostgreSQL's BEGIN goes through the driver.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.settings import Settings
from tests.factories import User, buy_coins, enrol, new_key, publish, sign_up
from tests.test_gifts_live import gift_id, go_live
from tests.test_series_buying import make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The production path: no sandbox clock. Outside production each operation that reads
    data runs one more statement, the sandbox offset's primary-key read (pinned in
    tests/test_sandbox_clock.py)."""
    return dataclasses.replace(settings, sandbox_clock=False)


GIFT = "gift { quantity coins diamonds createdAt } wallet { coins diamonds }"
PURCHASE = "purchase { id coins status createdAt } wallet { coins pendingEarnings { minorUnits } }"


@dataclass
class Costs:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0
    commits: int = 0
    rollbacks: int = 0

    @property
    def named(self) -> list[str]:
        return [name(s) for s in self.statements]


def name(statement: str) -> str:
    """`SELECT accounts+auth_sessions` (tables in name order), `UPDATE ledger_accounts`..."""
    text = " ".join(statement.split())
    if text.startswith("BEGIN"):
        return text
    verb = text.split()[0]
    if verb == "SELECT":
        tables = sorted(set(re.findall(r"\b(?:FROM|JOIN) (\w+)", text)))
        lock = " FOR SHARE" if "FOR SHARE" in text else ""
        return f"SELECT {'+'.join(tables)}{lock}"
    target = re.match(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\w+)", text)
    assert target is not None, text
    return f"{verb} {target[1]}"


@contextmanager
def counting(engine: Any) -> Iterator[Costs]:
    """Statements run, connections checked out, commits and rollbacks, on `engine`."""
    costs = Costs()
    sync = engine.sync_engine

    def statement(_conn: Any, _cursor: Any, text: str, *_: Any) -> None:
        costs.statements.append(text)

    def checkout(*_: Any) -> None:
        costs.checkouts += 1

    def commit(_conn: Any) -> None:
        costs.commits += 1

    def rollback(_conn: Any) -> None:
        costs.rollbacks += 1

    listeners = [
        (sync, "before_cursor_execute", statement),
        (sync.pool, "checkout", checkout),
        (sync, "commit", commit),
        (sync, "rollback", rollback),
    ]
    for target, event, fn in listeners:
        sa.event.listen(target, event, fn)
    try:
        yield costs
    finally:
        for target, event, fn in listeners:
            sa.event.remove(target, event, fn)


def one_transaction(costs: Costs, *, committed: bool) -> None:
    """One checkout (one pre-ping in production), one transaction, ended as expected."""
    assert (costs.checkouts, costs.commits, costs.rollbacks) == (
        (1, 1, 0) if committed else (1, 0, 1)
    ), costs.named


def begin(backend: str) -> list[str]:
    return ["BEGIN IMMEDIATE"] if backend == "sqlite" else []


AUTHENTICATE = "SELECT accounts+auth_sessions"
CLAIM_KEY = "INSERT idempotency_keys"
# `ledger.posting`, first step: the accounts' ids (they exist: no INSERT) with every balance of
# the payer (the payload's wallet: no read after the write), the transaction, and the payer's
# coins, moved only if they stay >= 0.
LEDGER = [
    "SELECT ledger_accounts",
    "INSERT ledger_transactions",
    "UPDATE ledger_accounts",
]
FINISH_KEY = "UPDATE idempotency_keys"
# Its second step, once the payment's own rows are written: the creator's balance (diamonds,
# pending earnings), which every payment to that creator waits for until COMMIT, so it comes
# last with the creator's notification and the outbox; then every posting in one statement.
CREATOR = [
    "UPDATE ledger_accounts",
    "INSERT ledger_postings",
]
BALANCES = "SELECT ledger_accounts"  # the wallet of a replay's payload
# The events the transaction announces (wallet, LIVE), in one statement just before COMMIT:
# written in the same transaction, they reach subscribers of every process even if this one
# dies right after committing (issue 15; on PostgreSQL it also sends the NOTIFY wake-up).
OUTBOX = "INSERT event_outbox"
# The creator's notification (gifts on the video or LIVE, Series sales), batched per subject
# and UTC day: one upsert adds to it or starts it (issue 15).
NOTIFY = "INSERT notifications"


async def table_counts(api: Any) -> dict[str, int]:
    tables = ["idempotency_keys", "ledger_transactions", "ledger_postings", "gift_sends"]
    async with api.engine.connect() as connection:
        return {
            t: int(await connection.scalar(sa.text(f"SELECT count(*) FROM {t}"))) for t in tables
        }


@pytest.fixture
async def on_air(api: Any) -> tuple[User, str, str]:
    """A fan with 700 coins who has already sent a Rose to a creator LIVE now (so every
    ledger account a gift touches exists); returns (fan, LIVE ID, Rose ID)."""
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    live = await go_live(api, creator)
    rose = await gift_id(api, "Rose")
    first = await send(api, fan, {"giftId": rose, "liveId": live, "idempotencyKey": new_key()})
    assert first["userErrors"] == [], first
    return fan, live, rose


async def send(api: Any, fan: User, input: dict[str, Any]) -> dict[str, Any]:
    return await api.mutate("sendGift", input, GIFT, token=fan.token)


async def test_a_gift_is_one_transaction_of_13_statements(api, backend, on_air):
    fan, live, rose = on_air
    input = {"giftId": rose, "liveId": live, "quantity": 3, "idempotencyKey": new_key()}

    with counting(api.engine) as costs:
        payload = await send(api, fan, input)

    assert payload["userErrors"] == []
    assert payload["gift"]["coins"] == 3 and payload["wallet"] == {"coins": 696, "diamonds": 0}
    one_transaction(costs, committed=True)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,  # once, inside the transaction
        CLAIM_KEY,
        "SELECT gifts",
        # The LIVE (held on air) and its creator (standing held), the fan's follow of a
        # private creator and the creator's enrolment, in one statement.
        "SELECT accounts+enrolments+follows+live_streams"
        + (" FOR SHARE" if backend == "postgresql" else ""),
        *LEDGER,
        "INSERT gift_sends",  # not read back: the payload shows the row inserted
        FINISH_KEY,
        *CREATOR,
        NOTIFY,
        OUTBOX,
    ]


async def test_a_gift_to_a_video_is_one_transaction_too(api, backend):
    creator = await sign_up(api, "creator")
    fan = await sign_up(api, "fan")
    await enrol(api.engine, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 700)
    video = await publish(api, creator, "Clip")
    rose = await gift_id(api, "Rose")
    await send(api, fan, {"giftId": rose, "videoId": video, "idempotencyKey": new_key()})

    with counting(api.engine) as costs:
        payload = await send(api, fan, {"giftId": rose, "videoId": video, "idempotencyKey": "v"})

    assert payload["userErrors"] == [] and payload["wallet"]["coins"] == 698
    one_transaction(costs, committed=True)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,
        CLAIM_KEY,
        "SELECT gifts",
        "SELECT accounts+enrolments+follows+videos"
        + (" FOR SHARE" if backend == "postgresql" else ""),
        *LEDGER,
        "INSERT gift_sends",
        FINISH_KEY,
        *CREATOR,
        NOTIFY,
        OUTBOX,
    ]


async def test_a_replayed_gift_is_one_transaction_that_moves_nothing(api, backend, on_air):
    fan, live, rose = on_air
    input = {"giftId": rose, "liveId": live, "quantity": 2, "idempotencyKey": new_key()}
    first = await send(api, fan, input)
    before = await table_counts(api)

    with counting(api.engine) as costs:
        replay = await send(api, fan, input)

    assert replay == first  # the first result, the same balances
    assert await table_counts(api) == before
    one_transaction(costs, committed=True)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,
        CLAIM_KEY,  # conflicts: the key is taken
        "SELECT idempotency_keys",  # its result
        "SELECT gift_sends",  # the first request's gift, for the payload
        BALANCES,
    ]


async def test_a_refused_gift_is_one_transaction_rolled_back(api, backend, on_air):
    fan, live, _ = on_air
    universe = await gift_id(api, "Universe")  # 44,999 coins; the fan has 699
    key = new_key()
    before = await table_counts(api)

    with counting(api.engine) as costs:
        payload = await send(api, fan, {"giftId": universe, "liveId": live, "idempotencyKey": key})

    assert (payload["gift"], payload["wallet"]) == (None, None)
    assert [e["code"] for e in payload["userErrors"]] == ["INSUFFICIENT_COINS"]
    assert await table_counts(api) == before  # nothing written, the key left free
    one_transaction(costs, committed=False)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,
        CLAIM_KEY,
        "SELECT gifts",
        "SELECT accounts+enrolments+follows+live_streams"
        + (" FOR SHARE" if backend == "postgresql" else ""),
        *LEDGER,  # the fan's coins: no row matched, so nothing moved
    ]


async def test_a_gift_without_a_token_costs_no_transaction(api, on_air):
    _, live, rose = on_air
    query = "mutation($input: SendGiftInput!) { sendGift(input: $input) { gift { coins } } }"
    input = {"giftId": rose, "liveId": live, "idempotencyKey": new_key()}

    with counting(api.engine) as costs:
        error = await api.error(query, {"input": input})

    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert (costs.statements, costs.checkouts) == ([], 0)


async def test_buying_a_series_with_coins_is_one_transaction_of_12_statements(api, backend):
    creator = await sign_up(api, "maker")
    fan = await sign_up(api, "fan")
    await enrol(api.engine, creator, "SERIES")
    await buy_coins(api, fan, 700)
    first, second = await make_series(api, creator, 99), await make_series(api, creator, 199)
    await buy_series(api, fan, first, new_key())  # every ledger account now exists
    key = new_key()

    with counting(api.engine) as costs:
        payload = await buy_series(api, fan, second, key)

    assert payload["userErrors"] == []
    assert payload["purchase"]["coins"] == 141  # ceil(199 * 70 / 99)
    assert payload["wallet"] == {"coins": 700 - 70 - 141, "pendingEarnings": {"minorUnits": 0}}
    one_transaction(costs, committed=True)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,
        CLAIM_KEY,
        # The Series, its creator, the buyer's follow and purchases, the creator's enrolment.
        "SELECT accounts+enrolments+follows+series+series_purchases",
        *LEDGER,
        "INSERT series_purchases",
        FINISH_KEY,
        *CREATOR,
        NOTIFY,
        OUTBOX,
    ]

    with counting(api.engine) as costs:
        replay = await buy_series(api, fan, second, key)

    assert replay == payload
    one_transaction(costs, committed=True)
    assert costs.named == [
        *begin(backend),
        AUTHENTICATE,
        CLAIM_KEY,
        "SELECT idempotency_keys",
        "SELECT series_purchases",
        "SELECT series",  # the payload returns the Series too, for normalised caches
        BALANCES,
    ]


async def buy_series(api: Any, fan: User, series_id: str, key: str) -> dict[str, Any]:
    input = {"seriesId": series_id, "paidWith": "COINS", "idempotencyKey": key}
    return await api.mutate("purchaseSeries", input, PURCHASE, token=fan.token)
