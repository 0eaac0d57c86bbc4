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
    await notifications.notify(
        session, account_id, kind, title=title, body=body,
        data={"campaignId": campaign.id, "dealId": deal_id, "proposalId": proposal_id, **data},
        now=now,
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
    if cents <= 0:
        return
    await tell(
        session, creator_id, NotificationKind.MARKETPLACE_PAYMENT, campaign,
        title="Campaign payment",
        body=f"{usd(cents)} from {quoted(campaign.title)} reached your earnings ({why}).",
        now=now, deal_id=deal_id, cents=cents,
    )  # fmt: skip
