"""Applications (creator to brand) and invitations (brand to creator) to DEAL campaigns, and
answering them: accepting one makes the deal and reserves the creator's maximum in escrow.

One proposal per creator and campaign. Declined, it stays declined; withdrawn (by its sender,
or by the campaign closing), a new application or invitation may take its place (the same row
starts again as PENDING). The receiving side answers: the brand an application, the creator an
invitation; the sending side withdraws.

Every write that can make a deal locks the campaign's row first (`escrow.lock`), so slots and
escrow are checked and taken one acceptance at a time on every database.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from reelpay.marketplace import brands, campaign_rules, escrow, notices, qualification
from reelpay.marketplace.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Deal,
    DealStatus,
    Proposal,
    ProposalOrigin,
    ProposalStatus,
    TermsKind,
)
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import usd
from reelpay.settings import Rules

CAMPAIGN_FIELD = ("input", "campaignId")
CREATOR_FIELD = ("input", "creatorId")
PROPOSAL_FIELD = ("input", "proposalId")
MESSAGE_FIELD = ("input", "message")
FEE_FIELD = ("input", "proposedFee")
# Deals that hold a slot: every deal that was not cancelled.
SLOT_HOLDING = tuple(s for s in DealStatus if s is not DealStatus.CANCELLED)
CAPPED_TERMS = (TermsKind.COMMISSION, TermsKind.PER_VIEW)


def message_of(text: str, rules: Rules, *, field: tuple[str, ...], required: bool) -> str:
    """A pitch, invitation, review comment or dispute reason: trimmed, 0 (or 1) to
    `campaign_message_max_length` characters."""
    text = text.strip()
    limit = rules.campaign_message_max_length
    if len(text) > limit or (required and not text):
        least = 1 if required else 0
        raise DomainError(
            f"Write {least} to {limit:,} characters.", code=ErrorCode.INVALID_INPUT, field=field
        )
    return text


def new_tracking_code() -> str:
    """A unique, unguessable code the brand reports a creator's sales against."""
    return "RP" + base64.b32encode(secrets.token_bytes(10)).decode()


async def slots_taken(session: AsyncSession, campaign_id: int) -> int:
    """Deals holding a slot of the campaign (read under its lock)."""
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(Deal)
            .where(Deal.campaign_id == campaign_id, Deal.status.in_(SLOT_HOLDING))
        )
        or 0
    )


def reservation_for(campaign: Campaign, fee_cents: int) -> int:
    """What accepting a creator sets aside: the fee, plus the cap for COMMISSION and
    PER_VIEW terms."""
    cap = campaign.cap_per_creator_cents or 0
    return fee_cents + (cap if campaign.terms_kind in CAPPED_TERMS else 0)


def fee_for(campaign: Campaign, proposal: Proposal) -> int:
    """The deal's flat fee: the creator's accepted offer, else the campaign's (or none)."""
    if campaign.allows_offers and proposal.proposed_fee_cents is not None:
        return proposal.proposed_fee_cents
    return campaign.flat_fee_cents or 0


async def _existing(session: AsyncSession, campaign_id: int, creator_id: int) -> Proposal | None:
    return await session.scalar(
        sa.select(Proposal)
        .where(Proposal.campaign_id == campaign_id, Proposal.creator_id == creator_id)
        .execution_options(populate_existing=True)
    )


def _not_a_deal_campaign(campaign: Campaign) -> None:
    if campaign.kind is CampaignKind.CHALLENGE:
        raise DomainError(
            "This campaign is a sponsored challenge: enter it with `enterChallenge`.",
            code=ErrorCode.NOT_A_CHALLENGE,
            field=CAMPAIGN_FIELD,
        )


def require_running(
    campaign: Campaign, doing: str, field: tuple[str, ...] = CAMPAIGN_FIELD
) -> None:
    """CAMPAIGN_STATE_INVALID unless the campaign is OPEN or IN_PROGRESS."""
    if campaign.status not in campaign_rules.RUNNING_STATUSES:
        raise DomainError(
            f"The campaign is {campaign.status.value}: {doing} needs it OPEN or IN_PROGRESS.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=field,
        )


def _require_taking_creators(campaign: Campaign, now: datetime) -> None:
    """APPLICATIONS_CLOSED while paused or from the deadline on (the deadline itself is late)."""
    if campaign.applications_paused:
        raise DomainError(
            "The brand has paused applications and invitations for this campaign.",
            code=ErrorCode.APPLICATIONS_CLOSED,
            field=CAMPAIGN_FIELD,
        )
    if now >= campaign.application_deadline:
        raise DomainError(
            f"Applications closed at {campaign.application_deadline.isoformat()}.",
            code=ErrorCode.APPLICATIONS_CLOSED,
            field=CAMPAIGN_FIELD,
        )


