"""Program criteria as data, through the API on both databases.

Every CRITERION_NOT_MET user error names its criterion (`UserError.criterion`, the same values
as the eligibility checklist), so clients need not parse messages; other codes carry none.
In the Series premium-link case, `canApply` means the account qualifies and `requiredInputs`
says the application must carry `premiumContentUrl`: without it, the FOLLOWERS criterion.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import User, apply_input, make_staff, set_account, set_standing
from tests.test_programs import (
    PROGRAM_FIELD,
    SERIES_FOLLOWERS,
    creator,
    series_candidate,
    set_political,
    switch,
)
from tests.test_programs import settings as settings  # the module's thresholds

PROGRAMS = ["CREATOR_REWARDS", "SERIES", "TIPS", "LIVE_GIFTS", "CREATOR_MARKETPLACE"]
APPLY = (
    "mutation($input: ApplyToProgramInput!) { applyToProgram(input: $input) { "
    "application { id status } userErrors { code field message criterion } } }"
)
ELIGIBILITY = (
    "query($program: Program!) { eligibility(program: $program) { eligible canApply "
    "seriesPremiumLinkAllowed requiredInputs criteria { criterion met message } } }"
)
URL = "https://shop.example.com/course/1"


async def apply(api: Any, user: User, program: str, url: str | None = None) -> dict[str, Any]:
    input: dict[str, Any] = await apply_input(api, program)
    if url is not None:
        input["premiumContentUrl"] = url
    data = await api.data(APPLY, {"input": input}, token=user.token)
    return data["applyToProgram"]  # type: ignore[no-any-return]


async def eligibility(api: Any, user: User, program: str) -> dict[str, Any]:
    data = await api.data(ELIGIBILITY, {"program": program}, token=user.token)
    return data["eligibility"]  # type: ignore[no-any-return]


async def unfit(api: Any) -> User:
    """Too young, BUSINESS, private, political, banned and short of followers."""
    staff = await make_staff(api, api.engine)
    kid = await creator(api, "kid", followers=2, birthDate="2010-01-01")
    await switch(api, kid, "BUSINESS")
    await set_account(api, kid, visibility="PRIVATE")
    await set_political(api, staff, kid, True)
    await set_standing(api.engine, kid, "BANNED")
    return kid


@pytest.mark.parametrize("program", PROGRAMS)
async def test_every_criterion_not_met_error_names_its_criterion(api, program):
    kid = await unfit(api)
    checklist = await eligibility(api, kid, program)

    payload = await apply(api, kid, program)

    unmet = [c for c in checklist["criteria"] if not c["met"]]
    assert payload["application"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("CRITERION_NOT_MET", PROGRAM_FIELD)
    ] * len(unmet)
    # The same criteria, in the checklist's order, each with its checklist message.
    assert [(e["criterion"], e["message"]) for e in payload["userErrors"]] == [
        (c["criterion"], c["message"]) for c in unmet
    ]
    assert {"AGE", "NOT_POLITICAL", "FOLLOWERS", "STANDING"} <= {c["criterion"] for c in unmet}


async def test_the_unmet_criteria_of_series_by_name(api):
    kid = await unfit(api)

    payload = await apply(api, kid, "SERIES")

    assert [e["criterion"] for e in payload["userErrors"]] == [
        "AGE",
        "ACCOUNT_AGE",
        "PUBLIC_ACCOUNT",
        "NOT_POLITICAL",
        "PUBLIC_POSTS",
        "FOLLOWERS",
        "VIEWS",
        "STANDING",
    ]


async def test_other_user_errors_carry_no_criterion(api):
    star = await creator(api, "star")
    assert (await apply(api, star, "LIVE_GIFTS"))["userErrors"] == []

    pending = await apply(api, star, "LIVE_GIFTS")
    bad_link = await apply(api, star, "TIPS", URL)

    assert [(e["code"], e["criterion"]) for e in pending["userErrors"]] == [
        ("APPLICATION_PENDING", None)
    ]
    assert [(e["code"], e["criterion"]) for e in bad_link["userErrors"]] == [
        ("INVALID_INPUT", None)
    ]


async def test_the_premium_link_case_says_the_link_is_required(api, clock):
    maker = await series_candidate(api, clock)

    before = await eligibility(api, maker, "SERIES")
    without = await apply(api, maker, "SERIES")
    still = await eligibility(api, maker, "SERIES")
    with_link = await apply(api, maker, "SERIES", URL)

    assert (
        before["eligible"],
        before["seriesPremiumLinkAllowed"],
        before["canApply"],
        before["requiredInputs"],
    ) == (False, True, True, ["premiumContentUrl"])
    assert without["application"] is None
    assert [(e["code"], e["criterion"]) for e in without["userErrors"]] == [
        ("CRITERION_NOT_MET", "FOLLOWERS")
    ]
    assert still == before  # a refusal changes nothing
    assert with_link["userErrors"] == []
    assert with_link["application"]["status"] == "PENDING"


async def test_an_eligible_account_needs_no_extra_input(api, clock):
    maker = await series_candidate(api, clock, followers=SERIES_FOLLOWERS)
    star = await creator(api, "star")

    series = await eligibility(api, maker, "SERIES")
    gifts = await eligibility(api, star, "LIVE_GIFTS")

    assert (series["eligible"], series["canApply"], series["requiredInputs"]) == (True, True, [])
    assert (gifts["eligible"], gifts["canApply"], gifts["requiredInputs"]) == (True, True, [])
    assert (await apply(api, maker, "SERIES"))["userErrors"] == []


async def test_an_unmet_criterion_other_than_followers_requires_no_input(api, clock):
    maker = await series_candidate(api, clock)
    await set_account(api, maker, visibility="PRIVATE")

    series = await eligibility(api, maker, "SERIES")

    assert (series["canApply"], series["requiredInputs"]) == (False, [])
