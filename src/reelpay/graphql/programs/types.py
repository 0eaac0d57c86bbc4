"""Programs: eligibility checklists, applications, enrolments, notifications, rewards."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.money import Money
from reelpay.graphql.relay import Connection, Node, encode_id
from reelpay.notifications import models as notification_models
from reelpay.programs import eligibility, models, monetization
from reelpay.programs import service as programs
from reelpay.programs.rewards import RewardsDay as RewardsDayResult

Program = described_enum(
    models.Program,
    "A monetization program.",
    {
        "CREATOR_REWARDS": "Creator Rewards: earnings per 1,000 qualified views.",
        "SERIES": "Series: selling paywalled collections of episodes.",
        "TIPS": "Tips: receiving USD tips from viewers.",
        "LIVE_GIFTS": "LIVE gifts: receiving gifts (as diamonds) on LIVEs and videos.",
        "CREATOR_MARKETPLACE": "Creator Marketplace: paid brand partnerships.",
    },
)
ApplicationStatus = described_enum(
    models.ApplicationStatus,
    "Where an application to a program stands.",
    {
        "PENDING": "Waiting for staff to review it.",
        "APPROVED": "Approved: the account is enrolled in the program.",
        "REJECTED": "Rejected with a reason; a new application waits 30 days (by default).",
        "WITHDRAWN": "Withdrawn by the applicant while it was PENDING; a new one may be sent.",
    },
)
MonetizationState = described_enum(
    monetization.MonetizationState,
    "Where one program's monetization stands for an account (`viewer.monetization`).",
    {
        "NOT_ENROLLED": "Not enrolled and no application waiting: apply to join.",
        "PENDING_APPLICATION": "An application is waiting for staff review.",
        "ACTIVE": "Enrolled and receiving money.",
        "PAUSED": "Enrolled, but you paused the feature: new money is refused "
        "(MONETIZATION_PAUSED) until you resume it; what was earned stays.",
        "TERMS_NOT_ACCEPTED": "Enrolled, but the program published terms you have not accepted "
        "(`enrolment.termsToAccept`): nothing is received (senders are told the creator cannot "
        "receive it, CREATOR_NOT_ELIGIBLE), a Creator Rewards day earns nothing and Series "
        "cannot be created or published until you accept them (`acceptProgramTerms`). Outranks "
        "PAUSED; a pause, if any, is listed among the reasons.",
        "SUSPENDED": "Enrolled, but suspended (a ban, a restriction, the political flag, an "
        "account type or visibility the program does not take): nothing is received. Terms to "
        "accept and a pause, if any, are listed among the reasons.",
    },
)
Criterion = described_enum(
    eligibility.Criterion,
    "One rule of a program.",
    {
        "AGE": "The account holder's age: 18 or more (19 for Series in KR).",
        "ACCOUNT_TYPE": "The account type the program takes (PERSONAL for most programs).",
        "ACCOUNT_AGE": "How long the account has existed (Series: more than 30 days).",
        "PUBLIC_ACCOUNT": "The account is PUBLIC.",
        "NOT_POLITICAL": "The account is not marked as a government or political account.",
        "PUBLIC_POSTS": "Public videos published in the last 30 days (Series: 3 or more).",
        "FOLLOWERS": "Followers now (the program's minimum, e.g. 10,000).",
        "VIEWS": "Authentic views in the last 30 days (the program's minimum).",
        "STANDING": "Community-guideline standing GOOD.",
        "ORIGINAL_CONTENT": "Series: none of the account's videos (deleted ones included) has "
        "a staff flag as unoriginal raised in the last 30 days and not cleared. The value is "
        "how many such flags stand (0 required); the message names the newest flag's video, "
        "and `expectedPassDate` is when it leaves the window. Videos declared not original "
        "(`isOriginal: false`) do not fail it: only staff flags do.",
    },
)
NotificationKind = described_enum(
    notification_models.NotificationKind,
    "What a notification is about.",
    {
        "APPLICATION_APPROVED": "An application to a program was approved.",
        "APPLICATION_REJECTED": "An application to a program was rejected (the body says why).",
        "PAYOUT_METHOD_ADDED": "A payout method was linked to the account.",
        "PAYOUT_METHOD_REMOVED": "A payout method was removed.",
        "PAYOUT_METHOD_DEFAULT_CHANGED": "Another payout method became the default.",
        "PAYOUT_REQUESTED": "A payout was requested or scheduled.",
        "PAYOUT_PROCESSING": "A payout is being sent.",
        "PAYOUT_PAID": "A payout was paid.",
        "PAYOUT_FAILED": "A payout failed; its money is back in the balance.",
        "PAYOUT_RETURNED": "A paid payout came back from the provider; its money is in the "
        "balance again (the payout is RETURNED).",
        "SERIES_PURCHASE_REFUNDED": "Your purchase of a Series was refunded: its episodes are "
        "locked again and the coins are back (or the card is refunded).",
        "SERIES_SOLD": "Sales of one of your Series: one notification per Series and UTC day, "
        "updated with each sale (`count`, the creator's share in all).",
        "TIP_RECEIVED": "Tips you received: one notification per UTC day, updated with each "
        "tip; an anonymous tip names no one.",
        "GIFTS_RECEIVED": "Gifts sent to you: one notification per video and UTC day, or per "
        "LIVE, updated with each gift (`count` gifts, the diamonds in all).",
        "REWARDS_CREDITED": "A day of Creator Rewards was credited to your earnings.",
        "PROGRAM_TERMS_UPDATED": "A program you are enrolled in has terms you have not "
        "accepted (a new version, `programTerms`): accept them (`acceptProgramTerms`) to receive "
        "money from it again.",
        "VIDEO_FLAGGED_UNORIGINAL": "Staff flagged one of your videos as unoriginal (the body "
        "names it and gives the reason): it earns no Creator Rewards while the flag stands, "
        "and Series' ORIGINAL_CONTENT criterion fails for 30 days (see the video's "
        "`originalityFlags`).",
        "CAMPAIGN_APPLICATION": "A creator applied to one of your campaigns.",
        "CAMPAIGN_INVITATION": "A brand invited you to one of its campaigns.",
        "PROPOSAL_DECLINED": "Your application or invitation was declined.",
        "DEAL_STARTED": "An application or invitation was accepted: a deal began.",
        "DEAL_SUBMITTED": "A creator submitted a deal's videos for your review.",
        "DEAL_CHANGES_REQUESTED": "The brand asked for changes to your submission (the body "
        "gives its comment).",
        "DEAL_APPROVED": "A deal's submission was approved (by the brand, or automatically when "
        "the review was overdue).",
        "DEAL_CANCELLED": "A deal was cancelled; what was reserved for it went back to escrow.",
        "MARKETPLACE_PAYMENT": "Money from a campaign reached your earnings (a deal's fee, a "
        "commission, views or a prize).",
        "DEAL_DISPUTED": "The other side of a deal opened a dispute; staff will decide.",
        "DISPUTE_RESOLVED": "Staff resolved a dispute about a deal (the body says how).",
        "CHALLENGE_RESULTS": "A sponsored challenge you ran or entered has its results.",
        "CAMPAIGN_REFUNDED": "Unused escrow of your campaign is being refunded to your card.",
    },
)

# The name of `ApplyToProgramInput.premiumContentUrl` on the wire.
PREMIUM_CONTENT_URL_INPUT = "premiumContentUrl"

# A ProgramEligibility's ID packs the account and the program into one key.
_PROGRAMS = list(models.Program)
_PROGRAM_SLOTS = 8


def eligibility_key(account_id: int, program: models.Program) -> int:
    """The one key of an account's eligibility for a program (its global ID's number)."""
    return account_id * _PROGRAM_SLOTS + _PROGRAMS.index(program)


def eligibility_of_key(key: int) -> tuple[int, models.Program] | None:
    """(account ID, program) of an eligibility key, or None when it names none."""
    account_id, slot = divmod(key, _PROGRAM_SLOTS)
    if account_id < 1 or slot >= len(_PROGRAMS):
        return None
    return account_id, _PROGRAMS[slot]


@strawberry.type(
    description="One criterion of a program, for a checklist (a value of its eligibility, "
    "without an ID of its own)."
)
class EligibilityCriterion:
    criterion: Criterion = strawberry.field(  # type: ignore[valid-type]
        description="Which rule this is."
    )
    met: bool = strawberry.field(description="Whether the account meets it now.")
    current_value: str = strawberry.field(description="The account's value now.")
    required_value: str = strawberry.field(description="What the program requires.")
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


@strawberry.type(
    description="One published version of a program's terms and policies. A program's current "
    "terms are its latest version: applying accepts them, and a new version must be accepted "
    "by every enrolled creator before they receive money from the program again. Versions "
    "never change. Anyone may read them, anonymous visitors included."
)
class ProgramTerms(Node):
    program: Program = strawberry.field(  # type: ignore[valid-type]
        description="The program these terms are for."
    )
    version: str = strawberry.field(
        description="The version's label, unique per program: what `acceptTermsVersion` and "
        "`acceptProgramTerms(version:)` take."
    )
    url: str = strawberry.field(description="Where the terms' text is published (http/https).")
    published_at: datetime = strawberry.field(description="When this version was published.")

    @classmethod
    def from_model(cls, model: models.ProgramTerms) -> ProgramTerms:
        return cls(
            db_id=model.id,
            program=model.program,
            version=model.version,
            url=model.url,
            published_at=model.published_at,
        )


async def load_terms(info: Info[Context, None], terms_id: int | None) -> ProgramTerms | None:
    """A version of a program's terms by its key (null for none)."""
    if terms_id is None:
        return None
    found = await info.context.loaders.program_terms.load(terms_id)
    return ProgramTerms.from_model(found) if found is not None else None


