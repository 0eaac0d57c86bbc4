"""Creating, publishing, buying, refunding and rating Series."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.errors import DomainError
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import CardPayment, pay_by_card, require_key
from reelpay.graphql.relay import Connection, decode_id_of, paged
from reelpay.graphql.series.types import PaidWith, Series, SeriesEpisode, SeriesPurchase
from reelpay.graphql.wallet.types import Wallet
from reelpay.series import models, service
from reelpay.series import purchases as sales
from reelpay.wallet import service as wallet

log = logging.getLogger("reelpay.series")

SERIES_ID = ("input", "seriesId")
EPISODE_ID = ("input", "episodeId")
PURCHASE_ID = ("input", "purchaseId")
LIST_KEY = (int,)


@strawberry.input
class CreateSeriesInput:
    title: str
    price_cents: int = strawberry.field(description="US cents, 99 to 18999 by default.")
    description: str = ""
    cover_url: str | None = None


@strawberry.input(description="Only the fields you send change; the price only in a draft.")
class UpdateSeriesInput:
    series_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    cover_url: str | None = None
    price_cents: int | None = None


@strawberry.type
class SeriesPayload:
    series: Series | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AddSeriesEpisodeInput:
    series_id: strawberry.ID
    title: str
    duration_seconds: int = strawberry.field(description="30 to 1200 seconds, inclusive.")


@strawberry.input
class UpdateSeriesEpisodeInput:
    episode_id: strawberry.ID
    title: str | None = None
    duration_seconds: int | None = None


@strawberry.input
class RemoveSeriesEpisodeInput:
    episode_id: strawberry.ID


@strawberry.input
class ReorderSeriesEpisodesInput:
    series_id: strawberry.ID
    episode_ids: list[strawberry.ID] = strawberry.field(description="Every episode, in order.")


@strawberry.type
class SeriesEpisodePayload:
    episode: SeriesEpisode | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PublishSeriesInput:
    series_id: strawberry.ID


@strawberry.input
class ArchiveSeriesInput:
    series_id: strawberry.ID


@strawberry.input
class PurchaseSeriesInput:
    series_id: strawberry.ID
    paid_with: PaidWith  # type: ignore[valid-type]
    payment_token: str | None = strawberry.field(default=None, description="For CARD.")
    idempotency_key: str


@strawberry.type
class PurchaseSeriesPayload:
    purchase: SeriesPurchase | None = None
    wallet: Wallet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RefundSeriesPurchaseInput:
    purchase_id: strawberry.ID


@strawberry.type
class SeriesPurchasePayload:
    purchase: SeriesPurchase | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RateSeriesInput:
    series_id: strawberry.ID
    stars: int = strawberry.field(description="1 to 5.")


@strawberry.type
class SeriesQueries:
    @strawberry.field(description="Published Series of creators you follow, newest first.")
    async def series_from_following(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Series]:
        ctx = info.context
        viewer = await ctx.require_viewer()
        return await paged(
            ctx, LIST_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: sales.from_following(s, viewer.id, request),
            count=lambda s: sales.from_following_count(s, viewer.id),
            to_node=Series.from_model,
        )  # fmt: skip


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
        self, info: Info[Context, None], input: CreateSeriesInput
    ) -> SeriesPayload:
        ctx = info.context
        fields = service.SeriesFields(
            title=input.title,
            description=input.description,
            cover_url=input.cover_url,
            price_cents=input.price_cents,
        )
        return await _series_payload(
            info,
            lambda s, viewer: service.create_series(
                s, logged_in(viewer), fields, now=ctx.now, rules=ctx.settings.rules
            ),
        )

    @strawberry.mutation(description="Edit a Series (the price only while it is a draft).")
    async def update_series(
        self, info: Info[Context, None], input: UpdateSeriesInput
    ) -> SeriesPayload:
        ctx = info.context
        fields = service.SeriesFields(
            title=input.title,
            description=input.description,
            cover_url=input.cover_url,
            price_cents=input.price_cents,
        )

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await service.update_series(
                s, logged_in(viewer), pk, fields, rules=ctx.settings.rules
            )

        return await _series_payload(info, work)

    @strawberry.mutation(description="Publish a draft (it needs an episode; the price freezes).")
    async def publish_series(
        self, info: Info[Context, None], input: PublishSeriesInput
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await service.publish_series(s, logged_in(viewer), pk, now=ctx.now)

        return await _series_payload(info, work)

    @strawberry.mutation(description="Stop selling a Series; buyers keep access.")
    async def archive_series(
        self, info: Info[Context, None], input: ArchiveSeriesInput
    ) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await service.archive_series(s, logged_in(viewer), pk, now=ctx.now)

        return await _series_payload(info, work)

    @strawberry.mutation(description="Reorder a draft's episodes.")
    async def reorder_series_episodes(
        self, info: Info[Context, None], input: ReorderSeriesEpisodesInput
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
        self, info: Info[Context, None], input: RemoveSeriesEpisodeInput
    ) -> SeriesPayload:
        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.episode_id, "SeriesEpisode", EPISODE_ID)
            return await service.remove_episode(s, logged_in(viewer), pk)

        return await _series_payload(info, work)

    @strawberry.mutation(
        description="Add an episode at the end (to a draft, or to a published Series: at most 80)."
    )
    async def add_series_episode(
        self, info: Info[Context, None], input: AddSeriesEpisodeInput
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
            return SeriesEpisodePayload(episode=SeriesEpisode.from_model(episode, series))

        return await as_user_errors(SeriesEpisodePayload, work)

    @strawberry.mutation(description="Edit an episode of a draft.")
    async def update_series_episode(
        self, info: Info[Context, None], input: UpdateSeriesEpisodeInput
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
            return SeriesEpisodePayload(episode=SeriesEpisode.from_model(episode, series))

        return await as_user_errors(SeriesEpisodePayload, work)

    @strawberry.mutation(
        description="Buy access to a published Series, by card or with coins "
        "(ceil(cents * 70 / 99) coins). Access is permanent unless staff refund it."
    )
    async def purchase_series(
        self, info: Info[Context, None], input: PurchaseSeriesInput
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
            purchase = await sales.buy_series(
                session,
                buyer,
                request,
                now=ctx.now,
                settings=ctx.settings,
                charge_id=charge_id,
                provider=ctx.services.payments.name if charge_id else None,
            )
            balances = await wallet.balances(session, [buyer.id])
            return PurchaseSeriesPayload(
                purchase=SeriesPurchase.from_model(purchase),
                wallet=Wallet.of(buyer.id, balances[buyer.id]),
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
            return PurchaseSeriesPayload(
                purchase=SeriesPurchase.from_model(found[purchase_id]),
                wallet=await Wallet.load(info, viewer.id),
            )

        return await as_user_errors(PurchaseSeriesPayload, work)

    @strawberry.mutation(
        description="Staff: refund a purchase within its window (access is revoked, the ledger "
        "reversed, card money returned through the provider)."
    )
    async def refund_series_purchase(
        self, info: Info[Context, None], input: RefundSeriesPurchaseInput
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
            return SeriesPurchasePayload(purchase=SeriesPurchase.from_model(purchase))

        return await as_user_errors(SeriesPurchasePayload, work)

    @strawberry.mutation(description="Rate a Series you bought, 1 to 5 (again to change it).")
    async def rate_series(self, info: Info[Context, None], input: RateSeriesInput) -> SeriesPayload:
        ctx = info.context

        async def work(s: Any, viewer: Any) -> Any:
            pk = decode_id_of(input.series_id, "Series", SERIES_ID)
            await sales.rate_series(s, logged_in(viewer), pk, input.stars, now=ctx.now)
            return await s.get(models.Series, pk)

        return await _series_payload(info, work)
