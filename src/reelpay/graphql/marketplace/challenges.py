"""GraphQL of sponsored challenges (prize tiers, entries, winners, entering, withdrawing and
the brand's ranking) and of COMMISSION sales reports.

Who sees what: a challenge's prize tiers, entries and winners are public wherever the
challenge is (every viewer once it is OPEN; see `types.visible_campaign_model`); an entry's
creator always sees their own entry; the brand's picks (`brandRank`) are its own and staff's.
Commission reports are seen by the deal's brand, its creator and staff (through `Deal`, which
only they see, and the brand's mutation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.loaders import Loader
from reelpay.graphql.marketplace.types import (
    Campaign,
    load_campaign,
    visible_campaign_model,
)
from reelpay.graphql.money import Money, MoneyInput, minor_units
from reelpay.graphql.relay import (
    Connection,
    Node,
    connection,
    decode_id_of,
    page_request,
)
from reelpay.marketplace import challenges, commission, models
from reelpay.pagination import Page, PageRequest

if TYPE_CHECKING:
    from reelpay.graphql.marketplace.deals import Deal

DealRef = Annotated["Deal", strawberry.lazy("reelpay.graphql.marketplace.deals")]
CAMPAIGN_ID = ("input", "campaignId")
VIDEO_ID = ("input", "videoId")
ENTRY_ID = ("input", "entryId")
ENTRY_IDS = ("input", "entryIds")
ERRORS_TEXT = "Why nothing changed; empty on success."
INPUT = "The mutation's arguments."
RANKED_KEY = (int, int)  # (rank, id)
ENTERED_KEY = (datetime, int)  # (entered_at, id)


# --- types ---------------------------------------------------------------------------------


@strawberry.type(description="What a challenge pays each entry ranked from `rankFrom` to `rankTo`.")
class PrizeTier:
    rank_from: int = strawberry.field(description="The best rank of the tier (1 = first).")
    rank_to: int = strawberry.field(
        description="The last rank of the tier (equal to `rankFrom` for a single place)."
    )
    amount: Money = strawberry.field(description="What each entry ranked in the tier wins.")

    @classmethod
    def from_model(cls, model: models.PrizeTier) -> PrizeTier:
        return cls(
            rank_from=model.rank_from, rank_to=model.rank_to, amount=Money.usd(model.amount_cents)
        )


@strawberry.type(
    description="A creator's video entered in a sponsored challenge. Public wherever the "
    "challenge is; `views`, `rank` and `prize` are set by the results, once the submission "
    "window has ended."
)
class ChallengeEntry(Node):
    model: strawberry.Private[models.ChallengeEntry]
    entered_at: datetime = strawberry.field(description="When the video was entered.")
    views: int | None = strawberry.field(
        description="Authentic views of the video in the window (whole UTC days from the "
        "window's first day up to, not including, the day it ends), as the results counted "
        "them; null before the results and for a void entry."
    )
    rank: int | None = strawberry.field(
        description="Its final rank (1 = best); null before the results and for a void entry."
    )
    prize: Money | None = strawberry.field(
        description="What it won (0 when it ranked outside every prize tier), paid to the "
        "creator's earnings; null before the results and for a void entry."
    )
    voided_at: datetime | None = strawberry.field(
        description="When the results found its video deleted or no longer public: a void "
        "entry is not ranked and wins nothing. Null otherwise."
    )

    @classmethod
    def from_model(cls, model: models.ChallengeEntry) -> ChallengeEntry:
        settled = model.rank is not None
        return cls(
            db_id=model.id,
            model=model,
            entered_at=model.entered_at,
            views=model.views if settled else None,
            rank=model.rank,
            prize=Money.usd(model.prize_cents) if settled else None,
            voided_at=model.voided_at,
        )

    @strawberry.field(description="The challenge entered.")
    async def campaign(self, info: Info[Context, None]) -> Campaign:
        return await load_campaign(info, self.model.campaign_id)

    @strawberry.field(description="The creator who entered (their public profile).")
    async def creator(self, info: Info[Context, None]) -> Account:
        found = await info.context.loaders.account.load(self.model.creator_id)
        assert found is not None
        return Account.from_model(found)

    @strawberry.field(description="The video entered; null once it is deleted or hidden from you.")
    async def video(self, info: Info[Context, None]) -> Video | None:
        from reelpay.graphql.node import resolve_visible_video

        return await resolve_visible_video(info, self.model.video_id)

    @strawberry.field(
        description="BRAND_CHOICE: the brand's pick for this entry (1 = best), set by "
        "`rankChallengeEntries`; null when not picked. Only the brand and staff see it: null "
        "for anyone else."
    )
    async def brand_rank(self, info: Info[Context, None]) -> int | None:
        viewer = await info.context.viewer()
        if viewer is None:
            return None
        if not viewer.is_staff:
            campaign = await info.context.loaders.campaign.load(self.model.campaign_id)
            if campaign is None or campaign.brand_id != viewer.id:
                return None
        return self.model.brand_rank


@strawberry.type(
    description="Sales a brand reported against a creator's tracking code (COMMISSION terms), "
    "and the commission they paid. Seen by the brand, the creator and staff."
)
class CommissionReport:
    model: strawberry.Private[models.CommissionReport]
    report_id: str = strawberry.field(
        description="The brand's own id of the report; it counts once per campaign."
    )
    sales: Money = strawberry.field(description="The sales reported.")
    commission: Money = strawberry.field(
        description="What it paid the creator: sales times the campaign's rate (rounded down "
        "to the cent), capped at what was left of the creator's cap; 0 once the cap is used up."
    )
    occurred_at: datetime = strawberry.field(description="When the brand says the sales happened.")
    reported_at: datetime = strawberry.field(description="When the report was recorded.")

    @classmethod
    def from_model(cls, model: models.CommissionReport) -> CommissionReport:
        return cls(
            model=model,
            report_id=model.report_id,
            sales=Money.usd(model.sales_cents),
            commission=Money.usd(model.commission_cents),
            occurred_at=model.occurred_at,
            reported_at=model.created_at,
        )

    @strawberry.field(description="The deal whose tracking code the sales were reported against.")
    async def deal(self, info: Info[Context, None]) -> DealRef:
        from reelpay.graphql.marketplace.deals import Deal

        found = await info.context.loaders.deal.load(self.model.deal_id)
        assert found is not None  # a foreign key
        return Deal.from_model(found)


# --- loaders -------------------------------------------------------------------------------


class ChallengeLoaders:
    """This module's per-request loaders (`Loaders.challenges`)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.prize_tiers = self._by_id(challenges.prize_tiers)
        self.entry = self._by_id(challenges.entries_by_ids)
        self.winners = self._by_id(challenges.winners)
        self.viewer_entry = Loader(self._viewer_entries, track=ctx.track)
        self.entry_page = Loader(self._entry_pages, track=ctx.track)
        self.entry_count = Loader(self._entry_counts, track=ctx.track)
        self.report_page = Loader(self._report_pages, track=ctx.track)
        self.report_count = self._by_id(commission.report_counts)

    def _by_id(self, fetch: Any) -> Loader[int, Any]:
        async def load(ids: list[int]) -> list[Any]:
            found = await self._ctx.read(lambda s: fetch(s, ids))
            return [found.get(i) for i in ids]

        return Loader(load, track=self._ctx.track)

    async def _viewer_entries(self, campaign_ids: list[int]) -> list[Any]:
        viewer = await self._ctx.viewer()
        if viewer is None:
            return [None] * len(campaign_ids)
        found = await self._ctx.read(
            lambda s: challenges.viewer_entries(s, viewer.id, campaign_ids)
        )
        return [found.get(i) for i in campaign_ids]

    async def _entry_pages(
        self, keys: list[tuple[int, bool, PageRequest]]
    ) -> list[Page[models.ChallengeEntry]]:
        pages: dict[tuple[int, bool, PageRequest], Page[models.ChallengeEntry]] = {}
        for settled, request in dict.fromkeys((s, r) for _, s, r in keys):
            ids = list(dict.fromkeys(c for c, s, r in keys if (s, r) == (settled, request)))
            found = await self._ctx.read(
                partial(challenges.entry_pages, campaign_ids=ids, settled=settled, request=request)
            )
            pages.update({(c, settled, request): page for c, page in found.items()})
        return [pages[key] for key in keys]

    async def _entry_counts(self, keys: list[tuple[int, bool]]) -> list[int]:
        counts: dict[tuple[int, bool], int] = {}
        for settled in dict.fromkeys(s for _, s in keys):
            ids = list(dict.fromkeys(c for c, s in keys if s == settled))
            found = await self._ctx.read(partial(_entry_counts, campaign_ids=ids, settled=settled))
            counts.update({(c, settled): n for c, n in found.items()})
        return [counts[key] for key in keys]

    async def _report_pages(
        self, keys: list[tuple[int, PageRequest]]
    ) -> list[Page[models.CommissionReport]]:
        pages: dict[tuple[int, PageRequest], Page[models.CommissionReport]] = {}
        for request in dict.fromkeys(r for _, r in keys):
            ids = list(dict.fromkeys(d for d, r in keys if r == request))
            found = await self._ctx.read(partial(_report_pages, deal_ids=ids, request=request))
            pages.update({(d, request): page for d, page in found.items()})
        return [pages[key] for key in keys]


