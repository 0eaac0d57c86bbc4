"""The double-entry ledger at service level (against the real database), its audit, idempotency
keys, the pure money rules, and a randomized property test of the money API against a model."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from reelpay.db import run_write
from reelpay.errors import DomainError, ErrorCode
from reelpay.settings import Rules
from reelpay.wallet import audit, idempotency, ledger
from reelpay.wallet import rules as money
from reelpay.wallet.ledger import InsufficientFunds, Ref
from reelpay.wallet.models import (
    CAMPAIGN_KINDS,
    USER_KINDS,
    EarningsSource,
    LedgerAccountKind,
    TransactionKind,
)
from reelpay.wallet.models import LedgerAccount as Acct
from reelpay.wallet.models import LedgerPosting as Posting
from reelpay.wallet.models import LedgerTransaction as Tx
from tests.factories import (
    DECLINED_TOKEN,
    SUCCESS_TOKEN,
    User,
    enrol,
    ledger_problems,
    new_key,
    package_id,
    publish,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
K = LedgerAccountKind
RULES = Rules()
ISSUE, SPENT = ledger.platform(K.COIN_ISSUANCE), ledger.platform(K.COINS_SPENT)
DIAMOND_ISSUE, PAYABLES = ledger.platform(K.DIAMOND_ISSUANCE), ledger.platform(K.CREATOR_PAYABLES)
COUNTERPART = {K.COINS: ISSUE, K.DIAMONDS: DIAMOND_ISSUE, K.EARNINGS: PAYABLES}
KEY_FIELD = ("input", "idempotencyKey")


@pytest.fixture
def settings(settings):
    rules = dataclasses.replace(settings.rules, tips_min_followers=1)
    return dataclasses.replace(settings, rules=rules)


# --- helpers ----------------------------------------------------------------------------------


async def post(db, legs, kind=TransactionKind.COIN_PURCHASE, **fields) -> int:
    """Post as the app does (through run_write); the new transaction's id."""
    tx = await run_write(db, lambda: ledger.post(db, kind=kind, legs=legs, now=NOW, **fields))
    return tx.id


async def fund(db, owner: int, amount: int, kind: LedgerAccountKind = K.COINS) -> int:
    """Credit a user account from its platform counterpart."""
    return await post(db, [(COUNTERPART[kind], -amount), (ledger.user(owner, kind), amount)])


async def gift(db, sender: int, creator: int, coins: int) -> int:
    legs = [(ledger.user(sender, K.COINS), -coins), (SPENT, coins), (DIAMOND_ISSUE, -coins)]
    legs.append((ledger.user(creator, K.DIAMONDS), coins))
    return await post(db, legs, kind=TransactionKind.GIFT, actor_id=sender)


async def reverse(db, transaction_id: int, **fields) -> int:
    reversal = await run_write(db, lambda: ledger.reverse(db, transaction_id, now=NOW, **fields))
    return reversal.id


async def rows(engine, stmt) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in (await connection.execute(stmt)).all()]


async def raw(engine, stmt) -> None:
    async with engine.begin() as connection:
        await connection.execute(stmt)


async def balances(engine) -> dict[str, int | None]:
    return dict(await rows(engine, sa.select(Acct.key, Acct.balance)))


async def snapshot(engine) -> tuple[Any, ...]:
    """Everything the ledger holds: a failed write must leave it as it was."""
    postings = await rows(engine, sa.select(Posting.__table__).order_by(Posting.id))
    transactions = await rows(engine, sa.select(Tx.__table__).order_by(Tx.id))
    return await balances(engine), transactions, postings


async def postings_of(engine, transaction_id: int) -> list[tuple[Any, ...]]:
    """(account key, asset, amount, balance_after) of a transaction, by account key."""
    stmt = (
        sa.select(Acct.key, Posting.asset, Posting.amount, Posting.balance_after)
        .join(Acct, Acct.id == Posting.ledger_account_id)
        .where(Posting.transaction_id == transaction_id)
    )
    return sorted(await rows(engine, stmt))


def problem(error: DomainError) -> tuple[ErrorCode, tuple[str, ...] | None]:
    assert len(error.problems) == 1
    return error.problems[0].code, error.problems[0].field


async def owners(api, n: int = 2) -> list[int]:
    return [(await sign_up(api)).pk for _ in range(n)]


EMPTY = ({}, [], [])

