"""A deal's life after acceptance: the creator submits videos, the brand approves (the fee is
paid from the reservation) or asks for changes, either side cancels while it is ACTIVE; the
job approves submissions the brand left unreviewed past `review_due_at`.

    ACTIVE -> SUBMITTED -> APPROVED
    SUBMITTED -> ACTIVE (changes requested, at most `marketplace_max_change_rounds` times)
    ACTIVE -> CANCELLED (either side; the reservation goes back to free escrow)

Each write locks the campaign's row first (`escrow.lock`), then reads the deal again: a deal's
transitions, its money and the campaign's closing happen one at a time. Submitting labels each
video publicly as a paid partnership with the brand; while the campaign runs the label stays
and the video cannot be deleted (`check_video_deletable`, called by `content.delete_video`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.content.models import Video
from reelpay.db import write_once
from reelpay.enums import Visibility
from reelpay.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from reelpay.events import Event
from reelpay.marketplace import campaign_rules, deliverables, escrow, notices
from reelpay.marketplace.models import (
    Campaign,
    CampaignStatus,
    ChallengeEntry,
    Deal,
    DealStatus,
    Deliverable,
    PaidPartnership,
    TermsKind,
)
from reelpay.marketplace.proposals import message_of
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.settings import Rules

log = logging.getLogger("reelpay.marketplace")

DEAL_FIELD = ("input", "dealId")
COMMENT_FIELD = ("input", "comment")
VIDEO_FIELD = ("input", "videoId")
Publish = Callable[[list[Event]], Awaitable[None]]
# A campaign over: its labels may come off and its videos be deleted.
ENDED_STATUSES = frozenset({CampaignStatus.COMPLETED, CampaignStatus.CANCELLED})


# --- who may act -----------------------------------------------------------------------------


async def locked_deal(session: AsyncSession, deal_id: int) -> tuple[Deal, Campaign]:
    """The deal and its campaign, the campaign's row locked first, the deal read after (once:
    the lock finds the campaign through the deal's row)."""
    campaign = await escrow.lock_of_deal(session, deal_id)
    if campaign is None:
        raise NotFound("No such deal.", field=DEAL_FIELD)
    deal = await session.scalar(
        sa.select(Deal).where(Deal.id == deal_id).execution_options(populate_existing=True)
    )
    if deal is None:
        raise NotFound("No such deal.", field=DEAL_FIELD)
    return deal, campaign


def require_side(actor: Account, deal: Deal, campaign: Campaign, side: str | None) -> None:
    """NOT_FOUND for anyone but the deal's brand and creator (staff, who may look, are
    FORBIDDEN); FORBIDDEN for the other side when `side` ("creator" or "brand") must act."""
    if actor.id not in (deal.creator_id, campaign.brand_id):
        if actor.is_staff:
            raise PermissionDenied("Only the deal's brand and creator do this.")
        raise NotFound("No such deal.", field=DEAL_FIELD)
    if side == "creator" and actor.id != deal.creator_id:
        raise PermissionDenied("Only the deal's creator does this.")
    if side == "brand" and actor.id != campaign.brand_id:
        raise PermissionDenied("Only the deal's brand does this.")


def require_status(deal: Deal, *allowed: DealStatus, doing: str) -> None:
    """DEAL_STATE_INVALID unless the deal is in one of `allowed`."""
    if deal.status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise DomainError(
            f"The deal is {deal.status.value}: {doing} needs it {names}.",
            code=ErrorCode.DEAL_STATE_INVALID,
            field=DEAL_FIELD,
        )