async def load_current_terms(info: Info[Context, None], program: models.Program) -> ProgramTerms:
    """The program's current terms."""
    found = await info.context.loaders.current_program_terms.load(program)
    if found is None:  # the migration records version 1 of every program
        raise LookupError(f"no terms are recorded for {program}")
    return ProgramTerms.from_model(found)


@strawberry.type(
    description="An account's enrolment in a program. The account's owner and staff see it."
)
class Enrolment(Node):
    program: Program = strawberry.field(  # type: ignore[valid-type]
        description="The program enrolled in."
    )
    enrolled_at: datetime = strawberry.field(description="When the application was approved.")
    suspension_reasons: list[str] = strawberry.field(
        description="Why monetization is suspended now (a ban, a restriction, the political "
        "flag, an account type or visibility the program does not take); empty when active."
    )
    paused_at: datetime | None = strawberry.field(
        default=None,
        description="When you paused this program's feature (`pauseMonetization`); null "
        "while it is not paused.",
    )
    terms_accepted_at: datetime | None = strawberry.field(
        default=None,
        description="When `acceptedTerms` were accepted (when applying, or with "
        "`acceptProgramTerms`); null if no version was (enrolled before terms were recorded).",
    )
    age_confirmed_at: datetime | None = strawberry.field(
        default=None,
        description="When you last confirmed your age for this program (with the terms); null "
        "if never.",
    )
    terms_id: strawberry.Private[int | None] = None
    owes_terms: strawberry.Private[bool] = False

    @strawberry.field(
        description="Earning now: enrolled, not suspended, the current terms accepted and not "
        "paused."
    )
    def active(self) -> bool:
        return not self.suspension_reasons and not self.owes_terms and self.paused_at is None

    @strawberry.field(
        description="The version of the program's terms you accepted last; null if none was "
        "(enrolled before terms were recorded)."
    )
    async def accepted_terms(self, info: Info[Context, None]) -> ProgramTerms | None:
        return await load_terms(info, self.terms_id)

    @strawberry.field(
        description="The program's current terms while you have not accepted them (a new "
        "version was published): until you accept them (`acceptProgramTerms`) the program's "
        "feature receives no money and, for Series, no Series can be created or published. "
        "Null when your accepted terms are the current ones."
    )
    async def terms_to_accept(self, info: Info[Context, None]) -> ProgramTerms | None:
        return await load_current_terms(info, self.program) if self.owes_terms else None


