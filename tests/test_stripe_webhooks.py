"""Reelpay with Stripe as its payment provider, end to end: the SDK talks to the local fake
Stripe (tests/fakes/stripe_server.py) and Stripe's events arrive signed at /webhooks/stripe.

A card payment that needs 3-D Secure or is still processing is parked; Stripe's
`payment_intent.succeeded` credits it once (a replayed, duplicated or concurrent delivery
changes nothing; a late `payment_failed` does not undo it); `payment_failed` fails it; a payment
whose operation is refused when it finishes is refunded at Stripe. Unsigned or tampered
deliveries are refused with 400 and change nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from reelpay.cli import PENDING_PAYMENT_GRACE
from reelpay.payments import webhooks
from reelpay.payments.models import Payment, PendingPayment, ProviderEvent
from tests.conftest import Api, serving_api
from tests.factories import User, enrol, new_key, package_id, set_standing, sign_up
from tests.fakes.stripe_server import (
    PROCESSING,
    THREE_D_SECURE,
    FakeStripe,
    event,
    sign,
)
from tests.test_tips import tip

pytestmark = pytest.mark.usefixtures("verify_ledger")

PURCHASE = (
    "purchase { id coins } wallet { coins } "
    "pendingPayment { id status clientSecret amount { minorUnits } }"
)


@pytest.fixture
async def live(settings, clock, clean_db, stripe_settings) -> AsyncIterator[Api]:
    configured = dataclasses.replace(settings, payment_provider="stripe", stripe=stripe_settings)
    async with serving_api(configured, clock, clean_db) as served:
        yield served


async def buy(api: Api, user: User, method: str, key: str) -> dict[str, Any]:
    return await api.mutate(
        "purchaseCoins",
        {"packageId": package_id(700), "paymentToken": method, "idempotencyKey": key},
        PURCHASE,
        token=user.token,
    )


async def deliver(api: Api, body: bytes, signature: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature if signature is not None else sign(body)
    return await api.client.post("/webhooks/stripe", content=body, headers=headers)


async def coins(api: Api, user: User) -> int:
    data = await api.data("{ viewer { wallet { coins } } }", token=user.token)
    return int(data["viewer"]["wallet"]["coins"])


async def rows(api: Api, table: Any) -> int:
    async with api.engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(table)))


def intent_of(fake: FakeStripe) -> str:
    (intent,) = fake.intents
    return intent


async def test_a_paid_purchase_takes_the_payment_intent_with_our_key_and_ids(live, stripe):
    fan = await sign_up(live, "fan")
    bought = await buy(live, fan, "pm_card_visa", new_key())
    assert bought["purchase"]["coins"] == 700 and bought["pendingPayment"] is None
    (created,) = stripe.created("/v1/payment_intents")
    assert created.params["amount"] == "999" and created.params["currency"] == "usd"
    assert created.idempotency_key and created.idempotency_key.startswith("reelpay-")
    assert created.params["metadata"]["reelpay_operation"] == "purchaseCoins"
    async with live.engine.connect() as connection:
        charge = await connection.scalar(sa.select(Payment.provider_charge_id))
    assert charge == intent_of(stripe)


async def test_3ds_waits_then_the_webhook_credits_it_once(live, stripe):
    fan = await sign_up(live, "fan")
    key = new_key()
    first = await buy(live, fan, THREE_D_SECURE, key)
    pending = first["pendingPayment"]
    intent = intent_of(stripe)
    assert pending["status"] == "REQUIRES_ACTION"
    assert pending["clientSecret"] == stripe.intents[intent]["client_secret"]
    assert await coins(live, fan) == 0

    body = event("payment_intent.succeeded", stripe.finish(intent))
    answer = await deliver(live, body)
    assert answer.status_code == 200 and answer.json()["outcome"] == "credited"
    assert await coins(live, fan) == 700
    replay = await deliver(live, body)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    again = await buy(live, fan, THREE_D_SECURE, key)  # the client's retry: the same purchase
    assert again["purchase"]["coins"] == 700 and again["pendingPayment"] is None
    assert await coins(live, fan) == 700 and await rows(live, Payment) == 1
    late_failure = event("payment_intent.payment_failed", stripe.intents[intent])
    assert (await deliver(live, late_failure)).json()["outcome"] == "kept"
    assert await coins(live, fan) == 700


async def test_the_retry_credits_it_when_the_webhook_is_late(live, stripe):
    fan = await sign_up(live, "fan")
    key = new_key()
    await buy(live, fan, PROCESSING, key)
    intent = intent_of(stripe)
    finished = stripe.finish(intent)
    retry = await buy(live, fan, PROCESSING, key)  # asks Stripe: succeeded
    assert retry["purchase"]["coins"] == 700
    late = await deliver(live, event("payment_intent.succeeded", finished))
    assert late.json()["outcome"] == "already credited"
    assert await coins(live, fan) == 700 and await rows(live, Payment) == 1
    assert len(stripe.created("/v1/payment_intents")) == 1  # never charged twice


async def test_two_deliveries_at_once_credit_once(live, stripe):
    fan = await sign_up(live, "fan")
    await buy(live, fan, THREE_D_SECURE, new_key())
    body = event("payment_intent.succeeded", stripe.finish(intent_of(stripe)))
    answers = await asyncio.gather(deliver(live, body), deliver(live, body))
    assert sorted(a.json()["outcome"] for a in answers) == ["credited", "duplicate"]
    assert await coins(live, fan) == 700 and await rows(live, Payment) == 1


async def test_a_failed_authentication_fails_the_payment(live, stripe):
    fan = await sign_up(live, "fan")
    key = new_key()
    await buy(live, fan, THREE_D_SECURE, key)
    failed = stripe.finish(intent_of(stripe), succeeded=False)
    answer = await deliver(live, event("payment_intent.payment_failed", failed))
    assert answer.json()["outcome"] == "failed"
    retry = await buy(live, fan, THREE_D_SECURE, key)
    assert [e["code"] for e in retry["userErrors"]] == ["PAYMENT_FAILED"]
    assert await coins(live, fan) == 0 and await rows(live, Payment) == 0


async def test_a_payment_refused_when_it_succeeds_is_refunded_at_stripe(live, stripe):
    fan, creator = await sign_up(live, "fan"), await sign_up(live, "star")
    await enrol(live.engine, creator, "TIPS")
    waiting = await tip(live, fan, creator.id, 500, "CARD", token=THREE_D_SECURE)
    assert waiting["tip"] is None and waiting["userErrors"] == []
    await set_standing(live.engine, creator, "RESTRICTED")
    intent = intent_of(stripe)
    answer = await deliver(live, event("payment_intent.succeeded", stripe.finish(intent)))
    assert answer.json()["outcome"] == "failed"
    assert stripe.refunded(intent) == 500
    async with live.engine.connect() as connection:
        status = await connection.scalar(sa.select(PendingPayment.status))
    assert status == "FAILED" and await rows(live, Payment) == 0


@pytest.mark.parametrize("forgery", ["missing", "garbage", "another body", "another secret"])
async def test_an_unsigned_or_tampered_delivery_changes_nothing(live, stripe, forgery):
    fan = await sign_up(live, "fan")
    await buy(live, fan, THREE_D_SECURE, new_key())
    body = event("payment_intent.succeeded", stripe.finish(intent_of(stripe)))
    signature = {
        "missing": "",
        "garbage": "t=1,v1=00",
        "another body": sign(b"{}"),
        "another secret": sign(body, secret="whsec_someone_else"),
    }[forgery]
    answer = await deliver(live, body, signature)
    assert answer.status_code == 400 and answer.json() == {"error": "INVALID_SIGNATURE"}
    assert await coins(live, fan) == 0 and await rows(live, ProviderEvent) == 0


async def test_a_stale_signature_is_refused(live, stripe):
    body = event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    answer = await deliver(live, body, sign(body, timestamp=1_000_000_000))
    assert answer.status_code == 400


async def test_events_we_do_not_act_on_are_stored_once(live, stripe):
    body = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert (await deliver(live, body)).json()["outcome"] == "ignored"
    assert (await deliver(live, body)).json()["outcome"] == "duplicate"
    assert await rows(live, ProviderEvent) == 1


async def test_without_stripe_the_route_is_not_there(api, clean_db):
    body = event("payment_intent.succeeded", {"id": "pi_x"})
    answer = await api.client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)}
    )
    assert answer.status_code == 404
    assert json.loads(answer.text) == {"error": "NOT_CONFIGURED"}


async def test_a_timeout_at_stripe_charges_nothing_and_the_retry_charges_once(live, stripe):
    fan = await sign_up(live, "fan")
    key = new_key()
    stripe.fail_next(3, "timeout")  # the first try and the SDK's two retries
    refused = await buy(live, fan, "pm_card_visa", key)
    assert [e["code"] for e in refused["userErrors"]] == ["PAYMENT_PROCESSING_ERROR"]
    again = await buy(live, fan, "pm_card_visa", key)
    assert again["purchase"]["coins"] == 700
    assert len(stripe.intents) == 1 and await rows(live, Payment) == 1


async def test_a_declined_card_is_refused_with_stripes_reason(live, stripe):
    fan = await sign_up(live, "fan")
    refused = await buy(live, fan, "pm_card_chargeDeclined", new_key())
    assert [e["code"] for e in refused["userErrors"]] == ["CARD_DECLINED"]
    assert "declined" in refused["userErrors"][0]["message"]


async def test_a_connect_endpoint_can_sign_with_its_own_secret(
    settings, clock, clean_db, stripe_settings
):
    """Stripe signs connected accounts' events (`account.updated`) with the secret of the
    Connect endpoint when it is a separate one: both secrets are accepted, no other."""
    connect = dataclasses.replace(stripe_settings, connect_webhook_secret="whsec_connect")
    configured = dataclasses.replace(settings, payment_provider="stripe", stripe=connect)
    async with serving_api(configured, clock, clean_db) as api:
        body = event("account.updated", {"id": "acct_unknown", "object": "account"})
        accepted = await deliver(api, body, sign(body, secret="whsec_connect"))
        assert accepted.status_code == 200 and accepted.json()["outcome"] == "ignored"
        other = event("account.updated", {"id": "acct_unknown", "object": "account"})
        refused = await deliver(api, other, sign(other, secret="whsec_nobody"))
        assert refused.status_code == 400


def dispute(intent: str, status: str, amount: int = 999) -> dict[str, Any]:
    """A Stripe Dispute object about a PaymentIntent's charge."""
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "charge": "ch_1",
        "payment_intent": intent,
        "reason": "fraudulent",
        "status": status,
    }


