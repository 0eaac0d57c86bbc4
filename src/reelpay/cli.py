"""The `reelpay` command: serve, migrate, seed-demo, create-staff, ledger verify, jobs,
sandbox-clock."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import re
import sys
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay import demo, migrate, providers
from reelpay.accounts import service as accounts
from reelpay.accounts.passwords import Passwords
from reelpay.clock import Clock, SandboxClock, SystemClock
from reelpay.content import view_marks
from reelpay.db import (
    create_engine,
    create_sessionmaker,
    is_unavailable,
    run_write,
    session_scope,
)
from reelpay.enums import Role
from reelpay.errors import DomainError
from reelpay.events.broker import create_broker
from reelpay.graphql.errors import brief
from reelpay.payouts import audit as payout_audit
from reelpay.payouts import processing as payout_processing
from reelpay.programs import rewards
from reelpay.sandbox import service as sandbox
from reelpay.series import purchases as series_sales
from reelpay.settings import ConfigurationError, Settings
from reelpay.wallet import audit, earnings


def main(argv: list[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run one command; `clock` is the real one unless a test gives its own."""
    clock = clock or SystemClock()
    parser = argparse.ArgumentParser(prog="reelpay", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API (GraphiQL at /graphql in development)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="bring the database schema up to date")
    seed = commands.add_parser("seed-demo", help="load demo data")
    seed.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has accounts"
    )
    staff = commands.add_parser("create-staff", help="create a staff account, or promote one")
    staff.add_argument("--email", required=True)
    staff.add_argument("--handle", help="for a new account (default: the email's local part)")
    staff.add_argument("--birth-date", type=date.fromisoformat, default=date(1990, 1, 1))
    staff.add_argument("--country", default="US")
    staff.add_argument("--password", help="for a new account; asked for when omitted")
    ledger_cmd = commands.add_parser("ledger", help="ledger maintenance")
    ledger_actions = ledger_cmd.add_subparsers(dest="action", required=True)
    ledger_actions.add_parser(
        "verify", help="check every ledger invariant; exit 1 when one is violated"
    )
    jobs = commands.add_parser("jobs", help="periodic jobs (safe to run again)")
    job = jobs.add_subparsers(dest="job", required=True)
    rewards_job = job.add_parser(
        "rewards", help="credit Creator Rewards for a UTC day that is over (default: yesterday)"
    )
    rewards_job.add_argument("--date", type=date.fromisoformat)
    job.add_parser(
        "release-earnings",
        help="make pending earnings available once their hold ended (Series refund windows, "
        "configured holds)",
    )
    job.add_parser(
        "payouts",
        help="create today's scheduled payouts and send every due payout (run it every few "
        "minutes)",
    )
    job.add_parser(
        "prune-view-marks",
        help="delete the once-per-viewer-and-day view marks of days before yesterday, which "
        "nothing reads again (run it daily)",
    )
    job.add_parser(
        "send-campaign-refunds",
        help="ask the payment provider for campaign refunds still PENDING (closed or cancelled "
        "campaigns whose refund was not confirmed; run it every few minutes)",
    )
    job.add_parser(
        "auto-approve-deals",
        help="approve marketplace deal submissions the brand did not review in time (run it "
        "every few minutes)",
    )
    job.add_parser(
        "challenge-results",
        help="rank the entries of sponsored challenges whose results are due, pay the prizes "
        "and refund the rest (run it every few minutes)",
    )
    job.add_parser(
        "settle-pending-payments",
        help="ask the payment provider about card payments waiting more than 15 minutes for "
        "3-D Secure or processing, and credit or fail them as its webhook would (a safety net "
        "for lost webhooks; run it every few minutes)",
    )
    views_job = job.add_parser(
        "accrue-campaign-views",
        help="pay PER_VIEW campaign deals for a UTC day's authentic views (default: yesterday)",
    )
    views_job.add_argument("--day", type=date.fromisoformat)
    clock_cmd = commands.add_parser(
        "sandbox-clock",
        help="outside production: show the shared sandbox clock, or move it forward",
    )
    clock_actions = clock_cmd.add_subparsers(dest="action", required=True)
    clock_actions.add_parser("show", help="print the sandbox time and how far it is ahead")
    advance = clock_actions.add_parser("advance", help="move it forward, e.g. 7d, 36h, 1d12h30m")
    advance.add_argument("by", type=_duration)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings, args)
    try:
        return _run(args, settings, clock)
    except Exception as error:
        if not is_unavailable(error):
            raise
        print(
            f"the database is not answering ({brief(error)}); nothing was done. Check "
            "REELPAY_DATABASE_URL and that the database is up, then run the command again.",
            file=sys.stderr,
        )
        return 3


