"""The Creator Next hub: each program's monetization state, pausing and resuming a program's
feature, leaving a program and withdrawing a pending application.

A pause keeps the enrolment (and everything earned) and stops new money: tips, gifts, Series
sales are refused with MONETIZATION_PAUSED and a Creator Rewards day settled while paused earns
nothing, like a suspended one. Leaving deletes the enrolment; joining again means applying again.

New terms not accepted yet (programs/terms.py) stop new money too; the sender is refused as for
a suspended creator (CREATOR_NOT_ELIGIBLE), since why is the creator's business. The hub's
state follows what would get money flowing again first: SUSPENDED (the creator cannot lift it
alone) over TERMS_NOT_ACCEPTED (accepting lifts it) over PAUSED (resuming lifts it); `reasons`
lists every one that applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts.models import Account
from reelpay.errors import DomainError, ErrorCode, NotFound
from reelpay.programs import eligibility, terms
from reelpay.programs import service as programs
from reelpay.programs.models import (
    ApplicationStatus,
    Enrolment,
    Program,
    ProgramApplication,
    ProgramTerms,
)
from reelpay.settings import Rules

PROGRAM_FIELD = ("input", "program")
APPLICATION_FIELD = ("input", "applicationId")

# What each program lets a creator receive, as the hub and the refusals name it.
FEATURES: dict[Program, str] = {
    Program.CREATOR_REWARDS: "Creator Rewards",
    Program.SERIES: "Series sales",
    Program.TIPS: "tips",
    Program.LIVE_GIFTS: "gifts on videos and LIVE",
    Program.CREATOR_MARKETPLACE: "Creator Marketplace",
}


class MonetizationState(StrEnum):
    NOT_ENROLLED = "NOT_ENROLLED"
    PENDING_APPLICATION = "PENDING_APPLICATION"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    TERMS_NOT_ACCEPTED = "TERMS_NOT_ACCEPTED"
    SUSPENDED = "SUSPENDED"


@dataclass(frozen=True)
class MonetizationStatus:
    """One program's monetization state for one account, and why."""

    account_id: int
    program: Program
    state: MonetizationState
    reasons: tuple[str, ...]
    enrolment: Enrolment | None
    pending_application: ProgramApplication | None


def status_of(
    account: Account,
    program: Program,
    enrolment: Enrolment | None,
    pending: ProgramApplication | None,
    *,
    terms_to_accept: ProgramTerms | None = None,
    today: date,
    rules: Rules,
) -> MonetizationStatus:
    """The state of `program` for `account` (pure): a suspension outranks terms to accept,
    which outrank a pause, since neither accepting nor resuming would make a suspended feature
    earn, nor resuming one whose terms are not accepted. `terms_to_accept`: the program's
    current terms, named when the enrolment owes them."""
    name = eligibility.PROGRAM_NAMES[program]
    feature = FEATURES[program]
    reasons: list[str] = []
    if enrolment is None:
        if pending is not None:
            state = MonetizationState.PENDING_APPLICATION
            reasons.append(
                f"Your application to {name} of {pending.created_at.date().isoformat()} is "
                "waiting for review."
            )
        else:
            state = MonetizationState.NOT_ENROLLED
            reasons.append(f"You are not enrolled in {name}: apply to join it.")
    else:
        suspended = programs.suspension_reasons(account, program, today=today, rules=rules)
        reasons.extend(suspended)
        owes_terms = enrolment.terms_outstanding_since is not None
        if owes_terms:
            new = "new " if enrolment.terms_id is not None else ""
            version = f" (version {terms_to_accept.version})" if terms_to_accept else ""
            series = " and to create or publish Series" if program is Program.SERIES else ""
            reasons.append(f"Accept the {new}{name} terms{version} to receive money again{series}.")
        if enrolment.paused_at is not None:
            reasons.append(
                f"You paused {feature} on {enrolment.paused_at.date().isoformat()}; resume to "
                "receive money again."
            )
        if suspended:
            state = MonetizationState.SUSPENDED
        elif owes_terms:
            state = MonetizationState.TERMS_NOT_ACCEPTED
        elif enrolment.paused_at is not None:
            state = MonetizationState.PAUSED
        else:
            state = MonetizationState.ACTIVE
    return MonetizationStatus(
        account_id=account.id,
        program=program,
        state=state,
        reasons=tuple(reasons),
        enrolment=enrolment,
        pending_application=pending,
    )


async def _pending(session: AsyncSession, account_id: int) -> dict[Program, ProgramApplication]:
    rows = await session.scalars(
        sa.select(ProgramApplication).where(
            ProgramApplication.account_id == account_id,
            ProgramApplication.status == ApplicationStatus.PENDING,
        )
    )
    return {row.program: row for row in rows}


async def overview(
    session: AsyncSession, account: Account, *, today: date, rules: Rules
) -> list[MonetizationStatus]:
    """Every program's state for `account` on `today`, in the Program enum's order (two
    statements; a third when some enrolment owes new terms)."""
    enrolled = await programs.enrolments(session, account.id)
    pending = await _pending(session, account.id)
    owing = [p for p, e in enrolled.items() if e.terms_outstanding_since is not None]
    to_accept = await terms.current_by_programs(session, owing) if owing else {}
    return [
        status_of(
            account,
            p,
            enrolled.get(p),
            pending.get(p),
            terms_to_accept=to_accept.get(p),
            today=today,
            rules=rules,
        )
        for p in Program
    ]


async def status(
    session: AsyncSession, account: Account, program: Program, *, today: date, rules: Rules
) -> MonetizationStatus:
    """One program's state for `account` on `today`."""
    return (await overview(session, account, today=today, rules=rules))[
        list(Program).index(program)
    ]


