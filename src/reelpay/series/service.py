"""Creating Series and their episodes (only active Series creators), and reading them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.content.models import Video
from reelpay.errors import DomainError, ErrorCode, NotFound, Problem
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.programs import service as programs
from reelpay.programs import terms
from reelpay.programs.models import Program
from reelpay.series.models import Series, SeriesEpisode, SeriesStatus
from reelpay.settings import Rules
from reelpay.text import display_text_problem

SERIES_FIELD = ("input", "seriesId")
EPISODE_FIELD = ("input", "episodeId")


async def require_series_creator(
    session: AsyncSession, creator: Account, *, now: datetime, rules: Rules
) -> None:
    """Only creators enrolled in Series, not suspended and with its current terms accepted
    create and publish."""
    enrolment = (await programs.enrolments(session, creator.id)).get(Program.SERIES)
    if enrolment is None or programs.suspension_reasons(
        creator, Program.SERIES, today=now.date(), rules=rules
    ):
        raise DomainError(
            "Only creators approved for Series (and not suspended) can do this.",
            code=ErrorCode.SERIES_CREATOR_REQUIRED,
        )
    await terms.require_accepted(session, enrolment)


def _usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} USD"


@dataclass(frozen=True)
class SeriesFields:
    """What a creator sets; `None` leaves a field as it is (on update)."""

    title: str | None = None
    description: str | None = None
    cover_url: str | None = None
    price_cents: int | None = None


def _check_title(title: str, rules: Rules, problems: list[Problem]) -> str:
    """A Series' or an episode's title: one line of 1 to `series_title_max_length` characters."""
    title = title.strip()
    if not 1 <= len(title) <= rules.series_title_max_length:
        problems.append(Problem(
            ErrorCode.INVALID_INPUT,
            f"A title has 1 to {rules.series_title_max_length} characters.",
            ("input", "title"),
        ))  # fmt: skip
    bad_text = display_text_problem(title, what="A title")
    if bad_text is not None:
        problems.append(Problem(ErrorCode.INVALID_INPUT, bad_text, ("input", "title")))
    return title


def _check(fields: SeriesFields, rules: Rules) -> tuple[SeriesFields, list[Problem]]:
    problems: list[Problem] = []
    title, description, cover = fields.title, fields.description, fields.cover_url
    if title is not None:
        title = _check_title(title, rules, problems)
    if description is not None:
        description = description.strip()
        if len(description) > rules.series_description_max_length:
            problems.append(Problem(
                ErrorCode.INVALID_INPUT,
                f"A description has at most {rules.series_description_max_length} characters.",
                ("input", "description"),
            ))  # fmt: skip
        bad_text = display_text_problem(description, what="A description", multiline=True)
        if bad_text is not None:
            problems.append(Problem(ErrorCode.INVALID_INPUT, bad_text, ("input", "description")))
    if cover is not None and cover.strip():
        try:
            cover = validation.url(cover, rules, ("input", "coverUrl"))
        except DomainError as error:
            problems += error.problems
    price = fields.price_cents
    low, high = rules.series_min_price_cents, rules.series_max_price_cents
    if price is not None and not low <= price <= high:
        problems.append(Problem(
            ErrorCode.INVALID_PRICE,
            f"The price must be {_usd(low)} to {_usd(high)}.",
            ("input", "priceCents"),
        ))  # fmt: skip
    return SeriesFields(title, description, cover, price), problems


async def create_series(
    session: AsyncSession, creator: Account, fields: SeriesFields, *, now: datetime, rules: Rules
) -> Series:
    await require_series_creator(session, creator, now=now, rules=rules)
    if fields.title is None or fields.price_cents is None:
        raise ValueError("a new Series has a title and a price")
    checked, problems = _check(fields, rules)
    if problems:
        raise DomainError.of(problems)
    series = Series(
        creator_id=creator.id,
        title=checked.title,
        description=checked.description or "",
        cover_url=checked.cover_url or None,
        price_cents=checked.price_cents,
        status=SeriesStatus.DRAFT,
        created_at=now,
        profile_position=await top_profile_position(session, creator.id),
    )
    session.add(series)
    await session.flush()
    return series


async def own_series(
    session: AsyncSession, creator: Account, series_id: int, *, lock: bool = False
) -> Series:
    """The creator's Series (NOT_FOUND for anyone else's: drafts stay unconfirmed)."""
    stmt = sa.select(Series).where(Series.id == series_id)
    if lock:  # episode counts and positions change one writer at a time
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    series = (await session.execute(stmt)).scalar_one_or_none()
    if series is None or series.creator_id != creator.id:
        raise NotFound("No such Series.", field=SERIES_FIELD)
    return series


def _require_draft(series: Series) -> None:
    if series.status is not SeriesStatus.DRAFT:
        raise DomainError(
            "Only a draft can change this way.", code=ErrorCode.SERIES_NOT_DRAFT, field=SERIES_FIELD
        )


async def update_series(
    session: AsyncSession,
    creator: Account,
    series_id: int,
    fields: SeriesFields,
    *,
    rules: Rules,
) -> Series:
    """Title, description and cover change any time; the price only while a draft."""
    series = await own_series(session, creator, series_id, lock=True)
    checked, problems = _check(fields, rules)
    if checked.price_cents is not None and series.status is not SeriesStatus.DRAFT:
        problems.append(Problem(
            ErrorCode.PRICE_FROZEN, "The price is fixed once a Series is published.",
            ("input", "priceCents"),
        ))  # fmt: skip
    if problems:
        raise DomainError.of(problems)
    if checked.title is not None:
        series.title = checked.title
    if checked.description is not None:
        series.description = checked.description
    if checked.cover_url is not None:
        series.cover_url = checked.cover_url or None
    if checked.price_cents is not None:
        series.price_cents = checked.price_cents
    await session.flush()
    return series


def _check_episode(
    title: str | None, duration: int | None, rules: Rules
) -> tuple[str | None, list[Problem]]:
    problems: list[Problem] = []
    if title is not None:
        title = _check_title(title, rules, problems)
    low, high = rules.episode_min_seconds, rules.episode_max_seconds
    if duration is not None and not low <= duration <= high:
        problems.append(Problem(
            ErrorCode.EPISODE_DURATION_OUT_OF_RANGE,
            f"An episode lasts {low} to {high} seconds (inclusive).",
            ("input", "durationSeconds"),
        ))  # fmt: skip
    return title, problems


async def add_episode(
    session: AsyncSession,
    creator: Account,
    series_id: int,
    *,
    title: str,
    duration_seconds: int,
    now: datetime,
    rules: Rules,
) -> SeriesEpisode:
    """Add an episode at the end: to a draft, or to a published Series (buyers get it too)."""
    series = await own_series(session, creator, series_id, lock=True)
    if series.status is SeriesStatus.ARCHIVED:
        raise DomainError(
            "An archived Series takes no new episodes.",
            code=ErrorCode.SERIES_NOT_DRAFT,
            field=SERIES_FIELD,
        )
    checked_title, problems = _check_episode(title, duration_seconds, rules)
    if problems:
        raise DomainError.of(problems)
    count = await episode_count(session, series.id)
    if count >= rules.series_max_episodes:
        raise DomainError(
            f"A Series holds at most {rules.series_max_episodes} episodes.",
            code=ErrorCode.SERIES_FULL,
            field=SERIES_FIELD,
        )
    episode = SeriesEpisode(
        series_id=series.id,
        position=count + 1,
        title=checked_title,
        duration_seconds=duration_seconds,
        media_key=secrets.token_hex(16),
        created_at=now,
    )
    session.add(episode)
    await session.flush()
    return episode


async def _own_episode(
    session: AsyncSession, creator: Account, episode_id: int
) -> tuple[Series, SeriesEpisode]:
    episode = await session.get(SeriesEpisode, episode_id)
    if episode is None:
        raise NotFound("No such episode.", field=EPISODE_FIELD)
    try:
        series = await own_series(session, creator, episode.series_id, lock=True)
    except NotFound:
        raise NotFound("No such episode.", field=EPISODE_FIELD) from None
    # Read it again under the Series lock: a concurrent removal may have won the lock first.
    episode = (
        await session.execute(
            sa.select(SeriesEpisode)
            .where(SeriesEpisode.id == episode_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if episode is None:
        raise NotFound("No such episode.", field=EPISODE_FIELD)
    return series, episode


async def update_episode(
    session: AsyncSession,
    creator: Account,
    episode_id: int,
    *,
    title: str | None,
    duration_seconds: int | None,
    rules: Rules,
) -> SeriesEpisode:
    series, episode = await _own_episode(session, creator, episode_id)
    _require_draft(series)
    checked_title, problems = _check_episode(title, duration_seconds, rules)
    if problems:
        raise DomainError.of(problems)
    if checked_title is not None:
        episode.title = checked_title
    if duration_seconds is not None:
        episode.duration_seconds = duration_seconds
    await session.flush()
    return episode


async def remove_episode(session: AsyncSession, creator: Account, episode_id: int) -> Series:
    series, episode = await _own_episode(session, creator, episode_id)
    _require_draft(series)
    await session.delete(episode)
    await session.flush()
    remaining = await episodes_of(session, series.id)
    await _renumber(session, [e.id for e in remaining])
    return series


async def reorder_episodes(
    session: AsyncSession, creator: Account, series_id: int, episode_ids: Sequence[int]
) -> Series:
    """Put a draft's episodes in the given order (every episode, each once)."""
    series = await own_series(session, creator, series_id, lock=True)
    _require_draft(series)
    current = [e.id for e in await episodes_of(session, series.id)]
    if sorted(current) != sorted(episode_ids) or len(set(episode_ids)) != len(episode_ids):
        raise DomainError(
            "List every episode of the Series exactly once.", field=("input", "episodeIds")
        )
    await _renumber(session, list(episode_ids))
    return series