async def _entry_counts(
    session: AsyncSession, *, campaign_ids: list[int], settled: bool
) -> dict[int, int]:
    return await challenges.entry_counts(session, campaign_ids, settled=settled)


async def _report_pages(
    session: AsyncSession, *, deal_ids: list[int], request: PageRequest
) -> dict[int, Page[models.CommissionReport]]:
    return await commission.report_pages(session, deal_ids, request)


def _loaders(info: Info[Context, None]) -> ChallengeLoaders:
    loaders: ChallengeLoaders = info.context.loaders.challenges
    return loaders


# --- fields of Campaign and Deal (declared on those types) ----------------------------------


async def prize_tiers_of(info: Info[Context, None], campaign: models.Campaign) -> list[PrizeTier]:
    """`Campaign.prizeTiers`: best rank first; empty for a DEAL campaign."""
    if campaign.kind is not models.CampaignKind.CHALLENGE:
        return []
    tiers = await _loaders(info).prize_tiers.load(campaign.id)
    return [PrizeTier.from_model(t) for t in tiers]


def is_settled(campaign: models.Campaign) -> bool:
    """A challenge's results are out (only the results job completes a challenge)."""
    return campaign.status is models.CampaignStatus.COMPLETED


async def entries_of(
    info: Info[Context, None], campaign: models.Campaign, first: int | None, after: str | None
) -> Connection[ChallengeEntry]:
    """`Campaign.entries`: ranked order once the results are out, else entry order."""
    settled = is_settled(campaign)
    key_types = RANKED_KEY if settled else ENTERED_KEY
    request = page_request(
        info.context.settings.limits, key_types, first=first, after=after, last=None, before=None
    )
    loaders = _loaders(info)
    if campaign.kind is not models.CampaignKind.CHALLENGE:
        empty: Page[models.ChallengeEntry] = Page([], [], False, request.after is not None)
        return connection(empty, ChallengeEntry.from_model, _zero)
    page = await loaders.entry_page.load((campaign.id, settled, request))
    count_key = (campaign.id, settled)
    return connection(page, ChallengeEntry.from_model, lambda: loaders.entry_count.load(count_key))