async def _require_slot(
    session: AsyncSession, campaign: Campaign, field: tuple[str, ...] = CAMPAIGN_FIELD
) -> None:
    if await slots_taken(session, campaign.id) >= campaign.creator_slots:
        raise DomainError(
            f"All {campaign.creator_slots} creator slot(s) of the campaign are taken.",
            code=ErrorCode.CAMPAIGN_FULL,
            field=field,
        )


def _no_duplicate(existing: Proposal | None) -> None:
    if existing is not None and existing.status is not ProposalStatus.WITHDRAWN:
        raise DomainError(
            "This creator already applied to or was invited to this campaign "
            f"({existing.origin.value.lower()}, {existing.status.value.lower()}).",
            code=ErrorCode.ALREADY_PROPOSED,
            field=CAMPAIGN_FIELD,
        )


def _save(
    session: AsyncSession,
    existing: Proposal | None,
    *,
    campaign_id: int,
    creator_id: int,
    origin: ProposalOrigin,
    message: str,
    fee_cents: int | None,
    now: datetime,
) -> Proposal:
    """A new PENDING proposal, or the withdrawn one started again."""
    proposal = existing or Proposal(campaign_id=campaign_id, creator_id=creator_id)
    proposal.origin = origin
    proposal.status = ProposalStatus.PENDING
    proposal.message = message
    proposal.proposed_fee_cents = fee_cents
    proposal.created_at = now
    proposal.decided_at = None
    if existing is None:
        session.add(proposal)
    return proposal


async def apply_to_campaign(
    session: AsyncSession,
    creator: Account,
    campaign_id: int,
    *,
    message: str,
    proposed_fee_cents: int | None,
    now: datetime,
    rules: Rules,
) -> Proposal:
    """Apply to an OPEN or IN_PROGRESS DEAL campaign, with a pitch and (where the brand allows
    offers) a proposed flat fee. CAMPAIGN_APPLICATION to the brand."""
    message = message_of(message, rules, field=MESSAGE_FIELD, required=False)
    campaign = await escrow.lock(session, campaign_id)
    existing = await _existing(session, campaign.id, creator.id)
    if not campaign_rules.can_see(creator, campaign, involved=existing is not None):
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    _not_a_deal_campaign(campaign)
    require_running(campaign, "applying")
    _require_taking_creators(campaign, now)
    _no_duplicate(existing)
    if proposed_fee_cents is not None:
        if not campaign.allows_offers:
            raise DomainError(
                "This campaign pays its own fee: it takes no proposed fee.",
                code=ErrorCode.OFFERS_NOT_ALLOWED,
                field=FEE_FIELD,
            )
        if not 0 < proposed_fee_cents <= campaign.budget_cents:
            raise DomainError(
                f"Propose a fee above 0 and at most the campaign's budget "
                f"({usd(campaign.budget_cents)}).",
                code=ErrorCode.INVALID_INPUT,
                field=FEE_FIELD,
            )
    await _require_slot(session, campaign)
    await qualification.check_creator(
        session, creator, campaign, today=now.date(), rules=rules, field=CAMPAIGN_FIELD
    )
    proposal = _save(
        session, existing, campaign_id=campaign.id, creator_id=creator.id,
        origin=ProposalOrigin.APPLICATION, message=message, fee_cents=proposed_fee_cents,
        now=now,
    )  # fmt: skip
    await session.flush()
    offer = f" proposing {usd(proposed_fee_cents)}" if proposed_fee_cents else ""
    await notices.tell(
        session, campaign.brand_id, NotificationKind.CAMPAIGN_APPLICATION, campaign,
        title="New application",
        body=f"@{creator.handle} applied to {notices.quoted(campaign.title)}{offer}.",
        now=now, proposal_id=proposal.id,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, creator.id), campaign_id=campaign.id,
        event="APPLICATION_SENT", proposal_id=proposal.id,
    )  # fmt: skip
    return proposal


