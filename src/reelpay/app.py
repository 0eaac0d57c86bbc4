"""The Starlette application: /graphql (GraphiQL and its /graphiql/ files in development),
/healthz and /readyz."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from reelpay import providers
from reelpay.accounts.passwords import Passwords
from reelpay.body_limit import BodyLimit
from reelpay.clock import Clock, SystemClock
from reelpay.db import create_engine, create_sessionmaker, is_unavailable
from reelpay.events.broker import create_broker
from reelpay.graphql.context import AppServices
from reelpay.graphql.errors import RETRY_AFTER_SECONDS, brief
from reelpay.graphql.playground import assets as playground_assets
from reelpay.graphql.schema import build_schema
from reelpay.graphql.view import ReelpayGraphQL, bearer
from reelpay.origins import development_origins
from reelpay.payments import webhooks
from reelpay.payments.webhook_events import InvalidWebhook, ProviderEvent
from reelpay.payouts import processing as payout_processing
from reelpay.series import access, playback
from reelpay.settings import Settings
from reelpay.throttle import RequestThrottle, Throttle

log = logging.getLogger("reelpay")

# /readyz answers within this, whatever the database does (a load balancer's probe gives up
# after a few seconds, and a hung database must not tie up its requests).
READINESS_TIMEOUT_SECONDS = 1.0
# Every /media answer: paid content (and whether someone may play it) is never cached.
NO_STORE = {"Cache-Control": "private, no-store"}


def refused(status: int, error: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A /media refusal: `{"error": CODE}`, never cached."""
    return JSONResponse(
        {"error": error}, status_code=status, headers={**NO_STORE, **(headers or {})}
    )


