"""Pruning the once-per-viewer-and-day view marks (`reelpay jobs prune-view-marks`): marks of
days before yesterday go, in batches; today's and yesterday's stay, so counting stays right."""

from __future__ import annotations

import sqlite3
from datetime import date

import sqlalchemy as sa

from reelpay.cli import main
from reelpay.content import view_marks
from reelpay.db import create_sessionmaker
from tests.factories import publish, sign_up
from tests.test_authentic_views import at, relog, view


async def marked_days(api) -> dict[date, int]:
    async with api.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT day, count(*) FROM video_view_marks GROUP BY day ORDER BY day")
        )
        return {
            day if isinstance(day, date) else date.fromisoformat(day): n for day, n in rows.all()
        }


async def test_prune_keeps_yesterday_and_today_and_counting_stays_right(api, clock):
    owner = await sign_up(api, "owner")
    fans = [await sign_up(api, f"fan{n}") for n in range(3)]
    videos = [await publish(api, owner, f"V{n}") for n in range(2)]
    for day in ("2026-06-12", "2026-06-13", "2026-06-14", "2026-06-15"):
        clock.set(at(f"{day}T12:00:00"))
        await relog(api, *fans)
        for fan in fans:
            for video in videos:
                await view(api, video, fan)
    assert set((await marked_days(api)).values()) == {6}

    # 5 of the 12 old marks per batch: three batches, the last one short.
    deleted = await view_marks.prune(
        create_sessionmaker(api.engine), today=date(2026, 6, 15), batch=5
    )

    assert deleted == 12
    assert await marked_days(api) == {date(2026, 6, 14): 6, date(2026, 6, 15): 6}
    # Today's marks still make a second view of the day a play only.
    again = await view(api, videos[0], fans[0])
    assert again["video"] == {"viewCount": 12, "playCount": 13}  # 3 fans x 4 days, 1 replay
    assert await view_marks.prune(create_sessionmaker(api.engine), today=date(2026, 6, 15)) == 0


async def test_a_batch_the_size_of_what_is_left_ends_with_an_empty_one(api, clock):
    owner, fan = await sign_up(api, "owner"), await sign_up(api, "fan")
    video = await publish(api, owner)
    clock.set(at("2026-06-10T08:00:00"))
    await relog(api, fan)
    await view(api, video, fan)

    sessions = create_sessionmaker(api.engine)
    assert await view_marks.prune(sessions, today=date(2026, 6, 11), batch=1) == 0  # yesterday's
    assert await view_marks.prune(sessions, today=date(2026, 6, 12), batch=1) == 1
    assert await marked_days(api) == {}


def test_the_job_prunes_through_the_command_line(tmp_path, monkeypatch, capsys, clock):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("REELPAY_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    assert main(["migrate"]) == 0
    with sqlite3.connect(path) as connection:  # no foreign keys enforced here: marks alone
        connection.executemany(
            "INSERT INTO video_view_marks (video_id, day, viewer_key) VALUES (1, ?, 'account:2')",
            [("2026-06-12",), ("2026-06-13",), ("2026-06-14",), ("2026-06-15",)],
        )

    assert main(["jobs", "prune-view-marks"], clock=clock) == 0  # the clock is at 2026-06-15

    assert (
        capsys.readouterr().out.strip().endswith("pruned 2 view mark(s) of days before 2026-06-14")
    )
    with sqlite3.connect(path) as connection:
        kept = connection.execute("SELECT day FROM video_view_marks ORDER BY day").fetchall()
    assert kept == [("2026-06-14",), ("2026-06-15",)]
