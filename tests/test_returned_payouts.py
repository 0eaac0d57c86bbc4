"""Payouts the provider paid and then took back: a PAID payout becomes RETURNED when PayPal
says RETURNED, REFUNDED or REVERSED (`PAYMENT.PAYOUTS-ITEM.*` at /webhooks/paypal) or Stripe
says the payout's transfer was reversed in full (`transfer.reversed` at /webhooks/stripe). Its
amount goes from the platform's PAYOUTS_SENT back to the creator's earnings in one
PAYOUT_RETURN, once: replays, late SUCCEEDED events and other failures change nothing. A partial
Stripe reversal leaves the payout PAID (logged for a person)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.clock import FrozenClock
from reelpay.db import create_sessionmaker
from reelpay.payments.webhook_events import ProviderEvent
from reelpay.payouts import audit
from reelpay.payouts.paypal import payout_item_event
from reelpay.payouts.provider import PayoutOutcome
from reelpay.settings import Settings
from tests.conftest import Api, serving_api
from tests.factories import User, add_paypal, credit_earnings, make_staff, new_key, sign_up
from tests.fakes.paypal_server import FakePayPal
from tests.fakes.stripe_server import FakeStripe, event, sign
from tests.test_payout_onboarding import add_bank, external_id, onboarded, with_stripe

ledger_checked = pytest.mark.usefixtures("verify_ledger")

PAYOUT = (
    "query($id: ID!) { node(id: $id) { ... on Payout { status failureCode failureMessage "
    "paidAt failedAt } } }"
)
WALLET = (
    "{ viewer { wallet { earnings { minorUnits } inPayout { minorUnits } paidOut { minorUnits }"
    " earningsBySource { source available { minorUnits } paidOut { minorUnits } } } } }"
)
INBOX = "{ viewer { notifications(first: 20) { edges { node { kind title body } } } } }"
FORECAST = "{ payoutForecast { requestableNow { minorUnits } } }"
T0 = "2026-06-15T12:00:00+00:00"  # the tests' clock
PAYOUT_KINDS = {f"PAYOUT_{s}" for s in ("REQUESTED", "PROCESSING", "PAID", "FAILED", "RETURNED")}


# --- arranging ------------------------------------------------------------------------------


@pytest.fixture
async def live(
    settings: Settings, clock: FrozenClock, clean_db: AsyncEngine, paypal_settings: Any
) -> AsyncIterator[Api]:
    configured = dataclasses.replace(settings, payout_provider="paypal", paypal=paypal_settings)
    async with serving_api(configured, clock, clean_db) as served:
        yield served


@pytest.fixture
async def stripe_api(
    settings: Settings, clock: FrozenClock, clean_db: AsyncEngine, stripe_settings: Any
) -> AsyncIterator[Api]:
    async with serving_api(with_stripe(settings, stripe_settings), clock, clean_db) as api:
        yield api


async def request_payout(api: Api, creator: User, cents: int) -> tuple[str, str]:
    """A requested payout of `cents` to the creator's default method: (global id, reference)."""
    payload = await api.mutate(
        "requestPayout",
        {"amountCents": cents, "idempotencyKey": new_key()},
        "payout { id }",
        token=creator.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    payout_id = payload["payout"]["id"]
    async with api.engine.connect() as connection:
        reference = await connection.scalar(
            sa.text("SELECT reference FROM payouts ORDER BY id DESC LIMIT 1")
        )
    return payout_id, str(reference)


async def run_job(api: Api) -> dict[str, Any]:
    staff = await make_staff(api, api.engine)
    done = await api.mutate(
        "runPayouts", {"createScheduled": False}, "paid failed retrying", token=staff.token
    )
    assert done["userErrors"] == []
    return done


async def payout(api: Api, creator: User, payout_id: str) -> dict[str, Any]:
    found = await api.data(PAYOUT, {"id": payout_id}, token=creator.token)
    return found["node"]  # type: ignore[no-any-return]


async def wallet(api: Api, creator: User) -> dict[str, Any]:
    found = (await api.data(WALLET, token=creator.token))["viewer"]["wallet"]
    rewards = [s for s in found["earningsBySource"] if s["source"] == "REWARDS"]
    return {
        "earnings": found["earnings"]["minorUnits"],
        "inPayout": found["inPayout"]["minorUnits"],
        "paidOut": found["paidOut"]["minorUnits"],
        "rewards": (rewards[0]["available"]["minorUnits"], rewards[0]["paidOut"]["minorUnits"]),
    }


def wallet_of(earnings: int, in_payout: int, paid_out: int) -> dict[str, Any]:
    """The wallet of a creator whose earnings are all Creator Rewards."""
    return {
        "earnings": earnings,
        "inPayout": in_payout,
        "paidOut": paid_out,
        "rewards": (earnings, paid_out),
    }


async def inbox(api: Api, creator: User) -> list[tuple[str, str, str]]:
    """(kind, title, body) of the creator's notifications about payouts, oldest first."""
    found = (await api.data(INBOX, token=creator.token))["viewer"]["notifications"]["edges"]
    nodes = [e["node"] for e in reversed(found)]
    return [(n["kind"], n["title"], n["body"]) for n in nodes if n["kind"] in PAYOUT_KINDS]


async def returns(engine: AsyncEngine) -> list[list[tuple[str, int]]]:
    """Each PAYOUT_RETURN transaction's legs (account key, amount), oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT t.id, a.key, p.amount FROM ledger_transactions t"
                " JOIN ledger_postings p ON p.transaction_id = t.id"
                " JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                " WHERE t.kind = 'PAYOUT_RETURN' ORDER BY t.id, p.amount"
            )
        )
        found: dict[int, list[tuple[str, int]]] = {}
        for transaction, key, amount in rows.all():
            found.setdefault(transaction, []).append((key, int(amount)))
    return list(found.values())


async def deliver_paypal(api: Api, paypal: FakePayPal, body: bytes) -> str:
    headers = {"Content-Type": "application/json", **paypal.signed_headers(body)}
    answer = await api.client.post("/webhooks/paypal", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


async def deliver_stripe(api: Api, body: bytes) -> str:
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body)}
    answer = await api.client.post("/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


async def paid_by_paypal(
    api: Api, paypal: FakePayPal, earned: int = 15_000, cents: int = 10_000
) -> tuple[User, str, str]:
    """A creator with `earned` whose PayPal payout of `cents` PayPal paid (its webhook said
    so): (creator, payout id, reference)."""
    creator = await sign_up(api, "star")
    await credit_earnings(api.engine, creator, earned)
    await add_paypal(api, creator)
    payout_id, reference = await request_payout(api, creator, cents)
    assert (await run_job(api))["retrying"] == 1  # accepted; PayPal answers later
    succeeded = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paypal.settle(reference))
    assert await deliver_paypal(api, paypal, succeeded) == "paid"
    assert (await payout(api, creator, payout_id))["status"] == "PAID"
    assert await wallet(api, creator) == wallet_of(earned - cents, 0, cents)
    return creator, payout_id, reference


TO = "PayPal s•••@paypal.example"
SENT = (
    ("PAYOUT_REQUESTED", "Payout requested", f"100.00 USD will be sent to {TO}."),
    ("PAYOUT_PROCESSING", "Payout on its way", f"100.00 USD is being sent to {TO}."),
    ("PAYOUT_PAID", "Payout sent", f"100.00 USD was sent to {TO}."),
)


# --- PayPal ---------------------------------------------------------------------------------


@ledger_checked
@pytest.mark.parametrize("status", ["RETURNED", "REFUNDED", "REVERSED"])
async def test_a_paid_paypal_payout_that_comes_back_is_returned_to_the_earnings(
    live: Api, paypal: FakePayPal, status: str
) -> None:
    creator, payout_id, reference = await paid_by_paypal(live, paypal)

    body = paypal.event(f"PAYMENT.PAYOUTS-ITEM.{status}", paypal.settle(reference, status=status))
    assert await deliver_paypal(live, paypal, body) == "returned"

    message = f"PayPal {status.lower()} the payout ({status})."
    assert await payout(live, creator, payout_id) == {
        "status": "RETURNED",
        "failureCode": status,
        "failureMessage": message,
        "paidAt": T0,
        "failedAt": None,
    }
    assert await wallet(live, creator) == wallet_of(15_000, 0, 0)
    assert await returns(live.engine) == [
        [("platform:PAYOUTS_SENT", -10_000), (f"user:{creator.pk}:EARNINGS", 10_000)]
    ]
    returned = (
        "PAYOUT_RETURNED",
        "Payout returned",
        f"100.00 USD sent to {TO} came back and is in your available "
        f"balance again; check the payout method before the next payout. {message}",
    )
    assert await inbox(live, creator) == [*SENT, returned]


@ledger_checked
async def test_replays_and_late_events_change_nothing_once_returned(
    live: Api, paypal: FakePayPal
) -> None:
    creator, payout_id, reference = await paid_by_paypal(live, paypal)
    item = paypal.settle(reference, status="RETURNED")
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.RETURNED", item)
    assert await deliver_paypal(live, paypal, body) == "returned"
    after = (await payout(live, creator, payout_id), await wallet(live, creator))
    told = await inbox(live, creator)

    assert await deliver_paypal(live, paypal, body) == "duplicate"  # the same delivery again
    # The same news as another event, then a late (out of order) SUCCEEDED.
    again = paypal.event("PAYMENT.PAYOUTS-ITEM.RETURNED", item)
    assert await deliver_paypal(live, paypal, again) == "already RETURNED"
    late = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {**item, "transaction_status": "SUCCESS"})
    assert await deliver_paypal(live, paypal, late) == "already RETURNED"
    reversed_too = paypal.event("PAYMENT.PAYOUTS-ITEM.REVERSED", item)
    assert await deliver_paypal(live, paypal, reversed_too) == "already RETURNED"

    assert (await payout(live, creator, payout_id), await wallet(live, creator)) == after
    assert await inbox(live, creator) == told
    assert len(await returns(live.engine)) == 1


@ledger_checked
@pytest.mark.parametrize(
    ("suffix", "status"), [("FAILED", "FAILED"), ("BLOCKED", "BLOCKED"), ("DENIED", "DENIED")]
)
async def test_another_failure_of_a_paid_payout_changes_nothing(
    live: Api, paypal: FakePayPal, suffix: str, status: str
) -> None:
    creator, payout_id, reference = await paid_by_paypal(live, paypal)
    before = (await payout(live, creator, payout_id), await wallet(live, creator))

    body = paypal.event(f"PAYMENT.PAYOUTS-ITEM.{suffix}", paypal.settle(reference, status=status))
    assert await deliver_paypal(live, paypal, body) == "already PAID"

    assert (await payout(live, creator, payout_id), await wallet(live, creator)) == before
    assert before[0]["status"] == "PAID" and before[1] == wallet_of(5_000, 0, 10_000)
    assert await returns(live.engine) == []
    assert await inbox(live, creator) == list(SENT)


@ledger_checked
async def test_returned_before_paid_fails_the_payout_and_a_late_success_changes_nothing(
    live: Api, paypal: FakePayPal
) -> None:
    """Deliveries out of order: PayPal's RETURNED arrives while the payout is still waiting for
    its answer. The money never left our books: it goes back from the payout's hold."""
    creator = await sign_up(live, "star")
    await credit_earnings(live.engine, creator, 15_000)
    await add_paypal(live, creator)
    payout_id, reference = await request_payout(live, creator, 10_000)
    await run_job(live)
    item = paypal.settle(reference, status="RETURNED")

    body = paypal.event("PAYMENT.PAYOUTS-ITEM.RETURNED", item)
    assert await deliver_paypal(live, paypal, body) == "failed"
    late = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {**item, "transaction_status": "SUCCESS"})
    assert await deliver_paypal(live, paypal, late) == "already FAILED"

    found = await payout(live, creator, payout_id)
    assert (found["status"], found["failureCode"], found["paidAt"]) == ("FAILED", "RETURNED", None)
    assert await wallet(live, creator) == wallet_of(15_000, 0, 0)
    assert await returns(live.engine) == [
        [(f"user:{creator.pk}:PAYOUTS_HELD", -10_000), (f"user:{creator.pk}:EARNINGS", 10_000)]
    ]


