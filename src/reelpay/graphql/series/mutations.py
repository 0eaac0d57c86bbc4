"""Creating, publishing, buying, refunding and rating Series."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.errors import DomainError
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import CardPayment, MoneyInput, pay_by_card, require_key
from reelpay.graphql.payments.types import PendingCardPayment, pending_payment_field
from reelpay.graphql.payouts.arguments import AFTER, BEFORE, FIRST, LAST
from reelpay.graphql.relay import Connection, decode_id_of, paged
from reelpay.graphql.series.inputs import cents_of, reported_as
from reelpay.graphql.series.types import PaidWith, Series, SeriesEpisode, SeriesPurchase
from reelpay.graphql.wallet.types import Wallet
from reelpay.series import models, service
from reelpay.series import purchases as sales

log = logging.getLogger("reelpay.series")

SERIES_ID = ("input", "seriesId")
EPISODE_ID = ("input", "episodeId")
PURCHASE_ID = ("input", "purchaseId")
LIST_KEY = (int,)


SERIES_ID_TEXT = "A Series' ID."
EPISODE_ID_TEXT = "A SeriesEpisode's ID."
ERRORS_TEXT = "Why nothing changed; empty on success."
PRICE_TEXT = (
    'USD, e.g. { amount: "4.99", currency: "USD" }: 0.99 to 189.99 by default (the range is a '
    "setting; INVALID_PRICE outside it)."
)


@strawberry.input(description="A new draft Series: give `price` or the deprecated `priceCents`.")
class CreateSeriesInput:
    title: str = strawberry.field(description="1 to 100 characters of display text.")
    price: MoneyInput | None = strawberry.field(
        default=None, description=PRICE_TEXT + " Give this or `priceCents`, not both."
    )
    price_cents: int | None = strawberry.field(
        default=None,
        description="US cents, 99 to 18999 by default.",
        deprecation_reason="Use `price` (a MoneyInput).",
    )
    description: str = strawberry.field(
        default="", description="Up to 2,000 characters by default; may span lines."
    )
    cover_url: str | None = strawberry.field(
        default=None, description="An http(s) URL of the cover image."
    )


@strawberry.input(description="Only the fields you send change; the price only in a draft.")
class UpdateSeriesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)
    title: str | None = strawberry.field(default=None, description="A new title.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    cover_url: str | None = strawberry.field(
        default=None, description="A new cover URL; an empty string removes the cover."
    )
    price: MoneyInput | None = strawberry.field(
        default=None,
        description=PRICE_TEXT + " Drafts only (PRICE_FROZEN once published); not with "
        "`priceCents`.",
    )
    price_cents: int | None = strawberry.field(
        default=None,
        description="A new price in US cents (drafts only).",
        deprecation_reason="Use `price` (a MoneyInput).",
    )


@strawberry.type(description="The Series a mutation changed.")
class SeriesPayload:
    series: Series | None = strawberry.field(
        default=None, description="The Series as it is now; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="An episode to add at the end of a Series.")
class AddSeriesEpisodeInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)
    title: str = strawberry.field(description="1 to 100 characters of display text.")
    duration_seconds: int = strawberry.field(description="30 to 1200 seconds, inclusive.")


@strawberry.input(description="Only the fields you send change (drafts only).")
class UpdateSeriesEpisodeInput:
    episode_id: strawberry.ID = strawberry.field(description=EPISODE_ID_TEXT)
    title: str | None = strawberry.field(default=None, description="A new title.")
    duration_seconds: int | None = strawberry.field(
        default=None, description="30 to 1200 seconds, inclusive."
    )


@strawberry.input(description="The episode to remove from a draft.")
class RemoveSeriesEpisodeInput:
    episode_id: strawberry.ID = strawberry.field(description=EPISODE_ID_TEXT)


@strawberry.input(description="A draft's episodes in their new order.")
class ReorderSeriesEpisodesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)
    episode_ids: list[strawberry.ID] = strawberry.field(description="Every episode, in order.")


@strawberry.type(description="The episode a mutation changed, and its Series.")
class SeriesEpisodePayload:
    episode: SeriesEpisode | None = strawberry.field(
        default=None, description="The episode as it is now; null on userErrors."
    )
    series: Series | None = strawberry.field(
        default=None,
        description="Its Series (`episodes`, `episodeCount` changed); null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="The draft to publish.")
class PublishSeriesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)


@strawberry.input(description="The Series to archive.")
class ArchiveSeriesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)


@strawberry.input(description="A Series to buy, and how to pay.")
class PurchaseSeriesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)
    paid_with: PaidWith = strawberry.field(  # type: ignore[valid-type]
        description="CARD (with `paymentToken`) or COINS (from your wallet)."
    )
    payment_token: str | None = strawberry.field(
        default=None, description="CARD only: the payment provider's one-time token."
    )
    idempotency_key: str = strawberry.field(
        description="Your unique key for this purchase: sending it again returns the first "
        "result and charges nothing; the same key with other arguments is "
        "IDEMPOTENCY_KEY_REUSED."
    )


@strawberry.type(description="The purchase and what it changed: the Series' access and coins.")
class PurchaseSeriesPayload:
    purchase: SeriesPurchase | None = strawberry.field(
        default=None, description="The purchase; null on userErrors."
    )
    series: Series | None = strawberry.field(
        default=None,
        description="The Series bought (its `viewerAccess` is now allowed); null on userErrors.",
    )
    wallet: Wallet | None = strawberry.field(
        default=None, description="Your wallet after paying (`coins`); null on userErrors."
    )
    pending_payment: PendingCardPayment | None = pending_payment_field()
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="The purchase to refund.")
class RefundSeriesPurchaseInput:
    purchase_id: strawberry.ID = strawberry.field(description="A SeriesPurchase's ID.")


@strawberry.type(description="The refunded purchase and what the refund changed.")
class SeriesPurchasePayload:
    purchase: SeriesPurchase | None = strawberry.field(
        default=None, description="The purchase, now REFUNDED; null on userErrors."
    )
    series: Series | None = strawberry.field(
        default=None, description="The Series whose access was revoked; null on userErrors."
    )
    wallet: Wallet | None = strawberry.field(
        default=None,
        description="The buyer's wallet after the refund (coins returned); null on userErrors.",
    )
    creator_wallet: Wallet | None = strawberry.field(
        default=None,
        description="The creator's wallet after the refund (their pending share reversed); "
        "null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="Your rating of a Series you bought.")
class RateSeriesInput:
    series_id: strawberry.ID = strawberry.field(description=SERIES_ID_TEXT)
    stars: int = strawberry.field(description="1 to 5.")


@strawberry.type
class SeriesQueries:
    @strawberry.field(description="Published Series of creators you follow, newest first.")
    async def series_from_following(
        self,
        info: Info[Context, None],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[Series]:
        ctx = info.context
        viewer = await ctx.require_viewer()
        return await paged(
            ctx, LIST_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: sales.from_following(s, viewer.id, request),
            count=lambda s: sales.from_following_count(s, viewer.id),
            to_node=Series.from_model,
        )  # fmt: skip


INPUT = "The mutation's arguments."


async def _series_payload(info: Info[Context, None], work: Any) -> SeriesPayload:
    ctx = info.context

    async def run() -> SeriesPayload:
        series = await ctx.write(work)
        return SeriesPayload(series=Series.from_model(series))

    return await as_user_errors(SeriesPayload, run)


@strawberry.type
class SeriesMutations:
    @strawberry.mutation(description="Start a draft Series (approved Series creators only).")
    async def create_series(
        self,
        info: Info[Context, None],
        input: Annotated[CreateSeriesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            fields = service.SeriesFields(
                title=input.title,
                description=input.description,
                cover_url=input.cover_url,
                price_cents=cents_of(
                    "price", input.price, "priceCents", input.price_cents, required=True
                ),
            )
            return await reported_as(
                "price" if input.price is not None else None,
                "priceCents",
                lambda: service.create_series(
                    s, logged_in(viewer), fields, now=ctx.now, rules=ctx.settings.rules
                ),
            )

        return await _series_payload(info, work)

    @strawberry.mutation(description="Edit a Series (the price only while it is a draft).")
    async def update_series(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateSeriesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            fields = service.SeriesFields(
                title=input.title,
                description=input.description,
                cover_url=input.cover_url,
                price_cents=cents_of(
                    "price", input.price, "priceCents", input.price_cents, required=False
                ),
            )
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await reported_as(
                "price" if input.price is not None else None,
                "priceCents",
                lambda: service.update_series(
                    s, logged_in(viewer), pk, fields, rules=ctx.settings.rules
                ),
            )

        return await _series_payload(info, work)

    @strawberry.mutation(description="Publish a draft (it needs an episode; the price freezes).")
    async def publish_series(
        self,
        info: Info[Context, None],
        input: Annotated[PublishSeriesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await service.publish_series(
                s, logged_in(viewer), pk, now=ctx.now, rules=ctx.settings.rules
            )

        return await _series_payload(info, work)

    @strawberry.mutation(description="Stop selling a Series; buyers keep access.")
    async def archive_series(
        self,
        info: Info[Context, None],
        input: Annotated[ArchiveSeriesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await service.archive_series(s, logged_in(viewer), pk, now=ctx.now)

        return await _series_payload(info, work)

    @strawberry.mutation(description="Reorder a draft's episodes.")
    async def reorder_series_episodes(
        self,
        info: Info[Context, None],
        input: Annotated[ReorderSeriesEpisodesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            ids = [
                decode_id_of(gid, "SeriesEpisode", ("input", "episodeIds", str(i)))
                for i, gid in enumerate(input.episode_ids)
            ]
            return await service.reorder_episodes(s, logged_in(viewer), pk, ids)

        return await _series_payload(info, work)

    @strawberry.mutation(description="Remove an episode from a draft.")
    async def remove_series_episode(
        self,
        info: Info[Context, None],
        input: Annotated[RemoveSeriesEpisodeInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.episode_id, "SeriesEpisode", EPISODE_ID)
            return await service.remove_episode(s, logged_in(viewer), pk)

        return await _series_payload(info, work)

    @strawberry.mutation(
        description="Add an episode at the end (to a draft, or to a published Series: at most 80)."
    )
    async def add_series_episode(
        self,
        info: Info[Context, None],
        input: Annotated[AddSeriesEpisodeInput, strawberry.argument(description=INPUT)],
    ) -> SeriesEpisodePayload:
        ctx = info.context

        async def work() -> SeriesEpisodePayload:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)

            async def add(s: Any, viewer: Any) -> Any:
                creator = logged_in(viewer)
                episode = await service.add_episode(
                    s, creator, pk, title=input.title, duration_seconds=input.duration_seconds,
                    now=ctx.now, rules=ctx.settings.rules,
                )  # fmt: skip
                return episode, await service.own_series(s, creator, pk)

            episode, series = await ctx.write(add)
            return SeriesEpisodePayload(
                episode=SeriesEpisode.from_model(episode, series), series=Series.from_model(series)
            )

        return await as_user_errors(SeriesEpisodePayload, work)

    @strawberry.mutation(description="Edit an episode of a draft.")
    async def update_series_episode(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateSeriesEpisodeInput, strawberry.argument(description=INPUT)],
    ) -> SeriesEpisodePayload:
        ctx = info.context

        async def work() -> SeriesEpisodePayload:
            pk = decode_id_of(input.episode_id, "SeriesEpisode", EPISODE_ID)

            async def update(s: Any, viewer: Any) -> Any:
                creator = logged_in(viewer)
                episode = await service.update_episode(
                    s, creator, pk, title=input.title, duration_seconds=input.duration_seconds,
                    rules=ctx.settings.rules,
                )  # fmt: skip
                return episode, await service.own_series(s, creator, episode.series_id)

            episode, series = await ctx.write(update)
            return SeriesEpisodePayload(
                episode=SeriesEpisode.from_model(episode, series), series=Series.from_model(series)
            )

        return await as_user_errors(SeriesEpisodePayload, work)

    @strawberry.mutation(
        description="Buy access to a published Series, by card or with coins "
        "(ceil(cents * 70 / 99) coins). Access is permanent unless staff refund it."
    )
    async def purchase_series(
        self,
        info: Info[Context, None],
        input: Annotated[PurchaseSeriesInput, strawberry.argument(description=INPUT)],
    ) -> PurchaseSeriesPayload:
        ctx = info.context

        def parse() -> sales.PurchaseRequest:
            return sales.PurchaseRequest(
                series_id=decode_id_of(input.series_id, "Series", SERIES_ID),
                paid_with=models.PaidWith(input.paid_with),
                key=require_key(
                    input.idempotency_key, ctx.settings.rules.idempotency_key_max_length
                ),
                payment_token=input.payment_token,
            )

        async def buy(
            session: AsyncSession,
            buyer: Account,
            request: sales.PurchaseRequest,
            charge_id: str | None = None,
        ) -> PurchaseSeriesPayload:
            """Record the purchase and read what the payload shows, in one transaction."""
            purchase, series, balances = await sales.buy_series(
                session,
                buyer,
                request,
                now=ctx.now,
                settings=ctx.settings,
                charge_id=charge_id,
                provider=ctx.services.payments.name if charge_id else None,
            )
            return PurchaseSeriesPayload(
                purchase=SeriesPurchase.from_model(purchase),
                series=Series.from_model(series),
                wallet=Wallet.of(buyer.id, balances),
            )

        async def work() -> PurchaseSeriesPayload:
            try:
                request = parse()
            except DomainError:
                await ctx.require_viewer()  # UNAUTHENTICATED comes first
                raise
            if request.paid_with is models.PaidWith.COINS:
                # Authenticated inside the one transaction that buys and reads the payload.
                return await ctx.write_logged_in(lambda s, buyer: buy(s, buyer, request))
            viewer = await ctx.require_viewer()
            paid: PurchaseSeriesPayload | None = None

            async def record(charge_id: str | None) -> dict[str, Any]:
                nonlocal paid
                paid = await ctx.write_logged_in(lambda s, buyer: buy(s, buyer, request, charge_id))
                assert paid.purchase is not None
                return {"purchaseId": paid.purchase.db_id}

            result, price = await ctx.read(
                lambda s: sales.prepare_purchase(
                    s, viewer, request, now=ctx.now, settings=ctx.settings
                )
            )
            if result is None:
                result = await pay_by_card(
                    ctx,
                    viewer.id,
                    CardPayment(
                        token=request.payment_token or "",
                        amount_cents=price,
                        key=request.key,
                        operation=sales.PURCHASE,
                        arguments=request.arguments,
                        description="Reelpay Series",
                    ),
                    record,
                )
            if paid is not None:
                return paid
            purchase_id = result["purchaseId"]  # a replay found before charging
            found = await ctx.read(lambda s: sales.purchases_by_ids(s, [purchase_id]))
            series = await ctx.loaders.series.load(found[purchase_id].series_id)
            return PurchaseSeriesPayload(
                purchase=SeriesPurchase.from_model(found[purchase_id]),
                series=Series.from_model(series),
                wallet=await Wallet.load(info, viewer.id),
            )

        return await as_user_errors(PurchaseSeriesPayload, work)

    @strawberry.mutation(
        description="Staff: refund a purchase within its window (access is revoked, the ledger "
        "reversed, card money returned through the provider)."
    )
    async def refund_series_purchase(
        self,
        info: Info[Context, None],
        input: Annotated[RefundSeriesPurchaseInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPurchasePayload:
        ctx = info.context
        accounts.require_staff(logged_in(await ctx.viewer()))

        async def work() -> SeriesPurchasePayload:
            pk = decode_id_of(input.purchase_id, "SeriesPurchase", PURCHASE_ID)
            purchase = await ctx.write(
                lambda s, staff: sales.refund_purchase(s, logged_in(staff), pk, now=ctx.now)
            )
            if purchase.provider_charge_id is not None:
                try:
                    await ctx.services.payments.refund(purchase.provider_charge_id)
                except Exception:
                    # The refund is recorded (refunded_charges); the card still needs it.
                    log.exception(
                        "charge %s must still be refunded by the provider",
                        purchase.provider_charge_id,
                    )
            series = await ctx.loaders.series.load(purchase.series_id)
            return SeriesPurchasePayload(
                purchase=SeriesPurchase.from_model(purchase),
                series=Series.from_model(series),
                wallet=await Wallet.load(info, purchase.buyer_id),
                creator_wallet=await Wallet.load(info, series.creator_id),
            )

        return await as_user_errors(SeriesPurchasePayload, work)

    @strawberry.mutation(description="Rate a Series you bought, 1 to 5 (again to change it).")
    async def rate_series(
        self,
        info: Info[Context, None],
        input: Annotated[RateSeriesInput, strawberry.argument(description=INPUT)],
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            await sales.rate_series(s, logged_in(viewer), pk, input.stars, now=ctx.now)
            return await s.get(models.Series, pk)

        return await _series_payload(info, work)
