"""GraphQL types of accounts. Private fields resolve to null for anyone but the owner and staff."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay import dates
from reelpay.accounts.models import Account as AccountModel
from reelpay.accounts.switching import SwitchPreview
from reelpay.content import service as content
from reelpay.content.visibility import ContentAccess, can_see_video
from reelpay.errors import NotFound, PermissionDenied
from reelpay.graphql import notification_cursors
from reelpay.graphql.context import Context
from reelpay.graphql.enums import AccountType, FollowStatus, ProFeature, Role, Standing, Visibility
from reelpay.graphql.ranges import FromDay, ToDay
from reelpay.graphql.relay import (
    After,
    Before,
    Connection,
    First,
    Last,
    Node,
    connection,
    decode_id_of,
    page_request,
    paged,
)

if TYPE_CHECKING:
    from reelpay.graphql.content.types import AccountAnalytics, Video
    from reelpay.graphql.gifting.types import LiveStream, Supporter, Tip
    from reelpay.graphql.marketplace.deals import CampaignProposal, Deal, ProposalStatus
    from reelpay.graphql.marketplace.types import BrandProfile, Category
    from reelpay.graphql.payouts.types import CreatorPayouts
    from reelpay.graphql.programs.types import (
        Enrolment,
        MonetizationOption,
        NotificationConnection,
        Program,
        RewardsDay,
    )
    from reelpay.graphql.series.types import Series, SeriesPurchase
    from reelpay.graphql.wallet.types import Wallet

VideoRef = Annotated["Video", strawberry.lazy("reelpay.graphql.content.types")]
WalletRef = Annotated["Wallet", strawberry.lazy("reelpay.graphql.wallet.types")]
PayoutsRef = Annotated["CreatorPayouts", strawberry.lazy("reelpay.graphql.payouts.types")]
LiveRef = Annotated["LiveStream", strawberry.lazy("reelpay.graphql.gifting.types")]
SupporterRef = Annotated["Supporter", strawberry.lazy("reelpay.graphql.gifting.types")]
TipRef = Annotated["Tip", strawberry.lazy("reelpay.graphql.gifting.types")]
EnrolmentRef = Annotated["Enrolment", strawberry.lazy("reelpay.graphql.programs.types")]
MonetizationRef = Annotated["MonetizationOption", strawberry.lazy("reelpay.graphql.programs.types")]
NotificationsRef = Annotated[
    "NotificationConnection", strawberry.lazy("reelpay.graphql.programs.types")
]
RewardsDayRef = Annotated["RewardsDay", strawberry.lazy("reelpay.graphql.programs.types")]
SeriesRef = Annotated["Series", strawberry.lazy("reelpay.graphql.series.types")]
PurchaseRef = Annotated["SeriesPurchase", strawberry.lazy("reelpay.graphql.series.types")]
ProgramRef = Annotated["Program", strawberry.lazy("reelpay.graphql.programs.types")]  # type: ignore[valid-type]
AnalyticsRef = Annotated["AccountAnalytics", strawberry.lazy("reelpay.graphql.content.types")]
BrandProfileRef = Annotated["BrandProfile", strawberry.lazy("reelpay.graphql.marketplace.types")]
CategoryRef = Annotated["Category", strawberry.lazy("reelpay.graphql.marketplace.types")]  # type: ignore[valid-type]
DealRef = Annotated["Deal", strawberry.lazy("reelpay.graphql.marketplace.deals")]
ProposalRef = Annotated["CampaignProposal", strawberry.lazy("reelpay.graphql.marketplace.deals")]
ProposalStatusRef = Annotated[
    "ProposalStatus",  # type: ignore[valid-type]
    strawberry.lazy("reelpay.graphql.marketplace.deals"),
]

FOLLOW_KEY = (int,)
VIDEO_KEY = (datetime, int)
ACCOUNT_KEY = (int,)
TIP_KEY = (int,)
SERIES_KEY = (int,)


async def viewer_or_account_for_staff(
    info: Info[Context, None], account_id: strawberry.ID | None, what: str
) -> AccountModel:
    """The viewer's own account, or (staff only) the one `accountId` names: for queries about
    one account that staff may ask about anyone ("Only staff see other accounts' <what>.")."""
    ctx = info.context
    viewer = await ctx.require_viewer()
    if account_id is None:
        return viewer
    pk = decode_id_of(account_id, "Account", ("accountId",))
    if pk == viewer.id:
        return viewer
    if not viewer.is_staff:
        raise PermissionDenied(f"Only staff see other accounts' {what}.")
    found = await ctx.loaders.account.load(pk)
    if found is None:
        raise NotFound("No such account.", field=("accountId",))
    return found  # type: ignore[no-any-return]


async def _is_self_or_staff(info: Info[Context, None], account_id: int) -> bool:
    viewer = await info.context.viewer()
    return viewer is not None and (viewer.id == account_id or viewer.is_staff)


@strawberry.type(description="A person's or brand's account: its public profile and audience.")
class Account(Node):
    model: strawberry.Private[AccountModel]
    handle: str = strawberry.field(
        description="Unique name shown as @handle: 2 to 24 letters, digits, '_' or '.', unique "
        "ignoring case."
    )
    display_name: str = strawberry.field(description="The name people see, 1 to 50 characters.")
    bio: str = strawberry.field(description="Profile text, up to 300 characters; may be empty.")
    avatar_url: str | None = strawberry.field(
        description="An http(s) URL of the profile picture; null when none is set."
    )
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")
    visibility: Visibility = strawberry.field(  # type: ignore[valid-type]
        description="PRIVATE: only approved followers (and the owner and staff) see its videos "
        "and follow lists; the profile fields stay visible to everyone."
    )
    account_type: AccountType = strawberry.field(  # type: ignore[valid-type]
        description="PERSONAL, or BUSINESS (pro)."
    )
    is_political: bool = strawberry.field(
        description="Set by staff for government and political accounts."
    )
    created_at: datetime = strawberry.field(description="When the account was created (UTC).")

    @classmethod
    def from_model(cls, model: AccountModel) -> Account:
        return cls(
            db_id=model.id,
            model=model,
            handle=model.handle,
            display_name=model.display_name,
            bio=model.bio,
            avatar_url=model.avatar_url,
            country=model.country,
            visibility=model.visibility,
            account_type=model.account_type,
            is_political=model.is_political,
            created_at=model.created_at,
        )

    @strawberry.field(description="Shown on pro (BUSINESS) accounts only.")
    def website_url(self) -> str | None:
        return self.model.website_url if self.model.is_business else None

    @strawberry.field(description="Public contact email; shown on pro (BUSINESS) accounts only.")
    def contact_email(self) -> str | None:
        return self.model.contact_email if self.model.is_business else None

    @strawberry.field(
        description="The brand behind a BUSINESS account that runs campaigns (its name, website "
        "and category); null for any other account."
    )
    async def brand_profile(self, info: Info[Context, None]) -> BrandProfileRef | None:
        if not self.model.is_business:
            return None
        from reelpay.graphql.marketplace.types import BrandProfile

        found = await info.context.loaders.brand_profile.load(self.db_id)
        return BrandProfile.from_model(found) if found is not None else None

    @strawberry.field(
        description="The categories the account makes videos in (0 to 3, set with "
        "`setMarketplaceCategories`); campaigns may require one of them. Public."
    )
    async def marketplace_categories(self, info: Info[Context, None]) -> list[CategoryRef]:
        found: list[CategoryRef] = await info.context.loaders.creator_categories.load(self.db_id)
        return found

    @strawberry.field(description="Login email. Only the owner and staff see it.")
    async def email(self, info: Info[Context, None]) -> str | None:
        return self.model.email if await _is_self_or_staff(info, self.db_id) else None

    @strawberry.field(description="Only the owner and staff see it.")
    async def birth_date(self, info: Info[Context, None]) -> date | None:
        return self.model.birth_date if await _is_self_or_staff(info, self.db_id) else None

    @strawberry.field(description="Only the owner and staff see it.")
    async def standing(self, info: Info[Context, None]) -> Standing | None:  # type: ignore[valid-type]
        return self.model.standing if await _is_self_or_staff(info, self.db_id) else None

    @strawberry.field(description="Only the owner and staff see it.")
    async def role(self, info: Info[Context, None]) -> Role | None:  # type: ignore[valid-type]
        return self.model.role if await _is_self_or_staff(info, self.db_id) else None

    @strawberry.field(description="Approved followers (exact).")
    async def follower_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.follow_counts.load(self.db_id)).followers

    @strawberry.field(description="Accounts this account follows (exact).")
    async def following_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.follow_counts.load(self.db_id)).following

    @strawberry.field(
        description="How the logged-in viewer relates to this account; null when anonymous "
        "or not following."
    )
    async def viewer_follow_status(self, info: Info[Context, None]) -> FollowStatus | None:  # type: ignore[valid-type]
        return await info.context.loaders.viewer_follow_status.load(self.db_id)

    @strawberry.field(
        description="Authentic views of this account's videos (see `Video.viewCount`) over the "
        "30 complete UTC days before today: what program eligibility counts. Only the owner "
        "and staff see it."
    )
    async def views_in_last_30_days(self, info: Info[Context, None]) -> int | None:
        if not await _is_self_or_staff(info, self.db_id):
            return None
        return int(await info.context.loaders.views_in_window.load(self.db_id))

    @strawberry.field(
        description="Public videos published in the last 30 days. Only the owner and staff see it."
    )
    async def public_posts_in_last_30_days(self, info: Info[Context, None]) -> int | None:
        if not await _is_self_or_staff(info, self.db_id):
            return None
        return int(await info.context.loaders.public_posts_in_window.load(self.db_id))

    @strawberry.field(
        description="Videos you may see, newest first; null when the account is private and "
        "has not approved you."
    )
    async def videos(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[VideoRef] | None:
        from reelpay.graphql.content.types import Video

        loaders = info.context.loaders
        if await loaders.access.load(self.db_id) is ContentAccess.NONE:
            return None
        request = page_request(
            info.context.settings.limits,
            VIDEO_KEY,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        page = await loaders.video_page.load((self.db_id, request))
        return connection(page, Video.from_model, lambda: loaders.video_count.load(self.db_id))

    @strawberry.field(
        description="Up to 3 pinned videos in the owner's order; empty on PERSONAL accounts "
        "(the pins are remembered and come back on switching to BUSINESS)."
    )
    async def pinned_videos(self, info: Info[Context, None]) -> list[VideoRef]:
        from reelpay.graphql.content.types import Video

        if not self.model.is_business:
            return []
        loaders = info.context.loaders
        access = await loaders.access.load(self.db_id)
        videos = await loaders.pinned_videos.load(self.db_id)
        return [Video.from_model(v) for v in videos if can_see_video(access, v)]

    @strawberry.field(
        description="Approved followers, most recent first; null when the account is private "
        "and has not approved you."
    )
    async def followers(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Account] | None:
        return await _follow_connection(info, self.db_id, "followers", first, after, last, before)

    @strawberry.field(
        description="Accounts this account follows, most recent first; null when the account is "
        "private and has not approved you."
    )
    async def following(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Account] | None:
        return await _follow_connection(info, self.db_id, "following", first, after, last, before)

    @strawberry.field(
        description="Pending requests to follow this private account; only its owner sees them."
    )
    async def follow_requests(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Account] | None:
        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.db_id:
            return None
        return await _follow_connection(info, self.db_id, "requests", first, after, last, before)

    @strawberry.field(
        description="Views per day per video and follower growth over a range of UTC days "
        "(both ends included, at most 92 days, not after today; the last 30 days when `from` "
        "and `to` are left out). For the owner of a BUSINESS account only."
    )
    async def analytics(
        self,
        info: Info[Context, None],
        from_: FromDay = None,
        to: ToDay = None,
    ) -> AnalyticsRef:
        from reelpay.graphql.content.types import AccountAnalytics

        viewer = await info.context.require_viewer()
        if viewer.id != self.db_id:
            raise PermissionDenied("Only the account's owner sees its analytics.")
        ctx = info.context
        result = await ctx.read(
            lambda s: content.analytics(
                s, self.model, start=from_, end=to, today=ctx.now.date(), rules=ctx.settings.rules
            )
        )
        return AccountAnalytics.from_result(result)

    @strawberry.field(description="Coins, diamonds and earnings. Only the owner and staff see it.")
    async def wallet(self, info: Info[Context, None]) -> WalletRef | None:
        from reelpay.graphql.wallet.types import Wallet

        if not await _is_self_or_staff(info, self.db_id):
            return None
        return await Wallet.load(info, self.db_id)

    @strawberry.field(
        description="Payout methods, schedule, forecast and payouts. Only the owner and staff "
        "see them."
    )
    async def payouts(self, info: Info[Context, None]) -> PayoutsRef | None:
        from reelpay.graphql.payouts.types import CreatorPayouts

        if not await _is_self_or_staff(info, self.db_id):
            return None
        return CreatorPayouts.of(self.model)

    @strawberry.field(description="The LIVE this account is streaming now, if any.")
    async def current_live(self, info: Info[Context, None]) -> LiveRef | None:
        from reelpay.graphql.node import resolve_visible_live

        live_id = await info.context.loaders.current_live_id.load(self.db_id)
        if live_id is None:
            return None
        return await resolve_visible_live(info, live_id)  # type: ignore[return-value]

    @strawberry.field(
        description="Who sent this creator the most coins' worth of gifts, all time (at most "
        "100); null when the account is private and has not approved you."
    )
    async def top_supporters(
        self,
        info: Info[Context, None],
        first: Annotated[
            int, strawberry.argument(description="How many supporters: 1 to 100.")
        ] = 10,
    ) -> list[SupporterRef] | None:
        from reelpay.gifting import service as gifting
        from reelpay.graphql.gifting.types import Supporter, supporters_limit

        limit = supporters_limit(first)
        if await info.context.loaders.access.load(self.db_id) is ContentAccess.NONE:
            return None
        found = await info.context.read(
            lambda s: gifting.top_supporters(s, creator_id=self.db_id, limit=limit)
        )
        return [Supporter.of(x) for x in found]

    @strawberry.field(
        description="Tips this creator received, newest first. Only the creator and staff see "
        "them; an anonymous tip's tipper is shown to staff only."
    )
    async def tips_received(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TipRef] | None:
        from reelpay.gifting import service as gifting
        from reelpay.graphql.gifting.types import Tip

        if not await _is_self_or_staff(info, self.db_id):
            return None
        return await paged(
            info.context, TIP_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: gifting.tips_received(s, self.db_id, request),
            count=lambda s: gifting.tips_received_count(s, self.db_id),
            to_node=Tip.from_model,
        )  # fmt: skip

    @strawberry.field(
        description="Programs the account is enrolled in, and whether each is active or "
        "suspended. Only the owner and staff see them."
    )
    async def enrolments(self, info: Info[Context, None]) -> list[EnrolmentRef] | None:
        from reelpay.graphql.programs.types import enrolment_of
        from reelpay.programs import service as programs

        if not await _is_self_or_staff(info, self.db_id):
            return None
        found = await info.context.read(lambda s: programs.enrolments(s, self.db_id))
        return [enrolment_of(info.context, self.model, e) for e in found.values()]

    @strawberry.field(
        description="The Creator Next hub: every program's monetization, one entry per "
        "program, with its state (ACTIVE, PAUSED, ...) and why. Only the owner and staff see it."
    )
    async def monetization(self, info: Info[Context, None]) -> list[MonetizationRef] | None:
        from reelpay.graphql.programs.types import load_monetization

        if not await _is_self_or_staff(info, self.db_id):
            return None
        return await load_monetization(info, self.model)

    @strawberry.field(description="Your notifications, newest first (the owner only).")
    async def notifications(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only notifications not yet marked read.")
        ] = False,
    ) -> NotificationsRef | None:
        from reelpay.graphql.programs.types import Notification, NotificationConnection
        from reelpay.notifications import service as notifications

        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.db_id:
            return None
        ctx = info.context
        after = await notification_cursors.current(ctx, self.db_id, after, "after")
        before = await notification_cursors.current(ctx, self.db_id, before, "before")
        request = page_request(
            ctx.settings.limits, notification_cursors.NOTIFICATION_KEY, first=first, after=after,
            last=last, before=before,
        )  # fmt: skip
        page = await ctx.read(
            lambda s: notifications.page(s, self.db_id, request, unread_only=unread_only)
        )
        unread = await ctx.read(lambda s: notifications.count(s, self.db_id, unread_only=True))
        base = connection(
            page,
            Notification.from_model,
            lambda: ctx.read(lambda s: notifications.count(s, self.db_id, unread_only=unread_only)),
        )
        return NotificationConnection(
            edges=base.edges, page_info=base.page_info, count=base.count, unread=unread
        )

    @strawberry.field(
        description="Creator Rewards per UTC day (both ends included, at most 92 days, not "
        "after today; the last 30 days when `from` and `to` are left out): qualified views, "
        "the estimate and what was credited. Owner and staff only."
    )
    async def rewards(
        self,
        info: Info[Context, None],
        from_: FromDay = None,
        to: ToDay = None,
    ) -> list[RewardsDayRef] | None:
        from reelpay.graphql.programs.types import RewardsDay
        from reelpay.programs import rewards

        if not await _is_self_or_staff(info, self.db_id):
            return None
        rules = info.context.settings.rules
        start, end = dates.report_range(from_, to, today=info.context.now.date(), rules=rules)
        days = await info.context.read(
            lambda s: rewards.rewards_days(s, self.db_id, start=start, end=end, rules=rules)
        )
        return [RewardsDay.of(d) for d in days]

    @strawberry.field(
        description="The account's Series in the order its creator chose with "
        "`setProfileSeriesOrder`. A Series created or published since then goes first (with "
        "no order chosen, the latest published come first); choosing an order puts drafts "
        "and archived Series after the published ones. Whoever may see the account's content "
        "sees its published and archived Series; the creator and staff see drafts too. Null "
        "when the account's content is hidden from you."
    )
    async def series(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[SeriesRef] | None:
        from reelpay.graphql.series.links import profile_series

        own = await _is_self_or_staff(info, self.db_id)
        return await profile_series(  # type: ignore[return-value]
            info, self.db_id, own=own, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="Your Creator Marketplace deals as a creator, newest first; the owner only "
        "(null on anyone else's account). A brand finds its deals on its campaigns."
    )
    async def deals(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DealRef] | None:
        from reelpay.graphql.marketplace.deals import own_deals

        return await own_deals(  # type: ignore[return-value]
            info, self.db_id, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="Your applications to campaigns and brands' invitations to you, newest "
        "first; the owner only (null on anyone else's account)."
    )
    async def proposals(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            ProposalStatusRef | None,
            strawberry.argument(description="Only proposals in this status (e.g. PENDING)."),
        ] = None,
    ) -> Connection[ProposalRef] | None:
        from reelpay.graphql.marketplace.deals import own_proposals

        return await own_proposals(  # type: ignore[return-value]
            info, self.db_id, status=status, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description='Series you bought ("Purchased content"); the owner only.')
    async def purchased_series(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PurchaseRef] | None:
        from reelpay.graphql.series.types import SeriesPurchase
        from reelpay.series import purchases as sales

        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.db_id:
            return None
        return await paged(
            info.context, SERIES_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: sales.purchased(s, self.db_id, request),
            count=lambda s: sales.purchased_count(s, self.db_id),
            to_node=SeriesPurchase.from_model,
        )  # fmt: skip


async def _follow_connection(
    info: Info[Context, None],
    account_id: int,
    kind: str,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Account] | None:
    loaders = info.context.loaders
    if kind != "requests" and await loaders.access.load(account_id) is ContentAccess.NONE:
        return None
    request = page_request(
        info.context.settings.limits, FOLLOW_KEY, first=first, after=after, last=last, before=before
    )

    async def requests() -> int:
        return int(await loaders.follow_request_count.load(account_id))

    async def followers() -> int:
        return (await loaders.follow_counts.load(account_id)).followers

    async def following() -> int:
        return (await loaders.follow_counts.load(account_id)).following

    page_loader, count, other = {
        "followers": (loaders.follower_page, followers, "follower_id"),
        "following": (loaders.following_page, following, "followee_id"),
        "requests": (loaders.follow_request_page, requests, "follower_id"),
    }[kind]
    page = await page_loader.load((account_id, request))
    people = await loaders.account.load_many([getattr(f, other) for f in page.items])
    by_follow = {f.id: a for f, a in zip(page.items, people, strict=True)}
    return connection(page, lambda f: Account.from_model(by_follow[f.id]), count)


@strawberry.type(description="What switching account type would change, or did change.")
class AccountTypeSwitchPreview:
    preview: strawberry.Private[SwitchPreview]
    from_type: AccountType = strawberry.field(  # type: ignore[valid-type]
        description="The account's type before the switch."
    )
    to_type: AccountType = strawberry.field(  # type: ignore[valid-type]
        description="The account's type after the switch."
    )
    features_lost: list[ProFeature] = strawberry.field(  # type: ignore[valid-type]
        description="Pro features the account stops having (going PERSONAL)."
    )
    features_gained: list[ProFeature] = strawberry.field(  # type: ignore[valid-type]
        description="Pro features the account starts having (going BUSINESS)."
    )
    cleared_fields: list[str] = strawberry.field(
        description="Profile fields that hold a value now and are erased (websiteUrl, "
        "contactEmail); they must be entered again after switching back."
    )

    account: strawberry.Private[AccountModel]
    # programsLost and programsGained share one evaluation (started by whichever asks first).
    program_changes: strawberry.Private[asyncio.Future[tuple[list[Any], list[Any]]] | None] = None

    @classmethod
    def from_preview(
        cls, preview: SwitchPreview, account: AccountModel
    ) -> AccountTypeSwitchPreview:
        return cls(
            account=account,
            preview=preview,
            from_type=preview.from_type,
            to_type=preview.to_type,
            features_lost=list(preview.features_lost),
            features_gained=list(preview.features_gained),
            cleared_fields=list(preview.cleared_fields),
        )

    @strawberry.field(description="Programs the account qualifies for now and would not after.")
    async def programs_lost(self, info: Info[Context, None]) -> list[ProgramRef]:
        return (await self._program_changes(info))[0]  # type: ignore[return-value]

    @strawberry.field(description="Programs the account would qualify for only after.")
    async def programs_gained(self, info: Info[Context, None]) -> list[ProgramRef]:
        return (await self._program_changes(info))[1]  # type: ignore[return-value]

    async def _program_changes(self, info: Info[Context, None]) -> tuple[list[Any], list[Any]]:
        from reelpay.programs import service as programs

        ctx = info.context
        if self.program_changes is None:
            self.program_changes = asyncio.ensure_future(
                ctx.read(
                    lambda s: programs.switch_changes(
                        s,
                        self.account,
                        self.preview.from_type,
                        self.preview.to_type,
                        now=ctx.now,
                        rules=ctx.settings.rules,
                    )
                )
            )
            ctx.track(self.program_changes)
        return await self.program_changes

    @strawberry.field(
        description="Pinned videos hidden by going PERSONAL, or shown again, in their saved "
        "order, by going BUSINESS."
    )
    async def pinned_videos(self, info: Info[Context, None]) -> list[VideoRef]:
        from reelpay.graphql.content.types import Video

        videos = await info.context.loaders.video.load_many(list(self.preview.pinned_video_ids))
        return [Video.from_model(v) for v in videos if v is not None and v.deleted_at is None]
