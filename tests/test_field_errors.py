"""One failing field never takes its siblings down.

Every query field that can raise is asked for between siblings that read the database, at its
own level and at the root. The answer must be what the GraphQL spec says: the failing field's
error, with its path and code; null in place of the field, or of its nearest nullable parent
when the field is non-null; every other field exactly as it is when asked for alone. No database
message reaches the client, and the server logs no failure of its own (a session closed under
a running resolver, a pooled connection reset mid-statement).
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_id
from reelpay.graphql.schema import schema as graphql_schema
from reelpay.marketplace.models import BrandProfile, Category
from tests.conftest import START
from tests.factories import User, add_views, publish, sign_up
from tests.marketplace_factories import funded_campaign, make_deal
from tests.test_graphql_api import assert_no_leak, b64

OWNER, OTHER, ANONYMOUS = "owner", "other", "anonymous"

# Root siblings, before and after the field under test: each reads the database.
BEFORE = """before: account(handle: "mia") {
  followerCount followingCount videos(first: 2) { totalCount edges { node { title viewCount } } }
  followers(first: 2) { totalCount }
}"""
AFTER = "after: accounts(first: 3) { totalCount edges { node { handle followerCount } } }"
# Siblings of an Account field under test, on the same account.
TARGET = """target: account(handle: "HANDLE") {
  handle followerCount vids: videos(first: 2) { totalCount } FIELD
}"""


@dataclass(frozen=True)
class Case:
    field: str  # the selection that fails
    as_: str  # who asks
    path: tuple[str, ...]  # the error's path
    code: str  # its extensions.code
    nulls: tuple[str, ...] | None  # what becomes null (None: the whole `data`)
    handle: str = "mia"  # for an Account field: whose

    @property
    def on_account(self) -> bool:
        return self.path[0] == "target"


def on_account(field: str, as_: str, code: str, rest: tuple[str, ...], **extra: Any) -> Case:
    """A case for a field of `account(handle:)`: `rest` is the path under it."""
    nullable = extra.pop("nulls_parent", False)
    path = ("target", *rest)
    return Case(field, as_, path, code, path[:-1] if nullable else path, **extra)


BIG = 101  # one over the page-size cap
# Cursors for keys past what a database integer holds.
HUGE = b64(json.dumps(["2026-06-15T12:00:00+00:00", 2**64]))
HUGE_ID = b64(json.dumps([2**64]))
BAD = "BAD_USER_INPUT"
TOO_MANY_DAYS = 'analytics(from: "2000-01-01") { days { date } }'

CASES = [
    # Connections refuse a page over the cap, a junk cursor, and first with last.
    on_account(f"videos(first: {BIG}) {{ totalCount }}", ANONYMOUS, BAD, ("videos",)),
    on_account('videos(first: 1, after: "junk") { totalCount }', ANONYMOUS, BAD, ("videos",)),
    # A cursor the database could not hold would fail the whole DataLoader batch, siblings
    # asking for the same kind of page included.
    on_account(f'videos(first: 1, after: "{HUGE}") {{ totalCount }}', ANONYMOUS, BAD, ("videos",)),
    on_account(
        f'followers(first: 1, after: "{HUGE_ID}") {{ totalCount }}', ANONYMOUS, BAD, ("followers",)
    ),
    on_account("followers(first: 1, last: 1) { totalCount }", ANONYMOUS, BAD, ("followers",)),
    on_account(f"following(last: {BIG}) {{ totalCount }}", ANONYMOUS, BAD, ("following",)),
    on_account(f"followRequests(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("followRequests",)),
    on_account(f"tipsReceived(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("tipsReceived",)),
    on_account(f"notifications(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("notifications",)),
    on_account(f"series(first: {BIG}) {{ totalCount }}", ANONYMOUS, BAD, ("series",)),
    on_account(
        f"purchasedSeries(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("purchasedSeries",)
    ),
    on_account("topSupporters(first: 0) { coins }", ANONYMOUS, BAD, ("topSupporters",)),
    on_account('rewards(to: "2999-01-01") { date }', OWNER, BAD, ("rewards",)),
    # Non-null fields null their nullable parent.
    on_account(
        "analytics { days { date } }", ANONYMOUS, "UNAUTHENTICATED", ("analytics",),
        nulls_parent=True,
    ),
    on_account(
        "analytics { days { date } }", OTHER, "FORBIDDEN", ("analytics",), nulls_parent=True
    ),
    on_account(TOO_MANY_DAYS, OWNER, BAD, ("analytics",), nulls_parent=True),
    on_account(
        "analytics { days { date } }", OTHER, BAD, ("analytics",), nulls_parent=True,
        handle="other",  # a personal account: analytics are a pro feature
    ),
    on_account(
        'wallet { coins earningsByDay(from: "2000-01-01") { date } }', OWNER, BAD,
        ("wallet", "earningsByDay"), nulls_parent=True,
    ),
    on_account(
        f"wallet {{ coins history(first: {BIG}) {{ totalCount }} }}", OWNER, BAD,
        ("wallet", "history"), nulls_parent=True,
    ),
    on_account(
        f"payouts {{ methods {{ id }} history(first: {BIG}) {{ totalCount }} }}", OWNER, BAD,
        ("payouts", "history"), nulls_parent=True,
    ),
    on_account(
        "currentLive { title topGifters(first: 0) { coins } }", ANONYMOUS, BAD,
        ("currentLive", "topGifters"), nulls_parent=True,
    ),
    # Root fields: a nullable one is null on its own; a non-null one nulls `data`.
    Case('node(id: "junk") { id }', ANONYMOUS, ("node",), BAD, ("node",)),
    Case(  # the same refusal through node(id:): the node is null, its siblings stay
        'node(id: "MIA") { ... on Account { handle analytics { days { date } } } }', OTHER,
        ("node", "analytics"), "FORBIDDEN", ("node",),
    ),
    Case(f"nodes(ids: {json.dumps(['x'] * BIG)}) {{ id }}", ANONYMOUS, ("nodes",), BAD, None),
    Case('nodes(ids: ["junk"]) { id }', ANONYMOUS, ("nodes",), BAD, None),
    Case(f"accounts(first: {BIG}) {{ totalCount }}", ANONYMOUS, ("accounts",), BAD, None),
    Case(
        "eligibility(program: SERIES) { eligible }", ANONYMOUS, ("eligibility",),
        "UNAUTHENTICATED", None,
    ),
    Case(
        'eligibility(program: SERIES, accountId: "MIA") { eligible }', OTHER, ("eligibility",),
        "FORBIDDEN", None,
    ),
    Case(
        "programApplications(first: 5) { totalCount }", OTHER, ("programApplications",),
        "FORBIDDEN", None,
    ),
    Case(
        "seriesFromFollowing(first: 5) { totalCount }", ANONYMOUS, ("seriesFromFollowing",),
        "UNAUTHENTICATED", None,
    ),
    Case(
        "payoutForecast { date }", ANONYMOUS, ("payoutForecast",), "UNAUTHENTICATED", None
    ),
    Case(
        'payoutForecast(accountId: "MIA") { date }', OTHER, ("payoutForecast",), "FORBIDDEN",
        None,
    ),
    Case("payouts(first: 5) { totalCount }", OTHER, ("payouts",), "FORBIDDEN", None),
    Case(
        "accountTypeSwitchPreview(to: PERSONAL) { featuresLost }", ANONYMOUS,
        ("accountTypeSwitchPreview",), "UNAUTHENTICATED", None,
    ),
    # The Creator Marketplace: mia is a brand with a challenge and a deal campaign (`world`).
    on_account(f"deals(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("deals",)),
    on_account(f"proposals(first: {BIG}) {{ totalCount }}", OWNER, BAD, ("proposals",)),
    Case(f"campaigns(first: {BIG}) {{ totalCount }}", ANONYMOUS, ("campaigns",), BAD, None),
    Case(
        "myCampaigns(first: 5) { totalCount }", ANONYMOUS, ("myCampaigns",), "UNAUTHENTICATED",
        None,
    ),
    Case('campaign(id: "junk") { id }', ANONYMOUS, ("campaign",), BAD, ("campaign",)),
    Case(
        "searchCreators(first: 5) { totalCount }", ANONYMOUS, ("searchCreators",),
        "UNAUTHENTICATED", None,
    ),
    Case(
        f"searchCreators(first: {BIG}) {{ totalCount }}", OWNER, ("searchCreators",), BAD, None
    ),
    # A non-null connection nulls the campaign; a nullable one only itself.
    Case(
        f'campaign(id: "CHALLENGE") {{ entries(first: {BIG}) {{ totalCount }} }}', ANONYMOUS,
        ("campaign", "entries"), BAD, ("campaign",),
    ),
    Case(
        f'campaign(id: "CAMPAIGN") {{ deals(first: {BIG}) {{ totalCount }} }}', OWNER,
        ("campaign", "deals"), BAD, ("campaign", "deals"),
    ),
    Case(
        f'campaign(id: "CAMPAIGN") {{ proposals(first: {BIG}) {{ totalCount }} }}', OWNER,
        ("campaign", "proposals"), BAD, ("campaign", "proposals"),
    ),
    Case(
        'node(id: "DEAL") { ... on Deal { commissionReports(first: BIG) { totalCount } } }'.replace(
            "BIG", str(BIG)
        ),
        OWNER, ("node", "commissionReports"), BAD, ("node",),
    ),
]  # fmt: skip


@dataclass
class World:
    mia: User  # a pro account with videos, views, followers and a LIVE; a brand
    other: User  # a personal account
    # mia's campaigns: a challenge, and a deal campaign with other's deal (global IDs).
    ids: dict[str, str]


@pytest.fixture
async def world(api: Any, clock: Any) -> World:
    mia = await sign_up(api, "mia")
    other = await sign_up(api, "other")
    payload = await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=mia.token
    )
    assert payload["userErrors"] == []
    today = clock.now().date()
    for title in ("One", "Two", "Three"):
        video = await publish(api, mia, title)
        await add_views(api.engine, video, {today - timedelta(days=1): 7})
    follow = await api.mutate(
        "follow", {"accountId": mia.id}, "status", token=other.token, input_type="AccountRefInput"
    )
    assert follow["userErrors"] == []
    live = await api.mutate("startLive", {"title": "On air"}, "live { id }", token=mia.token)
    assert live["userErrors"] == []
    await brand_profile(api.engine, mia)
    challenge = await funded_campaign(api.engine, mia, now=START, kind="CHALLENGE")
    campaign = await funded_campaign(api.engine, mia, now=START)
    deal = await make_deal(api.engine, campaign, other, now=START)
    ids = {
        '"MIA"': mia.id,
        '"CHALLENGE"': encode_id("Campaign", challenge),
        '"CAMPAIGN"': encode_id("Campaign", campaign),
        '"DEAL"': encode_id("Deal", deal),
    }
    return World(mia, other, {key: json.dumps(value) for key, value in ids.items()})


async def brand_profile(engine: Any, user: User) -> None:
    """Make a BUSINESS account a brand (a profile inserted directly)."""
    async with create_sessionmaker(engine)() as session:
        session.add(
            BrandProfile(
                account_id=user.pk, name="Mia Co", website=None, category=Category.BEAUTY,
                created_at=START, updated_at=START,
            )
        )  # fmt: skip
        await run_write(session, session.flush)


def query_for(case: Case | None, handle: str = "mia") -> str:
    """The siblings, with the case's field among them (none: the siblings alone)."""
    if case is None:
        middle = TARGET.replace("HANDLE", handle).replace("FIELD", "")
    elif case.on_account:
        middle = TARGET.replace("HANDLE", case.handle).replace("FIELD", case.field)
    else:
        middle = case.field
    return "{ " + "\n".join((BEFORE, middle, AFTER)) + " }"


