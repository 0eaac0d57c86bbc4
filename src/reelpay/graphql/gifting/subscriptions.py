"""Live events over graphql-transport-ws: a LIVE's gifts, joins and end; your wallet's changes.

Each event is a notification carrying IDs; the subscription reads what it shows from the
database with a short-lived session, so a long subscription holds no connection while it waits.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay import events
from reelpay.errors import NotFound
from reelpay.gifting import service as gifting
from reelpay.gifting.models import LiveStatus
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.gifting.types import GiftSent, LiveStream
from reelpay.graphql.node import resolve_visible_live
from reelpay.graphql.relay import decode_id_of
from reelpay.graphql.wallet.types import Asset, TransactionKind, Wallet
from reelpay.wallet import models


@strawberry.type(description="Someone sent a gift to the LIVE.")
class LiveGiftEvent:
    live: LiveStream = strawberry.field(description="The LIVE, with its totals after the gift.")
    gift: GiftSent = strawberry.field(description="The gift sent.")


@strawberry.type(description="Someone joined the LIVE.")
class LiveViewerJoinedEvent:
    live: LiveStream = strawberry.field(description="The LIVE joined.")
    viewer: Account = strawberry.field(description="Who joined.")
    viewer_count: int = strawberry.field(description="People watching now, the newcomer included.")


@strawberry.type(description="The LIVE ended; the subscription completes after this event.")
class LiveEndedEvent:
    live: LiveStream = strawberry.field(description="The LIVE, now ENDED.")


LiveEvent = Annotated[
    LiveGiftEvent | LiveViewerJoinedEvent | LiveEndedEvent,
    strawberry.union("LiveEvent", description="Something that happened on a LIVE."),
]


@strawberry.type(description="One of your balances changed.")
class WalletEvent:
    kind: TransactionKind = strawberry.field(  # type: ignore[valid-type]
        description="Why it changed."
    )
    asset: Asset = strawberry.field(  # type: ignore[valid-type]
        description="Which balance changed, and so the unit of `amount`."
    )
    amount: int = strawberry.field(description="Signed change (coins, diamonds or US cents).")
    balance_after: int = strawberry.field(description="That balance right after the change.")
    wallet: Wallet = strawberry.field(
        description="Your wallet as it is when the event is sent (same `id` as `viewer.wallet`)."
    )


async def _live(info: Info[Context, None], live_id: int) -> LiveStream:
    live = await resolve_visible_live(info, live_id)
    if live is None:
        raise NotFound("No such LIVE.", field=("liveId",))
    assert isinstance(live, LiveStream)
    return live


async def _live_event(
    info: Info[Context, None], live_id: int, payload: dict[str, Any]
) -> LiveGiftEvent | LiveViewerJoinedEvent | LiveEndedEvent | None:
    ctx = info.context
    kind = payload.get("type")
    live = await _live(info, live_id)
    if kind == "GIFT":
        found = await ctx.read(lambda s: gifting.gift_sends_by_ids(s, [payload["giftSendId"]]))
        sent = found.get(payload["giftSendId"])
        return LiveGiftEvent(live=live, gift=GiftSent.from_model(sent)) if sent else None
    if kind == "VIEWER_JOINED":
        account = await ctx.loaders.account.load(payload["accountId"])
        count = await ctx.loaders.live_viewer_count.load(live_id)
        if account is None:
            return None
        return LiveViewerJoinedEvent(
            live=live, viewer=Account.from_model(account), viewer_count=int(count)
        )
    if kind == "LIVE_ENDED":
        return LiveEndedEvent(live=live)
    return None


# A quiet LIVE is checked this often, in case its end was missed (events are notifications).
LIVE_RECHECK_SECONDS = 30.0


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description="Gifts, viewers joining and the end of one LIVE; completes when it ends. "
        "Ends with an EVENTS_LOST error if events were lost (subscribe again)."
    )
    async def live_events(
        self,
        info: Info[Context, None],
        live_id: Annotated[
            strawberry.ID, strawberry.argument(description="The `LiveStream` ID to follow.")
        ],
    ) -> AsyncGenerator[LiveEvent, None]:
        ctx = info.context
        pk = decode_id_of(live_id, "LiveStream", ("liveId",))
        # Subscribe before looking: an event between the look and the subscription is not lost.
        async with ctx.services.broker.subscribe(events.live_channel(pk)) as subscriber:
            live = await _live(info, pk)
            while live.status is not LiveStatus.ENDED:
                await ctx.release(new_instant=True)
                payload = await subscriber.next(quiet_seconds=LIVE_RECHECK_SECONDS)
                if payload is None:
                    live = await _live(info, pk)
                    continue
                event = await _live_event(info, pk, payload)
                if isinstance(event, LiveEndedEvent):
                    break
                if event is not None:
                    yield event
            yield LiveEndedEvent(live=await _live(info, pk))

    @strawberry.subscription(
        description="Changes to your coin, diamond and earnings balances. Ends with "
        "UNAUTHENTICATED when your session is revoked, EVENTS_LOST if events were lost."
    )
    async def wallet_events(self, info: Info[Context, None]) -> AsyncGenerator[WalletEvent, None]:
        # closed with the subscription, so its broker subscription ends at once
        async with aclosing(info.context.own_events(events.wallet_channel)) as stream:
            async for viewer, payload in stream:
                yield WalletEvent(
                    kind=models.TransactionKind(payload["kind"]),
                    asset=models.Asset(payload["asset"]),
                    amount=payload["amount"],
                    balance_after=payload["balanceAfter"],
                    wallet=await Wallet.load(info, viewer.id),
                )
