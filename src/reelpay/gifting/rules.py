"""Who may receive gifts and tips, until the programs module replaces this with enrolment.

Pure functions over an account's figures: each returns the reasons a creator may not receive,
empty when they may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reelpay.accounts.validation import age_on
from reelpay.enums import AccountType, Standing
from reelpay.settings import Rules


@dataclass(frozen=True)
class Creator:
    birth_date: date
    standing: Standing
    account_type: AccountType
    followers: int


def _adult_in_good_standing(creator: Creator, today: date, rules: Rules) -> list[str]:
    reasons = []
    if age_on(creator.birth_date, today) < rules.gift_receiver_min_age:
        reasons.append(f"the creator must be {rules.gift_receiver_min_age} or older")
    if creator.standing is not Standing.GOOD:
        reasons.append("the creator must be in good standing")
    return reasons


def live_gift_problems(creator: Creator, today: date, rules: Rules) -> list[str]:
    """LIVE gifts: 18 or older, at least 1,000 followers, good standing."""
    reasons = _adult_in_good_standing(creator, today, rules)
    if creator.followers < rules.live_gifts_min_followers:
        reasons.append(f"the creator needs {rules.live_gifts_min_followers:,} followers")
    return reasons


def video_gift_problems(creator: Creator, today: date, rules: Rules) -> list[str]:
    """Gifts on videos: the creator is an adult in good standing."""
    return _adult_in_good_standing(creator, today, rules)


def tip_problems(creator: Creator, today: date, rules: Rules) -> list[str]:
    """Tips: 18 or older, a PERSONAL account, at least 100,000 followers, good standing."""
    reasons = _adult_in_good_standing(creator, today, rules)
    if creator.account_type is not AccountType.PERSONAL:
        reasons.append("tips go to personal accounts only")
    if creator.followers < rules.tips_min_followers:
        reasons.append(f"the creator needs {rules.tips_min_followers:,} followers")
    return reasons


def refusal(what: str) -> str:
    """What the sender is told: not why, which would reveal the creator's age or standing."""
    return f"This creator cannot receive {what} right now."
