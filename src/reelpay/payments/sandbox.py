"""The built-in sandbox provider: no money moves; test tokens pick the outcome.

| token                          | outcome                                        |
| ------------------------------ | ---------------------------------------------- |
| `tok_sandbox_success`          | the charge succeeds                            |
| `tok_sandbox_declined`         | the card is declined (CARD_DECLINED)           |
| `tok_sandbox_processing_error` | a transient failure (PAYMENT_PROCESSING_ERROR) |
| anything else                  | INVALID_PAYMENT_TOKEN                          |

Charge IDs derive from the idempotency key, so retries and other API workers see the same
charge, as they would with a real provider's idempotency.
"""

from __future__ import annotations

import hashlib

from reelpay.payments.provider import Charge, ChargeOutcome, ChargeRequest

SUCCESS_TOKEN = "tok_sandbox_success"
DECLINED_TOKEN = "tok_sandbox_declined"
PROCESSING_ERROR_TOKEN = "tok_sandbox_processing_error"


class SandboxProvider:
    name = "sandbox"

    def __init__(self) -> None:
        # key -> (token, amount, currency) of its first charge, as a provider would remember it
        self._seen: dict[str, tuple[str, int, str]] = {}
        self.refunded: set[str] = set()
        # Partial refunds by key: (charge, cents), each once whatever the retries.
        self.partial_refunds: dict[str, tuple[str, int]] = {}

    async def charge(self, request: ChargeRequest) -> Charge:
        if request.token == DECLINED_TOKEN:
            return Charge(ChargeOutcome.DECLINED, message="The card was declined.")
        if request.token == PROCESSING_ERROR_TOKEN:
            return Charge(
                ChargeOutcome.PROCESSING_ERROR,
                message="The payment could not be processed right now; try again.",
            )
        if request.token != SUCCESS_TOKEN:
            return Charge(ChargeOutcome.INVALID_TOKEN, message="Unknown payment token.")
        params = (request.token, request.amount_cents, request.currency)
        first = self._seen.setdefault(request.idempotency_key, params)
        if first != params:
            return Charge(
                ChargeOutcome.KEY_REUSED,
                message="This idempotency key was used for a different payment.",
            )
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        return Charge(ChargeOutcome.SUCCEEDED, charge_id=f"ch_sandbox_{digest}")

    async def refund(
        self, charge_id: str, *, amount_cents: int | None = None, key: str | None = None
    ) -> None:
        if amount_cents is None:
            self.refunded.add(charge_id)
        else:
            self.partial_refunds.setdefault(
                key or f"{charge_id}:{amount_cents}", (charge_id, amount_cents)
            )


def create_provider(name: str) -> SandboxProvider:
    """The provider a deployment configured (REELPAY_PAYMENT_PROVIDER)."""
    if name == "sandbox":
        return SandboxProvider()
    raise ValueError(f"unknown payment provider {name!r}")
