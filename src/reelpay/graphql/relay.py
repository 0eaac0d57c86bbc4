"""Relay plumbing: opaque global IDs, the Node interface, cursors and connections.

We decode IDs and cursors ourselves so junk input is a clean error with a code instead of a
decoder message leaking out of a resolver.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from reelpay.errors import DomainError, ErrorCode
from reelpay.pagination import Key, Page, PageRequest
from reelpay.settings import Limits

T = TypeVar("T")
M = TypeVar("M")


class InvalidId(DomainError):
    code = ErrorCode.INVALID_ID


class InvalidCursor(DomainError):
    code = ErrorCode.INVALID_CURSOR


# Primary keys are 32-bit integers; larger numbers cannot name anything.
MAX_PK = 2**31 - 1


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _b64decode(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not base64") from exc


def encode_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(_b64encode(f"{type_name}:{pk}"))


def decode_id(value: str, field: Sequence[str] = ("id",)) -> tuple[str, int]:
    """(type name, primary key) of a global ID, or InvalidId."""
    try:
        type_name, _, raw_pk = _b64decode(value).partition(":")
        if not (type_name.isalpha() and raw_pk.isdigit() and len(raw_pk) <= 10):
            raise ValueError("bad shape")
        pk = int(raw_pk)
        if not 1 <= pk <= MAX_PK:
            raise ValueError("out of range")
        return type_name, pk
    except ValueError:
        raise InvalidId(f"{value[:64]!r} is not a valid ID.", field=field) from None


def decode_id_of(value: str, type_name: str, field: Sequence[str]) -> int:
    """The primary key of a global ID that must name a `type_name`."""
    found_type, pk = decode_id(value, field)
    if found_type != type_name:
        raise InvalidId(f"Expected the ID of a {type_name}.", field=field)
    return pk


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    db_id: strawberry.Private[int]

    @strawberry.field(description="Opaque global ID; pass it to `node(id:)` to fetch it again.")
    def id(self) -> strawberry.ID:
        return encode_id(type(self).__name__, self.db_id)


# --- cursors -------------------------------------------------------------------------------

KeyTypes = tuple[type, ...]


def encode_cursor(key: Key) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    return _b64encode(json.dumps(values, separators=(",", ":")))


# The cursors we give out are a few dozen characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 256
# What a database integer holds (SQLite INTEGER, PostgreSQL bigint).
INT64 = range(-(2**63), 2**63)


def decode_cursor(cursor: str, key_types: KeyTypes, argument: str) -> Key:
    """The key a cursor of ours holds, or InvalidCursor: checked down to values every
    database can hold, since a page loader batches keys and one bad key would fail them all."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        values = json.loads(_b64decode(cursor))
        if not isinstance(values, list) or len(values) != len(key_types):
            raise ValueError("wrong length")
        key: list[Any] = []
        for value, kind in zip(values, key_types, strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError("naive")
                key.append(parsed.astimezone(UTC))  # OverflowError past years 1 .. 9999
            elif kind is int and type(value) is int and value in INT64:
                key.append(value)
            else:
                raise ValueError("wrong type")
        return tuple(key)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise InvalidCursor(
            f"`{argument}` is not a cursor this list gave out.", field=(argument,)
        ) from None


def page_request(
    limits: Limits,
    key_types: KeyTypes,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """Validate Relay arguments: one of first/last in 1..max (default: first 20)."""
    if first is not None and last is not None:
        raise DomainError("Pass `first` or `last`, not both.", field=("last",))
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 1 <= size <= limits.max_page_size:
            raise DomainError(
                f"`{name}` must be between 1 and {limits.max_page_size}.", field=(name,)
            )
    if first is None and last is None:
        first = limits.default_page_size
    return PageRequest(
        first=first,
        after=decode_cursor(after, key_types, "after") if after is not None else None,
        last=last,
        before=decode_cursor(before, key_types, "before") if before is not None else None,
    )


# The Relay arguments of every connection field (`first: First = None` ...). The cap and the
# default are `Limits.max_page_size` and `Limits.default_page_size` (100 and 20).
First = Annotated[
    int | None,
    strawberry.argument(
        description="Return the first n items (after `after` if given): 1 to 100. With neither "
        "`first` nor `last`, the first 20. Outside 1..100, or with `last` too, the answer is an "
        "INVALID_INPUT error."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after this cursor (an `endCursor` or edge `cursor` this list gave "
        "out); anything else is INVALID_CURSOR."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Return the last n items (before `before` if given): 1 to 100; not with "
        "`first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="End before this cursor (a `startCursor` or edge `cursor` this list gave "
        "out); anything else is INVALID_CURSOR."
    ),
]


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow this page: fetch them with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Items come before this page: fetch them with `before: startCursor`."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first edge of the page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last edge of the page; null when the page is empty."
    )


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` or `before` to page from this item."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(
    description="A page of a list, in the list's order, with Relay cursors (at most 100 items "
    "a page)."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="How many items the whole list has (as you may see it), across all pages."
    )
    async def total_count(self) -> int:
        return await self.count()


def connection(
    page: Page[M],
    to_node: Callable[[M], T],
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    cursors = [encode_cursor(key) for key in page.keys]
    return Connection(
        edges=[
            Edge(cursor=c, node=to_node(item)) for c, item in zip(cursors, page.items, strict=True)
        ],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        count=count,
    )


async def paged(
    ctx: Any,
    key_types: KeyTypes,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    fetch: Callable[[Any, PageRequest], Awaitable[Page[M]]],
    count: Callable[[Any], Awaitable[int]],
    to_node: Callable[[M], T],
) -> Connection[T]:
    """A connection read through the operation's context: validate the Relay arguments,
    `fetch(session, request)` one page, `count(session)` only if `totalCount` is asked for."""
    request = page_request(
        ctx.settings.limits, key_types, first=first, after=after, last=last, before=before
    )
    page = await ctx.read(lambda session: fetch(session, request))
    return connection(page, to_node, lambda: ctx.read(count))
