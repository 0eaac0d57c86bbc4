"""Gifts, LIVE streams, gifts sent, tips and supporters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.gifting import models
from reelpay.gifting import service as gifting
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Node

LiveStatus = described_enum(
    models.LiveStatus,
    "Whether a LIVE is on air.",
    {"LIVE": "On air: viewers may join and send gifts.", "ENDED": "Over; it takes no gifts."},
)
TipMethod = described_enum(
    models.TipMethod,
    "How a tip is paid.",
    {
        "CARD": "By card, with a payment token from the provider's client SDK.",
        "COINS": "With coins at the base rate: ceil(cents * 70 / 99) coins.",
    },
)

MAX_SUPPORTERS = 100

SupportersFirst = Annotated[
    int, strawberry.argument(description=f"How many to list, 1 to {MAX_SUPPORTERS}.")
]


def supporters_limit(first: int) -> int:
    from reelpay.errors import DomainError

    if not 1 <= first <= MAX_SUPPORTERS:
        raise DomainError(f"`first` must be between 1 and {MAX_SUPPORTERS}.", field=("first",))
    return first


async def _account(info: Info[Context, None], account_id: int) -> Account:
    model = await info.context.loaders.account.load(account_id)
    assert model is not None  # foreign keys guarantee it
    return Account.from_model(model)


@strawberry.type(description="A virtual gift from the catalog. Anyone may see the catalog.")
class Gift(Node):
    name: str = strawberry.field(description="What the gift is called, e.g. Rose.")
    coin_price: int = strawberry.field(description="Coins per gift; the creator gets diamonds.")
    image_url: str = strawberry.field(description="Where to load the gift's picture from.")

    @classmethod
    def from_model(cls, model: models.Gift) -> Gift:
        return cls(
            db_id=model.id, name=model.name, coin_price=model.coin_price, image_url=model.image_url
        )


@strawberry.type(description="Someone who sent gifts, with what they spent.")
class Supporter:
    account_id: strawberry.Private[int]
    coins: int = strawberry.field(description="Coins spent on gifts.")
    gifts: int = strawberry.field(description="Gifts sent (quantities added up).")

    @strawberry.field(description="Who sent them.")
    async def account(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.account_id)

    @classmethod
    def of(cls, supporter: gifting.Supporter) -> Supporter:
        return cls(account_id=supporter.account_id, coins=supporter.coins, gifts=supporter.gifts)


@strawberry.type(description="What a LIVE has received in gifts so far.")
class LiveGiftTotals:
    gifts: int = strawberry.field(description="Gifts received (quantities added up).")
    coins: int = strawberry.field(description="Coins viewers spent.")
    diamonds: int = strawberry.field(description="Diamonds the creator earned.")


@strawberry.type(
    description="A LIVE stream. Anyone may see it, except a private creator's LIVE: only the "
    "followers they approved (and the creator and staff) see that."
)
class LiveStream(Node):
    model: strawberry.Private[models.LiveStream]
    title: str = strawberry.field(description="1 to 150 characters.")
    status: LiveStatus = strawberry.field(  # type: ignore[valid-type]
        description="On air or ended."
    )
    started_at: datetime = strawberry.field(description="When it went on air (UTC).")
    ended_at: datetime | None = strawberry.field(
        description="When it ended (UTC); null while on air."
    )

    @classmethod
    def from_model(cls, model: models.LiveStream) -> LiveStream:
        return cls(
            db_id=model.id,
            model=model,
            title=model.title,
            status=model.status,
            started_at=model.started_at,
            ended_at=model.ended_at,
        )

    @strawberry.field(description="Who is streaming.")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(description="People watching now.")
    async def viewer_count(self, info: Info[Context, None]) -> int:
        return int(await info.context.loaders.live_viewer_count.load(self.db_id))

    @strawberry.field(description="Gifts received during this LIVE.")
    async def gift_totals(self, info: Info[Context, None]) -> LiveGiftTotals:
        gifts, coins, diamonds = await info.context.loaders.live_gift_totals.load(self.db_id)
        return LiveGiftTotals(gifts=gifts, coins=coins, diamonds=diamonds)

    @strawberry.field(description="Who sent the most coins' worth of gifts during this LIVE.")
    async def top_gifters(
        self, info: Info[Context, None], first: SupportersFirst = 10
    ) -> list[Supporter]:
        limit = supporters_limit(first)
        found = await info.context.read(
            lambda s: gifting.top_supporters(s, live_id=self.db_id, limit=limit)
        )
        return [Supporter.of(s) for s in found]


@strawberry.type(
    description="A gift (times a quantity) sent to a LIVE or a video. The sender, the creator "
    "and staff see it; a gift sent to a LIVE is also seen by everyone who can see that LIVE."
)
class GiftSent(Node):
    model: strawberry.Private[models.GiftSend]
    quantity: int = strawberry.field(
        description="How many of the gift were sent at once (1 to 99)."
    )
    coins: int = strawberry.field(description="Coins the sender spent.")
    diamonds: int = strawberry.field(description="Diamonds the creator received.")
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")

    @classmethod
    def from_model(cls, model: models.GiftSend) -> GiftSent:
        return cls(
            db_id=model.id,
            model=model,
            quantity=model.quantity,
            coins=model.coins,
            diamonds=model.diamonds,
            created_at=model.created_at,
        )

    @strawberry.field(description="Which gift from the catalog.")
    async def gift(self, info: Info[Context, None]) -> Gift:
        return Gift.from_model(await info.context.loaders.gift.load(self.model.gift_id))

    @strawberry.field(description="Who sent it.")
    async def sender(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.sender_id)

    @strawberry.field(description="Who received it (their diamonds grew).")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(description="The LIVE the gift was sent to (null if you cannot see it).")
    async def live(self, info: Info[Context, None]) -> LiveStream | None:
        if self.model.live_id is None:
            return None
        from reelpay.graphql.node import resolve_visible_live

        return await resolve_visible_live(info, self.model.live_id)  # type: ignore[return-value]

    @strawberry.field(description="The video the gift was sent to (null if you cannot see it).")
    async def video(self, info: Info[Context, None]) -> Video | None:
        if self.model.video_id is None:
            return None
        from reelpay.graphql.node import resolve_visible_video

        return await resolve_visible_video(info, self.model.video_id)


@strawberry.type(
    description="A tip: the whole amount goes to the creator. The tipper, the creator and staff "
    "see it."
)
class Tip(Node):
    model: strawberry.Private[models.Tip]
    amount: Money = strawberry.field(description="What the creator received (USD, 1.00 to 100.00).")
    method: TipMethod = strawberry.field(  # type: ignore[valid-type]
        description="How it was paid."
    )
    coins: int | None = strawberry.field(description="Coins paid, when paid with coins.")
    is_anonymous: bool = strawberry.field(
        description="Whether the tipper's name is hidden from everyone but the tipper and staff."
    )
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")

    @classmethod
    def from_model(cls, model: models.Tip) -> Tip:
        return cls(
            db_id=model.id,
            model=model,
            amount=Money.usd(model.amount_cents),
            method=model.method,
            coins=model.coins,
            is_anonymous=model.is_anonymous,
            created_at=model.created_at,
        )

    @strawberry.field(description="Who was tipped.")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(
        description="Who tipped; null for anonymous tips, except to the tipper and staff."
    )
    async def tipper(self, info: Info[Context, None]) -> Account | None:
        if self.model.is_anonymous:
            viewer = await info.context.viewer()
            if viewer is None or (viewer.id != self.model.tipper_id and not viewer.is_staff):
                return None
        return await _account(info, self.model.tipper_id)


async def resolve_gift_sent(info: Info[Context, None], pk: int) -> GiftSent | None:
    """A gift sent, for `node(id:)`: its sender, its creator and staff see it, and so does
    everyone who can see the LIVE it was sent to (`liveEvents` shows it to them)."""
    from reelpay.graphql.node import resolve_visible_live

    found = (await info.context.read(lambda s: gifting.gift_sends_by_ids(s, [pk]))).get(pk)
    if found is None:
        return None
    viewer = await info.context.viewer()
    if viewer is not None and (viewer.id in (found.sender_id, found.creator_id) or viewer.is_staff):
        return GiftSent.from_model(found)
    if found.live_id is not None and await resolve_visible_live(info, found.live_id) is not None:
        return GiftSent.from_model(found)
    return None


async def resolve_tip(info: Info[Context, None], pk: int) -> Tip | None:
    """A tip, for `node(id:)`: the tipper (from `sendTip`), the creator (`tipsReceived`) and
    staff see it."""
    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = (await info.context.read(lambda s: gifting.tips_by_ids(s, [pk]))).get(pk)
    if found is None:
        return None
    if viewer.id not in (found.tipper_id, found.creator_id) and not viewer.is_staff:
        return None
    return Tip.from_model(found)
