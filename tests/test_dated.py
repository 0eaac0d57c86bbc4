"""Windows, ranges, eligibility dates and payout schedules counted from the clock, whatever day
it is. Every test here is marked `dated`: `make test` runs them at the suite's usual instant,
and the dated CI step again at awkward ones (REELPAY_TEST_NOW: leap days, month and year ends,
both ends of a UTC day). Expected dates are worked out here with `calendar`, not by the code
under test."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import pytest

from reelpay.payouts import processing
from tests.factories import (
    add_paypal,
    add_views,
    credit_earnings,
    log_in,
    publish,
    sign_up,
)

pytestmark = [pytest.mark.dated, pytest.mark.usefixtures("verify_ledger")]


def turns(birth: date, years: int) -> date:
    """The day someone born on `birth` turns `years` (29 February: 1 March in other years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


def born_to_turn(years: int, on: date) -> date:
    """A birth date that turns `years` old on `on` (1 March: born on 29 February if it can)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # `on` is 29 February: nobody's 18th birthday falls on it otherwise
        return date(on.year - years, 3, 1)


def month_day(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when it is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_month(today: date, day: int) -> date:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return month_day(year, month, day)


# --- the 30-day windows -----------------------------------------------------------------------

WINDOW = """query($h: String!) { account(handle: $h) {
  viewsInLast30Days publicPostsInLast30Days } }"""


async def test_views_count_the_30_complete_days_before_today(api, clock):
    today = clock.now().date()
    creator = await sign_up(api, "viewed")
    video = await publish(api, creator)
    # A distinct count per day, so the total says exactly which days were counted.
    views = {today: 1, today - timedelta(days=1): 10, today - timedelta(days=30): 100}
    views[today - timedelta(days=31)] = 1_000
    views.update({today - timedelta(days=k): 10_000 for k in range(2, 30)})
    await add_views(api.engine, video, views)
    account = (await api.data(WINDOW, {"h": "viewed"}, creator.token))["account"]
    assert account["viewsInLast30Days"] == 10 + 100 + 28 * 10_000

    clock.advance(timedelta(days=1))  # today's views enter; the oldest counted day leaves
    account = (await api.data(WINDOW, {"h": "viewed"}, creator.token))["account"]
    assert account["viewsInLast30Days"] == 1 + 10 + 28 * 10_000


async def test_posts_count_what_went_up_in_the_last_30_days_to_the_second(api, clock):
    now = clock.now()
    start = now - timedelta(days=30)
    clock.set(start - timedelta(days=1))
    creator = await sign_up(api, "poster")
    for at in (start, start + timedelta(seconds=1), now):
        clock.set(at)
        await publish(api, await log_in(api, creator))  # a session lasts 30 days
    account = (await api.data(WINDOW, {"h": "poster"}, creator.token))["account"]
    assert account["publicPostsInLast30Days"] == 2  # not the one exactly 30 days old

    clock.set(now + timedelta(seconds=1))
    account = (await api.data(WINDOW, {"h": "poster"}, creator.token))["account"]
    assert account["publicPostsInLast30Days"] == 1


# --- reports by day ---------------------------------------------------------------------------

REPORTS = {
    "analytics": "{ viewer { analytics(from: $from, to: $to) { days { date } } } }",
    "earningsByDay": "{ viewer { wallet { earningsByDay(from: $from, to: $to) { date } } } }",
    "rewards": "{ viewer { rewards(from: $from, to: $to) { date } } }",
}


async def report(api: Any, token: str, name: str, **asked: date) -> dict[str, Any]:
    query = "query($from: Date, $to: Date) " + REPORTS[name]
    return await api.execute(query, {k: str(day) for k, day in asked.items()}, token)


def report_days(name: str, data: dict[str, Any]) -> list[str]:
    viewer = data["viewer"]
    found = viewer["wallet"][name] if name == "earningsByDay" else viewer[name]
    return [d["date"] for d in (found["days"] if name == "analytics" else found)]


def days(first: date, last: date) -> list[str]:
    return [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]


async def pro(api: Any) -> Any:
    creator = await sign_up(api, "pro")
    payload = await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=creator.token
    )
    assert payload["userErrors"] == []
    return creator


@pytest.mark.parametrize("name", list(REPORTS))
async def test_reports_cover_the_last_30_days_unless_asked_otherwise(api, clock, name):
    today = clock.now().date()
    creator = await pro(api)
    ago = [today - timedelta(days=n) for n in range(92)]
    for asked, expected in [
        ({}, days(ago[29], today)),
        ({"to": ago[1]}, days(ago[30], ago[1])),
        ({"from": ago[2]}, days(ago[2], today)),
        ({"from": ago[91]}, days(ago[91], today)),  # 92 days: the most a report covers
        ({"from": ago[5], "to": ago[5]}, [str(ago[5])]),
        ({"to": date(1, 1, 3)}, days(date(1, 1, 1), date(1, 1, 3))),  # nothing before year 1
    ]:
        body = await report(api, creator.token, name, **asked)
        assert "errors" not in body, (asked, body)
        assert report_days(name, body["data"]) == expected, asked


@pytest.mark.parametrize("name", list(REPORTS))
async def test_a_report_range_out_of_bounds_is_refused(api, clock, name):
    today = clock.now().date()
    creator = await pro(api)
    for asked, message in [
        ({"from": -92}, "A range covers at most 92 days."),
        ({"from": -121, "to": -29}, "A range covers at most 92 days."),  # 93 days
        ({"to": 1}, "The range cannot end after today."),
        ({"from": 0, "to": -1}, "The range ends before it starts."),
        ({"from": 1}, "The range ends before it starts."),
    ]:
        body = await report(
            api, creator.token, name, **{k: today + timedelta(days=n) for k, n in asked.items()}
        )
        [error] = body["errors"]
        assert error["message"] == message, (asked, error)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        path = ["viewer", "wallet", name] if name == "earningsByDay" else ["viewer", name]
        assert error["path"] == path


# --- eligibility dates ------------------------------------------------------------------------

ELIGIBILITY = """query($p: Program!) { eligibility(program: $p) {
  criteria { criterion met expectedPassDate } } }"""


async def criterion(api: Any, token: str, program: str, name: str) -> dict[str, Any]:
    found = (await api.data(ELIGIBILITY, {"p": program}, token))["eligibility"]["criteria"]
    return next(c for c in found if c["criterion"] == name)


async def test_an_age_passes_on_the_birthday(api, clock):
    today = clock.now().date()
    tomorrow = today + timedelta(days=1)
    birth = born_to_turn(18, tomorrow)
    teen = await sign_up(api, "teen", birthDate=str(birth))
    age = await criterion(api, teen.token, "LIVE_GIFTS", "AGE")
    assert age == {"criterion": "AGE", "met": False, "expectedPassDate": str(turns(birth, 18))}

    clock.set(clock.now() + timedelta(days=(turns(birth, 18) - today).days))
    age = await criterion(api, teen.token, "LIVE_GIFTS", "AGE")
    assert age == {"criterion": "AGE", "met": True, "expectedPassDate": None}


async def test_an_account_is_old_enough_for_series_after_30_full_days(api, clock):
    joined = clock.now().date()
    creator = await sign_up(api, "newcomer")
    expected = str(joined + timedelta(days=31))
    assert await criterion(api, creator.token, "SERIES", "ACCOUNT_AGE") == {
        "criterion": "ACCOUNT_AGE",
        "met": False,
        "expectedPassDate": expected,
    }
    clock.advance(timedelta(days=30))
    await log_in(api, creator)  # a session lasts 30 days
    assert (await criterion(api, creator.token, "SERIES", "ACCOUNT_AGE"))["met"] is False
    clock.advance(timedelta(days=1))
    assert (await criterion(api, creator.token, "SERIES", "ACCOUNT_AGE"))["met"] is True


# --- payout schedules -------------------------------------------------------------------------

SCHEDULE = """mutation($input: SetPayoutScheduleInput!) { setPayoutSchedule(input: $input) {
  forecast { date amount { minorUnits } reasons { code } } userErrors { code } } }"""
FORECAST = "{ payoutForecast { date amount { minorUnits } reasons { code } } }"
HISTORY = """{ viewer { payouts { history(first: 5) { edges { node {
  scheduledFor status amount { minorUnits } } } } } } }"""


async def paid_creator(api: Any, clock: Any, handle: str) -> Any:
    creator = await sign_up(api, handle)
    await credit_earnings(api.engine, creator, 25_000, at=clock.now())
    await add_paypal(api, creator)
    return creator


async def schedule(api: Any, token: str, **input: Any) -> str:
    payload = (await api.data(SCHEDULE, {"input": input}, token))["setPayoutSchedule"]
    assert payload["userErrors"] == [] and payload["forecast"]["reasons"] == [], payload
    return payload["forecast"]["date"]


async def run_job(api: Any, settings: Any) -> processing.RunSummary:
    services = api.app.state.services
    return await processing.run(
        services.sessionmaker, services.payouts, now=services.clock.now(), settings=settings
    )


async def history(api: Any, token: str) -> list[tuple[str, str, int]]:
    edges = (await api.data(HISTORY, token=token))["viewer"]["payouts"]["history"]["edges"]
    return [
        (e["node"]["scheduledFor"], e["node"]["status"], e["node"]["amount"]["minorUnits"])
        for e in edges
    ]


async def test_a_weekly_schedule_pays_on_its_weekday(api, clock, settings):
    today = clock.now().date()
    creator = await paid_creator(api, clock, "weekly")
    tomorrow = today + timedelta(days=1)
    assert await schedule(api, creator.token, frequency="WEEKLY", weekday=tomorrow.isoweekday())
    assert (await api.data(FORECAST, token=creator.token))["payoutForecast"]["date"] == str(
        tomorrow
    )
    assert (await run_job(api, settings)).scheduled == 0  # not today

    assert await schedule(
        api, creator.token, frequency="WEEKLY", weekday=today.isoweekday()
    ) == str(today)
    assert (await run_job(api, settings)).scheduled == 1
    assert await history(api, creator.token) == [(str(today), "PAID", 25_000)]
    forecast = (await api.data(FORECAST, token=creator.token))["payoutForecast"]
    assert forecast["date"] == str(today + timedelta(days=7))
    assert (await run_job(api, settings)).scheduled == 0  # once a day


@pytest.mark.parametrize("day_of_month", [1, 28, 29, 30, 31])
async def test_a_monthly_schedule_pays_on_its_day_or_the_months_last(
    api, clock, settings, day_of_month
):
    today = clock.now().date()
    creator = await paid_creator(api, clock, "monthly")
    this_month = month_day(today.year, today.month, day_of_month)
    expected = this_month if this_month >= today else next_month(today, day_of_month)
    date_ = await schedule(api, creator.token, frequency="MONTHLY", dayOfMonth=day_of_month)
    assert date_ == str(expected)

    paid = (await run_job(api, settings)).scheduled
    assert paid == (1 if expected == today else 0)
    forecast = (await api.data(FORECAST, token=creator.token))["payoutForecast"]
    following = next_month(today, day_of_month) if expected == today else expected
    assert forecast["date"] == str(following)


async def test_a_monthly_schedule_on_todays_day_pays_today_then_next_month(api, clock, settings):
    today = clock.now().date()
    creator = await paid_creator(api, clock, "today")
    assert await schedule(api, creator.token, frequency="MONTHLY", dayOfMonth=today.day) == str(
        today
    )
    assert (await run_job(api, settings)).scheduled == 1
    assert await history(api, creator.token) == [(str(today), "PAID", 25_000)]
    forecast = (await api.data(FORECAST, token=creator.token))["payoutForecast"]
    assert forecast["date"] == str(next_month(today, today.day))
