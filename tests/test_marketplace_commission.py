"""COMMISSION terms: `reportCampaignSales` (brands) and `Deal.commissionReports`.

Commission = sales * the campaign's basis points // 10,000, paid at once from the creator's
reservation, never past their cap (reserved beyond the unpaid flat fee); a report once the cap
is used records 0. A report id counts once per campaign (same figures: the first result;
other figures: REPORT_ID_REUSED); the idempotency key replays too.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_id
from reelpay.marketplace import escrow
from reelpay.marketplace.models import CommissionReport, Deal
from reelpay.wallet.models import IdempotencyKey, LedgerTransaction, TransactionKind
from tests.conftest import START
from tests.factories import User, make_staff, new_key, sign_up
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
    make_deal,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

RATE = 1_000  # 10%
CAP = 5_000  # 50 USD per creator beyond the flat fee
REPORT = (
    "report { reportId sales { minorUnits } commission { minorUnits } occurredAt reportedAt "
    "deal { paid { minorUnits } reserved { minorUnits } } } "
    "deal { id paid { minorUnits } reserved { minorUnits } } "
    "campaign { money { paid { minorUnits } reserved { minorUnits } free { minorUnits } } }"
)


# --- helpers -------------------------------------------------------------------------------


async def commission_campaign(api: Any, brand: User, **fields: Any) -> int:
    values: dict[str, Any] = {
        "terms_kind": "COMMISSION",
        "flat_fee_cents": None,
        "commission_basis_points": RATE,
        "cap_per_creator_cents": CAP,
        "budget_cents": 100_000,
    }
    values.update(fields)
    return await funded_campaign(api.engine, brand, now=START, **values)


async def deal_with_code(
    api: Any, cid: int, creator: User, *, fee_cents: int = 0, reserve: int | None = None,
    status: str = "ACTIVE",
) -> tuple[int, str]:  # fmt: skip
    """A deal with `fee + CAP` (or `reserve`) reserved; returns (its id, its tracking code)."""
    deal = await make_deal(api.engine, cid, creator, fee_cents=fee_cents, status=status, now=START)
    async with create_sessionmaker(api.engine)() as session:

        async def work() -> str:
            await escrow.lock(session, cid)
            await escrow.reserve(
                session, cid, fee_cents + CAP if reserve is None else reserve, deal_id=deal,
                now=START, actor_id=None, memo="test",
            )  # fmt: skip
            row = await session.get(Deal, deal)
            assert row is not None
            return row.tracking_code

        code = await run_write(session, work)
    return deal, code


def sales(
    code: str, cents: int, report_id: str | None = None, *, key: str | None = None,
    occurred: Any = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "trackingCode": code,
        "reportId": report_id or new_key(),
        "sales": {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD"},
        "occurredAt": (occurred or START).isoformat(),
        "idempotencyKey": key or new_key(),
    }


async def report(api: Any, user: User | None, input: dict[str, Any]) -> dict[str, Any]:
    return await api.mutate(
        "reportCampaignSales", input, REPORT, token=user.token if user else None
    )


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def reports(engine: Any) -> list[CommissionReport]:
    async with create_sessionmaker(engine)() as session:
        return list(
            await session.scalars(sa.select(CommissionReport).order_by(CommissionReport.id))
        )


async def payment_count(engine: Any) -> int:
    async with create_sessionmaker(engine)() as session:
        found = await session.scalar(
            sa.select(sa.func.count()).where(
                LedgerTransaction.kind == TransactionKind.CAMPAIGN_PAYMENT
            )
        )
    return int(found or 0)


async def marketplace_earnings(api: Any, user: User) -> int:
    query = "{ viewer { wallet { earningsBySource { source amount { minorUnits } } } } }"
    rows = (await api.data(query, token=user.token))["viewer"]["wallet"]["earningsBySource"]
    return {r["source"]: r["amount"]["minorUnits"] for r in rows}["MARKETPLACE"]


async def deal_row(engine: Any, deal_id: int) -> Deal:
    async with create_sessionmaker(engine)() as session:
        row = await session.get(Deal, deal_id)
        assert row is not None
        return row


# --- paying --------------------------------------------------------------------------------


async def test_a_report_pays_its_commission_at_once(api, clock):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    deal, code = await deal_with_code(api, cid, mia)
    clock.advance(timedelta(hours=2))

    payload = await report(api, brand, sales(code, 12_345, "order-1001"))

    assert payload["userErrors"] == []
    # 10% of 123.45 USD is 12.345: 12.34 is paid (the fraction of a cent is not).
    assert payload["report"] == {
        "reportId": "order-1001",
        "sales": {"minorUnits": 12_345},
        "commission": {"minorUnits": 1_234},
        "occurredAt": START.isoformat(),
        "reportedAt": (START + timedelta(hours=2)).isoformat(),
        "deal": {"paid": {"minorUnits": 1_234}, "reserved": {"minorUnits": CAP - 1_234}},
    }
    assert payload["deal"]["id"] == encode_id("Deal", deal)
    assert payload["campaign"]["money"] == {
        "paid": {"minorUnits": 1_234},
        "reserved": {"minorUnits": CAP - 1_234},
        "free": {"minorUnits": 100_000 - CAP},
    }
    assert await marketplace_earnings(api, mia) == 1_234
    query = "{ viewer { notifications(first: 5) { edges { node { kind body } } } } }"
    edges = (await api.data(query, token=mia.token))["viewer"]["notifications"]["edges"]
    assert edges[0]["node"] == {
        "kind": "MARKETPLACE_PAYMENT",
        "body": '12.34 USD from "Glow campaign" reached your earnings (commission on 123.45 '
        "USD of sales).",
    }


async def test_the_cap_is_reached_exactly_and_later_reports_record_nothing(api):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    # A flat fee of 100 USD on top: commissions never touch it.
    deal, code = await deal_with_code(api, cid, mia, fee_cents=10_000)

    paid = []
    for cents in (30_000, 14_990, 10, 5_000, 1_000_000):
        payload = await report(api, brand, sales(code, cents))
        assert payload["userErrors"] == []
        paid.append(payload["report"]["commission"]["minorUnits"])

    # 3,000 + 1,499 + 1 + 500 = 5,000: the last one reaches the cap exactly; then nothing.
    assert paid == [3_000, 1_499, 1, 500, 0]
    row = await deal_row(api.engine, deal)
    assert (row.paid_cents, row.reserved_cents) == (CAP, 10_000)  # the fee stays reserved
    assert [r.commission_cents for r in await reports(api.engine)] == paid
    assert [r.ledger_transaction_id is None for r in await reports(api.engine)] == [
        False, False, False, False, True,
    ]  # fmt: skip
    assert await payment_count(api.engine) == 4
    assert await marketplace_earnings(api, mia) == CAP


async def test_a_report_crossing_the_cap_pays_what_is_left(api):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia)

    first = await report(api, brand, sales(code, 45_000))
    second = await report(api, brand, sales(code, 45_000))

    assert [p["report"]["commission"]["minorUnits"] for p in (first, second)] == [4_500, 500]
    assert await escrow_balances(api.engine, cid) == {
        "free": 100_000 - CAP,
        "reserved": 0,
        "fees": 0,
    }


async def test_concurrent_reports_never_pay_past_the_cap(api):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    noah = await make_creator(api, api.engine, "noah")
    cid = await commission_campaign(api, brand)
    mia_deal, mia_code = await deal_with_code(api, cid, mia)
    noah_deal, noah_code = await deal_with_code(api, cid, noah)

    payloads = await asyncio.gather(
        *(report(api, brand, sales(code, 20_000)) for code in [mia_code] * 6 + [noah_code] * 2)
    )

    assert all(p["userErrors"] == [] for p in payloads)
    mia_paid = sorted(p["report"]["commission"]["minorUnits"] for p in payloads[:6])
    assert mia_paid == [0, 0, 0, 1_000, 2_000, 2_000]
    assert [p["report"]["commission"]["minorUnits"] for p in payloads[6:]] == [2_000, 2_000]
    assert (await deal_row(api.engine, mia_deal)).paid_cents == CAP
    assert (await deal_row(api.engine, noah_deal)).paid_cents == 4_000
    campaign = await campaign_row(api.engine, cid)
    assert (campaign.paid_cents, campaign.reserved_cents) == (9_000, 1_000)


# --- idempotency ---------------------------------------------------------------------------


async def test_a_report_id_counts_once_and_other_figures_are_refused(api, clock):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    noah = await make_creator(api, api.engine, "noah")
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia)
    _, other_code = await deal_with_code(api, cid, noah)
    first_input = sales(code, 10_000, "r-1")
    first = await report(api, brand, first_input)

    # The same report again, with a new key or with the first one, returns the first result.
    for again_input in (sales(code, 10_000, "r-1"), first_input):
        again = await report(api, brand, again_input)
        assert again["userErrors"] == []
        assert again["report"] == first["report"]
        assert again["deal"]["paid"] == {"minorUnits": 1_000}
    # Other figures under the same report id.
    later = START + timedelta(minutes=1)
    clock.set(later)
    for changed in (
        sales(code, 10_001, "r-1"),
        sales(code, 10_000, "r-1", occurred=later),
        sales(other_code, 10_000, "r-1"),
    ):
        payload = await report(api, brand, changed)
        assert codes(payload) == [("REPORT_ID_REUSED", ["input", "reportId"])]
        assert payload["report"] is None
    assert len(await reports(api.engine)) == 1
    assert await payment_count(api.engine) == 1
    assert await marketplace_earnings(api, mia) == 1_000


async def test_the_idempotency_key_replays_and_refuses_other_arguments(api):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia)
    key = new_key()
    first = await report(api, brand, sales(code, 10_000, "r-1", key=key))

    replay = await report(api, brand, sales(code, 10_000, "r-1", key=key))
    reused = await report(api, brand, sales(code, 10_000, "r-2", key=key))

    assert replay["report"] == first["report"]
    assert codes(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert len(await reports(api.engine)) == 1
    # Concurrent replays of one request pay once.
    key = new_key()
    same = sales(code, 20_000, "r-3", key=key)
    payloads = await asyncio.gather(*(report(api, brand, same) for _ in range(4)))
    assert {p["report"]["commission"]["minorUnits"] for p in payloads} == {2_000}
    assert len(await reports(api.engine)) == 2
    assert await payment_count(api.engine) == 2


async def test_report_ids_are_per_campaign(api):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    first = await commission_campaign(api, brand)
    second = await commission_campaign(api, brand)
    _, code_one = await deal_with_code(api, first, mia)
    _, code_two = await deal_with_code(api, second, mia)

    for code in (code_one, code_two):
        payload = await report(api, brand, sales(code, 10_000, "same-id"))
        assert payload["userErrors"] == []
    assert await marketplace_earnings(api, mia) == 2_000


# --- refusals ------------------------------------------------------------------------------


async def test_bad_input_is_refused_and_nothing_is_written(api, clock):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia)
    good = sales(code, 10_000)
    SALES = ["input", "sales"]

    def money(amount: str, currency: str) -> dict[str, str]:
        return {"amount": amount, "currency": currency}

    soon = START + timedelta(seconds=1)
    before = START - timedelta(seconds=1)

    cases = [
        ({"sales": money("0", "USD")}, "INVALID_INPUT", [*SALES, "amount"]),
        ({"sales": money("-5", "USD")}, "INVALID_INPUT", [*SALES, "amount"]),
        ({"sales": money("1.001", "USD")}, "INVALID_INPUT", [*SALES, "amount"]),
        ({"sales": money("10", "EUR")}, "INVALID_INPUT", [*SALES, "currency"]),
        ({"reportId": ""}, "INVALID_INPUT", ["input", "reportId"]),
        ({"reportId": "x" * 129}, "INVALID_INPUT", ["input", "reportId"]),
        ({"reportId": " padded"}, "INVALID_INPUT", ["input", "reportId"]),
        ({"occurredAt": soon.isoformat()}, "INVALID_INPUT", ["input", "occurredAt"]),
        ({"occurredAt": before.isoformat()}, "INVALID_INPUT", ["input", "occurredAt"]),
        ({"idempotencyKey": ""}, "INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"]),
        ({"trackingCode": "RPNOSUCHCODE"}, "NOT_FOUND", ["input", "trackingCode"]),
        ({"trackingCode": ""}, "NOT_FOUND", ["input", "trackingCode"]),
        ({"trackingCode": code.lower()}, "NOT_FOUND", ["input", "trackingCode"]),
    ]  # fmt: skip
    for change, code_expected, field in cases:
        payload = await report(api, brand, {**good, **change})
        assert codes(payload) == [(code_expected, field)], change
    # The report id may be 128 characters exactly.
    payload = await report(api, brand, {**good, "reportId": "x" * 128})
    assert payload["userErrors"] == []
    assert [r.report_id for r in await reports(api.engine)] == ["x" * 128]
    async with create_sessionmaker(api.engine)() as session:
        keys = await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey))
    assert keys == 1


async def test_who_may_report(api):
    brand = await make_brand(api, api.engine)
    rival = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    staff = await make_staff(api, api.engine)
    no_profile = await sign_up(api, "shop")
    switched = await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=no_profile.token
    )
    assert switched["userErrors"] == []
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia)

    for user, expected in (
        (rival, [("NOT_FOUND", ["input", "trackingCode"])]),
        (mia, [("BUSINESS_ACCOUNT_REQUIRED", None)]),
        (staff, [("BUSINESS_ACCOUNT_REQUIRED", None)]),
        (no_profile, [("BRAND_PROFILE_REQUIRED", None)]),
    ):
        assert codes(await report(api, user, sales(code, 10_000))) == expected, user.handle
    query = (
        "mutation($i: ReportCampaignSalesInput!) { reportCampaignSales(input: $i) "
        "{ report { reportId } } }"
    )
    error = await api.error(query, {"i": sales(code, 10_000)})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await reports(api.engine) == []


@pytest.mark.parametrize(
    ("campaign_fields", "deal_status", "expected"),
    [
        ({"terms_kind": "FLAT_FEE", "flat_fee_cents": 10_000}, "ACTIVE", "INVALID_INPUT"),
        ({"terms_kind": "PER_VIEW", "cents_per_1000_views": 100}, "ACTIVE", "INVALID_INPUT"),
        ({"status": "COMPLETED"}, "ACTIVE", "CAMPAIGN_STATE_INVALID"),
        ({"status": "CANCELLED"}, "ACTIVE", "CAMPAIGN_STATE_INVALID"),
        ({}, "CANCELLED", "DEAL_STATE_INVALID"),
    ],
    ids=["flat-fee", "per-view", "completed", "cancelled", "deal-cancelled"],
)
async def test_reports_need_a_running_commission_deal(api, campaign_fields, deal_status, expected):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand, **campaign_fields)
    _, code = await deal_with_code(api, cid, mia, reserve=0, status=deal_status)

    payload = await report(api, brand, sales(code, 10_000))

    assert [e["code"] for e in payload["userErrors"]] == [expected]
    assert await reports(api.engine) == []


@pytest.mark.parametrize("status", ["SUBMITTED", "APPROVED", "DISPUTED"])
async def test_a_delivered_or_disputed_deal_still_earns_commission(api, status):
    brand = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    cid = await commission_campaign(api, brand)
    _, code = await deal_with_code(api, cid, mia, status=status)

    payload = await report(api, brand, sales(code, 10_000))

    assert payload["report"]["commission"] == {"minorUnits": 1_000}


# --- reading -------------------------------------------------------------------------------

DEAL_REPORTS = """query($id: ID!, $after: String) { node(id: $id) { ... on Deal {
  commissionReports(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { reportId commission { minorUnits } } }
  }
} } }"""


async def test_the_brand_the_creator_and_staff_see_the_reports_no_one_else(api):
    brand = await make_brand(api, api.engine)
    rival = await make_brand(api, api.engine)
    mia = await make_creator(api, api.engine, "mia")
    noah = await make_creator(api, api.engine, "noah")
    staff = await make_staff(api, api.engine)
    cid = await commission_campaign(api, brand)
    deal, code = await deal_with_code(api, cid, mia)
    for i in range(3):
        assert (await report(api, brand, sales(code, 10_000, f"r-{i}")))["userErrors"] == []
    deal_id = encode_id("Deal", deal)

    for user in (brand, mia, staff):
        first = (await api.data(DEAL_REPORTS, {"id": deal_id}, user.token))["node"]
        page = first["commissionReports"]
        assert page["totalCount"] == 3
        assert [e["node"]["reportId"] for e in page["edges"]] == ["r-2", "r-1"]  # newest first
        after = page["pageInfo"]["endCursor"]
        rest = await api.data(DEAL_REPORTS, {"id": deal_id, "after": after}, user.token)
        assert [e["node"]["reportId"] for e in rest["node"]["commissionReports"]["edges"]] == [
            "r-0"
        ]
    for token in (None, rival.token, noah.token):
        assert (await api.data(DEAL_REPORTS, {"id": deal_id}, token))["node"] is None


async def test_a_page_of_deals_reads_its_reports_in_constant_statements(api):
    from tests.test_graphql_api import counting_statements

    brand = await make_brand(api, api.engine)
    cid = await commission_campaign(api, brand, budget_cents=1_000_000)
    for i in range(4):
        creator = await make_creator(api, api.engine, f"creator{i}")
        _, code = await deal_with_code(api, cid, creator)
        for n in range(3):
            assert (await report(api, brand, sales(code, 1_000, f"r{i}-{n}")))["userErrors"] == []
    query = (
        "query($n: Int!) { myCampaigns(first: 1) { edges { node { deals(first: $n) { edges { "
        "node { commissionReports(first: 2) { totalCount edges { node { reportId "
        "commission { minorUnits } deal { trackingCode } } } } } } } } } } }"
    )

    async def statements(n: int) -> int:
        with counting_statements(api.engine) as seen:
            data = await api.data(query, {"n": n}, brand.token)
        deals = data["myCampaigns"]["edges"][0]["node"]["deals"]["edges"]
        assert len(deals) == n
        assert all(d["node"]["commissionReports"]["totalCount"] == 3 for d in deals)
        return len(seen)

    assert await statements(4) == await statements(1)
