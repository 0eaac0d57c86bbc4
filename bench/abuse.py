"""Abuse bench: issue 12's attacks against a live server, and what they cost everyone else.

Run against a running server with the demo loaded (`reelpay seed-demo`, then `reelpay serve`):

    .venv/bin/python bench/abuse.py [--url http://127.0.0.1:8000/graphql] [--timeout 30]
        [--only NAME[,NAME...]] [--recover 300] [--list]

Each attack is sent while a probe thread sends a small ordinary query
(`{ account(handle: "mia.dances") { handle } }`) every ~20 ms on its own connection and keeps
the slowest answer; during the parallel-logIn attack a second probe sends a 1-coin `sendGift`
as mia.dances (the money path). The good outcome for every attack: refused quickly, with a 4xx
or a coded error, while the ordinary query stays under 100 ms. Every request has a client
timeout (`--timeout`, 30 s): a server that hangs is reported as "timeout", and before the next
attack the script waits (up to `--recover` seconds) until the server answers again.

Prints a Markdown table and always exits 0: it is a measurement tool, not a test.

Accounts it uses (so that bench/load.py's fan01..fan20 stay usable): fan21 (30 logIn aliases),
fan22 (60 wrong passwords, then the right one), fan23 (16 parallel wrong passwords) and
mia.dances (logs in first; sends the probe's gifts). Once issue 12's throttles are in, these
accounts may stay locked and this client address may have spent its logIn budget for about 15
minutes; in-process throttles reset when the server restarts. `suggestions` only means
something against a server with REELPAY_ENV=production (development suggests on purpose).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
PASSWORD = "reelpay-demo"  # every demo login's (README)
ORDINARY = '{ account(handle: "mia.dances") { handle } }'
# Request errors come back as 4xx only when the client accepts the GraphQL-over-HTTP type.
# The attacks come from another address than the probes, as they would (uvicorn trusts
# X-Forwarded-For from 127.0.0.1): per-address throttles then refuse the attacker, not the
# ordinary user next to it.
ATTACKER_ADDRESS = "198.51.100.7"
ACCEPT = {
    "Accept": "application/graphql-response+json, application/json;q=0.9",
    "X-Forwarded-For": ATTACKER_ADDRESS,
}
PARSE_LIMIT = 2_000_000  # bigger answers are data, not a refusal: not worth parsing
GIFT = """mutation($input: SendGiftInput!) { sendGift(input: $input) {
    gift { coins } userErrors { code message } } }"""
LOG_IN = """mutation($email: String!, $password: String!) {
    logIn(input: { email: $email, password: $password }) {
        token userErrors { code field message } } }"""
VIEW_COUNT = "query($id: ID!) { node(id: $id) { ... on Video { viewCount } } }"
RECORD_VIEW = "recordView(input: { videoId: $id }) { video { viewCount } userErrors { code } }"


def email(handle: str) -> str:
    return f"{handle}@demo.reelpay.dev"


# --- talking to the server ---------------------------------------------------------------


@dataclass
class Reply:
    status: int | None  # None: no answer (timeout or connection error)
    elapsed_ms: float
    body: Any = None  # parsed JSON when small enough
    size: int = 0
    failure: str | None = None  # "timeout", or the transport error
    headers: dict[str, str] = field(default_factory=dict)
    snippet: str = ""  # the start of a body that is not JSON

    @property
    def status_text(self) -> str:
        return str(self.status) if self.status is not None else (self.failure or "no answer")


async def send(
    client: httpx.AsyncClient,
    url: str,
    payload: Any = None,
    *,
    content: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """POST a JSON payload (or raw `content`); never raises."""
    started = time.perf_counter()
    try:
        if content is None:
            response = await client.post(url, json=payload, headers={**ACCEPT, **(headers or {})})
        else:
            response = await client.post(
                url,
                content=content,
                headers={**ACCEPT, "Content-Type": "application/json", **(headers or {})},
            )
    except httpx.TimeoutException:
        return Reply(None, (time.perf_counter() - started) * 1000, failure="timeout")
    except httpx.HTTPError as error:
        return Reply(None, (time.perf_counter() - started) * 1000, failure=type(error).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    raw = response.content
    body, snippet = None, ""
    if len(raw) <= PARSE_LIMIT:
        try:
            body = json.loads(raw)
        except ValueError:
            snippet = raw[:40].decode(errors="replace")
    return Reply(
        response.status_code, elapsed, body, len(raw), dict(response.headers), snippet=snippet
    )


def error_codes(body: Any) -> Counter[str]:
    """Top-level error codes (with their reason) and every userErrors code in `data`."""
    codes: Counter[str] = Counter()
    if not isinstance(body, dict):
        return codes
    for error in body.get("errors") or ():
        extensions = error.get("extensions") or {}
        code = extensions.get("code") or "NO_CODE"
        reason = extensions.get("reason")
        codes[f"{code}/{reason}" if reason else code] += 1

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "userErrors" and isinstance(item, list):
                    codes.update(e.get("code", "NO_CODE") for e in item if isinstance(e, dict))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body.get("data"))
    return codes


def messages(body: Any) -> list[str]:
    """Every error message in a reply: top-level ones and userErrors'."""
    found: list[str] = []
    if not isinstance(body, dict):
        return found
    found += [e.get("message", "") for e in body.get("errors") or ()]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "code" in value and "message" in value:
                found.append(str(value["message"]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body.get("data"))
    return found


def describe_codes(codes: Counter[str]) -> str:
    if not codes:
        return ""
    return ", ".join(f"{code} x{n}" if n > 1 else code for code, n in codes.most_common())


def summarise(reply: Reply) -> tuple[str, str]:
    """(status, code) columns for one reply."""
    if reply.status is None:
        return reply.status_text, "-"
    codes = error_codes(reply.body)
    if codes:
        return reply.status_text, describe_codes(codes)
    if reply.body is None and reply.size > PARSE_LIMIT:
        return reply.status_text, f"none: answered {reply.size / 1e6:.1f} MB of data"
    if reply.body is None:
        return reply.status_text, f"none: not JSON ({reply.snippet!r})"
    return reply.status_text, "none: answered"


# --- the probes ----------------------------------------------------------------------------


class Probe:
    """A thread sending one small request every ~20 ms on its own connection."""

    def __init__(
        self,
        name: str,
        url: str,
        timeout: float,
        request: Callable[[], tuple[dict[str, Any], dict[str, str]]],
        ok: Callable[[dict[str, Any]], bool],
        interval: float = 0.02,
    ) -> None:
        self.name, self.url, self.timeout = name, url, timeout
        self.request, self.ok, self.interval = request, ok, interval
        self.latencies: list[float] = []
        self.failures: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"probe-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                payload, headers = self.request()
                started = time.perf_counter()
                try:
                    response = client.post(self.url, json=payload, headers=headers)
                    body = response.json()
                    if response.status_code != 200 or not self.ok(body):
                        codes = error_codes(body)
                        self.failures[describe_codes(codes) or f"HTTP {response.status_code}"] += 1
                except httpx.TimeoutException:
                    self.failures["timeout"] += 1
                except (httpx.HTTPError, ValueError) as error:
                    self.failures[type(error).__name__] += 1
                elapsed = time.perf_counter() - started
                self.latencies.append(elapsed * 1000)
                self._stop.wait(max(0.0, self.interval - elapsed))

    @property
    def max_ms(self) -> float | None:
        return max(self.latencies) if self.latencies else None

    def report(self) -> str:
        if not self.latencies:
            return f"{self.name}: no sample"
        text = (
            f"{self.name} n={len(self.latencies)} p50 {statistics.median(self.latencies):.0f} "
            f"max {max(self.latencies):.0f} ms"
        )
        if self.failures:
            text += f" ({sum(self.failures.values())} failed: {describe_codes(self.failures)})"
        return text


# --- the attacks ---------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    code: str
    elapsed_ms: float | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Target:
    url: str
    timeout: float
    client: httpx.AsyncClient
    chef_id: str = ""
    live_id: str | None = None
    video_id: str = ""
    mia_token: str | None = None
    setup_notes: list[str] = field(default_factory=list)


def one(reply: Reply, *notes: str) -> Outcome:
    status, code = summarise(reply)
    return Outcome(status, code, reply.elapsed_ms, [n for n in notes if n])


def fragment_fanout(depth: int) -> Callable[[Target], Awaitable[Outcome]]:
    async def attack(target: Target) -> Outcome:
        fragments = " ".join(
            f"fragment F{i} on Account {{ ...F{i + 1} ...F{i + 1} }}" for i in range(depth)
        )
        query = (
            f'query {{ account(handle: "mia.dances") {{ ...F0 }} }} {fragments} '
            f"fragment F{depth} on Account {{ handle }}"
        )
        return one(await send(target.client, target.url, {"query": query}), f"2^{depth} spreads")

    return attack


async def nodes_fanout(target: Target) -> Outcome:
    # Counted as if `nodes` were one object: 100 + 100 x 98 = 9,900 items, under 10,000; really
    # each of the 100 nodes has its own pages: up to 990,000 items.
    ids = ", ".join(json.dumps(target.chef_id) for _ in range(100))
    query = (
        f"{{ nodes(ids: [{ids}]) {{ ... on Account {{ handle followers(first: 100) {{ "
        "totalCount edges { node { handle following(first: 98) { totalCount "
        "edges { node { handle } } } } } } } } }"
    )
    reply = await send(target.client, target.url, {"query": query})
    return one(reply, f"reply {reply.size / 1e6:.1f} MB", "naive count 9,900, real x100")


async def fragment_chain(target: Target) -> Outcome:
    depth = 300
    fragments = " ".join(f"fragment F{i} on Account {{ ...F{i + 1} }}" for i in range(depth - 1))
    query = (
        f'query {{ account(handle: "mia.dances") {{ ...F0 }} }} {fragments} '
        f"fragment F{depth - 1} on Account {{ handle }}"
    )
    return one(await send(target.client, target.url, {"query": query}))


async def nested_brackets(target: Target) -> Outcome:
    return one(await send(target.client, target.url, content=b"[" * 100_000))


def big_body(chunked: bool) -> Callable[[Target], Awaitable[Outcome]]:
    """100 MB of valid JSON (so a server that reads it all also parses it all), sent over a
    plain socket while reading: a server that answers 413 early and closes the connection
    makes an HTTP client (httpx) fail on its next write and lose the answer. Even so, a server
    that closes with unread data resets the connection, and Linux may then drop the answer
    before it is read: a chunked upload refused half way can end with a reset and no answer."""
    total = 100 * 1024 * 1024

    async def attack(target: Target) -> Outcome:
        head, tail = b'{"query": "{ __typename }", "variables": {"pad": "', b'"}}'
        block = b"a" * (64 * 1024)
        sent = 0

        def pieces() -> Iterator[bytes]:
            yield head
            remaining = total - len(head) - len(tail)
            while remaining > 0:
                yield block[: min(len(block), remaining)]
                remaining -= len(block)
            yield tail

        url = urlsplit(target.url)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            transport, conn = await asyncio.wait_for(
                loop.create_connection(RawConnection, url.hostname, url.port or 80),
                target.timeout,
            )
        except (OSError, TimeoutError) as error:
            return Outcome(type(error).__name__, "-", None)
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
        transport.write(
            f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: application/json\r\nAccept: {ACCEPT['Accept']}\r\n"
            f"X-Forwarded-For: {ATTACKER_ADDRESS}\r\n"
            f"{framing}\r\nConnection: close\r\n\r\n".encode()
        )

        async def upload() -> None:
            nonlocal sent
            # Like a client sending `Expect: 100-continue`, give the server a moment to refuse
            # on the announced length alone; a server that reads bodies whole loses nothing.
            if not chunked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(conn.answered), 0.2)
            for piece in pieces():
                if conn.answered.done():
                    return  # answered (or closed) early: stop sending
                transport.write(
                    f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                )
                sent += len(piece)
                await conn.writable.wait()
                await asyncio.sleep(0)  # let an answer, or the connection's loss, in
            if chunked:
                transport.write(b"0\r\n\r\n")

        try:
            await asyncio.wait_for(upload(), target.timeout)
            await asyncio.wait_for(asyncio.shield(conn.closed), target.timeout)
        except TimeoutError:
            conn.failure = conn.failure or "timeout"
        failure = conn.failure
        raw = bytes(conn.received)
        elapsed = ((conn.answered_at or time.perf_counter()) - started) * 1000
        transport.close()
        notes = [
            "chunked, no Content-Length" if chunked else "with Content-Length",
            f"{sent / 1024 / 1024:.0f} MB sent",
        ]
        if not chunked and sent:
            notes.append("time includes a 0.2 s pause after the headers")
        if failure and raw:
            notes.append(f"then {failure}")
        elif failure:
            notes.append(
                f"{failure} with no answer (any answer sent before a reset on unread data can "
                "be lost)"
            )
        return one(parse_http(raw, elapsed, failure), *notes)

    return attack


