"""Normalised caches stay right: Series, programs and payouts mutations return the objects they
changed, with the same IDs and values a fresh query returns; `node(id:)` gives those objects to
their owner and staff only. Both backends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    User,
    apply_input,
    buy_coins,
    credit_earnings,
    enrol,
    make_staff,
    new_key,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

WALLET = "id coins earnings { minorUnits } pendingEarnings { minorUnits } inPayout { minorUnits }"
SERIES = "id status price { amount minorUnits } episodeCount viewerAccess { allowed reason }"
PURCHASE = "id status coins refundedAt"
FORECAST = "id amount { minorUnits } requestableNow { minorUnits } reasons { code }"
PAYOUT = "id status amount { minorUnits } trigger"
NODE = "query($id: ID!) {{ node(id: $id) {{ __typename ... on {type} {{ {fields} }} }} }}"


async def ok(api: Any, name: str, input: dict[str, Any], selection: str, user: User) -> Any:
    payload = await api.mutate(name, input, selection, token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def node(api: Any, user: User | None, id: str, type: str, fields: str) -> Any:
    query = NODE.format(type=type, fields=fields)
    data = await api.data(query, {"id": id}, token=user.token if user else None)
    found = data["node"]
    if found is not None:
        assert found.pop("__typename") == type
    return found


async def my_wallet(api: Any, user: User) -> Any:
    return (await api.data(f"{{ viewer {{ wallet {{ {WALLET} }} }} }}", token=user.token))[
        "viewer"
    ]["wallet"]


async def series_of(api: Any, creator: User, cents: int = 499) -> str:
    created = await ok(api, "createSeries", {"title": "Saga", "priceCents": cents}, "series { id }",
                       creator)  # fmt: skip
    series_id = created["series"]["id"]
    episode = {"seriesId": series_id, "title": "Pilot", "durationSeconds": 60}
    added = await ok(api, "addSeriesEpisode", episode, f"episode {{ id }} series {{ {SERIES} }}",
                     creator)  # fmt: skip
    assert added["series"] == await node(api, creator, series_id, "Series", SERIES)
    await ok(api, "publishSeries", {"seriesId": series_id}, "series { id }", creator)
    return series_id


async def test_purchase_and_refund_return_what_changed(api: Any) -> None:
    creator, buyer = await sign_up(api, "maker"), await sign_up(api, "fan")
    staff = await make_staff(api, api.engine)
    await enrol(api.engine, creator, "SERIES")
    series_id = await series_of(api, creator)
    await buy_coins(api, buyer, 700)

    bought = await ok(
        api, "purchaseSeries",
        {"seriesId": series_id, "paidWith": "COINS", "idempotencyKey": new_key()},
        f"purchase {{ {PURCHASE} }} series {{ {SERIES} }} wallet {{ {WALLET} }}", buyer,
    )  # fmt: skip
    assert bought["series"]["viewerAccess"] == {"allowed": True, "reason": "PURCHASED"}
    assert bought["wallet"]["coins"] == 700 - 353  # ceil(499 * 70 / 99)
    assert bought["purchase"] == await node(api, buyer, bought["purchase"]["id"],
                                            "SeriesPurchase", PURCHASE)  # fmt: skip
    assert bought["series"] == await node(api, buyer, series_id, "Series", SERIES)
    assert bought["wallet"] == await my_wallet(api, buyer)

    refunded = await ok(
        api, "refundSeriesPurchase", {"purchaseId": bought["purchase"]["id"]},
        f"purchase {{ {PURCHASE} }} series {{ id }} wallet {{ {WALLET} }} "
        f"creatorWallet {{ {WALLET} }}", staff,
    )  # fmt: skip
    assert refunded["purchase"]["status"] == "REFUNDED"
    assert refunded["purchase"]["id"] == bought["purchase"]["id"]
    assert refunded["series"] == {"id": series_id}
    assert refunded["wallet"] == await my_wallet(api, buyer)
    assert refunded["wallet"]["coins"] == 700
    assert refunded["creatorWallet"] == await my_wallet(api, creator)
    after = await node(api, buyer, series_id, "Series", SERIES)
    assert after["viewerAccess"] == {"allowed": False, "reason": "REFUNDED"}


async def test_payout_request_and_schedule_return_what_changed(api: Any) -> None:
    creator, other = await sign_up(api, "maker"), await sign_up(api, "other")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, creator, 50_000)
    added = await api.mutate(
        "addPayoutMethod", {"paypal": {"email": "m@paypal.example"}},
        "method { id isDefault } payouts { id methods { id } forecast { id } }",
        token=creator.token,
    )  # fmt: skip
    method_id = added["method"]["id"]
    assert added["payouts"]["methods"] == [{"id": method_id}]

    requested = await ok(
        api, "requestPayout",
        {"amount": {"amount": "150.00", "currency": "USD"}, "idempotencyKey": new_key()},
        f"payout {{ {PAYOUT} }} wallet {{ {WALLET} }} forecast {{ {FORECAST} }}", creator,
    )  # fmt: skip
    assert requested["payout"]["amount"]["minorUnits"] == 15_000
    assert requested["wallet"]["inPayout"]["minorUnits"] == 15_000
    assert requested["payout"] == await node(api, creator, requested["payout"]["id"], "Payout",
                                             PAYOUT)  # fmt: skip
    assert requested["wallet"] == await my_wallet(api, creator)
    fresh = await api.data(f"{{ payoutForecast {{ {FORECAST} }} }}", token=creator.token)
    assert requested["forecast"] == fresh["payoutForecast"]
    assert requested["forecast"]["requestableNow"]["minorUnits"] == 35_000

    schedule = await ok(
        api, "setPayoutSchedule", {"frequency": "WEEKLY", "weekday": 5},
        "schedule { id frequency weekday } forecast { id schedule { id } }", creator,
    )  # fmt: skip
    query = "{ viewer { payouts { id schedule { id frequency weekday } forecast { id } } } }"
    payouts = (await api.data(query, token=creator.token))["viewer"]["payouts"]
    assert schedule["schedule"] == payouts["schedule"]
    assert schedule["schedule"] == {"id": payouts["schedule"]["id"], "frequency": "WEEKLY",
                                    "weekday": 5}  # fmt: skip
    assert schedule["forecast"]["id"] == payouts["forecast"]["id"] == fresh["payoutForecast"]["id"]
    assert schedule["forecast"]["schedule"]["id"] == payouts["schedule"]["id"]
    assert added["payouts"]["id"] == payouts["id"]
    # Every ID is distinct (unique across types), and node(id:) is the owner's and staff's only.
    ids = [payouts["id"], payouts["schedule"]["id"], payouts["forecast"]["id"],
           requested["wallet"]["id"], method_id]  # fmt: skip
    assert len(set(ids)) == len(ids)
    for global_id, type in zip(ids[:3], ["CreatorPayouts", "PayoutScheduleInfo",
                                         "PayoutForecast"], strict=True):  # fmt: skip
        assert await node(api, creator, global_id, type, "id") == {"id": global_id}
        assert await node(api, staff, global_id, type, "id") == {"id": global_id}
        assert await node(api, other, global_id, type, "id") is None
        assert await node(api, None, global_id, type, "id") is None


async def test_program_decisions_return_the_applicants_state(api: Any) -> None:
    from tests.factories import add_followers

    applicant, other = await sign_up(api, "maker"), await sign_up(api, "other")
    staff = await make_staff(api, api.engine)
    await add_followers(api.engine, applicant, 1_000)  # LIVE_GIFTS: adult, 1,000 followers
    state = "eligibility { id canApply latestApplication { id status } enrolment { id } }"
    applied = await ok(api, "applyToProgram", await apply_input(api, "LIVE_GIFTS"),
                       f"application {{ id status }} {state}", applicant)  # fmt: skip
    assert applied["eligibility"]["canApply"] is False
    assert applied["eligibility"]["latestApplication"] == applied["application"]
    query = (
        "{ eligibility(program: LIVE_GIFTS) { id canApply latestApplication { id status } "
        "enrolment { id } } }"
    )
    assert applied["eligibility"] == (await api.data(query, token=applicant.token))["eligibility"]

    approved = await ok(
        api, "approveProgramApplication", {"applicationId": applied["application"]["id"]},
        f"application {{ id status }} enrolment {{ id program active }} {state}", staff,
    )  # fmt: skip
    assert approved["application"] == {"id": applied["application"]["id"], "status": "APPROVED"}
    assert approved["eligibility"]["id"] == applied["eligibility"]["id"]
    fresh = (await api.data(query, token=applicant.token))["eligibility"]
    assert approved["eligibility"] == fresh
    assert fresh["enrolment"] == {"id": approved["enrolment"]["id"]}
    mine = await api.data("{ viewer { enrolments { id program active } } }", token=applicant.token)
    assert mine["viewer"]["enrolments"] == [approved["enrolment"]]
    for global_id, type in [(approved["enrolment"]["id"], "Enrolment"),
                            (fresh["id"], "ProgramEligibility")]:  # fmt: skip
        assert await node(api, applicant, global_id, type, "id") == {"id": global_id}
        assert await node(api, staff, global_id, type, "id") == {"id": global_id}
        assert await node(api, other, global_id, type, "id") is None
        assert await node(api, None, global_id, type, "id") is None
