"""`make bench`: Reelpay against a raw baseline, under wrk, on SQLite and PostgreSQL.

For each backend: a fresh database (`reelpay migrate`, then bench/dataset.py), two servers on
free ports (Reelpay as `reelpay serve` runs it in production, and bench/raw_app.py), then per
scenario: warm-up, an identity check (both answer the same bytes, see `check_*`), and
`--rounds` rounds that interleave the two under `wrk -t<threads> -c<connections>`. Any
non-200, GraphQL error or userError fails the run. After the writes `reelpay ledger verify` must
pass. Writes bench/RESULTS.md (or `--output`).

    .venv/bin/python bench/run.py [--quick] [--scale 1] [--rounds 5] [--duration 10]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] [--workers 1]
        [--scenarios campaigns approve approve_hot] [--logs DIR]

The approveDeal scenarios use up one SUBMITTED deal per request (25,000 per scenario at scale
1, made when the data set is): a run that could exhaust them stops first, asking for a larger
--scale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))  # `bench.*` modules for the identity checks

from bench import checks  # noqa: E402
from bench.scenarios import DOCUMENTS  # noqa: E402

SCENARIOS = (
    "profile", "series", "accounts", "gift", "purchase", "typename", "campaigns", "approve",
    "approve_hot",
)  # fmt: skip
WRITES = ("gift", "purchase", "approve", "approve_hot")
# Scenarios whose request k uses up item k of a pool in the data set (one deal each).
POOLED = ("approve", "approve_hot")
TITLES = {
    "profile": "(a) creator profile, anonymous",
    "series": "(b) buyer's Series page + playback links",
    "accounts": "(c) accounts(first: 100) x videos(first: 10)",
    "gift": "(d) sendGift to a LIVE",
    "purchase": "(e) purchaseSeries with coins",
    "typename": "(f) { __typename }",
    "campaigns": "(g) campaigns(first: 20) browse, logged-in creator",
    "approve": "(h) approveDeal, concurrent, one deal each, campaigns spread",
    "approve_hot": "(i) approveDeal, one deal each, one campaign at a time (its row lock)",
}
STATS_PATH = "/__bench/statements"


@dataclass
class Run:
    """One wrk run's figures (from the Lua done() hook)."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statements: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass
class Outcome:
    """A scenario's rounds for both contenders."""

    scenario: str
    reelpay: list[Run] = field(default_factory=list)
    raw: list[Run] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)

    def ratios(self) -> list[float]:
        return [r.rps / b.rps for r, b in zip(self.reelpay, self.raw, strict=True)]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def statements(self) -> int:
        return int(httpx.get(self.url + STATS_PATH).json()["statements"])

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        return sum(rss_kb(pid) for pid in process_tree(self.process.pid)) / 1024


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            pids += process_tree(int(child))
    return pids


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str) -> dict[str, str]:
    """Production settings; the per-address limits lifted (wrk is one address, 32 clients)."""
    return {
        **os.environ,
        "REELPAY_ENV": "production",
        "REELPAY_SECRET_KEY": secrets.token_urlsafe(32),
        "REELPAY_PAYMENT_PROVIDER": "sandbox",
        "REELPAY_PAYOUT_PROVIDER": "sandbox",
        "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "1",  # no money moves in a benchmark
        "REELPAY_DATABASE_URL": database_url,
        "REELPAY_REQUESTS_PER_ADDRESS": "1000000000",
        "REELPAY_REQUESTS_IN_FLIGHT_PER_ADDRESS": "1000000",
    }


