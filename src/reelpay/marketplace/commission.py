"""COMMISSION terms: the brand reports sales against a creator's tracking code and the
commission is paid at once from the creator's reservation.

Commission = sales * the campaign's basis points // 10,000 (US cents; the fraction of a cent
is not paid), capped at what is left of the creator's cap (`cap_left`). A report once the cap
is used up is recorded with a commission of 0. A report id counts once per campaign: sent
again with the same figures (tracking code, sales, occurred at) it returns the first result;
with other figures it is REPORT_ID_REUSED. The request's idempotency key replays the same way.

Reports are refused for a CANCELLED deal and once the campaign has ended (its reservations
were released). The campaign's row is locked first, so reports racing for one deal are paid
one after the other and never past the cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.marketplace import brands, escrow, notices
from reelpay.marketplace.models import (
    Campaign,
    CampaignStatus,
    CommissionReport,
    Deal,
    DealStatus,
    TermsKind,
    ViewAccrual,
)
from reelpay.notifications.templates import usd
from reelpay.pagination import Page, PageRequest, paginate_groups
from reelpay.wallet import idempotency

REPORT = "reportCampaignSales"
CODE_FIELD = ("input", "trackingCode")
REPORT_ID_FIELD = ("input", "reportId")
SALES_FIELD = ("input", "sales", "amount")
OCCURRED_FIELD = ("input", "occurredAt")
REPORT_ID_MAX_LENGTH = 128
TRACKING_CODE_MAX_LENGTH = 32
RUNNING = (CampaignStatus.OPEN, CampaignStatus.IN_PROGRESS)


@dataclass(frozen=True)
class SalesReport:
    """What the brand reports."""

    tracking_code: str
    report_id: str
    sales_cents: int
    occurred_at: datetime
    key: str

    @property
    def arguments(self) -> dict[str, object]:
        return {
            "trackingCode": self.tracking_code,
            "reportId": self.report_id,
            "salesCents": self.sales_cents,
            "occurredAt": self.occurred_at.isoformat(),
        }


def check_report(report: SalesReport, *, now: datetime, key_max_length: int) -> None:
    """Input rules that need no database (INVALID_INPUT naming the field)."""
    idempotency.check_key(report.key, key_max_length)
    rid = report.report_id
    if not (1 <= len(rid) <= REPORT_ID_MAX_LENGTH) or not rid.isprintable() or rid != rid.strip():
        raise DomainError(
            f"`reportId` is 1 to {REPORT_ID_MAX_LENGTH} printable characters with no "
            "surrounding spaces (your own id of the sale or of the report).",
            code=ErrorCode.INVALID_INPUT,
            field=REPORT_ID_FIELD,
        )
    if not 1 <= len(report.tracking_code) <= TRACKING_CODE_MAX_LENGTH:
        raise NotFound("No deal has this tracking code.", field=CODE_FIELD)
    if report.sales_cents <= 0:
        raise DomainError(
            "Sales must be more than 0.", code=ErrorCode.INVALID_INPUT, field=SALES_FIELD
        )
    if report.occurred_at > now:
        raise DomainError(
            "Sales cannot be reported before they happen: `occurredAt` is in the future.",
            code=ErrorCode.INVALID_INPUT,
            field=OCCURRED_FIELD,
        )


async def extras_paid(session: AsyncSession, deal_ids: Sequence[int]) -> dict[int, int]:
    """What each deal was paid beyond its flat fee: commissions and view accruals."""
    commissions = sa.select(
        CommissionReport.deal_id.label("deal_id"),
        CommissionReport.commission_cents.label("cents"),
    ).where(CommissionReport.deal_id.in_(set(deal_ids)))
    accruals = sa.select(
        ViewAccrual.deal_id.label("deal_id"), ViewAccrual.cents.label("cents")
    ).where(ViewAccrual.deal_id.in_(set(deal_ids)))
    both = sa.union_all(commissions, accruals).subquery()
    rows = await session.execute(
        sa.select(both.c.deal_id, sa.func.sum(both.c.cents)).group_by(both.c.deal_id)
    )
    found = {deal_id: int(cents or 0) for deal_id, cents in rows.all()}
    return {deal_id: found.get(deal_id, 0) for deal_id in deal_ids}


async def cap_left(session: AsyncSession, deal: Deal, campaign: Campaign) -> int:
    """What the deal may still pay beyond its flat fee (COMMISSION and PER_VIEW): the cap less
    what commissions and views paid, and never more than the reservation holds beyond the flat
    fee not paid yet. Read with the campaign's row locked."""
    extras = (await extras_paid(session, [deal.id]))[deal.id]
    fee_paid = max(0, deal.paid_cents - extras)
    fee_unpaid = max(0, deal.fee_cents - fee_paid)
    cap = campaign.cap_per_creator_cents or 0
    return max(0, min(deal.reserved_cents - fee_unpaid, cap - extras))


def commission_for(sales_cents: int, basis_points: int) -> int:
    """The commission on `sales_cents` before the cap (rounded down)."""
    return sales_cents * basis_points // 10_000


async def _deal_by_code(session: AsyncSession, code: str) -> Deal:
    deal = await session.scalar(sa.select(Deal).where(Deal.tracking_code == code))
    if deal is None:
        raise NotFound("No deal has this tracking code.", field=CODE_FIELD)
    return deal


