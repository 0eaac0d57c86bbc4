"""Linking, listing and removing payout methods; one is the default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.payouts import destinations
from reelpay.payouts.destinations import Destination
from reelpay.payouts.models import Payout, PayoutMethod, PayoutStatus
from reelpay.settings import Settings

METHOD_FIELD = ("input", "methodId")
IN_FLIGHT = (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING)


async def lock_account(session: AsyncSession, account_id: int) -> Account:
    """Serialise one creator's payout changes (see `accounts.lock_parties`)."""
    locked = await accounts.lock_parties(session, updating=[account_id])
    if not locked:
        raise NotFound("No such account.")
    return locked[0]


async def active_methods(session: AsyncSession, account_id: int) -> list[PayoutMethod]:
    """The account's methods, the default first, then newest first."""
    rows = await session.scalars(
        sa.select(PayoutMethod)
        .where(PayoutMethod.account_id == account_id, PayoutMethod.removed_at.is_(None))
        .order_by(PayoutMethod.is_default.desc(), PayoutMethod.id.desc())
    )
    return list(rows)


async def default_method(session: AsyncSession, account_id: int) -> PayoutMethod | None:
    return await session.scalar(
        sa.select(PayoutMethod).where(
            PayoutMethod.account_id == account_id,
            PayoutMethod.removed_at.is_(None),
            PayoutMethod.is_default.is_(True),
        )
    )


async def methods_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, PayoutMethod]:
    rows = await session.scalars(sa.select(PayoutMethod).where(PayoutMethod.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def own_method(
    session: AsyncSession, account_id: int, method_id: int, field: tuple[str, ...] = METHOD_FIELD
) -> PayoutMethod:
    """One of the account's active methods; NOT_FOUND for anyone else's or a removed one."""
    method = await session.get(PayoutMethod, method_id)
    if method is None or method.account_id != account_id or method.removed_at is not None:
        raise NotFound("No such payout method.", field=field)
    return method


async def add_method(
    session: AsyncSession,
    owner: Account,
    destination: Destination,
    *,
    make_default: bool,
    now: datetime,
    settings: Settings,
) -> PayoutMethod:
    """Link a validated destination; the first method (or `make_default`) becomes the default."""
    await lock_account(session, owner.id)
    existing = await active_methods(session, owner.id)
    limit = settings.rules.payout_max_methods
    if len(existing) >= limit:
        raise DomainError(
            f"You can link at most {limit} payout methods; remove one first.",
            code=ErrorCode.TOO_MANY_PAYOUT_METHODS,
        )
    fingerprint = destinations.fingerprint(settings.secret_key, destination)
    if any(m.fingerprint == fingerprint for m in existing):
        raise DomainError(
            "This payout method is already linked.", code=ErrorCode.DUPLICATE_PAYOUT_METHOD
        )
    is_default = make_default or not existing
    if is_default:
        await _clear_default(session, owner.id)
    method = PayoutMethod(
        account_id=owner.id,
        kind=destination.kind,
        holder_name=destination.holder_name,
        country=destination.country,
        masked=destination.masked,
        last4=destination.last4,
        destination=destinations.seal(settings.secret_key, destination),
        fingerprint=fingerprint,
        is_default=is_default,
        created_at=now,
    )
    session.add(method)
    await session.flush()
    await notifications.notify(
        session, owner.id, NotificationKind.PAYOUT_METHOD_ADDED,
        title="Payout method added",
        body=f"{label(method)} was added to your payout methods"
        + (" and is now your default." if is_default else "."),
        data={"payoutMethodId": method.id}, now=now,
    )  # fmt: skip
    return method


async def set_default(
    session: AsyncSession, owner: Account, method_id: int, *, now: datetime
) -> PayoutMethod:
    await lock_account(session, owner.id)
    method = await own_method(session, owner.id, method_id)
    if not method.is_default:
        await _clear_default(session, owner.id)
        method.is_default = True
        await session.flush()
        await _notify_default(session, method, now=now)
    return method


async def remove_method(
    session: AsyncSession, owner: Account, method_id: int, *, now: datetime
) -> PayoutMethod | None:
    """Remove a method (kept for the payouts that name it); returns the new default, if any.

    A method a payout is still on its way to cannot be removed."""
    await lock_account(session, owner.id)
    method = await own_method(session, owner.id, method_id)
    in_flight = await session.scalar(
        sa.select(Payout.id).where(Payout.method_id == method.id, Payout.status.in_(IN_FLIGHT))
    )
    if in_flight is not None:
        raise DomainError(
            "A payout is on its way to this method; remove it once the payout is paid or failed.",
            code=ErrorCode.PAYOUT_METHOD_IN_USE,
            field=METHOD_FIELD,
        )
    was_default = method.is_default
    method.removed_at = now
    method.is_default = False
    await session.flush()
    await notifications.notify(
        session, owner.id, NotificationKind.PAYOUT_METHOD_REMOVED,
        title="Payout method removed",
        body=f"{label(method)} was removed from your payout methods.",
        data={"payoutMethodId": method.id}, now=now,
    )  # fmt: skip
    if not was_default:
        return await default_method(session, owner.id)
    remaining = await active_methods(session, owner.id)
    if not remaining:
        return None
    successor = remaining[0]  # the newest
    successor.is_default = True
    await session.flush()
    await _notify_default(session, successor, now=now)
    return successor


async def _clear_default(session: AsyncSession, account_id: int) -> None:
    await session.execute(
        sa.update(PayoutMethod)
        .where(PayoutMethod.account_id == account_id, PayoutMethod.is_default.is_(True))
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()


async def _notify_default(session: AsyncSession, method: PayoutMethod, *, now: datetime) -> None:
    await notifications.notify(
        session, method.account_id, NotificationKind.PAYOUT_METHOD_DEFAULT_CHANGED,
        title="Default payout method changed",
        body=f"Payouts now go to {label(method)}.",
        data={"payoutMethodId": method.id}, now=now,
    )  # fmt: skip


def label(method: PayoutMethod) -> str:
    return f"PayPal {method.masked}" if method.kind.value == "PAYPAL" else f"Bank {method.masked}"
