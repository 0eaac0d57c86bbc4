"""Hypothesis strategies for Reelpay's custom scalars and IDs, as GraphQL value nodes.

Values are mostly well formed (so the operation reaches the resolvers) with the awkward ones
mixed in: the first and last representable dates, leap days, NaN and infinite decimals, IDs of
every Node type with small, zero, negative and huge keys, and text that is no ID at all.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone

import graphql
from hypothesis import strategies as st

AWKWARD_DATES = ["2028-02-29", "2026-02-29", "0001-01-01", "9999-12-31", "2026-13-01", "", "x"]
AWKWARD_DATETIMES = [
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2026-12-31T23:59:59",
    "2026-12-05T10:00:00+14:00",
    "2026-12-05T25:00:00Z",
    "",
]
AWKWARD_DECIMALS = ["NaN", "sNaN", "Infinity", "-Infinity", "1E+999999", "-0", "0.001", "1e2", "x"]
AWKWARD_KEYS = [0, -1, 2**31 - 1, 2**31, 2**63, 10**30]


def _string(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda value: graphql.StringValueNode(value=value))


def _encode(type_name: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def dates() -> st.SearchStrategy[str]:
    return st.one_of(st.dates().map(date.isoformat), st.sampled_from(AWKWARD_DATES))


def datetimes() -> st.SearchStrategy[str]:
    zones = st.sampled_from([UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))])
    return st.one_of(
        st.datetimes(timezones=zones).map(lambda d: d.isoformat().replace("+00:00", "Z")),
        st.datetimes().map(datetime.isoformat),
        st.sampled_from(AWKWARD_DATETIMES),
    )


def decimals() -> st.SearchStrategy[str]:
    money = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)
    return st.one_of(money.map(str), st.decimals().map(str), st.sampled_from(AWKWARD_DECIMALS))


def ids(node_types: list[str]) -> st.SearchStrategy[str]:
    keys = st.one_of(st.integers(min_value=1, max_value=60), st.sampled_from(AWKWARD_KEYS))
    return st.one_of(
        st.builds(_encode, st.sampled_from(sorted(node_types)), keys),
        st.builds(_encode, st.text(max_size=12), st.integers()),
        st.text(max_size=40),
    )


def node_types(schema: graphql.GraphQLSchema) -> list[str]:
    """Names of the object types that implement `Node`."""
    node = schema.get_type("Node")
    if not isinstance(node, graphql.GraphQLInterfaceType):
        return []
    return [t.name for t in schema.get_implementations(node).objects]


def custom_scalars(
    schema: graphql.GraphQLSchema,
) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies for Date, DateTime, Decimal and ID, keyed by scalar name."""
    return {
        "Date": _string(dates()),
        "DateTime": _string(datetimes()),
        "Decimal": _string(decimals()),
        "ID": _string(ids(node_types(schema))),
    }
