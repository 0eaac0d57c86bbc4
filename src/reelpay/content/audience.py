"""The time windows audience figures use. Pure."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def views_window(today: date, window_days: int) -> tuple[date, date]:
    """First and last UTC day counted in "views in the last N days".

    The N complete days before today: a view N days old counts, one N + 1 days old does not,
    and today's views enter the window tomorrow, so the figure does not move during a day and
    matches what the daily rewards job sees.
    """
    return today - timedelta(days=window_days), today - timedelta(days=1)


def posts_window_start(now: datetime, window_days: int) -> datetime:
    """Videos published after this instant count as posts "in the last N days"."""
    return now - timedelta(days=window_days)
