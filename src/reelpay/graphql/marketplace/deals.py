"""GraphQL types of applications, invitations, deals, deliverables, disputes and the
paid-partnership label, and the lists of them on campaigns and on your own account.

A proposal, a deal and its disputes are seen by the campaign's brand, the deal's creator and
staff only, on every path (`node(id:)`, `Campaign.proposals`/`deals`, `Account.deals`/
`proposals`, payloads, events): another creator never sees a fee or a pitch. The label on a
video is public, like the video.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.relay import After, Connection, First, Node, connection, page_request
from reelpay.marketplace import campaign_rules, deal_reads, models

if TYPE_CHECKING:
    from reelpay.graphql.content.types import Video
    from reelpay.graphql.marketplace.challenges import CommissionReport
    from reelpay.graphql.marketplace.types import BrandProfile, Campaign

CampaignRef = Annotated["Campaign", strawberry.lazy("reelpay.graphql.marketplace.types")]
BrandProfileRef = Annotated["BrandProfile", strawberry.lazy("reelpay.graphql.marketplace.types")]
VideoRef = Annotated["Video", strawberry.lazy("reelpay.graphql.content.types")]
LIST_KEY = (int,)

ProposalOrigin = described_enum(
    models.ProposalOrigin,
    "Who sent a proposal to take part in a campaign.",
    {
        "APPLICATION": "The creator applied; the brand answers.",
        "INVITATION": "The brand invited the creator; the creator answers.",
    },
)
ProposalStatus = described_enum(
    models.ProposalStatus,
    "Where an application or invitation stands.",
    {
        "PENDING": "Waiting for the receiving side's answer.",
        "ACCEPTED": "Accepted: a deal was made (see `deal`).",
        "DECLINED": "Declined by the receiving side; it stays declined.",
        "WITHDRAWN": "Taken back by its sender, or the campaign ended meanwhile; a new "
        "application or invitation may replace it.",
    },
)
DealStatus = described_enum(
    models.DealStatus,
    "Where a deal stands: ACTIVE -> SUBMITTED -> APPROVED, SUBMITTED -> ACTIVE when the brand "
    "asks for changes, ACTIVE -> CANCELLED, and DISPUTED while staff decide.",
    {
        "ACTIVE": "The creator is making the videos (again, after changes were requested).",
        "SUBMITTED": "Videos submitted; the brand reviews them by `reviewDueAt`, after which "
        "they are approved automatically.",
        "APPROVED": "The videos were approved and the flat fee paid.",
        "CANCELLED": "Cancelled by either side while ACTIVE (or with the campaign, or by a "
        "dispute that paid the creator nothing); its reservation went back to the campaign.",
        "DISPUTED": "A dispute is open; staff decide (`resolveDealDispute`).",
    },
)
DisputeResolution = described_enum(
    models.DisputeResolution,
    "How staff resolve a deal's dispute. Staff act only on what the deal still has reserved: "
    "money already paid to the creator is not taken back.",
    {
        "PAY_CREATOR": "The creator wins, as if the brand approved: the fee not yet paid is "
        "paid from the reservation (FLAT_FEE releases the rest; COMMISSION and PER_VIEW keep "
        "the cap reserved). The deal ends APPROVED.",
        "REFUND_BRAND": "The whole reservation goes back to the campaign's free escrow (and "
        "to the brand when the campaign ends). The deal ends CANCELLED, or APPROVED if the "
        "creator had been paid before.",
        "SPLIT": "`creatorAmount` (more than 0, less than the reservation) is paid to the "
        "creator and the rest released. The deal ends APPROVED.",
    },
)


async def sees_deal(info: Info[Context, None], campaign_id: int, creator_id: int) -> bool:
    """The campaign's brand, the creator and staff see a deal or proposal of theirs."""
    viewer = await info.context.viewer()
    if viewer is None:
        return False
    if viewer.id == creator_id or viewer.is_staff:
        return True
    campaign = await info.context.loaders.campaign.load(campaign_id)
    return campaign is not None and campaign.brand_id == viewer.id


async def _account(info: Info[Context, None], account_id: int) -> Account:
    found: AccountModel | None = await info.context.loaders.account.load(account_id)
    assert found is not None  # a foreign key
    return Account.from_model(found)


async def _campaign(info: Info[Context, None], campaign_id: int) -> Campaign:
    from reelpay.graphql.marketplace.types import load_campaign

    return await load_campaign(info, campaign_id)


