"""An enrolment follows the facts it was granted on (issue 15): the age a program asks for
depends on the country, so an 18-year-old Series creator who moves to KR (19 there) stops
selling until they go back or turn 19, through every path that takes money or lets them publish.

Standing, the political flag, the account type and visibility suspend and restore the same way;
tests/test_programs.py (`test_suspension_stops_new_money_and_restoring_resumes_it`,
`test_enrolments_explain_each_suspension`) and tests/test_series_buying.py cover those."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.factories import User, buy_coins, enrol, log_in, set_account, sign_up
from tests.test_programs import enrolments
from tests.test_series_buying import buy, charges, make_series

pytestmark = pytest.mark.usefixtures("verify_ledger")

# 18 on the tests' first day (2026-06-15); 19, old enough for Series in KR, on 2027-01-01.
BORN = "2008-01-01"
KR_AGE = "Series needs you to be 19 or older in South Korea (until 2027-01-01)."
ALL = ["CREATOR_MARKETPLACE", "CREATOR_REWARDS", "LIVE_GIFTS", "SERIES", "TIPS"]


async def hub(api: Any, user: User) -> dict[str, tuple[str, list[str]]]:
    query = "{ viewer { monetization { program state reasons } } }"
    found = (await api.data(query, token=user.token))["viewer"]["monetization"]
    return {o["program"]: (o["state"], o["reasons"]) for o in found}


async def suspensions(api: Any, user: User) -> dict[str, list[str]]:
    return {e["program"]: e["suspensionReasons"] for e in await enrolments(api, user.handle, user)}


async def series_maker(api: Any) -> tuple[User, str, User]:
    """An 18-year-old Series creator in the US with a published Series, and a fan with coins."""
    maker = await sign_up(api, "maker", birthDate=BORN)
    await enrol(api.engine, maker, "SERIES")
    series_id = await make_series(api, maker, 499)
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    return maker, series_id, fan


def refused(payload: dict[str, Any]) -> None:
    assert [e["code"] for e in payload["userErrors"]] == ["CREATOR_NOT_ELIGIBLE"], payload
    assert payload["purchase"] is None


async def create_series(api: Any, maker: User) -> list[str]:
    payload = await api.mutate(
        "createSeries", {"title": "More", "priceCents": 499}, "series { id }", token=maker.token
    )
    return [e["code"] for e in payload["userErrors"]]


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_moving_to_kr_at_18_stops_series_sales_until_moving_back(api, paid_with):
    maker, series_id, fan = await series_maker(api)
    assert (await buy(api, fan, series_id, "COINS"))["userErrors"] == []
    second = await make_series(api, maker, 299, title="Second")

    await set_account(api, maker, country="KR")

    assert await suspensions(api, maker) == {"SERIES": [KR_AGE]}
    assert (await hub(api, maker))["SERIES"] == ("SUSPENDED", [KR_AGE])
    charged = charges(api)
    refused(await buy(api, fan, second, paid_with))
    assert charges(api) == charged  # nothing was charged
    assert await create_series(api, maker) == ["SERIES_CREATOR_REQUIRED"]

    await set_account(api, maker, country="US")

    assert await suspensions(api, maker) == {"SERIES": []}
    assert (await hub(api, maker))["SERIES"] == ("ACTIVE", [])
    assert (await buy(api, fan, second, paid_with))["userErrors"] == []
    assert await create_series(api, maker) == []


async def test_in_kr_series_restarts_on_the_19th_birthday_not_a_second_before(api, clock):
    maker, series_id, fan = await series_maker(api)
    await set_account(api, maker, country="KR")

    clock.set(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    await log_in(api, maker), await log_in(api, fan)
    assert await suspensions(api, maker) == {"SERIES": [KR_AGE]}
    refused(await buy(api, fan, series_id))

    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    await log_in(api, maker), await log_in(api, fan)
    assert await suspensions(api, maker) == {"SERIES": []}
    assert (await hub(api, maker))["SERIES"] == ("ACTIVE", [])
    assert (await buy(api, fan, series_id))["userErrors"] == []


async def test_the_kr_age_is_series_only_and_a_19_year_old_may_move(api):
    young = await sign_up(api, "young", birthDate=BORN)
    older = await sign_up(api, "older", birthDate="2007-06-15")  # 19 on the first day
    for user in (young, older):
        await enrol(api.engine, user, *ALL)
        await set_account(api, user, country="KR")

    assert await suspensions(api, young) == {p: [KR_AGE] if p == "SERIES" else [] for p in ALL}
    assert await suspensions(api, older) == {p: [] for p in ALL}
    states = {p: state for p, (state, _) in (await hub(api, young)).items()}
    assert states == {p: "SUSPENDED" if p == "SERIES" else "ACTIVE" for p in ALL}
