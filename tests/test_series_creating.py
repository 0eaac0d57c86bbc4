"""Creating and editing Series and their episodes through the API, and the lists that show them.

Rules: only creators enrolled in SERIES and not suspended (BANNED/RESTRICTED standing, political,
PRIVATE account) create and publish (else SERIES_CREATOR_REQUIRED). A title has 1..100
characters, a description at most 2,000, a cover an http(s) URL, a price 99..18,999 cents. A
Series holds at most 80 episodes of 30..1,200 s each. Episodes are edited, removed and reordered
only in a DRAFT; they are added in a DRAFT or PUBLISHED Series, never an ARCHIVED one. Publishing
needs an episode and freezes the price; only a published Series is archived. Anybody else's Series
is NOT_FOUND, whoever asks.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.relay import encode_id
from tests.factories import User, decode_pk, enrol, make_staff, set_account, set_standing, sign_up

NOW = "2026-06-15T12:00:00+00:00"
EPISODE = "id position title durationSeconds"
SERIES = (
    "id title description coverUrl price { minorUnits } status createdAt publishedAt "
    f"episodeCount episodes {{ {EPISODE} }}"
)
PRICE_MESSAGE = "The price must be 0.99 USD to 189.99 USD."
TITLE_MESSAGE = "A title has 1 to 100 characters."
REORDER_MESSAGE = "List every episode of the Series exactly once."
NOWHERE = encode_id("Series", 999_999)  # well formed, names no Series


@pytest.fixture
def settings(settings, request):
    """`@pytest.mark.parametrize("settings", [{rule: value}], indirect=True)` changes Rules."""
    changes = getattr(request, "param", None)
    if not changes:
        return settings
    return dataclasses.replace(settings, rules=dataclasses.replace(settings.rules, **changes))


# --- helpers ----------------------------------------------------------------------------------


async def make_creator(api: Any, handle: str = "maker", **fields: Any) -> User:
    creator = await sign_up(api, handle, **fields)
    await enrol(api.engine, creator, "SERIES")
    return creator


async def create(api: Any, user: User | None, **input: Any) -> dict[str, Any]:
    input = {"title": "Season one", "priceCents": 499, **input}
    return await api.mutate(
        "createSeries", input, f"series {{ {SERIES} }}", token=user.token if user else None
    )


async def new_series(api: Any, creator: User, **input: Any) -> str:
    payload = await create(api, creator, **input)
    assert payload["userErrors"] == [], payload
    return payload["series"]["id"]


async def update(api: Any, user: User, series_id: str, **input: Any) -> dict[str, Any]:
    return await api.mutate(
        "updateSeries", {"seriesId": series_id, **input}, f"series {{ {SERIES} }}", user.token
    )


async def add(
    api: Any, user: User | None, series_id: str, title: str = "Ep", seconds: int = 60
) -> dict[str, Any]:
    input = {"seriesId": series_id, "title": title, "durationSeconds": seconds}
    selection = f"episode {{ {EPISODE} series {{ id episodeCount }} }}"
    return await api.mutate(
        "addSeriesEpisode", input, selection, token=user.token if user else None
    )


async def add_ok(api: Any, user: User, series_id: str, title: str = "Ep", seconds: int = 60):
    payload = await add(api, user, series_id, title, seconds)
    assert payload["userErrors"] == [], payload
    return payload["episode"]["id"]


async def fill(api: Any, user: User, series_id: str, count: int) -> list[str]:
    return [await add_ok(api, user, series_id, f"Ep {n}") for n in range(1, count + 1)]


async def series_op(api: Any, user: User | None, name: str, input: dict[str, Any]):
    return await api.mutate(name, input, f"series {{ {SERIES} }}", user.token if user else None)


async def publish(api: Any, user: User, series_id: str) -> dict[str, Any]:
    return await series_op(api, user, "publishSeries", {"seriesId": series_id})


async def archive(api: Any, user: User, series_id: str) -> dict[str, Any]:
    return await series_op(api, user, "archiveSeries", {"seriesId": series_id})


async def reorder(api: Any, user: User, series_id: str, ids: list[str]) -> dict[str, Any]:
    return await series_op(
        api, user, "reorderSeriesEpisodes", {"seriesId": series_id, "episodeIds": ids}
    )


async def remove(api: Any, user: User, episode_id: str) -> dict[str, Any]:
    return await series_op(api, user, "removeSeriesEpisode", {"episodeId": episode_id})


async def edit_episode(api: Any, user: User, episode_id: str, **input: Any) -> dict[str, Any]:
    return await api.mutate(
        "updateSeriesEpisode", {"episodeId": episode_id, **input}, f"episode {{ {EPISODE} }}",
        user.token,
    )  # fmt: skip


async def seen_by_owner(api: Any, owner: User, series_id: str) -> dict[str, Any]:
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Series {{ {SERIES} }} }} }}"
    return (await api.data(query, {"id": series_id}, owner.token))["node"]


def order(series: dict[str, Any]) -> list[tuple[int, str]]:
    return [(e["position"], e["title"]) for e in series["episodes"]]


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def refused(payload: dict[str, Any], code: str, field: list[str] | None) -> None:
    result = payload.get("series", payload.get("episode"))
    assert result is None, payload
    assert errors(payload) == [(code, field)], payload


async def own_list(api: Any, owner: User) -> list[str]:
    return [s["title"] for s in await series_list(api, owner.handle, owner)]


async def series_list(api: Any, handle: str, viewer: User | None) -> list[dict[str, Any]] | None:
    query = (
        "query($h: String!) { account(handle: $h) { series { totalCount "
        "edges { node { title status } } } } }"
    )
    data = await api.data(query, {"h": handle}, viewer.token if viewer else None)
    found = data["account"]["series"]
    if found is None:
        return None
    assert found["totalCount"] == len(found["edges"])
    return [e["node"] for e in found["edges"]]


async def staff_sets(api: Any, staff: User, target: User, mutation: str, **value: Any) -> None:
    payload = await api.mutate(
        mutation, {"accountId": target.id, **value}, "account { id }", token=staff.token
    )
    assert payload["userErrors"] == []


async def follow(api: Any, user: User, target: User, mutation: str = "follow") -> None:
    payload = await api.mutate(
        mutation, {"accountId": target.id}, "__typename", user.token, input_type="AccountRefInput"
    )
    assert payload["userErrors"] == [], payload


# --- who may create -------------------------------------------------------------------------


async def _arrange(api: Any, user: User, case: str) -> None:
    if case != "not enrolled":
        await enrol(api.engine, user, "TIPS" if case == "only in Tips" else "SERIES")
    if case in ("BANNED", "RESTRICTED", "WARNED"):
        await set_standing(api.engine, user, case)
    elif case == "political":
        await staff_sets(api, await make_staff(api, api.engine), user, "setAccountPolitical",
                         isPolitical=True)  # fmt: skip
    elif case == "PRIVATE":
        await set_account(api, user, visibility="PRIVATE")
    elif case == "BUSINESS":
        switched = await api.mutate(
            "switchAccountType", {"accountType": "BUSINESS"}, "__typename", user.token
        )
        assert switched["userErrors"] == []


@pytest.mark.parametrize(
    "case", ["not enrolled", "only in Tips", "BANNED", "RESTRICTED", "political", "PRIVATE"]
)
async def test_only_active_series_creators_create(api, case):
    user = await sign_up(api, "maker")
    await _arrange(api, user, case)

    payload = await create(api, user)

    refused(payload, "SERIES_CREATOR_REQUIRED", None)
    assert await own_list(api, user) == []


@pytest.mark.parametrize("case", ["enrolled", "WARNED", "BUSINESS"])
async def test_enrolled_creator_in_good_or_warned_standing_creates_a_draft(api, case):
    user = await sign_up(api, "maker")
    await _arrange(api, user, case)

    payload = await create(
        api, user, title="  Cooking 101  ", description=" Knives. ", coverUrl="https://c.test/a.jpg"
    )

    assert payload["userErrors"] == []
    assert {k: v for k, v in payload["series"].items() if k != "id"} == {
        "title": "Cooking 101",
        "description": "Knives.",
        "coverUrl": "https://c.test/a.jpg",
        "price": {"minorUnits": 499},
        "status": "DRAFT",
        "createdAt": NOW,
        "publishedAt": None,
        "episodeCount": 0,
        "episodes": [],
    }
    assert await own_list(api, user) == ["Cooking 101"]


@pytest.mark.parametrize("standing", ["BANNED", "RESTRICTED"])
async def test_suspended_creator_cannot_publish_a_draft_until_restored(api, standing):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    await add_ok(api, creator, series_id)
    await set_standing(api.engine, creator, standing)

    refused(await publish(api, creator, series_id), "SERIES_CREATOR_REQUIRED", None)
    assert (await seen_by_owner(api, creator, series_id))["status"] == "DRAFT"

    await set_standing(api.engine, creator, "GOOD")
    assert (await publish(api, creator, series_id))["series"]["status"] == "PUBLISHED"


# --- field boundaries -----------------------------------------------------------------------

TITLE, PRICE = ["input", "title"], ["input", "priceCents"]
DESCRIPTION, COVER = ["input", "description"], ["input", "coverUrl"]
BAD_FIELDS = [
    ({"title": ""}, "INVALID_INPUT", TITLE),
    ({"title": "   "}, "INVALID_INPUT", TITLE),
    ({"title": "t" * 101}, "INVALID_INPUT", TITLE),
    ({"priceCents": 98}, "INVALID_PRICE", PRICE),
    ({"priceCents": 19_000}, "INVALID_PRICE", PRICE),
    ({"priceCents": 0}, "INVALID_PRICE", PRICE),
    ({"priceCents": -499}, "INVALID_PRICE", PRICE),
    ({"description": "d" * 2001}, "INVALID_INPUT", DESCRIPTION),
    ({"coverUrl": "ftp://c.test/a.jpg"}, "INVALID_URL", COVER),
    ({"coverUrl": "c.test/a.jpg"}, "INVALID_URL", COVER),
    ({"coverUrl": "https://"}, "INVALID_URL", COVER),
    ({"coverUrl": "javascript:alert(1)"}, "INVALID_URL", COVER),
    ({"coverUrl": "https://c.test/a b.jpg"}, "INVALID_URL", COVER),
    ({"coverUrl": "https://c.test/" + "a" * 2034}, "INVALID_URL", COVER),  # 2,049 characters
]
GOOD_FIELDS = [
    ({"title": "t"}, "title", "t"),
    ({"title": "t" * 100}, "title", "t" * 100),
    ({"title": "  " + "t" * 100 + "  "}, "title", "t" * 100),
    ({"priceCents": 99}, "price", {"minorUnits": 99}),
    ({"priceCents": 18_999}, "price", {"minorUnits": 18_999}),
    ({"description": "d" * 2000}, "description", "d" * 2000),
    ({"coverUrl": "http://c.test/a.png"}, "coverUrl", "http://c.test/a.png"),
    ({"coverUrl": "https://c.test/" + "a" * 2033}, "coverUrl", "https://c.test/" + "a" * 2033),
]


@pytest.mark.parametrize(("fields", "code", "field"), BAD_FIELDS)
async def test_create_refuses_each_bad_field_and_creates_nothing(api, fields, code, field):
    creator = await make_creator(api)

    payload = await create(api, creator, **fields)

    refused(payload, code, field)
    assert await own_list(api, creator) == []


@pytest.mark.parametrize(("fields", "key", "stored"), GOOD_FIELDS)
async def test_create_accepts_each_field_at_its_limit(api, fields, key, stored):
    creator = await make_creator(api)

    payload = await create(api, creator, **fields)

    assert payload["userErrors"] == []
    assert payload["series"][key] == stored


async def test_price_and_title_messages_state_the_limits(api):
    creator = await make_creator(api)

    payload = await create(api, creator, title="", priceCents=19_000)

    assert [e["message"] for e in payload["userErrors"]] == [TITLE_MESSAGE, PRICE_MESSAGE]


async def test_every_bad_field_is_reported_together(api):
    creator = await make_creator(api)

    payload = await create(
        api, creator, title="t" * 101, priceCents=98, description="d" * 2001, coverUrl="nope"
    )

    assert payload["series"] is None
    assert errors(payload) == [
        ("INVALID_INPUT", TITLE),
        ("INVALID_INPUT", DESCRIPTION),
        ("INVALID_URL", COVER),
        ("INVALID_PRICE", PRICE),
    ]
    assert await own_list(api, creator) == []


@pytest.mark.parametrize(("fields", "code", "field"), BAD_FIELDS)
async def test_update_refuses_each_bad_field_and_changes_nothing(api, fields, code, field):
    creator = await make_creator(api)
    series_id = await new_series(api, creator, coverUrl="https://c.test/a.jpg")
    before = await seen_by_owner(api, creator, series_id)

    refused(await update(api, creator, series_id, **fields), code, field)
    assert await seen_by_owner(api, creator, series_id) == before


@pytest.mark.parametrize(("fields", "key", "stored"), GOOD_FIELDS)
async def test_update_of_a_draft_accepts_each_field_at_its_limit(api, fields, key, stored):
    creator = await make_creator(api)
    series_id = await new_series(api, creator, description="old", coverUrl="https://c.test/o")
    before = await seen_by_owner(api, creator, series_id)

    payload = await update(api, creator, series_id, **fields)

    assert payload["userErrors"] == []
    assert payload["series"] == {**before, key: stored}  # the fields not sent stay


async def test_empty_cover_url_clears_the_cover(api):
    creator = await make_creator(api)
    series_id = await new_series(api, creator, coverUrl="https://c.test/a.jpg")

    payload = await update(api, creator, series_id, coverUrl="")

    assert payload["series"]["coverUrl"] is None


# --- episodes: boundaries and the 80 limit ---------------------------------------------------

SECONDS = ["input", "durationSeconds"]


@pytest.mark.parametrize(
    ("title", "seconds", "problems"),
    [
        ("Ep", 29, [("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)]),
        ("Ep", 1201, [("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)]),
        ("Ep", 0, [("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)]),
        ("Ep", -30, [("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)]),
        ("", 60, [("INVALID_INPUT", TITLE)]),
        ("e" * 101, 60, [("INVALID_INPUT", TITLE)]),
        (" ", 1201, [("INVALID_INPUT", TITLE), ("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)]),
    ],
)
async def test_bad_episode_is_refused_and_not_added(api, title, seconds, problems):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)

    payload = await add(api, creator, series_id, title, seconds)

    assert payload["episode"] is None
    assert errors(payload) == problems
    assert (await seen_by_owner(api, creator, series_id))["episodes"] == []


@pytest.mark.parametrize(("title", "seconds"), [("e", 30), ("e" * 100, 1200)])
async def test_episode_at_the_limits_is_added(api, title, seconds):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)

    payload = await add(api, creator, series_id, title, seconds)

    assert payload["userErrors"] == []
    episode = payload["episode"]
    assert (episode["position"], episode["title"], episode["durationSeconds"]) == (
        1,
        title,
        seconds,
    )
    assert episode["series"] == {"id": series_id, "episodeCount": 1}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"durationSeconds": 29}, ("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)),
        ({"durationSeconds": 1201}, ("EPISODE_DURATION_OUT_OF_RANGE", SECONDS)),
        ({"title": ""}, ("INVALID_INPUT", TITLE)),
        ({"title": "e" * 101}, ("INVALID_INPUT", TITLE)),
    ],
)
async def test_bad_episode_edit_is_refused_and_changes_nothing(api, change, problem):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    episode_id = await add_ok(api, creator, series_id, "Pilot", 600)

    payload = await edit_episode(api, creator, episode_id, **change)

    assert payload["episode"] is None
    assert errors(payload) == [problem]
    assert (await seen_by_owner(api, creator, series_id))["episodes"] == [
        {"id": episode_id, "position": 1, "title": "Pilot", "durationSeconds": 600}
    ]


@pytest.mark.parametrize("published", [False, True], ids=["draft", "published"])
async def test_a_series_holds_80_episodes_and_refuses_the_81st(api, published):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    await add_ok(api, creator, series_id, "Ep 1")
    if published:  # adding after publishing works up to the same limit
        assert (await publish(api, creator, series_id))["userErrors"] == []
    await fill(api, creator, series_id, 79)

    payload = await add(api, creator, series_id, "Ep 81")

    refused(payload, "SERIES_FULL", ["input", "seriesId"])
    assert payload["userErrors"][0]["message"] == "A Series holds at most 80 episodes."
    series = await seen_by_owner(api, creator, series_id)
    assert series["episodeCount"] == 80
    assert [e["position"] for e in series["episodes"]] == list(range(1, 81))


@pytest.mark.parametrize("settings", [{"series_max_episodes": 3}], indirect=True)
async def test_the_episode_limit_comes_from_settings(api):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    await fill(api, creator, series_id, 3)

    refused(await add(api, creator, series_id), "SERIES_FULL", ["input", "seriesId"])

    # Removing one makes room for exactly one more.
    first = (await seen_by_owner(api, creator, series_id))["episodes"][0]["id"]
    assert (await remove(api, creator, first))["userErrors"] == []
    assert (await add(api, creator, series_id, "Ep 4"))["episode"]["position"] == 3
    refused(await add(api, creator, series_id), "SERIES_FULL", ["input", "seriesId"])


# --- editing a draft ------------------------------------------------------------------------


async def draft_with(
    api: Any, creator: User, *titles: str, title: str = "Season one"
) -> tuple[str, list[str]]:
    series_id = await new_series(api, creator, title=title)
    return series_id, [await add_ok(api, creator, series_id, t) for t in titles]


async def test_episodes_are_added_at_the_end_and_edited_field_by_field(api):
    creator = await make_creator(api)
    series_id, (a, b) = await draft_with(api, creator, "A", "B")

    renamed = await edit_episode(api, creator, b, title="  B2  ")
    retimed = await edit_episode(api, creator, b, durationSeconds=1200)

    assert renamed["episode"] == {"id": b, "position": 2, "title": "B2", "durationSeconds": 60}
    assert retimed["episode"] == {"id": b, "position": 2, "title": "B2", "durationSeconds": 1200}
    assert (await seen_by_owner(api, creator, series_id))["episodes"] == [
        {"id": a, "position": 1, "title": "A", "durationSeconds": 60},
        {"id": b, "position": 2, "title": "B2", "durationSeconds": 1200},
    ]


@pytest.mark.parametrize(
    ("removed", "left"),
    [(0, ["B", "C", "D"]), (1, ["A", "C", "D"]), (3, ["A", "B", "C"])],
)
async def test_removing_an_episode_renumbers_the_rest_from_1(api, removed, left):
    creator = await make_creator(api)
    series_id, ids = await draft_with(api, creator, "A", "B", "C", "D")

    payload = await remove(api, creator, ids[removed])

    assert payload["userErrors"] == []
    assert order(payload["series"]) == [(1, left[0]), (2, left[1]), (3, left[2])]
    assert payload["series"]["episodeCount"] == 3
    added = await add(api, creator, series_id, "E")
    assert added["episode"]["position"] == 4


async def test_removing_twice_is_not_found(api):
    creator = await make_creator(api)
    series_id, (a, _) = await draft_with(api, creator, "A", "B")
    assert (await remove(api, creator, a))["userErrors"] == []

    refused(await remove(api, creator, a), "NOT_FOUND", ["input", "episodeId"])
    assert order(await seen_by_owner(api, creator, series_id)) == [(1, "B")]


async def test_reorder_puts_episodes_in_the_given_order(api):
    creator = await make_creator(api)
    series_id, (a, b, c) = await draft_with(api, creator, "A", "B", "C")

    payload = await reorder(api, creator, series_id, [c, a, b])

    assert payload["userErrors"] == []
    assert order(payload["series"]) == [(1, "C"), (2, "A"), (3, "B")]
    assert [e["id"] for e in payload["series"]["episodes"]] == [c, a, b]
    # Later additions go after the new last one.
    assert (await add(api, creator, series_id, "D"))["episode"]["position"] == 4


@pytest.mark.parametrize(
    "which", ["missing", "duplicate", "duplicate instead", "extra", "own other Series", "foreign"]
)
async def test_reorder_must_list_every_episode_exactly_once(api, which):
    creator = await make_creator(api)
    other = await make_creator(api, "other")
    series_id, (a, b, c) = await draft_with(api, creator, "A", "B", "C")
    _, (mine,) = await draft_with(api, creator, "Mine")
    _, (theirs,) = await draft_with(api, other, "Theirs")
    ids = {
        "missing": [c, a],
        "duplicate": [c, a, b, a],
        "duplicate instead": [c, a, a],
        "extra": [c, a, b, encode_id("SeriesEpisode", 999_999)],
        "own other Series": [c, a, mine],
        "foreign": [c, a, b, theirs],
    }[which]

    payload = await reorder(api, creator, series_id, ids)

    refused(payload, "INVALID_INPUT", ["input", "episodeIds"])
    assert payload["userErrors"][0]["message"] == REORDER_MESSAGE
    assert order(await seen_by_owner(api, creator, series_id)) == [(1, "A"), (2, "B"), (3, "C")]


async def test_reorder_with_a_malformed_episode_id_names_it(api):
    creator = await make_creator(api)
    series_id, (_, b) = await draft_with(api, creator, "A", "B")

    payload = await reorder(api, creator, series_id, [b, encode_id("Video", 1)])

    refused(payload, "INVALID_ID", ["input", "episodeIds", "1"])
    assert order(await seen_by_owner(api, creator, series_id)) == [(1, "A"), (2, "B")]


# --- publishing, freezing, archiving --------------------------------------------------------


async def test_publishing_needs_an_episode(api):
    creator = await make_creator(api)
    series_id, (a,) = await draft_with(api, creator, "A")
    await remove(api, creator, a)

    payload = await publish(api, creator, series_id)

    refused(payload, "SERIES_EMPTY", ["input", "seriesId"])
    assert (await seen_by_owner(api, creator, series_id))["status"] == "DRAFT"


async def test_publishing_twice_is_refused_and_keeps_the_first_date(api, clock):
    creator = await make_creator(api)
    series_id, _ = await draft_with(api, creator, "A")

    first = await publish(api, creator, series_id)
    clock.advance(timedelta(hours=1))
    again = await publish(api, creator, series_id)

    assert (first["series"]["status"], first["series"]["publishedAt"]) == ("PUBLISHED", NOW)
    refused(again, "SERIES_NOT_DRAFT", ["input", "seriesId"])
    assert (await seen_by_owner(api, creator, series_id))["publishedAt"] == NOW


async def published_with(api: Any, creator: User, *titles: str, archived: bool = False):
    series_id, ids = await draft_with(api, creator, *titles)
    assert (await publish(api, creator, series_id))["userErrors"] == []
    if archived:
        assert (await archive(api, creator, series_id))["userErrors"] == []
    return series_id, ids


@pytest.mark.parametrize("archived", [False, True], ids=["published", "archived"])
@pytest.mark.parametrize("change", ["edit", "remove", "reorder"])
async def test_episodes_are_fixed_once_published(api, archived, change):
    creator = await make_creator(api)
    series_id, (a, b) = await published_with(api, creator, "A", "B", archived=archived)
    before = await seen_by_owner(api, creator, series_id)

    if change == "edit":
        payload = await edit_episode(api, creator, a, title="New", durationSeconds=90)
    elif change == "remove":
        payload = await remove(api, creator, a)
    else:
        payload = await reorder(api, creator, series_id, [b, a])

    refused(payload, "SERIES_NOT_DRAFT", ["input", "seriesId"])
    assert await seen_by_owner(api, creator, series_id) == before


async def test_episodes_are_added_to_a_published_series_but_not_to_an_archived_one(api):
    creator = await make_creator(api)
    series_id, _ = await published_with(api, creator, "A")

    added = await add(api, creator, series_id, "B")
    assert (await archive(api, creator, series_id))["userErrors"] == []
    refused_after = await add(api, creator, series_id, "C")

    assert added["episode"]["position"] == 2
    refused(refused_after, "SERIES_NOT_DRAFT", ["input", "seriesId"])
    assert refused_after["userErrors"][0]["message"] == "An archived Series takes no new episodes."
    assert order(await seen_by_owner(api, creator, series_id)) == [(1, "A"), (2, "B")]


async def test_price_is_frozen_once_published_but_the_rest_still_changes(api):
    creator = await make_creator(api)
    series_id, _ = await published_with(api, creator, "A")

    frozen = await update(api, creator, series_id, priceCents=999)
    mixed = await update(api, creator, series_id, title="New title", priceCents=499)
    edited = await update(
        api, creator, series_id, title="New title", description="New", coverUrl="https://c.test/n"
    )

    refused(frozen, "PRICE_FROZEN", PRICE)
    refused(mixed, "PRICE_FROZEN", PRICE)  # even the current price; and the title is not kept
    assert edited["userErrors"] == []
    series = edited["series"]
    assert (series["title"], series["description"], series["coverUrl"]) == (
        "New title", "New", "https://c.test/n"
    )  # fmt: skip
    assert (series["price"], series["status"]) == ({"minorUnits": 499}, "PUBLISHED")


async def test_a_published_series_reports_a_bad_price_and_the_freeze_together(api):
    creator = await make_creator(api)
    series_id, _ = await published_with(api, creator, "A")

    payload = await update(api, creator, series_id, title="", priceCents=98)

    assert errors(payload) == [
        ("INVALID_INPUT", TITLE), ("INVALID_PRICE", PRICE), ("PRICE_FROZEN", PRICE)
    ]  # fmt: skip


async def test_archive_only_from_published(api, clock):
    creator = await make_creator(api)
    series_id, _ = await draft_with(api, creator, "A")

    from_draft = await archive(api, creator, series_id)
    await publish(api, creator, series_id)
    archived = await archive(api, creator, series_id)
    again = await archive(api, creator, series_id)
    republished = await publish(api, creator, series_id)

    refused(from_draft, "SERIES_NOT_PUBLISHED", ["input", "seriesId"])
    assert archived["series"]["status"] == "ARCHIVED"
    refused(again, "SERIES_NOT_PUBLISHED", ["input", "seriesId"])
    refused(republished, "SERIES_NOT_DRAFT", ["input", "seriesId"])
    assert (await seen_by_owner(api, creator, series_id))["status"] == "ARCHIVED"


# --- other people, anonymous callers and malformed IDs ---------------------------------------


def attempts(series_id: str, episode_id: str, ids: list[str]) -> list[tuple[str, dict, str]]:
    """(mutation, input, the field a NOT_FOUND names) for every way to touch a Series."""
    sid, eid = {"seriesId": series_id}, {"episodeId": episode_id}
    return [
        ("updateSeries", {**sid, "title": "Mine now"}, "seriesId"),
        ("publishSeries", sid, "seriesId"),
        ("archiveSeries", sid, "seriesId"),
        ("addSeriesEpisode", {**sid, "title": "X", "durationSeconds": 60}, "seriesId"),
        ("updateSeriesEpisode", {**eid, "title": "X"}, "episodeId"),
        ("removeSeriesEpisode", eid, "episodeId"),
        ("reorderSeriesEpisodes", {**sid, "episodeIds": ids[::-1]}, "seriesId"),
    ]


async def attempt(api: Any, user: User | None, name: str, input: dict[str, Any]) -> Any:
    query = (
        f"mutation($i: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $i) "
        "{ __typename userErrors { code field message } } }"
    )
    return await api.execute(query, {"i": input}, user.token if user else None)


@pytest.mark.parametrize("status", ["DRAFT", "PUBLISHED"])
@pytest.mark.parametrize("who", ["another creator", "non-creator", "staff"])
async def test_someone_elses_series_is_not_found_and_unchanged(api, status, who):
    owner = await make_creator(api, "owner")
    series_id, ids = await draft_with(api, owner, "A", "B")
    if status == "PUBLISHED":
        await publish(api, owner, series_id)
    if who == "another creator":
        intruder = await make_creator(api, "intruder")
    elif who == "staff":
        intruder = await make_staff(api, api.engine)
    else:
        intruder = await sign_up(api, "intruder")
    before = await seen_by_owner(api, owner, series_id)

    for name, input, field in attempts(series_id, ids[0], ids):
        body = await attempt(api, intruder, name, input)
        user_errors = body["data"][name]["userErrors"]
        if name == "publishSeries" and who != "another creator":
            # Not allowed to publish at all, whatever the ID: confirms nothing either.
            assert [e["code"] for e in user_errors] == ["SERIES_CREATOR_REQUIRED"], name
            assert body == await attempt(api, intruder, name, {"seriesId": NOWHERE})
        else:
            assert [(e["code"], e["field"]) for e in user_errors] == [
                ("NOT_FOUND", ["input", field])
            ], name
    assert await seen_by_owner(api, owner, series_id) == before


async def test_not_found_is_the_same_for_someone_elses_draft_and_no_series(api):
    owner = await make_creator(api, "owner")
    intruder = await make_creator(api, "intruder")
    series_id, _ = await draft_with(api, owner, "A")

    theirs = await update(api, intruder, series_id, title="X")
    nothing = await update(api, intruder, NOWHERE, title="X")

    assert theirs == nothing
    refused(theirs, "NOT_FOUND", ["input", "seriesId"])


async def test_anonymous_callers_are_unauthenticated_and_change_nothing(api):
    owner = await make_creator(api, "owner")
    series_id, ids = await draft_with(api, owner, "A", "B")
    before = await seen_by_owner(api, owner, series_id)
    calls = [
        *attempts(series_id, ids[0], ids),
        ("createSeries", {"title": "T", "priceCents": 499}, ""),
    ]

    for name, input, _ in calls:
        body = await attempt(api, None, name, input)
        assert body["data"] is None, name
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], name
    assert await seen_by_owner(api, owner, series_id) == before
    assert await own_list(api, owner) == ["Season one"]


@pytest.mark.parametrize("bad", ["", "nope", encode_id("Video", 1), encode_id("Series", 0)])
async def test_malformed_ids_are_invalid_id(api, bad):
    creator = await make_creator(api)
    series_id, _ = await draft_with(api, creator, "A")
    before = await seen_by_owner(api, creator, series_id)

    for name, input, field in attempts(bad, bad, [bad]):
        body = await attempt(api, creator, name, input)
        assert [(e["code"], e["field"]) for e in body["data"][name]["userErrors"]] == [
            ("INVALID_ID", ["input", field])
        ], name
    assert await seen_by_owner(api, creator, series_id) == before


# --- concurrency ----------------------------------------------------------------------------


async def raw_add(api: Any, creator: User, series_id: str, title: str) -> dict[str, Any]:
    input = {"seriesId": series_id, "title": title, "durationSeconds": 60}
    return await attempt(api, creator, "addSeriesEpisode", input)


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    return ",".join(e["code"] for e in body["data"]["addSeriesEpisode"]["userErrors"]) or "OK"


async def test_concurrent_additions_stop_exactly_at_80(api, backend):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)
    await fill(api, creator, series_id, 78)

    bodies = await asyncio.gather(*(raw_add(api, creator, series_id, f"R{n}") for n in range(5)))

    assert sorted(outcome(b) for b in bodies) == ["OK", "OK"] + ["SERIES_FULL"] * 3, backend
    series = await seen_by_owner(api, creator, series_id)
    assert series["episodeCount"] == 80
    assert [e["position"] for e in series["episodes"]] == list(range(1, 81))
    racers = [e["title"] for e in series["episodes"][78:]]
    assert len(set(racers)) == 2 and set(racers) <= {f"R{n}" for n in range(5)}


async def test_concurrent_additions_to_an_empty_draft_take_distinct_positions(api):
    creator = await make_creator(api)
    series_id = await new_series(api, creator)

    bodies = await asyncio.gather(*(raw_add(api, creator, series_id, f"R{n}") for n in range(5)))

    assert [outcome(b) for b in bodies] == ["OK"] * 5
    series = await seen_by_owner(api, creator, series_id)
    assert [e["position"] for e in series["episodes"]] == [1, 2, 3, 4, 5]
    assert sorted(e["title"] for e in series["episodes"]) == [f"R{n}" for n in range(5)]


# --- lists ----------------------------------------------------------------------------------


async def catalogue(api: Any, creator: User, clock: Any, prefix: str = "") -> None:
    """Four Series, oldest first: a draft, a published one, an archived one, a newer draft."""
    for title, state in [("old draft", "d"), ("live", "p"), ("gone", "a"), ("new draft", "d")]:
        clock.advance(timedelta(minutes=1))
        series_id, _ = await draft_with(api, creator, "Ep", title=prefix + title)
        if state in "pa":
            await publish(api, creator, series_id)
        if state == "a":
            await archive(api, creator, series_id)


async def test_account_series_is_newest_first_with_drafts_for_owner_and_staff_only(api, clock):
    creator = await make_creator(api)
    await catalogue(api, creator, clock)
    staff = await make_staff(api, api.engine)
    stranger = await sign_up(api, "stranger")
    everything = [
        {"title": "new draft", "status": "DRAFT"},
        {"title": "gone", "status": "ARCHIVED"},
        {"title": "live", "status": "PUBLISHED"},
        {"title": "old draft", "status": "DRAFT"},
    ]
    public = [everything[1], everything[2]]

    assert await series_list(api, "maker", creator) == everything
    assert await series_list(api, "maker", staff) == everything
    assert await series_list(api, "maker", stranger) == public
    assert await series_list(api, "maker", None) == public


async def test_account_series_pages_newest_first(api, clock):
    creator = await make_creator(api)
    await catalogue(api, creator, clock)
    query = (
        'query($after: String) { account(handle: "maker") { series(first: 3, after: $after) '
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } } }"
    )

    first = (await api.data(query, {}, creator.token))["account"]["series"]
    after = {"after": first["pageInfo"]["endCursor"]}
    second = (await api.data(query, after, creator.token))["account"]["series"]

    assert [e["node"]["title"] for e in first["edges"]] == ["new draft", "gone", "live"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (4, True)
    assert [e["node"]["title"] for e in second["edges"]] == ["old draft"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_a_private_creators_series_are_hidden_from_unapproved_viewers(api, clock):
    creator = await make_creator(api)
    await catalogue(api, creator, clock)
    follower, stranger = await sign_up(api, "follower"), await sign_up(api, "stranger")
    await set_account(api, creator, visibility="PRIVATE")
    await follow(api, follower, creator)  # a request, until approved

    assert await series_list(api, "maker", None) is None
    assert await series_list(api, "maker", stranger) is None
    assert await series_list(api, "maker", follower) is None
    assert len(await series_list(api, "maker", creator)) == 4

    await follow(api, creator, follower, "approveFollowRequest")

    titles = [s["title"] for s in await series_list(api, "maker", follower)]
    assert titles == ["gone", "live"]
    assert await series_list(api, "maker", stranger) is None


async def from_following(api: Any, viewer: User | None) -> Any:
    query = (
        "{ seriesFromFollowing { totalCount edges { node { title status creator { handle } } } } }"
    )
    return await api.execute(query, {}, viewer.token if viewer else None)


def titles_of(body: dict[str, Any]) -> list[str]:
    found = body["data"]["seriesFromFollowing"]
    assert found["totalCount"] == len(found["edges"])
    assert {e["node"]["status"] for e in found["edges"]} <= {"PUBLISHED"}
    return [e["node"]["title"] for e in found["edges"]]


async def test_series_from_following_shows_published_series_of_followed_creators(api, clock):
    first, second = await make_creator(api, "first"), await make_creator(api, "second")
    unfollowed = await make_creator(api, "third")
    viewer = await sign_up(api, "viewer")
    await catalogue(api, first, clock, "first ")
    await catalogue(api, unfollowed, clock, "third ")
    await catalogue(api, second, clock, "second ")
    await follow(api, viewer, first)
    await follow(api, viewer, second)

    assert titles_of(await from_following(api, viewer)) == ["second live", "first live"]
    assert titles_of(await from_following(api, first)) == []

    await follow(api, viewer, second, "unfollow")

    assert titles_of(await from_following(api, viewer)) == ["first live"]


async def test_series_from_following_needs_an_accepted_follow(api, clock):
    creator = await make_creator(api)
    await catalogue(api, creator, clock)
    viewer = await sign_up(api, "viewer")
    await set_account(api, creator, visibility="PRIVATE")
    await follow(api, viewer, creator)

    assert titles_of(await from_following(api, viewer)) == []

    await follow(api, creator, viewer, "approveFollowRequest")

    assert titles_of(await from_following(api, viewer)) == ["live"]


async def test_series_from_following_needs_a_login(api):
    body = await from_following(api, None)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def race_behind_series_lock(api: Any, series_id: str, calls: list, user: User) -> list:
    """Start every call at once. On PostgreSQL, first hold the Series row lock until every call
    waits for it, so each has read what it works on before any of them proceeds (SQLite runs
    whole write transactions one at a time: BEGIN IMMEDIATE comes before any read)."""
    engine = api.engine
    if engine.dialect.name != "postgresql":
        return await asyncio.gather(*(attempt(api, user, n, i) for n, i in calls))
    lock = "SELECT id FROM series WHERE id = :id FOR UPDATE"
    waiting = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with engine.connect() as holder, engine.connect() as watcher:
        await holder.execute(sa.text(lock), {"id": decode_pk(series_id)})
        tasks = [asyncio.create_task(attempt(api, user, n, i)) for n, i in calls]
        for _ in range(500):
            if await watcher.scalar(sa.text(waiting)) == len(calls):
                break
            await watcher.rollback()
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the calls never waited for the Series lock")
        await holder.rollback()
    return await asyncio.gather(*tasks)


async def test_racing_removal_and_edit_of_one_episode_leave_one_winner(api, backend, request):
    # Given two removals and an edit of episode B, all started at once
    creator = await make_creator(api)
    series_id, (_, b, _) = await draft_with(api, creator, "A", "B", "C")
    calls = [
        ("removeSeriesEpisode", {"episodeId": b}),
        ("removeSeriesEpisode", {"episodeId": b}),
        ("updateSeriesEpisode", {"episodeId": b, "title": "X"}),
    ]

    bodies = await race_behind_series_lock(api, series_id, calls, creator)

    # Then one removal wins; the others find no episode (no false success, no server error)
    outcomes = [
        ",".join(e["code"] for e in body["data"][name]["userErrors"]) or "OK"
        if body.get("data")
        else body["errors"][0]["extensions"]["code"]
        for body, (name, _) in zip(bodies, calls, strict=True)
    ]
    # Exactly one removal succeeds; the edit succeeds only if it got the lock before it.
    assert sorted(outcomes[:2]) == ["NOT_FOUND", "OK"], outcomes
    assert outcomes[2] in ("OK", "NOT_FOUND"), outcomes
    assert order(await seen_by_owner(api, creator, series_id)) == [(1, "A"), (2, "C")]
