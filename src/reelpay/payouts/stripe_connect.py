"""Bank payouts through Stripe Connect, with the official `stripe` SDK (async calls).

Each creator who takes bank payouts has an Express connected account (`acct_…`), created by
`create_account` and completed by the creator on Stripe's hosted onboarding
(`onboarding_link`); `account_status` says when it can receive money. A payout is a Transfer
from the platform's balance to that account; Stripe then pays it out to the creator's bank on
the account's schedule.

| Stripe answers                                        | PayoutResult                          |
| ----------------------------------------------------- | ------------------------------------- |
| the transfer                                          | PAID (provider_payout_id = `tr_…`)    |
| no connected account on the request                   | FAILED PAYOUT_ACCOUNT_NOT_READY       |
| 400 `balance_insufficient` (the platform's balance)   | RETRY BALANCE_INSUFFICIENT            |
| another 400 (the account cannot take transfers, ...)  | FAILED with Stripe's code, upper case |
| network error, timeout, 429, 5xx, idempotency error   | raises: the outcome is unknown        |

Our payout reference is the transfer's idempotency key *and* its `transfer_group`: Stripe
forgets idempotency keys after 24 hours, the transfer group stays, so `status` finds a transfer
sent before (whatever became of its response) and the job never sends it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import stripe

from reelpay.payments.stripe import describe, error_code, make_client
from reelpay.payouts.provider import PayoutOutcome, PayoutRequest, PayoutResult
from reelpay.settings import StripeSettings

log = logging.getLogger("reelpay.payouts.stripe")

NOT_READY = "PAYOUT_ACCOUNT_NOT_READY"
BALANCE_INSUFFICIENT = "BALANCE_INSUFFICIENT"
TRANSFER_REVERSED = "TRANSFER_REVERSED"


@dataclass(frozen=True)
class ConnectStatus:
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)


class ConnectError(Exception):
    """Stripe did not do an onboarding call. `transient`: it may work if tried again (network,
    5xx, rate limit); otherwise Stripe refused it (`code`, e.g. resource_missing)."""

    def __init__(self, message: str, *, code: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient


def _connect_error(action: str, error: stripe.StripeError) -> ConnectError:
    transient = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or (
        isinstance(error, stripe.APIError) and (error.http_status or 500) >= 500
    )
    return ConnectError(
        f"stripe could not {action}: {describe(error)}",
        code=error_code(error),
        transient=transient,
    )


class StripeConnect:
    name = "stripe"

    def __init__(self, settings: StripeSettings) -> None:
        self._client, self._http = make_client(settings)

    async def aclose(self) -> None:
        await self._http.close_async()

    # -- payouts --------------------------------------------------------------------------

    async def send(self, request: PayoutRequest) -> PayoutResult:
        if not request.recipient_account:
            return PayoutResult(
                PayoutOutcome.FAILED,
                code=NOT_READY,
                message="Connect a bank account through Stripe before taking bank payouts.",
            )
        params: dict[str, Any] = {
            "amount": request.amount_cents,
            "currency": request.currency.lower(),
            "destination": request.recipient_account,
            "transfer_group": request.reference,
            "metadata": {"reference": request.reference, "creator_id": str(request.creator_id)},
        }
        try:
            transfer = await self._client.v1.transfers.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.reference},
            )
        except stripe.IdempotencyError:
            raise  # the reference was sent with other figures: ask `status`, never resend
        except stripe.InvalidRequestError as error:
            if error.code == "balance_insufficient":
                log.warning("stripe balance too low for payout %s", request.reference)
                return PayoutResult(
                    PayoutOutcome.RETRY,
                    code=BALANCE_INSUFFICIENT,
                    message="The platform's Stripe balance cannot cover the payout yet.",
                )
            log.warning("stripe refused payout %s: %s", request.reference, describe(error))
            return PayoutResult(
                PayoutOutcome.FAILED,
                code=(error.code or "invalid_request").upper(),
                message=error.user_message or "Stripe refused the transfer.",
            )
        return PayoutResult(PayoutOutcome.PAID, provider_payout_id=transfer.id)

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        page = await self._client.v1.transfers.list_async(
            {"transfer_group": request.reference, "limit": 1}
        )
        transfers = page.to_dict().get("data") or []
        if not transfers:
            return None
        transfer = transfers[0]
        if transfer.get("reversed") or (
            transfer.get("amount_reversed", 0) >= transfer.get("amount", 0) > 0
        ):
            return PayoutResult(
                PayoutOutcome.FAILED,
                provider_payout_id=transfer.get("id"),
                code=TRANSFER_REVERSED,
                message="The transfer was reversed.",
            )
        return PayoutResult(PayoutOutcome.PAID, provider_payout_id=transfer.get("id"))

    # -- onboarding -----------------------------------------------------------------------

    async def create_account(self, *, creator_id: int, email: str | None, country: str) -> str:
        """A new Express account for the creator (the same one if asked again): its acct_ id."""
        params: dict[str, Any] = {
            "type": "express",
            "country": country.upper(),
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"creator_id": str(creator_id)},
        }
        if email:
            params["email"] = email
        try:
            account = await self._client.v1.accounts.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"reelpay-connect-account-{creator_id}"},
            )
        except stripe.StripeError as error:
            raise _connect_error("create a connected account", error) from error
        return str(account.id)

    async def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A short-lived URL of Stripe's hosted onboarding for the account."""
        try:
            link = await self._client.v1.account_links.create_async(
                {
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as error:
            raise _connect_error("create an onboarding link", error) from error
        return str(link.url)

    async def account_status(self, account_id: str) -> ConnectStatus:
        try:
            account = (await self._client.v1.accounts.retrieve_async(account_id)).to_dict()
        except stripe.StripeError as error:
            raise _connect_error("read the connected account", error) from error
        requirements = account.get("requirements") or {}
        return ConnectStatus(
            payouts_enabled=bool(account.get("payouts_enabled")),
            details_submitted=bool(account.get("details_submitted")),
            requirements_due=[str(r) for r in requirements.get("currently_due") or []],
        )
