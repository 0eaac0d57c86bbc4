"""The `reelpay` command line against a scratch SQLite database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.db import create_engine


@pytest.fixture
def scratch_db(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("REELPAY_DATABASE_URL", url)
    monkeypatch.setenv("REELPAY_PASSWORD_HASH_MEMORY_KIB", "64")
    monkeypatch.setenv("REELPAY_PASSWORD_HASH_TIME_COST", "1")
    return url


def _scalar(url: str, sql: str):
    async def run():
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(sa.text(sql))).scalar()
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.mark.dated
def test_migrate_seed_and_create_staff(scratch_db, capsys, clock):
    assert main(["migrate"]) == 0
    assert main(["seed-demo"], clock=clock) == 0
    assert "24 Series sales" in capsys.readouterr().out
    accounts = _scalar(scratch_db, "SELECT count(*) FROM accounts")
    # People you can log in as (the brand glow.labs too), chef.leo's audience, and the crowd
    # that follows chef.leo and jin.sings (the Creator Marketplace needs 10,000 followers).
    assert accounts == 31 + 1_200 + 10_000
    # 20, chef.leo's deal video, and two #glowup challenge entries.
    assert _scalar(scratch_db, "SELECT count(*) FROM videos") == 23
    # Coins, Series, and glow.labs' three campaign fundings.
    assert _scalar(scratch_db, "SELECT count(*) FROM payments") == 25 + 24 + 3
    # chef.leo: 21 sales past their refund window are available (6.99 USD each), 3 pending,
    # and the #glowup challenge's first prize; he is paid weekly to PayPal, next in three days.
    assert (
        _scalar(
            scratch_db,
            "SELECT balance FROM ledger_accounts JOIN accounts ON accounts.id = owner_id"
            " WHERE kind = 'EARNINGS' AND handle = 'chef.leo'",
        )
        == 21 * 699 + 50_000
    )
    assert _scalar(scratch_db, "SELECT frequency FROM payout_schedules") == "WEEKLY"
    payday = clock.now().date() + timedelta(days=3)
    assert _scalar(scratch_db, "SELECT weekday FROM payout_schedules") == payday.isoweekday()
    assert (
        _scalar(scratch_db, "SELECT masked FROM payout_methods")
        == "c\u2022\u2022\u2022@paypal.example"
    )
    assert _scalar(scratch_db, "SELECT count(*) FROM live_streams WHERE status = 'LIVE'") == 1
    assert main(["ledger", "verify"]) == 0
    # A second load refuses, or does nothing with --if-empty.
    assert main(["seed-demo"], clock=clock) == 1
    assert main(["seed-demo", "--if-empty"], clock=clock) == 0
    assert _scalar(scratch_db, "SELECT count(*) FROM accounts") == accounts

    staff = ["create-staff", "--email", "Ops@Example.com", "--password", "ops-password-1"]
    assert main(staff, clock=clock) == 0
    assert _scalar(scratch_db, "SELECT role FROM accounts WHERE email = 'ops@example.com'") == (
        "STAFF"
    )
    assert main(["create-staff", "--email", "fan01@demo.reelpay.dev"], clock=clock) == 0
    assert _scalar(scratch_db, "SELECT role FROM accounts WHERE handle = 'fan01'") == "STAFF"
    out = capsys.readouterr().out
    assert "created staff account Ops" in out and "fan01 is now staff" in out


def test_a_demo_that_cannot_be_built_loads_nothing(scratch_db, capsys, clock, monkeypatch):
    monkeypatch.setenv("REELPAY_SERIES_REFUND_WINDOW_DAYS", "10")
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["seed-demo"], clock=clock) == 1
    err = capsys.readouterr().err
    assert err.startswith("demo data not loaded: ") and "REFUND_WINDOW_DAYS is 10" in err, err
    assert _scalar(scratch_db, "SELECT count(*) FROM accounts") == 0
    assert _scalar(scratch_db, "SELECT count(*) FROM ledger_transactions") == 0


def test_create_staff_reports_bad_input_and_creates_nothing(scratch_db, capsys, clock):
    assert main(["migrate"]) == 0
    assert main(["create-staff", "--email", "not-an-email", "--password", "x"], clock=clock) == 1
    err = capsys.readouterr().err
    assert "input.email" in err and "input.password" in err
    assert _scalar(scratch_db, "SELECT count(*) FROM accounts") == 0


def test_production_without_secret_key_refuses_to_start(scratch_db, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_ENV", "production")
    monkeypatch.delenv("REELPAY_SECRET_KEY", raising=False)
    assert main(["migrate"]) == 2
    assert "REELPAY_SECRET_KEY" in capsys.readouterr().err
