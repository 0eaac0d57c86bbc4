"""Counting the SQL statements a server process sends, for statements-per-request figures.

Both bench servers register `count_statements` on their engine and expose the count on
`STATS_PATH`; the runner reads it before and after each timed run. With BENCH_TRACE_SQL=1 every
statement is also written to stderr (to see what a scenario runs).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

STATS_PATH = "/__bench/statements"


class StatementCounter:
    """How many statements went to the database (executemany counts once)."""

    def __init__(self) -> None:
        self.count = 0
        self.trace = os.environ.get("BENCH_TRACE_SQL") == "1"

    def before_cursor_execute(self, *args: Any) -> None:
        self.count += 1
        if self.trace:
            print(f"SQL {' '.join(str(args[2]).split())}", file=sys.stderr, flush=True)

    async def endpoint(self, _: Request) -> JSONResponse:
        return JSONResponse({"statements": self.count, "pid": os.getpid()})


def count_statements(engine: AsyncEngine) -> StatementCounter:
    """Count every statement `engine` executes from now on."""
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter.before_cursor_execute)
    return counter
