"""Benchmark: payout requests, the payouts job, and the earnings reports.

Run: .venv/bin/python bench/payouts.py [creators] [postgres-url]
SQLite (a temporary file) by default; give a PostgreSQL server URL to measure there in a
scratch database. In-process through the ASGI app (no network); the job runs as
`reelpay jobs payouts` does, against the sandbox provider (which answers at once, so the
figures are our own cost per payout, not a real provider's latency).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from bench.money import database, percentiles
from sqlalchemy import event

from reelpay.accounts.models import Account
from reelpay.app import create_app
from reelpay.clock import FrozenClock
from reelpay.db import create_engine, create_sessionmaker, run_write
from reelpay.migrate import upgrade
from reelpay.payouts import processing
from reelpay.settings import Settings
from reelpay.wallet import ledger
from reelpay.wallet.models import EarningsSource, LedgerAccountKind, TransactionKind

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { token account { id } } }"""
ADD_METHOD = """mutation { addPayoutMethod(input: { paypal: { email: "me@paypal.example" } }) {
    method { id } userErrors { code } } }"""
REQUEST = """mutation($key: String!) { requestPayout(input: { amountCents: 10000,
    idempotencyKey: $key }) { payout { id status } userErrors { code } } }"""
REPORT = """query($from: Date!, $to: Date!) { viewer { wallet { earnings { amount }
    earningsBySource { source pending { amount } available { amount } paidOut { amount } }
    earningsByDay(from: $from, to: $to) { date total { amount } } } }
    payoutForecast { date amount { amount } reasons { code } } }"""


async def main(creators: int, postgres: str | None) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    async with database(postgres) as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            database_url=url, password_hash_time_cost=1, password_hash_memory_kib=64
        )
        engine = (
            create_engine(url, pool_size=20, max_overflow=20) if postgres else create_engine(url)
        )
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        app = create_app(settings, clock=FrozenClock(now), engine=engine)
        maker = create_sessionmaker(engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
        ) as client:

            async def post(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                assert "errors" not in body, body
                return body["data"]

            tokens = []
            for n in range(creators):
                data = await post(
                    SIGN_UP,
                    {"input": {
                        "email": f"creator{n}@bench.example", "password": "bench-password",
                        "handle": f"creator{n}", "displayName": f"Creator {n}",
                        "birthDate": "1990-01-01", "country": "US",
                    }},
                    "",
                )  # fmt: skip
                tokens.append(data["signUp"]["token"])
            # A year of daily earnings from three sources each, through the ledger.
            async with maker() as session:

                async def earn() -> None:
                    pks = list(await session.scalars(sa.select(Account.id).order_by(Account.id)))
                    for pk in pks:
                        for day in range(365):
                            for source in (
                                EarningsSource.REWARDS,
                                EarningsSource.GIFTS,
                                EarningsSource.TIPS,
                            ):
                                await ledger.post(
                                    session, kind=TransactionKind.REWARDS_ACCRUAL,
                                    legs=[
                                        (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -100),
                                        (ledger.user(pk, LedgerAccountKind.EARNINGS), 100),
                                    ],
                                    now=now - timedelta(days=365 - day),
                                    earnings_source=source,
                                )  # fmt: skip

                await run_write(session, earn)
            for token in tokens:
                await post(ADD_METHOD, {}, token)

            timings = []
            for n, token in enumerate(tokens):
                statements = 0
                started = time.perf_counter()
                data = await post(REQUEST, {"key": f"bench-{n}"}, token)
                timings.append((time.perf_counter() - started) * 1000)
                assert data["requestPayout"]["userErrors"] == [], data
            print(
                f"requestPayout, one after another: {percentiles(timings)}, "
                f"{statements} SQL statements"
            )

            statements = 0
            started = time.perf_counter()
            summary = await processing.run(
                maker, app.state.services.payouts, now=now, settings=settings
            )
            elapsed = time.perf_counter() - started
            print(
                f"payouts job, {summary.paid} payouts: {summary.paid / elapsed:.0f} payouts/s, "
                f"{statements / max(summary.paid, 1):.0f} SQL statements per payout"
            )

            timings = []
            window = {"from": "2026-08-23", "to": "2026-11-22"}
            for token in tokens:
                statements = 0
                started = time.perf_counter()
                await post(REPORT, window, token)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                "earningsBySource + earningsByDay(92 days) + forecast, a year of daily "
                f"earnings from 3 sources: {percentiles(timings)}, {statements} SQL statements"
            )
        await app.state.services.broker.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 50,
            sys.argv[2] if len(sys.argv) > 2 else None,
        )
    )