@strawberry.type(description="An application to a program. The applicant and staff see it.")
class ProgramApplication(Node):
    model: strawberry.Private[models.ProgramApplication]
    program: Program = strawberry.field(  # type: ignore[valid-type]
        description="The program applied to."
    )
    status: ApplicationStatus = strawberry.field(  # type: ignore[valid-type]
        description="PENDING, APPROVED or REJECTED."
    )
    premium_content_url: str | None = strawberry.field(
        description="Series only: the link to premium content sold elsewhere, if given."
    )
    created_at: datetime = strawberry.field(description="When the application was made.")
    decided_at: datetime | None = strawberry.field(
        description="When staff approved or rejected it, or the applicant withdrew it; null "
        "while PENDING."
    )
    rejection_reason: str | None = strawberry.field(
        description="Staff's reason, shown to the applicant; null unless REJECTED."
    )
    terms_accepted_at: datetime | None = strawberry.field(
        description="When the applicant accepted `acceptedTerms` (when applying); null on "
        "applications from before terms were recorded."
    )
    age_confirmed_at: datetime | None = strawberry.field(
        description="When the applicant confirmed their age (when applying); null on "
        "applications from before it was recorded."
    )

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
            terms_accepted_at=model.terms_accepted_at,
            age_confirmed_at=model.age_confirmed_at,
        )

    @strawberry.field(
        description="The version of the program's terms accepted with the application; null on "
        "applications from before terms were recorded. Approval copies it onto the enrolment "
        "(which must then accept newer terms, if any were published since)."
    )
    async def accepted_terms(self, info: Info[Context, None]) -> ProgramTerms | None:
        return await load_terms(info, self.model.terms_id)

    @strawberry.field(description="The applicant.")
    async def account(self, info: Info[Context, None]) -> Account:
        found = await info.context.loaders.account.load(self.model.account_id)
        assert found is not None
        return Account.from_model(found)


