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
from reelpay.wallet.ledger import InsufficientFunds, Ref
from reelpay.wallet.models import (
    USER_KINDS,
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)
from reelpay.wallet.rules import (
    check_spender,
    coins_for_cents,
    diamonds_for_gift,
    redeemable,
    spender_min_age,
)
from tests.factories import (
    DECLINED_TOKEN,
    SUCCESS_TOKEN,
    User,
    add_followers,
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
ISSUE = ledger.platform(K.COIN_ISSUANCE)
SPENT = ledger.platform(K.COINS_SPENT)
DIAMOND_ISSUE = ledger.platform(K.DIAMOND_ISSUANCE)
PAYABLES = ledger.platform(K.CREATOR_PAYABLES)
COUNTERPART = {K.COINS: ISSUE, K.DIAMONDS: DIAMOND_ISSUE, K.EARNINGS: PAYABLES}


@pytest.fixture
def settings(settings):
    rules = dataclasses.replace(settings.rules, tips_min_followers=1)
    return dataclasses.replace(settings, rules=rules)


# --- helpers ----------------------------------------------------------------------------------


async def post(db, legs, kind=TransactionKind.COIN_PURCHASE, **fields) -> int:
    """Post as the app does (run_write); the new transaction's id."""
    tx = await run_write(db, lambda: ledger.post(db, kind=kind, legs=legs, now=NOW, **fields))
    return tx


async def fund(db, owner: int, amount: int, kind: LedgerAccountKind = K.COINS):
    """Credit a user account from its platform counterpart."""
    return await post(db, [(COUNTERPART[kind], -amount), (ledger.user(owner, kind), amount)])


async def gift(db, sender: int, creator: int, coins: int) -> int:
    legs = [
        (ledger.user(sender, K.COINS), -coins),
        (SPENT, coins),
        (DIAMOND_ISSUE, -coins),
        (ledger.user(creator, K.DIAMONDS), coins),
    ]
    return await post(db, legs, kind=TransactionKind.GIFT, actor_id=sender)


async def rows(engine, stmt) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(r) for r in (await connection.execute(stmt)).all()]


async def raw(engine, stmt) -> None:
    async with engine.begin() as connection:
        await connection.execute(stmt)


async def balances(engine) -> dict[str, int | None]:
    return dict(await rows(engine, sa.select(LedgerAccount.key, LedgerAccount.balance)))


async def snapshot(engine) -> tuple[Any, ...]:
    """Everything the ledger holds: to show that a failed write left no trace."""
    postings = await rows(
        engine,
        sa.select(
            LedgerPosting.id,
            LedgerPosting.transaction_id,
            LedgerPosting.ledger_account_id,
            LedgerPosting.amount,
            LedgerPosting.balance_after,
        ).order_by(LedgerPosting.id),
    )
    transactions = await rows(
        engine, sa.select(LedgerTransaction.id).order_by(LedgerTransaction.id)
    )
    return await balances(engine), transactions, postings


async def postings_of(engine, transaction_id: int) -> list[tuple[Any, ...]]:
    """(account key, asset, amount, balance_after) of a transaction, by account key."""
    return sorted(
        await rows(
            engine,
            sa.select(
                LedgerAccount.key,
                LedgerPosting.asset,
                LedgerPosting.amount,
                LedgerPosting.balance_after,
            )
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
            .where(LedgerPosting.transaction_id == transaction_id),
        )
    )


def problem(error: DomainError) -> tuple[ErrorCode, tuple[str, ...] | None]:
    assert len(error.problems) == 1
    return error.problems[0].code, error.problems[0].field


async def owners(api, n: int = 2) -> list[int]:
    return [(await sign_up(api)).pk for _ in range(n)]


WALLET = "coins diamonds earnings { minorUnits }"


async def wallet_of(api, user: User) -> dict[str, Any]:
    data = await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token)
    return data["viewer"]["wallet"]


def purse(coins: int = 0, diamonds: int = 0, cents: int = 0) -> dict[str, Any]:
    return {"coins": coins, "diamonds": diamonds, "earnings": {"minorUnits": cents}}


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
    assert (
        await rows(clean_db, sa.select(LedgerTransaction.kind, LedgerTransaction.actor_id))
    ) == [
        (TransactionKind.COIN_PURCHASE, None),
        (TransactionKind.GIFT, a),
    ]
    assert await audit.verify(db) == []


