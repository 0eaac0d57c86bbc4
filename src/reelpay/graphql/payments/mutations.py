"""Coin packages and buying coins."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import CardPayment, pay_by_card, require_key
from reelpay.graphql.payments.types import (
    CoinPackage,
    CoinPurchase,
    PendingCardPayment,
    pending_payment_field,
)
from reelpay.graphql.relay import decode_id_of
from reelpay.graphql.wallet.types import Wallet
from reelpay.payments import service as payments


@strawberry.input(description="Which coin package to buy and how to pay for it.")
class PurchaseCoinsInput:
    package_id: strawberry.ID = strawberry.field(description="A `CoinPackage` ID.")
    payment_token: str = strawberry.field(
        description="From the payment provider's client SDK; in the sandbox, one of the test "
        "tokens in the README."
    )
    idempotency_key: str = strawberry.field(
        description="Unique per purchase (a UUID); retrying with it never charges twice."
    )


@strawberry.type(description="The result of `purchaseCoins`: null fields when `userErrors`.")
class PurchaseCoinsPayload:
    purchase: CoinPurchase | None = strawberry.field(
        default=None, description="The purchase (the first one again when the key is replayed)."
    )
    wallet: Wallet | None = strawberry.field(
        default=None, description="The buyer's wallet after the coins were credited."
    )
    pending_payment: PendingCardPayment | None = pending_payment_field()
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was charged or credited; empty on success."
    )


@strawberry.type
class PaymentQueries:
    @strawberry.field(description="Coin packages for sale, fewest coins first.")
    def coin_packages(self, info: Info[Context, None]) -> list[CoinPackage]:
        return [CoinPackage.of(p) for p in info.context.settings.coin_packages]


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Buy a coin package (18+, 19+ in KR). A declined or failed payment credits "
        "nothing."
    )
    async def purchase_coins(
        self,
        info: Info[Context, None],
        input: Annotated[PurchaseCoinsInput, strawberry.argument(description="What to buy.")],
    ) -> PurchaseCoinsPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()

        async def work() -> PurchaseCoinsPayload:
            coins = decode_id_of(input.package_id, "CoinPackage", payments.PACKAGE_FIELD)
            package = payments.find_package(ctx.settings, coins)
            key = require_key(input.idempotency_key, ctx.settings.rules.idempotency_key_max_length)
            request = payments.PurchaseRequest(package, input.payment_token, key)
            result = await ctx.read(
                lambda s: payments.prepare_purchase(
                    s, viewer, request, now=ctx.now, settings=ctx.settings
                )
            )
            if result is None:
                provider = ctx.services.payments.name
                result = await pay_by_card(
                    ctx,
                    viewer.id,
                    CardPayment(
                        token=input.payment_token,
                        amount_cents=package.price_cents,
                        currency=package.currency,
                        key=key,
                        operation=payments.PURCHASE,
                        arguments=request.arguments,
                        description=f"{package.coins} Reelpay coins",
                    ),
                    lambda charge_id: ctx.write(
                        lambda s, buyer: payments.record_purchase(
                            s,
                            logged_in(buyer),
                            request,
                            charge_id=charge_id,
                            provider=provider,
                            now=ctx.now,
                            settings=ctx.settings,
                        )
                    ),
                )
            payment = await ctx.read(lambda s: payments.get_payment(s, result["paymentId"]))
            return PurchaseCoinsPayload(
                purchase=CoinPurchase.from_model(payment), wallet=await Wallet.load(info, viewer.id)
            )

        return await as_user_errors(PurchaseCoinsPayload, work)
