"""Factories: make accounts and content through the API, and history through services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.accounts import service as accounts
from reelpay.content import service as content
from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import decode_id

_sequence = itertools.count(1)


def decode_pk(global_id: str) -> int:
    """The primary key behind a global ID (tests only: clients treat IDs as opaque)."""
    return decode_id(global_id)[1]


@dataclass
class User:
    id: str  # global ID
    pk: int
    handle: str
    email: str
    token: str
    password: str = "correct horse battery"


async def sign_up(api: Any, handle: str | None = None, **fields: Any) -> User:
    """A new account through `signUp`; defaults make an adult in the US."""
    n = next(_sequence)
    handle = handle or f"user{n}"
    input = {
        "email": fields.pop("email", f"{handle.lower()}@example.com"),
        "password": fields.pop("password", "correct horse battery"),
        "handle": handle,
        "displayName": fields.pop("displayName", handle.title()),
        "birthDate": fields.pop("birthDate", "1995-05-05"),
        "country": fields.pop("country", "US"),
    }
    assert not fields, f"unknown sign-up fields {fields}"
    payload = await api.mutate("signUp", input, "token account { id handle }")
    assert payload["userErrors"] == [], payload["userErrors"]
    account = payload["account"]
    return User(
        id=account["id"],
        pk=decode_pk(account["id"]),
        handle=account["handle"],
        email=input["email"],
        token=payload["token"],
        password=input["password"],
    )


async def log_in(api: Any, user: User) -> User:
    """Log `user` in again (a session older than its TTL has expired); updates the token."""
    payload = await api.mutate("logIn", {"email": user.email, "password": user.password}, "token")
    assert payload["userErrors"] == [], payload["userErrors"]
    user.token = payload["token"]
    return user


async def make_staff(api: Any, engine: AsyncEngine, handle: str = "staff") -> User:
    user = await sign_up(api, handle)
    async with create_sessionmaker(engine)() as session:
        await run_write(session, lambda: accounts.promote_to_staff(session, user.email))
    return user


async def publish(api: Any, user: User, title: str = "A video", **fields: Any) -> str:
    """Publish a video; returns its global ID."""
    input = {"title": title, "durationSeconds": fields.pop("durationSeconds", 45), **fields}
    payload = await api.mutate("publishVideo", input, "video { id }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["video"]["id"]


async def add_views(engine: AsyncEngine, video_id: str, views_by_day: dict[date, int]) -> None:
    """Load view history through the service (not thousands of mutations)."""
    async with create_sessionmaker(engine)() as session:
        await run_write(
            session, lambda: content.add_views(session, decode_pk(video_id), views_by_day)
        )


async def set_account(api: Any, user: User, **changes: Any) -> dict[str, Any]:
    payload = await api.mutate("updateProfile", changes, "account { id }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


# --- money ---------------------------------------------------------------------------------

SUCCESS_TOKEN = "tok_sandbox_success"
DECLINED_TOKEN = "tok_sandbox_declined"
PROCESSING_ERROR_TOKEN = "tok_sandbox_processing_error"
_keys = itertools.count(1)


def new_key() -> str:
    """A fresh idempotency key."""
    return f"key-{next(_keys)}"


def package_id(coins: int) -> str:
    from reelpay.graphql.relay import encode_id

    return encode_id("CoinPackage", coins)


async def buy_coins(api: Any, user: User, coins: int = 700) -> dict[str, Any]:
    """Buy a coin package with the sandbox's success token; returns the payload."""
    payload = await api.mutate(
        "purchaseCoins",
        {
            "packageId": package_id(coins),
            "paymentToken": SUCCESS_TOKEN,
            "idempotencyKey": new_key(),
        },
        "purchase { coins } wallet { coins }",
        token=user.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def add_followers(engine: AsyncEngine, user: User, count: int) -> None:
    """Give `user` `count` approved followers (made-up accounts inserted in bulk)."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from reelpay.accounts.models import Account
    from reelpay.content.models import Follow
    from reelpay.enums import FollowStatus

    now = datetime(2026, 1, 1, tzinfo=UTC)
    batch = next(_sequence)
    async with create_sessionmaker(engine)() as session:

        async def insert() -> None:
            rows = [
                {
                    "email": f"fan{batch}-{i}@followers.test",
                    "password_hash": "!",
                    "handle": f"f{batch}x{i}",
                    "handle_key": f"f{batch}x{i}",
                    "display_name": "Fan",
                    "bio": "",
                    "birth_date": date(1990, 1, 1),
                    "country": "US",
                    "visibility": "PUBLIC",
                    "account_type": "PERSONAL",
                    "role": "USER",
                    "standing": "GOOD",
                    "is_political": False,
                    "created_at": now,
                }
                for i in range(count)
            ]
            if rows:
                await session.execute(sa.insert(Account), rows)
            ids = (
                await session.scalars(
                    sa.select(Account.id).where(Account.email.like(f"fan{batch}-%@followers.test"))
                )
            ).all()
            if ids:
                await session.execute(
                    sa.insert(Follow),
                    [
                        {
                            "follower_id": i,
                            "followee_id": user.pk,
                            "status": FollowStatus.ACCEPTED,
                            "created_at": now,
                            "accepted_at": now,
                        }
                        for i in ids
                    ],
                )

        await run_write(session, insert)


async def set_standing(engine: AsyncEngine, user: User, standing: str) -> None:
    import sqlalchemy as sa

    from reelpay.accounts.models import Account

    async with create_sessionmaker(engine)() as session:
        await run_write(
            session,
            lambda: session.execute(
                sa.update(Account).where(Account.id == user.pk).values(standing=standing)
            ),
        )


async def ledger_problems(engine: AsyncEngine) -> list[str]:
    from reelpay.wallet import audit

    async with create_sessionmaker(engine)() as session:
        return await audit.verify(session)


async def enrol(engine: AsyncEngine, user: User, *programs: str) -> None:
    """Enrol `user` in programs directly (as if staff had approved applications long ago),
    each with the program's current terms accepted and the age confirmed."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from reelpay.programs.models import Enrolment, ProgramTerms

    when = datetime(2026, 1, 1, tzinfo=UTC)

    async def insert() -> None:
        for program in programs:
            current = (
                sa.select(sa.func.max(ProgramTerms.id))
                .where(ProgramTerms.program == program)
                .scalar_subquery()
            )
            await session.execute(
                sa.insert(Enrolment).values(
                    account_id=user.pk,
                    program=program,
                    enrolled_at=when,
                    terms_id=current,
                    terms_accepted_at=when,
                    age_confirmed_at=when,
                )
            )

    async with create_sessionmaker(engine)() as session:
        await run_write(session, insert)


async def terms_version(api: Any, program: str) -> str:
    """The program's current terms version, as a client reads it before applying."""
    query = "query($p: Program!) { programTerms(program: $p) { version } }"
    data = await api.data(query, {"p": program})
    return str(data["programTerms"]["version"])


async def apply_input(api: Any, program: str, **fields: Any) -> dict[str, Any]:
    """An `applyToProgram` input that accepts the program's current terms and confirms the
    age, plus `fields`."""
    return {
        "program": program,
        "acceptTermsVersion": await terms_version(api, program),
        "confirmAge": True,
        **fields,
    }


async def credit_earnings(
    engine: AsyncEngine,
    user: User,
    cents: int,
    *,
    source: str = "REWARDS",
    at: Any = None,
) -> None:
    """Credit `cents` of available USD earnings from `source`, as the rewards job or a tip
    would (through the ledger, the only writer of ledger rows)."""
    from datetime import UTC, datetime

    from reelpay.wallet import ledger
    from reelpay.wallet.models import EarningsSource, LedgerAccountKind, TransactionKind

    when = at or datetime(2026, 6, 1, tzinfo=UTC)
    async with create_sessionmaker(engine)() as session:
        await run_write(
            session,
            lambda: ledger.post(
                session,
                kind=TransactionKind.REWARDS_ACCRUAL,
                legs=[
                    (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -cents),
                    (ledger.user(user.pk, LedgerAccountKind.EARNINGS), cents),
                ],
                now=when,
                earnings_source=EarningsSource(source),
                memo="test earnings",
            ),
        )


async def add_paypal(api: Any, user: User, email: str | None = None, **extra: Any) -> str:
    """Link a PayPal payout method; returns its global ID."""
    payload = await api.mutate(
        "addPayoutMethod",
        {"paypal": {"email": email or f"{user.handle}@paypal.example"}, **extra},
        "method { id }",
        token=user.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["method"]["id"]


def iban_with_checksum(country: str, bban: str) -> str:
    """A valid IBAN for a country and BBAN (computes the two check digits)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"
