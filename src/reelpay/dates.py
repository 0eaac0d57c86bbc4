"""Ranges of UTC days asked for by reports (analytics, rewards, earnings by day)."""

from __future__ import annotations

from datetime import date, timedelta

from reelpay.errors import DomainError
from reelpay.settings import Rules


def check_range(start: date, end: date, *, today: date, max_days: int) -> None:
    """Both ends included; not ending after today; at most `max_days` days."""
    if end < start:
        raise DomainError("The range ends before it starts.", field=("to",))
    if end > today:
        raise DomainError("The range cannot end after today.", field=("to",))
    if (end - start).days + 1 > max_days:
        raise DomainError(f"A range covers at most {max_days} days.", field=("from",))


def report_range(
    start: date | None, end: date | None, *, today: date, rules: Rules
) -> tuple[date, date]:
    """The range a report asked for, with what was left out filled in (`to`: today; `from`:
    `report_default_days` days ending on `to`), checked as `check_range` says."""
    end = today if end is None else end
    if start is None:
        try:
            start = end - timedelta(days=rules.report_default_days - 1)
        except OverflowError:  # `to` in the first days of year 1
            start = date.min
    check_range(start, end, today=today, max_days=rules.analytics_max_range_days)
    return start, end
