"""`sandboxClock` and `advanceSandboxClock`: a shared clock staff move forward for testing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from reelpay.clock import SandboxClock
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import FORBIDDEN, UserError, as_user_errors
from reelpay.sandbox import service as sandbox

SANDBOX_CLOCK_DISABLED = "SANDBOX_CLOCK_DISABLED"


@strawberry.type(
    name="SandboxClock",
    description="The platform's time. Outside production staff can move it forward "
    "(`advanceSandboxClock`) to see refund windows close, payout dates arrive and eligibility "
    "dates pass; every worker and every `reelpay jobs` run reads the same time. Production "
    "always runs on the real clock.",
)
class SandboxClockState:
    now: datetime = strawberry.field(
        description="The time this operation runs at: the real time plus `offsetSeconds`."
    )
    offset_seconds: int = strawberry.field(
        description="How many seconds the sandbox clock is ahead of the real one (0 or more; "
        "it never moves back)."
    )
    enabled: bool = strawberry.field(
        description="Whether staff may move the clock here (false in production)."
    )

    @classmethod
    def of(cls, ctx: Context) -> SandboxClockState:
        return cls(
            now=ctx.now,
            offset_seconds=int(ctx.sandbox_offset.total_seconds()),
            enabled=isinstance(ctx.services.clock, SandboxClock),
        )


@strawberry.input(
    description="A duration: the parts are added together (`{ days: 7, hours: 1 }`). Each part "
    "is 0 or more, the total more than 0 and at most 366 days."
)
class SandboxDurationInput:
    days: int = strawberry.field(default=0, description="Whole days of 86,400 seconds.")
    hours: int = strawberry.field(default=0, description="Whole hours.")
    minutes: int = strawberry.field(default=0, description="Whole minutes.")
    seconds: int = strawberry.field(default=0, description="Whole seconds.")


@strawberry.input(description="How far to move the sandbox clock forward.")
class AdvanceSandboxClockInput:
    by: SandboxDurationInput = strawberry.field(
        description="Forward only, at most 366 days at a time; the clock runs at most 3,653 "
        "days (ten years) ahead in all."
    )


@strawberry.type(description="The result of `advanceSandboxClock`.")
class AdvanceSandboxClockPayload:
    sandbox_clock: SandboxClockState | None = strawberry.field(
        default=None, description="The clock after the move (null when it did not move)."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="INVALID_DURATION: a negative part or a zero total. DURATION_TOO_LONG: "
        "over 366 days, or past ten years ahead in all.",
    )


@strawberry.type
class SandboxQueries:
    @strawberry.field(
        description="The platform's time and how far the sandbox clock is ahead (anyone may ask)."
    )
    def sandbox_clock(self, info: Info[Context, None]) -> SandboxClockState:
        return SandboxClockState.of(info.context)


@strawberry.type
class SandboxMutations:
    @strawberry.mutation(
        description="Staff, outside production: move the shared sandbox clock forward; "
        "concurrent moves add up. In production: FORBIDDEN with reason SANDBOX_CLOCK_DISABLED."
    )
    async def advance_sandbox_clock(
        self,
        info: Info[Context, None],
        input: Annotated[
            AdvanceSandboxClockInput, strawberry.argument(description="How far to move it.")
        ],
    ) -> AdvanceSandboxClockPayload:
        ctx = info.context
        clock = ctx.services.clock
        if not isinstance(clock, SandboxClock):
            raise GraphQLError(
                "The sandbox clock is off here (always in production): time is the real clock's.",
                extensions={"code": FORBIDDEN, "reason": SANDBOX_CLOCK_DISABLED},
            )
        by = sandbox.Duration(
            days=input.by.days,
            hours=input.by.hours,
            minutes=input.by.minutes,
            seconds=input.by.seconds,
        )

        async def work() -> AdvanceSandboxClockPayload:
            offset = await ctx.write_logged_in(
                lambda s, staff: sandbox.advance(s, logged_in(staff), by, now=clock.base.now())
            )
            ctx.observe_sandbox_offset(offset)
            return AdvanceSandboxClockPayload(sandbox_clock=SandboxClockState.of(ctx))

        return await as_user_errors(AdvanceSandboxClockPayload, work)