# --- 1. ledger.post ---------------------------------------------------------------------------


async def test_post_moves_cached_balances_and_records_balance_after(api, db, clean_db):
    # given two users
    a, b = await owners(api)
    # when a buys 100 coins and gifts 30 of them to b
    bought = await fund(db, a, 100)
    gifted = await gift(db, a, b, 30)
    # then each transaction's postings carry the user balance after them (platform: none)
    assert await postings_of(clean_db, bought) == [
        ("platform:COIN_ISSUANCE", "COIN", -100, None),
        (f"user:{a}:COINS", "COIN", 100, 100),
    ]
    assert await postings_of(clean_db, gifted) == [
        ("platform:COINS_SPENT", "COIN", 30, None),
        ("platform:DIAMOND_ISSUANCE", "DIAMOND", -30, None),
        (f"user:{a}:COINS", "COIN", -30, 70),
        (f"user:{b}:DIAMONDS", "DIAMOND", 30, 30),
    ]
    # and user accounts cache their balance; platform accounts do not
    assert await balances(clean_db) == {
        "platform:COIN_ISSUANCE": None,
        "platform:COINS_SPENT": None,
        "platform:DIAMOND_ISSUANCE": None,
        f"user:{a}:COINS": 70,
        f"user:{b}:DIAMONDS": 30,
    }
    assert await rows(clean_db, sa.select(Tx.kind, Tx.actor_id).order_by(Tx.id)) == [
        ("COIN_PURCHASE", None),
        ("GIFT", a),
    ]
    assert await audit.verify(db) == []


def coins_of(a: int) -> Ref:
    return ledger.user(a, K.COINS)


@pytest.mark.parametrize(
    "legs",
    [
        pytest.param(lambda a: [(coins_of(a), 100)], id="one-sided"),
        pytest.param(lambda a: [(coins_of(a), 100), (ISSUE, -99)], id="off-by-one"),
        pytest.param(lambda a: [(coins_of(a), 100), (DIAMOND_ISSUE, -100)], id="across-assets"),
        pytest.param(lambda a: [], id="empty"),
        pytest.param(lambda a: [(coins_of(a), 5), (coins_of(a), -5)], id="nets-to-nothing"),
    ],
)
async def test_post_refuses_unbalanced_legs_and_writes_nothing(api, db, clean_db, legs):
    (a,) = await owners(api, 1)
    await fund(db, a, 10)
    before = await snapshot(clean_db)

    with pytest.raises(ValueError):
        await post(db, legs(a))

    assert await snapshot(clean_db) == before


@pytest.mark.parametrize("amount", [100.0, Decimal(100), "100", True, None])
async def test_post_refuses_amounts_that_are_not_int(api, db, clean_db, amount):
    (a,) = await owners(api, 1)

    with pytest.raises(TypeError):
        await post(db, [(coins_of(a), amount), (ISSUE, -100)])

    assert await snapshot(clean_db) == EMPTY


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (K.COINS, ErrorCode.INSUFFICIENT_COINS),
        (K.DIAMONDS, ErrorCode.INSUFFICIENT_DIAMONDS),
        (K.EARNINGS, ErrorCode.INVALID_AMOUNT),
    ],
)
async def test_user_debit_beyond_balance_is_insufficient_and_writes_nothing(
    api, db, clean_db, kind, code
):
    # given a user holding 10 of the asset
    (a,) = await owners(api, 1)
    await fund(db, a, 10, kind)
    before = await snapshot(clean_db)
    mine, theirs = ledger.user(a, kind), COUNTERPART[kind]

    # when they would spend 11
    with pytest.raises(InsufficientFunds) as raised:
        await post(db, [(mine, -11), (theirs, 11)])

    # then the code names the asset and nothing moved
    assert problem(raised.value) == (code, None)
    assert await snapshot(clean_db) == before
    # and spending exactly the balance is fine
    await post(db, [(mine, -10), (theirs, 10)])
    assert (await balances(clean_db))[mine.key] == 0


async def test_debit_of_a_user_without_an_account_creates_no_account(api, db, clean_db):
    (a,) = await owners(api, 1)

    with pytest.raises(InsufficientFunds) as raised:
        await post(db, [(coins_of(a), -1), (ISSUE, 1)])

    assert problem(raised.value) == (ErrorCode.INSUFFICIENT_COINS, None)
    assert await snapshot(clean_db) == EMPTY


