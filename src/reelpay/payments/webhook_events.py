"""What a provider's webhook adapter hands the `/webhooks/*` routes: one verified event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProviderEvent:
    provider: str  # "stripe" | "paypal"
    id: str  # the provider's event id: stored once, so a replayed delivery is ignored
    type: str  # e.g. "payment_intent.succeeded", "PAYMENT.PAYOUTS-ITEM.SUCCEEDED"
    # The event's object as plain JSON values (Stripe: event.data.object; PayPal: resource).
    data: dict[str, Any]


class InvalidWebhook(Exception):
    """The body is not a genuine event of the provider: a bad or missing signature, a stale
    timestamp, or an unparseable body. The route answers 400 and handles nothing."""
