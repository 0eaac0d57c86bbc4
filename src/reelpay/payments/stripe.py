"""Card payments through Stripe PaymentIntents, with the official `stripe` SDK (async calls).

A charge is one PaymentIntent created and confirmed at once from a client-side payment method
(`pm_…`, from Stripe.js or the mobile SDKs), with our idempotency key as Stripe's, the amount in
minor units and our ids as metadata. What Stripe answers:

| PaymentIntent / error                       | ChargeOutcome                                |
| ------------------------------------------- | -------------------------------------------- |
| `succeeded`                                 | SUCCEEDED (charge_id = the `pi_…` id)        |
| `requires_action` (3-D Secure)              | REQUIRES_ACTION, with the client secret      |
| `processing`                                | PENDING (a webhook or `status` finishes it)  |
| `requires_payment_method`, `canceled`       | DECLINED (the last payment error's message)  |
| 402 card error                              | DECLINED (Stripe's user-facing message)      |
| 400 on `payment_method` (e.g. no such pm)   | INVALID_TOKEN                                |
| 400 idempotency_error                       | KEY_REUSED                                   |
| network error, timeout, 429, 5xx            | PROCESSING_ERROR: nothing is credited; the   |
|                                             | client retries with the same key, which      |
|                                             | Stripe answers with the first result         |

The SDK itself retries network errors and 5xx `max_network_retries` times with the same
idempotency key, so a retry never charges twice.

`allowed_payment_method_types=["card"]` (what API version 2026-10-28, the one this SDK pins,
calls the former `payment_method_types`) rather than automatic payment methods: cards (Apple Pay
and Google Pay wallets are cards too) never need a redirect, so Stripe confirms without a
`return_url` and 3-D Secure comes back as `requires_action` with `next_action.use_stripe_sdk`,
which the client finishes with `handleNextAction(client_secret)`. It also does not depend on
which payment methods the Dashboard happens to enable; automatic payment methods would need
`allow_redirects: "never"` to confirm without a return URL, and would let a non-card payment
method through whose outcomes we would have to map too.

The secret key is only ever handed to the SDK: never logged, never in a message.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe

from reelpay.payments.provider import Charge, ChargeOutcome, ChargeRequest
from reelpay.payments.webhook_events import InvalidWebhook, ProviderEvent
from reelpay.settings import StripeSettings

log = logging.getLogger("reelpay.payments.stripe")

TRANSIENT_MESSAGE = "The payment could not be processed right now; try again with the same key."
DECLINED_MESSAGE = "The card was declined."


def make_client(settings: StripeSettings) -> tuple[stripe.StripeClient, stripe.HTTPXClient]:
    """A Stripe client for `settings` (async over httpx) and its HTTP client (to close)."""
    http = stripe.HTTPXClient(timeout=settings.timeout_seconds)
    base = settings.api_base.rstrip("/")
    client = stripe.StripeClient(
        settings.secret_key,
        base_addresses={"api": base, "connect": base, "files": base},
        http_client=http,
        max_network_retries=settings.max_network_retries,
    )
    return client, http


def error_code(error: stripe.StripeError) -> str:
    """Stripe's error code (the SDK leaves `code` unset on some kinds, e.g. 403s)."""
    return error.code or (error.error.code if error.error and error.error.code else "") or ""


def describe(error: stripe.StripeError) -> str:
    """An error for the logs: its kind, code, HTTP status and request id (no secrets)."""
    return (
        f"{type(error).__name__} code={error_code(error) or None} status={error.http_status} "
        f"request={error.request_id}"
    )


class RefundFailed(Exception):
    """Stripe did not take the refund (callers log it and try again later)."""


