"""Crediting a parked card payment (see `charging`) when the provider says it succeeded.

Each card-paid operation records its charge with the same service function its mutation uses,
rebuilt from the request's arguments as they were when it was paid. That function claims the
client's idempotency key, so the webhook and the payer's retry credit it once between them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.gifting import service as gifting
from reelpay.gifting.models import TipMethod
from reelpay.marketplace import funding
from reelpay.payments import service as coins
from reelpay.payments.models import PendingPayment
from reelpay.series import purchases as series
from reelpay.series.models import PaidWith
from reelpay.settings import Settings


async def complete(
    session: AsyncSession, pending: PendingPayment, *, provider: str, now: datetime,
    settings: Settings,
) -> dict[str, Any]:  # fmt: skip
    """Record the parked charge as its operation does; raises DomainError when the operation
    is refused now (the caller refunds the charge)."""
    payer = await session.get(Account, pending.account_id)
    assert payer is not None  # accounts are never deleted
    args, key, charge_id = pending.arguments, pending.idempotency_key, pending.provider_charge_id
    if pending.operation == coins.PURCHASE:
        request = coins.PurchaseRequest(
            coins.find_package(settings, int(args["coins"])), args["paymentToken"], key
        )
        return await coins.record_purchase(
            session, payer, request, charge_id=charge_id, provider=provider, now=now,
            settings=settings,
        )  # fmt: skip
    if pending.operation == gifting.SEND_TIP:
        tip = gifting.TipRequest(
            creator_id=int(args["creatorId"]),
            amount_cents=int(args["amountCents"]),
            method=TipMethod(args["method"]),
            key=key,
            anonymous=bool(args["anonymous"]),
            payment_token=args["paymentToken"],
        )
        return await gifting.record_tip(
            session, payer, tip, now=now, settings=settings, charge_id=charge_id,
            provider=provider,
        )  # fmt: skip
    if pending.operation == series.PURCHASE:
        purchase = series.PurchaseRequest(
            series_id=int(args["seriesId"]),
            paid_with=PaidWith(args["paidWith"]),
            key=key,
            payment_token=args["paymentToken"],
        )
        bought, _, _ = await series.buy_series(
            session, payer, purchase, now=now, settings=settings, charge_id=charge_id,
            provider=provider,
        )  # fmt: skip
        return {"purchaseId": bought.id}
    if pending.operation == funding.FUND:
        fund = funding.FundingRequest(
            campaign_id=int(args["campaignId"]),
            key=key,
            payment_token=args["paymentToken"],
            amount_cents=args["amountCents"],
        )
        fee = int(args["feeCents"])
        charge = funding.Charge(int(args["chargeCents"]) - fee, fee)
        return await funding.record_funding(
            session, payer, fund, charge, charge_id=charge_id, provider=provider,
            rules=settings.rules, now=now,
        )  # fmt: skip
    raise ValueError(f"no completion for {pending.operation!r}")
