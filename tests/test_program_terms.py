"""Program terms versions, their acceptance and the age confirmation (issue 15), via the API.

Rules: every program has current terms (its latest version; the migration records version
"1"), which anyone may read. Applying accepts the current version (`acceptTermsVersion`) and
confirms the age (`confirmAge`): another version is TERMS_VERSION_OUTDATED naming the current
one, `confirmAge: false` is AGE_NOT_CONFIRMED; the application records the version, when, and
the age confirmation, and approval copies them onto the enrolment. Staff publish a new version
(labels 1..32 characters, unique per program; an http(s) URL); from then on every enrolment of
the program owes it: its creator is notified (PROGRAM_TERMS_UPDATED), receives no tips, gifts
or Series sales (the sender gets CREATOR_NOT_ELIGIBLE, before any charge), creates and
publishes no Series (TERMS_NOT_ACCEPTED) and earns nothing for a Creator Rewards day settled
meanwhile, until they accept it (`acceptProgramTerms`; idempotent; an old version is
TERMS_VERSION_OUTDATED). The hub shows TERMS_NOT_ACCEPTED (SUSPENDED > TERMS_NOT_ACCEPTED >
PAUSED).

Thresholds in this module: 3 followers for LIVE gifts and Tips.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from reelpay.db import begin_write, create_engine, create_sessionmaker, run_write
from reelpay.errors import DomainError, ErrorCode
from reelpay.migrate import alembic_config, upgrade_async
from reelpay.programs import terms as program_terms
from reelpay.programs.models import Enrolment, Program
from reelpay.settings import Settings
from tests.factories import (
    SUCCESS_TOKEN,
    User,
    add_followers,
    add_views,
    apply_input,
    buy_coins,
    decode_pk,
    enrol,
    make_staff,
    new_key,
    publish,
    set_standing,
    sign_up,
)
from tests.test_gifts_live import gift_id, go_live
from tests.test_series_buying import buy, charges, make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")

FOLLOWERS = 3
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TERMS = "id program version url publishedAt"
ENROLMENT = (
    "id active termsAcceptedAt ageConfirmedAt acceptedTerms { version } "
    "termsToAccept { version url }"
)
APPLICATION = "id status termsAcceptedAt ageConfirmedAt acceptedTerms { version }"
OPTION = f"state reasons enrolment {{ {ENROLMENT} }}"
VERSION_FIELD = ["input", "acceptTermsVersion"]
AGE_FIELD = ["input", "confirmAge"]
URL = "https://reelpay.dev/terms/tips/2"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    rules = dataclasses.replace(
        settings.rules, live_gifts_min_followers=FOLLOWERS, tips_min_followers=FOLLOWERS
    )
    return dataclasses.replace(settings, rules=rules)


# --- helpers -------------------------------------------------------------------------------


def at(moment: datetime) -> str:
    return moment.isoformat()


async def current_terms(api: Any, program: str, token: str | None = None) -> dict[str, Any]:
    query = f"query($p: Program!) {{ programTerms(program: $p) {{ {TERMS} }} }}"
    return (await api.data(query, {"p": program}, token=token))["programTerms"]


async def apply(api: Any, user: User, program: str, version: str, age: bool = True) -> Any:
    input = {"program": program, "acceptTermsVersion": version, "confirmAge": age}
    return await api.mutate(
        "applyToProgram", input, f"application {{ {APPLICATION} }}", token=user.token
    )


async def applicant(api: Any, handle: str = "star") -> User:
    user = await sign_up(api, handle)
    await add_followers(api.engine, user, FOLLOWERS)
    return user


async def publish_terms(
    api: Any, staff: User, program: str, version: str, url: str = URL
) -> dict[str, Any]:
    return await api.mutate(
        "publishProgramTerms",
        {"program": program, "version": version, "url": url},
        f"terms {{ {TERMS} }} enrolmentsToAccept",
        token=staff.token,
    )


async def published(api: Any, staff: User, program: str, version: str) -> dict[str, Any]:
    url = f"https://reelpay.dev/terms/{program.lower()}/{version.strip()}"
    payload = await publish_terms(api, staff, program, version, url)
    assert payload["userErrors"] == [], payload
    return payload


async def accept(
    api: Any, user: User, program: str, version: str, age: bool = True
) -> dict[str, Any]:
    return await api.mutate(
        "acceptProgramTerms",
        {"program": program, "version": version, "confirmAge": age},
        f"enrolment {{ {ENROLMENT} }} monetization {{ {OPTION} }} eligibility {{ id }}",
        token=user.token,
    )


async def accepted(api: Any, user: User, program: str, version: str) -> dict[str, Any]:
    payload = await accept(api, user, program, version)
    assert payload["userErrors"] == [], payload
    return payload


async def hub(api: Any, user: User) -> dict[str, dict[str, Any]]:
    data = await api.data(
        f"{{ viewer {{ monetization {{ program {OPTION} }} }} }}", token=user.token
    )
    return {o.pop("program"): o for o in data["viewer"]["monetization"]}


async def enrolments(api: Any, user: User) -> dict[str, dict[str, Any]]:
    data = await api.data(
        f"{{ viewer {{ enrolments {{ program {ENROLMENT} }} }} }}", token=user.token
    )
    return {e.pop("program"): e for e in data["viewer"]["enrolments"]}


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def notifications(api: Any, user: User) -> list[dict[str, Any]]:
    query = (
        "{ viewer { notifications(first: 20) { edges { node { kind title body "
        "programTerms { version program } } } } } }"
    )
    data = await api.data(query, token=user.token)
    return [e["node"] for e in data["viewer"]["notifications"]["edges"]]


async def coins(api: Any, user: User) -> int:
    data = await api.data("{ viewer { wallet { coins } } }", token=user.token)
    return int(data["viewer"]["wallet"]["coins"])


async def tip(api: Any, fan: User, creator: User, method: str = "COINS") -> dict[str, Any]:
    input = {"creatorId": creator.id, "amountCents": 500, "method": method}
    if method == "CARD":
        input["paymentToken"] = SUCCESS_TOKEN
    return await api.mutate(
        "sendTip", {**input, "idempotencyKey": new_key()}, "tip { id }", token=fan.token
    )


async def gift(api: Any, fan: User, where: dict[str, str]) -> dict[str, Any]:
    input = {"giftId": await gift_id(api, "Rose"), **where, "idempotencyKey": new_key()}
    return await api.mutate("sendGift", input, "gift { id }", token=fan.token)


async def outstanding(engine: Any, user: User, program: str) -> tuple[int | None, bool]:
    """(the accepted terms' key, whether the enrolment owes the current terms), in the rows."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.select(Enrolment.terms_id, Enrolment.terms_outstanding_since).where(
                    Enrolment.account_id == user.pk, Enrolment.program == program
                )
            )
        ).one()
    return row[0], row[1] is not None


