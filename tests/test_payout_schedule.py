"""Payout schedules: the pure date and rule tables, `setPayoutSchedule`, the job's scheduled
payouts and `payoutForecast`."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelpay.enums import Standing
from reelpay.graphql.relay import encode_id
from reelpay.payouts import processing
from reelpay.payouts.models import PayoutFrequency
from reelpay.payouts.rules import Blocker, blockers, cap_left, is_suspended, payable
from reelpay.payouts.schedule import Schedule, latest_on_or_before, next_on_or_after
from reelpay.settings import Rules
from tests.factories import (
    User,
    add_paypal,
    credit_earnings,
    make_staff,
    new_key,
    set_standing,
    sign_up,
)


@pytest.fixture(autouse=True)
def _money_tests_verify_the_ledger(request: pytest.FixtureRequest) -> None:
    """`verify_ledger` for every API test; the pure table tests need no database."""
    if "api" in request.fixturenames:
        request.getfixturevalue("verify_ledger")


WEEKLY, MONTHLY, MANUAL = PayoutFrequency.WEEKLY, PayoutFrequency.MONTHLY, PayoutFrequency.MANUAL
MON = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # the clock fixture's start: a Monday
D = date.fromisoformat

MESSAGES = {
    "NO_PAYOUT_METHOD": "Link a payout method (PayPal or a bank account).",
    "SUSPENDED": "Payouts are suspended while the account is restricted or banned.",
    "BELOW_THRESHOLD": "Your available earnings are below the payout threshold of 100.00 USD.",
    "DAILY_CAP_REACHED": "The daily payout limit of 1,000.00 USD is reached for that day.",
    "MANUAL_SCHEDULE": "You have no payout schedule: request payouts yourself, or choose a "
    "weekly or monthly schedule.",
}

# --- (1) pure tables ---------------------------------------------------------------------------

WEEK = [date(2026, 6, 15) + timedelta(days=i) for i in range(7)]  # Monday .. Sunday


def _first(day: date, step: int, weekday: int) -> date:
    return next(
        d for i in range(7) if (d := day + timedelta(days=i * step)).isoweekday() == weekday
    )


@pytest.mark.parametrize("weekday", range(1, 8))
@pytest.mark.parametrize("day", WEEK, ids=str)
def test_weekly_dates_from_each_day_of_the_week(weekday, day):
    schedule = Schedule(WEEKLY, weekday=weekday)
    # The oracle: the one day with that weekday among the 7 days ending / starting on `day`.
    assert latest_on_or_before(schedule, day) == _first(day, -1, weekday)
    assert next_on_or_after(schedule, day) == _first(day, 1, weekday)
    assert (latest_on_or_before(schedule, day) == day) == (day.isoweekday() == weekday)


def _rows(table: str) -> list[tuple[int, date, date, date]]:
    """`day-of-month (or weekday) day latest next`, rows separated by newlines or `;`."""
    rows = [r.split() for r in table.replace(";", "\n").splitlines() if r.strip()]
    return [(int(n), D(a), D(b), D(c)) for n, a, b, c in rows]


WEEKLY_ROWS = """
1 2026-06-15 2026-06-15 2026-06-15 ; 1 2026-06-16 2026-06-15 2026-06-22
7 2026-06-15 2026-06-14 2026-06-21 ; 7 2026-06-21 2026-06-21 2026-06-21
3 2026-12-31 2026-12-30 2027-01-06 ; 4 2027-01-01 2026-12-31 2027-01-07
"""
MONTHLY_ROWS = """
1 2026-06-01 2026-06-01 2026-06-01 ; 15 2026-06-15 2026-06-15 2026-06-15
15 2026-06-14 2026-05-15 2026-06-15 ; 15 2026-06-16 2026-06-15 2026-07-15
31 2026-01-31 2026-01-31 2026-01-31 ; 31 2026-02-01 2026-01-31 2026-02-28
31 2026-02-27 2026-01-31 2026-02-28 ; 31 2026-02-28 2026-02-28 2026-02-28
31 2026-03-01 2026-02-28 2026-03-31 ; 30 2026-02-28 2026-02-28 2026-02-28
30 2026-01-31 2026-01-30 2026-02-28 ; 30 2026-03-01 2026-02-28 2026-03-30
29 2026-02-28 2026-02-28 2026-02-28 ; 29 2026-01-30 2026-01-29 2026-02-28
28 2026-02-28 2026-02-28 2026-02-28 ; 28 2026-02-27 2026-01-28 2026-02-28
31 2028-02-28 2028-01-31 2028-02-29 ; 31 2028-02-29 2028-02-29 2028-02-29
30 2028-03-01 2028-02-29 2028-03-30 ; 29 2028-02-29 2028-02-29 2028-02-29
29 2028-02-28 2028-01-29 2028-02-29 ; 28 2028-02-28 2028-02-28 2028-02-28
28 2028-02-29 2028-02-28 2028-03-28 ; 31 2026-04-29 2026-03-31 2026-04-30
31 2026-04-30 2026-04-30 2026-04-30 ; 31 2026-05-01 2026-04-30 2026-05-31
30 2026-04-30 2026-04-30 2026-04-30 ; 15 2026-12-20 2026-12-15 2027-01-15
15 2027-01-10 2026-12-15 2027-01-15 ; 31 2027-01-30 2026-12-31 2027-01-31
31 2026-12-31 2026-12-31 2026-12-31 ; 1 2026-12-31 2026-12-01 2027-01-01
1 2027-01-01 2027-01-01 2027-01-01 ; 28 2026-12-29 2026-12-28 2027-01-28
"""  # Feb 2026 (28 days), Feb 2028 (leap), Apr 30, Dec <-> Jan, the day itself


@pytest.mark.parametrize(("weekday", "day", "latest", "following"), _rows(WEEKLY_ROWS), ids=str)
def test_weekly_literal_dates(weekday, day, latest, following):
    schedule = Schedule(WEEKLY, weekday=weekday)
    assert latest_on_or_before(schedule, day) == latest
    assert next_on_or_after(schedule, day) == following


@pytest.mark.parametrize(("dom", "day", "latest", "following"), _rows(MONTHLY_ROWS), ids=str)
def test_monthly_literal_dates(dom, day, latest, following):
    schedule = Schedule(MONTHLY, day_of_month=dom)
    assert latest_on_or_before(schedule, day) == latest
    assert next_on_or_after(schedule, day) == following


@pytest.mark.parametrize("dom", [1, 15, 28, 29, 30, 31])
def test_monthly_dates_are_the_nearest_schedule_dates_every_day_2026_to_2028(dom):
    schedule = Schedule(MONTHLY, day_of_month=dom)

    def is_date(d: date) -> bool:
        return d.day == min(dom, calendar.monthrange(d.year, d.month)[1])

    day = date(2026, 1, 1)
    while day <= date(2028, 12, 31):
        latest, following = latest_on_or_before(schedule, day), next_on_or_after(schedule, day)
        assert latest is not None and following is not None
        assert is_date(latest) and is_date(following), day
        assert latest <= day <= following, day
        gap = [latest + timedelta(days=i) for i in range(1, (following - latest).days)]
        assert not any(is_date(d) for d in gap), day
        assert (latest == day) == (following == day) == is_date(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("day", [D("2026-06-15"), D("2026-02-28"), D("2028-02-29")], ids=str)
def test_manual_has_no_dates(day):
    for schedule in (Schedule(), Schedule(MANUAL, weekday=day.isoweekday(), day_of_month=day.day)):
        assert latest_on_or_before(schedule, day) is None
        assert next_on_or_after(schedule, day) is None


RULES = Rules()


@pytest.mark.parametrize(
    ("used", "left"),
    [(0, 100_000), (1, 99_999), (90_000, 10_000), (99_999, 1), (100_000, 0), (100_001, 0)],
)
def test_cap_left(used, left):
    assert cap_left(used, RULES) == left


@pytest.mark.parametrize(
    ("available", "used", "expected"),
    [(250_000, 0, 100_000), (100_001, 0, 100_000), (100_000, 0, 100_000), (99_999, 0, 99_999),
     (250_000, 40_000, 60_000), (50_000, 40_000, 50_000), (60_000, 40_000, 60_000),
     (250_000, 100_000, 0), (250_000, 150_000, 0), (0, 0, 0)],
)  # fmt: skip
def test_payable(available, used, expected):
    assert payable(available, used, RULES) == expected


B = Blocker


@pytest.mark.parametrize(
    ("method", "suspended", "available", "used", "expected"),
    [
        (True, False, 10_000, 0, []),
        (True, False, 9_999, 0, [B.BELOW_THRESHOLD]),
        (True, False, 0, 0, [B.BELOW_THRESHOLD]),
        (False, False, 10_000, 0, [B.NO_PAYOUT_METHOD]),
        (True, True, 10_000, 0, [B.SUSPENDED]),
        (False, True, 9_999, 0, [B.NO_PAYOUT_METHOD, B.SUSPENDED, B.BELOW_THRESHOLD]),
        (True, False, 250_000, 90_000, []),  # 100.00 left today: still a payout
        (True, False, 250_000, 90_001, [B.DAILY_CAP_REACHED]),  # 99.99 left
        (True, False, 250_000, 100_000, [B.DAILY_CAP_REACHED]),
        (True, False, 9_999, 100_000, [B.BELOW_THRESHOLD]),  # the threshold is said first
        (False, True, 250_000, 100_000, [B.NO_PAYOUT_METHOD, B.SUSPENDED, B.DAILY_CAP_REACHED]),
    ],
)
def test_blockers(method, suspended, available, used, expected):
    found = blockers(
        has_method=method, suspended=suspended, available=available, used_on_day=used, rules=RULES
    )
    assert found == expected


def test_only_restricted_and_banned_are_suspended():
    assert {s for s in Standing if is_suspended(s)} == {Standing.RESTRICTED, Standing.BANNED}


# --- helpers through the API -------------------------------------------------------------------

FORECAST = """date amount { minorUnits } method { id } reasons { code message }
requestableNow { minorUnits } schedule { frequency weekday dayOfMonth }
threshold { minorUnits } dailyCap { minorUnits }"""
SCHEDULE = "schedule { frequency weekday dayOfMonth }"


def reasons(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "message": MESSAGES[c]} for c in codes]


def money(cents: int | None) -> dict[str, int] | None:
    return None if cents is None else {"minorUnits": cents}


async def creator(
    api: Any, handle: str, cents: int = 250_000, *, method: bool = True, **schedule: Any
) -> tuple[User, str | None]:
    user = await sign_up(api, handle)
    if cents:
        await credit_earnings(api.engine, user, cents, at=api.app.state.services.clock.now())
    method_id = await add_paypal(api, user) if method else None
    if schedule:
        payload = await set_schedule(api, user, **schedule)
        assert payload["userErrors"] == [], payload
    return user, method_id


async def set_schedule(api: Any, user: User | None, **input: Any) -> dict[str, Any]:
    return await api.mutate(
        "setPayoutSchedule",
        input,
        f"{SCHEDULE} forecast {{ {FORECAST} }}",
        token=user.token if user else None,
    )


async def forecast(api: Any, user: User, account_id: str | None = None) -> dict[str, Any]:
    query = f"query($id: ID) {{ payoutForecast(accountId: $id) {{ {FORECAST} }} }}"
    return (await api.data(query, {"id": account_id}, token=user.token))["payoutForecast"]


ACCOUNT = """query($id: ID!) { node(id: $id) { ... on Account {
  wallet { earnings { minorUnits } inPayout { minorUnits } paidOut { minorUnits } }
  payouts { SCHEDULE forecast { FORECAST } history(first: 50) { edges { node {
    amount { minorUnits } status trigger scheduledFor method { id } } } } } } } }"""
ACCOUNT = ACCOUNT.replace("SCHEDULE", SCHEDULE).replace("FORECAST", FORECAST)


async def account(api: Any, user: User, viewer: User | None = None) -> dict[str, Any]:
    """The creator's wallet and payouts (oldest payout first), read by them or by staff."""
    node = (await api.data(ACCOUNT, {"id": user.id}, token=(viewer or user).token))["node"]
    wallet = {k: v["minorUnits"] for k, v in node["wallet"].items()}
    payouts = node["payouts"]
    history = [e["node"] for e in reversed(payouts["history"]["edges"])]
    return {"wallet": wallet, "schedule": payouts["schedule"], "forecast": payouts["forecast"],
            "payouts": history}  # fmt: skip


