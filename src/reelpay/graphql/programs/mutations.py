"""Eligibility, applying, staff review, notifications and the rewards job."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.errors import DomainError
from reelpay.graphql.accounts.types import viewer_or_account_for_staff
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors, user_errors
from reelpay.graphql.money import Money
from reelpay.graphql.programs.types import (
    ApplicationStatus,
    ProgramApplication,
    ProgramEligibility,
    load_eligibility,
)
from reelpay.graphql.programs.types import Program as ProgramEnum
from reelpay.graphql.relay import Connection, decode_id_of, paged
from reelpay.notifications import service as notifications
from reelpay.programs import rewards
from reelpay.programs import service as programs
from reelpay.programs.models import ApplicationStatus as StatusModel
from reelpay.programs.models import Program

APPLICATION_ID = ("input", "applicationId")
QUEUE_KEY = (datetime, int)


def _staff(viewer: Any) -> Any:
    return accounts.require_staff(logged_in(viewer))


@strawberry.input
class ApplyToProgramInput:
    program: ProgramEnum  # type: ignore[valid-type]
    premium_content_url: str | None = strawberry.field(
        default=None,
        description="Series only: a link to premium content you sold on another platform, "
        "which lets an account under 10,000 followers apply.",
    )


@strawberry.type
class ApplyToProgramPayload:
    application: ProgramApplication | None = None
    reapply_on: date | None = strawberry.field(
        default=None, description="Set with REAPPLY_TOO_SOON: the first day you may apply."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ApproveProgramApplicationInput:
    application_id: strawberry.ID


@strawberry.input
class RejectProgramApplicationInput:
    application_id: strawberry.ID
    reason: str = strawberry.field(description="1 to 500 characters; the applicant reads it.")


@strawberry.type
class ProgramApplicationPayload:
    application: ProgramApplication | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkNotificationsReadInput:
    notification_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Which to mark read; omit to mark every notification read."
    )


@strawberry.type
class MarkNotificationsReadPayload:
    marked_read: int | None = None
    unread_count: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RunRewardsAccrualInput:
    date: date = strawberry.field(description="A UTC day that is over.")


@strawberry.type
class RunRewardsAccrualPayload:
    date: date | None = None
    creators_credited: int | None = None
    credited: Money | None = None
    already_credited: int | None = strawberry.field(
        default=None, description="Creators this day was credited to before (not again)."
    )
    suspended: int | None = strawberry.field(
        default=None, description="Enrolled creators skipped because monetization is suspended."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProgramQueries:
    @strawberry.field(
        description="Whether you (or, for staff, any account) may join a program, with every "
        "criterion explained."
    )
    async def eligibility(
        self,
        info: Info[Context, None],
        program: ProgramEnum,  # type: ignore[valid-type]
        account_id: strawberry.ID | None = None,
    ) -> ProgramEligibility:
        account = await viewer_or_account_for_staff(info, account_id, "eligibility")
        return await load_eligibility(info, account, Program(program))

    @strawberry.field(description="Staff: applications to review, oldest first.")
    async def program_applications(
        self,
        info: Info[Context, None],
        program: ProgramEnum | None = None,  # type: ignore[valid-type]
        status: ApplicationStatus | None = StatusModel.PENDING,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ProgramApplication]:
        ctx = info.context
        _staff(await ctx.viewer())
        wanted = Program(program) if program else None
        state = StatusModel(status) if status else None
        return await paged(
            ctx, QUEUE_KEY, first=first, after=after, last=last, before=before,
            fetch=lambda s, request: programs.review_queue(
                s, request, program=wanted, status=state
            ),
            count=lambda s: programs.review_queue_count(s, program=wanted, status=state),
            to_node=ProgramApplication.from_model,
        )  # fmt: skip


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(
        description="Apply to a program. Refused with every unmet criterion as a userError "
        "(CRITERION_NOT_MET); one open application per program; 30 days after a rejection."
    )
    async def apply_to_program(
        self, info: Info[Context, None], input: ApplyToProgramInput
    ) -> ApplyToProgramPayload:
        ctx = info.context
        await ctx.require_viewer()
        try:
            application = await ctx.write(
                lambda s, viewer: programs.apply(
                    s,
                    logged_in(viewer),
                    Program(input.program),
                    premium_content_url=input.premium_content_url,
                    now=ctx.now,
                    rules=ctx.settings.rules,
                )
            )
        except programs.ReapplyTooSoon as error:
            return ApplyToProgramPayload(
                reapply_on=error.reapply_on, user_errors=user_errors(error)
            )
        except DomainError as error:
            return ApplyToProgramPayload(user_errors=user_errors(error))
        return ApplyToProgramPayload(application=ProgramApplication.from_model(application))

    @strawberry.mutation(description="Staff: approve a pending application (enrols the account).")
    async def approve_program_application(
        self, info: Info[Context, None], input: ApproveProgramApplicationInput
    ) -> ProgramApplicationPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> ProgramApplicationPayload:
            pk = decode_id_of(input.application_id, "ProgramApplication", APPLICATION_ID)
            application = await ctx.write(
                lambda s, viewer: programs.approve(s, _staff(viewer), pk, now=ctx.now)
            )
            return ProgramApplicationPayload(application=ProgramApplication.from_model(application))

        return await as_user_errors(ProgramApplicationPayload, work)

    @strawberry.mutation(description="Staff: reject a pending application with a reason.")
    async def reject_program_application(
        self, info: Info[Context, None], input: RejectProgramApplicationInput
    ) -> ProgramApplicationPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> ProgramApplicationPayload:
            pk = decode_id_of(input.application_id, "ProgramApplication", APPLICATION_ID)
            application = await ctx.write(
                lambda s, viewer: programs.reject(
                    s, _staff(viewer), pk, reason=input.reason, now=ctx.now
                )
            )
            return ProgramApplicationPayload(application=ProgramApplication.from_model(application))

        return await as_user_errors(ProgramApplicationPayload, work)

    @strawberry.mutation(description="Mark some or all of your notifications read.")
    async def mark_notifications_read(
        self, info: Info[Context, None], input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()

        async def work() -> MarkNotificationsReadPayload:
            limit = ctx.settings.limits.max_nodes_ids
            if input.notification_ids is not None and len(input.notification_ids) > limit:
                raise DomainError(
                    f"Mark at most {limit} notifications at once (or omit the IDs for all).",
                    field=("input", "notificationIds"),
                )
            ids = (
                None
                if input.notification_ids is None
                else [
                    decode_id_of(gid, "Notification", ("input", "notificationIds", str(i)))
                    for i, gid in enumerate(input.notification_ids)
                ]
            )
            marked = await ctx.write(
                lambda s, owner: notifications.mark_read(s, logged_in(owner).id, ids, now=ctx.now)
            )
            unread = await ctx.read(lambda s: notifications.count(s, viewer.id, unread_only=True))
            return MarkNotificationsReadPayload(marked_read=marked, unread_count=unread)

        return await as_user_errors(MarkNotificationsReadPayload, work)

    @strawberry.mutation(
        description="Staff: credit Creator Rewards for a day that is over (safe to run again: "
        "each creator and day is credited once)."
    )
    async def run_rewards_accrual(
        self, info: Info[Context, None], input: RunRewardsAccrualInput
    ) -> RunRewardsAccrualPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> RunRewardsAccrualPayload:
            summary = await rewards.accrue_day(
                ctx.services.sessionmaker,
                input.date,
                now=ctx.now,
                settings=ctx.settings,
                publish=ctx.services.broker.publish,
            )
            return RunRewardsAccrualPayload(
                date=summary.day,
                creators_credited=summary.creators_credited,
                credited=Money.usd(summary.cents_credited),
                already_credited=summary.already_credited,
                suspended=summary.suspended,
            )

        return await as_user_errors(RunRewardsAccrualPayload, work)