class RawConnection(asyncio.Protocol):
    """Keeps every byte the server sends, even when the connection is then reset (a
    StreamReader raises the reset instead of returning what it had buffered)."""

    def __init__(self) -> None:
        self.received = bytearray()
        loop = asyncio.get_running_loop()
        self.answered: asyncio.Future[None] = loop.create_future()  # bytes came, or the end
        self.closed: asyncio.Future[None] = loop.create_future()
        self.writable = asyncio.Event()
        self.writable.set()
        self.failure: str | None = None
        self.answered_at: float | None = None  # perf_counter() at the first byte

    def data_received(self, data: bytes) -> None:
        self.received += data
        self.answered_at = self.answered_at or time.perf_counter()
        if not self.answered.done():
            self.answered.set_result(None)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.failure = type(exc).__name__
        self.writable.set()
        for future in (self.answered, self.closed):
            if not future.done():
                future.set_result(None)


def parse_http(raw: bytes, elapsed_ms: float, failure: str | None) -> Reply:
    """A Reply from a raw HTTP/1.1 response read until the connection closed."""
    header, _, payload = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return Reply(None, elapsed_ms, failure=failure or "no answer")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if any(k.lower() == "transfer-encoding" for k in headers):
        body, rest = b"", payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body, rest = body + rest[:size], rest[size + 2 :]
        payload = body
    reply = Reply(status, elapsed_ms, size=len(payload), headers=headers)
    try:
        reply.body = json.loads(payload)
    except ValueError:
        reply.snippet = payload[:40].decode(errors="replace")
    return reply


