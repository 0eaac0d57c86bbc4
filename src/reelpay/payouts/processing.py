"""The payouts job: create scheduled payouts, then send due payouts to the provider.

Each payout moves REQUESTED -> PROCESSING -> PAID, or -> FAILED with its money returned to the
available earnings. Sending one takes three steps, none holding a database connection while
the provider is called:

1. claim: in its own transaction the payout becomes PROCESSING with `attempts + 1` and a lease
   (`next_attempt_at = now + payout_lease_seconds`), so no other run picks it up meanwhile;
2. send: the provider gets the payout's reference (`reelpay-payout-<id>-<round>`), its
   idempotency key: sending it again returns the first outcome and pays nothing more;
3. record: only if the payout is still PROCESSING with the same `attempts` (nobody took over
   after our lease ran out) does it become PAID or FAILED, with its ledger transaction.

A transient failure (or an exception: the outcome is unknown) leaves it PROCESSING with a
backoff of `payout_retry_base_seconds * 2^(attempts-1)`; after `payout_max_attempts` it fails.
If the job dies between send and record, the next run after the lease sends the same
reference again and records the provider's answer: never paid twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay import events
from reelpay.accounts.models import Account
from reelpay.db import run_write
from reelpay.events import Event
from reelpay.payouts import destinations, methods, service
from reelpay.payouts import rules as payout_rules
from reelpay.payouts.models import (
    Payout,
    PayoutFrequency,
    PayoutMethod,
    PayoutSchedule,
    PayoutStatus,
    PayoutTrigger,
)
from reelpay.payouts.provider import PayoutOutcome, PayoutProvider, PayoutRequest, PayoutResult
from reelpay.settings import Settings
from reelpay.wallet import ledger
from reelpay.wallet.models import LedgerAccountKind, TransactionKind

log = logging.getLogger("reelpay.payouts")
Publish = Callable[[list[Event]], Awaitable[None]]


@dataclass(frozen=True)
class RunSummary:
    scheduled: int = 0  # scheduled payouts created
    paid: int = 0
    failed: int = 0
    retrying: int = 0  # transient failures that will be tried again


async def run(
    maker: async_sessionmaker[AsyncSession],
    provider: PayoutProvider,
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
    create_scheduled: bool = True,
) -> RunSummary:
    """One run of the job; safe to run again at any time and concurrently with itself."""
    scheduled = 0
    if create_scheduled:
        scheduled = await create_scheduled_payouts(
            maker, now=now, settings=settings, publish=publish
        )
    async with maker() as session:
        due = list(
            await session.scalars(
                sa.select(Payout.id)
                .where(
                    sa.or_(
                        sa.and_(
                            Payout.status == PayoutStatus.REQUESTED,
                            sa.or_(Payout.next_attempt_at.is_(None), Payout.next_attempt_at <= now),
                        ),
                        sa.and_(
                            Payout.status == PayoutStatus.PROCESSING, Payout.next_attempt_at <= now
                        ),
                    )
                )
                .order_by(Payout.id)
                .limit(settings.rules.payout_batch_size)
            )
        )
    counts = {PayoutStatus.PAID: 0, PayoutStatus.FAILED: 0, PayoutStatus.PROCESSING: 0}
    for payout_id in due:
        outcome = await send_one(
            maker, provider, payout_id, now=now, settings=settings, publish=publish
        )
        if outcome in counts:
            counts[outcome] += 1
    return RunSummary(
        scheduled=scheduled,
        paid=counts[PayoutStatus.PAID],
        failed=counts[PayoutStatus.FAILED],
        retrying=counts[PayoutStatus.PROCESSING],
    )


async def _write(
    maker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[Any]],
    publish: Publish | None,
) -> Any:
    async with maker() as session:
        result = await run_write(session, lambda: work(session))
        if publish is not None:
            await publish(events.take(session))
        return result


# ---------------------------------------------------------------------------------------------
# Scheduled payouts


async def create_scheduled_payouts(
    maker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
) -> int:
    """Create each WEEKLY or MONTHLY creator's payout for their latest schedule date (today or
    a missed one since they chose the schedule), once per date, for everything payable."""
    async with maker() as session:
        creators = list(
            await session.scalars(
                sa.select(PayoutSchedule.account_id)
                .where(PayoutSchedule.frequency != PayoutFrequency.MANUAL)
                .order_by(PayoutSchedule.account_id)
            )
        )
    created = 0
    for creator_id in creators:

        async def one(session: AsyncSession, creator_id: int = creator_id) -> bool:
            return await _schedule_one(session, creator_id, now=now, settings=settings)

        if await _write(maker, one, publish):
            created += 1
    return created


async def _schedule_one(
    session: AsyncSession, creator_id: int, *, now: datetime, settings: Settings
) -> bool:
    creator = await methods.lock_account(session, creator_id)
    today = now.date()
    due = await service.owed_schedule_date(session, creator_id, today)
    if due is None:
        return False
    state = await service.payout_position(session, creator, today)
    if payout_rules.blockers(
        has_method=state.method is not None, suspended=state.suspended,
        available=state.available, used_on_day=state.used_today, rules=settings.rules,
    ):  # fmt: skip
        return False  # the forecast tells the creator why
    assert state.method is not None
    amount = payout_rules.payable(state.available, state.used_today, settings.rules)
    await service.create_payout(
        session, creator_id, state.method, amount, PayoutTrigger.SCHEDULED, due, now=now
    )
    return True


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class _Claim:
    request: PayoutRequest
    attempts: int
    round: int


async def send_one(
    maker: async_sessionmaker[AsyncSession],
    provider: PayoutProvider,
    payout_id: int,
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
) -> PayoutStatus | None:
    """Claim, send and record one payout; returns its status afterwards (None: not ours)."""
    claim = await _write(
        maker, lambda s: _claim(s, payout_id, now=now, settings=settings, provider=provider.name),
        publish,
    )  # fmt: skip
    if not isinstance(claim, _Claim):
        return claim  # type: ignore[no-any-return]
    try:
        result = await provider.send(claim.request)
    except Exception as error:  # the outcome is unknown: the same reference goes again later
        log.warning("payout %s: provider error, will retry", payout_id, exc_info=True)
        result = PayoutResult(
            PayoutOutcome.RETRY, code="PROVIDER_ERROR", message=f"Provider error: {error}"[:500]
        )
    return await _write(  # type: ignore[no-any-return]
        maker,
        lambda s: _record(s, payout_id, claim, result, now=now, settings=settings),
        publish,
    )


async def _locked_payout(session: AsyncSession, payout_id: int) -> Payout | None:
    return await session.scalar(
        sa.select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


async def _claim(
    session: AsyncSession, payout_id: int, *, now: datetime, settings: Settings, provider: str
) -> _Claim | PayoutStatus | None:
    payout = await _locked_payout(session, payout_id)
    if payout is None:
        return None
    due = payout.next_attempt_at is None or payout.next_attempt_at <= now
    if payout.status not in (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING) or not due:
        return None  # done or being sent by someone else
    if payout.status is PayoutStatus.PROCESSING and payout.next_attempt_at is None:
        return None
    creator = await session.get(Account, payout.creator_id)
    assert creator is not None
    if payout_rules.is_suspended(creator.standing) and payout.attempts == 0:
        # Not sent yet and the creator was suspended meanwhile: the money goes back.
        await _fail(
            session,
            payout,
            "ACCOUNT_SUSPENDED",
            "Payouts are suspended while the account is restricted or banned.",
            now=now,
        )
        return PayoutStatus.FAILED
    method = await session.get(PayoutMethod, payout.method_id)
    assert method is not None
    first = payout.status is PayoutStatus.REQUESTED
    payout.status = PayoutStatus.PROCESSING
    payout.attempts += 1
    payout.next_attempt_at = now + timedelta(seconds=settings.rules.payout_lease_seconds)
    payout.provider = provider
    payout.updated_at = now
    await session.flush()
    if first:
        await service.announce(session, payout, now=now)
    return _Claim(
        PayoutRequest(
            reference=payout.reference,
            amount_cents=payout.amount_cents,
            currency=payout.currency,
            kind=method.kind.value,
            destination=destinations.unseal(settings.secret_key, method.destination),
        ),
        attempts=payout.attempts,
        round=payout.round,
    )


async def _record(
    session: AsyncSession,
    payout_id: int,
    claim: _Claim,
    result: PayoutResult,
    *,
    now: datetime,
    settings: Settings,
) -> PayoutStatus | None:
    payout = await _locked_payout(session, payout_id)
    if (
        payout is None
        or payout.status is not PayoutStatus.PROCESSING
        or payout.attempts != claim.attempts
        or payout.round != claim.round
    ):
        return None  # another run took over after our lease ran out; it records the outcome
    if result.outcome is PayoutOutcome.PAID:
        payout.status = PayoutStatus.PAID
        payout.paid_at = payout.updated_at = now
        payout.next_attempt_at = None
        payout.provider_payout_id = result.provider_payout_id
        payout.failure_code = payout.failure_message = None
        await session.flush()
        await ledger.post(
            session,
            kind=TransactionKind.PAYOUT_PAID,
            legs=[
                (
                    ledger.user(payout.creator_id, LedgerAccountKind.PAYOUTS_HELD),
                    -payout.amount_cents,
                ),
                (ledger.platform(LedgerAccountKind.PAYOUTS_SENT), payout.amount_cents),
            ],
            now=now,
            memo=f"Payout {payout.id}: {service.usd(payout.amount_cents)} sent",
        )
        await service.announce(session, payout, now=now)
        return PayoutStatus.PAID
    if (
        result.outcome is PayoutOutcome.FAILED
        or payout.attempts >= settings.rules.payout_max_attempts
    ):
        await _fail(session, payout, result.code or "FAILED", result.message, now=now)
        return PayoutStatus.FAILED
    delay = settings.rules.payout_retry_base_seconds * 2 ** (payout.attempts - 1)
    payout.next_attempt_at = now + timedelta(seconds=delay)
    payout.failure_code = result.code[:64] or None
    payout.failure_message = result.message[:500] or None
    payout.updated_at = now
    await session.flush()
    service.notify_subscribers(session, payout)
    return PayoutStatus.PROCESSING


async def _fail(
    session: AsyncSession, payout: Payout, code: str, message: str, *, now: datetime
) -> None:
    payout.status = PayoutStatus.FAILED
    payout.failed_at = payout.updated_at = now
    payout.next_attempt_at = None
    payout.failure_code = code[:64]
    payout.failure_message = message[:500] or None
    await session.flush()
    await ledger.post(
        session,
        kind=TransactionKind.PAYOUT_RETURN,
        legs=[
            (ledger.user(payout.creator_id, LedgerAccountKind.PAYOUTS_HELD), -payout.amount_cents),
            (ledger.user(payout.creator_id, LedgerAccountKind.EARNINGS), payout.amount_cents),
        ],
        now=now,
        memo=f"Payout {payout.id} failed: {service.usd(payout.amount_cents)} returned",
    )
    await service.announce(session, payout, now=now)
