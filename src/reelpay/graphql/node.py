"""`node(id:)` and `nodes(ids:)`: every type is authorised here exactly as on its other paths."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from reelpay.content.visibility import ContentAccess, can_see_video
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.relay import InvalidId, Node, decode_id


async def _account(info: Info[Context, None], pk: int) -> Node | None:
    model = await info.context.loaders.account.load(pk)
    return Account.from_model(model) if model else None


async def resolve_visible_video(info: Info[Context, None], pk: int) -> Video | None:
    """A video, or None when it is missing, deleted or hidden from the viewer."""
    model = await info.context.loaders.video.load(pk)
    if model is None:
        return None
    access = await info.context.loaders.access.load(model.owner_id)
    return Video.from_model(model) if can_see_video(access, model) else None


async def _video(info: Info[Context, None], pk: int) -> Node | None:
    return await resolve_visible_video(info, pk)


async def _gift(info: Info[Context, None], pk: int) -> Node | None:
    from reelpay.graphql.gifting.types import Gift

    model = await info.context.loaders.gift.load(pk)
    return Gift.from_model(model) if model is not None and model.is_active else None


async def resolve_visible_live(info: Info[Context, None], pk: int) -> Node | None:
    """A LIVE, or None when missing or its creator is private and has not approved the viewer."""
    from reelpay.graphql.gifting.types import LiveStream

    model = await info.context.loaders.live.load(pk)
    if model is None:
        return None
    if await info.context.loaders.access.load(model.creator_id) is ContentAccess.NONE:
        return None
    return LiveStream.from_model(model)


async def _coin_package(info: Info[Context, None], coins: int) -> Node | None:
    from reelpay.graphql.payments.types import CoinPackage

    for package in info.context.settings.coin_packages:
        if package.coins == coins:
            return CoinPackage.of(package)
    return None


async def _program_application(info: Info[Context, None], pk: int) -> Node | None:
    """The applicant and staff see an application."""
    from reelpay.graphql.programs.types import ProgramApplication
    from reelpay.programs import service as programs

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = (await info.context.read(lambda s: programs.applications_by_ids(s, [pk]))).get(pk)
    if found is None or (found.account_id != viewer.id and not viewer.is_staff):
        return None
    return ProgramApplication.from_model(found)


async def _notification(info: Info[Context, None], pk: int) -> Node | None:
    """Only the person notified sees a notification."""
    from reelpay.graphql.programs.types import Notification
    from reelpay.notifications.models import Notification as NotificationModel

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = await info.context.read(lambda s: s.get(NotificationModel, pk))
    if found is None or found.account_id != viewer.id:
        return None
    return Notification.from_model(found)


async def _visible_series_model(info: Info[Context, None], series_id: int) -> Any:
    """Through the loaders: the purchase and the creator read here serve the fields below."""
    from reelpay.series import access

    loaders = info.context.loaders
    series = await loaders.series.load(series_id)
    if series is None:
        return None
    viewer = await info.context.viewer()
    purchase = await loaders.viewer_series_purchase.load(series_id)
    visible = access.can_see_series(viewer, series, purchase)
    if visible is None:
        visible = await loaders.access.load(series.creator_id) is not ContentAccess.NONE
    return series if visible else None


async def _series(info: Info[Context, None], pk: int) -> Node | None:
    from reelpay.graphql.series.types import Series

    model = await _visible_series_model(info, pk)
    return Series.from_model(model) if model is not None else None


async def _series_episode(info: Info[Context, None], pk: int) -> Node | None:
    """Episode metadata goes with its Series; the content is in `playback`, checked there."""
    from reelpay.graphql.series.types import SeriesEpisode
    from reelpay.series import service as series_service

    episode = (await info.context.read(lambda s: series_service.episodes_by_ids(s, [pk]))).get(pk)
    if episode is None:
        return None
    series = await _visible_series_model(info, episode.series_id)
    return SeriesEpisode.from_model(episode, series) if series is not None else None


async def _series_purchase(info: Info[Context, None], pk: int) -> Node | None:
    """The buyer and staff see a purchase."""
    from reelpay.graphql.series.types import SeriesPurchase
    from reelpay.series import purchases as sales

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = (await info.context.read(lambda s: sales.purchases_by_ids(s, [pk]))).get(pk)
    if found is None or (found.buyer_id != viewer.id and not viewer.is_staff):
        return None
    return SeriesPurchase.from_model(found)


async def _payout(info: Info[Context, None], pk: int) -> Node | None:
    """The creator and staff see a payout."""
    from reelpay.graphql.payouts.types import Payout
    from reelpay.payouts import service as payouts

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = (await info.context.read(lambda s: payouts.payouts_by_ids(s, [pk]))).get(pk)
    if found is None or (found.creator_id != viewer.id and not viewer.is_staff):
        return None
    return Payout.from_model(found)


async def _payout_method(info: Info[Context, None], pk: int) -> Node | None:
    """The owner and staff see a payout method (masked), removed ones included."""
    from reelpay.graphql.payouts.types import PayoutMethod

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    found = await info.context.loaders.payout_method.load(pk)
    if found is None or (found.account_id != viewer.id and not viewer.is_staff):
        return None
    return PayoutMethod.from_model(found)


def _lazy(module: str, name: str) -> Callable[[Info[Context, None], int], Awaitable[Node | None]]:
    """A resolver defined beside its type (authorised there, as on the type's other paths)."""

    async def resolve(info: Info[Context, None], pk: int) -> Node | None:
        found: Node | None = await getattr(importlib.import_module(module), name)(info, pk)
        return found

    return resolve


RESOLVERS: dict[str, Callable[[Info[Context, None], int], Awaitable[Node | None]]] = {
    "Wallet": _lazy("reelpay.graphql.wallet.types", "resolve_wallet"),
    "CoinPurchase": _lazy("reelpay.graphql.payments.types", "resolve_coin_purchase"),
    "PendingCardPayment": _lazy("reelpay.graphql.payments.types", "resolve_pending_card_payment"),
    "GiftSent": _lazy("reelpay.graphql.gifting.types", "resolve_gift_sent"),
    "Tip": _lazy("reelpay.graphql.gifting.types", "resolve_tip"),
    "Account": _account,
    "Video": _video,
    "Gift": _gift,
    "LiveStream": resolve_visible_live,
    "CoinPackage": _coin_package,
    "ProgramApplication": _program_application,
    "Notification": _notification,
    "Series": _series,
    "SeriesEpisode": _series_episode,
    "SeriesPurchase": _series_purchase,
    "Payout": _payout,
    "PayoutMethod": _payout_method,
    "CreatorPayouts": _lazy("reelpay.graphql.payouts.types", "creator_payouts_node"),
    "PayoutForecast": _lazy("reelpay.graphql.payouts.types", "forecast_node"),
    "PayoutScheduleInfo": _lazy("reelpay.graphql.payouts.types", "schedule_node"),
    "PayoutAccount": _lazy("reelpay.graphql.payouts.connect", "payout_account_node"),
    "Enrolment": _lazy("reelpay.graphql.programs.types", "enrolment_node"),
    "ProgramEligibility": _lazy("reelpay.graphql.programs.types", "eligibility_node"),
    "MonetizationOption": _lazy("reelpay.graphql.programs.types", "monetization_node"),
    "ProgramTerms": _lazy("reelpay.graphql.programs.types", "program_terms_node"),
    "VideoOriginalityFlag": _lazy("reelpay.graphql.content.originality", "flag_node"),
    "Campaign": _lazy("reelpay.graphql.marketplace.types", "resolve_campaign"),
    "CampaignProposal": _lazy("reelpay.graphql.marketplace.deals", "resolve_proposal"),
    "Deal": _lazy("reelpay.graphql.marketplace.deals", "resolve_deal"),
    "Dispute": _lazy("reelpay.graphql.marketplace.deals", "resolve_dispute"),
    "ChallengeEntry": _lazy("reelpay.graphql.marketplace.challenges", "resolve_entry"),
}


async def resolve_node(info: Info[Context, None], global_id: str, argument: str) -> Node | None:
    """The object behind a global ID, or null when it does not exist or is not yours to see."""
    type_name, pk = decode_id(global_id, (argument,))
    resolver = RESOLVERS.get(type_name)
    if resolver is None:
        raise InvalidId(f"{global_id[:64]!r} is not a valid ID.", field=(argument,))
    return await resolver(info, pk)