async def invite_creator(
    session: AsyncSession,
    brand: Account,
    campaign_id: int,
    creator_id: int,
    *,
    message: str,
    now: datetime,
    rules: Rules,
) -> Proposal:
    """The brand invites a qualified creator to its OPEN or IN_PROGRESS DEAL campaign (not
    paused, before the deadline, a slot free). CAMPAIGN_INVITATION to the creator."""
    message = message_of(message, rules, field=MESSAGE_FIELD, required=False)
    await brands.require_brand(session, brand)
    campaign = await escrow.lock(session, campaign_id)
    if campaign.brand_id != brand.id:
        raise NotFound("No such campaign of yours.", field=CAMPAIGN_FIELD)
    _not_a_deal_campaign(campaign)
    require_running(campaign, "inviting")
    _require_taking_creators(campaign, now)
    creator = await session.get(Account, creator_id)
    if creator is None:
        raise NotFound("No such creator.", field=CREATOR_FIELD)
    existing = await _existing(session, campaign.id, creator.id)
    _no_duplicate(existing)
    await _require_slot(session, campaign)
    await qualification.check_creator(
        session, creator, campaign, today=now.date(), rules=rules, to_brand=True,
        field=CREATOR_FIELD,
    )  # fmt: skip
    proposal = _save(
        session, existing, campaign_id=campaign.id, creator_id=creator.id,
        origin=ProposalOrigin.INVITATION, message=message, fee_cents=None, now=now,
    )  # fmt: skip
    await session.flush()
    profile = await brands.get_brand_profile(session, brand.id)
    name = profile.name if profile is not None else f"@{brand.handle}"
    await notices.tell(
        session, creator.id, NotificationKind.CAMPAIGN_INVITATION, campaign,
        title="Campaign invitation",
        body=f"{name} invited you to {notices.quoted(campaign.title)}.",
        now=now, proposal_id=proposal.id,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, creator.id), campaign_id=campaign.id,
        event="INVITATION_SENT", proposal_id=proposal.id,
    )  # fmt: skip
    return proposal


def _receiver_id(proposal: Proposal, campaign: Campaign) -> int:
    return (
        campaign.brand_id if proposal.origin is ProposalOrigin.APPLICATION else proposal.creator_id
    )


def _sender_id(proposal: Proposal, campaign: Campaign) -> int:
    return (
        proposal.creator_id if proposal.origin is ProposalOrigin.APPLICATION else campaign.brand_id
    )


def _what(proposal: Proposal) -> str:
    return "application" if proposal.origin is ProposalOrigin.APPLICATION else "invitation"


def _party_check(
    actor: Account, proposal: Proposal, campaign: Campaign, *, as_sender: bool
) -> None:
    """NOT_FOUND for anyone but its brand and creator (and staff, who may only look);
    FORBIDDEN for the side that may not do this."""
    if actor.id not in (proposal.creator_id, campaign.brand_id):
        if actor.is_staff:
            raise PermissionDenied("Only the brand and the creator answer a proposal.")
        raise NotFound("No such application or invitation.", field=PROPOSAL_FIELD)
    expected = _sender_id(proposal, campaign) if as_sender else _receiver_id(proposal, campaign)
    if actor.id != expected:
        side = "creator" if expected == proposal.creator_id else "brand"
        verb = "withdraws" if as_sender else "answers"
        raise PermissionDenied(f"The {side} {verb} this {_what(proposal)}.")


def _require_pending(proposal: Proposal) -> None:
    if proposal.status is not ProposalStatus.PENDING:
        raise DomainError(
            f"This {_what(proposal)} is {proposal.status.value}, no longer PENDING.",
            code=ErrorCode.PROPOSAL_NOT_PENDING,
            field=PROPOSAL_FIELD,
        )


async def _decide(
    session: AsyncSession, proposal: Proposal, status: ProposalStatus, now: datetime
) -> None:
    """PENDING -> `status`, as a conditional UPDATE (a concurrent answer loses cleanly)."""
    decided = await session.scalar(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.PENDING)
        .values(status=status, decided_at=now)
        .returning(Proposal.id)
        .execution_options(synchronize_session=False)
    )
    if decided is None:
        await session.refresh(proposal)
        _require_pending(proposal)
    proposal.status = status
    proposal.decided_at = now


async def _proposal_and_campaign(
    session: AsyncSession, proposal_id: int, *, lock: bool
) -> tuple[Proposal, Campaign]:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("No such application or invitation.", field=PROPOSAL_FIELD)
    if lock:
        campaign = await escrow.lock(session, proposal.campaign_id)
        await session.refresh(proposal)  # as it stands once the campaign is ours
    else:
        found = await session.get(Campaign, proposal.campaign_id)
        assert found is not None  # a foreign key
        campaign = found
    return proposal, campaign