def wallet(earnings: int, in_payout: int = 0, paid: int = 0) -> dict[str, int]:
    return {"earnings": earnings, "inPayout": in_payout, "paidOut": paid}


def scheduled(cents: int, day: str, method_id: str | None) -> dict[str, Any]:
    return {"amount": {"minorUnits": cents}, "status": "PAID", "trigger": "SCHEDULED",
            "scheduledFor": day, "method": {"id": method_id}}  # fmt: skip


async def run_job(api: Any, settings: Any) -> processing.RunSummary:
    services = api.app.state.services
    return await processing.run(
        services.sessionmaker, services.payouts, now=services.clock.now(), settings=settings
    )


async def request(api: Any, user: User, cents: int) -> None:
    payload = await api.mutate(
        "requestPayout", {"amountCents": cents, "idempotencyKey": new_key()}, "payout { id }",
        token=user.token,
    )  # fmt: skip
    assert payload["userErrors"] == [], payload


def top_code(body: dict[str, Any]) -> str:
    assert body.get("data") is None or not any(body["data"].values()), body
    return body["errors"][0]["extensions"]["code"]


# --- (2) setPayoutSchedule ---------------------------------------------------------------------


async def test_schedules_are_saved_omitted_values_kept_and_the_forecast_returned(api):
    user, method_id = await creator(api, "maker")  # Monday 2026-06-15, 2,500.00 available
    base = {"method": {"id": method_id}, "threshold": money(10_000), "dailyCap": money(100_000)}

    weekly = await set_schedule(api, user, frequency="WEEKLY", weekday=3)
    assert weekly["userErrors"] == []
    assert weekly["schedule"] == {"frequency": "WEEKLY", "weekday": 3, "dayOfMonth": 1}
    assert weekly["forecast"] == {**base, "date": "2026-06-17", "amount": money(100_000),
        "reasons": [], "requestableNow": money(100_000),
        "schedule": weekly["schedule"]}  # fmt: skip

    monthly = await set_schedule(api, user, frequency="MONTHLY", dayOfMonth=31)
    assert monthly["schedule"] == {"frequency": "MONTHLY", "weekday": 3, "dayOfMonth": 31}
    assert monthly["forecast"]["date"] == "2026-06-30"
    assert monthly["forecast"]["amount"] == money(100_000)

    again = await set_schedule(api, user, frequency="WEEKLY")
    assert again["schedule"] == {"frequency": "WEEKLY", "weekday": 3, "dayOfMonth": 31}
    assert again["forecast"]["date"] == "2026-06-17"

    manual = await set_schedule(api, user, frequency="MANUAL")
    assert manual["schedule"] == {"frequency": "MANUAL", "weekday": 3, "dayOfMonth": 31}
    assert manual["forecast"] == {**base, "date": None, "amount": None,
        "reasons": reasons("MANUAL_SCHEDULE"), "requestableNow": money(100_000),
        "schedule": manual["schedule"]}  # fmt: skip

    seen = await account(api, user)
    assert seen["schedule"] == manual["schedule"]
    assert seen["forecast"] == manual["forecast"]
    assert seen["wallet"] == wallet(250_000) and seen["payouts"] == []


