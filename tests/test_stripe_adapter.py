"""The Stripe adapters (cards through PaymentIntents, bank payouts through Connect, webhook
signatures) through the real `stripe` SDK, against the local fake Stripe
(tests/fakes/stripe_server.py). No database: these tests run once, not per backend."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator

import pytest
import stripe as stripe_sdk

from reelpay.payments.provider import ChargeOutcome, ChargeRequest
from reelpay.payments.stripe import RefundFailed, StripePaymentProvider
from reelpay.payments.webhook_events import InvalidWebhook
from reelpay.payouts.provider import PayoutOutcome, PayoutRequest
from reelpay.payouts.stripe_connect import ConnectError, ConnectStatus, StripeConnect
from reelpay.settings import StripeSettings
from tests.fakes.stripe_server import WEBHOOK_SECRET, FakeStripe, event, sign

INTENTS = "/v1/payment_intents"


@pytest.fixture
async def cards(stripe_settings: StripeSettings) -> AsyncIterator[StripePaymentProvider]:
    provider = StripePaymentProvider(stripe_settings)
    yield provider
    await provider.aclose()


@pytest.fixture
async def connect(stripe_settings: StripeSettings) -> AsyncIterator[StripeConnect]:
    provider = StripeConnect(stripe_settings)
    yield provider
    await provider.aclose()


def quick(settings: StripeSettings) -> StripeSettings:
    """Settings whose requests time out fast (the fake hangs longer)."""
    return dataclasses.replace(settings, timeout_seconds=0.3)


def card(token: str = "pm_card_visa", key: str = "key-1", amount: int = 1_000) -> ChargeRequest:
    return ChargeRequest(
        token=token,
        amount_cents=amount,
        currency="USD",
        idempotency_key=key,
        description="500 coins",
        metadata={"account_id": "7", "purchase": "coins"},
    )


# -- charges -------------------------------------------------------------------------------


async def test_a_card_charge_succeeds_with_our_key_amount_and_metadata(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card())

    assert charge.outcome is ChargeOutcome.SUCCEEDED
    assert charge.charge_id is not None and charge.charge_id.startswith("pi_")
    [sent] = stripe.created(INTENTS)
    assert sent.idempotency_key == "key-1"
    assert sent.params["amount"] == "1000"
    assert sent.params["currency"] == "usd"
    assert sent.params["payment_method"] == "pm_card_visa"
    assert sent.params["allowed_payment_method_types"] == ["card"]
    assert sent.params["confirm"] == "true"
    assert sent.params["description"] == "500 coins"
    assert sent.params["metadata"] == {"account_id": "7", "purchase": "coins"}
    assert stripe.intents[charge.charge_id]["status"] == "succeeded"


@pytest.mark.parametrize(
    ("token", "outcome", "message"),
    [
        ("pm_card_chargeDeclined", ChargeOutcome.DECLINED, "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            ChargeOutcome.DECLINED,
            "Your card has insufficient funds.",
        ),
        ("pm_nope", ChargeOutcome.INVALID_TOKEN, "Unknown payment method."),
    ],
)
async def test_refused_cards_map_to_their_outcomes(
    cards: StripePaymentProvider, token: str, outcome: ChargeOutcome, message: str
) -> None:
    charge = await cards.charge(card(token))

    assert charge.outcome is outcome
    assert charge.message == message
    assert charge.client_secret is None


async def test_a_declined_charge_names_its_payment_intent(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card("pm_card_chargeDeclined"))

    assert charge.charge_id in stripe.intents
    assert stripe.intents[charge.charge_id]["status"] == "requires_payment_method"


async def test_3d_secure_requires_action_with_the_client_secret(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card("pm_card_authenticationRequired"))

    assert charge.outcome is ChargeOutcome.REQUIRES_ACTION
    assert charge.charge_id is not None
    assert charge.client_secret == stripe.intents[charge.charge_id]["client_secret"]
    assert charge.client_secret.startswith(f"{charge.charge_id}_secret_")


async def test_a_processing_payment_is_pending(cards: StripePaymentProvider) -> None:
    charge = await cards.charge(card("pm_card_processing"))

    assert charge.outcome is ChargeOutcome.PENDING
    assert charge.charge_id is not None
    assert charge.client_secret is None


async def test_an_amount_stripe_refuses_is_a_processing_error_not_a_crash(
    cards: StripePaymentProvider,
) -> None:
    charge = await cards.charge(card(amount=10))  # below Stripe's minimum

    assert charge.outcome is ChargeOutcome.PROCESSING_ERROR


async def test_the_same_key_twice_is_one_payment_intent(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    first = await cards.charge(card())
    second = await cards.charge(card())

    assert first == second
    assert len(stripe.created(INTENTS)) == 1
    assert len(stripe.intents) == 1
    assert [r.replayed for r in stripe.requests] == [False, True]


async def test_a_declined_key_replays_the_decline(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    first = await cards.charge(card("pm_card_chargeDeclined"))
    second = await cards.charge(card("pm_card_chargeDeclined"))

    assert first.outcome is second.outcome is ChargeOutcome.DECLINED
    assert first.charge_id == second.charge_id
    assert len(stripe.intents) == 1


async def test_a_key_reused_with_other_parameters_is_refused(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    await cards.charge(card(amount=1_000))

    charge = await cards.charge(card(amount=2_000))

    assert charge.outcome is ChargeOutcome.KEY_REUSED
    assert len(stripe.intents) == 1


async def test_a_500_is_retried_by_the_sdk_with_the_same_key(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    stripe.fail_next(1, status=500)

    charge = await cards.charge(card())

    assert charge.outcome is ChargeOutcome.SUCCEEDED
    assert [(r.injected, r.idempotency_key) for r in stripe.requests] == [
        (500, "key-1"),
        (None, "key-1"),
    ]
    assert len(stripe.intents) == 1


async def test_a_response_lost_in_a_timeout_is_replayed_not_charged_again(
    stripe: FakeStripe, stripe_settings: StripeSettings
) -> None:
    stripe.fail_next(1, status="lost")  # Stripe charged, the response never came
    provider = StripePaymentProvider(quick(stripe_settings))
    try:
        charge = await provider.charge(card())
    finally:
        await provider.aclose()

    assert charge.outcome is ChargeOutcome.SUCCEEDED
    assert len(stripe.intents) == 1
    assert stripe.requests[-1].replayed


@pytest.mark.parametrize("failure", ["timeout", 500, 503, 429])
async def test_stripe_down_on_every_attempt_is_a_processing_error(
    stripe: FakeStripe, stripe_settings: StripeSettings, failure: int | str
) -> None:
    stripe.fail_next(3, status=failure)  # the first try and the SDK's two retries
    provider = StripePaymentProvider(quick(stripe_settings))
    try:
        charge = await provider.charge(card())
    finally:
        await provider.aclose()

    assert charge.outcome is ChargeOutcome.PROCESSING_ERROR
    assert charge.charge_id is None
    assert len(stripe.requests) == (3 if failure != 429 else 1)  # 429s are not retried
    assert {r.idempotency_key for r in stripe.requests} == {"key-1"}
    assert stripe.intents == {}


async def test_a_wrong_secret_key_is_a_processing_error_that_shows_no_key(
    stripe: FakeStripe, stripe_settings: StripeSettings, caplog: pytest.LogCaptureFixture
) -> None:
    provider = StripePaymentProvider(
        dataclasses.replace(stripe_settings, secret_key="sk_test_wrong_and_secret")
    )
    try:
        charge = await provider.charge(card())
    finally:
        await provider.aclose()

    assert charge.outcome is ChargeOutcome.PROCESSING_ERROR
    assert "sk_test" not in charge.message
    assert "wrong_and_secret" not in caplog.text


# -- status --------------------------------------------------------------------------------


async def test_status_after_3d_secure_succeeds(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card("pm_card_authenticationRequired"))
    assert charge.charge_id is not None
    assert (await cards.status(charge.charge_id)).outcome is ChargeOutcome.REQUIRES_ACTION

    stripe.finish(charge.charge_id, succeeded=True)

    after = await cards.status(charge.charge_id)
    assert after.outcome is ChargeOutcome.SUCCEEDED
    assert after.charge_id == charge.charge_id


async def test_status_after_failed_3d_secure_is_declined_with_stripes_message(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card("pm_card_authenticationRequired"))
    assert charge.charge_id is not None

    stripe.finish(charge.charge_id, succeeded=False)

    after = await cards.status(charge.charge_id)
    assert after.outcome is ChargeOutcome.DECLINED
    assert after.message.startswith("The provided PaymentMethod has failed authentication.")


@pytest.mark.parametrize(
    ("succeeded", "outcome"), [(True, ChargeOutcome.SUCCEEDED), (False, ChargeOutcome.DECLINED)]
)
async def test_status_of_a_processing_payment_once_it_settles(
    stripe: FakeStripe, cards: StripePaymentProvider, succeeded: bool, outcome: ChargeOutcome
) -> None:
    charge = await cards.charge(card("pm_card_processing"))
    assert charge.charge_id is not None
    assert (await cards.status(charge.charge_id)).outcome is ChargeOutcome.PENDING

    stripe.finish(charge.charge_id, succeeded=succeeded)

    assert (await cards.status(charge.charge_id)).outcome is outcome


async def test_status_of_a_canceled_intent_is_declined(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card("pm_card_authenticationRequired"))
    assert charge.charge_id is not None
    stripe.intents[charge.charge_id]["status"] = "canceled"

    assert (await cards.status(charge.charge_id)).outcome is ChargeOutcome.DECLINED


async def test_status_of_an_unknown_intent_raises(cards: StripePaymentProvider) -> None:
    with pytest.raises(stripe_sdk.InvalidRequestError):
        await cards.status("pi_unknown")


# -- refunds -------------------------------------------------------------------------------


async def test_a_full_refund_is_idempotent_per_charge(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card())
    assert charge.charge_id is not None

    await cards.refund(charge.charge_id)
    await cards.refund(charge.charge_id)  # a retry: replayed

    assert stripe.refunded(charge.charge_id) == 1_000
    assert len(stripe.refunds) == 1
    [sent, replay] = [r for r in stripe.requests if r.path == "/v1/refunds"]
    assert sent.idempotency_key == replay.idempotency_key == f"reelpay-refund-{charge.charge_id}"
    assert sent.params == {"payment_intent": charge.charge_id}
    assert replay.replayed


async def test_a_full_refund_of_a_charge_already_refunded_is_done(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card())
    assert charge.charge_id is not None
    await cards.refund(charge.charge_id, key="another-key")

    await cards.refund(charge.charge_id)  # Stripe: charge_already_refunded

    assert stripe.refunded(charge.charge_id) == 1_000


async def test_partial_refunds_are_idempotent_by_key(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card())
    assert charge.charge_id is not None

    await cards.refund(charge.charge_id, amount_cents=300, key="escrow-1")
    await cards.refund(charge.charge_id, amount_cents=300, key="escrow-1")
    await cards.refund(charge.charge_id, amount_cents=200, key="escrow-2")

    assert stripe.refunded(charge.charge_id) == 500
    assert len(stripe.refunds) == 2
    sent = [r for r in stripe.requests if r.path == "/v1/refunds"]
    assert [r.params.get("amount") for r in sent] == ["300", "300", "200"]


async def test_a_refund_stripe_refuses_raises(
    stripe: FakeStripe, cards: StripePaymentProvider
) -> None:
    charge = await cards.charge(card())
    assert charge.charge_id is not None

    with pytest.raises(RefundFailed):
        await cards.refund(charge.charge_id, amount_cents=5_000, key="too-much")
    with pytest.raises(RefundFailed):
        await cards.refund("pi_unknown")
    pending = await cards.charge(card("pm_card_processing", key="key-2"))
    assert pending.charge_id is not None
    with pytest.raises(RefundFailed):
        await cards.refund(pending.charge_id)


async def test_a_refund_with_stripe_down_raises(
    stripe: FakeStripe, stripe_settings: StripeSettings
) -> None:
    provider = StripePaymentProvider(quick(stripe_settings))
    try:
        charge = await provider.charge(card())
        assert charge.charge_id is not None
        stripe.fail_next(3, status=500)
        with pytest.raises(RefundFailed):
            await provider.refund(charge.charge_id)
        await provider.refund(charge.charge_id)  # later: it goes through, once
    finally:
        await provider.aclose()

    assert charge.charge_id is not None
    assert stripe.refunded(charge.charge_id) == 1_000


# -- webhooks ------------------------------------------------------------------------------


async def test_a_signed_event_is_parsed(stripe: FakeStripe, cards: StripePaymentProvider) -> None:
    charge = await cards.charge(card("pm_card_authenticationRequired"))
    assert charge.charge_id is not None
    intent = stripe.finish(charge.charge_id)
    body = event("payment_intent.succeeded", intent, id="evt_1")

    parsed = cards.parse_webhook(body, sign(body, WEBHOOK_SECRET))

    assert parsed.provider == "stripe"
    assert parsed.id == "evt_1"
    assert parsed.type == "payment_intent.succeeded"
    assert parsed.data == intent
    assert type(parsed.data) is dict
    assert type(parsed.data["metadata"]) is dict
    json.dumps(parsed.data)  # plain JSON values


def stale(body: bytes) -> str:
    return sign(body, WEBHOOK_SECRET, int(time.time()) - 301)  # real clock: the SDK checks it


@pytest.mark.parametrize(
    "case", ["wrong secret", "tampered body", "stale timestamp", "no header", "garbage header"]
)
def test_a_delivery_that_is_not_genuine_is_refused(
    stripe_settings: StripeSettings, case: str
) -> None:
    provider = StripePaymentProvider(stripe_settings)
    body = event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    header: str | None = sign(body, WEBHOOK_SECRET)
    if case == "wrong secret":
        header = sign(body, "whsec_other")
    elif case == "tampered body":
        body = body.replace(b"pi_1", b"pi_2")
    elif case == "stale timestamp":
        header = stale(body)
    elif case == "no header":
        header = None
    else:
        header = "nonsense"

    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(body, header)


@pytest.mark.parametrize(
    "body", [b"not json", b'{"id": "evt_1", "object": "event"}', b"\xff\xfe", b"[]"]
)
def test_a_signed_body_that_is_not_an_event_is_refused(
    stripe_settings: StripeSettings, body: bytes
) -> None:
    provider = StripePaymentProvider(stripe_settings)

    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(body, sign(body, WEBHOOK_SECRET))


# -- Connect: onboarding -------------------------------------------------------------------


async def test_create_account_is_an_express_account_once_per_creator(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    first = await connect.create_account(creator_id=7, email="ana@example.com", country="us")
    again = await connect.create_account(creator_id=7, email="ana@example.com", country="us")
    other = await connect.create_account(creator_id=8, email=None, country="FR")

    assert first == again != other
    assert first.startswith("acct_")
    assert len(stripe.accounts) == 2
    sent = stripe.created("/v1/accounts")[0]
    assert sent.idempotency_key == "reelpay-connect-account-7"
    assert sent.params == {
        "type": "express",
        "country": "US",
        "email": "ana@example.com",
        "capabilities": {"transfers": {"requested": "true"}},
        "metadata": {"creator_id": "7"},
    }
    assert "email" not in stripe.created("/v1/accounts")[1].params


async def test_an_onboarding_link(stripe: FakeStripe, connect: StripeConnect) -> None:
    account = await connect.create_account(creator_id=7, email=None, country="US")

    url = await connect.onboarding_link(
        account, refresh_url="https://app.test/refresh", return_url="https://app.test/done"
    )

    assert url.startswith(f"{stripe.base_url}/setup/e/{account}/")
    [sent] = stripe.created("/v1/account_links")
    assert sent.params == {
        "account": account,
        "refresh_url": "https://app.test/refresh",
        "return_url": "https://app.test/done",
        "type": "account_onboarding",
    }


async def test_account_status_before_and_after_onboarding(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await connect.create_account(creator_id=7, email=None, country="US")

    before = await connect.account_status(account)
    assert before.payouts_enabled is False
    assert before.details_submitted is False
    assert "external_account" in before.requirements_due

    stripe.set_account(account, payouts_enabled=False, details_submitted=True, currently_due=[])
    assert await connect.account_status(account) == ConnectStatus(False, True, [])

    stripe.set_account(account, payouts_enabled=True, details_submitted=True)
    assert await connect.account_status(account) == ConnectStatus(True, True, [])


async def test_onboarding_calls_stripe_refuses_raise_connect_errors(
    stripe: FakeStripe, stripe_settings: StripeSettings, connect: StripeConnect
) -> None:
    with pytest.raises(ConnectError) as refused:
        await connect.account_status("acct_unknown")
    assert refused.value.code == "account_invalid"
    assert not refused.value.transient
    with pytest.raises(ConnectError):
        await connect.onboarding_link(
            "acct_unknown", refresh_url="https://a", return_url="https://b"
        )

    stripe.fail_next(3, status=503)
    quick_connect = StripeConnect(quick(stripe_settings))
    try:
        with pytest.raises(ConnectError) as down:
            await quick_connect.create_account(creator_id=7, email=None, country="US")
    finally:
        await quick_connect.aclose()
    assert down.value.transient


# -- Connect: payouts ----------------------------------------------------------------------


def payout(account: str | None, reference: str = "payout-1", amount: int = 2_500) -> PayoutRequest:
    return PayoutRequest(
        reference=reference,
        amount_cents=amount,
        currency="USD",
        kind="BANK_ACCOUNT",
        destination={"iban": "DE89370400440532013000", "holder": "Ana"},
        creator_id=7,
        recipient_account=account,
    )


async def ready_account(stripe: FakeStripe, connect: StripeConnect) -> str:
    account = await connect.create_account(creator_id=7, email=None, country="US")
    stripe.set_account(account, payouts_enabled=True, details_submitted=True)
    return account


async def test_a_payout_is_a_transfer_to_the_connected_account(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await ready_account(stripe, connect)

    result = await connect.send(payout(account))

    assert result.outcome is PayoutOutcome.PAID
    assert result.provider_payout_id is not None
    assert result.provider_payout_id.startswith("tr_")
    [sent] = stripe.created("/v1/transfers")
    assert sent.idempotency_key == "payout-1"
    assert sent.params == {
        "amount": "2500",
        "currency": "usd",
        "destination": account,
        "transfer_group": "payout-1",
        "metadata": {"reference": "payout-1", "creator_id": "7"},
    }


async def test_sending_a_reference_again_is_the_same_transfer(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await ready_account(stripe, connect)

    first = await connect.send(payout(account))
    again = await connect.send(payout(account))

    assert first == again
    assert len(stripe.transfers) == 1


async def test_no_connected_account_fails_without_asking_stripe(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    result = await connect.send(payout(None))

    assert result.outcome is PayoutOutcome.FAILED
    assert result.code == "PAYOUT_ACCOUNT_NOT_READY"
    assert stripe.requests == []


async def test_an_account_that_cannot_take_transfers_fails_with_stripes_code(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await connect.create_account(creator_id=7, email=None, country="US")

    result = await connect.send(payout(account))

    assert result.outcome is PayoutOutcome.FAILED
    assert result.code == "INSUFFICIENT_CAPABILITIES_FOR_TRANSFER"
    assert result.message
    assert stripe.transfers == {}


async def test_a_low_platform_balance_is_retried_later(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await ready_account(stripe, connect)
    stripe.set_balance(1_000)

    result = await connect.send(payout(account))

    assert result.outcome is PayoutOutcome.RETRY
    assert result.code == "BALANCE_INSUFFICIENT"
    stripe.set_balance(10_000)
    assert (await connect.send(payout(account))).outcome is PayoutOutcome.PAID
    assert len(stripe.transfers) == 1


@pytest.mark.parametrize("failure", ["timeout", 500])
async def test_stripe_down_on_a_payout_raises_unknown(
    stripe: FakeStripe, stripe_settings: StripeSettings, failure: int | str
) -> None:
    provider = StripeConnect(quick(stripe_settings))
    try:
        account = await ready_account(stripe, provider)
        stripe.fail_next(3, status=failure)
        with pytest.raises(stripe_sdk.StripeError):
            await provider.send(payout(account))
        assert await provider.status(payout(account)) is None  # never received: safe to send
    finally:
        await provider.aclose()
    assert stripe.transfers == {}


async def test_a_payout_whose_response_was_lost_is_found_by_status(
    stripe: FakeStripe, stripe_settings: StripeSettings
) -> None:
    provider = StripeConnect(dataclasses.replace(quick(stripe_settings), max_network_retries=0))
    try:
        account = await ready_account(stripe, provider)
        stripe.fail_next(1, status="lost")
        with pytest.raises(stripe_sdk.APIConnectionError):
            await provider.send(payout(account))

        found = await provider.status(payout(account))
    finally:
        await provider.aclose()

    [transfer] = stripe.transfers
    assert found is not None
    assert found.outcome is PayoutOutcome.PAID
    assert found.provider_payout_id == transfer


async def test_status_by_reference(stripe: FakeStripe, connect: StripeConnect) -> None:
    account = await ready_account(stripe, connect)
    sent = await connect.send(payout(account, "payout-1"))
    await connect.send(payout(account, "payout-2"))

    found = await connect.status(payout(account, "payout-1"))
    assert found is not None
    assert found.outcome is PayoutOutcome.PAID
    assert found.provider_payout_id == sent.provider_payout_id
    assert await connect.status(payout(account, "payout-3")) is None
    [listed] = [r for r in stripe.requests if r.method == "GET"][:1]
    assert listed.params == {"transfer_group": "payout-1", "limit": "1"}


async def test_status_of_a_reversed_transfer_is_failed(
    stripe: FakeStripe, connect: StripeConnect
) -> None:
    account = await ready_account(stripe, connect)
    sent = await connect.send(payout(account))
    assert sent.provider_payout_id is not None

    stripe.reverse(sent.provider_payout_id)

    found = await connect.status(payout(account))
    assert found is not None
    assert found.outcome is PayoutOutcome.FAILED
    assert found.code == "TRANSFER_REVERSED"


async def test_the_fake_refuses_parameters_the_api_version_does_not_know(
    stripe: FakeStripe, stripe_settings: StripeSettings
) -> None:
    client = stripe_sdk.StripeClient(
        stripe_settings.secret_key,
        base_addresses={"api": stripe.base_url},
        http_client=stripe_sdk.HTTPXClient(),
    )
    with pytest.raises(stripe_sdk.InvalidRequestError) as refused:
        await client.v1.payment_intents.create_async(
            {"amount": 1_000, "currency": "usd", "payment_method_types": ["card"]}  # type: ignore[typeddict-unknown-key]
        )
    assert refused.value.code == "parameter_unknown"
    assert stripe.intents == {}