async def test_a_failed_debit_rolls_back_credits_already_applied(api, db, clean_db):
    # given b's coin account is older than a's, so b is credited before a is debited
    a, b = await owners(api)
    await fund(db, b, 10)
    await fund(db, a, 100)
    before = await snapshot(clean_db)

    with pytest.raises(InsufficientFunds):
        await post(db, [(coins_of(a), -150), (coins_of(b), 150)])

    assert await snapshot(clean_db) == before
    assert (await balances(clean_db))[f"user:{b}:COINS"] == 10


async def test_legs_on_the_same_account_are_netted(api, db, clean_db):
    # given a user with no coins
    (a,) = await owners(api, 1)

    # when a transaction debits 40 and credits 50 on their coin account
    tx = await post(db, [(coins_of(a), -40), (coins_of(a), 50), (ISSUE, -50), (ISSUE, 40)])

    # then one posting per account carries the net amount (the -40 never hit the balance)
    assert await postings_of(clean_db, tx) == [
        ("platform:COIN_ISSUANCE", "COIN", -10, None),
        (f"user:{a}:COINS", "COIN", 10, 10),
    ]


@pytest.mark.parametrize("kind", list(LedgerAccountKind))
def test_refs_name_an_owner_for_user_kinds_and_a_campaign_for_escrow_kinds(kind):
    if kind in USER_KINDS:
        assert Ref(kind, 7).key == f"user:7:{kind.value}"
        bad = [(kind,), (kind, None, 7), (kind, 7, 7)]
    elif kind in CAMPAIGN_KINDS:
        assert Ref(kind, campaign_id=7).key == f"campaign:7:{kind.value}"
        bad = [(kind,), (kind, 7), (kind, 7, 7)]
    else:
        assert Ref(kind).key == f"platform:{kind.value}"
        bad = [(kind, 7), (kind, None, 7)]
    for arguments in bad:
        with pytest.raises(ValueError):
            Ref(*arguments)


# --- 2. the database backs the service ------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE ledger_accounts SET balance = -1 WHERE owner_id = :a", id="negative"),
        pytest.param("UPDATE ledger_accounts SET balance = NULL WHERE owner_id = :a", id="null"),
        pytest.param("UPDATE ledger_accounts SET balance = 5 WHERE owner_id IS NULL", id="plat"),
        pytest.param("UPDATE ledger_postings SET amount = 0", id="zero-posting"),
    ],
)
async def test_database_checks_refuse_what_the_service_never_writes(api, db, clean_db, statement):
    (a,) = await owners(api, 1)
    await fund(db, a, 10)
    before = await snapshot(clean_db)
    bound = sa.text(statement).bindparams(a=a) if ":a" in statement else sa.text(statement)

    with pytest.raises(IntegrityError):
        await raw(clean_db, bound)

    assert await snapshot(clean_db) == before


# --- 3. ledger.reverse ------------------------------------------------------------------------


async def test_reverse_negates_every_posting_once(api, db, clean_db):
    # given a tipped b 100 cents with 71 coins
    a, b = await owners(api)
    await fund(db, a, 100)
    legs = [(coins_of(a), -71), (SPENT, 71), (PAYABLES, -100), (ledger.user(b, K.EARNINGS), 100)]
    tip = await post(db, legs, TransactionKind.TIP, earnings_source=EarningsSource.TIPS)

    # when staff reverse it
    reversal = await reverse(db, tip, actor_id=b)

    # then every posting is negated, the balances are back, and the reversal names the tip
    negated = [(key, asset, -amount) for key, asset, amount, _ in await postings_of(clean_db, tip)]
    assert [p[:3] for p in await postings_of(clean_db, reversal)] == negated
    assert {k: v for k, v in (await balances(clean_db)).items() if k.startswith("user")} == {
        f"user:{a}:COINS": 100,
        f"user:{b}:EARNINGS": 0,
    }
    columns = (Tx.kind, Tx.reverses_id, Tx.earnings_source, Tx.actor_id, Tx.memo)
    assert await rows(clean_db, sa.select(*columns).where(Tx.id == reversal)) == [
        ("REVERSAL", tip, "TIPS", b, f"Reversal of transaction {tip}")
    ]

    # and a second reversal of the same transaction is refused by the unique reverses_id
    before = await snapshot(clean_db)
    with pytest.raises(IntegrityError):
        await reverse(db, tip)
    with pytest.raises(ValueError):  # and there is nothing to reverse for an unknown id
        await reverse(db, 999)
    assert await snapshot(clean_db) == before


