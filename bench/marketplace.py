"""The Creator Marketplace part of the bench data set (bench/dataset.py calls `generate`).

Bulk SQL for the accounts around it, the models and the escrow module for the money, so
`reelpay ledger verify` holds (every campaign is funded by a sandbox card charge posted with
`escrow.funding_legs` and recorded with `escrow.fund`; every deal's reservation is made by
`escrow.reserve`):

- `BRANDS` brands (BUSINESS accounts with a brand profile) and `MARKET_CREATORS` creators
  enrolled in the Creator Marketplace (PERSONAL, a few countries and categories, 0 to ~300
  followers among the fans), each brand and creator with a login token.
- `BROWSE_CAMPAIGNS` campaigns for the creators' browse (scenario `campaigns`): OPEN or
  IN_PROGRESS DEAL campaigns of every terms kind with a mix of requirements (followers,
  countries, categories), a few full, paused or past their deadline, plus drafts and
  challenges, which the browse leaves out. IN_PROGRESS ones hold ACTIVE deals.
- Two pools of SUBMITTED deals, one deal per approval request (scenarios `approve` and
  `approve_hot`), each deal with its own deliverable video (labelled a paid partnership) and
  its fee reserved. Request number k approves deal k of its pool:
    `approve`      campaigns of `SPREAD_DEALS` deals; deal k is in campaign k mod C, so the
                   requests in flight each lock a different campaign and run concurrently;
    `approve_hot`  campaigns of `HOT_DEALS` deals (the default most slots); deals k .. k+99 are
                   in one campaign, so the requests in flight queue on that campaign's row.
  Deal k's creator is creator k mod N (N coprime with C), so the requests in flight also pay
  different creators, and no creator has two deals in one campaign.
- For each approve scenario two check deals alike in every amount, each with its own brand,
  creator and campaign: one approved through Reelpay, one through the raw app, and the
  effects compared (bench/checks.py).

Every pool campaign is IN_PROGRESS and full, past its application deadline, so the browse
does not list it.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from reelpay.accounts import tokens
from reelpay.accounts.models import Account, AuthSession
from reelpay.content.models import Follow, Video
from reelpay.db import create_sessionmaker, run_write
from reelpay.enums import FollowStatus, Visibility
from reelpay.graphql.relay import encode_id
from reelpay.marketplace import escrow
from reelpay.marketplace.models import (
    BrandProfile,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Category,
    ChallengeRanking,
    CreatorCategory,
    Deal,
    DealStatus,
    Deliverable,
    PaidPartnership,
    PrizeTier,
    Proposal,
    ProposalOrigin,
    ProposalStatus,
    TermsKind,
)
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.programs.models import Enrolment, Program, ProgramTerms
from reelpay.wallet import ledger
from reelpay.wallet.models import TransactionKind

BRANDS = 50
MARKET_CREATORS = 1_000
BROWSE_CAMPAIGNS = 300
APPROVALS = 25_000  # SUBMITTED deals per approve scenario (its capacity in requests)
SPREAD_DEALS = 25
HOT_DEALS = 100
FEE_CENTS = 25_000
MAX_FOLLOWERS = 300
COUNTRIES = ("US", "US", "GB", "FR", "DE", "BR")
CATEGORIES = list(Category)
HASHTAG = "benchdeal"
APPROVE_SCENARIOS = ("approve", "approve_hot")
CHUNK = 10_000
# Campaigns written per transaction while the pools are built.
CAMPAIGNS_PER_WRITE = 20


@dataclass
class People:
    brand_ids: list[int]
    brand_tokens: list[str]
    creator_ids: list[int]
    creator_tokens: list[str]
    # Per approve scenario: two (brand id, brand token, creator id) for the checks.
    check_people: dict[str, list[tuple[int, str, int]]]


def scaled(n: int, scale: float, minimum: int) -> int:
    return max(minimum, round(n * scale))


def coprime_at_least(n: int, other: int) -> int:
    while math.gcd(n, other) != 1:
        n += 1
    return n


def sizes(scale: float) -> dict[str, int]:
    """How much of everything at `scale` (the pools rounded up to whole campaigns)."""
    approvals = scaled(APPROVALS, scale, 200)
    spread_campaigns = math.ceil(approvals / SPREAD_DEALS)
    return {
        "brands": scaled(BRANDS, scale, 10),
        "creators": coprime_at_least(
            scaled(MARKET_CREATORS, scale, HOT_DEALS + 1), spread_campaigns
        ),
        "browse": scaled(BROWSE_CAMPAIGNS, scale, 40),
        "spread_campaigns": spread_campaigns,
        "hot_campaigns": math.ceil(approvals / HOT_DEALS),
    }


async def insert_rows(conn: AsyncConnection, table: Any, rows: Iterable[dict]) -> int:
    batch: list[dict] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            await conn.execute(sa.insert(table), batch)
            total += len(batch)
            batch = []
    if batch:
        await conn.execute(sa.insert(table), batch)
        total += len(batch)
    return total


async def people(
    conn: AsyncConnection,
    account_row: Any,
    fan_ids: Sequence[int],
    counts: dict[str, int],
    now: datetime,
) -> People:
    """Brands, marketplace creators and the check accounts, with their tokens; in bulk."""
    joined = now - timedelta(days=400)
    n_brands, n_creators = counts["brands"], counts["creators"]

    def creator(handle: str, n: int) -> dict[str, Any]:
        return {**account_row(handle, at=joined, business=False), "country": COUNTRIES[n % 6]}

    checks = [(f"brandcheck{n}", f"mktcheck{n}") for n in range(2 * len(APPROVE_SCENARIOS))]
    await insert_rows(
        conn,
        Account,
        [
            *(account_row(f"brand{n:04d}", at=joined, business=True) for n in range(n_brands)),
            *(creator(f"mkt{n:05d}", n) for n in range(n_creators)),
            *(account_row(brand, at=joined, business=True) for brand, _ in checks),
            *(creator(handle, 0) for _, handle in checks),
        ],
    )
    ids = {
        handle: pk
        for handle, pk in (
            await conn.execute(
                sa.select(Account.handle, Account.id).where(
                    sa.or_(
                        Account.handle.like("brand%"),
                        Account.handle.like("mkt%"),
                    )
                )
            )
        ).all()
    }
    brand_ids = [ids[f"brand{n:04d}"] for n in range(n_brands)]
    creator_ids = [ids[f"mkt{n:05d}"] for n in range(n_creators)]
    check_brands = [ids[brand] for brand, _ in checks]
    check_creators = [ids[handle] for _, handle in checks]
    every_brand, every_creator = brand_ids + check_brands, creator_ids + check_creators
    await insert_rows(
        conn,
        BrandProfile,
        (
            {
                "account_id": pk,
                "name": f"Brand {n:04d} Inc.",
                "website": f"https://brand{n}.example.com",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "created_at": joined,
                "updated_at": joined,
            }
            for n, pk in enumerate(every_brand)
        ),
    )
    terms_id = await conn.scalar(
        sa.select(sa.func.max(ProgramTerms.id)).where(
            ProgramTerms.program == Program.CREATOR_MARKETPLACE
        )
    )
    await insert_rows(
        conn,
        Enrolment,
        (
            {
                "account_id": pk,
                "program": Program.CREATOR_MARKETPLACE,
                "application_id": None,
                "enrolled_at": joined,
                "paused_at": None,
                "terms_id": terms_id,
                "terms_accepted_at": joined,
                "age_confirmed_at": joined,
                "terms_outstanding_since": None,
            }
            for pk in every_creator
        ),
    )
    await insert_rows(
        conn,
        CreatorCategory,
        (
            {"account_id": pk, "category": category}
            for n, pk in enumerate(every_creator)
            for category in {CATEGORIES[n % 12], CATEGORIES[(n * 5 + 3) % 12]}
        ),
    )
    followers = min(len(fan_ids), MAX_FOLLOWERS)
    await insert_rows(
        conn,
        Follow,
        (
            {
                "follower_id": fan,
                "followee_id": pk,
                "status": FollowStatus.ACCEPTED,
                "created_at": now - timedelta(days=60),
                "accepted_at": now - timedelta(days=60),
            }
            for n, pk in enumerate(creator_ids)
            for fan in fan_ids[: (n * 37) % (followers + 1)]
        ),
    )
    minted = {pk: tokens.new_token() for pk in every_brand + every_creator}
    await insert_rows(
        conn,
        AuthSession,
        (
            {
                "account_id": pk,
                "token_hash": tokens.hash_token(token),
                "created_at": now,
                "expires_at": now + timedelta(days=7),
                "revoked_at": None,
            }
            for pk, token in minted.items()
        ),
    )
    check_people = {
        scenario: [
            (check_brands[2 * s + n], minted[check_brands[2 * s + n]], check_creators[2 * s + n])
            for n in range(2)
        ]
        for s, scenario in enumerate(APPROVE_SCENARIOS)
    }
    return People(
        brand_ids,
        [minted[pk] for pk in brand_ids],
        creator_ids,
        [minted[pk] for pk in creator_ids],
        check_people,
    )


# --- campaigns, through the models and the escrow ---------------------------------------


def campaign_values(brand_id: int, title: str, now: datetime, **fields: Any) -> dict[str, Any]:
    """An OPEN FLAT_FEE DEAL campaign's columns (override with `fields`)."""
    values: dict[str, Any] = {
        "brand_id": brand_id,
        "kind": CampaignKind.DEAL,
        "status": CampaignStatus.OPEN,
        "applications_paused": False,
        "title": title,
        "brief": "Show our product in your own words, in a video of 15 to 60 seconds.",
        "category": Category.LIFESTYLE,
        "videos_required": 1,
        "hashtag": HASHTAG,
        "mention": None,
        "posting_starts_at": now - timedelta(days=20),
        "posting_ends_at": now + timedelta(days=30),
        "min_followers": 0,
        "countries": [],
        "categories": [],
        "application_deadline": now + timedelta(days=20),
        "creator_slots": 5,
        "terms_kind": TermsKind.FLAT_FEE,
        "flat_fee_cents": FEE_CENTS,
        "commission_basis_points": None,
        "cents_per_1000_views": None,
        "cap_per_creator_cents": None,
        "allows_offers": False,
        "ranking": None,
        "fee_basis_points": 0,
        "created_at": now - timedelta(days=30),
        "updated_at": now - timedelta(days=30),
        "opened_at": now - timedelta(days=20),
        "started_at": None,
        "ended_at": None,
    }
    values.update(fields)
    return values


