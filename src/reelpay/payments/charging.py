"""Charging a card around our own transactions, without ever charging twice or keeping money
we did not credit.

1. The caller checks the request (no lock is held while the provider works).
2. `charge_then_record` charges with a provider key derived from the client's idempotency key
   *and* the request's arguments: a retry of the same request gets the same charge back, a
   different request under the same key gets a charge of its own.
3. It records the charge in a write transaction (which credits once per key).
4. If recording fails for any reason and the charge was not recorded, it is written down as
   refunded (durably, first) and refunded through the provider. A refunded charge can never be
   credited later: a retry with the same key is told to start again with a new key.

A charge the provider has not finished (3-D Secure, or still processing) is parked in
`pending_payments` with what it pays for, and the caller gets `PaymentPending` (the payload
says REQUIRES_ACTION or PROCESSING, with the client secret for the buyer's action). It is
credited exactly once when it succeeds: by the provider's webhook (`payments.webhooks`), or by
the buyer's retry with the same idempotency key, which asks the provider where the charge
stands instead of charging again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.db import upsert
from reelpay.errors import DomainError, ErrorCode
from reelpay.payments.models import CardPaymentStatus, Payment, PendingPayment, RefundedCharge
from reelpay.payments.provider import Charge, ChargeOutcome, ChargeRequest, PaymentProvider
from reelpay.wallet import idempotency

log = logging.getLogger("reelpay.payments")

TOKEN_FIELD = ("input", "paymentToken")
T = TypeVar("T")
Write = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


def provider_key(account_id: int, key: str, operation: str, arguments: dict[str, Any]) -> str:
    """The key the provider sees: one per (account, client key, operation, arguments)."""
    fingerprint = idempotency.fingerprint(operation, arguments)
    digest = hashlib.sha256(f"{account_id}\n{key}\n{fingerprint}".encode()).hexdigest()
    return f"reelpay-{digest}"


@dataclass(frozen=True)
class CardPayment:
    """What a card-paid mutation charges: the request it is for (`operation` and its
    `arguments`, under the client's idempotency `key`) and how much."""

    token: str
    amount_cents: int
    key: str
    operation: str
    arguments: dict[str, Any]
    description: str
    currency: str = "USD"

    def request(self, account_id: int) -> ChargeRequest:
        return ChargeRequest(
            token=self.token,
            amount_cents=self.amount_cents,
            currency=self.currency,
            idempotency_key=provider_key(account_id, self.key, self.operation, self.arguments),
            description=self.description,
            metadata={
                "reelpay_account_id": str(account_id),
                "reelpay_operation": self.operation,
            },
        )


class PaymentPending(Exception):
    """The provider has not finished the charge: nothing is credited yet (see the module)."""

    def __init__(self, pending: PendingPayment, client_secret: str | None) -> None:
        super().__init__(f"payment {pending.id} is {pending.status.value}")
        self.pending = pending
        self.client_secret = client_secret


UNFINISHED = {
    ChargeOutcome.REQUIRES_ACTION: CardPaymentStatus.REQUIRES_ACTION,
    ChargeOutcome.PENDING: CardPaymentStatus.PROCESSING,
}


def refusal(result: Charge) -> DomainError:
    """The user error a charge's failed outcome means (nothing was taken)."""
    code, message = {
        ChargeOutcome.DECLINED: (ErrorCode.CARD_DECLINED, "The card was declined."),
        ChargeOutcome.INVALID_TOKEN: (
            ErrorCode.INVALID_PAYMENT_TOKEN,
            "The payment token is not valid.",
        ),
        ChargeOutcome.PROCESSING_ERROR: (
            ErrorCode.PAYMENT_PROCESSING_ERROR,
            "The payment could not be processed right now; try again with the same key.",
        ),
        ChargeOutcome.KEY_REUSED: (
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different payment.",
        ),
    }.get(result.outcome, (ErrorCode.PAYMENT_PROCESSING_ERROR, "The payment failed."))
    if result.outcome is ChargeOutcome.DECLINED and result.message:
        message = f"The card was declined: {result.message[:200]}"
    field = idempotency.KEY_FIELD if result.outcome is ChargeOutcome.KEY_REUSED else TOKEN_FIELD
    return DomainError(message, code=code, field=field)


async def charge(provider: PaymentProvider, request: ChargeRequest) -> str:
    """The provider's charge ID, or the user error its outcome means (nothing was taken)."""
    result: Charge = await provider.charge(request)
    if result.outcome is ChargeOutcome.SUCCEEDED and result.charge_id:
        return result.charge_id
    raise refusal(result)


async def ensure_not_refunded(session: AsyncSession, charge_id: str) -> None:
    """Refuse to credit a charge we refunded (a retry that reached the provider again)."""
    refunded = await session.get(RefundedCharge, charge_id)
    if refunded is not None:
        raise DomainError(
            "This payment was refused and refunded; start again with a new idempotency key.",
            code=ErrorCode.PAYMENT_REFUNDED,
            field=idempotency.KEY_FIELD,
        )


async def pay(
    provider: PaymentProvider,
    payment: CardPayment,
    record: Callable[[str], Awaitable[dict[str, Any]]],
    *,
    write: Write,
    account_id: int,
    now: datetime,
    parked: PendingPayment | None,
) -> dict[str, Any]:
    """Charge (or, when this request's charge was `parked` unfinished, ask the provider where
    it stands), then record the charge; if recording fails, refund what was not recorded.
    Raises PaymentPending while the provider has not finished it.

    `write(work)` runs `work(session)` in a fresh write transaction (whoever the caller is);
    `parked` is what `find_parked` read for this request before the connection was released.
    """
    request = payment.request(account_id)
    if parked is None:
        result = await provider.charge(request)
    elif parked.status is CardPaymentStatus.SUCCEEDED and parked.result is not None:
        return parked.result  # the webhook credited it
    elif parked.status is CardPaymentStatus.FAILED:
        raise _failed(parked)
    else:
        result = await provider.status(parked.provider_charge_id)
    if result.outcome in UNFINISHED and result.charge_id:
        pending = await write(
            lambda s: park(
                s, payment, request, result, provider=provider.name, account_id=account_id, now=now
            )
        )
        raise PaymentPending(pending, result.client_secret)
    if result.outcome is not ChargeOutcome.SUCCEEDED or not result.charge_id:
        if parked is not None:
            await write(lambda s: settle(s, parked.id, failure=refusal(result), now=now))
        raise refusal(result)
    charge_id = result.charge_id
    try:
        recorded = await record(charge_id)
    except Exception as error:
        await refund_unrecorded(
            provider, request, charge_id, write=write, account_id=account_id, now=now,
            reason=str(error)[:200] or type(error).__name__,
        )  # fmt: skip
        if parked is not None:
            failure = error if isinstance(error, DomainError) else None
            await write(lambda s: settle(s, parked.id, failure=failure, now=now))
        raise
    if parked is not None:
        await write(lambda s: settle(s, parked.id, result=recorded, now=now))
    return recorded


async def find_parked(
    session: AsyncSession, payment: CardPayment, account_id: int
) -> PendingPayment | None:
    """This request's parked charge, if an earlier try left one unfinished."""
    return await _parked(session, payment.request(account_id).idempotency_key)


async def _parked(session: AsyncSession, provider_key: str) -> PendingPayment | None:
    return await session.scalar(
        sa.select(PendingPayment).where(PendingPayment.provider_key == provider_key)
    )


async def park(
    session: AsyncSession,
    payment: CardPayment,
    request: ChargeRequest,
    result: Charge,
    *,
    provider: str,
    account_id: int,
    now: datetime,
) -> PendingPayment:
    """Remember an unfinished charge and what it pays for (once per provider key)."""
    assert result.charge_id is not None
    status = UNFINISHED[result.outcome]
    await session.execute(
        upsert(session, PendingPayment)
        .values(
            account_id=account_id,
            operation=payment.operation,
            provider=provider,
            provider_key=request.idempotency_key,
            provider_charge_id=result.charge_id,
            idempotency_key=payment.key,
            arguments=payment.arguments,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            status=status,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider_key"])
    )
    pending = await _parked(session, request.idempotency_key)
    assert pending is not None
    if pending.status in (CardPaymentStatus.REQUIRES_ACTION, CardPaymentStatus.PROCESSING):
        pending.status = status
        pending.updated_at = now
        await session.flush()
    return pending


async def settle(
    session: AsyncSession,
    pending_id: int,
    *,
    result: dict[str, Any] | None = None,
    failure: DomainError | None = None,
    now: datetime,
) -> PendingPayment | None:
    """A parked payment's end: SUCCEEDED with what it bought, or FAILED (and why). A payment
    that SUCCEEDED stays so (an out-of-order failure event changes nothing)."""
    pending = await session.scalar(
        sa.select(PendingPayment)
        .where(PendingPayment.id == pending_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if pending is None or pending.status is CardPaymentStatus.SUCCEEDED:
        return pending
    if result is not None:
        pending.status = CardPaymentStatus.SUCCEEDED
        pending.result = result
        pending.failure_code = pending.failure_message = None
    else:
        pending.status = CardPaymentStatus.FAILED
        code = failure.problems[0].code.value if failure else "PAYMENT_FAILED"
        pending.failure_code = code[:64]
        pending.failure_message = (
            str(failure) if failure else "The payment could not be completed."
        )[:500]
    pending.updated_at = now
    await session.flush()
    return pending


def _failed(pending: PendingPayment) -> DomainError:
    return DomainError(
        f"This payment did not go through ({pending.failure_message or 'failed'}); nothing was "
        "credited and anything taken is refunded. Start again with a new idempotency key.",
        code=ErrorCode.PAYMENT_FAILED,
        field=idempotency.KEY_FIELD,
    )


async def refund_unrecorded(
    provider: PaymentProvider,
    request: ChargeRequest,
    charge_id: str,
    *,
    write: Write,
    account_id: int,
    now: datetime,
    reason: str,
) -> None:
    async def mark(session: AsyncSession) -> bool:
        recorded = await session.scalar(
            sa.select(Payment.id).where(Payment.provider_charge_id == charge_id)
        )
        if recorded is not None:
            return False  # a concurrent retry of the same request recorded it: it stands
        inserted = await session.execute(
            upsert(session, RefundedCharge)
            .values(
                provider_charge_id=charge_id,
                account_id=account_id,
                provider=provider.name,
                amount_cents=request.amount_cents,
                currency=request.currency,
                reason=reason,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["provider_charge_id"])
            .returning(RefundedCharge.provider_charge_id)
        )
        return inserted.scalar_one_or_none() is not None

    try:
        if await write(mark):
            await provider.refund(charge_id)
    except Exception:
        # The original error still reaches the client; this one needs a person.
        log.exception("charge %s was not recorded and may need a manual refund", charge_id)
