"""Per-request DataLoaders: a page of N items costs a fixed number of SQL queries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import cached_property, partial
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.content import originality
from reelpay.content import service as content
from reelpay.content.models import Follow, Video
from reelpay.content.visibility import ContentAccess, content_access
from reelpay.enums import FollowStatus
from reelpay.gifting import live as lives
from reelpay.gifting import service as gifting
from reelpay.graphql.context import Context, shielded
from reelpay.marketplace import brands as marketplace_brands
from reelpay.marketplace import browse as marketplace_browse
from reelpay.marketplace import deal_reads as marketplace_deal_reads
from reelpay.marketplace import disputes as marketplace_disputes
from reelpay.pagination import Page, PageRequest
from reelpay.payouts import methods as payout_methods
from reelpay.programs import terms as programs_terms
from reelpay.programs.models import Program, ProgramTerms
from reelpay.series import purchases as series_sales
from reelpay.series import service as series_service

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class Loader(DataLoader[K, V]):
    """A DataLoader whose futures survive a cancelled caller.

    Fields asking for the same key share one cached future, and graphql-core cancels the
    siblings of a non-null field that fails: awaiting the future directly would cancel it for
    every other field too. Each caller awaits it through a shield of its own, and the operation
    tracks the future until it settles (its session closes only after).
    """

    def __init__(
        self,
        load_fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]],
        *,
        track: Callable[[asyncio.Future[Any]], None],
    ) -> None:
        super().__init__(load_fn)
        self._track = track

    def load(self, key: K) -> Awaitable[V]:
        future = super().load(key)
        self._track(future)  # type: ignore[arg-type]
        return shielded(future)  # type: ignore[arg-type]

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        """Many keys through one shield (a page of 100 keys asked for 100 shields, a fifth of
        a page's time); the operation tracks them as one until all have settled."""
        every = asyncio.gather(*map(super().load, keys), return_exceptions=True)
        self._track(every)
        values = await shielded(every)
        for value in values:
            if isinstance(value, BaseException):
                raise value
        return cast("list[V]", values)


def _by_id(
    fetch: Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, Any]]],
) -> cached_property[DataLoader[int, Any]]:
    """A loader of `fetch`'s values by id, built on first use."""
    return cached_property(lambda self: self._by_id(fetch))


