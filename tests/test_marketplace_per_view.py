"""PER_VIEW terms: the daily job `per_view.accrue_views` (`reelpay jobs accrue-campaign-views`).

For a UTC day that is over and inside the posting window (its first UTC day up to, not
including, the day it ends), every SUBMITTED or APPROVED deal of a running PER_VIEW campaign
is paid `views * cents_per_1000_views // 1000` for the day's authentic views of its delivered
public videos, from its reservation and never past its cap; once per deal and day.

The campaign here: 2.50 USD per 1,000 views, a cap of 50 USD per creator, the window
[2026-06-15T12:00Z, 2026-07-15T12:00Z): days 2026-06-15 .. 2026-07-14 count.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.db import create_sessionmaker, run_write
from reelpay.errors import DomainError, ErrorCode
from reelpay.graphql.relay import encode_id
from reelpay.marketplace import escrow, per_view
from reelpay.marketplace.models import Campaign, Deal, ViewAccrual
from reelpay.wallet.models import LedgerTransaction, TransactionKind
from tests.conftest import START
from tests.factories import User, add_views, make_staff, publish
from tests.marketplace_factories import (
    campaign_row,
    funded_campaign,
    make_brand,
    make_creator,
    make_deal,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

RATE = 250  # cents per 1,000 views
CAP = 5_000
DAY = date(2026, 6, 15)  # the window's first day
NEXT = date(2026, 6, 16)
LAST_DAY = date(2026, 7, 14)
END_DAY = date(2026, 7, 15)  # the window ends at noon: none of it counts


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.fixture
def settings(settings):
    """Sessions outlast the 30-day window here (tests move the clock to its end)."""
    return dataclasses.replace(
        settings, rules=dataclasses.replace(settings.rules, session_ttl_days=365)
    )


# --- helpers -------------------------------------------------------------------------------


async def per_view_campaign(api: Any, brand: User, **fields: Any) -> int:
    values: dict[str, Any] = {
        "terms_kind": "PER_VIEW",
        "flat_fee_cents": None,
        "cents_per_1000_views": RATE,
        "cap_per_creator_cents": CAP,
        "budget_cents": 100_000,
    }
    values.update(fields)
    return await funded_campaign(api.engine, brand, now=START, **values)


async def delivering(
    api: Any, cid: int, handle: str, *, fee_cents: int = 0, videos: int = 1
) -> tuple[User, int, list[str]]:
    """A creator whose deal (fee + CAP reserved) is SUBMITTED with `videos` videos."""
    creator = await make_creator(api, api.engine, handle)
    deal = await make_deal(api.engine, cid, creator, fee_cents=fee_cents, now=START)
    async with create_sessionmaker(api.engine)() as session:

        async def work() -> None:
            await escrow.lock(session, cid)
            await escrow.reserve(
                session, cid, fee_cents + CAP, deal_id=deal, now=START, actor_id=None,
                memo="test",
            )  # fmt: skip

        await run_write(session, work)
    video_ids = [await publish(api, creator, f"Review {i}") for i in range(videos)]
    payload = await api.mutate(
        "submitDeal",
        {"dealId": encode_id("Deal", deal), "videoIds": video_ids},
        "deal { status }",
        token=creator.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return creator, deal, video_ids


async def accrue(api: Any, day: date, now: datetime) -> per_view.AccrualSummary:
    return await per_view.accrue_views(create_sessionmaker(api.engine), day=day, now=now)


async def deal_row(api: Any, deal_id: int) -> Deal:
    async with create_sessionmaker(api.engine)() as session:
        row = await session.get(Deal, deal_id)
        assert row is not None
        return row


async def accruals(api: Any) -> list[tuple[int, date, int, int]]:
    async with create_sessionmaker(api.engine)() as session:
        rows = await session.scalars(
            sa.select(ViewAccrual).order_by(ViewAccrual.deal_id, ViewAccrual.day)
        )
        return [(r.deal_id, r.day, r.views, r.cents) for r in rows]


async def payments(api: Any) -> int:
    async with create_sessionmaker(api.engine)() as session:
        found = await session.scalar(
            sa.select(sa.func.count()).where(
                LedgerTransaction.kind == TransactionKind.CAMPAIGN_PAYMENT
            )
        )
    return int(found or 0)


async def earned(api: Any, user: User) -> int:
    query = "{ viewer { wallet { earningsBySource { source amount { minorUnits } } } } }"
    rows = (await api.data(query, token=user.token))["viewer"]["wallet"]["earningsBySource"]
    return {r["source"]: r["amount"]["minorUnits"] for r in rows}["MARKETPLACE"]


async def deal_money(api: Any, user: User, deal_id: int) -> dict[str, Any]:
    query = (
        "query($id: ID!) { node(id: $id) { ... on Deal { status paid { minorUnits } "
        "reserved { minorUnits } } } }"
    )
    node = (await api.data(query, {"id": encode_id("Deal", deal_id)}, user.token))["node"]
    return {
        "status": node["status"],
        "paid": node["paid"]["minorUnits"],
        "reserved": node["reserved"]["minorUnits"],
    }


# --- paying --------------------------------------------------------------------------------


async def test_a_days_views_are_paid_at_the_rate_once(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    mia, deal, (video,) = await delivering(api, cid, "mia")
    other = await publish(api, mia, "Not delivered")
    await add_views(api.engine, video, {DAY: 1_999, NEXT: 4_000})
    await add_views(api.engine, other, {DAY: 10_000})

    summary = await accrue(api, DAY, midnight(NEXT))

    # 1,999 views at 2.50 USD per 1,000: 4.9975 USD, 4.99 paid.
    assert (summary.deals_paid, summary.cents, summary.already) == (1, 499, 0)
    assert await accruals(api) == [(deal, DAY, 1_999, 499)]
    assert await earned(api, mia) == 499
    assert await deal_money(api, brand, deal) == {
        "status": "SUBMITTED", "paid": 499, "reserved": CAP - 499,
    }  # fmt: skip
    query = "{ viewer { notifications(first: 5) { edges { node { kind body } } } } }"
    edges = (await api.data(query, token=mia.token))["viewer"]["notifications"]["edges"]
    assert edges[0]["node"] == {
        "kind": "MARKETPLACE_PAYMENT",
        "body": '4.99 USD from "Glow campaign" reached your earnings (1,999 authentic views on '
        "2026-06-15).",
    }

    again = await accrue(api, DAY, midnight(NEXT) + timedelta(hours=5))
    assert (again.deals_paid, again.cents, again.already) == (0, 0, 0)  # not a candidate now
    assert await payments(api) == 1
    assert await earned(api, mia) == 499


async def test_every_delivered_video_counts(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand, videos_required=2)
    _, deal, (one, two) = await delivering(api, cid, "mia", videos=2)
    await add_views(api.engine, one, {DAY: 1_000})
    await add_views(api.engine, two, {DAY: 3_000})

    await accrue(api, DAY, midnight(NEXT))

    assert await accruals(api) == [(deal, DAY, 4_000, 1_000)]


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC), DAY),
        (datetime(2026, 6, 16, 0, 0, tzinfo=UTC), NEXT),
        (datetime(2026, 6, 16, 0, 0, tzinfo=UTC), date(2026, 12, 31)),
    ],
    ids=["last-second-of-the-day", "today", "future"],
)
async def test_a_day_that_is_not_over_is_refused(api, now, day):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    _, _, (video,) = await delivering(api, cid, "mia")
    await add_views(api.engine, video, {DAY: 4_000, NEXT: 4_000})

    with pytest.raises(DomainError) as refused:
        await accrue(api, day, now)

    assert refused.value.problems[0].code is ErrorCode.DAY_NOT_OVER
    assert await accruals(api) == []


async def test_a_day_is_over_at_midnight_utc(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    _, deal, (video,) = await delivering(api, cid, "mia")
    await add_views(api.engine, video, {DAY: 4_000})

    await accrue(api, DAY, midnight(NEXT))

    assert await accruals(api) == [(deal, DAY, 4_000, 1_000)]


async def test_only_days_inside_the_window_count(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    _, deal, (video,) = await delivering(api, cid, "mia")
    before = DAY - timedelta(days=1)
    await add_views(api.engine, video, {before: 400, LAST_DAY: 400, END_DAY: 400})
    later = midnight(END_DAY + timedelta(days=2))

    for day in (before, LAST_DAY, END_DAY):
        await accrue(api, day, later)

    assert await accruals(api) == [(deal, LAST_DAY, 400, 100)]


async def test_the_cap_is_never_passed_and_the_fee_stays_reserved(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand, flat_fee_cents=10_000)
    mia, deal, (video,) = await delivering(api, cid, "mia", fee_cents=10_000)
    days = [DAY + timedelta(days=i) for i in range(4)]
    # 4,000 cents, then 3,000 (of which 1,000 fit), then nothing twice.
    await add_views(api.engine, video, dict(zip(days, (16_000, 12_000, 400_000, 4), strict=True)))

    for day in days:
        await accrue(api, day, midnight(days[-1] + timedelta(days=1)))

    assert [a[3] for a in await accruals(api)] == [4_000, 1_000, 0, 0]
    assert await deal_money(api, mia, deal) == {
        "status": "SUBMITTED", "paid": CAP, "reserved": 10_000,
    }  # fmt: skip
    # The brand approves: the fee is paid from what is left reserved.
    approved = await api.mutate(
        "approveDeal", {"dealId": encode_id("Deal", deal)}, "deal { status }", token=brand.token
    )
    assert approved["userErrors"] == []
    assert await deal_money(api, mia, deal) == {
        "status": "APPROVED", "paid": CAP + 10_000, "reserved": 0,
    }  # fmt: skip
    assert await earned(api, mia) == CAP + 10_000


async def test_an_approved_deal_keeps_accruing_until_its_cap(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand, flat_fee_cents=2_000)
    mia, deal, (video,) = await delivering(api, cid, "mia", fee_cents=2_000)
    approved = await api.mutate(
        "approveDeal", {"dealId": encode_id("Deal", deal)}, "deal { status }", token=brand.token
    )
    assert approved["userErrors"] == []
    await add_views(api.engine, video, {DAY: 8_000, NEXT: 100_000})

    await accrue(api, DAY, midnight(NEXT))
    await accrue(api, NEXT, midnight(NEXT + timedelta(days=1)))

    assert [a[3] for a in await accruals(api)] == [2_000, 3_000]
    assert await deal_money(api, mia, deal) == {
        "status": "APPROVED", "paid": 2_000 + CAP, "reserved": 0,
    }  # fmt: skip


# --- which deals ---------------------------------------------------------------------------


async def test_deals_not_delivered_ended_or_on_other_terms_accrue_nothing(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    flat = await funded_campaign(api.engine, brand, now=START)
    ended = await per_view_campaign(api, brand)
    for campaign in (flat, ended):
        _, _, (video,) = await delivering(api, campaign, f"c{campaign}")
        await add_views(api.engine, video, {DAY: 4_000})
    async with create_sessionmaker(api.engine)() as session:
        await run_write(
            session,
            lambda: session.execute(
                sa.update(Campaign).where(Campaign.id == ended).values(status="COMPLETED")
            ),
        )
    # An ACTIVE deal: nothing delivered yet.
    waiting = await make_creator(api, api.engine, "waiting")
    await make_deal(api.engine, cid, waiting, fee_cents=0, now=START)
    # A CANCELLED one.
    _, cancelled, (video,) = await delivering(api, cid, "gone")
    await add_views(api.engine, video, {DAY: 4_000})
    async with create_sessionmaker(api.engine)() as session:

        async def cancel() -> None:
            await escrow.lock(session, cid)
            await escrow.release(
                session, cid, CAP, deal_id=cancelled, now=START, actor_id=None, memo="test"
            )
            await session.execute(
                sa.update(Deal).where(Deal.id == cancelled).values(status="CANCELLED")
            )

        await run_write(session, cancel)
    # A video made private after delivery.
    _, _, (private,) = await delivering(api, cid, "hidden")
    await add_views(api.engine, private, {DAY: 4_000})
    await hide_video(api.engine, private)

    summary = await accrue(api, DAY, midnight(NEXT))

    assert (summary.deals_paid, summary.cents) == (0, 0)
    assert [(views, cents) for _, _, views, cents in await accruals(api)] == [(0, 0)]  # hidden
    assert await payments(api) == 0


async def test_a_disputed_deal_waits_for_staff_then_its_day_is_paid(api):
    brand = await make_brand(api, api.engine)
    staff = await make_staff(api, api.engine)
    cid = await per_view_campaign(api, brand)
    mia, deal, (video,) = await delivering(api, cid, "mia")
    await add_views(api.engine, video, {DAY: 4_000})
    opened = await api.mutate(
        "openDealDispute",
        {"dealId": encode_id("Deal", deal), "reason": "Wrong product shown"},
        "dispute { id }",
        token=brand.token,
    )
    assert opened["userErrors"] == []

    assert (await accrue(api, DAY, midnight(NEXT))).deals_paid == 0
    assert await accruals(api) == []

    resolved = await api.mutate(
        "resolveDealDispute",
        {"disputeId": opened["dispute"]["id"], "resolution": "PAY_CREATOR"},
        "deal { status }",
        token=staff.token,
    )
    assert resolved["userErrors"] == [] and resolved["deal"]["status"] == "APPROVED"
    assert (await accrue(api, DAY, midnight(NEXT))).cents == 1_000
    assert await earned(api, mia) == 1_000


# --- the job: idempotent, concurrent, crash-safe -------------------------------------------


async def test_runs_at_once_pay_each_deal_and_day_once(api):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    deals = []
    for handle in ("ada", "ben", "cy"):
        _, deal, (video,) = await delivering(api, cid, handle)
        await add_views(api.engine, video, {DAY: 4_000})
        deals.append(deal)

    runs = await asyncio.gather(*(accrue(api, DAY, midnight(NEXT)) for _ in range(3)))

    assert sum(run.cents for run in runs) == 3_000
    assert sum(run.deals_paid for run in runs) == 3
    assert [(d, c) for d, _, _, c in await accruals(api)] == [(d, 1_000) for d in deals]
    assert await payments(api) == 3
    assert (await campaign_row(api.engine, cid)).paid_cents == 3_000


async def test_a_failing_deal_leaves_the_others_paid_and_is_retried(api, monkeypatch):
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    deals = []
    for handle in ("ada", "ben", "cy"):
        _, deal, (video,) = await delivering(api, cid, handle)
        await add_views(api.engine, video, {DAY: 4_000})
        deals.append(deal)
    pay = escrow.pay

    async def failing(session, campaign_id, creator_id, cents, *, deal_id, **kwargs):
        if deal_id == deals[1]:
            raise RuntimeError("the connection dropped")
        return await pay(session, campaign_id, creator_id, cents, deal_id=deal_id, **kwargs)

    monkeypatch.setattr(escrow, "pay", failing)
    summary = await accrue(api, DAY, midnight(NEXT))

    assert summary.failed == [deals[1]]
    assert (summary.deals_paid, summary.cents) == (2, 2_000)
    assert [d for d, *_ in await accruals(api)] == [deals[0], deals[2]]

    monkeypatch.setattr(escrow, "pay", pay)
    retry = await accrue(api, DAY, midnight(NEXT))
    assert (retry.deals_paid, retry.cents, retry.failed) == (1, 1_000, [])
    assert await payments(api) == 3


async def test_the_cli_accrues_yesterday_by_default(api, settings, clock, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    mia, _, (video,) = await delivering(api, cid, "mia")
    await add_views(api.engine, video, {DAY: 4_000, NEXT: 2_000})
    clock.set(datetime(2026, 6, 17, 1, 0, tzinfo=UTC))
    capsys.readouterr()

    async def cli(*args: str) -> int:
        return await asyncio.to_thread(main, ["jobs", "accrue-campaign-views", *args], clock=clock)

    assert await cli() == 0
    assert capsys.readouterr().out.splitlines() == [
        "campaign views for 2026-06-16: 1 deal(s) paid 5.00 USD; 0 already accrued"
    ]
    assert await cli("--day", "2026-06-15") == 0
    assert capsys.readouterr().out.splitlines() == [
        "campaign views for 2026-06-15: 1 deal(s) paid 10.00 USD; 0 already accrued"
    ]
    assert await cli("--day", "2026-06-17") == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "Views are accrued for days that are over (UTC); pick an earlier date."
    ]
    assert await earned(api, mia) == 1_500


async def test_closing_pays_the_days_that_are_over_and_the_job_never_ran_for(api, clock):
    """A brand that closes before the daily job ran for the last days does not take the
    creator's pay for them: closing accrues every day of the window that is over; the day it
    closes on is not over, so its views are not paid (and the job pays nothing later)."""
    brand = await make_brand(api, api.engine)
    cid = await per_view_campaign(api, brand)
    mia, deal, (video,) = await delivering(api, cid, "mia")
    later = NEXT + timedelta(days=1)
    await add_views(api.engine, video, {DAY: 1_000, NEXT: 2_000, later: 3_000})
    await accrue(api, DAY, midnight(NEXT))  # the job ran for the first day only
    await api.mutate(
        "approveDeal", {"dealId": encode_id("Deal", deal)}, "deal { status }", brand.token
    )

    clock.set(midnight(later) + timedelta(hours=9))  # the third day is not over
    closed = await api.mutate(
        "closeCampaign", {"campaignId": encode_id("Campaign", cid)}, "campaign { status }",
        brand.token,
    )  # fmt: skip
    assert closed == {"campaign": {"status": "COMPLETED"}, "userErrors": []}
    assert await accruals(api) == [(deal, DAY, 1_000, 250), (deal, NEXT, 2_000, 500)]
    assert await earned(api, mia) == 750
    assert await deal_money(api, brand, deal) == {"status": "APPROVED", "paid": 750, "reserved": 0}
    late = await accrue(api, later, midnight(later + timedelta(days=1)))
    assert (late.deals_paid, late.cents) == (0, 0)  # the campaign has ended


async def hide_video(engine: Any, video: str) -> None:
    """Make a video private behind the API's back: `updateVideo` refuses it while its campaign
    runs (VIDEO_IN_CAMPAIGN), but staff moderation or an operator may still do it, and the
    results must then leave it out."""
    from reelpay.content.models import Video
    from reelpay.graphql.relay import decode_id

    async with create_sessionmaker(engine)() as session:
        await run_write(
            session,
            lambda: session.execute(
                sa.update(Video).where(Video.id == decode_id(video)[1]).values(visibility="PRIVATE")
            ),
        )
