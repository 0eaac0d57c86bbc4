"""Programs: eligibility checklists, applications, enrolments, notifications, rewards."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Connection, Node, encode_id
from reelpay.notifications import models as notification_models
from reelpay.programs import eligibility, models
from reelpay.programs import service as programs
from reelpay.programs.rewards import RewardsDay as RewardsDayResult

Program = strawberry.enum(models.Program, description="A monetization program.")
ApplicationStatus = strawberry.enum(models.ApplicationStatus)
Criterion = strawberry.enum(eligibility.Criterion, description="One rule of a program.")
NotificationKind = strawberry.enum(notification_models.NotificationKind)


@strawberry.type(description="One criterion of a program, for a checklist.")
class EligibilityCriterion:
    criterion: Criterion  # type: ignore[valid-type]
    met: bool
    current_value: str = strawberry.field(description="The account's value now.")
    required_value: str
    message: str = strawberry.field(description="A sentence to show the person.")
    expected_pass_date: date | None = strawberry.field(
        description="When this unmet criterion passes if nothing else changes (a birthday, the "
        "account's age, today's views entering the window); null if time alone will not."
    )
    expected_lapse_date: date | None = strawberry.field(
        description="When this met criterion stops being met if no new views or posts come in."
    )

    @classmethod
    def of(cls, result: eligibility.Result) -> EligibilityCriterion:
        return cls(
            criterion=result.criterion,
            met=result.met,
            current_value=result.current,
            required_value=result.required,
            message=result.message,
            expected_pass_date=result.expected_pass_date,
            expected_lapse_date=result.expected_lapse_date,
        )


@strawberry.type(description="An account's enrolment in a program.")
class Enrolment:
    program: Program  # type: ignore[valid-type]
    enrolled_at: datetime
    suspension_reasons: list[str] = strawberry.field(
        description="Why monetization is suspended now (a ban, a restriction, the political "
        "flag, an account type or visibility the program does not take); empty when active."
    )

    @strawberry.field(description="Earning now: enrolled and not suspended.")
    def active(self) -> bool:
        return not self.suspension_reasons


@strawberry.type(description="An application to a program. The applicant and staff see it.")
class ProgramApplication(Node):
    model: strawberry.Private[models.ProgramApplication]
    program: Program  # type: ignore[valid-type]
    status: ApplicationStatus  # type: ignore[valid-type]
    premium_content_url: str | None
    created_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None

    @classmethod
    def from_model(cls, model: models.ProgramApplication) -> ProgramApplication:
        return cls(
            db_id=model.id,
            model=model,
            program=model.program,
            status=model.status,
            premium_content_url=model.premium_content_url,
            created_at=model.created_at,
            decided_at=model.decided_at,
            rejection_reason=model.rejection_reason,
        )

    @strawberry.field
    async def account(self, info: Info[Context, None]) -> Account:
        found = await info.context.loaders.account.load(self.model.account_id)
        assert found is not None
        return Account.from_model(found)


@strawberry.type(description="Whether an account may join a program, criterion by criterion.")
class ProgramEligibility:
    program: Program  # type: ignore[valid-type]
    eligible: bool
    criteria: list[EligibilityCriterion]
    expected_eligible_date: date | None = strawberry.field(
        description="When every unmet criterion passes by time alone; null if one will not."
    )
    series_premium_link_allowed: bool = strawberry.field(
        description="Series only: every criterion but followers is met, so an application "
        "with a `premiumContentUrl` (content sold elsewhere) is accepted for review."
    )
    enrolment: Enrolment | None
    latest_application: ProgramApplication | None
    reapply_on: date | None = strawberry.field(
        description="After a rejection: the first day a new application is accepted."
    )

    @strawberry.field(description="Whether `applyToProgram` would accept an application now.")
    def can_apply(self) -> bool:
        pending = (
            self.latest_application is not None
            and self.latest_application.model.status is models.ApplicationStatus.PENDING
        )
        open_to = self.eligible or self.series_premium_link_allowed
        return open_to and self.enrolment is None and not pending and self.reapply_on is None


async def load_eligibility(
    info: Info[Context, None], account: AccountModel, program: models.Program
) -> ProgramEligibility:
    ctx = info.context
    rules = ctx.settings.rules

    async def read(session: AsyncSession) -> ProgramEligibility:
        evaluation = await programs.evaluate(session, account, program, now=ctx.now, rules=rules)
        enrolled = (await programs.enrolments(session, account.id)).get(program)
        latest = (await programs.latest_applications(session, account.id)).get(program)
        cooldown = await programs.reapply_on(session, account.id, program, now=ctx.now, rules=rules)
        unmet = {r.criterion for r in evaluation.unmet}
        return ProgramEligibility(
            program=program,
            eligible=evaluation.eligible,
            criteria=[EligibilityCriterion.of(r) for r in evaluation.results],
            expected_eligible_date=evaluation.expected_eligible_date,
            series_premium_link_allowed=program is models.Program.SERIES
            and unmet == {eligibility.Criterion.FOLLOWERS},
            enrolment=enrolment_of(account, enrolled) if enrolled else None,
            latest_application=ProgramApplication.from_model(latest) if latest else None,
            reapply_on=cooldown,
        )

    return await ctx.read(read)


def enrolment_of(account: AccountModel, enrolment: models.Enrolment) -> Enrolment:
    return Enrolment(
        program=enrolment.program,
        enrolled_at=enrolment.enrolled_at,
        suspension_reasons=programs.suspension_reasons(account, enrolment.program),
    )


@strawberry.type(description="Something that happened to you.")
class Notification(Node):
    model: strawberry.Private[notification_models.Notification]
    kind: NotificationKind  # type: ignore[valid-type]
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, model: notification_models.Notification) -> Notification:
        return cls(
            db_id=model.id,
            model=model,
            kind=model.kind,
            title=model.title,
            body=model.body,
            created_at=model.created_at,
            read_at=model.read_at,
        )

    @strawberry.field(description="The application this is about, if any.")
    def application_id(self) -> strawberry.ID | None:
        pk = self.model.data.get("applicationId")
        return encode_id("ProgramApplication", pk) if isinstance(pk, int) else None


@strawberry.type(description="Your notifications, newest first.")
class NotificationConnection(Connection[Notification]):
    unread: strawberry.Private[int]

    @strawberry.field(description="How many of all your notifications are unread.")
    def unread_count(self) -> int:
        return self.unread


@strawberry.type(description="Creator Rewards for one UTC day.")
class RewardsDay:
    date: date
    qualified_views: int = strawberry.field(
        description="Views that day of original public videos longer than a minute."
    )
    estimated: Money = strawberry.field(description="What those views earn at today's rate.")
    credited: Money | None = strawberry.field(
        description="What was credited to your earnings; null until the daily job ran."
    )
    suspended: bool = strawberry.field(
        description="Monetization was suspended when the day was settled: it earned nothing."
    )

    @classmethod
    def of(cls, day: RewardsDayResult) -> RewardsDay:
        return cls(
            date=day.day,
            qualified_views=day.qualified_views,
            estimated=Money.usd(day.estimated_cents),
            credited=None if day.credited_cents is None else Money.usd(day.credited_cents),
            suspended=day.suspended,
        )
