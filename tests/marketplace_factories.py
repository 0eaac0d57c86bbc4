"""Factories for the Creator Marketplace: brands, creators who may take part, and campaigns
funded straight into escrow (through the ledger, as a funding charge would), so tests of
deals and challenges start from an OPEN campaign without going through card funding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.db import create_sessionmaker, run_write
from reelpay.marketplace import escrow
from reelpay.marketplace.models import (
    BrandProfile,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Category,
    ChallengeRanking,
    Deal,
    DealStatus,
    PrizeTier,
    Proposal,
    ProposalOrigin,
    ProposalStatus,
    TermsKind,
)
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.wallet import ledger
from reelpay.wallet.models import TransactionKind
from tests.factories import User, add_followers, enrol, new_key, sign_up


async def make_brand(
    api: Any, engine: AsyncEngine, handle: str | None = None, **profile: Any
) -> User:
    """A BUSINESS account with a brand profile (inserted directly)."""
    user = await sign_up(api, handle)
    payload = await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=user.token
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    when = datetime.fromisoformat("2026-01-01T00:00:00+00:00")

    async with create_sessionmaker(engine)() as session:

        async def insert() -> None:
            session.add(
                BrandProfile(
                    account_id=user.pk,
                    name=profile.get("name", f"{user.handle} Inc."),
                    website=profile.get("website", "https://brand.example.com"),
                    category=Category(profile.get("category", "BEAUTY")),
                    created_at=when,
                    updated_at=when,
                )
            )

        await run_write(session, insert)
    return user


async def make_creator(
    api: Any, engine: AsyncEngine, handle: str | None = None, *, followers: int = 10,
    enrolled: bool = True, **fields: Any,
) -> User:  # fmt: skip
    """A PERSONAL creator with `followers` followers, enrolled in the Creator Marketplace
    directly (joining asks for 10,000 followers; staying enrolled does not, so tests need not
    pay for inserting them: a campaign's own `min_followers` is what they test)."""
    user = await sign_up(api, handle, **fields)
    await add_followers(engine, user, followers)
    if enrolled:
        await enrol(engine, user, "CREATOR_MARKETPLACE")
    return user


async def funded_campaign(
    engine: AsyncEngine,
    brand: User,
    *,
    now: datetime,
    budget_cents: int = 100_000,
    funded_cents: int | None = None,
    fee_cents: int = 0,
    fee_basis_points: int = 0,
    kind: str = "DEAL",
    terms_kind: str | None = "FLAT_FEE",
    flat_fee_cents: int | None = 25_000,
    status: str = "OPEN",
    prize_tiers: list[tuple[int, int, int]] | None = None,
    **fields: Any,
) -> int:
    """A campaign of `brand` funded with `funded_cents` (default: its budget) by one sandbox
    card charge, in `status` (OPEN by default). Returns its primary key.

    The posting window runs from `now` to `now + 30 days`, applications until `now + 14 days`.
    A CHALLENGE has the hashtag #challenge, AUTHENTIC_VIEWS ranking and `prize_tiers`
    (rank_from, rank_to, cents each; default 1st: the whole budget).
    """
    challenge = kind == "CHALLENGE"
    values: dict[str, Any] = {
        "brand_id": brand.pk,
        "kind": CampaignKind(kind),
        "status": CampaignStatus(status),
        "applications_paused": False,
        "title": "Glow campaign",
        "brief": "Show our serum in your morning routine.",
        "category": Category.BEAUTY,
        "videos_required": 1,
        "hashtag": "challenge" if challenge else None,
        "mention": None,
        "posting_starts_at": now,
        "posting_ends_at": now + timedelta(days=30),
        "min_followers": 0,
        "countries": [],
        "categories": [],
        "application_deadline": now + timedelta(days=14),
        "creator_slots": 4,
        "terms_kind": None if challenge else TermsKind(terms_kind) if terms_kind else None,
        "flat_fee_cents": None if challenge else flat_fee_cents,
        "ranking": ChallengeRanking.AUTHENTIC_VIEWS if challenge else None,
        "budget_cents": budget_cents,
        "fee_basis_points": fee_basis_points,
        "created_at": now,
        "updated_at": now,
        "opened_at": None if status == "DRAFT" else now,
    }
    values.update(fields)
    funded = budget_cents if funded_cents is None else funded_cents
    tiers = (
        prize_tiers if prize_tiers is not None else ([(1, 1, budget_cents)] if challenge else [])
    )

    async with create_sessionmaker(engine)() as session:

        async def insert() -> int:
            campaign = Campaign(**values)
            session.add(campaign)
            await session.flush()
            for rank_from, rank_to, cents in tiers:
                session.add(
                    PrizeTier(
                        campaign_id=campaign.id, rank_from=rank_from, rank_to=rank_to,
                        amount_cents=cents,
                    )
                )  # fmt: skip
            if funded:
                await _fund(session, brand, campaign, funded, fee_cents, now)
            return campaign.id

        return await run_write(session, insert)


async def _fund(
    session: Any, brand: User, campaign: Campaign, cents: int, fee_cents: int, now: datetime
) -> None:
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_FUNDING,
        legs=escrow.funding_legs(campaign.id, cents, fee_cents),
        now=now,
        actor_id=brand.pk,
        memo=f"Campaign {campaign.id} funded (test)",
    )
    payment = Payment(
        account_id=brand.pk,
        purpose=PaymentPurpose.CAMPAIGN_FUNDING,
        provider="sandbox",
        provider_charge_id=f"ch_test_{new_key()}",
        amount_cents=cents + fee_cents,
        currency="USD",
        ledger_transaction_id=transaction.id,
        created_at=now,
    )
    session.add(payment)
    await session.flush()
    await escrow.fund(
        session, campaign, payment_id=payment.id, amount_cents=cents, fee_cents=fee_cents,
        now=now,
    )  # fmt: skip