async def _zero() -> int:
    return 0


async def winners_of(info: Info[Context, None], campaign: models.Campaign) -> list[ChallengeEntry]:
    """`Campaign.winners`: the entries that won a prize, best rank first."""
    if campaign.kind is not models.CampaignKind.CHALLENGE:
        return []
    found = await _loaders(info).winners.load(campaign.id)
    return [ChallengeEntry.from_model(e) for e in found]


async def viewer_entry_of(
    info: Info[Context, None], campaign: models.Campaign
) -> ChallengeEntry | None:
    """`Campaign.viewerEntry`: the viewer's own entry in the challenge, if any."""
    if campaign.kind is not models.CampaignKind.CHALLENGE:
        return None
    found = await _loaders(info).viewer_entry.load(campaign.id)
    return ChallengeEntry.from_model(found) if found is not None else None


async def commission_reports_of(
    info: Info[Context, None], deal_id: int, first: int | None, after: str | None
) -> Connection[CommissionReport]:
    """`Deal.commissionReports`, newest first (the Deal is already authorised)."""
    request = page_request(
        info.context.settings.limits, (int,), first=first, after=after, last=None, before=None
    )
    loaders = _loaders(info)
    page = await loaders.report_page.load((deal_id, request))
    return connection(page, CommissionReport.from_model, lambda: loaders.report_count.load(deal_id))


# --- node(id:) -----------------------------------------------------------------------------


