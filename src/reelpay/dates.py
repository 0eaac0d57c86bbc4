"""Ranges of UTC days asked for by reports (analytics, rewards, earnings by day)."""

from __future__ import annotations

from datetime import date

from reelpay.errors import DomainError


def check_range(start: date, end: date, *, today: date, max_days: int) -> None:
    """Both ends included; not ending after today; at most `max_days` days."""
    if end < start:
        raise DomainError("The range ends before it starts.", field=("to",))
    if end > today:
        raise DomainError("The range cannot end after today.", field=("to",))
    if (end - start).days + 1 > max_days:
        raise DomainError(f"A range covers at most {max_days} days.", field=("from",))