@pytest.mark.parametrize("asset", ["coins", "diamonds"])
async def test_reversal_that_would_overdraw_a_user_is_insufficient(api, db, clean_db, asset):
    # given a bought 100 coins and gave 80 to b, who then spent 20 of the diamonds
    a, b = await owners(api)
    bought = await fund(db, a, 100)
    gifted = await gift(db, a, b, 80)
    await post(db, [(ledger.user(b, K.DIAMONDS), -20), (DIAMOND_ISSUE, 20)])
    before = await snapshot(clean_db)
    target, code = {
        "coins": (bought, ErrorCode.INSUFFICIENT_COINS),  # a holds 20 of the 100 coins
        "diamonds": (gifted, ErrorCode.INSUFFICIENT_DIAMONDS),  # b holds 60 of the 80
    }[asset]

    with pytest.raises(InsufficientFunds) as raised:
        await reverse(db, target)

    assert problem(raised.value) == (code, None)
    assert await snapshot(clean_db) == before


# --- 4. audit.verify --------------------------------------------------------------------------


@pytest.fixture
async def sound(api, db):
    """a bought 100 coins and gifted 30 to b: (a, purchase id, gift id), audited sound."""
    a, b = await owners(api)
    bought = await fund(db, a, 100)
    gifted = await gift(db, a, b, 30)
    assert await audit.verify(db) == []
    return a, bought, gifted


async def test_verify_names_a_transaction_that_does_not_sum_to_zero(sound, clean_db):
    _, _, gifted = sound
    [(spent,)] = await rows(clean_db, sa.select(Acct.id).where(Acct.key == SPENT.key))
    bad = dict(transaction_id=gifted, ledger_account_id=spent, asset="COIN", amount=5)
    await raw(clean_db, sa.insert(Posting).values(bad))

    assert await ledger_problems(clean_db) == [
        f"transaction {gifted} does not sum to zero in COIN: 5"
    ]

    await raw(clean_db, sa.delete(Posting).where(Posting.amount == 5))
    assert await ledger_problems(clean_db) == []


async def test_verify_names_a_cached_balance_that_drifts(sound, clean_db):
    a, *_ = sound
    account = sa.update(Acct).where(Acct.key == f"user:{a}:COINS")
    await raw(clean_db, account.values(balance=Acct.balance + 7))

    assert await ledger_problems(clean_db) == [
        f"user:{a}:COINS caches balance 77 but its postings sum to 70"
    ]

    await raw(clean_db, account.values(balance=Acct.balance - 7))
    assert await ledger_problems(clean_db) == []


async def test_verify_names_postings_in_another_asset_than_their_account(sound, clean_db):
    # given the gift's two coin postings relabelled as diamonds (the sums per asset still hold)
    _, _, gifted = sound
    coin = (Posting.transaction_id == gifted, Posting.asset == "COIN")
    ids = sorted(i for (i,) in await rows(clean_db, sa.select(Posting.id).where(*coin)))
    relabel = sa.update(Posting).where(Posting.id.in_(ids))
    await raw(clean_db, relabel.values(asset="DIAMOND"))

    assert sorted(await ledger_problems(clean_db)) == [
        f"posting {i} is in DIAMOND but its account holds COIN" for i in ids
    ]

    await raw(clean_db, relabel.values(asset="COIN"))
    assert await ledger_problems(clean_db) == []


# --- 5. idempotency keys ----------------------------------------------------------------------


async def claim(db, owner: int, key: str, arguments: dict[str, Any], operation="sendGift"):
    """Claim in its own transaction; a first claim stores `{"first": arguments}` as its result."""
    ids = {"account_id": owner, "key": key}

    async def work():
        found = await idempotency.claim(
            db, **ids, operation=operation, arguments=arguments, now=NOW
        )
        if found is None:
            await idempotency.finish(db, **ids, result={"first": arguments})
        return found

    return await run_write(db, work)


async def replay(db, owner: int, key: str, arguments: dict[str, Any], operation="sendGift"):
    found = {"account_id": owner, "key": key, "operation": operation, "arguments": arguments}
    return await run_write(db, lambda: idempotency.replay(db, **found))


