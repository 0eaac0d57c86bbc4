"""Pure money rules: who may spend, and the integer conversions between coins, diamonds and USD."""

from __future__ import annotations

from datetime import date

from reelpay.accounts.validation import age_on
from reelpay.errors import DomainError, ErrorCode
from reelpay.settings import Rules
from reelpay.wallet.models import TransactionKind

# Transactions that spend a user's coins on something: refused while the user owes coins.
COIN_SPENDING = frozenset(
    {TransactionKind.GIFT, TransactionKind.TIP, TransactionKind.SERIES_PURCHASE}
)


def spender_min_age(country: str, rules: Rules) -> int:
    """18 to buy coins, send gifts or tip; 19 where the account's country is KR."""
    return rules.min_spender_age_kr if country == "KR" else rules.min_spender_age


def check_spender(birth_date: date, country: str, today: date, rules: Rules) -> None:
    """SPENDER_TOO_YOUNG unless the account is old enough to spend money."""
    minimum = spender_min_age(country, rules)
    if age_on(birth_date, today) < minimum:
        raise DomainError(
            f"You must be {minimum} or older to buy coins, send gifts or tip.",
            code=ErrorCode.SPENDER_TOO_YOUNG,
        )


def coins_for_cents(cents: int, rules: Rules) -> int:
    """Coins that pay a USD amount at the base rate: ceil(cents * 70 / 99), in integers."""
    return -(-cents * rules.base_rate_coins // rules.base_rate_cents)


def diamonds_for_gift(coins: int, rules: Rules) -> int:
    """Diamonds a creator receives for a gift worth `coins`."""
    return coins * rules.gift_diamonds_per_coin


def redeemable(diamonds: int, rules: Rules) -> tuple[int, int]:
    """(diamonds used, cents earned) when redeeming `diamonds`; leftovers stay in the balance."""
    cents = diamonds // rules.diamonds_per_cent
    return cents * rules.diamonds_per_cent, cents


def check_no_coin_debt(coin_debt: int) -> None:
    """OUTSTANDING_DEBT while the user owes coins from a charged-back coin purchase."""
    if coin_debt > 0:
        raise DomainError(
            f"You owe {coin_debt} coins: a card payment for coins was charged back after some "
            "of them were spent. Buying coins settles the debt first (the rest is credited); "
            "until then coins cannot be spent.",
            code=ErrorCode.OUTSTANDING_DEBT,
        )
