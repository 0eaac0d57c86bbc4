"""What Reelpay needs from a payout provider (PayPal Payouts, a bank-transfer API, the sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class PayoutOutcome(StrEnum):
    PAID = "PAID"  # the money was sent
    FAILED = "FAILED"  # refused for good (closed account, wrong details): it will not be sent
    RETRY = "RETRY"  # not sent this time (provider unavailable); the same request may succeed
    # Accepted, the final answer comes later (a webhook, or `status`): never send it again.
    PENDING = "PENDING"


@dataclass(frozen=True)
class PayoutRequest:
    # Our idempotency key: sending the same reference again never pays twice; the provider
    # answers with the first request's outcome once it has a final one.
    reference: str
    amount_cents: int
    currency: str
    kind: str  # PAYPAL or BANK_ACCOUNT
    destination: dict[str, Any]  # {"email"} or {"iban"} or {"routing", "account"}, + holder
    attempt: int = 1  # our attempt number for this reference (1 the first time)
    creator_id: int = 0  # whose payout (the provider's metadata)
    # The creator's own account at the provider, when it has one (a Stripe Connect account).
    recipient_account: str | None = None
    # The provider's id from an earlier attempt of this reference (PayPal's payout batch).
    provider_payout_id: str | None = None


@dataclass(frozen=True)
class PayoutResult:
    outcome: PayoutOutcome
    provider_payout_id: str | None = None
    code: str = ""  # the provider's reason when not PAID, e.g. RECIPIENT_REJECTED
    message: str = ""


class PayoutProvider(Protocol):
    name: str

    async def send(self, request: PayoutRequest) -> PayoutResult:
        """Send the payout once per reference. Raising means "unknown": we send it again
        later with the same reference, which the provider must treat as the same payout."""
        ...

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        """What became of a reference sent before (PAID, FAILED, PENDING), or None when the
        provider never received it (then it is safe to send). Raising means "unknown"."""
        ...
