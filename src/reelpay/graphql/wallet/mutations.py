"""Redeeming diamonds into earnings."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import Money
from reelpay.graphql.wallet.types import Wallet
from reelpay.wallet import service as wallet


@strawberry.input(description="Which diamonds to turn into USD earnings.")
class RedeemDiamondsInput:
    diamonds: int | None = strawberry.field(
        default=None,
        description="How many to redeem (at least one cent's worth, 2 by default; at most your "
        "balance); omit to redeem all. "
        "An odd diamond stays in the balance.",
    )
    idempotency_key: str = strawberry.field(
        description="Unique per redemption (a UUID); retrying with it redeems nothing again."
    )


@strawberry.type(description="The result of `redeemDiamonds`: null fields when `userErrors`.")
class RedeemDiamondsPayload:
    diamonds_redeemed: int | None = strawberry.field(
        default=None, description="Diamonds taken from your balance."
    )
    earnings_added: Money | None = strawberry.field(
        default=None, description="USD added to your available earnings."
    )
    wallet: Wallet | None = strawberry.field(
        default=None, description="Your wallet after the redemption (diamonds and earnings)."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was redeemed; empty on success."
    )


@strawberry.type
class WalletMutations:
    @strawberry.mutation(
        description="Turn diamonds into USD earnings (0.5 US cent per diamond by default)."
    )
    async def redeem_diamonds(
        self,
        info: Info[Context, None],
        input: Annotated[RedeemDiamondsInput, strawberry.argument(description="What to redeem.")],
    ) -> RedeemDiamondsPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()

        async def work() -> RedeemDiamondsPayload:
            result = await ctx.write(
                lambda s, owner: wallet.redeem_diamonds(
                    s,
                    logged_in(owner),
                    diamonds=input.diamonds,
                    key=input.idempotency_key,
                    now=ctx.now,
                    settings=ctx.settings,
                )
            )
            return RedeemDiamondsPayload(
                diamonds_redeemed=result["diamonds"],
                earnings_added=Money.usd(result["cents"]),
                wallet=await Wallet.load(info, viewer.id),
            )

        return await as_user_errors(RedeemDiamondsPayload, work)
