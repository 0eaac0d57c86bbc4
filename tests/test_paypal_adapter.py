"""The PayPal Payouts adapter (`reelpay.payouts.paypal`) against the fake PayPal server: sending
once per reference, reading outcomes, PayPal's refusals and failures, access tokens, webhook
signatures and what each payout webhook event means. No database."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest

from reelpay.payments.webhook_events import InvalidWebhook, ProviderEvent
from reelpay.payouts.paypal import (
    PayPalError,
    PayPalPayouts,
    payout_item_event,
    paypal_amount,
)
from reelpay.payouts.provider import PayoutOutcome, PayoutRequest, PayoutResult
from reelpay.settings import PayPalSettings
from tests.fakes import paypal_server as fake
from tests.fakes.paypal_server import FakePayPal

# The fake PayPal's fixtures: a server per session, emptied for each test.
paypal_server = fake.paypal_server
paypal = fake.paypal
paypal_settings = fake.paypal_settings


def payout(
    email: str = "creator@example.com",
    *,
    reference: str | None = None,
    cents: int = 1234,
    **changes: Any,
) -> PayoutRequest:
    return PayoutRequest(
        reference=reference or f"rp_{uuid.uuid4().hex}",
        amount_cents=cents,
        currency="USD",
        kind="PAYPAL",
        destination={"email": email, "holder": "Ada Creator"},
        creator_id=7,
        **changes,
    )


@pytest.fixture
def provider(paypal_settings: PayPalSettings) -> PayPalPayouts:
    return PayPalPayouts(paypal_settings)


# -- sending ----------------------------------------------------------------------------


async def test_send_creates_one_pending_batch_keyed_by_the_reference(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    request = payout()
    result = await provider.send(request)

    batch = paypal.batch(request.reference)
    assert batch is not None
    assert result == PayoutResult(
        PayoutOutcome.PENDING, provider_payout_id=batch["batch_header"]["payout_batch_id"]
    )
    assert batch["batch_header"]["sender_batch_header"]["sender_batch_id"] == request.reference
    assert paypal.by_request_id == {request.reference: result.provider_payout_id}
    [item] = batch["items"]
    assert item["payout_item"]["amount"] == {"value": "12.34", "currency": "USD"}
    assert item["payout_item"]["receiver"] == "creator@example.com"
    assert item["payout_item"]["sender_item_id"] == request.reference
    assert item["payout_item"]["recipient_type"] == "EMAIL"


async def test_sending_a_reference_again_creates_nothing(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    request = payout()
    first = await provider.send(request)
    again = await provider.send(dataclasses.replace(request, attempt=2))

    assert again == first
    assert len(paypal.batches) == 1
    assert paypal.create_requests == 2


async def test_a_reference_paypal_no_longer_knows_by_request_id_finds_its_batch(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    """PayPal refuses a sender_batch_id used before and links to that batch: we read it."""
    request = payout()
    first = await provider.send(request)
    paypal.settle(request.reference)
    paypal.forget_request_ids()

    again = await provider.send(request)

    assert again.outcome is PayoutOutcome.PAID
    assert again.provider_payout_id == paypal.item(request.reference)["payout_item_id"]
    assert len(paypal.batches) == 1
    assert first.provider_payout_id in paypal.batches


async def test_sending_a_settled_reference_again_answers_its_final_outcome(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    request = payout("someone@paypal-fail.test")
    await provider.send(request)
    paypal.settle(request.reference)

    again = await provider.send(request)

    assert again.outcome is PayoutOutcome.FAILED
    assert again.code == "RECEIVER_UNREGISTERED"
    assert len(paypal.batches) == 1


@pytest.mark.parametrize(
    ("cents", "currency", "value"),
    [(1234, "USD", "12.34"), (5, "USD", "0.05"), (10_000, "usd", "100.00"), (1234, "JPY", "1234")],
)
def test_amounts_are_paypal_decimal_strings(cents: int, currency: str, value: str) -> None:
    assert paypal_amount(cents, currency) == value


# -- refusals and failures ------------------------------------------------------------------


async def test_insufficient_funds_is_retry_and_creates_nothing(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    paypal.insufficient_funds = True
    request = payout()

    result = await provider.send(request)

    assert result.outcome is PayoutOutcome.RETRY
    assert result.code == "INSUFFICIENT_FUNDS"
    assert "sufficient funds" in result.message
    assert paypal.batches == {}

    paypal.insufficient_funds = False
    assert (await provider.send(request)).outcome is PayoutOutcome.PENDING
    assert len(paypal.batches) == 1


async def test_an_invalid_receiver_fails_with_paypals_error_name(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    result = await provider.send(payout("not-an-email"))

    assert result.outcome is PayoutOutcome.FAILED
    assert result.code == "VALIDATION_ERROR"
    assert "Receiver is invalid" in result.message
    assert paypal.batches == {}


@pytest.mark.parametrize(
    "changes",
    [{"kind": "BANK_ACCOUNT"}, {"destination": {"iban": "DE89370400440532013000"}}],
)
async def test_a_destination_that_is_not_a_paypal_email_fails_without_calling_paypal(
    provider: PayPalPayouts, paypal: FakePayPal, changes: dict[str, Any]
) -> None:
    result = await provider.send(dataclasses.replace(payout(), **changes))

    assert result.outcome is PayoutOutcome.FAILED
    assert result.code == "INVALID_DESTINATION"
    assert paypal.create_requests == 0
    assert paypal.token_requests == 0


async def test_a_server_error_raises_and_sends_nothing(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    paypal.fail_next(1, status=503)
    request = payout()

    with pytest.raises(PayPalError) as raised:
        await provider.send(request)

    assert raised.value.status == 503
    assert paypal.batches == {}
    # The same reference later is sent once.
    assert (await provider.send(request)).outcome is PayoutOutcome.PENDING
    assert len(paypal.batches) == 1


async def test_a_timeout_raises_and_asking_finds_the_batch_it_created(
    paypal_settings: PayPalSettings, paypal: FakePayPal
) -> None:
    """The answer is lost after PayPal created the batch: the outcome is unknown, and `status`
    finds that batch (the same PayPal-Request-Id) without creating another."""
    provider = PayPalPayouts(dataclasses.replace(paypal_settings, timeout_seconds=0.3))
    paypal.fail_next(1, status="timeout")
    request = payout()

    with pytest.raises(PayPalError):
        await provider.send(request)
    assert len(paypal.batches) == 1  # PayPal got it

    found = await provider.status(request)

    batch = paypal.batch(request.reference)
    assert batch is not None
    assert found == PayoutResult(
        PayoutOutcome.PENDING, provider_payout_id=batch["batch_header"]["payout_batch_id"]
    )
    assert len(paypal.batches) == 1


async def test_a_refused_connection_raises(paypal_settings: PayPalSettings) -> None:
    provider = PayPalPayouts(dataclasses.replace(paypal_settings, api_base="http://127.0.0.1:9"))

    with pytest.raises(PayPalError):
        await provider.send(payout())


# -- status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "outcome", "code"),
    [
        ("creator@example.com", PayoutOutcome.PAID, ""),
        ("someone@paypal-fail.test", PayoutOutcome.FAILED, "RECEIVER_UNREGISTERED"),
        # Unclaimed money comes back after 30 days (RETURNED): until then it is on its way.
        ("someone@paypal-unclaimed.test", PayoutOutcome.PENDING, ""),
    ],
)
async def test_status_after_paypal_settles(
    provider: PayPalPayouts,
    paypal: FakePayPal,
    email: str,
    outcome: PayoutOutcome,
    code: str,
) -> None:
    request = payout(email)
    sent = await provider.send(request)
    asked = dataclasses.replace(request, provider_payout_id=sent.provider_payout_id)
    assert await provider.status(asked) == sent  # not settled yet: PENDING

    item = paypal.settle(request.reference)
    result = await provider.status(asked)

    assert result is not None
    assert result.outcome is outcome
    assert result.code == code
    if outcome is PayoutOutcome.PAID:
        assert result.provider_payout_id == item["payout_item_id"]
    if outcome is PayoutOutcome.PENDING:
        assert result.provider_payout_id == sent.provider_payout_id
    if outcome is PayoutOutcome.FAILED:
        assert "unregistered" in result.message
    assert len(paypal.batches) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("RETURNED", PayoutOutcome.FAILED),
        ("REFUNDED", PayoutOutcome.FAILED),
        ("REVERSED", PayoutOutcome.FAILED),
        ("BLOCKED", PayoutOutcome.FAILED),
        ("DENIED", PayoutOutcome.FAILED),
        ("ONHOLD", PayoutOutcome.PENDING),
        ("NEW", PayoutOutcome.PENDING),
        ("PENDING", PayoutOutcome.PENDING),
        ("SUCCESS", PayoutOutcome.PAID),
    ],
)
async def test_status_maps_every_transaction_status(
    provider: PayPalPayouts, paypal: FakePayPal, status: str, outcome: PayoutOutcome
) -> None:
    request = payout()
    sent = await provider.send(request)
    paypal.settle(request.reference, status)

    result = await provider.status(
        dataclasses.replace(request, provider_payout_id=sent.provider_payout_id)
    )

    assert result is not None
    assert result.outcome is outcome
    if outcome is PayoutOutcome.FAILED:
        assert result.code == status
        assert status in result.message


async def test_status_of_a_batch_paypal_does_not_know_is_none(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    assert await provider.status(payout(provider_payout_id="5UXD2E8A7EBQJ")) is None
    assert paypal.create_requests == 0


async def test_status_without_a_batch_id_after_a_refusal_is_none(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    """PayPal refused the reference (nothing exists): safe to send."""
    paypal.insufficient_funds = True

    assert await provider.status(payout()) is None
    assert paypal.batches == {}


async def test_status_without_a_batch_id_of_a_reference_never_received_sends_it(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    """PayPal has no look-up by sender_batch_id: asking repeats the create call, so a reference
    PayPal never received is sent then (once), as the documented trade-off says."""
    request = payout()

    first = await provider.status(request)
    again = await provider.status(request)

    assert first is not None
    assert first.outcome is PayoutOutcome.PENDING
    assert again == first
    assert len(paypal.batches) == 1


async def test_status_errors_raise(provider: PayPalPayouts, paypal: FakePayPal) -> None:
    sent = await provider.send(request := payout())
    paypal.fail_next(1, status=500)

    with pytest.raises(PayPalError):
        await provider.status(
            dataclasses.replace(request, provider_payout_id=sent.provider_payout_id)
        )


# -- access tokens -------------------------------------------------------------------------


async def test_the_access_token_is_cached_between_calls(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    for _ in range(3):
        await provider.send(payout())
    await provider.status(payout(provider_payout_id="UNKNOWN"))

    assert paypal.token_requests == 1


async def test_a_401_fetches_a_new_token_once_and_retries(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    await provider.send(payout())
    paypal.expire_tokens()

    result = await provider.send(request := payout())

    assert result.outcome is PayoutOutcome.PENDING
    assert paypal.token_requests == 2
    assert paypal.batch(request.reference) is not None
    assert len(paypal.batches) == 2


async def test_a_token_is_fetched_again_before_it_expires(
    paypal_settings: PayPalSettings, paypal: FakePayPal
) -> None:
    now = [1_000.0]
    provider = PayPalPayouts(paypal_settings, clock=lambda: now[0])
    await provider.send(payout())
    now[0] += 32_400 - 60  # PayPal's 9 hours, less than our margin before the end

    await provider.send(payout())

    assert paypal.token_requests == 2


async def test_wrong_credentials_raise_naming_the_settings(
    paypal_settings: PayPalSettings, paypal: FakePayPal
) -> None:
    provider = PayPalPayouts(dataclasses.replace(paypal_settings, client_secret="wrong"))

    with pytest.raises(PayPalError, match="REELPAY_PAYPAL_CLIENT_SECRET"):
        await provider.send(payout())
    assert paypal.batches == {}


# -- webhooks ------------------------------------------------------------------------------


async def test_a_signed_webhook_is_verified_and_returned(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    request = payout()
    await provider.send(request)
    item = paypal.settle(request.reference)
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", item)

    event = await provider.parse_webhook(body, paypal.signed_headers(body))

    assert event == ProviderEvent(
        provider="paypal",
        id=json.loads(body)["id"],
        type="PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
        data=item,
    )
    assert provider.payout_item_event(event) == (
        request.reference,
        PayoutResult(PayoutOutcome.PAID, provider_payout_id=item["payout_item_id"]),
    )
    [asked] = paypal.verify_requests
    assert asked["webhook_id"] == "WH-TEST"
    assert asked["auth_algo"] == "SHA256withRSA"
    assert asked["webhook_event"] == json.loads(body)


async def test_the_event_goes_to_paypal_as_it_came(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    """Spacing and non-ASCII text survive: the body's own bytes are sent back, not a copy."""
    body = json.dumps(
        json.loads(paypal.event("PAYMENT.PAYOUTS-ITEM.HELD", {"note": "Grüße ✓"})),
        indent=2,
        ensure_ascii=False,
    ).encode()

    event = await provider.parse_webhook(body, paypal.signed_headers(body))

    assert event.data == {"note": "Grüße ✓"}