# --- reading the terms ---------------------------------------------------------------------


async def test_anyone_reads_every_programs_current_terms(api):
    user = await sign_up(api, "reader")
    for program in ("CREATOR_REWARDS", "SERIES", "TIPS", "LIVE_GIFTS", "CREATOR_MARKETPLACE"):
        terms = await current_terms(api, program)
        slug = program.lower().replace("_", "-")
        assert (terms["program"], terms["version"]) == (program, "1")
        assert terms["url"] == f"https://reelpay.dev/terms/{slug}/1"
        assert await current_terms(api, program, user.token) == terms
        node = "query($id: ID!) { node(id: $id) { ... on ProgramTerms { id version } } }"
        found = await api.data(node, {"id": terms["id"]})
        assert found["node"] == {"id": terms["id"], "version": "1"}

    eligibility = await api.data(
        f"{{ eligibility(program: TIPS) {{ terms {{ {TERMS} }} }} }}", token=user.token
    )
    assert eligibility["eligibility"]["terms"] == await current_terms(api, "TIPS")


async def test_the_current_terms_are_the_latest_version(api, clean_db, clock):
    staff = await make_staff(api, clean_db)
    first = await current_terms(api, "TIPS")
    clock.advance(timedelta(days=1))

    payload = await published(api, staff, "TIPS", "2026-07")

    terms = await current_terms(api, "TIPS")
    assert payload["terms"] == terms
    assert terms == {
        "id": terms["id"],
        "program": "TIPS",
        "version": "2026-07",
        "url": "https://reelpay.dev/terms/tips/2026-07",
        "publishedAt": at(NOW + timedelta(days=1)),
    }
    assert terms["id"] != first["id"]
    assert await current_terms(api, "SERIES") != terms  # per program
    assert (await current_terms(api, "SERIES"))["version"] == "1"


# --- applying ------------------------------------------------------------------------------


async def test_applying_records_the_terms_and_age_and_approval_copies_them(api, clean_db, clock):
    staff = await make_staff(api, clean_db)
    star = await applicant(api)

    applied = await apply(api, star, "TIPS", "1")

    assert applied["userErrors"] == []
    application = applied["application"]
    assert application == {
        "id": application["id"],
        "status": "PENDING",
        "termsAcceptedAt": at(NOW),
        "ageConfirmedAt": at(NOW),
        "acceptedTerms": {"version": "1"},
    }
    clock.advance(timedelta(days=2))
    approved = await api.mutate(
        "approveProgramApplication", {"applicationId": application["id"]},
        f"enrolment {{ {ENROLMENT} }}", token=staff.token,
    )  # fmt: skip
    assert approved["userErrors"] == []
    enrolment = approved["enrolment"]
    assert enrolment == {
        "id": enrolment["id"],
        "active": True,
        "termsAcceptedAt": at(NOW),  # when it was accepted, not when approved
        "ageConfirmedAt": at(NOW),
        "acceptedTerms": {"version": "1"},
        "termsToAccept": None,
    }
    assert (await hub(api, star))["TIPS"]["state"] == "ACTIVE"
    assert [n["kind"] for n in await notifications(api, star)] == ["APPLICATION_APPROVED"]