# --- receiving money -----------------------------------------------------------------------


class MonetizationPaused(DomainError):
    code = ErrorCode.MONETIZATION_PAUSED

    def __init__(self, program: Program, field: Sequence[str] | None = None) -> None:
        super().__init__(
            f"This creator has paused {FEATURES[program]} for now: nothing was charged.",
            field=field,
        )
        self.program = program


class Receiving(StrEnum):
    """What an enrolment lets in now, as a money path reads it (`receiving`)."""

    OPEN = "OPEN"
    PAUSED = "PAUSED"  # by the creator
    TERMS_NOT_ACCEPTED = "TERMS_NOT_ACCEPTED"  # the program's current terms are owed


def receiving(account_id: Any, program: Program) -> sa.ScalarSelect[Any]:
    """A correlated subquery for a money path's one read: NULL when `account_id` is not
    enrolled in `program`, else the enrolment's `Receiving` (terms owed before a pause)."""
    return (
        sa.select(
            sa.case(
                (
                    Enrolment.terms_outstanding_since.is_not(None),
                    Receiving.TERMS_NOT_ACCEPTED.value,
                ),
                (Enrolment.paused_at.is_not(None), Receiving.PAUSED.value),
                else_=Receiving.OPEN.value,
            )
        )
        .where(Enrolment.account_id == account_id, Enrolment.program == program)
        .scalar_subquery()
    )


def receiving_of(found: str | None) -> Receiving | None:
    """`receiving`'s value as read (None: not enrolled)."""
    return None if found is None else Receiving(found)


async def receiving_state(
    session: AsyncSession, account_id: int, program: Program
) -> Receiving | None:
    """`receiving` on its own: None when not enrolled."""
    return receiving_of(await session.scalar(sa.select(receiving(account_id, program))))


def check_receiving(
    creator: Account,
    program: Program,
    state: Receiving | None,
    *,
    today: date,
    rules: Rules,
    refusal: str,
    field: Sequence[str] | None = None,
) -> None:
    """Refuse new money for `creator` from `program`: not enrolled (`state` None), suspended
    or owing new terms is CREATOR_NOT_ELIGIBLE (the sender is not told why), paused is
    MONETIZATION_PAUSED."""
    if (
        state is None
        or state is Receiving.TERMS_NOT_ACCEPTED
        or programs.suspension_reasons(creator, program, today=today, rules=rules)
    ):
        raise DomainError(refusal, code=ErrorCode.CREATOR_NOT_ELIGIBLE, field=field)
    if state is Receiving.PAUSED:
        raise MonetizationPaused(program, field)


# --- the creator's switches ----------------------------------------------------------------


def _not_enrolled(program: Program) -> DomainError:
    return DomainError(
        f"You are not enrolled in {eligibility.PROGRAM_NAMES[program]}.",
        code=ErrorCode.NOT_ENROLLED,
        field=PROGRAM_FIELD,
    )


async def _set_paused(
    session: AsyncSession, account: Account, program: Program, paused_at: datetime | None
) -> Enrolment:
    where = [Enrolment.account_id == account.id, Enrolment.program == program]
    # Pausing twice keeps the first time; resuming an active feature changes nothing.
    already = (
        Enrolment.paused_at.is_(None) if paused_at is None else Enrolment.paused_at.is_not(None)
    )
    await session.execute(
        sa.update(Enrolment)
        .where(*where, sa.not_(already))
        .values(paused_at=paused_at)
        .execution_options(synchronize_session=False)
    )
    enrolment = await session.scalar(
        sa.select(Enrolment).where(*where).execution_options(populate_existing=True)
    )
    if enrolment is None:
        raise _not_enrolled(program)
    return enrolment


async def pause(
    session: AsyncSession, account: Account, program: Program, *, now: datetime
) -> Enrolment:
    """Stop new money from `program` (idempotent); what was earned stays."""
    return await _set_paused(session, account, program, now)


async def resume(session: AsyncSession, account: Account, program: Program) -> Enrolment:
    """Receive money from `program` again (idempotent)."""
    return await _set_paused(session, account, program, None)


async def leave(session: AsyncSession, account: Account, program: Program) -> int:
    """End the enrolment; returns its ID. Earned money stays; joining again means applying
    again (the approved application stays APPROVED, as history)."""
    left = await session.scalar(
        sa.delete(Enrolment)
        .where(Enrolment.account_id == account.id, Enrolment.program == program)
        .returning(Enrolment.id)
        .execution_options(synchronize_session=False)
    )
    if left is None:
        raise _not_enrolled(program)
    return int(left)


async def withdraw(
    session: AsyncSession, account: Account, application_id: int, *, now: datetime
) -> ProgramApplication:
    """Withdraw your own PENDING application (staff cannot withdraw anyone else's)."""
    withdrawn = await session.scalar(
        sa.update(ProgramApplication)
        .where(
            ProgramApplication.id == application_id,
            ProgramApplication.account_id == account.id,
            ProgramApplication.status == ApplicationStatus.PENDING,
        )
        .values(status=ApplicationStatus.WITHDRAWN, decided_at=now, decided_by_id=account.id)
        .returning(ProgramApplication.id)
        .execution_options(synchronize_session=False)
    )
    application = await session.get(ProgramApplication, application_id, populate_existing=True)
    if application is None or application.account_id != account.id:
        raise NotFound("No such application of yours.", field=APPLICATION_FIELD)
    if withdrawn is None:
        raise DomainError(
            "Only a PENDING application can be withdrawn.",
            code=ErrorCode.APPLICATION_NOT_PENDING,
            field=APPLICATION_FIELD,
        )
    return application