async def _renumber(session: AsyncSession, ordered_ids: Sequence[int]) -> None:
    # Two steps, so no moment has two episodes at one position (a unique constraint).
    for step in (-1, 1):
        for position, episode_id in enumerate(ordered_ids, start=1):
            await session.execute(
                sa.update(SeriesEpisode)
                .where(SeriesEpisode.id == episode_id)
                .values(position=step * position)
                .execution_options(synchronize_session=False)
            )


async def publish_series(
    session: AsyncSession, creator: Account, series_id: int, *, now: datetime, rules: Rules
) -> Series:
    """DRAFT -> PUBLISHED: needs an episode; the price is fixed from now on."""
    await require_series_creator(session, creator, now=now, rules=rules)
    series = await own_series(session, creator, series_id, lock=True)
    _require_draft(series)
    if await episode_count(session, series.id) == 0:
        raise DomainError(
            "Add at least one episode before publishing.",
            code=ErrorCode.SERIES_EMPTY,
            field=SERIES_FIELD,
        )
    series.status = SeriesStatus.PUBLISHED
    series.published_at = now
    series.profile_position = await top_profile_position(session, creator.id)
    await session.flush()
    return series


async def archive_series(
    session: AsyncSession, creator: Account, series_id: int, *, now: datetime
) -> Series:
    """PUBLISHED -> ARCHIVED: no more sales; buyers keep access; videos stop linking it."""
    series = await own_series(session, creator, series_id, lock=True)
    if series.status is not SeriesStatus.PUBLISHED:
        raise DomainError(
            "Only a published Series can be archived.",
            code=ErrorCode.SERIES_NOT_PUBLISHED,
            field=SERIES_FIELD,
        )
    series.status = SeriesStatus.ARCHIVED
    series.archived_at = now
    # Under the Series' lock, which linking takes too: no link to it survives.
    await session.execute(
        sa.update(Video)
        .where(Video.series_id == series.id)
        .values(series_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return series


async def top_profile_position(session: AsyncSession, creator_id: int) -> int:
    """The place above every Series of the creator: where a new or newly published one goes."""
    highest = await session.scalar(
        sa.select(sa.func.max(Series.profile_position)).where(Series.creator_id == creator_id)
    )
    return int(highest or 0) + 1


# --- reading -------------------------------------------------------------------------------


async def episode_count(session: AsyncSession, series_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(SeriesEpisode)
    return int(await session.scalar(stmt.where(SeriesEpisode.series_id == series_id)) or 0)


async def episodes_of(session: AsyncSession, series_id: int) -> list[SeriesEpisode]:
    rows = await session.scalars(
        sa.select(SeriesEpisode)
        .where(SeriesEpisode.series_id == series_id)
        .order_by(SeriesEpisode.position)
    )
    return list(rows)


async def episodes_by_series(
    session: AsyncSession, series_ids: Sequence[int]
) -> dict[int, list[SeriesEpisode]]:
    rows = await session.scalars(
        sa.select(SeriesEpisode)
        .where(SeriesEpisode.series_id.in_(set(series_ids)))
        .order_by(SeriesEpisode.series_id, SeriesEpisode.position)
    )
    found: dict[int, list[SeriesEpisode]] = {i: [] for i in series_ids}
    for row in rows:
        found[row.series_id].append(row)
    return found


async def series_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Series]:
    rows = await session.scalars(sa.select(Series).where(Series.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def episodes_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, SeriesEpisode]:
    rows = await session.scalars(sa.select(SeriesEpisode).where(SeriesEpisode.id.in_(set(ids))))
    return {row.id: row for row in rows}


def _creator_list(creator_id: int, include_drafts: bool) -> sa.Select[Any]:
    stmt = sa.select(Series).where(Series.creator_id == creator_id)
    if not include_drafts:
        stmt = stmt.where(Series.status != SeriesStatus.DRAFT)
    return stmt


# The profile's order: highest position first, then newest first (a total order).
PROFILE_ORDER = (Series.profile_position, Series.id)


async def creator_series(
    session: AsyncSession, creator_id: int, request: PageRequest, *, include_drafts: bool
) -> Page[Series]:
    """A creator's Series in their profile order (drafts for the creator and staff only)."""
    return await paginate(
        session, _creator_list(creator_id, include_drafts), PROFILE_ORDER, request, descending=True
    )


async def profile_key(
    session: AsyncSession, creator_id: int, series_id: int
) -> tuple[int, int] | None:
    """Where one of the creator's Series stands in `creator_series` now (None if not theirs):
    a cursor given out when the list was keyed by id alone pages on from there."""
    position = await session.scalar(
        sa.select(Series.profile_position).where(
            Series.id == series_id, Series.creator_id == creator_id
        )
    )
    return None if position is None else (position, series_id)


async def creator_series_count(
    session: AsyncSession, creator_id: int, *, include_drafts: bool
) -> int:
    stmt = sa.select(sa.func.count()).select_from(
        _creator_list(creator_id, include_drafts).subquery()
    )
    return int(await session.scalar(stmt) or 0)