@ledger_checked
async def test_money_that_came_back_can_be_paid_out_again_the_same_day(
    live: Api, paypal: FakePayPal
) -> None:
    """The daily cap (1,000 USD) counts what left the earnings and stayed out."""
    creator, _, reference = await paid_by_paypal(live, paypal, earned=100_000, cents=100_000)
    found = await live.data(FORECAST, token=creator.token)
    assert found["payoutForecast"]["requestableNow"] == {"minorUnits": 0}

    body = paypal.event("PAYMENT.PAYOUTS-ITEM.RETURNED", paypal.settle(reference, "RETURNED"))
    assert await deliver_paypal(live, paypal, body) == "returned"

    found = await live.data(FORECAST, token=creator.token)
    assert found["payoutForecast"]["requestableNow"] == {"minorUnits": 100_000}
    await request_payout(live, creator, 100_000)
    assert await wallet(live, creator) == {
        "earnings": 0, "inPayout": 100_000, "paidOut": 0, "rewards": (0, 0)
    }  # fmt: skip


@ledger_checked
async def test_ledger_verify_reconciles_returned_payouts_with_the_ledger(
    live: Api, paypal: FakePayPal
) -> None:
    creator, _, reference = await paid_by_paypal(live, paypal)

    async def problems() -> list[str]:
        async with create_sessionmaker(live.engine)() as session:
            return await audit.verify(session)

    async def mark(status: str) -> None:  # behind the ledger's back
        async with live.engine.begin() as connection:
            await connection.execute(sa.text("UPDATE payouts SET status = :s"), {"s": status})

    await mark("RETURNED")  # the money did not come back in the ledger
    assert await problems() == [
        f"account {creator.pk}: the ledger took back 0 cents of sent payouts, but its returned "
        "payouts total 10000"
    ]
    await mark("PAID")
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.RETURNED", paypal.settle(reference, "RETURNED"))
    assert await deliver_paypal(live, paypal, body) == "returned"
    assert await problems() == []
    await mark("PAID")  # it came back in the ledger, and the payout says it was kept
    assert await problems() == [
        f"account {creator.pk}: the ledger took back 10000 cents of sent payouts, but its "
        "returned payouts total 0"
    ]
    await mark("RETURNED")  # put it back for the fixture's check


