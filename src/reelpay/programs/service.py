"""Applying to programs, staff review, enrolment and whether an enrolled creator may earn."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.content import originality
from reelpay.content import service as content
from reelpay.enums import AccountType
from reelpay.errors import DomainError, ErrorCode, NotFound, Problem
from reelpay.notifications import service as notifications
from reelpay.notifications.models import NotificationKind
from reelpay.pagination import Page, PageRequest, paginate
from reelpay.programs import eligibility, terms
from reelpay.programs.eligibility import Criterion, Evaluation, Facts
from reelpay.programs.models import ApplicationStatus, Enrolment, Program, ProgramApplication
from reelpay.settings import Rules

PROGRAM_FIELD = ("input", "program")
LINK_FIELD = ("input", "premiumContentUrl")
TERMS_FIELD = ("input", "acceptTermsVersion")
APPLICATION_FIELD = ("input", "applicationId")
REASON_MAX_LENGTH = 500


async def facts_for(
    session: AsyncSession, account: Account, *, now: datetime, rules: Rules
) -> Facts:
    """What the eligibility rules look at for `account` at `now`."""
    today = now.date()
    followers = (await content.follower_counts(session, [account.id])).get(account.id, 0)
    return Facts(
        birth_date=account.birth_date,
        country=account.country,
        account_type=account.account_type,
        visibility=account.visibility,
        is_political=account.is_political,
        standing=account.standing,
        created_at=account.created_at,
        followers=int(followers),
        daily_views=await content.daily_views(
            session, account.id, start=today - timedelta(days=rules.views_window_days), end=today
        ),
        public_post_times=await content.public_post_times(
            session, account.id, now=now, rules=rules
        ),
        originality_flags=[
            eligibility.OriginalityFlag(title, at, reason)
            for title, at, reason in await originality.standing_flags(
                session, account.id, now=now, rules=rules
            )
        ],
    )


async def evaluate(
    session: AsyncSession, account: Account, program: Program, *, now: datetime, rules: Rules
) -> Evaluation:
    return eligibility.evaluate(
        program, await facts_for(session, account, now=now, rules=rules), now, rules
    )


async def evaluate_all(
    session: AsyncSession, account: Account, *, now: datetime, rules: Rules
) -> dict[Program, Evaluation]:
    facts = await facts_for(session, account, now=now, rules=rules)
    return {p: eligibility.evaluate(p, facts, now, rules) for p in Program}


async def switch_changes(
    session: AsyncSession,
    account: Account,
    from_type: AccountType,
    to_type: AccountType,
    *,
    now: datetime,
    rules: Rules,
) -> tuple[list[Program], list[Program]]:
    """Programs an account would stop and start earning from or qualifying for by going from
    one account type to the other: enrolments that a switch suspends or resumes, and for the
    rest, eligibility (the same answer before and after the switch is made)."""
    facts = await facts_for(session, account, now=now, rules=rules)
    before = dataclasses.replace(facts, account_type=from_type)
    after = dataclasses.replace(facts, account_type=to_type)
    enrolled = await enrolments(session, account.id)
    lost, gained = [], []
    for program in Program:
        if program in enrolled:
            # An enrolment is kept; what changes is whether it earns (suspension).
            before_ok = not _suspended_as(account, program, from_type, now=now, rules=rules)
            after_ok = not _suspended_as(account, program, to_type, now=now, rules=rules)
        else:
            before_ok = eligibility.evaluate(program, before, now, rules).eligible
            after_ok = eligibility.evaluate(program, after, now, rules).eligible
        if before_ok and not after_ok:
            lost.append(program)
        elif after_ok and not before_ok:
            gained.append(program)
    return lost, gained


def _suspended_as(
    account: Account, program: Program, account_type: AccountType, *, now: datetime, rules: Rules
) -> bool:
    as_type = _suspension_facts(account, today=now.date(), rules=rules) | {
        "account_type": account_type
    }
    return bool(eligibility.suspension_reasons(program, **as_type))


def _suspension_facts(account: Account, *, today: date, rules: Rules) -> dict[str, Any]:
    return {
        "birth_date": account.birth_date,
        "country": account.country,
        "account_type": account.account_type,
        "visibility": account.visibility,
        "is_political": account.is_political,
        "standing": account.standing,
        "today": today,
        "rules": rules,
    }


# --- enrolment -----------------------------------------------------------------------------


async def enrolments(session: AsyncSession, account_id: int) -> dict[Program, Enrolment]:
    rows = await session.scalars(sa.select(Enrolment).where(Enrolment.account_id == account_id))
    return {row.program: row for row in rows}


def suspension_reasons(
    account: Account, program: Program, *, today: date, rules: Rules
) -> list[str]:
    """Why enrolled `account` may not earn from `program` on `today` (empty: it may)."""
    return eligibility.suspension_reasons(
        program, **_suspension_facts(account, today=today, rules=rules)
    )


async def enrolled_account_ids(session: AsyncSession, program: Program) -> list[int]:
    rows = await session.scalars(
        sa.select(Enrolment.account_id)
        .where(Enrolment.program == program)
        .order_by(Enrolment.account_id)
    )
    return list(rows)


# --- applying ------------------------------------------------------------------------------


async def _lock_applicant(session: AsyncSession, account_id: int) -> None:
    """Applying and deciding for one account run one at a time (PostgreSQL; SQLite already
    serialises writers), so an approval cannot slip between apply's checks and its insert."""
    await session.execute(
        sa.select(Account.id).where(Account.id == account_id).with_for_update(key_share=True)
    )