@strawberry.type(
    description="An application (creator to brand) or invitation (brand to creator) to a DEAL "
    "campaign. Only its brand, its creator and staff see it."
)
class CampaignProposal(Node):
    model: strawberry.Private[models.Proposal]
    origin: ProposalOrigin = strawberry.field(  # type: ignore[valid-type]
        description="APPLICATION or INVITATION."
    )
    status: ProposalStatus = strawberry.field(  # type: ignore[valid-type]
        description="PENDING, ACCEPTED, DECLINED or WITHDRAWN."
    )
    message: str = strawberry.field(
        description="The creator's pitch, or the brand's invitation text (may be empty)."
    )
    proposed_fee: Money | None = strawberry.field(
        description="The flat fee the creator proposed (campaigns that allow offers); null: "
        "the campaign's own fee."
    )
    created_at: datetime = strawberry.field(description="When it was sent.")
    decided_at: datetime | None = strawberry.field(
        description="When it was accepted, declined or withdrawn; null while PENDING."
    )

    @classmethod
    def from_model(cls, model: models.Proposal) -> CampaignProposal:
        fee = model.proposed_fee_cents
        return cls(
            db_id=model.id,
            model=model,
            origin=model.origin,
            status=model.status,
            message=model.message,
            proposed_fee=None if fee is None else Money.usd(fee),
            created_at=model.created_at,
            decided_at=model.decided_at,
        )

    @strawberry.field(description="The campaign.")
    async def campaign(self, info: Info[Context, None]) -> CampaignRef:
        return await _campaign(info, self.model.campaign_id)

    @strawberry.field(description="The creator who applied or was invited.")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(description="The deal it made once ACCEPTED; null before.")
    async def deal(self, info: Info[Context, None]) -> Deal | None:
        if self.model.status is not models.ProposalStatus.ACCEPTED:
            return None
        found = await info.context.loaders.deal_by_proposal.load(self.db_id)
        return Deal.from_model(found) if found is not None else None


@strawberry.type(description="A video delivered for a deal.")
class DealDeliverable:
    model: strawberry.Private[models.Deliverable]
    submitted_at: datetime = strawberry.field(description="When it was (last) submitted.")

    @strawberry.field(
        description="The video; null if it is no longer visible to you (deleted after the "
        "campaign ended, or made private)."
    )
    async def video(self, info: Info[Context, None]) -> VideoRef | None:
        from reelpay.graphql.node import resolve_visible_video

        return await resolve_visible_video(info, self.model.video_id)

    @strawberry.field(
        description="The video's lifetime authentic views (see `Video.viewCount`), shown to "
        "the deal's sides even when the video is no longer visible."
    )
    async def views(self, info: Info[Context, None]) -> int:
        found = await info.context.loaders.video.load(self.model.video_id)
        return int(found.view_count) if found is not None else 0


