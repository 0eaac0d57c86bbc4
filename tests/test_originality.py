"""Original content: staff flags of unoriginal videos and Series' ORIGINAL_CONTENT criterion.

Rules: staff flag a live video as unoriginal with a reason (1..500 characters) and clear a
flag raised by mistake; anonymous callers are UNAUTHENTICATED and everyone else FORBIDDEN. The
owner is notified (VIDEO_FLAGGED_UNORIGINAL). While a flag of a video raised in the last 30 days
stands, flagging it again returns that flag (nothing new is sent). Flags are seen by the video's
owner and staff only, on every path. ORIGINAL_CONTENT (Series) fails while a flag raised less
than 30 days ago stands on any of the account's videos, deleted ones included (exactly 30 days
old: out, as with posts); it names the newest flag's video and passes, by time alone, 30 days
after that flag. It is an entry criterion: an enrolled creator is not suspended by a flag. A
video earns no Creator Rewards while a flag of it stands (however old); a cleared flag counts
for nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelpay.enums import AccountType, Standing, Visibility
from reelpay.graphql.relay import encode_id
from reelpay.programs.eligibility import Criterion, Facts, OriginalityFlag, evaluate
from reelpay.programs.models import Program
from reelpay.settings import Rules
from tests.factories import (
    User,
    add_views,
    enrol,
    log_in,
    make_staff,
    publish,
    sign_up,
)
from tests.test_criterion_errors import apply
from tests.test_graphql_api import counting_statements
from tests.test_programs import SERIES_FOLLOWERS, series_candidate
from tests.test_programs import settings as settings  # the module's thresholds
from tests.test_rewards import DAY, creator, only_rewards, rewards, rewards_day, run, summary
from tests.test_rewards import earnings as wallet_earnings

FLAG = "flag { id reason createdAt clearedAt standing countsUntil video { id title } }"
REASON = "A re-upload of @dancer's video."
NOW = datetime(2026, 7, 16, 12, 0, tzinfo=UTC)  # where `series_candidate` leaves the clock
SERIES_RULE = "Series needs original content: no video flagged unoriginal in the last 30 days."
MET = "No video of yours was flagged as unoriginal in the last 30 days."
ELIGIBILITY = (
    "{ eligibility(program: SERIES) { eligible canApply enrolment { active suspensionReasons } "
    "criteria { criterion met currentValue requiredValue message expectedPassDate } } }"
)
VIDEO_FLAGS = (
    "query($id: ID!) { node(id: $id) { ... on Video { title "
    "originalityFlags { id reason standing } } } }"
)
FLAG_NODE = (
    "query($id: ID!) { node(id: $id) { __typename id "
    "... on VideoOriginalityFlag { reason standing video { id } } } }"
)


# --- helpers -------------------------------------------------------------------------------


async def flag(api: Any, by: User | None, video_id: str, reason: str = REASON) -> dict[str, Any]:
    return await api.mutate(
        "flagVideoUnoriginal",
        {"videoId": video_id, "reason": reason},
        FLAG,
        token=by.token if by else None,
    )


async def flagged(api: Any, staff: User, video_id: str, reason: str = REASON) -> dict[str, Any]:
    payload = await flag(api, staff, video_id, reason)
    assert payload["userErrors"] == [], payload
    return payload["flag"]  # type: ignore[no-any-return]


async def clear(api: Any, by: User | None, flag_id: str) -> dict[str, Any]:
    return await api.mutate(
        "clearVideoFlag", {"flagId": flag_id}, FLAG, token=by.token if by else None
    )


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def video_flags(api: Any, viewer: User | None, video_id: str) -> Any:
    data = await api.data(VIDEO_FLAGS, {"id": video_id}, token=viewer.token if viewer else None)
    return data["node"]["originalityFlags"]


async def flag_node(api: Any, viewer: User | None, flag_id: str) -> Any:
    data = await api.data(FLAG_NODE, {"id": flag_id}, token=viewer.token if viewer else None)
    return data["node"]


async def notices(api: Any, user: User) -> list[dict[str, Any]]:
    query = "{ viewer { notifications { edges { node { kind title body } } } } }"
    edges = (await api.data(query, token=user.token))["viewer"]["notifications"]["edges"]
    return [e["node"] for e in edges]


async def checklist(api: Any, user: User) -> dict[str, Any]:
    return (await api.data(ELIGIBILITY, token=user.token))["eligibility"]  # type: ignore[no-any-return]


async def original_content(api: Any, user: User) -> dict[str, Any]:
    (found,) = [
        c for c in (await checklist(api, user))["criteria"] if c["criterion"] == "ORIGINAL_CONTENT"
    ]
    return found


def criterion(met: bool, current: str, message: str, passes: str | None = None) -> dict[str, Any]:
    return {
        "criterion": "ORIGINAL_CONTENT",
        "met": met,
        "currentValue": current,
        "requiredValue": "0",
        "message": message,
        "expectedPassDate": passes,
    }


def unmet_message(title: str, day: str, reason: str = REASON, also: str = "") -> str:
    return f'Your video "{title}" was flagged as unoriginal on {day}: {reason}{also} {SERIES_RULE}'


async def maker_and_staff(api: Any, clock: Any) -> tuple[User, User, str]:
    """A creator meeting every Series criterion (at NOW), staff, and the maker's first video."""
    maker = await series_candidate(api, clock, followers=SERIES_FOLLOWERS)
    staff = await make_staff(api, api.engine)
    query = "{ viewer { videos(first: 10) { edges { node { id title } } } } }"
    edges = (await api.data(query, token=maker.token))["viewer"]["videos"]["edges"]
    first = next(e["node"]["id"] for e in edges if e["node"]["title"] == "Episode 0")
    return maker, staff, first