async def suggestions(target: Target) -> Outcome:
    probes = {
        "argument": '{ account(handel: "mia.dances") { handle } }',
        "enum value": "{ accountTypeSwitchPreview(to: PERSONALL) { featuresLost } }",
        "type": "query($h: Strng!) { account(handle: $h) { handle } }",
        "field": '{ account(handle: "mia.dances") { handel } }',
    }
    replies = {
        kind: await send(target.client, target.url, {"query": q}) for kind, q in probes.items()
    }
    leaking = [
        kind for kind, r in replies.items() if any("Did you mean" in m for m in messages(r.body))
    ]
    status, code = summarise(replies["argument"])
    outcome = Outcome(status, code, max(r.elapsed_ms for r in replies.values()))
    outcome.notes.append(
        f'"Did you mean" for {len(leaking)}/{len(probes)} ({", ".join(leaking) or "none"})'
    )
    outcome.notes.append("a leak only when REELPAY_ENV=production")
    return outcome


async def login_aliases(target: Target) -> Outcome:
    fields = " ".join(
        f'a{i}: logIn(input: {{ email: "{email("fan21")}", password: "wrong-{i}" }}) '
        "{ token userErrors { code message } }"
        for i in range(30)
    )
    return one(await send(target.client, target.url, {"query": f"mutation {{ {fields} }}"}))


