"""Stripe Connect onboarding: each creator's Express account, and whether bank payouts can go
there yet.

When bank payouts go through Stripe (`stripe` in REELPAY_PAYOUT_PROVIDER) a payout to a bank
account is sent to the creator's own Connect account, so it is refused until Stripe says that
account can receive payouts (`payouts_enabled`). The account is created once per creator (the
`provider_accounts` row's primary key, and a Stripe idempotency key per creator); each call
then asks Stripe for a fresh onboarding link, since links expire within minutes. Stripe is
always called with no database connection held.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelpay.accounts.models import Account
from reelpay.accounts.validation import age_on, url
from reelpay.db import upsert, write_once
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.origins import DEVELOPMENT_ORIGINS
from reelpay.payouts import rules as payout_rules
from reelpay.payouts.models import PayoutMethodKind, ProviderAccount
from reelpay.settings import Settings

log = logging.getLogger("reelpay.payouts")
T = TypeVar("T")

PROVIDER = "stripe"
RETURN_URL_FIELD = ("input", "returnUrl")
REFRESH_URL_FIELD = ("input", "refreshUrl")
NOT_CONFIGURED = "Bank payouts through Stripe are not configured on this server."
UNAVAILABLE = "Stripe did not answer; nothing was kept. Try again in a moment."
NOT_READY = "Finish setting up your bank payouts with Stripe: "


class ConnectStatus(Protocol):
    """What Stripe says about a Connect account (`StripeConnect.account_status`)."""

    @property
    def payouts_enabled(self) -> bool: ...
    @property
    def details_submitted(self) -> bool: ...
    @property
    def requirements_due(self) -> Sequence[str]: ...


class ConnectClient(Protocol):
    """What onboarding needs from Stripe Connect (`payouts.stripe_connect.StripeConnect`)."""

    async def create_account(self, *, creator_id: int, email: str, country: str) -> str:
        """The Express account's id (acct_…); the same one again for the same creator."""
        ...

    async def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A new single-use onboarding URL (it expires within minutes)."""
        ...

    async def account_status(self, account_id: str) -> ConnectStatus: ...


class PayoutAccountStatus(StrEnum):
    ONBOARDING = "ONBOARDING"  # details not submitted yet
    RESTRICTED = "RESTRICTED"  # submitted, but Stripe does not pay out (yet): requirements_due
    READY = "READY"  # payouts enabled


def bank_payouts_via_stripe(settings: Settings) -> bool:
    """Whether bank payouts go to creators' Stripe Connect accounts on this server."""
    return PROVIDER in settings.payout_provider.split(",")


def status_of(account: ProviderAccount) -> PayoutAccountStatus:
    if account.payouts_enabled:
        return PayoutAccountStatus.READY
    if account.details_submitted:
        return PayoutAccountStatus.RESTRICTED
    return PayoutAccountStatus.ONBOARDING


# ---------------------------------------------------------------------------------------------
# Readiness (pure)


def not_ready_reason(
    kind: PayoutMethodKind, account: ProviderAccount | None, *, via_stripe: bool
) -> str | None:
    """Why a payout to a method of `kind` cannot be sent yet, or None when it can."""
    if not via_stripe or kind is not PayoutMethodKind.BANK_ACCOUNT:
        return None
    if account is None:
        return NOT_READY + "start with `startPayoutOnboarding`."
    status = status_of(account)
    if status is PayoutAccountStatus.READY:
        return None
    if status is PayoutAccountStatus.ONBOARDING:
        return NOT_READY + "complete Stripe's form (`startPayoutOnboarding` gives a new link)."
    if account.requirements_due:
        return NOT_READY + f"Stripe still needs {', '.join(account.requirements_due)}."
    return NOT_READY + "Stripe is reviewing your details; payouts start once it enables them."


def check_ready(
    kind: PayoutMethodKind, account: ProviderAccount | None, *, via_stripe: bool
) -> None:
    reason = not_ready_reason(kind, account, via_stripe=via_stripe)
    if reason is not None:
        raise DomainError(reason, code=ErrorCode.PAYOUT_ACCOUNT_NOT_READY)


# ---------------------------------------------------------------------------------------------
# Reading


async def get_account(session: AsyncSession, account_id: int) -> ProviderAccount | None:
    """The creator's Stripe Connect account, if onboarding ever started."""
    return await session.get(ProviderAccount, (account_id, PROVIDER))


async def accounts_by_creator(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, ProviderAccount]:
    rows = await session.scalars(
        sa.select(ProviderAccount).where(
            ProviderAccount.provider == PROVIDER, ProviderAccount.account_id.in_(set(ids))
        )
    )
    return {row.account_id: row for row in rows}


# ---------------------------------------------------------------------------------------------
# Onboarding


def check_return_url(value: str, settings: Settings, field: tuple[str, ...]) -> str:
    """An http(s) URL on one of the API's web origins (and localhost outside production), so
    an onboarding link can only send the creator back to our own pages."""
    value = url(value, settings.rules, field)
    origin = _normal_origin(value)
    listed = {_normal_origin(o) for o in settings.cors_origins if o != "*"}
    if origin is not None and origin in listed:
        return value
    if origin is not None and not settings.is_production and _development(origin):
        return value
    raise DomainError(
        f"`{field[-1]}` must be a page of this app: its origin must be one of the configured "
        "web origins (REELPAY_CORS_ORIGINS).",
        code=ErrorCode.INVALID_URL,
        field=field,
    )