@pytest.mark.parametrize(
    ("version", "age", "expected"),
    [
        ("2", True, [("TERMS_VERSION_OUTDATED", VERSION_FIELD)]),
        ("", True, [("TERMS_VERSION_OUTDATED", VERSION_FIELD)]),
        ("1", False, [("AGE_NOT_CONFIRMED", AGE_FIELD)]),
        ("0", False, [("TERMS_VERSION_OUTDATED", VERSION_FIELD), ("AGE_NOT_CONFIRMED", AGE_FIELD)]),
    ],
)
async def test_applying_needs_the_current_version_and_the_age(api, version, age, expected):
    star = await applicant(api)

    refused = await apply(api, star, "TIPS", version, age)

    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == expected
    assert refused["application"] is None
    if expected[0][0] == "TERMS_VERSION_OUTDATED":
        message = refused["userErrors"][0]["message"]
        assert message.startswith("The current Tips terms are version 1 (published ")
        assert "https://reelpay.dev/terms/tips/1" in message
    eligibility = "{ eligibility(program: TIPS) { latestApplication { id } canApply } }"
    assert (await api.data(eligibility, token=star.token))["eligibility"] == {
        "latestApplication": None, "canApply": True}  # fmt: skip


async def test_applying_without_the_terms_fields_is_not_a_valid_request(api):
    star = await applicant(api)
    query = "mutation { applyToProgram(input: {program: TIPS}) { application { id } } }"

    body = await api.execute(query, token=star.token)

    assert "data" not in body or body["data"] is None
    messages = " ".join(e["message"] for e in body["errors"])
    assert "acceptTermsVersion" in messages and "confirmAge" in messages


async def test_the_terms_errors_come_with_the_unmet_criteria(api):
    star = await sign_up(api, "star")  # no followers

    refused = await apply(api, star, "TIPS", "9", False)

    assert codes(refused) == ["TERMS_VERSION_OUTDATED", "AGE_NOT_CONFIRMED", "CRITERION_NOT_MET"]


async def test_an_old_version_is_refused_once_new_terms_are_out(api, clean_db):
    staff = await make_staff(api, clean_db)
    star = await applicant(api)
    await published(api, staff, "TIPS", "2")

    refused = await apply(api, star, "TIPS", "1")

    assert codes(refused) == ["TERMS_VERSION_OUTDATED"]
    assert refused["userErrors"][0]["message"].startswith("The current Tips terms are version 2 ")
    applied = await apply(api, star, "TIPS", "2")
    assert applied["userErrors"] == []
    assert applied["application"]["acceptedTerms"] == {"version": "2"}


async def test_terms_published_while_an_application_waits_are_owed_on_approval(api, clean_db):
    staff = await make_staff(api, clean_db)
    star = await applicant(api)
    application = (await apply(api, star, "TIPS", "1"))["application"]
    await published(api, staff, "TIPS", "2")
    assert await notifications(api, star) == []  # not enrolled yet: nothing owed

    approved = await api.mutate(
        "approveProgramApplication", {"applicationId": application["id"]},
        f"enrolment {{ {ENROLMENT} }}", token=staff.token,
    )  # fmt: skip

    assert approved["userErrors"] == []
    enrolment = approved["enrolment"]
    assert enrolment["acceptedTerms"] == {"version": "1"}
    assert enrolment["termsToAccept"] == {"version": "2", "url": "https://reelpay.dev/terms/tips/2"}
    assert enrolment["active"] is False
    assert (await hub(api, star))["TIPS"]["state"] == "TERMS_NOT_ACCEPTED"
    assert [(n["kind"], n["programTerms"]) for n in await notifications(api, star)] == [
        ("PROGRAM_TERMS_UPDATED", {"version": "2", "program": "TIPS"}),
        ("APPLICATION_APPROVED", None),
    ]
    await accepted(api, star, "TIPS", "2")
    assert (await hub(api, star))["TIPS"]["state"] == "ACTIVE"


# --- publishing ----------------------------------------------------------------------------


async def test_only_staff_publish_terms(api, clean_db):
    user = await sign_up(api, "user")
    creator = await sign_up(api, "creator")
    await enrol(clean_db, creator, "TIPS")
    query = (
        "mutation($i: PublishProgramTermsInput!) { publishProgramTerms(input: $i) "
        "{ terms { id } } }"
    )
    variables = {"i": {"program": "TIPS", "version": "2", "url": URL}}

    anonymous = await api.error(query, variables)
    as_user = await api.error(query, variables, token=user.token)
    as_creator = await api.error(query, variables, token=creator.token)

    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    assert as_user["extensions"]["code"] == "FORBIDDEN"
    assert as_creator["extensions"]["code"] == "FORBIDDEN"
    assert (await current_terms(api, "TIPS"))["version"] == "1"
    assert await notifications(api, creator) == []
    assert (await hub(api, creator))["TIPS"]["state"] == "ACTIVE"


