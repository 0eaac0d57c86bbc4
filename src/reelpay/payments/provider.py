"""What Reelpay needs from a payment provider (Stripe, the sandbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ChargeOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"  # the card or wallet refused: the buyer must use another one
    INVALID_TOKEN = "INVALID_TOKEN"  # the token names no payment method
    PROCESSING_ERROR = "PROCESSING_ERROR"  # transient: the same request may succeed later
    KEY_REUSED = "KEY_REUSED"  # the idempotency key was used with other parameters
    # Not finished yet; nothing may be credited until it SUCCEEDS (a webhook or a status check):
    REQUIRES_ACTION = "REQUIRES_ACTION"  # the buyer must act (3-D Secure): see `client_secret`
    PENDING = "PENDING"  # the provider is still processing it (e.g. Stripe's `processing`)


@dataclass(frozen=True)
class ChargeRequest:
    token: str
    amount_cents: int
    currency: str
    # Our own idempotency key: retrying a request never charges twice.
    idempotency_key: str
    description: str
    # Our ids, stored with the charge (Stripe metadata): strings only.
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Charge:
    outcome: ChargeOutcome
    charge_id: str | None = None
    message: str = ""
    # With REQUIRES_ACTION: what the client SDK needs to finish the action (Stripe's
    # PaymentIntent client secret). Only ever shown to the payer.
    client_secret: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def charge(self, request: ChargeRequest) -> Charge:
        """Take the money once per idempotency key; the same key returns the same charge."""
        ...

    async def status(self, charge_id: str) -> Charge:
        """Where a charge stands now (a REQUIRES_ACTION or PENDING one may have finished):
        SUCCEEDED, REQUIRES_ACTION, PENDING, or DECLINED when it failed for good."""
        ...

    async def refund(
        self, charge_id: str, *, amount_cents: int | None = None, key: str | None = None
    ) -> None:
        """Give a charge's money back: in full, or `amount_cents` of it (a campaign's unused
        escrow). `key` makes a partial refund idempotent: sending it again refunds once."""
        ...