async def test_first_schedule_defaults_to_monday_and_the_first(api):
    user, _ = await creator(api, "maker", method=False)
    assert (await account(api, user))["schedule"] == {
        "frequency": "MANUAL", "weekday": 1, "dayOfMonth": 1}  # fmt: skip

    payload = await set_schedule(api, user, frequency="MONTHLY")

    assert payload["schedule"] == {"frequency": "MONTHLY", "weekday": 1, "dayOfMonth": 1}
    assert payload["forecast"]["date"] == "2026-07-01"
    assert payload["forecast"]["reasons"] == reasons("NO_PAYOUT_METHOD")


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [("weekday", 0, False), ("weekday", 1, True), ("weekday", 7, True), ("weekday", 8, False),
     ("dayOfMonth", 0, False), ("dayOfMonth", 1, True), ("dayOfMonth", 31, True),
     ("dayOfMonth", 32, False)],
)  # fmt: skip
async def test_weekday_and_day_of_month_limits(api, field, value, ok):
    user, _ = await creator(api, "maker", frequency="MONTHLY", weekday=2, dayOfMonth=10)
    before = await account(api, user)

    for frequency in ("WEEKLY", "MONTHLY", "MANUAL"):
        payload = await set_schedule(api, user, frequency=frequency, **{field: value})
        if ok:
            assert payload["userErrors"] == []
            assert payload["schedule"]["frequency"] == frequency
            assert payload["schedule"][field] == value
        else:
            assert payload["schedule"] is None and payload["forecast"] is None
            assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
                ("INVALID_INPUT", ["input", field])
            ]
    if not ok:
        assert await account(api, user) == before  # nothing changed


