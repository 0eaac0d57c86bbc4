"""The demo's Creator Marketplace: the brand glow.labs with a finished sponsored challenge whose
winners were paid, a campaign whose deal with chef.leo awaits review, and an OPEN campaign
creators can browse and apply to (the README's tour runs a campaign of its own).

chef.leo and jin.sings join the Creator Marketplace program, which needs 10,000 followers by
default: a crowd of audience accounts follows both. Everything goes through the services the
API uses, at times counted back from `now`, so it holds on any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.content import service as content
from reelpay.content.models import Follow
from reelpay.demo.money import enrol
from reelpay.demo.people import DEMO_PASSWORD, People
from reelpay.demo.timeline import DemoError, born, days_ago, step
from reelpay.enums import AccountType, FollowStatus, Role, Standing, Visibility
from reelpay.marketplace import brands, campaigns, challenges, deals, funding, proposals
from reelpay.marketplace.campaign_rules import CampaignDraft, TermsDraft, TierDraft
from reelpay.marketplace.models import Campaign, CampaignKind, Category, ChallengeRanking, TermsKind
from reelpay.programs.models import Program
from reelpay.settings import Settings

BRAND = "glow.labs"
MARKETPLACE_CREATORS = ("chef.leo", "jin.sings")
# The Creator Marketplace needs 10,000 followers (the setting can only ask for fewer).
CROWD = 10_000
CROWD_FOLLOWED_DAYS_AGO = 40
MARKETPLACE_ENROLLED_DAYS_AGO = 35
# The challenge: opened, then entries in its window, which closed days ago; results are paid.
CHALLENGE_OPENED_DAYS_AGO = 30
CHALLENGE_WINDOW_DAYS_AGO = (28, 4)  # from, to
CHALLENGE_PRIZES = ((1, 1, 50_000), (2, 2, 20_000))  # 500 USD to the winner, 200 to the next
# chef.leo's entry gets more authentic views a day than jin.sings', so he wins.
CHALLENGE_ENTRIES = (("chef.leo", 20, 3_000), ("jin.sings", 18, 1_200))  # published days ago
# The campaign with chef.leo's deal: opened, applied, accepted, video up, submitted.
DEAL_TIMELINE_DAYS_AGO = {"opened": 6, "applied": 5, "accepted": 4, "posted": 2, "submitted": 1}
DEAL_FEE_CENTS = 25_000
OPEN_FEE_CENTS = 15_000


@dataclass(frozen=True)
class DemoCampaign:
    title: str
    brief: str
    hashtag: str
    fee_cents: int
    slots: int
    opened_days_ago: float
    posting_days: int  # from its opening
    application_days: int  # from its opening


DEAL_CAMPAIGN = DemoCampaign(
    "Glow serum launch",
    "Show our new vitamin C serum in your morning routine, in your own words.",
    "glowserum", DEAL_FEE_CENTS, 3, DEAL_TIMELINE_DAYS_AGO["opened"], 30, 16,
)  # fmt: skip
OPEN_CAMPAIGN = DemoCampaign(
    "Summer SPF",
    "A day outdoors with our SPF 50: tell your followers how you stay sun-safe.",
    "sunsafe", OPEN_FEE_CENTS, 5, 1, 30, 15,
)  # fmt: skip


async def seed_marketplace(
    session: AsyncSession,
    people: People,
    *,
    password_hash: str,
    settings: Settings,
    now: datetime,
) -> dict[str, int]:
    """The brand, its three campaigns, chef.leo's and jin.sings' part in them."""
    creators = [people.creators[handle] for handle in MARKETPLACE_CREATORS]
    await _add_crowd(session, creators, days_ago(now, CROWD_FOLLOWED_DAYS_AGO))
    for creator in creators:
        await enrol(
            session, creator, people.staff, Program.CREATOR_MARKETPLACE,
            at=days_ago(now, MARKETPLACE_ENROLLED_DAYS_AGO), settings=settings,
        )  # fmt: skip
    brand = await _brand(session, password_hash=password_hash, settings=settings, now=now)
    paid = await _challenge(session, brand, people, settings=settings, now=now)
    await _deal_awaiting_review(session, brand, people.creators["chef.leo"], settings, now)
    opened = days_ago(now, OPEN_CAMPAIGN.opened_days_ago)
    await _campaign(session, brand, OPEN_CAMPAIGN, settings=settings, opened=opened)
    return {"campaigns": 3, "challenge prizes paid": paid}


async def _add_crowd(session: AsyncSession, creators: list[Account], at: datetime) -> None:
    """Bulk-insert followers of every one of `creators` that cannot log in."""
    rows = [
        {
            "email": f"crowd{i:05d}@demo.reelpay.dev",
            "password_hash": "!",
            "handle": f"crowd{i:05d}",
            "handle_key": f"crowd{i:05d}",
            "display_name": f"Crowd {i}",
            "bio": "",
            "birth_date": born(at.date(), 30, 200),
            "country": "US",
            "visibility": Visibility.PUBLIC,
            "account_type": AccountType.PERSONAL,
            "role": Role.USER,
            "standing": Standing.GOOD,
            "is_political": False,
            "created_at": at,
        }
        for i in range(1, CROWD + 1)
    ]
    await session.execute(sa.insert(Account), rows)
    ids = list(
        await session.scalars(
            sa.select(Account.id).where(Account.email.like("crowd%@demo.reelpay.dev"))
        )
    )
    await session.execute(
        sa.insert(Follow),
        [
            {
                "follower_id": follower,
                "followee_id": creator.id,
                "status": FollowStatus.ACCEPTED,
                "created_at": at,
                "accepted_at": at,
            }
            for creator in creators
            for follower in ids
        ],
    )


async def _brand(
    session: AsyncSession, *, password_hash: str, settings: Settings, now: datetime
) -> Account:
    joined = days_ago(now, 60)
    with step(f"the demo brand {BRAND}"):
        brand, _ = await accounts.sign_up(
            session,
            accounts.SignUp(
                email=f"{BRAND}@demo.reelpay.dev",
                password=DEMO_PASSWORD,
                handle=BRAND,
                display_name="Glow Labs",
                birth_date=born(now.date(), 39, 40),
                country="US",
            ),
            now=joined,
            rules=settings.rules,
            password_hash=password_hash,
        )
        brand.account_type = AccountType.BUSINESS
        brand.website_url = "https://glowlabs.example.com"
        brand.bio = "Skincare that keeps it simple."
        await session.flush()
        await brands.set_brand_profile(
            session, brand, name="Glow Labs", website="https://glowlabs.example.com",
            category=Category.BEAUTY, rules=settings.rules, now=joined,
        )  # fmt: skip
    return brand


async def _fund_and_open(
    session: AsyncSession, brand: Account, campaign: Campaign, *, settings: Settings, at: datetime
) -> None:
    """Fund the whole budget by (sandbox) card and open it, at `at`."""
    request = funding.FundingRequest(
        campaign_id=campaign.id, key=f"demo-fund-{campaign.id}", payment_token="tok_sandbox_success"
    )
    _, charge = await funding.prepare_funding(session, brand, request, rules=settings.rules)
    await funding.record_funding(
        session, brand, request, charge, charge_id=f"ch_demo_campaign_{campaign.id}",
        provider="sandbox", rules=settings.rules, now=at,
    )  # fmt: skip
    await campaigns.open_campaign(session, brand, campaign.id, now=at)


async def _campaign(
    session: AsyncSession,
    brand: Account,
    spec: DemoCampaign,
    *,
    settings: Settings,
    opened: datetime,
) -> Campaign:
    with step(f"the demo campaign {spec.title!r}"):
        campaign = await campaigns.create_campaign(
            session,
            brand,
            CampaignDraft(
                kind=CampaignKind.DEAL,
                title=spec.title,
                brief=spec.brief,
                category=Category.BEAUTY,
                posting_starts_at=opened,
                posting_ends_at=opened + timedelta(days=spec.posting_days),
                application_deadline=opened + timedelta(days=spec.application_days),
                budget_cents=spec.fee_cents * spec.slots,
                hashtag=spec.hashtag,
                min_followers=settings.rules.marketplace_min_followers,
                creator_slots=spec.slots,
                terms=TermsDraft(kind=TermsKind.FLAT_FEE, flat_fee_cents=spec.fee_cents),
            ),
            rules=settings.rules,
            now=opened,
        )
        await _fund_and_open(session, brand, campaign, settings=settings, at=opened)
    return campaign


async def _deal_awaiting_review(
    session: AsyncSession, brand: Account, leo: Account, settings: Settings, now: datetime
) -> None:
    rules = settings.rules
    when = {step_: days_ago(now, days) for step_, days in DEAL_TIMELINE_DAYS_AGO.items()}
    campaign = await _campaign(
        session, brand, DEAL_CAMPAIGN, settings=settings, opened=when["opened"]
    )
    with step(f"chef.leo's deal in {DEAL_CAMPAIGN.title!r}"):
        proposal = await proposals.apply_to_campaign(
            session, leo, campaign.id,
            message="I make breakfast videos every morning: your serum fits right in.",
            proposed_fee_cents=None, now=when["applied"], rules=rules,
        )  # fmt: skip
        deal = await proposals.accept_proposal(
            session, brand, proposal.id, now=when["accepted"], rules=rules
        )
        video = await content.publish_video(
            session,
            leo,
            content.VideoDraft(
                title="Morning routine, serum first",
                duration_seconds=95,
                description=f"My mornings with Glow Labs' serum. #{DEAL_CAMPAIGN.hashtag}",
            ),
            now=when["posted"],
            rules=rules,
        )
        await content.add_views(
            session, video.id, {(now - timedelta(days=d)).date(): 900 for d in range(0, 3)}
        )
        await deals.submit_deal(
            session, leo, deal.id, [video.id], now=when["submitted"], rules=rules
        )


async def _challenge(
    session: AsyncSession, brand: Account, people: People, *, settings: Settings, now: datetime
) -> int:
    """The #glowup challenge: both marketplace creators entered, its results paid at `now`.
    Returns how many prizes were paid."""
    rules = settings.rules
    opened = days_ago(now, CHALLENGE_OPENED_DAYS_AGO)
    starts, ends = (days_ago(now, d) for d in CHALLENGE_WINDOW_DAYS_AGO)
    tiers = tuple(TierDraft(a, b, cents) for a, b, cents in CHALLENGE_PRIZES)
    with step("the demo's #glowup challenge"):
        campaign = await campaigns.create_campaign(
            session,
            brand,
            CampaignDraft(
                kind=CampaignKind.CHALLENGE,
                title="#glowup challenge",
                brief="Your five-minute glow-up, start to finish. The most watched entries win.",
                category=Category.BEAUTY,
                posting_starts_at=starts,
                posting_ends_at=ends,
                application_deadline=ends,
                budget_cents=sum(t.total_cents for t in tiers),
                hashtag="glowup",
                ranking=ChallengeRanking.AUTHENTIC_VIEWS,
                prize_tiers=tiers,
            ),
            rules=rules,
            now=opened,
        )
        await _fund_and_open(session, brand, campaign, settings=settings, at=opened)
        for handle, published_days_ago, daily_views in CHALLENGE_ENTRIES:
            creator = people.creators[handle]
            published = days_ago(now, published_days_ago)
            video = await content.publish_video(
                session,
                creator,
                content.VideoDraft(
                    title="My five-minute #glowup",
                    duration_seconds=75,
                    description="Start to finish, no cuts.",
                ),
                now=published,
                rules=rules,
            )
            history = {
                published.date() + timedelta(days=d): daily_views
                for d in range(published_days_ago + 1)
            }
            await content.add_views(session, video.id, history)
            await challenges.enter_challenge(
                session, creator, campaign.id, video.id, now=published + timedelta(hours=1),
                rules=rules,
            )  # fmt: skip
        settled = await challenges.settle_one(session, campaign.id, now=now, rules=rules)
    if settled is None or settled.prizes != len(CHALLENGE_PRIZES):
        raise DemoError("the demo's #glowup challenge did not pay its prizes")
    return settled.prizes
