"""Program terms: the versions staff publish, creators' acceptance of them and the age
confirmation that goes with it.

A program's current terms are its latest version. Applying accepts the current version and
confirms the applicant's age; approval copies both onto the enrolment. Publishing a version
marks every enrolment of the program as owing it (`Enrolment.terms_outstanding_since`, one
UPDATE) and tells their creators; accepting the current version clears the mark. While it is
set the program's feature takes no new money (the money paths read it with `paused_at`, in
the statement they already run), Series creators cannot create or publish Series, and a
Creator Rewards day settled then earns nothing.

Publishing and accepting (or approving) one program's terms run one at a time: each first
locks the program's first version, a row that never changes (publishing FOR UPDATE, the others
FOR SHARE), and only then reads which version is current. A creator accepting version N while
staff publish N+1 therefore either accepts before N+1 exists, and the publication then marks
them as owing N+1, or is told N is outdated. (PostgreSQL; SQLite runs writers one at a time.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import service as accounts
from reelpay.accounts import validation
from reelpay.accounts.models import Account
from reelpay.db import UTCDateTime
from reelpay.errors import DomainError, ErrorCode, Problem
from reelpay.notifications import service as notifications
from reelpay.notifications.models import Notification, NotificationKind
from reelpay.programs.eligibility import PROGRAM_NAMES
from reelpay.programs.models import Enrolment, Program, ProgramApplication, ProgramTerms
from reelpay.settings import Rules
from reelpay.text import display_text_problem

PROGRAM_FIELD = ("input", "program")
VERSION_FIELD = ("input", "version")
URL_FIELD = ("input", "url")
AGE_FIELD = ("input", "confirmAge")


# --- reading -------------------------------------------------------------------------------


def _current(program: Program) -> sa.Select[ProgramTerms]:
    return (
        sa.select(ProgramTerms)
        .where(ProgramTerms.program == program)
        .order_by(ProgramTerms.id.desc())
        .limit(1)
    )


async def current(session: AsyncSession, program: Program) -> ProgramTerms:
    """The program's current terms: its latest version."""
    found = await session.scalar(_current(program).execution_options(populate_existing=True))
    if found is None:  # the migration records version 1 of every program
        raise LookupError(f"no terms are recorded for {program}")
    return found


async def current_by_programs(
    session: AsyncSession, programs: Sequence[Program]
) -> dict[Program, ProgramTerms]:
    """The current terms of each of `programs` (one statement)."""
    latest = (
        sa.select(sa.func.max(ProgramTerms.id))
        .where(ProgramTerms.program.in_(set(programs)))
        .group_by(ProgramTerms.program)
    )
    rows = await session.scalars(sa.select(ProgramTerms).where(ProgramTerms.id.in_(latest)))
    return {row.program: row for row in rows}


async def terms_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ProgramTerms]:
    rows = await session.scalars(sa.select(ProgramTerms).where(ProgramTerms.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def _current_locked(
    session: AsyncSession, program: Program, *, publishing: bool = False
) -> ProgramTerms:
    """The current terms, read after waiting for any publication of `program`'s terms in
    progress (and holding off the next one until this transaction ends)."""
    first = (
        sa.select(ProgramTerms.id)
        .where(ProgramTerms.program == program)
        .order_by(ProgramTerms.id)
        .limit(1)
        .with_for_update(read=not publishing)
    )
    await session.execute(first)
    return await current(session, program)  # a new statement: sees what was committed since


# --- accepting -----------------------------------------------------------------------------


def acceptance_problems(
    terms: ProgramTerms, version: str, confirm_age: bool, *, version_field: tuple[str, ...]
) -> list[Problem]:
    """What is wrong with accepting `version` of a program whose current terms are `terms`."""
    name = PROGRAM_NAMES[terms.program]
    problems = []
    if version.strip() != terms.version:
        problems.append(
            Problem(
                ErrorCode.TERMS_VERSION_OUTDATED,
                f"The current {name} terms are version {terms.version} (published "
                f"{terms.published_at.date().isoformat()}, {terms.url}): read them and accept "
                "that version.",
                version_field,
            )
        )
    if not confirm_age:
        problems.append(
            Problem(
                ErrorCode.AGE_NOT_CONFIRMED,
                f"Confirm that you are old enough for {name} (`confirmAge: true`).",
                AGE_FIELD,
            )
        )
    return problems


def _accepted_by(enrolment: Enrolment, terms: ProgramTerms, now: datetime) -> None:
    enrolment.terms_id = terms.id
    enrolment.terms_accepted_at = now
    enrolment.age_confirmed_at = now
    enrolment.terms_outstanding_since = None


async def accept(
    session: AsyncSession,
    account: Account,
    program: Program,
    *,
    version: str,
    confirm_age: bool,
    now: datetime,
) -> Enrolment:
    """Accept `program`'s current terms (`version`) and confirm your age as an enrolled creator:
    new money comes in again. Accepting the version already accepted changes nothing."""
    terms = await _current_locked(session, program)
    enrolment = await session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.account_id == account.id, Enrolment.program == program)
        .execution_options(populate_existing=True)
    )
    if enrolment is None:
        raise DomainError(
            f"You are not enrolled in {PROGRAM_NAMES[program]}.",
            code=ErrorCode.NOT_ENROLLED,
            field=PROGRAM_FIELD,
        )
    problems = acceptance_problems(terms, version, confirm_age, version_field=VERSION_FIELD)
    if problems:
        raise DomainError.of(problems)
    if enrolment.terms_id != terms.id or enrolment.terms_outstanding_since is not None:
        _accepted_by(enrolment, terms, now)
        await session.flush()
    return enrolment