class StripePaymentProvider:
    name = "stripe"

    def __init__(self, settings: StripeSettings) -> None:
        self._settings = settings
        self._client, self._http = make_client(settings)

    async def aclose(self) -> None:
        await self._http.close_async()

    async def charge(self, request: ChargeRequest) -> Charge:
        try:
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": request.amount_cents,
                    "currency": request.currency.lower(),
                    "payment_method": request.token,
                    "allowed_payment_method_types": ["card"],
                    "confirm": True,
                    "description": request.description,
                    "metadata": dict(request.metadata),
                },
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.CardError as error:
            log.info("stripe declined a charge: %s", describe(error))
            return Charge(
                ChargeOutcome.DECLINED,
                charge_id=_error_intent_id(error),
                message=error.user_message or DECLINED_MESSAGE,
            )
        except stripe.IdempotencyError as error:
            log.warning("stripe refused a reused idempotency key: %s", describe(error))
            return Charge(
                ChargeOutcome.KEY_REUSED,
                message="This idempotency key was used for a different payment.",
            )
        except stripe.InvalidRequestError as error:
            if (error.param or "").startswith("payment_method"):
                log.info("stripe refused the payment method: %s", describe(error))
                return Charge(ChargeOutcome.INVALID_TOKEN, message="Unknown payment method.")
            # Our request was wrong (an amount below Stripe's minimum, a currency the account
            # cannot take...): nothing was charged; an operator must look.
            log.error("stripe refused a charge request: %s: %s", describe(error), error)
            return Charge(ChargeOutcome.PROCESSING_ERROR, message=TRANSIENT_MESSAGE)
        except stripe.StripeError as error:
            # Network errors and timeouts (after the SDK's retries), 429, 5xx; also a wrong
            # secret key (401/403), which an operator must fix: nothing was charged either way.
            level = (
                logging.ERROR
                if isinstance(error, stripe.AuthenticationError | stripe.PermissionError)
                else logging.WARNING
            )
            log.log(level, "stripe charge did not complete: %s", describe(error))
            return Charge(ChargeOutcome.PROCESSING_ERROR, message=TRANSIENT_MESSAGE)
        return _from_intent(intent.to_dict())

    async def status(self, charge_id: str) -> Charge:
        """Where a PaymentIntent stands. Raises when Stripe cannot be asked (try later)."""
        intent = await self._client.v1.payment_intents.retrieve_async(charge_id)
        return _from_intent(intent.to_dict())

    async def refund(
        self, charge_id: str, *, amount_cents: int | None = None, key: str | None = None
    ) -> None:
        params: dict[str, Any] = {"payment_intent": charge_id}
        if amount_cents is None:
            idempotency_key = key or f"reelpay-refund-{charge_id}"
        else:
            params["amount"] = amount_cents
            idempotency_key = key or f"reelpay-refund-{charge_id}-{amount_cents}"
        try:
            await self._client.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as error:
            if amount_cents is None and error.code == "charge_already_refunded":
                return  # a full refund that is already done (under another key)
            raise RefundFailed(
                f"stripe refused the refund of {charge_id}: {describe(error)}"
            ) from error
        except stripe.StripeError as error:
            raise RefundFailed(
                f"the refund of {charge_id} did not complete: {describe(error)}"
            ) from error

    def parse_webhook(self, body: bytes, signature: str | None) -> ProviderEvent:
        """The event a `/webhooks/stripe` delivery carries, once its signature holds (the
        endpoint secret, a timestamp within Stripe's 300 s tolerance)."""
        secrets = [self._settings.webhook_secret, self._settings.connect_webhook_secret]
        for secret in filter(None, secrets):  # the platform's endpoint, then the Connect one
            try:
                event = stripe.Webhook.construct_event(body, signature, secret)
                break
            except stripe.SignatureVerificationError as error:
                refused = error
            except Exception as error:  # signed, but not JSON or not an event object
                raise InvalidWebhook("the body is not a Stripe event") from error
        else:
            raise InvalidWebhook(f"bad Stripe signature: {refused.user_message}") from refused
        values = event.to_dict()
        data = values.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(values.get("id"), str) or not isinstance(values.get("type"), str):
            raise InvalidWebhook("the event has no id or type")
        if not isinstance(obj, dict):
            raise InvalidWebhook("the event has no data.object")
        # Plain JSON values all the way down (no StripeObjects, no Decimals).
        plain = json.loads(json.dumps(obj, default=str))
        return ProviderEvent(provider="stripe", id=values["id"], type=values["type"], data=plain)


def _error_intent_id(error: stripe.StripeError) -> str | None:
    body = error.json_body
    if isinstance(body, dict):
        intent = (body.get("error") or {}).get("payment_intent")
        if isinstance(intent, dict) and isinstance(intent.get("id"), str):
            return intent["id"]
    return None


def _from_intent(intent: dict[str, Any]) -> Charge:
    """The outcome a PaymentIntent's status means."""
    status = intent.get("status")
    intent_id = intent.get("id")
    if status == "succeeded":
        return Charge(ChargeOutcome.SUCCEEDED, charge_id=intent_id)
    if status == "requires_action":
        return Charge(
            ChargeOutcome.REQUIRES_ACTION,
            charge_id=intent_id,
            message="The payment needs the buyer's authentication (3-D Secure).",
            client_secret=intent.get("client_secret"),
        )
    if status in ("requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        return Charge(
            ChargeOutcome.DECLINED,
            charge_id=intent_id,
            message=str(error.get("message") or DECLINED_MESSAGE),
        )
    if status != "processing":
        # requires_confirmation / requires_capture cannot happen with confirm=True and
        # automatic capture; nothing is credited until it succeeds.
        log.warning("payment intent %s has unexpected status %r", intent_id, status)
    return Charge(
        ChargeOutcome.PENDING,
        charge_id=intent_id,
        message="The payment is still being processed.",
    )