class ReapplyTooSoon(DomainError):
    code = ErrorCode.REAPPLY_TOO_SOON

    def __init__(self, reapply_on: date) -> None:
        super().__init__(
            f"Your last application was rejected; you can apply again on {reapply_on.isoformat()}.",
            field=PROGRAM_FIELD,
        )
        self.reapply_on = reapply_on


async def reapply_on(
    session: AsyncSession, account_id: int, program: Program, *, now: datetime, rules: Rules
) -> date | None:
    """The first day a rejected applicant may apply again, while that is still in the future."""
    decided = await session.scalar(
        sa.select(sa.func.max(ProgramApplication.decided_at)).where(
            ProgramApplication.account_id == account_id,
            ProgramApplication.program == program,
            ProgramApplication.status == ApplicationStatus.REJECTED,
        )
    )
    if decided is None:
        return None
    day = decided.date() + timedelta(days=rules.reapply_cooldown_days)
    return day if day > now.date() else None


async def latest_applications(
    session: AsyncSession, account_id: int
) -> dict[Program, ProgramApplication]:
    rows = await session.scalars(
        sa.select(ProgramApplication)
        .where(ProgramApplication.account_id == account_id)
        .order_by(ProgramApplication.id)
    )
    return {row.program: row for row in rows}


async def apply(
    session: AsyncSession,
    account: Account,
    program: Program,
    *,
    premium_content_url: str | None,
    accept_terms_version: str,
    confirm_age: bool,
    now: datetime,
    rules: Rules,
) -> ProgramApplication:
    """Apply to a program, accepting its current terms (`accept_terms_version`) and confirming
    your age; refused with every unmet criterion when not eligible.

    Series exception: an account whose only unmet criterion is the follower count may apply
    with a link to premium content it sold elsewhere (staff review it like any other).
    """
    await _lock_applicant(session, account.id)
    if premium_content_url is not None:
        if program is not Program.SERIES:
            raise DomainError(
                "Only Series applications take a premium content link.", field=LINK_FIELD
            )
        premium_content_url = validation.url(premium_content_url, rules, LINK_FIELD)
    if program in await enrolments(session, account.id):
        raise DomainError(
            f"You are already enrolled in {eligibility.PROGRAM_NAMES[program]}.",
            code=ErrorCode.ALREADY_ENROLLED,
            field=PROGRAM_FIELD,
        )
    pending = await session.scalar(
        sa.select(ProgramApplication.id).where(
            ProgramApplication.account_id == account.id,
            ProgramApplication.program == program,
            ProgramApplication.status == ApplicationStatus.PENDING,
        )
    )
    if pending is not None:
        raise DomainError(
            "You already have an application to this program waiting for review.",
            code=ErrorCode.APPLICATION_PENDING,
            field=PROGRAM_FIELD,
        )
    cooldown = await reapply_on(session, account.id, program, now=now, rules=rules)
    if cooldown is not None:
        raise ReapplyTooSoon(cooldown)
    unmet = (await evaluate(session, account, program, now=now, rules=rules)).unmet
    if program is Program.SERIES and premium_content_url is not None:
        unmet = tuple(r for r in unmet if r.criterion is not Criterion.FOLLOWERS)
    current_terms = await terms.current(session, program)
    problems = terms.acceptance_problems(
        current_terms, accept_terms_version, confirm_age, version_field=TERMS_FIELD
    )
    problems += [
        Problem(ErrorCode.CRITERION_NOT_MET, r.message, PROGRAM_FIELD, criterion=r.criterion)
        for r in unmet
    ]
    if problems:
        raise DomainError.of(problems)
    application = ProgramApplication(
        account_id=account.id,
        program=program,
        status=ApplicationStatus.PENDING,
        premium_content_url=premium_content_url,
        created_at=now,
        terms_id=current_terms.id,
        terms_accepted_at=now,
        age_confirmed_at=now,
    )
    session.add(application)
    await session.flush()  # a concurrent duplicate loses on the unique index and is retried
    return application


