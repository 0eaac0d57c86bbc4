"""LIVE streams: starting and ending them, viewers joining and leaving, and their figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.accounts.models import Account
from reelpay.accounts.validation import age_on
from reelpay.content import service as content
from reelpay.content.visibility import ContentAccess
from reelpay.enums import Standing
from reelpay.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from reelpay.gifting.models import GiftSend, LiveStatus, LiveStream, LiveViewer
from reelpay.settings import Rules

LIVE_FIELD = ("input", "liveId")
TITLE_MAX_LENGTH = 150


async def start_live(
    session: AsyncSession, creator: Account, title: str, *, now: datetime, rules: Rules
) -> LiveStream:
    """Go LIVE: adults whose account is not banned or restricted, one LIVE at a time."""
    title = title.strip()
    if not 1 <= len(title) <= TITLE_MAX_LENGTH:
        raise DomainError(
            f"The title must be 1 to {TITLE_MAX_LENGTH} characters.", field=("input", "title")
        )
    if age_on(creator.birth_date, now.date()) < rules.gift_receiver_min_age:
        raise DomainError(
            f"You must be {rules.gift_receiver_min_age} or older to go LIVE.",
            code=ErrorCode.CREATOR_NOT_ELIGIBLE,
        )
    if creator.standing in (Standing.RESTRICTED, Standing.BANNED):
        raise DomainError(
            "Your account's standing does not allow going LIVE.",
            code=ErrorCode.CREATOR_NOT_ELIGIBLE,
        )
    if await current_live_ids(session, [creator.id]):
        raise DomainError("You are already LIVE; end that LIVE first.", code=ErrorCode.ALREADY_LIVE)
    live = LiveStream(creator_id=creator.id, title=title, status=LiveStatus.LIVE, started_at=now)
    session.add(live)
    await session.flush()  # a concurrent start loses on the unique index and is retried
    return live


async def end_live(
    session: AsyncSession, actor: Account, live_id: int, *, now: datetime
) -> LiveStream:
    """End a LIVE: its creator or staff. Subscribers get LIVE_ENDED and their stream completes."""
    # A LIVE the actor cannot see is NOT_FOUND, so a private creator's LIVE stays unconfirmed.
    live = await get_live(session, actor, live_id)
    if live is None:
        raise NotFound("No such LIVE.", field=LIVE_FIELD)
    if live.creator_id != actor.id and not actor.is_staff:
        raise PermissionDenied("Only the creator or staff may end this LIVE.")
    ended = await session.execute(
        sa.update(LiveStream)
        .where(LiveStream.id == live_id, LiveStream.status == LiveStatus.LIVE)
        .values(status=LiveStatus.ENDED, ended_at=now)
        .returning(LiveStream.id)
        .execution_options(synchronize_session=False)
    )
    if ended.scalar_one_or_none() is None:
        raise DomainError(
            "This LIVE has already ended.", code=ErrorCode.LIVE_NOT_ACTIVE, field=LIVE_FIELD
        )
    await session.execute(
        sa.update(LiveViewer)
        .where(LiveViewer.live_id == live_id, LiveViewer.left_at.is_(None))
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(live)
    events.emit(session, events.live_channel(live_id), {"type": "LIVE_ENDED"})
    return live


async def get_live(
    session: AsyncSession, viewer: Account | None, live_id: int
) -> LiveStream | None:
    """A LIVE the viewer may see (a private creator's LIVE only for approved followers)."""
    live = await session.get(LiveStream, live_id)
    if live is None:
        return None
    creator = await session.get(Account, live.creator_id)
    if creator is None or await content.access_to(session, viewer, creator) is ContentAccess.NONE:
        return None
    return live


async def get_active_live_or_raise(
    session: AsyncSession,
    viewer: Account | None,
    live_id: int,
    field: Sequence[str] = LIVE_FIELD,
    *,
    hold: bool = False,
) -> LiveStream:
    """A LIVE on air that the viewer may see. `hold` keeps it on air until the transaction
    ends (FOR SHARE: a concurrent `end_live` waits), so a gift never lands on an ended LIVE."""
    live = await get_live(session, viewer, live_id)
    if live is None:
        raise NotFound("No such LIVE.", field=field)
    if hold:
        await session.execute(
            sa.select(LiveStream)
            .where(LiveStream.id == live_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
    if live.status is not LiveStatus.LIVE:
        raise DomainError("This LIVE has ended.", code=ErrorCode.LIVE_NOT_ACTIVE, field=field)
    return live


async def join_live(
    session: AsyncSession, viewer: Account, live_id: int, *, now: datetime
) -> LiveStream:
    """Watch a LIVE (joining twice is harmless); subscribers see VIEWER_JOINED."""
    live = await get_active_live_or_raise(session, viewer, live_id)
    row = await session.get(LiveViewer, (live_id, viewer.id))
    if row is None:
        session.add(LiveViewer(live_id=live_id, account_id=viewer.id, joined_at=now))
    elif row.left_at is None:
        return live
    else:
        row.left_at = None
        row.joined_at = now
    await session.flush()
    events.emit(
        session, events.live_channel(live_id), {"type": "VIEWER_JOINED", "accountId": viewer.id}
    )
    return live


async def leave_live(
    session: AsyncSession, viewer: Account, live_id: int, *, now: datetime
) -> LiveStream:
    live = await get_live(session, viewer, live_id)
    if live is None:
        raise NotFound("No such LIVE.", field=LIVE_FIELD)
    await session.execute(
        sa.update(LiveViewer)
        .where(
            LiveViewer.live_id == live_id,
            LiveViewer.account_id == viewer.id,
            LiveViewer.left_at.is_(None),
        )
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    return live


async def lives_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, LiveStream]:
    rows = await session.scalars(sa.select(LiveStream).where(LiveStream.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def current_live_ids(session: AsyncSession, creator_ids: Sequence[int]) -> dict[int, int]:
    """creator id -> the id of their LIVE now on air."""
    rows = await session.execute(
        sa.select(LiveStream.creator_id, LiveStream.id).where(
            LiveStream.creator_id.in_(set(creator_ids)), LiveStream.status == LiveStatus.LIVE
        )
    )
    return dict(rows.all())


async def viewer_counts(session: AsyncSession, live_ids: Sequence[int]) -> dict[int, int]:
    """Viewers watching now (joined and not left)."""
    rows = await session.execute(
        sa.select(LiveViewer.live_id, sa.func.count())
        .where(LiveViewer.live_id.in_(set(live_ids)), LiveViewer.left_at.is_(None))
        .group_by(LiveViewer.live_id)
    )
    found = dict(rows.all())
    return {live_id: int(found.get(live_id, 0)) for live_id in live_ids}


async def gift_totals(
    session: AsyncSession, live_ids: Sequence[int]
) -> dict[int, tuple[int, int, int]]:
    """live id -> (gifts sent, coins spent, diamonds earned) during that LIVE."""
    rows = await session.execute(
        sa.select(
            GiftSend.live_id,
            sa.func.coalesce(sa.func.sum(GiftSend.quantity), 0),
            sa.func.coalesce(sa.func.sum(GiftSend.coins), 0),
            sa.func.coalesce(sa.func.sum(GiftSend.diamonds), 0),
        )
        .where(GiftSend.live_id.in_(set(live_ids)))
        .group_by(GiftSend.live_id)
    )
    found = {live_id: (int(g), int(c), int(d)) for live_id, g, c, d in rows.all()}
    return {live_id: found.get(live_id, (0, 0, 0)) for live_id in live_ids}
