"""Money sent in two forms: `MoneyInput` (`price`, `amount`) or the deprecated `...Cents` Int."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TypeVar

from reelpay.errors import DomainError
from reelpay.graphql.money import MoneyInput, exactly_one, minor_units

T = TypeVar("T")


def cents_of(
    money_name: str,
    money: MoneyInput | None,
    cents_name: str,
    cents: int | None,
    *,
    required: bool,
) -> int | None:
    """Cents from whichever form was given: exactly one of the two when `required`, at most one
    otherwise; INVALID_INPUT naming the field for both, neither, or a bad MoneyInput."""
    if required or (money is not None and cents is not None):
        exactly_one({money_name: money, cents_name: cents})
    if money is not None:
        return minor_units(money, ("input", money_name))
    return cents


async def reported_as(
    money_name: str | None, cents_name: str, work: Callable[[], Awaitable[T]]
) -> T:
    """Run `work`; problems the services report on `input.<cents_name>` are reported on
    `input.<money_name>` instead when the client sent the MoneyInput form (None: it did not)."""
    try:
        return await work()
    except DomainError as error:
        if money_name is not None:
            old, new = ("input", cents_name), ("input", money_name)
            error.problems = [
                dataclasses.replace(p, field=new) if p.field == old else p for p in error.problems
            ]
        raise