async def _touch(session: AsyncSession, deal: Deal, now: datetime, **values: object) -> None:
    """Change the deal's row (its amounts are escrow's: read again afterwards)."""
    await session.execute(
        sa.update(Deal)
        .where(Deal.id == deal.id)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(deal)


def _both(deal: Deal, campaign: Campaign) -> tuple[int, int]:
    return campaign.brand_id, deal.creator_id


# --- submitting ------------------------------------------------------------------------------


async def _video_facts(
    session: AsyncSession, video_ids: Sequence[int]
) -> dict[int, deliverables.VideoFacts]:
    """The videos as the rules read them, their rows locked (a deletion waits, then sees the
    deliverable; see `check_video_deletable`)."""
    if not video_ids:
        return {}
    rows = await session.execute(
        sa.select(Video, Account.visibility, Deliverable.deal_id, PaidPartnership.campaign_id)
        .join(Account, Account.id == Video.owner_id)
        .outerjoin(Deliverable, Deliverable.video_id == Video.id)
        .outerjoin(PaidPartnership, PaidPartnership.video_id == Video.id)
        .where(Video.id.in_(set(video_ids)))
        .with_for_update(of=Video)
        .execution_options(populate_existing=True)
    )
    return {
        video.id: deliverables.VideoFacts(
            id=video.id,
            owner_id=video.owner_id,
            owner_public=visibility is Visibility.PUBLIC,
            visibility=video.visibility,
            deleted=video.deleted_at is not None,
            published_at=video.published_at,
            title=video.title,
            description=video.description,
            delivered_for_deal_id=deal_id,
            labelled_for_campaign_id=campaign_id,
        )
        for video, visibility, deal_id, campaign_id in rows.all()
    }


async def _drop_deliverables(
    session: AsyncSession, deal: Deal, campaign: Campaign, keep: Sequence[int] = ()
) -> None:
    """Remove the deal's deliverables (but `keep`) and the labels they put on videos."""
    gone = list(
        await session.scalars(
            sa.select(Deliverable.video_id).where(
                Deliverable.deal_id == deal.id, Deliverable.video_id.not_in(list(keep))
            )
        )
    )
    if not gone:
        return
    await session.execute(
        sa.delete(Deliverable).where(Deliverable.deal_id == deal.id, Deliverable.video_id.in_(gone))
    )
    await session.execute(
        sa.delete(PaidPartnership).where(
            PaidPartnership.video_id.in_(gone), PaidPartnership.campaign_id == campaign.id
        )
    )


async def submit_deal(
    session: AsyncSession,
    creator: Account,
    deal_id: int,
    video_ids: Sequence[int],
    *,
    now: datetime,
    rules: Rules,
) -> Deal:
    """The creator submits exactly `videos_required` of their videos (see `deliverables`);
    a resubmission after changes replaces the previous set. Each video is labelled a paid
    partnership with the brand. The brand has `marketplace_review_days` to review, after which
    the job approves. DEAL_SUBMITTED to the brand."""
    deal, campaign = await locked_deal(session, deal_id)
    require_side(creator, deal, campaign, "creator")
    require_status(deal, DealStatus.ACTIVE, doing="submitting")
    videos = await _video_facts(session, video_ids)
    found = deliverables.problems(
        campaign, creator_id=creator.id, deal_id=deal.id, video_ids=video_ids, videos=videos
    )
    if found:
        raise DomainError.of(found)
    await _drop_deliverables(session, deal, campaign, keep=video_ids)
    kept = set(
        await session.scalars(sa.select(Deliverable.video_id).where(Deliverable.deal_id == deal.id))
    )
    if kept:
        await session.execute(
            sa.update(Deliverable)
            .where(Deliverable.deal_id == deal.id)
            .values(submitted_at=now)
            .execution_options(synchronize_session=False)
        )
    for video_id in video_ids:
        if video_id not in kept:
            session.add(Deliverable(deal_id=deal.id, video_id=video_id, submitted_at=now))
        if videos[video_id].labelled_for_campaign_id is None:
            session.add(
                PaidPartnership(
                    video_id=video_id, brand_id=campaign.brand_id, campaign_id=campaign.id,
                    labelled_at=now,
                )
            )  # fmt: skip
    await session.flush()
    await _touch(
        session, deal, now, status=DealStatus.SUBMITTED, submitted_at=now,
        review_due_at=now + timedelta(days=rules.marketplace_review_days),
    )  # fmt: skip
    assert deal.review_due_at is not None
    await notices.tell(
        session, campaign.brand_id, NotificationKind.DEAL_SUBMITTED, campaign,
        title="Videos to review",
        body=f"@{creator.handle} submitted {len(video_ids)} video(s) for "
        f"{notices.quoted(campaign.title)}. Review them by "
        f"{deal.review_due_at.isoformat()}, or they are approved automatically.",
        now=now, deal_id=deal.id,
    )  # fmt: skip
    notices.announce(
        session, _both(deal, campaign), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_SUBMITTED",
    )  # fmt: skip
    return deal


# --- reviewing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Approval:
    """What approving moves, worked out under the campaign's lock before the claim."""

    fee: int  # paid to the creator from the reservation
    rest: int  # released back to free escrow (FLAT_FEE terms; <= 0: nothing)
    # The deal's own amounts move with the claim's UPDATE (escrow leaves them alone): only
    # when they stay within its CHECKs, else escrow moves them as it always does.
    folded: bool

    @classmethod
    def of(cls, deal: Deal, campaign: Campaign) -> _Approval:
        fee = deal.fee_cents
        rest = deal.reserved_cents - fee if campaign.terms_kind is TermsKind.FLAT_FEE else 0
        return cls(fee, rest, folded=0 <= fee <= deal.reserved_cents - max(rest, 0))

    def deal_values(self) -> dict[str, object]:
        """The claim's extra SET clauses (the amounts `escrow.pay` and `release` would move)."""
        if not self.folded:
            return {}
        values: dict[str, object] = {}
        if self.fee > 0:
            values["paid_cents"] = Deal.paid_cents + self.fee
        taken = max(self.fee, 0) + max(self.rest, 0)
        if taken:
            values["reserved_cents"] = Deal.reserved_cents - taken
        return values


async def _settle_approval(
    session: AsyncSession,
    deal: Deal,
    campaign: Campaign,
    approval: _Approval,
    *,
    now: datetime,
    actor_id: int | None,
) -> int:
    """Money and messages of a deal just marked APPROVED: the flat fee is paid from its
    reservation; FLAT_FEE terms release whatever else it held, COMMISSION and PER_VIEW keep
    the cap reserved until the campaign closes. Returns the cents paid."""
    fee = approval.fee
    moved = not approval.folded
    await escrow.pay(
        session, campaign.id, deal.creator_id, fee, deal_id=deal.id, now=now, actor_id=actor_id,
        memo=f"Campaign {campaign.id}: deal {deal.id} approved", move_deal=moved,
    )  # fmt: skip
    if campaign.terms_kind is TermsKind.FLAT_FEE:
        await escrow.release(
            session, campaign.id, approval.rest, deal_id=deal.id, now=now,
            actor_id=actor_id, memo=f"Campaign {campaign.id}: deal {deal.id} approved, rest",
            move_deal=moved,
        )  # fmt: skip
    if moved:
        await session.refresh(deal)
    how = "automatically: the review time ran out" if deal.auto_approved else "by the brand"
    title = notices.quoted(campaign.title)
    notes = [
        notices.note(
            account_id,
            NotificationKind.DEAL_APPROVED,
            campaign,
            title="Deal approved",
            body=f"The videos for {title} were approved {how}.",
            deal_id=deal.id,
            auto=deal.auto_approved,
        )
        for account_id in _both(deal, campaign)
    ]
    payment = notices.paid_note(
        deal.creator_id, campaign, fee, deal_id=deal.id, why="deal approved"
    )
    if payment is not None:
        notes.append(payment)
    await notifications.notify_all(session, notes, now=now)  # one statement
    notices.announce(
        session, _both(deal, campaign), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_APPROVED",
    )  # fmt: skip
    return fee


async def _claim_approval(
    session: AsyncSession, deal: Deal, approval: _Approval, *, now: datetime, auto: bool
) -> bool:
    """SUBMITTED -> APPROVED as a conditional UPDATE (the job: only once due), moving the
    deal's amounts too when `approval.folded`; the deal is refreshed from the UPDATE's
    RETURNING (or read again when nothing was claimed)."""
    stmt = sa.update(Deal).where(Deal.id == deal.id, Deal.status == DealStatus.SUBMITTED)
    if auto:
        stmt = stmt.where(Deal.review_due_at <= now)
    claimed = await session.scalar(
        stmt.values(
            status=DealStatus.APPROVED, approved_at=now, ended_at=now, updated_at=now,
            auto_approved=auto, **approval.deal_values(),
        )
        .returning(Deal)
        .execution_options(synchronize_session=False, populate_existing=True)
    )  # fmt: skip
    if claimed is None:
        await session.refresh(deal)
        return False
    assert claimed is deal
    return True


async def approve_deal(
    session: AsyncSession, brand: Account, deal_id: int, *, now: datetime
) -> Deal:
    """The brand approves a SUBMITTED deal: its fee moves from escrow to the creator's
    earnings (source MARKETPLACE). DEAL_APPROVED to both, MARKETPLACE_PAYMENT to the creator."""
    deal, campaign = await locked_deal(session, deal_id)
    require_side(brand, deal, campaign, "brand")
    require_status(deal, DealStatus.SUBMITTED, doing="approving")
    approval = _Approval.of(deal, campaign)
    if not await _claim_approval(session, deal, approval, now=now, auto=False):
        require_status(deal, DealStatus.SUBMITTED, doing="approving")
        approval = replace(approval, folded=False)  # nothing moved with the claim
    await _settle_approval(session, deal, campaign, approval, now=now, actor_id=brand.id)
    return deal


async def request_changes(
    session: AsyncSession,
    brand: Account,
    deal_id: int,
    comment: str,
    *,
    now: datetime,
    rules: Rules,
) -> Deal:
    """The brand sends a SUBMITTED deal back to ACTIVE with a comment (at most
    `marketplace_max_change_rounds` times). DEAL_CHANGES_REQUESTED to the creator."""
    comment = message_of(comment, rules, field=COMMENT_FIELD, required=True)
    deal, campaign = await locked_deal(session, deal_id)
    require_side(brand, deal, campaign, "brand")
    require_status(deal, DealStatus.SUBMITTED, doing="requesting changes")
    limit = rules.marketplace_max_change_rounds
    if deal.change_rounds >= limit:
        raise DomainError(
            f"You have requested changes {deal.change_rounds} time(s), the most allowed "
            f"({limit}): approve the videos or open a dispute.",
            code=ErrorCode.TOO_MANY_CHANGE_ROUNDS,
            field=DEAL_FIELD,
        )
    await _touch(
        session, deal, now, status=DealStatus.ACTIVE, change_rounds=Deal.change_rounds + 1,
        comment=comment, review_due_at=None,
    )  # fmt: skip
    await notices.tell(
        session, deal.creator_id, NotificationKind.DEAL_CHANGES_REQUESTED, campaign,
        title="Changes requested",
        body=f"The brand asks for changes to your videos for {notices.quoted(campaign.title)}: "
        f"{comment}",
        now=now, deal_id=deal.id,
    )  # fmt: skip
    notices.announce(
        session, _both(deal, campaign), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_CHANGES_REQUESTED",
    )  # fmt: skip
    return deal


async def end_deal(
    session: AsyncSession,
    deal: Deal,
    campaign: Campaign,
    *,
    now: datetime,
    actor_id: int | None,
    why: str,
    notify: bool = True,
) -> int:
    """CANCELLED: the rest of the reservation goes back to free escrow and, unless something
    was paid, the deliverables and their labels go; DEAL_CANCELLED to both unless `notify` is
    off (the caller tells them itself). Returns the cents released."""
    released = deal.reserved_cents
    await escrow.release(
        session, campaign.id, released, deal_id=deal.id, now=now, actor_id=actor_id,
        memo=f"Campaign {campaign.id}: deal {deal.id} cancelled",
    )  # fmt: skip
    if deal.paid_cents == 0:
        await _drop_deliverables(session, deal, campaign)
    await _touch(session, deal, now, status=DealStatus.CANCELLED, ended_at=now)
    if not notify:
        return released
    title = notices.quoted(campaign.title)
    for account_id in _both(deal, campaign):
        await notices.tell(
            session, account_id, NotificationKind.DEAL_CANCELLED, campaign,
            title="Deal cancelled", body=f"The deal for {title} was cancelled {why}.",
            now=now, deal_id=deal.id,
        )  # fmt: skip
    notices.announce(
        session, _both(deal, campaign), campaign_id=campaign.id, deal_id=deal.id,
        event="DEAL_CANCELLED",
    )  # fmt: skip
    return released


async def cancel_deal(
    session: AsyncSession, actor: Account, deal_id: int, *, now: datetime
) -> Deal:
    """Either side cancels an ACTIVE deal (the slot frees up). DEAL_CANCELLED to both."""
    deal, campaign = await locked_deal(session, deal_id)
    require_side(actor, deal, campaign, None)
    require_status(deal, DealStatus.ACTIVE, doing="cancelling")
    side = "by the brand" if actor.id == campaign.brand_id else "by the creator"
    await end_deal(session, deal, campaign, now=now, actor_id=actor.id, why=side)
    return deal


# --- the auto-approval job -------------------------------------------------------------------


@dataclass(frozen=True)
class AutoApproval:
    """What one run of the job did."""

    approved: int
    cents_paid: int
    errors: int


async def auto_approve_due(
    maker: async_sessionmaker[AsyncSession], *, now: datetime, publish: Publish | None = None
) -> AutoApproval:
    """Approve every submission whose `review_due_at` has come (at it, not a second before):
    one transaction per deal, each claimed by a conditional UPDATE under its campaign's lock,
    so a second run, or two at once, pay nothing twice. A deal that fails is logged and left
    SUBMITTED for the next run; the others go on."""
    async with maker() as session:
        due = list(
            await session.scalars(
                sa.select(Deal.id)
                .where(Deal.status == DealStatus.SUBMITTED, Deal.review_due_at <= now)
                .order_by(Deal.review_due_at, Deal.id)
            )
        )
    approved = cents = errors = 0
    for deal_id in due:
        try:
            paid = await write_once(
                maker, partial(_auto_approve, deal_id=deal_id, now=now), publish
            )
        except Exception:
            log.exception("deal %s was not auto-approved; the next run tries again", deal_id)
            errors += 1
            continue
        if paid is not None:
            approved += 1
            cents += paid
    return AutoApproval(approved=approved, cents_paid=cents, errors=errors)


async def _auto_approve(session: AsyncSession, *, deal_id: int, now: datetime) -> int | None:
    deal, campaign = await locked_deal(session, deal_id)
    approval = _Approval.of(deal, campaign)
    if not await _claim_approval(session, deal, approval, now=now, auto=True):
        return None  # reviewed, disputed, or approved by a concurrent run meanwhile
    return await _settle_approval(session, deal, campaign, approval, now=now, actor_id=None)


# --- labels and deletion ---------------------------------------------------------------------


async def _running_campaigns_of(session: AsyncSession, video_id: int) -> list[Campaign]:
    """The running campaigns the video is a deliverable (of a deal not cancelled) or an entry
    (not void) of. Locks the video's row first, so a submission or entry racing a change of
    the video either sees the change or is seen by it."""
    await session.execute(sa.select(Video.id).where(Video.id == video_id).with_for_update())
    running = list(campaign_rules.RUNNING_STATUSES)
    delivered = (
        sa.select(Deal.campaign_id)
        .join(Deliverable, Deliverable.deal_id == Deal.id)
        .where(Deliverable.video_id == video_id, Deal.status != DealStatus.CANCELLED)
    )
    entered = sa.select(ChallengeEntry.campaign_id).where(
        ChallengeEntry.video_id == video_id, ChallengeEntry.voided_at.is_(None)
    )
    rows = await session.scalars(
        sa.select(Campaign).where(
            Campaign.id.in_(delivered.union(entered)), Campaign.status.in_(running)
        )
    )
    return list(rows)


async def check_video_deletable(session: AsyncSession, video_id: int) -> None:
    """VIDEO_IN_CAMPAIGN while the video is a deliverable of a deal (not cancelled) of a
    running campaign, or an entry (not void) of a running challenge."""
    if await _running_campaigns_of(session, video_id):
        raise DomainError(
            "This video is part of a running campaign (a deliverable or a challenge entry): "
            "it can be deleted once the campaign has ended.",
            code=ErrorCode.VIDEO_IN_CAMPAIGN,
            field=VIDEO_FIELD,
        )


async def check_video_change(
    session: AsyncSession,
    video: Video,
    *,
    visibility: Visibility | None,
    title: str | None,
    description: str | None,
) -> None:
    """VIDEO_IN_CAMPAIGN for a change that would take a running campaign's video out of what
    it delivered: no longer PUBLIC, or its title and description no longer carrying the
    campaign's hashtag or mention. Other edits go through."""
    if visibility is None and title is None and description is None:
        return
    text = f"{video.title if title is None else title}\n"
    text += video.description if description is None else description
    for campaign in await _running_campaigns_of(session, video.id):
        field: tuple[str, ...]
        if visibility is not None and visibility is not Visibility.PUBLIC:
            why, field = "stays public", ("input", "visibility")
        elif campaign.hashtag and not deliverables.carries_hashtag(text, campaign.hashtag):
            why, field = f"keeps #{campaign.hashtag} in its title or description", ("input",)
        elif campaign.mention and not deliverables.carries_mention(text, campaign.mention):
            why, field = f"keeps @{campaign.mention} in its title or description", ("input",)
        else:
            continue
        raise DomainError(
            f"This video is part of the running campaign {campaign.title!r}: it {why} until "
            "the campaign has ended.",
            code=ErrorCode.VIDEO_IN_CAMPAIGN,
            field=field,
        )


async def remove_partnership_label(
    session: AsyncSession, creator: Account, video_id: int, *, now: datetime
) -> Video:
    """Take the paid-partnership label off one of your videos once its campaign has ended
    (COMPLETED or CANCELLED); PARTNERSHIP_LABEL_LOCKED while it runs."""
    video = await content.get_own_video_or_raise(session, creator, video_id)
    label = await session.get(PaidPartnership, video.id, with_for_update=True)
    if label is None:
        raise NotFound("The video carries no paid-partnership label.", field=VIDEO_FIELD)
    campaign = await session.get(Campaign, label.campaign_id)
    assert campaign is not None  # a foreign key
    if campaign.status not in ENDED_STATUSES:
        raise DomainError(
            f"The campaign is {campaign.status.value}: the label stays until it has ended "
            "(advertising rules ask for the disclosure).",
            code=ErrorCode.PARTNERSHIP_LABEL_LOCKED,
            field=VIDEO_FIELD,
        )
    await session.delete(label)
    video.updated_at = now
    await session.flush()
    return video
