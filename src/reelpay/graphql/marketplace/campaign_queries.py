"""Reading campaigns: the creators' browse of open campaigns, a brand's own list and a
campaign by ID."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context
from reelpay.graphql.marketplace.campaign_inputs import CampaignFilter
from reelpay.graphql.marketplace.types import Campaign, CampaignStatus, resolve_campaign
from reelpay.graphql.money import MoneyInput, minor_units
from reelpay.graphql.relay import After, Before, Connection, First, Last, decode_id_of, paged
from reelpay.marketplace import browse, models

BROWSE_KEY = (datetime, int)
BRAND_KEY = (int,)


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        description="Campaigns taking applications now, most recently opened first: OPEN or "
        "IN_PROGRESS DEAL campaigns whose applications are not paused, before their deadline, "
        "with a slot free. Public; a logged-in creator sees by default only those whose "
        "requirements they meet (`filter.qualifiedOnly`)."
    )
    async def campaigns(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            CampaignFilter | None,
            strawberry.argument(description="Narrows the list; left out: every open campaign."),
        ] = None,
    ) -> Connection[Campaign]:
        ctx = info.context
        given = filter or CampaignFilter()
        filters = browse.BrowseFilter(
            category=None if given.category is None else models.Category(given.category),
            terms_kind=None if given.terms_kind is None else models.TermsKind(given.terms_kind),
            min_fee_cents=_fee_bound(given.min_fee, "minFee"),
            max_fee_cents=_fee_bound(given.max_fee, "maxFee"),
        )
        viewer = await ctx.viewer()
        qualified = given.qualified_only
        if qualified is None:
            qualified = viewer is not None and not viewer.is_business
        facts = None
        if qualified and viewer is not None:
            facts = await ctx.read(lambda s: browse.creator_facts(s, viewer))
        return await paged(
            ctx, BROWSE_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: browse.browse_page(
                s, request, now=ctx.now, filters=filters, facts=facts
            ),
            count=lambda s: browse.browse_count(s, now=ctx.now, filters=filters, facts=facts),
            to_node=Campaign.from_model,
        )  # fmt: skip

    @strawberry.field(
        description="Your own campaigns as a brand, every state (drafts included), newest "
        "first; empty for an account that runs none."
    )
    async def my_campaigns(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            CampaignStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only campaigns in this state; left out: all."),
        ] = None,
    ) -> Connection[Campaign]:
        ctx = info.context
        viewer = await ctx.require_viewer()
        wanted = None if status is None else models.CampaignStatus(status)
        return await paged(
            ctx, BRAND_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: browse.brand_page(s, viewer.id, request, status=wanted),
            count=lambda s: browse.brand_count(s, viewer.id, status=wanted),
            to_node=Campaign.from_model,
        )  # fmt: skip

    @strawberry.field(
        description="A campaign by ID (the same as `node(id:)`): null when missing or hidden "
        "(a DRAFT is its brand's alone)."
    )
    async def campaign(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A Campaign's ID.")],
    ) -> Campaign | None:
        return await resolve_campaign(info, decode_id_of(id, "Campaign", ("id",)))


def _fee_bound(money: MoneyInput | None, name: str) -> int | None:
    return None if money is None else minor_units(money, ("filter", name))
