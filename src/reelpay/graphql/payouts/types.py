"""Payout methods, schedules, payouts and the forecast. Only the creator and staff see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Connection, Node, paged
from reelpay.payouts import methods as method_service
from reelpay.payouts import models
from reelpay.payouts import service as payouts
from reelpay.payouts.rules import Blocker
from reelpay.payouts.schedule import Schedule

PayoutMethodKind = strawberry.enum(models.PayoutMethodKind)
PayoutFrequency = strawberry.enum(
    models.PayoutFrequency,
    description="WEEKLY on a weekday, MONTHLY on a day of the month, or MANUAL (you request).",
)
PayoutStatus = strawberry.enum(
    models.PayoutStatus,
    description="REQUESTED -> PROCESSING -> PAID, or FAILED with the money back in your balance.",
)
PayoutTrigger = strawberry.enum(
    models.PayoutTrigger, description="Requested by the creator, or made by their schedule."
)
PayoutBlocker = strawberry.enum(Blocker, description="Why no payout will happen.")

if TYPE_CHECKING:
    from reelpay.graphql.accounts.types import Account

AccountRef = Annotated["Account", strawberry.lazy("reelpay.graphql.accounts.types")]
PAYOUT_KEY = (int,)

_BLOCKER_TEXT = {
    Blocker.NO_PAYOUT_METHOD: "Link a payout method (PayPal or a bank account).",
    Blocker.SUSPENDED: "Payouts are suspended while the account is restricted or banned.",
    Blocker.BELOW_THRESHOLD: "Your available earnings are below the payout threshold of "
    "{threshold}.",
    Blocker.DAILY_CAP_REACHED: "The daily payout limit of {cap} is reached for that day.",
    Blocker.MANUAL_SCHEDULE: "You have no payout schedule: request payouts yourself, or choose "
    "a weekly or monthly schedule.",
}


@strawberry.type(description="Where payouts go. Only a masked form of the account is shown.")
class PayoutMethod(Node):
    kind: PayoutMethodKind  # type: ignore[valid-type]
    masked: str = strawberry.field(
        description='e.g. "j•••@example.com" (PayPal) or "DE ••••3000" (bank).'
    )
    last4: str | None = strawberry.field(
        description="A bank account's last 4 characters (of the IBAN or account number)."
    )
    holder_name: str | None = strawberry.field(description="A bank account's holder.")
    country: str | None = strawberry.field(description="A bank account's country.")
    is_default: bool
    created_at: datetime

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


@strawberry.type(description="How often scheduled payouts happen.")
class PayoutScheduleInfo:
    frequency: PayoutFrequency  # type: ignore[valid-type]
    weekday: int = strawberry.field(description="WEEKLY: 1 (Monday) to 7 (Sunday).")
    day_of_month: int = strawberry.field(
        description="MONTHLY: 1 to 31; in shorter months the month's last day."
    )

    @classmethod
    def of(cls, schedule: Schedule) -> PayoutScheduleInfo:
        return cls(
            frequency=schedule.frequency,
            weekday=schedule.weekday,
            day_of_month=schedule.day_of_month,
        )


@strawberry.type(description="Money sent (or being sent) from your earnings to a payout method.")
class Payout(Node):
    model: strawberry.Private[models.Payout]
    amount: Money
    status: PayoutStatus  # type: ignore[valid-type]
    trigger: PayoutTrigger  # type: ignore[valid-type]
    scheduled_for: date | None = strawberry.field(description="The schedule date it is for.")
    attempts: int = strawberry.field(description="Provider attempts in the current try.")
    next_attempt_at: datetime | None = strawberry.field(
        description="PROCESSING: when the job tries it again: after a transient failure, the "
        "end of the backoff; while it is being sent, the end of the sender's lease."
    )
    failure_code: str | None = strawberry.field(
        description="Why it failed, or why the last attempt did (e.g. RECIPIENT_REJECTED)."
    )
    failure_message: str | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    failed_at: datetime | None

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

    @strawberry.field
    async def creator(self, info: Info[Context, None]) -> AccountRef:
        from reelpay.graphql.accounts.types import Account

        found = await info.context.loaders.account.load(self.model.creator_id)
        return Account.from_model(found)


@strawberry.type
class PayoutBlock:
    code: PayoutBlocker  # type: ignore[valid-type]
    message: str


@strawberry.type(
    description="Your next scheduled payout at today's available balance, or why none will "
    "happen; and what you could request right now."
)
class PayoutForecast:
    date: date | None = strawberry.field(description="The next schedule date (null if MANUAL).")
    amount: Money | None = strawberry.field(
        description="What that payout would be: the available balance up to the daily limit; "
        "null when a reason below stops it."
    )
    method: PayoutMethod | None = strawberry.field(description="Your default payout method.")
    reasons: list[PayoutBlock]
    requestable_now: Money = strawberry.field(
        description="The most `requestPayout` accepts now (zero when it would be refused)."
    )
    schedule: PayoutScheduleInfo
    threshold: Money
    daily_cap: Money

    @classmethod
    def of(cls, forecast: payouts.Forecast, info: Info[Context, None]) -> PayoutForecast:
        rules = info.context.settings.rules
        fill = {
            "threshold": payouts.usd(rules.payout_threshold_cents),
            "cap": payouts.usd(rules.payout_daily_cap_cents),
        }
        return cls(
            date=forecast.date,
            amount=Money.usd(forecast.amount) if forecast.amount is not None else None,
            method=PayoutMethod.from_model(forecast.method) if forecast.method else None,
            reasons=[
                PayoutBlock(code=b, message=_BLOCKER_TEXT[b].format(**fill))
                for b in forecast.blockers
            ],
            requestable_now=Money.usd(forecast.requestable_now),
            schedule=PayoutScheduleInfo.of(forecast.schedule),
            threshold=Money.usd(rules.payout_threshold_cents),
            daily_cap=Money.usd(rules.payout_daily_cap_cents),
        )


async def load_forecast(info: Info[Context, None], creator: AccountModel) -> PayoutForecast:
    ctx = info.context
    found = await ctx.read(
        lambda s: payouts.forecast(s, creator, now=ctx.now, rules=ctx.settings.rules)
    )
    return PayoutForecast.of(found, info)


@strawberry.type(description="A creator's payout methods, schedule, forecast and payouts.")
class CreatorPayouts:
    account: strawberry.Private[AccountModel]

    @strawberry.field(description="Linked methods, the default first.")
    async def methods(self, info: Info[Context, None]) -> list[PayoutMethod]:
        found = await info.context.read(lambda s: method_service.active_methods(s, self.account.id))
        return [PayoutMethod.from_model(m) for m in found]

    @strawberry.field
    async def schedule(self, info: Info[Context, None]) -> PayoutScheduleInfo:
        found = await info.context.read(lambda s: payouts.get_schedule(s, self.account.id))
        return PayoutScheduleInfo.of(found)

    @strawberry.field
    async def forecast(self, info: Info[Context, None]) -> PayoutForecast:
        return await load_forecast(info, self.account)

    @strawberry.field(description="Payouts, newest first, optionally of one status.")
    async def history(
        self,
        info: Info[Context, None],
        status: PayoutStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Payout]:
        wanted = models.PayoutStatus(status) if status else None
        return await paged(
            info.context, PAYOUT_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: payouts.creator_payouts(s, self.account.id, request, wanted),
            count=lambda s: payouts.creator_payouts_count(s, self.account.id, wanted),
            to_node=Payout.from_model,
        )  # fmt: skip