def start(name: str, factory: str, env: dict[str, str], workers: int, logs: Path) -> Server:
    """uvicorn with `reelpay.cli._serve`'s options, serving `factory`."""
    port = free_port()
    command = [
        str(BIN / "python"), "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--proxy-headers", "--ws-max-size", "1048576",
    ]  # fmt: skip
    log = (logs / f"{name}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(name, process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} server exited; see {log.name}")
        try:
            server.statements()
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit(f"{name} server did not start within 60 s")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@dataclass
class Bench:
    """Where and how to run: the database, the servers and wrk's settings."""

    database_url: str
    manifest: dict[str, Any]
    data_dir: Path
    secret: str
    reelpay: Server
    raw: Server
    threads: int
    connections: int
    timeout: float
    # Per scenario, the next request number: a write scenario never reuses one (keys, pairs,
    # deals), whichever server sent it.
    next_request: dict[str, int] = field(default_factory=dict)
    # Per scenario, the most requests per second a run answered (to foresee a pool running out).
    fastest: dict[str, float] = field(default_factory=dict)

    def wrk(self, server: Server, scenario: str, seconds: float, warmup: bool = False) -> Run:
        """One wrk run; exits loudly on any failed request (or none answered, unless warming
        up: a slow scenario may answer nothing in a short warm-up)."""
        path = "/graphql" if server is self.reelpay else f"/raw/{scenario}"
        first = self.next_request.get(scenario, 0)
        self.check_pool(scenario, first, seconds)
        prefix = f"{server.name}-{scenario}-{first}"
        before = server.statements()
        command = [
            "wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
            f"--timeout={self.timeout:g}s", "-s", f"bench/wrk/{scenario}.lua", server.url, "--",
            path, str(self.data_dir / f"{scenario}.lua"), str(first), prefix,
        ]  # fmt: skip
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        statements = server.statements() - before
        match = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
        if out.returncode != 0 or match is None:
            sys.exit(f"wrk failed on {scenario}/{server.name}:\n{out.stdout}\n{out.stderr}")
        figures = json.loads(match.group(1))
        self.next_request[scenario] = first + (figures["most_made_by_a_thread"] + 1) * self.threads
        rate = figures["requests"] / max(figures["duration_us"] / 1e6, 0.001)
        self.fastest[scenario] = max(self.fastest.get(scenario, 0.0), rate)
        bad = figures["non2xx"] + figures["failures"] + figures["socket_errors"]
        if bad or (figures["requests"] == 0 and not warmup):
            sys.exit(
                f"FAILED: {scenario} on {server.name}: {figures['requests']} requests, "
                f"{figures['non2xx']} non-2xx, {figures['failures']} failed, "
                f"{figures['socket_errors']} socket errors; first: {figures['sample']}"
            )
        return Run(
            requests=figures["requests"],
            seconds=figures["duration_us"] / 1e6,
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
            statements=statements,
        )

    def check_pool(self, scenario: str, first: int, seconds: float) -> None:
        """Exit before a run that could use up the scenario's pool (its last requests would
        fail): it may go 1.5 times as fast as the fastest run so far (both servers), plus the
        requests in flight when wrk stops."""
        if scenario not in POOLED:
            return
        left = len(self.manifest["marketplace"]["pools"][scenario]["deals"]) - first
        rate = self.fastest.get(scenario, 0.0)
        needed = round(rate * 1.5 * max(1, round(seconds))) + self.connections if rate else 0
        if left < needed:
            sys.exit(
                f"FAILED: {scenario} has {left} SUBMITTED deals left and a run may take "
                f"{needed}: raise --scale (deals grow with it) or shorten --duration"
            )


def write_data_file(path: Path, scenario: str, manifest: dict[str, Any], threads: int) -> None:
    """The Lua table a wrk script reads: its document, tokens and IDs (the fans exclude the
    checks' two)."""
    fans = manifest["fan_tokens"][: -len(checks.CHECK_FANS)]
    buyers = manifest["fan_tokens"][: manifest["page_buyers"]]
    market = manifest["marketplace"]

    def lua_list(items: list[Any]) -> str:
        return "{" + ",".join(json.dumps(i) for i in items) + "}"

    extra = ""  # the marketplace's lists, only where used (the pools are long)
    if scenario == "campaigns":
        extra = f"  viewers = {lua_list(market['viewer_tokens'])},\n"
    elif scenario in POOLED:  # "<deal ID> <brand index>" per line, read by the script
        pool = market["pools"][scenario]
        deals = path.with_suffix(".deals")
        deals.write_text(
            "".join(f"{d} {b}\n" for d, b in zip(pool["deals"], pool["brands"], strict=True))
        )
        extra = (
            f"  deals_file = {json.dumps(str(deals))},\n"
            f"  brand_tokens = {lua_list(market['brand_tokens'])},\n"
        )
    path.write_text(
        "return {\n"
        f"  query = {json.dumps(json.dumps(DOCUMENTS[scenario]))},\n"
        f"  threads = {threads},\n"
        f"  creators = {manifest['creators']},\n"
        f"  gift = {json.dumps(manifest['gift_id'])},\n"
        f"  live = {json.dumps(manifest['live_id'])},\n"
        f"  page_series = {json.dumps(manifest['page_series_id'])},\n"
        f"  fans = {lua_list(fans)},\n"
        f"  buyers = {lua_list(buyers)},\n"
        f"  sale_series = {lua_list(manifest['sale_series_ids'])},\n"
        f"{extra}"
        "}\n"
    )