async def test_claim_replays_the_first_result_for_the_same_arguments(api, db):
    a, b = await owners(api)

    assert await claim(db, a, "k1", {"giftId": 1, "quantity": 2}) is None
    # a later transaction, arguments in another order: the first result
    first = {"first": {"giftId": 1, "quantity": 2}}
    assert await claim(db, a, "k1", {"quantity": 2, "giftId": 1}) == first
    assert await replay(db, a, "k1", {"giftId": 1, "quantity": 2}) == first
    # keys belong to one account
    assert await claim(db, b, "k1", {"giftId": 9}) is None


@pytest.mark.parametrize(
    ("arguments", "operation"),
    [({"giftId": 1, "quantity": 3}, "sendGift"), ({"giftId": 1, "quantity": 2}, "sendTip")],
)
async def test_claim_with_other_arguments_is_key_reused(api, db, arguments, operation):
    (a,) = await owners(api, 1)
    await claim(db, a, "k1", {"giftId": 1, "quantity": 2})

    with pytest.raises(idempotency.IdempotencyKeyReused) as raised:
        await claim(db, a, "k1", arguments, operation)

    assert problem(raised.value) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, KEY_FIELD)
    first = {"first": {"giftId": 1, "quantity": 2}}
    assert await replay(db, a, "k1", {"giftId": 1, "quantity": 2}) == first


async def test_a_claim_rolled_back_with_its_request_leaves_the_key_free(api, db):
    (a,) = await owners(api, 1)

    async def failing_request():
        args = {"account_id": a, "key": "k", "operation": "op", "arguments": {"x": 1}}
        assert await idempotency.claim(db, **args, now=NOW) is None
        raise DomainError("nope", code=ErrorCode.INSUFFICIENT_COINS)

    with pytest.raises(DomainError):
        await run_write(db, failing_request)

    assert await replay(db, a, "k", {"x": 1}, "op") is None
    assert await claim(db, a, "k", {"x": 2}, "op") is None


@pytest.mark.parametrize("key", ["a", "a" * 128, "inner space", "clé-ключ", "x" * 64])
def test_check_key_accepts_1_to_128_printable_characters(key):
    assert idempotency.check_key(key, 128) == key


@pytest.mark.parametrize("key", ["", "a" * 129, " lead", "trail ", "new\nline", "tab\t", "\x00"])
def test_check_key_refuses_other_keys(key):
    with pytest.raises(DomainError) as raised:
        idempotency.check_key(key, 128)
    assert problem(raised.value) == (ErrorCode.INVALID_IDEMPOTENCY_KEY, KEY_FIELD)


# --- 6. pure money rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "coins"),
    [(0, 0), (1, 1), (99, 70), (100, 71), (500, 354), (990, 700), (10000, 7071)],
)
def test_coins_for_cents(cents, coins):
    assert money.coins_for_cents(cents, RULES) == coins


@pytest.mark.parametrize(
    ("diamonds", "used_and_cents"),
    [(0, (0, 0)), (1, (0, 0)), (2, (2, 1)), (3, (2, 1)), (301, (300, 150))],
)
def test_redeemable(diamonds, used_and_cents):
    assert money.redeemable(diamonds, RULES) == used_and_cents
    assert money.diamonds_for_gift(diamonds, RULES) == diamonds


@pytest.mark.parametrize(
    ("born", "country", "today", "ok"),
    [
        (date(2008, 6, 15), "US", date(2026, 6, 15), True),
        (date(2008, 6, 16), "US", date(2026, 6, 15), False),
        (date(2007, 6, 15), "KR", date(2026, 6, 15), True),
        (date(2007, 6, 16), "KR", date(2026, 6, 15), False),
        (date(2008, 6, 15), "KR", date(2026, 6, 15), False),
        (date(2008, 2, 29), "US", date(2026, 2, 28), False),
        (date(2008, 2, 29), "US", date(2026, 3, 1), True),
        (date(2004, 2, 29), "KR", date(2023, 2, 28), False),
        (date(2004, 2, 29), "KR", date(2023, 3, 1), True),
        (date(2004, 2, 29), "US", date(2022, 2, 28), False),
        (date(2004, 2, 29), "US", date(2024, 2, 29), True),
    ],
)
def test_check_spender(born, country, today, ok):
    if ok:
        assert money.check_spender(born, country, today, RULES) is None
        return
    with pytest.raises(DomainError) as raised:
        money.check_spender(born, country, today, RULES)
    assert problem(raised.value) == (ErrorCode.SPENDER_TOO_YOUNG, None)
    assert f"{money.spender_min_age(country, RULES)} or older" in str(raised.value)
    assert money.spender_min_age(country, RULES) == {"US": 18, "KR": 19}[country]


