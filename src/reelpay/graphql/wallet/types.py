"""The wallet: coin, diamond and earnings balances, and the history behind them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Connection, paged
from reelpay.wallet import models
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


@strawberry.type
class SourceEarnings:
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

    @classmethod
    async def load(cls, info: Info[Context, None], owner_id: int) -> Wallet:
        found = await info.context.read(lambda s: wallet.balances(s, [owner_id]))
        b = found[owner_id]
        return cls(
            owner_id=owner_id,
            coins=b.coins,
            diamonds=b.diamonds,
            earnings=Money.usd(b.earnings_cents),
            pending_earnings=Money.usd(b.pending_earnings_cents),
        )

    @strawberry.field(description="Earnings per source, net of reversals (every source listed).")
    async def earnings_by_source(self, info: Info[Context, None]) -> list[SourceEarnings]:
        found = await info.context.read(lambda s: wallet.earnings_by_source(s, self.owner_id))
        return [SourceEarnings(source=src, amount=Money.usd(c)) for src, c in found.items()]

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