async def test_headers_may_come_in_any_case(provider: PayPalPayouts, paypal: FakePayPal) -> None:
    body = paypal.event("PAYMENT.PAYOUTSBATCH.SUCCESS", {"batch_header": {}})
    headers = {name.lower(): value for name, value in paypal.signed_headers(body).items()}

    assert (await provider.parse_webhook(body, headers)).type == "PAYMENT.PAYOUTSBATCH.SUCCESS"


async def test_a_tampered_body_is_refused(provider: PayPalPayouts, paypal: FakePayPal) -> None:
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.FAILED", {"payout_item": {"sender_item_id": "rp_a"}})
    headers = paypal.signed_headers(body)
    tampered = body.replace(b"PAYOUTS-ITEM.FAILED", b"PAYOUTS-ITEM.SUCCEEDED")

    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(tampered, headers)


async def test_headers_signed_for_another_body_or_webhook_are_refused(
    provider: PayPalPayouts, paypal_settings: PayPalSettings, paypal: FakePayPal
) -> None:
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {"payout_item": {}})
    other = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {"payout_item": {}})

    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(body, paypal.signed_headers(other))
    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(body, paypal.signed_headers(body, webhook_id="WH-OTHER"))
    elsewhere = PayPalPayouts(dataclasses.replace(paypal_settings, webhook_id="WH-OTHER"))
    with pytest.raises(InvalidWebhook):
        await elsewhere.parse_webhook(body, paypal.signed_headers(body))
    forged = {**paypal.signed_headers(body), "PAYPAL-TRANSMISSION-SIG": "bm90IGEgc2lnbmF0dXJl"}
    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(body, forged)


