"""Reading and advancing the sandbox clock's offset (one row; see `reelpay.clock.SandboxClock`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, Problem
from reelpay.sandbox.models import CLOCK_ROW_ID, SandboxClockOffset

# One advance moves at most a year and a day (any yearly window fits); the clock as a whole is
# at most ten years ahead, far from any date arithmetic's limits.
MAX_ADVANCE = timedelta(days=366)
MAX_OFFSET = timedelta(days=3_653)
BY_FIELD = ("input", "by")
UNITS = (("days", 86_400), ("hours", 3_600), ("minutes", 60), ("seconds", 1))


@dataclass(frozen=True)
class Duration:
    """How far to move: whole days, hours, minutes and seconds, added together."""

    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0


def advance_problems(by: Duration) -> list[Problem]:
    """What is wrong with moving the clock by `by` (empty when nothing): forward only, by at
    most MAX_ADVANCE. Plain integers, so no amount can overflow a timedelta."""
    problems = [
        Problem(ErrorCode.INVALID_DURATION, f"`{name}` may not be negative.", (*BY_FIELD, name))
        for name, _ in UNITS
        if getattr(by, name) < 0
    ]
    if problems:
        return problems
    total = total_seconds(by)
    if total == 0:
        return [
            Problem(
                ErrorCode.INVALID_DURATION, "Move the clock forward by more than 0 s.", BY_FIELD
            )
        ]
    if total > MAX_ADVANCE.total_seconds():
        return [
            Problem(
                ErrorCode.DURATION_TOO_LONG,
                f"One advance moves the clock at most {MAX_ADVANCE.days} days.",
                BY_FIELD,
            )
        ]
    return []


def total_seconds(by: Duration) -> int:
    return sum(getattr(by, name) * seconds for name, seconds in UNITS)


async def read_offset(session: AsyncSession) -> timedelta:
    """The shared offset: one primary-key read; zero while nobody has moved the clock."""
    seconds = await session.scalar(
        sa.select(SandboxClockOffset.offset_seconds).where(SandboxClockOffset.id == CLOCK_ROW_ID)
    )
    return timedelta(seconds=seconds or 0)


async def advance(
    session: AsyncSession, actor: Account, by: Duration, *, now: datetime
) -> timedelta:
    """Staff: move the shared clock forward by `by`; returns the new offset. `now` is the base
    clock's time (recorded with the move)."""
    accounts.require_staff(actor)
    return await _advance(session, by, actor.id, now)


async def advance_as_operator(session: AsyncSession, by: Duration, *, now: datetime) -> timedelta:
    """`reelpay sandbox-clock advance`: whoever runs the command holds the database already."""
    return await _advance(session, by, None, now)


async def _advance(
    session: AsyncSession, by: Duration, actor_id: int | None, now: datetime
) -> timedelta:
    """One conditional UPDATE adds to whatever is stored, so concurrent advances add up (none
    is lost) and the ten-year limit holds whatever ran meanwhile."""
    problems = advance_problems(by)
    if problems:
        raise DomainError.of(problems)
    seconds = total_seconds(by)
    offset = await _add(session, seconds, actor_id, now)
    if offset is None and await read_offset(session) == timedelta(0):
        await _create_row(session, now)
        offset = await _add(session, seconds, actor_id, now)
    if offset is None:
        ahead = await read_offset(session)
        raise DomainError(
            f"The sandbox clock may run at most {MAX_OFFSET.days} days ahead; it is "
            f"{_days(ahead)} days ahead now, so it can move {_days(MAX_OFFSET - ahead)} more.",
            code=ErrorCode.DURATION_TOO_LONG,
            field=BY_FIELD,
        )
    return offset


async def _add(
    session: AsyncSession, seconds: int, actor_id: int | None, now: datetime
) -> timedelta | None:
    limit = int(MAX_OFFSET.total_seconds())
    added = await session.scalar(
        sa.update(SandboxClockOffset)
        .where(
            SandboxClockOffset.id == CLOCK_ROW_ID,
            SandboxClockOffset.offset_seconds <= limit - seconds,
        )
        .values(
            offset_seconds=SandboxClockOffset.offset_seconds + seconds,
            advanced_at=now,
            advanced_by_id=actor_id,
        )
        .returning(SandboxClockOffset.offset_seconds)
        .execution_options(synchronize_session=False)
    )
    return None if added is None else timedelta(seconds=added)


async def _create_row(session: AsyncSession, now: datetime) -> None:
    """The row at zero, unless a concurrent first advance created it already."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(SandboxClockOffset)
        .values(id=CLOCK_ROW_ID, offset_seconds=0, advanced_at=now)
        .on_conflict_do_nothing(index_elements=[SandboxClockOffset.id])
    )


def _days(offset: timedelta) -> str:
    return f"{offset / timedelta(days=1):g}"
