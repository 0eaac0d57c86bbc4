"""Redeeming diamonds into earnings."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import Money
from reelpay.graphql.wallet.types import Wallet
from reelpay.wallet import service as wallet


@strawberry.input
class RedeemDiamondsInput:
    diamonds: int | None = strawberry.field(
        default=None,
        description="How many to redeem; omit to redeem all. An odd diamond stays in the balance.",
    )
    idempotency_key: str


@strawberry.type
class RedeemDiamondsPayload:
    diamonds_redeemed: int | None = None
    earnings_added: Money | None = None
    wallet: Wallet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WalletMutations:
    @strawberry.mutation(
        description="Turn diamonds into USD earnings (0.5 US cent per diamond by default)."
    )
    async def redeem_diamonds(
        self, info: Info[Context, None], input: RedeemDiamondsInput
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