async def copy_to_enrolment(
    session: AsyncSession, application: ProgramApplication, enrolment: Enrolment, *, now: datetime
) -> ProgramTerms | None:
    """Approval: the new enrolment records the terms the application accepted and its age
    confirmation. If the program has published newer terms since, it owes them from now on:
    returns them (tell the creator, `tell_owed`)."""
    terms = await _current_locked(session, application.program)
    enrolment.terms_id = application.terms_id
    enrolment.terms_accepted_at = application.terms_accepted_at
    enrolment.age_confirmed_at = application.age_confirmed_at
    if application.terms_id == terms.id:
        return None
    enrolment.terms_outstanding_since = now
    return terms


async def tell_owed(
    session: AsyncSession, account_id: int, terms: ProgramTerms, *, now: datetime
) -> None:
    """Tell one creator they owe `terms` (PROGRAM_TERMS_UPDATED)."""
    title, body, data = _notice(terms)
    await notifications.notify(
        session,
        account_id,
        NotificationKind.PROGRAM_TERMS_UPDATED,
        title=title,
        body=body,
        data=data,
        now=now,
    )


class TermsNotAccepted(DomainError):
    code = ErrorCode.TERMS_NOT_ACCEPTED

    def __init__(self, terms: ProgramTerms) -> None:
        super().__init__(
            f"Accept the new {PROGRAM_NAMES[terms.program]} terms (version {terms.version}) "
            "first: `acceptProgramTerms`."
        )
        self.terms = terms


async def require_accepted(session: AsyncSession, enrolment: Enrolment) -> None:
    """TermsNotAccepted while the enrolment owes the program's current terms."""
    if enrolment.terms_outstanding_since is not None:
        raise TermsNotAccepted(await current(session, enrolment.program))


# --- publishing ----------------------------------------------------------------------------


def _notice(terms: ProgramTerms) -> tuple[str, str, dict[str, object]]:
    """The PROGRAM_TERMS_UPDATED notification's title, body and data."""
    name = PROGRAM_NAMES[terms.program]
    series = " and to create or publish Series" if terms.program is Program.SERIES else ""
    return (
        f"New {name} terms",
        f"{name} has new terms (version {terms.version}): {terms.url}. Accept them to receive "
        f"money from {name} again{series}.",
        {"program": terms.program.value, "termsId": terms.id, "version": terms.version},
    )


async def publish(
    session: AsyncSession,
    staff: Account,
    program: Program,
    *,
    version: str,
    url: str,
    now: datetime,
    rules: Rules,
) -> tuple[ProgramTerms, int]:
    """Staff: publish a new version of `program`'s terms. Every enrolment of the program owes
    it from now on and its creator is told; returns the version and how many enrolments."""
    accounts.require_staff(staff)
    version = version.strip()
    problems = []
    if not 1 <= len(version) <= rules.terms_version_max_length:
        problems.append(
            Problem(
                ErrorCode.INVALID_INPUT,
                f"A version has 1 to {rules.terms_version_max_length} characters.",
                VERSION_FIELD,
            )
        )
    bad_text = display_text_problem(version, what="A version")
    if bad_text is not None:
        problems.append(Problem(ErrorCode.INVALID_INPUT, bad_text, VERSION_FIELD))
    try:
        url = validation.url(url, rules, URL_FIELD)
    except DomainError as error:
        problems.extend(error.problems)
    if problems:
        raise DomainError.of(problems)

    await _current_locked(session, program, publishing=True)
    taken = await session.scalar(
        sa.select(ProgramTerms.id).where(
            ProgramTerms.program == program, ProgramTerms.version == version
        )
    )
    if taken is not None:
        raise DomainError(
            f"{PROGRAM_NAMES[program]} terms version {version} was already published: give "
            "the new version another label.",
            field=VERSION_FIELD,
        )
    terms = ProgramTerms(
        program=program, version=version, url=url, published_at=now, published_by_id=staff.id
    )
    session.add(terms)
    await session.flush()
    # Enrolments that already owe older terms keep the time they began to.
    await session.execute(
        sa.update(Enrolment)
        .where(Enrolment.program == program, Enrolment.terms_outstanding_since.is_(None))
        .values(terms_outstanding_since=now)
        .execution_options(synchronize_session=False)
    )
    title, body, data = _notice(terms)
    told = await session.execute(
        sa.insert(Notification).from_select(
            ["account_id", "kind", "title", "body", "data", "created_at", "updated_at"],
            sa.select(
                Enrolment.account_id,
                sa.literal(NotificationKind.PROGRAM_TERMS_UPDATED.value, sa.String),
                sa.literal(title[:200], sa.String),
                sa.literal(body[:1000], sa.String),
                sa.literal(data, sa.JSON),
                sa.literal(now, UTCDateTime),
                sa.literal(now, UTCDateTime),
            )
            .where(Enrolment.program == program)
            .order_by(Enrolment.account_id),
        )
    )
    return terms, int(told.rowcount or 0)  # type: ignore[attr-defined]
