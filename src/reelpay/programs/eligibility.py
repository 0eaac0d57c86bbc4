"""Who may join which monetization program, explained criterion by criterion. Pure: no I/O.

`evaluate(program, facts, now, rules)` returns every criterion of the program with whether it
is met, the account's current value, the required value, a sentence a person can read and,
where time alone changes the answer, when: `expected_pass_date` for an unmet criterion that a
birthday, the account's age, today's views entering the window or a flag of a video as
unoriginal leaving its window will fix, `expected_lapse_date`
for a met window criterion that views or posts leaving the window will undo if nothing new
comes in.

`suspension_reasons` is the part of the rules that follows an enrolled account: an age below
the one the account's country asks for, a ban, a restriction, the political flag, or a switch to
an account type or visibility the program does not take suspends monetization until the fact is
restored; falling audience figures do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from reelpay.accounts.validation import age_on
from reelpay.content.audience import views_window
from reelpay.enums import AccountType, Standing, Visibility
from reelpay.programs.models import Program
from reelpay.settings import Rules


class Criterion(StrEnum):
    AGE = "AGE"
    ACCOUNT_TYPE = "ACCOUNT_TYPE"
    ACCOUNT_AGE = "ACCOUNT_AGE"
    PUBLIC_ACCOUNT = "PUBLIC_ACCOUNT"
    NOT_POLITICAL = "NOT_POLITICAL"
    PUBLIC_POSTS = "PUBLIC_POSTS"
    FOLLOWERS = "FOLLOWERS"
    VIEWS = "VIEWS"
    STANDING = "STANDING"
    ORIGINAL_CONTENT = "ORIGINAL_CONTENT"


# domain.md's table, plus NOT_POLITICAL for every program: the issue suspends every enrolment
# of a political account, so letting one join programs it could never earn from would be a trap
# (TikTok, too, keeps government and political accounts out of all monetization). Series also
# asks for original content (ORIGINAL_CONTENT, an entry criterion only: a flag raised after
# enrolment does not suspend it; the flagged video's views stop earning Creator Rewards).
REQUIREMENTS: dict[Program, tuple[Criterion, ...]] = {
    Program.CREATOR_REWARDS: (
        Criterion.AGE, Criterion.ACCOUNT_TYPE, Criterion.NOT_POLITICAL, Criterion.FOLLOWERS,
        Criterion.VIEWS, Criterion.STANDING,
    ),
    Program.SERIES: (
        Criterion.AGE, Criterion.ACCOUNT_AGE, Criterion.PUBLIC_ACCOUNT, Criterion.NOT_POLITICAL,
        Criterion.PUBLIC_POSTS, Criterion.FOLLOWERS, Criterion.VIEWS, Criterion.STANDING,
        Criterion.ORIGINAL_CONTENT,
    ),
    Program.TIPS: (
        Criterion.AGE, Criterion.ACCOUNT_TYPE, Criterion.NOT_POLITICAL, Criterion.FOLLOWERS,
        Criterion.STANDING,
    ),
    Program.LIVE_GIFTS: (
        Criterion.AGE, Criterion.NOT_POLITICAL, Criterion.FOLLOWERS, Criterion.STANDING,
    ),
    Program.CREATOR_MARKETPLACE: (
        Criterion.AGE, Criterion.ACCOUNT_TYPE, Criterion.NOT_POLITICAL, Criterion.FOLLOWERS,
        Criterion.STANDING,
    ),
}  # fmt: skip

PROGRAM_NAMES = {
    Program.CREATOR_REWARDS: "Creator Rewards",
    Program.SERIES: "Series",
    Program.TIPS: "Tips",
    Program.LIVE_GIFTS: "LIVE gifts",
    Program.CREATOR_MARKETPLACE: "Creator Marketplace",
}


@dataclass(frozen=True)
class OriginalityFlag:
    """A staff flag of one of the account's videos as unoriginal that was not cleared."""

    video_title: str
    flagged_at: datetime
    reason: str


@dataclass(frozen=True)
class Facts:
    """What the rules look at, read at one instant."""

    birth_date: date
    country: str
    account_type: AccountType
    visibility: Visibility
    is_political: bool
    standing: Standing
    created_at: datetime
    followers: int
    # Authentic views per UTC day (never the owner's, one per viewer, video and day), from 30
    # days before today up to today (today's enter tomorrow).
    daily_views: Mapping[date, int] = field(default_factory=dict)
    # When each public, live video published in the last 30 days went up.
    public_post_times: Sequence[datetime] = ()
    # Standing flags of the account's videos (deleted ones included) raised in the last 30 days.
    originality_flags: Sequence[OriginalityFlag] = ()


@dataclass(frozen=True)
class Result:
    criterion: Criterion
    met: bool
    current: str
    required: str
    message: str
    expected_pass_date: date | None = None
    expected_lapse_date: date | None = None


