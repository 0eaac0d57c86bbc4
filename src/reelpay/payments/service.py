"""Buying coins with real money.

A purchase runs in two transactions around the provider call (see `charging`):
`prepare_purchase` checks the buyer and the key (and finds replays), the caller charges, and
`record_purchase` credits the coins once. If the process dies after the charge, the client's
retry with the same key gets the same charge from the provider and is credited then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.payments import chargebacks
from reelpay.payments.charging import ensure_not_refunded
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.settings import CoinPackage, Settings
from reelpay.wallet import idempotency, ledger
from reelpay.wallet.models import LedgerAccountKind, TransactionKind
from reelpay.wallet.rules import check_spender

PURCHASE = "purchaseCoins"
PACKAGE_FIELD = ("input", "packageId")


def find_package(settings: Settings, coins: int) -> CoinPackage:
    for package in settings.coin_packages:
        if package.coins == coins:
            return package
    raise DomainError(
        "There is no such coin package.", code=ErrorCode.UNKNOWN_COIN_PACKAGE, field=PACKAGE_FIELD
    )


@dataclass(frozen=True)
class PurchaseRequest:
    package: CoinPackage
    payment_token: str
    key: str

    @property
    def arguments(self) -> dict[str, Any]:
        return {"coins": self.package.coins, "paymentToken": self.payment_token}


async def prepare_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    now: datetime,
    settings: Settings,
) -> dict[str, Any] | None:
    """Check the buyer; the first result if this key already bought, else None (go charge)."""
    idempotency.check_key(request.key, settings.rules.idempotency_key_max_length)
    replayed = await idempotency.replay(
        session,
        account_id=buyer.id,
        key=request.key,
        operation=PURCHASE,
        arguments=request.arguments,
    )
    if replayed is not None:
        return replayed
    check_spender(buyer.birth_date, buyer.country, now.date(), settings.rules)
    return None


async def find_payment(session: AsyncSession, payment_id: int) -> Payment | None:
    """A payment by id, or None."""
    return await session.get(Payment, payment_id)


async def get_payment(session: AsyncSession, payment_id: int) -> Payment:
    payment = await session.get(Payment, payment_id)
    assert payment is not None  # idempotency results name committed rows
    return payment


async def record_purchase(
    session: AsyncSession,
    buyer: Account,
    request: PurchaseRequest,
    *,
    charge_id: str,
    provider: str,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Credit the coins of a successful charge once; returns {"paymentId": ...}."""
    replayed = await idempotency.claim(
        session,
        account_id=buyer.id,
        key=request.key,
        operation=PURCHASE,
        arguments=request.arguments,
        now=now,
    )
    if replayed is not None:
        return replayed
    await ensure_not_refunded(session, charge_id)
    check_spender(buyer.birth_date, buyer.country, now.date(), settings.rules)
    package = request.package
    # A coin debt (a charged-back purchase whose coins were spent) is settled first: its
    # coins are paid for by this purchase and only the rest is credited.
    owed = min(await chargebacks.lock_coin_debt(session, buyer.id), package.coins)
    transaction = await ledger.post(
        session,
        kind=TransactionKind.COIN_PURCHASE,
        legs=[
            (ledger.platform(LedgerAccountKind.COIN_ISSUANCE), -(package.coins - owed)),
            (ledger.user(buyer.id, LedgerAccountKind.COINS), package.coins - owed),
            (ledger.user(buyer.id, LedgerAccountKind.COIN_DEBT), -owed),
            (ledger.platform(LedgerAccountKind.COIN_DEBTS_OWED), owed),
            (ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), -package.price_cents),
            (ledger.platform(LedgerAccountKind.COIN_SALES), package.price_cents),
        ],
        now=now,
        actor_id=buyer.id,
        memo=f"{package.coins} coins" + (f" ({owed} settled a coin debt)" if owed else ""),
    )
    payment = Payment(
        account_id=buyer.id,
        purpose=PaymentPurpose.COIN_PURCHASE,
        provider=provider,
        provider_charge_id=charge_id,
        amount_cents=package.price_cents,
        currency=package.currency,
        coins=package.coins,
        ledger_transaction_id=transaction.id,
        created_at=now,
    )
    session.add(payment)
    await session.flush()
    result = {"paymentId": payment.id}
    await idempotency.finish(session, account_id=buyer.id, key=request.key, result=result)
    return result
