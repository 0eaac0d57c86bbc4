"""schemathesis hooks (SCHEMATHESIS_HOOKS=tools.fuzz.hooks, run from the repository root).

Registers strategies for Reelpay's custom scalars and global IDs, and two checks:
`no_server_error` (5xx, INTERNAL_SERVER_ERROR, or an error without a message or
extensions.code) and `no_database_leak` (database, driver or interpreter text in errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphql
import schemathesis
from tools.fuzz import scalars, verdict

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"

for _name, _strategy in scalars.custom_scalars(
    graphql.build_schema(SCHEMA.read_text(encoding="utf-8"))
).items():
    schemathesis.graphql.scalar(_name, _strategy)


def _sent(case: Any) -> str:
    """The request's text: its query and variables."""
    return f"{case.body!r}"


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx, no INTERNAL_SERVER_ERROR, every error with a message and extensions.code."""
    found = [
        p
        for p in verdict.problems(response.status_code, response.content, _sent(case))
        if not p.startswith("leaks ")
    ]
    if found:
        raise AssertionError("; ".join(found))


@schemathesis.check
def no_database_leak(ctx: Any, response: Any, case: Any) -> None:
    """No database, driver or interpreter message in any error."""
    found = [
        p
        for p in verdict.problems(response.status_code, response.content, _sent(case))
        if p.startswith("leaks ")
    ]
    if found:
        raise AssertionError("; ".join(found))