@strawberry.type(
    description="Whether an account may join a program, criterion by criterion, and its state "
    "in the program. One per account and program (a stable ID); the account's owner and staff "
    "see it. Audience figures and time change it too, not only mutations."
)
class ProgramEligibility(Node):
    program: Program = strawberry.field(  # type: ignore[valid-type]
        description="The program."
    )
    eligible: bool = strawberry.field(description="Every criterion is met.")
    criteria: list[EligibilityCriterion] = strawberry.field(
        description="Every criterion of the program, in a fixed order."
    )
    expected_eligible_date: date | None = strawberry.field(
        description="When every unmet criterion passes by time alone; null if one will not."
    )
    series_premium_link_allowed: bool = strawberry.field(
        description="Series only: every criterion but followers is met, so an application "
        "with a `premiumContentUrl` (content sold elsewhere) is accepted for review."
    )
    enrolment: Enrolment | None = strawberry.field(
        description="The enrolment, once an application was approved; null before."
    )
    latest_application: ProgramApplication | None = strawberry.field(
        description="The account's newest application to this program; null if none."
    )
    reapply_on: date | None = strawberry.field(
        description="After a rejection: the first day a new application is accepted."
    )

    @strawberry.field(
        description="The program's current terms: an application accepts this version "
        "(`acceptTermsVersion`), read at `url`."
    )
    async def terms(self, info: Info[Context, None]) -> ProgramTerms:
        return await load_current_terms(info, self.program)

    @strawberry.field(
        description="The account qualifies and nothing stands in the way (an enrolment, a "
        "pending application, a rejection's wait): `applyToProgram` accepts an application "
        "that accepts the current `terms`, confirms the age and carries every input in "
        "`requiredInputs`."
    )
    def can_apply(self) -> bool:
        pending = (
            self.latest_application is not None
            and self.latest_application.model.status is models.ApplicationStatus.PENDING
        )
        open_to = self.eligible or self.series_premium_link_allowed
        return open_to and self.enrolment is None and not pending and self.reapply_on is None

    @strawberry.field(
        description="The `applyToProgram` input fields, by name, that an application must "
        "carry besides `program` to be accepted: `premiumContentUrl` when the account "
        "qualifies for Series only through a premium content link (`seriesPremiumLinkAllowed` "
        "and not `eligible`); empty otherwise. Applying without one is refused with the unmet "
        "criterion's CRITERION_NOT_MET."
    )
    def required_inputs(self) -> list[str]:
        if self.series_premium_link_allowed and not self.eligible:
            return [PREMIUM_CONTENT_URL_INPUT]
        return []


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
            db_id=eligibility_key(account.id, program),
            program=program,
            eligible=evaluation.eligible,
            criteria=[EligibilityCriterion.of(r) for r in evaluation.results],
            expected_eligible_date=evaluation.expected_eligible_date,
            series_premium_link_allowed=program is models.Program.SERIES
            and unmet == {eligibility.Criterion.FOLLOWERS},
            enrolment=enrolment_of(ctx, account, enrolled) if enrolled else None,
            latest_application=ProgramApplication.from_model(latest) if latest else None,
            reapply_on=cooldown,
        )

    return await ctx.read(read)