def test_a_taken_back_item_keeps_its_status_as_the_code_and_paypals_error_as_the_message():
    item = {
        "payout_item_id": "8AELMXH8UB2P8",
        "transaction_status": "RETURNED",
        "payout_item": {"sender_item_id": "rp_ref"},
        "errors": {"name": "RECEIVER_UNREGISTERED", "message": "Receiver is unregistered."},
    }
    found = payout_item_event(
        ProviderEvent(
            "paypal", "WH-1", "PAYMENT.PAYOUTS-ITEM.RETURNED", json.loads(json.dumps(item))
        )
    )

    assert found is not None
    reference, result = found
    assert (reference, result.outcome, result.code) == ("rp_ref", PayoutOutcome.FAILED, "RETURNED")
    assert result.message == "PayPal returned the payout: Receiver is unregistered."


# --- Stripe ---------------------------------------------------------------------------------


async def paid_by_stripe(api: Api, stripe: FakeStripe) -> tuple[User, str, str]:
    """A creator with 250.00 earned, a READY Connect account and a 100.00 bank payout the job
    sent as a Stripe transfer: (creator, payout id, transfer id)."""
    creator = await sign_up(api, "ann")
    await credit_earnings(api.engine, creator, 25_000)
    await add_bank(api, creator)
    await onboarded(api, creator)
    ready = stripe.set_account(await external_id(api, creator), payouts_enabled=True)
    assert await deliver_stripe(api, event("account.updated", ready)) == "account updated"
    payout_id, reference = await request_payout(api, creator, 10_000)
    done = await run_job(api)
    assert (done["paid"], done["failed"]) == (1, 0)
    [transfer] = stripe.transfers.values()
    assert (transfer["transfer_group"], transfer["amount"]) == (reference, 10_000)
    assert await wallet(api, creator) == wallet_of(15_000, 0, 10_000)
    return creator, payout_id, str(transfer["id"])