@strawberry.type(
    description="A creator and a campaign agreed: what the creator may earn is reserved in the "
    "campaign's escrow. Only the campaign's brand, the creator and staff see it."
)
class Deal(Node):
    model: strawberry.Private[models.Deal]
    status: DealStatus = strawberry.field(  # type: ignore[valid-type]
        description="ACTIVE, SUBMITTED, APPROVED, CANCELLED or DISPUTED."
    )
    fee: Money = strawberry.field(
        description="The flat fee agreed (the campaign's, or the creator's accepted offer); 0 "
        "for pure COMMISSION or PER_VIEW terms."
    )
    reserved: Money = strawberry.field(
        description="Still set aside in escrow for this creator (the fee until approval, plus "
        "the cap of COMMISSION and PER_VIEW terms until the campaign ends)."
    )
    paid: Money = strawberry.field(description="Paid to the creator's earnings so far.")
    tracking_code: str = strawberry.field(
        description="COMMISSION: the code the brand reports the creator's sales against."
    )
    change_rounds: int = strawberry.field(
        description="How many times the brand asked for changes (at most 2 by default)."
    )
    comment: str = strawberry.field(
        description="The brand's comment with its last request for changes; empty if none."
    )
    submitted_at: datetime | None = strawberry.field(
        description="When the videos were last submitted; null before."
    )
    review_due_at: datetime | None = strawberry.field(
        description="While SUBMITTED: when the submission is approved automatically if the "
        "brand has not reviewed it (7 days after submitting by default)."
    )
    approved_at: datetime | None = strawberry.field(description="When it was approved.")
    auto_approved: bool = strawberry.field(
        description="Approved by the job because the brand did not review in time."
    )
    created_at: datetime = strawberry.field(description="When the proposal was accepted.")
    ended_at: datetime | None = strawberry.field(
        description="When it was approved or cancelled; null before."
    )

    @classmethod
    def from_model(cls, model: models.Deal) -> Deal:
        return cls(
            db_id=model.id,
            model=model,
            status=model.status,
            fee=Money.usd(model.fee_cents),
            reserved=Money.usd(model.reserved_cents),
            paid=Money.usd(model.paid_cents),
            tracking_code=model.tracking_code,
            change_rounds=model.change_rounds,
            comment=model.comment,
            submitted_at=model.submitted_at,
            review_due_at=model.review_due_at
            if model.status is models.DealStatus.SUBMITTED
            else None,
            approved_at=model.approved_at,
            auto_approved=model.auto_approved,
            created_at=model.created_at,
            ended_at=model.ended_at,
        )

    @strawberry.field(description="The campaign.")
    async def campaign(self, info: Info[Context, None]) -> CampaignRef:
        return await _campaign(info, self.model.campaign_id)

    @strawberry.field(description="The creator.")
    async def creator(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.creator_id)

    @strawberry.field(description="The application or invitation that made the deal.")
    async def proposal(self, info: Info[Context, None]) -> CampaignProposal:
        found = await info.context.loaders.proposal.load(self.model.proposal_id)
        assert found is not None  # a foreign key
        return CampaignProposal.from_model(found)

    @strawberry.field(
        description="The videos of the current submission, in the order submitted (a "
        "resubmission replaces them); empty before the first."
    )
    async def deliverables(self, info: Info[Context, None]) -> list[DealDeliverable]:
        found = await info.context.loaders.deliverables.load(self.db_id)
        return [DealDeliverable(model=d, submitted_at=d.submitted_at) for d in found]

    @strawberry.field(description="The deal's disputes, oldest first (at most one is open).")
    async def disputes(self, info: Info[Context, None]) -> list[Dispute]:
        found = await info.context.loaders.deal_disputes.load(self.db_id)
        return [Dispute.from_model(d) for d in found]

    @strawberry.field(
        description="COMMISSION: the sales the brand reported against `trackingCode` and the "
        "commission each paid, newest first; empty for other terms."
    )
    async def commission_reports(
        self, info: Info[Context, None], first: First = None, after: After = None
    ) -> Connection[
        Annotated[CommissionReport, strawberry.lazy("reelpay.graphql.marketplace.challenges")]
    ]:
        from reelpay.graphql.marketplace import challenges

        return await challenges.commission_reports_of(info, self.db_id, first, after)


@strawberry.type(
    description="A dispute over a deal, opened by its brand or creator and resolved by staff. "
    "Seen by the deal's sides and staff."
)
class Dispute(Node):
    model: strawberry.Private[models.Dispute]
    reason: str = strawberry.field(description="Why it was opened.")
    deal_status_before: DealStatus = strawberry.field(  # type: ignore[valid-type]
        description="The deal's status when the dispute was opened."
    )
    resolution: DisputeResolution | None = strawberry.field(  # type: ignore[valid-type]
        description="How staff resolved it; null while open."
    )
    creator_amount: Money = strawberry.field(
        description="What the resolution paid the creator (0 while open)."
    )
    released_amount: Money = strawberry.field(
        description="What the resolution released from the deal's reservation back to the "
        "campaign's free escrow (0 while open)."
    )
    note: str = strawberry.field(description="Staff's note with the resolution; may be empty.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    resolved_at: datetime | None = strawberry.field(
        description="When staff resolved it; null while open."
    )

    @classmethod
    def from_model(cls, model: models.Dispute) -> Dispute:
        return cls(
            db_id=model.id,
            model=model,
            reason=model.reason,
            deal_status_before=model.deal_status_before,
            resolution=model.resolution,
            creator_amount=Money.usd(model.creator_cents),
            released_amount=Money.usd(model.brand_cents),
            note=model.note,
            created_at=model.created_at,
            resolved_at=model.resolved_at,
        )

    @strawberry.field(description="The deal disputed.")
    async def deal(self, info: Info[Context, None]) -> Deal:
        found = await info.context.loaders.deal.load(self.model.deal_id)
        assert found is not None  # a foreign key
        return Deal.from_model(found)

    @strawberry.field(description="Who opened it: the deal's brand or creator.")
    async def opened_by(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.opened_by_id)


