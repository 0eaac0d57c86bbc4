"""Payout methods, schedule, requests; staff's list, retry and job run; payout updates."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import strawberry
from strawberry.types import Info

from reelpay import events
from reelpay.accounts import service as accounts
from reelpay.errors import DomainError
from reelpay.graphql.accounts.types import viewer_or_account_for_staff
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import exactly_one, require_key
from reelpay.graphql.payouts.types import (
    PAYOUT_KEY,
    Payout,
    PayoutForecast,
    PayoutFrequency,
    PayoutMethod,
    PayoutScheduleInfo,
    PayoutStatus,
    load_forecast,
)
from reelpay.graphql.relay import Connection, decode_id_of, paged
from reelpay.graphql.wallet.types import Wallet
from reelpay.payouts import destinations, methods, processing
from reelpay.payouts import models as payout_models
from reelpay.payouts import service as payouts
from reelpay.payouts.destinations import Destination

METHOD_ID = ("input", "methodId")
PAYOUT_ID = ("input", "payoutId")


def _staff(viewer: Any) -> Any:
    return accounts.require_staff(logged_in(viewer))


@strawberry.input(description="A PayPal account.")
class PayPalInput:
    email: str


@strawberry.input(
    description="A bank account: `iban`, or a US `routingNumber` and `accountNumber`."
)
class BankAccountInput:
    holder_name: str = strawberry.field(description="1 to 100 characters.")
    iban: str | None = strawberry.field(default=None, description="Spaces are allowed.")
    routing_number: str | None = strawberry.field(
        default=None, description="US ABA routing number: 9 digits."
    )
    account_number: str | None = strawberry.field(
        default=None, description="US account number: 4 to 17 digits."
    )


@strawberry.input
class AddPayoutMethodInput:
    paypal: PayPalInput | None = strawberry.field(default=None, description="Give this or `bank`.")
    bank: BankAccountInput | None = None
    make_default: bool = strawberry.field(
        default=False, description="Your first method is the default anyway."
    )


@strawberry.type
class PayoutMethodPayload:
    method: PayoutMethod | None = None
    methods: list[PayoutMethod] | None = strawberry.field(
        default=None, description="All your methods after the change, the default first."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetDefaultPayoutMethodInput:
    method_id: strawberry.ID


@strawberry.input
class RemovePayoutMethodInput:
    method_id: strawberry.ID


@strawberry.type
class RemovePayoutMethodPayload:
    removed_method_id: strawberry.ID | None = None
    methods: list[PayoutMethod] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetPayoutScheduleInput:
    frequency: PayoutFrequency  # type: ignore[valid-type]
    weekday: int | None = strawberry.field(
        default=None, description="WEEKLY: 1 (Monday) to 7 (Sunday); kept when omitted."
    )
    day_of_month: int | None = strawberry.field(
        default=None, description="MONTHLY: 1 to 31 (the last day in shorter months)."
    )


@strawberry.type
class SetPayoutSchedulePayload:
    schedule: PayoutScheduleInfo | None = None
    forecast: PayoutForecast | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestPayoutInput:
    amount_cents: int = strawberry.field(
        description="USD cents: at least the threshold (10000), at most what is available and "
        "what the daily limit leaves (100000 a day)."
    )
    method_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to your default method."
    )
    idempotency_key: str


@strawberry.type
class PayoutPayload:
    payout: Payout | None = None
    wallet: Wallet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RetryPayoutInput:
    payout_id: strawberry.ID


@strawberry.input
class RunPayoutsInput:
    create_scheduled: bool = strawberry.field(
        default=True, description="Also create today's scheduled payouts before sending."
    )


@strawberry.type
class RunPayoutsPayload:
    scheduled: int = 0
    paid: int = 0
    failed: int = 0
    retrying: int = 0
    errors: int = strawberry.field(
        default=0, description="Payouts the run could not handle (logged; tried next run)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _destination(input: AddPayoutMethodInput) -> Destination:
    exactly_one({"paypal": input.paypal, "bank": input.bank})
    if input.paypal is not None:
        return destinations.paypal(input.paypal.email, ("input", "paypal", "email"))
    bank = input.bank
    assert bank is not None
    field = ("input", "bank")
    us = bank.routing_number is not None or bank.account_number is not None
    if (bank.iban is not None) == us:  # both, or neither
        raise DomainError(
            "Give `iban`, or `routingNumber` and `accountNumber`.", field=(*field, "iban")
        )
    if bank.iban is not None:
        return destinations.iban(bank.holder_name, bank.iban, field)
    if bank.routing_number is None or bank.account_number is None:
        missing = "routingNumber" if bank.routing_number is None else "accountNumber"
        raise DomainError(f"`{missing}` is required for a US account.", field=(*field, missing))
    return destinations.us_account(
        bank.holder_name, bank.routing_number, bank.account_number, field
    )


async def _methods(info: Info[Context, None], account_id: int) -> list[PayoutMethod]:
    found = await info.context.read(lambda s: methods.active_methods(s, account_id))
    return [PayoutMethod.from_model(m) for m in found]


@strawberry.type
class PayoutQueries:
    @strawberry.field(
        description="The next payout's date and amount, or why none will happen. Yours, or "
        "(staff) any account's."
    )
    async def payout_forecast(
        self, info: Info[Context, None], account_id: strawberry.ID | None = None
    ) -> PayoutForecast:
        account = await viewer_or_account_for_staff(info, account_id, "payouts")
        return await load_forecast(info, account)

    @strawberry.field(description="Staff: every creator's payouts, newest first.")
    async def payouts(
        self,
        info: Info[Context, None],
        status: PayoutStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Payout]:
        ctx = info.context
        _staff(await ctx.viewer())
        wanted = payout_models.PayoutStatus(status) if status else None
        return await paged(
            ctx, PAYOUT_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: payouts.all_payouts(s, request, wanted),
            count=lambda s: payouts.all_payouts_count(s, wanted),
            to_node=Payout.from_model,
        )  # fmt: skip


@strawberry.type
class PayoutMutations:
    @strawberry.mutation(
        description="Link a PayPal account or a bank account (IBAN, or US routing and account "
        "number). Only a masked form is ever shown again."
    )
    async def add_payout_method(
        self, info: Info[Context, None], input: AddPayoutMethodInput
    ) -> PayoutMethodPayload:
        ctx = info.context

        async def work() -> PayoutMethodPayload:
            await ctx.require_viewer()
            destination = _destination(input)
            method = await ctx.write(
                lambda s, viewer: methods.add_method(
                    s, logged_in(viewer), destination, make_default=input.make_default,
                    now=ctx.now, settings=ctx.settings,
                )
            )  # fmt: skip
            return PayoutMethodPayload(
                method=PayoutMethod.from_model(method),
                methods=await _methods(info, method.account_id),
            )

        return await as_user_errors(PayoutMethodPayload, work)

    @strawberry.mutation(description="Make one of your payout methods the default.")
    async def set_default_payout_method(
        self, info: Info[Context, None], input: SetDefaultPayoutMethodInput
    ) -> PayoutMethodPayload:
        ctx = info.context

        async def work() -> PayoutMethodPayload:
            await ctx.require_viewer()
            pk = decode_id_of(input.method_id, "PayoutMethod", METHOD_ID)
            method = await ctx.write(
                lambda s, viewer: methods.set_default(s, logged_in(viewer), pk, now=ctx.now)
            )
            return PayoutMethodPayload(
                method=PayoutMethod.from_model(method),
                methods=await _methods(info, method.account_id),
            )

        return await as_user_errors(PayoutMethodPayload, work)

    @strawberry.mutation(
        description="Remove a payout method (not while a payout is on its way to it). "
        "Removing the default makes your newest other method the default."
    )
    async def remove_payout_method(
        self, info: Info[Context, None], input: RemovePayoutMethodInput
    ) -> RemovePayoutMethodPayload:
        ctx = info.context

        async def work() -> RemovePayoutMethodPayload:
            viewer = await ctx.require_viewer()
            pk = decode_id_of(input.method_id, "PayoutMethod", METHOD_ID)
            await ctx.write(
                lambda s, viewer: methods.remove_method(s, logged_in(viewer), pk, now=ctx.now)
            )
            return RemovePayoutMethodPayload(
                removed_method_id=input.method_id, methods=await _methods(info, viewer.id)
            )

        return await as_user_errors(RemovePayoutMethodPayload, work)

    @strawberry.mutation(description="Choose WEEKLY, MONTHLY or MANUAL payouts.")
    async def set_payout_schedule(
        self, info: Info[Context, None], input: SetPayoutScheduleInput
    ) -> SetPayoutSchedulePayload:
        ctx = info.context

        async def work() -> SetPayoutSchedulePayload:
            await ctx.require_viewer()
            schedule = await ctx.write(
                lambda s, viewer: payouts.set_schedule(
                    s, logged_in(viewer), frequency=payout_models.PayoutFrequency(input.frequency),
                    weekday=input.weekday, day_of_month=input.day_of_month, now=ctx.now,
                )
            )  # fmt: skip
            return SetPayoutSchedulePayload(
                schedule=PayoutScheduleInfo.of(schedule),
                forecast=await load_forecast(info, await ctx.require_viewer()),
            )

        return await as_user_errors(SetPayoutSchedulePayload, work)

    @strawberry.mutation(
        description="Pay out part of your available earnings: needs a payout method, payouts "
        "not suspended, at least the threshold and at most the daily limit. The amount is "
        "held at once and sent by the payouts job."
    )
    async def request_payout(
        self, info: Info[Context, None], input: RequestPayoutInput
    ) -> PayoutPayload:
        ctx = info.context

        async def work() -> PayoutPayload:
            viewer = await ctx.require_viewer()
            key = require_key(input.idempotency_key, ctx.settings.rules.idempotency_key_max_length)
            method_id = (
                decode_id_of(input.method_id, "PayoutMethod", METHOD_ID)
                if input.method_id is not None
                else None
            )
            result = await ctx.write(
                lambda s, creator: payouts.request_payout(
                    s, logged_in(creator), amount_cents=input.amount_cents, method_id=method_id,
                    key=key, now=ctx.now, settings=ctx.settings,
                )
            )  # fmt: skip
            return PayoutPayload(
                payout=await _payout(info, result["payoutId"]),
                wallet=await Wallet.load(info, viewer.id),
            )

        return await as_user_errors(PayoutPayload, work)

    @strawberry.mutation(
        description="Staff: send a failed payout again, to the creator's current default "
        "method; its money is held again and counts toward today's limit."
    )
    async def retry_payout(
        self, info: Info[Context, None], input: RetryPayoutInput
    ) -> PayoutPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> PayoutPayload:
            pk = decode_id_of(input.payout_id, "Payout", PAYOUT_ID)
            payout = await ctx.write(
                lambda s, _viewer: payouts.retry_failed(
                    s, pk, now=ctx.now, rules=ctx.settings.rules
                )
            )
            return PayoutPayload(payout=await _payout(info, payout.id))

        return await as_user_errors(PayoutPayload, work)

    @strawberry.mutation(
        description="Staff: run the payouts job now (as `reelpay jobs payouts` does): create "
        "today's scheduled payouts and send every due payout. Safe to run again."
    )
    async def run_payouts(
        self, info: Info[Context, None], input: RunPayoutsInput
    ) -> RunPayoutsPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> RunPayoutsPayload:
            await ctx.release()  # the job opens its own transactions and calls the provider
            summary = await processing.run(
                ctx.services.sessionmaker, ctx.services.payouts, clock=ctx.services.clock,
                settings=ctx.settings, publish=ctx.services.broker.publish,
                create_scheduled=input.create_scheduled,
            )  # fmt: skip
            return RunPayoutsPayload(
                scheduled=summary.scheduled,
                paid=summary.paid,
                failed=summary.failed,
                retrying=summary.retrying,
                errors=summary.errors,
            )

        return await as_user_errors(RunPayoutsPayload, work)


async def _payout(info: Info[Context, None], payout_id: int) -> Payout:
    found = await info.context.read(lambda s: payouts.payouts_by_ids(s, [payout_id]))
    return Payout.from_model(found[payout_id])


@strawberry.type(description="One of your payouts changed.")
class PayoutEvent:
    status: PayoutStatus = strawberry.field(  # type: ignore[valid-type]
        description="The state this event announces; `payout` is read when the event is "
        "delivered, so a late event's payout may have moved on already."
    )
    payout: Payout


@strawberry.type
class PayoutSubscription:
    @strawberry.subscription(
        description="Your payouts as they change state (and each retry scheduled). Ends with "
        "UNAUTHENTICATED when your session is revoked, EVENTS_LOST if events were lost."
    )
    async def payout_updates(self, info: Info[Context, None]) -> AsyncGenerator[PayoutEvent, None]:
        # closed with the subscription, so its broker subscription ends at once
        async with aclosing(info.context.own_events(events.payouts_channel)) as stream:
            async for _viewer, payload in stream:
                yield PayoutEvent(
                    status=payout_models.PayoutStatus(payload["status"]),
                    payout=await _payout(info, payload["payoutId"]),
                )
