"""The built-in sandbox payout provider: no money moves; test destinations pick the outcome.

| destination                                            | outcome                              |
| ------------------------------------------------------ | ------------------------------------ |
| PayPal `payout-fail@…`, or a bank account ending 0002  | FAILED (RECIPIENT_REJECTED)          |
| PayPal `payout-unavailable@…`, bank ending 0003        | RETRY every time (PROVIDER_UNAVAILABLE) |
| PayPal `payout-flaky@…`, bank ending 0004              | RETRY on attempts 1 and 2, then PAID |
| anything else                                          | PAID                                 |

Like a real provider it is idempotent per reference: once a reference has a final outcome,
sending it again returns that outcome and sends nothing. `sent` counts real sends per reference
(tests assert that nothing is paid twice). It remembers in process memory only: a
`reelpay jobs payouts` run in another process starts with a fresh memory (no money moves).
"""

from __future__ import annotations

import hashlib
from collections import Counter

from reelpay.payouts.provider import PayoutOutcome, PayoutRequest, PayoutResult

FAIL, UNAVAILABLE, FLAKY = "fail", "unavailable", "flaky"
FLAKY_RETRIES = 2


def behaviour(request: PayoutRequest) -> str | None:
    """Which test behaviour a destination asks for (None: it is paid)."""
    if request.kind == "PAYPAL":
        local = str(request.destination.get("email", "")).split("@")[0].lower()
        return {"payout-fail": FAIL, "payout-unavailable": UNAVAILABLE, "payout-flaky": FLAKY}.get(
            local
        )
    number = str(request.destination.get("iban") or request.destination.get("account") or "")
    return {"0002": FAIL, "0003": UNAVAILABLE, "0004": FLAKY}.get(number[-4:])


class SandboxPayoutProvider:
    name = "sandbox"

    def __init__(self) -> None:
        self._final: dict[str, PayoutResult] = {}
        self.sent: Counter[str] = Counter()  # reference -> times money was sent

    async def send(self, request: PayoutRequest) -> PayoutResult:
        if request.reference in self._final:
            return self._final[request.reference]
        kind = behaviour(request)
        # Flaky destinations go by our attempt number, so they behave the same whichever
        # process sends them (each `reelpay jobs payouts` run has its own sandbox).
        if kind == UNAVAILABLE or (kind == FLAKY and request.attempt <= FLAKY_RETRIES):
            return PayoutResult(
                PayoutOutcome.RETRY,
                code="PROVIDER_UNAVAILABLE",
                message="The payout provider is unavailable; it will be tried again.",
            )
        if kind == FAIL:
            result = PayoutResult(
                PayoutOutcome.FAILED,
                code="RECIPIENT_REJECTED",
                message="The receiving account refused the payout; check your payout method.",
            )
        else:
            digest = hashlib.sha256(request.reference.encode()).hexdigest()[:20]
            result = PayoutResult(PayoutOutcome.PAID, provider_payout_id=f"po_sandbox_{digest}")
            self.sent[request.reference] += 1
        self._final[request.reference] = result
        return result

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        """The final answer this process gave the reference, or None (never sent here)."""
        return self._final.get(request.reference)
