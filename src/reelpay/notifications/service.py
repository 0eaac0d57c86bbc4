"""Notifying a user, listing their notifications and marking them read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.notifications.models import Notification, NotificationKind
from reelpay.pagination import Page, PageRequest, paginate


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
    notification = Notification(
        account_id=account_id, kind=kind, title=title[:200], body=body[:1000], data=data,
        created_at=now,
    )  # fmt: skip
    session.add(notification)
    await session.flush()
    return notification


async def page(
    session: AsyncSession, account_id: int, request: PageRequest, *, unread_only: bool = False
) -> Page[Notification]:
    """Newest first."""
    stmt = sa.select(Notification).where(Notification.account_id == account_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await paginate(session, stmt, [Notification.id], request, descending=True)


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
    return list(await session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))
