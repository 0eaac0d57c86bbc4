"""Account services: sign-up, sessions, profiles, account type, staff actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay import events
from reelpay.accounts import switching, tokens, validation
from reelpay.accounts.models import Account, AuthSession
from reelpay.accounts.passwords import Passwords
from reelpay.content import service as content
from reelpay.enums import AccountType, Role, Standing, Visibility
from reelpay.errors import DomainError, ErrorCode, NotFound, PermissionDenied, Problem
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.settings import Rules


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final[Any] = _Keep()
"""Marks a profile field the caller did not mention: it keeps its value."""


@dataclass(frozen=True)
class ProfileChanges:
    handle: str = KEEP
    display_name: str = KEEP
    bio: str = KEEP
    avatar_url: str | None = KEEP
    country: str = KEEP
    visibility: Visibility = KEEP
    contact_email: str | None = KEEP
    website_url: str | None = KEEP


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    handle: str
    display_name: str
    birth_date: date
    country: str


# --- reading -------------------------------------------------------------------------------


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def get_account_or_raise(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.", field=("input", "accountId"))
    return account


async def get_by_handle(session: AsyncSession, handle: str) -> Account | None:
    return await session.scalar(
        sa.select(Account).where(Account.handle_key == validation.handle_key(handle))
    )


async def get_by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(sa.select(Account).where(Account.email == email.strip().lower()))


async def accounts_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Account]:
    rows = await session.scalars(sa.select(Account).where(Account.id.in_(set(ids))))
    return {account.id: account for account in rows}


async def list_accounts(
    session: AsyncSession, request: PageRequest, search: str | None, *, rules: Rules
) -> Page[Account]:
    """Every account, oldest first; `search` matches the start of a handle or display name."""
    stmt = sa.select(Account).where(*_search_filter(search, rules))
    return await paginate(session, stmt, (Account.id,), request, descending=False)


async def count_accounts(session: AsyncSession, search: str | None, *, rules: Rules) -> int:
    stmt = sa.select(sa.func.count()).select_from(Account).where(*_search_filter(search, rules))
    return int(await session.scalar(stmt) or 0)


def _search_filter(search: str | None, rules: Rules) -> list[sa.ColumnElement[bool]]:
    prefix = (search or "").strip().lower().removeprefix("@")
    if not prefix:
        return []
    if len(prefix) > max(rules.handle_max_length, rules.display_name_max_length):
        # Longer than any name can be: it matches nothing (and SQLite refuses very long
        # LIKE patterns).
        return [sa.false()]
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [
        sa.or_(
            Account.handle_key.like(pattern, escape="\\"),
            sa.func.lower(Account.display_name).like(pattern, escape="\\"),
        )
    ]


# --- sign-up and sessions ------------------------------------------------------------------


async def sign_up(
    session: AsyncSession,
    data: SignUp,
    *,
    now: datetime,
    rules: Rules,
    password_hash: str | None,
    role: Role = Role.USER,
) -> tuple[Account, str]:
    """Create an account and log it in; every invalid field is reported at once.

    `password_hash` comes from `hash_new_password`, computed before the transaction began
    (None when the password is refused, which is then reported with the rest)."""
    problems: list[Problem] = []

    def check(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except DomainError as error:
            problems.extend(error.problems)
            return None

    email = check(validation.email, data.email, ("input", "email"))
    check(validation.password, data.password, rules, ("input", "password"))
    handle = check(validation.handle, data.handle, rules, ("input", "handle"))
    display_name = check(_display_name, data.display_name, rules)
    birth_date = check(
        validation.birth_date, data.birth_date, now.date(), rules, ("input", "birthDate")
    )
    country = check(validation.country, data.country, ("input", "country"))
    if email and await session.scalar(sa.select(Account.id).where(Account.email == email)):
        problems.append(
            Problem(
                ErrorCode.EMAIL_TAKEN, "An account already uses this email.", ("input", "email")
            )
        )
    if handle and await _handle_taken(session, handle):
        problems.append(_handle_taken_problem())
    if problems:
        raise DomainError.of(problems)
    assert password_hash is not None, "an acceptable password comes hashed"

    account = Account(
        email=email,
        password_hash=password_hash,
        handle=handle,
        handle_key=validation.handle_key(handle),
        display_name=display_name,
        bio="",
        birth_date=birth_date,
        country=country,
        visibility=Visibility.PUBLIC,
        account_type=AccountType.PERSONAL,
        role=role,
        standing=Standing.GOOD,
        is_political=False,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    token = await _start_session(session, account, now=now, rules=rules)
    return account, token


async def hash_new_password(password: str, rules: Rules, passwords: Passwords) -> str | None:
    """The hash `sign_up` stores, or None for a password it refuses (nothing to hash)."""
    try:
        validation.password(password, rules, ("input", "password"))
    except DomainError:
        return None
    return await passwords.hash(password)


@dataclass(frozen=True)
class Credentials:
    """What checking a password needs: read first, then verified with no transaction open."""

    account_id: int | None
    password_hash: str | None


async def credentials(session: AsyncSession, email: str) -> Credentials:
    found = (
        await session.execute(
            sa.select(Account.id, Account.password_hash).where(
                Account.email == email.strip().lower()
            )
        )
    ).first()
    return Credentials(None, None) if found is None else Credentials(*found)


def wrong_credentials() -> DomainError:
    return DomainError("The email or password is wrong.", code=ErrorCode.INVALID_CREDENTIALS)


async def start_session(
    session: AsyncSession, verified: Credentials, *, now: datetime, rules: Rules
) -> tuple[Account, str]:
    """Log in the account whose password was just verified against `verified`; refused if
    its password changed meanwhile."""
    account = await session.scalar(
        sa.select(Account)
        .where(Account.id == verified.account_id)
        .options(orm.undefer(Account.password_hash))
        .execution_options(populate_existing=True)
    )
    if account is None or account.password_hash != verified.password_hash:
        raise wrong_credentials()
    token = await _start_session(session, account, now=now, rules=rules)
    return account, token


async def log_out(
    session: AsyncSession, account: Account, *, token: str, everywhere: bool, now: datetime
) -> int:
    """Revoke this token's session, or every live session of the account; returns how many."""
    stmt = (
        sa.update(AuthSession)
        .where(AuthSession.account_id == account.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if not everywhere:
        stmt = stmt.where(AuthSession.token_hash == tokens.hash_token(token))
    result = await session.execute(stmt)
    # Open subscriptions of the account, on every worker, check their token again now.
    events.emit(session, events.sessions_channel(account.id), events.SESSIONS_REVOKED)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def authenticate(session: AsyncSession, token: str, *, now: datetime) -> Account | None:
    """The account a live token belongs to, or None if it is unknown, expired or revoked."""
    return await session.scalar(
        sa.select(Account)
        .join(AuthSession, AuthSession.account_id == Account.id)
        .where(AuthSession.token_hash == tokens.hash_token(token))
        .where(AuthSession.revoked_at.is_(None))
        .where(AuthSession.expires_at > now)
    )


async def _start_session(
    session: AsyncSession, account: Account, *, now: datetime, rules: Rules
) -> str:
    token = tokens.new_token()
    session.add(
        AuthSession(
            account_id=account.id,
            token_hash=tokens.hash_token(token),
            created_at=now,
            expires_at=now + timedelta(days=rules.session_ttl_days),
        )
    )
    await session.flush()
    return token


# --- profile -------------------------------------------------------------------------------


async def update_profile(
    session: AsyncSession,
    account: Account,
    changes: ProfileChanges,
    *,
    now: datetime,
    rules: Rules,
) -> Account:
    """Apply the mentioned fields; pro-only fields need a BUSINESS account."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def take(name: str, fn: Any, *args: Any) -> None:
        raw = getattr(changes, name)
        if raw is KEEP:
            return
        try:
            values[name] = None if raw is None else fn(raw, *args)
        except DomainError as error:
            problems.extend(error.problems)

    def required(name: str) -> None:
        if getattr(changes, name) is None:
            problems.append(
                Problem(
                    ErrorCode.INVALID_INPUT, "This field cannot be empty.", ("input", _camel(name))
                )
            )

    for name in ("handle", "display_name", "bio", "country", "visibility"):
        required(name)
    take("handle", validation.handle, rules, ("input", "handle"))
    take("display_name", lambda v: _display_name(v, rules))
    take(
        "bio",
        lambda v: validation.text(
            v,
            min_length=0,
            max_length=rules.bio_max_length,
            what="A bio",
            field=("input", "bio"),
            multiline=True,
        ),
    )
    take("avatar_url", validation.url, rules, ("input", "avatarUrl"))
    take("country", validation.country, ("input", "country"))
    take("visibility", lambda v: v)
    take("website_url", validation.url, rules, ("input", "websiteUrl"))
    take("contact_email", validation.email, ("input", "contactEmail"))
    for pro_field in ("website_url", "contact_email"):
        if values.get(pro_field) is not None and not account.is_business:
            problems.append(
                Problem(
                    ErrorCode.BUSINESS_ACCOUNT_REQUIRED,
                    "Only pro (BUSINESS) accounts show a website and contact email.",
                    ("input", _camel(pro_field)),
                )
            )
    new_handle = values.get("handle")
    if (
        new_handle
        and validation.handle_key(new_handle) != account.handle_key
        and (await _handle_taken(session, new_handle))
    ):
        problems.append(_handle_taken_problem())
    if problems:
        raise DomainError.of(problems)

    if new_handle:
        values["handle_key"] = validation.handle_key(new_handle)
    opening_up = (
        values.get("visibility") is Visibility.PUBLIC and account.visibility is Visibility.PRIVATE
    )
    for name, value in values.items():
        setattr(account, name, value)
    await session.flush()
    if opening_up:
        await content.accept_all_follow_requests(session, account, now=now)
    return account


async def preview_account_type_switch(
    session: AsyncSession, account: Account, target: AccountType
) -> switching.SwitchPreview:
    return switching.preview_switch(
        account.account_type,
        target,
        website_url=account.website_url,
        contact_email=account.contact_email,
        pinned_video_ids=tuple(await content.pinned_video_ids(session, account.id)),
    )


async def switch_account_type(
    session: AsyncSession, account: Account, target: AccountType
) -> switching.SwitchPreview:
    """Switch PERSONAL <-> BUSINESS; pins are kept (hidden while PERSONAL), pro fields cleared."""
    if account.account_type is target:
        raise DomainError(
            f"The account is already {target.value}.",
            code=ErrorCode.ALREADY_ACCOUNT_TYPE,
            field=("input", "accountType"),
        )
    preview = await preview_account_type_switch(session, account, target)
    account.account_type = target
    if target is AccountType.PERSONAL:
        account.website_url = None
        account.contact_email = None
    await session.flush()
    return preview


# --- staff ---------------------------------------------------------------------------------


def require_staff(actor: Account) -> Account:
    if not actor.is_staff:
        raise PermissionDenied("Only staff can do this.")
    return actor


async def set_standing(
    session: AsyncSession, actor: Account, account_id: int, standing: Standing
) -> Account:
    require_staff(actor)
    account = await get_account_or_raise(session, account_id)
    account.standing = standing
    await session.flush()
    return account


async def set_political(
    session: AsyncSession, actor: Account, account_id: int, is_political: bool
) -> Account:
    require_staff(actor)
    account = await get_account_or_raise(session, account_id)
    account.is_political = is_political
    await session.flush()
    return account


async def promote_to_staff(session: AsyncSession, email: str) -> Account:
    account = await get_by_email(session, email)
    if account is None:
        raise NotFound(f"No account with email {email}.")
    account.role = Role.STAFF
    await session.flush()
    return account


# --- helpers -------------------------------------------------------------------------------


def _display_name(value: str, rules: Rules) -> str:
    return validation.text(
        value,
        min_length=1,
        max_length=rules.display_name_max_length,
        what="A display name",
        field=("input", "displayName"),
    )


async def _handle_taken(session: AsyncSession, handle: str) -> bool:
    found = await session.scalar(
        sa.select(Account.id).where(Account.handle_key == validation.handle_key(handle))
    )
    return found is not None


def _handle_taken_problem() -> Problem:
    return Problem(ErrorCode.HANDLE_TAKEN, "This handle is taken.", ("input", "handle"))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def lock_parties(
    session: AsyncSession, *, shared: Sequence[int] = (), updating: Sequence[int] = ()
) -> list[Account]:
    """Lock accounts a money movement depends on, in primary-key order, and re-read them.

    `shared` (FOR SHARE): a creator whose standing must not change until we commit (a ban
    waits for gifts in flight). `updating` (FOR NO KEY UPDATE): a tipper, so one tipper's tips
    run one at a time and the daily limits hold. NO KEY UPDATE does not conflict with the KEY
    SHARE locks that inserting rows referencing the account takes (FOR UPDATE deadlocked), and
    taking every lock in key order means two people paying each other cannot deadlock.
    SQLite's BEGIN IMMEDIATE already serialises writers; there these are plain reads.
    Returns the accounts in the order of `shared` then `updating` (missing ones left out).
    """
    found: dict[int, Account] = {}
    for account_id in sorted({*shared, *updating}):
        locked = await session.execute(
            sa.select(Account)
            .where(Account.id == account_id)
            .with_for_update(read=account_id not in updating, key_share=account_id in updating)
            .execution_options(populate_existing=True)
        )
        account = locked.scalar_one_or_none()
        if account is not None:
            found[account_id] = account
    return [found[i] for i in (*shared, *updating) if i in found]
