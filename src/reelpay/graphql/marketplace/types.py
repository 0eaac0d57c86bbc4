"""GraphQL types of the Creator Marketplace: brands and campaigns.

Everyone sees an OPEN, IN_PROGRESS or COMPLETED campaign's public fields; its brand and staff
see it whole (DRAFT included, and its `money`); a creator with a proposal or deal in it also
sees it once CANCELLED. Other creators never see another creator's fee or pitch.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.relay import After, Before, Connection, First, Last, Node
from reelpay.marketplace import campaign_rules, models

if TYPE_CHECKING:
    from reelpay.graphql.marketplace.challenges import ChallengeEntry, PrizeTier
    from reelpay.graphql.marketplace.deals import CampaignProposal, Deal, ProposalStatus

Category = described_enum(
    models.Category,
    "What a brand sells and what a creator makes videos about.",
    {
        "BEAUTY": "Make-up, skin care, hair and fragrance.",
        "FASHION": "Clothes, shoes and accessories.",
        "FOOD": "Cooking, restaurants and drinks.",
        "GAMING": "Video games, streaming and esports.",
        "TECH": "Gadgets, software and apps.",
        "TRAVEL": "Places, trips and hotels.",
        "FITNESS": "Sport, training and well-being.",
        "MUSIC": "Musicians, instruments and audio.",
        "EDUCATION": "Teaching, explainers and learning.",
        "ENTERTAINMENT": "Comedy, film, television and shows.",
        "LIFESTYLE": "Home, family and everyday life.",
        "OTHER": "Anything else.",
    },
)
CampaignKind = described_enum(
    models.CampaignKind,
    "What kind of campaign it is.",
    {
        "DEAL": "Creators apply (or are invited), deliver videos and are paid by the terms.",
        "CHALLENGE": "A sponsored challenge: enrolled creators enter a video carrying its "
        "hashtag; prize tiers go to the best entries.",
    },
)
TermsKind = described_enum(
    models.TermsKind,
    "How a DEAL campaign pays its creators.",
    {
        "FLAT_FEE": "A fixed fee per creator for an approved set of videos.",
        "COMMISSION": "A rate on the sales the brand reports against the creator's tracking "
        "code, up to a cap per creator, optionally plus a flat fee.",
        "PER_VIEW": "An amount per 1,000 authentic views of the delivered videos during the "
        "campaign, up to a cap per creator, optionally plus a flat fee.",
    },
)
CampaignStatus = described_enum(
    models.CampaignStatus,
    "Where a campaign is in its life: DRAFT -> OPEN -> IN_PROGRESS -> COMPLETED, or CANCELLED.",
    {
        "DRAFT": "Being prepared and funded; only its brand and staff see it.",
        "OPEN": "Funded and published: creators apply and the brand invites (a challenge "
        "takes entries).",
        "IN_PROGRESS": "A first deal (or challenge entry) exists.",
        "COMPLETED": "Closed by the brand (a challenge: its results were paid); what was not "
        "paid was refunded.",
        "CANCELLED": "Cancelled by the brand; what was not paid was refunded.",
    },
)
ChallengeRanking = described_enum(
    models.ChallengeRanking,
    "How a sponsored challenge ranks its entries.",
    {
        "AUTHENTIC_VIEWS": "Most authentic views in the submission window first (ties: the "
        "earliest entry).",
        "BRAND_CHOICE": "The brand orders the entries it picks once the window has ended.",
    },
)


@strawberry.type(description="What makes a BUSINESS account a brand that runs campaigns.")
class BrandProfile:
    name: str = strawberry.field(description="The brand's name (1 to 100 characters).")
    website: str | None = strawberry.field(description="The brand's http(s) website, if set.")
    category: Category = strawberry.field(  # type: ignore[valid-type]
        description="What the brand sells."
    )

    @classmethod
    def from_model(cls, model: models.BrandProfile) -> BrandProfile:
        return cls(name=model.name, website=model.website, category=model.category)


@strawberry.type(description="What each creator of a campaign must post.")
class CampaignDeliverables:
    videos_required: int = strawberry.field(
        description="How many videos one submission holds (a challenge: 1 entry)."
    )
    hashtag: str | None = strawberry.field(
        description='A hashtag each video carries in its title or description, without "#" '
        "(any letter case); required for a challenge."
    )
    mention: str | None = strawberry.field(
        description='A handle each video mentions, without "@"; null when none is required.'
    )
    posting_starts_at: datetime = strawberry.field(
        description="Videos must be published at or after this instant."
    )
    posting_ends_at: datetime = strawberry.field(
        description="Videos must be published before this instant (a challenge: its "
        "submission window ends then)."
    )


@strawberry.type(description="Who may take part in a campaign (empty lists: anyone).")
class CampaignRequirements:
    min_followers: int = strawberry.field(description="The fewest followers a creator needs.")
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 codes a creator's country must be one of; empty: any."
    )
    categories: list[Category] = strawberry.field(  # type: ignore[valid-type]
        description="A creator must make videos in one of these; empty: any."
    )


@strawberry.type(description="How a DEAL campaign pays each creator.")
class CampaignTerms:
    kind: TermsKind = strawberry.field(  # type: ignore[valid-type]
        description="FLAT_FEE, COMMISSION or PER_VIEW."
    )
    flat_fee: Money | None = strawberry.field(
        description="The fee per creator for an approved set of videos; null when none (pure "
        "COMMISSION or PER_VIEW terms)."
    )
    commission_basis_points: int | None = strawberry.field(
        description="COMMISSION: the rate on reported sales in basis points (1,000 = 10%)."
    )
    per_thousand_views: Money | None = strawberry.field(
        description="PER_VIEW: what 1,000 authentic views of the delivered videos earn."
    )
    cap_per_creator: Money | None = strawberry.field(
        description="COMMISSION and PER_VIEW: the most one creator earns beyond the flat fee."
    )
    allows_offers: bool = strawberry.field(
        description="Whether creators may propose their own flat fee when they apply."
    )


@strawberry.type(description="What one creator of a campaign holds and was paid (per deal).")
class CreatorMoney:
    creator_id: strawberry.Private[int]
    reserved: Money = strawberry.field(
        description="Still set aside in escrow for this creator (their maximum not yet paid)."
    )
    paid: Money = strawberry.field(description="Paid to this creator's earnings so far.")

    @strawberry.field(description="The creator.")
    async def creator(self, info: Info[Context, None]) -> Account:
        found = await info.context.loaders.account.load(self.creator_id)
        assert found is not None
        return Account.from_model(found)


@strawberry.type(
    description="A campaign's money, in total and per creator: funded = paid + reserved + "
    "refunded + free. Its brand and staff only."
)
class CampaignMoney:
    campaign_id: strawberry.Private[int]
    funded: Money = strawberry.field(description="Paid into escrow by the brand's card.")
    reserved: Money = strawberry.field(description="Set aside for accepted creators.")
    paid: Money = strawberry.field(description="Paid to creators' earnings.")
    refunded: Money = strawberry.field(description="Given back to the brand's card.")
    free: Money = strawberry.field(
        description="In escrow and not reserved: what new deals or prizes can use."
    )
    fee_charged: Money = strawberry.field(
        description="The platform fee charged on top of the funding (the creators' fees are "
        "never reduced by it)."
    )
    fee_kept: Money = strawberry.field(
        description="The part of the fee the platform kept: the fee on what was paid, settled "
        "when the campaign ended."
    )
    fee_refunded: Money = strawberry.field(
        description="The part of the fee given back with the refunds."
    )

    @classmethod
    def from_model(cls, model: models.Campaign) -> CampaignMoney:
        free = model.funded_cents - model.reserved_cents - model.paid_cents - model.refunded_cents
        return cls(
            campaign_id=model.id,
            funded=Money.usd(model.funded_cents),
            reserved=Money.usd(model.reserved_cents),
            paid=Money.usd(model.paid_cents),
            refunded=Money.usd(model.refunded_cents),
            free=Money.usd(free),
            fee_charged=Money.usd(model.fee_cents),
            fee_kept=Money.usd(model.fee_kept_cents),
            fee_refunded=Money.usd(model.fee_refunded_cents),
        )

    @strawberry.field(description="Per deal, oldest first: the creator, reserved and paid.")
    async def by_creator(self, info: Info[Context, None]) -> list[CreatorMoney]:
        deals = await info.context.loaders.campaign_deals.load(self.campaign_id)
        return [
            CreatorMoney(
                creator_id=deal.creator_id,
                reserved=Money.usd(deal.reserved_cents),
                paid=Money.usd(deal.paid_cents),
            )
            for deal in deals
        ]


@strawberry.type(
    description="A brand's campaign: a DEAL campaign pays creators by its terms; a CHALLENGE "
    "pays prize tiers to the best entries. Public fields are seen by everyone once it is "
    "OPEN; `money` by its brand and staff only."
)
class Campaign(Node):
    model: strawberry.Private[models.Campaign]
    kind: CampaignKind = strawberry.field(  # type: ignore[valid-type]
        description="DEAL or CHALLENGE."
    )
    status: CampaignStatus = strawberry.field(  # type: ignore[valid-type]
        description="DRAFT, OPEN, IN_PROGRESS, COMPLETED or CANCELLED."
    )
    applications_paused: bool = strawberry.field(
        description="The brand paused applications (and invitations): none are accepted "
        "until resumed."
    )
    title: str = strawberry.field(description="The title (1 to 100 characters).")
    brief: str = strawberry.field(description="What the brand asks creators to make.")
    category: Category = strawberry.field(  # type: ignore[valid-type]
        description="What the campaign is about."
    )
    application_deadline: datetime = strawberry.field(
        description="Applications (and invitations) are accepted before this instant."
    )
    creator_slots: int = strawberry.field(
        description="How many creators the campaign takes (deals not cancelled)."
    )
    ranking: ChallengeRanking | None = strawberry.field(  # type: ignore[valid-type]
        description="A challenge's rule to rank entries; null for a DEAL campaign."
    )
    budget: Money = strawberry.field(
        description="What the brand funds (a challenge: its whole prize pool); it must be "
        "funded before the campaign opens."
    )
    created_at: datetime = strawberry.field(description="When the draft was created.")
    opened_at: datetime | None = strawberry.field(description="When it opened; null as a draft.")
    started_at: datetime | None = strawberry.field(
        description="When its first deal (or entry) was made; null before."
    )
    ended_at: datetime | None = strawberry.field(
        description="When it was completed or cancelled; null while it runs."
    )

    @classmethod
    def from_model(cls, model: models.Campaign) -> Campaign:
        return cls(
            db_id=model.id,
            model=model,
            kind=model.kind,
            status=model.status,
            applications_paused=model.applications_paused,
            title=model.title,
            brief=model.brief,
            category=model.category,
            application_deadline=model.application_deadline,
            creator_slots=model.creator_slots,
            ranking=model.ranking,
            budget=Money.usd(model.budget_cents),
            created_at=model.created_at,
            opened_at=model.opened_at,
            started_at=model.started_at,
            ended_at=model.ended_at,
        )

    @strawberry.field(description="The brand (a BUSINESS account; see its `brandProfile`).")
    async def brand(self, info: Info[Context, None]) -> Account:
        found = await info.context.loaders.account.load(self.model.brand_id)
        assert found is not None
        return Account.from_model(found)

    @strawberry.field(description="The brand's profile: its name, website and category.")
    async def brand_profile(self, info: Info[Context, None]) -> BrandProfile | None:
        found = await info.context.loaders.brand_profile.load(self.model.brand_id)
        return BrandProfile.from_model(found) if found is not None else None

    @strawberry.field(description="What each creator must post, and when.")
    def deliverables(self) -> CampaignDeliverables:
        m = self.model
        return CampaignDeliverables(
            videos_required=m.videos_required,
            hashtag=m.hashtag,
            mention=m.mention,
            posting_starts_at=m.posting_starts_at,
            posting_ends_at=m.posting_ends_at,
        )

    @strawberry.field(description="Who may take part.")
    def requirements(self) -> CampaignRequirements:
        m = self.model
        return CampaignRequirements(
            min_followers=m.min_followers,
            countries=list(m.countries),
            categories=[models.Category(c) for c in m.categories],
        )

    @strawberry.field(description="How creators are paid; null for a CHALLENGE (see its prizes).")
    def terms(self) -> CampaignTerms | None:
        m = self.model
        if m.terms_kind is None:
            return None
        return CampaignTerms(
            kind=m.terms_kind,
            flat_fee=_money(m.flat_fee_cents),
            commission_basis_points=m.commission_basis_points,
            per_thousand_views=_money(m.cents_per_1000_views),
            cap_per_creator=_money(m.cap_per_creator_cents),
            allows_offers=m.allows_offers,
        )

    @strawberry.field(description="How many slots deals hold (every deal not cancelled).")
    async def slots_taken(self, info: Info[Context, None]) -> int:
        taken: int = await info.context.loaders.campaign_slots_taken.load(self.db_id)
        return taken

    @strawberry.field(
        description="Whether applications are accepted now: OPEN or IN_PROGRESS, not paused, "
        "before the deadline, with a slot free (a challenge: whether entries are accepted)."
    )
    async def accepting_applications(self, info: Info[Context, None]) -> bool:
        m, now = self.model, info.context.now
        if m.kind is models.CampaignKind.CHALLENGE:
            return m.status in campaign_rules.RUNNING_STATUSES and now < m.posting_ends_at
        if not campaign_rules.accepts_applications(m, now):
            return False
        return await self.slots_taken(info) < m.creator_slots

    @strawberry.field(
        description="Funded, reserved, paid, refunded and free amounts, in total and per "
        "creator. Its brand and staff only: null for anyone else."
    )
    async def money(self, info: Info[Context, None]) -> CampaignMoney | None:
        viewer = await info.context.viewer()
        if not campaign_rules.sees_whole(viewer, self.model):
            return None
        return CampaignMoney.from_model(self.model)

    # --- fields parts 2 and 3 add (proposals, deals, prizeTiers, entries) ---

    # Applications, invitations and deals (graphql/marketplace/deals.py)
    @strawberry.field(
        description="Applications and invitations, newest first. Its brand and staff only: "
        "null for anyone else."
    )
    async def proposals(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            Annotated[ProposalStatus, strawberry.lazy("reelpay.graphql.marketplace.deals")]  # type: ignore[valid-type]
            | None,
            strawberry.argument(description="Only proposals in this status (e.g. PENDING)."),
        ] = None,
    ) -> (
        Connection[
            Annotated[CampaignProposal, strawberry.lazy("reelpay.graphql.marketplace.deals")]
        ]
        | None
    ):
        from reelpay.graphql.marketplace import deals

        return await deals.campaign_proposals(
            info, self.model, status=status, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="Deals, newest first, with their fees, deliverables and views. Its brand "
        "and staff only: null for anyone else."
    )
    async def deals(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Deal, strawberry.lazy("reelpay.graphql.marketplace.deals")]] | None:
        from reelpay.graphql.marketplace import deals

        return await deals.campaign_deals(
            info, self.model, first=first, after=after, last=last, before=before
        )

    # Sponsored challenges (graphql/marketplace/challenges.py)
    @strawberry.field(
        description="A challenge's prize tiers, best rank first (a tier pays each entry ranked "
        "inside it); empty for a DEAL campaign."
    )
    async def prize_tiers(
        self, info: Info[Context, None]
    ) -> list[Annotated[PrizeTier, strawberry.lazy("reelpay.graphql.marketplace.challenges")]]:
        from reelpay.graphql.marketplace import challenges

        return await challenges.prize_tiers_of(info, self.model)

    @strawberry.field(
        description="A challenge's entries (void ones left out): in ranked order once its "
        "results are out (COMPLETED), else in entry order. Empty for a DEAL campaign."
    )
    async def entries(
        self, info: Info[Context, None], first: First = None, after: After = None
    ) -> Connection[
        Annotated[ChallengeEntry, strawberry.lazy("reelpay.graphql.marketplace.challenges")]
    ]:
        from reelpay.graphql.marketplace import challenges

        return await challenges.entries_of(info, self.model, first, after)

    @strawberry.field(
        description="A challenge's entries that won a prize, best rank first; empty before "
        "the results and for a DEAL campaign."
    )
    async def winners(
        self, info: Info[Context, None]
    ) -> list[Annotated[ChallengeEntry, strawberry.lazy("reelpay.graphql.marketplace.challenges")]]:
        from reelpay.graphql.marketplace import challenges

        return await challenges.winners_of(info, self.model)

    @strawberry.field(description="Your own entry in this challenge; null if you have none.")
    async def viewer_entry(
        self, info: Info[Context, None]
    ) -> (
        Annotated[ChallengeEntry, strawberry.lazy("reelpay.graphql.marketplace.challenges")] | None
    ):
        from reelpay.graphql.marketplace import challenges

        return await challenges.viewer_entry_of(info, self.model)


def _money(cents: int | None) -> Money | None:
    return None if cents is None else Money.usd(cents)


async def visible_campaign_model(
    info: Info[Context, None], model: models.Campaign | None
) -> models.Campaign | None:
    """`model` if the viewer may see it (see the module), else None."""
    if model is None:
        return None
    viewer = await info.context.viewer()
    if campaign_rules.can_see(viewer, model):
        return model
    if viewer is None or model.status is models.CampaignStatus.DRAFT:
        return None
    involved = await info.context.loaders.viewer_campaign_involvement.load(model.id)
    return model if campaign_rules.can_see(viewer, model, involved=involved) else None


async def resolve_campaign(info: Info[Context, None], pk: int) -> Campaign | None:
    """`node(id:)`: the campaign, or None when missing or hidden from the viewer."""
    model = await visible_campaign_model(info, await info.context.loaders.campaign.load(pk))
    return Campaign.from_model(model) if model is not None else None


async def load_campaign(info: Info[Context, None], campaign_id: int) -> Campaign:
    """The campaign of an object the caller already authorised (a deal, a proposal, an
    entry): whoever sees that object sees its campaign's public fields."""
    model = await info.context.loaders.campaign.load(campaign_id)
    assert model is not None
    return Campaign.from_model(model)