async def at(api: Any, clock: Any, when: datetime, *users: User) -> None:
    """Move the clock to `when`; sessions last 30 days, so `users` log in again."""
    clock.set(when)
    for user in users:
        await log_in(api, user)


# --- the pure rule -------------------------------------------------------------------------

RULES = Rules()


def facts(*flags: OriginalityFlag) -> Facts:
    return Facts(
        birth_date=date(1995, 5, 5),
        country="US",
        account_type=AccountType.PERSONAL,
        visibility=Visibility.PUBLIC,
        is_political=False,
        standing=Standing.GOOD,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        followers=100_000,
        daily_views={date(2026, 7, 15): 100_000},
        public_post_times=tuple(NOW - timedelta(days=n) for n in (1, 2, 3)),
        originality_flags=flags,
    )


def rule(*flags: OriginalityFlag, now: datetime = NOW) -> tuple[bool, str, str, date | None]:
    evaluation = evaluate(Program.SERIES, facts(*flags), now, RULES)
    (found,) = [r for r in evaluation.results if r.criterion is Criterion.ORIGINAL_CONTENT]
    return found.met, found.current, found.message, found.expected_pass_date


@pytest.mark.parametrize(
    ("age", "met", "passes"),
    [
        (timedelta(0), False, date(2026, 8, 15)),
        (timedelta(days=29, hours=23, minutes=59, seconds=59), False, date(2026, 7, 16)),
        (timedelta(days=30), True, None),  # exactly 30 days old: out, as posts are
        (timedelta(days=30, seconds=1), True, None),
        (-timedelta(seconds=1), True, None),  # not raised yet at `now`
    ],
)
def test_a_flag_counts_for_30_days_after_it_was_raised(age, met, passes):
    raised = NOW - age

    found = rule(OriginalityFlag("Dance", raised, "Not yours."), now=NOW)

    assert (found[0], found[1], found[3]) == (met, "0" if met else "1", passes)
    if not met:
        assert found[2] == unmet_message("Dance", raised.date().isoformat(), "Not yours.")


def test_the_message_names_the_newest_flag_and_counts_the_others():
    old = OriginalityFlag("Old", NOW - timedelta(days=20), "Repost")
    new = OriginalityFlag("New", NOW - timedelta(days=2), "Duet of someone else's video!")
    mid = OriginalityFlag("Mid", NOW - timedelta(days=10), "Copied.")

    assert rule(old) == (
        False,
        "1",
        unmet_message("Old", "2026-06-26", "Repost."),
        date(2026, 7, 26),
    )
    assert rule(new, old) == (
        False, "2",
        unmet_message("New", "2026-07-14", "Duet of someone else's video!",
                      " Another flag also stands."),
        date(2026, 8, 13),
    )  # fmt: skip
    assert rule(old, mid, new)[1:3] == (
        "3",
        unmet_message("New", "2026-07-14", "Duet of someone else's video!",
                      " 2 other flags also stand."),
    )  # fmt: skip


