"""Notifying a user, listing their notifications and marking them read."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.db import insert_for
from reelpay.notifications import templates
from reelpay.notifications.models import Notification, NotificationKind
from reelpay.notifications.templates import Template
from reelpay.pagination import Key, Page, PageRequest, paginate

# The list's order: newest change first (a batch rises each time it grows).
ORDER = (Notification.updated_at, Notification.id)


@dataclass(frozen=True)
class Note:
    """One notification to write with others (`notify_all`)."""

    account_id: int
    kind: NotificationKind
    title: str
    body: str
    data: dict[str, Any]


def _columns(note: Note, now: datetime) -> dict[str, Any]:
    return {
        "account_id": note.account_id, "kind": note.kind, "title": note.title[:200],
        "body": note.body[:1000], "data": note.data, "created_at": now, "updated_at": now,
        "batch_key": None, "read_at": None,
    }  # fmt: skip


async def notify(
    session: AsyncSession,
    account_id: int,
    kind: NotificationKind,
    *,
    title: str,
    body: str,
    data: dict[str, Any],
    now: datetime,
) -> Notification:
    notification = Notification(**_columns(Note(account_id, kind, title, body, data), now))
    session.add(notification)
    await session.flush()
    return notification


async def notify_all(session: AsyncSession, notes: Sequence[Note], *, now: datetime) -> None:
    """The rows `notify` writes for each note, in their order, in one statement (an
    executemany: one INSERT of several rows on PostgreSQL); their IDs are not read back."""
    if notes:
        await session.execute(sa.insert(Notification), [_columns(n, now) for n in notes])


async def notify_batched(
    session: AsyncSession,
    account_id: int,
    kind: NotificationKind,
    *,
    batch_key: str,
    title: str,
    body: Template,
    data: dict[str, Any],
    count: int,
    total: int,
    now: datetime,
) -> None:
    """Add `count` things worth `total` to the account's notification for `batch_key`, or
    start it: one statement either way. It is rewritten from the new count and total
    (`body`), takes `title` and `data` (what the latest event says), is unread again and
    moves to the top of the list; `created_at` stays the first event's."""
    stmt = _batch_upsert(session.get_bind().dialect.name, templates.shape(body))
    await session.execute(
        stmt,
        {
            **templates.values(body),
            "new_account_id": account_id,
            "new_kind": kind,
            "new_title": title[:200],
            "new_data": data,
            "new_at": now,
            "new_batch_key": batch_key,
            "new_count": count,
            "new_total": total,
        },
    )


@functools.cache
def _batch_upsert(dialect: str, body: Template) -> Any:
    """The upsert of `notify_batched` for one body shape (one per call site), built once per
    dialect: building it and its cache key anew cost a money write more CPU than running it,
    and while the creator's rows were locked."""
    column = Notification.__table__.c
    count = sa.bindparam("new_count", type_=column.count.type)
    total = sa.bindparam("new_total", type_=column.total.type)
    at = sa.bindparam("new_at", type_=column.created_at.type)
    stmt = insert_for(dialect, Notification).values(
        account_id=sa.bindparam("new_account_id", type_=column.account_id.type),
        kind=sa.bindparam("new_kind", type_=column.kind.type),
        title=sa.bindparam("new_title", type_=column.title.type),
        body=templates.as_sql(body, count, total),
        data=sa.bindparam("new_data", type_=column.data.type),
        created_at=at,
        updated_at=at,
        batch_key=sa.bindparam("new_batch_key", type_=column.batch_key.type),
        count=count,
        total=total,
    )
    new_count = Notification.count + stmt.excluded.count
    new_total = Notification.total + stmt.excluded.total
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "batch_key"],
        set_={
            "count": new_count,
            "total": new_total,
            "title": stmt.excluded.title,
            "body": templates.as_sql(body, new_count, new_total),
            "data": stmt.excluded.data,
            "updated_at": stmt.excluded.updated_at,
            "read_at": None,
        },
    )


async def page(
    session: AsyncSession, account_id: int, request: PageRequest, *, unread_only: bool = False
) -> Page[Notification]:
    """Newest first."""
    stmt = sa.select(Notification).where(Notification.account_id == account_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await paginate(session, stmt, list(ORDER), request, descending=True)


async def count(session: AsyncSession, account_id: int, *, unread_only: bool = False) -> int:
    stmt = sa.select(sa.func.count()).select_from(Notification)
    stmt = stmt.where(Notification.account_id == account_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def mark_read(
    session: AsyncSession, account_id: int, ids: Sequence[int] | None, *, now: datetime
) -> list[int]:
    """Mark the account's notifications read (all of them when `ids` is None); returns the IDs
    of those that changed. IDs of other people's notifications change nothing."""
    stmt = (
        sa.update(Notification)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(set(ids)))
    result = await session.execute(stmt.returning(Notification.id))
    return [found for (found,) in result.all()]


async def newest(session: AsyncSession, ids: Sequence[int], limit: int) -> list[Notification]:
    """At most `limit` of these notifications, newest first (as `page` lists them)."""
    stmt = sa.select(Notification).where(Notification.id.in_(set(ids)))
    order = [column.desc() for column in ORDER]
    return list(await session.scalars(stmt.order_by(*order).limit(limit)))


async def cursor_key(session: AsyncSession, account_id: int, notification_id: int) -> Key | None:
    """The list key of one of the account's notifications (for cursors given out when the
    list was keyed by the id alone), or None."""
    row = (
        await session.execute(
            sa.select(*ORDER).where(
                Notification.id == notification_id, Notification.account_id == account_id
            )
        )
    ).one_or_none()
    return None if row is None else tuple(row)