async def test_a_lost_dispute_takes_the_coins_back_once(live, stripe):
    fan = await sign_up(live, "fan")
    await buy(live, fan, "pm_card_visa", new_key())
    intent = intent_of(stripe)
    opened = await deliver(live, event("charge.dispute.created", dispute(intent, "needs_response")))
    assert opened.json()["outcome"] == "dispute recorded"
    assert await coins(live, fan) == 700  # nothing moves while it is open
    closed = event("charge.dispute.closed", dispute(intent, "lost"))
    assert (await deliver(live, closed)).json()["outcome"] == "dispute lost"
    assert (await deliver(live, closed)).json()["outcome"] == "duplicate"
    assert await coins(live, fan) == 0


async def test_a_won_dispute_moves_nothing(live, stripe):
    fan = await sign_up(live, "fan")
    await buy(live, fan, "pm_card_visa", new_key())
    intent = intent_of(stripe)
    closed = await deliver(live, event("charge.dispute.closed", dispute(intent, "won")))
    assert closed.json()["outcome"] == "dispute won" and await coins(live, fan) == 700


async def settle(api: Api, clock: Any) -> dict[str, int]:
    """`reelpay jobs settle-pending-payments` at the test clock, with the app's provider."""
    services = api.app.state.services
    return await webhooks.settle_parked(
        services.sessionmaker, services.payments, now=clock.now(), settings=services.settings,
        older_than=PENDING_PAYMENT_GRACE,
    )  # fmt: skip


