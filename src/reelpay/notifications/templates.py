"""Texts of batched notifications, rendered in SQL inside the one upsert statement that starts
or grows the batch, from its new count and total (and, for a subject's title, a subquery)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa


class Slot(Enum):
    COUNT = "count"  # how many things the notification tells of
    TOTAL = "total"  # their sum, a plain integer (diamonds)
    USD = "usd"  # their sum in US cents, shown as "12.34 USD"


@dataclass(frozen=True)
class Plural:
    """`one` when the count (or the total, `of_total`) is 1, else `many`."""

    one: str
    many: str
    of_total: bool = False


Part = str | Slot | Plural | sa.ColumnElement[str]
Template = tuple[Part, ...]


def usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} USD"


def _text(value: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    return sa.cast(value, sa.String)


def as_sql(
    template: Template, count: sa.ColumnElement[int], total: sa.ColumnElement[int]
) -> sa.ColumnElement[str]:
    """`render` as a SQL expression over the count and total columns (SQLite, PostgreSQL)."""
    parts: list[sa.ColumnElement[str]] = []
    for part in template:
        if isinstance(part, str):
            parts.append(sa.literal(part, sa.String))
        elif isinstance(part, sa.ColumnElement):
            parts.append(part)
        elif isinstance(part, Plural):
            parts.append(
                sa.case(
                    ((total if part.of_total else count) == 1, sa.literal(part.one, sa.String)),
                    else_=sa.literal(part.many, sa.String),
                )
            )
        elif part is Slot.COUNT:
            parts.append(_text(count))
        elif part is Slot.TOTAL:
            parts.append(_text(total))
        else:
            cents = total % 100
            parts += [
                _text(total // 100),
                sa.literal(".", sa.String),
                sa.case((cents < 10, sa.literal("0", sa.String)), else_=sa.literal("")),
                _text(cents),
                sa.literal(" USD", sa.String),
            ]
    return _concat(parts)


def _concat(parts: list[sa.ColumnElement[str]]) -> sa.ColumnElement[str]:
    result = parts[0]
    for part in parts[1:]:
        result = result + part
    return result


def quoted(title: sa.ColumnElement[str], limit: int) -> sa.ColumnElement[str]:
    """A title in double quotes, cut to `limit` characters (ending "...")."""
    cut = sa.case(
        (sa.func.length(title) > limit, sa.func.substr(title, 1, limit - 3) + "..."),
        else_=title,
    )
    return sa.literal('"', sa.String) + cut + sa.literal('"', sa.String)
