"""The Creator Next hub: pausing, resuming and leaving a program, withdrawing an application,
and `viewer.monetization` (issue 15). A paused feature refuses new money and moves nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    User,
    add_followers,
    apply_input,
    buy_coins,
    enrol,
    make_staff,
    new_key,
    publish,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

OPTION = "id program state reasons enrolment { id pausedAt active } pendingApplication { id }"
SWITCH = f"enrolment {{ id pausedAt active }} monetization {{ {OPTION} }} eligibility {{ id }}"


async def hub(api: Any, user: User) -> dict[str, dict[str, Any]]:
    data = await api.data(f"{{ viewer {{ monetization {{ {OPTION} }} }} }}", token=user.token)
    return {o["program"]: o for o in data["viewer"]["monetization"]}


async def states(api: Any, user: User) -> dict[str, str]:
    return {p: o["state"] for p, o in (await hub(api, user)).items()}


async def switch(api: Any, name: str, user: User, program: str) -> dict[str, Any]:
    return await api.mutate(name, {"program": program}, SWITCH, token=user.token)


async def coins(api: Any, user: User) -> int:
    data = await api.data("{ viewer { wallet { coins diamonds } } }", token=user.token)
    return int(data["viewer"]["wallet"]["coins"])


async def gift_id(api: Any) -> str:
    found = (await api.data("{ gifts { id name } }"))["gifts"]
    return next(g["id"] for g in found if g["name"] == "Rose")


NONE = {
    "CREATOR_REWARDS": "NOT_ENROLLED",
    "SERIES": "NOT_ENROLLED",
    "TIPS": "NOT_ENROLLED",
    "LIVE_GIFTS": "NOT_ENROLLED",
    "CREATOR_MARKETPLACE": "NOT_ENROLLED",
}


async def test_pause_and_resume_tips_refuses_then_takes_money(api, clean_db):
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "TIPS")
    await buy_coins(api, fan, 700)
    assert await states(api, creator) == {**NONE, "TIPS": "ACTIVE"}

    paused = await switch(api, "pauseMonetization", creator, "TIPS")
    assert paused["userErrors"] == []
    assert paused["enrolment"]["active"] is False
    assert paused["monetization"]["state"] == "PAUSED"
    assert paused["monetization"] == (await hub(api, creator))["TIPS"]
    assert paused["monetization"]["enrolment"] == paused["enrolment"]

    tip = {"creatorId": creator.id, "method": "COINS", "amountCents": 500}
    refused = await api.mutate(
        "sendTip", {**tip, "idempotencyKey": new_key()}, "tip { id }", token=fan.token
    )
    assert [e["code"] for e in refused["userErrors"]] == ["MONETIZATION_PAUSED"]
    assert refused["tip"] is None
    assert await coins(api, fan) == 700

    resumed = await switch(api, "resumeMonetization", creator, "TIPS")
    assert resumed["monetization"]["state"] == "ACTIVE"
    assert resumed["enrolment"] == {"id": paused["enrolment"]["id"], "pausedAt": None,
                                    "active": True}  # fmt: skip
    sent = await api.mutate(
        "sendTip", {**tip, "idempotencyKey": new_key()}, "tip { id }", token=fan.token
    )
    assert sent["userErrors"] == []
    assert await coins(api, fan) == 700 - 354


@pytest.mark.parametrize("target", ["video", "live"])
async def test_paused_gifts_are_refused_on_videos_and_lives(api, clean_db, target):
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "LIVE_GIFTS")
    await buy_coins(api, fan, 70)
    if target == "video":
        where = {"videoId": await publish(api, creator)}
    else:
        live = await api.mutate("startLive", {"title": "On air"}, "live { id }",
                                token=creator.token)  # fmt: skip
        where = {"liveId": live["live"]["id"]}
    assert (await switch(api, "pauseMonetization", creator, "LIVE_GIFTS"))["userErrors"] == []
    gift = {"giftId": await gift_id(api), **where}
    refused = await api.mutate(
        "sendGift", {**gift, "idempotencyKey": new_key()}, "gift { id }", token=fan.token
    )
    assert [e["code"] for e in refused["userErrors"]] == ["MONETIZATION_PAUSED"]
    assert await coins(api, fan) == 70
    await switch(api, "resumeMonetization", creator, "LIVE_GIFTS")
    sent = await api.mutate(
        "sendGift", {**gift, "idempotencyKey": new_key()}, "gift { id }", token=fan.token
    )
    assert sent["userErrors"] == []
    assert await coins(api, fan) == 69


async def test_leave_keeps_earned_money_and_joining_again_means_applying(api, clean_db):
    creator, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    staff = await make_staff(api, clean_db)
    await enrol(clean_db, creator, "TIPS")
    await buy_coins(api, fan, 700)
    tip = {"creatorId": creator.id, "method": "COINS", "amountCents": 500}
    sent = await api.mutate(
        "sendTip", {**tip, "idempotencyKey": new_key()}, "tip { id }", token=fan.token
    )
    assert sent["userErrors"] == []
    earned = "{ viewer { wallet { earnings { minorUnits } pendingEarnings { minorUnits } } } }"
    before = await api.data(earned, token=creator.token)
    await switch(api, "pauseMonetization", creator, "TIPS")

    left = await api.mutate(
        "leaveProgram", {"program": "TIPS"},
        "leftEnrolmentId monetization { state enrolment { id } } eligibility { enrolment { id } }",
        token=creator.token,
    )  # fmt: skip
    assert left["userErrors"] == []
    assert left["leftEnrolmentId"] is not None
    assert left["monetization"] == {"state": "NOT_ENROLLED", "enrolment": None}
    assert left["eligibility"] == {"enrolment": None}
    assert await api.data(earned, token=creator.token) == before
    assert await states(api, creator) == NONE
    refused = await api.mutate(
        "sendTip", {**tip, "idempotencyKey": new_key()}, "tip { id }", token=fan.token
    )
    assert [e["code"] for e in refused["userErrors"]] == ["CREATOR_NOT_ELIGIBLE"]
    again = await api.mutate("leaveProgram", {"program": "TIPS"}, "leftEnrolmentId",
                             token=creator.token)  # fmt: skip
    assert [e["code"] for e in again["userErrors"]] == ["NOT_ENROLLED"]

    await add_followers(clean_db, creator, 100_000)
    applied = await api.mutate("applyToProgram", await apply_input(api, "TIPS"),
                               "application { id }", token=creator.token)  # fmt: skip
    assert applied["userErrors"] == []
    assert (await states(api, creator))["TIPS"] == "PENDING_APPLICATION"
    approved = await api.mutate(
        "approveProgramApplication", {"applicationId": applied["application"]["id"]},
        "enrolment { id }", token=staff.token,
    )  # fmt: skip
    assert approved["userErrors"] == []
    assert (await states(api, creator))["TIPS"] == "ACTIVE"


async def test_withdraw_only_your_own_pending_application(api, clean_db):
    creator, other = await sign_up(api, "star"), await sign_up(api, "other")
    staff = await make_staff(api, clean_db)
    await add_followers(clean_db, creator, 100_000)
    applied = await api.mutate("applyToProgram", await apply_input(api, "TIPS"),
                               "application { id }", token=creator.token)  # fmt: skip
    assert applied["userErrors"] == []
    app_id = applied["application"]["id"]
    selection = "application { id status } monetization { state } eligibility { canApply }"
    for who in (other, staff):
        refused = await api.mutate("withdrawProgramApplication", {"applicationId": app_id},
                                   selection, token=who.token)  # fmt: skip
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    anonymous = await api.execute(
        "mutation($i: WithdrawProgramApplicationInput!) "
        "{ withdrawProgramApplication(input: $i) { application { id } } }",
        {"i": {"applicationId": app_id}},
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await states(api, creator))["TIPS"] == "PENDING_APPLICATION"

    done = await api.mutate("withdrawProgramApplication", {"applicationId": app_id}, selection,
                            token=creator.token)  # fmt: skip
    assert done["userErrors"] == []
    assert done["application"] == {"id": app_id, "status": "WITHDRAWN"}
    assert done["monetization"] == {"state": "NOT_ENROLLED"}
    assert done["eligibility"] == {"canApply": True}
    twice = await api.mutate("withdrawProgramApplication", {"applicationId": app_id}, selection,
                             token=creator.token)  # fmt: skip
    assert [e["code"] for e in twice["userErrors"]] == ["APPLICATION_NOT_PENDING"]
    approve = await api.mutate("approveProgramApplication", {"applicationId": app_id},
                               "enrolment { id }", token=staff.token)  # fmt: skip
    assert [e["code"] for e in approve["userErrors"]] == ["APPLICATION_NOT_PENDING"]


async def test_switches_need_an_enrolment_a_login_and_show_only_to_owner(api, clean_db):
    creator, other = await sign_up(api, "star"), await sign_up(api, "other")
    await enrol(clean_db, creator, "SERIES")
    refused = await switch(api, "pauseMonetization", other, "SERIES")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_ENROLLED"]
    assert (await states(api, creator))["SERIES"] == "ACTIVE"
    anonymous = await api.execute(
        "mutation { pauseMonetization(input: {program: SERIES}) { enrolment { id } } }"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    query = "query($h: String!) { account(handle: $h) { monetization { state } } }"
    seen = await api.data(query, {"h": "star"}, token=other.token)
    assert seen["account"]["monetization"] is None
    option = (await hub(api, creator))["SERIES"]
    node = "query($id: ID!) { node(id: $id) { ... on MonetizationOption { id state } } }"
    assert (await api.data(node, {"id": option["id"]}, token=creator.token))["node"] == {
        "id": option["id"], "state": "ACTIVE"}  # fmt: skip
    assert (await api.data(node, {"id": option["id"]}, token=other.token))["node"] is None


@pytest.mark.parametrize("paid_with", ["COINS", "CARD"])
async def test_paused_series_sales_are_refused_before_any_charge(api, clean_db, paid_with):
    from tests.test_series_buying import buy, charges, make_series

    creator, fan = await sign_up(api, "maker"), await sign_up(api, "fan")
    await enrol(clean_db, creator, "SERIES")
    await buy_coins(api, fan, 700)
    series_id = await make_series(api, creator, 499)
    assert (await switch(api, "pauseMonetization", creator, "SERIES"))["userErrors"] == []
    charged = charges(api)

    refused = await buy(api, fan, series_id, paid_with)

    assert [e["code"] for e in refused["userErrors"]] == ["MONETIZATION_PAUSED"]
    assert refused["purchase"] is None
    assert charges(api) == charged  # the card was never charged
    assert await coins(api, fan) == 700
    assert (await switch(api, "resumeMonetization", creator, "SERIES"))["userErrors"] == []
    bought = await buy(api, fan, series_id, paid_with)
    assert bought["userErrors"] == [] and bought["purchase"]["status"] == "ACTIVE"
