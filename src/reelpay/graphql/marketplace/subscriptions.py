"""`marketplaceEvents`: changes to your campaigns (as a brand) and your applications, deals and
challenge entries (as a creator), live over graphql-transport-ws.

Each event names what happened and carries IDs; what it shows is read again from the
database when it is sent, with what you may see of it (so a campaign, deal or proposal you
may not see comes out null). No connection is held between events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import strawberry
from strawberry.types import Info

from reelpay import events
from reelpay.graphql.context import Context
from reelpay.graphql.marketplace.deals import (
    CampaignProposal,
    Deal,
    resolve_deal,
    resolve_proposal,
)
from reelpay.graphql.marketplace.types import Campaign, resolve_campaign


@strawberry.type(description="Something changed in one of your campaigns or deals.")
class MarketplaceEvent:
    event: str = strawberry.field(
        description="What happened, e.g. APPLICATION_SENT, INVITATION_SENT, PROPOSAL_DECLINED, "
        "PROPOSAL_WITHDRAWN, DEAL_STARTED, DEAL_SUBMITTED, DEAL_CHANGES_REQUESTED, "
        "DEAL_APPROVED, DEAL_CANCELLED, DEAL_DISPUTED, DISPUTE_RESOLVED, and the campaign's own "
        "(CAMPAIGN_OPENED, CAMPAIGN_COMPLETED, CAMPAIGN_CANCELLED, ...). New names may appear: "
        "treat an unknown one as 're-read what you show'."
    )
    campaign: Campaign | None = strawberry.field(
        description="The campaign as it is now; null if you may no longer see it."
    )
    deal: Deal | None = strawberry.field(
        description="The deal concerned, as it is now; null when the event is not about one."
    )
    proposal: CampaignProposal | None = strawberry.field(
        description="The application or invitation concerned, as it is now; null when the "
        "event is not about one."
    )


async def _event(info: Info[Context, None], payload: dict[str, Any]) -> MarketplaceEvent:
    campaign_id, deal_id = payload.get("campaignId"), payload.get("dealId")
    proposal_id = payload.get("proposalId")
    campaign = await resolve_campaign(info, campaign_id) if isinstance(campaign_id, int) else None
    deal = await resolve_deal(info, deal_id) if isinstance(deal_id, int) else None
    proposal = await resolve_proposal(info, proposal_id) if isinstance(proposal_id, int) else None
    return MarketplaceEvent(
        event=str(payload.get("event", "CHANGED")), campaign=campaign, deal=deal, proposal=proposal
    )


@strawberry.type
class MarketplaceSubscriptions:
    @strawberry.subscription(
        description="Changes to your campaigns, applications, invitations, deals and entries, "
        "as a brand or as a creator (log in first). Ends with UNAUTHENTICATED when your "
        "session is revoked, EVENTS_LOST if events were lost (subscribe again and re-read)."
    )
    async def marketplace_events(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[MarketplaceEvent, None]:
        # closed with the subscription, so its broker subscription ends at once
        async with aclosing(info.context.own_events(events.marketplace_channel)) as stream:
            async for _viewer, payload in stream:
                yield await _event(info, payload)