@pytest.mark.parametrize(
    ("version", "url", "expected"),
    [
        ("", URL, [("INVALID_INPUT", ["input", "version"])]),
        ("   ", URL, [("INVALID_INPUT", ["input", "version"])]),
        ("x" * 33, URL, [("INVALID_INPUT", ["input", "version"])]),
        ("v\n2", URL, [("INVALID_INPUT", ["input", "version"])]),
        ("1", URL, [("INVALID_INPUT", ["input", "version"])]),  # already published
        (" 1 ", URL, [("INVALID_INPUT", ["input", "version"])]),  # the same label, trimmed
        ("2", "ftp://reelpay.dev/terms", [("INVALID_URL", ["input", "url"])]),
        ("2", "reelpay.dev/terms", [("INVALID_URL", ["input", "url"])]),
        ("2", "https://" + "a" * 2048, [("INVALID_URL", ["input", "url"])]),
        ("", "nope", [("INVALID_INPUT", ["input", "version"]), ("INVALID_URL", ["input", "url"])]),
    ],
)
async def test_publishing_refuses_bad_versions_and_urls(api, clean_db, version, url, expected):
    staff = await make_staff(api, clean_db)
    creator = await sign_up(api, "creator")
    await enrol(clean_db, creator, "TIPS")
    before = await current_terms(api, "TIPS")

    refused = await publish_terms(api, staff, "TIPS", version, url)

    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == expected
    assert (refused["terms"], refused["enrolmentsToAccept"]) == (None, None)
    assert await current_terms(api, "TIPS") == before
    assert await notifications(api, creator) == []
    assert (await hub(api, creator))["TIPS"]["state"] == "ACTIVE"


async def test_version_labels_are_unique_per_program_and_32_characters_at_most(api, clean_db):
    staff = await make_staff(api, clean_db)
    longest = "v" * 32

    assert (await published(api, staff, "TIPS", longest))["terms"]["version"] == longest
    assert (await published(api, staff, "SERIES", longest))["terms"]["version"] == longest
    assert (await published(api, staff, "SERIES", " 2 "))["terms"]["version"] == "2"
    duplicate = await publish_terms(api, staff, "SERIES", "2")
    assert codes(duplicate) == ["INVALID_INPUT"]
    assert duplicate["userErrors"][0]["message"] == (
        "Series terms version 2 was already published: give the new version another label."
    )


async def test_new_terms_are_owed_by_every_enrolment_of_the_program_and_told(api, clean_db):
    staff = await make_staff(api, clean_db)
    star, duo = await sign_up(api, "star"), await sign_up(api, "duo")
    other = await sign_up(api, "other")
    await enrol(clean_db, star, "TIPS", "LIVE_GIFTS")
    await enrol(clean_db, duo, "TIPS")
    await enrol(clean_db, other, "LIVE_GIFTS")

    payload = await published(api, staff, "TIPS", "2")

    assert payload["enrolmentsToAccept"] == 2
    for creator in (star, duo):
        assert await notifications(api, creator) == [
            {
                "kind": "PROGRAM_TERMS_UPDATED",
                "title": "New Tips terms",
                "body": "Tips has new terms (version 2): https://reelpay.dev/terms/tips/2. "
                "Accept them to receive money from Tips again.",
                "programTerms": {"version": "2", "program": "TIPS"},
            }
        ]
        assert (await hub(api, creator))["TIPS"]["state"] == "TERMS_NOT_ACCEPTED"
    assert await notifications(api, other) == []
    assert await notifications(api, staff) == []
    assert (await hub(api, star))["LIVE_GIFTS"]["state"] == "ACTIVE"
    assert (await hub(api, other))["LIVE_GIFTS"]["state"] == "ACTIVE"


# --- no new money until accepted -----------------------------------------------------------


@pytest.mark.parametrize("method", ["COINS", "CARD"])
async def test_tips_wait_for_the_new_terms(api, clean_db, method):
    staff = await make_staff(api, clean_db)
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "TIPS")
    await buy_coins(api, fan, 700)
    await published(api, staff, "TIPS", "2")
    charged = charges(api)

    refused = await tip(api, fan, creator, method)

    assert codes(refused) == ["CREATOR_NOT_ELIGIBLE"]  # as for a suspended creator
    assert "terms" not in refused["userErrors"][0]["message"].lower()
    assert refused["tip"] is None
    assert charges(api) == charged  # the card was never charged
    assert await coins(api, fan) == 700
    assert codes(await accept(api, creator, "TIPS", "1")) == ["TERMS_VERSION_OUTDATED"]
    assert codes(await tip(api, fan, creator, method)) == ["CREATOR_NOT_ELIGIBLE"]

    await accepted(api, creator, "TIPS", "2")

    sent = await tip(api, fan, creator, method)
    assert sent["userErrors"] == []
    assert await coins(api, fan) == (700 - 354 if method == "COINS" else 700)


