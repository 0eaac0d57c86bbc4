"""Brands and their campaigns: profiles, drafting, funding by card, opening, pausing,
closing and cancelling (the queries are in `campaign_queries`, the inputs in
`campaign_inputs`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.marketplace.campaign_inputs import (
    CancelCampaignInput,
    CloseCampaignInput,
    CreateCampaignInput,
    FundCampaignInput,
    OpenCampaignInput,
    PauseCampaignApplicationsInput,
    ResumeCampaignApplicationsInput,
    SetBrandProfileInput,
    SetMarketplaceCategoriesInput,
    UpdateCampaignInput,
    campaign_id_of,
    changes_of,
    draft_of,
)
from reelpay.graphql.marketplace.campaign_queries import CampaignQueries
from reelpay.graphql.marketplace.types import BrandProfile, Campaign, Category
from reelpay.graphql.money import CardPayment, Money, minor_units, pay_by_card
from reelpay.graphql.payments.types import PendingCardPayment, pending_payment_field
from reelpay.marketplace import brands, campaigns, closing, escrow, funding, models
from reelpay.wallet.idempotency import KEY_FIELD, check_key

__all__ = ["CampaignMutations", "CampaignQueries"]

log = logging.getLogger("reelpay.marketplace")

INPUT = "The mutation's arguments."
ERRORS = "Why nothing changed; empty on success."


# --- payloads ----------------------------------------------------------------------------


@strawberry.type(description="The result of `setBrandProfile`.")
class SetBrandProfilePayload:
    account: Account | None = strawberry.field(
        default=None, description="Your account (see its `brandProfile`); null on userErrors."
    )
    brand_profile: BrandProfile | None = strawberry.field(
        default=None, description="The profile as it is now; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of `setMarketplaceCategories`.")
class SetMarketplaceCategoriesPayload:
    account: Account | None = strawberry.field(
        default=None,
        description="Your account (see its `marketplaceCategories`); null on userErrors.",
    )
    categories: list[Category] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Your categories now, sorted; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The campaign a mutation changed.")
class CampaignPayload:
    campaign: Campaign | None = strawberry.field(
        default=None, description="The campaign as it is now; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="One card charge that funded a campaign.")
class CampaignFundingCharge:
    amount: Money = strawberry.field(description="What went into escrow.")
    fee: Money = strawberry.field(description="The platform fee charged on top.")
    charged: Money = strawberry.field(description="What the card was charged: amount + fee.")
    created_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.type(description="The result of `fundCampaign`.")
class FundCampaignPayload:
    campaign: Campaign | None = strawberry.field(
        default=None, description="The campaign (see `money.funded`); null on userErrors."
    )
    funding: CampaignFundingCharge | None = strawberry.field(
        default=None,
        description="The charge (on a replay of the key: the first one); null on userErrors.",
    )
    pending_payment: PendingCardPayment | None = pending_payment_field()
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of `closeCampaign` or `cancelCampaign`.")
class EndCampaignPayload:
    campaign: Campaign | None = strawberry.field(
        default=None,
        description="The campaign, now COMPLETED or CANCELLED; null on userErrors.",
    )
    refunded: Money | None = strawberry.field(
        default=None,
        description="What this refunds to your card (unused escrow and the unearned fee), as "
        "partial refunds of your funding charges; null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


# --- mutations ---------------------------------------------------------------------------


async def _campaign_payload(info: Info[Context, None], work: Any) -> CampaignPayload:
    async def run() -> CampaignPayload:
        campaign = await info.context.write_logged_in(work)
        return CampaignPayload(campaign=Campaign.from_model(campaign))

    return await as_user_errors(CampaignPayload, run)


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(
        description="Create or replace your brand profile (BUSINESS accounts only: "
        "BUSINESS_ACCOUNT_REQUIRED otherwise). A brand profile is needed to run campaigns."
    )
    async def set_brand_profile(
        self,
        info: Info[Context, None],
        input: Annotated[SetBrandProfileInput, strawberry.argument(description=INPUT)],
    ) -> SetBrandProfilePayload:
        ctx = info.context

        async def work() -> SetBrandProfilePayload:
            async def save(s: AsyncSession, viewer: AccountModel) -> SetBrandProfilePayload:
                profile = await brands.set_brand_profile(
                    s, viewer, name=input.name, website=input.website,
                    category=models.Category(input.category), rules=ctx.settings.rules,
                    now=ctx.now,
                )  # fmt: skip
                return SetBrandProfilePayload(
                    account=Account.from_model(viewer),
                    brand_profile=BrandProfile.from_model(profile),
                )

            return await ctx.write_logged_in(save)

        return await as_user_errors(SetBrandProfilePayload, work)

    @strawberry.mutation(
        description="Say which categories you make videos in (0 to 3); campaigns may require "
        "one of them and brands search by them."
    )
    async def set_marketplace_categories(
        self,
        info: Info[Context, None],
        input: Annotated[SetMarketplaceCategoriesInput, strawberry.argument(description=INPUT)],
    ) -> SetMarketplaceCategoriesPayload:
        ctx = info.context
        chosen = [models.Category(c) for c in input.categories]

        async def work() -> SetMarketplaceCategoriesPayload:
            async def save(
                s: AsyncSession, viewer: AccountModel
            ) -> SetMarketplaceCategoriesPayload:
                categories = await brands.set_creator_categories(s, viewer, chosen)
                return SetMarketplaceCategoriesPayload(
                    account=Account.from_model(viewer), categories=categories
                )

            return await ctx.write_logged_in(save)

        return await as_user_errors(SetMarketplaceCategoriesPayload, work)

    @strawberry.mutation(
        description="Draft a campaign (a brand: a BUSINESS account with a brand profile). It "
        "stays a DRAFT, seen by you and staff only, until funded and opened."
    )
    async def create_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[CreateCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> models.Campaign:
            return await campaigns.create_campaign(
                s, viewer, draft_of(input), rules=ctx.settings.rules, now=ctx.now
            )

        return await _campaign_payload(info, work)

    @strawberry.mutation(description="Edit one of your DRAFT campaigns.")
    async def update_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> models.Campaign:
            pk = campaign_id_of(input.campaign_id)
            return await campaigns.update_campaign(
                s, viewer, pk, changes_of(input), rules=ctx.settings.rules, now=ctx.now
            )

        return await _campaign_payload(info, work)

    @strawberry.mutation(
        description="Pay into your campaign's escrow by card (the platform fee, if any, on "
        "top). Needed up to the budget before opening; later charges top it up. Idempotent "
        "per `idempotencyKey`."
    )
    async def fund_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[FundCampaignInput, strawberry.argument(description=INPUT)],
    ) -> FundCampaignPayload:
        ctx = info.context
        rules = ctx.settings.rules

        async def work() -> FundCampaignPayload:
            viewer = await ctx.require_viewer()  # UNAUTHENTICATED comes first
            request = funding.FundingRequest(
                campaign_id=campaign_id_of(input.campaign_id),
                key=check_key(input.idempotency_key, rules.idempotency_key_max_length, KEY_FIELD),
                payment_token=input.payment_token,
                amount_cents=None
                if input.amount is None
                else minor_units(input.amount, ("input", "amount")),
            )
            result, charge = await ctx.read(
                lambda s: funding.prepare_funding(s, viewer, request, rules=rules)
            )
            if result is None:

                async def record(charge_id: str) -> dict[str, Any]:
                    return await ctx.write_logged_in(
                        lambda s, brand: funding.record_funding(
                            s, brand, request, charge, charge_id=charge_id,
                            provider=ctx.services.payments.name, rules=rules, now=ctx.now,
                        )
                    )  # fmt: skip

                result = await pay_by_card(
                    ctx,
                    viewer.id,
                    CardPayment(
                        token=request.payment_token,
                        amount_cents=charge.total_cents,
                        key=request.key,
                        operation=funding.FUND,
                        arguments={
                            **request.arguments,
                            "chargeCents": charge.total_cents,
                            "feeCents": charge.fee_cents,
                        },
                        description="Reelpay campaign escrow",
                    ),
                    record,
                )
            charge_row = await ctx.read(
                lambda s: s.get(models.CampaignFunding, result["fundingId"])
            )
            campaign = await ctx.loaders.campaign.load(int(result["campaignId"]))
            assert charge_row is not None and campaign is not None
            return FundCampaignPayload(
                campaign=Campaign.from_model(campaign),
                funding=CampaignFundingCharge(
                    amount=Money.usd(charge_row.amount_cents),
                    fee=Money.usd(charge_row.fee_cents),
                    charged=Money.usd(charge_row.amount_cents + charge_row.fee_cents),
                    created_at=charge_row.created_at,
                ),
            )

        return await as_user_errors(FundCampaignPayload, work)

    @strawberry.mutation(
        description="Publish a funded DRAFT (funded up to its budget: CAMPAIGN_NOT_FUNDED "
        "otherwise; its deadline and posting window's end still ahead): creators can apply."
    )
    async def open_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[OpenCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        ctx = info.context

        async def work(s: AsyncSession, viewer: AccountModel) -> models.Campaign:
            pk = campaign_id_of(input.campaign_id)
            return await campaigns.open_campaign(s, viewer, pk, now=ctx.now)

        return await _campaign_payload(info, work)

    @strawberry.mutation(
        description="Stop taking applications and sending invitations for an OPEN or "
        "IN_PROGRESS campaign (deals go on)."
    )
    async def pause_campaign_applications(
        self,
        info: Info[Context, None],
        input: Annotated[PauseCampaignApplicationsInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        return await _pause(info, input.campaign_id, paused=True)

    @strawberry.mutation(description="Take applications again after a pause.")
    async def resume_campaign_applications(
        self,
        info: Info[Context, None],
        input: Annotated[ResumeCampaignApplicationsInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        return await _pause(info, input.campaign_id, paused=False)

    @strawberry.mutation(
        description="Complete an OPEN or IN_PROGRESS DEAL campaign once no deal is ACTIVE, "
        "SUBMITTED or DISPUTED (CAMPAIGN_HAS_OPEN_DEALS otherwise): pending proposals are "
        "withdrawn, what is still reserved is released and everything unused (and the fee on "
        "it) is refunded to your card."
    )
    async def close_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[CloseCampaignInput, strawberry.argument(description=INPUT)],
    ) -> EndCampaignPayload:
        return await _end(info, input.campaign_id, closing.close_campaign)

    @strawberry.mutation(
        description="Cancel a DRAFT, OPEN or IN_PROGRESS campaign while no deal is SUBMITTED, "
        "APPROVED or DISPUTED (CAMPAIGN_HAS_OPEN_DEALS otherwise): ACTIVE deals are "
        "cancelled, pending proposals withdrawn, and everything unused (and the fee on it) is "
        "refunded to your card. A challenge that has entries runs to its results."
    )
    async def cancel_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[CancelCampaignInput, strawberry.argument(description=INPUT)],
    ) -> EndCampaignPayload:
        return await _end(info, input.campaign_id, closing.cancel_campaign)


async def _pause(info: Info[Context, None], campaign_id: strawberry.ID, *, paused: bool) -> Any:
    ctx = info.context

    async def work(s: AsyncSession, viewer: AccountModel) -> models.Campaign:
        pk = campaign_id_of(campaign_id)
        return await campaigns.set_applications_paused(s, viewer, pk, paused, now=ctx.now)

    return await _campaign_payload(info, work)


async def _end(info: Info[Context, None], campaign_id: strawberry.ID, end: Any) -> Any:
    ctx = info.context

    async def work() -> EndCampaignPayload:
        async def ending(s: AsyncSession, viewer: AccountModel) -> closing.Ended:
            ended: closing.Ended = await end(
                s, logged_in(viewer), campaign_id_of(campaign_id), now=ctx.now
            )
            return ended

        ended = await ctx.write_logged_in(ending)
        if ended.refund_ids:
            await send_refunds(ctx, ended.refund_ids)
        return EndCampaignPayload(
            campaign=Campaign.from_model(ended.campaign),
            refunded=Money.usd(ended.refunded_cents),
        )

    return await as_user_errors(EndCampaignPayload, work)


async def send_refunds(ctx: Context, refund_ids: list[int]) -> None:
    """After the commit that recorded them, ask the provider for these refunds (holding no
    connection). What fails stays PENDING for `reelpay jobs send-campaign-refunds`."""
    await ctx.release()
    try:
        await escrow.send_refunds(
            ctx.services.sessionmaker, ctx.services.payments, now=ctx.now, refund_ids=refund_ids
        )
    except Exception:
        log.exception("campaign refunds %s stay PENDING for the job", refund_ids)