async def _fresh_deal(session: AsyncSession, deal_id: int) -> Deal:
    deal = await session.scalar(
        sa.select(Deal).where(Deal.id == deal_id).execution_options(populate_existing=True)
    )
    assert deal is not None
    return deal


async def report_sales(
    session: AsyncSession,
    brand: Account,
    report: SalesReport,
    *,
    now: datetime,
    key_max_length: int,
) -> CommissionReport:
    """Record the brand's sales report and pay its commission (see the module)."""
    await brands.require_brand(session, brand)
    check_report(report, now=now, key_max_length=key_max_length)
    found = await _deal_by_code(session, report.tracking_code)
    campaign = await escrow.lock(session, found.campaign_id)
    if campaign.brand_id != brand.id:
        raise NotFound("No deal has this tracking code.", field=CODE_FIELD)
    deal = await _fresh_deal(session, found.id)
    replayed = await idempotency.claim(
        session, account_id=brand.id, key=report.key, operation=REPORT,
        arguments=report.arguments, now=now,
    )  # fmt: skip
    if replayed is not None:
        first = await session.get(CommissionReport, int(replayed["reportId"]))
        assert first is not None
        return first
    earlier = await session.scalar(
        sa.select(CommissionReport).where(
            CommissionReport.campaign_id == campaign.id,
            CommissionReport.report_id == report.report_id,
        )
    )
    if earlier is not None:
        if (earlier.deal_id, earlier.sales_cents, earlier.occurred_at) != (
            deal.id,
            report.sales_cents,
            report.occurred_at,
        ):
            raise DomainError(
                f"Report {report.report_id!r} was already sent with other figures (tracking "
                "code, sales or time): send a new report id for new sales.",
                code=ErrorCode.REPORT_ID_REUSED,
                field=REPORT_ID_FIELD,
            )
        await idempotency.finish(
            session, account_id=brand.id, key=report.key, result={"reportId": earlier.id}
        )
        return earlier
    _check_payable(campaign, deal, report)
    cents = min(
        commission_for(report.sales_cents, campaign.commission_basis_points or 0),
        await cap_left(session, deal, campaign),
    )
    memo = f"Campaign {campaign.id}: commission on report {report.report_id}"[:200]
    transaction = await escrow.pay(
        session, campaign.id, deal.creator_id, cents, deal_id=deal.id, now=now,
        actor_id=brand.id, memo=memo,
    )  # fmt: skip
    recorded = CommissionReport(
        campaign_id=campaign.id, deal_id=deal.id, report_id=report.report_id,
        sales_cents=report.sales_cents, occurred_at=report.occurred_at, commission_cents=cents,
        ledger_transaction_id=transaction.id if transaction else None, created_at=now,
    )  # fmt: skip
    session.add(recorded)
    await session.flush()  # a concurrent report of the same id loses here and is retried
    await idempotency.finish(
        session, account_id=brand.id, key=report.key, result={"reportId": recorded.id}
    )
    await notices.paid(
        session, deal.creator_id, campaign, cents, deal_id=deal.id,
        why=f"commission on {usd(report.sales_cents)} of sales", now=now,
    )  # fmt: skip
    notices.announce(
        session, (campaign.brand_id, deal.creator_id), campaign_id=campaign.id, deal_id=deal.id,
        event="SALES_REPORTED",
    )  # fmt: skip
    return recorded


def _check_payable(campaign: Campaign, deal: Deal, report: SalesReport) -> None:
    if campaign.terms_kind is not TermsKind.COMMISSION:
        terms = campaign.terms_kind.value if campaign.terms_kind else campaign.kind.value
        raise DomainError(
            f"This campaign pays no commission (its terms are {terms}).",
            code=ErrorCode.INVALID_INPUT,
            field=CODE_FIELD,
        )
    if campaign.status not in RUNNING:
        raise DomainError(
            f"The campaign is {campaign.status.value}: sales are reported while it is OPEN or "
            "IN_PROGRESS.",
            code=ErrorCode.CAMPAIGN_STATE_INVALID,
            field=CODE_FIELD,
        )
    if deal.status is DealStatus.CANCELLED:
        raise DomainError(
            "The deal was CANCELLED: it earns no commission.",
            code=ErrorCode.DEAL_STATE_INVALID,
            field=CODE_FIELD,
        )
    if report.occurred_at < deal.created_at:
        raise DomainError(
            f"The deal started at {deal.created_at.isoformat()}: sales before it earn no "
            "commission.",
            code=ErrorCode.INVALID_INPUT,
            field=OCCURRED_FIELD,
        )


# --- reading -------------------------------------------------------------------------------


async def report_pages(
    session: AsyncSession, deal_ids: Sequence[int], request: PageRequest
) -> dict[int, Page[CommissionReport]]:
    """Each deal's commission reports, newest first, in one query."""
    return await paginate_groups(
        session,
        sa.select(CommissionReport),
        CommissionReport,
        CommissionReport.deal_id,
        list(deal_ids),
        (CommissionReport.id,),
        request,
        descending=True,
    )


async def report_counts(session: AsyncSession, deal_ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(
        sa.select(CommissionReport.deal_id, sa.func.count())
        .where(CommissionReport.deal_id.in_(set(deal_ids)))
        .group_by(CommissionReport.deal_id)
    )
    found = {deal_id: int(n) for deal_id, n in rows.all()}
    return {deal_id: found.get(deal_id, 0) for deal_id in deal_ids}
