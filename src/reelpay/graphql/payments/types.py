"""Coin packages and coin purchases."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Node
from reelpay.payments import service as payments
from reelpay.payments.models import CardPaymentStatus as PendingPaymentStatus
from reelpay.payments.models import Payment, PaymentPurpose, PendingPayment
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


@strawberry.enum(description="Where a card payment the provider did not finish at once stands.")
class CardPaymentStatus(Enum):
    REQUIRES_ACTION = strawberry.enum_value(
        "REQUIRES_ACTION",
        description="The buyer must finish an action (3-D Secure) with the payment provider's "
        "client SDK and `clientSecret`; then send the same mutation again with the same "
        "idempotency key.",
    )
    PROCESSING = strawberry.enum_value(
        "PROCESSING",
        description="The provider is still processing it: send the same mutation again "
        "later, or read the payment with `node(id:)`.",
    )
    SUCCEEDED = strawberry.enum_value(
        "SUCCEEDED",
        description="Credited: the same mutation with the same key answers with what it bought.",
    )
    FAILED = strawberry.enum_value(
        "FAILED",
        description="It did not go through: nothing was credited and anything taken is "
        "refunded. Start again with a new idempotency key.",
    )


@strawberry.type(
    description="A card payment the provider has not finished (3-D Secure, or still "
    "processing): nothing is credited until it SUCCEEDS, and then exactly once. Only the payer "
    "and staff see it."
)
class PendingCardPayment(Node):
    status: CardPaymentStatus = strawberry.field(description="Where it stands.")
    amount: Money = strawberry.field(description="What the card is charged.")
    operation: str = strawberry.field(
        description="The mutation it pays for, e.g. `purchaseCoins` or `purchaseSeries`."
    )
    client_secret: str | None = strawberry.field(
        description="For the provider's client SDK to finish the buyer's action (Stripe: the "
        "PaymentIntent's client secret, for `stripe.handleNextAction`). Only in the answer of "
        "the mutation that was paid, while REQUIRES_ACTION; null when read later."
    )
    failure_message: str | None = strawberry.field(
        description="Why it FAILED, for people; null otherwise."
    )
    created_at: datetime = strawberry.field(description="When it was started (UTC).")
    updated_at: datetime = strawberry.field(description="When its status last changed (UTC).")

    @classmethod
    def from_model(cls, model: PendingPayment, client_secret: str | None = None) -> Self:
        return cls(
            db_id=model.id,
            status=CardPaymentStatus(model.status.value),
            amount=Money(currency=model.currency, minor_units=model.amount_cents),
            operation=model.operation,
            client_secret=client_secret
            if model.status is PendingPaymentStatus.REQUIRES_ACTION
            else None,
            failure_message=model.failure_message,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


async def resolve_pending_card_payment(
    info: Info[Context, None], pk: int
) -> PendingCardPayment | None:
    """A pending card payment for `node(id:)`: the payer and staff see it; others get null."""
    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = await info.context.read(lambda s: s.get(PendingPayment, pk))
    if found is None or (found.account_id != viewer.id and not viewer.is_staff):
        return None
    return PendingCardPayment.from_model(found)


def pending_payment_field() -> PendingCardPayment | None:
    """The `pendingPayment` field every card-paid mutation's payload has."""
    return strawberry.field(  # type: ignore[no-any-return]
        default=None,
        description="Set when the card payment is not finished (nothing credited yet): "
        "REQUIRES_ACTION (finish it with `clientSecret`, then send the same mutation with the "
        "same idempotency key) or PROCESSING (send it again later). Null otherwise.",
    )