@pytest.mark.parametrize("target", ["video", "live"])
async def test_gifts_wait_for_the_new_live_gifts_terms(api, clean_db, target):
    staff = await make_staff(api, clean_db)
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "LIVE_GIFTS", "TIPS")
    await buy_coins(api, fan, 70)
    if target == "video":
        where = {"videoId": await publish(api, creator)}
    else:
        where = {"liveId": await go_live(api, creator)}
    await published(api, staff, "TIPS", "2")
    assert (await gift(api, fan, where))["userErrors"] == []  # other programs' terms: no matter
    await published(api, staff, "LIVE_GIFTS", "2")

    refused = await gift(api, fan, where)

    assert codes(refused) == ["CREATOR_NOT_ELIGIBLE"]
    assert refused["gift"] is None
    assert await coins(api, fan) == 69
    await accepted(api, creator, "LIVE_GIFTS", "2")
    assert (await gift(api, fan, where))["userErrors"] == []
    assert await coins(api, fan) == 68


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_series_sales_wait_for_the_new_series_terms(api, clean_db, paid_with):
    staff = await make_staff(api, clean_db)
    creator, fan = await sign_up(api, "maker"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "SERIES")
    await buy_coins(api, fan, 700)
    series_id = await make_series(api, creator, 499)
    await published(api, staff, "SERIES", "2")
    charged = charges(api)

    refused = await buy(api, fan, series_id, paid_with)

    assert codes(refused) == ["CREATOR_NOT_ELIGIBLE"]
    assert refused["purchase"] is None
    assert charges(api) == charged
    assert await coins(api, fan) == 700
    await accepted(api, creator, "SERIES", "2")
    bought = await buy(api, fan, series_id, paid_with)
    assert bought["userErrors"] == [] and bought["purchase"]["status"] == "ACTIVE"


async def test_series_creators_create_and_publish_nothing_until_they_accept(api, clean_db):
    staff = await make_staff(api, clean_db)
    creator = await sign_up(api, "maker")
    await enrol(clean_db, creator, "SERIES")
    draft = await make_series(api, creator, 499, status="DRAFT")
    await published(api, staff, "SERIES", "2")
    create = {"title": "Another", "priceCents": 199}

    created = await api.mutate("createSeries", create, "series { id }", token=creator.token)
    publishing = await api.mutate(
        "publishSeries", {"seriesId": draft}, "series { status }", token=creator.token
    )

    for refused in (created, publishing):
        assert [(e["code"], e["message"]) for e in refused["userErrors"]] == [
            (
                "TERMS_NOT_ACCEPTED",
                "Accept the new Series terms (version 2) first: `acceptProgramTerms`.",
            )
        ]
        assert refused["series"] is None
    series = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Series { status } } }",
        {"id": draft},
        token=creator.token,
    )
    assert series["node"] == {"status": "DRAFT"}
    await accepted(api, creator, "SERIES", "2")
    again = await api.mutate(
        "publishSeries", {"seriesId": draft}, "series { status }", token=creator.token
    )
    assert again == {"series": {"status": "PUBLISHED"}, "userErrors": []}
    created = await api.mutate("createSeries", create, "series { id }", token=creator.token)
    assert created["userErrors"] == []


async def test_a_rewards_day_settled_while_terms_are_owed_earns_nothing(api, clean_db, clock):
    staff = await make_staff(api, clean_db)
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "CREATOR_REWARDS")
    video = await publish(api, star, durationSeconds=61)
    day, next_day = date(2026, 6, 14), date(2026, 6, 15)
    await add_views(clean_db, video, {day: 2_000, next_day: 4_000})
    await published(api, staff, "CREATOR_REWARDS", "2")
    run = (
        "mutation($d: Date!) { runRewardsAccrual(input: {date: $d}) { creatorsCredited "
        "suspended userErrors { code } } }"
    )

    first = await api.data(run, {"d": str(day)}, token=staff.token)

    assert first["runRewardsAccrual"] == {
        "creatorsCredited": 0, "suspended": 1, "userErrors": []}  # fmt: skip
    await accepted(api, star, "CREATOR_REWARDS", "2")  # too late for that day
    clock.advance(timedelta(days=1))
    second = await api.data(run, {"d": str(next_day)}, token=staff.token)
    assert second["runRewardsAccrual"] == {
        "creatorsCredited": 1, "suspended": 0, "userErrors": []}  # fmt: skip
    report = await api.data(
        "query($f: Date!, $t: Date!) { viewer { rewards(from: $f, to: $t) { date suspended "
        "credited { minorUnits } } } }",
        {"f": str(day), "t": str(next_day)},
        token=star.token,
    )
    assert report["viewer"]["rewards"] == [
        {"date": str(day), "suspended": True, "credited": {"minorUnits": 0}},
        {"date": str(next_day), "suspended": False, "credited": {"minorUnits": 200}},
    ]


# --- accepting -----------------------------------------------------------------------------


