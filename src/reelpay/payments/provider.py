"""What Reelpay needs from a payment provider (Stripe, an app store, the sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ChargeOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"  # the card or wallet refused: the buyer must use another one
    INVALID_TOKEN = "INVALID_TOKEN"  # the token names no payment method
    PROCESSING_ERROR = "PROCESSING_ERROR"  # transient: the same request may succeed later
    KEY_REUSED = "KEY_REUSED"  # the idempotency key was used with other parameters


@dataclass(frozen=True)
class ChargeRequest:
    token: str
    amount_cents: int
    currency: str
    # Our own idempotency key: retrying a request never charges twice.
    idempotency_key: str
    description: str


@dataclass(frozen=True)
class Charge:
    outcome: ChargeOutcome
    charge_id: str | None = None
    message: str = ""


class PaymentProvider(Protocol):
    name: str

    async def charge(self, request: ChargeRequest) -> Charge:
        """Take the money once per idempotency key; the same key returns the same charge."""
        ...

    async def refund(
        self, charge_id: str, *, amount_cents: int | None = None, key: str | None = None
    ) -> None:
        """Give a charge's money back: in full, or `amount_cents` of it (a campaign's unused
        escrow). `key` makes a partial refund idempotent: sending it again refunds once."""
        ...
