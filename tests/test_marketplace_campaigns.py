"""Brands and their campaigns through the API: brand profiles and creators' categories,
drafting, funding by card, opening, pausing applications, closing and cancelling with their
refunds, who may see and do what, and the books after each (`verify_ledger`)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.app import create_app
from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_id
from reelpay.marketplace import closing, escrow
from reelpay.marketplace.models import (
    CampaignFunding,
    CampaignRefund,
    Deal,
    PrizeTier,
    Proposal,
    ProposalOrigin,
    ProposalStatus,
    RefundStatus,
)
from reelpay.notifications.models import Notification
from reelpay.payments.models import Payment
from reelpay.wallet.models import IdempotencyKey
from tests.conftest import START, Api
from tests.factories import make_staff, new_key, sign_up
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
    make_deal,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

SUCCESS, DECLINED = "tok_sandbox_success", "tok_sandbox_declined"
MONEY = (
    "money { funded { minorUnits } reserved { minorUnits } paid { minorUnits } "
    "refunded { minorUnits } free { minorUnits } feeCharged { minorUnits } "
    "feeKept { minorUnits } feeRefunded { minorUnits } "
    "byCreator { creator { handle } reserved { minorUnits } paid { minorUnits } } }"
)
CAMPAIGN = f"campaign {{ id status applicationsPaused title {MONEY} }}"


def usd(cents: int) -> dict[str, str]:
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}


def at(delta: timedelta) -> str:
    return (START + delta).isoformat()


def deal_input(**changes: Any) -> dict[str, Any]:
    """A FLAT_FEE campaign: 2 slots at 250.00 of a 1,000.00 budget."""
    values: dict[str, Any] = {
        "kind": "DEAL",
        "title": "Glow campaign",
        "brief": "Show our serum in your morning routine.",
        "category": "BEAUTY",
        "postingStartsAt": at(timedelta(days=1)),
        "postingEndsAt": at(timedelta(days=30)),
        "applicationDeadline": at(timedelta(days=14)),
        "budget": usd(100_000),
        "creatorSlots": 2,
        "terms": {"kind": "FLAT_FEE", "flatFee": usd(25_000)},
    }
    values.update(changes)
    return values


def challenge_input(**changes: Any) -> dict[str, Any]:
    values = deal_input(
        kind="CHALLENGE",
        terms=None,
        creatorSlots=1,
        hashtag="#glow",
        ranking="AUTHENTIC_VIEWS",
        prizeTiers=[
            {"rankFrom": 1, "rankTo": 1, "amount": usd(50_000)},
            {"rankFrom": 2, "rankTo": 6, "amount": usd(10_000)},
        ],
    )
    values.update(changes)
    return values


async def create(api: Api, brand: Any, **changes: Any) -> dict[str, Any]:
    return await api.mutate("createCampaign", deal_input(**changes), CAMPAIGN, token=brand.token)


async def draft(api: Api, brand: Any, **changes: Any) -> str:
    payload = await create(api, brand, **changes)
    assert payload["userErrors"] == [], payload["userErrors"]
    return str(payload["campaign"]["id"])


async def fund(
    api: Api,
    brand: Any,
    campaign_id: str,
    amount: int | None = None,
    *,
    token: str = SUCCESS,
    key: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaignId": campaign_id,
        "paymentToken": token,
        "idempotencyKey": key or new_key(),
    }
    if amount is not None:
        data["amount"] = usd(amount)
    return await api.mutate(
        "fundCampaign",
        data,
        f"{CAMPAIGN} funding {{ amount {{ minorUnits }} fee {{ minorUnits }} "
        "charged { minorUnits } }",
        token=brand.token,
    )


async def act(api: Api, name: str, user: Any, campaign_id: str) -> dict[str, Any]:
    selection = CAMPAIGN
    if name in ("closeCampaign", "cancelCampaign"):
        selection += " refunded { minorUnits }"
    return await api.mutate(
        name, {"campaignId": campaign_id}, selection, token=user.token if user else None
    )


async def open_campaign(api: Api, brand: Any, **changes: Any) -> str:
    gid = await draft(api, brand, **changes)
    assert (await fund(api, brand, gid))["userErrors"] == []
    assert (await act(api, "openCampaign", brand, gid))["userErrors"] == []
    return gid


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def money(payload: dict[str, Any]) -> dict[str, Any]:
    found = payload["campaign"]["money"]
    return {
        name: value["minorUnits"] if isinstance(value, dict) else value
        for name, value in found.items()
    }


async def count(engine: AsyncEngine, table: Any, *where: Any) -> int:
    async with create_sessionmaker(engine)() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0
        )


def pk(global_id: str) -> int:
    from tests.factories import decode_pk

    return decode_pk(global_id)


async def run(engine: AsyncEngine, work: Any) -> Any:
    async with create_sessionmaker(engine)() as session:
        return await run_write(session, lambda: work(session))


async def deal_with(
    engine: AsyncEngine, campaign_id: str, creator: Any, *, status: str, reserve: int
) -> int:
    """A deal in `status` holding `reserve` cents of the campaign's escrow."""
    cid = pk(campaign_id)
    deal = await make_deal(engine, cid, creator, status=status, now=START)

    async def reserving(session: Any) -> None:
        await escrow.lock(session, cid)
        await escrow.reserve(
            session, cid, reserve, deal_id=deal, now=START, actor_id=None, memo="test"
        )

    await run(engine, reserving)
    return deal


async def pay_deal(engine: AsyncEngine, campaign_id: str, deal: int, creator: Any, cents: int):
    cid = pk(campaign_id)

    async def paying(session: Any) -> None:
        await escrow.lock(session, cid)
        await escrow.pay(
            session, cid, creator.pk, cents, deal_id=deal, now=START, actor_id=None, memo="fee"
        )

    await run(engine, paying)


async def notifications(engine: AsyncEngine, account: Any) -> list[str]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            sa.select(Notification.kind)
            .where(Notification.account_id == account.pk)
            .order_by(Notification.id)
        )
        return [kind.value for kind in rows]


# --- brand profiles and creators' categories ---------------------------------------------

PROFILE = "account { id brandProfile { name website category } } brandProfile { name website }"


