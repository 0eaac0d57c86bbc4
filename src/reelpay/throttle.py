"""Throttles: how often one client address or one account may try something.

Counted by the `limits` library in sliding windows (its sliding-window counter: this window's
count plus the previous window's, weighted by how much of it still overlaps), in Redis when
`REELPAY_REDIS_URL` is set (so every worker shares the counts) and in process otherwise. If
Redis stops answering, counting goes on in process (each worker then counts alone) rather than
refusing every login or view; a warning says so. (Not its moving window: in memory, clearing
a moving window's key races its expiry task, which then fails with a KeyError.)

- `logIn`: every attempt counts against the client address, and against the account until the
  password proves right (then the account's count is cleared): parallel guesses cannot slip
  past the limit while their passwords are being checked. Past either limit the attempt is
  refused before any password is checked, the right password included.
- `signUp`: attempts per client address.
- `recordView`: views per viewer (the account, or the client address when anonymous, viewer
  token or not: minting tokens does not widen the bound).
- `startViewerSession`: viewer tokens issued per client address.
- every HTTP request (`RequestThrottle`): per client address, answered 429 before anything is
  read or parsed, so a flood from one address costs little more than the refusal.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from reelpay.asgi_errors import send_error
from reelpay.errors import TooManyAttempts
from reelpay.settings import Limits

log = logging.getLogger("reelpay.throttle")


@dataclass(frozen=True)
class Rule:
    name: str
    item: RateLimitItem
    what: str  # "logIn attempts from this address", for the message


class Throttle:
    def __init__(
        self, limits: Limits, redis_url: str | None = None, prefix: str = "reelpay"
    ) -> None:
        self._local = SlidingWindowCounterRateLimiter(storage_from_string("async+memory://"))
        self._shared = (
            SlidingWindowCounterRateLimiter(
                storage_from_string(_async_url(redis_url), key_prefix=prefix)  # type: ignore[arg-type]
            )
            if redis_url
            else None
        )
        self.login_per_address = _rule(
            "login-address",
            limits.login_attempts_per_address,
            limits.login_window_seconds,
            "logIn attempts from this address",
        )
        self.login_failures = _rule(
            "login-account",
            limits.login_failures_per_account,
            limits.login_window_seconds,
            "wrong passwords for this account",
        )
        self.signups = _rule(
            "signup-address",
            limits.signups_per_address,
            limits.signup_window_seconds,
            "signUp attempts from this address",
        )
        self.requests = _rule(
            "request",
            limits.requests_per_address,
            limits.requests_window_seconds,
            "requests from this address",
        )
        self.views = _rule(
            "view", limits.views_per_address, limits.views_window_seconds, "views from this viewer"
        )
        self.viewer_sessions = _rule(
            "viewer-session",
            limits.viewer_sessions_per_address,
            limits.viewer_sessions_window_seconds,
            "viewer sessions started from this address",
        )

    async def hit(self, rule: Rule, key: str) -> None:
        """Count one attempt; TooManyAttempts (counting nothing) when the limit is reached."""
        allowed = await self._call("hit", rule, key)
        if not allowed:
            await self._refuse(rule, key)

    async def clear(self, rule: Rule, key: str) -> None:
        await self._call("clear", rule, key)

    async def _refuse(self, rule: Rule, key: str) -> None:
        stats = await self._call("get_window_stats", rule, key)
        # real clock: the `limits` library stamps its windows with time.time(), not our clock.
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))  # real clock: see above
        raise TooManyAttempts(
            f"Too many {rule.what}: try again in {retry_after} seconds.", retry_after=retry_after
        )

    async def _call(self, method: str, rule: Rule, key: str):  # type: ignore[no-untyped-def]
        if self._shared is not None:
            try:
                return await getattr(self._shared, method)(rule.item, rule.name, key)
            except Exception as error:
                # One line a request while Redis is down (a traceback each would flood the log).
                log.warning("throttle storage unavailable: counting in process (%r)", error)
        return await getattr(self._local, method)(rule.item, rule.name, key)


class RequestThrottle:
    """ASGI middleware: HTTP requests per client address.

    Past the rate (`requests_per_address` per window) a request is answered 429 with
    Retry-After. At most `max_in_flight` of one address run at once; more wait their turn (a
    burst, a browser or an audit sending many at once, still gets every answer), and one that
    waited `max_wait_seconds` is answered 429. A waiting request holds no database connection
    and has not had its body read: one client gets a share of the worker, never all of it.
    Health and readiness probes are not counted (a load balancer probes from one address)."""

    EXEMPT = ("/healthz", "/readyz")

    def __init__(
        self,
        app: ASGIApp,
        *,
        throttle: Callable[[], Throttle],
        max_in_flight: int,
        max_wait_seconds: float = 10.0,
    ) -> None:
        self.app = app
        self.throttle = throttle  # read per request: tests swap the app's throttle
        self.max_in_flight = max(1, max_in_flight)
        self.max_wait_seconds = max_wait_seconds
        self._turns: dict[str, _Turns] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        throttle = self.throttle()
        try:
            await throttle.hit(throttle.requests, address)
        except TooManyAttempts as refused:
            await _too_many(send, refused)
            return
        turns = self._turns.setdefault(address, _Turns(asyncio.Semaphore(self.max_in_flight)))
        turns.users += 1
        try:
            try:
                async with asyncio.timeout(self.max_wait_seconds):
                    await turns.slots.acquire()
            except TimeoutError:
                await _too_many(
                    send,
                    TooManyAttempts(
                        "Too many requests at once from this address: wait for answers first.",
                        retry_after=1,
                    ),
                )
                return
            try:
                await self.app(scope, receive, send)
            finally:
                turns.slots.release()
        finally:
            turns.users -= 1
            if not turns.users:
                del self._turns[address]


@dataclass
class _Turns:
    slots: asyncio.Semaphore
    users: int = 0  # running or waiting


async def _too_many(send: Send, refused: TooManyAttempts) -> None:
    await send_error(
        send,
        429,
        str(refused),
        {"code": "TOO_MANY_REQUESTS", "retryAfterSeconds": refused.retry_after},
        ((b"retry-after", str(refused.retry_after).encode()),),
    )


def _rule(name: str, amount: int, seconds: int, what: str) -> Rule:
    return Rule(name, RateLimitItemPerSecond(max(1, amount), max(1, seconds)), what)


def _async_url(url: str) -> str:
    """`redis://host:6379/0` as the `limits` library's async storage URL."""
    if url.startswith("async+"):
        return url
    return f"async+{url}"
