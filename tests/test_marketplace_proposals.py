"""Applications and invitations to DEAL campaigns, and answering them: who may send, answer
and see each, every refusal (qualification, state, deadline, slots, offers), the deal that an
acceptance makes with its reservation, budget exhaustion and full slots under concurrent
acceptances, and the brands' search of creators. Through the API, on both databases.

The helpers at the top are shared by the other marketplace deal test files.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_id
from tests.conftest import START
from tests.factories import (
    User,
    make_staff,
    set_account,
    set_standing,
    sign_up,
)
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
)
from tests.test_graphql_api import counting_statements

pytestmark = pytest.mark.usefixtures("verify_ledger")

PROPOSAL = "proposal { id status origin message proposedFee { minorUnits } }"
DEAL = (
    "id status fee { minorUnits } reserved { minorUnits } paid { minorUnits } changeRounds "
    "comment trackingCode submittedAt reviewDueAt approvedAt autoApproved endedAt"
)
NODE = "query($id: ID!) { node(id: $id) { id } }"


# --- shared helpers --------------------------------------------------------------------------


def campaign_gid(pk: int) -> str:
    return encode_id("Campaign", pk)


def usd(cents: int) -> dict[str, str]:
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def apply(api: Any, creator: User, cid: int, **fields: Any) -> dict[str, Any]:
    return await api.mutate(
        "applyToCampaign",
        {"campaignId": campaign_gid(cid), **fields},
        PROPOSAL + " campaign { id }",
        token=creator.token,
    )


async def invite(api: Any, brand: User, cid: int, creator: User, **fields: Any) -> dict[str, Any]:
    return await api.mutate(
        "inviteCreator",
        {"campaignId": campaign_gid(cid), "creatorId": creator.id, **fields},
        PROPOSAL,
        token=brand.token,
    )


async def accept(api: Any, user: User, proposal_id: str) -> dict[str, Any]:
    return await api.mutate(
        "acceptCampaignProposal",
        {"proposalId": proposal_id},
        f"proposal {{ id status }} deal {{ {DEAL} }} campaign {{ status slotsTaken }}",
        token=user.token,
    )


async def start_deal(api: Any, brand: User, creator: User, cid: int) -> str:
    """An application accepted by the brand: the new deal's global ID."""
    applied = await apply(api, creator, cid)
    assert applied["userErrors"] == [], applied["userErrors"]
    accepted = await accept(api, brand, applied["proposal"]["id"])
    assert accepted["userErrors"] == [], accepted["userErrors"]
    return str(accepted["deal"]["id"])