# --- 7. property test through the API --------------------------------------------------------

PACKAGES = [70, 350, 700, 1400, 3500, 7000]
WALLET = "coins diamonds earnings { minorUnits }"
SELECTION = {
    "purchaseCoins": "purchase { coins }",
    "sendGift": "gift { quantity coins diamonds }",
    "sendTip": "tip { amount { minorUnits } coins }",
    "redeemDiamonds": "diamondsRedeemed earningsAdded { minorUnits }",
}


@dataclasses.dataclass
class Request:
    who: str
    name: str
    args: dict[str, Any]
    key: str
    meta: dict[str, Any]  # what the model needs: package coins, gift price, creator


class Model:
    """What every wallet should hold, by the rules in domain.md."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.wallets = {name: [0, 0, 0] for name in users}  # coins, diamonds, cents
        self.entries = dict.fromkeys(users, 0)  # wallet history entries
        self.tipped = dict.fromkeys(users, 0)  # cents tipped today (40 steps < 100 tips a day)
        self.consumed: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}

    def predict(self, r: Request) -> tuple[str | None, list[tuple[str, int, int, int]], Any]:
        """(error code or None, wallet changes, the payload fields a success returns)."""
        coins, diamonds, _ = self.wallets[r.who]
        if r.name == "purchaseCoins":
            if r.args["paymentToken"] == DECLINED_TOKEN:
                return "CARD_DECLINED", [], None
            return None, [(r.who, r.meta["coins"], 0, 0)], {"purchase": {"coins": r.meta["coins"]}}
        if r.name == "sendGift":
            cost = r.meta["price"] * r.args["quantity"]
            if cost > coins:
                return "INSUFFICIENT_COINS", [], None
            result = {"quantity": r.args["quantity"], "coins": cost, "diamonds": cost}
            return None, [(r.who, -cost, 0, 0), (r.meta["creator"], 0, cost, 0)], {"gift": result}
        if r.name == "sendTip":
            cents = r.args["amountCents"]
            price = (cents * 70 + 98) // 99  # ceil(cents * 70 / 99)
            if self.tipped[r.who] + cents > 50_000:
                return "TIP_LIMIT_EXCEEDED", [], None
            if price > coins:
                return "INSUFFICIENT_COINS", [], None
            changes = [(r.who, -price, 0, 0), (r.meta["creator"], 0, 0, cents)]
            return None, changes, {"tip": {"amount": {"minorUnits": cents}, "coins": price}}
        asked = r.args.get("diamonds")
        if asked is not None and asked < 2:
            return "INVALID_QUANTITY", [], None
        wanted = diamonds if asked is None else asked
        if wanted > diamonds or wanted < 2:
            return "INSUFFICIENT_DIAMONDS", [], None
        used, cents = wanted - wanted % 2, wanted // 2
        result = {"diamondsRedeemed": used, "earningsAdded": {"minorUnits": cents}}
        return None, [(r.who, 0, -used, cents)], result

    def apply(self, r: Request, changes: list[tuple[str, int, int, int]]) -> None:
        for name, *deltas in changes:
            self.wallets[name] = [v + d for v, d in zip(self.wallets[name], deltas, strict=True)]
            self.entries[name] += sum(1 for d in deltas if d)  # one posting per balance moved
        if r.name == "sendTip":
            self.tipped[r.who] += r.args["amountCents"]

    def wallet(self, name: str) -> dict[str, Any]:
        coins, diamonds, cents = self.wallets[name]
        return {"coins": coins, "diamonds": diamonds, "earnings": {"minorUnits": cents}}


async def run(api, model: Model, r: Request) -> str | None:
    """Send one request; check its outcome against the model and update the model."""
    first = model.consumed.get((r.who, r.key))
    if first is None:
        code, changes, result = model.predict(r)
    elif first[0] == (r.name, r.args):  # a replay: the first result, nothing moves
        code, changes, result = None, [], first[1]
    else:
        code, changes, result = "IDEMPOTENCY_KEY_REUSED", [], None
    selection = f"{SELECTION[r.name]} wallet {{ {WALLET} }}"
    payload = await api.mutate(
        r.name, {**r.args, "idempotencyKey": r.key}, selection, token=model.users[r.who].token
    )
    assert [e["code"] for e in payload["userErrors"]] == ([code] if code else []), (r, payload)
    if code is None:
        model.apply(r, changes)
        assert {k: payload[k] for k in result} == result, (r, payload)
        assert payload["wallet"] == model.wallet(r.who)
        model.consumed.setdefault((r.who, r.key), ((r.name, r.args), result))
    return code


def variant(rng: random.Random, r: Request) -> Request:
    """The same key with other arguments."""
    args, meta = dict(r.args), dict(r.meta)
    if r.name == "purchaseCoins":
        meta["coins"] = rng.choice([c for c in PACKAGES if c != meta["coins"]])
        args["packageId"] = package_id(meta["coins"])
    elif r.name == "sendGift":
        args["quantity"] = args["quantity"] % 5 + 1
    elif r.name == "sendTip":
        args["amountCents"] += 1
    else:
        args["diamonds"] = (args.get("diamonds") or 0) + 2
    return Request(r.who, r.name, args, r.key, meta)


@pytest.mark.parametrize("seed", range(4))
async def test_random_money_traffic_matches_the_model(api, clean_db, seed):
    rng = random.Random(seed)
    fans = {name: await sign_up(api, name) for name in ("fan_a", "fan_b")}
    creators = {name: await sign_up(api, name) for name in ("star_a", "star_b")}
    targets = {}
    for name, creator in creators.items():
        await enrol(clean_db, creator, "LIVE_GIFTS", "TIPS")
        live = await api.mutate("startLive", {"title": "On air"}, "live { id }", creator.token)
        targets[name] = [("liveId", live["live"]["id"]), ("videoId", await publish(api, creator))]
    gifts = (await api.data("{ gifts { id coinPrice } }"))["gifts"]
    model = Model({**fans, **creators})
    history: list[Request] = []
    seen: set[tuple[str, str | None]] = set()  # (operation or "replay", error code)
    wallet_query = f"{{ viewer {{ wallet {{ {WALLET} history {{ totalCount }} }} }} }}"

    for _ in range(40):
        step = rng.choices(["buy", "gift", "tip", "redeem", "replay"], [5, 4, 2, 2, 3])[0]
        fan, creator = rng.choice(list(fans)), rng.choice(list(creators))
        if step == "replay" and history:
            earlier = rng.choice(history)
            r = variant(rng, earlier) if rng.random() < 0.3 else earlier
        elif step in ("buy", "replay"):
            coins = rng.choice(PACKAGES)
            token = DECLINED_TOKEN if rng.random() < 0.25 else SUCCESS_TOKEN
            args = {"packageId": package_id(coins), "paymentToken": token}
            r = Request(fan, "purchaseCoins", args, new_key(), {"coins": coins})
        elif step == "gift":
            chosen = rng.choice(gifts)
            field, target = rng.choice(targets[creator])
            args = {"giftId": chosen["id"], "quantity": rng.randint(1, 5), field: target}
            meta = {"price": chosen["coinPrice"], "creator": creator}
            r = Request(fan, "sendGift", args, new_key(), meta)
        elif step == "tip":
            cents = rng.randint(100, 2000)
            args = {"creatorId": creators[creator].id, "amountCents": cents, "method": "COINS"}
            r = Request(fan, "sendTip", args, new_key(), {"creator": creator})
        else:
            held = model.wallets[creator][1]
            args = {} if rng.random() < 0.2 else {"diamonds": rng.randint(0, held + 3)}
            r = Request(creator, "redeemDiamonds", args, new_key(), {})
        code = await run(api, model, r)
        seen.add(("replay" if step == "replay" else r.name, code))
        history.append(r)

        assert await ledger_problems(clean_db) == []
        for name, user in model.users.items():
            shown = (await api.data(wallet_query, token=user.token))["viewer"]["wallet"]
            assert shown == {**model.wallet(name), "history": {"totalCount": model.entries[name]}}

    # the walk exercised every operation's success, replays, and refusals
    assert {op for op, code in seen if code is None} == {*SELECTION, "replay"}
    assert {("sendGift", "INSUFFICIENT_COINS"), ("purchaseCoins", "CARD_DECLINED")} <= seen
