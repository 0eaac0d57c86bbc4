"""A fake PayPal: the subset of PayPal's REST API that `reelpay.payouts.paypal` uses, with the
shapes of PayPal's published OpenAPI descriptions (payments.payouts-batch v1, notifications v1).

Endpoints: `POST /v1/oauth2/token`, `POST /v1/payments/payouts`,
`GET /v1/payments/payouts/{payout_batch_id}`, `POST /v1/notifications/verify-webhook-signature`.

Receivers pick what becomes of their item when the test settles the batch (`settle`), as
PayPal does later on its own: `…@paypal-fail.test` FAILED (RECEIVER_UNREGISTERED),
`…@paypal-unclaimed.test` UNCLAIMED, anyone else SUCCESS. A receiver that is not an email
address is refused at once (400 VALIDATION_ERROR). Batches start PENDING.

Like PayPal, a `PayPal-Request-Id` seen before answers its batch and creates nothing, and a
`sender_batch_id` seen before under another request id is refused with an error linking to the
original batch. Drivable failures: `fail_next(n, status=500)` (the next n API calls answer 500
and do nothing), `fail_next(n, status="timeout")` (they do their work, then answer only after
`hang_seconds`: the answer is lost), `insufficient_funds = True` (422 INSUFFICIENT_FUNDS),
`expire_tokens()` (the next call with an old token gets 401).

Webhooks: `event(type, resource)` builds a delivery's body and `signed_headers(body)` the
PAYPAL-* headers PayPal would send with it: the transmission signature is an HMAC, with a secret
only this fake knows, of `transmission_id|transmission_time|webhook_id|crc32(event)`; the
verify endpoint answers SUCCESS for those and FAILURE for anything else. (PayPal's is an RSA
signature checked against its certificate; what our adapter depends on is only that PayPal
checks it, so the fake checks its own.)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelpay.settings import PayPalSettings
from tests.fakes.server import serving

CLIENT_ID = "client"
CLIENT_SECRET = "secret"
WEBHOOK_ID = "WH-TEST"
INFORMATION_LINK = "https://developer.paypal.com/docs/api/payments.payouts-batch/#errors"
# Fixed instants: the fake never reads a clock.
TIME_CREATED = "2026-06-15T12:00:00Z"
TIME_PROCESSED = "2026-06-15T12:05:00Z"
FAIL_DOMAIN = "paypal-fail.test"
UNCLAIMED_DOMAIN = "paypal-unclaimed.test"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_AMOUNT = re.compile(r"\d+(\.\d{1,2})?")


def _paypal_id() -> str:
    """An id in PayPal's style (13 capitals and digits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(13))