@pytest.mark.parametrize(
    "legs",
    [
        pytest.param(lambda a: [(ledger.user(a, K.COINS), 100)], id="one-sided"),
        pytest.param(lambda a: [(ledger.user(a, K.COINS), 100), (ISSUE, -99)], id="off-by-one"),
        pytest.param(
            lambda a: [(ledger.user(a, K.COINS), 100), (DIAMOND_ISSUE, -100)], id="across-assets"
        ),
        pytest.param(lambda a: [], id="empty"),
        pytest.param(
            lambda a: [(ledger.user(a, K.COINS), 5), (ledger.user(a, K.COINS), -5)],
            id="nets-to-nothing",
        ),
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
    before = await snapshot(clean_db)

    with pytest.raises(TypeError):
        await post(db, [(ledger.user(a, K.COINS), amount), (ISSUE, -100)])

    assert await snapshot(clean_db) == before == ({}, [], [])


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
        await post(db, [(ledger.user(a, K.COINS), -1), (ISSUE, 1)])

    assert problem(raised.value) == (ErrorCode.INSUFFICIENT_COINS, None)
    assert await snapshot(clean_db) == ({}, [], [])


async def test_a_failed_debit_rolls_back_credits_already_applied(api, db, clean_db):
    # given b's coin account is older than a's, so b is credited before a is debited
    a, b = await owners(api)
    await fund(db, b, 10)
    await fund(db, a, 100)
    before = await snapshot(clean_db)

    with pytest.raises(InsufficientFunds):
        await post(db, [(ledger.user(a, K.COINS), -150), (ledger.user(b, K.COINS), 150)])

    assert await snapshot(clean_db) == before
    assert (await balances(clean_db))[f"user:{b}:COINS"] == 10


async def test_legs_on_the_same_account_are_netted(api, db, clean_db):
    # given a user with no coins
    (a,) = await owners(api, 1)
    coins = ledger.user(a, K.COINS)

    # when a transaction debits 40 and credits 50 on the same account
    tx = await post(db, [(coins, -40), (coins, 50), (ISSUE, -50), (ISSUE, 40)])

    # then one posting per account carries the net amount (the debit never hit the balance)
    assert await postings_of(clean_db, tx) == [
        ("platform:COIN_ISSUANCE", "COIN", -10, None),
        (f"user:{a}:COINS", "COIN", 10, 10),
    ]


@pytest.mark.parametrize("kind", list(LedgerAccountKind))
def test_refs_need_an_owner_exactly_for_user_kinds(kind):
    if kind in USER_KINDS:
        assert Ref(kind, 7).key == f"user:7:{kind.value}"
        with pytest.raises(ValueError):
            Ref(kind)
    else:
        assert Ref(kind).key == f"platform:{kind.value}"
        with pytest.raises(ValueError):
            Ref(kind, 7)


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

    with pytest.raises(IntegrityError):
        await raw(
            clean_db,
            sa.text(statement).bindparams(a=a) if ":a" in statement else sa.text(statement),
        )

    assert await snapshot(clean_db) == before


# --- 3. ledger.reverse ------------------------------------------------------------------------


async def test_reverse_negates_every_posting_once(api, db, clean_db):
    # given a tips b 100 cents with 71 coins
    a, b = await owners(api)
    await fund(db, a, 100)
    tip_legs = [
        (ledger.user(a, K.COINS), -71),
        (SPENT, 71),
        (PAYABLES, -100),
        (ledger.user(b, K.EARNINGS), 100),
    ]
    tip = await post(
        db, tip_legs, kind=TransactionKind.TIP, earnings_source=EarningsSource.TIPS, actor_id=a
    )

    # when staff reverse it
    reversal = (await run_write(db, lambda: ledger.reverse(db, tip, now=NOW, actor_id=b))).id

    # then every posting is negated and the balances are back
    original = await postings_of(clean_db, tip)
    assert [(key, asset, -amount) for key, asset, amount, _ in original] == [
        (key, asset, amount) for key, asset, amount, _ in await postings_of(clean_db, reversal)
    ]
    assert await balances(clean_db) == {
        "platform:COIN_ISSUANCE": None,
        "platform:COINS_SPENT": None,
        "platform:CREATOR_PAYABLES": None,
        f"user:{a}:COINS": 100,
        f"user:{b}:EARNINGS": 0,
    }
    assert await rows(
        clean_db,
        sa.select(
            LedgerTransaction.kind,
            LedgerTransaction.reverses_id,
            LedgerTransaction.earnings_source,
            LedgerTransaction.actor_id,
            LedgerTransaction.memo,
        ).where(LedgerTransaction.id == reversal),
    ) == [(TransactionKind.REVERSAL, tip, "TIPS", b, f"Reversal of transaction {tip}")]

    # and a second reversal of the same transaction is refused by the unique reverses_id
    before = await snapshot(clean_db)
    with pytest.raises(IntegrityError):
        await run_write(db, lambda: ledger.reverse(db, tip, now=NOW))
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
        await run_write(db, lambda: ledger.reverse(db, target, now=NOW))

    assert problem(raised.value) == (code, None)
    assert await snapshot(clean_db) == before


async def test_reverse_of_an_unknown_transaction_is_refused(db, clean_db):
    with pytest.raises(ValueError):
        await run_write(db, lambda: ledger.reverse(db, 999, now=NOW))
    assert await snapshot(clean_db) == ({}, [], [])


# --- 4. audit.verify --------------------------------------------------------------------------


@pytest.fixture
async def sound(api, db):
    """a bought 100 coins and gifted 30 to b: (a, b, purchase, gift)."""
    a, b = await owners(api)
    bought = await fund(db, a, 100)
    gifted = await gift(db, a, b, 30)
    assert await audit.verify(db) == []
    return a, b, bought, gifted


async def account_id(engine, key: str) -> int:
    return (await rows(engine, sa.select(LedgerAccount.id).where(LedgerAccount.key == key)))[0][0]


async def test_verify_names_a_transaction_that_does_not_sum_to_zero(sound, clean_db):
    _, _, _, gifted = sound
    spent = await account_id(clean_db, "platform:COINS_SPENT")
    bad = dict(transaction_id=gifted, ledger_account_id=spent, asset="COIN", amount=5)
    await raw(clean_db, sa.insert(LedgerPosting).values(bad))

    assert await ledger_problems(clean_db) == [
        f"transaction {gifted} does not sum to zero in COIN: 5"
    ]

    await raw(clean_db, sa.delete(LedgerPosting).where(LedgerPosting.amount == 5))
    assert await ledger_problems(clean_db) == []


async def test_verify_names_a_cached_balance_that_drifts(sound, clean_db):
    a, *_ = sound
    accounts = sa.update(LedgerAccount).where(LedgerAccount.key == f"user:{a}:COINS")
    await raw(clean_db, accounts.values(balance=LedgerAccount.balance + 7))

    assert await ledger_problems(clean_db) == [
        f"user:{a}:COINS caches balance 77 but its postings sum to 70"
    ]

    await raw(clean_db, accounts.values(balance=LedgerAccount.balance - 7))
    assert await ledger_problems(clean_db) == []


async def test_verify_names_postings_in_another_asset_than_their_account(sound, clean_db):
    # given the gift's two coin postings relabelled as diamonds (the sums per asset still hold)
    _, _, _, gifted = sound
    coin_postings = sa.update(LedgerPosting).where(LedgerPosting.transaction_id == gifted)
    ids = [
        i
        for (i,) in await rows(
            clean_db,
            sa.select(LedgerPosting.id).where(
                LedgerPosting.transaction_id == gifted, LedgerPosting.asset == "COIN"
            ),
        )
    ]
    await raw(clean_db, coin_postings.where(LedgerPosting.id.in_(ids)).values(asset="DIAMOND"))

    assert sorted(await ledger_problems(clean_db)) == [
        f"posting {i} is in DIAMOND but its account holds COIN" for i in sorted(ids)
    ]

    await raw(clean_db, coin_postings.where(LedgerPosting.id.in_(ids)).values(asset="COIN"))
    assert await ledger_problems(clean_db) == []


async def test_verify_names_empty_transactions_and_negative_balance_after(sound, clean_db):
    a, _, bought, _ = sound
    await raw(
        clean_db,
        sa.insert(LedgerTransaction).values(id=500, kind="GIFT", memo="", created_at=NOW),
    )
    mine = sa.update(LedgerPosting).where(
        LedgerPosting.transaction_id == bought, LedgerPosting.balance_after.is_not(None)
    )
    await raw(clean_db, mine.values(balance_after=-1))
    (posting,) = await rows(
        clean_db, sa.select(LedgerPosting.id).where(LedgerPosting.balance_after == -1)
    )

    assert await ledger_problems(clean_db) == [
        "transaction 500 has no postings",
        f"user:{a}:COINS went negative (-1) at posting {posting[0]}",
    ]

    await raw(clean_db, mine.values(balance_after=100))
    await raw(clean_db, sa.delete(LedgerTransaction).where(LedgerTransaction.id == 500))
    assert await ledger_problems(clean_db) == []


# --- 5. idempotency keys ----------------------------------------------------------------------


async def claim(db, owner: int, key: str, arguments: dict[str, Any], operation="sendGift"):
    """Claim in one transaction; a first claim stores `{"first": arguments}` as its result."""

    async def work():
        found = await idempotency.claim(
            db, account_id=owner, key=key, operation=operation, arguments=arguments, now=NOW
        )
        if found is None:
            result = {"first": arguments}
            await idempotency.finish(db, account_id=owner, key=key, result=result)
        return found

    return await run_write(db, work)


async def test_claim_replays_the_first_result_for_the_same_arguments(api, db):
    a, b = await owners(api)

    assert await claim(db, a, "k1", {"giftId": 1, "quantity": 2}) is None
    # the argument order does not matter; the result is the first one
    assert await claim(db, a, "k1", {"quantity": 2, "giftId": 1}) == {
        "first": {"giftId": 1, "quantity": 2}
    }
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

    assert problem(raised.value) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, ("input", "idempotencyKey"))
    assert await run_write(
        db,
        lambda: idempotency.replay(
            db, account_id=a, key="k1", operation="sendGift", arguments={"giftId": 1, "quantity": 2}
        ),
    ) == {"first": {"giftId": 1, "quantity": 2}}


async def test_a_claim_rolled_back_with_its_request_leaves_the_key_free(api, db):
    (a,) = await owners(api, 1)

    async def failing_request():
        args = {"x": 1}
        assert (
            await idempotency.claim(
                db, account_id=a, key="k", operation="op", arguments=args, now=NOW
            )
            is None
        )
        raise DomainError("nope", code=ErrorCode.INSUFFICIENT_COINS)

    with pytest.raises(DomainError):
        await run_write(db, failing_request)

    assert (
        await run_write(
            db, lambda: idempotency.replay(db, account_id=a, key="k", operation="op", arguments={})
        )
        is None
    )
    assert await claim(db, a, "k", {"x": 2}, "op") is None


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("", False),
        ("a", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("with inner space", True),
        ("clé-ключ", True),
        (" lead", False),
        ("trail ", False),
        ("new\nline", False),
        ("tab\t", False),
        ("nul\x00", False),
        ("\u200b", False),
    ],
)
def test_check_key_boundaries(key, ok):
    if ok:
        assert idempotency.check_key(key, 128) == key
        return
    with pytest.raises(DomainError) as raised:
        idempotency.check_key(key, 128)
    assert problem(raised.value) == (
        ErrorCode.INVALID_IDEMPOTENCY_KEY,
        ("input", "idempotencyKey"),
    )