@dataclass(frozen=True)
class Evaluation:
    program: Program
    results: tuple[Result, ...]

    @property
    def eligible(self) -> bool:
        return all(r.met for r in self.results)

    @property
    def unmet(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.met)

    @property
    def expected_eligible_date(self) -> date | None:
        """When every unmet criterion passes by time alone; None if one will not."""
        if self.eligible:
            return None
        dates = [r.expected_pass_date for r in self.unmet]
        return None if any(d is None for d in dates) else max(d for d in dates if d)


def min_age(program: Program, country: str, rules: Rules) -> int:
    if program is Program.SERIES and country == "KR":
        return rules.series_min_age_kr
    return rules.program_min_age


def min_followers(program: Program, rules: Rules) -> int:
    return {
        Program.CREATOR_REWARDS: rules.rewards_min_followers,
        Program.SERIES: rules.series_min_followers,
        Program.TIPS: rules.tips_min_followers,
        Program.LIVE_GIFTS: rules.live_gifts_min_followers,
        Program.CREATOR_MARKETPLACE: rules.marketplace_min_followers,
    }[program]


def min_views(program: Program, rules: Rules) -> int:
    return rules.series_min_views if program is Program.SERIES else rules.rewards_min_views


def birthday(birth_date: date, years: int) -> date:
    """The day someone turns `years` (29 February birthdays fall on 1 March)."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return date(birth_date.year + years, 3, 1)


def views_in_window(daily_views: Mapping[date, int], today: date, rules: Rules) -> int:
    start, end = views_window(today, rules.views_window_days)
    return sum(n for day, n in daily_views.items() if start <= day <= end)


def evaluate(program: Program, facts: Facts, now: datetime, rules: Rules) -> Evaluation:
    """Every criterion of `program` for an account with `facts`, at `now`."""
    check = {
        Criterion.AGE: _age,
        Criterion.ACCOUNT_TYPE: _account_type,
        Criterion.ACCOUNT_AGE: _account_age,
        Criterion.PUBLIC_ACCOUNT: _public,
        Criterion.NOT_POLITICAL: _not_political,
        Criterion.PUBLIC_POSTS: _posts,
        Criterion.FOLLOWERS: _followers,
        Criterion.VIEWS: _views,
        Criterion.STANDING: _standing,
        Criterion.ORIGINAL_CONTENT: _original_content,
    }
    return Evaluation(
        program, tuple(check[c](program, facts, now, rules) for c in REQUIREMENTS[program])
    )


def _age(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    required = min_age(program, facts.country, rules)
    age = age_on(facts.birth_date, now.date())
    where = " in South Korea" if required != rules.program_min_age else ""
    if age >= required:
        return Result(Criterion.AGE, True, str(age), str(required), f"You are {required} or older.")
    return Result(
        Criterion.AGE, False, str(age), str(required),
        f"You must be {required} or older{where}.",
        expected_pass_date=birthday(facts.birth_date, required),
    )  # fmt: skip


def _account_type(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    personal = facts.account_type is AccountType.PERSONAL
    name = PROGRAM_NAMES[program]
    return Result(
        Criterion.ACCOUNT_TYPE, personal, facts.account_type.value, AccountType.PERSONAL.value,
        f"{name} is for personal accounts."
        + ("" if personal else " Switch to a personal account to join."),
    )  # fmt: skip


def _account_age(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    days = (now.date() - facts.created_at.date()).days
    minimum = rules.series_min_account_age_days
    if days > minimum:
        return Result(
            Criterion.ACCOUNT_AGE, True, str(days), str(minimum + 1),
            f"Your account is older than {minimum} days.",
        )  # fmt: skip
    return Result(
        Criterion.ACCOUNT_AGE, False, str(days), str(minimum + 1),
        f"Your account must be older than {minimum} days (it is {days} days old).",
        expected_pass_date=facts.created_at.date() + timedelta(days=minimum + 1),
    )  # fmt: skip


def _public(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    public = facts.visibility is Visibility.PUBLIC
    return Result(
        Criterion.PUBLIC_ACCOUNT, public, facts.visibility.value, Visibility.PUBLIC.value,
        "Your account is public." if public else "Your account must be public.",
    )  # fmt: skip


def _not_political(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    return Result(
        Criterion.NOT_POLITICAL, not facts.is_political,
        "POLITICAL" if facts.is_political else "NOT_POLITICAL", "NOT_POLITICAL",
        "Government and political accounts cannot join."
        if facts.is_political else "Your account is not a political account.",
    )  # fmt: skip


def _standing(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    good = facts.standing is Standing.GOOD
    return Result(
        Criterion.STANDING, good, facts.standing.value, Standing.GOOD.value,
        "Your account is in good standing."
        if good else "Your account must be in good standing (no community-guideline strikes).",
    )  # fmt: skip


def _followers(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    required = min_followers(program, rules)
    met = facts.followers >= required
    message = (
        f"You have at least {required:,} followers."
        if met
        else f"You need at least {required:,} followers; you have {facts.followers:,}."
    )
    return Result(Criterion.FOLLOWERS, met, str(facts.followers), str(required), message)


def _views(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    required = min_views(program, rules)
    today = now.date()
    current = views_in_window(facts.daily_views, today, rules)
    days = rules.views_window_days
    if current >= required:
        lapse = None
        for ahead in range(1, days + 2):  # with no new views, when does the window run dry?
            if views_in_window(facts.daily_views, today + timedelta(days=ahead), rules) < required:
                lapse = today + timedelta(days=ahead)
                break
        return Result(
            Criterion.VIEWS, True, str(current), str(required),
            f"Your videos had at least {required:,} views in the last {days} days.",
            expected_lapse_date=lapse,
        )  # fmt: skip
    # Today's views enter the window tomorrow; after that, views only leave it.
    tomorrow = today + timedelta(days=1)
    passes = views_in_window(facts.daily_views, tomorrow, rules) >= required
    return Result(
        Criterion.VIEWS, False, str(current), str(required),
        f"Your videos need {required:,} views in the last {days} days; they have {current:,}.",
        expected_pass_date=tomorrow if passes else None,
    )  # fmt: skip


def _posts(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    required = rules.series_min_public_posts
    window = timedelta(days=rules.posts_window_days)
    times = sorted(t for t in facts.public_post_times if now - window < t <= now)
    current = len(times)
    days = rules.posts_window_days
    if current >= required:
        # The oldest post that keeps the count up leaves the window 30 days after it went up.
        lapse = (times[current - required] + window).date()
        return Result(
            Criterion.PUBLIC_POSTS, True, str(current), str(required),
            f"You posted at least {required} public videos in the last {days} days.",
            expected_lapse_date=lapse,
        )  # fmt: skip
    return Result(
        Criterion.PUBLIC_POSTS, False, str(current), str(required),
        f"Post at least {required} public videos in {days} days; you posted {current}.",
    )  # fmt: skip


def _original_content(program: Program, facts: Facts, now: datetime, rules: Rules) -> Result:
    # The window is the posts window's: a flag raised exactly `days` ago is out of it.
    days = rules.originality_window_days
    window = timedelta(days=days)
    flags = sorted(
        (f for f in facts.originality_flags if now - window < f.flagged_at <= now),
        key=lambda f: f.flagged_at,
    )
    if not flags:
        return Result(
            Criterion.ORIGINAL_CONTENT, True, "0", "0",
            f"No video of yours was flagged as unoriginal in the last {days} days.",
        )  # fmt: skip
    newest = flags[-1]
    reason = newest.reason if newest.reason.endswith((".", "!", "?")) else f"{newest.reason}."
    others = len(flags) - 1
    also = ""
    if others:
        also = " Another flag also stands." if others == 1 else f" {others} other flags also stand."
    # Time alone fixes it: the newest standing flag leaves the window `days` after it was raised.
    passes = (newest.flagged_at + window).date()
    return Result(
        Criterion.ORIGINAL_CONTENT, False, str(len(flags)), "0",
        f'Your video "{newest.video_title}" was flagged as unoriginal on '
        f"{newest.flagged_at.date().isoformat()}: {reason}{also} Series needs original "
        f"content: no video flagged unoriginal in the last {days} days.",
        expected_pass_date=passes,
    )  # fmt: skip


def suspension_reasons(
    program: Program,
    *,
    birth_date: date,
    country: str,
    account_type: AccountType,
    visibility: Visibility,
    is_political: bool,
    standing: Standing,
    today: date,
    rules: Rules,
) -> list[str]:
    """Why an enrolled account may not earn from `program` on `today` (empty: it may).

    Every criterion whose input can change after enrolment: the age the account's country asks
    for (an 18-year-old earning from Series who moves to KR waits for their 19th birthday),
    standing, the political flag, the account type and visibility. Audience figures (followers,
    views, posts) are not: falling below them does not stop an enrolled creator earning."""
    reasons = []
    required = min_age(program, country, rules)
    if age_on(birth_date, today) < required:
        where = " in South Korea" if required != rules.program_min_age else ""
        reasons.append(
            f"{PROGRAM_NAMES[program]} needs you to be {required} or older{where} (until "
            f"{birthday(birth_date, required).isoformat()})."
        )
    if standing in (Standing.BANNED, Standing.RESTRICTED):
        reasons.append(f"The account is {standing.value.lower()}.")
    if is_political:
        reasons.append("Government and political accounts cannot be monetized.")
    if Criterion.ACCOUNT_TYPE in REQUIREMENTS[program] and account_type is not AccountType.PERSONAL:
        reasons.append(f"{PROGRAM_NAMES[program]} is for personal accounts.")
    if Criterion.PUBLIC_ACCOUNT in REQUIREMENTS[program] and visibility is not Visibility.PUBLIC:
        reasons.append(f"{PROGRAM_NAMES[program]} needs a public account.")
    return reasons