async def login_sequential(target: Target) -> Outcome:
    started = time.perf_counter()
    first_refusal: tuple[int, Reply] | None = None
    for attempt in range(1, 61):
        reply = await send(
            target.client,
            target.url,
            {"query": LOG_IN, "variables": {"email": email("fan22"), "password": f"no-{attempt}"}},
        )
        codes = error_codes(reply.body)
        if first_refusal is None and (reply.status != 200 or set(codes) - {"INVALID_CREDENTIALS"}):
            first_refusal = (attempt, reply)
    right = await send(
        target.client,
        target.url,
        {"query": LOG_IN, "variables": {"email": email("fan22"), "password": PASSWORD}},
    )
    total = (time.perf_counter() - started) * 1000
    notes = [f"61 requests in {total:.0f} ms"]
    if first_refusal is None:
        outcome = Outcome("200", "INVALID_CREDENTIALS x60, never throttled", total, notes)
    else:
        attempt, reply = first_refusal
        status, code = summarise(reply)
        outcome = Outcome(status, code, reply.elapsed_ms, notes)
        notes.append(f"first refused at attempt {attempt}")
        retry = [m for m in messages(reply.body) if m] + [
            f"Retry-After: {reply.headers[k]}" for k in reply.headers if k.lower() == "retry-after"
        ]
        notes.append(f"says: {' | '.join(retry)[:160]}" if retry else "no retry-after information")
    logged_in = bool(isinstance(right.body, dict) and (right.body.get("data") or {}).get("logIn"))
    token = logged_in and right.body["data"]["logIn"].get("token")
    notes.append(
        "right password then: logged in"
        if token
        else f"right password then: refused ({summarise(right)[1]})"
    )
    return outcome


