"""Applying, inviting, answering, delivering, reviewing, cancelling and disputing deals, the
paid-partnership label, and the brands' search of creators to invite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.errors import DomainError, ErrorCode
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.marketplace.deals import (
    CampaignProposal,
    Deal,
    Dispute,
    DisputeResolution,
)
from reelpay.graphql.marketplace.types import Campaign, Category, load_campaign
from reelpay.graphql.money import MoneyInput, minor_units
from reelpay.graphql.relay import (
    After,
    Connection,
    Edge,
    PageInfo,
    decode_id_of,
    encode_cursor,
    page_request,
)
from reelpay.marketplace import brands, creators, deals, disputes, proposals

INPUT = "The mutation's arguments."
ERRORS = "Why nothing changed; empty on success."
CAMPAIGN_ID = ("input", "campaignId")
PROPOSAL_ID = ("input", "proposalId")
DEAL_ID = ("input", "dealId")
DISPUTE_ID = ("input", "disputeId")
VIDEO_ID = ("input", "videoId")
CREATOR_ID = ("input", "creatorId")
SEARCH_KEY = (int, int)
MESSAGE_TEXT = "Up to 2,000 characters by default (a setting); may be empty."
P = TypeVar("P")


# --- inputs ----------------------------------------------------------------------------------


@strawberry.input(description="Apply to a DEAL campaign as a creator.")
class ApplyToCampaignInput:
    campaign_id: strawberry.ID = strawberry.field(description="An OPEN or IN_PROGRESS Campaign.")
    message: str = strawberry.field(default="", description="Your pitch. " + MESSAGE_TEXT)
    proposed_fee: MoneyInput | None = strawberry.field(
        default=None,
        description="The flat fee you ask for, where the campaign `allowsOffers` "
        "(OFFERS_NOT_ALLOWED otherwise): more than 0, at most the campaign's budget. Null: "
        "the campaign's own fee.",
    )


@strawberry.input(description="Invite a creator to one of your DEAL campaigns.")
class InviteCreatorInput:
    campaign_id: strawberry.ID = strawberry.field(
        description="One of your OPEN or IN_PROGRESS Campaigns."
    )
    creator_id: strawberry.ID = strawberry.field(
        description="The creator's Account ID (see `searchCreators`)."
    )
    message: str = strawberry.field(default="", description="Your invitation. " + MESSAGE_TEXT)


@strawberry.input(description="An application or invitation to answer.")
class AcceptCampaignProposalInput:
    proposal_id: strawberry.ID = strawberry.field(
        description="A PENDING CampaignProposal sent to you (the brand answers applications, "
        "the creator invitations)."
    )


@strawberry.input(description="An application or invitation to decline.")
class DeclineCampaignProposalInput:
    proposal_id: strawberry.ID = strawberry.field(
        description="A PENDING CampaignProposal sent to you."
    )


@strawberry.input(description="An application or invitation of yours to take back.")
class WithdrawCampaignProposalInput:
    proposal_id: strawberry.ID = strawberry.field(
        description="A PENDING CampaignProposal you sent."
    )


@strawberry.input(description="The videos to deliver for an ACTIVE deal of yours.")
class SubmitDealInput:
    deal_id: strawberry.ID = strawberry.field(description="Your ACTIVE Deal.")
    video_ids: list[strawberry.ID] = strawberry.field(
        description="Exactly the campaign's `deliverables.videosRequired` distinct videos of "
        "yours: public, published inside the posting window (its end excluded), carrying its "
        "hashtag and mention when set. Errors point at the index of each video at fault. A "
        "resubmission replaces the previous videos."
    )


@strawberry.input(description="A deal of yours to act on.")
class ApproveDealInput:
    deal_id: strawberry.ID = strawberry.field(description="A SUBMITTED Deal of your campaign.")


@strawberry.input(description="Send a submission back to the creator.")
class RequestDealChangesInput:
    deal_id: strawberry.ID = strawberry.field(description="A SUBMITTED Deal of your campaign.")
    comment: str = strawberry.field(
        description="What to change: 1 to 2,000 characters by default (required)."
    )


@strawberry.input(description="A deal to cancel.")
class CancelDealInput:
    deal_id: strawberry.ID = strawberry.field(
        description="An ACTIVE Deal of yours (as its brand or its creator)."
    )


@strawberry.input(description="Ask staff to decide a deal.")
class OpenDealDisputeInput:
    deal_id: strawberry.ID = strawberry.field(
        description="An ACTIVE, SUBMITTED or APPROVED Deal of yours, its campaign running."
    )
    reason: str = strawberry.field(
        description="What went wrong: 1 to 2,000 characters by default (required)."
    )


@strawberry.input(description="Staff: decide a dispute.")
class ResolveDealDisputeInput:
    dispute_id: strawberry.ID = strawberry.field(description="An open Dispute.")
    resolution: DisputeResolution = strawberry.field(  # type: ignore[valid-type]
        description="PAY_CREATOR, REFUND_BRAND or SPLIT (see DisputeResolution)."
    )
    creator_amount: MoneyInput | None = strawberry.field(
        default=None,
        description="SPLIT only (required there): what the creator gets, more than 0 and less "
        "than the deal's `reserved` (INVALID_SPLIT otherwise).",
    )
    note: str = strawberry.field(
        default="", description="Why, for both sides (in the notification). " + MESSAGE_TEXT
    )


@strawberry.input(description="A video of yours to take the paid-partnership label off.")
class RemovePaidPartnershipLabelInput:
    video_id: strawberry.ID = strawberry.field(
        description="Your Video; its campaign must have ended (PARTNERSHIP_LABEL_LOCKED while "
        "it runs)."
    )


@strawberry.input(description="Narrow `searchCreators` (every field optional).")
class CreatorSearchFilter:
    category: Category | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Creators who make videos in this category."
    )
    min_followers: int | None = strawberry.field(
        default=None, description="Creators with at least this many followers."
    )
    country: str | None = strawberry.field(
        default=None, description="Creators in this ISO 3166-1 alpha-2 country."
    )


# --- payloads --------------------------------------------------------------------------------


@strawberry.type(description="The application or invitation a mutation changed.")
class CampaignProposalPayload:
    proposal: CampaignProposal | None = strawberry.field(
        default=None, description="The proposal as it is now; null on userErrors."
    )
    campaign_id: strawberry.Private[int | None] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)

    @strawberry.field(description="Its campaign as it is now; null on userErrors.")
    async def campaign(self, info: Info[Context, None]) -> Campaign | None:
        return None if self.campaign_id is None else await load_campaign(info, self.campaign_id)


@strawberry.type(description="The accepted proposal, the deal it made and the campaign.")
class AcceptCampaignProposalPayload:
    proposal: CampaignProposal | None = strawberry.field(
        default=None, description="The proposal, now ACCEPTED; null on userErrors."
    )
    deal: Deal | None = strawberry.field(
        default=None, description="The new ACTIVE deal, its reservation made; null on userErrors."
    )
    campaign_id: strawberry.Private[int | None] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)

    @strawberry.field(
        description="The campaign as it is now (IN_PROGRESS, a slot taken); null on userErrors."
    )
    async def campaign(self, info: Info[Context, None]) -> Campaign | None:
        return None if self.campaign_id is None else await load_campaign(info, self.campaign_id)


@strawberry.type(description="The deal a mutation changed, and its campaign.")
class DealPayload:
    deal: Deal | None = strawberry.field(
        default=None, description="The deal as it is now; null on userErrors."
    )
    campaign_id: strawberry.Private[int | None] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)

    @strawberry.field(description="Its campaign as it is now; null on userErrors.")
    async def campaign(self, info: Info[Context, None]) -> Campaign | None:
        return None if self.campaign_id is None else await load_campaign(info, self.campaign_id)


@strawberry.type(description="The dispute a mutation opened or resolved, and its deal.")
class DisputePayload:
    dispute: Dispute | None = strawberry.field(
        default=None, description="The dispute as it is now; null on userErrors."
    )
    deal: Deal | None = strawberry.field(
        default=None, description="Its deal as it is now; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The video whose label came off.")
class RemovePaidPartnershipLabelPayload:
    video: Video | None = strawberry.field(
        default=None, description="The video, its `paidPartnership` now null; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(
    description="A creator a brand may invite: public figures only. Enrolled and receiving in "
    "the Creator Marketplace, public account."
)
class MarketplaceCreator:
    model: strawberry.Private[AccountModel]
    follower_count: int = strawberry.field(description="Approved followers.")

    @strawberry.field(description="The creator's account (pass its `id` to `inviteCreator`).")
    def account(self) -> Account:
        return Account.from_model(self.model)

    @strawberry.field(description="The creator's @handle.")
    def handle(self) -> str:
        return self.model.handle

    @strawberry.field(description="The creator's display name.")
    def display_name(self) -> str:
        return self.model.display_name

    @strawberry.field(description="The creator's country (ISO 3166-1 alpha-2).")
    def country(self) -> str:
        return self.model.country

    @strawberry.field(
        description="Authentic views of the creator's videos over the last 30 complete UTC "
        "days (today's count from tomorrow)."
    )
    async def views_in_last_30_days(self, info: Info[Context, None]) -> int:
        found: int = await info.context.loaders.views_in_window.load(self.model.id)
        return found

    @strawberry.field(description="The categories the creator makes videos in.")
    async def categories(self, info: Info[Context, None]) -> list[Category]:  # type: ignore[valid-type]
        found: list[Any] = await info.context.loaders.creator_categories.load(self.model.id)
        return found


# --- resolvers -------------------------------------------------------------------------------


async def _run(
    info: Info[Context, None],
    payload: Callable[..., P],
    work: Callable[[AsyncSession, AccountModel], Awaitable[P]],
) -> P:
    """The mutation's work in one write transaction, as the logged-in viewer."""

    async def run() -> P:
        return await info.context.write_logged_in(work)

    return await as_user_errors(payload, run)