async def visible_entry(
    info: Info[Context, None], model: models.ChallengeEntry | None
) -> ChallengeEntry | None:
    """The entry if the viewer may see it: its creator, or whoever sees its challenge."""
    if model is None:
        return None
    viewer = await info.context.viewer()
    if viewer is not None and viewer.id == model.creator_id:
        return ChallengeEntry.from_model(model)
    campaign = await info.context.loaders.campaign.load(model.campaign_id)
    if await visible_campaign_model(info, campaign) is None:
        return None
    return ChallengeEntry.from_model(model)


async def resolve_entry(info: Info[Context, None], pk: int) -> ChallengeEntry | None:
    return await visible_entry(info, await _loaders(info).entry.load(pk))


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="A video of yours to enter in a sponsored challenge.")
class EnterChallengeInput:
    campaign_id: strawberry.ID = strawberry.field(description="The challenge's (Campaign) ID.")
    video_id: strawberry.ID = strawberry.field(
        description="Your own PUBLIC video, published inside the submission window, carrying "
        'the challenge\'s "#hashtag" (and "@mention" when it has one) in its title or '
        "description."
    )


@strawberry.type(description="Your new entry and its challenge.")
class EnterChallengePayload:
    entry: ChallengeEntry | None = strawberry.field(
        default=None, description="The entry; null on userErrors."
    )
    campaign: Campaign | None = strawberry.field(
        default=None, description="The challenge (IN_PROGRESS from its first entry on)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="Your entry to take back.")
class WithdrawChallengeEntryInput:
    entry_id: strawberry.ID = strawberry.field(description="A ChallengeEntry's ID (your own).")


@strawberry.type(description="The challenge your entry was taken out of.")
class WithdrawChallengeEntryPayload:
    withdrawn_entry_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of the entry removed; null on userErrors."
    )
    campaign: Campaign | None = strawberry.field(
        default=None, description="The challenge; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="The entries a BRAND_CHOICE challenge's brand picks, best first.")
class RankChallengeEntriesInput:
    campaign_id: strawberry.ID = strawberry.field(description="Your challenge's ID.")
    entry_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 100 of its entries, best first: they take ranks 1, 2, ... in this "
        "order, and the results rank every other entry after them by authentic views. Sent "
        "again before the results, it replaces the earlier picks."
    )