class DatabaseProbe:
    """Whether the database answers `SELECT 1` within READINESS_TIMEOUT_SECONDS.

    One check runs at a time; probes arriving meanwhile wait for the same one. A check past its
    time is cancelled and not waited for: against a hung server SQLAlchemy takes a while to
    close the half-open connection, which it does in the background, leaving the pool as it was.
    The next probe starts a fresh check.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._check: asyncio.Future[None] | None = None
        self._running: set[asyncio.Future[None]] = set()  # cancelled ones still closing too

    async def problem(self) -> str | None:
        """None if the database answered in time; otherwise why not (for the log)."""
        if self._check is None or self._check.done():
            self._check = asyncio.ensure_future(self._select_one())
            self._running.add(self._check)
            self._check.add_done_callback(self._settled)
        check = self._check
        await asyncio.wait({check}, timeout=READINESS_TIMEOUT_SECONDS)
        if not check.done() or check.cancelled():
            check.cancel()  # (another probe may have given up on it already)
            if self._check is check:
                self._check = None
            return f"no answer within {READINESS_TIMEOUT_SECONDS:g} s"
        error = check.exception()
        if error is None:
            return None
        if not is_unavailable(error):
            # Not a database that is down: a bug, or a misconfiguration, worth a traceback.
            log.warning("readiness check failed unexpectedly", exc_info=error)
        return brief(error)

    async def _select_one(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    def _settled(self, check: asyncio.Future[None]) -> None:
        self._running.discard(check)
        if not check.cancelled():
            check.exception()  # retrieved: a check every probe gave up on is not "lost"

    async def close(self) -> None:
        """Stop the checks still running (the server is shutting down)."""
        for check in self._running:
            check.cancel()
        if self._running:
            await asyncio.wait(set(self._running))


def tune_gc(young_threshold: int) -> None:
    """Set up the collector for serving: what start-up built (the schema, the models, the
    imported modules) lives as long as the process, so it is frozen out of every later
    collection, and young collections run every `young_threshold` allocations (0: Python's
    default) instead of every 700."""
    gc.collect()
    gc.freeze()
    if young_threshold:
        gc.set_threshold(young_threshold, *gc.get_threshold()[1:])


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
) -> Starlette:
    """Build the app; tests pass their own clock and engine."""
    settings = settings or Settings.from_env()
    engine = engine or create_engine(
        settings.database_url, limits=settings.limits, pool_pre_ping=True
    )
    connect = providers.stripe_connect(settings)
    paypal = providers.paypal_payouts(settings)
    services = AppServices(
        settings=settings,
        clock=clock or SystemClock(),
        sessionmaker=create_sessionmaker(engine),
        passwords=Passwords(settings),
        payments=providers.payment_provider(settings),
        broker=create_broker(settings.database_url, settings.limits),
        payouts=providers.payout_provider(settings, connect=connect, paypal=paypal),
        connect=connect,
        throttle=Throttle(settings.limits, settings.redis_url),
    )
    graphql = ReelpayGraphQL(
        build_schema(settings),
        services,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )

    async def media(request: Request) -> Response:
        """Episode content behind a playback link, for the session it was issued to (its
        `Authorization: Bearer` token), while that session may play it (see `series.playback`)."""
        key, now = request.path_params["media_key"], services.clock.now()
        token, malformed = bearer(request.headers.get("authorization"))
        if token is None or malformed:
            return refused(401, playback.UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"})
        problem = access.check_link(
            settings.secret_key,
            key,
            token,
            request.query_params.get("expires"),
            request.query_params.get("sig"),
            now=now,
        )
        if problem is not None:
            return refused(403, problem.value)
        try:
            async with services.sessionmaker() as session:
                answer = await playback.episode_access(session, token=token, media_key=key, now=now)
        except Exception as error:
            if not is_unavailable(error):
                raise
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return refused(503, "SERVICE_UNAVAILABLE", retry)
        if answer.error is not None:
            return refused(answer.status, answer.error)
        # The media store is out of scope here: we answer with what a CDN would serve.
        return Response(
            f"episode {key}".encode(), media_type="application/octet-stream", headers=NO_STORE
        )

    stripe_events = providers.stripe_webhooks(settings, services.payments)

    async def stripe_webhook(request: Request) -> Response:
        """Stripe's events (register https://<host>/webhooks/stripe; see the README)."""
        if stripe_events is None:
            return JSONResponse({"error": "NOT_CONFIGURED"}, status_code=404)
        try:
            event = stripe_events.parse_webhook(
                await request.body(), request.headers.get("stripe-signature")
            )
        except InvalidWebhook:
            return JSONResponse({"error": "INVALID_SIGNATURE"}, status_code=400)
        return await _handled(
            event,
            lambda: webhooks.handle_stripe(
                services.sessionmaker, services.payments, event, now=services.clock.now(),
                settings=settings, publish=services.broker.publish,
            ),
        )  # fmt: skip

    async def paypal_webhook(request: Request) -> Response:
        """PayPal's payout events (register https://<host>/webhooks/paypal)."""
        if paypal is None:
            return JSONResponse({"error": "NOT_CONFIGURED"}, status_code=404)
        try:
            event = await paypal.parse_webhook(await request.body(), request.headers)
        except InvalidWebhook:
            return JSONResponse({"error": "INVALID_SIGNATURE"}, status_code=400)
        return await _handled(
            event,
            lambda: payout_processing.handle_paypal(
                services.sessionmaker, paypal, event, now=services.clock.now(),
                publish=services.broker.publish,
            ),
        )  # fmt: skip

    async def _handled(event: ProviderEvent, handle: Callable[[], Awaitable[str]]) -> Response:
        """2xx once handled (or a replay); 503 when the database is down (the provider sends
        it again later). Any other failure is a 500 the provider also retries."""
        try:
            outcome = await handle()
        except Exception as error:
            if not is_unavailable(error):
                raise
            return JSONResponse(
                {"error": "SERVICE_UNAVAILABLE"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        log.info("%s event %s (%s): %s", event.provider, event.id, event.type, outcome)
        return JSONResponse({"received": True, "outcome": outcome})

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    probe = DatabaseProbe(engine)

    async def readyz(_: Request) -> JSONResponse:
        problem = await probe.problem()
        if problem is not None:
            log.warning("not ready: the database is unavailable (%s)", problem)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_gc(settings.limits.gc_young_threshold)
        yield
        await probe.close()
        await services.broker.close()
        clients = [services.payments, connect, paypal]
        if stripe_events is not services.payments:  # its own client only when payments isn't
            clients.append(stripe_events)
        for client in clients:
            close = getattr(client, "aclose", None)  # the providers' HTTP connections
            if close is not None:
                await close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/media/{media_key}", media),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
            Route("/webhooks/paypal", paypal_webhook, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # GraphiQL's own files, for the page at GET /graphql (outside production only).
            *([] if settings.is_production else playground_assets.routes()),
        ],
        lifespan=lifespan,
        middleware=[
            # Outermost first. CORS answers preflights and labels every answer (a 413 or a 429
            # too, so a browser app can read why it was refused); then a flood is refused
            # before any body is read.
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_origin_regex=development_origins(settings),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept"],
                # Cookies and Authorization from listed origins only, never from "*".
                allow_credentials="*" not in settings.cors_origins,
                expose_headers=["Retry-After"],
                max_age=600,
            ),
            Middleware(
                RequestThrottle,
                throttle=lambda: services.throttle,
                max_in_flight=settings.limits.requests_in_flight_per_address,
            ),
            Middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes),
        ],
    )
    app.state.services = services
    app.state.engine = engine
    return app