async def test_accepting_restores_the_feature_and_records_when(api, clean_db, clock):
    staff = await make_staff(api, clean_db)
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "TIPS")
    before = (await enrolments(api, star))["TIPS"]
    assert before == {
        "id": before["id"],
        "active": True,
        "termsAcceptedAt": "2026-01-01T00:00:00+00:00",
        "ageConfirmedAt": "2026-01-01T00:00:00+00:00",
        "acceptedTerms": {"version": "1"},
        "termsToAccept": None,
    }
    await published(api, staff, "TIPS", "2")
    owing = (await enrolments(api, star))["TIPS"]
    assert owing == {
        **before,
        "active": False,
        "termsToAccept": {"version": "2", "url": "https://reelpay.dev/terms/tips/2"},
    }
    clock.advance(timedelta(hours=3))

    payload = await accepted(api, star, "TIPS", " 2 ")

    after = {
        **before,
        "termsAcceptedAt": at(NOW + timedelta(hours=3)),
        "ageConfirmedAt": at(NOW + timedelta(hours=3)),
        "acceptedTerms": {"version": "2"},
    }
    assert payload["enrolment"] == after
    assert payload["monetization"] == {"state": "ACTIVE", "reasons": [], "enrolment": after}
    assert (await enrolments(api, star))["TIPS"] == after

    clock.advance(timedelta(hours=1))
    twice = await accepted(api, star, "TIPS", "2")  # changes nothing
    assert twice["enrolment"] == after


async def test_accepting_refuses_old_versions_a_false_age_and_non_members(api, clean_db):
    staff = await make_staff(api, clean_db)
    star, other = await sign_up(api, "star"), await sign_up(api, "other")
    await enrol(clean_db, star, "TIPS")
    first = decode_pk((await current_terms(api, "TIPS"))["id"])
    await published(api, staff, "TIPS", "2")

    old = await accept(api, star, "TIPS", "1")
    unknown = await accept(api, star, "TIPS", "3")
    no_age = await accept(api, star, "TIPS", "2", age=False)
    not_enrolled = await accept(api, other, "TIPS", "2")
    as_staff = await accept(api, staff, "TIPS", "2")

    for refused in (old, unknown):
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("TERMS_VERSION_OUTDATED", ["input", "version"])]  # fmt: skip
        assert refused["userErrors"][0]["message"].startswith(
            "The current Tips terms are version 2 (published 2026-06-15, "
            "https://reelpay.dev/terms/tips/2)"
        )
    assert [(e["code"], e["field"]) for e in no_age["userErrors"]] == [
        ("AGE_NOT_CONFIRMED", AGE_FIELD)]  # fmt: skip
    assert codes(not_enrolled) == ["NOT_ENROLLED"]
    assert codes(as_staff) == ["NOT_ENROLLED"]
    for refused in (old, unknown, no_age, not_enrolled):
        assert (refused["enrolment"], refused["monetization"]) == (None, None)
    assert (await hub(api, star))["TIPS"]["state"] == "TERMS_NOT_ACCEPTED"
    anonymous = await api.execute(
        'mutation { acceptProgramTerms(input: {program: TIPS, version: "2", confirmAge: true})'
        " { enrolment { id } } }"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await outstanding(clean_db, star, "TIPS") == (first, True)


async def test_accepting_the_terms_already_accepted_changes_nothing(api, clean_db, clock):
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "TIPS")
    before = (await enrolments(api, star))["TIPS"]
    clock.advance(timedelta(days=1))

    payload = await accepted(api, star, "TIPS", "1")

    assert payload["enrolment"] == before
    assert (await enrolments(api, star))["TIPS"] == before


# --- the hub -------------------------------------------------------------------------------


async def test_the_hub_says_which_terms_to_accept_and_keeps_its_precedence(api, clean_db):
    staff = await make_staff(api, clean_db)
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "TIPS", "SERIES")
    await published(api, staff, "TIPS", "2")
    await published(api, staff, "SERIES", "7")
    terms_reason = "Accept the new Tips terms (version 2) to receive money again."
    paused_reason = "You paused tips on 2026-06-15; resume to receive money again."

    options = await hub(api, star)
    assert (options["TIPS"]["state"], options["TIPS"]["reasons"]) == (
        "TERMS_NOT_ACCEPTED", [terms_reason])  # fmt: skip
    assert options["SERIES"]["reasons"] == [
        "Accept the new Series terms (version 7) to receive money again and to create or "
        "publish Series."
    ]

    paused = await api.mutate("pauseMonetization", {"program": "TIPS"}, "monetization { state }",
                              token=star.token)  # fmt: skip
    assert paused["monetization"] == {"state": "TERMS_NOT_ACCEPTED"}  # terms > paused
    assert (await hub(api, star))["TIPS"]["reasons"] == [terms_reason, paused_reason]

    await set_standing(clean_db, star, "BANNED")
    banned = (await hub(api, star))["TIPS"]
    assert banned["state"] == "SUSPENDED"  # suspended > terms
    assert banned["reasons"] == ["The account is banned.", terms_reason, paused_reason]

    await set_standing(clean_db, star, "GOOD")
    accepting = await accepted(api, star, "TIPS", "2")
    assert accepting["monetization"]["state"] == "PAUSED"
    assert accepting["monetization"]["reasons"] == [paused_reason]