# --- 6. pure money rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "coins"),
    [(0, 0), (1, 1), (99, 70), (100, 71), (500, 354), (990, 700), (10000, 7071)],
)
def test_coins_for_cents(cents, coins):
    assert coins_for_cents(cents, RULES) == coins


@pytest.mark.parametrize(
    ("diamonds", "used_and_cents"),
    [(0, (0, 0)), (1, (0, 0)), (2, (2, 1)), (3, (2, 1)), (301, (300, 150))],
)
def test_redeemable(diamonds, used_and_cents):
    assert redeemable(diamonds, RULES) == used_and_cents
    assert diamonds_for_gift(diamonds, RULES) == diamonds


@pytest.mark.parametrize(("country", "age"), [("US", 18), ("DE", 18), ("KR", 19)])
def test_spender_min_age(country, age):
    assert spender_min_age(country, RULES) == age


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
        assert check_spender(born, country, today, RULES) is None
        return
    with pytest.raises(DomainError) as raised:
        check_spender(born, country, today, RULES)
    assert problem(raised.value) == (ErrorCode.SPENDER_TOO_YOUNG, None)
    assert f"{spender_min_age(country, RULES)} or older" in str(raised.value)


# --- 7. property test through the API --------------------------------------------------------

PACKAGES = [70, 350, 700, 1400, 3500, 7000]
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
    meta: dict[str, Any]  # what the model needs: package coins, gift price, creator, ...


