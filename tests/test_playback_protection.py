"""Paid content stays paid: a playback link plays only for the login session it was issued to,
and only while that session may play the episode (issue 15).

Rules: `/media/<key>?expires=..&sig=..` needs `Authorization: Bearer <token>` of the session the
link was issued to: no token (or a malformed header) is 401 UNAUTHENTICATED; any other token is
403 TAMPERED; a logged-out or expired session is 403 SESSION_ENDED. Access is decided again on
every GET, in one SQL statement: a refund (403 REFUNDED) or a BANNED buyer (403 BANNED) counts at
once, an archived Series still plays for its buyers. The URL names no account or session. Every
answer is `Cache-Control: private, no-store`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa

from reelpay.accounts.models import Account, AuthSession
from reelpay.enums import Standing
from reelpay.series import access
from reelpay.series.models import PurchaseStatus, Series, SeriesStatus
from tests.conftest import START
from tests.factories import User, buy_coins, decode_pk, enrol, make_staff, sign_up
from tests.test_graphql_api import counting_statements
from tests.test_read_costs import sql_only
from tests.test_series_access import new_series, ok, publish_series, purchase

pytestmark = pytest.mark.usefixtures("verify_ledger")

TTL = timedelta(seconds=300)  # playback_url_ttl_seconds
EPISODE_PLAYBACK = (
    "query($id: ID!) { node(id: $id) { ... on SeriesEpisode { "
    "playback { allowed reason url expiresAt } } } }"
)
NO_STORE = "private, no-store"


@dataclass
class Shop:
    api: Any
    creator: User
    buyer: User
    stranger: User
    staff: User
    series_id: str
    episode_id: str
    media_key: str
    purchase_id: str


@pytest.fixture
async def shop(api: Any) -> Shop:
    """maker: published "Paid" (2 episodes); buyer: bought it with coins; stranger, staff."""
    creator = await sign_up(api, "maker")
    await enrol(api.engine, creator, "SERIES")
    series_id = await new_series(api, creator, "Paid", 499, [(1, "One", 60), (2, "Two", 90)])
    await publish_series(api, creator, series_id)
    buyer = await sign_up(api, "buyer")
    await buy_coins(api, buyer, 700)
    purchase_id = ok(await purchase(api, buyer, series_id))["purchase"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Series { episodes { id } } } }"
    data = await api.data(query, {"id": series_id}, creator.token)
    episode_id = data["node"]["episodes"][0]["id"]
    async with api.engine.connect() as connection:
        media_key = await connection.scalar(
            sa.text("SELECT media_key FROM series_episodes WHERE id = :id"),
            {"id": decode_pk(episode_id)},
        )
    return Shop(
        api=api,
        creator=creator,
        buyer=buyer,
        stranger=await sign_up(api, "stranger"),
        staff=await make_staff(api, api.engine),
        series_id=series_id,
        episode_id=episode_id,
        media_key=media_key,
        purchase_id=purchase_id,
    )


async def playback(shop: Shop, token: str | None) -> dict[str, Any]:
    data = await shop.api.data(EPISODE_PLAYBACK, {"id": shop.episode_id}, token)
    return data["node"]["playback"]


async def link(shop: Shop, user: User | str) -> str:
    """`user`'s (or bearer token's) playback link of the first episode."""
    found = await playback(shop, user if isinstance(user, str) else user.token)
    assert found["allowed"] and found["url"], found
    return found["url"]


async def play(shop: Shop, url: str, token: str | None) -> tuple[int, Any]:
    """(status, body) of GET `url` with `token`; every answer must be uncacheable."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await shop.api.client.get(url, headers=headers)
    assert response.headers["cache-control"] == NO_STORE
    if response.status_code == 200:
        return 200, response.content.decode()
    return response.status_code, response.json()


def played(shop: Shop) -> tuple[int, str]:
    return 200, f"episode {shop.media_key}"


# --- who may use a link ----------------------------------------------------------------------


async def test_the_buyer_plays_their_link_with_their_token(shop: Shop) -> None:
    found = await playback(shop, shop.buyer.token)
    assert (found["allowed"], found["reason"]) == (True, "PURCHASED")
    assert found["expiresAt"] == (START + TTL).isoformat()
    response = await shop.api.client.get(
        found["url"], headers={"Authorization": f"Bearer {shop.buyer.token}"}
    )
    assert (response.status_code, response.content) == (200, f"episode {shop.media_key}".encode())
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == NO_STORE