@ledger_checked
async def test_a_bank_payout_whose_transfer_is_reversed_is_returned(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    creator, payout_id, transfer_id = await paid_by_stripe(stripe_api, stripe)

    body = event("transfer.reversed", stripe.reverse(transfer_id))
    assert await deliver_stripe(stripe_api, body) == "returned"

    found = await payout(stripe_api, creator, payout_id)
    assert (found["status"], found["failureCode"]) == ("RETURNED", "TRANSFER_REVERSED")
    assert found["failureMessage"] == (
        "Stripe reversed the transfer to your Stripe account: the money came back."
    )
    assert await wallet(stripe_api, creator) == wallet_of(25_000, 0, 0)
    assert await returns(stripe_api.engine) == [
        [("platform:PAYOUTS_SENT", -10_000), (f"user:{creator.pk}:EARNINGS", 10_000)]
    ]
    assert (await inbox(stripe_api, creator))[-1][:2] == ("PAYOUT_RETURNED", "Payout returned")

    assert await deliver_stripe(stripe_api, body) == "duplicate"
    again = event("transfer.reversed", stripe.transfers[transfer_id])
    assert await deliver_stripe(stripe_api, again) == "already RETURNED"
    assert await wallet(stripe_api, creator) == wallet_of(25_000, 0, 0)
    assert len(await returns(stripe_api.engine)) == 1


@ledger_checked
async def test_a_partial_reversal_leaves_the_payout_paid_until_the_rest_comes_back(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    creator, payout_id, transfer_id = await paid_by_stripe(stripe_api, stripe)

    partial = event("transfer.reversed", stripe.reverse(transfer_id, amount=4_000))
    assert await deliver_stripe(stripe_api, partial) == "partly reversed"
    assert (await payout(stripe_api, creator, payout_id))["status"] == "PAID"
    assert await wallet(stripe_api, creator) == wallet_of(15_000, 0, 10_000)
    assert await returns(stripe_api.engine) == []

    rest = event("transfer.reversed", stripe.reverse(transfer_id))
    assert await deliver_stripe(stripe_api, rest) == "returned"
    assert (await payout(stripe_api, creator, payout_id))["status"] == "RETURNED"
    assert await wallet(stripe_api, creator) == wallet_of(25_000, 0, 0)


@ledger_checked
async def test_a_reversed_transfer_that_is_not_a_payout_is_ignored(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    creator, payout_id, transfer_id = await paid_by_stripe(stripe_api, stripe)
    foreign = {**stripe.reverse(transfer_id), "transfer_group": "group_not_ours"}

    assert await deliver_stripe(stripe_api, event("transfer.reversed", foreign)) == "ignored"
    no_group = {**foreign, "transfer_group": None, "metadata": {}}
    assert await deliver_stripe(stripe_api, event("transfer.reversed", no_group)) == "ignored"

    assert (await payout(stripe_api, creator, payout_id))["status"] == "PAID"
    assert await wallet(stripe_api, creator) == wallet_of(15_000, 0, 10_000)