async def add_funding(
    engine: AsyncEngine, brand: User, campaign_id: int, cents: int, *, now: datetime,
    fee_cents: int = 0,
) -> None:  # fmt: skip
    """Another funding charge (a top-up) into the campaign's escrow."""
    async with create_sessionmaker(engine)() as session:

        async def work() -> None:
            campaign = await escrow.lock(session, campaign_id)
            await _fund(session, brand, campaign, cents, fee_cents, now)

        await run_write(session, work)


async def make_deal(
    engine: AsyncEngine, campaign_id: int, creator: User, *, fee_cents: int = 25_000,
    status: str = "ACTIVE", now: datetime,
) -> int:  # fmt: skip
    """An accepted application and its deal, inserted directly with nothing reserved yet
    (reserve with `escrow.reserve(..., deal_id=...)`). Returns the deal's primary key."""
    async with create_sessionmaker(engine)() as session:

        async def insert() -> int:
            proposal = Proposal(
                campaign_id=campaign_id, creator_id=creator.pk,
                origin=ProposalOrigin.APPLICATION, status=ProposalStatus.ACCEPTED,
                message="", created_at=now, decided_at=now,
            )  # fmt: skip
            session.add(proposal)
            await session.flush()
            deal = Deal(
                campaign_id=campaign_id, creator_id=creator.pk, proposal_id=proposal.id,
                status=DealStatus(status), fee_cents=fee_cents, reserved_cents=0, paid_cents=0,
                tracking_code=f"T{new_key()[:12].upper()}", change_rounds=0, comment="",
                created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(deal)
            await session.flush()
            return deal.id

        return await run_write(session, insert)


async def campaign_row(engine: AsyncEngine, campaign_id: int) -> Campaign:
    """The campaign as stored now."""
    async with create_sessionmaker(engine)() as session:
        campaign = await session.scalar(sa.select(Campaign).where(Campaign.id == campaign_id))
        assert campaign is not None
        return campaign


async def escrow_balances(engine: AsyncEngine, campaign_id: int) -> dict[str, int]:
    """{"free": ..., "reserved": ..., "fees": ...} from the ledger."""
    async with create_sessionmaker(engine)() as session:
        held = await escrow.balances(session, campaign_id)
    return {
        "free": held[escrow.FREE],
        "reserved": held[escrow.RESERVED],
        "fees": held[escrow.FEES],
    }
