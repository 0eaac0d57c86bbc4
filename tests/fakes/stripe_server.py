"""A local fake of the part of Stripe's HTTP API Reelpay uses, for the `stripe` SDK to talk to.

Shapes follow Stripe's published OpenAPI description (github.com/stripe/openapi): objects carry
"id", "object", "livemode", "created"...; requests are form-encoded with bracketed keys
(`metadata[order]=7`, `payment_method_types[0]=card`); errors are
`{"error": {"type", "code", "message", "decline_code", "param"}}` with Stripe's HTTP statuses
(400 invalid request and idempotency errors, 402 card errors, 403 foreign accounts, 404 unknown
objects, 401 a wrong key, 429, 5xx).

Endpoints: POST/GET /v1/payment_intents(/{id}), POST /v1/refunds, POST /v1/accounts,
GET /v1/accounts/{id}, POST /v1/account_links, POST /v1/transfers, GET /v1/transfers.

Payment methods behave like Stripe's test cards:

| payment method                                 | PaymentIntent                                |
| ---------------------------------------------- | -------------------------------------------- |
| `pm_card_visa` (and other `pm_card_…` brands)  | succeeded                                    |
| `pm_card_chargeDeclined`                       | 402 card_declined (generic_decline)          |
| `pm_card_chargeDeclinedInsufficientFunds`      | 402 card_declined (insufficient_funds)       |
| `pm_card_authenticationRequired`               | requires_action (3-D Secure, use_stripe_sdk) |
| `pm_card_processing`                           | processing                                   |
| anything else                                  | 400 resource_missing on payment_method       |

Create requests are checked against the parameters of the API version the SDK pins
(2026-10-28): an unknown one is a 400 parameter_unknown, as Stripe answers.

Idempotency as Stripe does it: a POST's `Idempotency-Key` seen before with the same parameters
replays the first response (header `Idempotent-Replayed: true`) and does nothing; with other
parameters it is a 400 idempotency_error. Results are saved once an endpoint ran (2xx and card
errors), not for requests refused before they ran (400s) nor for 5xx.

What tests drive: `finish(pi, succeeded=…)` (the buyer finished or failed 3-D Secure, or a
processing payment settled), `fail_next(n, status=500 | 429 | "timeout" | "lost")` (the next n
requests get that status, or hang past the client's timeout: "timeout" before doing anything,
"lost" after doing it, as when a response is lost), `set_account(…)`, `set_balance(…)`,
`reverse(tr)` (in full, or `amount=` cents of it), `requests` (what was asked), `reset()`.
`sign` and `event` build signed webhook deliveries. Fixtures: `stripe_fake` (session),
`stripe` (reset per test), `stripe_settings` (a StripeSettings pointing the SDK at the fake).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe as stripe_sdk
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelpay.settings import StripeSettings
from tests.fakes.server import serving

SECRET_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test"
API_VERSION = stripe_sdk.api_version
START_BALANCE = 10_000_000  # the platform's available balance, in cents

DECLINES = {
    "pm_card_chargeDeclined": ("generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}
SUCCEEDING = {
    "pm_card_visa",
    "pm_card_mastercard",
    "pm_card_amex",
    "pm_card_visa_debit",
    "pm_card_threeDSecureOptional",
}
THREE_D_SECURE = "pm_card_authenticationRequired"
PROCESSING = "pm_card_processing"
AUTH_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
# The parameters each create call takes (API version 2026-10-28, from Stripe's OpenAPI).
KNOWN_PARAMS = {
    "/v1/payment_intents": {
        "allowed_payment_method_types", "amount", "amount_details", "application_fee_amount",
        "automatic_payment_methods", "capture_method", "confirm", "confirmation_method",
        "confirmation_token", "currency", "customer", "customer_account", "description",
        "error_on_requires_action", "excluded_payment_method_types", "expand", "hooks",
        "mandate", "mandate_data", "metadata", "off_session", "on_behalf_of", "payment_details",
        "payment_method", "payment_method_configuration", "payment_method_data",
        "payment_method_options", "radar_options", "receipt_email", "return_url",
        "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix",
        "transfer_data", "transfer_group", "use_stripe_sdk",
    },
    "/v1/refunds": {
        "amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata",
        "origin", "payment_intent", "reason", "refund_application_fee", "reverse_transfer",
    },
    "/v1/transfers": {
        "amount", "currency", "description", "destination", "expand", "metadata",
        "source_transaction", "source_type", "transfer_group",
    },
    "/v1/accounts": {
        "account_token", "business_profile", "business_type", "capabilities", "company",
        "controller", "country", "default_currency", "documents", "email", "expand",
        "external_account", "groups", "individual", "metadata", "settings", "tos_acceptance",
        "type",
    },
    "/v1/account_links": {
        "account", "collect", "collection_options", "expand", "refresh_url", "return_url", "type",
    },
}  # fmt: skip
# Stripe's minimum charge in most currencies (50 cents).
MINIMUM_AMOUNT = 50


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, Any]  # decoded: nested dicts and lists, values as sent (strings)
    idempotency_key: str | None
    injected: str | None = None  # the failure the fake answered with, if any
    replayed: bool = False  # answered from the idempotency store


class StripeApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"type": type_, "message": message, **fields}


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracketed form keys as nested values: a[b][0]=x -> {"a": {"b": ["x"]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(value: Any) -> Any:
        if isinstance(value, dict):
            if value and all(k.isdigit() for k in value):
                return [lists(value[k]) for k in sorted(value, key=int)]
            return {k: lists(v) for k, v in value.items()}
        return value

    return lists(root)


def _int(params: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise StripeApiError(
                400,
                "invalid_request_error",
                f"Missing required param: {name}.",
                code="parameter_missing",
                param=name,
            )
        return None
    if not isinstance(raw, str) or not raw.lstrip("-").isdigit():
        raise StripeApiError(
            400,
            "invalid_request_error",
            f"Invalid integer: {raw}",
            code="parameter_invalid_integer",
            param=name,
        )
    return int(raw)


def _required(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise StripeApiError(
            400,
            "invalid_request_error",
            f"Missing required param: {name}.",
            code="parameter_missing",
            param=name,
        )
    return params[name]


def _missing(kind: str, value: str, param: str, status: int = 400) -> StripeApiError:
    """Stripe's answer about an id that names nothing (404 when it is the URL's object)."""
    return StripeApiError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{value}'",
        code="resource_missing",
        param=param,
    )


class FakeStripe:
    """The fake's state, shared by the server thread and the tests (under a lock)."""

    def __init__(self) -> None:
        self.base_url = ""
        self.secret_key = SECRET_KEY
        self.hang_seconds = 3.0  # a "timeout" request hangs this long (> the client timeout)
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/payment_intents", self._endpoint, methods=["POST"]),
                Route("/v1/payment_intents/{id}", self._endpoint, methods=["GET"]),
                Route("/v1/refunds", self._endpoint, methods=["POST"]),
                Route("/v1/accounts", self._endpoint, methods=["POST"]),
                Route("/v1/accounts/{id}", self._endpoint, methods=["GET"]),
                Route("/v1/account_links", self._endpoint, methods=["POST"]),
                Route("/v1/transfers", self._endpoint, methods=["GET", "POST"]),
            ]
        )
        self.reset()

    # -- what tests drive ------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.requests: list[Recorded] = []
            self.intents: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.accounts: dict[str, dict[str, Any]] = {}
            self.transfers: dict[str, dict[str, Any]] = {}
            self.balance_cents = START_BALANCE
            self._refunded: dict[str, int] = {}  # intent -> cents refunded
            self._idempotent: dict[str, tuple[tuple[str, str, str], int, dict[str, Any]]] = {}
            self._failures: list[int | str] = []
            self.hang_seconds = 3.0

    def fail_next(self, n: int = 1, status: int | str = 500) -> None:
        """The next `n` requests fail: an HTTP status (500, 503, 429...), "timeout" (hang
        before doing anything) or "lost" (do it, then hang: the response never arrives)."""
        with self._lock:
            self._failures.extend([status] * n)

    def finish(self, intent_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """The buyer finished 3-D Secure (or a processing payment settled), or failed: the
        PaymentIntent as it is now (for a webhook event)."""
        with self._lock:
            intent = self.intents[intent_id]
            if succeeded:
                self._succeed(intent)
            else:
                failed_3ds = intent["status"] == "requires_action"
                intent.update(
                    status="requires_payment_method",
                    next_action=None,
                    last_payment_error={
                        "type": "invalid_request_error" if failed_3ds else "card_error",
                        "code": "payment_intent_authentication_failure"
                        if failed_3ds
                        else "card_declined",
                        "message": AUTH_FAILED if failed_3ds else "Your card was declined.",
                        "payment_method": {"id": intent["payment_method"]},
                    },
                )
            return json.loads(json.dumps(intent))

    def set_account(
        self,
        account_id: str,
        *,
        payouts_enabled: bool = True,
        details_submitted: bool = True,
        currently_due: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create or change a connected account (as onboarding would)."""
        with self._lock:
            account = self.accounts.get(account_id) or self._new_account(account_id, {})
            due = list(currently_due or [])
            account.update(
                payouts_enabled=payouts_enabled,
                charges_enabled=payouts_enabled,
                details_submitted=details_submitted,
                capabilities={"transfers": "active" if payouts_enabled else "inactive"},
            )
            account["requirements"].update(
                currently_due=due,
                eventually_due=due,
                disabled_reason=None if payouts_enabled else "requirements.past_due",
            )
            self.accounts[account_id] = account
            return json.loads(json.dumps(account))

    def set_balance(self, cents: int) -> None:
        with self._lock:
            self.balance_cents = cents

    def reverse(self, transfer_id: str, amount: int | None = None) -> dict[str, Any]:
        """Reverse a transfer, in full or `amount` cents more of it (as the platform can from
        the Dashboard); returns the transfer as it is now (e.g. for `event`)."""
        with self._lock:
            transfer = self.transfers[transfer_id]
            left = transfer["amount"] - transfer["amount_reversed"]
            taken = left if amount is None else min(amount, left)
            transfer["amount_reversed"] += taken
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            self.balance_cents += taken
            return json.loads(json.dumps(transfer))

    def created(self, path: str) -> list[Recorded]:
        """The POSTs to `path` that reached the endpoint (not replays, not injected failures
        before it ran)."""
        return [
            r
            for r in self.requests
            if r.method == "POST"
            and r.path == path
            and not r.replayed
            and r.injected != "timeout"
            and not isinstance(r.injected, int)
        ]

    # -- the HTTP side ---------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        method = request.method
        path = request.url.path
        if method == "POST":
            pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        else:
            pairs = list(request.query_params.multi_items())
        params = _decode(pairs)
        key = request.headers.get("idempotency-key") if method == "POST" else None
        request_id = f"req_{secrets.token_hex(7)}"
        with self._lock:
            injected = self._failures.pop(0) if self._failures else None
            record = Recorded(method, path, params, key, injected=injected)
            self.requests.append(record)
        if injected == "timeout":
            await asyncio.sleep(self.hang_seconds)
            return self._json(500, {"error": {"type": "api_error", "message": "hung"}}, request_id)
        if isinstance(injected, int):
            type_ = "rate_limit_error" if injected == 429 else "api_error"
            body = {"error": {"type": type_, "message": "An unknown error occurred"}}
            if injected == 429:
                body["error"]["code"] = "rate_limit"
            return self._json(injected, body, request_id)
        if request.headers.get("authorization") != f"Bearer {self.secret_key}":
            given = (request.headers.get("authorization") or "").removeprefix("Bearer ")
            masked = f"{given[:8]}{'*' * 12}{given[-4:]}" if len(given) > 12 else "****"
            body = {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"Invalid API Key provided: {masked}",
                }
            }
            return self._json(401, body, request_id)
        fingerprint = (method, path, json.dumps(sorted(pairs)))
        with self._lock:
            if key is not None and key in self._idempotent:
                first, status, body = self._idempotent[key]
                if first != fingerprint:
                    status, body = (
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the "
                                "same parameters they were first used with. Try using a key other "
                                f"than '{key}' if you meant to execute a different request.",
                            }
                        },
                    )
                    return self._json(status, body, request_id)
                self.requests[-1] = replace(record, replayed=True)
                return self._json(status, body, request_id, replayed=True)
            try:
                status, body = 200, self._dispatch(method, path, request, params)
            except StripeApiError as error:
                status = error.status
                body = {"error": {k: v for k, v in error.body.items() if v is not None}}
            body = json.loads(json.dumps(body))  # the response as it is now
            if key is not None and status in (200, 402):
                self._idempotent[key] = (fingerprint, status, body)
        if injected == "lost":
            await asyncio.sleep(self.hang_seconds)
        return self._json(status, body, request_id)

    @staticmethod
    def _json(
        status: int, body: dict[str, Any], request_id: str, *, replayed: bool = False
    ) -> Response:
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(body, status_code=status, headers=headers)

    def _dispatch(
        self, method: str, path: str, request: Request, params: dict[str, Any]
    ) -> dict[str, Any]:
        object_id = request.path_params.get("id")
        if method == "POST":
            for name in params:
                if name not in KNOWN_PARAMS[path]:
                    raise StripeApiError(
                        400,
                        "invalid_request_error",
                        f"Received unknown parameter: {name}",
                        code="parameter_unknown",
                        param=name,
                    )
        if path == "/v1/payment_intents":
            return self._create_intent(params)
        if path.startswith("/v1/payment_intents/"):
            if object_id not in self.intents:
                raise _missing("payment_intent", str(object_id), "intent", 404)
            return self.intents[object_id]
        if path == "/v1/refunds":
            return self._create_refund(params)
        if path == "/v1/accounts":
            account = self._new_account(_id("acct")[:21], params)
            self.accounts[account["id"]] = account
            return account
        if path.startswith("/v1/accounts/"):
            if object_id not in self.accounts:
                raise StripeApiError(
                    403,
                    "invalid_request_error",
                    f"The provided key 'sk_test_****' does not have access to account "
                    f"'{object_id}' (or that account does not exist). Application access may "
                    "have been revoked.",
                    code="account_invalid",
                )
            return self.accounts[object_id]
        if path == "/v1/account_links":
            return self._create_link(params)
        if path == "/v1/transfers" and method == "POST":
            return self._create_transfer(params)
        return self._list_transfers(params)

    # -- PaymentIntents --------------------------------------------------------------------

    def _create_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = _int(params, "amount")
        assert amount is not None
        currency = str(_required(params, "currency")).lower()
        if amount < MINIMUM_AMOUNT:
            raise StripeApiError(
                400,
                "invalid_request_error",
                "Amount must be at least $0.50 usd",
                code="amount_too_small",
                param="amount",
            )
        pm = params.get("payment_method")
        types = params.get("allowed_payment_method_types") or ["card"]
        known = pm in SUCCEEDING or pm in DECLINES or pm in (THREE_D_SECURE, PROCESSING)
        if pm is not None and not known:
            raise _missing("PaymentMethod", pm, "payment_method")
        if pm is not None and "card" not in types:
            raise StripeApiError(
                400,
                "invalid_request_error",
                "The PaymentMethod provided (card) is not allowed for this PaymentIntent.",
                code="payment_intent_incompatible_payment_method",
                param="payment_method",
            )
        intent_id = _id("pi")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": currency,
            "capture_method": "automatic",
            "confirmation_method": "automatic",
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "created": int(time.time()),  # real clock: Stripe stamps objects with the wall clock
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "next_action": None,
            "payment_method": pm,
            "allowed_payment_method_types": params.get("allowed_payment_method_types"),
            "payment_method_types": types,
            "status": "requires_payment_method" if pm is None else "requires_confirmation",
        }
        self.intents[intent_id] = intent
        if params.get("confirm") != "true" or pm is None:
            return intent
        if pm in DECLINES:
            decline_code, message = DECLINES[pm]
            error = StripeApiError(
                402,
                "card_error",
                message,
                code="card_declined",
                decline_code=decline_code,
                charge=_id("ch"),
                doc_url="https://stripe.com/docs/error-codes/card-declined",
                payment_method={"id": pm, "object": "payment_method", "type": "card"},
            )
            intent.update(status="requires_payment_method", last_payment_error=dict(error.body))
            error.body["payment_intent"] = intent
            raise error
        if pm == THREE_D_SECURE:
            intent.update(
                status="requires_action",
                next_action={
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": {
                        "type": "three_d_secure_redirect",
                        "stripe_js": f"{self.base_url}/3ds/{intent_id}",
                        "source": _id("src"),
                    },
                },
            )
        elif pm == PROCESSING:
            intent.update(status="processing")
        else:
            self._succeed(intent)
        return intent

    @staticmethod
    def _succeed(intent: dict[str, Any]) -> None:
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=intent["latest_charge"] or _id("ch"),
            next_action=None,
            last_payment_error=None,
        )

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = str(_required(params, "payment_intent"))
        if intent_id not in self.intents:
            raise _missing("payment_intent", intent_id, "payment_intent")
        intent = self.intents[intent_id]
        if intent["status"] != "succeeded":
            raise StripeApiError(
                400,
                "invalid_request_error",
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
            )
        refunded = self._refunded.get(intent_id, 0)
        left = intent["amount"] - refunded
        if left <= 0:
            raise StripeApiError(
                400,
                "invalid_request_error",
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _int(params, "amount", required=False)
        if amount is None:
            amount = left
        if amount <= 0 or amount > left:
            raise StripeApiError(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
            )
        self._refunded[intent_id] = refunded + amount
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),  # real clock: Stripe stamps objects with the wall clock
            "currency": intent["currency"],
            "metadata": params.get("metadata") or {},
            "payment_intent": intent_id,
            "reason": params.get("reason"),
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return refund

    def refunded(self, intent_id: str) -> int:
        """Cents refunded on a PaymentIntent so far."""
        with self._lock:
            return self._refunded.get(intent_id, 0)

    # -- Connect ---------------------------------------------------------------------------

    def _new_account(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        due = [
            "business_type",
            "external_account",
            "individual.first_name",
            "individual.last_name",
            "tos_acceptance.date",
            "tos_acceptance.ip",
        ]
        capabilities = params.get("capabilities") or {}
        return {
            "id": account_id,
            "object": "account",
            "type": params.get("type", "express"),
            "country": params.get("country", "US"),
            "email": params.get("email"),
            "metadata": params.get("metadata") or {},
            "business_type": None,
            "capabilities": {name: "inactive" for name in capabilities} or {},
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "default_currency": "usd",
            "requirements": {
                "currently_due": due,
                "eventually_due": due,
                "past_due": due,
                "pending_verification": [],
                "disabled_reason": "requirements.past_due",
                "current_deadline": None,
                "errors": [],
            },
            "created": int(time.time()),  # real clock: Stripe stamps objects with the wall clock
        }

    def _create_link(self, params: dict[str, Any]) -> dict[str, Any]:
        account_id = str(_required(params, "account"))
        for name in ("refresh_url", "return_url", "type"):
            _required(params, name)
        if account_id not in self.accounts:
            raise _missing("account", account_id, "account")
        now = int(time.time())  # real clock: Stripe stamps objects with the wall clock
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{self.base_url}/setup/e/{account_id}/{secrets.token_urlsafe(12)}",
        }

    def _create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = _int(params, "amount")
        assert amount is not None
        currency = str(_required(params, "currency")).lower()
        destination = str(_required(params, "destination"))
        account = self.accounts.get(destination)
        if account is None:
            raise _missing("destination", destination, "destination")
        if account["capabilities"].get("transfers") != "active":
            raise StripeApiError(
                400,
                "invalid_request_error",
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        if amount > self.balance_cents:
            raise StripeApiError(
                400,
                "invalid_request_error",
                "You have insufficient available funds in your Stripe account. Try adding "
                "funds directly to your available balance by creating Charges using the "
                "4000000000000077 test card. See: https://stripe.com/docs/testing"
                "#available-balance",
                code="balance_insufficient",
            )
        self.balance_cents -= amount
        transfer_id = _id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "created": int(time.time()),  # real clock: Stripe stamps objects with the wall clock
            "description": params.get("description"),
            "destination": destination,
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "transfer_group": params.get("transfer_group"),
        }
        self.transfers[transfer_id] = transfer
        return transfer

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = _int(params, "limit", required=False) or 10
        found = [
            t
            for t in reversed(list(self.transfers.values()))  # newest first
            if params.get("transfer_group") in (None, t["transfer_group"])
            and params.get("destination") in (None, t["destination"])
        ]
        return {
            "object": "list",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "url": "/v1/transfers",
        }


# -- webhooks ------------------------------------------------------------------------------


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe signs webhook deliveries."""
    if timestamp is None:
        timestamp = int(time.time())  # real clock: the SDK checks signatures against it
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(type: str, obj: dict[str, Any], id: str | None = None) -> bytes:
    """The body of a webhook delivery of an event about `obj`."""
    return json.dumps(
        {
            "id": id or _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),  # real clock: Stripe stamps events with the wall clock
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
    ).encode()


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stripe_fake() -> Iterator[FakeStripe]:
    """The fake Stripe, served for the whole run."""
    fake = FakeStripe()
    with serving(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def stripe(stripe_fake: FakeStripe) -> FakeStripe:
    """The fake Stripe, emptied for this test."""
    stripe_fake.reset()
    return stripe_fake


@pytest.fixture
def stripe_settings(stripe: FakeStripe) -> StripeSettings:
    """Settings that point the SDK at the fake."""
    return StripeSettings(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=stripe.base_url,
        timeout_seconds=2,
        max_network_retries=2,
    )