async def login_parallel(target: Target) -> Outcome:
    started = time.perf_counter()
    replies = await asyncio.gather(
        *(
            send(
                target.client,
                target.url,
                {"query": LOG_IN, "variables": {"email": email("fan23"), "password": f"p-{i}"}},
            )
            for i in range(16)
        )
    )
    total = (time.perf_counter() - started) * 1000
    codes: Counter[str] = Counter()
    statuses = Counter(r.status_text for r in replies)
    for reply in replies:
        codes.update(error_codes(reply.body))
    slowest = max(r.elapsed_ms for r in replies)
    return Outcome(
        ", ".join(f"{s} x{n}" for s, n in statuses.most_common()),
        describe_codes(codes) or "none",
        total,
        [f"slowest logIn {slowest:.0f} ms"],
    )


async def view_count(target: Target) -> int | None:
    reply = await send(
        target.client, target.url, {"query": VIEW_COUNT, "variables": {"id": target.video_id}}
    )
    try:
        return int(reply.body["data"]["node"]["viewCount"])
    except (TypeError, KeyError, ValueError):
        return None


async def paced(count: int, seconds: float, make: Callable[[], Awaitable[Reply]]) -> list[Reply]:
    """`count` requests started evenly over `seconds`, all awaited."""

    async def later(delay: float) -> Reply:
        await asyncio.sleep(delay)
        return await make()

    return await asyncio.gather(*(later(i * seconds / count) for i in range(count)))


async def record_views(target: Target, replies_of: Callable[[], Awaitable[list[Reply]]]) -> Outcome:
    before = await view_count(target)
    started = time.perf_counter()
    replies = await replies_of()
    total = (time.perf_counter() - started) * 1000
    after = await view_count(target)
    codes: Counter[str] = Counter()
    statuses = Counter(r.status_text for r in replies)
    for reply in replies:
        codes.update(error_codes(reply.body))
    counted = f"{after - before}" if before is not None and after is not None else "?"
    return Outcome(
        ", ".join(f"{s} x{n}" for s, n in statuses.most_common()),
        describe_codes(codes) or "none",
        total,
        [f"{counted}/300 views counted", "time = all requests"],
    )


async def record_view_aliases(target: Target) -> Outcome:
    fields = " ".join(f"v{i}: {RECORD_VIEW}" for i in range(30))
    query = f"mutation($id: ID!) {{ {fields} }}"

    def make() -> Awaitable[Reply]:
        return send(
            target.client, target.url, {"query": query, "variables": {"id": target.video_id}}
        )

    return await record_views(target, lambda: paced(10, 2.0, make))


async def record_view_parallel(target: Target) -> Outcome:
    query = f"mutation($id: ID!) {{ {RECORD_VIEW} }}"

    def make() -> Awaitable[Reply]:
        return send(
            target.client, target.url, {"query": query, "variables": {"id": target.video_id}}
        )

    return await record_views(target, lambda: paced(300, 2.0, make))