def enrolment_of(ctx: Context, account: AccountModel, enrolment: models.Enrolment) -> Enrolment:
    """The enrolment as the API shows it, with why it is suspended at the request's instant."""
    return Enrolment(
        db_id=enrolment.id,
        program=enrolment.program,
        enrolled_at=enrolment.enrolled_at,
        suspension_reasons=programs.suspension_reasons(
            account, enrolment.program, today=ctx.now.date(), rules=ctx.settings.rules
        ),
        paused_at=enrolment.paused_at,
        terms_accepted_at=enrolment.terms_accepted_at,
        age_confirmed_at=enrolment.age_confirmed_at,
        terms_id=enrolment.terms_id,
        owes_terms=enrolment.terms_outstanding_since is not None,
    )


@strawberry.type(
    description="One program's monetization for an account, as the Creator Next hub shows it: "
    "its state and why, with the enrolment or pending application behind it. One per account "
    "and program (a stable ID); the account's owner and staff see it."
)
class MonetizationOption(Node):
    program: Program = strawberry.field(  # type: ignore[valid-type]
        description="The program."
    )
    feature: str = strawberry.field(
        description="What the program lets you receive (tips, gifts on videos and LIVE, Series "
        "sales, Creator Rewards), as a label."
    )
    state: MonetizationState = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands."
    )
    reasons: list[str] = strawberry.field(
        description="Why it is in this state, as sentences to show (empty when ACTIVE)."
    )
    enrolment: Enrolment | None = strawberry.field(
        description="The enrolment (ACTIVE, PAUSED, TERMS_NOT_ACCEPTED, SUSPENDED); null otherwise."
    )
    pending_application: ProgramApplication | None = strawberry.field(
        description="The application waiting for review (PENDING_APPLICATION); null otherwise."
    )

    @strawberry.field(
        description="`pauseMonetization` would pause it: enrolled and not paused yet."
    )
    def can_pause(self) -> bool:
        return self.enrolment is not None and self.enrolment.paused_at is None

    @strawberry.field(description="`resumeMonetization` would resume it: it is paused.")
    def can_resume(self) -> bool:
        return self.enrolment is not None and self.enrolment.paused_at is not None


def monetization_option_of(
    ctx: Context, account: AccountModel, status: monetization.MonetizationStatus
) -> MonetizationOption:
    return MonetizationOption(
        db_id=eligibility_key(account.id, status.program),
        program=status.program,
        feature=monetization.FEATURES[status.program],
        state=status.state,
        reasons=list(status.reasons),
        enrolment=enrolment_of(ctx, account, status.enrolment) if status.enrolment else None,
        pending_application=ProgramApplication.from_model(status.pending_application)
        if status.pending_application
        else None,
    )


async def load_monetization(
    info: Info[Context, None], account: AccountModel
) -> list[MonetizationOption]:
    """Every program's monetization for `account`, in the Program enum's order."""
    ctx = info.context
    found = await ctx.read(
        lambda s: monetization.overview(s, account, today=ctx.now.date(), rules=ctx.settings.rules)
    )
    return [monetization_option_of(ctx, account, status) for status in found]


async def load_monetization_option(
    info: Info[Context, None], account: AccountModel, program: models.Program
) -> MonetizationOption:
    ctx = info.context
    found = await ctx.read(
        lambda s: monetization.status(
            s, account, program, today=ctx.now.date(), rules=ctx.settings.rules
        )
    )
    return monetization_option_of(ctx, account, found)


