"""Disputes through the API: either side opens one on an ACTIVE, SUBMITTED or APPROVED deal
while the campaign runs; staff alone resolve it by paying the creator, returning the
reservation, or splitting it; what each outcome moves in escrow, where the deal ends, who is
told and who may see it. The books add up after each (`verify_ledger`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import START
from tests.factories import User, make_staff, publish
from tests.marketplace_factories import campaign_row, escrow_balances, make_brand, make_creator
from tests.test_marketplace_deals import a_deal, act, deal_status, earnings, forbidden, submit
from tests.test_marketplace_proposals import (
    campaign_gid,
    codes,
    notices,
    sees,
    table_count,
    usd,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

DISPUTE = (
    "dispute { id reason dealStatusBefore resolution creatorAmount { minorUnits } "
    "releasedAmount { minorUnits } note resolvedAt openedBy { handle } } "
    "deal { status reserved { minorUnits } paid { minorUnits } }"
)


async def open_dispute(api: Any, user: User, deal_id: str, reason: str = "No video") -> Any:
    return await api.mutate(
        "openDealDispute", {"dealId": deal_id, "reason": reason}, DISPUTE, token=user.token
    )


async def resolve(api: Any, staff: User, dispute_id: str, resolution: str, **extra: Any) -> Any:
    return await api.mutate(
        "resolveDealDispute",
        {"disputeId": dispute_id, "resolution": resolution, **extra},
        DISPUTE,
        token=staff.token,
    )


async def submitted_deal(api: Any, engine: Any, **fields: Any) -> tuple[User, User, int, str]:
    brand, creator, cid, deal_id = await a_deal(api, engine, **fields)
    await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
    return brand, creator, cid, deal_id


# --- opening ---------------------------------------------------------------------------------


async def test_the_creator_disputes_a_submission_and_the_brand_is_told(api, clean_db):
    brand, creator, _, deal_id = await submitted_deal(api, clean_db)

    opened = await open_dispute(api, creator, deal_id, "  Not reviewed fairly ")

    assert opened["userErrors"] == []
    assert opened["dispute"] == {
        "id": opened["dispute"]["id"],
        "reason": "Not reviewed fairly",
        "dealStatusBefore": "SUBMITTED",
        "resolution": None,
        "creatorAmount": {"minorUnits": 0},
        "releasedAmount": {"minorUnits": 0},
        "note": "",
        "resolvedAt": None,
        "openedBy": {"handle": creator.handle},
    }
    assert opened["deal"]["status"] == "DISPUTED"
    assert (await notices(clean_db, brand))[-1] == "DEAL_DISPUTED"
    assert "DEAL_DISPUTED" not in await notices(clean_db, creator)

    again = await open_dispute(api, brand, deal_id)
    assert codes(again) == ["DEAL_STATE_INVALID"]
    # A disputed deal is neither approved nor sent back meanwhile.
    assert codes(await act(api, "approveDeal", brand, deal_id)) == ["DEAL_STATE_INVALID"]
    assert codes(await act(api, "requestDealChanges", brand, deal_id, comment="x")) == [
        "DEAL_STATE_INVALID"
    ]


async def test_the_brand_disputes_an_active_deal(api, clean_db):
    brand, creator, _, deal_id = await a_deal(api, clean_db)
    opened = await open_dispute(api, brand, deal_id)
    assert opened["dispute"]["dealStatusBefore"] == "ACTIVE"
    assert (await notices(clean_db, creator))[-1] == "DEAL_DISPUTED"


async def test_who_may_open_a_dispute_and_why(api, clean_db):
    _brand, creator, _cid, deal_id = await a_deal(api, clean_db)
    assert codes(await open_dispute(api, creator, deal_id, "  ")) == ["INVALID_INPUT"]
    assert codes(await open_dispute(api, creator, deal_id, "x" * 2001)) == ["INVALID_INPUT"]
    assert codes(await open_dispute(api, await make_creator(api, clean_db), deal_id)) == [
        "NOT_FOUND"
    ]
    assert codes(await open_dispute(api, await make_brand(api, clean_db), deal_id)) == ["NOT_FOUND"]
    input = {"dealId": deal_id, "reason": "Why not"}
    assert await forbidden(api, "openDealDispute", await make_staff(api, clean_db), input) == (
        "FORBIDDEN"
    )
    assert await forbidden(api, "openDealDispute", None, input) == "UNAUTHENTICATED"
    assert await deal_status(api, creator, deal_id) == "ACTIVE"

    await act(api, "cancelDeal", creator, deal_id)
    assert codes(await open_dispute(api, creator, deal_id)) == ["DEAL_STATE_INVALID"]


async def test_a_disputed_deal_holds_the_campaign_open(api, clean_db):
    brand, creator, cid, deal_id = await submitted_deal(api, clean_db)
    await open_dispute(api, creator, deal_id)
    for name in ("closeCampaign", "cancelCampaign"):
        payload = await api.mutate(
            name, {"campaignId": campaign_gid(cid)}, "campaign { status }", brand.token
        )
        assert codes(payload) == ["CAMPAIGN_HAS_OPEN_DEALS"]


async def test_an_approved_deal_is_disputed_only_while_the_campaign_runs(api, clean_db):
    brand, _creator, _cid, deal_id = await submitted_deal(api, clean_db)
    await act(api, "approveDeal", brand, deal_id)
    opened = await open_dispute(api, brand, deal_id, "Wrong product shown")
    assert opened["dispute"]["dealStatusBefore"] == "APPROVED"

    other_brand, other_creator, other_cid, other_deal = await submitted_deal(api, clean_db)
    await act(api, "approveDeal", other_brand, other_deal)
    await api.mutate(
        "closeCampaign", {"campaignId": campaign_gid(other_cid)}, "campaign { id }",
        other_brand.token,
    )  # fmt: skip
    assert codes(await open_dispute(api, other_creator, other_deal)) == ["CAMPAIGN_STATE_INVALID"]


# --- resolving -------------------------------------------------------------------------------


async def test_only_staff_resolve(api, clean_db):
    brand, creator, cid, deal_id = await submitted_deal(api, clean_db)
    dispute_id = (await open_dispute(api, creator, deal_id))["dispute"]["id"]
    input = {"disputeId": dispute_id, "resolution": "PAY_CREATOR"}
    for user in (brand, creator):
        assert await forbidden(api, "resolveDealDispute", user, input) == "FORBIDDEN"
    assert await forbidden(api, "resolveDealDispute", None, input) == "UNAUTHENTICATED"
    assert await deal_status(api, creator, deal_id) == "DISPUTED"
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}


async def test_paying_the_creator_approves_the_deal(api, clean_db):
    brand, creator, cid, deal_id = await submitted_deal(api, clean_db)
    dispute_id = (await open_dispute(api, brand, deal_id))["dispute"]["id"]
    staff = await make_staff(api, clean_db)

    resolved = await resolve(api, staff, dispute_id, "PAY_CREATOR", note="The videos are fine")

    assert resolved["userErrors"] == []
    assert resolved["dispute"]["resolution"] == "PAY_CREATOR"
    assert resolved["dispute"]["creatorAmount"] == {"minorUnits": 25_000}
    assert resolved["dispute"]["releasedAmount"] == {"minorUnits": 0}
    assert resolved["dispute"]["resolvedAt"] == START.isoformat()
    assert resolved["deal"] == {
        "status": "APPROVED", "reserved": {"minorUnits": 0}, "paid": {"minorUnits": 25_000},
    }  # fmt: skip
    assert await earnings(api, creator) == 25_000
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 0, "fees": 0}
    assert (await notices(clean_db, creator))[-2:] == ["DISPUTE_RESOLVED", "MARKETPLACE_PAYMENT"]
    assert (await notices(clean_db, brand))[-1] == "DISPUTE_RESOLVED"

    again = await resolve(api, staff, dispute_id, "REFUND_BRAND")
    assert codes(again) == ["DISPUTE_NOT_OPEN"]
    assert await earnings(api, creator) == 25_000


async def test_refunding_the_brand_cancels_a_deal_nothing_was_paid_on(api, clean_db):
    brand, creator, cid, deal_id = await submitted_deal(api, clean_db)
    dispute_id = (await open_dispute(api, brand, deal_id))["dispute"]["id"]

    resolved = await resolve(api, await make_staff(api, clean_db), dispute_id, "REFUND_BRAND")

    assert resolved["dispute"]["releasedAmount"] == {"minorUnits": 25_000}
    assert resolved["deal"] == {
        "status": "CANCELLED", "reserved": {"minorUnits": 0}, "paid": {"minorUnits": 0},
    }  # fmt: skip
    assert await earnings(api, creator) == 0
    assert await escrow_balances(clean_db, cid) == {"free": 100_000, "reserved": 0, "fees": 0}
    # One notice each of the outcome (not a second one of the cancellation).
    assert (await notices(clean_db, creator))[-1] == "DISPUTE_RESOLVED"
    assert "DEAL_CANCELLED" not in await notices(clean_db, creator)
    # The label came off with the cancelled delivery; the slot is free again.
    assert await table_count(clean_db, "paid_partnerships") == 0
    row = await campaign_row(clean_db, cid)
    assert row.reserved_cents == 0
    closed = await api.mutate(
        "closeCampaign", {"campaignId": campaign_gid(cid)}, "campaign { status }", brand.token
    )
    assert closed["campaign"] == {"status": "COMPLETED"}


async def test_a_split_pays_part_and_releases_the_rest(api, clean_db):
    _brand, creator, cid, deal_id = await submitted_deal(api, clean_db)
    dispute_id = (await open_dispute(api, creator, deal_id))["dispute"]["id"]
    staff = await make_staff(api, clean_db)

    for amount in (usd(0), usd(25_000), usd(30_000)):
        refused = await resolve(api, staff, dispute_id, "SPLIT", creatorAmount=amount)
        assert codes(refused) == ["INVALID_SPLIT"]
        assert refused["userErrors"][0]["field"] == ["input", "creatorAmount"]
    assert codes(await resolve(api, staff, dispute_id, "SPLIT")) == ["INVALID_SPLIT"]
    assert codes(await resolve(api, staff, dispute_id, "PAY_CREATOR", creatorAmount=usd(100))) == [
        "INVALID_INPUT"
    ]
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}

    resolved = await resolve(api, staff, dispute_id, "SPLIT", creatorAmount=usd(10_000))

    assert resolved["dispute"]["creatorAmount"] == {"minorUnits": 10_000}
    assert resolved["dispute"]["releasedAmount"] == {"minorUnits": 15_000}
    assert resolved["deal"]["status"] == "APPROVED"
    assert await earnings(api, creator) == 10_000
    assert await escrow_balances(clean_db, cid) == {"free": 90_000, "reserved": 0, "fees": 0}


async def test_an_approved_flat_fee_deal_has_nothing_left_to_move(api, clean_db):
    brand, creator, _cid, deal_id = await submitted_deal(api, clean_db)
    await act(api, "approveDeal", brand, deal_id)
    dispute_id = (await open_dispute(api, brand, deal_id))["dispute"]["id"]
    staff = await make_staff(api, clean_db)

    # Paid money is not clawed back: nothing is reserved, so no split fits.
    assert codes(await resolve(api, staff, dispute_id, "SPLIT", creatorAmount=usd(1))) == [
        "INVALID_SPLIT"
    ]
    resolved = await resolve(api, staff, dispute_id, "REFUND_BRAND")
    assert resolved["dispute"]["releasedAmount"] == {"minorUnits": 0}
    assert resolved["deal"]["status"] == "APPROVED"  # the creator had been paid
    assert await earnings(api, creator) == 25_000


async def test_paying_the_creator_on_commission_terms_keeps_the_cap_reserved(api, clean_db):
    _brand, creator, cid, deal_id = await submitted_deal(
        api, clean_db, terms_kind="COMMISSION", flat_fee_cents=5_000,
        commission_basis_points=1_000, cap_per_creator_cents=20_000,
    )  # fmt: skip
    dispute_id = (await open_dispute(api, creator, deal_id))["dispute"]["id"]
    resolved = await resolve(api, await make_staff(api, clean_db), dispute_id, "PAY_CREATOR")
    assert resolved["deal"] == {
        "status": "APPROVED", "reserved": {"minorUnits": 20_000}, "paid": {"minorUnits": 5_000},
    }  # fmt: skip
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 20_000, "fees": 0}


async def test_a_dispute_is_seen_by_the_deals_sides_and_staff(api, clean_db):
    brand, creator, _, deal_id = await submitted_deal(api, clean_db)
    dispute_id = (await open_dispute(api, creator, deal_id))["dispute"]["id"]
    for user in (brand, creator, await make_staff(api, clean_db)):
        assert await sees(api, dispute_id, user)
    for user in (await make_creator(api, clean_db), await make_brand(api, clean_db), None):
        assert not await sees(api, dispute_id, user)
    listed = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Deal { disputes { id reason } } } }",
        {"id": deal_id},
        brand.token,
    )
    assert listed["node"]["disputes"] == [{"id": dispute_id, "reason": "No video"}]