def nulled(baseline: dict[str, Any], case: Case) -> dict[str, Any] | None:
    """The baseline with what the case's error nulls set to null."""
    if case.nulls is None:
        return None
    data = copy.deepcopy(baseline)
    if not case.on_account:
        # The root field is null, or (its nullable child failing) holds only that null.
        value = None if len(case.nulls) == 1 else {case.nulls[1]: None}
        return {"before": data["before"], case.path[0]: value, "after": data["after"]}
    parent: Any = data
    for key in case.nulls[:-1]:
        parent = parent[key]
    if parent is not None:
        parent[case.nulls[-1]] = None
    return data


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.as_}-{c.field[:40]}")
async def test_a_failing_field_nulls_only_what_the_spec_says(api, world, case, caplog):
    tokens = {OWNER: world.mia.token, OTHER: world.other.token, ANONYMOUS: None}
    token = tokens[case.as_]
    baseline = await api.data(query_for(None, case.handle), token=token)
    query = query_for(case)
    for placeholder, value in world.ids.items():
        query = query.replace(placeholder, value)

    caplog.set_level(logging.WARNING)
    for _ in range(3):  # the same answer every time, whatever finishes first
        response = await api.post(query, token=token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_no_leak(response.text)
        assert len(body.get("errors", [])) == 1, body
        [error] = body["errors"]
        found = (tuple(error.get("path", ())), error["extensions"]["code"])
        assert found == (case.path, case.code), body
        assert body["data"] == nulled(baseline, case), body
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_every_field_with_arguments_has_a_case():
    """A new field that takes arguments (and so can refuse them) needs a case above."""
    covered = {case.path[-1] for case in CASES}
    from graphql import GraphQLObjectType

    with_arguments = {
        name
        for type_name, kind in graphql_schema._schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and type_name not in ("Mutation", "Subscription")
        and not type_name.startswith("__")
        for name, field in kind.fields.items()
        # account(handle:) returns null, never fails; programTerms(program:) takes only an
        # enum, which validation checks before anything runs.
        if field.args and name not in ("account", "programTerms")
    }
    assert with_arguments - covered == set()


async def test_a_node_lookup_next_to_readers_never_leaks_across_ids(api, world):
    """`nodes` with one junk ID fails as a whole (it is non-null) and says which."""
    ids = [world.mia.id, encode_id("Account", 10**9), "junk"]
    body = await api.execute(
        "query($ids: [ID!]!) { " + BEFORE + " nodes(ids: $ids) { id } " + AFTER + " }",
        {"ids": ids},
    )
    assert len(body.get("errors", [])) == 1, body
    [error] = body["errors"]
    assert error.get("path") == ["nodes"], body
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None


async def test_a_failure_outside_any_field_is_internal_and_says_nothing_of_the_database(
    api, world, monkeypatch, caplog
):
    """Were the operation's clean-up to fail, the client learns nothing of why."""
    import sqlalchemy.exc

    from reelpay.graphql.context import Context

    close = Context.close

    async def broken_close(self: Context) -> None:
        await close(self)
        raise sqlalchemy.exc.OperationalError("ROLLBACK", {}, Exception("sqlite3 disk I/O"))

    monkeypatch.setattr(Context, "close", broken_close)
    response = await api.post("{ " + BEFORE + " }")
    assert_no_leak(response.text)
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]) == (
        "Unexpected error.",
        {"code": "INTERNAL_SERVER_ERROR"},
    )
    assert "sqlite3 disk I/O" in caplog.text  # the operator sees it in the log


async def test_cancelled_siblings_leave_nothing_behind(api, world, caplog):
    """Many failing non-null fields inside a page, at once: every sibling graphql-core cancels
    settles before the session closes, and no orphaned failure is left for the log."""
    import asyncio
    import gc

    query = """{ accounts(first: 20) { edges { node {
      handle analytics { days { date } } followerCount videos(first: 5) { totalCount }
    } } } }"""
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        bodies = await asyncio.gather(
            *(api.execute(query, token=world.other.token) for _ in range(20))
        )
        for body in bodies:  # mia's analytics are hers; other's account is not a pro one
            assert body["data"] is None  # analytics, node, edges and accounts are non-null
            [error] = body["errors"]
            assert error["extensions"]["code"] in ("FORBIDDEN", BAD), error
        gc.collect()
        await asyncio.sleep(0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