@strawberry.type(description="The brand's picks, in order.")
class RankChallengeEntriesPayload:
    entries: list[ChallengeEntry] | None = strawberry.field(
        default=None, description="The entries picked, best first; null on userErrors."
    )
    campaign: Campaign | None = strawberry.field(
        default=None, description="The challenge; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


@strawberry.input(description="Sales to report against a creator's tracking code.")
class ReportCampaignSalesInput:
    tracking_code: str = strawberry.field(
        description="The deal's tracking code (`Deal.trackingCode`), exactly as given."
    )
    report_id: str = strawberry.field(
        description="Your own id of these sales, 1 to 128 printable characters: it counts once "
        "per campaign. Sent again with the same figures it returns the first report; with "
        "other figures it is REPORT_ID_REUSED."
    )
    sales: MoneyInput = strawberry.field(description='The sales, more than 0 (USD, e.g. "120.00").')
    occurred_at: datetime = strawberry.field(
        description="When the sales happened: not in the future, not before the deal started."
    )
    idempotency_key: str = strawberry.field(
        description="Your unique key for this request: sending it again returns the first "
        "result and pays nothing more; the same key with other arguments is "
        "IDEMPOTENCY_KEY_REUSED."
    )


@strawberry.type(description="The sales report and the commission it paid.")
class ReportCampaignSalesPayload:
    report: CommissionReport | None = strawberry.field(
        default=None,
        description="The report (the first one for a repeated report id); null on userErrors.",
    )
    deal: DealRef | None = strawberry.field(
        default=None,
        description="The deal (its `paid` and `reserved` moved); null on userErrors.",
    )
    campaign: Campaign | None = strawberry.field(
        default=None, description="The campaign (its `money` moved); null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS_TEXT)


def _entry_ids(ids: Sequence[strawberry.ID]) -> list[int]:
    return [decode_id_of(gid, "ChallengeEntry", (*ENTRY_IDS, str(i))) for i, gid in enumerate(ids)]


@strawberry.type
class ChallengeMutations:
    @strawberry.mutation(
        description="Enter one of your videos in a sponsored challenge (creators enrolled and "
        "active in the Creator Marketplace who meet its requirements; one entry each)."
    )
    async def enter_challenge(
        self,
        info: Info[Context, None],
        input: Annotated[EnterChallengeInput, strawberry.argument(description=INPUT)],
    ) -> EnterChallengePayload:
        ctx = info.context

        async def work(session: AsyncSession, viewer: Any) -> EnterChallengePayload:
            campaign_id = decode_id_of(input.campaign_id, "Campaign", CAMPAIGN_ID)
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            entry = await challenges.enter_challenge(
                session, viewer, campaign_id, video_id, now=ctx.now, rules=ctx.settings.rules
            )
            campaign = await session.get(models.Campaign, campaign_id)
            assert campaign is not None
            return EnterChallengePayload(
                entry=ChallengeEntry.from_model(entry), campaign=Campaign.from_model(campaign)
            )

        return await as_user_errors(EnterChallengePayload, lambda: ctx.write_logged_in(work))

    @strawberry.mutation(
        description="Take your entry out of a challenge before its submission window ends (you "
        "may then enter another video)."
    )
    async def withdraw_challenge_entry(
        self,
        info: Info[Context, None],
        input: Annotated[WithdrawChallengeEntryInput, strawberry.argument(description=INPUT)],
    ) -> WithdrawChallengeEntryPayload:
        ctx = info.context

        async def work(session: AsyncSession, viewer: Any) -> WithdrawChallengeEntryPayload:
            entry_id = decode_id_of(input.entry_id, "ChallengeEntry", ENTRY_ID)
            campaign = await challenges.withdraw_entry(session, viewer, entry_id, now=ctx.now)
            return WithdrawChallengeEntryPayload(
                withdrawn_entry_id=input.entry_id, campaign=Campaign.from_model(campaign)
            )

        return await as_user_errors(
            WithdrawChallengeEntryPayload, lambda: ctx.write_logged_in(work)
        )

    @strawberry.mutation(
        description="Brands, BRAND_CHOICE challenges: once the submission window has ended and "
        "before the results, pick the best entries in order. The results follow soon after "
        "(without picks: `marketplaceReviewDays` after the window, by authentic views)."
    )
    async def rank_challenge_entries(
        self,
        info: Info[Context, None],
        input: Annotated[RankChallengeEntriesInput, strawberry.argument(description=INPUT)],
    ) -> RankChallengeEntriesPayload:
        ctx = info.context

        async def work(session: AsyncSession, viewer: Any) -> RankChallengeEntriesPayload:
            campaign_id = decode_id_of(input.campaign_id, "Campaign", CAMPAIGN_ID)
            campaign, picked = await challenges.rank_entries(
                session, viewer, campaign_id, _entry_ids(input.entry_ids), now=ctx.now,
                rules=ctx.settings.rules,
            )  # fmt: skip
            return RankChallengeEntriesPayload(
                entries=[ChallengeEntry.from_model(e) for e in picked],
                campaign=Campaign.from_model(campaign),
            )

        return await as_user_errors(RankChallengeEntriesPayload, lambda: ctx.write_logged_in(work))

    @strawberry.mutation(
        description="Brands, COMMISSION campaigns: report sales against a creator's tracking "
        "code; the commission is paid at once from the creator's reservation, up to their cap."
    )
    async def report_campaign_sales(
        self,
        info: Info[Context, None],
        input: Annotated[ReportCampaignSalesInput, strawberry.argument(description=INPUT)],
    ) -> ReportCampaignSalesPayload:
        ctx = info.context

        from reelpay.graphql.marketplace.deals import Deal

        async def work(session: AsyncSession, viewer: Any) -> ReportCampaignSalesPayload:
            report = commission.SalesReport(
                tracking_code=input.tracking_code,
                report_id=input.report_id,
                sales_cents=minor_units(input.sales, ("input", "sales")),
                occurred_at=input.occurred_at,
                key=input.idempotency_key,
            )
            recorded = await commission.report_sales(
                session, viewer, report, now=ctx.now,
                key_max_length=ctx.settings.rules.idempotency_key_max_length,
            )  # fmt: skip
            campaign = await session.get(
                models.Campaign, recorded.campaign_id, populate_existing=True
            )
            assert campaign is not None
            deal = await session.get(models.Deal, recorded.deal_id, populate_existing=True)
            assert deal is not None
            return ReportCampaignSalesPayload(
                report=CommissionReport.from_model(recorded),
                deal=Deal.from_model(deal),
                campaign=Campaign.from_model(campaign),
            )

        return await as_user_errors(ReportCampaignSalesPayload, lambda: ctx.write_logged_in(work))