async def baseline(target: Target) -> Outcome:
    await asyncio.sleep(1.0)
    return Outcome("-", "-", None, ["no attack: the probes alone for 1 s"])


@dataclass(frozen=True)
class Attack:
    name: str
    title: str
    run: Callable[[Target], Awaitable[Outcome]]
    money_probe: bool = False


ATTACKS = (
    Attack("baseline", "baseline (no attack)", baseline),
    Attack("baseline-money", "baseline (no attack), with sendGift probe", baseline,
           money_probe=True),
    Attack("fragment-fanout-20", "fragment fan-out 2^20", fragment_fanout(20)),
    Attack("fragment-fanout-25", "fragment fan-out 2^25", fragment_fanout(25)),
    Attack("nodes-fanout", "nodes(ids: 100) x followers(100) x following(98)", nodes_fanout),
    Attack("fragment-chain", "fragment chain 300 deep", fragment_chain),
    Attack("brackets", "100,000 '[' body", nested_brackets),
    Attack("body-100mb", "100 MB body", big_body(chunked=False)),
    Attack("body-100mb-chunked", "100 MB body, chunked", big_body(chunked=True)),
    Attack("suggestions", "suggestions (misspelled arg/enum/type/field)", suggestions),
    Attack("login-aliases", "30 logIn aliases, one request", login_aliases),
    Attack("login-sequential", "60 wrong passwords, then the right one", login_sequential),
    Attack("login-parallel", "16 parallel wrong passwords", login_parallel, money_probe=True),
    Attack("recordview-aliases", "300 anonymous recordView: 10 x 30 aliases in 2 s",
           record_view_aliases),
    Attack("recordview-parallel", "300 anonymous recordView: 300 requests in 2 s",
           record_view_parallel),
)  # fmt: skip


# --- running them --------------------------------------------------------------------------


async def setup(target: Target) -> None:
    """IDs from the demo, and mia.dances's token for the money probe (before any logIn
    attack could spend this address's budget)."""
    reply = await send(
        target.client,
        target.url,
        {
            "query": '{ account(handle: "chef.leo") { id currentLive { id } '
            "videos(first: 1) { edges { node { id } } } } }"
        },
    )
    try:
        chef = reply.body["data"]["account"]
        target.chef_id = chef["id"]
        target.live_id = (chef.get("currentLive") or {}).get("id")
        target.video_id = chef["videos"]["edges"][0]["node"]["id"]
    except (TypeError, KeyError, IndexError):
        sys.exit(f"{target.url} does not look like a server with the demo loaded: {reply}")
    login = await send(
        target.client,
        target.url,
        {"query": LOG_IN, "variables": {"email": email("mia.dances"), "password": PASSWORD}},
    )
    try:
        target.mia_token = login.body["data"]["logIn"]["token"]
    except (TypeError, KeyError):
        target.mia_token = None
    if not target.mia_token:
        target.setup_notes.append(
            f"money probe skipped: mia.dances could not log in ({summarise(login)[1]})"
        )
    elif not target.live_id:
        target.setup_notes.append("money probe skipped: chef.leo is not LIVE")
        target.mia_token = None


_bystanders = itertools.count()


def bystander() -> dict[str, str]:
    """The probes stand for the attacker's neighbours: many users, one request each now and
    then (250 addresses in turn), not one client sending 50 a second."""
    return {"X-Forwarded-For": f"203.0.113.{next(_bystanders) % 250 + 1}"}


def ordinary_probe(target: Target) -> Probe:
    return Probe(
        "ordinary",
        target.url,
        target.timeout,
        lambda: ({"query": ORDINARY}, bystander()),
        lambda body: bool((body.get("data") or {}).get("account")) and not body.get("errors"),
    )


def money_probe(target: Target) -> Probe:
    def request() -> tuple[dict[str, Any], dict[str, str]]:
        variables = {
            "input": {
                "giftId": "R2lmdDox",  # Gift:1, a Rose, 1 coin
                "liveId": target.live_id,
                "idempotencyKey": f"abuse-{uuid.uuid4()}",
            }
        }
        return (
            {"query": GIFT, "variables": variables},
            {"Authorization": f"Bearer {target.mia_token}", **bystander()},
        )

    def ok(body: dict[str, Any]) -> bool:
        gift = (body.get("data") or {}).get("sendGift")
        return bool(gift) and not gift["userErrors"] and not body.get("errors")

    return Probe("sendGift", target.url, target.timeout, request, ok)


