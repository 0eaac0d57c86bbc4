"""Eligibility for the monetization programs: the pure rules as tables at every boundary, then
the `eligibility` query and the account-type switch's program changes through the API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelpay.enums import AccountType, Standing, Visibility
from reelpay.graphql.relay import encode_id
from reelpay.programs.eligibility import (
    Criterion,
    Facts,
    Result,
    birthday,
    evaluate,
    suspension_reasons,
    views_in_window,
)
from reelpay.programs.models import Program
from reelpay.settings import Rules
from tests.factories import (
    User,
    add_followers,
    add_views,
    apply_input,
    enrol,
    make_staff,
    publish,
    set_account,
    set_standing,
    sign_up,
)

RULES = Rules()
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
D = date  # short, for tables of days

REWARDS, SERIES, TIPS, LIVE, MARKET = (
    Program.CREATOR_REWARDS,
    Program.SERIES,
    Program.TIPS,
    Program.LIVE_GIFTS,
    Program.CREATOR_MARKETPLACE,
)
ALL = list(Program)
NEEDS_PERSONAL = [REWARDS, TIPS, MARKET]
FOLLOWERS_NEEDED = {REWARDS: 10_000, SERIES: 10_000, TIPS: 100_000, LIVE: 1_000, MARKET: 10_000}
NAMES = {
    REWARDS: "Creator Rewards",
    SERIES: "Series",
    TIPS: "Tips",
    LIVE: "LIVE gifts",
    MARKET: "Creator Marketplace",
}


def facts(**changes: Any) -> Facts:
    """An adult, public, personal account in good standing that meets every program's rules."""
    base = Facts(
        birth_date=D(1995, 5, 5),
        country="US",
        account_type=AccountType.PERSONAL,
        visibility=Visibility.PUBLIC,
        is_political=False,
        standing=Standing.GOOD,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        followers=100_000,
        daily_views={D(2026, 6, 1): 100_000},
        public_post_times=tuple(NOW - timedelta(days=n) for n in (1, 2, 3)),
    )
    return dataclasses.replace(base, **changes)


def result(program: Program, criterion: Criterion, f: Facts, now: datetime = NOW) -> Result:
    (found,) = [r for r in evaluate(program, f, now, RULES).results if r.criterion is criterion]
    return found


def unmet(program: Program, f: Facts) -> list[tuple[Criterion, str, str, str]]:
    return [
        (r.criterion, r.current, r.required, r.message)
        for r in evaluate(program, f, NOW, RULES).unmet
    ]


# --- the pure rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "criteria"),
    [
        (REWARDS, ["AGE", "ACCOUNT_TYPE", "NOT_POLITICAL", "FOLLOWERS", "VIEWS", "STANDING"]),
        (
            SERIES,
            ["AGE", "ACCOUNT_AGE", "PUBLIC_ACCOUNT", "NOT_POLITICAL", "PUBLIC_POSTS",
             "FOLLOWERS", "VIEWS", "STANDING", "ORIGINAL_CONTENT"],
        ),
        (TIPS, ["AGE", "ACCOUNT_TYPE", "NOT_POLITICAL", "FOLLOWERS", "STANDING"]),
        (LIVE, ["AGE", "NOT_POLITICAL", "FOLLOWERS", "STANDING"]),
        (MARKET, ["AGE", "ACCOUNT_TYPE", "NOT_POLITICAL", "FOLLOWERS", "STANDING"]),
    ],
)  # fmt: skip
def test_an_account_meeting_everything_is_eligible_with_every_criterion_listed(program, criteria):
    evaluation = evaluate(program, facts(), NOW, RULES)

    assert [r.criterion.value for r in evaluation.results] == criteria
    assert evaluation.eligible and evaluation.unmet == ()
    assert evaluation.expected_eligible_date is None
    assert all(r.expected_pass_date is None for r in evaluation.results)


def _age_rows() -> list[Any]:
    rows = []
    for p in ALL:
        rows += [
            (p, "US", D(2008, 6, 16), NOW, "17", "18", D(2026, 6, 16), "You must be 18 or older."),
            (p, "US", D(2008, 6, 15), NOW, "18", "18", None, "You are 18 or older."),
            (p, "US", D(2008, 2, 29), datetime(2026, 2, 28, 23, 59, tzinfo=UTC), "17", "18",
             D(2026, 3, 1), "You must be 18 or older."),
            (p, "US", D(2008, 2, 29), datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "18", "18", None,
             "You are 18 or older."),
        ]  # fmt: skip
    for p in [REWARDS, TIPS, LIVE, MARKET]:  # an 18-year-old in KR passes all but Series
        rows.append((p, "KR", D(2008, 6, 15), NOW, "18", "18", None, "You are 18 or older."))
        rows.append(
            (p, "KR", D(2008, 6, 16), NOW, "17", "18", D(2026, 6, 16), "You must be 18 or older.")
        )
    kr = "You must be 19 or older in South Korea."
    rows += [
        (SERIES, "KR", D(2008, 6, 15), NOW, "18", "19", D(2027, 6, 15), kr),
        (SERIES, "KR", D(2007, 6, 16), NOW, "18", "19", D(2026, 6, 16), kr),
        (SERIES, "KR", D(2007, 6, 15), NOW, "19", "19", None, "You are 19 or older."),
        (SERIES, "KR", D(2008, 2, 29), datetime(2027, 2, 28, 12, tzinfo=UTC), "18", "19",
         D(2027, 3, 1), kr),
        (SERIES, "KR", D(2008, 2, 29), datetime(2027, 3, 1, 12, tzinfo=UTC), "19", "19", None,
         "You are 19 or older."),
    ]  # fmt: skip
    return rows