async def test_the_job_settles_what_a_lost_webhook_did_not(live, stripe, clock):
    fan, other = await sign_up(live, "fan"), await sign_up(live, "other")
    await buy(live, fan, THREE_D_SECURE, new_key())
    (paid,) = stripe.intents
    await buy(live, other, THREE_D_SECURE, new_key())
    failed = next(i for i in stripe.intents if i != paid)
    stripe.finish(paid)
    stripe.finish(failed, succeeded=False)
    clock.advance(PENDING_PAYMENT_GRACE - timedelta(seconds=1))
    assert await settle(live, clock) == {"credited": 0, "failed": 0, "waiting": 0, "errors": 0}
    clock.advance(timedelta(seconds=1))
    assert await settle(live, clock) == {"credited": 1, "failed": 1, "waiting": 0, "errors": 0}
    assert await coins(live, fan) == 700 and await coins(live, other) == 0
    late = await deliver(live, event("payment_intent.succeeded", stripe.intents[paid]))
    assert late.json()["outcome"] == "already credited"
    assert await settle(live, clock) == {"credited": 0, "failed": 0, "waiting": 0, "errors": 0}


async def test_the_job_leaves_a_payment_still_waiting_and_survives_stripe_down(live, stripe, clock):
    fan = await sign_up(live, "fan")
    await buy(live, fan, THREE_D_SECURE, new_key())
    clock.advance(timedelta(hours=1))
    assert (await settle(live, clock))["waiting"] == 1
    stripe.fail_next(3, 500)  # the first try and the SDK's two retries
    assert (await settle(live, clock))["errors"] == 1
    assert await coins(live, fan) == 0 and await rows(live, Payment) == 0