def canonical(event: Any) -> bytes:
    """The bytes the fake signs: PayPal re-serialises the event it is asked about, so a body
    whose meaning changed fails and one merely re-spaced does not."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class FakePayPal:
    def __init__(self) -> None:
        self.base_url = ""
        self._secret = secrets.token_bytes(32)
        self.hang_seconds = 1.5
        self.reset()

    def reset(self) -> None:
        self.batches: dict[str, dict[str, Any]] = {}  # payout_batch_id -> the batch
        self.by_request_id: dict[str, str] = {}  # PayPal-Request-Id -> payout_batch_id
        self.by_sender_batch_id: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.create_requests = 0  # POST /v1/payments/payouts, whatever the answer
        self.verify_requests: list[dict[str, Any]] = []  # verify-webhook-signature bodies
        self.insufficient_funds = False
        self._failures: list[int | str] = []

    # -- driving it from a test ------------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int | str = 500) -> None:
        """The next `n` API calls (not token requests) fail: an HTTP status, or "timeout"."""
        self._failures.extend([status] * n)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def forget_request_ids(self) -> None:
        """PayPal's memory of `PayPal-Request-Id`s ran out (its `sender_batch_id` guard stays)."""
        self.by_request_id.clear()

    def batch(self, reference: str) -> dict[str, Any] | None:
        batch_id = self.by_sender_batch_id.get(reference)
        return None if batch_id is None else self.batches[batch_id]

    def item(self, reference: str) -> dict[str, Any]:
        batch = self.batch(reference)
        assert batch is not None, f"no batch {reference!r}"
        return dict(batch["items"][0])

    def settle(self, reference: str, status: str | None = None) -> dict[str, Any]:
        """PayPal processes the batch: each item takes its receiver's outcome (or `status`).
        Returns the (first) item, e.g. for `event`."""
        batch = self.batch(reference)
        assert batch is not None, f"no batch {reference!r}"
        for item in batch["items"]:
            domain = item["payout_item"]["receiver"].rsplit("@", 1)[-1].lower()
            final = status or {FAIL_DOMAIN: "FAILED", UNCLAIMED_DOMAIN: "UNCLAIMED"}.get(
                domain, "SUCCESS"
            )
            item["transaction_status"] = final
            item["transaction_id"] = _paypal_id()
            item["time_processed"] = TIME_PROCESSED
            item.pop("errors", None)
            if final in ("FAILED", "UNCLAIMED"):
                item["errors"] = {
                    "name": "RECEIVER_UNREGISTERED",
                    "message": "Receiver is unregistered. Ask the receiver to sign up with PayPal.",
                    "information_link": INFORMATION_LINK,
                    "details": [],
                }
        batch["batch_header"]["batch_status"] = "SUCCESS"
        batch["batch_header"]["time_completed"] = TIME_PROCESSED
        return self.item(reference)

    def event(self, event_type: str, resource: dict[str, Any]) -> bytes:
        """A webhook delivery's body (PayPal's event envelope)."""
        return json.dumps(
            {
                "id": f"WH-{_paypal_id()}-{_paypal_id()}",
                "event_version": "1.0",
                "create_time": TIME_PROCESSED,
                "resource_type": "payouts_item" if "PAYOUTS-ITEM" in event_type else "payouts",
                "event_type": event_type,
                "summary": f"Payout event {event_type}",
                "resource": resource,
                "links": [],
            }
        ).encode()

    def signed_headers(self, body: bytes, *, webhook_id: str = WEBHOOK_ID) -> dict[str, str]:
        """The PAYPAL-* headers PayPal sends with `body` to the webhook `webhook_id`."""
        transmission_id = str(uuid.uuid4())
        return {
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-TEST",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": self._signature(
                transmission_id, TIME_PROCESSED, webhook_id, json.loads(body)
            ),
            "PAYPAL-TRANSMISSION-TIME": TIME_PROCESSED,
        }

    def _signature(self, transmission_id: str, time: str, webhook_id: str, event: Any) -> str:
        crc = zlib.crc32(canonical(event))
        message = f"{transmission_id}|{time}|{webhook_id}|{crc}".encode()
        return base64.b64encode(hmac.new(self._secret, message, hashlib.sha256).digest()).decode()

    # -- the HTTP API ------------------------------------------------------------------

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/oauth2/token", self._token, methods=["POST"]),
                Route("/v1/payments/payouts", self._create, methods=["POST"]),
                Route("/v1/payments/payouts/{batch_id}", self._show, methods=["GET"]),
                Route("/v1/notifications/verify-webhook-signature", self._verify, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> Response:
        self.token_requests += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
                status_code=401,
            )
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
                status_code=400,
            )
        token = f"A21AA{secrets.token_urlsafe(24)}"
        self.tokens.add(token)
        return JSONResponse(
            {
                "scope": "https://uri.paypal.com/services/payments/payouts",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": 32400,
                "nonce": f"{TIME_CREATED}{secrets.token_hex(8)}",
            }
        )

    async def _guard(self, request: Request) -> tuple[Response | None, str | None]:
        """Authentication, then an injected failure: (a response to give now, or None; and
        "timeout" when the call is to do its work and then hang)."""
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return _error(
                401,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid authentication credentials or a missing "
                "Authorization header.",
            ), None
        if not self._failures:
            return None, None
        failure = self._failures.pop(0)
        if failure == "timeout":
            return None, "timeout"
        assert isinstance(failure, int)
        return _error(failure, "INTERNAL_SERVER_ERROR", "An internal server error occurred."), None

    async def _answer(self, response: Response, hang: str | None) -> Response:
        if hang:
            await asyncio.sleep(self.hang_seconds)
        return response

    async def _create(self, request: Request) -> Response:
        self.create_requests += 1
        refused, hang = await self._guard(request)
        if refused is not None:
            return refused
        request_id = request.headers.get("paypal-request-id")
        if request_id and request_id in self.by_request_id:
            # The same request again: its batch, nothing new.
            return await self._answer(self._created(self.by_request_id[request_id]), hang)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "MALFORMED_REQUEST", "Incoming JSON request is malformed.")
        problems = _payout_problems(body)
        if problems:
            return _error(
                400,
                "VALIDATION_ERROR",
                "Invalid request - see details.",
                details=[{"field": f, "location": "body", "issue": i} for f, i in problems],
            )
        header = body["sender_batch_header"]
        sender_batch_id = header["sender_batch_id"]
        if sender_batch_id in self.by_sender_batch_id:
            original = self.by_sender_batch_id[sender_batch_id]
            return _error(
                400,
                "USER_BUSINESS_ERROR",
                "User business error.",
                details=[
                    {
                        "field": "SENDER_BATCH_ID",
                        "location": "body",
                        "issue": f"Batch with given sender_batch_id already exists: "
                        f"{sender_batch_id}",
                    }
                ],
                links=[self._link(original, "self")],
            )
        if self.insufficient_funds:
            return _error(
                422,
                "INSUFFICIENT_FUNDS",
                "Sender does not have sufficient funds. Please add funds and retry.",
            )
        batch_id = _paypal_id()
        items = []
        for item in body["items"]:
            payout_item = {
                "recipient_type": item.get("recipient_type") or header.get("recipient_type"),
                "amount": item["amount"],
                "note": item.get("note", ""),
                "receiver": item["receiver"],
                "sender_item_id": item.get("sender_item_id", ""),
                "recipient_wallet": "PAYPAL",
            }
            item_id = _paypal_id()
            items.append(
                {
                    "payout_item_id": item_id,
                    "transaction_status": "PENDING",
                    "payout_item_fee": {"currency": item["amount"]["currency"], "value": "0.25"},
                    "payout_batch_id": batch_id,
                    "payout_item": payout_item,
                    "links": [
                        {
                            "href": f"{self.base_url}/v1/payments/payouts-item/{item_id}",
                            "rel": "item",
                            "method": "GET",
                            "encType": "application/json",
                        }
                    ],
                }
            )
        self.batches[batch_id] = {
            "batch_header": {
                "payout_batch_id": batch_id,
                "batch_status": "PENDING",
                "time_created": TIME_CREATED,
                "sender_batch_header": header,
                "amount": items[0]["payout_item"]["amount"],
                "fees": {"currency": items[0]["payout_item"]["amount"]["currency"], "value": "0"},
            },
            "items": items,
            "links": [self._link(batch_id, "self")],
        }
        self.by_sender_batch_id[sender_batch_id] = batch_id
        if request_id:
            self.by_request_id[request_id] = batch_id
        return await self._answer(self._created(batch_id), hang)

    def _created(self, batch_id: str) -> Response:
        """The create call's answer: the batch header (as it is now) and its link."""
        header = self.batches[batch_id]["batch_header"]
        return JSONResponse(
            {
                "batch_header": {
                    "payout_batch_id": batch_id,
                    "batch_status": header["batch_status"],
                    "sender_batch_header": header["sender_batch_header"],
                },
                "links": [self._link(batch_id, "self")],
            },
            status_code=201,
        )

    async def _show(self, request: Request) -> Response:
        refused, hang = await self._guard(request)
        if refused is not None:
            return refused
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            return _error(404, "INVALID_RESOURCE_ID", "The requested resource ID was not found.")
        return await self._answer(JSONResponse(batch), hang)

    async def _verify(self, request: Request) -> Response:
        refused, hang = await self._guard(request)
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "MALFORMED_REQUEST", "Incoming JSON request is malformed.")
        self.verify_requests.append(body)
        required = (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
            "webhook_event",
        )
        missing = [f for f in required if not body.get(f)]
        if missing:
            return _error(
                400,
                "VALIDATION_ERROR",
                "Invalid request - see details.",
                details=[{"field": f, "location": "body", "issue": "MISSING"} for f in missing],
            )
        expected = self._signature(
            body["transmission_id"],
            body["transmission_time"],
            body["webhook_id"],
            body["webhook_event"],
        )
        try:
            given = base64.b64decode(body["transmission_sig"], validate=True)
        except (binascii.Error, ValueError):
            given = b""
        good = hmac.compare_digest(given, base64.b64decode(expected))
        return await self._answer(
            JSONResponse({"verification_status": "SUCCESS" if good else "FAILURE"}), hang
        )

    def _link(self, batch_id: str, rel: str) -> dict[str, str]:
        return {
            "href": f"{self.base_url}/v1/payments/payouts/{batch_id}",
            "rel": rel,
            "method": "GET",
            "encType": "application/json",
        }


