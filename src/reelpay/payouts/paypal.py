"""PayPal Payouts: the payout provider for PAYPAL payouts, and PayPal's signed webhooks.

Why plain HTTP and not an SDK: `paypal-server-sdk` (PayPal's current server SDK, 2.x) covers
Orders, Payments, Vault, Transaction Search and Subscriptions but has no Payouts controller, and
`paypal-payouts-sdk` is PayPal's archived 2020 SDK. So this is a small typed `httpx` client of the
four endpoints we use: `POST /v1/oauth2/token`, `POST /v1/payments/payouts`,
`GET /v1/payments/payouts/{payout_batch_id}` and `POST /v1/notifications/verify-webhook-signature`.

One payout is one batch of one item, with our reference as `sender_batch_id`, as the item's
`sender_item_id` and as the `PayPal-Request-Id` header:

- PayPal keeps a `PayPal-Request-Id` for 30 days: the same id answers the first batch and
  creates nothing; and it never pays a `sender_batch_id` used in the last 30 days twice (it
  answers an error linking to the original batch, which we then read).
- A batch is accepted PENDING; its item reaches a final `transaction_status` later, told by a
  `PAYMENT.PAYOUTS-ITEM.*` webhook (`payout_item_event`) or read with `status`.
- A refusal PayPal gives at once is an outcome: `INSUFFICIENT_FUNDS` and 429 are RETRY (nothing
  was created, the same reference may succeed later), other 400/422 validation errors FAILED
  with PayPal's error name as the code. Anything else (5xx, a timeout, a lost connection, 401/403
  with fresh credentials, 404/409 on create) raises `PayPalError`: the outcome is unknown.

`status` without a batch id (the create call raised, so we never learned it) cannot read the
batch: PayPal has no look-up by `sender_batch_id`. It repeats the create call with the same
`PayPal-Request-Id` and `sender_batch_id`, which PayPal documents as the safe way to learn the
outcome after an error: it answers the original batch (or the duplicate error linking to it)
and pays nothing more. If PayPal never received the reference, that call sends it now and
`status` answers PENDING. So call `status` only for a payout you would send anyway (one still
being sent), never for one recorded as FAILED.

An HTTP client is opened per operation (payouts are few), so one provider object can serve any
number of event loops (the web app, `reelpay jobs payouts`); the access token is cached between
operations until shortly before PayPal says it expires, and fetched again once on a 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from reelpay.payments.webhook_events import InvalidWebhook, ProviderEvent
from reelpay.payouts.provider import PayoutOutcome, PayoutRequest, PayoutResult
from reelpay.settings import PayPalSettings

TOKEN_PATH = "/v1/oauth2/token"
PAYOUTS_PATH = "/v1/payments/payouts"
VERIFY_PATH = "/v1/notifications/verify-webhook-signature"
# A cached access token is dropped this long before PayPal says it expires.
TOKEN_MARGIN_SECONDS = 120
# Currencies PayPal takes without decimals (the amount is in whole units).
ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})
EMAIL_SUBJECT = "You have a payout from Reelpay"
NOTE = "Your Reelpay earnings"

# An item's `transaction_status` that means the money did not (or no longer) reach the receiver.
FAILED_STATUSES = frozenset(
    {"FAILED", "RETURNED", "REFUNDED", "REVERSED", "BLOCKED", "DENIED", "CANCELED"}
)
# Statuses of an item PayPal paid and then took back (after SUCCESS): they are the result's
# code whatever error the item carries, so a PAID payout becomes RETURNED (`record_answer`).
TAKEN_BACK_STATUSES = frozenset({"RETURNED", "REFUNDED", "REVERSED"})
# A batch that was refused as a whole (no item was paid).
FAILED_BATCH_STATUSES = frozenset({"DENIED", "CANCELED"})
# Refusals that create nothing and may pass later with the same reference.
RETRY_ERRORS = frozenset({"INSUFFICIENT_FUNDS", "RATE_LIMIT_REACHED"})

ITEM_EVENT_PREFIX = "PAYMENT.PAYOUTS-ITEM."
BATCH_DENIED_EVENT = "PAYMENT.PAYOUTSBATCH.DENIED"
# `PAYMENT.PAYOUTS-ITEM.<suffix>` events and what they mean for the payout.
ITEM_EVENT_OUTCOMES = {
    "SUCCEEDED": PayoutOutcome.PAID,
    "FAILED": PayoutOutcome.FAILED,
    "RETURNED": PayoutOutcome.FAILED,
    "BLOCKED": PayoutOutcome.FAILED,
    "DENIED": PayoutOutcome.FAILED,
    "REFUNDED": PayoutOutcome.FAILED,
    "REVERSED": PayoutOutcome.FAILED,
    "CANCELED": PayoutOutcome.FAILED,
    # Unclaimed money is returned after 30 days (then RETURNED); held money is still on its way.
    "UNCLAIMED": PayoutOutcome.PENDING,
    "HELD": PayoutOutcome.PENDING,
}

# verify-webhook-signature's fields and the headers PayPal sends them in.
WEBHOOK_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}


class PayPalError(Exception):
    """PayPal gave no answer we can read as an outcome (5xx, a timeout, refused credentials):
    what became of the request is unknown."""

    def __init__(self, message: str, *, status: int | None = None, name: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.name = name


class PayPalPayouts:
    """A `PayoutProvider` for PAYPAL payouts (`request.destination["email"]`)."""

    name = "paypal"

    def __init__(
        self,
        settings: PayPalSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._clock = clock  # seconds, for the access token's lifetime only
        self._token: str | None = None
        self._token_expires = 0.0

    async def send(self, request: PayoutRequest) -> PayoutResult:
        problem = _destination_problem(request)
        if problem is not None:
            return problem
        async with self._client() as client:
            response = await self._create(client, request)
            result = await self._created(client, request, response, asking=False)
        if result is None:  # only `status` asks
            raise PayPalError("PayPal gave no outcome for the payout")
        return result

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        async with self._client() as client:
            if request.provider_payout_id:
                return await self._batch(client, request, request.provider_payout_id)
            if _destination_problem(request) is not None:
                return None  # it could never have been sent
            # No batch id: ask by repeating the create call (see the module's docstring).
            response = await self._create(client, request)
            return await self._created(client, request, response, asking=True)

    async def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The event in a `/webhooks/paypal` delivery, once PayPal confirms its signature.

        Raises `InvalidWebhook` for missing PAYPAL-* headers, a body that is not an event, or a
        signature PayPal does not confirm; `PayPalError` when PayPal cannot be asked (answer
        5xx so that PayPal delivers it again)."""
        lowered = {key.lower(): value for key, value in headers.items()}
        fields = {name: lowered.get(header, "").strip() for name, header in WEBHOOK_HEADERS.items()}
        missing = [WEBHOOK_HEADERS[name].upper() for name, value in fields.items() if not value]
        if missing:
            raise InvalidWebhook(f"missing header {', '.join(missing)}")
        try:
            text = body.decode("utf-8")
            event = json.loads(text)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise InvalidWebhook("the body is not JSON") from exc
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str)
            and event["id"]
            and isinstance(event.get("event_type"), str)
            and isinstance(event.get("resource"), dict)
        ):
            raise InvalidWebhook("the body is not a PayPal event (id, event_type, resource)")
        # The event goes back to PayPal exactly as it came (its bytes, not a re-serialisation,
        # which could differ and fail the signature check).
        head = json.dumps({**fields, "webhook_id": self._settings.webhook_id})
        payload = head[:-1] + ', "webhook_event": ' + text + "}"
        async with self._client() as client:
            response = await self._call(
                client,
                "POST",
                VERIFY_PATH,
                content=payload.encode(),
                headers={"Content-Type": "application/json"},
            )
        if response.status_code in (400, 422):
            raise InvalidWebhook(f"PayPal refused to check the signature: {_error(response)[1]}")
        answer = _json(response) if response.status_code == 200 else None
        if answer is None:
            raise _unexpected(response)
        if answer.get("verification_status") != "SUCCESS":
            raise InvalidWebhook("PayPal did not confirm the signature")
        return ProviderEvent(
            provider="paypal", id=event["id"], type=event["event_type"], data=event["resource"]
        )

    @staticmethod
    def payout_item_event(event: ProviderEvent) -> tuple[str, PayoutResult] | None:
        """`payout_item_event(event)` (the module's function), for callers holding the adapter."""
        return payout_item_event(event)

    # -- PayPal's answers ---------------------------------------------------------------

    async def _created(
        self,
        client: httpx.AsyncClient,
        request: PayoutRequest,
        response: httpx.Response,
        *,
        asking: bool,
    ) -> PayoutResult | None:
        """The outcome of a create call; `asking` (from `status`): None when PayPal refused it,
        as it then holds nothing for this reference."""
        status = response.status_code
        batch_id: str | None = None
        if status in (200, 201):
            body = _json(response)
            if body is None:
                raise _unexpected(response)
            header = body.get("batch_header") or {}
            if body.get("items") or header.get("batch_status") != "SUCCESS":
                return _batch_result(body, request.reference)
            # Finished already (a replay answers the batch as it is now): read its item.
            batch_id = str(header.get("payout_batch_id") or "")
        elif status in (400, 422, 429):
            # A sender_batch_id used before: PayPal refuses it and links to that batch.
            batch_id = _original_batch(response)
            if batch_id is None and asking:
                if status == 429:
                    raise _unexpected(response)  # refused unread: we learned nothing
                return None  # refused: PayPal holds no batch for this reference
        else:
            raise _unexpected(response)
        if batch_id is not None:
            result = await self._batch(client, request, batch_id)
            if result is None:
                raise PayPalError(f"PayPal named batch {batch_id!r} but has none", status=404)
            return result
        name, message = _error(response)
        if name in RETRY_ERRORS or status == 429:
            return PayoutResult(PayoutOutcome.RETRY, code=name, message=message)
        return PayoutResult(PayoutOutcome.FAILED, code=name, message=message)

    async def _batch(
        self, client: httpx.AsyncClient, request: PayoutRequest, batch_id: str
    ) -> PayoutResult | None:
        response = await self._call(client, "GET", f"{PAYOUTS_PATH}/{quote(batch_id, safe='')}")
        if response.status_code == 404:
            return None
        body = _json(response) if response.status_code == 200 else None
        if body is None:
            raise _unexpected(response)
        return _batch_result(body, request.reference)

    # -- HTTP ------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._settings.api_base,
            timeout=self._settings.timeout_seconds,
            transport=self._transport,
            headers={"Accept": "application/json"},
        )

    async def _create(self, client: httpx.AsyncClient, request: PayoutRequest) -> httpx.Response:
        email = str(request.destination["email"])
        body = {
            "sender_batch_header": {
                "sender_batch_id": request.reference,
                "email_subject": EMAIL_SUBJECT,
                "recipient_type": "EMAIL",
            },
            "items": [
                {
                    "recipient_type": "EMAIL",
                    "amount": {
                        "value": paypal_amount(request.amount_cents, request.currency),
                        "currency": request.currency.upper(),
                    },
                    "receiver": email,
                    "sender_item_id": request.reference,
                    "note": NOTE,
                }
            ],
        }
        return await self._call(
            client,
            "POST",
            PAYOUTS_PATH,
            json_body=body,
            headers={"PayPal-Request-Id": request.reference},
        )

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One API call with a bearer token; on a 401 a new token and one more try."""
        for fresh in (False, True):
            token = await self._access_token(client, fresh=fresh)
            try:
                response = await client.request(
                    method,
                    path,
                    json=json_body,
                    content=content,
                    headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                raise PayPalError(f"PayPal did not answer {method} {path}: {exc!r}") from exc
            if response.status_code != 401:
                return response
        raise PayPalError(
            f"PayPal refused a new access token for {method} {path} (401)", status=401
        )

    async def _access_token(self, client: httpx.AsyncClient, *, fresh: bool) -> str:
        if not fresh and self._token is not None and self._clock() < self._token_expires:
            return self._token
        self._token = None
        try:
            response = await client.post(
                TOKEN_PATH,
                auth=(self._settings.client_id, self._settings.client_secret),
                data={"grant_type": "client_credentials"},
            )
        except httpx.HTTPError as exc:
            raise PayPalError(f"PayPal did not answer {TOKEN_PATH}: {exc!r}") from exc
        body = _json(response) if response.status_code == 200 else None
        token = body.get("access_token") if body else None
        if body is None or not isinstance(token, str) or not token:
            raise PayPalError(
                f"PayPal gave no access token ({response.status_code}); check "
                "REELPAY_PAYPAL_CLIENT_ID and REELPAY_PAYPAL_CLIENT_SECRET",
                status=response.status_code,
            )
        lifetime = _int(body.get("expires_in"))
        self._token = token
        self._token_expires = self._clock() + max(0, lifetime - TOKEN_MARGIN_SECONDS)
        return token


def payout_item_event(event: ProviderEvent) -> tuple[str, PayoutResult] | None:
    """The payout reference a PayPal webhook event is about and the result it means, for
    `PAYMENT.PAYOUTS-ITEM.*` events (and a whole batch denied); None for any other event."""
    if event.provider != "paypal":
        return None
    if event.type == BATCH_DENIED_EVENT:
        header = event.data.get("batch_header") or {}
        reference = (header.get("sender_batch_header") or {}).get("sender_batch_id")
        if not isinstance(reference, str) or not reference:
            return None
        return reference, PayoutResult(
            PayoutOutcome.FAILED,
            provider_payout_id=header.get("payout_batch_id"),
            code="DENIED",
            message="PayPal denied the payout.",
        )
    if not event.type.startswith(ITEM_EVENT_PREFIX):
        return None
    outcome = ITEM_EVENT_OUTCOMES.get(event.type.removeprefix(ITEM_EVENT_PREFIX))
    reference = (event.data.get("payout_item") or {}).get("sender_item_id")
    if outcome is None or not isinstance(reference, str) or not reference:
        return None
    suffix = event.type.removeprefix(ITEM_EVENT_PREFIX)
    return reference, _item_outcome(event.data, outcome, suffix)


def paypal_amount(cents: int, currency: str) -> str:
    """Minor units as PayPal's decimal string: 1234 USD -> "12.34" (1234 JPY -> "1234")."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return str(cents)
    units, rest = divmod(cents, 100)
    return f"{units}.{rest:02d}"


