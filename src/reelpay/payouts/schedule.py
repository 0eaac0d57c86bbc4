"""Payout schedule dates (pure).

WEEKLY pays on a chosen ISO weekday (1 Monday .. 7 Sunday); MONTHLY on a chosen day of the
month (1..31), on the month's last day when the month is shorter (31 -> 30 April, 28 or 29
February). MANUAL has no dates: the creator requests payouts.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from reelpay.payouts.models import PayoutFrequency


@dataclass(frozen=True)
class Schedule:
    frequency: PayoutFrequency = PayoutFrequency.MANUAL
    weekday: int = 1
    day_of_month: int = 1


def _monthly(year: int, month: int, day_of_month: int) -> date:
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def latest_on_or_before(schedule: Schedule, day: date) -> date | None:
    """The last payout date not after `day` (None for MANUAL)."""
    if schedule.frequency is PayoutFrequency.WEEKLY:
        return day - timedelta(days=(day.isoweekday() - schedule.weekday) % 7)
    if schedule.frequency is PayoutFrequency.MONTHLY:
        this_month = _monthly(day.year, day.month, schedule.day_of_month)
        if this_month <= day:
            return this_month
        return _monthly(*_month_before(day.year, day.month), schedule.day_of_month)
    return None


def next_on_or_after(schedule: Schedule, day: date) -> date | None:
    """The first payout date not before `day` (None for MANUAL)."""
    if schedule.frequency is PayoutFrequency.WEEKLY:
        return day + timedelta(days=(schedule.weekday - day.isoweekday()) % 7)
    if schedule.frequency is PayoutFrequency.MONTHLY:
        this_month = _monthly(day.year, day.month, schedule.day_of_month)
        if this_month >= day:
            return this_month
        return _monthly(*_month_after(day.year, day.month), schedule.day_of_month)
    return None