@pytest.mark.parametrize(
    "header",
    [
        "PAYPAL-AUTH-ALGO",
        "PAYPAL-CERT-URL",
        "PAYPAL-TRANSMISSION-ID",
        "PAYPAL-TRANSMISSION-SIG",
        "PAYPAL-TRANSMISSION-TIME",
    ],
)
async def test_a_missing_header_is_refused_without_asking_paypal(
    provider: PayPalPayouts, paypal: FakePayPal, header: str
) -> None:
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {"payout_item": {}})
    headers = paypal.signed_headers(body)
    del headers[header]

    with pytest.raises(InvalidWebhook, match=header):
        await provider.parse_webhook(body, headers)
    assert paypal.verify_requests == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"id": "WH-1", "event_type": "X"}',
        b'{"id": "WH-1", "resource": {}}',
        b'{"id": 5, "event_type": "X", "resource": {}}',
        b'{"id": "WH-1", "event_type": "X", "resource": []}',
    ],
)
async def test_a_body_that_is_not_an_event_is_refused(
    provider: PayPalPayouts, paypal: FakePayPal, body: bytes
) -> None:
    headers = paypal.signed_headers(b"{}")

    with pytest.raises(InvalidWebhook):
        await provider.parse_webhook(body, headers)
    assert paypal.verify_requests == []


