"""Texts of batched notifications, rendered in SQL inside the one upsert statement that starts
or grows the batch, from its new count and total (and, for a subject's title, a subquery).

A template's SQL depends on its `shape` only (which parts are slots, plurals, texts or titles);
the texts and the titles' ids are bound parameters (`values`), so one statement per shape can be
built once and run with each event's values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute


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


@dataclass(frozen=True)
class Title:
    """The title of the row whose `key` is `id` (a video's, a LIVE's), as the statement reads
    it, in double quotes and cut to `limit` characters (ending "...")."""

    column: InstrumentedAttribute[str]
    key: InstrumentedAttribute[int]
    id: int
    limit: int


Part = str | Slot | Plural | Title
Template = tuple[Part, ...]


def usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} USD"


def _text(value: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    return sa.cast(value, sa.String)


def shape(template: Template) -> Template:
    """The template without its values (texts become "", titles' ids 0): what its SQL is."""
    return tuple(_without_value(part) for part in template)


def _without_value(part: Part) -> Part:
    if isinstance(part, str):
        return ""
    if isinstance(part, Title):
        return dataclasses.replace(part, id=0)
    return part


def values(template: Template) -> dict[str, Any]:
    """The bound parameters of `as_sql(template, ...)`: each text, each title's id."""
    return {
        _name(n): part.id if isinstance(part, Title) else part
        for n, part in enumerate(template)
        if isinstance(part, str | Title)
    }


def _name(n: int) -> str:
    return f"template_part_{n}"


def as_sql(
    template: Template, count: sa.ColumnElement[int], total: sa.ColumnElement[int]
) -> sa.ColumnElement[str]:
    """The template as a SQL expression over the count and total columns (SQLite,
    PostgreSQL); its texts and titles' ids are the bound parameters `values` names."""
    parts: list[sa.ColumnElement[str]] = []
    for n, part in enumerate(template):
        if isinstance(part, str):
            parts.append(sa.bindparam(_name(n), type_=sa.String))
        elif isinstance(part, Title):
            title = (
                sa.select(part.column)
                .where(part.key == sa.bindparam(_name(n), type_=sa.Integer))
                .scalar_subquery()
            )
            parts.append(_quoted(title, part.limit))
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


def _quoted(title: sa.ColumnElement[str], limit: int) -> sa.ColumnElement[str]:
    cut = sa.case(
        (sa.func.length(title) > limit, sa.func.substr(title, 1, limit - 3) + "..."),
        else_=title,
    )
    return sa.literal('"', sa.String) + cut + sa.literal('"', sa.String)