def test_original_content_is_a_series_criterion_only():
    flags = (OriginalityFlag("Dance", NOW, "Not yours."),)
    for program in Program:
        results = evaluate(program, facts(*flags), NOW, RULES).results
        named = [r.criterion for r in results]
        assert (Criterion.ORIGINAL_CONTENT in named) is (program is Program.SERIES)
    assert rule() == (True, "0", MET, None)


def test_the_window_is_a_setting():
    short = dataclasses.replace(RULES, originality_window_days=7)
    flags = (OriginalityFlag("Dance", NOW - timedelta(days=7), "Not yours."),)

    results = evaluate(Program.SERIES, facts(*flags), NOW, short).results

    assert results[-1].criterion is Criterion.ORIGINAL_CONTENT
    assert results[-1].met is True
    assert results[-1].message == "No video of yours was flagged as unoriginal in the last 7 days."


# --- flagging and clearing -----------------------------------------------------------------


async def test_staff_flag_a_video_and_its_owner_is_notified(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)

    payload = await flag(api, staff, video, f"  {REASON}\n")

    assert payload["userErrors"] == []
    created = payload["flag"]
    assert created == {
        "id": created["id"],
        "reason": REASON,  # trimmed
        "createdAt": "2026-07-16T12:00:00+00:00",
        "clearedAt": None,
        "standing": True,
        "countsUntil": "2026-08-15T12:00:00+00:00",
        "video": {"id": video, "title": "Episode 0"},
    }
    assert (await notices(api, maker))[0] == {
        "kind": "VIDEO_FLAGGED_UNORIGINAL",
        "title": "Your video was flagged as unoriginal",
        "body": 'Staff flagged your video "Episode 0" as unoriginal. While the flag stands the '
        "video earns no Creator Rewards, and until 2026-08-15 your account does not meet "
        f"Series' original content criterion. Reason: {REASON}",
    }
    assert await video_flags(api, maker, video) == [
        {"id": created["id"], "reason": REASON, "standing": True}
    ]
    assert [n["kind"] for n in await notices(api, staff)] == []


@pytest.mark.parametrize(("who", "code"), [
    (None, "UNAUTHENTICATED"), ("owner", "FORBIDDEN"), ("other", "FORBIDDEN"),
])  # fmt: skip
async def test_only_staff_flag_and_clear(api, clock, who, code):
    maker, staff, video = await maker_and_staff(api, clock)
    other = await sign_up(api, "other")
    caller = {None: None, "owner": maker, "other": other}[who]
    standing = await flagged(api, staff, video)
    token = caller.token if caller else None
    mutation = (
        "mutation($v: ID!) { "
        'flagVideoUnoriginal(input: {videoId: $v, reason: "No."}) { flag { id } } }'
    )
    clearing = "mutation($f: ID!) { clearVideoFlag(input: {flagId: $f}) { flag { id } } }"

    refused_flag = await api.error(mutation, {"v": video}, token)
    refused_clear = await api.error(clearing, {"f": standing["id"]}, token)
    # Refused before looking at the input: a junk ID gets the same answer.
    refused_junk = await api.error(clearing, {"f": "junk"}, token)

    assert [e["extensions"]["code"] for e in (refused_flag, refused_clear, refused_junk)] == [
        code
    ] * 3
    assert await video_flags(api, staff, video) == [
        {"id": standing["id"], "reason": REASON, "standing": True}
    ]
    assert [n["kind"] for n in await notices(api, maker)] == ["VIDEO_FLAGGED_UNORIGINAL"]