class Loaders:
    """Every loader an operation may use, each built the first time it is asked for (an
    operation uses a few of them)."""

    account = _by_id(accounts.accounts_by_ids)
    video = _by_id(content.videos_by_ids)
    follow_counts = _by_id(content.follow_counts)
    follow_request_count = _by_id(content.follow_request_counts)
    pinned_videos = _by_id(content.pinned_videos_by_account)
    live = _by_id(lives.lives_by_ids)
    current_live_id = _by_id(lives.current_live_ids)
    live_viewer_count = _by_id(lives.viewer_counts)
    live_gift_totals = _by_id(lives.gift_totals)
    gift = _by_id(gifting.gifts_by_ids)
    series = _by_id(series_service.series_by_ids)
    series_episodes = _by_id(series_service.episodes_by_series)
    series_rating = _by_id(series_sales.ratings)
    payout_method = _by_id(payout_methods.methods_by_ids)
    program_terms = _by_id(programs_terms.terms_by_ids)
    originality_flags = _by_id(originality.flags_by_video)
    # Creator Marketplace
    campaign = _by_id(marketplace_browse.campaigns_by_ids)
    campaign_slots_taken = _by_id(marketplace_browse.slots_taken)
    campaign_deals = _by_id(marketplace_browse.deals_by_campaign)
    brand_profile = _by_id(marketplace_brands.brand_profiles_by_ids)
    creator_categories = _by_id(marketplace_brands.creator_categories_by_ids)
    deal = _by_id(marketplace_deal_reads.deals_by_ids)
    proposal = _by_id(marketplace_deal_reads.proposals_by_ids)
    deal_by_proposal = _by_id(marketplace_deal_reads.deals_by_proposal)
    deliverables = _by_id(marketplace_deal_reads.deliverables_by_deal)
    paid_partnership = _by_id(marketplace_deal_reads.partnerships_by_video)
    dispute = _by_id(marketplace_disputes.disputes_by_ids)
    deal_disputes = _by_id(marketplace_disputes.disputes_by_deal)
    campaign_deal_count = _by_id(marketplace_deal_reads.campaign_deal_counts)

    def __init__(self, context: Context) -> None:
        self._ctx = context

    @cached_property
    def current_program_terms(self) -> DataLoader[Program, ProgramTerms | None]:
        async def load(programs: list[Program]) -> list[ProgramTerms | None]:
            found = await self._ctx.read(lambda s: programs_terms.current_by_programs(s, programs))
            return [found.get(p) for p in programs]

        return self._loader(load)

    @cached_property
    def viewer_campaign_involvement(self) -> DataLoader[int, bool]:
        """Whether the viewer has a proposal (or deal) in each campaign."""

        async def load(ids: list[int]) -> list[bool]:
            viewer = await self._ctx.viewer()
            if viewer is None:
                return [False] * len(ids)
            found = await self._ctx.read(
                lambda s: marketplace_browse.involvement(s, viewer.id, ids)
            )
            return [found[i] for i in ids]

        return self._loader(load)

    @cached_property
    def campaign_deal_page(self) -> DataLoader[tuple[int, PageRequest], Page[Any]]:
        """The same page of many campaigns' deals (key: campaign id, page)."""

        async def load(keys: list[tuple[int, PageRequest]]) -> list[Page[Any]]:
            pages: dict[tuple[int, PageRequest], Page[Any]] = {}
            for request in dict.fromkeys(r for _, r in keys):
                ids = list(dict.fromkeys(c for c, r in keys if r == request))
                found = await self._ctx.read(
                    partial(marketplace_deal_reads.campaign_deal_pages, campaign_ids=ids,
                            request=request)
                )  # fmt: skip
                pages.update({(c, request): page for c, page in found.items()})
            return [pages[key] for key in keys]

        return self._loader(load)

    @cached_property
    def campaign_proposal_page(self) -> DataLoader[tuple[int, Any, PageRequest], Page[Any]]:
        """The same page of many campaigns' proposals (key: campaign id, status or None,
        page)."""

        async def load(keys: list[tuple[int, Any, PageRequest]]) -> list[Page[Any]]:
            pages: dict[tuple[int, Any, PageRequest], Page[Any]] = {}
            for status, request in dict.fromkeys((s, r) for _, s, r in keys):
                ids = list(dict.fromkeys(c for c, s, r in keys if (s, r) == (status, request)))
                found = await self._ctx.read(
                    partial(marketplace_deal_reads.campaign_proposal_pages, campaign_ids=ids,
                            request=request, status=status)
                )  # fmt: skip
                pages.update({(c, status, request): page for c, page in found.items()})
            return [pages[key] for key in keys]

        return self._loader(load)

    @cached_property
    def campaign_proposal_count(self) -> DataLoader[tuple[int, Any], int]:
        """How many proposals each campaign has (key: campaign id, status or None)."""

        async def load(keys: list[tuple[int, Any]]) -> list[int]:
            counts: dict[tuple[int, Any], int] = {}
            for status in dict.fromkeys(s for _, s in keys):
                ids = list(dict.fromkeys(c for c, s in keys if s == status))
                found = await self._ctx.read(
                    partial(marketplace_deal_reads.campaign_proposal_counts, campaign_ids=ids,
                            status=status)
                )  # fmt: skip
                counts.update({(c, status): n for c, n in found.items()})
            return [counts[key] for key in keys]

        return self._loader(load)

    @cached_property
    def viewer_follow_status(self) -> DataLoader[int, FollowStatus | None]:
        return self._loader(self._viewer_follow_statuses)

    @cached_property
    def access(self) -> DataLoader[int, ContentAccess]:
        return self._loader(self._access)

    @cached_property
    def video_page(self) -> DataLoader[tuple[int, PageRequest], Page[Video]]:
        return self._loader(self._video_pages)

    @cached_property
    def video_count(self) -> DataLoader[int, int]:
        return self._loader(self._video_counts)

    @cached_property
    def follower_page(self) -> DataLoader[tuple[int, PageRequest], Page[Follow]]:
        return self._follow_pages("followee", FollowStatus.ACCEPTED)

    @cached_property
    def following_page(self) -> DataLoader[tuple[int, PageRequest], Page[Follow]]:
        return self._follow_pages("follower", FollowStatus.ACCEPTED)

    @cached_property
    def follow_request_page(self) -> DataLoader[tuple[int, PageRequest], Page[Follow]]:
        return self._follow_pages("followee", FollowStatus.PENDING)

    @cached_property
    def viewer_series_purchase(self) -> DataLoader[int, Any]:
        return self._loader(self._viewer_series_purchases)

    @cached_property
    def views_in_window(self) -> DataLoader[int, Any]:
        ctx = self._ctx
        return self._by_id(
            lambda s, ids: content.views_in_window(
                s, ids, today=ctx.now.date(), rules=ctx.settings.rules
            )
        )

    @cached_property
    def public_posts_in_window(self) -> DataLoader[int, Any]:
        ctx = self._ctx
        return self._by_id(
            lambda s, ids: content.public_posts_in_window(
                s, ids, now=ctx.now, rules=ctx.settings.rules
            )
        )

    @cached_property
    def challenges(self) -> Any:
        """Sponsored challenges' and commission reports' loaders (their own module's)."""
        from reelpay.graphql.marketplace.challenges import ChallengeLoaders

        return ChallengeLoaders(self._ctx)

    def _loader(self, load: Callable[[list[Any]], Awaitable[Sequence[Any]]]) -> Loader[Any, Any]:
        return Loader(load, track=self._ctx.track)

    def _by_id(
        self, fetch: Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, Any]]]
    ) -> DataLoader[int, Any]:
        async def load(ids: list[int]) -> list[Any]:
            found = await self._ctx.read(lambda s: fetch(s, ids))
            return [found.get(i) for i in ids]

        return self._loader(load)

    async def _viewer_follow_statuses(self, ids: list[int]) -> list[FollowStatus | None]:
        viewer = await self._ctx.viewer()
        if viewer is None:
            return [None] * len(ids)
        found = await self._ctx.read(lambda s: content.follow_statuses(s, viewer.id, ids))
        return [found.get(i) for i in ids]

    async def _viewer_series_purchases(self, series_ids: list[int]) -> list[Any]:
        viewer = await self._ctx.viewer()
        if viewer is None:
            return [None] * len(series_ids)
        found = await self._ctx.read(
            lambda s: series_sales.purchase_statuses(s, viewer.id, series_ids)
        )
        return [found.get(i) for i in series_ids]

    async def _access(self, owner_ids: list[int]) -> list[ContentAccess]:
        viewer = await self._ctx.viewer()
        owners = await self.account.load_many(owner_ids)
        statuses = await self.viewer_follow_status.load_many(owner_ids)
        return [
            ContentAccess.NONE if owner is None else content_access(viewer, owner, status)
            for owner, status in zip(owners, statuses, strict=True)
        ]

    async def _access_by_owner(self, owner_ids: Sequence[int]) -> dict[int, ContentAccess]:
        unique = list(dict.fromkeys(owner_ids))
        return dict(zip(unique, await self.access.load_many(unique), strict=True))

    async def _video_pages(self, keys: list[tuple[int, PageRequest]]) -> list[Page[Video]]:
        pages: dict[tuple[int, PageRequest], Page[Video]] = {}
        for request in dict.fromkeys(r for _, r in keys):
            owners = [o for o, r in keys if r == request]
            access = await self._access_by_owner(owners)
            found = await self._ctx.read(
                partial(content.video_pages, access_by_owner=access, request=request)
            )
            pages.update({(o, request): page for o, page in found.items()})
        return [pages[key] for key in keys]

    async def _video_counts(self, owner_ids: list[int]) -> list[int]:
        access = await self._access_by_owner(owner_ids)
        found = await self._ctx.read(lambda s: content.video_counts(s, access))
        return [found[o] for o in owner_ids]

    def _follow_pages(
        self, of: str, status: FollowStatus
    ) -> DataLoader[tuple[int, PageRequest], Page[Follow]]:
        async def load(keys: list[tuple[int, PageRequest]]) -> list[Page[Follow]]:
            pages: dict[tuple[int, PageRequest], Page[Follow]] = {}
            for request in dict.fromkeys(r for _, r in keys):
                ids = list(dict.fromkeys(a for a, r in keys if r == request))
                found = await self._ctx.read(
                    partial(
                        content.follow_pages, of=of, account_ids=ids, request=request, status=status
                    )
                )
                pages.update({(a, request): page for a, page in found.items()})
            return [pages[key] for key in keys]

        return self._loader(load)


async def load_accounts(loaders: Loaders, ids: Sequence[int]) -> list[Account]:
    """Accounts in the order of `ids` (they exist: foreign keys guarantee it)."""
    found = await loaders.account.load_many(list(ids))
    return [a for a in found if a is not None]