async def test_a_business_account_sets_its_brand_profile_and_everyone_sees_it(api, clean_db):
    user = await sign_up(api)
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=user.token
    )
    payload = await api.mutate(
        "setBrandProfile",
        {"name": "  Glow Labs ", "website": "https://glow.example", "category": "BEAUTY"},
        PROFILE,
        token=user.token,
    )
    assert payload["userErrors"] == []
    assert payload["brandProfile"] == {"name": "Glow Labs", "website": "https://glow.example"}
    # Replaced whole; an empty website is none.
    payload = await api.mutate(
        "setBrandProfile", {"name": "Glow", "website": "", "category": "TECH"}, PROFILE,
        token=user.token,
    )  # fmt: skip
    assert payload["account"]["brandProfile"] == {
        "name": "Glow",
        "website": None,
        "category": "TECH",
    }
    query = "query($id: ID!) { node(id: $id) { ... on Account { brandProfile { name } } } }"
    assert (await api.data(query, {"id": user.id}))["node"]["brandProfile"] == {"name": "Glow"}


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": ""}, "INVALID_INPUT", ["input", "name"]),
        ({"name": "x" * 101}, "INVALID_INPUT", ["input", "name"]),
        ({"website": "ftp://glow.example"}, "INVALID_URL", ["input", "website"]),
        ({"website": "glow.example"}, "INVALID_URL", ["input", "website"]),
    ],
)
async def test_a_bad_brand_profile_is_refused(api, clean_db, fields, code, field):
    brand = await make_brand(api, clean_db, name="Before")
    data = {"name": "Glow", "category": "BEAUTY", **fields}
    payload = await api.mutate("setBrandProfile", data, PROFILE, token=brand.token)
    assert codes(payload) == [(code, field)]
    query = "query($id: ID!) { node(id: $id) { ... on Account { brandProfile { name } } } }"
    assert (await api.data(query, {"id": brand.id}))["node"]["brandProfile"] == {"name": "Before"}


async def test_only_business_accounts_have_a_brand_profile(api, clean_db):
    person = await sign_up(api)
    payload = await api.mutate(
        "setBrandProfile", {"name": "Me", "category": "OTHER"}, PROFILE, token=person.token
    )
    assert codes(payload) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    error = await api.error(
        'mutation { setBrandProfile(input: {name: "X", category: OTHER}) { userErrors { code } } }'
    )
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    # A brand that switches back to PERSONAL shows no brand profile (it is kept for later).
    brand = await make_brand(api, clean_db)
    await api.mutate(
        "switchAccountType", {"accountType": "PERSONAL"}, "account { id }", token=brand.token
    )
    query = "query($id: ID!) { node(id: $id) { ... on Account { brandProfile { name } } } }"
    assert (await api.data(query, {"id": brand.id}))["node"]["brandProfile"] is None


async def test_creators_set_up_to_three_categories_which_are_public(api, clean_db):
    creator = await sign_up(api)
    selection = "categories account { marketplaceCategories }"
    payload = await api.mutate(
        "setMarketplaceCategories", {"categories": ["TECH", "BEAUTY", "GAMING"]}, selection,
        token=creator.token,
    )  # fmt: skip
    assert payload["categories"] == ["BEAUTY", "GAMING", "TECH"]
    for bad in (["TECH", "BEAUTY", "GAMING", "FOOD"], ["TECH", "TECH"]):
        payload = await api.mutate(
            "setMarketplaceCategories", {"categories": bad}, selection, token=creator.token
        )
        assert codes(payload) == [("INVALID_INPUT", ["input", "categories"])]
    query = "query($id: ID!) { node(id: $id) { ... on Account { marketplaceCategories } } }"
    found = await api.data(query, {"id": creator.id})
    assert found["node"]["marketplaceCategories"] == ["BEAUTY", "GAMING", "TECH"]
    payload = await api.mutate(
        "setMarketplaceCategories", {"categories": []}, selection, token=creator.token
    )
    assert payload["categories"] == []


async def test_concurrent_first_profiles_and_categories_do_not_collide(api, clean_db):
    user = await sign_up(api)
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=user.token
    )
    profile = "brandProfile { name }"
    results = await asyncio.gather(
        *(
            api.mutate(
                "setBrandProfile",
                {"name": f"Brand {n}", "category": "TECH"},
                profile,
                token=user.token,
            )
            for n in range(3)
        ),
        *(
            api.mutate(
                "setMarketplaceCategories", {"categories": [c]}, "categories", token=user.token
            )
            for c in ("TECH", "FOOD", "MUSIC")
        ),
    )
    assert [r["userErrors"] for r in results] == [[]] * 6
    query = (
        "query($id: ID!) { node(id: $id) { ... on Account { brandProfile { name } "
        "marketplaceCategories } } }"
    )
    found = (await api.data(query, {"id": user.id}))["node"]
    assert found["brandProfile"]["name"] in {"Brand 0", "Brand 1", "Brand 2"}
    assert found["marketplaceCategories"] in (["TECH"], ["FOOD"], ["MUSIC"])


# --- drafting ----------------------------------------------------------------------------


async def test_a_brand_drafts_a_campaign(api, clean_db):
    brand = await make_brand(api, clean_db)
    selection = (
        "campaign { id kind status title brief category applicationsPaused creatorSlots "
        "slotsTaken acceptingApplications applicationDeadline budget { amount currency } "
        "deliverables { videosRequired hashtag mention postingStartsAt postingEndsAt } "
        "requirements { minFollowers countries categories } ranking openedAt "
        "terms { kind flatFee { amount } commissionBasisPoints perThousandViews { amount } "
        "capPerCreator { amount } allowsOffers } brand { id } brandProfile { name } "
        f"{MONEY} }}"
    )
    payload = await api.mutate(
        "createCampaign",
        deal_input(
            hashtag="#GlowUp", mention="@glow.labs", minFollowers=5_000,
            countries=["us", "FR"], categories=["BEAUTY", "FASHION"], videosRequired=2,
            terms={
                "kind": "COMMISSION", "commissionBasisPoints": 1_000, "flatFee": usd(10_000),
                "capPerCreator": usd(40_000), "allowsOffers": True,
            },
        ),
        selection,
        token=brand.token,
    )  # fmt: skip
    assert payload["userErrors"] == []
    campaign = payload["campaign"]
    assert campaign["kind"] == "DEAL"
    assert campaign["status"] == "DRAFT"
    assert campaign["budget"] == {"amount": "1000.00", "currency": "USD"}
    assert campaign["deliverables"] == {
        "videosRequired": 2,
        "hashtag": "GlowUp",
        "mention": "glow.labs",
        "postingStartsAt": "2026-06-16T12:00:00+00:00",
        "postingEndsAt": "2026-07-15T12:00:00+00:00",
    }
    assert campaign["requirements"] == {
        "minFollowers": 5_000,
        "countries": ["FR", "US"],
        "categories": ["BEAUTY", "FASHION"],
    }
    assert campaign["terms"] == {
        "kind": "COMMISSION",
        "flatFee": {"amount": "100.00"},
        "commissionBasisPoints": 1_000,
        "perThousandViews": None,
        "capPerCreator": {"amount": "400.00"},
        "allowsOffers": True,
    }
    assert (campaign["ranking"], campaign["openedAt"], campaign["slotsTaken"]) == (None, None, 0)
    assert campaign["acceptingApplications"] is False  # a DRAFT
    assert campaign["brand"]["id"] == brand.id
    assert money({"campaign": campaign})["funded"] == 0
    assert (await campaign_row(clean_db, pk(campaign["id"]))).fee_basis_points == 0


