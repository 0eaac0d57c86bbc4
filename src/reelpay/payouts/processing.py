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

A transient refusal (the provider says it did not send) leaves it PROCESSING with a backoff of
`payout_retry_base_seconds * 2^(attempts-1)`; after `payout_max_attempts` it fails and the money
is returned. An exception means the outcome is unknown (the provider may have sent it): the
payout stays PROCESSING and the same reference is sent again after the backoff, for as long as
it takes to get a definite answer; it never fails on its own, since returning money that may
have been sent could pay the creator twice. If the job dies between send and record, the next
run after the lease sends the same reference again and records the provider's answer.

A definite answer (PAID or FAILED) is recorded even when it arrives after another run took the
payout over, as long as it is for the same round (the same reference). Each payout is handled
on its own: one that cannot be sent is logged and the run goes on with the others.

A payout sent before (its outcome unknown, or PENDING: the provider accepted it and answers
later, as PayPal does) is never sent blindly again: the job first asks the provider what became
of its reference (`PayoutProvider.status`), and sends only if the provider never received it.
A PENDING payout stays PROCESSING and is asked about again every `payout_status_poll_seconds`
until the answer is final; the provider's webhook (`handle_paypal`) usually brings it sooner.

A PAID payout whose money the provider later gives back (PayPal RETURNED, REFUNDED or
REVERSED after SUCCESS; a Stripe transfer reversed in full) becomes RETURNED: its amount goes
from the platform's PAYOUTS_SENT back to the creator's earnings (`record_answer`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts.models import Account
from reelpay.clock import Clock
from reelpay.db import write_once
from reelpay.events import Event
from reelpay.payments.webhook_events import ProviderEvent
from reelpay.payouts import connect, destinations, methods, service
from reelpay.payouts import rules as payout_rules
from reelpay.payouts.models import (
    Payout,
    PayoutFrequency,
    PayoutMethod,
    PayoutMethodKind,
    PayoutSchedule,
    PayoutStatus,
    PayoutTrigger,
    ProviderAccount,
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
    retrying: int = 0  # to be sent again (a transient refusal or an unknown outcome)
    errors: int = 0  # payouts the run could not handle (logged; tried again next run)
    handled: tuple[int, ...] = ()  # ids of the payouts this run sent (each changed state)


async def run(
    maker: async_sessionmaker[AsyncSession],
    provider: PayoutProvider,
    *,
    settings: Settings,
    now: datetime | None = None,
    clock: Clock | None = None,
    publish: Publish | None = None,
    create_scheduled: bool = True,
) -> RunSummary:
    """One run of the job; safe to run again at any time and concurrently with itself.

    Give `clock` (read at every step, so leases and backoffs start when a payout is really
    sent) or a fixed `now`."""
    tick = _ticker(now, clock)
    scheduled = 0
    if create_scheduled:
        scheduled = await create_scheduled_payouts(
            maker, now=tick(), settings=settings, publish=publish
        )
    started = tick()
    async with maker() as session:
        due = list(
            await session.scalars(
                sa.select(Payout.id)
                .where(
                    sa.or_(
                        sa.and_(
                            Payout.status == PayoutStatus.REQUESTED,
                            sa.or_(
                                Payout.next_attempt_at.is_(None), Payout.next_attempt_at <= started
                            ),
                        ),
                        sa.and_(
                            Payout.status == PayoutStatus.PROCESSING,
                            Payout.next_attempt_at <= started,
                        ),
                    )
                )
                .order_by(Payout.id)
                .limit(settings.rules.payout_batch_size)
            )
        )
    counts = {PayoutStatus.PAID: 0, PayoutStatus.FAILED: 0, PayoutStatus.PROCESSING: 0}
    errors = 0
    handled: list[int] = []
    for payout_id in due:
        try:
            outcome = await send_one(
                maker, provider, payout_id, clock=tick, settings=settings, publish=publish
            )
        except Exception:
            # One payout must not stop the others; it stays as it was and is tried again.
            log.exception("payout %s could not be handled", payout_id)
            errors += 1
            continue
        handled.append(payout_id)
        if outcome in counts:
            counts[outcome] += 1
    return RunSummary(
        scheduled=scheduled,
        paid=counts[PayoutStatus.PAID],
        failed=counts[PayoutStatus.FAILED],
        retrying=counts[PayoutStatus.PROCESSING],
        errors=errors,
        handled=tuple(handled),
    )


def _ticker(now: datetime | None, clock: Clock | None) -> Callable[[], datetime]:
    if clock is not None:
        return clock.now
    if now is None:
        raise TypeError("give `now` or `clock`")
    return lambda: now


# ---------------------------------------------------------------------------------------------
# Scheduled payouts


async def create_scheduled_payouts(
    maker: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    settings: Settings,
    publish: Publish | None = None,
) -> int:
    """Decide each WEEKLY or MONTHLY creator's owed schedule date (see `service.owed_date`):
    a payout of everything payable, or nothing when something blocks it (the forecast says
    why). Only creators with a date owed are locked and written."""
    today = now.date()
    async with maker() as session:
        rows = await session.scalars(
            sa.select(PayoutSchedule)
            .where(PayoutSchedule.frequency != PayoutFrequency.MANUAL)
            .order_by(PayoutSchedule.account_id)
        )
        owed = [row.account_id for row in rows if service.owed_date(row, today) is not None]
    created = 0
    for creator_id in owed:

        async def one(session: AsyncSession, creator_id: int = creator_id) -> bool:
            return await _schedule_one(session, creator_id, now=now, settings=settings)

        if await write_once(maker, one, publish):
            created += 1
    return created


async def _schedule_one(
    session: AsyncSession, creator_id: int, *, now: datetime, settings: Settings
) -> bool:
    creator = await methods.lock_account(session, creator_id)
    today = now.date()
    row = await session.get(PayoutSchedule, creator_id, populate_existing=True)
    due = service.owed_date(row, today)
    if row is None or due is None:
        return False  # decided by a concurrent run
    row.settled_through = due
    await session.flush()
    state = await service.payout_position(
        session, creator, today, via_stripe=connect.bank_payouts_via_stripe(settings)
    )
    if payout_rules.blockers(
        has_method=state.method is not None, suspended=state.suspended,
        available=state.available, used_on_day=state.used_today, rules=settings.rules,
        account_ready=state.account_ready,
    ):  # fmt: skip
        return False  # skipped for this date; the forecast tells the creator why
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
    sent_before: bool  # ask the provider about the reference before sending it again


UNKNOWN_OUTCOME = "PROVIDER_ERROR"
UNKNOWN_MESSAGE = "The payout provider did not answer; the payout will be sent again."
# An unknown outcome is asked about again at most this long after the previous attempt.
MAX_UNKNOWN_BACKOFF_SECONDS = 3600


async def send_one(
    maker: async_sessionmaker[AsyncSession],
    provider: PayoutProvider,
    payout_id: int,
    *,
    clock: Callable[[], datetime],
    settings: Settings,
    publish: Publish | None = None,
) -> PayoutStatus | None:
    """Claim, send and record one payout; returns its status afterwards (None: not ours).
    The record step reads `clock` again: a provider call can take a while."""
    claimed_at = clock()
    claim = await write_once(
        maker,
        lambda s: _claim(s, payout_id, now=claimed_at, settings=settings, provider=provider),
        publish,
    )
    if not isinstance(claim, _Claim):
        return claim  # type: ignore[no-any-return]
    try:
        result: PayoutResult | None = None
        if claim.sent_before:
            result = await provider.status(claim.request)
        if result is None:
            result = await provider.send(claim.request)
    except Exception:  # the provider may or may not have sent it
        log.warning("payout %s: no answer from the provider", payout_id, exc_info=True)
        result = None
    answered_at = clock()
    return await write_once(  # type: ignore[no-any-return]
        maker,
        lambda s: _record(s, payout_id, claim, result, now=answered_at, settings=settings),
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
    session: AsyncSession,
    payout_id: int,
    *,
    now: datetime,
    settings: Settings,
    provider: PayoutProvider,
) -> _Claim | PayoutStatus | None:
    payout = await _locked_payout(session, payout_id)
    if payout is None:
        return None
    due = payout.next_attempt_at is None or payout.next_attempt_at <= now
    if payout.status not in (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING) or not due:
        return None  # done, or being sent by someone else
    if payout.status is PayoutStatus.PROCESSING and payout.next_attempt_at is None:
        return None
    never_sent = payout.attempts == 0
    creator = await session.get(Account, payout.creator_id)
    assert creator is not None
    if never_sent and payout_rules.is_suspended(creator.standing):
        # Not sent yet and the creator was suspended meanwhile: the money goes back.
        await _fail(
            session, payout, "ACCOUNT_SUSPENDED",
            "Payouts are suspended while the account is restricted or banned.", now=now,
        )  # fmt: skip
        return PayoutStatus.FAILED
    method = await session.get(PayoutMethod, payout.method_id)
    assert method is not None
    try:
        destination = destinations.unseal(settings.secret_key, method.destination)
    except InvalidToken:
        if not never_sent:
            raise  # it may have been sent: a person must look (logged by the run)
        await _fail(
            session, payout, "DESTINATION_UNREADABLE",
            "The payout method can no longer be read; link it again.", now=now,
        )  # fmt: skip
        return PayoutStatus.FAILED
    first = payout.status is PayoutStatus.REQUESTED
    payout.status = PayoutStatus.PROCESSING
    payout.attempts += 1
    payout.next_attempt_at = now + timedelta(seconds=settings.rules.payout_lease_seconds)
    payout.provider = provider_name(provider, method.kind.value)
    payout.updated_at = now
    await session.flush()
    if first:
        await service.announce(session, payout, now=now)
    recipient = None
    if method.kind is PayoutMethodKind.BANK_ACCOUNT:  # only Connect sends to the creator's own
        recipient = await session.get(ProviderAccount, (payout.creator_id, "stripe"))
    return _Claim(
        PayoutRequest(
            reference=payout.reference,
            amount_cents=payout.amount_cents,
            currency=payout.currency,
            kind=method.kind.value,
            destination=destination,
            attempt=payout.attempts,
            creator_id=payout.creator_id,
            recipient_account=recipient.external_id if recipient is not None else None,
            provider_payout_id=payout.provider_payout_id,
        ),
        attempts=payout.attempts,
        round=payout.round,
        sent_before=not never_sent,
    )


def provider_name(provider: PayoutProvider, kind: str) -> str:
    """Which provider sends a payout of this kind (a routed provider knows per kind)."""
    name = getattr(provider, "provider_name", None)
    return str(name(kind)) if callable(name) else provider.name


async def _record(
    session: AsyncSession,
    payout_id: int,
    claim: _Claim,
    result: PayoutResult | None,
    *,
    now: datetime,
    settings: Settings,
) -> PayoutStatus | None:
    payout = await _locked_payout(session, payout_id)
    if payout is None or payout.status is not PayoutStatus.PROCESSING:
        return None  # recorded already (by a run that took over after our lease ran out)
    if payout.round != claim.round:
        return None  # staff retried it since: another reference
    rules = settings.rules
    if result is not None and result.outcome is PayoutOutcome.PAID:
        await _paid(session, payout, result, now=now)
        return PayoutStatus.PAID
    if result is not None and result.outcome is PayoutOutcome.FAILED:
        await _fail(session, payout, result.code or "FAILED", result.message, now=now)
        return PayoutStatus.FAILED
    if result is not None and result.outcome is PayoutOutcome.PENDING:
        # Accepted: never sent again; asked about until the answer is final (or a webhook).
        if result.provider_payout_id:
            payout.provider_payout_id = result.provider_payout_id[:128]
        payout.next_attempt_at = now + timedelta(seconds=rules.payout_status_poll_seconds)
        payout.failure_code = payout.failure_message = None
        payout.updated_at = now
        await session.flush()
        return PayoutStatus.PROCESSING
    if payout.attempts != claim.attempts:
        return None  # another run is sending it now; it records what comes next
    if result is not None and payout.attempts >= rules.payout_max_attempts:
        # The provider said each time that it did not send it: the money can safely go back.
        await _fail(session, payout, result.code or "PROVIDER_UNAVAILABLE", result.message, now=now)
        return PayoutStatus.FAILED
    delay = rules.payout_retry_base_seconds * 2 ** min(payout.attempts - 1, 20)
    if result is None:
        delay = min(delay, MAX_UNKNOWN_BACKOFF_SECONDS)
    payout.next_attempt_at = now + timedelta(seconds=delay)
    payout.failure_code = (result.code if result else UNKNOWN_OUTCOME)[:64] or None
    payout.failure_message = (result.message if result else UNKNOWN_MESSAGE)[:500] or None
    payout.updated_at = now
    await session.flush()
    service.notify_subscribers(session, payout)
    return PayoutStatus.PROCESSING


# A provider's FAILED codes that, about a PAID payout, mean the money came back to us.
RETURN_CODES = frozenset({"RETURNED", "REFUNDED", "REVERSED", "TRANSFER_REVERSED"})


async def record_answer(
    session: AsyncSession, reference: str, result: PayoutResult, *, now: datetime
) -> str:
    """A provider's final answer about a reference, from its webhook: the payout becomes PAID
    or FAILED if it is still PROCESSING, and RETURNED if it was PAID and the provider gave the
    money back (`RETURN_CODES`). A replay or a late event changes nothing."""
    payout = await session.scalar(
        sa.select(Payout)
        .where(Payout.reference == reference)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if payout is None:
        return "ignored"
    if payout.status is not PayoutStatus.PROCESSING:
        if payout.status is PayoutStatus.PAID and result.outcome is PayoutOutcome.FAILED:
            if result.code in RETURN_CODES:
                await _returned(session, payout, result.code, result.message, now=now)
                return "returned"
            # Paid, and the provider now says something else failed: a person must look.
            log.error("payout %s was PAID and the provider now says %s", payout.id, result.code)
        return f"already {payout.status.value}"
    if result.outcome is PayoutOutcome.PAID:
        await _paid(session, payout, result, now=now)
        return "paid"
    if result.outcome is PayoutOutcome.FAILED:
        await _fail(session, payout, result.code or "FAILED", result.message, now=now)
        return "failed"
    return "pending"


async def handle_paypal(
    maker: async_sessionmaker[AsyncSession],
    paypal: Any,
    event: ProviderEvent,
    *,
    now: datetime,
    publish: Publish | None = None,
) -> str:
    """A verified PayPal webhook event: a payout item's answer is recorded once."""
    from reelpay.payments import webhooks

    answer = paypal.payout_item_event(event)

    async def handle(session: AsyncSession) -> str:
        if answer is None:
            return "ignored"
        reference, result = answer
        return await record_answer(session, reference, result, now=now)

    return await webhooks.once(maker, event, handle, now=now, publish=publish)


async def _paid(
    session: AsyncSession, payout: Payout, result: PayoutResult, *, now: datetime
) -> None:
    payout.status = PayoutStatus.PAID
    payout.paid_at = payout.updated_at = now
    payout.next_attempt_at = None
    payout.provider_payout_id = (result.provider_payout_id or "")[:128] or None
    payout.failure_code = payout.failure_message = None
    await session.flush()
    await ledger.post(
        session,
        kind=TransactionKind.PAYOUT_PAID,
        legs=[
            (ledger.user(payout.creator_id, LedgerAccountKind.PAYOUTS_HELD), -payout.amount_cents),
            (ledger.platform(LedgerAccountKind.PAYOUTS_SENT), payout.amount_cents),
        ],
        now=now,
        memo=f"Payout {payout.id}: {service.usd(payout.amount_cents)} sent",
    )
    await service.announce(session, payout, now=now)


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


async def _returned(
    session: AsyncSession, payout: Payout, code: str, message: str, *, now: datetime
) -> None:
    """The provider paid it, then the money came back: it is the creator's earnings again."""
    payout.status = PayoutStatus.RETURNED
    payout.updated_at = now
    payout.failure_code = code[:64]
    payout.failure_message = message[:500] or None
    await session.flush()
    await ledger.post(
        session,
        kind=TransactionKind.PAYOUT_RETURN,
        legs=[
            (ledger.platform(LedgerAccountKind.PAYOUTS_SENT), -payout.amount_cents),
            (ledger.user(payout.creator_id, LedgerAccountKind.EARNINGS), payout.amount_cents),
        ],
        now=now,
        memo=f"Payout {payout.id} came back: {service.usd(payout.amount_cents)} returned",
    )
    await service.announce(session, payout, now=now)
