"""A campaign's escrow (`marketplace.escrow`): every movement balances, a campaign never
reserves or pays more than it holds (however requests race), and `ledger verify` reconciles
each campaign: funded = paid + reserved + refunded + free."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from reelpay.db import create_sessionmaker, run_write
from reelpay.errors import DomainError, ErrorCode
from reelpay.marketplace import escrow
from reelpay.marketplace.models import Campaign, CampaignRefund, RefundStatus
from reelpay.payments.sandbox import SandboxProvider
from reelpay.wallet.models import EarningsSource, LedgerTransaction
from tests.conftest import START
from tests.factories import ledger_problems, sign_up
from tests.marketplace_factories import (
    add_funding,
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_deal,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")


async def run(engine, work):
    async with create_sessionmaker(engine)() as session:
        return await run_write(session, lambda: work(session))


async def reserve(engine, campaign_id, cents, deal_id):
    return await run(
        engine,
        lambda s: escrow.reserve(
            s, campaign_id, cents, deal_id=deal_id, now=START, actor_id=None, memo="test"
        ),
    )


async def deal_for(api, engine, campaign_id):
    return await make_deal(engine, campaign_id, await sign_up(api), now=START)


async def test_funding_reserving_paying_releasing_and_refunding_add_up(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await sign_up(api)
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=100_000)
    assert await escrow_balances(clean_db, cid) == {"free": 100_000, "reserved": 0, "fees": 0}

    deal = await make_deal(clean_db, cid, creator, now=START)
    await reserve(clean_db, cid, 60_000, deal)
    await run(
        clean_db,
        lambda s: escrow.pay(
            s, cid, creator.pk, 25_000, deal_id=deal, now=START, actor_id=brand.pk, memo="fee"
        ),
    )
    await run(
        clean_db,
        lambda s: escrow.release(
            s, cid, 10_000, deal_id=deal, now=START, actor_id=None, memo="not needed"
        ),
    )
    assert await escrow_balances(clean_db, cid) == {"free": 50_000, "reserved": 25_000, "fees": 0}
    campaign = await campaign_row(clean_db, cid)
    assert (campaign.funded_cents, campaign.reserved_cents, campaign.paid_cents) == (
        100_000,
        25_000,
        25_000,
    )
    assert await ledger_problems(clean_db) == []

    async def refund(session):
        return await escrow.refund_free(
            session, await escrow.lock(session, cid), now=START, actor_id=brand.pk, settle_fee=True
        )

    refunds = await run(clean_db, refund)
    assert [r.amount_cents for r in refunds] == [50_000]
    assert await escrow_balances(clean_db, cid) == {"free": 0, "reserved": 25_000, "fees": 0}
    assert (await campaign_row(clean_db, cid)).refunded_cents == 50_000
    assert await ledger_problems(clean_db) == []

    # The creator's earnings say MARKETPLACE.
    async with create_sessionmaker(clean_db)() as session:
        sources = await session.scalars(
            sa.select(LedgerTransaction.earnings_source).where(
                LedgerTransaction.earnings_source.is_not(None)
            )
        )
        assert list(sources) == [EarningsSource.MARKETPLACE]


async def test_a_reservation_beyond_the_escrow_is_refused_and_moves_nothing(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=10_000)
    deal = await deal_for(api, clean_db, cid)
    await reserve(clean_db, cid, 10_000, deal)  # exactly what it holds
    with pytest.raises(DomainError) as refused:
        await reserve(clean_db, cid, 1, deal)
    assert refused.value.problems[0].code is ErrorCode.CAMPAIGN_BUDGET_EXHAUSTED
    assert await escrow_balances(clean_db, cid) == {"free": 0, "reserved": 10_000, "fees": 0}
    assert (await campaign_row(clean_db, cid)).reserved_cents == 10_000


async def test_concurrent_reservations_never_overdraw(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=50_000)

    deals = [await deal_for(api, clean_db, cid) for _ in range(6)]

    async def attempt(deal):
        try:
            await reserve(clean_db, cid, 20_000, deal)
            return True
        except DomainError as error:
            assert error.problems[0].code is ErrorCode.CAMPAIGN_BUDGET_EXHAUSTED
            return False

    results = await asyncio.gather(*(attempt(deal) for deal in deals))
    assert sum(results) == 2  # 2 x 20,000 fit in 50,000; a third does not
    assert await escrow_balances(clean_db, cid) == {"free": 10_000, "reserved": 40_000, "fees": 0}
    assert (await campaign_row(clean_db, cid)).reserved_cents == 40_000


async def test_the_fee_is_kept_on_what_was_paid_and_the_rest_refunded(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await sign_up(api)
    # 10% on top of 100,000: the brand paid 110,000.
    cid = await funded_campaign(
        clean_db, brand, now=START, budget_cents=100_000, fee_cents=10_000,
        fee_basis_points=1_000,
    )  # fmt: skip

    async def close(session):
        # Paid and refunded in one transaction, the campaign read before the payment.
        campaign = await escrow.lock(session, cid)
        await escrow.pay(
            session, cid, creator.pk, 30_001, deal_id=None, now=START, actor_id=None, memo="prize"
        )
        return await escrow.refund_free(
            session, campaign, now=START, actor_id=None, settle_fee=True
        )

    refunds = await run(clean_db, close)
    # Paid 30,001: the fee kept is 3,000 (rounded down); 69,999 + 7,000 go back.
    assert [r.amount_cents for r in refunds] == [76_999]
    campaign = await campaign_row(clean_db, cid)
    assert (campaign.fee_kept_cents, campaign.fee_refunded_cents) == (3_000, 7_000)
    assert await escrow_balances(clean_db, cid) == {"free": 0, "reserved": 0, "fees": 0}
    assert await ledger_problems(clean_db) == []


async def test_refunds_are_split_over_the_charges_newest_first_and_sent_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=30_000)
    # A second charge of 20,000 (a top-up), recorded the way the first was.
    await add_funding(clean_db, brand, cid, 20_000, now=START)
    deal = await deal_for(api, clean_db, cid)
    await reserve(clean_db, cid, 35_000, deal)

    async def refund(session):
        return await escrow.refund_free(
            session, await escrow.lock(session, cid), now=START, actor_id=None, settle_fee=True
        )

    refunds = await run(clean_db, refund)
    assert [r.amount_cents for r in refunds] == [15_000]  # all from the newest charge

    await run(
        clean_db,
        lambda s: escrow.release(s, cid, 35_000, deal_id=deal, now=START, actor_id=None, memo="x"),
    )
    refunds = await run(clean_db, refund)
    assert [r.amount_cents for r in refunds] == [5_000, 30_000]  # the rest, then the first

    provider = SandboxProvider()
    maker = create_sessionmaker(clean_db)
    assert await escrow.send_refunds(maker, provider, now=START) == 3
    assert await escrow.send_refunds(maker, provider, now=START) == 0
    assert sorted(amount for _, amount in provider.partial_refunds.values()) == [
        5_000,
        15_000,
        30_000,
    ]
    async with maker() as session:
        statuses = await session.scalars(sa.select(CampaignRefund.status))
        assert set(statuses) == {RefundStatus.SENT}
        campaign = await session.get(Campaign, cid)
        assert campaign is not None and campaign.refunded_cents == 50_000


async def test_verify_names_a_campaign_whose_figures_drift(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, budget_cents=10_000)

    async def drift(session):
        await session.execute(sa.update(Campaign).where(Campaign.id == cid).values(paid_cents=1))

    await run(clean_db, drift)
    problems = await ledger_problems(clean_db)
    assert f"campaign {cid} shows paid 1 but the ledger has 0" in problems

    async def undo(session):
        await session.execute(sa.update(Campaign).where(Campaign.id == cid).values(paid_cents=0))

    await run(clean_db, undo)
    assert await ledger_problems(clean_db) == []
