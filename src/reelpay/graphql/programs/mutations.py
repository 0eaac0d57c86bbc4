"""Eligibility, applying, staff review, notifications and the rewards job."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.errors import DomainError
from reelpay.graphql.accounts.types import viewer_or_account_for_staff
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors, user_errors
from reelpay.graphql.money import Money
from reelpay.graphql.payouts.arguments import AFTER, BEFORE, FIRST, LAST
from reelpay.graphql.programs.types import (
    ApplicationStatus,
    Enrolment,
    MonetizationOption,
    Notification,
    ProgramApplication,
    ProgramEligibility,
    ProgramTerms,
    load_current_terms,
    load_eligibility,
    load_monetization_option,
)
from reelpay.graphql.programs.types import Program as ProgramEnum
from reelpay.graphql.relay import Connection, decode_id_of, encode_id, paged
from reelpay.notifications import service as notifications
from reelpay.programs import monetization, rewards
from reelpay.programs import service as programs
from reelpay.programs import terms as program_terms
from reelpay.programs.models import ApplicationStatus as StatusModel
from reelpay.programs.models import Program

APPLICATION_ID = ("input", "applicationId")
QUEUE_KEY = (datetime, int)


def _staff(viewer: Any) -> Any:
    return accounts.require_staff(logged_in(viewer))


@strawberry.input(description="An application to a program.")
class ApplyToProgramInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="The program to join."
    )
    accept_terms_version: str = strawberry.field(
        description="The version of the program's current terms you accept (`programTerms`, "
        "`ProgramEligibility.terms`); another version is refused with TERMS_VERSION_OUTDATED."
    )
    confirm_age: bool = strawberry.field(
        description="true: you confirm you are old enough for the program (18 or more; 19 for "
        "Series in KR). false is refused with AGE_NOT_CONFIRMED."
    )
    premium_content_url: str | None = strawberry.field(
        default=None,
        description="Series only: a link to premium content you sold on another platform, "
        "which lets an account under 10,000 followers apply.",
    )


@strawberry.type(description="The new application and your state in the program.")
class ApplyToProgramPayload:
    application: ProgramApplication | None = strawberry.field(
        default=None, description="The PENDING application; null on userErrors."
    )
    eligibility: ProgramEligibility | None = strawberry.field(
        default=None,
        description="Your eligibility for the program after applying (`latestApplication`, "
        "`canApply`); null on userErrors.",
    )
    reapply_on: date | None = strawberry.field(
        default=None, description="Set with REAPPLY_TOO_SOON: the first day you may apply."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="A PENDING application to approve.")
class ApproveProgramApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="A ProgramApplication's ID.")


@strawberry.input(description="A PENDING application to reject.")
class RejectProgramApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="A ProgramApplication's ID.")
    reason: str = strawberry.field(description="1 to 500 characters; the applicant reads it.")


@strawberry.type(description="The decided application and the applicant's state in the program.")
class ProgramApplicationPayload:
    application: ProgramApplication | None = strawberry.field(
        default=None, description="The application, APPROVED or REJECTED; null on userErrors."
    )
    enrolment: Enrolment | None = strawberry.field(
        default=None, description="The applicant's new enrolment (approval only)."
    )
    eligibility: ProgramEligibility | None = strawberry.field(
        default=None,
        description="The applicant's eligibility for the program after the decision; null on "
        "userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="Which notifications to mark read.")
class MarkNotificationsReadInput:
    notification_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Which to mark read; omit to mark every notification read."
    )


@strawberry.type(description="What marking notifications read changed.")
class MarkNotificationsReadPayload:
    marked_read: int | None = strawberry.field(
        default=None, description="How many were unread and are now read."
    )
    unread_count: int | None = strawberry.field(
        default=None, description="How many of your notifications are still unread."
    )
    notifications: list[Notification] | None = strawberry.field(
        default=None,
        description="The notifications this call marked read (those of yours that were unread), "
        "newest first, at most 100: a normalised cache updates their `readAt` from here. When "
        "more than 100 were marked (every notification, without `notificationIds`), refetch "
        "`viewer.notifications` for the rest. Null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="The day to credit Creator Rewards for.")
class RunRewardsAccrualInput:
    date: date = strawberry.field(description="A UTC day that is over.")


@strawberry.type(description="What a Creator Rewards run credited.")
class RunRewardsAccrualPayload:
    date: date | None = strawberry.field(default=None, description="The UTC day credited.")
    creators_credited: int | None = strawberry.field(
        default=None, description="Creators credited for the day by this run."
    )
    credited: Money | None = strawberry.field(
        default=None, description="The total this run credited (USD)."
    )
    already_credited: int | None = strawberry.field(
        default=None, description="Creators this day was credited to before (not again)."
    )
    suspended: int | None = strawberry.field(
        default=None, description="Enrolled creators skipped because monetization is suspended."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was credited; empty on success."
    )


@strawberry.input(description="The program whose feature to pause.")
class PauseMonetizationInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="A program you are enrolled in."
    )


@strawberry.input(description="The program whose paused feature to resume.")
class ResumeMonetizationInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="A program you are enrolled in."
    )


@strawberry.input(description="The program to leave.")
class LeaveProgramInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="A program you are enrolled in."
    )


@strawberry.type(description="Your enrolment and monetization state after the change.")
class MonetizationPayload:
    enrolment: Enrolment | None = strawberry.field(
        default=None, description="The enrolment (`pausedAt`, `active`); null on userErrors."
    )
    monetization: MonetizationOption | None = strawberry.field(
        default=None, description="The program's entry of `viewer.monetization`; null on "
        "userErrors.",
    )  # fmt: skip
    eligibility: ProgramEligibility | None = strawberry.field(
        default=None, description="Your eligibility for the program; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.type(description="What leaving a program changed.")
class LeaveProgramPayload:
    left_enrolment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The ID of the Enrolment that ended (drop it from caches); null on userErrors.",
    )
    monetization: MonetizationOption | None = strawberry.field(
        default=None, description="The program's entry of `viewer.monetization`, now "
        "NOT_ENROLLED; null on userErrors.",
    )  # fmt: skip
    eligibility: ProgramEligibility | None = strawberry.field(
        default=None,
        description="Your eligibility for the program (`canApply`: joining again means a new "
        "application); null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="A new version of a program's terms.")
class PublishProgramTermsInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="The program whose terms these are."
    )
    version: str = strawberry.field(
        description='The new version\'s label, unique per program: 1 to 32 characters (e.g. "2" '
        'or "2026-12"); creators accept the version by it.'
    )
    url: str = strawberry.field(
        description="Where the terms' text is published: a full http:// or https:// URL."
    )


@strawberry.type(description="The published terms and how many enrolments must accept them.")
class PublishProgramTermsPayload:
    terms: ProgramTerms | None = strawberry.field(
        default=None, description="The program's new current terms; null on userErrors."
    )
    enrolments_to_accept: int | None = strawberry.field(
        default=None,
        description="How many enrolments of the program must now accept them (each creator "
        "was notified: PROGRAM_TERMS_UPDATED); null on userErrors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.input(description="The current terms of a program you are enrolled in, accepted.")
class AcceptProgramTermsInput:
    program: ProgramEnum = strawberry.field(  # type: ignore[valid-type]
        description="A program you are enrolled in."
    )
    version: str = strawberry.field(
        description="The version of the program's current terms (`Enrolment.termsToAccept`, "
        "`programTerms`); another version is refused with TERMS_VERSION_OUTDATED."
    )
    confirm_age: bool = strawberry.field(
        description="true: you confirm again that you are old enough for the program. false is "
        "refused with AGE_NOT_CONFIRMED."
    )


@strawberry.input(description="Your PENDING application to withdraw.")
class WithdrawProgramApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="A ProgramApplication's ID.")


@strawberry.type(description="The withdrawn application and your state in the program.")
class WithdrawProgramApplicationPayload:
    application: ProgramApplication | None = strawberry.field(
        default=None, description="The application, now WITHDRAWN; null on userErrors."
    )
    monetization: MonetizationOption | None = strawberry.field(
        default=None, description="The program's entry of `viewer.monetization`; null on "
        "userErrors.",
    )  # fmt: skip
    eligibility: ProgramEligibility | None = strawberry.field(
        default=None, description="Your eligibility for the program; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


async def _monetization_after(
    info: Info[Context, None], account_id: int, program: Program
) -> tuple[MonetizationOption, ProgramEligibility]:
    """The program's hub entry and eligibility, read after the change committed."""
    account = await info.context.loaders.account.load(account_id)
    option = await load_monetization_option(info, account, program)
    return option, await load_eligibility(info, account, program)