def _destination_problem(request: PayoutRequest) -> PayoutResult | None:
    email = request.destination.get("email")
    if request.kind != "PAYPAL" or not isinstance(email, str) or not email.strip():
        return PayoutResult(
            PayoutOutcome.FAILED,
            code="INVALID_DESTINATION",
            message="PayPal payouts go to a PayPal email address.",
        )
    return None


def _batch_result(body: dict[str, Any], reference: str) -> PayoutResult:
    """A batch (create answer or read) as our result: its item's status when it lists one."""
    header = body.get("batch_header") or {}
    batch_id = header.get("payout_batch_id")
    items = [item for item in body.get("items") or [] if isinstance(item, dict)]
    mine = [i for i in items if (i.get("payout_item") or {}).get("sender_item_id") == reference]
    candidates = mine or items
    item = candidates[0] if candidates else None
    if item is not None:
        status = str(item.get("transaction_status") or "")
        if status == "SUCCESS":
            return PayoutResult(PayoutOutcome.PAID, provider_payout_id=item.get("payout_item_id"))
        if status in FAILED_STATUSES:
            return _item_outcome(item, PayoutOutcome.FAILED, status)
        # PENDING, ONHOLD, NEW, UNCLAIMED (returned after 30 days, then RETURNED) or unknown.
        return PayoutResult(
            PayoutOutcome.PENDING, provider_payout_id=item.get("payout_batch_id") or batch_id
        )
    batch_status = str(header.get("batch_status") or "")
    if batch_status in FAILED_BATCH_STATUSES:
        return PayoutResult(
            PayoutOutcome.FAILED,
            provider_payout_id=batch_id,
            code=batch_status,
            message=f"PayPal {batch_status.lower()} the payout.",
        )
    return PayoutResult(PayoutOutcome.PENDING, provider_payout_id=batch_id)


