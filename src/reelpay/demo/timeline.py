"""When each part of the demo happened, counted back from the moment it is loaded.

Every promise the demo makes (posts and views in the 30-day windows, accounts old enough,
Series sales past or inside their refund window) is placed well inside or well outside the
window that counts it, so the demo is the same on any date and at any time of day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from reelpay.errors import DomainError

# Every account was created this long ago: older than any 30-day rule, with a month to spare.
JOINED_DAYS_AGO = 60
# Views are recorded for each of the last this many days (and today).
VIEW_HISTORY_DAYS = 30
# chef.leo's crowd of audience accounts followed him this long ago.
AUDIENCE_FOLLOWED_DAYS_AGO = 30
# chef.leo applied for Series, was approved, published his Series and most fans bought it then:
# their refund windows (7 days by default) have closed.
SERIES_DAYS_AGO = 9
# Three fans bought it since: their refund windows are still open.
RECENT_SALES_DAYS_AGO = 3
# chef.leo joined LIVE gifts (and Tips, where the rules let him) this long ago.
ENROLLED_DAYS_AGO = 3
# Fans bought their coins this long ago.
COINS_DAYS_AGO = 2
# chef.leo went LIVE this many minutes ago; gifts came in since.
LIVE_MINUTES_AGO = 40


class DemoError(Exception):
    """A part of the demo cannot be built with these settings: nothing was loaded."""


@contextmanager
def step(what: str) -> Iterator[None]:
    """Turn a service's refusal into a DemoError that says which part of the demo failed."""
    try:
        yield
    except DomainError as error:
        reasons = "; ".join(problem.message for problem in error.problems)
        raise DemoError(f"{what}: {reasons}") from error


def days_ago(now: datetime, days: float, *, hours: float = 0) -> datetime:
    return now - timedelta(days=days, hours=hours)


def born(today: date, years: int, days_since_birthday: int) -> date:
    """A birth date that makes someone `years` old today, their birthday that many days ago
    (a 29 February birthday in a year without one is moved to the 28th)."""
    if not 0 <= days_since_birthday < 365:
        raise ValueError("days_since_birthday is 0 to 364")
    birthday = today - timedelta(days=days_since_birthday)
    try:
        return birthday.replace(year=birthday.year - years)
    except ValueError:
        return birthday.replace(year=birthday.year - years, day=28)