def _payout_problems(body: Any) -> list[tuple[str, str]]:
    if not isinstance(body, dict):
        return [("body", "MALFORMED_REQUEST")]
    problems = []
    header = body.get("sender_batch_header")
    if not isinstance(header, dict) or not header.get("sender_batch_id"):
        problems.append(("sender_batch_header.sender_batch_id", "MISSING_REQUIRED_PARAMETER"))
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return [*problems, ("items", "MISSING_REQUIRED_PARAMETER")]
    for n, item in enumerate(items):
        amount = item.get("amount") if isinstance(item, dict) else None
        if not isinstance(amount, dict) or not _AMOUNT.fullmatch(str(amount.get("value", ""))):
            problems.append((f"items[{n}].amount.value", "Value is invalid."))
        elif not re.fullmatch(r"[A-Z]{3}", str(amount.get("currency", ""))):
            problems.append((f"items[{n}].amount.currency", "Currency code is invalid."))
        receiver = item.get("receiver") if isinstance(item, dict) else None
        if not isinstance(receiver, str) or not _EMAIL.fullmatch(receiver):
            problems.append(
                (f"items[{n}].receiver", "Receiver is invalid or does not match with type.")
            )
    return problems


def _error(
    status: int,
    name: str,
    message: str,
    *,
    details: list[dict[str, str]] | None = None,
    links: list[dict[str, str]] | None = None,
) -> Response:
    """PayPal's error body: name, message, debug_id, information_link, details, links."""
    return JSONResponse(
        {
            "name": name,
            "message": message,
            "debug_id": secrets.token_hex(6),
            "information_link": INFORMATION_LINK,
            "details": details or [],
            "links": links or [],
        },
        status_code=status,
    )


@pytest.fixture(scope="session")
def paypal_server() -> Iterator[FakePayPal]:
    fake = FakePayPal()
    with serving(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def paypal(paypal_server: FakePayPal) -> Iterator[FakePayPal]:
    """The fake PayPal, emptied for this test."""
    paypal_server.reset()
    yield paypal_server
    paypal_server.reset()


@pytest.fixture
def paypal_settings(paypal: FakePayPal) -> PayPalSettings:
    return PayPalSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_id=WEBHOOK_ID,
        api_base=paypal.base_url,
        timeout_seconds=2,
    )


__all__ = ["FakePayPal", "paypal", "paypal_server", "paypal_settings"]
