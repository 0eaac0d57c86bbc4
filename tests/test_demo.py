"""The demo holds on any date: seeded at awkward instants, every promise the README makes about
it is checked through the API (logins, chef.leo's Series and its buyers, his payouts, mia's pins
and analytics, the LIVE, the fans' coins)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay import demo
from reelpay.accounts.models import Account
from reelpay.db import create_sessionmaker, run_write
from reelpay.settings import Settings
from tests.conftest import dated_start, empty_tables

README = Path(__file__).resolve().parent.parent / "README.md"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Month ends and starts, leap days, the year's turn, both ends of a UTC day, each weekday's
# neighbours: where date arithmetic goes wrong.
AWKWARD = [
    at("2026-12-04T12:00:00"),  # the day the demo sold no Series (a Friday)
    at("2026-11-30T23:59:59"),  # last day of a 30-day month, a Monday, one second to midnight
    at("2026-12-01T00:00:00"),  # first day of the month, at midnight
    at("2026-12-31T23:59:59"),  # 31 December
    at("2027-01-01T00:00:00"),  # 1 January
    at("2027-01-03T12:00:00"),  # a Sunday
    at("2027-01-31T23:59:59"),  # last day of a 31-day month
    at("2027-02-28T12:00:00"),  # last day of February, not a leap year (a Sunday)
    at("2027-03-01T00:00:00"),  # first day after a short February
    at("2028-02-28T23:59:59"),
    at("2028-02-29T12:00:00"),  # a leap day
    at("2028-03-01T00:00:00"),
]
# The day each test's clock starts at: the same instant as every other test's clock, or the
# one REELPAY_TEST_NOW names in the dated CI step.
WHEN = [
    *(pytest.param(now, id=now.strftime("%Y-%m-%dT%H%M%S")) for now in AWKWARD),
    pytest.param(None, id="clock", marks=pytest.mark.dated),
]

PROFILE = """query($h: String!) { account(handle: $h) {
  handle accountType visibility followerCount websiteUrl
  pinnedVideos { title }
  currentLive { title giftTotals { gifts coins diamonds } }
  series(first: 5) { edges { node { id title status price { minorUnits } episodeCount } } }
} }"""

CHEF_PRIVATE = """{ viewer {
  handle
  enrolments { program active }
  wallet {
    earnings { minorUnits } pendingEarnings { minorUnits }
    earningsBySource { source pending { minorUnits } available { minorUnits } }
  }
  payouts {
    methods { kind masked isDefault }
    schedule { frequency weekday }
    forecast { date amount { minorUnits } reasons { code } }
  }
} }"""

MIA_PRIVATE = """query($from: Date!, $to: Date!) { viewer {
  accountType pinnedVideos { title } wallet { coins }
  analytics(from: $from, to: $to) { days { date views } }
} }"""

FAN = """query($series: ID!) { viewer {
  handle wallet { coins }
  purchasedSeries(first: 5) { edges { node { series { id } status } } }
} node(id: $series) { ... on Series { viewerAccess { allowed reason } } } }"""

BRAND = """{ viewer { brandProfile { name category } }
  campaigns: myCampaigns(first: 10) { edges { node {
    title status
    money { paid { minorUnits } reserved { minorUnits } }
    winners { creator { handle } rank prize { minorUnits } }
    deals(first: 5) { edges { node { creator { handle } status reviewDueAt } } }
  } } }
}"""

BROWSE = """{ campaigns(first: 10) { edges { node { title } } } }"""

LOGIN = """mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) {
  token account { handle } userErrors { code } } }"""


def readme_logins() -> list[str]:
    """Every demo login the README names, `fan01` … `fan24` expanded."""
    text = README.read_text()
    section = text[text.index("Demo logins") :]
    section = section[: section.index("\n\n")]
    emails = re.findall(r"`([a-z0-9.]+)@demo\.reelpay\.dev`", section)
    first, last = (int(n) for n in re.findall(r"`fan(\d+)@", section))
    assert (first, last) == (1, demo.FANS)
    return [
        *(f"{handle}@demo.reelpay.dev" for handle in emails if not handle.startswith("fan")),
        *(f"fan{n:02d}@demo.reelpay.dev" for n in range(first, last + 1)),
    ]


async def demo_token(api: Any, email: str) -> str:
    payload = (await api.data(LOGIN, {"e": email, "p": demo.DEMO_PASSWORD}))["logIn"]
    assert payload["userErrors"] == [], (email, payload)
    return payload["token"]


async def seed_at(engine: Any, settings: Settings, now: datetime) -> dict[str, int]:
    async with create_sessionmaker(engine)() as session:
        return await run_write(session, lambda: demo.seed(session, settings=settings, now=now))


@pytest.mark.parametrize("when", WHEN)
async def test_the_demo_holds_on_any_date(api, settings, clock, clean_db, verify_ledger, when):
    now = when or clock.now()
    clock.set(now)
    today = now.date()
    counts = await seed_at(clean_db, settings, now)
    assert counts["Series sales"] == 24 and counts["coin purchases"] == 25, counts

    tokens = {email.split("@")[0]: await demo_token(api, email) for email in readme_logins()}
    # mia.dances, chef.leo, pat.private, glow.labs, jin.sings, staff and the fans
    assert len(tokens) == 6 + demo.FANS
    # The audience only follows: its accounts cannot log in.
    audience = await api.data(LOGIN, {"e": "audience0001@demo.reelpay.dev", "p": ""})
    assert audience["logIn"]["token"] is None

    week = {"from": str(today - timedelta(days=6)), "to": str(today)}

    # chef.leo: LIVE now with gifts, 1,200 followers and more, a Series bought by every fan,
    # enrolled in LIVE gifts and Series, paid weekly to PayPal with Series earnings to withdraw.
    leo = (await api.data(PROFILE, {"h": "chef.leo"}))["account"]
    assert leo["followerCount"] >= 1_200
    assert leo["currentLive"]["title"] == "Sunday bread, live from my kitchen"
    assert leo["currentLive"]["giftTotals"]["gifts"] > 0
    [series] = [edge["node"] for edge in leo["series"]["edges"]]
    assert (series["title"], series["status"], series["episodeCount"]) == (
        "Five-ingredient dinners",
        "PUBLISHED",
        3,
    )
    me = (await api.data(CHEF_PRIVATE, token=tokens["chef.leo"]))["viewer"]
    assert {e["program"]: e["active"] for e in me["enrolments"]} == {
        "CREATOR_MARKETPLACE": True,
        "LIVE_GIFTS": True,
        "SERIES": True,
    }
    share = 699  # 70% of 9.99 USD
    by_source = {s["source"]: s for s in me["wallet"]["earningsBySource"]}
    # 21 sales are past their refund window, 3 are recent and still held.
    assert by_source["SERIES"]["available"]["minorUnits"] == 21 * share
    assert by_source["SERIES"]["pending"]["minorUnits"] == 3 * share
    assert me["wallet"]["pendingEarnings"]["minorUnits"] == 3 * share
    assert me["wallet"]["earnings"]["minorUnits"] >= 21 * share
    assert me["payouts"]["methods"] == [
        {"kind": "PAYPAL", "masked": "c\u2022\u2022\u2022@paypal.example", "isDefault": True}
    ]
    # Weekly, three days from today: no payout date passed since he chose it.
    payday = today + timedelta(days=3)
    assert me["payouts"]["schedule"] == {"frequency": "WEEKLY", "weekday": payday.isoweekday()}
    forecast = me["payouts"]["forecast"]
    assert (forecast["date"], forecast["reasons"]) == (str(payday), [])
    assert forecast["amount"]["minorUnits"] == me["wallet"]["earnings"]["minorUnits"]

    # Every fan bought the Series and has coins left.
    for n in range(1, demo.FANS + 1):
        fan = await api.data(FAN, {"series": series["id"]}, tokens[f"fan{n:02d}"])
        assert fan["viewer"]["wallet"]["coins"] > 0
        bought = [edge["node"] for edge in fan["viewer"]["purchasedSeries"]["edges"]]
        assert bought == [{"series": {"id": series["id"]}, "status": "ACTIVE"}]
        assert fan["node"]["viewerAccess"] == {"allowed": True, "reason": "PURCHASED"}

    # mia.dances: a pro account with two pins, views every day of the week, 3,500 coins.
    mia = (await api.data(MIA_PRIVATE, week, tokens["mia.dances"]))["viewer"]
    assert mia["accountType"] == "BUSINESS" and len(mia["pinnedVideos"]) == 2
    assert mia["wallet"]["coins"] == 3_500
    days = mia["analytics"]["days"]
    assert [d["date"] for d in days] == [str(today - timedelta(days=6 - i)) for i in range(7)]
    assert all(d["views"] > 0 for d in days), days

    # glow.labs: a finished challenge whose winners were paid, a deal awaiting review, and
    # an open campaign creators can browse (all three campaigns funded in full).
    brand = await api.data(BRAND, token=tokens["glow.labs"])
    assert brand["viewer"]["brandProfile"] == {"name": "Glow Labs", "category": "BEAUTY"}
    mine = {c["title"]: c for c in (e["node"] for e in brand["campaigns"]["edges"])}
    challenge = mine["#glowup challenge"]
    assert challenge["status"] == "COMPLETED"
    assert [
        (w["creator"]["handle"], w["rank"], w["prize"]["minorUnits"]) for w in challenge["winners"]
    ] == [
        ("chef.leo", 1, 50_000),
        ("jin.sings", 2, 20_000),
    ]
    assert challenge["money"]["paid"]["minorUnits"] == 70_000
    review = mine["Glow serum launch"]
    [deal] = [e["node"] for e in review["deals"]["edges"]]
    assert (deal["creator"]["handle"], deal["status"]) == ("chef.leo", "SUBMITTED")
    assert datetime.fromisoformat(deal["reviewDueAt"]) > now  # the job has not approved it
    assert (review["status"], review["money"]["reserved"]["minorUnits"]) == ("IN_PROGRESS", 25_000)
    assert mine["Summer SPF"]["status"] == "OPEN"
    browse = (await api.data(BROWSE, token=tokens["jin.sings"]))["campaigns"]["edges"]
    assert {e["node"]["title"] for e in browse} == {"Summer SPF", "Glow serum launch"}
    leo_sources = {s["source"]: s for s in me["wallet"]["earningsBySource"]}
    assert leo_sources["MARKETPLACE"]["available"]["minorUnits"] == 50_000

    pat = (await api.data(PROFILE, {"h": "pat.private"}, tokens["pat.private"]))["account"]
    assert pat["visibility"] == "PRIVATE"
    staff = await api.data("{ viewer { role } }", token=tokens["staff"])
    assert staff["viewer"]["role"] == "STAFF"


def test_the_readme_names_every_demo_login():
    logins = readme_logins()
    assert logins[:6] == [
        "mia.dances@demo.reelpay.dev",
        "chef.leo@demo.reelpay.dev",
        "pat.private@demo.reelpay.dev",
        "glow.labs@demo.reelpay.dev",
        "jin.sings@demo.reelpay.dev",
        "staff@demo.reelpay.dev",
    ]
    assert len(logins) == 6 + demo.FANS


async def snapshot(engine: Any, now: datetime) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the demo made, every instant as its distance from `now`."""
    tables = {
        "accounts": "SELECT handle, country, created_at FROM accounts ORDER BY id",
        "ages": "SELECT birth_date FROM accounts ORDER BY id",
        "videos": "SELECT owner_id, title, duration_seconds, published_at FROM videos ORDER BY id",
        "views": "SELECT video_id, day, views FROM video_daily_views ORDER BY video_id, day",
        "follows": "SELECT follower_id, followee_id, created_at FROM follows ORDER BY 1, 2",
        "postings": "SELECT p.amount, t.kind, t.created_at FROM ledger_postings p "
        "JOIN ledger_transactions t ON t.id = p.transaction_id ORDER BY p.id",
    }
    found = {}
    async with engine.connect() as connection:
        for name, sql in tables.items():
            rows = (await connection.execute(sa.text(sql))).all()
            found[name] = [tuple(relative(value, now) for value in row) for row in rows]
    # Ages in whole years and days since the last birthday (years differ in length).
    found["ages"] = [age(born, now.date()) for ((_, born),) in found["ages"]]
    return found