async def test_flagging_a_deleted_missing_or_wrong_video_is_refused(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    gone = await publish(api, maker, "Gone")
    deleted = await api.mutate(
        "deleteVideo", {"videoId": gone}, "deletedVideoId", token=maker.token
    )
    assert deleted["userErrors"] == []

    assert errors(await flag(api, staff, gone)) == [("NOT_FOUND", ["input", "videoId"])]
    assert errors(await flag(api, staff, encode_id("Video", 999_999))) == [
        ("NOT_FOUND", ["input", "videoId"])
    ]
    assert errors(await flag(api, staff, maker.id)) == [("INVALID_ID", ["input", "videoId"])]
    assert errors(await flag(api, staff, "junk")) == [("INVALID_ID", ["input", "videoId"])]
    assert await video_flags(api, staff, video) == []
    assert await notices(api, maker) == []


@pytest.mark.parametrize(
    ("reason", "accepted"),
    [("", False), ("   \n ", False), ("x" * 501, False), ("bad \u202e text", False),
     ("x", True), ("x" * 500, True), ("Two\nlines.", True)],
    ids=["empty", "blank", "501", "bidi", "1", "500", "multiline"],
)  # fmt: skip
async def test_a_reason_has_1_to_500_characters(api, clock, reason, accepted):
    _maker, staff, video = await maker_and_staff(api, clock)

    payload = await flag(api, staff, video, reason)

    if accepted:
        assert payload["userErrors"] == []
        assert payload["flag"]["reason"] == reason
    else:
        assert errors(payload) == [("INVALID_INPUT", ["input", "reason"])]
        assert payload["flag"] is None
        assert await video_flags(api, staff, video) == []


async def test_a_private_video_can_be_flagged(api, clock):
    maker, staff, _ = await maker_and_staff(api, clock)
    private = await publish(api, maker, "Hidden", visibility="PRIVATE")

    created = await flagged(api, staff, private)

    assert created["video"] == {"id": private, "title": "Hidden"}


async def test_flagging_again_returns_the_standing_flag_until_its_window_ends(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    first = await flagged(api, staff, video)
    clock.advance(timedelta(days=29, hours=23, minutes=59))

    again = await flagged(api, staff, video, "Another reason.")

    assert again == first  # same flag, same reason and date: the window does not restart
    assert len(await notices(api, maker)) == 1

    clock.advance(timedelta(minutes=1))  # the first flag is 30 days old: out of the window
    await log_in(api, staff)
    await log_in(api, maker)
    later = await flagged(api, staff, video, "Still a re-upload.")

    assert later["id"] != first["id"]
    assert (later["reason"], later["createdAt"]) == (
        "Still a re-upload.",
        "2026-08-15T12:00:00+00:00",
    )
    assert [f["id"] for f in await video_flags(api, maker, video)] == [later["id"], first["id"]]
    assert [n["kind"] for n in await notices(api, maker)] == ["VIDEO_FLAGGED_UNORIGINAL"] * 2


async def test_concurrent_flags_of_one_video_raise_one_flag(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)

    first, second = await asyncio.gather(
        flagged(api, staff, video), flagged(api, staff, video, "Same video.")
    )

    assert first == second
    assert len(await video_flags(api, staff, video)) == 1
    assert len(await notices(api, maker)) == 1


async def test_a_cleared_flag_stays_listed_and_a_new_flag_can_be_raised(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    first = await flagged(api, staff, video)
    clock.advance(timedelta(hours=1))

    cleared = await clear(api, staff, first["id"])
    clock.advance(timedelta(hours=1))
    again = await clear(api, staff, first["id"])

    assert cleared["userErrors"] == []
    assert cleared["flag"] == first | {
        "clearedAt": "2026-07-16T13:00:00+00:00",
        "standing": False,
    }
    assert again == cleared  # clearing twice keeps the first clearing
    second = await flagged(api, staff, video, "Really a re-upload.")
    assert second["id"] != first["id"]
    assert [(f["id"], f["standing"]) for f in await video_flags(api, maker, video)] == [
        (second["id"], True),
        (first["id"], False),
    ]


async def test_clearing_a_missing_flag_or_another_id_is_refused(api, clock):
    _maker, staff, video = await maker_and_staff(api, clock)

    missing = await clear(api, staff, encode_id("VideoOriginalityFlag", 999_999))
    wrong = await clear(api, staff, video)

    assert errors(missing) == [("NOT_FOUND", ["input", "flagId"])]
    assert errors(wrong) == [("INVALID_ID", ["input", "flagId"])]


# --- who sees flags ------------------------------------------------------------------------


async def test_only_the_owner_and_staff_see_flags_on_every_path(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    other = await sign_up(api, "other")
    created = await flagged(api, staff, video)
    seen = [{"id": created["id"], "reason": REASON, "standing": True}]
    as_node = {
        "__typename": "VideoOriginalityFlag",
        "id": created["id"],
        "reason": REASON,
        "standing": True,
        "video": {"id": video},
    }
    page = (
        "query($h: String!) { account(handle: $h) { videos(first: 10) { edges { node { "
        "title originalityFlags { id } } } } } }"
    )

    for viewer, expected, node in (
        (maker, seen, as_node), (staff, seen, as_node), (other, None, None), (None, None, None),
    ):  # fmt: skip
        token = viewer.token if viewer else None
        assert await video_flags(api, viewer, video) == expected
        assert await flag_node(api, viewer, created["id"]) == node
        nodes = await api.data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [created["id"]]}, token
        )
        assert nodes["nodes"] == [{"id": created["id"]} if node else None]
        listed = await api.data(page, {"h": maker.handle}, token)
        by_title = {
            e["node"]["title"]: e["node"]["originalityFlags"]
            for e in listed["account"]["videos"]["edges"]
        }
        assert by_title["Episode 0"] == (None if expected is None else [{"id": created["id"]}])
        assert by_title["Episode 1"] == (None if expected is None else [])


async def test_a_deleted_videos_flag_is_still_seen_by_its_owner_through_its_id(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    created = await flagged(api, staff, video)
    deleted = await api.mutate(
        "deleteVideo", {"videoId": video}, "deletedVideoId", token=maker.token
    )
    assert deleted["userErrors"] == []

    assert await flag_node(api, maker, created["id"]) == {
        "__typename": "VideoOriginalityFlag",
        "id": created["id"],
        "reason": REASON,
        "standing": True,
        "video": None,
    }
    assert await flag_node(api, await sign_up(api, "other"), created["id"]) is None


# --- the ORIGINAL_CONTENT criterion --------------------------------------------------------


async def test_a_flag_fails_original_content_for_30_days(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    assert await original_content(api, maker) == criterion(True, "0", MET)
    assert (await checklist(api, maker))["eligible"] is True

    await flagged(api, staff, video)
    failing = await checklist(api, maker)

    assert failing["criteria"][-1] == criterion(
        False, "1", unmet_message("Episode 0", "2026-07-16"), "2026-08-15"
    )
    assert [c["criterion"] for c in failing["criteria"] if not c["met"]] == ["ORIGINAL_CONTENT"]
    assert (failing["eligible"], failing["canApply"]) == (False, False)

    await at(api, clock, NOW + timedelta(days=29, hours=23, minutes=59, seconds=59), maker)
    assert (await original_content(api, maker))["met"] is False

    await at(api, clock, NOW + timedelta(days=30), maker)
    assert await original_content(api, maker) == criterion(True, "0", MET)


async def test_a_deleted_flagged_video_still_fails_original_content(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    await flagged(api, staff, video)

    deleted = await api.mutate(
        "deleteVideo", {"videoId": video}, "deletedVideoId", token=maker.token
    )

    assert deleted["userErrors"] == []
    assert await original_content(api, maker) == criterion(
        False, "1", unmet_message("Episode 0", "2026-07-16"), "2026-08-15"
    )


async def test_a_cleared_flag_does_not_count(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    created = await flagged(api, staff, video)

    assert (await clear(api, staff, created["id"]))["userErrors"] == []

    assert await original_content(api, maker) == criterion(True, "0", MET)
    assert (await checklist(api, maker))["eligible"] is True


async def test_declaring_a_video_not_original_does_not_fail_the_criterion(api, clock):
    maker, _staff, _ = await maker_and_staff(api, clock)
    await publish(api, maker, "Duet", isOriginal=False)

    assert await original_content(api, maker) == criterion(True, "0", MET)


async def test_declaring_a_flagged_video_original_does_not_clear_the_flag(api, clock):
    maker, staff, _ = await maker_and_staff(api, clock)
    duet = await publish(api, maker, "Duet", isOriginal=False)
    await flagged(api, staff, duet)

    updated = await api.mutate(
        "updateVideo", {"videoId": duet, "isOriginal": True}, "video { isOriginal }",
        token=maker.token,
    )  # fmt: skip

    assert updated == {"video": {"isOriginal": True}, "userErrors": []}
    assert await original_content(api, maker) == criterion(
        False, "1", unmet_message("Duet", "2026-07-16"), "2026-08-15"
    )
    assert [f["standing"] for f in await video_flags(api, maker, duet)] == [True]


async def test_the_newest_of_several_flags_names_the_video_and_the_pass_date(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    other_video = await publish(api, maker, "Borrowed")
    await flagged(api, staff, video)
    clock.advance(timedelta(days=3))
    await flagged(api, staff, other_video, "Not yours")

    assert await original_content(api, maker) == criterion(
        False,
        "2",
        unmet_message("Borrowed", "2026-07-19", "Not yours.", " Another flag also stands."),
        "2026-08-18",
    )


async def test_another_accounts_flag_does_not_count(api, clock):
    maker, staff, _ = await maker_and_staff(api, clock)
    other = await sign_up(api, "other")
    await flagged(api, staff, await publish(api, other, "Theirs"))

    assert await original_content(api, maker) == criterion(True, "0", MET)


async def test_applying_to_series_while_flagged_is_refused_with_the_criterion(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    created = await flagged(api, staff, video)

    refused = await apply(api, maker, "SERIES")

    assert refused["application"] is None
    assert refused["userErrors"] == [
        {
            "code": "CRITERION_NOT_MET",
            "field": ["input", "program"],
            "message": unmet_message("Episode 0", "2026-07-16"),
            "criterion": "ORIGINAL_CONTENT",
        }
    ]
    # Other programs do not ask for original content.
    assert (await apply(api, maker, "LIVE_GIFTS"))["userErrors"] == []

    assert (await clear(api, staff, created["id"]))["userErrors"] == []
    assert (await apply(api, maker, "SERIES"))["userErrors"] == []


async def test_a_flag_does_not_suspend_an_enrolled_series_creator(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    await enrol(api.engine, maker, "SERIES")

    await flagged(api, staff, video)
    found = await checklist(api, maker)

    assert found["enrolment"] == {"active": True, "suspensionReasons": []}
    assert found["criteria"][-1]["met"] is False  # still shown on the checklist


# --- Creator Rewards -----------------------------------------------------------------------


@pytest.mark.usefixtures("verify_ledger")
async def test_a_flagged_videos_views_earn_no_rewards_while_the_flag_stands(api):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})  # one qualifying video
    copied = await publish(api, star, "Copied", durationSeconds=61)
    await add_views(api.engine, copied, {DAY: 1_000, DAY + timedelta(days=1): 4_000})
    created = await flagged(api, staff, copied)

    assert await rewards(api, "star", DAY, DAY, star.token) == [rewards_day(DAY, 2_000, 100, None)]
    assert await run(api, staff) == summary(1, 100)
    assert await wallet_earnings(api, star) == (100, only_rewards(100))

    assert (await clear(api, staff, created["id"]))["userErrors"] == []

    # The day settled while the flag stood stays settled; the next one counts the video again.
    next_day = DAY + timedelta(days=1)
    assert await rewards(api, "star", DAY, next_day, star.token) == [
        rewards_day(DAY, 3_000, 150, 100),
        rewards_day(next_day, 4_000, 200, None),
    ]


@pytest.mark.usefixtures("verify_ledger")
async def test_an_old_standing_flag_still_stops_rewards(api, clock):
    staff = await make_staff(api, api.engine)
    star = await creator(api, "star", {DAY: 2_000})
    copied = await publish(api, star, "Copied", durationSeconds=61)
    await flagged(api, staff, copied)
    clock.advance(timedelta(days=40))
    await log_in(api, star)
    await log_in(api, staff)
    today = clock.now().date()
    await add_views(api.engine, copied, {today - timedelta(days=1): 1_000})

    day = today - timedelta(days=1)
    assert await rewards(api, "star", day, day, star.token) == [rewards_day(day, 0, 0, None)]
    assert await run(api, staff, day) == summary(1, 0, day=day)


# --- cost ----------------------------------------------------------------------------------


async def test_a_page_of_videos_reads_their_flags_in_one_query(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    more = [await publish(api, maker, f"Clip {n}") for n in range(7)]
    for flagged_id in (video, *more[:3]):
        await flagged(api, staff, flagged_id)
    page = "{ viewer { videos(first: 10) { edges { node { title originalityFlags { id } } } } } }"

    with counting_statements(api.engine) as statements:
        edges = (await api.data(page, token=maker.token))["viewer"]["videos"]["edges"]

    assert sorted(len(e["node"]["originalityFlags"]) for e in edges) == [0] * 6 + [1] * 4
    assert sum("video_originality_flags" in s for s in statements) == 1, statements


async def test_the_checklist_reads_the_flags_in_one_query(api, clock):
    maker, staff, video = await maker_and_staff(api, clock)
    await flagged(api, staff, video)
    await flagged(api, staff, await publish(api, maker, "Borrowed"))

    with counting_statements(api.engine) as statements:
        found = await original_content(api, maker)

    assert found["currentValue"] == "2"
    assert sum("video_originality_flags" in s for s in statements) == 1, statements
