"""Coin packages and `purchaseCoins`: prices, payment outcomes, age rules, idempotency keys,
concurrency, the payments table and `reelpay ledger verify`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from tests.factories import (
    DECLINED_TOKEN,
    PROCESSING_ERROR_TOKEN,
    SUCCESS_TOKEN,
    User,
    buy_coins,
    new_key,
    package_id,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

PURCHASE = (
    "purchase { coins createdAt price { amount minorUnits currency } } "
    "wallet { coins diamonds earnings { minorUnits } }"
)
WALLET = (
    "{ viewer { wallet { coins diamonds earnings { minorUnits } "
    "history { totalCount edges { node { kind asset amount balanceAfter description } } } } } }"
)
EMPTY_WALLET = {"coins": 0, "diamonds": 0, "earnings": {"minorUnits": 0}}
START = "2026-06-15T12:00:00+00:00"  # the frozen clock

PACKAGES = [
    (70, "0.99", 99),
    (350, "4.99", 499),
    (700, "9.99", 999),
    (1400, "19.99", 1999),
    (3500, "49.99", 4999),
    (7000, "99.99", 9999),
]


async def purchase(
    api: Any,
    user: User | None,
    coins: int = 700,
    token: str = SUCCESS_TOKEN,
    key: str | None = None,
    package: str | None = None,
) -> dict[str, Any]:
    input = {
        "packageId": package if package is not None else package_id(coins),
        "paymentToken": token,
        "idempotencyKey": key if key is not None else new_key(),
    }
    return await api.mutate("purchaseCoins", input, PURCHASE, token=user.token if user else None)


async def wallet(api: Any, user: User) -> dict[str, Any]:
    """Balances plus the history count and entries (newest first)."""
    found = (await api.data(WALLET, token=user.token))["viewer"]["wallet"]
    history = found.pop("history")
    return {
        **found,
        "historyCount": history["totalCount"],
        "entries": [e["node"] for e in history["edges"]],
    }


def nothing(coins: int = 0, entries: int = 0) -> dict[str, Any]:
    """The expected wallet shape without the entries (compare with `balances`)."""
    return {"coins": coins, "diamonds": 0, "earnings": {"minorUnits": 0}, "historyCount": entries}


def balances(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k != "entries"}


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def succeeded(payload: dict[str, Any], coins: int, price: str, cents: int) -> bool:
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["purchase"]["coins"] == coins
    assert payload["purchase"]["price"] == {"amount": price, "minorUnits": cents, "currency": "USD"}
    return True


async def payment_rows(engine: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as c:
        rows = await c.execute(
            sa.text(
                "select account_id, purpose, provider, amount_cents, currency, coins "
                "from payments order by id"
            )
        )
        return [tuple(r) for r in rows.all()]


async def payment_count(engine: Any) -> int:
    async with engine.connect() as c:
        return await c.scalar(sa.text("select count(*) from payments"))


# --- coin packages ---------------------------------------------------------------------------


async def test_coin_packages_lists_the_six_defaults_fewest_coins_first(api):
    query = "{ coinPackages { id coins price { amount minorUnits currency } } }"

    packages = (await api.data(query))["coinPackages"]

    assert [(p["coins"], p["price"]) for p in packages] == [
        (coins, {"amount": amount, "minorUnits": cents, "currency": "USD"})
        for coins, amount, cents in PACKAGES
    ]
    assert [p["id"] for p in packages] == [package_id(coins) for coins, _, _ in PACKAGES]


async def test_a_coin_package_is_reachable_by_node_and_an_unknown_one_is_null(api):
    query = (
        "query($id: ID!) { node(id: $id) { id "
        "... on CoinPackage { coins price { amount minorUnits currency } } } }"
    )

    found = (await api.data(query, {"id": package_id(1400)}))["node"]
    missing = (await api.data(query, {"id": package_id(71)}))["node"]

    assert found == {
        "id": package_id(1400),
        "coins": 1400,
        "price": {"amount": "19.99", "minorUnits": 1999, "currency": "USD"},
    }
    assert missing is None


# --- buying ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("coins", "amount", "cents"), PACKAGES)
async def test_buying_a_package_credits_its_coins_and_records_history(
    api, clean_db, coins, amount, cents
):
    buyer = await sign_up(api, "buyer")

    payload = await purchase(api, buyer, coins)

    assert succeeded(payload, coins, amount, cents)
    assert payload["purchase"]["createdAt"] == START
    assert payload["wallet"] == {**EMPTY_WALLET, "coins": coins}
    found = await wallet(api, buyer)
    assert balances(found) == nothing(coins, entries=1)
    assert found["entries"] == [
        {
            "kind": "COIN_PURCHASE",
            "asset": "COIN",
            "amount": coins,
            "balanceAfter": coins,
            "description": f"{coins} coins",
        }
    ]
    assert await payment_rows(clean_db) == [
        (buyer.pk, "COIN_PURCHASE", "sandbox", cents, "USD", coins)
    ]


async def test_purchases_add_up_and_history_is_newest_first(api, clean_db):
    buyer = await sign_up(api, "buyer")

    await purchase(api, buyer, 70)
    await purchase(api, buyer, 350)
    last = await purchase(api, buyer, 70)

    assert last["wallet"]["coins"] == 490
    found = await wallet(api, buyer)
    assert [(e["amount"], e["balanceAfter"]) for e in found["entries"]] == [
        (70, 490),
        (350, 420),
        (70, 70),
    ]
    assert await payment_count(clean_db) == 3


# --- refusals: nothing moves -----------------------------------------------------------------

BAD_PURCHASES = [
    # (id, purchase arguments, code, field)
    ("unknown-package", {"coins": 71}, "UNKNOWN_COIN_PACKAGE", ["input", "packageId"]),
    ("malformed-id", {"package": "not-an-id"}, "INVALID_ID", ["input", "packageId"]),
    ("declined", {"token": DECLINED_TOKEN}, "CARD_DECLINED", ["input", "paymentToken"]),
    (
        "processing-error",
        {"token": PROCESSING_ERROR_TOKEN},
        "PAYMENT_PROCESSING_ERROR",
        ["input", "paymentToken"],
    ),
    ("unknown-token", {"token": "tok_nope"}, "INVALID_PAYMENT_TOKEN", ["input", "paymentToken"]),
    ("empty-token", {"token": ""}, "INVALID_PAYMENT_TOKEN", ["input", "paymentToken"]),
]


@pytest.mark.parametrize(
    ("args", "code", "field"), [c[1:] for c in BAD_PURCHASES], ids=[c[0] for c in BAD_PURCHASES]
)
async def test_a_refused_purchase_moves_nothing_and_leaves_the_key_free(
    api, clean_db, args, code, field
):
    buyer = await sign_up(api, "buyer")
    await purchase(api, buyer, 70)
    key = new_key()

    payload = await purchase(api, buyer, key=key, **args)

    assert codes(payload) == [code]
    assert payload["userErrors"][0]["field"] == field
    assert payload["purchase"] is None and payload["wallet"] is None
    assert balances(await wallet(api, buyer)) == nothing(70, entries=1)
    assert await payment_count(clean_db) == 1
    # A failed request does not consume its key: the corrected retry goes through.
    retry = await purchase(api, buyer, 700, key=key)
    assert succeeded(retry, 700, "9.99", 999)
    assert retry["wallet"]["coins"] == 770
    assert await payment_count(clean_db) == 2


async def test_an_id_of_another_type_is_an_invalid_package_id(api, clean_db):
    buyer = await sign_up(api, "buyer")

    payload = await purchase(api, buyer, package=buyer.id)

    assert codes(payload) == ["INVALID_ID"]
    assert payload["userErrors"][0]["field"] == ["input", "packageId"]
    assert balances(await wallet(api, buyer)) == nothing()
    assert await payment_count(clean_db) == 0


async def test_a_transient_failure_then_a_retry_with_the_same_key_credits_once(api, clean_db):
    buyer = await sign_up(api, "buyer")
    key = new_key()

    failed = await purchase(api, buyer, 700, token=PROCESSING_ERROR_TOKEN, key=key)
    retried = await purchase(api, buyer, 700, token=SUCCESS_TOKEN, key=key)
    replayed = await purchase(api, buyer, 700, token=SUCCESS_TOKEN, key=key)

    assert codes(failed) == ["PAYMENT_PROCESSING_ERROR"]
    assert succeeded(retried, 700, "9.99", 999)
    assert retried["wallet"]["coins"] == 700
    assert replayed == retried
    assert balances(await wallet(api, buyer)) == nothing(700, entries=1)
    assert await payment_count(clean_db) == 1


@pytest.mark.parametrize(
    "key",
    ["", " key", "key ", "k" * 129, "tab\tkey", "line\n"],
    ids=["empty", "leading-space", "trailing-space", "129-chars", "tab", "newline"],
)
async def test_a_bad_idempotency_key_is_refused_and_moves_nothing(api, clean_db, key):
    buyer = await sign_up(api, "buyer")

    payload = await purchase(api, buyer, key=key)

    assert codes(payload) == ["INVALID_IDEMPOTENCY_KEY"]
    assert payload["userErrors"][0]["field"] == ["input", "idempotencyKey"]
    assert payload["purchase"] is None
    assert balances(await wallet(api, buyer)) == nothing()
    assert await payment_count(clean_db) == 0


@pytest.mark.parametrize(
    "key",
    ["k" * 127 + "!", "é" * 128, "0b4e7c1e-9d5f-4a43-8f6e-2f1c7c3b9a10"],
    ids=["128-ascii", "128-non-ascii", "uuid"],
)
async def test_a_key_of_up_to_128_characters_is_accepted_and_replays(api, clean_db, key):
    buyer = await sign_up(api, "buyer")

    first = await purchase(api, buyer, key=key)
    again = await purchase(api, buyer, key=key)

    assert succeeded(first, 700, "9.99", 999)
    assert again == first
    assert balances(await wallet(api, buyer)) == nothing(700, entries=1)
    assert await payment_count(clean_db) == 1


async def test_an_anonymous_purchase_is_unauthenticated_and_moves_nothing(api, clean_db):
    query = (
        "mutation($input: PurchaseCoinsInput!) { purchaseCoins(input: $input) "
        "{ purchase { coins } userErrors { code } } }"
    )
    input = {
        "packageId": package_id(700),
        "paymentToken": SUCCESS_TOKEN,
        "idempotencyKey": new_key(),
    }

    error = await api.error(query, {"input": input})

    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await payment_count(clean_db) == 0
    async with clean_db.connect() as c:
        assert await c.scalar(sa.text("select count(*) from ledger_transactions")) == 0


# --- age -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "birth_date", "allowed"),
    [
        ("US", "2008-06-16", False),  # 17, 18 tomorrow
        ("US", "2008-06-15", True),  # 18 today
        ("US", "1995-05-05", True),
        ("KR", "2008-06-15", False),  # 18 today
        ("KR", "2007-06-16", False),  # 18, 19 tomorrow
        ("KR", "2007-06-15", True),  # 19 today
    ],
)
async def test_spenders_must_be_18_or_19_in_korea(api, clean_db, country, birth_date, allowed):
    buyer = await sign_up(api, "buyer", birthDate=birth_date, country=country)

    payload = await purchase(api, buyer, 350)

    if allowed:
        assert succeeded(payload, 350, "4.99", 499)
        assert balances(await wallet(api, buyer)) == nothing(350, entries=1)
        assert await payment_count(clean_db) == 1
    else:
        assert codes(payload) == ["SPENDER_TOO_YOUNG"]
        assert payload["purchase"] is None
        assert balances(await wallet(api, buyer)) == nothing()
        assert await payment_count(clean_db) == 0


async def test_a_refused_minor_may_buy_on_the_birthday_with_the_same_key(api, clock, clean_db):
    buyer = await sign_up(api, "buyer", birthDate="2008-06-16")
    key = new_key()

    refused = await purchase(api, buyer, key=key)
    clock.advance(timedelta(days=1))
    allowed = await purchase(api, buyer, key=key)

    assert codes(refused) == ["SPENDER_TOO_YOUNG"]
    assert succeeded(allowed, 700, "9.99", 999)
    assert allowed["purchase"]["createdAt"] == "2026-06-16T12:00:00+00:00"
    assert await payment_count(clean_db) == 1


# --- idempotency -----------------------------------------------------------------------------


async def test_a_replay_returns_the_first_purchase_and_moves_nothing(api, clock, clean_db):
    buyer = await sign_up(api, "buyer")
    key = new_key()
    first = await purchase(api, buyer, 700, key=key)
    clock.advance(timedelta(hours=1))

    replay = await purchase(api, buyer, 700, key=key)

    assert replay == first
    assert replay["purchase"]["createdAt"] == START  # the first purchase, not a new one
    assert balances(await wallet(api, buyer)) == nothing(700, entries=1)
    assert await payment_count(clean_db) == 1


@pytest.mark.parametrize(
    "other",
    [{"coins": 1400}, {"token": DECLINED_TOKEN}, {"coins": 1400, "token": "tok_nope"}],
    ids=["another-package", "another-token", "both"],
)
async def test_the_same_key_with_other_arguments_is_refused(api, clean_db, other):
    buyer = await sign_up(api, "buyer")
    key = new_key()
    await purchase(api, buyer, 700, key=key)

    payload = await purchase(api, buyer, key=key, **other)

    assert codes(payload) == ["IDEMPOTENCY_KEY_REUSED"]
    assert payload["userErrors"][0]["field"] == ["input", "idempotencyKey"]
    assert payload["purchase"] is None and payload["wallet"] is None
    assert balances(await wallet(api, buyer)) == nothing(700, entries=1)
    assert await payment_count(clean_db) == 1


async def test_two_users_may_use_the_same_key_independently(api, clean_db):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")

    a = await purchase(api, alice, 700, key="shared-key")
    b = await purchase(api, bob, 70, key="shared-key")

    assert succeeded(a, 700, "9.99", 999)
    assert succeeded(b, 70, "0.99", 99)
    assert balances(await wallet(api, alice)) == nothing(700, entries=1)
    assert balances(await wallet(api, bob)) == nothing(70, entries=1)
    assert await payment_rows(clean_db) == [
        (alice.pk, "COIN_PURCHASE", "sandbox", 999, "USD", 700),
        (bob.pk, "COIN_PURCHASE", "sandbox", 99, "USD", 70),
    ]
    async with clean_db.connect() as c:
        charges = await c.scalar(sa.text("select count(distinct provider_charge_id) from payments"))
    assert charges == 2


# --- concurrency -----------------------------------------------------------------------------


async def test_concurrent_purchases_with_one_key_credit_once(api, clean_db):
    buyer = await sign_up(api, "buyer")
    key = new_key()

    payloads = await asyncio.gather(*(purchase(api, buyer, 700, key=key) for _ in range(8)))

    assert [p["userErrors"] for p in payloads] == [[]] * 8
    assert all(p["purchase"] == payloads[0]["purchase"] for p in payloads)
    assert succeeded(payloads[0], 700, "9.99", 999)
    assert [p["wallet"]["coins"] for p in payloads] == [700] * 8
    assert balances(await wallet(api, buyer)) == nothing(700, entries=1)
    assert await payment_count(clean_db) == 1


async def test_concurrent_purchases_of_two_packages_with_one_key_credit_one(api, clean_db):
    buyer = await sign_up(api, "buyer")
    key = new_key()

    payloads = await asyncio.gather(
        *(purchase(api, buyer, coins, key=key) for coins in [700, 1400] * 4)
    )

    credited = {p["purchase"]["coins"] for p in payloads if p["userErrors"] == []}
    refused = [codes(p) for p in payloads if p["userErrors"]]
    assert len(credited) == 1
    (coins,) = credited
    assert refused == [["IDEMPOTENCY_KEY_REUSED"]] * 4
    assert balances(await wallet(api, buyer)) == nothing(coins, entries=1)
    assert await payment_count(clean_db) == 1


async def test_concurrent_purchases_with_distinct_keys_all_credit(api, clean_db):
    buyer = await sign_up(api, "buyer")

    payloads = await asyncio.gather(*(purchase(api, buyer, 700) for _ in range(8)))

    assert [p["userErrors"] for p in payloads] == [[]] * 8
    found = await wallet(api, buyer)
    assert balances(found) == nothing(5600, entries=8)
    assert sorted(e["balanceAfter"] for e in found["entries"]) == list(range(700, 5601, 700))
    assert max(p["wallet"]["coins"] for p in payloads) == 5600
    assert await payment_count(clean_db) == 8


# --- reelpay ledger verify -------------------------------------------------------------------


async def test_ledger_verify_passes_after_purchases_and_catches_a_corrupted_balance(
    api, clean_db, settings, monkeypatch, capsys
):
    buyer = await sign_up(api, "buyer")
    await purchase(api, buyer, 700)
    await purchase(api, buyer, 70)
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)

    assert await asyncio.to_thread(main, ["ledger", "verify"]) == 0
    assert "every invariant holds" in capsys.readouterr().out

    corrupt = "UPDATE ledger_accounts SET balance = balance + 1 WHERE owner_id IS NOT NULL"
    async with clean_db.begin() as c:
        assert (await c.execute(sa.text(corrupt))).rowcount == 1
    try:
        status = await asyncio.to_thread(main, ["ledger", "verify"])
        err = capsys.readouterr().err
    finally:
        async with clean_db.begin() as c:
            await c.execute(
                sa.text(
                    "UPDATE ledger_accounts SET balance = balance - 1 WHERE owner_id IS NOT NULL"
                )
            )

    assert status == 1
    assert f"violation: user:{buyer.pk}:" in err
    assert "caches balance 771 but its postings sum to 770" in err
    assert "ledger verify: 1 violation(s)" in err
    assert await asyncio.to_thread(main, ["ledger", "verify"]) == 0


async def test_no_database_connection_is_held_while_the_provider_charges(api, clean_db):
    fan = await sign_up(api, "fan")
    services = api.client._transport.app.state.services
    sandbox = services.payments
    held: list[int] = []

    class Watching:
        name = sandbox.name

        async def charge(self, request):
            held.append(clean_db.pool.checkedout())
            return await sandbox.charge(request)

        async def refund(self, charge_id):
            await sandbox.refund(charge_id)

    services.payments = Watching()
    await buy_coins(api, fan, 70)
    assert held == [0]
