"""Card payments the provider does not finish at once (3-D Secure, processing), through the API
with the sandbox provider: the mutation answers `pendingPayment` and credits nothing; the
payer's retry with the same idempotency key asks the provider and credits it exactly once (or
reports the failure); only the payer and staff can read the pending payment. Stripe's webhook
completing them is tested in tests/test_stripe_webhooks.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.payments.models import Payment, PendingPayment
from tests.factories import User, enrol, make_staff, new_key, package_id, sign_up
from tests.marketplace_factories import make_brand
from tests.test_marketplace_campaigns import draft, fund
from tests.test_series_buying import buy, make_series
from tests.test_tips import tip

pytestmark = pytest.mark.usefixtures("verify_ledger")

ACTION, ACTION_FAILS, PENDING = "tok_sandbox_3ds", "tok_sandbox_3ds_fail", "tok_sandbox_pending"
PENDING_FIELDS = (
    "pendingPayment { id status clientSecret operation failureMessage amount { minorUnits } }"
)
NODE = (
    "query($id: ID!) { node(id: $id) { ... on PendingCardPayment "
    "{ id status clientSecret operation amount { minorUnits } } } }"
)


async def buy_coins(api: Any, user: User, token: str, key: str) -> dict[str, Any]:
    return await api.mutate(
        "purchaseCoins",
        {"packageId": package_id(700), "paymentToken": token, "idempotencyKey": key},
        f"purchase {{ id coins }} wallet {{ coins }} {PENDING_FIELDS}",
        token=user.token,
    )


async def coins_of(api: Any, user: User) -> int:
    data = await api.data("{ viewer { wallet { coins } } }", token=user.token)
    return int(data["viewer"]["wallet"]["coins"])


async def count(api: Any, table: Any) -> int:
    async with api.engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(table)))


@pytest.mark.parametrize("token, status", [(ACTION, "REQUIRES_ACTION"), (PENDING, "PROCESSING")])
async def test_an_unfinished_payment_credits_nothing_until_the_retry_finds_it_done(
    api, clean_db, token, status
):
    fan = await sign_up(api, "fan")
    key = new_key()
    first = await buy_coins(api, fan, token, key)
    assert first["userErrors"] == [] and first["purchase"] is None and first["wallet"] is None
    pending = first["pendingPayment"]
    assert pending["status"] == status and pending["operation"] == "purchaseCoins"
    assert pending["amount"] == {"minorUnits": 999}
    # The client secret is for the buyer's action only.
    assert (pending["clientSecret"] is not None) == (status == "REQUIRES_ACTION")
    assert await coins_of(api, fan) == 0 and await count(api, Payment) == 0

    again = await buy_coins(api, fan, token, key)  # the buyer finished; the same key again
    assert again["userErrors"] == [] and again["pendingPayment"] is None
    assert again["purchase"]["coins"] == 700 and again["wallet"] == {"coins": 700}
    replay = await buy_coins(api, fan, token, key)
    assert replay["purchase"]["id"] == again["purchase"]["id"]
    assert await coins_of(api, fan) == 700 and await count(api, Payment) == 1
    node = await api.data(NODE, {"id": pending["id"]}, token=fan.token)
    assert node["node"]["status"] == "SUCCEEDED" and node["node"]["clientSecret"] is None


async def test_a_failed_authentication_credits_nothing_and_the_key_is_spent(api, clean_db):
    fan = await sign_up(api, "fan")
    key = new_key()
    first = await buy_coins(api, fan, ACTION_FAILS, key)
    assert first["pendingPayment"]["status"] == "REQUIRES_ACTION"
    declined = await buy_coins(api, fan, ACTION_FAILS, key)
    assert [e["code"] for e in declined["userErrors"]] == ["CARD_DECLINED"]
    assert declined["pendingPayment"] is None and declined["purchase"] is None
    spent = await buy_coins(api, fan, ACTION_FAILS, key)
    assert [(e["code"], e["field"]) for e in spent["userErrors"]] == [
        ("PAYMENT_FAILED", ["input", "idempotencyKey"])
    ]
    node = await api.data(NODE, {"id": first["pendingPayment"]["id"]}, token=fan.token)
    assert node["node"]["status"] == "FAILED"
    assert await coins_of(api, fan) == 0 and await count(api, Payment) == 0
    fresh = await buy_coins(api, fan, "tok_sandbox_success", new_key())  # a new key works
    assert fresh["purchase"]["coins"] == 700


async def test_only_the_payer_and_staff_read_a_pending_payment(api, clean_db):
    fan, other = await sign_up(api, "fan"), await sign_up(api, "other")
    staff = await make_staff(api, api.engine)
    pending = (await buy_coins(api, fan, ACTION, new_key()))["pendingPayment"]
    assert (await api.data(NODE, {"id": pending["id"]}, token=other.token))["node"] is None
    assert (await api.data(NODE, {"id": pending["id"]}))["node"] is None
    seen = (await api.data(NODE, {"id": pending["id"]}, token=staff.token))["node"]
    assert seen["status"] == "REQUIRES_ACTION" and seen["clientSecret"] is None


async def test_one_parked_row_per_request_and_another_request_is_another_payment(api, clean_db):
    fan = await sign_up(api, "fan")
    key = new_key()
    ids = {(await buy_coins(api, fan, PENDING, key))["pendingPayment"]["id"] for _ in range(1)}
    other = await buy_coins(api, fan, PENDING, new_key())
    assert other["pendingPayment"]["id"] not in ids
    assert await count(api, PendingPayment) == 2


async def test_every_card_paid_mutation_can_wait_for_the_buyer(api, clean_db):
    fan, creator = await sign_up(api, "fan"), await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS", "SERIES")
    series_id = await make_series(api, creator)
    brand = await make_brand(api, api.engine, "glow")
    campaign_id = await draft(api, brand)

    key = new_key()
    tipped = await tip(api, fan, creator.id, 500, "CARD", key=key, token=ACTION)
    assert tipped["tip"] is None and tipped["userErrors"] == []
    tipped = await tip(api, fan, creator.id, 500, "CARD", key=key, token=ACTION)
    assert tipped["tip"]["amount"]["minorUnits"] == 500

    key = new_key()
    bought = await buy(api, fan, series_id, "CARD", key=key, token=PENDING)
    assert bought["purchase"] is None and bought["userErrors"] == []
    bought = await buy(api, fan, series_id, "CARD", key=key, token=PENDING)
    assert bought["userErrors"] == [] and bought["purchase"] is not None

    key = new_key()
    funded = await fund(api, brand, campaign_id, 50_000, token=ACTION, key=key)
    assert funded["funding"] is None and funded["userErrors"] == []
    funded = await fund(api, brand, campaign_id, 50_000, token=ACTION, key=key)
    assert funded["userErrors"] == [] and funded["funding"]["amount"]["minorUnits"] == 50_000
    assert await count(api, Payment) == 3


async def test_a_retry_refused_by_the_rules_credits_nothing(api, clean_db):
    """The creator was restricted while the fan authenticated: the retry is refused before the
    provider is asked (the webhook refunds the charge if it went through: see
    tests/test_stripe_webhooks.py)."""
    from tests.factories import set_standing

    fan, creator = await sign_up(api, "fan"), await sign_up(api, "star")
    await enrol(api.engine, creator, "TIPS")
    key = new_key()
    assert (await tip(api, fan, creator.id, 500, "CARD", key=key, token=ACTION))["tip"] is None
    await set_standing(api.engine, creator, "RESTRICTED")
    refused = await tip(api, fan, creator.id, 500, "CARD", key=key, token=ACTION)
    assert [e["code"] for e in refused["userErrors"]] == ["CREATOR_NOT_ELIGIBLE"]
    assert refused["tip"] is None and await count(api, Payment) == 0


async def test_the_cli_job_settles_payments_left_waiting(api, settings, clock, monkeypatch, capsys):
    """`reelpay jobs settle-pending-payments` (its own sandbox) credits one, fails the other,
    once, when they have waited 15 minutes."""
    from reelpay.cli import main

    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    fan, other = await sign_up(api, "fan"), await sign_up(api, "other")
    waiting = (await buy_coins(api, fan, ACTION, new_key()))["pendingPayment"]
    await buy_coins(api, other, ACTION_FAILS, new_key())
    capsys.readouterr()
    job = ["jobs", "settle-pending-payments"]
    clock.advance(timedelta(minutes=14, seconds=59))
    assert await asyncio.to_thread(main, job, clock=clock) == 0
    assert capsys.readouterr().out.strip() == (
        "pending card payments: 0 credited, 0 failed, 0 still waiting"
    )
    clock.advance(timedelta(seconds=1))
    assert await asyncio.to_thread(main, job, clock=clock) == 0
    assert capsys.readouterr().out.strip() == (
        "pending card payments: 1 credited, 1 failed, 0 still waiting"
    )
    assert await coins_of(api, fan) == 700 and await coins_of(api, other) == 0
    node = await api.data(NODE, {"id": waiting["id"]}, token=fan.token)
    assert node["node"]["status"] == "SUCCEEDED"
    assert await asyncio.to_thread(main, job, clock=clock) == 0
    assert capsys.readouterr().out.strip().startswith("pending card payments: 0 credited, 0")
