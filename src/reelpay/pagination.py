"""Keyset (cursor) pagination over SQLAlchemy selects, for one list or many lists at once.

A page is read as `WHERE (k1, k2) < (:k1, :k2) ORDER BY k1 DESC, k2 DESC LIMIT n + 1`: the extra
row tells whether another page exists, and the cost does not grow with the page number. Keys must
be unique together (end them with the primary key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

T = TypeVar("T")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class PageRequest:
    """`first` items after `after`, or the `last` items before `before` (exactly one size)."""

    first: int | None = None
    after: Key | None = None
    last: int | None = None
    before: Key | None = None

    def __post_init__(self) -> None:
        if (self.first is None) == (self.last is None):
            raise ValueError("a PageRequest has exactly one of first and last")

    @property
    def size(self) -> int:
        return self.first if self.first is not None else self.last  # type: ignore[return-value]

    @property
    def backwards(self) -> bool:
        return self.last is not None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    keys: list[Key]
    has_next_page: bool
    has_previous_page: bool


def bounded(
    stmt: sa.Select[Any],
    key_cols: Sequence[InstrumentedAttribute[Any]],
    request: PageRequest,
    descending: bool,
) -> tuple[sa.Select[Any], list[Any]]:
    """Add the cursor conditions and return the order to read rows in."""
    cols = sa.tuple_(*key_cols)
    # Moving "after" means moving in the list's order; "before" against it.
    if request.after is not None:
        stmt = stmt.where(
            cols < sa.tuple_(*request.after) if descending else cols > sa.tuple_(*request.after)
        )
    if request.before is not None:
        stmt = stmt.where(
            cols > sa.tuple_(*request.before) if descending else cols < sa.tuple_(*request.before)
        )
    read_descending = descending != request.backwards
    order = [c.desc() if read_descending else c.asc() for c in key_cols]
    return stmt, order


def page_of(
    rows: list[Any], key_cols: Sequence[InstrumentedAttribute[Any]], request: PageRequest
) -> Page[Any]:
    """The page of `rows`, read in `bounded`'s order, one more than the page size."""
    more = len(rows) > request.size
    rows = rows[: request.size]
    if request.backwards:
        rows.reverse()
    keys = [tuple(getattr(row, col.key) for col in key_cols) for row in rows]
    if request.backwards:
        return Page(rows, keys, has_next_page=request.before is not None, has_previous_page=more)
    return Page(rows, keys, has_next_page=more, has_previous_page=request.after is not None)


async def paginate(
    session: AsyncSession,
    stmt: sa.Select[Any],
    key_cols: Sequence[InstrumentedAttribute[Any]],
    request: PageRequest,
    *,
    descending: bool,
) -> Page[Any]:
    """One page of the entities `stmt` selects, ordered by `key_cols`."""
    stmt, order = bounded(stmt, key_cols, request, descending)
    rows = list(await session.scalars(stmt.order_by(*order).limit(request.size + 1)))
    return page_of(rows, key_cols, request)


async def paginate_groups(
    session: AsyncSession,
    stmt: sa.Select[Any],
    entity: type[Any],
    group_col: InstrumentedAttribute[Any],
    group_ids: Sequence[Any],
    key_cols: Sequence[InstrumentedAttribute[Any]],
    request: PageRequest,
    *,
    descending: bool,
) -> dict[Any, Page[Any]]:
    """The same page of many lists (one per group id) in one query, with a window function.

    One list (a profile's videos, one account's followers) is a plain ORDER BY ... LIMIT, which
    walks the index and stops, where the window function ranks every row of the group first.
    """
    if not group_ids:
        return {}
    if len(set(group_ids)) == 1:
        (group,) = set(group_ids)
        page = await paginate(
            session, stmt.where(group_col == group), key_cols, request, descending=descending
        )
        return {group: page}
    stmt, order = bounded(stmt.where(group_col.in_(set(group_ids))), key_cols, request, descending)
    rank = sa.func.row_number().over(partition_by=group_col, order_by=order).label("_rank")
    ranked = stmt.add_columns(rank).subquery()
    row_entity = aliased(entity, ranked)
    result = await session.execute(
        sa.select(row_entity)
        .where(ranked.c._rank <= request.size + 1)
        .order_by(ranked.c[group_col.key], ranked.c._rank)
    )
    rows_by_group: dict[Any, list[Any]] = {group: [] for group in group_ids}
    for row in result.scalars():
        rows_by_group[getattr(row, group_col.key)].append(row)
    return {group: page_of(rows, key_cols, request) for group, rows in rows_by_group.items()}