async def accept_proposal(
    session: AsyncSession, actor: Account, proposal_id: int, *, now: datetime, rules: Rules
) -> Deal:
    """The receiving side accepts: the deal starts ACTIVE with its fee (plus the cap of
    COMMISSION and PER_VIEW terms) reserved in escrow; the campaign is IN_PROGRESS. Refused
    when the campaign is full, its posting window has ended, the creator no longer qualifies
    or escrow is short (CAMPAIGN_BUDGET_EXHAUSTED). DEAL_STARTED to both."""
    proposal, campaign = await _proposal_and_campaign(session, proposal_id, lock=True)
    _party_check(actor, proposal, campaign, as_sender=False)
    brand_decides = actor.id == campaign.brand_id
    if brand_decides:
        await brands.require_brand(session, actor)
    _require_pending(proposal)
    require_running(campaign, "accepting", PROPOSAL_FIELD)
    if now >= campaign.posting_ends_at:
        raise DomainError(
            f"The posting window ended at {campaign.posting_ends_at.isoformat()}: no new deals.",
            code=ErrorCode.APPLICATIONS_CLOSED,
            field=PROPOSAL_FIELD,
        )
    await _require_slot(session, campaign, PROPOSAL_FIELD)
    creator = await session.get(Account, proposal.creator_id)
    assert creator is not None  # a foreign key
    await qualification.check_creator(
        session, creator, campaign, today=now.date(), rules=rules, to_brand=brand_decides,
        field=PROPOSAL_FIELD,
    )  # fmt: skip
    await _decide(session, proposal, ProposalStatus.ACCEPTED, now)
    fee = fee_for(campaign, proposal)
    deal = Deal(
        campaign_id=campaign.id, creator_id=creator.id, proposal_id=proposal.id,
        status=DealStatus.ACTIVE, fee_cents=fee, reserved_cents=0, paid_cents=0,
        tracking_code=new_tracking_code(), change_rounds=0, comment="", created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(deal)
    await session.flush()
    await escrow.reserve(
        session, campaign.id, reservation_for(campaign, fee), deal_id=deal.id, now=now,
        actor_id=actor.id, memo=f"Campaign {campaign.id}: deal {deal.id} with @{creator.handle}",
    )  # fmt: skip
    if campaign.status is CampaignStatus.OPEN:
        from reelpay.marketplace import campaigns

        await campaigns.mark_in_progress(session, campaign, now)
    await session.refresh(deal)
    title = notices.quoted(campaign.title)
    for account_id, body in (
        (creator.id, f"Your deal for {title} started: post your videos in the posting window."),
        (campaign.brand_id, f"Your deal with @{creator.handle} for {title} started."),
    ):
        await notices.tell(
            session, account_id, NotificationKind.DEAL_STARTED, campaign, title="Deal started",
            body=body, now=now, deal_id=deal.id, proposal_id=proposal.id,
        )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, creator.id), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_STARTED", proposal_id=proposal.id,
    )  # fmt: skip
    return deal


async def decline_proposal(
    session: AsyncSession, actor: Account, proposal_id: int, *, now: datetime
) -> Proposal:
    """The receiving side declines; PROPOSAL_DECLINED to the sender."""
    proposal, campaign = await _proposal_and_campaign(session, proposal_id, lock=False)
    _party_check(actor, proposal, campaign, as_sender=False)
    _require_pending(proposal)
    await _decide(session, proposal, ProposalStatus.DECLINED, now)
    sender = _sender_id(proposal, campaign)
    await notices.tell(
        session, sender, NotificationKind.PROPOSAL_DECLINED, campaign,
        title=f"{_what(proposal).capitalize()} declined",
        body=f"Your {_what(proposal)} for {notices.quoted(campaign.title)} was declined.",
        now=now, proposal_id=proposal.id,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, proposal.creator_id), campaign_id=campaign.id,
        event="PROPOSAL_DECLINED", proposal_id=proposal.id,
    )  # fmt: skip
    return proposal


async def withdraw_proposal(
    session: AsyncSession, actor: Account, proposal_id: int, *, now: datetime
) -> Proposal:
    """The sending side takes its PENDING application or invitation back."""
    proposal, campaign = await _proposal_and_campaign(session, proposal_id, lock=False)
    _party_check(actor, proposal, campaign, as_sender=True)
    _require_pending(proposal)
    await _decide(session, proposal, ProposalStatus.WITHDRAWN, now)
    notices.announce(
        session, (campaign.brand_id, proposal.creator_id), campaign_id=campaign.id,
        event="PROPOSAL_WITHDRAWN", proposal_id=proposal.id,
    )  # fmt: skip
    return proposal
