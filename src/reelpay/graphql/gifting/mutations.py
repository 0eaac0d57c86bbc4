"""The gift catalog, LIVE streams, sending gifts and tips."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts.models import Account
from reelpay.errors import DomainError
from reelpay.gifting import live as lives
from reelpay.gifting import service as gifting
from reelpay.gifting.models import TipMethod as TipMethodModel
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.gifting.types import Gift, GiftSent, LiveStream, Tip, TipMethod
from reelpay.graphql.money import (
    CardPayment,
    Money,
    MoneyInput,
    exactly_one,
    minor_units,
    pay_by_card,
    require_key,
)
from reelpay.graphql.payments.types import PendingCardPayment, pending_payment_field
from reelpay.graphql.relay import decode_id_of
from reelpay.graphql.wallet.types import Wallet

LIVE_ID = ("input", "liveId")
AMOUNT = ("input", "amount")


@strawberry.input(description="Which gift to send, how many, and where (a LIVE or a video).")
class SendGiftInput:
    gift_id: strawberry.ID = strawberry.field(description="A `Gift` ID from the catalog.")
    quantity: int = strawberry.field(default=1, description="1 to 99 of the gift at once.")
    live_id: strawberry.ID | None = strawberry.field(
        default=None, description="The LIVE to send to (give this or `videoId`)."
    )
    video_id: strawberry.ID | None = strawberry.field(
        default=None, description="The video to send to (give this or `liveId`)."
    )
    idempotency_key: str = strawberry.field(
        description="Unique per gift (a UUID); retrying with it never spends twice."
    )


@strawberry.type(description="The result of `sendGift`: null fields when `userErrors`.")
class SendGiftPayload:
    gift: GiftSent | None = strawberry.field(
        default=None,
        description="The gift sent; through it, the LIVE (its `giftTotals`, `topGifters`) and "
        "the creator (`topSupporters`) it changed.",
    )
    wallet: Wallet | None = strawberry.field(
        default=None, description="The sender's wallet after the coins were spent."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was sent; empty on success."
    )


@strawberry.input(description="Who to tip, how much and how to pay.")
class SendTipInput:
    creator_id: strawberry.ID = strawberry.field(description="The creator's `Account` ID.")
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description='How much, e.g. `{ amount: "5.00", currency: "USD" }`: presets are 5, 10 and '
        "15 USD; any amount from 1.00 to 100.00. Give this or `amountCents`, not both.",
    )
    amount_cents: int | None = strawberry.field(
        default=None,
        description="USD cents: presets are 500, 1000 and 1500; any amount from 100 to 10000.",
        deprecation_reason="Use `amount` (a MoneyInput), the same convention as every input.",
    )
    method: TipMethod = strawberry.field(  # type: ignore[valid-type]
        description="CARD (with `paymentToken`) or COINS."
    )
    payment_token: str | None = strawberry.field(
        default=None, description="Required when `method` is CARD."
    )
    anonymous: bool = strawberry.field(
        default=False, description="Hide your name from the public (staff still see it)."
    )
    idempotency_key: str = strawberry.field(
        description="Unique per tip (a UUID); retrying with it never pays twice."
    )


@strawberry.type(description="The result of `sendTip`: null fields when `userErrors`.")
class SendTipPayload:
    tip: Tip | None = strawberry.field(
        default=None, description="The tip (the first one again when the key is replayed)."
    )
    wallet: Wallet | None = strawberry.field(
        default=None, description="The tipper's wallet afterwards (fewer coins for a COINS tip)."
    )
    pending_payment: PendingCardPayment | None = pending_payment_field()
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was paid; empty on success."
    )


@strawberry.input(description="The LIVE to start.")
class StartLiveInput:
    title: str = strawberry.field(description="1 to 150 characters.")


@strawberry.input(description="The LIVE to end.")
class EndLiveInput:
    live_id: strawberry.ID = strawberry.field(description="A `LiveStream` ID.")


@strawberry.input(description="The LIVE to join.")
class JoinLiveInput:
    live_id: strawberry.ID = strawberry.field(description="A `LiveStream` ID.")


@strawberry.input(description="The LIVE to leave.")
class LeaveLiveInput:
    live_id: strawberry.ID = strawberry.field(description="A `LiveStream` ID.")


@strawberry.type(description="The result of a LIVE mutation: null `live` when `userErrors`.")
class LivePayload:
    live: LiveStream | None = strawberry.field(
        default=None, description="The LIVE as it is now (status, viewer count)."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.type(description="Tip amounts to offer and the limits every tipper has (UTC days).")
class TipOptions:
    presets: list[Money] = strawberry.field(description="Amounts to offer as buttons.")
    minimum: Money = strawberry.field(description="The smallest tip.")
    maximum: Money = strawberry.field(description="The largest tip.")
    daily_maximum: Money = strawberry.field(description="The most one tipper may tip in a day.")
    daily_count_maximum: int = strawberry.field(
        description="How many tips one tipper may send a day."
    )


@strawberry.type
class GiftingQueries:
    @strawberry.field(description="Gifts for sale, cheapest first. Anyone may see them.")
    async def gifts(self, info: Info[Context, None]) -> list[Gift]:
        found = await info.context.read(gifting.gift_catalog)
        return [Gift.from_model(g) for g in found]

    @strawberry.field(description="Tip amounts and the limits per tipper (days are UTC).")
    def tip_options(self, info: Info[Context, None]) -> TipOptions:
        rules = info.context.settings.rules
        return TipOptions(
            presets=[Money.usd(c) for c in (500, 1000, 1500)],
            minimum=Money.usd(rules.tip_min_cents),
            maximum=Money.usd(rules.tip_max_cents),
            daily_maximum=Money.usd(rules.tip_daily_max_cents),
            daily_count_maximum=rules.tip_daily_max_count,
        )


@strawberry.type
class GiftingMutations:
    @strawberry.mutation(
        description="Send a gift to a LIVE (while it is on air) or to a video: coins leave you, "
        "the creator receives diamonds."
    )
    async def send_gift(
        self,
        info: Info[Context, None],
        input: Annotated[SendGiftInput, strawberry.argument(description="The gift to send.")],
    ) -> SendGiftPayload:
        ctx = info.context

        def parse() -> gifting.GiftRequest:
            exactly_one({"liveId": input.live_id, "videoId": input.video_id})
            return gifting.GiftRequest(
                gift_id=decode_id_of(input.gift_id, "Gift", gifting.GIFT_FIELD),
                quantity=input.quantity,
                key=require_key(
                    input.idempotency_key, ctx.settings.rules.idempotency_key_max_length
                ),
                live_id=decode_id_of(input.live_id, "LiveStream", LIVE_ID)
                if input.live_id is not None
                else None,
                video_id=decode_id_of(input.video_id, "Video", ("input", "videoId"))
                if input.video_id is not None
                else None,
            )

        async def send(
            session: AsyncSession, sender: Account, request: gifting.GiftRequest
        ) -> SendGiftPayload:
            """Send the gift and read what the payload shows, in one transaction."""
            sent, balances = await gifting.give_gift(
                session, sender, request, now=ctx.now, settings=ctx.settings
            )
            return SendGiftPayload(
                gift=GiftSent.from_model(sent), wallet=Wallet.of(sender.id, balances)
            )

        async def work() -> SendGiftPayload:
            try:
                request = parse()
            except DomainError:
                await ctx.require_viewer()  # UNAUTHENTICATED comes first
                raise
            # Authenticated inside the transaction: no read before it.
            return await ctx.write_logged_in(lambda s, sender: send(s, sender, request))

        return await as_user_errors(SendGiftPayload, work)

    @strawberry.mutation(
        description="Tip a creator: 100% of the amount goes to them. Pay by card or with coins "
        "at the base rate (ceil(cents * 70 / 99) coins)."
    )
    async def send_tip(
        self,
        info: Info[Context, None],
        input: Annotated[SendTipInput, strawberry.argument(description="The tip to send.")],
    ) -> SendTipPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()

        async def work() -> SendTipPayload:
            exactly_one({"amount": input.amount, "amountCents": input.amount_cents})
            if input.amount is not None:
                cents, amount_field = minor_units(input.amount, AMOUNT), AMOUNT
            else:
                assert input.amount_cents is not None  # exactly_one
                cents, amount_field = input.amount_cents, gifting.AMOUNT_FIELD
            request = gifting.TipRequest(
                creator_id=decode_id_of(input.creator_id, "Account", gifting.CREATOR_FIELD),
                amount_cents=cents,
                amount_field=amount_field,
                method=TipMethodModel(input.method),
                key=require_key(
                    input.idempotency_key, ctx.settings.rules.idempotency_key_max_length
                ),
                anonymous=input.anonymous,
                payment_token=input.payment_token,
            )

            async def record(charge_id: str | None) -> dict[str, Any]:
                return await ctx.write(
                    lambda s, tipper: gifting.record_tip(
                        s,
                        logged_in(tipper),
                        request,
                        now=ctx.now,
                        settings=ctx.settings,
                        charge_id=charge_id,
                        provider=ctx.services.payments.name if charge_id else None,
                    )
                )

            result: dict[str, Any] | None
            if request.method is TipMethodModel.COINS:
                result = await record(None)
            else:
                result = await ctx.read(
                    lambda s: gifting.prepare_tip(
                        s, viewer, request, now=ctx.now, settings=ctx.settings
                    )
                )
                if result is None:
                    result = await pay_by_card(
                        ctx,
                        viewer.id,
                        CardPayment(
                            token=request.payment_token or "",
                            amount_cents=request.amount_cents,
                            key=request.key,
                            operation=gifting.SEND_TIP,
                            arguments=request.arguments,
                            description="Reelpay tip",
                        ),
                        record,
                    )
            found = await ctx.read(lambda s: gifting.tips_by_ids(s, [result["tipId"]]))
            return SendTipPayload(
                tip=Tip.from_model(found[result["tipId"]]),
                wallet=await Wallet.load(info, viewer.id),
            )

        return await as_user_errors(SendTipPayload, work)

    @strawberry.mutation(description="Go LIVE (18+, not restricted or banned; one at a time).")
    async def start_live(
        self,
        info: Info[Context, None],
        input: Annotated[StartLiveInput, strawberry.argument(description="The LIVE to start.")],
    ) -> LivePayload:
        ctx = info.context

        async def work() -> LivePayload:
            live = await ctx.write(
                lambda s, viewer: lives.start_live(
                    s, logged_in(viewer), input.title, now=ctx.now, rules=ctx.settings.rules
                )
            )
            return LivePayload(live=LiveStream.from_model(live))

        return await as_user_errors(LivePayload, work)

    @strawberry.mutation(description="End your LIVE (staff may end any).")
    async def end_live(
        self,
        info: Info[Context, None],
        input: Annotated[EndLiveInput, strawberry.argument(description="The LIVE to end.")],
    ) -> LivePayload:
        return await _live_action(info, input, lives.end_live)

    @strawberry.mutation(description="Join a LIVE as a viewer.")
    async def join_live(
        self,
        info: Info[Context, None],
        input: Annotated[JoinLiveInput, strawberry.argument(description="The LIVE to join.")],
    ) -> LivePayload:
        return await _live_action(info, input, lives.join_live)

    @strawberry.mutation(description="Leave a LIVE you joined.")
    async def leave_live(
        self,
        info: Info[Context, None],
        input: Annotated[LeaveLiveInput, strawberry.argument(description="The LIVE to leave.")],
    ) -> LivePayload:
        return await _live_action(info, input, lives.leave_live)


async def _live_action(
    info: Info[Context, None], input: EndLiveInput | JoinLiveInput | LeaveLiveInput, action: object
) -> LivePayload:
    ctx = info.context

    async def work() -> LivePayload:
        live_id = decode_id_of(input.live_id, "LiveStream", LIVE_ID)
        live = await ctx.write(
            lambda s, viewer: action(s, logged_in(viewer), live_id, now=ctx.now)  # type: ignore[operator]
        )
        return LivePayload(live=LiveStream.from_model(live))

    return await as_user_errors(LivePayload, work)