# --- review --------------------------------------------------------------------------------


async def review_queue(
    session: AsyncSession,
    request: PageRequest,
    *,
    program: Program | None,
    status: ApplicationStatus | None,
) -> Page[ProgramApplication]:
    """Applications oldest first (the order staff work through them)."""
    return await paginate(
        session, _queue(program, status), [ProgramApplication.created_at, ProgramApplication.id],
        request, descending=False,
    )  # fmt: skip


async def review_queue_count(
    session: AsyncSession, *, program: Program | None, status: ApplicationStatus | None
) -> int:
    stmt = sa.select(sa.func.count()).select_from(_queue(program, status).subquery())
    return int(await session.scalar(stmt) or 0)


def _queue(program: Program | None, status: ApplicationStatus | None) -> sa.Select[Any]:
    stmt = sa.select(ProgramApplication)
    if program is not None:
        stmt = stmt.where(ProgramApplication.program == program)
    if status is not None:
        stmt = stmt.where(ProgramApplication.status == status)
    return stmt


async def applications_by_ids(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, ProgramApplication]:
    rows = await session.scalars(
        sa.select(ProgramApplication).where(ProgramApplication.id.in_(set(ids)))
    )
    return {row.id: row for row in rows}


async def _decide(
    session: AsyncSession,
    staff: Account,
    application_id: int,
    status: ApplicationStatus,
    *,
    reason: str | None,
    now: datetime,
) -> ProgramApplication:
    accounts.require_staff(staff)
    applicant = await session.scalar(
        sa.select(ProgramApplication.account_id).where(ProgramApplication.id == application_id)
    )
    if applicant is not None:
        await _lock_applicant(session, applicant)
    decided = await session.execute(
        sa.update(ProgramApplication)
        .where(
            ProgramApplication.id == application_id,
            ProgramApplication.status == ApplicationStatus.PENDING,
        )
        .values(status=status, decided_at=now, decided_by_id=staff.id, rejection_reason=reason)
        .returning(ProgramApplication.id)
        .execution_options(synchronize_session=False)
    )
    if decided.scalar_one_or_none() is None:
        if await session.get(ProgramApplication, application_id) is None:
            raise NotFound("No such application.", field=APPLICATION_FIELD)
        raise DomainError(
            "This application was already decided.",
            code=ErrorCode.APPLICATION_NOT_PENDING,
            field=APPLICATION_FIELD,
        )
    application = await session.get(ProgramApplication, application_id, populate_existing=True)
    assert application is not None
    return application


async def approve(
    session: AsyncSession, staff: Account, application_id: int, *, now: datetime
) -> ProgramApplication:
    """Approve a pending application: the account is enrolled and told."""
    application = await _decide(
        session, staff, application_id, ApplicationStatus.APPROVED, reason=None, now=now
    )
    enrolment = Enrolment(
        account_id=application.account_id,
        program=application.program,
        application_id=application.id,
        enrolled_at=now,
    )
    # The terms the application accepted; newer ones published since are owed.
    owed = await terms.copy_to_enrolment(session, application, enrolment, now=now)
    session.add(enrolment)
    name = eligibility.PROGRAM_NAMES[application.program]
    await notifications.notify(
        session,
        application.account_id,
        NotificationKind.APPLICATION_APPROVED,
        title=f"Welcome to {name}",
        body=f"Your application to {name} was approved.",
        data={"applicationId": application.id, "program": application.program.value},
        now=now,
    )
    if owed is not None:
        await terms.tell_owed(session, application.account_id, owed, now=now)
    return application


async def reject(
    session: AsyncSession, staff: Account, application_id: int, *, reason: str, now: datetime
) -> ProgramApplication:
    """Reject a pending application with a reason the applicant reads."""
    accounts.require_staff(staff)
    reason = reason.strip()
    if not 1 <= len(reason) <= REASON_MAX_LENGTH:
        raise DomainError(
            f"Give a reason of 1 to {REASON_MAX_LENGTH} characters.", field=("input", "reason")
        )
    application = await _decide(
        session, staff, application_id, ApplicationStatus.REJECTED, reason=reason, now=now
    )
    name = eligibility.PROGRAM_NAMES[application.program]
    await notifications.notify(
        session,
        application.account_id,
        NotificationKind.APPLICATION_REJECTED,
        title=f"Your {name} application was not approved",
        body=reason,
        data={"applicationId": application.id, "program": application.program.value},
        now=now,
    )
    return application