@strawberry.type(description="Something that happened to you. Only you see it.")
class Notification(Node):
    model: strawberry.Private[notification_models.Notification]
    kind: NotificationKind = strawberry.field(  # type: ignore[valid-type]
        description="What it is about."
    )
    title: str = strawberry.field(description="A short headline.")
    body: str = strawberry.field(description="The full text.")
    created_at: datetime = strawberry.field(
        description="When it happened (for a batched one, the first event of the batch)."
    )
    updated_at: datetime = strawberry.field(
        description="When it last changed: a batched notification (tips, gifts, Series sales) "
        "changes with each event, is unread again and moves to the top; the list is newest "
        "first by this."
    )
    count: int = strawberry.field(
        description="How many things it tells of: gifts, tips or sales in a batch; 1 otherwise."
    )
    read_at: datetime | None = strawberry.field(
        description="When you marked it read; null while unread."
    )

    @classmethod
    def from_model(cls, model: notification_models.Notification) -> Notification:
        return cls(
            db_id=model.id,
            model=model,
            kind=model.kind,
            title=model.title,
            body=model.body,
            created_at=model.created_at,
            updated_at=model.updated_at,
            count=model.count,
            read_at=model.read_at,
        )

    @strawberry.field(description="The application this is about, if any.")
    def application_id(self) -> strawberry.ID | None:
        pk = self.model.data.get("applicationId")
        return encode_id("ProgramApplication", pk) if isinstance(pk, int) else None

    @strawberry.field(
        description="The program terms this is about (PROGRAM_TERMS_UPDATED: the version to "
        "accept); null for other kinds."
    )
    async def program_terms(self, info: Info[Context, None]) -> ProgramTerms | None:
        pk = self.model.data.get("termsId")
        return await load_terms(info, pk) if isinstance(pk, int) else None


@strawberry.type(description="Your notifications, newest first.")
class NotificationConnection(Connection[Notification]):
    unread: strawberry.Private[int]

    @strawberry.field(description="How many of all your notifications are unread.")
    def unread_count(self) -> int:
        return self.unread


@strawberry.type(
    description="Creator Rewards for one UTC day: a value of the `rewards` report, without an "
    "ID (the day and account that asked for it identify it)."
)
class RewardsDay:
    date: date = strawberry.field(description="The UTC day.")
    qualified_views: int = strawberry.field(
        description="Views that day of original public videos longer than a minute."
    )
    estimated: Money = strawberry.field(description="What those views earn at today's rate.")
    credited: Money | None = strawberry.field(
        description="What was credited to your earnings; null until the daily job ran."
    )
    suspended: bool = strawberry.field(
        description="Monetization was stopped when the day was settled (suspended, paused, or "
        "the program's current terms not accepted): it earned nothing."
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


async def _own_account(info: Info[Context, None], account_id: int) -> AccountModel | None:
    """The account, if the viewer is it or staff (as on `Account.enrolments`)."""
    viewer = await info.context.viewer()
    if viewer is None or (viewer.id != account_id and not viewer.is_staff):
        return None
    return await info.context.loaders.account.load(account_id)  # type: ignore[no-any-return]


async def enrolment_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for Enrolment: the account's owner and staff."""
    found = await info.context.read(lambda s: s.get(models.Enrolment, pk))
    if found is None:
        return None
    account = await _own_account(info, found.account_id)
    return enrolment_of(info.context, account, found) if account is not None else None


async def eligibility_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for ProgramEligibility: the account's owner and staff."""
    key = eligibility_of_key(pk)
    if key is None:
        return None
    account = await _own_account(info, key[0])
    return await load_eligibility(info, account, key[1]) if account is not None else None


async def monetization_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for MonetizationOption: the account's owner and staff."""
    key = eligibility_of_key(pk)
    if key is None:
        return None
    account = await _own_account(info, key[0])
    return await load_monetization_option(info, account, key[1]) if account is not None else None


async def program_terms_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for ProgramTerms: anyone."""
    return await load_terms(info, pk)
