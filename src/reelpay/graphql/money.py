"""Money on the wire: integer minor units plus a decimal string, never a float."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import strawberry

from reelpay.errors import DomainError, ErrorCode
from reelpay.graphql.context import Context
from reelpay.payments import charging
from reelpay.payments.charging import CardPayment
from reelpay.wallet.idempotency import KEY_FIELD, check_key

# Digits after the decimal point (ISO 4217 minor unit).
EXPONENT = {"USD": 2}


@strawberry.type(description="An amount of real money.")
class Money:
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")
    minor_units: int = strawberry.field(description="The amount in minor units (US cents).")

    @strawberry.field(description='The amount as a decimal string, e.g. "4.99".')
    def amount(self) -> Decimal:
        return Decimal(self.minor_units).scaleb(-EXPONENT[self.currency])

    @classmethod
    def usd(cls, cents: int) -> Money:
        return cls(currency="USD", minor_units=cents)


# Far above any price, tip or payout; bounds the work of converting what a client sends.
MAX_INPUT_MINOR_UNITS = 10**12


@strawberry.input(
    description=(
        "An amount of real money sent to the API, the mirror of `Money`: "
        '`{ amount: "4.99", currency: "USD" }`. Use it wherever an input offers `amount`; the '
        "older `...Cents` integer arguments are deprecated."
    )
)
class MoneyInput:
    amount: Decimal = strawberry.field(
        description=(
            'A decimal string with at most as many decimals as the currency has (2 for USD): "5", '
            '"5.0" and "5.00" are the same amount; "5.001" is refused.'
        )
    )
    currency: str = strawberry.field(description="ISO 4217 code; only USD is accepted today.")


def minor_units(money: MoneyInput, field: tuple[str, ...]) -> int:
    """The amount in minor units, or INVALID_INPUT naming `field` (a non-USD currency, a
    non-finite amount, more decimals than the currency has, or an absurd size)."""
    exponent = EXPONENT.get(money.currency)
    if exponent is None:
        raise DomainError(
            f"Currency {money.currency[:8]!r} is not accepted; use one of: "
            f"{', '.join(sorted(EXPONENT))}.",
            code=ErrorCode.INVALID_INPUT,
            field=(*field, "currency"),
        )
    amount = money.amount
    if not amount.is_finite() or abs(amount) >= Decimal(MAX_INPUT_MINOR_UNITS).scaleb(-exponent):
        raise DomainError(
            'The amount must be a finite decimal such as "4.99".',
            code=ErrorCode.INVALID_INPUT,
            field=(*field, "amount"),
        )
    units = amount.scaleb(exponent)
    if units != units.to_integral_value():
        raise DomainError(
            f"{money.currency} amounts have at most {exponent} decimals.",
            code=ErrorCode.INVALID_INPUT,
            field=(*field, "amount"),
        )
    return int(units)


def require_key(key: str, max_length: int) -> str:
    """Validate an idempotency key before any work (the services check it again)."""
    return check_key(key, max_length, KEY_FIELD)


def exactly_one(fields: dict[str, object], path: str = "input") -> None:
    """Refuse input objects that must name exactly one of several fields."""
    given = [name for name, value in fields.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(f"`{name}`" for name in fields)
        raise DomainError(
            f"Give exactly one of {names}.",
            code=ErrorCode.INVALID_INPUT,
            field=(path, given[1] if len(given) > 1 else next(iter(fields))),
        )


async def pay_by_card(
    ctx: Context,
    payer_id: int,
    payment: CardPayment,
    record: Callable[[str], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Charge the card with no connection held, then `record(charge_id)`; a charge that is
    not recorded is refunded, one the provider has not finished raises PaymentPending (see
    `payments.charging`)."""
    parked = await ctx.read(lambda s: charging.find_parked(s, payment, payer_id))
    await ctx.release()
    return await charging.pay(
        ctx.services.payments,
        payment,
        record,
        write=ctx.write_as_system,
        account_id=payer_id,
        now=ctx.now,
        parked=parked,
    )
