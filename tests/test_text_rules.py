"""Text people read refuses control and bidirectional-override characters (`reelpay.text`).

One-line text (video, Series and episode titles, display names) refuses every control character
(Unicode category Cc: tab and line break included) and the bidi embedding, override and isolate
characters U+202A..U+202E and U+2066..U+2069. Multi-line text (descriptions, a bio) keeps line
breaks and tabs and refuses the rest. Each refusal is an INVALID_INPUT user error on the field,
and nothing is written. Right-to-left letters, accents and emoji are ordinary text.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.text import display_text_problem
from tests.factories import User, enrol, publish, sign_up

# Arabic and Hebrew letters (right to left, no override), accents, emoji (a ZWJ sequence too)
# and the right-to-left mark U+200F, which only marks a direction and reorders nothing.
GOOD_TITLE = (
    "Caf\u00e9 cr\u00e8me \u00e0 l'\u00e9t\u00e9 \U0001f3ac\U0001f469\u200d\U0001f373 "
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd\u200f"
)
GOOD_DESCRIPTION = (
    "First line\n\tindented: \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \U0001f600"
)

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
# C0 controls (bell, escape, carriage return, the ones str.strip() removes at the ends), DEL and
# C1 controls (NEL, CSI); NUL is refused before any resolver (extensions.unstorable_text_problem).
MULTILINE_CONTROLS = ["\x07", "\x1b", "\r", "\x0b", "\x1f", "\x7f", "\x85", "\x9b"]
ONE_LINE_BAD = ["\n", "\t", *MULTILINE_CONTROLS, *BIDI]
MULTI_LINE_BAD = [*MULTILINE_CONTROLS, *BIDI]
EPISODE_BAD = ["\n", "\x07", "\x85", "\u202e", "\u2069"]
NAME_BAD = ["\n", "\t", "\x1b", "\x9b", "\u202e", "\u2068"]


def bad(text: str, char: str) -> str:
    """`char` inside `text` (not at an end, where strip() could remove it)."""
    return f"{text[:3]}{char}{text[3:]}"


def ids(chars: list[str]) -> list[str]:
    return [f"U+{ord(c):04X}" for c in chars]


# --- the rule itself ------------------------------------------------------------------------


def test_one_line_text_refuses_exactly_the_controls_and_the_bidi_overrides():
    refused = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e"} | {
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
    }
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        expected = unicodedata.category(char) == "Cc" or char in refused
        one_line = display_text_problem(char, what="A title")
        multi_line = display_text_problem(char, what="A description", multiline=True)
        assert (one_line is not None) is expected, f"U+{code:04X}"
        assert (multi_line is not None) is (expected and char not in "\n\t"), f"U+{code:04X}"


@pytest.mark.parametrize("char", ONE_LINE_BAD, ids=ids(ONE_LINE_BAD))
def test_the_message_names_the_field_and_the_character(char):
    message = display_text_problem(bad("A title", char), what="A title")
    assert message is not None
    assert message.startswith("A title ")
    assert f"U+{ord(char):04X}" in message


def test_messages_say_what_is_wrong():
    assert display_text_problem("a\nb", what="A title") == (
        "A title is one line of text without control characters (found a line break, U+000A)."
    )
    assert display_text_problem("a\x1bb", what="A display name") == (
        "A display name is one line of text without control characters (found U+001B)."
    )
    assert display_text_problem("a\rb", what="A bio", multiline=True) == (
        "A bio may not contain control characters other than line breaks and tabs (found U+000D)."
    )
    assert display_text_problem("invoice_\u202egnp.exe", what="A title") == (
        "A title may not contain bidirectional embedding, override or isolate characters "
        "(found U+202E); right-to-left letters need none."
    )


def test_ordinary_text_in_any_script_is_accepted():
    for text in (GOOD_TITLE, "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", ""):
        assert display_text_problem(text, what="A title") is None
    assert display_text_problem(GOOD_DESCRIPTION, what="A description", multiline=True) is None
    assert display_text_problem(GOOD_DESCRIPTION, what="A title") is not None


# --- helpers --------------------------------------------------------------------------------


def problems(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def count(api: Any, table: str) -> int:
    async with api.engine.connect() as connection:
        return (await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def row(api: Any, sql: str) -> Any:
    async with api.engine.connect() as connection:
        return (await connection.execute(sa.text(sql))).one()


async def creator(api: Any) -> User:
    maker = await sign_up(api, "maker")
    await enrol(api.engine, maker, "SERIES")
    return maker


VIDEO = "video { title description }"
SERIES = "series { id title description episodes { id title } }"
EPISODE = "episode { id title }"


async def publish_video(api: Any, user: User, **input: Any) -> dict[str, Any]:
    return await api.mutate(
        "publishVideo", {"title": "Title", "durationSeconds": 30, **input}, VIDEO, user.token
    )


async def create_series(api: Any, user: User, **input: Any) -> dict[str, Any]:
    return await api.mutate(
        "createSeries", {"title": "Season", "priceCents": 499, **input}, SERIES, user.token
    )


async def new_series(api: Any, user: User) -> str:
    payload = await create_series(api, user, description="About it")
    assert payload["userErrors"] == [], payload
    return payload["series"]["id"]


async def add_episode(api: Any, user: User, series_id: str, title: str) -> dict[str, Any]:
    input = {"seriesId": series_id, "title": title, "durationSeconds": 60}
    return await api.mutate("addSeriesEpisode", input, EPISODE, user.token)


# --- videos ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ONE_LINE_BAD, ids=ids(ONE_LINE_BAD))
async def test_publish_video_refuses_a_title_with_a_control_or_override(api, char):
    alice = await sign_up(api, "alice")
    payload = await publish_video(api, alice, title=bad("My video", char))
    assert payload["video"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "title"])]
    assert f"U+{ord(char):04X}" in payload["userErrors"][0]["message"]
    assert await count(api, "videos") == 0


@pytest.mark.parametrize("char", MULTI_LINE_BAD, ids=ids(MULTI_LINE_BAD))
async def test_publish_video_refuses_a_description_with_a_control_or_override(api, char):
    alice = await sign_up(api, "alice")
    payload = await publish_video(api, alice, description=bad("About this", char))
    assert payload["video"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "description"])]
    assert await count(api, "videos") == 0


async def test_publish_video_reports_title_and_description_at_once(api):
    alice = await sign_up(api, "alice")
    payload = await publish_video(api, alice, title="a\u202eb", description="a\x1bb")
    assert sorted(problems(payload)) == [
        ("INVALID_INPUT", ["input", "description"]),
        ("INVALID_INPUT", ["input", "title"]),
    ]
    assert await count(api, "videos") == 0


async def test_publish_video_keeps_text_in_any_script(api):
    alice = await sign_up(api, "alice")
    payload = await publish_video(api, alice, title=GOOD_TITLE, description=GOOD_DESCRIPTION)
    assert payload["userErrors"] == []
    assert payload["video"] == {"title": GOOD_TITLE, "description": GOOD_DESCRIPTION}
    assert await row(api, "SELECT title, description FROM videos") == (
        GOOD_TITLE,
        GOOD_DESCRIPTION,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "New\ntitle"),
        ("title", "New\u2067title"),
        ("description", "New\x07text"),
        ("description", "New\u202dtext"),
    ],
    ids=["title-newline", "title-isolate", "description-bell", "description-override"],
)
async def test_update_video_refuses_bad_text_and_changes_nothing(api, field, value):
    alice = await sign_up(api, "alice")
    video_id = await publish(api, alice, "Old", description="Old text")
    payload = await api.mutate(
        "updateVideo", {"videoId": video_id, field: value, "visibility": "PRIVATE"}, VIDEO,
        alice.token,
    )  # fmt: skip
    assert payload["video"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", field])]
    assert await row(api, "SELECT title, description, visibility FROM videos") == (
        "Old",
        "Old text",
        "PUBLIC",
    )


async def test_update_video_accepts_text_in_any_script(api):
    alice = await sign_up(api, "alice")
    video_id = await publish(api, alice, "Old")
    payload = await api.mutate(
        "updateVideo",
        {"videoId": video_id, "title": GOOD_TITLE, "description": GOOD_DESCRIPTION},
        VIDEO,
        alice.token,
    )
    assert payload["userErrors"] == []
    assert payload["video"] == {"title": GOOD_TITLE, "description": GOOD_DESCRIPTION}


# --- Series and episodes --------------------------------------------------------------------


@pytest.mark.parametrize("char", ONE_LINE_BAD, ids=ids(ONE_LINE_BAD))
async def test_create_series_refuses_a_title_with_a_control_or_override(api, char):
    maker = await creator(api)
    payload = await create_series(api, maker, title=bad("Season", char))
    assert payload["series"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "title"])]
    assert await count(api, "series") == 0


@pytest.mark.parametrize("char", MULTI_LINE_BAD, ids=ids(MULTI_LINE_BAD))
async def test_create_series_refuses_a_description_with_a_control_or_override(api, char):
    maker = await creator(api)
    payload = await create_series(api, maker, description=bad("About it", char))
    assert payload["series"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "description"])]
    assert await count(api, "series") == 0


async def test_create_series_keeps_text_in_any_script(api):
    maker = await creator(api)
    payload = await create_series(api, maker, title=GOOD_TITLE, description=GOOD_DESCRIPTION)
    assert payload["userErrors"] == []
    series = payload["series"]
    assert (series["title"], series["description"]) == (GOOD_TITLE, GOOD_DESCRIPTION)
    assert await row(api, "SELECT title, description FROM series") == (
        GOOD_TITLE,
        GOOD_DESCRIPTION,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "New\ttitle"),
        ("title", "New\u202atitle"),
        ("description", "New\x1b[2Jtext"),
        ("description", "New\u2066text"),
    ],
    ids=["title-tab", "title-embedding", "description-escape", "description-isolate"],
)
async def test_update_series_refuses_bad_text_and_changes_nothing(api, field, value):
    maker = await creator(api)
    series_id = await new_series(api, maker)
    payload = await api.mutate(
        "updateSeries", {"seriesId": series_id, field: value, "priceCents": 999}, SERIES,
        maker.token,
    )  # fmt: skip
    assert payload["series"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", field])]
    assert await row(api, "SELECT title, description, price_cents FROM series") == (
        "Season",
        "About it",
        499,
    )


async def test_update_series_accepts_text_in_any_script(api):
    maker = await creator(api)
    series_id = await new_series(api, maker)
    payload = await api.mutate(
        "updateSeries",
        {"seriesId": series_id, "title": GOOD_TITLE, "description": GOOD_DESCRIPTION},
        SERIES,
        maker.token,
    )
    assert payload["userErrors"] == []
    assert payload["series"]["title"] == GOOD_TITLE
    assert payload["series"]["description"] == GOOD_DESCRIPTION


@pytest.mark.parametrize("char", EPISODE_BAD, ids=ids(EPISODE_BAD))
async def test_episode_titles_follow_the_same_rule(api, char):
    maker = await creator(api)
    series_id = await new_series(api, maker)
    payload = await add_episode(api, maker, series_id, bad("Pilot", char))
    assert payload["episode"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "title"])]
    assert await count(api, "series_episodes") == 0

    added = await add_episode(api, maker, series_id, GOOD_TITLE)
    assert added["userErrors"] == [] and added["episode"]["title"] == GOOD_TITLE
    payload = await api.mutate(
        "updateSeriesEpisode",
        {"episodeId": added["episode"]["id"], "title": bad("Pilot", char)},
        EPISODE,
        maker.token,
    )
    assert payload["episode"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "title"])]
    assert (await row(api, "SELECT title FROM series_episodes"))[0] == GOOD_TITLE


# --- accounts -------------------------------------------------------------------------------


SIGN_UP = {
    "email": "nia@example.com",
    "password": "correct horse battery",
    "handle": "nia",
    "birthDate": "1995-05-05",
    "country": "US",
}


@pytest.mark.parametrize("char", NAME_BAD, ids=ids(NAME_BAD))
async def test_sign_up_refuses_a_display_name_with_a_control_or_override(api, char):
    payload = await api.mutate(
        "signUp", {**SIGN_UP, "displayName": bad("Nia Long", char)}, "token account { id }"
    )
    assert payload["account"] is None and payload["token"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", "displayName"])]
    assert "A display name" in payload["userErrors"][0]["message"]
    assert await count(api, "accounts") == 0


async def test_sign_up_keeps_a_display_name_in_any_script(api):
    payload = await api.mutate(
        "signUp", {**SIGN_UP, "displayName": GOOD_TITLE[:50]}, "account { displayName }"
    )
    assert payload["userErrors"] == []
    assert payload["account"]["displayName"] == GOOD_TITLE[:50].strip()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("displayName", "Nia\nLong"),
        ("displayName", "Nia\u202dLong"),
        ("bio", "Hello\x07there"),
        ("bio", "Hello\u2067there"),
    ],
    ids=["name-newline", "name-override", "bio-bell", "bio-isolate"],
)
async def test_update_profile_refuses_bad_text_and_changes_nothing(api, field, value):
    nia = await sign_up(api, "nia", displayName="Nia")
    payload = await api.mutate(
        "updateProfile", {field: value, "country": "FR"}, "account { id }", nia.token
    )
    assert payload["account"] is None
    assert problems(payload) == [("INVALID_INPUT", ["input", field])]
    assert await row(api, "SELECT display_name, bio, country FROM accounts") == ("Nia", "", "US")


async def test_update_profile_keeps_multi_line_bios_and_names_in_any_script(api):
    nia = await sign_up(api, "nia")
    payload = await api.mutate(
        "updateProfile",
        {
            "displayName": "\u05e0\u05d9\u05d4 \u0646\u064a\u0627 \U0001f3b6",
            "bio": GOOD_DESCRIPTION,
        },
        "account { displayName bio }",
        nia.token,
    )
    assert payload["userErrors"] == []
    assert payload["account"] == {
        "displayName": "\u05e0\u05d9\u05d4 \u0646\u064a\u0627 \U0001f3b6",
        "bio": GOOD_DESCRIPTION,
    }
