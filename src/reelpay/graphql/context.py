"""Per-operation context: one database session, the viewer, the clock and the DataLoaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay import db, events
from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.accounts.passwords import Passwords
from reelpay.clock import Clock, SandboxClock
from reelpay.errors import Unauthenticated
from reelpay.events.broker import Broker
from reelpay.payments.provider import PaymentProvider
from reelpay.payouts.provider import PayoutProvider
from reelpay.sandbox import service as sandbox
from reelpay.settings import Settings
from reelpay.throttle import Throttle

if TYPE_CHECKING:
    from reelpay.graphql.loaders import Loaders

T = TypeVar("T")
log = logging.getLogger("reelpay.graphql")
# Which operation's session the running task holds (see `Context._locked`).
_holding: ContextVar[object] = ContextVar("reelpay_holding_session", default=None)


@dataclass
class AppServices:
    """What every request shares: built once by the app."""

    settings: Settings
    clock: Clock
    sessionmaker: async_sessionmaker[AsyncSession]
    passwords: Passwords
    payments: PaymentProvider
    broker: Broker
    payouts: PayoutProvider
    throttle: Throttle
    # Stripe Connect when bank payouts go through it (onboarding links, account status).
    connect: Any = None

    def __post_init__(self) -> None:
        # Outside production time is the given clock plus the shared sandbox offset (read by
        # each operation, see `Context.start`); production always reads the given clock.
        base = self.clock.base if isinstance(self.clock, SandboxClock) else self.clock
        if not self.settings.sandbox_clock_enabled:
            self.clock = base
        elif not isinstance(self.clock, SandboxClock):
            self.clock = SandboxClock(base)


@dataclass
class Context:
    services: AppServices
    token: str | None
    malformed_auth: bool
    request: Any = None
    response: Any = None
    # graphql-transport-ws: the `connection_init` payload (strawberry sets it)
    connection_params: dict[str, Any] | None = None
    # Operations arrive over HTTP (one per request) or over a WebSocket (subscriptions too).
    over_websocket: bool = False
    now: datetime = field(init=False)
    # How far the sandbox clock is ahead in `now` (always zero in production).
    sandbox_offset: timedelta = field(default=timedelta(0), init=False)
    _session: AsyncSession | None = field(default=None, init=False)
    # One AsyncSession allows one statement at a time, but GraphQL resolves sibling fields
    # concurrently: every database call goes through this lock.
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    # Work still running (database work, DataLoader futures; see `track`), and whether the
    # operation is over.
    _work: set[asyncio.Future[Any]] = field(default_factory=set, init=False)
    _closed: bool = field(default=False, init=False)
    _closing: asyncio.Future[None] | None = field(default=None, init=False)
    # Marks the tasks working on this operation's session (see `_locked`): a token, not the
    # Context itself, since connections opened meanwhile keep a copy of the task's variables.
    _mark: object = field(default_factory=object, init=False)
    _viewer: asyncio.Task[Account | None] | None = field(default=None, init=False)
    _loaders: Loaders | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.now = self.services.clock.now()

    async def start(self) -> None:
        """Before resolvers run: outside production, read the shared sandbox offset (one
        primary-key SELECT on the operation's session) so `now` is the sandbox clock's."""
        if not isinstance(self.services.clock, SandboxClock):
            return
        try:
            offset = await self.read(sandbox.read_offset)
        except Exception as error:
            if not db.is_unavailable(error):
                raise
            # The fields that need the database report it (SERVICE_UNAVAILABLE) as usual; the
            # time is the last offset this process read.
            log.warning("the sandbox clock is unreadable (%s)", type(error).__name__)
            await self.release()
            return
        self.observe_sandbox_offset(offset)

    def observe_sandbox_offset(self, offset: timedelta) -> None:
        """`now` from here on includes `offset` (or a larger one this process read since)."""
        clock = self.services.clock
        if isinstance(clock, SandboxClock):
            clock.observe(offset)
            self.sandbox_offset = clock.offset
            self.now = clock.now()

    def for_operation(self) -> Context:
        """A fresh context for one operation: its own session, clock reading and loaders.

        Over a WebSocket strawberry shares one context between every operation of the
        connection; each operation still gets its own (see `OperationScope`).
        """
        token, malformed = self.token, self.malformed_auth
        if self.connection_params is not None:
            token, malformed = token_from_params(self.connection_params)
        return Context(
            self.services,
            token=token,
            malformed_auth=malformed,
            request=self.request,
            response=self.response,
            connection_params=self.connection_params,
            over_websocket=self.over_websocket,
        )

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def client_address(self) -> str:
        """Where the request comes from (behind a proxy: what uvicorn's proxy headers say)."""
        client = getattr(self.request, "client", None)
        return client.host if client is not None else "unknown"

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from reelpay.graphql.loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    def _session_now(self) -> AsyncSession:
        if self._closed:
            raise OperationOver("The operation is over; its session is closed.")
        if self._session is None:
            self._session = self.services.sessionmaker()
        return self._session

    async def _to_completion(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run database work to its end even if the resolver awaiting it is cancelled.

        graphql-core cancels the sibling resolvers of a non-null field that fails. A statement
        cut off half way leaves its connection broken (SQLite closes it, asyncpg is left mid
        protocol and the pool fails to reset it), and the next use of the session fails. So the
        work runs in a task of its own, shielded; `close` waits for every such task.
        """
        task = asyncio.ensure_future(work())
        self.track(task)
        return await shielded(task)

    def track(self, work: asyncio.Future[Any]) -> None:
        """Count `work` as the operation's until it settles: `close` waits for it. Its failure
        is retrieved here, so one nobody awaits any more (its resolver was cancelled) is not
        reported as lost; whoever still awaits it gets it as usual."""
        if work.done() or work in self._work:
            return
        self._work.add(work)
        work.add_done_callback(self._settled)

    def _settled(self, work: asyncio.Future[Any]) -> None:
        self._work.discard(work)
        if not work.cancelled():
            work.exception()

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read on the operation's session, one statement at a time."""

        async def locked() -> T:
            async with self._locked() as session:
                return await work(session)

        return await self._to_completion(locked)

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[AsyncSession]:
        """The session, to this caller alone. Asking for it again from inside would wait for
        itself forever: refused instead."""
        if _holding.get() is self._mark:
            raise RuntimeError("a database call inside another one of the same operation")
        async with self._lock:
            holding = _holding.set(self._mark)
            try:
                yield self._session_now()
            finally:
                _holding.reset(holding)

    async def write(
        self,
        work: Callable[[AsyncSession, Account | None], Awaitable[T]],
        *,
        anonymous: bool = False,
    ) -> T:
        """Run `work` in its own write transaction with the viewer loaded inside it.

        Committed when it returns, rolled back when it raises (retried on conflicts).
        `anonymous` ignores any token: signing up or logging in must work with a stale one.
        """

        async def locked() -> T:
            async with self._locked() as session:

                async def attempt() -> T:
                    viewer = None if anonymous else await self._authenticate(session)
                    self._set_viewer(viewer)
                    return await work(session, viewer)

                try:
                    result = await db.run_write(session, attempt)
                except BaseException:
                    # The rollback expired the viewer read inside it: the next field of this
                    # operation authenticates again instead of touching an expired row.
                    self.forget_viewer()
                    raise
                finally:
                    self._loaders = None  # what the loaders cached may have changed
                await self.services.broker.publish(events.take(session))
                return result

        return await self._to_completion(locked)

    async def write_logged_in(self, work: Callable[[AsyncSession, Account], Awaitable[T]]) -> T:
        """`write` for a logged-in viewer: authenticated inside the transaction, so a mutation
        needs no read before it (no second transaction, no second connection).

        UNAUTHENTICATED comes before anything `work` checks; without a token (or with a
        malformed header) it costs no transaction at all.
        """
        if self.token is None or self.malformed_auth:
            logged_in(await self.viewer())  # raises, and reads nothing
        return await self.write(lambda session, viewer: work(session, logged_in(viewer)))

    async def write_as_system(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """A write on the platform's behalf (bookkeeping), whatever the viewer's token says."""
        return await self.write(lambda session, _viewer: work(session), anonymous=True)

    async def viewer(self) -> Account | None:
        """The logged-in account (None when anonymous); a bad token is UNAUTHENTICATED."""
        if self._viewer is None:
            self._viewer = asyncio.ensure_future(self.read(self._authenticate))
            self.track(self._viewer)
        # Every field shares this future: one cancelled waiter must not cancel it for the rest.
        return await shielded(self._viewer)

    async def require_viewer(self) -> Account:
        return logged_in(await self.viewer())

    def forget_viewer(self) -> None:
        """Authenticate again on the next use (a long subscription checks its token)."""
        self._viewer = None

    def act_as(self, viewer: Account) -> None:
        """From now on this operation sees `viewer` as logged in (after sign-up and log-in)."""
        self._set_viewer(viewer)

    def _set_viewer(self, viewer: Account | None) -> None:
        future: asyncio.Future[Account | None] = asyncio.get_running_loop().create_future()
        future.set_result(viewer)
        self._viewer = future  # type: ignore[assignment]

    async def _authenticate(self, session: AsyncSession) -> Account | None:
        if self.malformed_auth:
            raise Unauthenticated("The Authorization header must be `Bearer <token>`.")
        if self.token is None:
            return None
        account = await accounts.authenticate(session, self.token, now=self.now)
        if account is None:
            raise Unauthenticated("The session token is invalid, expired or revoked.")
        return account

    async def release(self, *, new_instant: bool = False) -> None:
        """Give the connection back (before a payment call, between subscription events).

        The viewer is kept; the next read opens a new session. `new_instant` also reads the
        clock again, for a long subscription whose events happen at different times.
        """

        async def give_back() -> None:
            async with self._lock:
                if self._session is not None:
                    session, self._session = self._session, None
                    await session.close()

        await self._to_completion(give_back)  # a subscription cancelled meanwhile included
        self._loaders = None
        if new_instant:
            self.now = self.services.clock.now()
            if isinstance(self.services.clock, SandboxClock):
                # Read on a session of its own, closed at once: none is held between events.
                async def offset() -> timedelta:
                    async with self.services.sessionmaker() as session:
                        return await sandbox.read_offset(session)

                self.observe_sandbox_offset(await self._to_completion(offset))

    async def own_events(
        self, channel_of: Callable[[int], str]
    ) -> AsyncGenerator[tuple[Account, dict[str, Any]], None]:
        """The viewer's events on their channel, with the viewer, for as long as their
        session stays valid: revoking it (`logOut`, on any worker) ends the stream at once
        with UNAUTHENTICATED. No connection is held between events."""
        viewer = await self.require_viewer()
        own, sessions = channel_of(viewer.id), events.sessions_channel(viewer.id)
        async with self.services.broker.subscribe(own, sessions) as subscriber:
            while True:
                await self.release(new_instant=True)
                payload = await subscriber.next()
                self.forget_viewer()
                viewer = await self.require_viewer()  # a revocation ends the stream here
                if payload != events.SESSIONS_REVOKED:
                    yield viewer, payload

    async def close(self) -> None:
        """End the operation: refuse new database work (`OperationOver`), wait for the work
        still running (what resolvers graphql-core cancelled had started), then close the
        session. Cancelling `close` itself (a server shutting down, a socket torn down) does
        not cut that short: it goes on in a task of its own."""
        self._closed = True
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._drain_and_close())
        await asyncio.shield(self._closing)

    async def _drain_and_close(self) -> None:
        while self._work:  # what settles may start more (a batch loading the next one)
            await asyncio.wait(set(self._work))  # never cancels them; `_settled` retrieves
        if self._session is not None:
            session, self._session = self._session, None
            try:
                await session.close()
            except Exception:
                # The answer is computed; a connection that cannot be returned cleanly is
                # the pool's to discard, not the client's problem.
                log.exception("closing the operation's database session failed")


class OperationOver(RuntimeError):
    """Database work asked for after its operation ended (only orphaned work can)."""


def logged_in(viewer: Account | None) -> Account:
    """The viewer, or UNAUTHENTICATED when nobody is logged in."""
    if viewer is None:
        raise Unauthenticated("Log in first: send `Authorization: Bearer <token>`.")
    return viewer


def token_from_params(params: dict[str, Any]) -> tuple[str | None, bool]:
    """The bearer token in a WebSocket `connection_init` payload: `{"authorization": "Bearer
    <token>"}` (as an HTTP header) or `{"token": "<token>"}`."""
    from reelpay.graphql.view import bearer

    header = params.get("authorization", params.get("Authorization"))
    if isinstance(header, str):
        return bearer(header)
    token = params.get("token")
    if token is None:
        return None, False
    if not isinstance(token, str) or not token.strip():
        return None, True
    return token.strip(), False


def shielded(future: asyncio.Future[T]) -> asyncio.Future[T]:
    """What `asyncio.shield` does for a future, at a third of its cost: the caller awaits a
    future of its own, so cancelling the caller never cancels `future`, whose failure is then
    retrieved here rather than reported as lost."""
    if future.done():
        return future
    outer: asyncio.Future[T] = future.get_loop().create_future()

    def relay(inner: asyncio.Future[T]) -> None:
        if outer.cancelled():
            if not inner.cancelled():
                inner.exception()
        elif inner.cancelled():
            outer.cancel()
        elif (error := inner.exception()) is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())

    future.add_done_callback(relay)
    return outer