def _run(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "seed-demo":
        return asyncio.run(_seed(settings, args.if_empty, clock))
    if args.command == "ledger":
        return asyncio.run(_verify_ledger(settings))
    if args.command == "sandbox-clock":
        return asyncio.run(_sandbox_clock(settings, args, clock))
    if args.command == "jobs" and args.job == "release-earnings":
        return asyncio.run(_release_job(settings, clock))
    if args.command == "jobs" and args.job == "payouts":
        return asyncio.run(_payouts_job(settings, clock))
    if args.command == "jobs" and args.job == "prune-view-marks":
        return asyncio.run(_prune_view_marks_job(settings, clock))
    if args.command == "jobs" and args.job == "send-campaign-refunds":
        return asyncio.run(_send_campaign_refunds_job(settings, clock))
    if args.command == "jobs" and args.job == "auto-approve-deals":
        return asyncio.run(_auto_approve_deals_job(settings, clock))
    if args.command == "jobs" and args.job == "challenge-results":
        return asyncio.run(_challenge_results_job(settings, clock))
    if args.command == "jobs" and args.job == "settle-pending-payments":
        return asyncio.run(_settle_pending_payments_job(settings, clock))
    if args.command == "jobs" and args.job == "accrue-campaign-views":
        return asyncio.run(_campaign_views_job(settings, args.day, clock))
    if args.command == "jobs":
        return asyncio.run(_rewards_job(settings, args.date, clock))
    return asyncio.run(_create_staff(settings, args, clock))


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "reelpay.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        proxy_headers=True,
        # A WebSocket message is held whole too: no bigger than a request body may be.
        ws_max_size=settings.limits.max_body_bytes,
    )
    return 0


