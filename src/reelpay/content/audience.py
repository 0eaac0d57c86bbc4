"""The time windows audience figures use. Pure."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def views_window_start(today: date, window_days: int) -> date:
    """First UTC day counted in "views in the last N days": today and the N - 1 days before."""
    return today - timedelta(days=window_days - 1)


def posts_window_start(now: datetime, window_days: int) -> datetime:
    """Videos published after this instant count as posts "in the last N days"."""
    return now - timedelta(days=window_days)
