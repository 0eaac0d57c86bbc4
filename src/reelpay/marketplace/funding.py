"""Funding a campaign by card: the charge goes into its escrow (the platform fee on top),
once per idempotency key, recorded with its `payments` row and ledger transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.marketplace import brands, escrow
from reelpay.marketplace.campaigns import (
    CAMPAIGN_FIELD,
    announce_change,
    creators_of,
    state_error,
)
from reelpay.marketplace.models import Campaign, CampaignStatus
from reelpay.notifications.templates import usd
from reelpay.payments import charging
from reelpay.payments.models import Payment, PaymentPurpose
from reelpay.settings import Rules
from reelpay.wallet import idempotency, ledger
from reelpay.wallet.models import TransactionKind

AMOUNT_FIELD = ("input", "amount")
FUND = "fundCampaign"
FUNDABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS})


@dataclass(frozen=True)
class FundingRequest:
    """A card charge into a campaign's escrow; `amount_cents` None: what is missing to reach
    the budget. The platform fee is charged on top."""

    campaign_id: int
    key: str
    payment_token: str
    amount_cents: int | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "amountCents": self.amount_cents,
            "paymentToken": self.payment_token,
        }


@dataclass(frozen=True)
class Charge:
    """What one funding charges: `amount_cents` into escrow plus `fee_cents` on top."""

    amount_cents: int
    fee_cents: int

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.fee_cents


def _check_fundable(campaign: Campaign, brand: Account) -> None:
    if campaign.brand_id != brand.id:
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    if campaign.status not in FUNDABLE:
        raise state_error(campaign, "be funded")


async def prepare_funding(
    session: AsyncSession, brand: Account, request: FundingRequest, *, rules: Rules
) -> tuple[dict[str, Any] | None, Charge]:
    """Before charging (no lock held): (the first result if this key already funded, what
    to charge)."""
    idempotency.check_key(request.key, rules.idempotency_key_max_length)
    replayed = await idempotency.replay(
        session, account_id=brand.id, key=request.key, operation=FUND,
        arguments=request.arguments,
    )  # fmt: skip
    if replayed is not None:
        return replayed, Charge(0, 0)
    await brands.require_brand(session, brand)
    campaign = await session.get(Campaign, request.campaign_id, populate_existing=True)
    if campaign is None:
        raise NotFound("No such campaign.", field=CAMPAIGN_FIELD)
    _check_fundable(campaign, brand)
    amount = request.amount_cents
    if amount is None:
        amount = campaign.budget_cents - campaign.funded_cents
        if amount <= 0:
            raise DomainError(
                "The campaign is fully funded; give an `amount` to add more.",
                code=ErrorCode.INVALID_INPUT,
                field=AMOUNT_FIELD,
            )
    if not 1 <= amount <= rules.campaign_max_budget_cents:
        raise DomainError(
            f"One funding charge is 0.01 to {usd(rules.campaign_max_budget_cents)}.",
            code=ErrorCode.INVALID_AMOUNT,
            field=AMOUNT_FIELD,
        )
    return None, Charge(amount, escrow.fee_for(amount, campaign.fee_basis_points))


async def record_funding(
    session: AsyncSession,
    brand: Account,
    request: FundingRequest,
    charge: Charge,
    *,
    charge_id: str,
    provider: str,
    rules: Rules,
    now: datetime,
) -> dict[str, Any]:
    """Record a card charge already made (`charge_id`) into the campaign's escrow, once per
    idempotency key: a ledger transaction, its `payments` row and the funding."""
    idempotency.check_key(request.key, rules.idempotency_key_max_length)
    await brands.require_brand(session, brand)
    campaign = await escrow.lock(session, request.campaign_id)
    replayed = await idempotency.claim(
        session, account_id=brand.id, key=request.key, operation=FUND,
        arguments=request.arguments, now=now,
    )  # fmt: skip
    if replayed is not None:
        return replayed
    await charging.ensure_not_refunded(session, charge_id)
    _check_fundable(campaign, brand)
    transaction = await ledger.post(
        session,
        kind=TransactionKind.CAMPAIGN_FUNDING,
        legs=escrow.funding_legs(campaign.id, charge.amount_cents, charge.fee_cents),
        now=now,
        actor_id=brand.id,
        memo=f"Campaign {campaign.id} funded: {campaign.title}"[:200],
    )
    payment = Payment(
        account_id=brand.id,
        purpose=PaymentPurpose.CAMPAIGN_FUNDING,
        provider=provider,
        provider_charge_id=charge_id,
        amount_cents=charge.total_cents,
        currency="USD",
        ledger_transaction_id=transaction.id,
        created_at=now,
    )
    session.add(payment)
    await session.flush()
    funding = await escrow.fund(
        session, campaign, payment_id=payment.id, amount_cents=charge.amount_cents,
        fee_cents=charge.fee_cents, now=now,
    )  # fmt: skip
    result = {"campaignId": campaign.id, "fundingId": funding.id}
    await idempotency.finish(session, account_id=brand.id, key=request.key, result=result)
    announce_change(session, campaign, "CAMPAIGN_FUNDED", await creators_of(session, campaign))
    return result