async def funded(
    session: AsyncSession, values: dict[str, Any], budget_cents: int, now: datetime
) -> Campaign:
    """The campaign, funded with its whole budget by one sandbox card charge (a DRAFT stays
    unfunded), as `fund_campaign` records one."""
    campaign = Campaign(**values, budget_cents=budget_cents)
    session.add(campaign)
    await session.flush()
    if campaign.status is CampaignStatus.DRAFT:
        return campaign
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_FUNDING,
        legs=escrow.funding_legs(campaign.id, budget_cents, 0),
        now=now,
        actor_id=campaign.brand_id,
        memo=f"Campaign {campaign.id} funded",
    )
    payment = Payment(
        account_id=campaign.brand_id, purpose=PaymentPurpose.CAMPAIGN_FUNDING,
        provider="sandbox", provider_charge_id=f"ch_bench_campaign_{campaign.id}",
        amount_cents=budget_cents, currency="USD", ledger_transaction_id=transaction.id,
        created_at=now,
    )  # fmt: skip
    session.add(payment)
    await session.flush()
    await escrow.fund(
        session, campaign, payment_id=payment.id, amount_cents=budget_cents, fee_cents=0,
        now=now,
    )  # fmt: skip
    return campaign


async def add_deals(
    session: AsyncSession,
    campaign: Campaign,
    creator_ids: Sequence[int],
    *,
    status: DealStatus,
    reserve_cents: int,
    now: datetime,
) -> list[int]:
    """Accepted applications and their deals (one per creator, in order), each reservation
    made with `escrow.reserve`; SUBMITTED deals get a deliverable video each, labelled a paid
    partnership with the brand. Returns the deal ids in `creator_ids` order."""
    decided = now - timedelta(days=10)
    proposals = [
        Proposal(
            campaign_id=campaign.id,
            creator_id=creator,
            origin=ProposalOrigin.APPLICATION,
            status=ProposalStatus.ACCEPTED,
            message="I would love to make this video.",
            proposed_fee_cents=None,
            created_at=decided - timedelta(days=1),
            decided_at=decided,
        )
        for creator in creator_ids
    ]
    session.add_all(proposals)
    await session.flush()
    submitted = status is DealStatus.SUBMITTED
    submitted_at = now - timedelta(days=1)
    deals = [
        Deal(
            campaign_id=campaign.id,
            creator_id=creator,
            proposal_id=proposal.id,
            status=status,
            fee_cents=campaign.flat_fee_cents or 0,
            reserved_cents=0,
            paid_cents=0,
            tracking_code=f"B{campaign.id}N{n}",
            change_rounds=0,
            comment="",
            submitted_at=submitted_at if submitted else None,
            review_due_at=submitted_at + timedelta(days=7) if submitted else None,
            approved_at=None,
            auto_approved=False,
            ended_at=None,
            created_at=decided,
            updated_at=submitted_at if submitted else decided,
        )
        for n, (creator, proposal) in enumerate(zip(creator_ids, proposals, strict=True))
    ]
    session.add_all(deals)
    await session.flush()
    if submitted:
        published = now - timedelta(days=2)
        videos = [
            Video(
                owner_id=deal.creator_id,
                title=f"My take on {campaign.title} #{HASHTAG}",
                description="Paid partnership.",
                duration_seconds=30,
                visibility=Visibility.PUBLIC,
                is_original=True,
                published_at=published,
                updated_at=published,
                deleted_at=None,
                view_count=1_000 + deal.id % 5_000,
            )
            for deal in deals
        ]
        session.add_all(videos)
        await session.flush()
        session.add_all(
            [
                Deliverable(deal_id=deal.id, video_id=video.id, submitted_at=submitted_at)
                for deal, video in zip(deals, videos, strict=True)
            ]
        )
        session.add_all(
            [
                PaidPartnership(
                    video_id=video.id, brand_id=campaign.brand_id, campaign_id=campaign.id,
                    labelled_at=submitted_at,
                )
                for video in videos
            ]
        )  # fmt: skip
        await session.flush()
    for deal in deals:
        await escrow.reserve(
            session, campaign.id, reserve_cents, deal_id=deal.id, now=decided,
            actor_id=campaign.brand_id, memo=f"Campaign {campaign.id}: deal {deal.id} accepted",
        )  # fmt: skip
    return [deal.id for deal in deals]