@strawberry.type(
    description="The public disclosure on a video: a paid partnership with a brand, put on by "
    "a deal's submission. It stays until the campaign has ended."
)
class PaidPartnership:
    model: strawberry.Private[models.PaidPartnership]
    labelled_at: datetime = strawberry.field(description="When the label was put on.")

    @strawberry.field(description="The brand's profile (its name, website and category).")
    async def brand(self, info: Info[Context, None]) -> BrandProfileRef | None:
        from reelpay.graphql.marketplace.types import BrandProfile

        found = await info.context.loaders.brand_profile.load(self.model.brand_id)
        return BrandProfile.from_model(found) if found is not None else None

    @strawberry.field(description="The brand's account.")
    async def brand_account(self, info: Info[Context, None]) -> Account:
        return await _account(info, self.model.brand_id)

    @strawberry.field(
        description="The campaign the video was made for; null when it is hidden from you (a "
        "cancelled campaign is seen by its brand, its creators and staff only)."
    )
    async def campaign(self, info: Info[Context, None]) -> CampaignRef | None:
        from reelpay.graphql.marketplace.types import Campaign, visible_campaign_model

        found = await info.context.loaders.campaign.load(self.model.campaign_id)
        model = await visible_campaign_model(info, found)
        return Campaign.from_model(model) if model is not None else None


# --- node(id:) -------------------------------------------------------------------------------


async def resolve_proposal(info: Info[Context, None], pk: int) -> CampaignProposal | None:
    found = await info.context.loaders.proposal.load(pk)
    if found is None or not await sees_deal(info, found.campaign_id, found.creator_id):
        return None
    return CampaignProposal.from_model(found)


async def resolve_deal(info: Info[Context, None], pk: int) -> Deal | None:
    found = await info.context.loaders.deal.load(pk)
    if found is None or not await sees_deal(info, found.campaign_id, found.creator_id):
        return None
    return Deal.from_model(found)


async def resolve_dispute(info: Info[Context, None], pk: int) -> Dispute | None:
    found = await info.context.loaders.dispute.load(pk)
    if found is None:
        return None
    deal = await info.context.loaders.deal.load(found.deal_id)
    if deal is None or not await sees_deal(info, deal.campaign_id, deal.creator_id):
        return None
    return Dispute.from_model(found)


# --- lists -----------------------------------------------------------------------------------


async def campaign_proposals(
    info: Info[Context, None],
    campaign: models.Campaign,
    *,
    status: models.ProposalStatus | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[CampaignProposal] | None:
    """`Campaign.proposals`: its brand and staff only (null for anyone else)."""
    ctx = info.context
    if not campaign_rules.sees_whole(await ctx.viewer(), campaign):
        return None
    request = page_request(
        ctx.settings.limits, LIST_KEY, first=first, after=after, last=last, before=before
    )
    page = await ctx.loaders.campaign_proposal_page.load((campaign.id, status, request))
    return connection(
        page,
        CampaignProposal.from_model,
        lambda: ctx.loaders.campaign_proposal_count.load((campaign.id, status)),
    )


async def campaign_deals(
    info: Info[Context, None],
    campaign: models.Campaign,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Deal] | None:
    """`Campaign.deals`: its brand and staff only (null for anyone else)."""
    ctx = info.context
    if not campaign_rules.sees_whole(await ctx.viewer(), campaign):
        return None
    request = page_request(
        ctx.settings.limits, LIST_KEY, first=first, after=after, last=last, before=before
    )
    page = await ctx.loaders.campaign_deal_page.load((campaign.id, request))
    return connection(
        page, Deal.from_model, lambda: ctx.loaders.campaign_deal_count.load(campaign.id)
    )


async def own_deals(
    info: Info[Context, None],
    account_id: int,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Deal] | None:
    """`Account.deals`: the viewer's own only (null on anyone else's account)."""
    from reelpay.graphql.relay import paged

    viewer = await info.context.viewer()
    if viewer is None or viewer.id != account_id:
        return None
    return await paged(
        info.context, LIST_KEY, first=first, after=after, last=last, before=before,
        fetch=lambda s, request: deal_reads.creator_deals(s, account_id, request),
        count=lambda s: deal_reads.creator_deal_count(s, account_id),
        to_node=Deal.from_model,
    )  # fmt: skip


async def own_proposals(
    info: Info[Context, None],
    account_id: int,
    *,
    status: models.ProposalStatus | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[CampaignProposal] | None:
    """`Account.proposals`: the viewer's own only (null on anyone else's account)."""
    from reelpay.graphql.relay import paged

    viewer = await info.context.viewer()
    if viewer is None or viewer.id != account_id:
        return None
    return await paged(
        info.context, LIST_KEY, first=first, after=after, last=last, before=before,
        fetch=lambda s, request: deal_reads.creator_proposals(s, account_id, request, status),
        count=lambda s: deal_reads.creator_proposal_count(s, account_id, status),
        to_node=CampaignProposal.from_model,
    )  # fmt: skip
