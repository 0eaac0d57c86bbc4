"""Reelpay exactly as `reelpay serve` builds it, plus the bench's statement counter.

Served by the runner with the options of `reelpay.cli._serve` (uvicorn, factory, proxy headers,
the WebSocket size limit), settings from the REELPAY_* environment as in production:

    uvicorn bench.reelpay_app:create_app --factory ...
"""

from __future__ import annotations

from bench.statements import STATS_PATH, count_statements
from starlette.applications import Starlette
from starlette.routing import Route

from reelpay import app


def create_app() -> Starlette:
    """`reelpay.app.create_app()` with `STATS_PATH` counting its engine's statements."""
    reelpay = app.create_app()
    counter = count_statements(reelpay.state.engine)
    reelpay.router.routes.append(Route(STATS_PATH, counter.endpoint))
    return reelpay