async def _seed(settings: Settings, if_empty: bool, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        clock = await _sandboxed(settings, create_sessionmaker(engine), clock)
        async with session_scope(create_sessionmaker(engine)) as session:
            if await demo.has_data(session):
                if if_empty:
                    print("demo data: the database already has accounts, nothing loaded")
                    return 0
                print(
                    "the database already has accounts; seed-demo loads into an empty one",
                    file=sys.stderr,
                )
                return 1
            now = clock.now()
            try:
                counts = await run_write(
                    session, lambda: demo.seed(session, settings=settings, now=now)
                )
            except demo.DemoError as error:
                print(f"demo data not loaded: {error}", file=sys.stderr)
                return 1
        print("demo data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        print(f"log in as mia.dances@demo.reelpay.dev / {demo.DEMO_PASSWORD}")
        return 0
    finally:
        await engine.dispose()


async def _verify_ledger(settings: Settings) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            problems = await audit.verify(session) + await payout_audit.verify(session)
    finally:
        await engine.dispose()
    for problem in problems:
        print(f"violation: {problem}", file=sys.stderr)
    if problems:
        print(f"ledger verify: {len(problems)} violation(s)", file=sys.stderr)
        return 1
    print("ledger verify: every invariant holds, and payouts agree with the ledger")
    return 0


async def _rewards_job(settings: Settings, day: date | None, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        now = (await _sandboxed(settings, create_sessionmaker(engine), clock)).now()
    except BaseException:
        await engine.dispose()
        raise
    day = day or (now - timedelta(days=1)).date()
    broker = create_broker(
        settings.database_url, settings.limits
    )  # subscribers on API workers hear of it
    try:
        summary = await rewards.accrue_day(
            create_sessionmaker(engine), day, now=now, settings=settings, publish=broker.publish
        )
    except DomainError as error:
        print(error.problems[0].message, file=sys.stderr)
        return 1
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"rewards for {summary.day}: {summary.creators_credited} creator(s) credited "
        f"{summary.cents_credited / 100:.2f} USD; {summary.already_credited} already credited; "
        f"{summary.suspended} suspended"
    )
    return 0


async def _release_job(settings: Settings, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        count, cents = await series_sales.release_due(maker, now=now, publish=broker.publish)
        holds, held_cents = await earnings.release_due(maker, now=now, publish=broker.publish)
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"released {(cents + held_cents) / 100:.2f} USD of pending earnings from "
        f"{count} sale(s) and {holds} other hold(s)"
    )
    return 0


async def _payouts_job(settings: Settings, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    try:
        maker = create_sessionmaker(engine)
        summary = await payout_processing.run(
            maker,
            providers.payout_provider(settings),
            clock=await _sandboxed(settings, maker, clock),
            settings=settings,
            publish=broker.publish,
        )
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"payouts: {summary.scheduled} scheduled payout(s) created, {summary.paid} paid, "
        f"{summary.failed} failed, {summary.retrying} to retry"
        + (f"; {summary.errors} could not be handled (see the log)" if summary.errors else "")
    )
    return 1 if summary.errors else 0


async def _prune_view_marks_job(settings: Settings, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        maker = create_sessionmaker(engine)
        today = (await _sandboxed(settings, maker, clock)).now().date()
        deleted = await view_marks.prune(maker, today=today)
    finally:
        await engine.dispose()
    print(f"pruned {deleted} view mark(s) of days before {view_marks.oldest_kept(today)}")
    return 0


async def _auto_approve_deals_job(settings: Settings, clock: Clock) -> int:
    from reelpay.marketplace import deals as marketplace_deals

    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        summary = await marketplace_deals.auto_approve_due(maker, now=now, publish=broker.publish)
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"auto-approved {summary.approved} deal(s), paying {summary.cents_paid / 100:.2f} USD"
        + (f"; {summary.errors} could not be handled (see the log)" if summary.errors else "")
    )
    return 1 if summary.errors else 0


# A parked card payment is asked about once its webhook is this late.
PENDING_PAYMENT_GRACE = timedelta(minutes=15)


async def _settle_pending_payments_job(settings: Settings, clock: Clock) -> int:
    from reelpay.payments import webhooks

    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    provider = providers.payment_provider(settings)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        counts = await webhooks.settle_parked(
            maker, provider, now=now, settings=settings, older_than=PENDING_PAYMENT_GRACE,
            publish=broker.publish,
        )  # fmt: skip
    finally:
        close = getattr(provider, "aclose", None)
        if close is not None:
            await close()
        await broker.close()
        await engine.dispose()
    print(
        f"pending card payments: {counts['credited']} credited, {counts['failed']} failed, "
        f"{counts['waiting']} still waiting"
        + (f"; {counts['errors']} could not be settled (see the log)" if counts["errors"] else "")
    )
    return 1 if counts["errors"] else 0


async def _send_campaign_refunds_job(settings: Settings, clock: Clock) -> int:
    from reelpay.marketplace import closing

    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        sent, pending = await closing.send_pending_refunds(
            maker, providers.payment_provider(settings), now=now
        )
    finally:
        await engine.dispose()
    print(f"sent {sent} campaign refund(s); {pending} still pending")
    return 1 if pending else 0


async def _challenge_results_job(settings: Settings, clock: Clock) -> int:
    from reelpay.marketplace import challenges, escrow

    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        summary = await challenges.settle_challenges(
            maker, now=now, rules=settings.rules, publish=broker.publish
        )
        sent = 0
        if summary.refund_ids:  # PENDING ones left are retried by send-campaign-refunds
            sent = await escrow.send_refunds(
                maker, providers.payment_provider(settings), now=now,
                refund_ids=summary.refund_ids,
            )  # fmt: skip
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"challenge results: {len(summary.settled)} challenge(s) completed, {summary.prizes} "
        f"prize(s) paid {summary.cents / 100:.2f} USD; {sent} of "
        f"{len(summary.refund_ids)} refund(s) sent"
        + (f"; {len(summary.failed)} failed (see the log)" if summary.failed else "")
    )
    return 1 if summary.failed else 0


async def _campaign_views_job(settings: Settings, day: date | None, clock: Clock) -> int:
    from reelpay.marketplace import per_view

    engine = create_engine(settings.database_url, limits=settings.limits)
    broker = create_broker(settings.database_url, settings.limits)
    try:
        maker = create_sessionmaker(engine)
        now = (await _sandboxed(settings, maker, clock)).now()
        day = day or (now - timedelta(days=1)).date()
        summary = await per_view.accrue_views(maker, day=day, now=now, publish=broker.publish)
    except DomainError as error:
        print(error.problems[0].message, file=sys.stderr)
        return 1
    finally:
        await broker.close()
        await engine.dispose()
    print(
        f"campaign views for {summary.day}: {summary.deals_paid} deal(s) paid "
        f"{summary.cents / 100:.2f} USD; {summary.already} already accrued"
        + (f"; {len(summary.failed)} failed (see the log)" if summary.failed else "")
    )
    return 1 if summary.failed else 0


async def _create_staff(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        clock = await _sandboxed(settings, create_sessionmaker(engine), clock)
        async with session_scope(create_sessionmaker(engine)) as session:
            existing = await accounts.get_by_email(session, args.email)
            if existing is not None:
                await run_write(session, lambda: accounts.promote_to_staff(session, args.email))
                print(f"{existing.handle} is now staff")
                return 0
            password = args.password or getpass.getpass("password for the new staff account: ")
            data = accounts.SignUp(
                email=args.email,
                password=password,
                handle=args.handle or args.email.split("@")[0],
                display_name=args.handle or args.email.split("@")[0],
                birth_date=args.birth_date,
                country=args.country,
            )
            password_hash = await accounts.hash_new_password(
                password, settings.rules, Passwords(settings)
            )
            try:
                account, _ = await run_write(
                    session,
                    lambda: accounts.sign_up(
                        session,
                        data,
                        now=clock.now(),
                        rules=settings.rules,
                        password_hash=password_hash,
                        role=Role.STAFF,
                    ),
                )
            except DomainError as error:
                for problem in error.problems:
                    print(f"{'.'.join(problem.field or ())}: {problem.message}", file=sys.stderr)
                return 1
            print(f"created staff account {account.handle}")
            return 0
    finally:
        await engine.dispose()


async def _sandboxed(
    settings: Settings, maker: async_sessionmaker[AsyncSession], clock: Clock
) -> Clock:
    """The clock a command runs on: outside production, `clock` plus the shared sandbox
    offset read now (once, at the start); in production `clock` itself."""
    if not settings.sandbox_clock_enabled:
        return clock
    sandboxed = SandboxClock(clock)
    async with maker() as session:
        sandboxed.observe(await sandbox.read_offset(session))
    return sandboxed


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _duration(text: str) -> sandbox.Duration:
    """`7d`, `36h`, `1d12h30m`, `90s`: days, hours, minutes and seconds, in that order."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration such as 7d, 36h, 1d12h30m or 90s"
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return sandbox.Duration(days=days, hours=hours, minutes=minutes, seconds=seconds)


async def _sandbox_clock(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    if not settings.sandbox_clock_enabled:
        print(
            "the sandbox clock is off here (always in production, or REELPAY_SANDBOX_CLOCK=off): "
            "time is the real clock's and cannot be moved",
            file=sys.stderr,
        )
        return 2
    engine = create_engine(settings.database_url, limits=settings.limits)
    try:
        maker = create_sessionmaker(engine)
        if args.action == "advance":
            async with session_scope(maker) as session:
                try:
                    await run_write(
                        session,
                        lambda: sandbox.advance_as_operator(session, args.by, now=clock.now()),
                    )
                except DomainError as error:
                    for problem in error.problems:
                        print(problem.message, file=sys.stderr)
                    return 1
        sandboxed = await _sandboxed(settings, maker, clock)
    finally:
        await engine.dispose()
    assert isinstance(sandboxed, SandboxClock)
    ahead = sandboxed.offset
    print(
        f"sandbox time {sandboxed.now().isoformat()} ({ahead.total_seconds():.0f} s ahead: {ahead})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
