"""Buying coins with real money.

A purchase runs in two transactions around the provider call, so no database lock is held
while the provider works: `prepare_purchase` checks the buyer and the key (and finds replays),
the caller charges through the provider with our idempotency key, and `record_purchase` credits
the coins once. If the process dies after the charge, the client's retry with the same key
gets the same charge from the provider and is credited then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.payments.provider import Charge, ChargeOutcome, ChargeRequest, PaymentProvider
from reelpay.settings import CoinPackage, Settings
from reelpay.wallet import idempotency, ledger
from reelpay.wallet.models import LedgerAccountKind, TransactionKind
from reelpay.wallet.rules import check_spender

PURCHASE = "purchaseCoins"
PACKAGE_FIELD = ("input", "packageId")
TOKEN_FIELD = ("input", "paymentToken")


def find_package(settings: Settings, coins: int) -> CoinPackage:
    for package in settings.coin_packages:
        if package.coins == coins:
            return package
    raise DomainError(
        "There is no such coin package.", code=ErrorCode.UNKNOWN_COIN_PACKAGE, field=PACKAGE_FIELD
    )


def provider_key(account_id: int, key: str) -> str:
    """The key we give the provider: the client's key, scoped to its account."""
    return f"reelpay:{account_id}:{key}"


async def charge(provider: PaymentProvider, request: ChargeRequest) -> str:
    """The provider's charge ID, or the user error its outcome means (nothing was taken)."""
    result: Charge = await provider.charge(request)
    if result.outcome is ChargeOutcome.SUCCEEDED and result.charge_id:
        return result.charge_id
    code, message = {
        ChargeOutcome.DECLINED: (ErrorCode.CARD_DECLINED, "The card was declined."),
        ChargeOutcome.INVALID_TOKEN: (
            ErrorCode.INVALID_PAYMENT_TOKEN,
            "The payment token is not valid.",
        ),
        ChargeOutcome.PROCESSING_ERROR: (
            ErrorCode.PAYMENT_PROCESSING_ERROR,
            "The payment could not be processed right now; try again with the same key.",
        ),
        ChargeOutcome.KEY_REUSED: (
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different payment.",
        ),
    }.get(result.outcome, (ErrorCode.PAYMENT_PROCESSING_ERROR, "The payment failed."))
    field = idempotency.KEY_FIELD if result.outcome is ChargeOutcome.KEY_REUSED else TOKEN_FIELD
    raise DomainError(message, code=code, field=field)


T = TypeVar("T")


async def charge_then_record(
    provider: PaymentProvider, request: ChargeRequest, record: Callable[[str], Awaitable[T]]
) -> T:
    """Charge, then record the charge; if recording refuses, refund the charge and re-raise."""
    charge_id = await charge(provider, request)
    try:
        return await record(charge_id)
    except DomainError:
        await provider.refund(charge_id)
        raise


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
    package = request.package
    transaction = await ledger.post(
        session,
        kind=TransactionKind.COIN_PURCHASE,
        legs=[
            (ledger.platform(LedgerAccountKind.COIN_ISSUANCE), -package.coins),
            (ledger.user(buyer.id, LedgerAccountKind.COINS), package.coins),
            (ledger.platform(LedgerAccountKind.PAYMENT_CLEARING), -package.price_cents),
            (ledger.platform(LedgerAccountKind.COIN_SALES), package.price_cents),
        ],
        now=now,
        actor_id=buyer.id,
        memo=f"{package.coins} coins",
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