def _normal_origin(address: str) -> str | None:
    """scheme://host[:port] of a URL or origin, lowercased, without a default port."""
    parts = urlsplit(address)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port out of range
        return None
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _development(origin: str) -> bool:
    return re.fullmatch(DEVELOPMENT_ORIGINS, origin) is not None


def check_may_onboard(creator: Account, *, now: datetime, settings: Settings) -> None:
    """Adults in good enough standing (the age of the monetization programs)."""
    minimum = settings.rules.program_min_age
    if age_on(creator.birth_date, now.date()) < minimum:
        raise DomainError(
            f"You must be {minimum} or older to set up bank payouts.",
            code=ErrorCode.CREATOR_NOT_ELIGIBLE,
        )
    if payout_rules.is_suspended(creator.standing):
        raise DomainError(
            "Payouts are suspended while your account is restricted or banned; your earnings "
            "stay in your balance.",
            code=ErrorCode.PAYOUTS_SUSPENDED,
        )


@dataclass(frozen=True)
class Onboarding:
    url: str  # Stripe's onboarding page for the creator (single use, expires in minutes)
    account: ProviderAccount


async def start_onboarding(
    maker: async_sessionmaker[AsyncSession],
    client: ConnectClient | None,
    *,
    creator_id: int,
    return_url: str,
    refresh_url: str,
    settings: Settings,
    now: datetime,
) -> Onboarding:
    """Create the creator's Express account once, then a fresh onboarding link.

    Nothing is written until Stripe gave an account, so a failure leaves nothing behind that
    blocks a retry (which gets the same account back: the key is per creator)."""
    if client is None:
        raise DomainError(NOT_CONFIGURED, code=ErrorCode.PAYOUT_PROVIDER_UNAVAILABLE)
    return_url = check_return_url(return_url, settings, RETURN_URL_FIELD)
    refresh_url = check_return_url(refresh_url, settings, REFRESH_URL_FIELD)
    async with maker() as session:
        creator = await session.get(Account, creator_id)
        if creator is None:
            raise NotFound("No such account.")
        check_may_onboard(creator, now=now, settings=settings)
        account = await get_account(session, creator_id)
        email, country = creator.email, creator.country
    if account is None:
        external_id = await _ask(
            client.create_account(creator_id=creator_id, email=email, country=country)
        )
        account = await write_once(
            maker, lambda s: record_account(s, creator_id, external_id, now=now)
        )
    link = await _ask(
        client.onboarding_link(account.external_id, refresh_url=refresh_url, return_url=return_url)
    )
    return Onboarding(url=link, account=account)


async def record_account(
    session: AsyncSession, creator_id: int, external_id: str, *, now: datetime
) -> ProviderAccount:
    """The creator's row: this one, or the one a concurrent call stored first."""
    await session.execute(
        upsert(session, ProviderAccount)
        .values(
            account_id=creator_id,
            provider=PROVIDER,
            external_id=external_id,
            payouts_enabled=False,
            details_submitted=False,
            requirements_due=[],
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "provider"])
    )
    stored = await session.scalar(
        sa.select(ProviderAccount)
        .where(ProviderAccount.account_id == creator_id, ProviderAccount.provider == PROVIDER)
        .execution_options(populate_existing=True)
    )
    assert stored is not None
    if stored.external_id != external_id:
        # Stripe made a second account (its idempotency key had expired): ours stays.
        log.warning("creator %s: Stripe account %s is not used", creator_id, external_id)
    return stored


async def _ask(call: Awaitable[T]) -> T:
    """Await a Stripe call; any failure is PAYOUT_PROVIDER_UNAVAILABLE (logged)."""
    try:
        return await call
    except DomainError:
        raise
    except Exception:
        log.warning("Stripe Connect call failed", exc_info=True)
        raise DomainError(UNAVAILABLE, code=ErrorCode.PAYOUT_PROVIDER_UNAVAILABLE) from None


# ---------------------------------------------------------------------------------------------
# What Stripe says about an account


async def account_updated(
    session: AsyncSession,
    *,
    external_id: str,
    payouts_enabled: bool,
    details_submitted: bool,
    requirements_due: list[str],
    now: datetime,
) -> bool:
    """Store Stripe's view of an account (`account.updated`, or a check); False when the
    account is not one of ours."""
    account = await session.scalar(
        sa.select(ProviderAccount)
        .where(ProviderAccount.provider == PROVIDER, ProviderAccount.external_id == external_id)
        .with_for_update()
    )
    if account is None:
        return False
    account.payouts_enabled = payouts_enabled
    account.details_submitted = details_submitted
    account.requirements_due = list(dict.fromkeys(requirements_due))
    account.updated_at = now
    await session.flush()
    return True


async def refresh_account(
    maker: async_sessionmaker[AsyncSession],
    client: ConnectClient | None,
    *,
    creator_id: int,
    now: datetime,
) -> ProviderAccount:
    """Ask Stripe for the creator's account status now and store it."""
    if client is None:
        raise DomainError(NOT_CONFIGURED, code=ErrorCode.PAYOUT_PROVIDER_UNAVAILABLE)
    async with maker() as session:
        account = await get_account(session, creator_id)
    if account is None:
        raise NotFound("You have no Stripe payout account yet: start with startPayoutOnboarding.")
    status: ConnectStatus = await _ask(client.account_status(account.external_id))

    async def store(session: AsyncSession) -> ProviderAccount:
        await account_updated(
            session,
            external_id=account.external_id,
            payouts_enabled=status.payouts_enabled,
            details_submitted=status.details_submitted,
            requirements_due=list(status.requirements_due),
            now=now,
        )
        stored = await get_account(session, creator_id)
        assert stored is not None
        return stored

    return await write_once(maker, store)
