"""Series content that never leaks: every read path, refused mutation and signed link, as every
kind of viewer.

Rules: a published Series' metadata (title, price, episode titles, durations, order, count) is
public when its creator's content is visible to you, or you bought it; drafts only to the creator
and staff. Episode.playback gives a signed /media link only to the creator (OWNER) and buyers with
an active purchase (PURCHASED); everyone else gets allowed false, url null and NOT_PURCHASED (or
REFUNDED after a staff refund). Staff see metadata, never content. Someone else's Series or
episode is NOT_FOUND to every editing mutation. Links are HMAC-SHA256 over key, login session
(its token's hash) and expiry, valid for 300 s with that session's bearer token, refused (403)
when tampered, malformed or at/after expiry (tests/test_playback_protection.py: the rest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from reelpay.series import access
from reelpay.series.models import PurchaseStatus
from tests.factories import (
    DECLINED_TOKEN,
    SUCCESS_TOKEN,
    User,
    buy_coins,
    enrol,
    make_staff,
    new_key,
    set_account,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

START = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
EXPIRES = int(START.timestamp()) + 300  # playback_url_ttl_seconds
EXPIRES_AT = "2026-06-15T12:05:00+00:00"
REF = "AccountRefInput"
PLAYBACK = "playback { allowed reason url expiresAt }"
EPISODE = f"id position title durationSeconds {PLAYBACK}"
SERIES = (
    "id title status price { minorUnits } episodeCount viewerAccess { allowed reason } "
    f"episodes {{ {EPISODE} }}"
)
PUBLISHED_EPISODES = [(1, "One", 30), (2, "Two", 600), (3, "Three", 1200)]
DRAFT_EPISODES = [(1, "Hidden A", 45), (2, "Hidden B", 90)]

VIEWERS = ["anonymous", "stranger", "refunded", "rival", "staff", "creator", "buyer"]
NON_PLAYERS = ["anonymous", "stranger", "refunded", "rival", "staff"]
ACCESS = {
    "anonymous": (False, "NOT_PURCHASED"),
    "stranger": (False, "NOT_PURCHASED"),
    "refunded": (False, "REFUNDED"),
    "rival": (False, "NOT_PURCHASED"),
    "staff": (False, "NOT_PURCHASED"),
    "creator": (True, "OWNER"),
    "buyer": (True, "PURCHASED"),
}


# --- arranging -----------------------------------------------------------------------------


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def new_series(api: Any, creator: User, title: str, price: int, episodes: list) -> str:
    payload = ok(
        await api.mutate(
            "createSeries", {"title": title, "priceCents": price}, "series { id }", creator.token
        )
    )
    series_id = payload["series"]["id"]
    for _, episode_title, seconds in episodes:
        input = {"seriesId": series_id, "title": episode_title, "durationSeconds": seconds}
        ok(await api.mutate("addSeriesEpisode", input, "episode { id }", creator.token))
    return series_id


async def publish_series(api: Any, creator: User, series_id: str) -> None:
    ok(await api.mutate("publishSeries", {"seriesId": series_id}, "series { id }", creator.token))


async def purchase(
    api: Any, buyer: User, series_id: str, paid_with: str = "COINS", token: str | None = None
) -> dict[str, Any]:
    input = {"seriesId": series_id, "paidWith": paid_with, "idempotencyKey": new_key()}
    if token:
        input["paymentToken"] = token
    selection = f"purchase {{ id status coins series {{ {SERIES} }} }} wallet {{ coins }}"
    return await api.mutate("purchaseSeries", input, selection, buyer.token)


async def follow(api: Any, user: User, target: User) -> str:
    payload = await api.mutate("follow", {"accountId": target.id}, "status", user.token, REF)
    return ok(payload)["status"]


@dataclass
class World:
    api: Any
    users: dict[str, User]
    series_id: str
    episode_ids: list[str]
    draft_id: str
    draft_episode_ids: list[str]
    purchase_id: str
    refunded_purchase_id: str

    def user(self, who: str) -> User | None:
        return self.users.get(who)

    def token(self, who: str) -> str | None:
        user = self.user(who)
        return user.token if user else None

    async def ask(self, who: str, query: str, variables: dict | None = None) -> dict[str, Any]:
        """The whole response body, after checking it holds no key `who` may not play."""
        body = await self.api.execute(query, variables, self.token(who))
        assert await forbidden_keys(self.api, self.user(who)), "nothing to look for"
        await assert_no_leak(self.api, self.user(who), body)
        return body


async def episode_ids(api: Any, series_id: str, token: str) -> list[str]:
    query = "query($id: ID!) { node(id: $id) { ... on Series { episodes { id } } } }"
    data = await api.data(query, {"id": series_id}, token)
    return [e["id"] for e in data["node"]["episodes"]]


@pytest.fixture
async def world(api: Any) -> World:
    """maker: published "Paid" (499 cents, 3 episodes) and draft "Secret" (2 episodes);
    rival: another Series creator with a published Series; buyer: bought "Paid" with coins;
    refunded: bought it with coins, refunded by staff; stranger: nothing. Everyone but the
    maker follows the maker."""
    maker = await sign_up(api, "maker")
    rival = await sign_up(api, "rival")
    await enrol(api.engine, maker, "SERIES")
    await enrol(api.engine, rival, "SERIES")
    series_id = await new_series(api, maker, "Paid", 499, PUBLISHED_EPISODES)
    await publish_series(api, maker, series_id)
    draft_id = await new_series(api, maker, "Secret", 999, DRAFT_EPISODES)
    rival_id = await new_series(api, rival, "Rival", 299, [(1, "Other", 60)])
    await publish_series(api, rival, rival_id)
    users = {
        "creator": maker,
        "rival": rival,
        "buyer": await sign_up(api, "buyer"),
        "refunded": await sign_up(api, "refunded"),
        "stranger": await sign_up(api, "stranger"),
        "staff": await make_staff(api, api.engine),
    }
    bought = {}
    for who in ("buyer", "refunded"):
        await buy_coins(api, users[who], 700)
        bought[who] = ok(await purchase(api, users[who], series_id))["purchase"]["id"]
    refund = await api.mutate(
        "refundSeriesPurchase",
        {"purchaseId": bought["refunded"]},
        "purchase { status }",
        users["staff"].token,
    )
    assert ok(refund)["purchase"]["status"] == "REFUNDED"
    for who in ("buyer", "refunded", "stranger", "rival", "staff"):
        assert await follow(api, users[who], maker) == "ACCEPTED"
    return World(
        api=api,
        users=users,
        series_id=series_id,
        episode_ids=await episode_ids(api, series_id, maker.token),
        draft_id=draft_id,
        draft_episode_ids=await episode_ids(api, draft_id, maker.token),
        purchase_id=bought["buyer"],
        refunded_purchase_id=bought["refunded"],
    )


# --- checking ------------------------------------------------------------------------------


async def keys_by_position(api: Any, series_id: str) -> list[str]:
    from tests.factories import decode_pk

    async with api.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT media_key FROM series_episodes WHERE series_id = :s ORDER BY position"),
            {"s": decode_pk(series_id)},
        )
        return [r[0] for r in rows]


async def forbidden_keys(api: Any, viewer: User | None) -> set[str]:
    """Every media key but those of Series `viewer` made or holds an active purchase of."""
    async with api.engine.connect() as connection:
        every = {
            r[0] for r in await connection.execute(sa.text("SELECT media_key FROM series_episodes"))
        }
        if viewer is None:
            return every
        playable = await connection.execute(
            sa.text(
                "SELECT e.media_key FROM series_episodes e JOIN series s ON s.id = e.series_id "
                "WHERE s.creator_id = :v OR EXISTS (SELECT 1 FROM series_purchases p "
                "WHERE p.series_id = s.id AND p.buyer_id = :v AND p.status = 'ACTIVE')"
            ),
            {"v": viewer.pk},
        )
        return every - {r[0] for r in playable}


async def assert_no_leak(api: Any, viewer: User | None, body: Any) -> None:
    text = json.dumps(body)
    keys = await forbidden_keys(api, viewer)
    leaked = sorted(k for k in keys if k in text)
    assert leaked == [], f"media keys leaked to {viewer and viewer.handle}: {leaked} in {text}"


async def check_playback(
    api: Any, playback: dict[str, Any], expected: tuple[bool, str], viewer: User | None, key: str
) -> None:
    """Refused: no url. Allowed: a link to `key` for `viewer`, expiring in 300 s, that works."""
    allowed, reason = expected
    assert (playback["allowed"], playback["reason"]) == (allowed, reason)
    if not allowed:
        assert playback["url"] is None and playback["expiresAt"] is None
        return
    assert viewer is not None
    url = urlsplit(playback["url"])
    assert url.path == f"/media/{key}"
    query = parse_qs(url.query)
    assert sorted(query) == ["expires", "sig"] and query["expires"] == [str(EXPIRES)]
    assert len(query["sig"][0]) == 64 and set(query["sig"][0]) <= set("0123456789abcdef")
    assert playback["expiresAt"] == EXPIRES_AT
    response = await api.client.get(playback["url"], headers=bearer(viewer.token))
    assert (response.status_code, response.content) == (200, f"episode {key}".encode())


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def errors(body: dict[str, Any], name: str) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in body["data"][name]["userErrors"]]


def top_code(body: dict[str, Any]) -> str:
    assert body["data"] is None or all(v is None for v in body["data"].values()), body
    return body["errors"][0]["extensions"]["code"]


async def snapshot(api: Any) -> dict[str, list]:
    """Every Series, episode, purchase and ledger row: what a refused mutation must not touch."""
    tables = {
        "series": "SELECT * FROM series ORDER BY id",
        "episodes": "SELECT * FROM series_episodes ORDER BY id",
        "purchases": "SELECT * FROM series_purchases ORDER BY id",
        "ledger": "SELECT count(*) FROM ledger_transactions",
    }
    async with api.engine.connect() as connection:
        return {
            n: [tuple(r) for r in await connection.execute(sa.text(q))] for n, q in tables.items()
        }


# --- node, nodes -----------------------------------------------------------------------------

NODE_QUERY = f"""query($s: ID!, $e1: ID!, $e2: ID!, $e3: ID!) {{
  series: node(id: $s) {{ ... on Series {{ {SERIES} }} }}
  e1: node(id: $e1) {{ ... on SeriesEpisode {{ {EPISODE} series {{ id }} }} }}
  e2: node(id: $e2) {{ ... on SeriesEpisode {{ {EPISODE} series {{ id }} }} }}
  e3: node(id: $e3) {{ ... on SeriesEpisode {{ {EPISODE} series {{ id }} }} }}
  many: nodes(ids: [$s, $e1, $e2, $e3]) {{
    ... on Series {{ {SERIES} }}
    ... on SeriesEpisode {{ {EPISODE} series {{ id }} }}
  }}
}}"""


@pytest.mark.parametrize("who", VIEWERS)
async def test_published_series_by_node_and_nodes(world: World, who: str) -> None:
    """Given the published Series, when `who` fetches it and each episode by node and nodes,
    then the metadata is public and only the creator and the buyer get working links."""
    ids = world.episode_ids
    body = await world.ask(
        who, NODE_QUERY, {"s": world.series_id, "e1": ids[0], "e2": ids[1], "e3": ids[2]}
    )
    assert "errors" not in body, body
    data = body["data"]
    series = data["series"]
    assert (series["id"], series["title"], series["status"]) == (
        world.series_id,
        "Paid",
        "PUBLISHED",
    )
    assert (series["price"]["minorUnits"], series["episodeCount"]) == (499, 3)
    allowed, reason = ACCESS[who]
    assert series["viewerAccess"] == {"allowed": allowed, "reason": reason}
    listed = [(e["position"], e["title"], e["durationSeconds"]) for e in series["episodes"]]
    assert listed == PUBLISHED_EPISODES
    assert [e["id"] for e in series["episodes"]] == ids
    keys = await keys_by_position(world.api, world.series_id)
    viewer = world.user(who)
    for n, key in enumerate(keys):
        single = data[f"e{n + 1}"]
        assert (single["id"], single["series"]["id"]) == (ids[n], world.series_id)
        assert (single["position"], single["title"]) == PUBLISHED_EPISODES[n][:2]
        for playback in (series["episodes"][n]["playback"], single["playback"]):
            await check_playback(world.api, playback, ACCESS[who], viewer, key)
    assert data["many"][0] == series
    assert data["many"][1:] == [data["e1"], data["e2"], data["e3"]]


@pytest.mark.parametrize("who", VIEWERS)
async def test_draft_of_another_creator_is_hidden(world: World, who: str) -> None:
    """Given maker's draft, then node/nodes give null to everyone but the creator and staff;
    staff see the metadata without content; the creator gets working links."""
    d1, d2 = world.draft_episode_ids
    query = f"""query($d: ID!, $e1: ID!, $e2: ID!) {{
      series: node(id: $d) {{ ... on Series {{ {SERIES} }} }}
      e1: node(id: $e1) {{ ... on SeriesEpisode {{ {EPISODE} }} }}
      e2: node(id: $e2) {{ ... on SeriesEpisode {{ {EPISODE} }} }}
      many: nodes(ids: [$d, $e1, $e2]) {{ ... on Node {{ id }} }}
    }}"""
    body = await world.ask(who, query, {"d": world.draft_id, "e1": d1, "e2": d2})
    data = body["data"]
    if who not in ("creator", "staff"):
        assert data == {"series": None, "e1": None, "e2": None, "many": [None, None, None]}
        return
    series = data["series"]
    assert (series["title"], series["status"], series["episodeCount"]) == ("Secret", "DRAFT", 2)
    assert [(e["position"], e["title"], e["durationSeconds"]) for e in series["episodes"]] == (
        DRAFT_EPISODES
    )
    assert data["many"] == [{"id": world.draft_id}, {"id": d1}, {"id": d2}]
    keys = await keys_by_position(world.api, world.draft_id)
    for n, key in enumerate(keys):
        for playback in (series["episodes"][n]["playback"], data[f"e{n + 1}"]["playback"]):
            await check_playback(world.api, playback, ACCESS[who], world.user(who), key)


# --- lists -----------------------------------------------------------------------------------

LIST_SERIES = f"totalCount edges {{ node {{ {SERIES} }} }}"
LISTS = f"""{{
  account(handle: "maker") {{ series {{ {LIST_SERIES} }} }}
  buyerAccount: account(handle: "buyer") {{ purchasedSeries {{ totalCount }} }}
}}"""
OWN_LISTS = f"""{{
  viewer {{ purchasedSeries {{ totalCount edges {{ node {{ status series {{ {SERIES} }} }} }} }} }}
  seriesFromFollowing {{ {LIST_SERIES} }}
}}"""


async def check_series_playback(
    world: World, series: dict[str, Any], who: str, expected: tuple[bool, str] | None = None
) -> None:
    series_id = world.series_id if series["title"] == "Paid" else world.draft_id
    allowed, reason = expected or ACCESS[who]
    assert series["viewerAccess"] == {"allowed": allowed, "reason": reason}
    keys = await keys_by_position(world.api, series_id)
    for episode, key in zip(series["episodes"], keys, strict=True):
        await check_playback(
            world.api, episode["playback"], (allowed, reason), world.user(who), key
        )


@pytest.mark.parametrize("who", VIEWERS)
async def test_lists_show_drafts_and_purchases_to_their_owners_only(world: World, who: str) -> None:
    """Account.series (drafts for the creator and staff), Account.purchasedSeries (owner only,
    active purchases) and seriesFromFollowing (published Series of followed creators)."""
    body = await world.ask(who, LISTS)
    assert "errors" not in body, body
    listed = body["data"]["account"]["series"]
    titles = ["Secret", "Paid"] if who in ("creator", "staff") else ["Paid"]
    assert [e["node"]["title"] for e in listed["edges"]] == titles
    assert listed["totalCount"] == len(titles)
    for edge in listed["edges"]:
        await check_series_playback(world, edge["node"], who)
    bought = body["data"]["buyerAccount"]["purchasedSeries"]
    assert bought == ({"totalCount": 1} if who == "buyer" else None)

    own = await world.ask(who, OWN_LISTS)
    if who == "anonymous":
        assert top_code(own) == "UNAUTHENTICATED"
        return
    assert "errors" not in own, own
    purchased = own["data"]["viewer"]["purchasedSeries"]
    if who == "buyer":
        assert purchased["totalCount"] == 1
        [edge] = purchased["edges"]
        assert edge["node"]["status"] == "ACTIVE"
        await check_series_playback(world, edge["node"]["series"], who)
    else:  # a refunded purchase is no longer "Purchased content"
        assert purchased == {"totalCount": 0, "edges": []}
    following = own["data"]["seriesFromFollowing"]
    expected = [] if who == "creator" else ["Paid"]  # the creator does not follow themself
    assert [e["node"]["title"] for e in following["edges"]] == expected
    assert following["totalCount"] == len(expected)
    for edge in following["edges"]:
        await check_series_playback(world, edge["node"], who)


# --- purchases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paid_with", "token", "coins"), [("COINS", None, 353), ("CARD", SUCCESS_TOKEN, None)]
)
async def test_purchase_payload_gives_the_new_buyer_links(
    world: World, paid_with: str, token: str | None, coins: int | None
) -> None:
    """Given a new viewer with 700 coins, when they buy, then the payload's Series gives them
    PURCHASED links for their own id, and 353 coins went (ceil(499 * 70 / 99))."""
    fan = await sign_up(world.api, "fan")
    await buy_coins(world.api, fan, 700)
    world.users["fan"] = fan
    input = {"seriesId": world.series_id, "paidWith": paid_with, "idempotencyKey": new_key()}
    if token:
        input["paymentToken"] = token
    query = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { "
        f"purchase {{ status coins series {{ {SERIES} }} }} wallet {{ coins }} "
        "userErrors { code } } }"
    )
    body = await world.ask("fan", query, {"i": input})
    payload = body["data"]["purchaseSeries"]
    assert payload["userErrors"] == []
    assert (payload["purchase"]["status"], payload["purchase"]["coins"]) == ("ACTIVE", coins)
    assert payload["wallet"]["coins"] == 700 - (coins or 0)
    await check_series_playback(world, payload["purchase"]["series"], "fan", (True, "PURCHASED"))


REFUSED_PURCHASES = [
    # who, paid with, token, code
    ("stranger", "COINS", None, "INSUFFICIENT_COINS"),
    ("rival", "COINS", None, "INSUFFICIENT_COINS"),
    ("staff", "COINS", None, "INSUFFICIENT_COINS"),
    ("refunded", "CARD", DECLINED_TOKEN, "CARD_DECLINED"),
    ("refunded", "CARD", None, "PAYMENT_METHOD_REQUIRED"),
    ("buyer", "COINS", None, "ALREADY_PURCHASED"),
    ("creator", "COINS", None, "CANNOT_PAY_SELF"),
]


@pytest.mark.parametrize(("who", "paid_with", "token", "code"), REFUSED_PURCHASES)
async def test_refused_purchase_leaks_nothing_and_moves_nothing(
    world: World, who: str, paid_with: str, token: str | None, code: str
) -> None:
    before = await snapshot(world.api)
    input = {"seriesId": world.series_id, "paidWith": paid_with, "idempotencyKey": new_key()}
    if token:
        input["paymentToken"] = token
    query = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { "
        f"purchase {{ id series {{ {SERIES} }} }} wallet {{ coins }} "
        "userErrors { code field message } } }"
    )
    body = await world.ask(who, query, {"i": input})
    payload = body["data"]["purchaseSeries"]
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert payload["purchase"] is None and payload["wallet"] is None
    assert await snapshot(world.api) == before


async def test_anonymous_purchase_is_unauthenticated(world: World) -> None:
    before = await snapshot(world.api)
    query = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { "
        f"purchase {{ series {{ {SERIES} }} }} userErrors {{ code }} }} }}"
    )
    input = {"seriesId": world.series_id, "paidWith": "COINS", "idempotencyKey": new_key()}
    body = await world.ask("anonymous", query, {"i": input})
    assert top_code(body) == "UNAUTHENTICATED"
    assert await snapshot(world.api) == before


@pytest.mark.parametrize("who", VIEWERS)
async def test_purchase_nodes_are_for_the_buyer_and_staff(world: World, who: str) -> None:
    """A SeriesPurchase node: the buyer's own (ACTIVE, links), the refunded buyer's own
    (REFUNDED, no links), staff both (no links); null to everyone else."""
    fields = f"... on SeriesPurchase {{ status buyer {{ handle }} series {{ {SERIES} }} }}"
    query = f"query($a: ID!, $r: ID!) {{ active: node(id: $a) {{ {fields} }} "
    query += f"refunded: node(id: $r) {{ {fields} }} }}"
    body = await world.ask(who, query, {"a": world.purchase_id, "r": world.refunded_purchase_id})
    data = body["data"]
    visible = {
        "buyer": ("active",),
        "refunded": ("refunded",),
        "staff": ("active", "refunded"),
    }.get(who, ())
    for name, status, buyer in (
        ("active", "ACTIVE", "buyer"),
        ("refunded", "REFUNDED", "refunded"),
    ):
        node = data[name]
        if name not in visible:
            assert node is None
            continue
        assert (node["status"], node["buyer"]["handle"]) == (status, buyer)
        await check_series_playback(world, node["series"], who)


# --- refused mutations: NOT_FOUND, nothing changed, no content in errors --------------------

EDITS = [
    # mutation, payload selection, input (built from the target Series and its episodes)
    ("updateSeries", "series", lambda s, e: {"seriesId": s, "title": "Mine now"}),
    (
        "addSeriesEpisode",
        "episode",
        lambda s, e: {"seriesId": s, "title": "X", "durationSeconds": 60},
    ),
    ("publishSeries", "series", lambda s, e: {"seriesId": s}),
    ("archiveSeries", "series", lambda s, e: {"seriesId": s}),
    ("removeSeriesEpisode", "series", lambda s, e: {"episodeId": e[0]}),
    ("reorderSeriesEpisodes", "series", lambda s, e: {"seriesId": s, "episodeIds": e[::-1]}),
    ("updateSeriesEpisode", "episode", lambda s, e: {"episodeId": e[0], "title": "Renamed"}),
]
ACTORS = ["anonymous", "stranger", "refunded", "buyer", "rival", "staff"]


def expected_refusal(mutation: str, who: str) -> tuple[str, list[str] | None]:
    if mutation == "publishSeries" and who != "rival":  # checked before the Series is looked up
        return "SERIES_CREATOR_REQUIRED", None
    field = (
        "episodeId" if mutation in ("removeSeriesEpisode", "updateSeriesEpisode") else "seriesId"
    )
    return "NOT_FOUND", ["input", field]


@pytest.mark.parametrize("target", ["published", "draft"])
@pytest.mark.parametrize(("mutation", "returns", "make_input"), EDITS, ids=[e[0] for e in EDITS])
async def test_edits_of_someone_elses_series_are_not_found(
    world: World, target: str, mutation: str, returns: str, make_input: Any
) -> None:
    """Given maker's Series, when anyone else edits it, then NOT_FOUND (as if it did not exist),
    nothing changes, and no response holds a media key."""
    series_id, episodes = (
        (world.series_id, world.episode_ids)
        if target == "published"
        else (world.draft_id, world.draft_episode_ids)
    )
    before = await snapshot(world.api)
    query = (
        f"mutation($i: {mutation[0].upper() + mutation[1:]}Input!) {{ {mutation}(input: $i) {{ "
        f"{returns} {{ id }} userErrors {{ code field message }} }} }}"
    )
    for who in ACTORS:
        body = await world.ask(who, query, {"i": make_input(series_id, episodes)})
        if who == "anonymous":
            assert top_code(body) == "UNAUTHENTICATED"
            continue
        assert body["data"][mutation][returns] is None, (who, body)
        assert errors(body, mutation) == [expected_refusal(mutation, who)], who
    assert await snapshot(world.api) == before


DRAFT_PURCHASE = {
    "anonymous": "UNAUTHENTICATED",
    "stranger": "NOT_FOUND",
    "refunded": "NOT_FOUND",
    "rival": "NOT_FOUND",
    "buyer": "NOT_FOUND",
    "staff": "SERIES_NOT_PUBLISHED",
    "creator": "CANNOT_PAY_SELF",
}
DRAFT_RATING = {**DRAFT_PURCHASE, "staff": "NOT_PURCHASED", "creator": "NOT_PURCHASED"}


@pytest.mark.parametrize("who", VIEWERS)
async def test_buying_or_rating_a_draft_is_not_found(world: World, who: str) -> None:
    """Every viewer has coins, so NOT_FOUND is not hiding INSUFFICIENT_COINS."""
    if world.user(who):
        await buy_coins(world.api, world.user(who), 7000)
    before = await snapshot(world.api)
    buy = (
        "mutation($i: PurchaseSeriesInput!) { purchaseSeries(input: $i) { "
        "purchase { id } userErrors { code field message } } }"
    )
    rate = (
        "mutation($i: RateSeriesInput!) { rateSeries(input: $i) { "
        f"series {{ {SERIES} }} userErrors {{ code field message }} }} }}"
    )
    bought = await world.ask(
        who,
        buy,
        {"i": {"seriesId": world.draft_id, "paidWith": "COINS", "idempotencyKey": new_key()}},
    )
    rated = await world.ask(who, rate, {"i": {"seriesId": world.draft_id, "stars": 5}})
    for body, name, expected in (
        (bought, "purchaseSeries", DRAFT_PURCHASE),
        (rated, "rateSeries", DRAFT_RATING),
    ):
        if who == "anonymous":
            assert top_code(body) == expected[who]
        else:
            assert errors(body, name) == [(expected[who], ["input", "seriesId"])], name
    assert await snapshot(world.api) == before


@pytest.mark.parametrize("who", NON_PLAYERS)
async def test_other_refusals_hold_no_content(world: World, who: str) -> None:
    """Rating without an active purchase, a refund by non-staff, and malformed IDs: errors only."""
    before = await snapshot(world.api)
    rate = (
        "mutation($i: RateSeriesInput!) { rateSeries(input: $i) { "
        f"series {{ {SERIES} }} userErrors {{ code field message }} }} }}"
    )
    rated = await world.ask(who, rate, {"i": {"seriesId": world.series_id, "stars": 4}})
    if who == "anonymous":
        assert top_code(rated) == "UNAUTHENTICATED"
    else:
        assert errors(rated, "rateSeries") == [("NOT_PURCHASED", ["input", "seriesId"])]
    refund = (
        "mutation($i: RefundSeriesPurchaseInput!) { refundSeriesPurchase(input: $i) { "
        f"purchase {{ series {{ {SERIES} }} }} userErrors {{ code message }} }} }}"
    )
    refunded = await world.ask(who, refund, {"i": {"purchaseId": world.purchase_id}})
    if who == "staff":  # staff may refund: here the check is only that no content came back
        assert refunded["data"]["refundSeriesPurchase"]["userErrors"] == []
    else:
        assert top_code(refunded) == ("UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN")
    bad = await world.ask(who, "query($id: ID!) { node(id: $id) { id } }", {"id": "Series:1"})
    assert bad["data"] == {"node": None}
    assert bad["errors"][0]["extensions"]["reason"] == "INVALID_ID"
    if who != "staff":
        assert await snapshot(world.api) == before


# --- a private creator ----------------------------------------------------------------------


async def test_private_creators_series_is_for_buyers_and_approved_followers(api: Any) -> None:
    """Given a creator who published a Series, sold it and then went PRIVATE, then the Series
    is null everywhere to anonymous, strangers and pending followers; buyers see it with links;
    approved followers see the metadata without links."""
    shy = await sign_up(api, "shy")
    await enrol(api.engine, shy, "SERIES")
    series_id = await new_series(api, shy, "Quiet", 499, PUBLISHED_EPISODES[:2])
    await publish_series(api, shy, series_id)
    eps = await episode_ids(api, series_id, shy.token)
    buyer = await sign_up(api, "buyer")
    await buy_coins(api, buyer, 700)
    ok(await purchase(api, buyer, series_id))
    friend = await sign_up(api, "friend")
    assert await follow(api, friend, shy) == "ACCEPTED"
    await set_account(api, shy, visibility="PRIVATE")
    late, asker, stranger = [await sign_up(api, h) for h in ("late", "asker", "stranger")]
    assert await follow(api, late, shy) == "PENDING"
    assert await follow(api, asker, shy) == "PENDING"
    ok(
        await api.mutate(
            "approveFollowRequest", {"accountId": late.id}, "account { id }", shy.token, REF
        )
    )
    for who in (stranger, asker):
        await buy_coins(api, who, 700)
    keys = await keys_by_position(api, series_id)
    query = f"""query($s: ID!, $e: ID!) {{
      series: node(id: $s) {{ ... on Series {{ {SERIES} }} }}
      episode: node(id: $e) {{ ... on SeriesEpisode {{ {EPISODE} }} }}
      many: nodes(ids: [$s, $e]) {{ ... on Node {{ id }} }}
      account(handle: "shy") {{ series {{ totalCount edges {{ node {{ {SERIES} }} }} }} }}
    }}"""
    cases = [
        (None, "hidden"),
        (stranger, "hidden"),
        (asker, "hidden"),
        (buyer, "buyer"),
        (friend, "follower"),
        (late, "follower"),
    ]
    for viewer, kind in cases:
        body = await api.execute(query, {"s": series_id, "e": eps[0]}, viewer and viewer.token)
        await assert_no_leak(api, viewer, body)
        data = body["data"]
        if kind == "hidden":
            assert data == {
                "series": None,
                "episode": None,
                "many": [None, None],
                "account": {"series": None},
            }
            if viewer is not None:
                before = await snapshot(api)
                refused = await purchase(api, viewer, series_id)
                assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
                assert await snapshot(api) == before
            continue
        expected = (True, "PURCHASED") if kind == "buyer" else (False, "NOT_PURCHASED")
        assert (data["series"]["title"], data["series"]["episodeCount"]) == ("Quiet", 2)
        assert data["many"] == [{"id": series_id}, {"id": eps[0]}]
        for n, key in enumerate(keys):
            await check_playback(
                api, data["series"]["episodes"][n]["playback"], expected, viewer, key
            )
        await check_playback(api, data["episode"]["playback"], expected, viewer, keys[0])
        if kind == "follower":
            assert [e["node"]["title"] for e in data["account"]["series"]["edges"]] == ["Quiet"]
            following = await api.data("{ seriesFromFollowing { totalCount } }", token=viewer.token)
            assert following["seriesFromFollowing"]["totalCount"] == 1
        else:  # the buyer does not follow the creator: the profile stays closed
            assert data["account"] == {"series": None}
            mine = await api.data(
                "{ viewer { purchasedSeries { totalCount } } }", token=buyer.token
            )
            assert mine["viewer"]["purchasedSeries"]["totalCount"] == 1


# --- signed links: the pure policy ----------------------------------------------------------

SECRET = "test-secret"
TOKEN, OTHER_TOKEN = "rps_session-one", "rps_session-two"


def sign(key: str = "abc123", token: str = TOKEN, secret: str = SECRET) -> dict[str, str]:
    url, expires_at = access.playback_url(secret, key, token, now=START, ttl_seconds=300)
    assert expires_at == START + timedelta(seconds=300)
    assert url.startswith(f"/media/{key}?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return {"key": key, **query}


def check(
    link: dict[str, Any], now: datetime = START, secret: str = SECRET, token: str = TOKEN
) -> Any:
    return access.check_link(
        secret, link["key"], token, link.get("expires"), link.get("sig"), now=now
    )


def test_a_signed_link_names_its_expiry_and_no_session() -> None:
    link = sign()
    assert sorted(link) == ["expires", "key", "sig"] and link["expires"] == str(EXPIRES)
    assert check(link) is None
    assert sign(token=OTHER_TOKEN)["sig"] != link["sig"]  # per session
    assert check(link, token=OTHER_TOKEN) == access.LinkProblem.TAMPERED
    assert sign(key="abc124")["sig"] != link["sig"]  # per episode


def _flip(text: str) -> str:
    """The same text with its last character changed."""
    return text[:-1] + ("0" if text[-1] != "0" else "1")


TAMPERED = [
    ("key changed", {"key": "abc124"}, "TAMPERED"),
    ("key upper-cased", {"key": "ABC123"}, "TAMPERED"),
    ("expires later", {"expires": str(EXPIRES + 3600)}, "TAMPERED"),
    ("expires earlier", {"expires": str(EXPIRES - 1)}, "TAMPERED"),
    ("sig last char", {"sig": "flip"}, "TAMPERED"),
    # A signature that is not 64 lowercase hex digits is malformed, not merely wrong.
    ("sig truncated", {"sig": "cut"}, "MALFORMED"),
    ("sig extra chars", {"sig": "extra"}, "MALFORMED"),
    ("sig upper-cased", {"sig": "upper"}, "MALFORMED"),
    ("sig empty", {"sig": ""}, "MALFORMED"),
    ("expires missing", {"expires": None}, "MALFORMED"),
    ("sig missing", {"sig": None}, "MALFORMED"),
    ("expires not a number", {"expires": "soon"}, "MALFORMED"),
    ("expires a decimal", {"expires": f"{EXPIRES}.0"}, "MALFORMED"),
]


def tamper(link: dict[str, str], changes: dict[str, str | None]) -> dict[str, str | None]:
    changed: dict[str, str | None] = dict(link)
    for name, value in changes.items():
        sig = link["sig"]
        value = {
            "flip": _flip(sig),
            "cut": sig[:-1],
            "extra": sig + "0",
            "upper": sig.upper(),
        }.get(value or "", value)
        changed[name] = value
    return changed


@pytest.mark.parametrize(("case", "changes", "problem"), TAMPERED, ids=[t[0] for t in TAMPERED])
def test_tampered_or_malformed_links_are_refused(case: str, changes: dict, problem: str) -> None:
    assert check(tamper(sign(), changes)) == access.LinkProblem(problem)


@pytest.mark.parametrize(
    ("seconds", "problem"),
    [(0, None), (299, None), (300, "EXPIRED"), (301, "EXPIRED"), (86_400, "EXPIRED")],
)
def test_links_expire_at_expires_at(seconds: int, problem: str | None) -> None:
    found = check(sign(), now=START + timedelta(seconds=seconds))
    assert found == (access.LinkProblem(problem) if problem else None)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    assert check(sign(secret="another-secret")) == access.LinkProblem.TAMPERED
    assert check(sign(), secret="another-secret") == access.LinkProblem.TAMPERED


def test_a_superscript_digit_is_malformed_not_a_crash() -> None:
    assert check(tamper(sign(), {"expires": "²"})) == access.LinkProblem.MALFORMED


@pytest.mark.parametrize(
    "changes",
    [{"expires": f"0{EXPIRES}"}, {"expires": f"+{EXPIRES}"}, {"expires": f" {EXPIRES}"}],
    ids=str,
)
def test_non_canonical_numbers_are_refused(changes: dict[str, str]) -> None:
    assert check(tamper(sign(), changes)) is not None


@pytest.mark.parametrize(
    ("viewer", "creator", "status", "expected"),
    [
        (None, 1, None, (False, "NOT_PURCHASED")),
        (2, 1, None, (False, "NOT_PURCHASED")),
        (2, 1, PurchaseStatus.REFUNDED, (False, "REFUNDED")),
        (2, 1, PurchaseStatus.ACTIVE, (True, "PURCHASED")),
        (1, 1, None, (True, "OWNER")),
        (1, 1, PurchaseStatus.REFUNDED, (True, "OWNER")),
        (None, 1, PurchaseStatus.ACTIVE, (True, "PURCHASED")),
    ],
)
def test_can_watch(viewer: int | None, creator: int, status: Any, expected: tuple) -> None:
    decision = access.can_watch(viewer, creator, status)
    assert (decision.allowed, decision.reason.value) == expected


# --- signed links through /media ------------------------------------------------------------


async def playback_urls(world: World, who: str) -> list[str]:
    query = "query($s: ID!) { node(id: $s) { ... on Series { episodes { playback { url } } } } }"
    data = await world.api.data(query, {"s": world.series_id}, world.token(who))
    return [e["playback"]["url"] for e in data["node"]["episodes"]]


def parts(url: str) -> dict[str, str]:
    split = urlsplit(url)
    return {
        "key": split.path.removeprefix("/media/"),
        **{k: v[0] for k, v in parse_qs(split.query).items()},
    }


def media_url(link: dict[str, str | None]) -> str:
    query = {k: v for k, v in link.items() if k != "key" and v is not None}
    return f"/media/{link['key']}?{urlencode(query)}"


async def get(world: World, url: str, who: str = "buyer") -> tuple[int, Any]:
    """GET `url` with `who`'s bearer token (the buyer's unless said)."""
    response = await world.api.client.get(url, headers=bearer(world.token(who)))
    if response.status_code == 200:
        return 200, response.content.decode()
    return response.status_code, response.json()


@pytest.mark.parametrize(("case", "changes", "problem"), TAMPERED, ids=[t[0] for t in TAMPERED])
async def test_media_refuses_tampered_links(
    world: World, case: str, changes: dict, problem: str
) -> None:
    [url, other, _] = await playback_urls(world, "buyer")
    link = parts(url)
    key = link["key"]
    assert await get(world, url) == (200, f"episode {key}")
    if "key" in changes:  # another real episode, or the same key in other letters
        changes = {"key": parts(other)["key"] if case == "key changed" else key.upper()}
    assert await get(world, media_url(tamper(link, changes))) == (403, {"error": problem})


async def test_media_links_are_per_session(world: World) -> None:
    """The buyer's and the creator's links for the same episode differ only in their
    signatures; each plays with its own token only."""
    mine, theirs = (
        parts((await playback_urls(world, "buyer"))[0]),
        parts((await playback_urls(world, "creator"))[0]),
    )
    assert (mine["key"], mine["expires"]) == (theirs["key"], theirs["expires"])
    assert mine["sig"] != theirs["sig"]
    assert (await get(world, media_url(mine), "buyer"))[0] == 200
    assert (await get(world, media_url(theirs), "creator"))[0] == 200
    assert await get(world, media_url(mine), "creator") == (403, {"error": "TAMPERED"})
    assert await get(world, media_url(theirs), "buyer") == (403, {"error": "TAMPERED"})


async def test_media_link_signed_with_another_secret(world: World) -> None:
    key = parts((await playback_urls(world, "buyer"))[0])["key"]
    url, _ = access.playback_url(
        "not-the-secret", key, world.users["buyer"].token, now=START, ttl_seconds=300
    )
    assert await get(world, url) == (403, {"error": "TAMPERED"})


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (timedelta(seconds=299), 200),
        (timedelta(seconds=300), 403),
        (timedelta(seconds=301), 403),
        (timedelta(days=1), 403),
    ],
)
async def test_media_links_expire(world: World, clock: Any, after: timedelta, status: int) -> None:
    """expiresAt is 12:05:00: the link works until the second before, and never from then on."""
    url = (await playback_urls(world, "buyer"))[0]
    clock.set(START + after)
    code, body = await get(world, url)
    assert code == status
    if status == 403:
        assert body == {"error": "EXPIRED"}


async def test_media_refuses_a_superscript_digit(world: World) -> None:
    link = parts((await playback_urls(world, "buyer"))[0])
    assert await get(world, media_url({**link, "expires": "²"})) == (403, {"error": "MALFORMED"})
