"""The sandbox clock: outside production staff move a shared clock forward (stored in the
database, read by every operation and every `reelpay` command); production refuses to move it and
always reads the real (here: the injected) clock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from reelpay.app import create_app
from reelpay.cli import main
from reelpay.clock import FrozenClock
from reelpay.settings import ConfigurationError, Settings
from tests.conftest import START, Api
from tests.factories import (
    add_paypal,
    buy_coins,
    credit_earnings,
    log_in,
    make_staff,
    sign_up,
)
from tests.test_graphql_api import counting_statements
from tests.test_series_buying import buy, make_creator, make_series, refund

CLOCK = "sandboxClock { now offsetSeconds enabled }"
ADVANCE = f"{CLOCK} userErrors {{ code field message }}"
DAY = 86_400


def iso(offset_seconds: int, base: Any = START) -> str:
    return (base + timedelta(seconds=offset_seconds)).isoformat()


def state(offset_seconds: int, base: Any = START) -> dict[str, Any]:
    return {"now": iso(offset_seconds, base), "offsetSeconds": offset_seconds, "enabled": True}


async def read_clock(api: Api, token: str | None = None) -> dict[str, Any]:
    return (await api.data(f"{{ {CLOCK} }}", token=token))["sandboxClock"]


async def advance(api: Api, staff: Any, **by: int) -> dict[str, Any]:
    return await api.mutate("advanceSandboxClock", {"by": by}, ADVANCE, token=staff.token)


@pytest.fixture
async def second_api(settings: Settings, clean_db: Any) -> AsyncIterator[Api]:
    """Another app instance (another worker) over the same database, with its own clock."""
    app = create_app(settings, clock=FrozenClock(START), engine=clean_db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield Api(client, clean_db, app)
    finally:
        await app.state.services.broker.close()


# --- moving it ---------------------------------------------------------------------------------


async def test_staff_move_the_clock_and_a_series_refund_window_closes_on_time(api):
    creator = await make_creator(api)
    series_id = await make_series(api, creator)
    early, late = await sign_up(api, "early"), await sign_up(api, "late")
    staff = await make_staff(api, api.engine)
    purchases = []
    for fan in (early, late):
        await buy_coins(api, fan, 700)
        payload = await buy(api, fan, series_id)
        assert payload["userErrors"] == [], payload
        purchases.append(payload["purchase"])
    # The window ends at the first midnight UTC 7 days after the purchase.
    closes = 7 * DAY + 12 * 3600
    assert (
        {p["refundableUntil"] for p in purchases} == {iso(closes)} == {"2026-06-23T00:00:00+00:00"}
    )
    assert await read_clock(api) == state(0)

    # One second before the window closes a refund goes through...
    moved = await advance(api, staff, days=7, hours=11, minutes=59, seconds=59)
    assert moved == {"sandboxClock": state(closes - 1), "userErrors": []}
    assert (await refund(api, staff, purchases[0]["id"]))["userErrors"] == []

    # ... and when it closes it is refused, the purchase untouched.
    assert (await advance(api, staff, seconds=1))["sandboxClock"] == state(closes)
    payload = await refund(api, staff, purchases[1]["id"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("REFUND_WINDOW_CLOSED", ["input", "purchaseId"])
    ]
    query = "query($id: ID!) { node(id: $id) { ... on SeriesPurchase { status refundedAt } } }"
    statuses = [
        (await api.data(query, {"id": p["id"]}, token=staff.token))["node"] for p in purchases
    ]
    assert statuses == [
        {"status": "REFUNDED", "refundedAt": iso(closes - 1)},
        {"status": "ACTIVE", "refundedAt": None},
    ]


async def test_a_weekly_payout_comes_due_and_reelpay_jobs_payouts_pays_it_at_sandbox_time(
    api, settings, clock, monkeypatch, capsys
):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    creator = await sign_up(api, "weekly")
    await credit_earnings(api.engine, creator, 25_000, at=START)
    await add_paypal(api, creator)
    schedule = await api.mutate(
        "setPayoutSchedule",
        {"frequency": "WEEKLY", "weekday": 4},  # Thursdays; START is a Monday
        "forecast { date amount { minorUnits } }",
        token=creator.token,
    )
    assert schedule["forecast"] == {"date": "2026-06-18", "amount": {"minorUnits": 25_000}}
    staff = await make_staff(api, api.engine)
    summary = "payouts: {} scheduled payout(s) created, {} paid, 0 failed, 0 to retry"

    # The CLI runs on the same injected base clock; nothing is due on Monday.
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["jobs", "payouts"], clock=clock) == 0
    assert capsys.readouterr().out.strip() == summary.format(0, 0)

    assert (await advance(api, staff, days=3))["userErrors"] == []
    assert await asyncio.to_thread(main, ["jobs", "payouts"], clock=clock) == 0
    assert capsys.readouterr().out.strip() == summary.format(1, 1)

    query = """{ viewer { payouts { history(first: 5) { edges { node {
      status trigger scheduledFor paidAt amount { minorUnits } } } } } } }"""
    history = (await api.data(query, token=creator.token))["viewer"]["payouts"]["history"]
    assert [e["node"] for e in history["edges"]] == [
        {
            "status": "PAID",
            "trigger": "SCHEDULED",
            "scheduledFor": "2026-06-18",
            "paidAt": iso(3 * DAY),
            "amount": {"minorUnits": 25_000},
        }
    ]


async def test_every_app_instance_reads_the_same_clock_and_it_survives_a_restart(
    api, second_api, settings, clean_db
):
    staff = await make_staff(api, api.engine)
    assert (await advance(api, staff, hours=2))["userErrors"] == []

    assert await read_clock(second_api) == state(2 * 3600)
    assert (await advance(second_api, staff, minutes=30))["sandboxClock"] == state(9_000)
    assert await read_clock(api) == state(9_000)

    # A restart: a new app (and base clock, a day later) over the same database.
    later = START + timedelta(days=1)
    app = create_app(settings, clock=FrozenClock(later), engine=clean_db)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            assert await read_clock(Api(client, clean_db, app)) == state(9_000, later)
    finally:
        await app.state.services.broker.close()


async def test_concurrent_advances_add_up(api, second_api):
    staff = await make_staff(api, api.engine)
    moves = await asyncio.gather(
        *(advance(a, staff, hours=1) for a in (api, second_api, api, second_api, api))
    )
    assert [m["userErrors"] for m in moves] == [[]] * 5  # says which error, if one comes
    assert sorted(m["sandboxClock"]["offsetSeconds"] for m in moves) == [
        3600 * n for n in range(1, 6)
    ]
    assert await read_clock(second_api) == state(5 * 3600)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "code", "field"),
    [
        ({}, "INVALID_DURATION", ["input", "by"]),
        ({"seconds": 0}, "INVALID_DURATION", ["input", "by"]),
        ({"days": -1}, "INVALID_DURATION", ["input", "by", "days"]),
        ({"days": 2, "hours": -1}, "INVALID_DURATION", ["input", "by", "hours"]),
        ({"days": 367}, "DURATION_TOO_LONG", ["input", "by"]),
        ({"days": 366, "seconds": 1}, "DURATION_TOO_LONG", ["input", "by"]),
        ({"days": 2_147_483_647}, "DURATION_TOO_LONG", ["input", "by"]),
    ],
    ids=str,
)
async def test_the_clock_only_moves_forward_by_a_sensible_amount(api, by, code, field):
    staff = await make_staff(api, api.engine)
    assert (await advance(api, staff, days=1))["userErrors"] == []

    payload = await advance(api, staff, **by)

    assert payload["sandboxClock"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await read_clock(api) == state(DAY)


async def test_the_clock_runs_at_most_ten_years_ahead(api):
    staff = await make_staff(api, api.engine)
    for _ in range(9):
        await log_in(api, staff)  # a session lasts 30 days of (sandbox) time
        assert (await advance(api, staff, days=366))["userErrors"] == []
    await log_in(api, staff)
    refused = await advance(api, staff, days=360)  # 3,294 + 360 > 3,653
    assert [e["code"] for e in refused["userErrors"]] == ["DURATION_TOO_LONG"]
    assert "it can move 359 more" in refused["userErrors"][0]["message"]
    assert (await advance(api, staff, days=359))["sandboxClock"] == state(3_653 * DAY)


async def test_only_staff_move_the_clock(api):
    fan = await sign_up(api, "fan")
    query = (
        "mutation($input: AdvanceSandboxClockInput!) { advanceSandboxClock(input: $input) { %s } }"
    )
    for token, code in ((None, "UNAUTHENTICATED"), (fan.token, "FORBIDDEN")):
        body = await api.execute(query % ADVANCE, {"input": {"by": {"days": 1}}}, token=token)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert await read_clock(api, fan.token) == state(0)


# --- production ---------------------------------------------------------------------------------


async def test_production_refuses_to_move_the_clock_and_never_reads_it(
    api, production_client, clean_db
):
    staff = await make_staff(api, api.engine)
    assert (await advance(api, staff, days=1))["userErrors"] == []  # outside production

    with counting_statements(clean_db) as statements:
        read = await production_client.post("/graphql", json={"query": f"{{ {CLOCK} }}"})
        moved = await production_client.post(
            "/graphql",
            json={
                "query": "mutation { advanceSandboxClock(input: { by: { days: 1 } }) "
                "{ userErrors { code } } }"
            },
            headers={"Authorization": f"Bearer {staff.token}"},
        )
    assert read.json() == {
        "data": {"sandboxClock": {"now": iso(0), "offsetSeconds": 0, "enabled": False}}
    }
    error = moved.json()["errors"][0]
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "SANDBOX_CLOCK_DISABLED"}
    assert statements == []  # neither the offset nor even the token was read
    assert await read_clock(api) == state(DAY)


def test_production_settings_refuse_the_sandbox_clock():
    env = {
        "REELPAY_ENV": "production",
        "REELPAY_SECRET_KEY": "kq3X8vN2pL7mR4tY9wB6zC1dF5gH0jS3aE8uI2oP7xV",
        "REELPAY_PAYMENT_PROVIDER": "sandbox",
        "REELPAY_PAYOUT_PROVIDER": "sandbox",
        "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "1",  # a staging deployment: no money moves
    }
    assert not Settings.from_env(env).sandbox_clock_enabled
    assert not Settings.from_env({**env, "REELPAY_SANDBOX_CLOCK": "off"}).sandbox_clock_enabled
    with pytest.raises(ConfigurationError, match="refused in production"):
        Settings.from_env({**env, "REELPAY_SANDBOX_CLOCK": "on"})
    assert Settings.from_env({}).sandbox_clock_enabled
    assert not Settings.from_env({"REELPAY_SANDBOX_CLOCK": "off"}).sandbox_clock_enabled
    with pytest.raises(ConfigurationError, match="'on' or 'off'"):
        Settings.from_env({"REELPAY_SANDBOX_CLOCK": "yes"})
    production = dataclasses.replace(Settings(), environment=Settings.from_env(env).environment)
    assert not production.sandbox_clock_enabled


# --- the command line ---------------------------------------------------------------------------


async def test_the_cli_moves_the_clock_outside_production_only(
    api, settings, clock, monkeypatch, capsys
):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["sandbox-clock", "advance", "1d12h"], clock=clock) == 0
    assert capsys.readouterr().out.strip() == (
        f"sandbox time {iso(36 * 3600)} (129600 s ahead: 1 day, 12:00:00)"
    )
    assert await read_clock(api) == state(36 * 3600)
    assert await asyncio.to_thread(main, ["sandbox-clock", "advance", "400d"], clock=clock) == 1
    assert "at most 366 days" in capsys.readouterr().err

    monkeypatch.setenv("REELPAY_ENV", "production")
    monkeypatch.setenv("REELPAY_SECRET_KEY", "kq3X8vN2pL7mR4tY9wB6zC1dF5gH0jS3aE8uI2oP7xV")
    monkeypatch.setenv("REELPAY_PAYMENT_PROVIDER", "sandbox")
    monkeypatch.setenv("REELPAY_PAYOUT_PROVIDER", "sandbox")
    monkeypatch.setenv("REELPAY_ALLOW_SANDBOX_IN_PRODUCTION", "1")  # staging: no money moves
    assert await asyncio.to_thread(main, ["sandbox-clock", "advance", "1d"], clock=clock) == 2
    assert "off here" in capsys.readouterr().err
    assert await read_clock(api) == state(36 * 3600)


# --- what it costs ------------------------------------------------------------------------------


async def test_outside_production_an_operation_reads_the_offset_once_and_introspection_never(api):
    fan = await sign_up(api, "fan")
    with counting_statements(api.engine) as statements:
        await api.data("{ __typename }")
        await api.data("{ __schema { queryType { name } } }")
    assert statements == []

    with counting_statements(api.engine) as statements:
        await api.data("{ viewer { handle } }", token=fan.token)
    queries = [s for s in statements if s.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE")]
    reads = [s for s in queries if "sandbox_clock" in s]
    assert len(reads) == 1 and queries[0] == reads[0], queries
    assert "WHERE sandbox_clock.id = " in " ".join(reads[0].split())
