"""Money on the wire: integer minor units plus a decimal string, never a float."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from reelpay.errors import DomainError, ErrorCode
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
