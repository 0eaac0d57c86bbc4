"""Coin packages and coin purchases."""

from __future__ import annotations

from datetime import datetime

import strawberry

from reelpay.graphql.money import Money
from reelpay.graphql.relay import Node
from reelpay.payments.models import Payment
from reelpay.settings import CoinPackage as CoinPackageSetting


@strawberry.type(description="Coins sold for real money.")
class CoinPackage(Node):
    coins: int
    price: Money

    @classmethod
    def of(cls, package: CoinPackageSetting) -> CoinPackage:
        # A package is named by its number of coins (unique among packages).
        return cls(
            db_id=package.coins,
            coins=package.coins,
            price=Money(currency=package.currency, minor_units=package.price_cents),
        )


@strawberry.type(description="Coins you bought.")
class CoinPurchase:
    coins: int
    price: Money
    created_at: datetime

    @classmethod
    def from_model(cls, model: Payment) -> CoinPurchase:
        return cls(
            coins=model.coins or 0,
            price=Money(currency=model.currency, minor_units=model.amount_cents),
            created_at=model.created_at,
        )