async def test_paypal_unavailable_to_verify_raises_so_the_delivery_is_retried(
    provider: PayPalPayouts, paypal: FakePayPal
) -> None:
    body = paypal.event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {"payout_item": {}})
    paypal.fail_next(1, status=500)

    with pytest.raises(PayPalError):
        await provider.parse_webhook(body, paypal.signed_headers(body))


# -- what payout events mean -------------------------------------------------------------------

ITEM = {
    "payout_item_id": "8AELMXH8UB2P8",
    "transaction_id": "0C413693MN970190K",
    "transaction_status": "SUCCESS",
    "payout_batch_id": "Q8KVJG9TZTNN4",
    "payout_item": {
        "recipient_type": "EMAIL",
        "amount": {"value": "12.34", "currency": "USD"},
        "receiver": "creator@example.com",
        "sender_item_id": "rp_ref",
    },
}


def _event(event_type: str, data: dict[str, Any], provider: str = "paypal") -> ProviderEvent:
    return ProviderEvent(provider=provider, id="WH-1", type=event_type, data=data)


@pytest.mark.parametrize(
    ("suffix", "outcome", "provider_payout_id"),
    [
        ("SUCCEEDED", PayoutOutcome.PAID, "8AELMXH8UB2P8"),
        ("FAILED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("RETURNED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("BLOCKED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("DENIED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("REFUNDED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("REVERSED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("CANCELED", PayoutOutcome.FAILED, "8AELMXH8UB2P8"),
        ("UNCLAIMED", PayoutOutcome.PENDING, "Q8KVJG9TZTNN4"),
        ("HELD", PayoutOutcome.PENDING, "Q8KVJG9TZTNN4"),
    ],
)
def test_payout_item_events(suffix: str, outcome: PayoutOutcome, provider_payout_id: str) -> None:
    found = payout_item_event(_event(f"PAYMENT.PAYOUTS-ITEM.{suffix}", ITEM))

    assert found is not None
    reference, result = found
    assert reference == "rp_ref"
    assert result.outcome is outcome
    assert result.provider_payout_id == provider_payout_id
    if outcome is PayoutOutcome.FAILED:
        assert result.code == suffix
        assert result.message


def test_a_failed_item_event_carries_paypals_error() -> None:
    item = {**ITEM, "errors": {"name": "RECEIVER_UNREGISTERED", "message": "Sign up first."}}

    found = payout_item_event(_event("PAYMENT.PAYOUTS-ITEM.FAILED", item))

    assert found is not None
    assert found[1].code == "RECEIVER_UNREGISTERED"
    assert found[1].message == "Sign up first."


def test_a_denied_batch_fails_its_reference() -> None:
    batch = {
        "batch_header": {
            "payout_batch_id": "Q8KVJG9TZTNN4",
            "batch_status": "DENIED",
            "sender_batch_header": {"sender_batch_id": "rp_ref"},
        }
    }

    assert payout_item_event(_event("PAYMENT.PAYOUTSBATCH.DENIED", batch)) == (
        "rp_ref",
        PayoutResult(
            PayoutOutcome.FAILED,
            provider_payout_id="Q8KVJG9TZTNN4",
            code="DENIED",
            message="PayPal denied the payout.",
        ),
    )


@pytest.mark.parametrize(
    "event",
    [
        _event("PAYMENT.PAYOUTSBATCH.SUCCESS", {"batch_header": {}}),
        _event("PAYMENT.PAYOUTSBATCH.PROCESSING", {"batch_header": {}}),
        _event("PAYMENT.PAYOUTSBATCH.DENIED", {"batch_header": {}}),
        _event("PAYMENT.CAPTURE.COMPLETED", ITEM),
        _event("PAYMENT.PAYOUTS-ITEM.SOMETHING-NEW", ITEM),
        _event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {**ITEM, "payout_item": {}}),
        _event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", ITEM, provider="stripe"),
    ],
    ids=lambda e: f"{e.provider}:{e.type}",
)
def test_other_events_mean_nothing_for_payouts(event: ProviderEvent) -> None:
    assert payout_item_event(event) is None
