"""The Starlette application: /graphql (GraphiQL in development), /healthz and /readyz."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from reelpay.accounts.passwords import Passwords
from reelpay.body_limit import BodyLimit
from reelpay.clock import Clock, SystemClock
from reelpay.db import create_engine, create_sessionmaker
from reelpay.events.broker import create_broker
from reelpay.graphql.context import AppServices
from reelpay.graphql.schema import build_schema
from reelpay.graphql.view import ReelpayGraphQL
from reelpay.payments.sandbox import create_provider
from reelpay.payouts.sandbox import create_payout_provider
from reelpay.series import access
from reelpay.settings import Settings
from reelpay.throttle import Throttle

log = logging.getLogger("reelpay")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
) -> Starlette:
    """Build the app; tests pass their own clock and engine."""
    settings = settings or Settings.from_env()
    engine = engine or create_engine(settings.database_url, pool_pre_ping=True)
    services = AppServices(
        settings=settings,
        clock=clock or SystemClock(),
        sessionmaker=create_sessionmaker(engine),
        passwords=Passwords(settings),
        payments=create_provider(settings.payment_provider),
        broker=create_broker(settings.database_url),
        payouts=create_payout_provider(settings.payout_provider),
        throttle=Throttle(settings.limits, settings.redis_url),
    )
    graphql = ReelpayGraphQL(
        build_schema(settings),
        services,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )

    async def media(request: Request) -> Response:
        """Episode content behind a signed, expiring link (see `series.access`)."""
        key = request.path_params["media_key"]
        problem = access.check_link(
            settings.secret_key,
            key,
            request.query_params.get("viewer"),
            request.query_params.get("expires"),
            request.query_params.get("sig"),
            now=services.clock.now(),
        )
        if problem is not None:
            return JSONResponse({"error": problem.value}, status_code=403)
        # The media store is out of scope here: we answer with what a CDN would serve.
        return Response(
            f"episode {key}".encode(),
            media_type="application/octet-stream",
            headers={"Cache-Control": "private, no-store"},
        )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception:
            log.warning("readiness check failed", exc_info=True)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await services.broker.close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/media/{media_key}", media),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
        middleware=[Middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes)],
    )
    app.state.services = services
    app.state.engine = engine
    return app
