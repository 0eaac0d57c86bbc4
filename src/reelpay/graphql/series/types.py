"""Series, episodes and purchases. Everyone who may see a Series sees its metadata; only the
creator and buyers get an episode's playable content (a signed, short-lived link)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Node
from reelpay.series import access, models

SeriesStatus = described_enum(
    models.SeriesStatus,
    "Where a Series is in its life.",
    {
        "DRAFT": "Being prepared: only the creator and staff see it; the price may change.",
        "PUBLISHED": "On sale; its price is fixed.",
        "ARCHIVED": "No longer sold; buyers keep access.",
    },
)
PurchaseStatus = described_enum(
    models.PurchaseStatus,
    "Whether a purchase still gives access.",
    {
        "ACTIVE": "The buyer has access.",
        "REFUNDED": "Staff refunded it: access is revoked and the ledger reversed.",
    },
)
PaidWith = described_enum(
    models.PaidWith,
    "CARD (a payment token) or COINS.",
    {
        "CARD": "Paid by card through the payment provider, with a payment token.",
        "COINS": "Paid with coins from the wallet, ceil(cents * 70 / 99) of them.",
    },
)
AccessReason = described_enum(
    access.AccessReason,
    "Why an episode's content is given or refused.",
    {
        "OWNER": "You made the Series.",
        "PURCHASED": "You bought the Series.",
        "NOT_PURCHASED": "You have not bought it (or are not logged in).",
        "REFUNDED": "Your purchase was refunded, so access was revoked.",
        "BANNED": "You bought it, but your account is BANNED: it plays no paid content.",
    },
)


async def _account(info: Info[Context, None], account_id: int) -> Account:
    found = await info.context.loaders.account.load(account_id)
    assert found is not None
    return Account.from_model(found)


async def viewer_access(info: Info[Context, None], series: models.Series) -> access.Decision:
    viewer = await info.context.viewer()
    status = await info.context.loaders.viewer_series_purchase.load(series.id)
    return access.can_play(viewer, series, status)


@strawberry.type(description="Whether you may play a Series' episodes, and why.")
class SeriesAccess:
    allowed: bool = strawberry.field(description="Whether you may play the episodes.")
    reason: AccessReason = strawberry.field(  # type: ignore[valid-type]
        description="Why (OWNER, PURCHASED, NOT_PURCHASED or REFUNDED)."
    )


@strawberry.type(description="An episode's playable content, for the creator and buyers only.")
class EpisodePlayback:
    allowed: bool = strawberry.field(description="Whether you may play it.")
    reason: AccessReason = strawberry.field(  # type: ignore[valid-type]
        description="Why it is given or refused."
    )
    url: str | None = strawberry.field(
        description="A link to the content, relative to the API's origin; null unless allowed. "
        "GET it with `Authorization: Bearer <token>`, the token this request was sent with: it "
        "is signed for that login session and answers 401 without a token and 403 with any "
        "other. It stops "
        "working at `expiresAt`, when that session is logged out or expires, and as soon as "
        "you may no longer play the episode (a refund, a BANNED standing, the episode "
        "removed): access is checked again each time it is fetched. It carries no account id."
    )
    expires_at: datetime | None = strawberry.field(
        description="When `url` stops working at the latest (it may stop earlier, see `url`); "
        "null unless allowed."
    )


@strawberry.type(description="Buyers' ratings (1 to 5).")
class SeriesRatingSummary:
    count: int = strawberry.field(description="How many active buyers rated it.")
    average: float | None = strawberry.field(description="Null until someone rated.")


@strawberry.type(description="An episode of a Series. Its metadata is public with the Series.")
class SeriesEpisode(Node):
    model: strawberry.Private[models.SeriesEpisode]
    series_model: strawberry.Private[models.Series]
    position: int = strawberry.field(description="1 for the first episode, in order.")
    title: str = strawberry.field(description="The episode's title (public).")
    duration_seconds: int = strawberry.field(description="30 to 1200 seconds.")

    @classmethod
    def from_model(cls, model: models.SeriesEpisode, series: models.Series) -> SeriesEpisode:
        return cls(
            db_id=model.id,
            model=model,
            series_model=series,
            position=model.position,
            title=model.title,
            duration_seconds=model.duration_seconds,
        )

    @strawberry.field(description="The Series it belongs to.")
    def series(self) -> Series:
        return Series.from_model(self.series_model)

    @strawberry.field(description="The content, if you may play it; otherwise why not.")
    async def playback(self, info: Info[Context, None]) -> EpisodePlayback:
        decision = await viewer_access(info, self.series_model)
        ctx = info.context
        if not decision.allowed or ctx.token is None:
            # (No token but a viewer: the mutation that logged in; the next request has one.)
            return EpisodePlayback(
                allowed=decision.allowed, reason=decision.reason, url=None, expires_at=None
            )
        url, expires_at = access.playback_url(
            ctx.settings.secret_key,
            self.model.media_key,
            ctx.token,
            now=ctx.now,
            ttl_seconds=ctx.settings.rules.playback_url_ttl_seconds,
        )
        return EpisodePlayback(allowed=True, reason=decision.reason, url=url, expires_at=expires_at)


@strawberry.type(description="A paywalled collection of episodes.")
class Series(Node):
    model: strawberry.Private[models.Series]
    title: str = strawberry.field(description="The title (public).")
    description: str = strawberry.field(description="The description (public); may be empty.")
    cover_url: str | None = strawberry.field(description="The cover image's URL, if any.")
    price: Money = strawberry.field(description="Fixed once published.")
    status: SeriesStatus = strawberry.field(  # type: ignore[valid-type]
        description="DRAFT, PUBLISHED or ARCHIVED."
    )
    created_at: datetime = strawberry.field(description="When the draft was started.")
    published_at: datetime | None = strawberry.field(
        description="When it was published; null for a draft."
    )

    @classmethod
    def from_model(cls, model: models.Series) -> Series:
        return cls(
            db_id=model.id,
            model=model,
            title=model.title,
            description=model.description,
            cover_url=model.cover_url,
            price=Money.usd(model.price_cents),
            status=model.status,
            created_at=model.created_at,
            published_at=model.published_at,
        )

    @strawberry.field(description="Who made it.")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(description="Episodes in order (titles, durations and order are public).")
    async def episodes(self, info: Info[Context, None]) -> list[SeriesEpisode]:
        found = await info.context.loaders.series_episodes.load(self.db_id)
        return [SeriesEpisode.from_model(e, self.model) for e in found]

    @strawberry.field(description="How many episodes it has (at most 80).")
    async def episode_count(self, info: Info[Context, None]) -> int:
        return len(await info.context.loaders.series_episodes.load(self.db_id))

    @strawberry.field(description="Buyers' ratings.")
    async def rating(self, info: Info[Context, None]) -> SeriesRatingSummary:
        count, average = await info.context.loaders.series_rating.load(self.db_id)
        return SeriesRatingSummary(count=count, average=average)

    @strawberry.field(description="Whether you may play the episodes (OWNER, PURCHASED, ...).")
    async def viewer_access(self, info: Info[Context, None]) -> SeriesAccess:
        decision = await viewer_access(info, self.model)
        return SeriesAccess(allowed=decision.allowed, reason=decision.reason)


@strawberry.type(description="A Series someone bought. The buyer and staff see it.")
class SeriesPurchase(Node):
    model: strawberry.Private[models.SeriesPurchase]
    price: Money = strawberry.field(description="The Series' price when bought.")
    paid_with: PaidWith = strawberry.field(  # type: ignore[valid-type]
        description="CARD or COINS."
    )
    coins: int | None = strawberry.field(description="Coins paid; null when paid by card.")
    status: PurchaseStatus = strawberry.field(  # type: ignore[valid-type]
        description="ACTIVE or REFUNDED."
    )
    created_at: datetime = strawberry.field(description="When it was bought.")
    refundable_until: datetime = strawberry.field(
        description="Staff may refund until then; the creator's share is pending until then."
    )
    refunded_at: datetime | None = strawberry.field(
        description="When staff refunded it; null while ACTIVE."
    )

    @classmethod
    def from_model(cls, model: models.SeriesPurchase) -> SeriesPurchase:
        return cls(
            db_id=model.id,
            model=model,
            price=Money.usd(model.price_cents),
            paid_with=model.paid_with,
            coins=model.coins,
            status=model.status,
            created_at=model.created_at,
            refundable_until=model.refundable_until,
            refunded_at=model.refunded_at,
        )

    @strawberry.field(description="The Series bought.")
    async def series(self, info: Info[Context, None]) -> Series:
        found = await info.context.loaders.series.load(self.model.series_id)
        return Series.from_model(found)

    @strawberry.field(description="Who bought it.")
    async def buyer(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.buyer_id)
