"""What the hot reads cost in SQL: exact statements per request, on both backends.

Speed itself is measured by `make bench` (ratios against a raw route); these tests pin the
number and the kind of statements each scenario runs, so a change that adds a round trip, reads
a column nobody asked for or falls back to a slower query shape fails here, not in production.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reelpay.settings import Settings
from tests.factories import buy_coins, enrol, publish, sign_up
from tests.test_graphql_api import counting_statements


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The production path: no sandbox clock. Outside production each operation that reads
    data runs one more statement, the sandbox offset's primary-key read (pinned in
    tests/test_sandbox_clock.py)."""
    return dataclasses.replace(settings, sandbox_clock=False)


PROFILE = """query($handle: String!) { account(handle: $handle) {
  id handle displayName bio followerCount followingCount
  pinnedVideos { id title }
  videos(first: 20) {
    edges { cursor node { id title durationSeconds viewCount publishedAt } }
    pageInfo { hasNextPage endCursor }
  }
} }"""

PROFILE_WITH_SERIES = """query($handle: String!) { account(handle: $handle) {
  id handle displayName bio followerCount followingCount
  pinnedVideos { id title series { id title price { amount currency } } }
  videos(first: 20) {
    edges { cursor node { id title durationSeconds viewCount publishedAt
      series { id title price { amount currency } } } }
    pageInfo { hasNextPage endCursor }
  }
} }"""

ACCOUNTS_AND_VIDEOS = """{ accounts(first: 100) { edges { node {
  handle videos(first: 10) { edges { node { id title } } }
} } } }"""


SERIES_PAGE = """query($id: ID!) { node(id: $id) { ... on Series {
  title price { amount currency } creator { handle } episodeCount viewerAccess { allowed }
  episodes { position title durationSeconds playback { allowed url expiresAt } }
} } }"""