async def test_the_application_deadline_defaults_to_the_posting_windows_end(api, clean_db):
    brand = await make_brand(api, clean_db)
    data = deal_input()
    del data["applicationDeadline"]
    payload = await api.mutate(
        "createCampaign", data, "campaign { applicationDeadline }", token=brand.token
    )
    assert payload["campaign"]["applicationDeadline"] == "2026-07-15T12:00:00+00:00"


async def test_a_challenge_is_drafted_with_its_prize_tiers(api, clean_db):
    brand = await make_brand(api, clean_db)
    payload = await api.mutate(
        "createCampaign",
        challenge_input(),
        "campaign { id kind ranking terms { kind } deliverables { hashtag } }",
        token=brand.token,
    )
    assert payload["userErrors"] == []
    assert payload["campaign"]["kind"] == "CHALLENGE"
    assert payload["campaign"]["ranking"] == "AUTHENTIC_VIEWS"
    assert payload["campaign"]["terms"] is None
    assert payload["campaign"]["deliverables"]["hashtag"] == "glow"
    async with create_sessionmaker(clean_db)() as session:
        tiers = await session.execute(
            sa.select(PrizeTier.rank_from, PrizeTier.rank_to, PrizeTier.amount_cents).order_by(
                PrizeTier.rank_from
            )
        )
        assert tiers.all() == [(1, 1, 50_000), (2, 6, 10_000)]


async def test_who_may_draft_a_campaign(api, clean_db):
    person = await sign_up(api)
    assert codes(await create(api, person)) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    business = await sign_up(api)
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=business.token
    )
    assert codes(await create(api, business)) == [("BRAND_PROFILE_REQUIRED", None)]
    creator = await make_creator(api, clean_db)
    assert codes(await create(api, creator)) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    body = await api.execute(
        "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) "
        "{ userErrors { code } } }",
        {"input": deal_input()},
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(clean_db, sa.table("campaigns")) == 0


async def test_every_bad_field_is_reported_and_nothing_is_written(api, clean_db):
    brand = await make_brand(api, clean_db)
    payload = await create(
        api, brand, title="", postingEndsAt=at(timedelta(days=1)), creatorSlots=0,
        videosRequired=11, budget=usd(99),
    )  # fmt: skip
    assert codes(payload) == [
        ("INVALID_INPUT", ["input", "title"]),
        ("INVALID_INPUT", ["input", "postingEndsAt"]),
        ("INVALID_INPUT", ["input", "applicationDeadline"]),
        ("INVALID_INPUT", ["input", "creatorSlots"]),
        ("INVALID_INPUT", ["input", "videosRequired"]),
        ("INVALID_INPUT", ["input", "budget"]),
    ]
    assert payload["campaign"] is None
    assert await count(clean_db, sa.table("campaigns")) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # 2 slots x 500.00 = the budget exactly: fine; a cent more is not.
        ({"terms": {"kind": "FLAT_FEE", "flatFee": usd(50_000)}}, []),
        (
            {"terms": {"kind": "FLAT_FEE", "flatFee": usd(50_001)}},
            [("INVALID_INPUT", ["input", "budget"])],
        ),
        ({"terms": {"kind": "FLAT_FEE"}}, [("INVALID_INPUT", ["input", "terms", "flatFee"])]),
        ({"terms": None}, [("INVALID_INPUT", ["input", "terms"])]),
        (
            {"terms": {"kind": "COMMISSION", "commissionBasisPoints": 0, "capPerCreator": usd(1)}},
            [("INVALID_INPUT", ["input", "terms", "commissionBasisPoints"])],
        ),
        (
            {"terms": {"kind": "PER_VIEW", "perThousandViews": usd(5)}},
            [("INVALID_INPUT", ["input", "terms", "capPerCreator"])],
        ),
        (
            {"terms": {"kind": "FLAT_FEE", "flatFee": {"amount": "1.001", "currency": "USD"}}},
            [("INVALID_INPUT", ["input", "terms", "flatFee", "amount"])],
        ),
        (
            {"budget": {"amount": "1000", "currency": "EUR"}},
            [("INVALID_INPUT", ["input", "budget", "currency"])],
        ),
        (
            {"postingStartsAt": "2026-06-16T00:00:00"},
            [("INVALID_INPUT", ["input", "postingStartsAt"])],
        ),
        ({"countries": ["US", "ZZ"]}, [("INVALID_COUNTRY", ["input", "countries", "1"])]),
        ({"mention": "@no good"}, [("INVALID_HANDLE", ["input", "mention"])]),
        ({"ranking": "BRAND_CHOICE"}, [("INVALID_INPUT", ["input", "ranking"])]),
    ],
)
async def test_deal_terms_and_fields_are_checked(api, clean_db, changes, expected):
    brand = await make_brand(api, clean_db)
    assert codes(await create(api, brand, **changes)) == expected
    assert await count(clean_db, sa.table("campaigns")) == (0 if expected else 1)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        (
            {"prizeTiers": [{"rankFrom": 1, "rankTo": 1, "amount": usd(50_000)}]},
            [("INVALID_PRIZE_TIERS", ["input", "prizeTiers"])],
        ),
        (
            {
                "prizeTiers": [
                    {"rankFrom": 1, "rankTo": 2, "amount": usd(50_000)},
                    {"rankFrom": 2, "rankTo": 2, "amount": usd(0)},
                ]
            },
            [("INVALID_PRIZE_TIERS", ["input", "prizeTiers"])],
        ),
        (
            {"prizeTiers": [{"rankFrom": 1, "rankTo": 1, "amount": usd(1) | {"amount": "0.001"}}]},
            [("INVALID_INPUT", ["input", "prizeTiers", "0", "amount", "amount"])],
        ),
        ({"prizeTiers": None}, [("INVALID_PRIZE_TIERS", ["input", "prizeTiers"])]),
        ({"hashtag": None}, [("INVALID_INPUT", ["input", "hashtag"])]),
        ({"ranking": None}, [("INVALID_INPUT", ["input", "ranking"])]),
        (
            {"terms": {"kind": "FLAT_FEE", "flatFee": usd(1)}},
            [("INVALID_INPUT", ["input", "terms"])],
        ),
    ],
)
async def test_challenge_fields_are_checked(api, clean_db, changes, expected):
    brand = await make_brand(api, clean_db)
    payload = await api.mutate(
        "createCampaign", challenge_input(**changes), "campaign { id }", token=brand.token
    )
    assert codes(payload) == expected
    assert await count(clean_db, PrizeTier.__table__) == (0 if expected else 2)