@strawberry.type
class ProgramQueries:
    @strawberry.field(
        description="A program's current terms (its latest version): what `applyToProgram` "
        "accepts. Anyone may read them, anonymous visitors included."
    )
    async def program_terms(
        self,
        info: Info[Context, None],
        program: Annotated[
            ProgramEnum,  # type: ignore[valid-type]
            strawberry.argument(description="The program."),
        ],
    ) -> ProgramTerms:
        return await load_current_terms(info, Program(program))

    @strawberry.field(
        description="Whether you (or, for staff, any account) may join a program, with every "
        "criterion explained."
    )
    async def eligibility(
        self,
        info: Info[Context, None],
        program: Annotated[
            ProgramEnum,  # type: ignore[valid-type]
            strawberry.argument(description="The program to check."),
        ],
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Staff only: another Account's ID; yours if null."),
        ] = None,
    ) -> ProgramEligibility:
        account = await viewer_or_account_for_staff(info, account_id, "eligibility")
        return await load_eligibility(info, account, Program(program))

    @strawberry.field(description="Staff: applications to review, oldest first.")
    async def program_applications(
        self,
        info: Info[Context, None],
        program: Annotated[
            ProgramEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only applications to this program; all if null."),
        ] = None,
        status: Annotated[
            ApplicationStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only applications in this state; all if null."),
        ] = StatusModel.PENDING,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
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


INPUT = "The mutation's arguments."


async def _eligibility(
    info: Info[Context, None], account_id: int, program: Program
) -> ProgramEligibility:
    account = await info.context.loaders.account.load(account_id)
    return await load_eligibility(info, account, program)


async def _decided(info: Info[Context, None], application: Any) -> ProgramApplicationPayload:
    """The decided application with the applicant's program state, read after the decision."""
    eligibility = await _eligibility(info, application.account_id, application.program)
    return ProgramApplicationPayload(
        application=ProgramApplication.from_model(application),
        enrolment=eligibility.enrolment,
        eligibility=eligibility,
    )


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(
        description="Apply to a program, accepting its current terms and confirming your age "
        "(recorded with the application and copied onto the enrolment). Refused with every "
        "unmet criterion as a userError (CRITERION_NOT_MET); one open application per program; "
        "30 days after a rejection."
    )
    async def apply_to_program(
        self,
        info: Info[Context, None],
        input: Annotated[ApplyToProgramInput, strawberry.argument(description=INPUT)],
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
                    accept_terms_version=input.accept_terms_version,
                    confirm_age=input.confirm_age,
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
        return ApplyToProgramPayload(
            application=ProgramApplication.from_model(application),
            eligibility=await _eligibility(info, application.account_id, application.program),
        )

    @strawberry.mutation(description="Staff: approve a pending application (enrols the account).")
    async def approve_program_application(
        self,
        info: Info[Context, None],
        input: Annotated[ApproveProgramApplicationInput, strawberry.argument(description=INPUT)],
    ) -> ProgramApplicationPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> ProgramApplicationPayload:
            pk = decode_id_of(input.application_id, "ProgramApplication", APPLICATION_ID)
            application = await ctx.write(
                lambda s, viewer: programs.approve(s, _staff(viewer), pk, now=ctx.now)
            )
            return await _decided(info, application)

        return await as_user_errors(ProgramApplicationPayload, work)

    @strawberry.mutation(description="Staff: reject a pending application with a reason.")
    async def reject_program_application(
        self,
        info: Info[Context, None],
        input: Annotated[RejectProgramApplicationInput, strawberry.argument(description=INPUT)],
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
            return await _decided(info, application)

        return await as_user_errors(ProgramApplicationPayload, work)

    @strawberry.mutation(description="Mark some or all of your notifications read.")
    async def mark_notifications_read(
        self,
        info: Info[Context, None],
        input: Annotated[MarkNotificationsReadInput, strawberry.argument(description=INPUT)],
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

            async def after(session: AsyncSession) -> tuple[int, list[Any]]:
                unread = await notifications.count(session, viewer.id, unread_only=True)
                return unread, await notifications.newest(session, marked, limit)

            unread, changed = await ctx.read(after)
            return MarkNotificationsReadPayload(
                marked_read=len(marked),
                unread_count=unread,
                notifications=[Notification.from_model(n) for n in changed],
            )

        return await as_user_errors(MarkNotificationsReadPayload, work)

    @strawberry.mutation(
        description="Staff: credit Creator Rewards for a day that is over (safe to run again: "
        "each creator and day is credited once)."
    )
    async def run_rewards_accrual(
        self,
        info: Info[Context, None],
        input: Annotated[RunRewardsAccrualInput, strawberry.argument(description=INPUT)],
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

    @strawberry.mutation(
        description="Pause a program's feature (tips, gifts, Series sales, Creator Rewards): "
        "new money is refused with MONETIZATION_PAUSED and a Creator Rewards day settled while "
        "paused earns nothing; what was earned stays. Pausing a paused feature changes nothing."
    )
    async def pause_monetization(
        self,
        info: Info[Context, None],
        input: Annotated[PauseMonetizationInput, strawberry.argument(description=INPUT)],
    ) -> MonetizationPayload:
        return await _switch(info, Program(input.program), pause=True)

    @strawberry.mutation(
        description="Resume a paused program's feature: money is received again from now on "
        "(days settled while paused stay at nothing). Resuming an active feature changes nothing."
    )
    async def resume_monetization(
        self,
        info: Info[Context, None],
        input: Annotated[ResumeMonetizationInput, strawberry.argument(description=INPUT)],
    ) -> MonetizationPayload:
        return await _switch(info, Program(input.program), pause=False)

    @strawberry.mutation(
        description="Leave a program: the enrolment ends and no new money comes from it; what "
        "was earned stays. Joining again means applying again (`applyToProgram`)."
    )
    async def leave_program(
        self,
        info: Info[Context, None],
        input: Annotated[LeaveProgramInput, strawberry.argument(description=INPUT)],
    ) -> LeaveProgramPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()
        program = Program(input.program)

        async def work() -> LeaveProgramPayload:
            left = await ctx.write(lambda s, me: monetization.leave(s, logged_in(me), program))
            option, eligibility = await _monetization_after(info, viewer.id, program)
            return LeaveProgramPayload(
                left_enrolment_id=encode_id("Enrolment", left),
                monetization=option,
                eligibility=eligibility,
            )

        return await as_user_errors(LeaveProgramPayload, work)

    @strawberry.mutation(
        description="Staff: publish a new version of a program's terms. It becomes the "
        "program's current terms: applications accept it from now on, and every creator "
        "enrolled in the program is notified (PROGRAM_TERMS_UPDATED) and receives no money from "
        "it (nor, for Series, creates or publishes Series) until they accept it "
        "(`acceptProgramTerms`)."
    )
    async def publish_program_terms(
        self,
        info: Info[Context, None],
        input: Annotated[PublishProgramTermsInput, strawberry.argument(description=INPUT)],
    ) -> PublishProgramTermsPayload:
        ctx = info.context
        _staff(await ctx.viewer())

        async def work() -> PublishProgramTermsPayload:
            published, owing = await ctx.write(
                lambda s, viewer: program_terms.publish(
                    s,
                    _staff(viewer),
                    Program(input.program),
                    version=input.version,
                    url=input.url,
                    now=ctx.now,
                    rules=ctx.settings.rules,
                )
            )
            return PublishProgramTermsPayload(
                terms=ProgramTerms.from_model(published), enrolments_to_accept=owing
            )

        return await as_user_errors(PublishProgramTermsPayload, work)

    @strawberry.mutation(
        description="Accept the current terms of a program you are enrolled in, confirming "
        "your age again: money from the program comes in again (and Series can be created and "
        "published). Accepting the version you already accepted changes nothing."
    )
    async def accept_program_terms(
        self,
        info: Info[Context, None],
        input: Annotated[AcceptProgramTermsInput, strawberry.argument(description=INPUT)],
    ) -> MonetizationPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()
        program = Program(input.program)

        async def work() -> MonetizationPayload:
            await ctx.write(
                lambda s, me: program_terms.accept(
                    s,
                    logged_in(me),
                    program,
                    version=input.version,
                    confirm_age=input.confirm_age,
                    now=ctx.now,
                )
            )
            option, eligibility = await _monetization_after(info, viewer.id, program)
            return MonetizationPayload(
                enrolment=option.enrolment, monetization=option, eligibility=eligibility
            )

        return await as_user_errors(MonetizationPayload, work)

    @strawberry.mutation(
        description="Withdraw your own PENDING application (no one else's, staff included)."
    )
    async def withdraw_program_application(
        self,
        info: Info[Context, None],
        input: Annotated[WithdrawProgramApplicationInput, strawberry.argument(description=INPUT)],
    ) -> WithdrawProgramApplicationPayload:
        ctx = info.context
        viewer = await ctx.require_viewer()

        async def work() -> WithdrawProgramApplicationPayload:
            pk = decode_id_of(input.application_id, "ProgramApplication", APPLICATION_ID)
            application = await ctx.write(
                lambda s, me: monetization.withdraw(s, logged_in(me), pk, now=ctx.now)
            )
            option, eligibility = await _monetization_after(info, viewer.id, application.program)
            return WithdrawProgramApplicationPayload(
                application=ProgramApplication.from_model(application),
                monetization=option,
                eligibility=eligibility,
            )

        return await as_user_errors(WithdrawProgramApplicationPayload, work)


async def _switch(
    info: Info[Context, None], program: Program, *, pause: bool
) -> MonetizationPayload:
    ctx = info.context
    viewer = await ctx.require_viewer()

    async def work() -> MonetizationPayload:
        if pause:
            await ctx.write(
                lambda s, me: monetization.pause(s, logged_in(me), program, now=ctx.now)
            )
        else:
            await ctx.write(lambda s, me: monetization.resume(s, logged_in(me), program))
        option, eligibility = await _monetization_after(info, viewer.id, program)
        return MonetizationPayload(
            enrolment=option.enrolment, monetization=option, eligibility=eligibility
        )

    return await as_user_errors(MonetizationPayload, work)