def _item_outcome(item: dict[str, Any], outcome: PayoutOutcome, status: str) -> PayoutResult:
    """A payout item's result; when not paid, PayPal's error name (e.g. RECEIVER_UNREGISTERED)
    is the code, else the item's status (e.g. BLOCKED). An item taken back (RETURNED,
    REFUNDED, REVERSED) always has its status as the code, PayPal's error in the message."""
    if outcome is PayoutOutcome.PAID:
        return PayoutResult(outcome, provider_payout_id=item.get("payout_item_id"))
    if outcome is PayoutOutcome.PENDING:
        return PayoutResult(outcome, provider_payout_id=item.get("payout_batch_id"))
    errors: dict[str, Any] = item["errors"] if isinstance(item.get("errors"), dict) else {}
    if status in TAKEN_BACK_STATUSES:
        why = f": {errors['message']}" if errors.get("message") else f" ({status})."
        code, message = status, f"PayPal {status.lower()} the payout{why}"
    else:
        code = str(errors.get("name") or status)
        message = str(errors.get("message") or f"PayPal did not pay the payout ({status}).")
    return PayoutResult(
        outcome, provider_payout_id=item.get("payout_item_id"), code=code, message=message
    )


def _original_batch(response: httpx.Response) -> str | None:
    """The batch a duplicate `sender_batch_id` error links to (PayPal's HATEOAS link)."""
    body = _json(response)
    for link in (body or {}).get("links") or []:
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str) and f"{PAYOUTS_PATH}/" in href:
            batch_id = href.split(f"{PAYOUTS_PATH}/", 1)[1].split("?", 1)[0].strip("/")
            if batch_id:
                return batch_id
    return None


def _error(response: httpx.Response) -> tuple[str, str]:
    """PayPal's error `name` and a message with the details' issues."""
    body = _json(response) or {}
    name = str(body.get("name") or f"HTTP_{response.status_code}")
    message = str(body.get("message") or "")
    issues = [
        str(d.get("issue") or d.get("description"))
        for d in body.get("details") or []
        if isinstance(d, dict) and (d.get("issue") or d.get("description"))
    ]
    if issues:
        message = f"{message} ({'; '.join(issues)})" if message else "; ".join(issues)
    return name, message or f"PayPal refused the payout ({name})."


def _unexpected(response: httpx.Response) -> PayPalError:
    name, message = _error(response)
    return PayPalError(
        f"PayPal answered {response.status_code} {name}: {message}",
        status=response.status_code,
        name=name,
    )


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
