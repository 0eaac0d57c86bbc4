"""Payouts to PayPal through the PayPal Payouts API, end to end: the payouts job sends each
payout once (our reference is PayPal's request id and sender_batch_id), PayPal answers later;
its signed webhook at /webhooks/paypal records the answer once; without a webhook the job asks
PayPal about the reference instead of sending it again. The fake PayPal is
tests/fakes/paypal_server.py."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from reelpay.db import create_sessionmaker
from reelpay.payouts import processing
from reelpay.payouts.models import Payout
from tests.conftest import Api, serving_api
from tests.factories import User, add_paypal, credit_earnings, decode_pk, new_key, sign_up
from tests.fakes.paypal_server import FAIL_DOMAIN, FakePayPal

pytestmark = pytest.mark.usefixtures("verify_ledger")


@pytest.fixture
async def live(settings, clock, clean_db, paypal_settings) -> AsyncIterator[Api]:
    configured = dataclasses.replace(settings, payout_provider="paypal", paypal=paypal_settings)
    async with serving_api(configured, clock, clean_db) as served:
        yield served


async def creator_with_payout(api: Api, email: str | None = None) -> tuple[User, str, str]:
    """A creator with 150.00 earned who asked for a 100.00 PayPal payout; (user, id, ref)."""
    creator = await sign_up(api, "star")
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator, email)
    payload = await api.mutate(
        "requestPayout",
        {"amountCents": 10_000, "idempotencyKey": new_key()},
        "payout { id status }",
        token=creator.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    payout_id = payload["payout"]["id"]
    return creator, payout_id, (await row(api, payout_id)).reference


async def row(api: Api, payout_id: str) -> Payout:
    async with create_sessionmaker(api.engine)() as session:
        found = await session.get(Payout, decode_pk(payout_id))
        assert found is not None
        return found


async def run_job(api: Api, clock: Any) -> processing.RunSummary:
    services = api.app.state.services
    return await processing.run(
        services.sessionmaker, services.payouts, now=clock.now(), settings=services.settings
    )


async def deliver(api: Api, paypal: FakePayPal, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json", **paypal.signed_headers(body)}
    return await api.client.post("/webhooks/paypal", content=body, headers=headers)


async def earnings(api: Api, user: User) -> int:
    data = await api.data("{ viewer { wallet { earnings { minorUnits } } } }", token=user.token)
    return int(data["viewer"]["wallet"]["earnings"]["minorUnits"])


async def test_a_payout_is_sent_once_and_the_webhook_records_it_paid(live, paypal, clock):
    _, payout_id, reference = await creator_with_payout(live)
    summary = await run_job(live, clock)
    assert summary.retrying == 1 and summary.paid == 0  # accepted: PayPal answers later
    sent = await row(live, payout_id)
    assert sent.status == "PROCESSING" and sent.provider == "paypal"
    batch = paypal.batch(reference)
    assert batch is not None and sent.provider_payout_id == batch["batch_header"]["payout_batch_id"]
    assert (await run_job(live, clock)).handled == ()  # not due again before the poll interval

    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paypal.settle(reference))
    answer = await deliver(live, paypal, body)
    assert answer.status_code == 200 and answer.json()["outcome"] == "paid"
    assert (await row(live, payout_id)).status == "PAID"
    assert (await deliver(live, paypal, body)).json()["outcome"] == "duplicate"
    assert len(paypal.batches) == 1


async def test_a_failed_item_returns_the_money(live, paypal, clock):
    creator, payout_id, reference = await creator_with_payout(live, f"star@{FAIL_DOMAIN}")
    await run_job(live, clock)
    assert await earnings(live, creator) == 5_000
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.FAILED", paypal.settle(reference))
    assert (await deliver(live, paypal, body)).json()["outcome"] == "failed"
    failed = await row(live, payout_id)
    assert failed.status == "FAILED" and failed.failure_code == "RECEIVER_UNREGISTERED"
    assert await earnings(live, creator) == 15_000
    late = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paypal.item(reference))
    assert (await deliver(live, paypal, late)).json()["outcome"] == "already FAILED"


async def test_without_a_webhook_the_job_asks_paypal_and_never_sends_again(live, paypal, clock):
    _, payout_id, reference = await creator_with_payout(live)
    await run_job(live, clock)
    paypal.settle(reference)
    clock.advance(
        timedelta(seconds=live.app.state.services.settings.rules.payout_status_poll_seconds)
    )
    summary = await run_job(live, clock)
    assert summary.paid == 1 and (await row(live, payout_id)).status == "PAID"
    assert len(paypal.batches) == 1


async def test_a_lost_answer_is_asked_about_not_paid_twice(live, paypal, clock):
    _, payout_id, reference = await creator_with_payout(live)
    paypal.fail_next(1, status="timeout")  # PayPal created the batch; the answer was lost
    summary = await run_job(live, clock)
    assert summary.retrying == 1 and (await row(live, payout_id)).status == "PROCESSING"
    clock.advance(timedelta(hours=2))
    await run_job(live, clock)
    asked = await row(live, payout_id)
    assert asked.status == "PROCESSING" and asked.provider_payout_id is not None
    assert len(paypal.batches) == 1
    paypal.settle(reference)
    clock.advance(timedelta(hours=2))
    assert (await run_job(live, clock)).paid == 1


async def test_an_unsigned_paypal_delivery_changes_nothing(live, paypal, clock):
    _, payout_id, reference = await creator_with_payout(live)
    await run_job(live, clock)
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paypal.settle(reference))
    forged = {**paypal.signed_headers(b"{}"), "Content-Type": "application/json"}
    answer = await live.client.post("/webhooks/paypal", content=body, headers=forged)
    assert answer.status_code == 400
    assert (await row(live, payout_id)).status == "PROCESSING"


async def test_without_paypal_the_route_is_not_there(api, clean_db):
    answer = await api.client.post("/webhooks/paypal", content=b"{}")
    assert answer.status_code == 404
