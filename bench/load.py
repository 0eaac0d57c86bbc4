"""Load bench: a bounded mix of reads, writes and logIns against a live server with the demo.

Run against a running server with the demo loaded (`reelpay seed-demo`, then `reelpay serve`):

    .venv/bin/python bench/load.py [--url http://127.0.0.1:8000/graphql] [-n 2000] [-c 32]
        [--logins 8] [--seed 1] [--timeout 30] [--one-address]

Each of the C clients logs in once (as fan01..fan20, then round again: the demo's fans, password
`reelpay-demo`), then the clients share N requests drawn from a fixed mix: reads (a profile,
a videos page, browsing accounts, chef.leo's Series and LIVE, the wallet with its history),
writes (recordView, follow/unfollow, a 1-3 coin sendGift to chef.leo's LIVE with a fresh
idempotency key or, now and then, a replay of an earlier one, a coin tip, a 70-coin purchase
with the sandbox token `tok_sandbox_success`, or `tok_sandbox_declined`) and `--logins` more
logIns spread over the run.

Counted as errors: HTTP status other than 200, any top-level `errors`, a request that timed out
or failed, and userErrors other than the expected business refusals (ALREADY_FOLLOWING,
NOT_FOLLOWING, INSUFFICIENT_COINS, CREATOR_NOT_ELIGIBLE, CARD_DECLINED, ...). Throttle refusals
(TOO_MANY_ATTEMPTS, HTTP 429, ...) are counted apart. Each client sends its own X-Forwarded-For
(uvicorn believes it from 127.0.0.1 only), as 32 users would; `--one-address` sends them all
from this machine, which the per-address throttles (200 requests per 10 s, 50 logIn attempts
per 15 minutes, 120 views per minute) then refuse in part.

Prints a summary table and "ERRORS: n"; always exits 0 (a measurement tool, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
PASSWORD = "reelpay-demo"
FANS = 20  # fan01..fan20; bench/abuse.py uses fan21..fan23
CREATORS = ("mia.dances", "chef.leo", "jin.sings", "tara.tech")
ROSE = "R2lmdDox"  # Gift:1, 1 coin
EXPECTED = {
    "ALREADY_FOLLOWING",
    "NOT_FOLLOWING",
    "INSUFFICIENT_COINS",
    "CREATOR_NOT_ELIGIBLE",
    "CARD_DECLINED",
    "LIVE_NOT_ACTIVE",
    "TIP_LIMIT_EXCEEDED",
}
THROTTLED = {"TOO_MANY_ATTEMPTS", "TOO_MANY_REQUESTS", "RATE_LIMITED", "THROTTLED", "HTTP_429"}

LOG_IN = """mutation($email: String!, $password: String!) {
  logIn(input: { email: $email, password: $password }) { token userErrors { code message } } }"""
PROFILE = """query($h: String!) { account(handle: $h) {
  id handle displayName bio followerCount followingCount pinnedVideos { title }
  videos(first: 6) { totalCount edges { node { id title viewCount } } } } }"""
VIDEOS = """query($h: String!) { account(handle: $h) { videos(first: 20) {
  totalCount edges { cursor node { id title description durationSeconds viewCount publishedAt } }
  pageInfo { hasNextPage endCursor } } } }"""
BROWSE = """query($search: String) { accounts(first: 20, search: $search) {
  edges { node { handle displayName followerCount videos(first: 2) { edges { node { title } } } } }
  pageInfo { hasNextPage endCursor } } }"""
SERIES = """{ account(handle: "chef.leo") { series(first: 5) { edges { node {
  id title price { amount } status episodeCount rating { count average }
  viewerAccess { allowed reason }
  episodes { position title durationSeconds playback { allowed reason url expiresAt } } } } } } }"""
LIVE = """{ account(handle: "chef.leo") { currentLive { id title viewerCount
  giftTotals { gifts coins diamonds } topGifters(first: 3) { account { handle } coins } } } }"""
WALLET = """{ viewer { handle wallet { coins diamonds earnings { amount currency }
  history(first: 10) { edges { node { kind asset amount balanceAfter description createdAt } } }
  } } }"""
RECORD_VIEW = """mutation($id: ID!) { recordView(input: { videoId: $id }) {
  video { viewCount } userErrors { code message } } }"""
FOLLOW = """mutation($id: ID!) { follow(input: { accountId: $id }) {
  status account { followerCount } userErrors { code message } } }"""
UNFOLLOW = """mutation($id: ID!) { unfollow(input: { accountId: $id }) {
  account { followerCount } userErrors { code message } } }"""
GIFT = """mutation($input: SendGiftInput!) { sendGift(input: $input) {
  gift { coins diamonds } wallet { coins } userErrors { code message } } }"""
TIP = """mutation($input: SendTipInput!) { sendTip(input: $input) {
  tip { amount { amount } coins } userErrors { code message } } }"""
PURCHASE = """mutation($input: PurchaseCoinsInput!) { purchaseCoins(input: $input) {
  purchase { coins } wallet { coins } userErrors { code message } } }"""


@dataclass
class Demo:
    """IDs the mix needs, read once from the server."""

    accounts: dict[str, str] = field(default_factory=dict)  # handle -> Account id
    videos: list[str] = field(default_factory=list)  # public videos
    live_id: str | None = None
    package_id: str = ""  # the 70-coin package


@dataclass
class Client:
    number: int
    handle: str
    address: str | None
    token: str | None = None
    following: dict[str, bool] = field(default_factory=dict)  # guessed; refusals correct it
    gifts_sent: list[dict[str, Any]] = field(default_factory=list)  # for replays

    def headers(self, authenticated: bool = True) -> dict[str, str]:
        headers = {}
        if authenticated and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.address:
            headers["X-Forwarded-For"] = self.address
        return headers


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    refusals: Counter[str] = field(default_factory=Counter)  # expected business refusals
    throttled: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # code -> first message seen

    def record(self, op: str, elapsed_ms: float, problems: list[tuple[str, str]]) -> None:
        self.latencies[op].append(elapsed_ms)
        for code, message in problems:
            self.examples.setdefault(code, f"{op}: {message}"[:300])
            if code in THROTTLED:
                self.throttled[code] += 1
            elif code in EXPECTED:
                self.refusals[code] += 1
            else:
                self.errors[op][code] += 1


@dataclass
class Api:
    http: httpx.AsyncClient
    url: str
    stats: Stats


async def post(
    api: Api,
    op: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Send one operation, record its latency and problems; the `data` or None."""
    started = time.perf_counter()
    problems: list[tuple[str, str]] = []
    data = None
    try:
        response = await api.http.post(
            api.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
    except httpx.TimeoutException:
        problems.append(("TIMEOUT", "no answer within the client timeout"))
    except httpx.HTTPError as error:
        problems.append((type(error).__name__, str(error)))
    except ValueError:
        problems.append((f"HTTP_{response.status_code}", response.text[:200]))
    else:
        if response.status_code != 200:
            problems.append((f"HTTP_{response.status_code}", response.text[:200]))
        for error in body.get("errors") or ():
            code = (error.get("extensions") or {}).get("code", "NO_CODE")
            problems.append((code, error.get("message", "")))
        data = body.get("data")
        for payload in (data or {}).values():
            if isinstance(payload, dict):
                problems += [(e["code"], e["message"]) for e in payload.get("userErrors") or ()]
    api.stats.record(op, (time.perf_counter() - started) * 1000, problems)
    return data


async def load_demo(api: Api) -> Demo:
    demo = Demo()
    fields = " ".join(
        f'a{i}: account(handle: "{h}") {{ id handle currentLive {{ id }} '
        "videos(first: 20) { edges { node { id } } } }"
        for i, h in enumerate(CREATORS)
    )
    data = await post(api, "setup", f"{{ {fields} coinPackages {{ id coins }} }}")
    if not data:
        sys.exit("the server did not answer the setup query; is the demo loaded?")
    for i in range(len(CREATORS)):
        account = data[f"a{i}"]
        demo.accounts[account["handle"]] = account["id"]
        demo.videos += [e["node"]["id"] for e in (account["videos"] or {}).get("edges", ())]
        if account["currentLive"]:
            demo.live_id = account["currentLive"]["id"]
    demo.package_id = min(data["coinPackages"], key=lambda p: p["coins"])["id"]
    return demo


async def log_in(api: Api, client: Client, op: str) -> None:
    data = await post(
        api,
        op,
        LOG_IN,
        {"email": f"{client.handle}@demo.reelpay.dev", "password": PASSWORD},
        client.headers(authenticated=False),
    )
    token = ((data or {}).get("logIn") or {}).get("token")
    if token:
        client.token = token


# --- the mix -------------------------------------------------------------------------------

Op = Callable[[Api, Client, Demo, random.Random], Awaitable[Any]]


async def profile(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    return await post(api, "profile", PROFILE, {"h": r.choice(CREATORS)}, c.headers())


async def videos(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    return await post(api, "videos page", VIDEOS, {"h": r.choice(CREATORS)}, c.headers())


async def browse(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    variables = {"search": r.choice("abcdefjlmpst")}
    return await post(api, "browse accounts", BROWSE, variables, c.headers(False))


async def series(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    return await post(api, "series", SERIES, None, c.headers())


async def live(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    return await post(api, "live", LIVE, None, c.headers())


async def wallet(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    if not c.token:
        return await profile(api, c, d, r)
    return await post(api, "wallet", WALLET, None, c.headers())


async def view(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    anonymous = r.random() < 0.5
    variables = {"id": r.choice(d.videos)}
    return await post(api, "recordView", RECORD_VIEW, variables, c.headers(not anonymous))


async def follow(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    if not c.token:
        return await view(api, c, d, r)
    handle = r.choice(CREATORS[:1] + CREATORS[2:])  # chef.leo's 1,200 followers stay put
    account = d.accounts[handle]
    if c.following.get(handle):
        data = await post(api, "unfollow", UNFOLLOW, {"id": account}, c.headers())
        c.following[handle] = False
    else:
        data = await post(api, "follow", FOLLOW, {"id": account}, c.headers())
        errors = ((data or {}).get("follow") or {}).get("userErrors") or ()
        # Demo fans already follow some creators: ALREADY_FOLLOWING tells us which.
        c.following[handle] = not errors or errors[0]["code"] == "ALREADY_FOLLOWING"
    return data


async def gift(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    if not c.token or not d.live_id:
        return await view(api, c, d, r)
    if c.gifts_sent and r.random() < 0.1:
        # A retry of an earlier gift: same key, same arguments, nothing moves again.
        return await post(api, "sendGift replay", GIFT, r.choice(c.gifts_sent), c.headers())
    variables = {
        "input": {
            "giftId": ROSE,
            "quantity": r.randint(1, 3),
            "liveId": d.live_id,
            "idempotencyKey": f"load-{uuid.uuid4()}",
        }
    }
    c.gifts_sent.append(variables)
    return await post(api, "sendGift", GIFT, variables, c.headers())


async def tip(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    if not c.token:
        return await view(api, c, d, r)
    variables = {
        "input": {
            "creatorId": d.accounts["chef.leo"],
            "amountCents": 100,
            "method": "COINS",
            "anonymous": r.random() < 0.5,
            "idempotencyKey": f"load-{uuid.uuid4()}",
        }
    }
    return await post(api, "sendTip", TIP, variables, c.headers())


async def buy(api: Api, c: Client, d: Demo, r: random.Random) -> Any:
    if not c.token:
        return await view(api, c, d, r)
    token = "tok_sandbox_declined" if r.random() < 0.1 else "tok_sandbox_success"
    variables = {
        "input": {
            "packageId": d.package_id,
            "paymentToken": token,
            "idempotencyKey": f"load-{uuid.uuid4()}",
        }
    }
    return await post(api, "purchaseCoins", PURCHASE, variables, c.headers())


MIX: tuple[tuple[Op, int], ...] = (
    (profile, 14),
    (videos, 10),
    (browse, 6),
    (series, 8),
    (live, 6),
    (wallet, 10),
    (view, 16),
    (follow, 10),
    (gift, 12),
    (tip, 3),
    (buy, 5),
)


# --- running ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def row(name: str, values: list[float], errors: int) -> str:
    if not values:
        return f"| {name} | 0 | {errors} | - | - | - | - |"
    p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
    return (
        f"| {name} | {len(values)} | {errors} | {p50:.0f} | {p95:.0f} | {p99:.0f} "
        f"| {max(values):.0f} |"
    )


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    stats = Stats()
    limits = httpx.Limits(max_connections=args.concurrency + 4)
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits) as http:
        api = Api(http, args.url, stats)
        demo = await load_demo(api)
        clients = [
            Client(
                i,
                f"fan{i % FANS + 1:02d}",
                f"10.77.{i // 250}.{i % 250 + 1}" if args.spread_addresses else None,
            )
            for i in range(args.concurrency)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(log_in(api, c, "logIn (each client once)") for c in clients))
        logged_in = sum(1 for c in clients if c.token)
        ops, weights = zip(*MIX, strict=True)
        plan: list[Op | None] = list(rng.choices(ops, weights=weights, k=args.requests))
        for k in range(args.logins):  # spread the extra logIns over the run
            plan[(k + 1) * len(plan) // (args.logins + 1)] = None
        queue = iter(enumerate(plan))

        async def worker(client: Client) -> None:
            mine = random.Random(args.seed * 1000 + client.number)
            for _, op in queue:
                if op is None:
                    await log_in(api, client, "logIn (in the mix)")
                else:
                    await op(api, client, demo, mine)

        run_started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        elapsed = time.perf_counter() - run_started
        total = time.perf_counter() - started

    ops_done = {op: values for op, values in stats.latencies.items() if op != "setup"}
    everything = [v for values in ops_done.values() for v in values]
    error_count = sum(sum(c.values()) for op, c in stats.errors.items() if op != "setup")
    by_code: Counter[str] = Counter()
    for op, codes in stats.errors.items():
        if op != "setup":
            by_code.update(codes)

    print(f"# Load bench against {args.url}\n")
    print(
        f"{args.requests} requests in the mix (with {args.logins} logIns) at {args.concurrency} "
        f"concurrent clients, after one logIn per client ({logged_in}/{args.concurrency} "
        f"logged in): {len(everything)} HTTP requests in {total:.1f} s (the mix: "
        f"{elapsed:.1f} s, {args.requests / elapsed:.0f} req/s); seed {args.seed}."
    )
    print(
        f"logIns from this run: {args.concurrency + args.logins} "
        + (
            "(one address per client, via X-Forwarded-For)."
            if args.spread_addresses
            else "(all from one address; issue 12's throttle allows about 50 per 15 min)."
        )
    )
    print("\n| operation | requests | errors | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for op in sorted(ops_done, key=lambda o: -len(ops_done[o])):
        print(row(op, ops_done[op], sum(stats.errors[op].values())))
    print(row("**all**", everything, error_count))
    if by_code:
        print("\n| error code | count | first example |")
        print("| --- | --- | --- |")
        for code, n in by_code.most_common():
            example = stats.examples.get(code, "").replace("|", "\\|").replace("\n", " ")
            print(f"| {code} | {n} | {example} |")
    if stats.refusals:
        print(
            "\nExpected business refusals (not errors): "
            + ", ".join(f"{code} {n}" for code, n in stats.refusals.most_common())
        )
    if stats.throttled:
        print(
            "Throttled (not errors, but they skew the mix): "
            + ", ".join(f"{code} {n}" for code, n in stats.throttled.most_common())
        )
    if stats.errors.get("setup"):
        print(f"Setup errors: {dict(stats.errors['setup'])}")
    print(f"\nERRORS: {error_count}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url_arg", nargs="?", metavar="URL", help="same as --url")
    parser.add_argument("--url", default=None, help=f"GraphQL endpoint (default {DEFAULT_URL})")
    parser.add_argument("-n", "--requests", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument(
        "--logins", type=int, default=8, help="logIns in the mix (besides one each)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout, seconds")
    parser.add_argument(
        "--one-address",
        dest="spread_addresses",
        action="store_false",
        help="every client from this machine's address (by default each client sends its own "
        "X-Forwarded-For: 32 users, not one address 32 times)",
    )
    args = parser.parse_args(argv)
    args.url = args.url or args.url_arg or DEFAULT_URL
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
    sys.exit(0)
