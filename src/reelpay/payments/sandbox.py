"""The built-in sandbox provider: no money moves; test tokens pick the outcome.

| token                          | outcome                                                  |
| ------------------------------ | -------------------------------------------------------- |
| `tok_sandbox_success`          | the charge succeeds                                      |
| `tok_sandbox_declined`         | the card is declined (CARD_DECLINED)                     |
| `tok_sandbox_processing_error` | a transient failure (PAYMENT_PROCESSING_ERROR)           |
| `tok_sandbox_3ds`              | 3-D Secure (REQUIRES_ACTION); succeeds when asked again  |
| `tok_sandbox_3ds_fail`         | 3-D Secure the buyer fails: CARD_DECLINED when asked     |
| `tok_sandbox_pending`          | still processing (PROCESSING); succeeds when asked again |
| anything else                  | INVALID_PAYMENT_TOKEN                                    |

Charge IDs derive from the idempotency key, so retries and other API workers see the same
charge, as they would with a real provider's idempotency. A charge that needs an action is
finished when someone asks for its status (the payer's retry with the same key, or
`reelpay jobs settle-pending-payments`), as if the buyer had done it meanwhile; real providers
also tell us by webhook. How it finishes is written in its ID, so any process answers alike.
"""

from __future__ import annotations

import hashlib

from reelpay.payments.provider import Charge, ChargeOutcome, ChargeRequest

SUCCESS_TOKEN = "tok_sandbox_success"
DECLINED_TOKEN = "tok_sandbox_declined"
PROCESSING_ERROR_TOKEN = "tok_sandbox_processing_error"
ACTION_TOKEN = "tok_sandbox_3ds"
ACTION_FAILS_TOKEN = "tok_sandbox_3ds_fail"
PENDING_TOKEN = "tok_sandbox_pending"
UNFINISHED = {  # token -> (outcome now, what its ID says)
    ACTION_TOKEN: (ChargeOutcome.REQUIRES_ACTION, "3ds"),
    ACTION_FAILS_TOKEN: (ChargeOutcome.REQUIRES_ACTION, "3dsfail"),
    PENDING_TOKEN: (ChargeOutcome.PENDING, "pending"),
}
FAILS = "_3dsfail_"  # in the ID of a charge whose buyer fails 3-D Secure


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
        if request.token != SUCCESS_TOKEN and request.token not in UNFINISHED:
            return Charge(ChargeOutcome.INVALID_TOKEN, message="Unknown payment token.")
        params = (request.token, request.amount_cents, request.currency)
        first = self._seen.setdefault(request.idempotency_key, params)
        if first != params:
            return Charge(
                ChargeOutcome.KEY_REUSED,
                message="This idempotency key was used for a different payment.",
            )
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        if request.token in UNFINISHED:
            outcome, kind = UNFINISHED[request.token]
            charge_id = f"ch_sandbox_{kind}_{digest}"
            return Charge(
                outcome,
                charge_id=charge_id,
                client_secret=f"{charge_id}_secret_sandbox",
                message="The payment needs the buyer to authenticate it.",
            )
        return Charge(ChargeOutcome.SUCCEEDED, charge_id=f"ch_sandbox_{digest}")

    async def status(self, charge_id: str) -> Charge:
        if FAILS in charge_id:
            return Charge(
                ChargeOutcome.DECLINED, charge_id=charge_id, message="Authentication failed."
            )
        return Charge(ChargeOutcome.SUCCEEDED, charge_id=charge_id)

    async def refund(
        self, charge_id: str, *, amount_cents: int | None = None, key: str | None = None
    ) -> None:
        if amount_cents is None:
            self.refunded.add(charge_id)
        else:
            self.partial_refunds.setdefault(
                key or f"{charge_id}:{amount_cents}", (charge_id, amount_cents)
            )