def age(since_birth: timedelta, today: date) -> tuple[int, int]:
    born = today - since_birth
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # 29 February
        birthday = date(born.year + years, 2, 28)
    return years, (today - birthday).days


def relative(value: Any, now: datetime) -> Any:
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return ("instant", now - value)
    if isinstance(value, date):
        return ("day", now.date() - value)
    return value


@pytest.mark.dated
async def test_the_same_demo_on_every_date(clean_db, settings, clock):
    """Only the dates move: seeded at midnight after a leap day, the demo has the same rows,
    each instant and day the same distance from the moment it was loaded (ages too)."""
    first_now, second_now = clock.now(), at("2028-03-01T00:00:00")
    await seed_at(clean_db, settings, first_now)
    first = await snapshot(clean_db, first_now)
    await empty_tables(clean_db)
    await seed_at(clean_db, settings, second_now)
    second = await snapshot(clean_db, second_now)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    assert len(first["views"]) > 100 and len(first["postings"]) > 100


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"live_gifts_min_followers": 5_000},
            "chef.leo cannot join LIVE gifts",
        ),
        (
            {"series_refund_window_days": 10},
            "refund window",
        ),
        (
            {"posts_window_days": 2},
            "chef.leo cannot join Series",
        ),
        (
            {"payout_threshold_cents": 20_000},
            "chef.leo would have no Series earnings to withdraw (BELOW_THRESHOLD)",
        ),
        (
            {"series_creator_share_percent": 10},
            "chef.leo would have no Series earnings to withdraw (BELOW_THRESHOLD)",
        ),
    ],
)
async def test_a_part_that_cannot_be_seeded_stops_the_seed(
    clean_db, settings, clock, change, message
):
    broken = dataclasses.replace(settings, rules=dataclasses.replace(settings.rules, **change))
    with pytest.raises(demo.DemoError) as error:
        await seed_at(clean_db, broken, clock.now())
    assert message in str(error.value)
    async with clean_db.begin() as connection:
        assert await connection.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_dated_start_reads_the_environment(monkeypatch):
    monkeypatch.setenv("REELPAY_TEST_NOW", "2028-02-29T23:59:59Z")
    assert dated_start() == datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)
    monkeypatch.setenv("REELPAY_TEST_NOW", "2028-02-29")
    with pytest.raises(ValueError, match="REELPAY_TEST_NOW"):
        dated_start()
