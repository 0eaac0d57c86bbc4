"""`make bench` builds its data set through the services (programs, Series, coins) and the
marketplace's models and escrow: a change to their signatures must not break the benchmark
unnoticed. The smallest data set, on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from bench.dataset import generate
from bench.marketplace import HOT_DEALS

from reelpay.accounts.service import authenticate
from reelpay.db import create_engine, create_sessionmaker
from reelpay.graphql.relay import decode_id
from reelpay.marketplace.models import (
    Campaign,
    CampaignStatus,
    Deal,
    DealStatus,
    Deliverable,
    PaidPartnership,
)
from reelpay.migrate import upgrade_async
from reelpay.wallet import audit


async def test_the_bench_data_set_builds_through_todays_services(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    await upgrade_async(url)

    manifest = await generate(url, scale=0.005)

    assert manifest.page_buyers > 0 and manifest.sale_series_ids and manifest.fan_tokens
    assert manifest.counts["creators"] == manifest.creators + 1
    market = manifest.marketplace
    assert market["viewer_tokens"] and market["brand_tokens"]
    assert manifest.counts["listed for a creator meeting every requirement"] > 20
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            assert await audit.verify(session) == []
            for scenario in ("approve", "approve_hot"):
                pool = market["pools"][scenario]
                assert len(pool["deals"]) >= 200 and len(pool["brands"]) == len(pool["deals"])
                ids = [decode_id(gid)[1] for gid in pool["deals"]]
                assert len(set(ids)) == len(ids)  # each request its own deal
                deals = {
                    d.id: d for d in await session.scalars(sa.select(Deal).where(Deal.id.in_(ids)))
                }
                assert {d.status for d in deals.values()} == {DealStatus.SUBMITTED}
                assert all(d.reserved_cents == d.fee_cents > 0 for d in deals.values())
                campaigns = {
                    c.id: c
                    for c in await session.scalars(
                        sa.select(Campaign).where(
                            Campaign.id.in_({d.campaign_id for d in deals.values()})
                        )
                    )
                }
                for k, deal_id in enumerate(ids[:40]):  # request k's token is the brand's
                    token = market["brand_tokens"][pool["brands"][k]]
                    # The data set issues its sessions at the real time the bench servers read,
                    # so they are checked at that time too.
                    brand = await authenticate(
                        session,
                        token,
                        now=datetime.now(UTC),  # real clock: the bench's time
                    )
                    assert brand is not None
                    assert brand.id == campaigns[deals[deal_id].campaign_id].brand_id
                window = [deals[i] for i in ids[:32]]
                in_flight = {d.campaign_id for d in window}
                # The requests in flight pay different creators; `approve` locks a different
                # campaign each, `approve_hot` one campaign for 100 requests.
                assert len({d.creator_id for d in window}) == 32
                assert len(in_flight) == (min(32, len(campaigns)) if scenario == "approve" else 1)
                hot = [d for d in deals.values() if d.campaign_id == window[0].campaign_id]
                assert len(hot) == (
                    len(ids) // len(campaigns) if scenario == "approve" else HOT_DEALS
                )
                for campaign in campaigns.values():  # full: the browse leaves them out
                    assert campaign.status is CampaignStatus.IN_PROGRESS
                    assert campaign.reserved_cents == campaign.funded_cents
                delivered = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Deliverable)
                    .join(PaidPartnership, PaidPartnership.video_id == Deliverable.video_id)
                    .where(Deliverable.deal_id.in_(ids))
                )
                assert delivered == len(ids)
                for check in market["checks"][scenario]:
                    deal = await session.get(Deal, check["deal_id"])
                    assert deal is not None and deal.status is DealStatus.SUBMITTED
                    assert deal.creator_id == check["creator_id"]
    finally:
        await engine.dispose()
