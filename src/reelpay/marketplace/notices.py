"""Telling both sides of a campaign what happened: notifications (in the same transaction)
and live events on each side's marketplace channel (published when it commits).

Every event payload is `{"campaignId", "dealId", "event"}` (plus `proposalId` for
applications and invitations); subscribers re-read what they show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.marketplace.models import Campaign
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.notifications.templates import usd

TITLE_MAX = 60


def quoted(title: str) -> str:
    """A campaign's title as notifications quote it (cut to fit a headline)."""
    return f'"{title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 3] + "..."}"'


def announce(
    session: AsyncSession,
    account_ids: Iterable[int],
    *,
    campaign_id: int,
    event: str,
    deal_id: int | None = None,
    proposal_id: int | None = None,
) -> None:
    """Queue the event on each account's marketplace channel (once per account)."""
    payload: dict[str, Any] = {"campaignId": campaign_id, "dealId": deal_id, "event": event}
    if proposal_id is not None:
        payload["proposalId"] = proposal_id
    for account_id in dict.fromkeys(account_ids):
        events.emit(session, events.marketplace_channel(account_id), payload)


def note(
    account_id: int,
    kind: NotificationKind,
    campaign: Campaign,
    *,
    title: str,
    body: str,
    deal_id: int | None = None,
    proposal_id: int | None = None,
    **data: Any,
) -> notifications.Note:
    """One notification about `campaign` (its data names the campaign, deal and proposal),
    to write with others (`notifications.notify_all`)."""
    return notifications.Note(
        account_id, kind, title, body,
        {"campaignId": campaign.id, "dealId": deal_id, "proposalId": proposal_id, **data},
    )  # fmt: skip


async def tell(
    session: AsyncSession,
    account_id: int,
    kind: NotificationKind,
    campaign: Campaign,
    *,
    title: str,
    body: str,
    now: datetime,
    deal_id: int | None = None,
    proposal_id: int | None = None,
    **data: Any,
) -> None:
    """One notification about `campaign` (its data names the campaign, deal and proposal)."""
    one = note(
        account_id, kind, campaign, title=title, body=body, deal_id=deal_id,
        proposal_id=proposal_id, **data,
    )  # fmt: skip
    await _notify(session, one, now)


async def _notify(session: AsyncSession, one: notifications.Note, now: datetime) -> None:
    await notifications.notify(
        session, one.account_id, one.kind, title=one.title, body=one.body, data=one.data, now=now
    )


def paid_note(
    creator_id: int, campaign: Campaign, cents: int, *, deal_id: int | None, why: str
) -> notifications.Note | None:
    """MARKETPLACE_PAYMENT (`paid`) as a note; None when nothing was paid."""
    if cents <= 0:
        return None
    return note(
        creator_id, NotificationKind.MARKETPLACE_PAYMENT, campaign,
        title="Campaign payment",
        body=f"{usd(cents)} from {quoted(campaign.title)} reached your earnings ({why}).",
        deal_id=deal_id, cents=cents,
    )  # fmt: skip


async def paid(
    session: AsyncSession,
    creator_id: int,
    campaign: Campaign,
    cents: int,
    *,
    deal_id: int | None,
    why: str,
    now: datetime,
) -> None:
    """MARKETPLACE_PAYMENT: money from the campaign reached the creator's earnings."""
    found = paid_note(creator_id, campaign, cents, deal_id=deal_id, why=why)
    if found is not None:
        await _notify(session, found, now)