async def test_enrolments_from_before_terms_were_recorded_must_accept_them(api, clean_db):
    """What the migration does to existing enrolments: no version accepted, terms owed."""
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, star, "TIPS")
    await buy_coins(api, fan, 700)
    async with clean_db.begin() as connection:
        await connection.execute(
            sa.update(Enrolment).values(
                terms_id=None, terms_accepted_at=None, age_confirmed_at=None,
                terms_outstanding_since=NOW,
            )
        )  # fmt: skip

    option = (await hub(api, star))["TIPS"]

    assert option["state"] == "TERMS_NOT_ACCEPTED"
    assert option["reasons"] == ["Accept the Tips terms (version 1) to receive money again."]
    assert option["enrolment"]["acceptedTerms"] is None
    assert option["enrolment"]["termsAcceptedAt"] is None
    assert option["enrolment"]["ageConfirmedAt"] is None
    assert option["enrolment"]["termsToAccept"]["version"] == "1"
    assert codes(await tip(api, fan, star)) == ["CREATOR_NOT_ELIGIBLE"]
    await accepted(api, star, "TIPS", "1")
    assert (await tip(api, fan, star))["userErrors"] == []


# --- who sees what -------------------------------------------------------------------------


async def test_only_the_owner_and_staff_see_enrolment_and_application_terms(api, clean_db):
    staff = await make_staff(api, clean_db)
    star, other = await applicant(api, "star"), await sign_up(api, "other")
    application = (await apply(api, star, "TIPS", "1"))["application"]
    approved = await api.mutate(
        "approveProgramApplication", {"applicationId": application["id"]},
        "enrolment { id }", token=staff.token,
    )  # fmt: skip
    enrolment_id = approved["enrolment"]["id"]
    node = (
        "query($id: ID!) { node(id: $id) { ... on Enrolment { acceptedTerms { version } "
        "ageConfirmedAt } ... on ProgramApplication { acceptedTerms { version } } } }"
    )
    listed = "query($h: String!) { account(handle: $h) { enrolments { ageConfirmedAt } } }"

    for who in (star, staff):
        seen = await api.data(node, {"id": enrolment_id}, token=who.token)
        assert seen["node"] == {"acceptedTerms": {"version": "1"}, "ageConfirmedAt": at(NOW)}
        seen = await api.data(node, {"id": application["id"]}, token=who.token)
        assert seen["node"] == {"acceptedTerms": {"version": "1"}}
        seen = await api.data(listed, {"h": "star"}, token=who.token)
        assert seen["account"]["enrolments"] == [{"ageConfirmedAt": at(NOW)}]
    for token in (other.token, None):
        assert (await api.data(node, {"id": enrolment_id}, token=token))["node"] is None
        assert (await api.data(node, {"id": application["id"]}, token=token))["node"] is None
        assert (await api.data(listed, {"h": "star"}, token=token))["account"]["enrolments"] is None


# --- publishing and accepting at once ------------------------------------------------------


async def _owing_version_2(api: Any, clean_db: Any) -> tuple[User, User, int]:
    """A creator enrolled in Tips on version 1, staff who published version 2, and its key."""
    staff = await make_staff(api, clean_db)
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "TIPS")
    terms = (await published(api, staff, "TIPS", "2"))["terms"]
    return star, staff, decode_pk(terms["id"])


async def test_accepting_while_new_terms_are_published_ends_up_owing_them(api, clean_db):
    """A creator's acceptance of version 2 is under way when staff publish version 3: the
    publication waits for it, then marks the enrolment as owing version 3."""
    star, staff, version_2 = await _owing_version_2(api, clean_db)
    maker = create_sessionmaker(clean_db)
    staff_pk = staff.pk

    async def publish_3() -> None:
        async with maker() as session:

            async def work() -> Any:
                staff_account = await session.get(_account_model(), staff_pk)
                return await program_terms.publish(
                    session, staff_account, Program.TIPS, version="3", url=URL, now=NOW,
                    rules=Settings().rules,
                )  # fmt: skip

            await run_write(session, work)

    async with maker() as accepting:
        await begin_write(accepting)
        star_account = await accepting.get(_account_model(), star.pk)
        await program_terms.accept(
            accepting, star_account, Program.TIPS, version="2", confirm_age=True, now=NOW
        )
        publication = asyncio.create_task(publish_3())
        await asyncio.sleep(0.3)
        assert not publication.done()  # waiting for the acceptance to end
        await accepting.commit()
    await publication

    assert await outstanding(clean_db, star, "TIPS") == (version_2, True)
    option = (await hub(api, star))["TIPS"]
    assert option["state"] == "TERMS_NOT_ACCEPTED"
    assert option["enrolment"]["acceptedTerms"] == {"version": "2"}
    assert option["enrolment"]["termsToAccept"]["version"] == "3"


