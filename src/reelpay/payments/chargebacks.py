"""Chargebacks: a card holder disputes one of our charges with their bank.

The provider's webhook reports a dispute when it opens and when it closes (`dispute_opened`,
`dispute_closed`, called by the webhook route inside its write transaction). Nothing moves
while a dispute is open: the provider holds the disputed amount. When the card holder wins
("lost" for us), the money went back to them and one CHARGEBACK ledger transaction records it
for every purpose, so money never appears or disappears:

- PAYMENT_CLEARING gives the amount up (the provider took it back from us);
- a coin purchase: its revenue is reversed, the buyer's coins still unspent (up to the
  purchase's coins) retire to COIN_ISSUANCE, and the coins already spent become the buyer's
  COIN_DEBT. A debt blocks spending coins; the next coin purchase settles it first;
- a Series purchase by card: access is revoked (the purchase is REFUNDED), the platform's
  share reversed, and the creator's share taken back from their pending earnings if still
  held, else from their available earnings; what was paid out already becomes their
  EARNINGS_DEBT (and, until they settle it, a CHARGEBACK_LOSSES of the platform);
- a card tip: the creator's 100% is taken back the same way;
- campaign funding (and anything we cannot trace further): a platform loss
  (CHARGEBACK_LOSSES). The escrow is left alone: creators keep what they were paid.

A user's balance never goes negative, so a debt is a positive balance on the user's debt
account mirrored by the platform's COIN_DEBTS_OWED / EARNINGS_DEBTS_OWED (`ledger verify`
checks the mirror). A creator's debt is settled from their available earnings before any
payout (`settle_creator_debt`, in the payout's transaction).

Lock order (see wallet/ledger.py): the dispute row, then the purchase (Series) or earnings
hold (tip), then the balances in the ledger's order (coins first, then by account id).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.db import upsert
from reelpay.gifting.models import Tip
from reelpay.payments.models import DisputeStatus, Payment, PaymentDispute, PaymentPurpose
from reelpay.series.models import PurchaseStatus, Series, SeriesPurchase
from reelpay.wallet import ledger
from reelpay.wallet.models import (
    EarningsHold,
    EarningsSource,
    LedgerAccount,
    LedgerAccountKind,
    LedgerPosting,
    LedgerTransaction,
    TransactionKind,
)

log = logging.getLogger("reelpay.payments")

K = LedgerAccountKind
Legs = list[tuple[ledger.Ref, int]]

# The provider's final dispute statuses: "lost" gives the money back; Stripe's "won" keeps
# it; anything else ("warning_closed", an inquiry closed) closes it with nothing moved.
LOST = "lost"
WON = "won"


async def dispute_opened(
    session: AsyncSession,
    *,
    provider: str,
    charge_id: str,
    dispute_id: str,
    amount_cents: int,
    reason: str,
    now: datetime,
) -> PaymentDispute | None:
    """Record a dispute of one of our charges (OPEN); nothing moves. Idempotent; a dispute
    already closed (its close arrived first) stays closed. None if the charge is not ours."""
    payment = await _payment(session, charge_id)
    if payment is None:
        log.warning("%s dispute %s names unknown charge %s", provider, dispute_id, charge_id)
        return None
    dispute = await _dispute(
        session, payment, provider=provider, dispute_id=dispute_id, amount_cents=amount_cents,
        reason=reason, now=now,
    )  # fmt: skip
    if dispute.opened_at is None:
        dispute.opened_at = now
        dispute.updated_at = now
        await session.flush()
    return dispute


async def dispute_closed(
    session: AsyncSession,
    *,
    provider: str,
    charge_id: str,
    dispute_id: str,
    status: str,
    amount_cents: int,
    now: datetime,
) -> PaymentDispute | None:
    """Record a dispute's outcome once: "lost" posts the CHARGEBACK (see the module), any
    other status moves nothing. A dispute already decided is returned as it is. None if the
    charge is not ours."""
    payment = await _payment(session, charge_id)
    if payment is None:
        log.warning("%s dispute %s names unknown charge %s", provider, dispute_id, charge_id)
        return None
    dispute = await _dispute(
        session, payment, provider=provider, dispute_id=dispute_id, amount_cents=amount_cents,
        reason="", now=now,
    )  # fmt: skip
    if dispute.status is not DisputeStatus.OPEN:
        return dispute  # decided already: a replay, or a concurrent delivery that won
    if amount_cents > 0:
        dispute.amount_cents = min(amount_cents, payment.amount_cents)
    outcome = status.strip().lower()
    if outcome == LOST:
        transaction, coins_owed, cents_owed = await _charge_back(
            session, payment, dispute.amount_cents, now=now
        )
        dispute.status = DisputeStatus.LOST
        dispute.ledger_transaction_id = transaction.id
        dispute.coins_owed, dispute.cents_owed = coins_owed, cents_owed
    else:
        dispute.status = DisputeStatus.WON if outcome == WON else DisputeStatus.CLOSED
    dispute.provider_status = outcome[:32]
    dispute.closed_at = dispute.updated_at = now
    await session.flush()
    return dispute


async def _payment(session: AsyncSession, charge_id: str) -> Payment | None:
    found: Payment | None = await session.scalar(
        sa.select(Payment).where(Payment.provider_charge_id == charge_id)
    )
    return found


async def _dispute(
    session: AsyncSession,
    payment: Payment,
    *,
    provider: str,
    dispute_id: str,
    amount_cents: int,
    reason: str,
    now: datetime,
) -> PaymentDispute:
    """The dispute's row, created OPEN on first sight, locked for this transaction."""
    amount = min(amount_cents, payment.amount_cents) if amount_cents > 0 else payment.amount_cents
    await session.execute(
        upsert(session, PaymentDispute)
        .values(
            provider=provider,
            provider_dispute_id=dispute_id,
            provider_charge_id=payment.provider_charge_id,
            payment_id=payment.id,
            amount_cents=amount,
            currency=payment.currency,
            reason=reason[:100],
            status=DisputeStatus.OPEN,
            coins_owed=0,
            cents_owed=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider", "provider_dispute_id"])
    )
    dispute = await session.scalar(
        sa.select(PaymentDispute)
        .where(
            PaymentDispute.provider == provider, PaymentDispute.provider_dispute_id == dispute_id
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert dispute is not None  # inserted above, or by a delivery that committed first
    if reason and not dispute.reason:
        dispute.reason = reason[:100]
    return dispute


# ---------------------------------------------------------------------------------------------
# The chargeback transaction


async def _charge_back(
    session: AsyncSession, payment: Payment, amount: int, *, now: datetime
) -> tuple[LedgerTransaction, int, int]:
    """Post the CHARGEBACK of `amount` cents of `payment`; (transaction, coins owed, cents
    owed) where the owed amounts are the debts it recorded."""
    legs: Legs = [(ledger.platform(K.PAYMENT_CLEARING), amount)]
    coins_owed = cents_owed = 0
    source: EarningsSource | None = None
    what = payment.purpose.value.replace("_", " ").lower()
    if payment.purpose is PaymentPurpose.COIN_PURCHASE and payment.coins:
        coins_owed = await _coin_purchase(session, payment, amount, legs)
    elif payment.purpose is PaymentPurpose.SERIES_PURCHASE:
        source = EarningsSource.SERIES
        cents_owed = await _series_purchase(session, payment, amount, legs, now=now)
    elif payment.purpose is PaymentPurpose.TIP:
        source = EarningsSource.TIPS
        cents_owed = await _tip(session, payment, amount, legs, now=now)
    else:
        # Campaign funding: the escrow and what creators were paid from it stay as they are.
        legs.append((ledger.platform(K.CHARGEBACK_LOSSES), -amount))
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CHARGEBACK,
        legs=legs,
        now=now,
        actor_id=payment.account_id,
        earnings_source=source,
        memo=f"Chargeback of a {what} payment ({_usd(amount)})",
    )
    return transaction, coins_owed, cents_owed


async def _coin_purchase(session: AsyncSession, payment: Payment, amount: int, legs: Legs) -> int:
    """The buyer's unspent coins back, the rest owed; returns the coins owed."""
    assert payment.coins is not None
    coins = (
        payment.coins
        if amount >= payment.amount_cents
        else payment.coins * amount // payment.amount_cents
    )
    buyer = payment.account_id
    held = await _lock_balances(session, buyer, (K.COINS, K.COIN_DEBT))
    taken = min(held.get(K.COINS, 0), coins)
    owed = coins - taken
    legs += [
        (ledger.platform(K.COIN_SALES), -amount),
        (ledger.user(buyer, K.COINS), -taken),
        (ledger.platform(K.COIN_ISSUANCE), taken),
        (ledger.user(buyer, K.COIN_DEBT), owed),
        (ledger.platform(K.COIN_DEBTS_OWED), -owed),
    ]
    return owed


async def _series_purchase(
    session: AsyncSession, payment: Payment, amount: int, legs: Legs, *, now: datetime
) -> int:
    """Revoke the purchase and take the creator's share back; returns the cents owed."""
    claimed = (
        await session.execute(
            sa.update(SeriesPurchase)
            .where(
                SeriesPurchase.provider_charge_id == payment.provider_charge_id,
                SeriesPurchase.status == PurchaseStatus.ACTIVE,
            )
            .values(status=PurchaseStatus.REFUNDED, refunded_at=now)
            .returning(
                SeriesPurchase.series_id,
                SeriesPurchase.price_cents,
                SeriesPurchase.creator_share_cents,
                SeriesPurchase.released_at,
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if claimed is None:
        # Refunded by staff already (the ledger reversed it and the card was refunded): the
        # money went back twice, which is the platform's loss.
        legs.append((ledger.platform(K.CHARGEBACK_LOSSES), -amount))
        return 0
    series_id, price, share, released_at = claimed
    creator = await session.scalar(sa.select(Series.creator_id).where(Series.id == series_id))
    assert creator is not None
    share_back = share if amount >= price else share * amount // price
    legs.append((ledger.platform(K.SERIES_REVENUE), -(amount - share_back)))
    if released_at is None:
        # Still held: the whole share leaves pending (the sale is over); a partial dispute
        # leaves the creator the rest, available.
        legs += [
            (ledger.user(creator, K.EARNINGS_PENDING), -share),
            (ledger.user(creator, K.EARNINGS), share - share_back),
        ]
        return 0
    return await _take_earnings(session, creator, share_back, legs)


async def _tip(
    session: AsyncSession, payment: Payment, amount: int, legs: Legs, *, now: datetime
) -> int:
    """Take the creator's 100% back; returns the cents owed."""
    creator = await session.scalar(
        sa.select(Tip.creator_id).where(Tip.ledger_transaction_id == payment.ledger_transaction_id)
    )
    if creator is None:
        legs.append((ledger.platform(K.CHARGEBACK_LOSSES), -amount))
        return 0
    # A tip still held (a configured tips hold) leaves pending and is never released.
    hold = (
        await session.execute(
            sa.update(EarningsHold)
            .where(
                EarningsHold.transaction_id == payment.ledger_transaction_id,
                EarningsHold.released_at.is_(None),
            )
            .values(released_at=now)
            .returning(EarningsHold.amount)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if hold is not None:
        legs += [
            (ledger.user(creator, K.EARNINGS_PENDING), -int(hold)),
            (ledger.user(creator, K.EARNINGS), int(hold) - amount),
        ]
        return 0
    return await _take_earnings(session, creator, amount, legs)


async def _take_earnings(session: AsyncSession, creator: int, cents: int, legs: Legs) -> int:
    """`cents` from the creator's available earnings; what is not there becomes their debt
    (and the platform's loss until they settle it). Returns the cents owed."""
    held = await _lock_balances(session, creator, (K.EARNINGS, K.EARNINGS_DEBT))
    taken = min(held.get(K.EARNINGS, 0), cents)
    owed = cents - taken
    legs += [
        (ledger.user(creator, K.EARNINGS), -taken),
        (ledger.user(creator, K.EARNINGS_DEBT), owed),
        (ledger.platform(K.EARNINGS_DEBTS_OWED), -owed),
        (ledger.platform(K.CHARGEBACK_LOSSES), -owed),
    ]
    return owed


async def _lock_balances(
    session: AsyncSession, owner_id: int, kinds: Sequence[LedgerAccountKind]
) -> dict[LedgerAccountKind, int]:
    """The user's balances of `kinds`, their rows locked until the transaction ends, in the
    ledger's order (by account id; a user's coins account is older than their coin debt)."""
    keys = [ledger.user(owner_id, kind).key for kind in kinds]
    rows = await session.execute(
        sa.select(LedgerAccount.kind, LedgerAccount.balance)
        .where(LedgerAccount.key.in_(keys))
        .order_by(LedgerAccount.id)
        .with_for_update()
    )
    return {kind: int(balance or 0) for kind, balance in rows.all()}


# ---------------------------------------------------------------------------------------------
# Settling debts


async def lock_coin_debt(session: AsyncSession, owner_id: int) -> int:
    """Coins the user owes, locked (with their coins) until the transaction ends: a coin
    purchase settles this first."""
    held = await _lock_balances(session, owner_id, (K.COINS, K.COIN_DEBT))
    return held.get(K.COIN_DEBT, 0)


async def settle_creator_debt(session: AsyncSession, creator_id: int, *, now: datetime) -> int:
    """Pay what the creator owes from their available earnings (before a payout takes any):
    one DEBT_SETTLEMENT per source the debt came from. Returns the cents settled."""
    held = await _lock_balances(session, creator_id, (K.EARNINGS, K.EARNINGS_DEBT))
    settle = min(held.get(K.EARNINGS, 0), held.get(K.EARNINGS_DEBT, 0))
    if settle <= 0:
        return 0
    left = settle
    for source, owed in await _debt_by_source(session, creator_id):
        part = min(left, owed)
        if part <= 0:
            continue
        await ledger.post(
            session,
            kind=TransactionKind.DEBT_SETTLEMENT,
            legs=[
                (ledger.user(creator_id, K.EARNINGS), -part),
                (ledger.user(creator_id, K.EARNINGS_DEBT), -part),
                (ledger.platform(K.EARNINGS_DEBTS_OWED), part),
                (ledger.platform(K.CHARGEBACK_LOSSES), part),
            ],
            now=now,
            actor_id=creator_id,
            earnings_source=source,
            memo=f"Chargeback debt of {_usd(part)} settled from your earnings",
        )
        left -= part
    return settle - left


async def _debt_by_source(
    session: AsyncSession, creator_id: int
) -> list[tuple[EarningsSource | None, int]]:
    """What the creator owes per source of the charged-back earnings, in the sources' order."""
    rows = await session.execute(
        sa.select(LedgerTransaction.earnings_source, sa.func.sum(LedgerPosting.amount))
        .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
        .where(LedgerAccount.key == ledger.user(creator_id, K.EARNINGS_DEBT).key)
        .group_by(LedgerTransaction.earnings_source)
    )
    found = {source: int(total) for source, total in rows.all() if total}
    order: list[EarningsSource | None] = [*EarningsSource, None]
    return [(source, found[source]) for source in order if found.get(source, 0) > 0]


def _usd(cents: int) -> str:
    return f"{cents / 100:,.2f} USD"
