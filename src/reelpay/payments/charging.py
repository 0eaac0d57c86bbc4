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
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.db import upsert
from reelpay.errors import DomainError, ErrorCode
from reelpay.payments.models import Payment, RefundedCharge
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


async def charge(provider: PaymentProvider, request: ChargeRequest) -> str:
    """The provider's charge ID, or the user error its outcome means (nothing was taken)."""
    result: Charge = await provider.charge(request)
    if result.outcome is ChargeOutcome.SUCCEEDED and result.charge_id:
        return result.charge_id
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
    field = idempotency.KEY_FIELD if result.outcome is ChargeOutcome.KEY_REUSED else TOKEN_FIELD
    raise DomainError(message, code=code, field=field)


async def ensure_not_refunded(session: AsyncSession, charge_id: str) -> None:
    """Refuse to credit a charge we refunded (a retry that reached the provider again)."""
    refunded = await session.get(RefundedCharge, charge_id)
    if refunded is not None:
        raise DomainError(
            "This payment was refused and refunded; start again with a new idempotency key.",
            code=ErrorCode.PAYMENT_REFUNDED,
            field=idempotency.KEY_FIELD,
        )


async def charge_then_record(
    provider: PaymentProvider,
    request: ChargeRequest,
    record: Callable[[str], Awaitable[T]],
    *,
    write: Write,
    account_id: int,
    now: datetime,
) -> T:
    """Charge, then record the charge; if recording fails, refund what was not recorded.

    `write(work)` runs `work(session)` in a fresh write transaction (whoever the caller is).
    """
    charge_id = await charge(provider, request)
    try:
        return await record(charge_id)
    except Exception as error:
        await _refund_unrecorded(
            provider, request, charge_id, write=write, account_id=account_id, now=now,
            reason=str(error)[:200] or type(error).__name__,
        )  # fmt: skip
        raise


async def _refund_unrecorded(
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