@pytest.mark.parametrize(
    ("program", "country", "born", "now", "current", "required", "passes_on", "message"),
    _age_rows(),
)
def test_age_boundary_at_the_18th_and_korean_19th_birthday(
    program, country, born, now, current, required, passes_on, message
):
    r = result(program, Criterion.AGE, facts(birth_date=born, country=country), now)

    assert (r.met, r.current, r.required, r.message) == (
        passes_on is None, current, required, message
    )  # fmt: skip
    assert (r.expected_pass_date, r.expected_lapse_date) == (passes_on, None)


@pytest.mark.parametrize(
    ("born", "years", "day"),
    [
        (D(2008, 6, 15), 18, D(2026, 6, 15)),
        (D(2008, 2, 29), 18, D(2026, 3, 1)),
        (D(2008, 2, 29), 19, D(2027, 3, 1)),
        (D(2008, 2, 29), 16, D(2024, 2, 29)),  # a leap year keeps the day
        (D(2007, 12, 31), 19, D(2026, 12, 31)),
    ],
)
def test_birthday(born, years, day):
    assert birthday(born, years) == day


@pytest.mark.parametrize(
    ("program", "followers", "met"),
    [(p, n - 1, False) for p, n in FOLLOWERS_NEEDED.items()]
    + [(p, n, True) for p, n in FOLLOWERS_NEEDED.items()],
)
def test_followers_boundary_per_program(program, followers, met):
    needed = FOLLOWERS_NEEDED[program]

    r = result(program, Criterion.FOLLOWERS, facts(followers=followers))

    message = (
        f"You have at least {needed:,} followers."
        if met
        else f"You need at least {needed:,} followers; you have {followers:,}."
    )
    assert (r.met, r.current, r.required, r.message) == (met, str(followers), str(needed), message)
    assert (r.expected_pass_date, r.expected_lapse_date) == (None, None)
    assert evaluate(program, facts(followers=followers), NOW, RULES).eligible is met