class Model:
    """What every wallet should hold, by the rules in domain.md."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.wallets = {name: [0, 0, 0] for name in users}  # coins, diamonds, cents
        self.tipped = {name: [0, 0] for name in users}  # today's tips: count, cents
        self.consumed: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}

    def predict(self, r: Request) -> tuple[str | None, list[tuple[str, int, int, int]], Any]:
        """(error code or None, wallet changes, the payload fields a success returns)."""
        coins, diamonds, _ = self.wallets[r.who]
        if r.name == "purchaseCoins":
            if r.args["paymentToken"] == DECLINED_TOKEN:
                return "CARD_DECLINED", [], None
            n = r.meta["coins"]
            return None, [(r.who, n, 0, 0)], {"purchase": {"coins": n}}
        if r.name == "sendGift":
            cost = r.meta["price"] * r.args["quantity"]
            if cost > coins:
                return "INSUFFICIENT_COINS", [], None
            changes = [(r.who, -cost, 0, 0), (r.meta["creator"], 0, cost, 0)]
            return (
                None,
                changes,
                {"gift": {"quantity": r.args["quantity"], "coins": cost, "diamonds": cost}},
            )
        if r.name == "sendTip":
            cents = r.args["amountCents"]
            price = (cents * 70 + 98) // 99  # ceil(cents * 70 / 99)
            count, total = self.tipped[r.who]
            if count + 1 > 100 or total + cents > 50_000:
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
        for name, dc, dd, de in changes:
            w = self.wallets[name]
            w[0], w[1], w[2] = w[0] + dc, w[1] + dd, w[2] + de
        if r.name == "sendTip":
            self.tipped[r.who][0] += 1
            self.tipped[r.who][1] += r.args["amountCents"]

    def wallet(self, name: str) -> dict[str, Any]:
        return purse(*self.wallets[name])


async def run(api, model: Model, r: Request) -> str | None:
    """Send one request; check its outcome against the model and update the model."""
    first = model.consumed.get((r.who, r.key))
    if first is not None:  # a replay: the first result, or the key is reused
        same = first[0] == (r.name, r.args)
        code, changes, result = (
            (None, [], first[1]) if same else ("IDEMPOTENCY_KEY_REUSED", [], None)
        )
    else:
        code, changes, result = model.predict(r)
    selection = f"{SELECTION[r.name]} wallet {{ {WALLET} }}"
    payload = await api.mutate(
        r.name, {**r.args, "idempotencyKey": r.key}, selection, token=model.users[r.who].token
    )
    errors = [e["code"] for e in payload["userErrors"]]
    assert errors == ([code] if code else []), (r, payload)
    if code is None:
        model.apply(r, changes)
        assert {k: payload[k] for k in result} == result, (r, payload)
        assert payload["wallet"] == model.wallet(r.who)
        if first is None:
            model.consumed[(r.who, r.key)] = ((r.name, r.args), result)
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
        await add_followers(clean_db, creator, 1000)  # LIVE gifts need 1,000; tips 1 here
        live = await api.mutate("startLive", {"title": "On air"}, "live { id }", creator.token)
        targets[name] = [("liveId", live["live"]["id"]), ("videoId", await publish(api, creator))]
    gifts = (await api.data("{ gifts { id coinPrice } }"))["gifts"]
    model = Model({**fans, **creators})
    history: list[Request] = []
    outcomes: dict[str | None, int] = {}

    for _ in range(40):
        step = rng.choices(["buy", "gift", "tip", "redeem", "replay"], [3, 4, 2, 2, 2])[0]
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
            args = {
                "creatorId": creators[creator].id,
                "amountCents": rng.randint(100, 2000),
                "method": "COINS",
            }
            r = Request(fan, "sendTip", args, new_key(), {"creator": creator})
        else:
            held = model.wallets[creator][1]
            args = {} if rng.random() < 0.2 else {"diamonds": rng.randint(0, held + 3)}
            r = Request(creator, "redeemDiamonds", args, new_key(), {})
        code = await run(api, model, r)
        outcomes[code] = outcomes.get(code, 0) + 1
        history.append(r)

        assert await ledger_problems(clean_db) == []
        for name, user in model.users.items():
            assert await wallet_of(api, user) == model.wallet(name), name

    # the walk exercised successes and refusals alike
    assert outcomes.get(None, 0) >= 10
    assert outcomes.get("INSUFFICIENT_COINS", 0) >= 1
