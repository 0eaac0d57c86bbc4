"""The wallet: coin, diamond and earnings balances, and the history behind them."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from reelpay import dates
from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.ranges import FromDay, ToDay
from reelpay.graphql.relay import Connection, paged
from reelpay.wallet import earnings, models
from reelpay.wallet import service as wallet

Asset = strawberry.enum(models.Asset, description="COIN, DIAMOND, or USD (in cents).")
TransactionKind = strawberry.enum(models.TransactionKind)
EarningsSource = strawberry.enum(models.EarningsSource, description="Where earnings came from.")

HISTORY_KEY = (int,)


@strawberry.type(description="One change to one of your balances.")
class WalletEntry:
    kind: TransactionKind  # type: ignore[valid-type]
    asset: Asset  # type: ignore[valid-type]
    amount: int = strawberry.field(
        description="Signed change in the asset's unit (coins, diamonds or US cents)."
    )
    balance_after: int
    description: str
    created_at: datetime

    @classmethod
    def of(cls, entry: wallet.Entry) -> WalletEntry:
        return cls(
            kind=entry.kind,
            asset=models.ASSET_OF[entry.account_kind],
            amount=entry.amount,
            balance_after=entry.balance_after,
            description=entry.memo,
            created_at=entry.created_at,
        )


@strawberry.type(
    description="One source's earnings: pending + available + inPayout + paidOut = total. "
    "Payouts draw on the balance as a whole; they are matched to the oldest earnings first."
)
class SourceEarnings:
    source: EarningsSource  # type: ignore[valid-type]
    amount: Money = strawberry.field(
        deprecation_reason="Credited to the available balance, net of reversals, payouts "
        "not deducted: use `available`, `inPayout`, `paidOut` or `total`."
    )
    pending: Money = strawberry.field(description="Held until its hold ends (Series refunds).")
    available: Money = strawberry.field(description="In your balance, ready to pay out.")
    in_payout: Money = strawberry.field(description="Held by payouts on their way.")
    paid_out: Money
    total: Money = strawberry.field(description="Everything earned, net of reversals.")


@strawberry.type(description="What was earned on one UTC day, per source.")
class EarningsDay:
    date: date
    total: Money
    by_source: list[SourceAmount]


@strawberry.type
class SourceAmount:
    source: EarningsSource  # type: ignore[valid-type]
    amount: Money


@strawberry.type(description="Balances, from the ledger. Only the owner and staff see a wallet.")
class Wallet:
    owner_id: strawberry.Private[int]
    coins: int
    diamonds: int
    earnings: Money = strawberry.field(description="USD earnings available to the creator.")
    pending_earnings: Money = strawberry.field(
        description="Earned but held until a refund window closes (Series sales)."
    )
    in_payout: Money = strawberry.field(
        description="Taken from your earnings by payouts that are on their way."
    )

    @classmethod
    async def load(cls, info: Info[Context, None], owner_id: int) -> Wallet:
        found = await info.context.read(lambda s: wallet.balances(s, [owner_id]))
        return cls.of(owner_id, found[owner_id])

    @classmethod
    def of(cls, owner_id: int, b: wallet.Balances) -> Wallet:
        """The wallet from balances already read (by a mutation, in its own transaction)."""
        return cls(
            owner_id=owner_id,
            coins=b.coins,
            diamonds=b.diamonds,
            earnings=Money.usd(b.earnings_cents),
            pending_earnings=Money.usd(b.pending_earnings_cents),
            in_payout=Money.usd(b.in_payout_cents),
        )

    @strawberry.field(description="Everything paid out to your payout methods.")
    async def paid_out(self, info: Info[Context, None]) -> Money:
        return Money.usd(await info.context.read(lambda s: earnings.paid_out(s, self.owner_id)))

    @strawberry.field(
        description="Earnings per source: pending, available, in payout and paid out (every "
        "source listed)."
    )
    async def earnings_by_source(self, info: Info[Context, None]) -> list[SourceEarnings]:
        found = await info.context.read(lambda s: earnings.breakdown(s, self.owner_id))
        return [
            SourceEarnings(
                source=source,
                amount=Money.usd(b.credited),
                pending=Money.usd(b.pending),
                available=Money.usd(b.available),
                in_payout=Money.usd(b.in_payout),
                paid_out=Money.usd(b.paid_out),
                total=Money.usd(b.total),
            )
            for source, b in found.items()
        ]

    @strawberry.field(
        description="Earnings per UTC day from `from` to `to` (both included, at most 92 "
        "days, not after today; the last 30 days when both are left out), per source, net of "
        "reversals: for charts."
    )
    async def earnings_by_day(
        self,
        info: Info[Context, None],
        from_: FromDay = None,
        to: ToDay = None,
    ) -> list[EarningsDay]:
        start, end = dates.report_range(
            from_, to, today=info.context.now.date(), rules=info.context.settings.rules
        )
        days = await info.context.read(lambda s: earnings.daily(s, self.owner_id, start, end))
        return [
            EarningsDay(
                date=d.day,
                total=Money.usd(d.total),
                by_source=[
                    SourceAmount(source=s, amount=Money.usd(c)) for s, c in d.by_source.items()
                ],
            )
            for d in days
        ]

    @strawberry.field(description="Every balance change, newest first.")
    async def history(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WalletEntry]:
        return await paged(
            info.context, HISTORY_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: wallet.history(s, self.owner_id, request),
            count=lambda s: wallet.history_count(s, self.owner_id),
            to_node=WalletEntry.of,
        )  # fmt: skip
