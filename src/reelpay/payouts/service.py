"""Payout schedules, payout requests, the forecast, and reading payouts.

Money for a payout leaves the available earnings the moment the payout is created (a
PAYOUT_HOLD into the creator's PAYOUTS_HELD account), so concurrent requests cannot take the
same money twice: the ledger's conditional update refuses the second. Each creator's payout
changes are serialised on their account row, which makes the daily cap exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.payments import chargebacks
from reelpay.payouts import connect, methods
from reelpay.payouts import rules as payout_rules
from reelpay.payouts.models import (
    Payout,
    PayoutFrequency,
    PayoutMethod,
    PayoutSchedule,
    PayoutStatus,
    PayoutTrigger,
    ProviderAccount,
)
from reelpay.payouts.rules import Blocker
from reelpay.payouts.schedule import Schedule, latest_on_or_before, next_on_or_after
from reelpay.settings import Rules, Settings
from reelpay.wallet import idempotency, ledger
from reelpay.wallet.ledger import InsufficientFunds
from reelpay.wallet.models import LedgerAccountKind, TransactionKind
from reelpay.wallet.service import balances

REQUEST_PAYOUT = "requestPayout"
AMOUNT_FIELD = ("input", "amountCents")


def usd(cents: int) -> str:
    return f"{cents / 100:,.2f} USD"


# ---------------------------------------------------------------------------------------------
# Schedule


async def get_schedule(session: AsyncSession, account_id: int) -> Schedule:
    row = await session.get(PayoutSchedule, account_id)
    if row is None:
        return Schedule()
    return Schedule(row.frequency, row.weekday, row.day_of_month)


def owed_date(row: PayoutSchedule | None, today: date) -> date | None:
    """The schedule date the job owes a decision on today: the latest one not after today,
    unless it came before the schedule was chosen or was already decided (paid, or skipped
    because something blocked it). A date the job missed while not running is caught up."""
    if row is None:
        return None
    due = latest_on_or_before(Schedule(row.frequency, row.weekday, row.day_of_month), today)
    if due is None or due < row.updated_at.date():
        return None
    if row.settled_through is not None and due <= row.settled_through:
        return None
    return due


async def set_schedule(
    session: AsyncSession,
    owner: Account,
    *,
    frequency: PayoutFrequency,
    weekday: int | None,
    day_of_month: int | None,
    now: datetime,
) -> Schedule:
    """WEEKLY on `weekday` (1 Monday .. 7 Sunday, default Monday), MONTHLY on `day_of_month`
    (1..31, default 1; the month's last day when shorter), or MANUAL."""
    if weekday is not None and not 1 <= weekday <= 7:
        raise DomainError("`weekday` is 1 (Monday) to 7 (Sunday).", field=("input", "weekday"))
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        raise DomainError("`dayOfMonth` is 1 to 31.", field=("input", "dayOfMonth"))
    await methods.lock_account(session, owner.id)
    row = await session.get(PayoutSchedule, owner.id)
    if row is None:
        row = PayoutSchedule(account_id=owner.id, weekday=1, day_of_month=1)
        session.add(row)
    chosen = (
        frequency,
        weekday if weekday is not None else row.weekday,
        day_of_month if day_of_month is not None else row.day_of_month,
    )
    if (row.frequency, row.weekday, row.day_of_month) != chosen or row.updated_at is None:
        # Saving the same schedule again keeps the date it was chosen (a missed date it owes).
        row.frequency, row.weekday, row.day_of_month = chosen
        row.updated_at = now
    await session.flush()
    return Schedule(row.frequency, row.weekday, row.day_of_month)


# ---------------------------------------------------------------------------------------------
# What a creator could be paid


async def used_on(session: AsyncSession, creator_id: int, day: date) -> int:
    """Cents of the creator's payouts created on `day` (UTC) whose money did not come back
    (FAILED, or RETURNED by the provider after it paid them)."""
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payout.amount_cents), 0)).where(
            Payout.creator_id == creator_id,
            Payout.requested_on == day,
            Payout.status.not_in((PayoutStatus.FAILED, PayoutStatus.RETURNED)),
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class Position:
    """What decides a creator's next payout, read in one place."""

    available: int
    used_today: int
    method: PayoutMethod | None
    suspended: bool
    via_stripe: bool = False  # bank payouts go to the creator's Stripe Connect account
    stripe_account: ProviderAccount | None = None
    # Owed from chargebacks: settled from the earnings first, so `available` is net of it.
    debt: int = 0

    def not_ready_reason(self, method: PayoutMethod | None) -> str | None:
        """Why a payout to `method` cannot be sent yet (its provider account), or None."""
        if method is None:
            return None
        return connect.not_ready_reason(
            method.kind, self.stripe_account, via_stripe=self.via_stripe
        )

    @property
    def account_ready(self) -> bool:
        """The default method's provider account can receive payouts (or needs none)."""
        return self.not_ready_reason(self.method) is None


async def payout_position(
    session: AsyncSession, creator: Account, today: date, *, via_stripe: bool
) -> Position:
    """`via_stripe`: `connect.bank_payouts_via_stripe(settings)`."""
    held = (await balances(session, [creator.id]))[creator.id]
    return Position(
        available=max(held.earnings_cents - held.earnings_debt_cents, 0),
        used_today=await used_on(session, creator.id, today),
        method=await methods.default_method(session, creator.id),
        suspended=payout_rules.is_suspended(creator.standing),
        via_stripe=via_stripe,
        stripe_account=await connect.get_account(session, creator.id) if via_stripe else None,
        debt=held.earnings_debt_cents,
    )


@dataclass(frozen=True)
class Forecast:
    date: date | None
    amount: int | None
    method: PayoutMethod | None
    blockers: list[Blocker]
    requestable_now: int  # the most `requestPayout` accepts right now (0: none)
    schedule: Schedule
    # With PAYOUT_ACCOUNT_NOT_READY: what the creator's Stripe account still needs.
    account_reason: str | None = None
    debt: int = 0  # owed from chargebacks, settled before the payout (cents)


async def forecast(
    session: AsyncSession,
    creator: Account,
    *,
    now: datetime,
    rules: Rules,
    via_stripe: bool = False,
) -> Forecast:
    """The next scheduled payout at today's available balance, or why none will happen.
    `via_stripe`: `connect.bank_payouts_via_stripe(settings)`."""
    today = now.date()
    schedule = await get_schedule(session, creator.id)
    state = await payout_position(session, creator, today, via_stripe=via_stripe)
    now_blockers = payout_rules.blockers(
        has_method=state.method is not None, suspended=state.suspended,
        available=state.available, used_on_day=state.used_today, rules=rules,
        account_ready=state.account_ready, debt=state.debt,
    )  # fmt: skip
    requestable = (
        0 if now_blockers else payout_rules.payable(state.available, state.used_today, rules)
    )
    day = await next_scheduled_date(session, creator.id, schedule, today)
    reason = state.not_ready_reason(state.method)
    if day is None:
        return Forecast(None, None, state.method, [*now_blockers, Blocker.MANUAL_SCHEDULE],
                        requestable, schedule, reason, state.debt)  # fmt: skip
    used = state.used_today if day == today else 0
    found = payout_rules.blockers(
        has_method=state.method is not None, suspended=state.suspended,
        available=state.available, used_on_day=used, rules=rules,
        account_ready=state.account_ready, debt=state.debt,
    )  # fmt: skip
    amount = None if found else payout_rules.payable(state.available, used, rules)
    return Forecast(day, amount, state.method, found, requestable, schedule, reason, state.debt)


async def next_scheduled_date(
    session: AsyncSession, creator_id: int, schedule: Schedule, today: date
) -> date | None:
    """When the next scheduled payout will be made: today if one is owed (today's date, or
    a date the job missed), else the next schedule date after today."""
    if owed_date(await session.get(PayoutSchedule, creator_id), today) is not None:
        return today
    return next_on_or_after(schedule, today + timedelta(days=1))


# ---------------------------------------------------------------------------------------------
# Creating payouts


async def request_payout(
    session: AsyncSession,
    creator: Account,
    *,
    amount_cents: int,
    method_id: int | None,
    key: str,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Ask for `amount_cents` of the available earnings to be paid out; held at once."""
    rules = settings.rules
    idempotency.check_key(key, rules.idempotency_key_max_length)
    creator = await methods.lock_account(session, creator.id)
    replayed = await idempotency.claim(
        session,
        account_id=creator.id,
        key=key,
        operation=REQUEST_PAYOUT,
        arguments={"amountCents": amount_cents, "methodId": method_id},
        now=now,
    )
    if replayed is not None:
        return replayed
    if method_id is not None:
        method: PayoutMethod | None = await methods.own_method(session, creator.id, method_id)
    else:
        method = await methods.default_method(session, creator.id)
    state = await payout_position(
        session, creator, now.date(), via_stripe=connect.bank_payouts_via_stripe(settings)
    )
    _check_payable(method, state, amount_cents, rules)
    assert method is not None
    payout = await create_payout(
        session, creator.id, method, amount_cents, PayoutTrigger.REQUESTED, None, now=now
    )
    result = {"payoutId": payout.id}
    await idempotency.finish(session, account_id=creator.id, key=key, result=result)
    return result


def _check_payable(method: PayoutMethod | None, state: Position, amount: int, rules: Rules) -> None:
    if method is None:
        raise DomainError("Link a payout method first.", code=ErrorCode.PAYOUT_METHOD_REQUIRED)
    not_ready = state.not_ready_reason(method)
    if not_ready is not None:
        raise DomainError(not_ready, code=ErrorCode.PAYOUT_ACCOUNT_NOT_READY)
    if state.suspended:
        raise DomainError(
            "Payouts are suspended while your account is restricted or banned; your earnings "
            "stay in your balance.",
            code=ErrorCode.PAYOUTS_SUSPENDED,
        )
    threshold = rules.payout_threshold_cents
    if amount < threshold:
        raise DomainError(
            f"A payout is at least {usd(threshold)}.",
            code=ErrorCode.BELOW_PAYOUT_THRESHOLD,
            field=AMOUNT_FIELD,
        )
    if amount > state.available:
        owed = f" (after the {usd(state.debt)} you owe from a chargeback)" if state.debt else ""
        raise DomainError(
            f"You have {usd(state.available)} available to pay out{owed}.",
            code=ErrorCode.INSUFFICIENT_EARNINGS,
            field=AMOUNT_FIELD,
        )
    left = payout_rules.cap_left(state.used_today, rules)
    if amount > left:
        raise DomainError(
            f"At most {usd(rules.payout_daily_cap_cents)} can be paid out per day (UTC); "
            f"{usd(left)} is left today.",
            code=ErrorCode.DAILY_PAYOUT_CAP_REACHED,
            field=AMOUNT_FIELD,
        )


async def create_payout(
    session: AsyncSession,
    creator_id: int,
    method: PayoutMethod,
    amount: int,
    trigger: PayoutTrigger,
    scheduled_for: date | None,
    *,
    now: datetime,
) -> Payout:
    payout = Payout(
        creator_id=creator_id, method_id=method.id, amount_cents=amount, currency="USD",
        status=PayoutStatus.REQUESTED, trigger=trigger, scheduled_for=scheduled_for,
        requested_on=now.date(), attempts=0, round=1, reference=new_reference(),
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(payout)
    await session.flush()
    await hold(session, payout, now=now)
    await announce(session, payout, now=now)
    return payout


def new_reference() -> str:
    return f"rp_{uuid.uuid4().hex}"


async def hold(session: AsyncSession, payout: Payout, *, now: datetime) -> None:
    """Take the payout's amount out of the available earnings, after settling what the
    creator owes from chargebacks (the amount was checked against the earnings net of it)."""
    await chargebacks.settle_creator_debt(session, payout.creator_id, now=now)
    try:
        await ledger.post(
            session,
            kind=TransactionKind.PAYOUT_HOLD,
            legs=[
                (ledger.user(payout.creator_id, LedgerAccountKind.EARNINGS), -payout.amount_cents),
                (
                    ledger.user(payout.creator_id, LedgerAccountKind.PAYOUTS_HELD),
                    payout.amount_cents,
                ),
            ],
            now=now,
            actor_id=payout.creator_id,
            memo=f"Payout {payout.id}: {usd(payout.amount_cents)} set aside",
        )
    except InsufficientFunds:
        raise DomainError(
            "The available earnings are too low for this payout.",
            code=ErrorCode.INSUFFICIENT_EARNINGS,
            field=AMOUNT_FIELD,
        ) from None


_NOTICES = {
    PayoutStatus.REQUESTED: (NotificationKind.PAYOUT_REQUESTED, "Payout requested",
                             "{amount} will be sent to {method}."),
    PayoutStatus.PROCESSING: (NotificationKind.PAYOUT_PROCESSING, "Payout on its way",
                              "{amount} is being sent to {method}."),
    PayoutStatus.PAID: (NotificationKind.PAYOUT_PAID, "Payout sent",
                        "{amount} was sent to {method}."),
    PayoutStatus.FAILED: (NotificationKind.PAYOUT_FAILED, "Payout failed",
                          "{amount} could not be sent to {method} and is back in your "
                          "available balance. {reason}"),
    PayoutStatus.RETURNED: (NotificationKind.PAYOUT_RETURNED, "Payout returned",
                            "{amount} sent to {method} came back and is in your available "
                            "balance again; check the payout method before the next payout. "
                            "{reason}"),
}  # fmt: skip


async def announce(session: AsyncSession, payout: Payout, *, now: datetime) -> None:
    """Tell the creator the payout's new state: a notification and a subscription event."""
    method = await session.get(PayoutMethod, payout.method_id)
    assert method is not None
    kind, title, body = _NOTICES[payout.status]
    await notifications.notify(
        session, payout.creator_id, kind, title=title,
        body=body.format(
            amount=usd(payout.amount_cents), method=methods.label(method),
            reason=payout.failure_message or "",
        ).strip(),
        data={"payoutId": payout.id, "status": payout.status.value}, now=now,
    )  # fmt: skip
    notify_subscribers(session, payout)


def notify_subscribers(session: AsyncSession, payout: Payout) -> None:
    events.emit(
        session,
        events.payouts_channel(payout.creator_id),
        {"payoutId": payout.id, "status": payout.status.value},
    )


# ---------------------------------------------------------------------------------------------
# Staff


async def retry_failed(
    session: AsyncSession,
    payout_id: int,
    *,
    now: datetime,
    rules: Rules,
    via_stripe: bool = False,
) -> Payout:
    """Send a failed payout again (to the creator's current default method): its money is
    held again and it counts toward today's cap. `via_stripe`: see `payout_position`."""
    found = await session.get(Payout, payout_id)
    if found is None:
        raise NotFound("No such payout.", field=("input", "payoutId"))
    creator = await methods.lock_account(session, found.creator_id)
    payout = await session.scalar(
        sa.select(Payout).where(Payout.id == payout_id).execution_options(populate_existing=True)
    )
    assert payout is not None
    if payout.status is not PayoutStatus.FAILED:
        raise DomainError(
            f"Only a failed payout can be retried; this one is {payout.status.value}.",
            code=ErrorCode.PAYOUT_NOT_FAILED,
            field=("input", "payoutId"),
        )
    method = await methods.default_method(session, creator.id)
    state = await payout_position(session, creator, now.date(), via_stripe=via_stripe)
    _check_payable(method, state, payout.amount_cents, rules)
    assert method is not None
    payout.method_id = method.id
    payout.status = PayoutStatus.REQUESTED
    payout.round += 1
    payout.reference = new_reference()  # the old one has a final answer: FAILED
    payout.attempts = 0
    payout.next_attempt_at = None
    payout.requested_on = now.date()
    payout.failure_code = payout.failure_message = None
    payout.failed_at = None
    payout.updated_at = now
    await session.flush()
    await hold(session, payout, now=now)
    await announce(session, payout, now=now)
    return payout


# ---------------------------------------------------------------------------------------------
# Reading


def _listed(status: PayoutStatus | None) -> sa.Select[Any]:
    stmt = sa.select(Payout)
    return stmt.where(Payout.status == status) if status is not None else stmt


async def creator_payouts(
    session: AsyncSession, creator_id: int, request: PageRequest, status: PayoutStatus | None
) -> Page[Payout]:
    """Newest first."""
    stmt = _listed(status).where(Payout.creator_id == creator_id)
    return await paginate(session, stmt, [Payout.id], request, descending=True)


async def creator_payouts_count(
    session: AsyncSession, creator_id: int, status: PayoutStatus | None
) -> int:
    stmt = _listed(status).where(Payout.creator_id == creator_id).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(stmt)) or 0)


async def all_payouts(
    session: AsyncSession, request: PageRequest, status: PayoutStatus | None
) -> Page[Payout]:
    """Every creator's payouts, newest first (staff)."""
    return await paginate(session, _listed(status), [Payout.id], request, descending=True)


async def all_payouts_count(session: AsyncSession, status: PayoutStatus | None) -> int:
    stmt = _listed(status).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(stmt)) or 0)


async def payouts_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Payout]:
    rows = await session.scalars(sa.select(Payout).where(Payout.id.in_(set(ids))))
    return {row.id: row for row in rows}