def run_scenario(
    bench: Bench, scenario: str, rounds: int, seconds: float, warmup: float
) -> Outcome:
    """Warm up, check identity, then interleave the contenders (the order alternates)."""
    for server in (bench.raw, bench.reelpay):
        bench.wrk(server, scenario, warmup, warmup=True)
    checks.CHECKS[scenario](
        bench.reelpay.url, bench.raw.url, bench.manifest, bench.database_url, bench.secret
    )
    outcome = Outcome(scenario)
    for n in range(rounds):
        order = [bench.raw, bench.reelpay] if n % 2 == 0 else [bench.reelpay, bench.raw]
        for server in order:
            run = bench.wrk(server, scenario, seconds)
            (outcome.reelpay if server is bench.reelpay else outcome.raw).append(run)
        if scenario == "purchase":
            check_capacity(bench)
    outcome.rss_mb = {"reelpay": bench.reelpay.rss_mb(), "raw": bench.raw.rss_mb()}
    print(summary_line(outcome), flush=True)
    return outcome


def check_capacity(bench: Bench) -> None:
    fans = len(bench.manifest["fan_tokens"]) - len(checks.CHECK_FANS)
    if bench.next_request["purchase"] >= fans * len(bench.manifest["sale_series_ids"]):
        sys.exit("FAILED: purchaseSeries ran out of (fan, Series) pairs: raise --scale")


