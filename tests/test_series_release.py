"""A creator's Series share moves from pending to available earnings once the refund window
has closed (`reelpay jobs release-earnings`); a released sale can no longer be refunded."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.db import create_sessionmaker
from reelpay.series import purchases as sales
from tests.factories import buy_coins, make_staff, sign_up
from tests.test_series_buying import (
    REFUNDABLE_UNTIL,
    buy,
    refund,
    setup,
    wallet,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")


async def release(api: Any, clock: Any) -> tuple[int, int]:
    return await sales.release_due(create_sessionmaker(api.engine), now=clock.now())


UNTIL = datetime.fromisoformat(REFUNDABLE_UNTIL)


async def earnings(api: Any, user: Any) -> tuple[int, int, dict[str, str]]:
    data = await api.data(
        "{ viewer { wallet { earnings { minorUnits } pendingEarnings { minorUnits } "
        "earningsBySource { source amount { amount } } } } }",
        token=user.token,
    )
    w = data["viewer"]["wallet"]
    return (
        w["earnings"]["minorUnits"],
        w["pendingEarnings"]["minorUnits"],
        {e["source"]: e["amount"]["amount"] for e in w["earningsBySource"]},
    )


async def test_nothing_is_released_before_the_window_closes_then_all_of_it_once(api, clock):
    creator, series_id, fan = await setup(api)
    assert (await buy(api, fan, series_id))["userErrors"] == []

    clock.set(UNTIL - timedelta(seconds=1))
    assert await release(api, clock) == (0, 0)
    assert (await earnings(api, creator))[:2] == (0, 349)

    clock.set(UNTIL)
    assert await release(api, clock) == (1, 349)
    available, pending, by_source = await earnings(api, creator)
    assert (available, pending, by_source["SERIES"]) == (349, 0, "3.49")

    assert await release(api, clock) == (0, 0)  # safe to run again
    assert (await earnings(api, creator))[:2] == (349, 0)


async def test_a_released_sale_cannot_be_refunded(api, clock):
    creator, series_id, fan = await setup(api)
    purchase = (await buy(api, fan, series_id))["purchase"]
    staff = await make_staff(api, api.engine)
    clock.set(UNTIL)
    await release(api, clock)

    payload = await refund(api, staff, purchase["id"])

    assert [e["code"] for e in payload["userErrors"]] == ["REFUND_WINDOW_CLOSED"]
    assert (await earnings(api, creator))[:2] == (349, 0)
    assert (await wallet(api, fan))["coins"] == 347


async def test_a_refunded_sale_is_never_released(api, clock):
    creator, series_id, fan = await setup(api)
    purchase = (await buy(api, fan, series_id))["purchase"]
    staff = await make_staff(api, api.engine)
    assert (await refund(api, staff, purchase["id"]))["userErrors"] == []

    clock.set(UNTIL + timedelta(days=10))
    assert await release(api, clock) == (0, 0)
    assert (await earnings(api, creator))[:2] == (0, 0)


async def test_concurrent_runs_release_each_sale_once(api, clock):
    creator, series_id, fan = await setup(api, packages=(7000,))
    for n in range(3):
        buyer = fan if n == 0 else await sign_up(api, f"fan{n}")
        if n:
            await buy_coins(api, buyer, 700)
        assert (await buy(api, buyer, series_id))["userErrors"] == []
    clock.set(UNTIL)

    results = await asyncio.gather(*(release(api, clock) for _ in range(4)))

    assert sum(count for count, _ in results) == 3
    assert sum(cents for _, cents in results) == 3 * 349
    assert (await earnings(api, creator))[:2] == (3 * 349, 0)
    async with api.engine.connect() as connection:
        releases = await connection.scalar(
            sa.text("SELECT count(*) FROM ledger_transactions WHERE kind = 'EARNINGS_RELEASE'")
        )
    assert releases == 3


async def test_the_cli_releases_what_is_due(api, clock, settings, monkeypatch, capsys):
    # The CLI reads the real clock: a purchase made at the test clock (2026) is long due.
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    creator, series_id, fan = await setup(api)
    assert (await buy(api, fan, series_id))["userErrors"] == []
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["jobs", "release-earnings"]) == 0
    assert (
        capsys.readouterr().out.strip()
        == "released 3.49 USD of pending earnings from 1 sale(s) and 0 other hold(s)"
    )
    assert await asyncio.to_thread(main, ["jobs", "release-earnings"]) == 0
    assert (
        capsys.readouterr().out.strip()
        == "released 0.00 USD of pending earnings from 0 sale(s) and 0 other hold(s)"
    )
    assert (await earnings(api, creator))[:2] == (349, 0)
