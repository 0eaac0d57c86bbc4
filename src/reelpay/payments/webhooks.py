"""What the providers' webhooks change. Each event id is stored once (`provider_events`), in the
same transaction as what the event changes: a replayed delivery, or two at once, is a no-op,
and an event whose handling failed is not stored, so the provider's next delivery retries it.

Stripe:
- `payment_intent.succeeded`: a parked card payment (see `charging`) is credited once; if its
  operation is refused now (the Series was withdrawn, the buyer was restricted, ...) the charge
  is refunded instead and the payment is FAILED.
- `payment_intent.payment_failed`, `payment_intent.canceled`: a parked payment FAILS (one that
  already SUCCEEDED stays so: deliveries may come out of order).
- `charge.dispute.created` / `charge.dispute.closed`: chargebacks (`payments.chargebacks`).
- `account.updated`: a creator's Connect account can (or can no longer) receive payouts.
- `transfer.reversed`: a bank payout's Transfer (its `transfer_group` is our payout reference)
  reversed in full makes the PAID payout RETURNED, its money back in the creator's earnings
  (`payouts.processing.record_answer`); a partial reversal is logged for a person and the
  payout stays PAID.
- `refund.updated` / `charge.refund.updated` ending `failed` or `canceled`: logged for a person
  (the money did not go back), as is anything else we do not act on.
PayPal (`PAYMENT.PAYOUTS-ITEM.*`): a payout's final answer (`payouts.processing.record_answer`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.db import upsert, write_once
from reelpay.errors import DomainError, ErrorCode
from reelpay.events import Event
from reelpay.payments import charging, completions
from reelpay.payments.models import CardPaymentStatus, PendingPayment, ProviderEvent
from reelpay.payments.provider import ChargeOutcome, ChargeRequest, PaymentProvider
from reelpay.payments.webhook_events import ProviderEvent as Received
from reelpay.settings import Settings

log = logging.getLogger("reelpay.webhooks")
Publish = Callable[[list[Event]], Awaitable[None]]


async def store(session: AsyncSession, event: Received, *, now: datetime) -> bool:
    """Store the event id; False when it was stored before (a replay: do nothing)."""
    inserted = await session.execute(
        upsert(session, ProviderEvent)
        .values(provider=event.provider, event_id=event.id[:255], type=event.type[:100],
                received_at=now)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEvent.event_id)
    )  # fmt: skip
    return inserted.scalar_one_or_none() is not None


Handler = Callable[[AsyncSession], Awaitable[str]]
# Parked payments `settle_parked` asks about per run (oldest first; the next run does the rest).
SETTLE_BATCH = 100


async def once(
    maker: async_sessionmaker[AsyncSession],
    event: Received,
    handle: Handler,
    *,
    now: datetime,
    publish: Publish | None = None,
) -> str:
    """Store the event and run `handle` in one write transaction; "duplicate" for a replay."""

    async def work(session: AsyncSession) -> str:
        if not await store(session, event, now=now):
            return "duplicate"
        return await handle(session)

    outcome: str = await write_once(maker, work, publish)
    return outcome


async def handle_stripe(
    maker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    event: Received,
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
) -> str:
    """Act on one verified Stripe event; returns what was done (for the log and the answer)."""
    data, kind = event.data, event.type
    if kind == "payment_intent.succeeded":
        return await _succeeded(maker, provider, event, now=now, settings=settings, publish=publish)
    if kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        error = data.get("last_payment_error") or {}
        message = str(error.get("message") or "The payment was not completed.")
        failure = DomainError(message, code=ErrorCode.CARD_DECLINED)
        return await once(
            maker, event, lambda s: _failed(s, str(data.get("id")), failure, now=now), now=now
        )
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        return await once(maker, event, lambda s: _dispute(s, event, now=now), now=now,
                          publish=publish)  # fmt: skip
    if kind == "account.updated":
        return await once(maker, event, lambda s: _account(s, data, now=now), now=now)
    if kind == "transfer.reversed":
        return await once(maker, event, lambda s: _transfer_reversed(s, data, now=now), now=now,
                          publish=publish)  # fmt: skip
    if kind in ("refund.updated", "charge.refund.updated", "refund.failed"):
        if data.get("status") in ("failed", "canceled"):
            log.error(
                "Stripe refund %s of %s is %s: the money did not go back; a person must look",
                data.get("id"), data.get("payment_intent"), data.get("status"),
            )  # fmt: skip
        return await once(maker, event, _noted, now=now)
    return await once(maker, event, _noted, now=now)  # stored, nothing to do


async def _noted(_: AsyncSession) -> str:
    return "ignored"


async def _parked(session: AsyncSession, charge_id: str) -> PendingPayment | None:
    return await session.scalar(
        sa.select(PendingPayment)
        .where(PendingPayment.provider_charge_id == charge_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _succeeded(
    maker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    event: Received,
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None,
) -> str:
    return await credit_parked(
        maker, provider, str(event.data.get("id")), event=event, now=now, settings=settings,
        publish=publish,
    )  # fmt: skip


async def credit_parked(
    maker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    charge_id: str,
    *,
    event: Received | None,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
) -> str:
    """The provider says a parked charge succeeded (its `event`, or our question when None):
    credit it once; if its operation is refused by now, refund it and fail the payment."""

    async def credit(session: AsyncSession) -> str:
        pending = await _parked(session, charge_id)
        if pending is None:
            return "ignored"  # credited when it was paid (it finished at once), or not ours
        if pending.status is CardPaymentStatus.SUCCEEDED:
            return "already credited"
        result = await completions.complete(
            session, pending, provider=provider.name, now=now, settings=settings
        )
        await charging.settle(session, pending.id, result=result, now=now)
        return "credited"

    async def in_one(handle: Handler) -> str:
        if event is not None:
            return await once(maker, event, handle, now=now, publish=publish)
        outcome: str = await write_once(maker, handle, publish)
        return outcome

    try:
        return await in_one(credit)
    except DomainError as error:
        # The operation is refused now: the charge is refunded and never credited.
        refused = error
        pending = await _find(maker, charge_id)
        if pending is None:
            raise
        await charging.refund_unrecorded(
            provider,
            ChargeRequest(
                token="", amount_cents=pending.amount_cents, currency=pending.currency,
                idempotency_key=pending.provider_key, description="",
            ),
            charge_id, write=lambda work: write_once(maker, work), account_id=pending.account_id,
            now=now, reason=str(refused)[:200],
        )  # fmt: skip
        return await in_one(lambda s: _failed(s, charge_id, refused, now=now))


async def settle_parked(
    maker: async_sessionmaker[AsyncSession],
    provider: PaymentProvider,
    *,
    now: datetime,
    settings: Settings,
    older_than: timedelta,
    publish: Publish | None = None,
) -> dict[str, int]:
    """`reelpay jobs settle-pending-payments`: ask the provider about each payment parked
    longer than `older_than` and still unfinished, and settle what it says, as its webhook
    would have (a safety net for a webhook that never came). Counts per outcome."""
    async with maker() as session:
        charges = list(
            await session.scalars(
                sa.select(PendingPayment.provider_charge_id)
                .where(
                    PendingPayment.status.in_(
                        [CardPaymentStatus.REQUIRES_ACTION, CardPaymentStatus.PROCESSING]
                    ),
                    PendingPayment.updated_at <= now - older_than,
                )
                .order_by(PendingPayment.id)
                .limit(SETTLE_BATCH)
            )
        )
    counts = {"credited": 0, "failed": 0, "waiting": 0, "errors": 0}
    for charge_id in charges:
        try:
            answer = await provider.status(charge_id)
            if answer.outcome is ChargeOutcome.SUCCEEDED:
                outcome = await credit_parked(
                    maker, provider, charge_id, event=None, now=now, settings=settings,
                    publish=publish,
                )  # fmt: skip
            elif answer.outcome in charging.UNFINISHED:
                outcome = "waiting"
            else:
                outcome = await _fail_charge(maker, charge_id, charging.refusal(answer), now)
        except Exception:
            log.exception("pending payment %s could not be settled", charge_id)
            counts["errors"] += 1
            continue
        key = outcome if outcome in counts else "waiting" if outcome == "kept" else None
        if key is not None:
            counts[key] += 1
    return counts


async def _fail_charge(
    maker: async_sessionmaker[AsyncSession], charge_id: str, failure: DomainError, now: datetime
) -> str:
    outcome: str = await write_once(maker, lambda s: _failed(s, charge_id, failure, now=now))
    return outcome


async def _find(maker: async_sessionmaker[AsyncSession], charge_id: str) -> PendingPayment | None:
    async with maker() as session:
        return await session.scalar(
            sa.select(PendingPayment).where(PendingPayment.provider_charge_id == charge_id)
        )


async def _failed(
    session: AsyncSession, charge_id: str, failure: DomainError, *, now: datetime
) -> str:
    pending = await _parked(session, charge_id)
    if pending is None:
        return "ignored"
    settled = await charging.settle(session, pending.id, failure=failure, now=now)
    return "failed" if settled and settled.status is CardPaymentStatus.FAILED else "kept"


async def _dispute(session: AsyncSession, event: Received, *, now: datetime) -> str:
    from reelpay.payments import chargebacks

    data = event.data
    charge_id = str(data.get("payment_intent") or data.get("charge") or "")
    common: dict[str, Any] = {
        "provider": event.provider,
        "charge_id": charge_id,
        "dispute_id": str(data.get("id")),
        "amount_cents": int(data.get("amount") or 0),
        "now": now,
    }
    if event.type == "charge.dispute.created":
        opened = await chargebacks.dispute_opened(
            session, reason=str(data.get("reason") or ""), **common
        )
        return "dispute recorded" if opened is not None else "ignored"
    closed = await chargebacks.dispute_closed(session, status=str(data.get("status")), **common)
    return f"dispute {data.get('status')}" if closed is not None else "ignored"


async def _account(session: AsyncSession, data: dict[str, Any], *, now: datetime) -> str:
    from reelpay.payouts import connect

    requirements = data.get("requirements") or {}
    updated = await connect.account_updated(
        session,
        external_id=str(data.get("id")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        requirements_due=[str(r) for r in requirements.get("currently_due") or []],
        now=now,
    )
    return "account updated" if updated else "ignored"


async def _transfer_reversed(session: AsyncSession, data: dict[str, Any], *, now: datetime) -> str:
    from reelpay.payouts import processing
    from reelpay.payouts.provider import PayoutOutcome, PayoutResult
    from reelpay.payouts.stripe_connect import TRANSFER_REVERSED

    reference = data.get("transfer_group") or (data.get("metadata") or {}).get("reference")
    if not isinstance(reference, str) or not reference:
        return "ignored"  # not a payout's transfer
    amount, taken = int(data.get("amount") or 0), int(data.get("amount_reversed") or 0)
    if not data.get("reversed") and not 0 < amount <= taken:
        # Only part of it came back: the payout stays PAID and a person decides what the
        # creator is owed (a partial return is not something a payout can record).
        log.error(
            "Stripe transfer %s of payout %s was reversed in part (%s of %s cents): the "
            "payout stays PAID; a person must look", data.get("id"), reference, taken, amount,
        )  # fmt: skip
        return "partly reversed"
    result = PayoutResult(
        PayoutOutcome.FAILED,
        provider_payout_id=str(data.get("id") or "") or None,
        code=TRANSFER_REVERSED,
        message="Stripe reversed the transfer to your Stripe account: the money came back.",
    )
    return await processing.record_answer(session, reference, result, now=now)
