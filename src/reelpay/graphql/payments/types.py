"""Coin packages and coin purchases."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Node
from reelpay.payments import service as payments
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.settings import CoinPackage as CoinPackageSetting


@strawberry.type(description="Coins sold for real money. Anyone may see the packages.")
class CoinPackage(Node):
    coins: int = strawberry.field(description="Coins credited when you buy the package.")
    price: Money = strawberry.field(description="What the package costs.")

    @classmethod
    def of(cls, package: CoinPackageSetting) -> CoinPackage:
        # A package is named by its number of coins (unique among packages).
        return cls(
            db_id=package.coins,
            coins=package.coins,
            price=Money(currency=package.currency, minor_units=package.price_cents),
        )


@strawberry.type(
    description="Coins you bought with a coin package. Only the buyer and staff see a purchase."
)
class CoinPurchase(Node):
    coins: int = strawberry.field(description="Coins credited to the buyer's wallet.")
    price: Money = strawberry.field(description="What was charged to the card.")
    created_at: datetime = strawberry.field(description="When it was paid (UTC).")

    @classmethod
    def from_model(cls, model: Payment) -> CoinPurchase:
        return cls(
            db_id=model.id,
            coins=model.coins or 0,
            price=Money(currency=model.currency, minor_units=model.amount_cents),
            created_at=model.created_at,
        )


async def resolve_coin_purchase(info: Info[Context, None], pk: int) -> CoinPurchase | None:
    """A coin purchase for `node(id:)`: the buyer and staff see it; anyone else gets null."""
    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = await info.context.read(lambda s: payments.find_payment(s, pk))
    if found is None or found.purpose is not PaymentPurpose.COIN_PURCHASE:
        return None
    if found.account_id != viewer.id and not viewer.is_staff:
        return None
    return CoinPurchase.from_model(found)