async def test_accepting_an_old_version_after_a_publication_it_waited_for_is_refused(api, clean_db):
    """Staff's publication of version 3 is under way when the creator accepts version 2: the
    acceptance waits for it, then finds version 2 outdated."""
    star, staff, _ = await _owing_version_2(api, clean_db)
    maker = create_sessionmaker(clean_db)
    star_pk = star.pk

    async def accept_2() -> None:
        async with maker() as session:

            async def work() -> Any:
                star_account = await session.get(_account_model(), star_pk)
                return await program_terms.accept(
                    session, star_account, Program.TIPS, version="2", confirm_age=True, now=NOW
                )

            await run_write(session, work)

    async with maker() as publishing:
        await begin_write(publishing)
        staff_account = await publishing.get(_account_model(), staff.pk)
        await program_terms.publish(
            publishing, staff_account, Program.TIPS, version="3", url=URL, now=NOW,
            rules=Settings().rules,
        )  # fmt: skip
        acceptance = asyncio.create_task(accept_2())
        await asyncio.sleep(0.3)
        assert not acceptance.done()  # waiting for the publication to end
        await publishing.commit()
    with pytest.raises(DomainError) as refused:
        await acceptance

    assert [p.code for p in refused.value.problems] == [ErrorCode.TERMS_VERSION_OUTDATED]
    assert (await outstanding(clean_db, star, "TIPS"))[1] is True
    assert (await hub(api, star))["TIPS"]["enrolment"]["termsToAccept"]["version"] == "3"


async def test_concurrent_acceptances_and_publications_leave_the_latest_terms_owed(api, clean_db):
    star, staff, _ = await _owing_version_2(api, clean_db)
    duo = await sign_up(api, "duo")
    await enrol(clean_db, duo, "TIPS")

    results = await asyncio.gather(
        accept(api, star, "TIPS", "2"),
        publish_terms(api, staff, "TIPS", "3"),
        accept(api, duo, "TIPS", "2"),
    )

    assert results[1]["userErrors"] == []
    for creator in (star, duo):
        option = (await hub(api, creator))["TIPS"]
        assert option["state"] == "TERMS_NOT_ACCEPTED"
        assert option["enrolment"]["termsToAccept"]["version"] == "3"


def _account_model() -> Any:
    from reelpay.accounts.models import Account

    return Account


# --- the migration -------------------------------------------------------------------------


async def test_the_migration_records_version_1_and_makes_existing_enrolments_owe_it(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'terms.db'}"
    await upgrade_async(url, "0012")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO accounts (id, email, password_hash, handle, handle_key, "
                    "display_name, bio, birth_date, country, visibility, account_type, role, "
                    "standing, is_political, created_at) VALUES (1, 'a@example.com', 'x', "
                    "'old', 'old', 'Old', '', '1990-01-01', 'US', 'PUBLIC', 'PERSONAL', 'USER', "
                    "'GOOD', 0, '2026-01-01 00:00:00')"
                )
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO enrolments (account_id, program, enrolled_at) "
                    "VALUES (1, 'TIPS', '2026-01-01 00:00:00')"
                )
            )
        await upgrade_async(url, "0013")
        async with engine.connect() as connection:
            terms = (
                await connection.execute(
                    sa.text("SELECT id, program, version, url FROM program_terms ORDER BY id")
                )
            ).all()
            enrolment = (
                await connection.execute(
                    sa.text(
                        "SELECT terms_id, terms_accepted_at, age_confirmed_at, "
                        "terms_outstanding_since IS NOT NULL FROM enrolments"
                    )
                )
            ).one()
        assert [tuple(t) for t in terms] == [
            (1, "CREATOR_REWARDS", "1", "https://reelpay.dev/terms/creator-rewards/1"),
            (2, "SERIES", "1", "https://reelpay.dev/terms/series/1"),
            (3, "TIPS", "1", "https://reelpay.dev/terms/tips/1"),
            (4, "LIVE_GIFTS", "1", "https://reelpay.dev/terms/live-gifts/1"),
            (5, "CREATOR_MARKETPLACE", "1", "https://reelpay.dev/terms/creator-marketplace/1"),
        ]
        assert tuple(enrolment) == (None, None, None, 1)

        await asyncio.to_thread(command.downgrade, alembic_config(url), "0012")
        async with engine.connect() as connection:
            columns = (await connection.execute(sa.text("PRAGMA table_info(enrolments)"))).all()
            tables = (
                await connection.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE name = 'program_terms'")
                )
            ).all()
        assert [c[1] for c in columns] == [
            "id",
            "account_id",
            "program",
            "application_id",
            "enrolled_at",
            "paused_at",
        ]
        assert tables == []
    finally:
        await engine.dispose()


async def test_enrolment_keys_are_those_of_the_versions(api, clean_db):
    """The factory's enrolment accepted the current version (the seeded one)."""
    star = await sign_up(api, "star")
    await enrol(clean_db, star, "TIPS")
    terms = await current_terms(api, "TIPS")

    assert await outstanding(clean_db, star, "TIPS") == (decode_pk(terms["id"]), False)


async def test_eligibility_input_helper_accepts_the_current_terms(api):
    star = await applicant(api)

    payload = await api.mutate(
        "applyToProgram", await apply_input(api, "LIVE_GIFTS"), "application { status }",
        token=star.token,
    )  # fmt: skip

    assert payload == {"application": {"status": "PENDING"}, "userErrors": []}
