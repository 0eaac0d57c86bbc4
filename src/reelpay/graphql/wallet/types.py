"""The wallet: coin, diamond and earnings balances, and the history behind them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay import dates
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.ranges import FromDay, ToDay
from reelpay.graphql.relay import (
    Connection,
    InvalidCursor,
    Node,
    decode_cursor,
    encode_cursor,
    paged,
)
from reelpay.wallet import earnings, models
from reelpay.wallet import service as wallet

Asset = described_enum(
    models.Asset,
    "What a balance holds, and so the unit of an amount.",
    {
        "COIN": "Coins, bought with real money and spent on gifts, tips and Series.",
        "DIAMOND": "Diamonds, what a creator receives from gifts; redeemed into USD earnings.",
        "USD": "US dollars, counted in cents: a creator's earnings.",
    },
)
TransactionKind = described_enum(
    models.TransactionKind,
    "Why a balance changed.",
    {
        "COIN_PURCHASE": "Coins bought with a coin package.",
        "GIFT": "A gift: coins left the sender, diamonds reached the creator.",
        "TIP": "A tip: coins (or a card) paid, USD earnings reached the creator.",
        "DIAMOND_REDEMPTION": "Diamonds redeemed into USD earnings.",
        "REWARDS_ACCRUAL": "Creator Rewards earned from qualified views.",
        "SERIES_PURCHASE": "A Series bought: coins or card paid, the creator's share credited.",
        "EARNINGS_RELEASE": "Held earnings became available when their refund window closed.",
        "PAYOUT_HOLD": "Earnings set aside for a payout on its way.",
        "PAYOUT_PAID": "A payout was sent to a payout method.",
        "PAYOUT_RETURN": "A payout's money came back to the earnings: it failed, or the "
        "provider gave back a paid one (RETURNED).",
        "REVERSAL": "An earlier change undone (a refund, for example).",
        "CAMPAIGN_FUNDING": "A brand funded a campaign's escrow by card.",
        "CAMPAIGN_RESERVE": "Campaign escrow set aside for an accepted creator.",
        "CAMPAIGN_RELEASE": "A campaign reservation no longer needed went back to its escrow.",
        "CAMPAIGN_PAYMENT": "A brand deal or challenge prize paid from escrow to the creator.",
        "CAMPAIGN_REFUND": "Unused campaign escrow refunded to the brand's card.",
        "CHARGEBACK": "A card payment was disputed and the money went back to the card holder: "
        "what it bought is taken back (coins still unspent, a creator's share), and what is "
        "gone already becomes a debt (`Wallet.coinDebt`, `Wallet.earningsDebt`).",
        "DEBT_SETTLEMENT": "A creator's debt from a chargeback paid from their available "
        "earnings (before a payout).",
    },
)
EarningsSource = described_enum(
    models.EarningsSource,
    "Where earnings came from.",
    {
        "REWARDS": "Creator Rewards, paid per 1,000 qualified views.",
        "GIFTS": "Diamonds from gifts, redeemed into USD.",
        "TIPS": "Tips (100% of each tip).",
        "SERIES": "The creator's share of Series sales.",
        "MARKETPLACE": "Brand deals in the Creator Marketplace and sponsored challenge prizes.",
    },
)

First = Annotated[
    int | None,
    strawberry.argument(description="At most this many from the start (1 to 100; default 20)."),
]
After = Annotated[
    str | None, strawberry.argument(description="Start after this cursor (from a page's edge).")
]
Last = Annotated[
    int | None, strawberry.argument(description="At most this many from the end (1 to 100).")
]
Before = Annotated[
    str | None, strawberry.argument(description="End before this cursor (from a page's edge).")
]

WalletBalance = described_enum(
    wallet.Balance,
    "Which of your balances a history row moved: one transaction may move several (a payout "
    "hold takes from EARNINGS_AVAILABLE and puts into IN_PAYOUT), one row each.",
    {
        "COINS": "Your coins (`Wallet.coins`).",
        "DIAMONDS": "Your diamonds (`Wallet.diamonds`).",
        "EARNINGS_AVAILABLE": "Your USD earnings available to pay out (`Wallet.earnings`).",
        "EARNINGS_PENDING": "Your USD earnings held until a refund window closes "
        "(`Wallet.pendingEarnings`).",
        "IN_PAYOUT": "USD taken from your earnings by payouts on their way (`Wallet.inPayout`).",
        "COIN_DEBT": "Coins you owe after a card payment for coins was charged back "
        "(`Wallet.coinDebt`).",
        "EARNINGS_DEBT": "USD you owe after a payment to you was charged back once paid out "
        "(`Wallet.earningsDebt`).",
    },
    name="WalletBalance",
)

# History cursors hold (transaction time, posting id); the ones given out before held the
# posting id alone and are still read.
HISTORY_KEY = (datetime, int)
LEGACY_HISTORY_KEY = (int,)


@strawberry.type(description="One change to one of your balances.")
class WalletEntry:
    kind: TransactionKind = strawberry.field(  # type: ignore[valid-type]
        description="Why the balance changed."
    )
    asset: Asset = strawberry.field(  # type: ignore[valid-type]
        description="The unit of `amount` and `balanceAfter`; `balance` says which balance."
    )
    balance: WalletBalance = strawberry.field(  # type: ignore[valid-type]
        description="Which of your balances changed: `amount` and `balanceAfter` are that "
        "balance's."
    )
    amount: int = strawberry.field(
        description="Signed change in the asset's unit (coins, diamonds or US cents)."
    )
    balance_after: int = strawberry.field(
        description="That balance (`balance`) right after this change, in the same unit (never "
        "negative)."
    )
    description: str = strawberry.field(description="What happened, for people to read.")
    created_at: datetime = strawberry.field(description="When it happened (UTC).")

    @classmethod
    def of(cls, entry: wallet.Entry) -> WalletEntry:
        return cls(
            kind=entry.kind,
            asset=models.ASSET_OF[entry.account_kind],
            balance=entry.balance,
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
    source: EarningsSource = strawberry.field(  # type: ignore[valid-type]
        description="Where these earnings came from."
    )
    amount: Money = strawberry.field(
        description="Credited to the available balance, net of reversals, payouts not deducted.",
        deprecation_reason="Credited to the available balance, net of reversals, payouts "
        "not deducted: use `available`, `inPayout`, `paidOut` or `total`.",
    )
    pending: Money = strawberry.field(description="Held until its hold ends (Series refunds).")
    available: Money = strawberry.field(description="In your balance, ready to pay out.")
    in_payout: Money = strawberry.field(description="Held by payouts on their way.")
    paid_out: Money = strawberry.field(
        description="Sent to your payout methods (not counting payouts that came back)."
    )
    total: Money = strawberry.field(description="Everything earned, net of reversals.")


@strawberry.type(description="What was earned on one UTC day, per source.")
class EarningsDay:
    date: date = strawberry.field(description="The UTC day.")
    total: Money = strawberry.field(description="Earned that day from every source.")
    by_source: list[SourceAmount] = strawberry.field(
        description="Earned that day per source (every source listed, zero included)."
    )


@strawberry.type(description="An amount earned from one source.")
class SourceAmount:
    source: EarningsSource = strawberry.field(  # type: ignore[valid-type]
        description="Where it came from."
    )
    amount: Money = strawberry.field(description="How much, net of reversals.")


@strawberry.type(
    description="Balances, from the ledger. Only the owner and staff see a wallet (through "
    "`Account.wallet`, `node(id:)` and the payloads of the mutations that change it). Its `id` "
    "stays the same for the account's lifetime, so a normalised client cache updates it in place."
)
class Wallet(Node):
    owner_id: strawberry.Private[int]
    coins: int = strawberry.field(description="Coins to spend (never negative).")
    diamonds: int = strawberry.field(
        description="Diamonds received from gifts, not yet redeemed (never negative)."
    )
    earnings: Money = strawberry.field(description="USD earnings available to the creator.")
    pending_earnings: Money = strawberry.field(
        description="Earned but held until a refund window closes (Series sales)."
    )
    in_payout: Money = strawberry.field(
        description="Taken from your earnings by payouts that are on their way."
    )
    coin_debt: int = strawberry.field(
        description="Coins owed after a card payment for coins was charged back once some of "
        "its coins were spent (0 when nothing is owed). While it is above 0, spending coins "
        "(gifts, coin tips, Series paid with coins) is refused with OUTSTANDING_DEBT; the next "
        "coin purchase settles it first and credits the rest."
    )
    earnings_debt: Money = strawberry.field(
        description="Owed by a creator after a payment to them was charged back once their "
        "share was paid out: settled from the available earnings before any payout "
        "(`PayoutForecast.debt`)."
    )

    @classmethod
    async def load(cls, info: Info[Context, None], owner_id: int) -> Wallet:
        found = await info.context.read(lambda s: wallet.balances(s, [owner_id]))
        return cls.of(owner_id, found[owner_id])

    @classmethod
    def of(cls, owner_id: int, b: wallet.Balances) -> Wallet:
        """The wallet from balances already read (by a mutation, in its own transaction)."""
        return cls(
            db_id=owner_id,
            owner_id=owner_id,
            coins=b.coins,
            diamonds=b.diamonds,
            earnings=Money.usd(b.earnings_cents),
            pending_earnings=Money.usd(b.pending_earnings_cents),
            in_payout=Money.usd(b.in_payout_cents),
            coin_debt=b.coin_debt,
            earnings_debt=Money.usd(b.earnings_debt_cents),
        )

    @strawberry.field(
        description="Everything paid out to your payout methods, less payouts the provider "
        "gave back (RETURNED: that money is in `earnings` again)."
    )
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

    @strawberry.field(
        description="Every balance change, newest first: by `createdAt`, and rows of the same "
        "instant (one transaction's rows among them) in a fixed order, the same on every page."
    )
    async def history(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WalletEntry]:
        after = await self._current_cursor(info, after, "after")
        before = await self._current_cursor(info, before, "before")
        return await paged(
            info.context, HISTORY_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: wallet.history(s, self.owner_id, request),
            count=lambda s: wallet.history_count(s, self.owner_id),
            to_node=WalletEntry.of,
        )  # fmt: skip

    async def _current_cursor(
        self, info: Info[Context, None], cursor: str | None, argument: str
    ) -> str | None:
        """A history cursor as it is now: one given out when the history was keyed by the
        posting id alone is read as that posting's current key."""
        if cursor is None:
            return None
        try:
            (posting_id,) = decode_cursor(cursor, LEGACY_HISTORY_KEY, argument)
        except InvalidCursor:
            return cursor  # a current cursor, or junk that `paged` reports
        key = await info.context.read(lambda s: wallet.history_key(s, self.owner_id, posting_id))
        if key is None:
            raise InvalidCursor(
                f"`{argument}` is not a cursor this list gave out.", field=(argument,)
            )
        return encode_cursor(key)


async def resolve_wallet(info: Info[Context, None], owner_id: int) -> Wallet | None:
    """A wallet for `node(id:)`, authorised as `Account.wallet` is: its owner and staff."""
    viewer = await info.context.viewer()
    if viewer is None or (viewer.id != owner_id and not viewer.is_staff):
        return None
    if await info.context.loaders.account.load(owner_id) is None:
        return None
    return await Wallet.load(info, owner_id)
