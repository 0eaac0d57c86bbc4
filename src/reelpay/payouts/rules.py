"""Whether a payout can happen, and how much (pure)."""

from __future__ import annotations

from enum import StrEnum

from reelpay.enums import Standing
from reelpay.settings import Rules


class Blocker(StrEnum):
    """Why no payout will happen."""

    NO_PAYOUT_METHOD = "NO_PAYOUT_METHOD"
    # Bank payouts go through Stripe and the creator's Stripe account cannot receive them yet.
    PAYOUT_ACCOUNT_NOT_READY = "PAYOUT_ACCOUNT_NOT_READY"
    SUSPENDED = "SUSPENDED"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"
    DAILY_CAP_REACHED = "DAILY_CAP_REACHED"
    MANUAL_SCHEDULE = "MANUAL_SCHEDULE"
    # A debt from chargebacks is settled first and leaves too little to pay out.
    OUTSTANDING_DEBT = "OUTSTANDING_DEBT"


# Restricted or banned accounts' monetization is suspended: their earnings stay, unpaid.
SUSPENDING_STANDINGS = frozenset({Standing.RESTRICTED, Standing.BANNED})


def is_suspended(standing: Standing) -> bool:
    return standing in SUSPENDING_STANDINGS


def cap_left(used_on_day: int, rules: Rules) -> int:
    """Cents that may still leave the balance on a day that already paid out `used_on_day`."""
    return max(rules.payout_daily_cap_cents - used_on_day, 0)


def payable(available: int, used_on_day: int, rules: Rules) -> int:
    """The most one payout may take on that day (it may still be below the threshold)."""
    return min(available, cap_left(used_on_day, rules))


def blockers(
    *,
    has_method: bool,
    suspended: bool,
    available: int,
    used_on_day: int,
    rules: Rules,
    account_ready: bool = True,
    debt: int = 0,
) -> list[Blocker]:
    """Everything that stops a payout of everything payable on a day, in the order to show.
    `account_ready`: the default method's provider account can receive payouts. `available`
    is net of `debt` (owed from chargebacks, settled before any payout)."""
    found = []
    if not has_method:
        found.append(Blocker.NO_PAYOUT_METHOD)
    elif not account_ready:
        found.append(Blocker.PAYOUT_ACCOUNT_NOT_READY)
    if suspended:
        found.append(Blocker.SUSPENDED)
    if available < rules.payout_threshold_cents:
        if available + debt < rules.payout_threshold_cents:
            found.append(Blocker.BELOW_THRESHOLD)
        if debt > 0:
            found.append(Blocker.OUTSTANDING_DEBT)
    elif payable(available, used_on_day, rules) < rules.payout_threshold_cents:
        found.append(Blocker.DAILY_CAP_REACHED)
    return found