async def notices(engine: Any, user: User) -> list[str]:
    """The kinds of the user's notifications, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT kind FROM notifications WHERE account_id = :a ORDER BY id"),
            {"a": user.pk},
        )
        return [kind for (kind,) in rows]


async def table_count(engine: Any, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar())


async def pause_marketplace(engine: Any, user: User) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "UPDATE enrolments SET paused_at = :at WHERE account_id = :a "
                "AND program = 'CREATOR_MARKETPLACE'"
            ),
            {"at": START.replace(tzinfo=None), "a": user.pk},
        )


async def sees(api: Any, global_id: str, user: User | None) -> bool:
    data = await api.data(NODE, {"id": global_id}, token=user.token if user else None)
    return data["node"] is not None


# --- applying --------------------------------------------------------------------------------


async def test_a_creator_applies_and_the_brand_is_told(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, "glowgirl")
    cid = await funded_campaign(clean_db, brand, now=START)

    payload = await apply(api, creator, cid, message="  I love serums  ")

    assert payload["userErrors"] == []
    assert payload["proposal"] == {
        "id": payload["proposal"]["id"],
        "status": "PENDING",
        "origin": "APPLICATION",
        "message": "I love serums",
        "proposedFee": None,
    }
    assert payload["campaign"] == {"id": campaign_gid(cid)}
    assert await notices(clean_db, brand) == ["CAMPAIGN_APPLICATION"]
    assert await notices(clean_db, creator) == []
    # The campaign stays OPEN until a deal is made; nothing moved in escrow.
    assert (await campaign_row(clean_db, cid)).status == "OPEN"
    assert await escrow_balances(clean_db, cid) == {"free": 100_000, "reserved": 0, "fees": 0}

    mine = await api.data(
        "{ viewer { proposals { totalCount edges { node { id status campaign { id } } } } } }",
        token=creator.token,
    )
    assert mine["viewer"]["proposals"]["totalCount"] == 1
    listed = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Campaign { proposals(status: PENDING) { "
        "totalCount edges { node { id message creator { handle } } } } } } }",
        {"id": campaign_gid(cid)},
        token=brand.token,
    )
    edges = listed["node"]["proposals"]["edges"]
    assert [e["node"]["creator"]["handle"] for e in edges] == ["glowgirl"]


async def test_applying_needs_a_login(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    query = (
        "mutation($input: ApplyToCampaignInput!) { applyToCampaign(input: $input) "
        "{ userErrors { code } } }"
    )
    error = await api.error(query, {"input": {"campaignId": campaign_gid(cid)}})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await table_count(clean_db, "campaign_proposals") == 0


@pytest.mark.parametrize(
    ("arrange", "words"),
    [
        ("not_enrolled", "not enrolled in the Creator Marketplace"),
        ("paused", "You paused the Creator Marketplace"),
        ("banned", "Creator Marketplace is suspended"),
        ("private", "make your account public"),
    ],
)
async def test_only_active_marketplace_creators_apply(api, clean_db, arrange, words):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, enrolled=arrange != "not_enrolled")
    if arrange == "paused":
        await pause_marketplace(clean_db, creator)
    elif arrange == "banned":
        await set_standing(clean_db, creator, "BANNED")
    elif arrange == "private":
        await set_account(api, creator, visibility="PRIVATE")
    cid = await funded_campaign(clean_db, brand, now=START)

    payload = await apply(api, creator, cid)

    assert codes(payload) == ["CREATOR_NOT_QUALIFIED"]
    assert words in payload["userErrors"][0]["message"]
    assert payload["userErrors"][0]["field"] == ["input", "campaignId"]
    assert await table_count(clean_db, "campaign_proposals") == 0
    assert await notices(clean_db, brand) == []


async def test_a_business_account_cannot_apply(api, clean_db):
    brand = await make_brand(api, clean_db)
    other_brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    payload = await apply(api, other_brand, cid)
    assert codes(payload) == ["CREATOR_NOT_QUALIFIED"]


async def test_the_campaign_requirements_are_checked_and_each_unmet_one_is_named(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, followers=50, country="FR")
    cid = await funded_campaign(
        clean_db, brand, now=START, min_followers=51, countries=["US", "CA"],
        categories=["BEAUTY", "FASHION"],
    )  # fmt: skip

    payload = await apply(api, creator, cid)

    messages = [e["message"] for e in payload["userErrors"]]
    assert codes(payload) == ["CREATOR_NOT_QUALIFIED"] * 3
    assert "at least 51 followers; you have 50" in messages[0]
    assert "creators in US, CA; you are in FR" in messages[1]
    assert "BEAUTY, FASHION" in messages[2] and "none" in messages[2]


async def test_meeting_every_requirement_exactly_is_enough(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, followers=50, country="CA")
    chosen = await api.mutate(
        "setMarketplaceCategories", {"categories": ["FOOD", "FASHION"]}, "categories",
        token=creator.token,
    )  # fmt: skip
    assert chosen["userErrors"] == []
    cid = await funded_campaign(
        clean_db, brand, now=START, min_followers=50, countries=["US", "CA"],
        categories=["BEAUTY", "FASHION"],
    )  # fmt: skip
    assert (await apply(api, creator, cid))["userErrors"] == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": "DRAFT"}, "NOT_FOUND"),
        ({"status": "CANCELLED"}, "NOT_FOUND"),
        ({"status": "COMPLETED"}, "CAMPAIGN_STATE_INVALID"),
        ({"kind": "CHALLENGE"}, "NOT_A_CHALLENGE"),
        ({"applications_paused": True}, "APPLICATIONS_CLOSED"),
    ],
)
async def test_applying_needs_an_open_deal_campaign(api, clean_db, fields, code):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, **fields)
    payload = await apply(api, creator, cid)
    assert codes(payload) == [code]
    assert await table_count(clean_db, "campaign_proposals") == 0


async def test_applications_close_at_the_deadline_itself(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    early, late = await make_creator(api, clean_db), await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    deadline = START + timedelta(days=14)

    clock.set(deadline - timedelta(seconds=1))
    assert (await apply(api, early, cid))["userErrors"] == []
    clock.set(deadline)
    payload = await apply(api, late, cid)
    assert codes(payload) == ["APPLICATIONS_CLOSED"]
    assert deadline.isoformat() in payload["userErrors"][0]["message"]


async def test_an_unknown_or_malformed_campaign_id(api, clean_db):
    creator = await make_creator(api, clean_db)
    assert codes(await apply(api, creator, 999)) == ["NOT_FOUND"]
    payload = await api.mutate(
        "applyToCampaign", {"campaignId": creator.id}, "proposal { id }", token=creator.token
    )
    assert codes(payload) == ["INVALID_ID"]


async def test_offers_only_where_the_brand_allows_them(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    fixed = await funded_campaign(clean_db, brand, now=START)
    open_to_offers = await funded_campaign(clean_db, brand, now=START, allows_offers=True)

    refused = await apply(api, creator, fixed, proposedFee=usd(30_000))
    assert codes(refused) == ["OFFERS_NOT_ALLOWED"]
    assert refused["userErrors"][0]["field"] == ["input", "proposedFee"]

    for bad in (usd(0), usd(100_001), {"amount": "1.001", "currency": "USD"}):
        assert codes(await apply(api, creator, open_to_offers, proposedFee=bad)) == [
            "INVALID_INPUT"
        ]
    assert await table_count(clean_db, "campaign_proposals") == 0

    offered = await apply(api, creator, open_to_offers, proposedFee=usd(30_000))
    assert offered["userErrors"] == []
    assert offered["proposal"]["proposedFee"] == {"minorUnits": 30_000}


async def test_a_pitch_too_long_is_refused(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    payload = await apply(api, creator, cid, message="x" * 2001)
    assert codes(payload) == ["INVALID_INPUT"]
    assert payload["userErrors"][0]["field"] == ["input", "message"]
    assert (await apply(api, creator, cid, message="x" * 2000))["userErrors"] == []


async def test_one_proposal_per_creator_and_campaign(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    assert (await apply(api, creator, cid))["userErrors"] == []
    assert codes(await apply(api, creator, cid)) == ["ALREADY_PROPOSED"]
    assert codes(await invite(api, brand, cid, creator)) == ["ALREADY_PROPOSED"]
    assert await table_count(clean_db, "campaign_proposals") == 1


async def test_concurrent_applications_of_one_creator_make_one(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    results = await asyncio.gather(*(apply(api, creator, cid) for _ in range(4)))
    assert sorted(tuple(codes(r)) for r in results) == [()] + [("ALREADY_PROPOSED",)] * 3
    assert await table_count(clean_db, "campaign_proposals") == 1


async def test_a_full_campaign_takes_no_applications(api, clean_db):
    brand = await make_brand(api, clean_db)
    first, second = await make_creator(api, clean_db), await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=1)
    await start_deal(api, brand, first, cid)
    assert codes(await apply(api, second, cid)) == ["CAMPAIGN_FULL"]


# --- inviting --------------------------------------------------------------------------------


async def test_a_brand_invites_and_the_creator_accepts(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)

    invited = await invite(api, brand, cid, creator, message="Join us")
    assert invited["userErrors"] == []
    assert invited["proposal"]["origin"] == "INVITATION"
    assert await notices(clean_db, creator) == ["CAMPAIGN_INVITATION"]

    # The brand sent it: only the creator answers.
    wrong = await api.execute(
        "mutation($input: AcceptCampaignProposalInput!) { acceptCampaignProposal(input: $input)"
        " { userErrors { code } } }",
        {"input": {"proposalId": invited["proposal"]["id"]}},
        token=brand.token,
    )
    assert wrong["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    accepted = await accept(api, creator, invited["proposal"]["id"])
    assert accepted["userErrors"] == []
    assert accepted["deal"]["status"] == "ACTIVE"
    assert accepted["campaign"] == {"status": "IN_PROGRESS", "slotsTaken": 1}
    assert await notices(clean_db, creator) == ["CAMPAIGN_INVITATION", "DEAL_STARTED"]
    assert await notices(clean_db, brand) == ["DEAL_STARTED"]


@pytest.mark.parametrize("who", ["personal", "no_profile", "other_brand"])
async def test_only_the_campaigns_brand_invites(api, clean_db, who):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    if who == "personal":
        actor = await sign_up(api)
    elif who == "no_profile":
        actor = await sign_up(api)
        await api.mutate(
            "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=actor.token
        )
    else:
        actor = await make_brand(api, clean_db)
    expected = {
        "personal": "BUSINESS_ACCOUNT_REQUIRED",
        "no_profile": "BRAND_PROFILE_REQUIRED",
        "other_brand": "NOT_FOUND",
    }[who]
    assert codes(await invite(api, actor, cid, creator)) == [expected]
    assert await table_count(clean_db, "campaign_proposals") == 0


async def test_an_invitation_names_the_unmet_requirement_but_not_a_creators_standing(api, clean_db):
    brand = await make_brand(api, clean_db)
    small = await make_creator(api, clean_db, "small", followers=5)
    banned = await make_creator(api, clean_db, "banned")
    await set_standing(clean_db, banned, "BANNED")
    cid = await funded_campaign(clean_db, brand, now=START, min_followers=10)

    too_small = await invite(api, brand, cid, small)
    assert codes(too_small) == ["CREATOR_NOT_QUALIFIED"]
    assert too_small["userErrors"][0]["message"] == (
        "The campaign asks for at least 10 followers; @small has 5."
    )
    assert too_small["userErrors"][0]["field"] == ["input", "creatorId"]
    not_active = await invite(api, brand, cid, banned)
    assert not_active["userErrors"][0]["message"] == (
        "@banned is not active in the Creator Marketplace program."
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": "DRAFT"}, "CAMPAIGN_STATE_INVALID"),
        ({"status": "COMPLETED"}, "CAMPAIGN_STATE_INVALID"),
        ({"applications_paused": True}, "APPLICATIONS_CLOSED"),
        ({"creator_slots": 1}, "CAMPAIGN_FULL"),
    ],
)
async def test_invitations_follow_the_campaigns_state_pause_and_slots(api, clean_db, fields, code):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, **fields)
    if fields.get("creator_slots"):
        await start_deal(api, brand, await make_creator(api, clean_db), cid)
    assert codes(await invite(api, brand, cid, creator)) == [code]


async def test_an_unknown_creator_cannot_be_invited(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    payload = await api.mutate(
        "inviteCreator",
        {"campaignId": campaign_gid(cid), "creatorId": encode_id("Account", 9999)},
        "proposal { id }",
        token=brand.token,
    )
    assert codes(payload) == ["NOT_FOUND"]


# --- accepting -------------------------------------------------------------------------------


async def test_accepting_an_application_makes_the_deal_and_reserves_its_fee(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    applied = await apply(api, creator, cid)

    accepted = await accept(api, brand, applied["proposal"]["id"])

    assert accepted["userErrors"] == []
    deal = accepted["deal"]
    assert deal["status"] == "ACTIVE"
    assert deal["fee"] == deal["reserved"] == {"minorUnits": 25_000}
    assert deal["paid"] == {"minorUnits": 0}
    assert deal["trackingCode"].startswith("RP") and len(deal["trackingCode"]) == 18
    assert accepted["proposal"]["status"] == "ACCEPTED"
    assert accepted["campaign"] == {"status": "IN_PROGRESS", "slotsTaken": 1}
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}
    row = await campaign_row(clean_db, cid)
    assert (row.status, row.started_at, row.reserved_cents) == ("IN_PROGRESS", START, 25_000)
    assert await notices(clean_db, creator) == ["DEAL_STARTED"]
    assert await notices(clean_db, brand) == ["CAMPAIGN_APPLICATION", "DEAL_STARTED"]

    again = await accept(api, brand, applied["proposal"]["id"])
    assert codes(again) == ["PROPOSAL_NOT_PENDING"]
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}


async def test_an_accepted_offer_sets_the_fee_and_commission_terms_reserve_the_cap(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(
        clean_db, brand, now=START, terms_kind="COMMISSION", flat_fee_cents=10_000,
        commission_basis_points=1_000, cap_per_creator_cents=20_000, allows_offers=True,
    )  # fmt: skip
    applied = await apply(api, creator, cid, proposedFee=usd(12_000))
    accepted = await accept(api, brand, applied["proposal"]["id"])
    assert accepted["deal"]["fee"] == {"minorUnits": 12_000}
    assert accepted["deal"]["reserved"] == {"minorUnits": 32_000}
    assert await escrow_balances(clean_db, cid) == {"free": 68_000, "reserved": 32_000, "fees": 0}


async def test_who_may_answer_a_proposal(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    other_creator = await make_creator(api, clean_db)
    other_brand = await make_brand(api, clean_db)
    staff = await make_staff(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]

    for actor, expected in (
        (other_creator, "NOT_FOUND"),
        (other_brand, "NOT_FOUND"),
    ):
        for name in ("acceptCampaignProposal", "declineCampaignProposal"):
            payload = await api.mutate(
                name, {"proposalId": proposal_id}, "proposal { id }", token=actor.token
            )
            assert codes(payload) == [expected]
    for actor in (creator, staff):  # its sender answers nothing; staff only look
        for name in ("acceptCampaignProposal", "declineCampaignProposal"):
            body = await api.execute(
                f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input)"
                " { userErrors { code } } }",
                {"input": {"proposalId": proposal_id}},
                token=actor.token,
            )
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.execute(
        "mutation($input: AcceptCampaignProposalInput!) { acceptCampaignProposal(input: $input)"
        " { userErrors { code } } }",
        {"input": {"proposalId": proposal_id}},
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await table_count(clean_db, "campaign_deals") == 0
    assert await escrow_balances(clean_db, cid) == {"free": 100_000, "reserved": 0, "fees": 0}


async def test_a_proposal_is_seen_by_its_two_sides_and_staff_only(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid, message="secret pitch"))["proposal"]["id"]
    staff = await make_staff(api, clean_db)
    outsiders = [await make_creator(api, clean_db), await make_brand(api, clean_db), None]

    for user in (brand, creator, staff):
        assert await sees(api, proposal_id, user)
    for user in outsiders:
        assert not await sees(api, proposal_id, user)
        data = await api.data(
            "query($id: ID!) { node(id: $id) { ... on Campaign { title proposals { totalCount }"
            " deals { totalCount } } } }",
            {"id": campaign_gid(cid)},
            token=user.token if user else None,
        )
        assert data["node"] == {"title": "Glow campaign", "proposals": None, "deals": None}
    # Someone else's account never lists their proposals.
    data = await api.data(
        "query($h: String!) { account(handle: $h) { proposals { totalCount } deals { totalCount }"
        " } }",
        {"h": creator.handle},
        token=brand.token,
    )
    assert data["account"] == {"proposals": None, "deals": None}


async def test_slots_are_exactly_full(api, clean_db):
    brand = await make_brand(api, clean_db)
    creators = [await make_creator(api, clean_db) for _ in range(3)]
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=2)
    ids = [(await apply(api, c, cid))["proposal"]["id"] for c in creators]

    assert (await accept(api, brand, ids[0]))["userErrors"] == []
    assert (await accept(api, brand, ids[1]))["userErrors"] == []
    assert codes(await accept(api, brand, ids[2])) == ["CAMPAIGN_FULL"]
    assert await escrow_balances(clean_db, cid) == {"free": 50_000, "reserved": 50_000, "fees": 0}


async def test_a_cancelled_deal_frees_its_slot(api, clean_db):
    brand = await make_brand(api, clean_db)
    first, second = await make_creator(api, clean_db), await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=1)
    deal_id = await start_deal(api, brand, first, cid)
    assert codes(await apply(api, second, cid)) == ["CAMPAIGN_FULL"]
    cancelled = await api.mutate("cancelDeal", {"dealId": deal_id}, "deal { status }", first.token)
    assert cancelled["deal"] == {"status": "CANCELLED"}
    assert (await apply(api, second, cid))["userErrors"] == []


async def test_no_deal_once_the_posting_window_has_ended(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    ends = START + timedelta(days=2)
    cid = await funded_campaign(
        clean_db, brand, now=START, posting_ends_at=ends,
        application_deadline=START + timedelta(days=1),
    )  # fmt: skip
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]
    clock.set(ends)
    assert codes(await accept(api, brand, proposal_id)) == ["APPLICATIONS_CLOSED"]


async def test_a_proposal_may_be_accepted_after_the_application_deadline(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]
    clock.set(START + timedelta(days=20))
    assert (await accept(api, brand, proposal_id))["userErrors"] == []


async def test_a_creator_who_paused_meanwhile_is_not_taken(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, "sleepy")
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]
    await pause_marketplace(clean_db, creator)
    refused = await accept(api, brand, proposal_id)
    assert codes(refused) == ["CREATOR_NOT_QUALIFIED"]
    assert refused["userErrors"][0]["message"] == (
        "@sleepy is not active in the Creator Marketplace program."
    )
    assert await table_count(clean_db, "campaign_deals") == 0


async def test_an_acceptance_escrow_cannot_cover_is_refused_and_moves_nothing(api, clean_db):
    brand = await make_brand(api, clean_db)
    first, second = await make_creator(api, clean_db), await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, funded_cents=40_000)
    ids = [(await apply(api, c, cid))["proposal"]["id"] for c in (first, second)]
    assert (await accept(api, brand, ids[0]))["userErrors"] == []
    refused = await accept(api, brand, ids[1])
    assert codes(refused) == ["CAMPAIGN_BUDGET_EXHAUSTED"]
    assert await escrow_balances(clean_db, cid) == {"free": 15_000, "reserved": 25_000, "fees": 0}
    assert await table_count(clean_db, "campaign_deals") == 1
    proposal = await api.data(
        "query($id: ID!) { node(id: $id) { ... on CampaignProposal { status } } }",
        {"id": ids[1]},
        token=brand.token,
    )
    assert proposal["node"] == {"status": "PENDING"}


async def test_concurrent_acceptances_reserve_exactly_what_escrow_holds(api, clean_db):
    brand = await make_brand(api, clean_db)
    creators = [await make_creator(api, clean_db) for _ in range(5)]
    # Room for two fees of 250.00, not three.
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=60_000, creator_slots=5)
    ids = [(await apply(api, c, cid))["proposal"]["id"] for c in creators]

    results = await asyncio.gather(*(accept(api, brand, pid) for pid in ids))

    outcomes = sorted(tuple(codes(r)) for r in results)
    assert outcomes == [(), ()] + [("CAMPAIGN_BUDGET_EXHAUSTED",)] * 3
    assert await escrow_balances(clean_db, cid) == {"free": 10_000, "reserved": 50_000, "fees": 0}
    row = await campaign_row(clean_db, cid)
    assert (row.reserved_cents, row.status) == (50_000, "IN_PROGRESS")
    assert await table_count(clean_db, "campaign_deals") == 2


async def test_concurrent_acceptances_never_pass_the_slots(api, clean_db):
    brand = await make_brand(api, clean_db)
    creators = [await make_creator(api, clean_db) for _ in range(4)]
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=2)
    ids = [(await apply(api, c, cid))["proposal"]["id"] for c in creators]

    results = await asyncio.gather(*(accept(api, brand, pid) for pid in ids))

    assert sorted(tuple(codes(r)) for r in results) == [(), ()] + [("CAMPAIGN_FULL",)] * 2
    assert await escrow_balances(clean_db, cid) == {"free": 50_000, "reserved": 50_000, "fees": 0}


# --- declining and withdrawing ---------------------------------------------------------------


async def test_the_brand_declines_an_application_and_it_stays_declined(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]

    declined = await api.mutate(
        "declineCampaignProposal", {"proposalId": proposal_id}, "proposal { status decidedAt }",
        token=brand.token,
    )  # fmt: skip
    assert declined["proposal"] == {"status": "DECLINED", "decidedAt": START.isoformat()}
    assert await notices(clean_db, creator) == ["PROPOSAL_DECLINED"]
    assert codes(await accept(api, brand, proposal_id)) == ["PROPOSAL_NOT_PENDING"]
    assert codes(await apply(api, creator, cid)) == ["ALREADY_PROPOSED"]


async def test_the_creator_declines_an_invitation(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await invite(api, brand, cid, creator))["proposal"]["id"]
    declined = await api.mutate(
        "declineCampaignProposal", {"proposalId": proposal_id}, "proposal { status }",
        token=creator.token,
    )  # fmt: skip
    assert declined["proposal"] == {"status": "DECLINED"}
    assert await notices(clean_db, brand) == ["PROPOSAL_DECLINED"]


async def test_the_sender_withdraws_and_may_send_again(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]

    # The brand answers an application; only the creator withdraws it.
    body = await api.execute(
        "mutation($input: WithdrawCampaignProposalInput!) { withdrawCampaignProposal("
        "input: $input) { userErrors { code } } }",
        {"input": {"proposalId": proposal_id}},
        token=brand.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    withdraw = {"proposalId": proposal_id}
    withdrawn = await api.mutate(
        "withdrawCampaignProposal", withdraw, "proposal { status }", token=creator.token
    )
    assert withdrawn["proposal"] == {"status": "WITHDRAWN"}
    again = await api.mutate(
        "withdrawCampaignProposal", withdraw, "proposal { status }", token=creator.token
    )
    assert codes(again) == ["PROPOSAL_NOT_PENDING"]
    assert codes(await accept(api, brand, proposal_id)) == ["PROPOSAL_NOT_PENDING"]

    # A new invitation takes the withdrawn application's place.
    invited = await invite(api, brand, cid, creator)
    assert invited["userErrors"] == []
    assert invited["proposal"]["id"] == proposal_id
    assert invited["proposal"]["origin"] == "INVITATION"
    assert invited["proposal"]["status"] == "PENDING"


async def test_closing_the_campaign_withdraws_pending_proposals(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    proposal_id = (await apply(api, creator, cid))["proposal"]["id"]
    closed = await api.mutate(
        "closeCampaign", {"campaignId": campaign_gid(cid)}, "campaign { status }", brand.token
    )
    assert closed["userErrors"] == []
    assert codes(await accept(api, brand, proposal_id)) == ["PROPOSAL_NOT_PENDING"]


# --- searching creators ----------------------------------------------------------------------

SEARCH = """query($first: Int, $after: String, $filter: CreatorSearchFilter) {
  searchCreators(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { handle displayName followerCount viewsInLast30Days categories country
      account { id } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def test_brands_search_creators_they_may_invite_most_followed_first(api, clean_db):
    brand = await make_brand(api, clean_db)
    big = await make_creator(api, clean_db, "big", followers=30)
    mid = await make_creator(api, clean_db, "mid", followers=20, country="FR")
    tie = await make_creator(api, clean_db, "tie", followers=20)
    await api.mutate("setMarketplaceCategories", {"categories": ["FOOD"]}, "categories", mid.token)
    # Not to be found: not enrolled, paused, private, banned, too young, a brand.
    await make_creator(api, clean_db, "loner", followers=99, enrolled=False)
    paused = await make_creator(api, clean_db, "paused", followers=99)
    await pause_marketplace(clean_db, paused)
    private = await make_creator(api, clean_db, "private", followers=99)
    await set_account(api, private, visibility="PRIVATE")
    banned = await make_creator(api, clean_db, "banned", followers=99)
    await set_standing(clean_db, banned, "BANNED")
    await make_creator(api, clean_db, "kid", followers=99, birthDate="2010-06-16")

    data = await api.data(SEARCH, {}, token=brand.token)
    found = data["searchCreators"]
    assert [e["node"]["handle"] for e in found["edges"]] == ["big", "mid", "tie"]
    assert found["totalCount"] == 3
    assert found["edges"][1]["node"] == {
        "handle": "mid", "displayName": "Mid", "followerCount": 20, "viewsInLast30Days": 0,
        "categories": ["FOOD"], "country": "FR", "account": {"id": mid.id},
    }  # fmt: skip
    assert big and tie

    first_page = (await api.data(SEARCH, {"first": 2}, token=brand.token))["searchCreators"]
    assert [e["node"]["handle"] for e in first_page["edges"]] == ["big", "mid"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    rest = await api.data(
        SEARCH, {"first": 2, "after": first_page["pageInfo"]["endCursor"]}, token=brand.token
    )
    assert [e["node"]["handle"] for e in rest["searchCreators"]["edges"]] == ["tie"]
    assert rest["searchCreators"]["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True,
        "endCursor": rest["searchCreators"]["edges"][0]["cursor"],
    }  # fmt: skip

    for filter_, handles in (
        ({"category": "FOOD"}, ["mid"]),
        ({"minFollowers": 21}, ["big"]),
        ({"minFollowers": 20}, ["big", "mid", "tie"]),
        ({"country": "fr"}, ["mid"]),
    ):
        data = await api.data(SEARCH, {"filter": filter_}, token=brand.token)
        assert [e["node"]["handle"] for e in data["searchCreators"]["edges"]] == handles


async def test_only_brands_search_creators(api, clean_db):
    creator = await make_creator(api, clean_db)
    error = await api.error(SEARCH, {})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    error = await api.error(SEARCH, {}, token=creator.token)
    assert error["extensions"]["reason"] == "BUSINESS_ACCOUNT_REQUIRED"
    error = await api.error(SEARCH, {"first": 101}, token=(await make_brand(api, clean_db)).token)
    assert error["extensions"]["reason"] == "INVALID_INPUT"
    error = await api.error(
        SEARCH, {"after": "junk"}, token=(await make_brand(api, clean_db)).token
    )
    assert error["extensions"]["reason"] == "INVALID_CURSOR"


async def test_a_page_of_creators_costs_the_same_statements_whatever_its_size(api, clean_db):
    brand = await make_brand(api, clean_db)

    async def cost() -> int:
        with counting_statements(api.engine) as statements:
            await api.data(SEARCH, {"first": 50}, token=brand.token)
        return len([s for s in statements if not s.strip().upper().startswith("BEGIN")])

    await make_creator(api, clean_db, followers=1)
    one = await cost()
    for _ in range(5):
        await make_creator(api, clean_db, followers=1)
    assert await cost() == one


async def test_proposals_and_deals_lists_cost_the_same_statements_whatever_their_size(
    api, clean_db
):
    brand = await make_brand(api, clean_db)
    cids = [await funded_campaign(clean_db, brand, now=START) for _ in range(2)]
    query = """{ viewer { id } myCampaigns(first: 10) { edges { node {
      proposals(first: 10) { totalCount edges { node { id status creator { handle }
        deal { id } } } }
      deals(first: 10) { totalCount edges { node { id fee { amount } creator { handle }
        deliverables { views video { id } } disputes { id } } } }
    } } } }"""

    async def cost() -> int:
        with counting_statements(api.engine) as statements:
            await api.data(query, token=brand.token)
        return len([s for s in statements if not s.strip().upper().startswith("BEGIN")])

    await start_deal(api, brand, await make_creator(api, clean_db), cids[0])
    one = await cost()
    for cid in cids:
        for _ in range(2):
            await start_deal(api, brand, await make_creator(api, clean_db), cid)
        await apply(api, await make_creator(api, clean_db), cid)
    assert await cost() == one


async def test_a_deal_id_names_nothing_to_others(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    deal_id = await start_deal(api, brand, creator, cid)
    staff = await make_staff(api, clean_db)
    for user in (brand, creator, staff):
        assert await sees(api, deal_id, user)
    for user in (await make_creator(api, clean_db), await make_brand(api, clean_db), None):
        assert not await sees(api, deal_id, user)
