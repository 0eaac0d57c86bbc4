"""An existing SQLite database upgrades to the latest schema with its rows: batch migrations copy
tables that other rows reference (0010 copies `program_applications`, which enrolments point
at), which SQLite refuses with foreign keys on unless the migration switches them off and checks
every reference before it commits (`migrations/env.py`).

PostgreSQL alters tables in place, so the same rows upgrade there without a copy; the migrated
test database of every run covers its schema."""

from __future__ import annotations

import sqlite3

import pytest

from reelpay.migrate import upgrade

ACCOUNT = """INSERT INTO accounts (id, email, password_hash, handle, handle_key, display_name, bio,
  birth_date, country, visibility, account_type, role, standing, is_political, created_at)
  VALUES (1, 'a@x.test', 'h', 'ann', 'ann', 'Ann', '', '1990-01-01', 'US', 'PUBLIC',
  'PERSONAL', 'USER', 'GOOD', 0, '2026-01-01 00:00:00')"""
APPLICATION = """INSERT INTO program_applications (id, account_id, program, status, created_at)
  VALUES (1, 1, 'TIPS', 'APPROVED', '2026-01-01 00:00:00')"""
ENROLMENT = """INSERT INTO enrolments (id, account_id, program, application_id, enrolled_at)
  VALUES (1, 1, 'TIPS', 1, '2026-01-02 00:00:00')"""
VIDEO = """INSERT INTO videos (id, owner_id, title, description, duration_seconds, visibility,
  is_original, published_at, updated_at, view_count)
  VALUES (1, 1, 'Hello', '', 60, 'PUBLIC', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"""


@pytest.mark.parametrize("start", ["0004", "0009"])  # programs exist from 0004
def test_a_populated_database_upgrades_with_its_rows(tmp_path, start):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, start)
    with sqlite3.connect(path) as connection:
        for statement in (ACCOUNT, APPLICATION, ENROLMENT, VIDEO):
            connection.execute(statement)

    upgrade(url)

    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        enrolment = connection.execute(
            "SELECT account_id, program, application_id, terms_id, terms_outstanding_since "
            "FROM enrolments"
        ).fetchall()
        assert [row[:4] for row in enrolment] == [(1, "TIPS", 1, None)]
        assert enrolment[0][4] is not None  # owes the current terms (migration 0013)
        assert connection.execute("SELECT status FROM program_applications").fetchall() == [
            ("APPROVED",)
        ]
        assert connection.execute("SELECT title, series_id FROM videos").fetchall() == [
            ("Hello", None)
        ]
        # The references still hold: an enrolment of an unknown application is refused.
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute("UPDATE enrolments SET application_id = 99 WHERE id = 1")
