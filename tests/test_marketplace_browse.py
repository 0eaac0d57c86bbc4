"""The creators' browse of campaigns (`campaigns(filter:)`): what is listed, the filters, the
requirements a creator meets, newest opened first in cursor pages, what the list shows to
whom, and a page costing a constant number of statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reelpay.graphql.relay import encode_id
from tests.conftest import START
from tests.factories import make_staff
from tests.marketplace_factories import funded_campaign, make_brand, make_creator, make_deal
from tests.test_graphql_api import counting_statements
from tests.test_read_costs import sql_only

pytestmark = pytest.mark.usefixtures("verify_ledger")

BROWSE = (
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: CampaignFilter) "
    "{ campaigns(first: $first, after: $after, last: $last, before: $before, filter: $filter) "
    "{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
    "edges { cursor node { id title money { funded { minorUnits } } } } } }"
)


def usd(cents: int) -> dict[str, str]:
    return {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"}


async def titles(api: Any, user: Any = None, **variables: Any) -> list[str]:
    found = await api.data(BROWSE, variables, token=user.token if user else None)
    return [edge["node"]["title"] for edge in found["campaigns"]["edges"]]


async def campaign(engine: Any, brand: Any, title: str, **fields: Any) -> int:
    return await funded_campaign(engine, brand, now=START, title=title, **fields)


async def test_only_campaigns_taking_applications_are_listed(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    now = START
    await campaign(clean_db, brand, "open", opened_at=now - timedelta(hours=1))
    await campaign(
        clean_db, brand, "in progress", status="IN_PROGRESS", opened_at=now - timedelta(hours=2)
    )
    await campaign(clean_db, brand, "draft", status="DRAFT")
    await campaign(clean_db, brand, "completed", status="COMPLETED", funded_cents=0)
    await campaign(clean_db, brand, "cancelled", status="CANCELLED", funded_cents=0)
    await campaign(clean_db, brand, "challenge", kind="CHALLENGE")
    await campaign(clean_db, brand, "paused", applications_paused=True)
    await campaign(clean_db, brand, "deadline now", application_deadline=now)
    await campaign(
        clean_db, brand, "deadline a second ahead", application_deadline=now + timedelta(seconds=1),
        opened_at=now - timedelta(hours=3),
    )  # fmt: skip
    full = await campaign(clean_db, brand, "full", creator_slots=1)
    await make_deal(clean_db, full, creator, status="ACTIVE", now=now)
    freed = await campaign(
        clean_db, brand, "slot freed", creator_slots=1, opened_at=now - timedelta(hours=4)
    )
    await make_deal(clean_db, freed, creator, status="CANCELLED", now=now)
    expected = ["open", "in progress", "deadline a second ahead", "slot freed"]
    assert await titles(api) == expected
    assert await titles(api, creator) == expected
    found = await api.data(BROWSE)
    assert found["campaigns"]["totalCount"] == 4
    clock.advance(timedelta(seconds=1))  # the last deadline comes
    assert await titles(api) == ["open", "in progress", "slot freed"]


async def test_the_filters(api, clean_db):
    brand = await make_brand(api, clean_db)
    await campaign(clean_db, brand, "beauty 100", flat_fee_cents=10_000)
    await campaign(clean_db, brand, "beauty 250", flat_fee_cents=25_000)
    await campaign(clean_db, brand, "tech 250", category="TECH", flat_fee_cents=25_000)
    await campaign(
        clean_db, brand, "commission", terms_kind="COMMISSION", flat_fee_cents=None,
        commission_basis_points=1_000, cap_per_creator_cents=10_000,
    )  # fmt: skip
    await campaign(
        clean_db, brand, "per view 50", terms_kind="PER_VIEW", flat_fee_cents=5_000,
        cents_per_1000_views=100, cap_per_creator_cents=10_000,
    )  # fmt: skip
    by_opening = ["per view 50", "commission", "tech 250", "beauty 250", "beauty 100"]
    assert await titles(api) == by_opening  # the same instant: newest id first

    async def only(**filter: Any) -> list[str]:
        return await titles(api, filter=filter)

    assert await only(category="TECH") == ["tech 250"]
    assert await only(category="FOOD") == []
    assert await only(termsKind="COMMISSION") == ["commission"]
    assert await only(termsKind="FLAT_FEE", category="BEAUTY") == ["beauty 250", "beauty 100"]
    # The fee range is inclusive; campaigns without a flat fee are left out of any range.
    assert await only(minFee=usd(10_000)) == ["tech 250", "beauty 250", "beauty 100"]
    assert await only(minFee=usd(10_001)) == ["tech 250", "beauty 250"]
    assert await only(maxFee=usd(10_000)) == ["per view 50", "beauty 100"]
    assert await only(minFee=usd(5_000), maxFee=usd(10_000)) == ["per view 50", "beauty 100"]
    assert await only(minFee=usd(30_000), maxFee=usd(10_000)) == []
    error = await api.error(BROWSE, {"filter": {"minFee": {"amount": "1.001", "currency": "USD"}}})
    assert error["extensions"]["reason"] == "INVALID_INPUT"
    assert error["path"] == ["campaigns"]


async def test_a_creator_sees_by_default_the_campaigns_they_qualify_for(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db, followers=5)
    await api.mutate(
        "setMarketplaceCategories", {"categories": ["TECH", "GAMING"]}, "categories",
        token=creator.token,
    )  # fmt: skip
    await campaign(clean_db, brand, "anyone")
    await campaign(clean_db, brand, "5 followers", min_followers=5)
    await campaign(clean_db, brand, "6 followers", min_followers=6)
    await campaign(clean_db, brand, "US or FR", countries=["FR", "US"])
    await campaign(clean_db, brand, "FR only", countries=["FR"])
    await campaign(clean_db, brand, "gaming or food", categories=["FOOD", "GAMING"])
    await campaign(clean_db, brand, "food only", categories=["FOOD"])
    everything = [
        "food only",
        "gaming or food",
        "FR only",
        "US or FR",
        "6 followers",
        "5 followers",
        "anyone",
    ]
    qualified = ["gaming or food", "US or FR", "5 followers", "anyone"]
    assert await titles(api, creator) == qualified
    assert await titles(api, creator, filter={"qualifiedOnly": True}) == qualified
    assert await titles(api, creator, filter={"qualifiedOnly": False}) == everything
    # Anonymous visitors meet nothing and are shown everything; a brand by default too.
    assert await titles(api) == everything
    assert await titles(api, filter={"qualifiedOnly": True}) == everything
    assert await titles(api, brand) == everything
    # A creator with no categories meets no category requirement.
    newcomer = await make_creator(api, clean_db, followers=6, country="FR")
    assert await titles(api, newcomer) == [
        "FR only",
        "US or FR",
        "6 followers",
        "5 followers",
        "anyone",
    ]


async def test_pages_run_newest_opened_first(api, clean_db):
    brand = await make_brand(api, clean_db)
    for hours in (5, 1, 4, 2, 3):
        await campaign(
            clean_db, brand, f"opened {hours}h ago", opened_at=START - timedelta(hours=hours)
        )
    order = [f"opened {h}h ago" for h in (1, 2, 3, 4, 5)]
    first = (await api.data(BROWSE, {"first": 2}))["campaigns"]
    assert [e["node"]["title"] for e in first["edges"]] == order[:2]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    second = (await api.data(BROWSE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))[
        "campaigns"
    ]
    assert [e["node"]["title"] for e in second["edges"]] == order[2:4]
    third = (await api.data(BROWSE, {"first": 2, "after": second["pageInfo"]["endCursor"]}))[
        "campaigns"
    ]
    assert [e["node"]["title"] for e in third["edges"]] == order[4:]
    assert third["pageInfo"]["hasNextPage"] is False
    back = (await api.data(BROWSE, {"last": 2, "before": third["pageInfo"]["startCursor"]}))[
        "campaigns"
    ]
    assert [e["node"]["title"] for e in back["edges"]] == order[2:4]
    error = await api.error(BROWSE, {"after": "not-a-cursor"})
    assert error["extensions"]["reason"] == "INVALID_CURSOR"
    for bad in ({"first": 0}, {"first": 101}, {"first": 2, "last": 2}):
        error = await api.error(BROWSE, bad)
        assert error["extensions"]["reason"] == "INVALID_INPUT"


async def test_the_list_shows_money_to_the_brand_and_staff_only(api, clean_db):
    brand = await make_brand(api, clean_db)
    other = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    staff = await make_staff(api, clean_db)
    await campaign(clean_db, brand, "mine", budget_cents=80_000, flat_fee_cents=20_000)
    await campaign(clean_db, other, "theirs", opened_at=START - timedelta(hours=1))

    async def shown(user: Any) -> dict[str, Any]:
        found = await api.data(BROWSE, token=user.token if user else None)
        return {e["node"]["title"]: e["node"]["money"] for e in found["campaigns"]["edges"]}

    assert await shown(brand) == {"mine": {"funded": {"minorUnits": 80_000}}, "theirs": None}
    assert await shown(staff) == {
        "mine": {"funded": {"minorUnits": 80_000}},
        "theirs": {"funded": {"minorUnits": 100_000}},
    }
    assert await shown(creator) == {"mine": None, "theirs": None}
    assert await shown(None) == {"mine": None, "theirs": None}


async def test_the_public_sees_no_fee_or_pitch_of_another_creator(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    other = await make_creator(api, clean_db)
    cid = await campaign(clean_db, brand, "with a deal")
    await make_deal(clean_db, cid, creator, fee_cents=31_000, now=START)
    query = (
        "query($id: ID!) { campaign(id: $id) { slotsTaken money { byCreator "
        "{ paid { minorUnits } } } } }"
    )
    found = await api.data(query, {"id": encode_id("Campaign", cid)}, token=other.token)
    assert found["campaign"] == {"slotsTaken": 1, "money": None}
    found = await api.data(query, {"id": encode_id("Campaign", cid)}, token=brand.token)
    assert found["campaign"]["money"]["byCreator"] == [{"paid": {"minorUnits": 0}}]


PAGE = (
    "query($first: Int) { campaigns(first: $first) { edges { node { id title kind status "
    "slotsTaken acceptingApplications budget { amount } terms { kind flatFee { amount } } "
    "deliverables { hashtag } requirements { categories } brand { handle } "
    "brandProfile { name } money { funded { amount } } } } } }"
)


async def test_a_page_costs_the_same_statements_however_long(api, clean_db, backend):
    brands = [await make_brand(api, clean_db) for _ in range(3)]
    creator = await make_creator(api, clean_db)
    for n in range(12):
        cid = await campaign(clean_db, brands[n % 3], f"c{n}")
        if n % 4 == 0:
            await make_deal(clean_db, cid, creator, now=START)

    async def cost(first: int) -> list[str]:
        with counting_statements(api.engine) as statements:
            found = await api.data(PAGE, {"first": first})
        assert len(found["campaigns"]["edges"]) == first
        return sql_only(statements)

    small, large = await cost(2), await cost(12)
    # The sandbox clock, the page, the slots taken, its brands and their brand profiles.
    assert len(small) == len(large) == 5, "\n".join(large)