def sql_only(statements: list[str]) -> list[str]:
    """The statements that reach the database as queries (SQLite's explicit BEGIN aside)."""
    return [s for s in statements if s.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE")]


async def pro_creator(api: Any, handle: str, videos: int) -> Any:
    creator = await sign_up(api, handle)
    await api.mutate(
        "switchAccountType", {"accountType": "BUSINESS"}, "account { id }", token=creator.token
    )
    ids = [await publish(api, creator, f"{handle} {i}") for i in range(videos)]
    payload = await api.mutate(
        "setPinnedVideos", {"videoIds": ids[:2]}, "account { id }", token=creator.token
    )
    assert payload["userErrors"] == []
    return creator


async def test_a_profile_read_is_four_queries_and_never_reads_the_password_hash(api):
    await pro_creator(api, "maker", videos=25)
    fan = await sign_up(api, "fan")
    await api.mutate(
        "follow",
        {"accountId": (await api.data('{ account(handle: "maker") { id } }'))["account"]["id"]},
        "status",
        token=fan.token,
        input_type="AccountRefInput",
    )

    with counting_statements(api.engine) as statements:
        data = await api.data(PROFILE, {"handle": "maker"})

    profile = data["account"]
    assert (profile["followerCount"], profile["followingCount"]) == (1, 0)
    assert [v["title"] for v in profile["pinnedVideos"]] == ["maker 0", "maker 1"]
    assert len(profile["videos"]["edges"]) == 20 and profile["videos"]["pageInfo"]["hasNextPage"]
    queries = sql_only(statements)
    # the account by handle; both follow counts; the pinned videos; the page of videos
    assert len(queries) == 4, "\n".join(queries)
    assert not any("password_hash" in q for q in queries), queries
    # One owner's page is a plain ORDER BY ... LIMIT, not the many-owner window function.
    assert not any("row_number" in q.lower() for q in queries), queries


async def test_a_profile_read_with_the_series_videos_link_adds_one_query_a_list(api):
    creator = await pro_creator(api, "maker", videos=25)
    await enrol(api.engine, creator, "SERIES")
    series_ids = []
    for title in ("Saga", "Sequel"):
        created = await api.mutate(
            "createSeries", {"title": title, "priceCents": 499}, "series { id }",
            token=creator.token,
        )  # fmt: skip
        series_id = created["series"]["id"]
        episode = {"seriesId": series_id, "title": "Pilot", "durationSeconds": 60}
        await api.mutate("addSeriesEpisode", episode, "episode { id }", token=creator.token)
        await api.mutate(
            "publishSeries", {"seriesId": series_id}, "series { id }", token=creator.token
        )
        series_ids.append(series_id)
    videos = await api.data(
        'query { account(handle: "maker") { videos(first: 25) { edges { node { id } } } } }'
    )
    for n, edge in enumerate(videos["account"]["videos"]["edges"]):
        if n % 3:  # of every three videos: one links nothing, one Saga, one Sequel
            linked = await api.mutate(
                "linkVideoSeries",
                {"videoId": edge["node"]["id"], "seriesId": series_ids[n % 3 - 1]},
                "video { id }",
                token=creator.token,
            )
            assert linked["userErrors"] == []

    with counting_statements(api.engine) as statements:
        data = await api.data(PROFILE_WITH_SERIES, {"handle": "maker"})

    profile = data["account"]
    titles = [
        e["node"]["series"] and e["node"]["series"]["title"] for e in profile["videos"]["edges"]
    ]
    assert titles == [None, "Saga", "Sequel"] * 6 + [None, "Saga"]
    pinned = [v["series"] and v["series"]["title"] for v in profile["pinnedVideos"]]
    assert pinned == [None, "Sequel"]  # maker 0 and maker 1, the oldest of the 25
    queries = sql_only(statements)
    # The profile read's four, and one per list of videos (not per video) for the Series they
    # link: the pins' Series while the page is read, then the page's (the pins' already cached).
    assert len(queries) == 6, "\n".join(queries)
    assert sum("FROM series" in q for q in queries) == 2, queries
    assert not any("password_hash" in q for q in queries), queries


async def test_a_page_of_accounts_with_their_videos_is_three_queries(api):
    for i in range(3):
        await pro_creator(api, f"maker{i}", videos=12)

    with counting_statements(api.engine) as statements:
        data = await api.data(ACCOUNTS_AND_VIDEOS)

    edges = data["accounts"]["edges"]
    assert [len(e["node"]["videos"]["edges"]) for e in edges] == [10, 10, 10]
    queries = sql_only(statements)
    # the page of accounts; the owners' pins are not asked for; every owner's page at once
    assert len(queries) == 2, "\n".join(queries)
    assert not any("password_hash" in q for q in queries), queries


@pytest.mark.usefixtures("verify_ledger")
async def test_a_buyers_series_page_costs_a_fixed_number_of_queries(api):
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES")
    created = await api.mutate(
        "createSeries", {"title": "Saga", "priceCents": 499}, "series { id }", token=creator.token
    )
    series_id = created["series"]["id"]
    for i in range(5):
        episode = {"seriesId": series_id, "title": f"Part {i}", "durationSeconds": 60}
        await api.mutate("addSeriesEpisode", episode, "episode { id }", token=creator.token)
    await api.mutate("publishSeries", {"seriesId": series_id}, "series { id }", token=creator.token)
    buyer = await sign_up(api, "buyer")
    await buy_coins(api, buyer, 700)
    bought = await api.mutate(
        "purchaseSeries",
        {"seriesId": series_id, "paidWith": "COINS", "idempotencyKey": "series-page-1"},
        "purchase { id }",
        token=buyer.token,
    )
    assert bought["userErrors"] == []

    with counting_statements(api.engine) as statements:
        data = await api.data(SERIES_PAGE, {"id": series_id}, token=buyer.token)

    episodes = data["node"]["episodes"]
    assert [e["position"] for e in episodes] == [1, 2, 3, 4, 5]
    assert all(e["playback"]["allowed"] and e["playback"]["url"] for e in episodes)
    queries = sql_only(statements)
    # the viewer; the Series; its creator; the episodes; the buyer's purchase
    assert len(queries) == 5, "\n".join(queries)
    assert not any("password_hash" in q for q in queries), queries


async def test_typename_alone_touches_no_database(api):
    with counting_statements(api.engine) as statements:
        data = await api.data("{ __typename }")

    assert data == {"__typename": "Query"}
    assert statements == []