def verify_ledger(database_url: str) -> str:
    out = subprocess.run(
        [str(BIN / "reelpay"), "ledger", "verify"],
        env={**os.environ, "REELPAY_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"FAILED: reelpay ledger verify:\n{out.stdout}{out.stderr}")
    return out.stdout.strip()


# --- databases ------------------------------------------------------------------------------


@contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh `reelpay_bench_<time>` database on the server of `server_url`, dropped after."""
    import asyncpg  # type: ignore[import-untyped]

    parts = urlsplit(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"reelpay_bench_{int(time.time())}_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(parts._replace(scheme="postgresql").geturl())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield parts._replace(scheme="postgresql+asyncpg", path=f"/{name}").geturl()
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def prepare(
    database_url: str, scale: float, manifest_path: Path, scenarios: list[str]
) -> tuple[dict[str, Any], float]:
    """Migrate and fill the database (deals to approve only for the approveDeal scenarios
    that run); (the manifest, seconds the data set took)."""
    env = {**os.environ, "REELPAY_DATABASE_URL": database_url}
    subprocess.run([str(BIN / "reelpay"), "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "bench/dataset.py", "--url", database_url,
         "--scale", str(scale), "--manifest", str(manifest_path),
         "--deal-pools", *(s for s in POOLED if s in scenarios)],
        cwd=ROOT, check=True,
    )  # fmt: skip
    return json.loads(manifest_path.read_text()), time.perf_counter() - started


def run_backend(backend: str, database_url: str, args: argparse.Namespace, tmp: Path) -> dict:
    """Everything for one backend; a dict the report is written from."""
    print(f"== {backend}: generating the data set (scale {args.scale})", flush=True)
    load_before = os.getloadavg()[0]
    manifest, generated = prepare(
        database_url, args.scale, tmp / f"{backend}-manifest.json", args.scenarios
    )
    data_dir = tmp / f"{backend}-data"
    data_dir.mkdir()
    for scenario in args.scenarios:
        write_data_file(data_dir / f"{scenario}.lua", scenario, manifest, args.threads)
    env = server_env(database_url)
    # --reelpay-src: Reelpay's code from another checkout (a "before" figure); the raw app,
    # the data set and the checks stay this checkout's.
    reelpay_env = {**env, "PYTHONPATH": args.reelpay_src} if args.reelpay_src else env
    logs = tmp if args.logs is None else args.logs / backend
    logs.mkdir(parents=True, exist_ok=True)
    reelpay = start("reelpay", "bench.reelpay_app:create_app", reelpay_env, args.workers, logs)
    raw = start("raw", "bench.raw_app:create_app", env, args.workers, logs)
    try:
        bench = Bench(
            database_url, manifest, data_dir, env["REELPAY_SECRET_KEY"], reelpay, raw,
            args.threads, args.connections, args.timeout,
        )  # fmt: skip
        outcomes = [
            run_scenario(bench, s, args.rounds, args.duration, args.warmup) for s in args.scenarios
        ]
    finally:
        stop(reelpay)
        stop(raw)
    ledger = verify_ledger(database_url) if set(args.scenarios) & set(WRITES) else "not run"
    return {
        "backend": backend,
        "outcomes": outcomes,
        "counts": manifest["counts"],
        "generated_seconds": generated,
        "ledger": ledger,
        "load": (load_before, os.getloadavg()[0]),
    }


# --- the report -----------------------------------------------------------------------------


def summary_line(o: Outcome) -> str:
    ratios = o.ratios()
    return (
        f"{o.scenario:9} Reelpay/raw {statistics.median(ratios):.2f} "
        f"[{min(ratios):.2f}-{max(ratios):.2f}]  Reelpay {median(o.reelpay, 'rps'):.0f} req/s, "
        f"raw {median(o.raw, 'rps'):.0f} req/s"
    )


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def per_request(runs: list[Run], workers: int) -> str:
    if workers > 1:
        return "n/a"  # each worker counts its own; the stats route answers from one
    return f"{sum(r.statements for r in runs) / sum(r.requests for r in runs):.1f}"


def table(result: dict, workers: int) -> list[str]:
    lines = [
        "| scenario | Reelpay/raw throughput, median [min-max] | Reelpay req/s | raw req/s "
        "| p50 ms Reelpay / raw | p99 ms Reelpay / raw | statements/request Reelpay / raw "
        "| RSS MB Reelpay / raw |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in result["outcomes"]:
        ratios = o.ratios()
        lines.append(
            f"| {TITLES[o.scenario]} | **{statistics.median(ratios):.2f}** "
            f"[{min(ratios):.2f}-{max(ratios):.2f}] "
            f"| {median(o.reelpay, 'rps'):.0f} | {median(o.raw, 'rps'):.0f} "
            f"| {median(o.reelpay, 'p50_ms'):.1f} / {median(o.raw, 'p50_ms'):.1f} "
            f"(x{median(o.reelpay, 'p50_ms') / median(o.raw, 'p50_ms'):.1f}) "
            f"| {median(o.reelpay, 'p99_ms'):.1f} / {median(o.raw, 'p99_ms'):.1f} "
            f"(x{median(o.reelpay, 'p99_ms') / median(o.raw, 'p99_ms'):.1f}) "
            f"| {per_request(o.reelpay, workers)} / {per_request(o.raw, workers)} "
            f"| {o.rss_mb['reelpay']:.0f} / {o.rss_mb['raw']:.0f} |"
        )
    return lines


def versions() -> str:
    from importlib.metadata import version

    import sqlalchemy
    import starlette
    import strawberry  # noqa: F401
    import uvicorn

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (
        f"Python {platform.python_version()}, strawberry-graphql {version('strawberry-graphql')}, "
        f"starlette {starlette.__version__}, uvicorn {uvicorn.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, aiosqlite {version('aiosqlite')}, "
        f"asyncpg {version('asyncpg')}, orjson {version('orjson')}, "
        f"{(wrk.stdout + wrk.stderr).split(' Copyright')[0].strip()}"
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def postgres_version(url: str | None) -> str:
    if not url:
        return ""
    out = subprocess.run(
        ["psql", url.replace("postgresql+asyncpg", "postgresql"), "-Atc", "SHOW server_version"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return f", PostgreSQL {out.stdout.strip()}" if out.returncode == 0 else ""


def report(results: list[dict], args: argparse.Namespace, command: str) -> str:
    out = [
        "# Reelpay against a raw baseline (`make bench`)",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine()}.",
        f"- Versions: {versions()}{postgres_version(args.postgres_url)}.",
        f"- Load: `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s`, "
        f"{args.rounds} interleaved round(s) per scenario after a {args.warmup:g} s warm-up of "
        f"each; Reelpay with {args.workers} uvicorn worker(s), the raw app with as many.",
        "- Reelpay runs as in production (`REELPAY_ENV=production`, uvicorn with the options "
        "of `reelpay serve`) from `bench/reelpay_app.py`, which only adds a statement counter; "
        "`REELPAY_REQUESTS_PER_ADDRESS=1000000000` and "
        "`REELPAY_REQUESTS_IN_FLIGHT_PER_ADDRESS=1000000` because wrk's 32 connections come "
        "from one address. Throttles in process memory (no Redis).",
        "- Ratio: Reelpay's requests/s over the raw app's in the same round (1.00 = free). "
        "Statements per request counted with SQLAlchemy's `before_cursor_execute` in each "
        "server process (BEGIN included). RSS after the scenario's rounds (server plus workers).",
        "",
    ]
    for result in results:
        counts = ", ".join(f"{n:,} {what}" for what, n in result["counts"].items())
        out += [
            f"## {result['backend']}",
            "",
            f"Data set ({result['generated_seconds']:.0f} s to generate): {counts}.",
            "",
            *table(result, args.workers),
            "",
            f"`reelpay ledger verify` after the writes: {result['ledger']}",
            "",
            f"Load average (1 min) before the data set and after the last scenario: "
            f"{result['load'][0]:.1f}, {result['load'][1]:.1f}. The bench alone keeps about 2 "
            "busy (a server and wrk); more means other work shared the cores, which costs the "
            "absolute figures more than the interleaved ratios.",
            "",
        ]
    out += [line for line in NOTES.strip().splitlines()]
    if ANALYSIS.exists():  # where the time goes, written by hand from profiles
        out += ["", *ANALYSIS.read_text().strip().splitlines()]
    return "\n".join(out) + "\n"


ANALYSIS = Path(__file__).with_name("ANALYSIS.md")


NOTES = """
## What is compared

- Each scenario is one GraphQL document (bench/scenarios.py, sent by bench/wrk/<scenario>.lua)
  and a raw route (`POST /raw/<scenario>` in bench/raw_app.py: Starlette, SQLAlchemy Core on an
  engine made by `reelpay.db.create_engine` from the same settings, orjson) that takes the same
  body. (a) picks a random creator per request, (b) a random buyer of the 10-episode Series,
  (d) and (e) a fan in turn with a fresh idempotency key (and, for (e), a Series that fan does
  not own yet), (g) a random marketplace creator (the browse lists what they qualify for), (h)
  and (i) the next SUBMITTED deal of the scenario's pool, as its brand (each deal is approved
  once). (h) measures approvals that run concurrently: request k's deal is in campaign k mod C,
  so the 32 requests in flight lock different campaigns and pay different creators. (i)
  measures approvals that queue: deals k .. k+99 are one campaign's, so the requests in flight
  wait, one at a time, for that campaign's row lock (`escrow.lock`, taken first); on SQLite
  every write waits its turn anyway.
- Before timing, both answer the same request and the bodies must be byte-identical. For the
  Series page the signed playback links (`expires`, `sig`) and `expiresAt` depend on the instant,
  so they are replaced by placeholders after checking that each link verifies with the servers'
  key (`series.access.check_link`) and expires 300 s after the request. For the writes two
  fresh fans with the same balance send the same mutation, one to each server; the answers must
  match once the new purchase's ID is normalised, and so must the ledger transactions they wrote
  (kind, memo, source, each posting's account kind, owner, asset, amount, and the sender's
  balance after). For `approveDeal` two deals alike in every amount (each its own brand,
  creator and campaign) are approved, one through each server, and everything they wrote must
  match with the IDs named by role: the campaign's and the deal's rows, the ledger transaction
  and its postings, the notifications and the live events (outbox rows).
- The raw side runs the statements Reelpay's rules need, in one transaction for the writes
  (BEGIN IMMEDIATE and an in-process writer queue on SQLite, like `reelpay.db.run_write`), but
  not the ones that repeat a read, and takes the wallet balance from the ledger's
  `UPDATE ... RETURNING`: compare the statements/request columns. BEGIN is counted on SQLite
  (SQLAlchemy sends it), not on PostgreSQL (asyncpg starts transactions itself).
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--reelpay-src",
        help="serve Reelpay from this src/ directory (e.g. a worktree of an older commit)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--timeout", type=float, default=30, help="wrk's per-request timeout (s); slower fails"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--postgres-url", help="also run on a fresh database of this server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--output", type=Path, help="default bench/RESULTS.md (--quick: bench/RESULTS-quick.md)"
    )
    parser.add_argument(
        "--logs", type=Path, help="keep the servers' logs here (<backend>/reelpay.log, raw.log)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="scale 0.1, 1 round of 3 s, 1 s warm-up"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.rounds, args.duration, args.warmup = 0.1, 1, 5, 1
    if args.output is None:
        args.output = ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = "bench/run.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    results = []
    with tempfile.TemporaryDirectory(prefix="reelpay-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        backends: list[tuple[str, Callable[[], Any]]] = []
        if not args.no_sqlite:
            backends.append(("SQLite", lambda: sqlite_database(tmp)))
        if args.postgres_url:
            backends.append(("PostgreSQL", lambda: postgres_database(args.postgres_url)))
        for backend, database in backends:
            with database() as url:
                results.append(run_backend(backend, url, args, tmp))
    args.output.write_text(report(results, args, command))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