# Views per day at NOW = 2026-06-15 12:00: the window is 2026-05-16 .. 2026-06-14.
# (views by day as multiples of the threshold N plus an offset, current, passes on, lapses on)
VIEW_CASES = [
    ({D(2026, 6, 14): (1, -1)}, (1, -1), None, None),
    ({D(2026, 6, 14): (1, 0)}, (1, 0), None, D(2026, 7, 15)),
    # 30 days old counts (and leaves tomorrow); 31 days old does not
    ({D(2026, 5, 16): (1, 0)}, (1, 0), None, D(2026, 6, 16)),
    ({D(2026, 5, 15): (1, 0)}, (0, 0), None, None),
    ({D(2026, 6, 15): (1, 0)}, (0, 0), D(2026, 6, 16), None),  # today's views count tomorrow
    ({D(2026, 6, 14): (1, -1), D(2026, 6, 15): (0, 1)}, (1, -1), D(2026, 6, 16), None),
    # one view enters tomorrow as 999 leave
    ({D(2026, 5, 16): (1, -1), D(2026, 6, 15): (0, 1)}, (1, -1), None, None),
    ({D(2026, 5, 20): (1, -1), D(2026, 6, 1): (0, 1)}, (1, 0), None, D(2026, 6, 20)),
    ({D(2026, 5, 16): (0, 1), D(2026, 6, 1): (1, 0)}, (1, 1), None, D(2026, 7, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("program", "needed"), [(SERIES, 1_000), (REWARDS, 100_000)])
@pytest.mark.parametrize(("views", "current", "passes_on", "lapses_on"), VIEW_CASES)
def test_views_in_the_last_30_complete_days(program, needed, views, current, passes_on, lapses_on):
    daily = {day: needed * k + off for day, (k, off) in views.items()}
    total = needed * current[0] + current[1]
    met = total >= needed

    r = result(program, Criterion.VIEWS, facts(daily_views=daily))

    message = (
        f"Your videos had at least {needed:,} views in the last 30 days."
        if met
        else f"Your videos need {needed:,} views in the last 30 days; they have {total:,}."
    )
    assert (r.met, r.current, r.required, r.message) == (met, str(total), str(needed), message)
    assert (r.expected_pass_date, r.expected_lapse_date) == (passes_on, lapses_on)


def test_views_in_window_counts_the_30_days_before_today():
    daily = {
        D(2026, 5, 14): 1,
        D(2026, 5, 15): 10,
        D(2026, 5, 16): 100,
        D(2026, 6, 1): 1_000,
        D(2026, 6, 14): 10_000,
        D(2026, 6, 15): 100_000,
        D(2026, 6, 16): 1_000_000,
    }

    assert views_in_window(daily, D(2026, 6, 15), RULES) == 11_100
    assert views_in_window(daily, D(2026, 6, 16), RULES) == 111_000
    assert views_in_window({}, D(2026, 6, 15), RULES) == 0


def ago(days: float = 0, seconds: int = 0) -> datetime:
    return NOW - timedelta(days=days, seconds=seconds)


@pytest.mark.parametrize(
    ("posts", "current", "lapses_on"),
    [
        ([ago(1), ago(2)], 2, None),
        ([ago(1), ago(2), ago(29)], 3, D(2026, 6, 16)),
        ([ago(1), ago(2), ago(30)], 2, None),  # exactly 30 days old at the same instant: out
        ([ago(1), ago(2), ago(30, -1)], 3, D(2026, 6, 15)),  # one second younger: in, for now
        ([ago(1), ago(10), ago(20), ago(29)], 4, D(2026, 6, 25)),
        ([ago(0)] * 3, 3, D(2026, 7, 15)),
        ([ago(1), ago(2), NOW + timedelta(hours=1)], 2, None),
        ([], 0, None),
    ],
)
def test_public_posts_in_the_last_30_times_24_hours(posts, current, lapses_on):
    r = result(SERIES, Criterion.PUBLIC_POSTS, facts(public_post_times=posts))

    met = current >= 3
    message = (
        "You posted at least 3 public videos in the last 30 days."
        if met
        else f"Post at least 3 public videos in 30 days; you posted {current}."
    )
    assert (r.met, r.current, r.required, r.message) == (met, str(current), "3", message)
    assert (r.expected_pass_date, r.expected_lapse_date) == (None, lapses_on)


@pytest.mark.parametrize(
    ("created_at", "days", "passes_on"),
    [
        (ago(30), 30, D(2026, 6, 16)),
        (ago(31), 31, None),
        (datetime(2026, 5, 16, 23, 59, 59, tzinfo=UTC), 30, D(2026, 6, 16)),
        (datetime(2026, 5, 15, 0, 0, tzinfo=UTC), 31, None),
        (NOW, 0, D(2026, 7, 16)),
    ],
)
def test_series_account_must_be_older_than_30_days(created_at, days, passes_on):
    r = result(SERIES, Criterion.ACCOUNT_AGE, facts(created_at=created_at))

    message = (
        f"Your account must be older than 30 days (it is {days} days old)."
        if passes_on
        else "Your account is older than 30 days."
    )
    assert (r.met, r.current, r.required, r.message) == (
        passes_on is None,
        str(days),
        "31",
        message,
    )
    assert (r.expected_pass_date, r.expected_lapse_date) == (passes_on, None)


BANNED_MSG = "Your account must be in good standing (no community-guideline strikes)."


def _account_rows() -> list[Any]:
    rows = []
    for p in ALL:
        business = (
            [(Criterion.ACCOUNT_TYPE, "BUSINESS", "PERSONAL",
              f"{NAMES[p]} is for personal accounts. Switch to a personal account to join.")]
            if p in NEEDS_PERSONAL else []
        )  # fmt: skip
        private = (
            [(Criterion.PUBLIC_ACCOUNT, "PRIVATE", "PUBLIC", "Your account must be public.")]
            if p is SERIES
            else []
        )
        political = [(Criterion.NOT_POLITICAL, "POLITICAL", "NOT_POLITICAL",
                      "Government and political accounts cannot join.")]  # fmt: skip
        rows += [
            (p, {"account_type": AccountType.BUSINESS}, business),
            (p, {"visibility": Visibility.PRIVATE}, private),
            (p, {"is_political": True}, political),
            *[(p, {"standing": Standing(s)}, [(Criterion.STANDING, s, "GOOD", BANNED_MSG)])
              for s in ("WARNED", "RESTRICTED", "BANNED")],
        ]  # fmt: skip
    return rows


@pytest.mark.parametrize(("program", "changes", "expected"), _account_rows())
def test_account_type_visibility_political_flag_and_standing(program, changes, expected):
    f = facts(**changes)
    evaluation = evaluate(program, f, NOW, RULES)

    assert unmet(program, f) == expected
    assert evaluation.eligible is (expected == [])
    assert evaluation.expected_eligible_date is None  # time alone fixes none of these


def test_met_messages_for_account_criteria():
    series = {r.criterion: r for r in evaluate(SERIES, facts(), NOW, RULES).results}
    tips = {r.criterion: r for r in evaluate(TIPS, facts(), NOW, RULES).results}

    assert (tips[Criterion.ACCOUNT_TYPE].current, tips[Criterion.ACCOUNT_TYPE].message) == (
        "PERSONAL", "Tips is for personal accounts."
    )  # fmt: skip
    assert series[Criterion.PUBLIC_ACCOUNT].message == "Your account is public."
    assert series[Criterion.NOT_POLITICAL].current == "NOT_POLITICAL"
    assert series[Criterion.NOT_POLITICAL].message == "Your account is not a political account."
    assert (series[Criterion.STANDING].current, series[Criterion.STANDING].message) == (
        "GOOD", "Your account is in good standing."
    )  # fmt: skip


TEEN = D(2008, 7, 1)  # turns 18 on 2026-07-01
NEW = NOW - timedelta(days=10)  # account age passes on 2026-07-06


@pytest.mark.parametrize(
    ("program", "changes", "expected"),
    [
        (SERIES, {}, None),
        (SERIES, {"birth_date": TEEN}, D(2026, 7, 1)),
        (SERIES, {"created_at": NEW}, D(2026, 7, 6)),
        (SERIES, {"birth_date": TEEN, "created_at": NEW}, D(2026, 7, 6)),
        (SERIES, {"daily_views": {D(2026, 6, 15): 1_000}}, D(2026, 6, 16)),
        (SERIES, {"birth_date": TEEN, "daily_views": {D(2026, 6, 15): 1_000}}, D(2026, 7, 1)),
        (SERIES, {"daily_views": {D(2026, 6, 14): 999}}, None),
        (SERIES, {"birth_date": TEEN, "followers": 9_999}, None),
        (SERIES, {"created_at": NEW, "public_post_times": [ago(1), ago(2)]}, None),
        (SERIES, {"birth_date": TEEN, "visibility": Visibility.PRIVATE}, None),
        (SERIES, {"birth_date": TEEN, "standing": Standing.BANNED}, None),
        (LIVE, {"birth_date": TEEN}, D(2026, 7, 1)),
        (TIPS, {"birth_date": TEEN, "account_type": AccountType.BUSINESS}, None),
        (REWARDS, {"birth_date": TEEN, "daily_views": {D(2026, 6, 15): 100_000}}, D(2026, 7, 1)),
    ],
)
def test_expected_eligible_date_is_the_last_pass_date_or_none(program, changes, expected):
    assert evaluate(program, facts(**changes), NOW, RULES).expected_eligible_date == expected


# 18 on NOW's day (2026-06-15), 19 on 2027-06-15; a day short of 18 on NOW.
EIGHTEEN, NOT_YET_18 = D(2008, 6, 15), D(2008, 6, 16)
KR_SERIES_AGE = "Series needs you to be 19 or older in South Korea (until 2027-06-15)."


def _suspension_rows() -> list[Any]:
    good = {
        "account_type": "PERSONAL", "visibility": "PUBLIC", "is_political": False,
        "birth_date": D(1995, 5, 5), "country": "US",
    }  # fmt: skip
    rows = []
    for p in ALL:
        rows += [
            (p, {"birth_date": EIGHTEEN}, []),
            (p, {"birth_date": EIGHTEEN, "country": "KR"}, [KR_SERIES_AGE] if p is SERIES else []),
            (p, {"birth_date": D(2007, 6, 15), "country": "KR"}, []),  # 19 that day
            (p, {"birth_date": NOT_YET_18},
             [f"{NAMES[p]} needs you to be 18 or older (until 2026-06-16)."]),
            (p, {"birth_date": NOT_YET_18, "country": "KR", "standing": "BANNED"},
             [(KR_SERIES_AGE.replace("2027-06-15", "2027-06-16") if p is SERIES
               else f"{NAMES[p]} needs you to be 18 or older (until 2026-06-16)."),
              "The account is banned."]),
            (p, {}, []),
            (p, {"standing": "WARNED"}, []),
            (p, {"standing": "RESTRICTED"}, ["The account is restricted."]),
            (p, {"standing": "BANNED"}, ["The account is banned."]),
            (p, {"is_political": True}, ["Government and political accounts cannot be monetized."]),
            (p, {"account_type": "BUSINESS"},
             [f"{NAMES[p]} is for personal accounts."] if p in NEEDS_PERSONAL else []),
            (p, {"visibility": "PRIVATE"},
             ["Series needs a public account."] if p is SERIES else []),
            (p, {"standing": "BANNED", "is_political": True, "account_type": "BUSINESS",
                 "visibility": "PRIVATE"},
             ["The account is banned.", "Government and political accounts cannot be monetized."]
             + ([f"{NAMES[p]} is for personal accounts."] if p in NEEDS_PERSONAL else [])
             + (["Series needs a public account."] if p is SERIES else [])),
        ]  # fmt: skip
    return [(p, {**good, "standing": "GOOD", **c}, e) for p, c, e in rows]


@pytest.mark.parametrize(("program", "account", "reasons"), _suspension_rows())
def test_suspension_reasons(program, account, reasons):
    assert (
        suspension_reasons(
            program,
            birth_date=account["birth_date"],
            country=account["country"],
            account_type=AccountType(account["account_type"]),
            visibility=Visibility(account["visibility"]),
            is_political=account["is_political"],
            standing=Standing(account["standing"]),
            today=NOW.date(),
            rules=RULES,
        )
        == reasons
    )


# --- through the API -------------------------------------------------------------------------


@pytest.fixture
def settings(settings):
    # Loading 100,000 followers twice per test is slow; Tips' own, distinct threshold also shows
    # the API reads each program's setting.
    rules = dataclasses.replace(settings.rules, tips_min_followers=12_000)
    return dataclasses.replace(settings, rules=rules)


CRITERIA = "criterion met currentValue requiredValue message expectedPassDate expectedLapseDate"
ELIGIBILITY = (
    f"program eligible expectedEligibleDate seriesPremiumLinkAllowed canApply "
    f"criteria {{ {CRITERIA} }} enrolment {{ program active }} latestApplication {{ status }}"
)
QUERY = (
    "query($p: Program!, $a: ID) { eligibility(program: $p, accountId: $a) { "
    + ELIGIBILITY
    + " } }"
)


async def eligibility(
    api: Any, user: User | None, program: str, account_id: str | None = None
) -> dict[str, Any]:
    variables = {"p": program, "a": account_id}
    data = await api.data(QUERY, variables, token=user.token if user else None)
    return data["eligibility"]


async def refusal(api: Any, user: User | None, program: str, account_id: str | None) -> Any:
    variables = {"p": program, "a": account_id}
    return await api.error(QUERY, variables, token=user.token if user else None)


def crit(name, met, current, required, message, passes=None, lapses=None) -> dict[str, Any]:
    return {
        "criterion": name,
        "met": met,
        "currentValue": current,
        "requiredValue": required,
        "message": message,
        "expectedPassDate": passes,
        "expectedLapseDate": lapses,
    }


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


async def move_clock(api: Any, clock: Any, day: str, *users: User) -> None:
    """Move to noon on `day`; sessions last 30 days, so `users` log in again."""
    clock.set(at(day))
    for user in users:
        login = {"email": user.email, "password": user.password}
        user.token = (await api.mutate("logIn", login, "token"))["token"]


AGE_OK = crit("AGE", True, "31", "18", "You are 18 or older.")
PUBLIC_OK = crit("PUBLIC_ACCOUNT", True, "PUBLIC", "PUBLIC", "Your account is public.")
NOT_POLITICAL_OK = crit(
    "NOT_POLITICAL",
    True,
    "NOT_POLITICAL",
    "NOT_POLITICAL",
    "Your account is not a political account.",
)
STANDING_OK = crit("STANDING", True, "GOOD", "GOOD", "Your account is in good standing.")


async def test_series_checklist_follows_the_account_as_it_grows(api, clean_db, clock):
    maker = await sign_up(api, "maker")  # created 2026-06-15 12:00
    first = await publish(api, maker, "First")
    await add_followers(clean_db, maker, 9_999)
    await add_views(clean_db, first, {D(2026, 6, 16): 999, D(2026, 7, 15): 1})
    await move_clock(api, clock, "2026-07-15", maker)
    await publish(api, maker, "Second")
    await publish(api, maker, "Third")

    day_30 = await eligibility(api, maker, "SERIES")

    assert day_30["criteria"] == [
        AGE_OK,
        crit("ACCOUNT_AGE", False, "30", "31",
             "Your account must be older than 30 days (it is 30 days old).", passes="2026-07-16"),
        PUBLIC_OK,
        NOT_POLITICAL_OK,
        crit("PUBLIC_POSTS", False, "2", "3",  # the first post is exactly 30 days old: out
             "Post at least 3 public videos in 30 days; you posted 2."),
        crit("FOLLOWERS", False, "9999", "10000",
             "You need at least 10,000 followers; you have 9,999."),
        crit("VIEWS", False, "999", "1000",
             "Your videos need 1,000 views in the last 30 days; they have 999.",
             passes="2026-07-16"),
        STANDING_OK,
        crit("ORIGINAL_CONTENT", True, "0", "0",
             "No video of yours was flagged as unoriginal in the last 30 days."),
    ]  # fmt: skip
    assert (day_30["eligible"], day_30["expectedEligibleDate"], day_30["canApply"]) == (
        False, None, False
    )  # fmt: skip
    assert day_30["seriesPremiumLinkAllowed"] is False

    await move_clock(api, clock, "2026-07-16", maker)
    await publish(api, maker, "Fourth")
    day_31 = await eligibility(api, maker, "SERIES")

    assert day_31["criteria"][1] == crit(
        "ACCOUNT_AGE", True, "31", "31", "Your account is older than 30 days."
    )
    assert day_31["criteria"][4] == crit(
        "PUBLIC_POSTS", True, "3", "3",
        "You posted at least 3 public videos in the last 30 days.", lapses="2026-08-14",
    )  # fmt: skip
    assert day_31["criteria"][6] == crit(
        "VIEWS", True, "1000", "1000",
        "Your videos had at least 1,000 views in the last 30 days.", lapses="2026-07-17",
    )  # fmt: skip
    assert [c["criterion"] for c in day_31["criteria"] if not c["met"]] == ["FOLLOWERS"]
    assert (day_31["eligible"], day_31["seriesPremiumLinkAllowed"], day_31["canApply"]) == (
        False, True, True
    )  # fmt: skip

    await add_followers(clean_db, maker, 1)
    enough = await eligibility(api, maker, "SERIES")

    assert enough["criteria"][5] == crit(
        "FOLLOWERS", True, "10000", "10000", "You have at least 10,000 followers."
    )
    assert (enough["eligible"], enough["seriesPremiumLinkAllowed"], enough["canApply"]) == (
        True, False, True
    )  # fmt: skip
    assert enough["expectedEligibleDate"] is None


async def test_only_live_public_videos_count_as_posts_and_views(api, clean_db, clock):
    maker = await sign_up(api, "maker")
    await move_clock(api, clock, "2026-07-20", maker)
    kept = [await publish(api, maker, f"Public {n}") for n in (1, 2)]
    await publish(api, maker, "Private", visibility="PRIVATE")
    gone = await publish(api, maker, "Deleted")
    await add_views(clean_db, kept[0], {D(2026, 7, 19): 600})
    await add_views(clean_db, gone, {D(2026, 7, 19): 400})
    deleted = await api.mutate(
        "deleteVideo", {"videoId": gone}, "deletedVideoId", token=maker.token
    )
    assert deleted["userErrors"] == []

    criteria = {c["criterion"]: c for c in (await eligibility(api, maker, "SERIES"))["criteria"]}

    assert (criteria["PUBLIC_POSTS"]["met"], criteria["PUBLIC_POSTS"]["currentValue"]) == (
        False,
        "2",
    )
    assert (criteria["VIEWS"]["met"], criteria["VIEWS"]["currentValue"]) == (False, "600")


@pytest.mark.parametrize(
    ("country", "born", "program", "met", "current", "required", "passes", "message"),
    [
        ("US", "2008-06-16", "SERIES", False, "17", "18", "2026-06-16", "You must be 18 or older."),
        ("US", "2008-06-15", "SERIES", True, "18", "18", None, "You are 18 or older."),
        ("KR", "2007-06-16", "SERIES", False, "18", "19", "2026-06-16",
         "You must be 19 or older in South Korea."),
        ("KR", "2007-06-15", "SERIES", True, "19", "19", None, "You are 19 or older."),
        ("KR", "2008-06-15", "LIVE_GIFTS", True, "18", "18", None, "You are 18 or older."),
        ("KR", "2008-06-15", "TIPS", True, "18", "18", None, "You are 18 or older."),
    ],
)  # fmt: skip
async def test_age_criterion_through_the_api(
    api, country, born, program, met, current, required, passes, message
):
    user = await sign_up(api, "young", birthDate=born, country=country)

    checklist = await eligibility(api, user, program)

    assert checklist["criteria"][0] == crit("AGE", met, current, required, message, passes)


async def test_expected_eligible_date_when_only_time_is_missing(api, clean_db):
    teen = await sign_up(api, "teen", birthDate="2008-08-01")  # 17 until 2026-08-01
    await add_followers(clean_db, teen, 10_000)
    videos = [await publish(api, teen, f"Clip {n}") for n in (1, 2, 3)]
    await add_views(clean_db, videos[0], {D(2026, 6, 14): 1_000})

    series = await eligibility(api, teen, "SERIES")
    live = await eligibility(api, teen, "LIVE_GIFTS")
    tips = await eligibility(api, teen, "TIPS")

    assert [
        (c["criterion"], c["expectedPassDate"]) for c in series["criteria"] if not c["met"]
    ] == [
        ("AGE", "2026-08-01"),
        ("ACCOUNT_AGE", "2026-07-16"),
    ]
    assert (series["expectedEligibleDate"], series["canApply"]) == ("2026-08-01", False)
    assert series["seriesPremiumLinkAllowed"] is False
    assert (live["expectedEligibleDate"], live["canApply"]) == ("2026-08-01", False)
    assert tips["criteria"][3] == crit(
        "FOLLOWERS", False, "10000", "12000", "You need at least 12,000 followers; you have 10,000."
    )
    assert tips["expectedEligibleDate"] is None


async def everything_creator(api: Any, engine: Any, clock: Any, handle: str = "star") -> User:
    """Eligible for every program on 2026-07-16 (account 31 days old, 12,000 followers, 100,000
    views yesterday, 3 public posts today)."""
    star = await sign_up(api, handle)
    await add_followers(engine, star, 12_000)
    await move_clock(api, clock, "2026-07-16", star)
    videos = [await publish(api, star, f"Clip {n}") for n in (1, 2, 3)]
    await add_views(engine, videos[0], {D(2026, 7, 15): 100_000})
    return star


ALL_NAMES = [p.value for p in Program]


async def change_account(api: Any, engine: Any, user: User, change: str) -> None:
    """Make the account private, political, business or give it a standing."""
    if change == "private":
        await set_account(api, user, visibility="PRIVATE")
    elif change == "political":
        staff = await make_staff(api, engine)
        payload = await api.mutate(
            "setAccountPolitical", {"accountId": user.id, "isPolitical": True}, "account { id }",
            token=staff.token,
        )  # fmt: skip
        assert payload["userErrors"] == []
    elif change == "business":
        payload = await api.mutate(
            "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=user.token
        )
        assert payload["userErrors"] == []
    elif change != "good":
        await set_standing(engine, user, change.upper())


@pytest.mark.parametrize(
    ("change", "ineligible", "unmet_criterion"),
    [
        ("good", [], None),
        ("private", ["SERIES"], "PUBLIC_ACCOUNT"),
        ("political", ALL_NAMES, "NOT_POLITICAL"),  # no program takes political accounts
        ("business", ["CREATOR_REWARDS", "TIPS", "CREATOR_MARKETPLACE"], "ACCOUNT_TYPE"),
        ("warned", ALL_NAMES, "STANDING"),  # joining needs GOOD
        ("restricted", ALL_NAMES, "STANDING"),
        ("banned", ALL_NAMES, "STANDING"),
    ],
)
async def test_account_conditions_per_program_through_the_api(
    api, clean_db, clock, change, ineligible, unmet_criterion
):
    star = await everything_creator(api, clean_db, clock)
    await change_account(api, clean_db, star, change)
    staff = await make_staff(api, clean_db, "reviewer")

    for program in ALL_NAMES:
        own = await eligibility(api, star, program)
        seen_by_staff = await eligibility(api, staff, program, star.id)

        assert own == seen_by_staff
        expected = [unmet_criterion] if program in ineligible else []
        assert [c["criterion"] for c in own["criteria"] if not c["met"]] == expected, program
        assert (own["eligible"], own["canApply"]) == (not expected, not expected), program
        assert own["expectedEligibleDate"] is None


async def test_can_apply_is_false_while_pending_and_once_enrolled(api, clean_db):
    applicant = await sign_up(api, "applicant")
    member = await sign_up(api, "member")
    for user in (applicant, member):
        await add_followers(clean_db, user, 1_000)
    await enrol(clean_db, member, "LIVE_GIFTS")

    before = await eligibility(api, applicant, "LIVE_GIFTS")
    applied = await api.mutate(
        "applyToProgram", await apply_input(api, "LIVE_GIFTS"), "application { status }",
        token=applicant.token,
    )  # fmt: skip
    pending = await eligibility(api, applicant, "LIVE_GIFTS")
    enrolled = await eligibility(api, member, "LIVE_GIFTS")

    assert (before["eligible"], before["canApply"], before["latestApplication"]) == (
        True,
        True,
        None,
    )
    assert applied["userErrors"] == [] and applied["application"] == {"status": "PENDING"}
    assert (pending["eligible"], pending["canApply"]) == (True, False)
    assert pending["latestApplication"] == {"status": "PENDING"}
    assert (enrolled["eligible"], enrolled["canApply"]) == (True, False)
    assert enrolled["enrolment"] == {"program": "LIVE_GIFTS", "active": True}


# --- who may ask -----------------------------------------------------------------------------


async def test_staff_see_any_account_and_users_may_name_themselves(api, clean_db):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")
    await add_followers(clean_db, bob, 1_000)
    staff = await make_staff(api, clean_db)

    bob_by_staff = await eligibility(api, staff, "LIVE_GIFTS", bob.id)
    alice_by_staff = await eligibility(api, staff, "LIVE_GIFTS", alice.id)
    bob_by_bob = await eligibility(api, bob, "LIVE_GIFTS", bob.id)
    staff_own = await eligibility(api, staff, "LIVE_GIFTS")

    assert (
        bob_by_staff["eligible"] is True and bob_by_staff["criteria"][2]["currentValue"] == "1000"
    )
    assert (
        alice_by_staff["eligible"] is False and alice_by_staff["criteria"][2]["currentValue"] == "0"
    )
    assert bob_by_bob == bob_by_staff
    assert staff_own["criteria"][2]["currentValue"] == "0"


async def test_a_user_cannot_ask_about_someone_else(api, clean_db):
    alice = await sign_up(api, "alice")
    bob = await sign_up(api, "bob")

    for target in (bob.id, encode_id("Account", 999_999)):  # existing or not: same answer
        error = await refusal(api, alice, "SERIES", target)

        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["message"] == "Only staff see other accounts' eligibility."


@pytest.mark.parametrize("with_id", [False, True])
async def test_anonymous_callers_must_log_in(api, with_id):
    bob = await sign_up(api, "bob")

    error = await refusal(api, None, "TIPS", bob.id if with_id else None)

    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("as_staff", [False, True])
@pytest.mark.parametrize("bad_id", ["nope", "", encode_id("Video", 1), encode_id("Account", 0)])
async def test_malformed_account_id_is_invalid(api, clean_db, as_staff, bad_id):
    viewer = await make_staff(api, clean_db) if as_staff else await sign_up(api, "alice")

    error = await refusal(api, viewer, "SERIES", bad_id)

    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "reason": "INVALID_ID", "field": ["accountId"]
    }  # fmt: skip


async def test_staff_asking_about_a_missing_account_get_not_found(api, clean_db):
    staff = await make_staff(api, clean_db)

    error = await refusal(api, staff, "SERIES", encode_id("Account", 999_999))

    assert error["extensions"] == {
        "code": "BAD_USER_INPUT", "reason": "NOT_FOUND", "field": ["accountId"]
    }  # fmt: skip


# --- switching account type ------------------------------------------------------------------

CHANGES = "fromType toType programsLost programsGained"
PREVIEW = f"query($to: AccountType!) {{ accountTypeSwitchPreview(to: $to) {{ {CHANGES} }} }}"
PERSONAL_ONLY = ["CREATOR_REWARDS", "TIPS", "CREATOR_MARKETPLACE"]


async def preview(api: Any, user: User, to: str) -> dict[str, Any]:
    return (await api.data(PREVIEW, {"to": to}, token=user.token))["accountTypeSwitchPreview"]


async def switch(api: Any, user: User, to: str) -> dict[str, Any]:
    payload = await api.mutate(
        "switchAccountType", {"accountType": to}, f"changes {{ {CHANGES} }}", token=user.token
    )
    assert payload["userErrors"] == []
    return payload["changes"]


async def eligible_programs(api: Any, user: User) -> list[str]:
    return [p for p in ALL_NAMES if (await eligibility(api, user, p))["eligible"]]


async def test_going_business_loses_the_personal_programs_and_going_back_regains_them(
    api, clean_db, clock
):
    star = await everything_creator(api, clean_db, clock)
    lose = {"fromType": "PERSONAL", "toType": "BUSINESS", "programsLost": PERSONAL_ONLY,
            "programsGained": []}  # fmt: skip
    regain = {"fromType": "BUSINESS", "toType": "PERSONAL", "programsLost": [],
              "programsGained": PERSONAL_ONLY}  # fmt: skip

    assert await preview(api, star, "BUSINESS") == lose
    assert await preview(api, star, "PERSONAL") == {
        "fromType": "PERSONAL", "toType": "PERSONAL", "programsLost": [], "programsGained": []
    }  # fmt: skip
    assert await eligible_programs(api, star) == ALL_NAMES  # a preview changes nothing

    assert await switch(api, star, "BUSINESS") == lose
    assert await eligible_programs(api, star) == ["SERIES", "LIVE_GIFTS"]

    assert await preview(api, star, "PERSONAL") == regain
    assert await switch(api, star, "PERSONAL") == regain
    assert await eligible_programs(api, star) == ALL_NAMES


@pytest.mark.parametrize(
    ("followers", "views", "banned", "lost"),
    [
        (0, 0, False, []),
        (10_000, 0, False, ["CREATOR_MARKETPLACE"]),
        (12_000, 0, False, ["TIPS", "CREATOR_MARKETPLACE"]),
        (12_000, 99_999, False, ["TIPS", "CREATOR_MARKETPLACE"]),
        (12_000, 100_000, False, PERSONAL_ONLY),
        (12_000, 100_000, True, []),  # a banned account qualifies for nothing either way
    ],
)
async def test_programs_lost_and_gained_are_only_those_the_account_qualifies_for(
    api, clean_db, followers, views, banned, lost
):
    user = await sign_up(api, "creator")
    await add_followers(clean_db, user, followers)
    video = await publish(api, user)
    await add_views(clean_db, video, {D(2026, 6, 14): views})
    if banned:
        await set_standing(clean_db, user, "BANNED")

    going = await preview(api, user, "BUSINESS")
    switched = await switch(api, user, "BUSINESS")
    back = await switch(api, user, "PERSONAL")

    assert (going["programsLost"], going["programsGained"]) == (lost, [])
    assert (switched["programsLost"], switched["programsGained"]) == (lost, [])
    assert (back["programsLost"], back["programsGained"]) == ([], lost)


async def test_anonymous_cannot_preview_a_switch(api):
    error = await api.error(PREVIEW, {"to": "BUSINESS"})

    assert error["extensions"]["code"] == "UNAUTHENTICATED"
