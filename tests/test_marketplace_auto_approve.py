"""The auto-approval job: a submission the brand left unreviewed is approved at
`review_due_at` (not a second before), paying the creator once however often and however
concurrently the job runs; a deal whose transaction fails stays SUBMITTED for the next run
while the others are approved; `reelpay jobs auto-approve-deals` runs it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from reelpay.cli import main
from reelpay.clock import FrozenClock
from reelpay.db import create_sessionmaker
from reelpay.marketplace import deals as marketplace_deals
from reelpay.marketplace import escrow
from tests.conftest import START
from tests.factories import publish
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
)
from tests.test_marketplace_deals import DEAL_PAYLOAD, act, submit
from tests.test_marketplace_proposals import codes, notices, start_deal, table_count

pytestmark = pytest.mark.usefixtures("verify_ledger")

DUE = START + timedelta(days=7)


async def run_job(engine: Any, now: Any) -> marketplace_deals.AutoApproval:
    return await marketplace_deals.auto_approve_due(create_sessionmaker(engine), now=now)


async def submitted(api: Any, engine: Any, brand: Any, cid: int) -> tuple[Any, str]:
    creator = await make_creator(api, engine)
    deal_id = await start_deal(api, brand, creator, cid)
    payload = await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
    assert payload["userErrors"] == []
    return creator, deal_id


async def deal_of(api: Any, user: Any, deal_id: str) -> dict[str, Any]:
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Deal { status autoApproved approvedAt "
        "paid { minorUnits } } } }",
        {"id": deal_id},
        user.token,
    )
    return dict(data["node"])


async def paid_transactions(engine: Any) -> int:
    import sqlalchemy as sa

    async with engine.connect() as connection:
        return int(
            (
                await connection.execute(
                    sa.text("SELECT count(*) FROM ledger_transactions WHERE kind = :k"),
                    {"k": "CAMPAIGN_PAYMENT"},
                )
            ).scalar()
        )


async def test_a_submission_is_approved_at_its_due_time_not_a_second_before(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    creator, deal_id = await submitted(api, clean_db, brand, cid)

    early = await run_job(clean_db, DUE - timedelta(seconds=1))
    assert early == marketplace_deals.AutoApproval(approved=0, cents_paid=0, errors=0)
    assert (await deal_of(api, creator, deal_id))["status"] == "SUBMITTED"

    on_time = await run_job(clean_db, DUE)

    assert on_time == marketplace_deals.AutoApproval(approved=1, cents_paid=25_000, errors=0)
    assert await deal_of(api, creator, deal_id) == {
        "status": "APPROVED", "autoApproved": True, "approvedAt": DUE.isoformat(),
        "paid": {"minorUnits": 25_000},
    }  # fmt: skip
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 0, "fees": 0}
    assert (await notices(clean_db, creator))[-2:] == ["DEAL_APPROVED", "MARKETPLACE_PAYMENT"]
    assert (await notices(clean_db, brand))[-1] == "DEAL_APPROVED"
    # The brand can no longer review it.
    assert codes(await act(api, "approveDeal", brand, deal_id)) == ["DEAL_STATE_INVALID"]
    assert codes(await act(api, "requestDealChanges", brand, deal_id, comment="late")) == [
        "DEAL_STATE_INVALID"
    ]


async def test_running_the_job_twice_pays_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    await submitted(api, clean_db, brand, cid)
    assert (await run_job(clean_db, DUE)).approved == 1
    assert await run_job(clean_db, DUE + timedelta(days=1)) == marketplace_deals.AutoApproval(
        approved=0, cents_paid=0, errors=0
    )
    assert await paid_transactions(clean_db) == 1


async def test_two_jobs_at_once_pay_each_deal_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=4)
    for _ in range(3):
        await submitted(api, clean_db, brand, cid)

    results = await asyncio.gather(*(run_job(clean_db, DUE) for _ in range(3)))

    assert sum(r.approved for r in results) == 3
    assert sum(r.cents_paid for r in results) == 75_000
    assert all(r.errors == 0 for r in results)
    assert await paid_transactions(clean_db) == 3
    assert (await campaign_row(clean_db, cid)).paid_cents == 75_000


async def test_the_job_racing_the_brands_approval_pays_once(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    creator, deal_id = await submitted(api, clean_db, brand, cid)
    clock.set(DUE)

    job, review = await asyncio.gather(
        run_job(clean_db, DUE), act(api, "approveDeal", brand, deal_id)
    )

    assert job.approved + (1 if review["userErrors"] == [] else 0) == 1
    assert await paid_transactions(clean_db) == 1
    assert (await deal_of(api, creator, deal_id))["paid"] == {"minorUnits": 25_000}


async def test_a_deal_that_fails_is_left_for_the_next_run_and_the_others_go_on(
    api, clean_db, monkeypatch
):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=4)
    deals = [await submitted(api, clean_db, brand, cid) for _ in range(3)]
    broken = deals[1][1]
    from tests.factories import decode_pk

    real_pay = escrow.pay

    async def failing_pay(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("deal_id") == decode_pk(broken):
            raise RuntimeError("the database went away mid-payment")
        return await real_pay(*args, **kwargs)

    monkeypatch.setattr(escrow, "pay", failing_pay)
    first = await run_job(clean_db, DUE)
    assert first == marketplace_deals.AutoApproval(approved=2, cents_paid=50_000, errors=1)
    statuses = [(await deal_of(api, creator, deal_id))["status"] for creator, deal_id in deals]
    assert statuses == ["APPROVED", "SUBMITTED", "APPROVED"]
    assert await escrow_balances(clean_db, cid) == {"free": 25_000, "reserved": 25_000, "fees": 0}

    monkeypatch.setattr(escrow, "pay", real_pay)
    second = await run_job(clean_db, DUE)
    assert second == marketplace_deals.AutoApproval(approved=1, cents_paid=25_000, errors=0)
    assert await paid_transactions(clean_db) == 3


async def test_a_disputed_or_reviewed_deal_is_not_auto_approved(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=4)
    disputed_creator, disputed = await submitted(api, clean_db, brand, cid)
    changed_creator, changed = await submitted(api, clean_db, brand, cid)
    opened = await api.mutate(
        "openDealDispute", {"dealId": disputed, "reason": "slow"}, "dispute { id }",
        disputed_creator.token,
    )  # fmt: skip
    assert opened["userErrors"] == []
    await act(api, "requestDealChanges", brand, changed, comment="redo")

    assert (await run_job(clean_db, DUE + timedelta(days=30))).approved == 0
    assert (await deal_of(api, disputed_creator, disputed))["status"] == "DISPUTED"
    assert (await deal_of(api, changed_creator, changed))["status"] == "ACTIVE"


async def test_a_resubmission_gets_a_new_review_window(api, clean_db, clock):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    creator, deal_id = await submitted(api, clean_db, brand, cid)
    clock.set(START + timedelta(days=3))
    await act(api, "requestDealChanges", brand, deal_id, comment="redo")
    video = await publish(api, creator, "again")
    payload = await api.mutate(
        "submitDeal", {"dealId": deal_id, "videoIds": [video]}, DEAL_PAYLOAD, creator.token
    )
    assert payload["deal"]["reviewDueAt"] == (START + timedelta(days=10)).isoformat()
    assert (await run_job(clean_db, DUE)).approved == 0
    assert (await run_job(clean_db, START + timedelta(days=10))).approved == 1


async def test_the_cli_runs_the_job(api, settings, clean_db, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START)
    await submitted(api, clean_db, brand, cid)
    capsys.readouterr()

    early = FrozenClock(DUE - timedelta(seconds=1))
    assert await asyncio.to_thread(main, ["jobs", "auto-approve-deals"], clock=early) == 0
    assert capsys.readouterr().out.strip() == "auto-approved 0 deal(s), paying 0.00 USD"
    on_time = FrozenClock(DUE)
    assert await asyncio.to_thread(main, ["jobs", "auto-approve-deals"], clock=on_time) == 0
    assert capsys.readouterr().out.strip() == "auto-approved 1 deal(s), paying 250.00 USD"
    assert await asyncio.to_thread(main, ["jobs", "auto-approve-deals"], clock=on_time) == 0
    assert capsys.readouterr().out.strip() == "auto-approved 0 deal(s), paying 0.00 USD"
    assert await table_count(clean_db, "campaign_deliverables") == 1
