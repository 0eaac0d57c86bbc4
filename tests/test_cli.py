"""The `reelpay` command line against a scratch SQLite database."""

from __future__ import annotations

import asyncio

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


def test_migrate_seed_and_create_staff(scratch_db, capsys):
    assert main(["migrate"]) == 0
    assert main(["seed-demo"]) == 0
    accounts = _scalar(scratch_db, "SELECT count(*) FROM accounts")
    assert accounts == 30 + 1_200  # people you can log in as, and chef.leo's audience
    assert _scalar(scratch_db, "SELECT count(*) FROM videos") == 20
    assert _scalar(scratch_db, "SELECT count(*) FROM payments") == 25 + 24  # coins, Series
    # chef.leo: 21 sales past their refund window are available (6.99 USD each), 3 pending;
    # he is paid weekly to PayPal.
    assert (
        _scalar(
            scratch_db,
            "SELECT balance FROM ledger_accounts WHERE kind = 'EARNINGS' AND balance > 0",
        )
        == 21 * 699
    )
    assert _scalar(scratch_db, "SELECT frequency FROM payout_schedules") == "WEEKLY"
    assert (
        _scalar(scratch_db, "SELECT masked FROM payout_methods")
        == "c\u2022\u2022\u2022@paypal.example"
    )
    assert _scalar(scratch_db, "SELECT count(*) FROM live_streams WHERE status = 'LIVE'") == 1
    assert main(["ledger", "verify"]) == 0
    # A second load refuses, or does nothing with --if-empty.
    assert main(["seed-demo"]) == 1
    assert main(["seed-demo", "--if-empty"]) == 0
    assert _scalar(scratch_db, "SELECT count(*) FROM accounts") == accounts

    assert main(["create-staff", "--email", "Ops@Example.com", "--password", "ops-password-1"]) == 0
    assert _scalar(scratch_db, "SELECT role FROM accounts WHERE email = 'ops@example.com'") == (
        "STAFF"
    )
    assert main(["create-staff", "--email", "fan01@demo.reelpay.dev"]) == 0
    assert _scalar(scratch_db, "SELECT role FROM accounts WHERE handle = 'fan01'") == "STAFF"
    out = capsys.readouterr().out
    assert "created staff account Ops" in out and "fan01 is now staff" in out


def test_create_staff_reports_bad_input_and_creates_nothing(scratch_db, capsys):
    assert main(["migrate"]) == 0
    assert main(["create-staff", "--email", "not-an-email", "--password", "x"]) == 1
    err = capsys.readouterr().err
    assert "input.email" in err and "input.password" in err
    assert _scalar(scratch_db, "SELECT count(*) FROM accounts") == 0


def test_production_without_secret_key_refuses_to_start(scratch_db, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_ENV", "production")
    monkeypatch.delenv("REELPAY_SECRET_KEY", raising=False)
    assert main(["migrate"]) == 2
    assert "REELPAY_SECRET_KEY" in capsys.readouterr().err