async def test_without_a_login_the_link_is_401(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    response = await shop.api.client.get(url)
    assert (response.status_code, response.json()) == (401, {"error": "UNAUTHENTICATED"})
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["cache-control"] == NO_STORE
    for header in ("Basic abc", "Bearer", "Bearer    ", shop.buyer.token):
        response = await shop.api.client.get(url, headers={"Authorization": header})
        assert (response.status_code, response.json()) == (401, {"error": "UNAUTHENTICATED"})


@pytest.mark.parametrize("who", ["stranger", "staff", "creator"])
async def test_another_users_token_is_403(shop: Shop, who: str) -> None:
    url = await link(shop, shop.buyer)
    other: User = getattr(shop, who)
    assert await play(shop, url, other.token) == (403, {"error": "TAMPERED"})
    assert await play(shop, url, "rps_not-a-session") == (403, {"error": "TAMPERED"})
    assert await play(shop, url, shop.buyer.token) == played(shop)  # still the buyer's


async def test_the_owner_plays_their_own_link_and_only_with_their_token(shop: Shop) -> None:
    found = await playback(shop, shop.creator.token)
    assert (found["allowed"], found["reason"]) == (True, "OWNER")
    assert await play(shop, found["url"], shop.creator.token) == played(shop)
    assert await play(shop, found["url"], shop.buyer.token) == (403, {"error": "TAMPERED"})


async def test_a_link_is_bound_to_the_session_not_the_account(shop: Shop) -> None:
    """The same buyer logged in elsewhere has another session: the link is not theirs there."""
    url = await link(shop, shop.buyer)
    login = await shop.api.mutate(
        "logIn", {"email": shop.buyer.email, "password": shop.buyer.password}, "token"
    )
    second = ok(login)["token"]
    assert await play(shop, url, second) == (403, {"error": "TAMPERED"})
    assert await play(shop, await link(shop, second), second) == played(shop)


# --- what the URL says ------------------------------------------------------------------------


async def test_the_link_names_no_account_and_no_session(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    split = urlsplit(url)
    query = parse_qs(split.query, keep_blank_values=True)
    assert split.path == f"/media/{shop.media_key}"
    assert sorted(query) == ["expires", "sig"]
    assert query["expires"] == [str(int((START + TTL).timestamp()))]
    sig = query["sig"][0]
    assert len(sig) == 64 and set(sig) <= set("0123456789abcdef")
    token = shop.buyer.token
    secrets_of_the_buyer = {
        str(shop.buyer.pk),
        shop.buyer.id,
        shop.buyer.handle,
        shop.buyer.email,
        token,
        hashlib.sha256(token.encode()).hexdigest(),
    }
    decoded = [unquote(split.path), *(v for values in query.values() for v in values)]
    assert not secrets_of_the_buyer & set(decoded)
    for secret in secrets_of_the_buyer - {str(shop.buyer.pk)}:
        assert secret not in url
    assert "viewer" not in url and "account" not in url and "session" not in url


# --- access decided when serving ------------------------------------------------------------


async def test_a_refund_stops_an_issued_link_at_once(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    refunded = await shop.api.mutate(
        "refundSeriesPurchase",
        {"purchaseId": shop.purchase_id},
        "purchase { status }",
        shop.staff.token,
    )
    assert ok(refunded)["purchase"]["status"] == "REFUNDED"
    # Same instant as the link was issued: nothing but the refund changed.
    assert await play(shop, url, shop.buyer.token) == (403, {"error": "REFUNDED"})
    found = await playback(shop, shop.buyer.token)
    assert (found["allowed"], found["reason"], found["url"]) == (False, "REFUNDED", None)


async def set_standing(shop: Shop, user: User, standing: str) -> None:
    payload = await shop.api.mutate(
        "setAccountStanding",
        {"accountId": user.id, "standing": standing},
        "account { standing }",
        shop.staff.token,
    )
    assert ok(payload)["account"]["standing"] == standing


async def test_a_ban_stops_an_issued_link_at_once_and_lifting_it_restores_it(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    await set_standing(shop, shop.buyer, "BANNED")
    assert await play(shop, url, shop.buyer.token) == (403, {"error": "BANNED"})
    found = await playback(shop, shop.buyer.token)
    assert (found["allowed"], found["reason"], found["url"]) == (False, "BANNED", None)
    await set_standing(shop, shop.buyer, "RESTRICTED")  # monetization only: still plays
    assert await play(shop, url, shop.buyer.token) == played(shop)
    await set_standing(shop, shop.buyer, "GOOD")
    assert await play(shop, url, shop.buyer.token) == played(shop)


async def test_a_banned_creator_still_plays_their_own_and_buyers_keep_access(shop: Shop) -> None:
    mine, theirs = await link(shop, shop.creator), await link(shop, shop.buyer)
    await set_standing(shop, shop.creator, "BANNED")
    assert await play(shop, mine, shop.creator.token) == played(shop)
    assert await play(shop, theirs, shop.buyer.token) == played(shop)


async def test_log_out_stops_the_sessions_links(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    out = await shop.api.mutate("logOut", {}, "revokedSessions", shop.buyer.token)
    assert ok(out)["revokedSessions"] == 1
    assert await play(shop, url, shop.buyer.token) == (403, {"error": "SESSION_ENDED"})


async def test_an_expired_session_stops_its_links(shop: Shop, clock: Any) -> None:
    url = await link(shop, shop.buyer)
    async with shop.api.engine.begin() as connection:
        await connection.execute(
            sa.update(AuthSession)
            .where(AuthSession.account_id == shop.buyer.pk)
            .values(expires_at=START + timedelta(seconds=100))
        )
    clock.set(START + timedelta(seconds=99))
    assert await play(shop, url, shop.buyer.token) == played(shop)
    clock.set(START + timedelta(seconds=100))
    assert await play(shop, url, shop.buyer.token) == (403, {"error": "SESSION_ENDED"})


async def test_an_archived_series_still_plays_for_its_buyer(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    archived = await shop.api.mutate(
        "archiveSeries", {"seriesId": shop.series_id}, "series { status }", shop.creator.token
    )
    assert ok(archived)["series"]["status"] == "ARCHIVED"
    assert await play(shop, url, shop.buyer.token) == played(shop)


async def test_a_removed_episode_is_404(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    async with shop.api.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE series_episodes SET media_key = 'gone' WHERE media_key = :k"),
            {"k": shop.media_key},
        )
    assert await play(shop, url, shop.buyer.token) == (404, {"error": "NOT_FOUND"})


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (TTL - timedelta(seconds=1), 200),  # 12:04:59: the last second it plays
        (TTL, 403),  # 12:05:00 = expiresAt: refused from then on
        (TTL + timedelta(seconds=1), 403),
    ],
)
async def test_expiry_boundaries(shop: Shop, clock: Any, after: timedelta, expected: int) -> None:
    found = await playback(shop, shop.buyer.token)
    assert found["expiresAt"] == "2026-06-15T12:05:00+00:00"
    clock.set(START + after)
    code, body = await play(shop, found["url"], shop.buyer.token)
    assert code == expected
    assert body == (f"episode {shop.media_key}" if expected == 200 else {"error": "EXPIRED"})


async def test_serving_is_one_statement_and_a_bad_link_none(shop: Shop) -> None:
    url = await link(shop, shop.buyer)
    with counting_statements(shop.api.engine) as statements:
        assert await play(shop, url, shop.buyer.token) == played(shop)
    queries = sql_only(statements)
    assert len(queries) == 1, queries
    assert "password_hash" not in queries[0]
    with counting_statements(shop.api.engine) as statements:
        assert await play(shop, url, shop.stranger.token) == (403, {"error": "TAMPERED"})
        assert (await play(shop, url, None))[0] == 401
    assert sql_only(statements) == []


# --- the rule itself --------------------------------------------------------------------------


def account(pk: int, standing: Standing = Standing.GOOD) -> Account:
    return Account(id=pk, standing=standing)


def series(status: SeriesStatus) -> Series:
    return Series(id=9, creator_id=1, status=status)


ACTIVE, REFUNDED = PurchaseStatus.ACTIVE, PurchaseStatus.REFUNDED
PUBLISHED, ARCHIVED, DRAFT = SeriesStatus.PUBLISHED, SeriesStatus.ARCHIVED, SeriesStatus.DRAFT
BANNED, RESTRICTED = Standing.BANNED, Standing.RESTRICTED


@pytest.mark.parametrize(
    ("viewer", "status", "purchase", "expected"),
    [
        (None, PUBLISHED, None, (False, "NOT_PURCHASED")),
        (account(2), PUBLISHED, None, (False, "NOT_PURCHASED")),
        (account(2), PUBLISHED, ACTIVE, (True, "PURCHASED")),
        (account(2), ARCHIVED, ACTIVE, (True, "PURCHASED")),
        (account(2), DRAFT, ACTIVE, (False, "NOT_PURCHASED")),
        (account(2), PUBLISHED, REFUNDED, (False, "REFUNDED")),
        (account(2, BANNED), PUBLISHED, ACTIVE, (False, "BANNED")),
        (account(2, BANNED), PUBLISHED, REFUNDED, (False, "REFUNDED")),
        (account(2, BANNED), PUBLISHED, None, (False, "NOT_PURCHASED")),
        (account(2, RESTRICTED), PUBLISHED, ACTIVE, (True, "PURCHASED")),
        (account(1), DRAFT, None, (True, "OWNER")),
        (account(1, BANNED), PUBLISHED, None, (True, "OWNER")),
    ],
)
def test_can_play(viewer: Any, status: SeriesStatus, purchase: Any, expected: tuple) -> None:
    decision = access.can_play(viewer, series(status), purchase)
    assert (decision.allowed, decision.reason.value) == expected