def _proposal_payload(proposal: Any) -> CampaignProposalPayload:
    return CampaignProposalPayload(
        proposal=CampaignProposal.from_model(proposal), campaign_id=proposal.campaign_id
    )


def _deal_payload(deal: Any) -> DealPayload:
    return DealPayload(deal=Deal.from_model(deal), campaign_id=deal.campaign_id)


def _video_ids(ids: list[strawberry.ID], limit: int) -> list[int]:
    if len(ids) > limit:
        raise DomainError(
            f"Submit at most {limit} videos.", code=ErrorCode.INVALID_INPUT,
            field=("input", "videoIds"),
        )  # fmt: skip
    return [decode_id_of(gid, "Video", ("input", "videoIds", str(i))) for i, gid in enumerate(ids)]


@strawberry.type
class DealQueries:
    @strawberry.field(
        description="Brands only (a BUSINESS account with a brand profile): creators you may "
        "invite, most followed first (then oldest account). Public figures only."
    )
    async def search_creators(
        self,
        info: Info[Context, None],
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Return the first n creators (after `after`): 1 to "
                "100; 20 when left out."
            ),
        ] = None,
        after: After = None,
        filter: Annotated[
            CreatorSearchFilter | None, strawberry.argument(description="Narrow the search.")
        ] = None,
    ) -> Connection[MarketplaceCreator]:
        ctx = info.context
        viewer = await ctx.require_viewer()
        await ctx.read(lambda s: brands.require_brand(s, viewer))
        request = page_request(
            ctx.settings.limits, SEARCH_KEY, first=first, after=after, last=None, before=None
        )
        given = filter or CreatorSearchFilter()
        filters = creators.CreatorFilter(
            category=given.category, min_followers=given.min_followers, country=given.country
        )
        today, rules = ctx.now.date(), ctx.settings.rules
        key = request.after
        page = await ctx.read(
            lambda s: creators.search(
                s, filters, first=request.size, after=(key[0], key[1]) if key else None,
                today=today, rules=rules,
            )
        )  # fmt: skip
        cursors = [encode_cursor((c.followers, c.account.id)) for c in page.items]
        return Connection(
            edges=[
                Edge(
                    cursor=cursor,
                    node=MarketplaceCreator(model=c.account, follower_count=c.followers),
                )
                for cursor, c in zip(cursors, page.items, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=key is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            count=lambda: ctx.read(
                lambda s: creators.search_count(s, filters, today=today, rules=rules)
            ),
        )


@strawberry.type
class DealMutations:
    @strawberry.mutation(
        description="Apply to an OPEN or IN_PROGRESS DEAL campaign (creators enrolled and "
        "receiving in the Creator Marketplace who meet its requirements; before its deadline, "
        "applications not paused, a slot free). The brand is notified."
    )
    async def apply_to_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[ApplyToCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignProposalPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> CampaignProposalPayload:
            campaign_id = decode_id_of(input.campaign_id, "Campaign", CAMPAIGN_ID)
            fee = (
                None
                if input.proposed_fee is None
                else minor_units(input.proposed_fee, ("input", "proposedFee"))
            )
            proposal = await proposals.apply_to_campaign(
                s, viewer, campaign_id, message=input.message, proposed_fee_cents=fee,
                now=ctx.now, rules=ctx.settings.rules,
            )  # fmt: skip
            return _proposal_payload(proposal)

        return await _run(info, CampaignProposalPayload, work)

    @strawberry.mutation(
        description="Brands: invite a qualified creator to your OPEN or IN_PROGRESS DEAL "
        "campaign (before its deadline, not paused, a slot free). The creator is notified."
    )
    async def invite_creator(
        self,
        info: Info[Context, None],
        input: Annotated[InviteCreatorInput, strawberry.argument(description=INPUT)],
    ) -> CampaignProposalPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> CampaignProposalPayload:
            campaign_id = decode_id_of(input.campaign_id, "Campaign", CAMPAIGN_ID)
            creator_id = decode_id_of(input.creator_id, "Account", CREATOR_ID)
            proposal = await proposals.invite_creator(
                s, viewer, campaign_id, creator_id, message=input.message, now=ctx.now,
                rules=ctx.settings.rules,
            )  # fmt: skip
            return _proposal_payload(proposal)

        return await _run(info, CampaignProposalPayload, work)

    @strawberry.mutation(
        description="Accept an application (the brand) or an invitation (the creator): the "
        "deal starts and the creator's maximum is reserved in escrow (CAMPAIGN_BUDGET_EXHAUSTED "
        "if it is short). Both are notified."
    )
    async def accept_campaign_proposal(
        self,
        info: Info[Context, None],
        input: Annotated[AcceptCampaignProposalInput, strawberry.argument(description=INPUT)],
    ) -> AcceptCampaignProposalPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> AcceptCampaignProposalPayload:
            pk = decode_id_of(input.proposal_id, "CampaignProposal", PROPOSAL_ID)
            deal = await proposals.accept_proposal(
                s, viewer, pk, now=ctx.now, rules=ctx.settings.rules
            )
            proposal = await s.get(proposals.Proposal, pk)
            assert proposal is not None
            return AcceptCampaignProposalPayload(
                proposal=CampaignProposal.from_model(proposal),
                deal=Deal.from_model(deal),
                campaign_id=deal.campaign_id,
            )

        return await _run(info, AcceptCampaignProposalPayload, work)

    @strawberry.mutation(
        description="Decline an application (the brand) or an invitation (the creator); its "
        "sender is notified."
    )
    async def decline_campaign_proposal(
        self,
        info: Info[Context, None],
        input: Annotated[DeclineCampaignProposalInput, strawberry.argument(description=INPUT)],
    ) -> CampaignProposalPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> CampaignProposalPayload:
            pk = decode_id_of(input.proposal_id, "CampaignProposal", PROPOSAL_ID)
            return _proposal_payload(await proposals.decline_proposal(s, viewer, pk, now=ctx.now))

        return await _run(info, CampaignProposalPayload, work)

    @strawberry.mutation(description="Take back a PENDING application or invitation you sent.")
    async def withdraw_campaign_proposal(
        self,
        info: Info[Context, None],
        input: Annotated[WithdrawCampaignProposalInput, strawberry.argument(description=INPUT)],
    ) -> CampaignProposalPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> CampaignProposalPayload:
            pk = decode_id_of(input.proposal_id, "CampaignProposal", PROPOSAL_ID)
            return _proposal_payload(await proposals.withdraw_proposal(s, viewer, pk, now=ctx.now))

        return await _run(info, CampaignProposalPayload, work)

    @strawberry.mutation(
        description="Creators: submit your videos for an ACTIVE deal. Each is labelled "
        "publicly as a paid partnership with the brand, which reviews them by `reviewDueAt` "
        "(after that they are approved automatically)."
    )
    async def submit_deal(
        self,
        info: Info[Context, None],
        input: Annotated[SubmitDealInput, strawberry.argument(description=INPUT)],
    ) -> DealPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DealPayload:
            pk = decode_id_of(input.deal_id, "Deal", DEAL_ID)
            rules = ctx.settings.rules
            video_ids = _video_ids(input.video_ids, rules.campaign_max_videos)
            deal = await deals.submit_deal(s, viewer, pk, video_ids, now=ctx.now, rules=rules)
            return _deal_payload(deal)

        return await _run(info, DealPayload, work)

    @strawberry.mutation(
        description="Brands: approve a SUBMITTED deal; its fee moves from escrow to the "
        "creator's earnings. Both are notified."
    )
    async def approve_deal(
        self,
        info: Info[Context, None],
        input: Annotated[ApproveDealInput, strawberry.argument(description=INPUT)],
    ) -> DealPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DealPayload:
            pk = decode_id_of(input.deal_id, "Deal", DEAL_ID)
            return _deal_payload(await deals.approve_deal(s, viewer, pk, now=ctx.now))

        return await _run(info, DealPayload, work)

    @strawberry.mutation(
        description="Brands: send a SUBMITTED deal back to ACTIVE with a comment (at most 2 "
        "rounds by default: TOO_MANY_CHANGE_ROUNDS). The creator is notified."
    )
    async def request_deal_changes(
        self,
        info: Info[Context, None],
        input: Annotated[RequestDealChangesInput, strawberry.argument(description=INPUT)],
    ) -> DealPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DealPayload:
            pk = decode_id_of(input.deal_id, "Deal", DEAL_ID)
            deal = await deals.request_changes(
                s, viewer, pk, input.comment, now=ctx.now, rules=ctx.settings.rules
            )
            return _deal_payload(deal)

        return await _run(info, DealPayload, work)

    @strawberry.mutation(
        description="Cancel an ACTIVE deal (its brand or its creator): the reservation goes "
        "back to the campaign and the slot frees up. Both are notified."
    )
    async def cancel_deal(
        self,
        info: Info[Context, None],
        input: Annotated[CancelDealInput, strawberry.argument(description=INPUT)],
    ) -> DealPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DealPayload:
            pk = decode_id_of(input.deal_id, "Deal", DEAL_ID)
            return _deal_payload(await deals.cancel_deal(s, viewer, pk, now=ctx.now))

        return await _run(info, DealPayload, work)

    @strawberry.mutation(
        description="Open a dispute on an ACTIVE, SUBMITTED or APPROVED deal of yours (its "
        "brand or creator) while the campaign runs; staff decide. The other side is notified."
    )
    async def open_deal_dispute(
        self,
        info: Info[Context, None],
        input: Annotated[OpenDealDisputeInput, strawberry.argument(description=INPUT)],
    ) -> DisputePayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DisputePayload:
            pk = decode_id_of(input.deal_id, "Deal", DEAL_ID)
            dispute = await disputes.open_dispute(
                s, viewer, pk, input.reason, now=ctx.now, rules=ctx.settings.rules
            )
            deal = await s.get(deals.Deal, pk)
            assert deal is not None
            return DisputePayload(dispute=Dispute.from_model(dispute), deal=Deal.from_model(deal))

        return await _run(info, DisputePayload, work)

    @strawberry.mutation(
        description="Staff only: resolve an open dispute by paying the creator, returning the "
        "reservation to the campaign, or splitting it. Both sides are notified."
    )
    async def resolve_deal_dispute(
        self,
        info: Info[Context, None],
        input: Annotated[ResolveDealDisputeInput, strawberry.argument(description=INPUT)],
    ) -> DisputePayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> DisputePayload:
            pk = decode_id_of(input.dispute_id, "Dispute", DISPUTE_ID)
            amount = (
                None
                if input.creator_amount is None
                else minor_units(input.creator_amount, ("input", "creatorAmount"))
            )
            dispute = await disputes.resolve_dispute(
                s, viewer, pk, input.resolution, creator_cents=amount, note=input.note,
                now=ctx.now, rules=ctx.settings.rules,
            )  # fmt: skip
            deal = await s.get(deals.Deal, dispute.deal_id)
            assert deal is not None
            return DisputePayload(dispute=Dispute.from_model(dispute), deal=Deal.from_model(deal))

        return await _run(info, DisputePayload, work)

    @strawberry.mutation(
        description="Take the paid-partnership label off one of your videos once its campaign "
        "has ended (PARTNERSHIP_LABEL_LOCKED while it runs)."
    )
    async def remove_paid_partnership_label(
        self,
        info: Info[Context, None],
        input: Annotated[RemovePaidPartnershipLabelInput, strawberry.argument(description=INPUT)],
    ) -> RemovePaidPartnershipLabelPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> RemovePaidPartnershipLabelPayload:
            pk = decode_id_of(input.video_id, "Video", VIDEO_ID)
            video = await deals.remove_partnership_label(s, viewer, pk, now=ctx.now)
            return RemovePaidPartnershipLabelPayload(video=Video.from_model(video))

        return await _run(info, RemovePaidPartnershipLabelPayload, work)
