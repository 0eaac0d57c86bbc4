"""Payout methods, schedules, payouts and the forecast. Only the creator and staff see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.payouts.arguments import AFTER, BEFORE, FIRST, LAST
from reelpay.graphql.payouts.connect import PayoutAccount, load_payout_account
from reelpay.graphql.relay import Connection, Node, paged
from reelpay.payouts import connect, models
from reelpay.payouts import methods as method_service
from reelpay.payouts import service as payouts
from reelpay.payouts.rules import Blocker
from reelpay.payouts.schedule import Schedule

PayoutMethodKind = described_enum(
    models.PayoutMethodKind,
    "What kind of account a payout method pays into.",
    {
        "PAYPAL": "A PayPal account, named by its email address.",
        "BANK_ACCOUNT": "A bank account: an IBAN, or a US routing and account number.",
    },
)
PayoutFrequency = described_enum(
    models.PayoutFrequency,
    "WEEKLY on a weekday, MONTHLY on a day of the month, or MANUAL (you request).",
    {
        "WEEKLY": "Every week on the schedule's `weekday`.",
        "MONTHLY": "Every month on the schedule's `dayOfMonth` (the last day in shorter months).",
        "MANUAL": "No scheduled payouts: you request each one with `requestPayout`.",
    },
)
PayoutStatus = described_enum(
    models.PayoutStatus,
    "REQUESTED -> PROCESSING -> PAID, or FAILED with the money back in your balance; a PAID "
    "payout becomes RETURNED if the provider later gives the money back.",
    {
        "REQUESTED": "Created; its amount is held from your earnings until the job sends it.",
        "PROCESSING": "Being sent to the payout provider, or waiting to be tried again.",
        "PAID": "The provider paid it out. It stays PAID unless the provider later gives the "
        "money back (RETURNED).",
        "FAILED": "It could not be paid; the amount is back in your available earnings.",
        "RETURNED": "The provider paid it, then the money came back (for example PayPal "
        "returned an unclaimed payment, or a bank transfer was reversed): it is in your "
        "earnings again. `failureCode` and `failureMessage` say why; check the payout method "
        "before the next payout. Final.",
    },
)
PayoutTrigger = described_enum(
    models.PayoutTrigger,
    "Requested by the creator, or made by their schedule.",
    {
        "REQUESTED": "The creator asked for it with `requestPayout`.",
        "SCHEDULED": "The creator's WEEKLY or MONTHLY schedule made it.",
    },
)
PayoutBlocker = described_enum(
    Blocker,
    "Why no payout will happen.",
    {
        "NO_PAYOUT_METHOD": "No payout method is linked.",
        "PAYOUT_ACCOUNT_NOT_READY": "The default method is a bank account, bank payouts go "
        "through Stripe, and your Stripe account cannot receive them yet "
        "(`startPayoutOnboarding`; `payoutAccount.requirementsDue` says what is missing).",
        "SUSPENDED": "Payouts are suspended while the account is restricted or banned.",
        "BELOW_THRESHOLD": "The available earnings are below the payout threshold.",
        "DAILY_CAP_REACHED": "The daily payout limit is used up for that day.",
        "MANUAL_SCHEDULE": "The schedule is MANUAL: no payout happens unless you request one.",
        "OUTSTANDING_DEBT": "You owe money from a chargeback (`PayoutForecast.debt`): it is "
        "settled from your earnings before any payout and leaves less than the threshold.",
    },
)

if TYPE_CHECKING:
    from reelpay.graphql.accounts.types import Account

AccountRef = Annotated["Account", strawberry.lazy("reelpay.graphql.accounts.types")]
PAYOUT_KEY = (int,)

_BLOCKER_TEXT = {
    Blocker.NO_PAYOUT_METHOD: "Link a payout method (PayPal or a bank account).",
    Blocker.PAYOUT_ACCOUNT_NOT_READY: "Finish setting up your bank payouts with Stripe "
    "(startPayoutOnboarding): payouts to your bank account start once Stripe enables them.",
    Blocker.SUSPENDED: "Payouts are suspended while the account is restricted or banned.",
    Blocker.BELOW_THRESHOLD: "Your available earnings are below the payout threshold of "
    "{threshold}.",
    Blocker.DAILY_CAP_REACHED: "The daily payout limit of {cap} is reached for that day.",
    Blocker.MANUAL_SCHEDULE: "You have no payout schedule: request payouts yourself, or choose "
    "a weekly or monthly schedule.",
    Blocker.OUTSTANDING_DEBT: "You owe {debt} from a payment to you that was charged back "
    "after it was paid out: it is settled from your earnings first, which leaves less than "
    "the payout threshold of {threshold}.",
}


@strawberry.type(
    description="Where payouts go. Only a masked form of the account is shown, to its owner and "
    "staff."
)
class PayoutMethod(Node):
    kind: PayoutMethodKind = strawberry.field(  # type: ignore[valid-type]
        description="PayPal or a bank account."
    )
    masked: str = strawberry.field(
        description=(
            'The destination with most of it hidden: "j•••@example.com" (PayPal) or '
            '"DE ••••3000" (bank).'
        )
    )
    last4: str | None = strawberry.field(
        description="A bank account's last 4 characters (of the IBAN or account number)."
    )
    holder_name: str | None = strawberry.field(description="A bank account's holder.")
    country: str | None = strawberry.field(
        description="A bank account's country (ISO 3166-1 alpha-2); null for PayPal."
    )
    is_default: bool = strawberry.field(
        description="Payouts go here unless a request names another method; false once removed."
    )
    created_at: datetime = strawberry.field(description="When it was linked.")

    @classmethod
    def from_model(cls, model: models.PayoutMethod) -> PayoutMethod:
        return cls(
            db_id=model.id,
            kind=model.kind,
            masked=model.masked,
            last4=model.last4,
            holder_name=model.holder_name,
            country=model.country,
            is_default=model.is_default and model.removed_at is None,
            created_at=model.created_at,
        )


@strawberry.type(
    description="How often a creator's scheduled payouts happen. One per creator (its ID stays "
    "the same when the schedule changes); the creator and staff see it."
)
class PayoutScheduleInfo(Node):
    frequency: PayoutFrequency = strawberry.field(  # type: ignore[valid-type]
        description="WEEKLY, MONTHLY or MANUAL (the default)."
    )
    weekday: int = strawberry.field(description="WEEKLY: 1 (Monday) to 7 (Sunday).")
    day_of_month: int = strawberry.field(
        description="MONTHLY: 1 to 31; in shorter months the month's last day."
    )

    @classmethod
    def of(cls, account_id: int, schedule: Schedule) -> PayoutScheduleInfo:
        return cls(
            db_id=account_id,
            frequency=schedule.frequency,
            weekday=schedule.weekday,
            day_of_month=schedule.day_of_month,
        )


@strawberry.type(
    description="Money sent (or being sent) from a creator's earnings to a payout method. The "
    "creator and staff see it."
)
class Payout(Node):
    model: strawberry.Private[models.Payout]
    amount: Money = strawberry.field(description="What is paid out (USD), held from earnings.")
    status: PayoutStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where it is: REQUESTED, PROCESSING, PAID, FAILED or RETURNED."
    )
    trigger: PayoutTrigger = strawberry.field(  # type: ignore[valid-type]
        description="Requested by the creator or made by their schedule."
    )
    scheduled_for: date | None = strawberry.field(
        description="The schedule date it is for (UTC day); null when requested."
    )
    attempts: int = strawberry.field(description="Provider attempts in the current try.")
    next_attempt_at: datetime | None = strawberry.field(
        description="PROCESSING: when the job tries it again: after a transient failure, the "
        "end of the backoff; while it is being sent, the end of the sender's lease."
    )
    failure_code: str | None = strawberry.field(
        description="Why it failed or came back, or why the last attempt failed (e.g. "
        "RECIPIENT_REJECTED; RETURNED, REFUNDED, REVERSED or TRANSFER_REVERSED when RETURNED)."
    )
    failure_message: str | None = strawberry.field(
        description="The provider's explanation of `failureCode`, for a person to read."
    )
    created_at: datetime = strawberry.field(description="When it was requested or scheduled.")
    updated_at: datetime = strawberry.field(description="When its state last changed.")
    paid_at: datetime | None = strawberry.field(
        description="When it was paid; null until PAID (kept when RETURNED)."
    )
    failed_at: datetime | None = strawberry.field(description="When it failed; null unless FAILED.")

    @classmethod
    def from_model(cls, model: models.Payout) -> Payout:
        return cls(
            db_id=model.id,
            model=model,
            amount=Money(currency=model.currency, minor_units=model.amount_cents),
            status=model.status,
            trigger=model.trigger,
            scheduled_for=model.scheduled_for,
            attempts=model.attempts,
            next_attempt_at=model.next_attempt_at
            if model.status is models.PayoutStatus.PROCESSING
            else None,
            failure_code=model.failure_code,
            failure_message=model.failure_message,
            created_at=model.created_at,
            updated_at=model.updated_at,
            paid_at=model.paid_at,
            failed_at=model.failed_at,
        )

    @strawberry.field(description="Where it goes (a removed method is still shown here).")
    async def method(self, info: Info[Context, None]) -> PayoutMethod:
        found = await info.context.loaders.payout_method.load(self.model.method_id)
        return PayoutMethod.from_model(found)

    @strawberry.field(description="The creator whose earnings are paid out.")
    async def creator(self, info: Info[Context, None]) -> AccountRef:
        from reelpay.graphql.accounts.types import Account

        found = await info.context.loaders.account.load(self.model.creator_id)
        return Account.from_model(found)


@strawberry.type(description="One reason why no payout will happen.")
class PayoutBlock:
    code: PayoutBlocker = strawberry.field(  # type: ignore[valid-type]
        description="The reason, for code to switch on."
    )
    message: str = strawberry.field(description="The reason in a sentence to show the person.")


@strawberry.type(
    description="A creator's next scheduled payout at today's available balance, or why none "
    "will happen; and what they could request right now. One per creator (a stable ID); the "
    "creator and staff see it."
)
class PayoutForecast(Node):
    date: date | None = strawberry.field(description="The next schedule date (null if MANUAL).")
    amount: Money | None = strawberry.field(
        description="What that payout would be: the available balance up to the daily limit; "
        "null when a reason below stops it."
    )
    method: PayoutMethod | None = strawberry.field(description="Your default payout method.")
    reasons: list[PayoutBlock] = strawberry.field(
        description="Why no payout will happen; empty when the next one will."
    )
    requestable_now: Money = strawberry.field(
        description="The most `requestPayout` accepts now (zero when it would be refused)."
    )
    schedule: PayoutScheduleInfo = strawberry.field(description="The schedule it follows.")
    threshold: Money = strawberry.field(
        description="The least a payout may be (a setting; 100.00 USD by default)."
    )
    daily_cap: Money = strawberry.field(
        description="The most paid out per UTC day (a setting; 1000.00 USD by default)."
    )
    debt: Money = strawberry.field(
        description="What you owe from payments to you that were charged back after their "
        "money was paid out (zero when nothing is owed). It is settled from your available "
        "earnings before any payout: `amount` and `requestableNow` are net of it."
    )

    @classmethod
    def of(
        cls, account_id: int, forecast: payouts.Forecast, info: Info[Context, None]
    ) -> PayoutForecast:
        rules = info.context.settings.rules
        fill = {
            "threshold": payouts.usd(rules.payout_threshold_cents),
            "cap": payouts.usd(rules.payout_daily_cap_cents),
            "debt": payouts.usd(forecast.debt),
        }
        return cls(
            db_id=account_id,
            date=forecast.date,
            amount=Money.usd(forecast.amount) if forecast.amount is not None else None,
            method=PayoutMethod.from_model(forecast.method) if forecast.method else None,
            reasons=[
                PayoutBlock(
                    code=b,
                    message=forecast.account_reason
                    if b is Blocker.PAYOUT_ACCOUNT_NOT_READY and forecast.account_reason
                    else _BLOCKER_TEXT[b].format(**fill),
                )
                for b in forecast.blockers
            ],
            requestable_now=Money.usd(forecast.requestable_now),
            schedule=PayoutScheduleInfo.of(account_id, forecast.schedule),
            threshold=Money.usd(rules.payout_threshold_cents),
            daily_cap=Money.usd(rules.payout_daily_cap_cents),
            debt=Money.usd(forecast.debt),
        )


async def load_forecast(info: Info[Context, None], creator: AccountModel) -> PayoutForecast:
    ctx = info.context
    via_stripe = connect.bank_payouts_via_stripe(ctx.settings)
    found = await ctx.read(
        lambda s: payouts.forecast(
            s, creator, now=ctx.now, rules=ctx.settings.rules, via_stripe=via_stripe
        )
    )
    return PayoutForecast.of(creator.id, found, info)


async def load_schedule(info: Info[Context, None], account_id: int) -> PayoutScheduleInfo:
    found = await info.context.read(lambda s: payouts.get_schedule(s, account_id))
    return PayoutScheduleInfo.of(account_id, found)


async def load_methods(info: Info[Context, None], account_id: int) -> list[PayoutMethod]:
    found = await info.context.read(lambda s: method_service.active_methods(s, account_id))
    return [PayoutMethod.from_model(m) for m in found]


@strawberry.type(
    description="A creator's payout methods, schedule, forecast and payouts. One per creator "
    "(a stable ID); the creator and staff see it."
)
class CreatorPayouts(Node):
    account: strawberry.Private[AccountModel]

    @classmethod
    def of(cls, account: AccountModel) -> CreatorPayouts:
        return cls(db_id=account.id, account=account)

    @strawberry.field(description="Linked methods, the default first.")
    async def methods(self, info: Info[Context, None]) -> list[PayoutMethod]:
        return await load_methods(info, self.account.id)

    @strawberry.field(description="How often scheduled payouts happen.")
    async def schedule(self, info: Info[Context, None]) -> PayoutScheduleInfo:
        return await load_schedule(info, self.account.id)

    @strawberry.field(description="The next payout, or why none will happen.")
    async def forecast(self, info: Info[Context, None]) -> PayoutForecast:
        return await load_forecast(info, self.account)

    @strawberry.field(
        description="Your Stripe account for bank payouts (when bank payouts go through "
        "Stripe): null until `startPayoutOnboarding`."
    )
    async def payout_account(self, info: Info[Context, None]) -> PayoutAccount | None:
        return await load_payout_account(info, self.account.id)

    @strawberry.field(description="Payouts, newest first, optionally of one status.")
    async def history(
        self,
        info: Info[Context, None],
        status: Annotated[
            PayoutStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only payouts in this state; all when null."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    ) -> Connection[Payout]:
        wanted = models.PayoutStatus(status) if status else None
        return await paged(
            info.context, PAYOUT_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: payouts.creator_payouts(s, self.account.id, request, wanted),
            count=lambda s: payouts.creator_payouts_count(s, self.account.id, wanted),
            to_node=Payout.from_model,
        )  # fmt: skip


async def _own_account(info: Info[Context, None], account_id: int) -> AccountModel | None:
    """The account, if the viewer is it or staff (as on `Account.payouts`)."""
    viewer = await info.context.viewer()
    if viewer is None or (viewer.id != account_id and not viewer.is_staff):
        return None
    return await info.context.loaders.account.load(account_id)  # type: ignore[no-any-return]


async def creator_payouts_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for CreatorPayouts: the creator and staff."""
    account = await _own_account(info, pk)
    return CreatorPayouts.of(account) if account is not None else None


async def forecast_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for PayoutForecast: the creator and staff."""
    account = await _own_account(info, pk)
    return await load_forecast(info, account) if account is not None else None


async def schedule_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for PayoutScheduleInfo: the creator and staff."""
    account = await _own_account(info, pk)
    return await load_schedule(info, account.id) if account is not None else None
