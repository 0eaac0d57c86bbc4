"""Payout methods, schedule, requests; staff's list, retry and job run; payout updates."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay import events
from reelpay.accounts import service as accounts
from reelpay.errors import DomainError
from reelpay.graphql.accounts.types import viewer_or_account_for_staff
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.money import MoneyInput, exactly_one, require_key
from reelpay.graphql.payouts.arguments import AFTER, BEFORE, FIRST, LAST
from reelpay.graphql.payouts.connect import PayoutAccountMutations
from reelpay.graphql.payouts.types import (
    PAYOUT_KEY,
    CreatorPayouts,
    Payout,
    PayoutForecast,
    PayoutFrequency,
    PayoutMethod,
    PayoutScheduleInfo,
    PayoutStatus,
    load_forecast,
    load_methods,
)
from reelpay.graphql.relay import Connection, decode_id_of, paged
from reelpay.graphql.series.inputs import cents_of, reported_as
from reelpay.graphql.wallet.types import Wallet
from reelpay.payouts import connect, destinations, methods, processing
from reelpay.payouts import models as payout_models
from reelpay.payouts import service as payouts
from reelpay.payouts.destinations import Destination
from reelpay.wallet import service as wallet

METHOD_ID = ("input", "methodId")
PAYOUT_ID = ("input", "payoutId")


def _staff(viewer: Any) -> Any:
    return accounts.require_staff(logged_in(viewer))


@strawberry.input(description="A PayPal account.")
class PayPalInput:
    email: str = strawberry.field(description="The PayPal account's email address.")


@strawberry.input(
    description="A bank account: `iban`, or a US `routingNumber` and `accountNumber`."
)
class BankAccountInput:
    holder_name: str = strawberry.field(description="1 to 100 characters.")
    iban: str | None = strawberry.field(
        default=None, description="An IBAN with a valid checksum; spaces are allowed."
    )
    routing_number: str | None = strawberry.field(
        default=None, description="US ABA routing number: 9 digits."
    )
    account_number: str | None = strawberry.field(
        default=None, description="US account number: 4 to 17 digits."
    )


@strawberry.input(description="A payout method to link: exactly one of `paypal` and `bank`.")
class AddPayoutMethodInput:
    paypal: PayPalInput | None = strawberry.field(default=None, description="Give this or `bank`.")
    bank: BankAccountInput | None = strawberry.field(
        default=None, description="Give this or `paypal`."
    )
    make_default: bool = strawberry.field(
        default=False, description="Your first method is the default anyway."
    )


@strawberry.type(
    description="The method added or made default, and the creator's methods after the change."
)
class PayoutMethodPayload:
    method: PayoutMethod | None = strawberry.field(
        default=None, description="The method the mutation acted on; null on userErrors."
    )
    methods: list[PayoutMethod] | None = strawberry.field(
        default=None, description="All your methods after the change, the default first."
    )
    payouts: CreatorPayouts | None = strawberry.field(
        default=None,
        description="Your payouts object (its `methods` and `forecast` changed); null on "
        "userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="Which of your payout methods becomes the default.")
class SetDefaultPayoutMethodInput:
    method_id: strawberry.ID = strawberry.field(description="A PayoutMethod's ID.")


@strawberry.input(description="Which of your payout methods to remove.")
class RemovePayoutMethodInput:
    method_id: strawberry.ID = strawberry.field(description="A PayoutMethod's ID.")


@strawberry.type(description="What removing a payout method changed.")
class RemovePayoutMethodPayload:
    removed_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The removed method's ID (evict it from a client cache)."
    )
    methods: list[PayoutMethod] | None = strawberry.field(
        default=None, description="Your remaining methods, the default first."
    )
    payouts: CreatorPayouts | None = strawberry.field(
        default=None,
        description="Your payouts object (its `methods` and `forecast` changed); null on "
        "userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="Your payout schedule.")
class SetPayoutScheduleInput:
    frequency: PayoutFrequency = strawberry.field(  # type: ignore[valid-type]
        description="WEEKLY, MONTHLY or MANUAL."
    )
    weekday: int | None = strawberry.field(
        default=None, description="WEEKLY: 1 (Monday) to 7 (Sunday); kept when omitted."
    )
    day_of_month: int | None = strawberry.field(
        default=None, description="MONTHLY: 1 to 31 (the last day in shorter months)."
    )


@strawberry.type(description="The schedule after the change and the forecast it gives.")
class SetPayoutSchedulePayload:
    schedule: PayoutScheduleInfo | None = strawberry.field(
        default=None, description="Your schedule now (the same ID as before); null on userErrors."
    )
    forecast: PayoutForecast | None = strawberry.field(
        default=None, description="Your forecast under the new schedule; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="A payout of part of your available earnings.")
class RequestPayoutInput:
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description='USD, e.g. { amount: "150.00", currency: "USD" }: at least the threshold '
        "(100.00 by default), at most what is available and what the daily limit leaves "
        "(1000.00 a UTC day by default). Give this or `amountCents`, not both.",
    )
    amount_cents: int | None = strawberry.field(
        default=None,
        description="USD cents: at least the threshold (10000), at most what is available and "
        "what the daily limit leaves (100000 a day).",
        deprecation_reason="Use `amount` (a MoneyInput).",
    )
    method_id: strawberry.ID | None = strawberry.field(
        default=None, description="A PayoutMethod's ID; defaults to your default method."
    )
    idempotency_key: str = strawberry.field(
        description="Your unique key for this request (1 to 255 characters by default): "
        "sending it again returns the first result and moves nothing; the same key with other "
        "arguments is IDEMPOTENCY_KEY_REUSED."
    )


@strawberry.type(description="A payout and the balances it changed.")
class PayoutPayload:
    payout: Payout | None = strawberry.field(
        default=None, description="The payout; null on userErrors."
    )
    wallet: Wallet | None = strawberry.field(
        default=None,
        description="The creator's wallet after the payout's amount was held (`earnings`, "
        "`inPayout`); null on userErrors.",
    )
    forecast: PayoutForecast | None = strawberry.field(
        default=None,
        description="The creator's forecast after the change (`requestableNow`, `amount`); null "
        "on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="A FAILED payout to send again.")
class RetryPayoutInput:
    payout_id: strawberry.ID = strawberry.field(description="A FAILED Payout's ID.")


@strawberry.input(description="Options of a payouts job run.")
class RunPayoutsInput:
    create_scheduled: bool = strawberry.field(
        default=True, description="Also create today's scheduled payouts before sending."
    )


@strawberry.type(description="What a payouts job run did.")
class RunPayoutsPayload:
    scheduled: int = strawberry.field(default=0, description="Scheduled payouts created.")
    paid: int = strawberry.field(default=0, description="Payouts paid.")
    failed: int = strawberry.field(
        default=0, description="Payouts that failed (their money is back in the balance)."
    )
    retrying: int = strawberry.field(
        default=0, description="Payouts to be sent again after a transient refusal."
    )
    errors: int = strawberry.field(
        default=0, description="Payouts the run could not handle (logged; tried next run)."
    )
    payouts: list[Payout] = strawberry.field(
        default_factory=list, description="The payouts this run sent, as they are now."
    )
    wallets: list[Wallet] = strawberry.field(
        default_factory=list,
        description="The wallets of those payouts' creators, as they are now (one each).",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the run did not happen; empty on success."
    )


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


@strawberry.type
class PayoutQueries:
    @strawberry.field(
        description="The next payout's date and amount, or why none will happen. Yours, or "
        "(staff) any account's."
    )
    async def payout_forecast(
        self,
        info: Info[Context, None],
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Staff only: another Account's ID; yours if null."),
        ] = None,
    ) -> PayoutForecast:
        account = await viewer_or_account_for_staff(info, account_id, "payouts")
        return await load_forecast(info, account)

    @strawberry.field(description="Staff: every creator's payouts, newest first.")
    async def payouts(
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
        ctx = info.context
        _staff(await ctx.viewer())
        wanted = payout_models.PayoutStatus(status) if status else None
        return await paged(
            ctx, PAYOUT_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: payouts.all_payouts(s, request, wanted),
            count=lambda s: payouts.all_payouts_count(s, wanted),
            to_node=Payout.from_model,
        )  # fmt: skip


async def _creator(info: Info[Context, None], account_id: int) -> CreatorPayouts:
    found = await info.context.loaders.account.load(account_id)
    return CreatorPayouts.of(found)


INPUT = "The mutation's arguments."


@strawberry.type
class PayoutMutations(PayoutAccountMutations):
    @strawberry.mutation(
        description="Link a PayPal account or a bank account (IBAN, or US routing and account "
        "number). Only a masked form is ever shown again."
    )
    async def add_payout_method(
        self,
        info: Info[Context, None],
        input: Annotated[AddPayoutMethodInput, strawberry.argument(description=INPUT)],
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
                methods=await load_methods(info, method.account_id),
                payouts=await _creator(info, method.account_id),
            )

        return await as_user_errors(PayoutMethodPayload, work)

    @strawberry.mutation(description="Make one of your payout methods the default.")
    async def set_default_payout_method(
        self,
        info: Info[Context, None],
        input: Annotated[SetDefaultPayoutMethodInput, strawberry.argument(description=INPUT)],
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
                methods=await load_methods(info, method.account_id),
                payouts=await _creator(info, method.account_id),
            )

        return await as_user_errors(PayoutMethodPayload, work)

    @strawberry.mutation(
        description="Remove a payout method (not while a payout is on its way to it). "
        "Removing the default makes your newest other method the default."
    )
    async def remove_payout_method(
        self,
        info: Info[Context, None],
        input: Annotated[RemovePayoutMethodInput, strawberry.argument(description=INPUT)],
    ) -> RemovePayoutMethodPayload:
        ctx = info.context

        async def work() -> RemovePayoutMethodPayload:
            viewer = await ctx.require_viewer()
            pk = decode_id_of(input.method_id, "PayoutMethod", METHOD_ID)
            await ctx.write(
                lambda s, viewer: methods.remove_method(s, logged_in(viewer), pk, now=ctx.now)
            )
            return RemovePayoutMethodPayload(
                removed_method_id=input.method_id,
                methods=await load_methods(info, viewer.id),
                payouts=CreatorPayouts.of(viewer),
            )

        return await as_user_errors(RemovePayoutMethodPayload, work)

    @strawberry.mutation(description="Choose WEEKLY, MONTHLY or MANUAL payouts.")
    async def set_payout_schedule(
        self,
        info: Info[Context, None],
        input: Annotated[SetPayoutScheduleInput, strawberry.argument(description=INPUT)],
    ) -> SetPayoutSchedulePayload:
        ctx = info.context

        async def work() -> SetPayoutSchedulePayload:
            viewer = await ctx.require_viewer()
            schedule = await ctx.write(
                lambda s, viewer: payouts.set_schedule(
                    s, logged_in(viewer), frequency=payout_models.PayoutFrequency(input.frequency),
                    weekday=input.weekday, day_of_month=input.day_of_month, now=ctx.now,
                )
            )  # fmt: skip
            return SetPayoutSchedulePayload(
                schedule=PayoutScheduleInfo.of(viewer.id, schedule),
                forecast=await load_forecast(info, viewer),
            )

        return await as_user_errors(SetPayoutSchedulePayload, work)

    @strawberry.mutation(
        description="Pay out part of your available earnings: needs a payout method, payouts "
        "not suspended, at least the threshold and at most the daily limit. The amount is "
        "held at once and sent by the payouts job."
    )
    async def request_payout(
        self,
        info: Info[Context, None],
        input: Annotated[RequestPayoutInput, strawberry.argument(description=INPUT)],
    ) -> PayoutPayload:
        ctx = info.context

        async def work() -> PayoutPayload:
            await ctx.require_viewer()
            cents = cents_of(
                "amount", input.amount, "amountCents", input.amount_cents, required=True
            )
            assert cents is not None
            key = require_key(input.idempotency_key, ctx.settings.rules.idempotency_key_max_length)
            method_id = (
                decode_id_of(input.method_id, "PayoutMethod", METHOD_ID)
                if input.method_id is not None
                else None
            )
            result = await reported_as(
                "amount" if input.amount is not None else None,
                "amountCents",
                lambda: ctx.write(
                    lambda s, creator: payouts.request_payout(
                        s, logged_in(creator), amount_cents=cents, method_id=method_id,
                        key=key, now=ctx.now, settings=ctx.settings,
                    )
                ),
            )  # fmt: skip
            return await _payout_payload(info, result["payoutId"])

        return await as_user_errors(PayoutPayload, work)

    @strawberry.mutation(
        description="Staff: send a failed payout again, to the creator's current default "
        "method; its money is held again and counts toward today's limit."
    )
    async def retry_payout(
        self,
        info: Info[Context, None],
        input: Annotated[RetryPayoutInput, strawberry.argument(description=INPUT)],
    ) -> PayoutPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> PayoutPayload:
            pk = decode_id_of(input.payout_id, "Payout", PAYOUT_ID)
            via_stripe = connect.bank_payouts_via_stripe(ctx.settings)
            payout = await ctx.write(
                lambda s, _viewer: payouts.retry_failed(
                    s, pk, now=ctx.now, rules=ctx.settings.rules, via_stripe=via_stripe
                )
            )
            return await _payout_payload(info, payout.id)

        return await as_user_errors(PayoutPayload, work)

    @strawberry.mutation(
        description="Staff: run the payouts job now (as `reelpay jobs payouts` does): create "
        "today's scheduled payouts and send every due payout. Safe to run again."
    )
    async def run_payouts(
        self,
        info: Info[Context, None],
        input: Annotated[RunPayoutsInput, strawberry.argument(description=INPUT)],
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
            ids = list(summary.handled)
            found = await ctx.read(lambda s: payouts.payouts_by_ids(s, ids))
            sent = [Payout.from_model(found[i]) for i in ids if i in found]
            creators = sorted({found[i].creator_id for i in ids if i in found})
            balances = await ctx.read(lambda s: wallet.balances(s, creators))
            return RunPayoutsPayload(
                scheduled=summary.scheduled,
                paid=summary.paid,
                failed=summary.failed,
                retrying=summary.retrying,
                errors=summary.errors,
                payouts=sent,
                wallets=[Wallet.of(c, balances[c]) for c in creators],
            )

        return await as_user_errors(RunPayoutsPayload, work)


async def _payout_payload(info: Info[Context, None], payout_id: int) -> PayoutPayload:
    """The payout, its creator's wallet and forecast, as they are after the mutation."""
    payout = await _payout(info, payout_id)
    creator = await info.context.loaders.account.load(payout.model.creator_id)
    return PayoutPayload(
        payout=payout,
        wallet=await Wallet.load(info, creator.id),
        forecast=await load_forecast(info, creator),
    )


async def _payout(info: Info[Context, None], payout_id: int) -> Payout:
    found = await info.context.read(lambda s: payouts.payouts_by_ids(s, [payout_id]))
    return Payout.from_model(found[payout_id])


@strawberry.type(description="One of your payouts changed.")
class PayoutEvent:
    status: PayoutStatus = strawberry.field(  # type: ignore[valid-type]
        description="The state this event announces; `payout` is read when the event is "
        "delivered, so a late event's payout may have moved on already."
    )
    payout: Payout = strawberry.field(description="The payout, as it is now.")


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