async def browse_campaigns(
    session: AsyncSession, found: People, n: int, now: datetime, rng: random.Random
) -> int:
    """The campaigns of the browse (see the module); how many the browse lists for a viewer
    meeting every requirement."""
    listed = 0
    creators = found.creator_ids
    for i in range(n):
        brand = found.brand_ids[i % len(found.brand_ids)]
        slots = 1 + i % 8
        terms: dict[str, Any] = {}
        cap = 0
        if i % 6 == 4:
            cap = 50_000
            terms = {
                "terms_kind": TermsKind.COMMISSION,
                "flat_fee_cents": None if i % 12 == 4 else 10_000,
                "commission_basis_points": 1_000,
                "cap_per_creator_cents": cap,
            }  # fmt: skip
        elif i % 6 == 5:
            cap = 100_000
            terms = {
                "terms_kind": TermsKind.PER_VIEW, "flat_fee_cents": 5_000,
                "cents_per_1000_views": 200, "cap_per_creator_cents": cap,
            }  # fmt: skip
        else:
            terms = {"flat_fee_cents": 5_000 * (1 + i % 40)}
        fee = terms.get("flat_fee_cents") or 0
        status = CampaignStatus.IN_PROGRESS if i % 3 == 1 else CampaignStatus.OPEN
        fields: dict[str, Any] = {
            "status": status,
            "category": CATEGORIES[i % len(CATEGORIES)],
            "creator_slots": slots,
            "min_followers": (0, 0, 0, 50, 200)[i % 5],
            "countries": ["US"] if i % 7 == 2 else ["FR", "DE"] if i % 7 == 5 else [],
            "categories": [CATEGORIES[(i * 7) % 12].value] if i % 4 == 1 else [],
            "application_deadline": now + timedelta(days=14 + i % 30, hours=i % 24),
            "opened_at": now - timedelta(minutes=17 * i + rng.randint(0, 9)),
            "started_at": now - timedelta(minutes=10 * i) if status is CampaignStatus.IN_PROGRESS
            else None,
            **terms,
        }  # fmt: skip
        if i % 20 == 3:
            fields.update(status=CampaignStatus.DRAFT, opened_at=None, started_at=None)
        elif i % 20 == 7:
            fields.update(
                kind=CampaignKind.CHALLENGE, terms_kind=None, flat_fee_cents=None,
                commission_basis_points=None, cents_per_1000_views=None,
                cap_per_creator_cents=None, ranking=ChallengeRanking.AUTHENTIC_VIEWS,
                hashtag="benchchallenge", status=CampaignStatus.OPEN, started_at=None,
            )  # fmt: skip
        elif i % 20 == 17:
            fields["applications_paused"] = True
        elif i % 20 == 19:
            fields["application_deadline"] = now - timedelta(hours=1 + i % 48)
        deals = 0
        if fields["status"] is CampaignStatus.IN_PROGRESS:
            deals = slots if i % 20 == 13 else max(1, slots // 2)
        challenge = fields.get("kind") is CampaignKind.CHALLENGE
        budget = 100_000 if challenge else slots * (fee + cap)
        campaign = await funded(
            session, campaign_values(brand, f"Browse campaign {i}", now, **fields), budget, now
        )
        if campaign.kind is CampaignKind.CHALLENGE:
            session.add(
                PrizeTier(campaign_id=campaign.id, rank_from=1, rank_to=1, amount_cents=budget)
            )
            await session.flush()
        if deals:
            picked = [creators[(i + j) % len(creators)] for j in range(deals)]
            await add_deals(
                session, campaign, picked, status=DealStatus.ACTIVE, reserve_cents=fee + cap,
                now=now,
            )  # fmt: skip
        listed += (
            campaign.kind is CampaignKind.DEAL
            and campaign.status is not CampaignStatus.DRAFT
            and not campaign.applications_paused
            and campaign.application_deadline > now
            and deals < slots
        )
    return listed


def pool_layout(scenario: str, campaigns: int, per_campaign: int) -> list[tuple[int, int]]:
    """(campaign index, deal index in it) of each request number k of the pool."""
    if scenario == "approve":  # round robin: k mod C
        return [(k % campaigns, k // campaigns) for k in range(campaigns * per_campaign)]
    return [(k // per_campaign, k % per_campaign) for k in range(campaigns * per_campaign)]


async def pool(
    engine: AsyncEngine,
    found: People,
    scenario: str,
    campaigns: int,
    per_campaign: int,
    now: datetime,
) -> dict[str, Any]:
    """The SUBMITTED deals of one approve scenario, by request number (see the module)."""
    layout = pool_layout(scenario, campaigns, per_campaign)
    creators = found.creator_ids
    # Campaign c's deals, by deal index: the creator of the request number that approves it.
    members: list[list[int]] = [[0] * per_campaign for _ in range(campaigns)]
    for k, (c, i) in enumerate(layout):
        members[c][i] = creators[k % len(creators)]
    deal_ids: list[list[int]] = []
    maker = create_sessionmaker(engine)
    for start in range(0, campaigns, CAMPAIGNS_PER_WRITE):
        async with maker() as session:

            async def write(start: int = start, session: AsyncSession = session) -> list[list[int]]:
                made = []
                for c in range(start, min(start + CAMPAIGNS_PER_WRITE, campaigns)):
                    brand = found.brand_ids[c % len(found.brand_ids)]
                    campaign = await funded(
                        session,
                        campaign_values(
                            brand, f"Launch wave {c} ({scenario})", now,
                            status=CampaignStatus.IN_PROGRESS, creator_slots=per_campaign,
                            application_deadline=now - timedelta(days=5),
                            started_at=now - timedelta(days=10),
                        ),
                        per_campaign * FEE_CENTS,
                        now,
                    )  # fmt: skip
                    made.append(
                        await add_deals(
                            session,
                            campaign,
                            members[c],
                            status=DealStatus.SUBMITTED,
                            reserve_cents=FEE_CENTS,
                            now=now,
                        )
                    )
                return made

            deal_ids += await run_write(session, write)
    return {
        "deals": [encode_id("Deal", deal_ids[c][i]) for c, i in layout],
        "brands": [c % len(found.brand_ids) for c, _ in layout],
    }


async def check_deals(
    session: AsyncSession, found: People, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Per approve scenario, two SUBMITTED deals alike in every amount (Reelpay's, the raw
    app's), each its own brand's, creator's and campaign's."""
    checks: dict[str, list[dict[str, Any]]] = {}
    for scenario, pair in found.check_people.items():
        checks[scenario] = []
        for brand, token, creator in pair:
            campaign = await funded(
                session,
                campaign_values(
                    brand,
                    "Bench check campaign",
                    now,
                    status=CampaignStatus.IN_PROGRESS,
                    creator_slots=2,
                    started_at=now - timedelta(days=10),
                ),
                2 * FEE_CENTS,
                now,
            )
            (deal,) = await add_deals(
                session, campaign, [creator], status=DealStatus.SUBMITTED,
                reserve_cents=FEE_CENTS, now=now,
            )  # fmt: skip
            checks[scenario].append(
                {
                    "deal": encode_id("Deal", deal), "deal_id": deal, "campaign_id": campaign.id,
                    "brand_id": brand, "creator_id": creator, "token": token,
                }
            )  # fmt: skip
    return checks


async def generate(
    engine: AsyncEngine,
    account_row: Any,
    fan_ids: Sequence[int],
    scale: float,
    now: datetime,
    rng: random.Random,
    deal_pools: Sequence[str] = APPROVE_SCENARIOS,
) -> tuple[dict[str, Any], dict[str, int]]:
    """Everything above, the pools of `deal_pools` only (they take most of the time); (the
    manifest's `marketplace` part, counts for the report)."""
    n = sizes(scale)
    async with engine.begin() as conn:
        found = await people(conn, account_row, fan_ids, n, now)
    maker = create_sessionmaker(engine)
    async with maker() as session:

        async def first() -> tuple[int, dict[str, list[dict[str, Any]]]]:
            listed = await browse_campaigns(session, found, n["browse"], now, rng)
            return listed, await check_deals(session, found, now)

        listed, checks = await run_write(session, first)
    shapes = {
        "approve": (n["spread_campaigns"], SPREAD_DEALS),
        "approve_hot": (n["hot_campaigns"], HOT_DEALS),
    }
    wanted = [scenario for scenario in APPROVE_SCENARIOS if scenario in deal_pools]
    # The pools at once: on PostgreSQL one's statements run while another's Python does (on
    # SQLite their transactions take turns).
    made = await asyncio.gather(
        *(pool(engine, found, scenario, *shapes[scenario], now) for scenario in wanted)
    )
    pools = dict(zip(wanted, made, strict=True))
    manifest = {
        "viewer_tokens": found.creator_tokens,
        "brand_tokens": found.brand_tokens,
        "pools": pools,
        "checks": checks,
    }
    counts = {
        "brands": len(found.brand_ids),
        "marketplace creators": len(found.creator_ids),
        "browse campaigns": n["browse"],
        "listed for a creator meeting every requirement": listed,
    }
    for scenario in wanted:
        campaigns, per_campaign = shapes[scenario]
        what = f"SUBMITTED deals for {scenario} ({campaigns} campaigns of {per_campaign})"
        counts[what] = len(pools[scenario]["deals"])
    return manifest, counts