async def test_anonymous_cannot_set_a_schedule(api):
    query = "mutation { setPayoutSchedule(input: {frequency: WEEKLY}) { schedule { weekday } } }"
    assert top_code(await api.execute(query)) == "UNAUTHENTICATED"
    assert top_code(await api.execute("{ payoutForecast { date } }")) == "UNAUTHENTICATED"


# --- (3) the job's scheduled payouts -----------------------------------------------------------


async def test_weekly_monday_creator_is_paid_up_to_the_cap_once_per_monday(api, clock, settings):
    user, method_id = await creator(api, "maker", frequency="WEEKLY", weekday=1)

    summary = await run_job(api, settings)

    assert (summary.scheduled, summary.paid, summary.failed) == (1, 1, 0)
    seen = await account(api, user)
    assert seen["payouts"] == [scheduled(100_000, "2026-06-15", method_id)]
    assert seen["wallet"] == wallet(150_000, 0, 100_000)

    for later in (datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC), MON + timedelta(days=1)):
        clock.set(later)
        assert (await run_job(api, settings)).scheduled == 0
        assert (await account(api, user))["payouts"] == seen["payouts"]

    clock.set(datetime(2026, 6, 22, 0, 0, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 1
    seen = await account(api, user)
    assert seen["payouts"][1:] == [scheduled(100_000, "2026-06-22", method_id)]
    assert seen["wallet"] == wallet(50_000, 0, 200_000)

    clock.set(datetime(2026, 6, 29, 9, 0, tzinfo=UTC))  # 500.00 left: all of it
    assert (await run_job(api, settings)).scheduled == 1
    seen = await account(api, user)
    assert seen["payouts"][2:] == [scheduled(50_000, "2026-06-29", method_id)]
    assert seen["wallet"] == wallet(0, 0, 250_000)


async def test_the_staff_mutation_creates_scheduled_payouts_too(api):
    user, method_id = await creator(api, "maker", 120_000, frequency="MONTHLY", dayOfMonth=15)
    staff = await make_staff(api, api.engine)

    run = await api.mutate("runPayouts", {}, "scheduled paid failed retrying", token=staff.token)
    again = await api.mutate("runPayouts", {}, "scheduled paid", token=staff.token)

    assert run == {"scheduled": 1, "paid": 1, "failed": 0, "retrying": 0, "userErrors": []}
    assert again == {"scheduled": 0, "paid": 0, "userErrors": []}
    seen = await account(api, user)
    assert seen["payouts"] == [scheduled(100_000, "2026-06-15", method_id)]
    assert seen["wallet"] == wallet(20_000, 0, 100_000)


@pytest.mark.parametrize(
    ("requested", "expected"), [(40_000, 60_000), (90_000, 10_000), (90_001, None)]
)  # 90,001: 99.99 of the cap left, below the threshold: no payout that day
async def test_todays_requests_count_toward_the_scheduled_payout(
    api, settings, requested, expected
):
    user, method_id = await creator(api, "maker", frequency="WEEKLY", weekday=1)
    await request(api, user, requested)

    assert (await run_job(api, settings)).scheduled == (1 if expected else 0)

    seen = await account(api, user)
    amounts = [p["amount"]["minorUnits"] for p in seen["payouts"]]
    assert amounts == [requested, expected] if expected else [requested]
    if expected:
        assert seen["payouts"][1] == scheduled(expected, "2026-06-15", method_id)
    paid = requested + (expected or 0)
    assert seen["wallet"] == wallet(250_000 - paid, 0, paid)


async def test_a_missed_monday_is_caught_up_once(api, clock, settings):
    user, method_id = await creator(api, "maker", frequency="WEEKLY", weekday=1)
    clock.set(datetime(2026, 6, 17, 8, 0, tzinfo=UTC))  # Wednesday: Monday's run never happened

    assert (await run_job(api, settings)).scheduled == 1
    clock.set(datetime(2026, 6, 18, 8, 0, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 0

    seen = await account(api, user)
    assert seen["payouts"] == [scheduled(100_000, "2026-06-15", method_id)]
    assert seen["wallet"] == wallet(150_000, 0, 100_000)


async def test_a_schedule_chosen_on_tuesday_does_not_pay_for_the_monday_before(
    api, clock, settings
):
    clock.set(datetime(2026, 6, 16, 0, 0, tzinfo=UTC))
    user, method_id = await creator(api, "maker", frequency="WEEKLY", weekday=1)

    for day in (16, 17, 21):
        clock.set(datetime(2026, 6, day, 23, 0, tzinfo=UTC))
        assert (await run_job(api, settings)).scheduled == 0
    assert (await account(api, user))["wallet"] == wallet(250_000)

    clock.set(datetime(2026, 6, 22, 0, 0, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 1
    assert (await account(api, user))["payouts"] == [scheduled(100_000, "2026-06-22", method_id)]


@pytest.mark.parametrize(("year", "last"), [(2026, 28), (2028, 29)])
async def test_monthly_day_31_pays_on_the_last_day_of_february(api, clock, settings, year, last):
    clock.set(datetime(year, 2, last - 1, 9, 0, tzinfo=UTC))
    user, method_id = await creator(api, "maker", 30_000, frequency="MONTHLY", dayOfMonth=31)
    feb_last = f"{year}-02-{last}"
    assert (await account(api, user))["forecast"]["date"] == feb_last

    assert (await run_job(api, settings)).scheduled == 0  # Jan 31 was before the schedule
    clock.set(datetime(year, 2, last, 9, 0, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 1
    clock.set(datetime(year, 3, 1, 9, 0, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 0

    seen = await account(api, user)
    assert seen["payouts"] == [scheduled(30_000, feb_last, method_id)]
    assert seen["wallet"] == wallet(0, 0, 30_000)
    assert seen["forecast"]["date"] == f"{year}-03-31"


@pytest.mark.parametrize(
    ("case", "cents", "method", "standing", "codes"),
    [("no method", 250_000, False, None, ["NO_PAYOUT_METHOD"]),
     ("restricted", 250_000, True, "RESTRICTED", ["SUSPENDED"]),
     ("banned", 250_000, True, "BANNED", ["SUSPENDED"]),
     ("below threshold", 9_999, True, None, ["BELOW_THRESHOLD"]),
     ("all", 9_999, False, "RESTRICTED", ["NO_PAYOUT_METHOD", "SUSPENDED", "BELOW_THRESHOLD"]),
     ("exactly the threshold", 10_000, True, None, []),
     ("warned", 10_000, True, "WARNED", [])],
)  # fmt: skip
async def test_blocked_creators_get_no_scheduled_payout_and_are_told_why(
    api, settings, case, cents, method, standing, codes
):
    staff = await make_staff(api, api.engine)
    user, method_id = await creator(api, "maker", cents, method=method, frequency="WEEKLY")
    if standing:
        await set_standing(api.engine, user, standing)
    before = (await account(api, user, viewer=staff))["forecast"]

    assert (await run_job(api, settings)).scheduled == (0 if codes else 1)

    assert before["date"] == "2026-06-15"
    assert before["amount"] == (None if codes else money(cents))
    assert before["reasons"] == reasons(*codes)
    assert before["requestableNow"] == money(0 if codes else cents)
    assert before["method"] == ({"id": method_id} if method else None)
    seen = await account(api, user, viewer=staff)
    if codes:
        assert seen["payouts"] == [] and seen["wallet"] == wallet(cents)
        # That Monday is settled (skipped, not paid later in the week): next Monday, same
        # reasons while nothing changes.
        assert seen["forecast"] == {**before, "date": "2026-06-22"}
        assert (await run_job(api, settings)).scheduled == 0
    else:
        assert seen["payouts"] == [scheduled(cents, "2026-06-15", method_id)]
        assert seen["wallet"] == wallet(0, 0, cents)


async def test_manual_creators_get_no_scheduled_payout(api, clock, settings):
    never, _ = await creator(api, "never")
    switched, _ = await creator(api, "switched", frequency="WEEKLY", weekday=1)
    assert (await set_schedule(api, switched, frequency="MANUAL"))["userErrors"] == []

    for day in (15, 22):
        clock.set(datetime(2026, 6, day, 12, 0, tzinfo=UTC))
        assert (await run_job(api, settings)).scheduled == 0
    for user in (never, switched):
        seen = await account(api, user)
        assert seen["payouts"] == [] and seen["wallet"] == wallet(250_000)


# --- (4) payoutForecast ------------------------------------------------------------------------


async def test_forecast_dates_and_amounts(api, clock):
    clock.set(datetime(2026, 6, 17, 12, 0, tzinfo=UTC))  # Wednesday
    user, _ = await creator(api, "maker", 40_000)
    rich, _ = await creator(api, "rich")
    cases = [("WEEKLY", 1, "2026-06-22"), ("WEEKLY", 2, "2026-06-23"), ("WEEKLY", 3, "2026-06-17"),
             ("WEEKLY", 4, "2026-06-18"), ("MONTHLY", 16, "2026-07-16"),
             ("MONTHLY", 17, "2026-06-17"), ("MONTHLY", 31, "2026-06-30")]  # fmt: skip
    for frequency, n, expected in cases:
        input = {"frequency": frequency, "weekday" if frequency == "WEEKLY" else "dayOfMonth": n}
        for who, amount in ((user, 40_000), (rich, 100_000)):
            await set_schedule(api, who, **input)
            found = await forecast(api, who)
            assert (found["date"], found["amount"], found["reasons"]) == (
                expected, money(amount), []), input  # fmt: skip
            assert found["requestableNow"] == money(amount)


async def test_a_later_schedule_date_has_a_fresh_cap(api):
    user, _ = await creator(api, "maker", frequency="WEEKLY", weekday=2)  # Tuesday
    await request(api, user, 100_000)  # today's cap used up

    found = await forecast(api, user)

    assert (found["date"], found["amount"], found["reasons"]) == ("2026-06-16", money(100_000), [])
    assert found["requestableNow"] == money(0)


@pytest.mark.parametrize(
    ("requested", "amount", "codes"),
    [(90_000, 10_000, []), (90_001, None, ["DAILY_CAP_REACHED"]),
     (100_000, None, ["DAILY_CAP_REACHED"])],
)  # fmt: skip
async def test_daily_cap_reached_on_the_schedule_date(api, requested, amount, codes):
    user, _ = await creator(api, "maker", frequency="WEEKLY", weekday=1)  # today
    await request(api, user, requested)

    found = await forecast(api, user)

    assert (found["date"], found["amount"]) == ("2026-06-15", money(amount))
    assert found["reasons"] == reasons(*codes)
    assert found["requestableNow"] == money(amount or 0)


@pytest.mark.parametrize(
    ("cents", "method", "standing", "codes", "requestable"),
    [(250_000, True, None, ["MANUAL_SCHEDULE"], 100_000),
     (60_000, True, None, ["MANUAL_SCHEDULE"], 60_000),
     (250_000, False, None, ["NO_PAYOUT_METHOD", "MANUAL_SCHEDULE"], 0),
     (250_000, True, "BANNED", ["SUSPENDED", "MANUAL_SCHEDULE"], 0),
     (9_999, True, None, ["BELOW_THRESHOLD", "MANUAL_SCHEDULE"], 0)],
)  # fmt: skip
async def test_manual_forecast_has_no_date(api, cents, method, standing, codes, requestable):
    staff = await make_staff(api, api.engine)
    user, _ = await creator(api, "maker", cents, method=method)
    if standing:
        await set_standing(api.engine, user, standing)

    found = await forecast(api, staff, user.id)

    assert (found["date"], found["amount"]) == (None, None)
    assert found["reasons"] == reasons(*codes)
    assert found["requestableNow"] == money(requestable)
    assert found["schedule"]["frequency"] == "MANUAL"


@pytest.mark.parametrize(
    ("schedule", "after"),
    [({"frequency": "WEEKLY", "weekday": 1}, "2026-06-22"),
     ({"frequency": "MONTHLY", "dayOfMonth": 15}, "2026-07-15")],
)  # fmt: skip
async def test_after_todays_scheduled_payout_the_forecast_moves_on(api, settings, schedule, after):
    user, _ = await creator(api, "maker", 120_000, **schedule)
    assert (await forecast(api, user))["date"] == "2026-06-15"

    assert (await run_job(api, settings)).scheduled == 1

    found = await forecast(api, user)
    assert (found["date"], found["amount"], found["reasons"]) == (after, money(20_000), [])
    assert found["requestableNow"] == money(0)  # 1,000.00 left today already


async def test_who_may_see_a_forecast(api):
    user, method_id = await creator(api, "maker", frequency="WEEKLY", weekday=5)
    other, _ = await creator(api, "other", 0, method=False)
    staff = await make_staff(api, api.engine)
    mine = await forecast(api, user)
    assert mine["date"] == "2026-06-19" and mine["method"] == {"id": method_id}

    assert await forecast(api, user, user.id) == mine
    assert await forecast(api, staff, user.id) == mine
    assert (await account(api, user, viewer=staff))["forecast"] == mine
    assert (await account(api, user))["forecast"] == mine
    assert (await forecast(api, other))["reasons"] == reasons(
        "NO_PAYOUT_METHOD", "BELOW_THRESHOLD", "MANUAL_SCHEDULE"
    )

    query = "query($id: ID) { payoutForecast(accountId: $id) { date } }"
    assert top_code(await api.execute(query, {"id": user.id}, other.token)) == "FORBIDDEN"
    missing = encode_id("Account", 999_999)
    assert top_code(await api.execute(query, {"id": missing}, other.token)) == "FORBIDDEN"
    for bad, reason in ((missing, "NOT_FOUND"), (method_id, "INVALID_ID")):
        body = await api.execute(query, {"id": bad}, staff.token)
        assert top_code(body) == "BAD_USER_INPUT"
        extensions = body["errors"][0]["extensions"]
        assert (extensions["reason"], extensions["field"]) == (reason, ["accountId"])
    hidden = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Account { payouts { forecast { date } } } } }",
        {"id": user.id},
        token=other.token,
    )
    assert hidden["node"]["payouts"] is None


async def test_forecast_names_the_missed_payout_the_job_will_make(api, clock, settings):
    # (Once named next Monday although the next run pays for the missed one.)
    user, _ = await creator(api, "maker", 120_000, frequency="WEEKLY", weekday=1)
    clock.set(datetime(2026, 6, 16, 8, 0, tzinfo=UTC))  # Tuesday: Monday's run never happened

    before = await forecast(api, user)
    assert (await run_job(api, settings)).scheduled == 1

    made = (await account(api, user))["payouts"]
    assert [(p["scheduledFor"], p["amount"]) for p in made] == [("2026-06-15", money(100_000))]
    assert before["amount"] == money(100_000)
    assert before["date"] == "2026-06-16"  # made today for the missed Monday, not next week
    after = await forecast(api, user)
    assert after["date"] == "2026-06-22"


async def test_saving_the_same_schedule_again_keeps_the_missed_payout(api, clock, settings):
    user, _ = await creator(api, "maker", 120_000, frequency="WEEKLY", weekday=1)
    clock.set(datetime(2026, 6, 16, 8, 0, tzinfo=UTC))  # Tuesday: Monday's run never happened
    assert (await set_schedule(api, user, frequency="WEEKLY", weekday=1))["userErrors"] == []
    assert (await run_job(api, settings)).scheduled == 1
    made = (await account(api, user))["payouts"]
    assert [p["scheduledFor"] for p in made] == ["2026-06-15"]

    # A real change of schedule starts afresh: no payout for a date before it.
    other, _ = await creator(api, "other", 120_000, frequency="WEEKLY", weekday=1)
    clock.set(datetime(2026, 6, 17, 8, 0, tzinfo=UTC))
    assert (await set_schedule(api, other, frequency="WEEKLY", weekday=2))["userErrors"] == []
    assert (await run_job(api, settings)).scheduled == 0
    assert (await forecast(api, other))["date"] == "2026-06-23"


async def test_a_date_skipped_while_blocked_is_not_paid_later_in_the_week(api, clock, settings):
    user, _ = await creator(api, "maker", 9_999, frequency="WEEKLY", weekday=1)
    assert (await run_job(api, settings)).scheduled == 0  # Monday 15 June: below the threshold
    clock.set(datetime(2026, 6, 18, 9, 0, tzinfo=UTC))  # Thursday: now 500.00 available
    await credit_earnings(api.engine, user, 40_001, at=clock.now())

    assert (await run_job(api, settings)).scheduled == 0
    assert (await account(api, user))["payouts"] == []
    ahead = await forecast(api, user)
    assert (ahead["date"], ahead["amount"], ahead["reasons"]) == ("2026-06-22", money(50_000), [])

    clock.set(datetime(2026, 6, 22, 0, 1, tzinfo=UTC))
    assert (await run_job(api, settings)).scheduled == 1
    made = (await account(api, user))["payouts"]
    assert [(p["scheduledFor"], p["amount"]) for p in made] == [("2026-06-22", money(50_000))]