UPDATE = "campaign { id title brief budget { minorUnits } terms { flatFee { minorUnits } } }"


async def test_a_draft_is_edited_field_by_field_and_checked_whole(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await api.mutate(
        "updateCampaign", {"campaignId": gid, "title": "New title"}, UPDATE, token=brand.token
    )
    assert payload["campaign"] == {
        "id": gid,
        "title": "New title",
        "brief": "Show our serum in your morning routine.",
        "budget": {"minorUnits": 100_000},
        "terms": {"flatFee": {"minorUnits": 25_000}},
    }
    # A smaller budget must still hold 2 slots x 250.00.
    payload = await api.mutate(
        "updateCampaign", {"campaignId": gid, "budget": usd(49_999)}, UPDATE, token=brand.token
    )
    assert codes(payload) == [("INVALID_INPUT", ["input", "budget"])]
    payload = await api.mutate(
        "updateCampaign",
        {
            "campaignId": gid,
            "budget": usd(60_000),
            "terms": {"kind": "FLAT_FEE", "flatFee": usd(30_000)},
        },
        UPDATE,
        token=brand.token,
    )
    assert payload["campaign"]["budget"] == {"minorUnits": 60_000}
    assert payload["campaign"]["terms"] == {"flatFee": {"minorUnits": 30_000}}
    payload = await api.mutate(
        "updateCampaign", {"campaignId": gid, "title": None}, UPDATE, token=brand.token
    )
    assert codes(payload) == [("INVALID_INPUT", ["input", "title"])]
    row = await campaign_row(clean_db, pk(gid))
    assert (row.title, row.budget_cents, row.flat_fee_cents) == ("New title", 60_000, 30_000)


async def test_a_challenges_prize_tiers_are_replaced_whole(api, clean_db):
    brand = await make_brand(api, clean_db)
    payload = await api.mutate(
        "createCampaign", challenge_input(), "campaign { id }", token=brand.token
    )
    gid = payload["campaign"]["id"]
    tiers = [{"rankFrom": 1, "rankTo": 4, "amount": usd(25_000)}]
    payload = await api.mutate(
        "updateCampaign", {"campaignId": gid, "prizeTiers": tiers}, "campaign { id }",
        token=brand.token,
    )  # fmt: skip
    assert payload["userErrors"] == []
    async with create_sessionmaker(clean_db)() as session:
        found = await session.execute(sa.select(PrizeTier.rank_from, PrizeTier.rank_to))
        assert found.all() == [(1, 4)]
    bad = [{"rankFrom": 1, "rankTo": 4, "amount": usd(20_000)}]
    payload = await api.mutate(
        "updateCampaign", {"campaignId": gid, "prizeTiers": bad}, "campaign { id }",
        token=brand.token,
    )  # fmt: skip
    assert codes(payload) == [("INVALID_PRIZE_TIERS", ["input", "prizeTiers"])]


async def test_only_its_brand_edits_a_draft_and_only_while_it_is_one(api, clean_db):
    brand = await make_brand(api, clean_db)
    other = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    change = {"campaignId": gid, "title": "Mine now"}
    payload = await api.mutate("updateCampaign", change, UPDATE, token=other.token)
    assert codes(payload) == [("NOT_FOUND", ["input", "campaignId"])]
    person = await sign_up(api)
    payload = await api.mutate("updateCampaign", change, UPDATE, token=person.token)
    assert codes(payload) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    payload = await api.mutate(
        "updateCampaign", {"campaignId": "bm9wZToxMjM", "title": "x"}, UPDATE, token=brand.token
    )
    assert codes(payload)[0][0] == "INVALID_ID"
    await fund(api, brand, gid)
    await act(api, "openCampaign", brand, gid)
    payload = await api.mutate("updateCampaign", change, UPDATE, token=brand.token)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    assert "OPEN" in payload["userErrors"][0]["message"]
    assert (await campaign_row(clean_db, pk(gid))).title == "Glow campaign"


# --- funding -----------------------------------------------------------------------------


async def test_funding_by_card_defaults_to_what_the_budget_misses(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await fund(api, brand, gid, 30_000)
    assert payload["userErrors"] == []
    assert payload["funding"] == {
        "amount": {"minorUnits": 30_000},
        "fee": {"minorUnits": 0},
        "charged": {"minorUnits": 30_000},
    }
    payload = await fund(api, brand, gid)  # the rest: 70,000
    assert payload["funding"]["amount"] == {"minorUnits": 70_000}
    assert money(payload)["funded"] == 100_000
    assert money(payload)["free"] == 100_000
    # Fully funded: the default has nothing to charge.
    payload = await fund(api, brand, gid)
    assert codes(payload) == [("INVALID_INPUT", ["input", "amount"])]
    assert await escrow_balances(clean_db, pk(gid)) == {"free": 100_000, "reserved": 0, "fees": 0}
    async with create_sessionmaker(clean_db)() as session:
        rows = await session.execute(
            sa.select(Payment.purpose, Payment.amount_cents, Payment.account_id).order_by(
                Payment.id
            )
        )
        assert [(p.value, a, who) for p, a, who in rows.all()] == [
            ("CAMPAIGN_FUNDING", 30_000, brand.pk),
            ("CAMPAIGN_FUNDING", 70_000, brand.pk),
        ]


async def test_a_declined_card_writes_nothing_and_the_key_stays_free(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await fund(api, brand, gid, token=DECLINED, key="k-1")
    assert codes(payload) == [("CARD_DECLINED", ["input", "paymentToken"])]
    assert await count(clean_db, Payment.__table__) == 0
    assert await count(clean_db, CampaignFunding.__table__) == 0
    assert await count(clean_db, IdempotencyKey.__table__) == 0
    assert (await campaign_row(clean_db, pk(gid))).funded_cents == 0
    payload = await fund(api, brand, gid, token="tok_nonsense", key="k-2")
    assert codes(payload) == [("INVALID_PAYMENT_TOKEN", ["input", "paymentToken"])]
    # The corrected retry under a key of its own goes through.
    assert (await fund(api, brand, gid, key="k-3"))["userErrors"] == []
    assert (await campaign_row(clean_db, pk(gid))).funded_cents == 100_000


async def test_the_same_key_charges_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    first = await fund(api, brand, gid, 40_000, key="fund-1")
    again = await fund(api, brand, gid, 40_000, key="fund-1")
    assert again["userErrors"] == []
    assert again["funding"] == first["funding"]
    assert money(again)["funded"] == 40_000
    assert await count(clean_db, Payment.__table__) == 1
    # The same key for another amount is refused.
    payload = await fund(api, brand, gid, 50_000, key="fund-1")
    assert codes(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await count(clean_db, Payment.__table__) == 1


@pytest.mark.parametrize(
    ("amount", "code", "field"),
    [
        ({"amount": "0", "currency": "USD"}, "INVALID_AMOUNT", ["input", "amount"]),
        ({"amount": "-5", "currency": "USD"}, "INVALID_AMOUNT", ["input", "amount"]),
        ({"amount": "100000.01", "currency": "USD"}, "INVALID_AMOUNT", ["input", "amount"]),
        ({"amount": "1.001", "currency": "USD"}, "INVALID_INPUT", ["input", "amount", "amount"]),
        ({"amount": "5", "currency": "GBP"}, "INVALID_INPUT", ["input", "amount", "currency"]),
    ],
)
async def test_a_bad_funding_amount_is_refused(api, clean_db, amount, code, field):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await api.mutate(
        "fundCampaign",
        {"campaignId": gid, "paymentToken": SUCCESS, "idempotencyKey": "k", "amount": amount},
        "campaign { id }",
        token=brand.token,
    )
    assert codes(payload) == [(code, field)]
    assert await count(clean_db, Payment.__table__) == 0


async def test_who_may_fund_a_campaign(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    other = await make_brand(api, clean_db)
    assert codes(await fund(api, other, gid)) == [("NOT_FOUND", ["input", "campaignId"])]
    person = await sign_up(api)
    assert codes(await fund(api, person, gid)) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
    payload = await fund(api, brand, gid, key=" spaced ")
    assert codes(payload) == [("INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"])]
    body = await api.execute(
        "mutation($input: FundCampaignInput!) { fundCampaign(input: $input) "
        "{ userErrors { code } } }",
        {"input": {"campaignId": gid, "paymentToken": SUCCESS, "idempotencyKey": "k"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(clean_db, Payment.__table__) == 0


async def test_a_running_campaign_is_topped_up_and_an_ended_one_is_not(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await open_campaign(api, brand)
    payload = await fund(api, brand, gid, 20_000)
    assert money(payload)["funded"] == 120_000
    assert money(payload)["free"] == 120_000
    payload = await act(api, "closeCampaign", brand, gid)
    assert payload["refunded"] == {"minorUnits": 120_000}
    payload = await fund(api, brand, gid, 10_000)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    assert "COMPLETED" in payload["userErrors"][0]["message"]
    assert await count(clean_db, Payment.__table__) == 2


async def test_a_campaign_ended_between_check_and_record_gets_its_charge_back(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await open_campaign(api, brand)
    provider = api.app.state.services.payments
    charge = provider.charge

    async def cancel_meanwhile(request: Any) -> Any:
        result = await charge(request)
        assert (await act(api, "cancelCampaign", brand, gid))["userErrors"] == []
        return result

    provider.charge = cancel_meanwhile
    payload = await fund(api, brand, gid, 10_000)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    assert len(provider.refunded) == 1  # the charge that could not be recorded
    assert (await campaign_row(clean_db, pk(gid))).funded_cents == 100_000


async def test_concurrent_fundings_with_their_own_keys_all_count(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    results = await asyncio.gather(*(fund(api, brand, gid, 10_000 * n) for n in (1, 2, 3, 4)))
    assert [r["userErrors"] for r in results] == [[], [], [], []]
    row = await campaign_row(clean_db, pk(gid))
    assert row.funded_cents == 100_000
    assert await escrow_balances(clean_db, pk(gid)) == {"free": 100_000, "reserved": 0, "fees": 0}
    assert await count(clean_db, Payment.__table__) == 4


async def test_concurrent_retries_of_one_key_charge_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    results = await asyncio.gather(*(fund(api, brand, gid, 10_000, key="same") for _ in range(4)))
    assert [r["userErrors"] for r in results] == [[], [], [], []]
    assert (await campaign_row(clean_db, pk(gid))).funded_cents == 10_000
    assert await count(clean_db, Payment.__table__) == 1


# --- the platform fee -------------------------------------------------------------------


@pytest.fixture
async def fee_api(settings, clock, clean_db) -> AsyncIterator[Api]:
    """The API with a platform fee of 10% (1,000 basis points) on brand payments."""
    rules = dataclasses.replace(settings.rules, marketplace_fee_basis_points=1_000)
    app = create_app(dataclasses.replace(settings, rules=rules), clock=clock, engine=clean_db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield Api(client, clean_db, app)
    finally:
        await app.state.services.broker.close()


async def test_the_brand_pays_the_fee_on_top_and_gets_back_the_unearned_part(fee_api, clean_db):
    api = fee_api
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    gid = await draft(api, brand)
    assert (await campaign_row(clean_db, pk(gid))).fee_basis_points == 1_000
    payload = await fund(api, brand, gid)
    assert payload["funding"] == {
        "amount": {"minorUnits": 100_000},
        "fee": {"minorUnits": 10_000},
        "charged": {"minorUnits": 110_000},
    }
    assert money(payload)["feeCharged"] == 10_000
    await act(api, "openCampaign", brand, gid)
    # A creator's deal: their whole 250.00 fee reaches their earnings, not a cent less.
    deal = await deal_with(clean_db, gid, creator, status="APPROVED", reserve=25_000)
    await pay_deal(clean_db, gid, deal, creator, 25_000)
    wallet = await api.data(
        "{ viewer { wallet { earnings { minorUnits } } } }", token=creator.token
    )
    assert wallet["viewer"]["wallet"]["earnings"] == {"minorUnits": 25_000}
    payload = await act(api, "closeCampaign", brand, gid)
    assert payload["userErrors"] == []
    # Kept: 10% of what was paid (2,500); back: the unused 75,000 and the fee on it, 7,500.
    assert money(payload) | {"byCreator": None} == {
        "funded": 100_000,
        "reserved": 0,
        "paid": 25_000,
        "refunded": 75_000,
        "free": 0,
        "feeCharged": 10_000,
        "feeKept": 2_500,
        "feeRefunded": 7_500,
        "byCreator": None,
    }
    assert payload["refunded"] == {"minorUnits": 82_500}
    sent = api.app.state.services.payments.partial_refunds
    assert sorted(cents for _, cents in sent.values()) == [82_500]
    assert await escrow_balances(clean_db, pk(gid)) == {"free": 0, "reserved": 0, "fees": 0}


async def test_with_a_fee_an_unused_campaign_refunds_every_cent(fee_api, clean_db):
    api = fee_api
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    await fund(api, brand, gid, 33_333)  # fee 3,333 (rounded down: the brand's favour)
    payload = await act(api, "cancelCampaign", brand, gid)
    assert payload["refunded"] == {"minorUnits": 36_666}
    assert money(payload)["feeKept"] == 0
    assert money(payload)["feeRefunded"] == 3_333


# --- opening, pausing --------------------------------------------------------------------


async def test_a_draft_opens_once_funded_to_its_budget(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await act(api, "openCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_NOT_FUNDED", ["input", "campaignId"])]
    await fund(api, brand, gid, 99_999)
    payload = await act(api, "openCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_NOT_FUNDED", ["input", "campaignId"])]
    assert "0.01 USD is missing" in payload["userErrors"][0]["message"]
    await fund(api, brand, gid, 1)
    payload = await act(api, "openCampaign", brand, gid)
    assert payload["campaign"]["status"] == "OPEN"
    row = await campaign_row(clean_db, pk(gid))
    assert row.opened_at == START
    payload = await act(api, "openCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]


async def test_a_draft_whose_deadline_has_come_does_not_open(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand, applicationDeadline=at(timedelta(days=2)))
    await fund(api, brand, gid)
    clock.advance(timedelta(days=2))  # the deadline exactly
    payload = await act(api, "openCampaign", brand, gid)
    assert codes(payload) == [("INVALID_INPUT", ["input", "campaignId"])]
    later = {"campaignId": gid, "applicationDeadline": at(timedelta(days=2, seconds=1))}
    await api.mutate("updateCampaign", later, "campaign { id }", token=brand.token)
    assert (await act(api, "openCampaign", brand, gid))["campaign"]["status"] == "OPEN"


async def test_a_brand_pauses_and_resumes_applications(api, clean_db):
    brand = await make_brand(api, clean_db)
    draft_id = await draft(api, brand)
    payload = await act(api, "pauseCampaignApplications", brand, draft_id)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    gid = await open_campaign(api, brand)
    payload = await act(api, "pauseCampaignApplications", brand, gid)
    assert payload["campaign"]["applicationsPaused"] is True
    payload = await act(api, "pauseCampaignApplications", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    other = await make_brand(api, clean_db)
    payload = await act(api, "resumeCampaignApplications", other, gid)
    assert codes(payload) == [("NOT_FOUND", ["input", "campaignId"])]
    payload = await act(api, "resumeCampaignApplications", brand, gid)
    assert payload["campaign"]["applicationsPaused"] is False
    payload = await act(api, "resumeCampaignApplications", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    await act(api, "closeCampaign", brand, gid)
    payload = await act(api, "pauseCampaignApplications", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]


# --- closing -----------------------------------------------------------------------------


async def test_closing_releases_what_is_reserved_and_refunds_the_rest(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, "maya")
    applicant = await make_creator(api, clean_db)
    gid = await open_campaign(
        api, brand,
        terms={"kind": "PER_VIEW", "perThousandViews": usd(500), "flatFee": usd(10_000),
               "capPerCreator": usd(20_000)},
    )  # fmt: skip
    # An approved deal: its fee paid, its cap still reserved for views.
    deal = await deal_with(clean_db, gid, creator, status="APPROVED", reserve=30_000)
    await pay_deal(clean_db, gid, deal, creator, 12_000)
    # A pending application.
    async with create_sessionmaker(clean_db)() as session:

        async def apply() -> None:
            session.add(
                Proposal(
                    campaign_id=pk(gid), creator_id=applicant.pk,
                    origin=ProposalOrigin.APPLICATION, status=ProposalStatus.PENDING,
                    message="Pick me", created_at=START,
                )
            )  # fmt: skip

        await run_write(session, apply)
    payload = await act(api, "closeCampaign", brand, gid)
    assert payload["userErrors"] == []
    assert payload["campaign"]["status"] == "COMPLETED"
    assert money(payload) == {
        "funded": 100_000,
        "reserved": 0,
        "paid": 12_000,
        "refunded": 88_000,
        "free": 0,
        "feeCharged": 0,
        "feeKept": 0,
        "feeRefunded": 0,
        "byCreator": [
            {
                "creator": {"handle": "maya"},
                "reserved": {"minorUnits": 0},
                "paid": {"minorUnits": 12_000},
            }
        ],
    }
    assert payload["refunded"] == {"minorUnits": 88_000}
    row = await campaign_row(clean_db, pk(gid))
    assert row.ended_at == START
    async with create_sessionmaker(clean_db)() as session:
        proposal = await session.scalar(
            sa.select(Proposal).where(Proposal.creator_id == applicant.pk)
        )
        assert proposal is not None and proposal.status is ProposalStatus.WITHDRAWN
        refund = await session.scalar(sa.select(CampaignRefund))
        assert refund is not None
        assert (refund.amount_cents, refund.status) == (88_000, RefundStatus.SENT)
    sent = api.app.state.services.payments.partial_refunds
    assert [cents for _, cents in sent.values()] == [88_000]
    assert await notifications(clean_db, brand) == ["CAMPAIGN_REFUNDED"]
    # Closed is closed.
    payload = await act(api, "closeCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    payload = await act(api, "cancelCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]


@pytest.mark.parametrize("status", ["ACTIVE", "SUBMITTED", "DISPUTED"])
async def test_a_campaign_with_an_unsettled_deal_does_not_close(api, clean_db, status):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    gid = await open_campaign(api, brand)
    await deal_with(clean_db, gid, creator, status=status, reserve=25_000)
    payload = await act(api, "closeCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_HAS_OPEN_DEALS", ["input", "campaignId"])]
    assert f"1 {status}" in payload["userErrors"][0]["message"]
    row = await campaign_row(clean_db, pk(gid))
    assert (row.status.value, row.reserved_cents, row.refunded_cents) == ("OPEN", 25_000, 0)
    assert await count(clean_db, CampaignRefund.__table__) == 0


async def test_a_draft_and_a_challenge_are_not_closed_by_hand(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await act(api, "closeCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    assert "DRAFT" in payload["userErrors"][0]["message"]
    cid = await funded_campaign(clean_db, brand, now=START, kind="CHALLENGE")
    payload = await act(api, "closeCampaign", brand, encode_id("Campaign", cid))
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]


async def test_only_its_brand_closes_a_campaign(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await open_campaign(api, brand)
    staff = await make_staff(api, clean_db)
    creator = await make_creator(api, clean_db)
    other = await make_brand(api, clean_db)
    for name in ("closeCampaign", "cancelCampaign", "openCampaign"):
        assert codes(await act(api, name, other, gid)) == [("NOT_FOUND", ["input", "campaignId"])]
        assert codes(await act(api, name, creator, gid)) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
        assert codes(await act(api, name, staff, gid)) == [("BUSINESS_ACCOUNT_REQUIRED", None)]
        body = await api.execute(
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"campaignId": gid}},
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await campaign_row(clean_db, pk(gid))).status.value == "OPEN"


# --- cancelling --------------------------------------------------------------------------


async def test_cancelling_a_funded_draft_refunds_it(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    await fund(api, brand, gid, 60_000)
    await fund(api, brand, gid, 40_000)
    payload = await act(api, "cancelCampaign", brand, gid)
    assert payload["campaign"]["status"] == "CANCELLED"
    assert payload["refunded"] == {"minorUnits": 100_000}
    async with create_sessionmaker(clean_db)() as session:
        refunds = await session.execute(
            sa.select(CampaignRefund.amount_cents, CampaignFunding.amount_cents)
            .join(CampaignFunding, CampaignFunding.id == CampaignRefund.funding_id)
            .order_by(CampaignRefund.id)
        )
        # Newest charge first, each refunded in full.
        assert refunds.all() == [(40_000, 40_000), (60_000, 60_000)]
    sent = api.app.state.services.payments.partial_refunds
    assert sorted(cents for _, cents in sent.values()) == [40_000, 60_000]
    assert len({charge for charge, _ in sent.values()}) == 2


async def test_cancelling_an_unfunded_draft_refunds_nothing(api, clean_db):
    brand = await make_brand(api, clean_db)
    gid = await draft(api, brand)
    payload = await act(api, "cancelCampaign", brand, gid)
    assert payload["campaign"]["status"] == "CANCELLED"
    assert payload["refunded"] == {"minorUnits": 0}
    assert await notifications(clean_db, brand) == []
    assert await count(clean_db, CampaignRefund.__table__) == 0


async def test_cancelling_cancels_active_deals_and_releases_them(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    gid = await open_campaign(api, brand)
    deal = await deal_with(clean_db, gid, creator, status="ACTIVE", reserve=25_000)
    payload = await act(api, "cancelCampaign", brand, gid)
    assert payload["userErrors"] == []
    assert payload["campaign"]["status"] == "CANCELLED"
    assert payload["refunded"] == {"minorUnits": 100_000}
    assert money(payload)["reserved"] == 0
    async with create_sessionmaker(clean_db)() as session:
        row = await session.get(Deal, deal)
        assert row is not None
        assert (row.status.value, row.reserved_cents, row.ended_at) == ("CANCELLED", 0, START)
    assert await notifications(clean_db, creator) == ["DEAL_CANCELLED"]
    assert await notifications(clean_db, brand) == ["DEAL_CANCELLED", "CAMPAIGN_REFUNDED"]


@pytest.mark.parametrize("status", ["SUBMITTED", "APPROVED", "DISPUTED"])
async def test_a_campaign_with_a_delivered_deal_is_not_cancelled(api, clean_db, status):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    gid = await open_campaign(api, brand)
    await deal_with(clean_db, gid, creator, status=status, reserve=25_000)
    payload = await act(api, "cancelCampaign", brand, gid)
    assert codes(payload) == [("CAMPAIGN_HAS_OPEN_DEALS", ["input", "campaignId"])]
    row = await campaign_row(clean_db, pk(gid))
    assert (row.status.value, row.reserved_cents) == ("OPEN", 25_000)


async def test_a_challenge_with_entries_runs_to_its_results(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, kind="CHALLENGE", status="IN_PROGRESS")
    payload = await act(api, "cancelCampaign", brand, encode_id("Campaign", cid))
    assert codes(payload) == [("CAMPAIGN_STATE_INVALID", ["input", "campaignId"])]
    # One without entries may be cancelled: its whole prize pool goes back.
    open_id = await funded_campaign(clean_db, brand, now=START, kind="CHALLENGE")
    payload = await act(api, "cancelCampaign", brand, encode_id("Campaign", open_id))
    assert payload["refunded"] == {"minorUnits": 100_000}


# --- refunds the provider did not take at once --------------------------------------------


async def test_a_refund_the_provider_refused_is_sent_by_the_job(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    gid = await open_campaign(api, brand)
    provider = api.app.state.services.payments
    refund = provider.refund

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("provider down")

    provider.refund = failing
    payload = await act(api, "closeCampaign", brand, gid)
    assert payload["userErrors"] == []  # closed; the refund waits
    async with create_sessionmaker(clean_db)() as session:
        row = await session.scalar(sa.select(CampaignRefund))
        assert row is not None and (row.status, row.attempts) == (RefundStatus.PENDING, 1)
    maker = create_sessionmaker(clean_db)
    assert await closing.send_pending_refunds(maker, provider, now=clock.now()) == (0, 1)
    provider.refund = refund
    later = clock.now() + timedelta(minutes=5)
    assert await closing.send_pending_refunds(maker, provider, now=later) == (1, 0)
    assert await closing.send_pending_refunds(maker, provider, now=later) == (0, 0)
    async with create_sessionmaker(clean_db)() as session:
        row = await session.scalar(sa.select(CampaignRefund))
        assert row is not None
        assert (row.status, row.attempts, row.sent_at) == (RefundStatus.SENT, 3, later)
    assert [cents for _, cents in provider.partial_refunds.values()] == [100_000]


# --- visibility --------------------------------------------------------------------------

NODE = (
    "query($id: ID!) { node(id: $id) { ... on Campaign { id status title "
    "money { funded { minorUnits } byCreator { paid { minorUnits } } } } } "
    "campaign(id: $id) { id money { funded { minorUnits } } } }"
)


async def seen(api: Api, gid: str, user: Any) -> tuple[bool, bool]:
    """(sees the campaign, sees its money), through node(id:) and campaign(id:) alike."""
    found = await api.data(NODE, {"id": gid}, token=user.token if user else None)
    node, campaign = found["node"], found["campaign"]
    assert (node is None) == (campaign is None)
    if node is None:
        return False, False
    assert (node["money"] is None) == (campaign["money"] is None)
    return True, node["money"] is not None


async def test_who_sees_a_campaign_and_its_money_in_each_state(api, clean_db):
    brand = await make_brand(api, clean_db)
    other = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    dealer = await make_creator(api, clean_db)
    staff = await make_staff(api, clean_db)
    people = [brand, staff, other, creator, dealer, None]
    gid = await draft(api, brand)
    await fund(api, brand, gid)
    draft_view = [await seen(api, gid, p) for p in people]
    assert draft_view == [(True, True), (True, True)] + [(False, False)] * 4
    await act(api, "openCampaign", brand, gid)
    await deal_with(clean_db, gid, dealer, status="ACTIVE", reserve=25_000)
    open_view = [await seen(api, gid, p) for p in people]
    assert open_view == [(True, True), (True, True)] + [(True, False)] * 4
    await act(api, "cancelCampaign", brand, gid)
    # Cancelled: its brand, staff and the creator who had a deal in it.
    cancelled_view = [await seen(api, gid, p) for p in people]
    assert cancelled_view == [
        (True, True),
        (True, True),
        (False, False),
        (False, False),
        (True, False),
        (False, False),
    ]
    completed = await open_campaign(api, brand)
    await act(api, "closeCampaign", brand, completed)
    assert [await seen(api, completed, p) for p in people] == [(True, True), (True, True)] + [
        (True, False)
    ] * 4


async def test_staff_see_a_brands_money_per_creator(api, clean_db):
    brand = await make_brand(api, clean_db)
    staff = await make_staff(api, clean_db)
    creator = await make_creator(api, clean_db, "lena")
    gid = await open_campaign(api, brand)
    deal = await deal_with(clean_db, gid, creator, status="APPROVED", reserve=25_000)
    await pay_deal(clean_db, gid, deal, creator, 25_000)
    query = f"query($id: ID!) {{ campaign(id: $id) {{ {MONEY} }} }}"
    for user in (brand, staff):
        found = await api.data(query, {"id": gid}, token=user.token)
        assert money(found) | {"byCreator": None} == {
            "funded": 100_000,
            "reserved": 0,
            "paid": 25_000,
            "refunded": 0,
            "free": 75_000,
            "feeCharged": 0,
            "feeKept": 0,
            "feeRefunded": 0,
            "byCreator": None,
        }
        assert found["campaign"]["money"]["byCreator"] == [
            {
                "creator": {"handle": "lena"},
                "reserved": {"minorUnits": 0},
                "paid": {"minorUnits": 25_000},
            }
        ]


async def test_an_id_of_nothing_or_of_another_type_finds_nothing(api, clean_db):
    brand = await make_brand(api, clean_db)
    found = await api.data(NODE, {"id": encode_id("Campaign", 999)}, token=brand.token)
    assert found == {"node": None, "campaign": None}
    body = await api.execute(
        "query($id: ID!) { campaign(id: $id) { id } }", {"id": brand.id}, token=brand.token
    )
    assert body["errors"][0]["extensions"]["reason"] == "INVALID_ID"


# --- a brand's own list ------------------------------------------------------------------

MINE = (
    "query($first: Int, $after: String, $status: CampaignStatus) { myCampaigns(first: $first, "
    "after: $after, status: $status) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { node { id status } } } }"
)


async def test_a_brand_lists_its_own_campaigns_newest_first(api, clean_db):
    brand = await make_brand(api, clean_db)
    other = await make_brand(api, clean_db)
    ids = [await draft(api, brand, title=f"Campaign {n}") for n in range(3)]
    opened = await open_campaign(api, brand)
    await draft(api, other)
    found = await api.data(MINE, {"first": 2}, token=brand.token)
    page = found["myCampaigns"]
    assert page["totalCount"] == 4
    assert [e["node"]["id"] for e in page["edges"]] == [opened, ids[2]]
    assert page["pageInfo"]["hasNextPage"] is True
    found = await api.data(
        MINE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=brand.token
    )
    assert [e["node"]["id"] for e in found["myCampaigns"]["edges"]] == [ids[1], ids[0]]
    assert found["myCampaigns"]["pageInfo"]["hasNextPage"] is False
    found = await api.data(MINE, {"status": "OPEN"}, token=brand.token)
    assert [e["node"]["id"] for e in found["myCampaigns"]["edges"]] == [opened]
    assert found["myCampaigns"]["totalCount"] == 1
    creator = await make_creator(api, clean_db)
    assert (await api.data(MINE, token=creator.token))["myCampaigns"]["totalCount"] == 0
    error = await api.error(MINE)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    error = await api.error(MINE, {"first": 101}, token=brand.token)
    assert error["extensions"]["reason"] == "INVALID_INPUT"


# --- notifications and live events ----------------------------------------------------


async def test_campaign_changes_reach_the_brands_channel(api, clean_db):
    from reelpay import events

    brand = await make_brand(api, clean_db)
    broker = api.app.state.services.broker
    async with broker.subscribe(events.marketplace_channel(brand.pk)) as subscriber:
        gid = await open_campaign(api, brand)
        got = [await asyncio.wait_for(subscriber.next(), 5) for _ in range(3)]
        await act(api, "pauseCampaignApplications", brand, gid)
        await act(api, "closeCampaign", brand, gid)
        got += [await asyncio.wait_for(subscriber.next(), 5) for _ in range(2)]
    assert got == [
        {"campaignId": pk(gid), "dealId": None, "event": event}
        for event in (
            "CAMPAIGN_CREATED",
            "CAMPAIGN_FUNDED",
            "CAMPAIGN_OPENED",
            "APPLICATIONS_PAUSED",
            "CAMPAIGN_COMPLETED",
        )
    ]


# --- races -------------------------------------------------------------------------------


async def test_closing_racing_acceptances_leaves_the_books_whole(api, clean_db):
    """Either order is fine: the close wins (nothing is accepted after it, every cent goes
    back) or an acceptance does (the close is refused while that deal is ACTIVE)."""
    brand = await make_brand(api, clean_db)
    outcomes = set()
    for _ in range(4):
        gid = await open_campaign(api, brand)
        proposals = []
        for _ in range(2):
            creator = await make_creator(api, clean_db)
            payload = await api.mutate(
                "applyToCampaign", {"campaignId": gid}, "proposal { id }", token=creator.token
            )
            assert payload["userErrors"] == [], payload["userErrors"]
            proposals.append(payload["proposal"]["id"])
        closed, *accepted = await asyncio.gather(
            act(api, "closeCampaign", brand, gid),
            *(
                api.mutate(
                    "acceptCampaignProposal", {"proposalId": p}, "deal { id }", token=brand.token
                )
                for p in proposals
            ),
        )
        deals = [a for a in accepted if a["userErrors"] == []]
        row = await campaign_row(clean_db, pk(gid))
        if closed["userErrors"]:
            assert codes(closed) == [("CAMPAIGN_HAS_OPEN_DEALS", ["input", "campaignId"])]
            assert deals
            assert (row.status.value, row.reserved_cents) == ("IN_PROGRESS", 25_000 * len(deals))
            outcomes.add("accepted first")
        else:
            assert deals == []
            refused = {a["userErrors"][0]["code"] for a in accepted}
            assert refused <= {"CAMPAIGN_STATE_INVALID", "PROPOSAL_NOT_PENDING"}, refused
            assert (row.status.value, row.refunded_cents, row.reserved_cents) == (
                "COMPLETED",
                100_000,
                0,
            )
            outcomes.add("closed first")
        balances = await escrow_balances(clean_db, pk(gid))
        assert balances["free"] + balances["reserved"] + row.refunded_cents == row.funded_cents
        assert balances["reserved"] == row.reserved_cents
    assert outcomes  # (which orders happened depends on the scheduler)


async def test_the_refunds_job_runs_from_the_command_line(tmp_path, monkeypatch, capsys, clock):
    from reelpay.cli import main

    monkeypatch.setenv("REELPAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert await asyncio.to_thread(main, ["migrate"]) == 0
    assert await asyncio.to_thread(main, ["jobs", "send-campaign-refunds"], clock=clock) == 0
    assert "sent 0 campaign refund(s); 0 still pending" in capsys.readouterr().out