async def wait_ready(target: Target, limit: float) -> float:
    """Seconds until the ordinary query is answered within a second again."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.perf_counter() - started < limit:
            reply = await send(client, target.url, {"query": ORDINARY})
            if reply.status == 200 and reply.elapsed_ms < 1000:
                return time.perf_counter() - started
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def run_one(target: Target, attack: Attack, recover: float) -> list[str]:
    waited = await wait_ready(target, recover)
    probes = [ordinary_probe(target)]
    if attack.money_probe and target.mia_token:
        probes.append(money_probe(target))
    for probe in probes:
        probe.start()
    await asyncio.sleep(0.1)  # the probes' first answers come before the attack starts
    try:
        outcome = await asyncio.wait_for(attack.run(target), timeout=target.timeout * 4)
    except TimeoutError:
        outcome = Outcome("timeout", "-", None, [f"gave up after {target.timeout * 4:.0f} s"])
    await asyncio.to_thread(lambda: [probe.stop() for probe in probes])
    if waited > 1:
        outcome.notes.append(f"server was busy {waited:.0f} s before this attack")
    outcome.notes += [probe.report() for probe in probes]
    if attack.money_probe and not target.mia_token:
        outcome.notes.append("no money probe (see setup)")
    ordinary = probes[0].max_ms
    return [
        attack.title,
        outcome.status,
        outcome.code,
        "timeout"
        if outcome.status == "timeout"
        else f"{outcome.elapsed_ms:.0f}"
        if outcome.elapsed_ms is not None
        else "-",
        f"{ordinary:.0f}" if ordinary is not None else "-",
        "yes" if ordinary is not None and ordinary < 100 and not probes[0].failures else "no",
        "; ".join(outcome.notes),
    ]


def table(rows: list[list[str]]) -> str:
    header = [
        "attack",
        "HTTP status",
        "error code",
        "time to refuse (ms)",
        "concurrent ordinary query max latency (ms)",
        "ordinary query under 100 ms?",
        "notes",
    ]
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines
    )


async def main(args: argparse.Namespace) -> None:
    chosen = {name.strip() for part in args.only for name in part.split(",") if name.strip()}
    unknown = chosen - {a.name for a in ATTACKS}
    if unknown:
        sys.exit(f"unknown attack(s): {', '.join(sorted(unknown))}; see --list")
    attacks = [a for a in ATTACKS if not chosen or a.name in chosen]
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits) as client:
        target = Target(args.url, args.timeout, client)
        await setup(target)
        rows = []
        for attack in attacks:
            print(f"... {attack.name}", file=sys.stderr, flush=True)
            rows.append(await run_one(target, attack, args.recover))
    print(f"# Abuse bench against {args.url} (client timeout {args.timeout:g} s)\n")
    for note in target.setup_notes:
        print(f"- {note}")
    print(table(rows))
    print(
        "\nGood outcome: refused quickly with a 4xx or a coded error; ordinary query < 100 ms."
        " 'time to refuse' is the attack request's own time (all requests' for the "
        "recordView and parallel-logIn rows)."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url_arg", nargs="?", metavar="URL", help="same as --url")
    parser.add_argument("--url", default=None, help=f"GraphQL endpoint (default {DEFAULT_URL})")
    parser.add_argument(
        "--only", action="append", default=[], help="attack name(s), comma-separated"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout, seconds")
    parser.add_argument(
        "--recover", type=float, default=300.0, help="how long to wait for a busy server, seconds"
    )
    parser.add_argument("--list", action="store_true", help="list the attacks and exit")
    args = parser.parse_args(argv)
    args.url = args.url or args.url_arg or DEFAULT_URL
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.list:
        for item in ATTACKS:
            print(f"{item.name:22} {item.title}")
    else:
        asyncio.run(main(arguments))
    sys.exit(0)
