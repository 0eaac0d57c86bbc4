"""Sponsored challenges: `enterChallenge`, `withdrawChallengeEntry`, `rankChallengeEntries`,
`Campaign.prizeTiers/entries/winners/viewerEntry`, `node(id:)` of a ChallengeEntry, and the
results job (`challenges.settle_challenges`, `reelpay jobs challenge-results`).

The challenge of `tests.marketplace_factories.funded_campaign` is OPEN, funded with its
budget, hashtag #challenge, window [START, START + 30 days) (2026-06-15T12:00Z to
2026-07-15T12:00Z), AUTHENTIC_VIEWS ranking. Views count for the whole UTC days from the
window's first day up to, not including, the day it ends: 2026-06-15 .. 2026-07-14.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_id
from reelpay.marketplace import challenges, escrow
from reelpay.marketplace.models import CampaignRefund, ChallengeEntry, RefundStatus
from reelpay.wallet.models import LedgerTransaction, TransactionKind
from tests.conftest import START
from tests.factories import User, add_views, decode_pk, make_staff, publish
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

END = START + timedelta(days=30)  # the window's end: 2026-07-15T12:00Z
FIRST_DAY = date(2026, 6, 15)
LAST_DAY = date(2026, 7, 14)  # the last day whose views count
TIERS = [(1, 1, 50_000), (2, 5, 10_000)]  # 500 USD, then 100 USD for ranks 2 to 5
BUDGET = 90_000
SECOND = timedelta(seconds=1)

ENTRY = "id enteredAt views rank prize { minorUnits } voidedAt creator { handle }"
CAMPAIGN = f"""
query($id: ID!) {{ node(id: $id) {{ ... on Campaign {{
  status
  prizeTiers {{ rankFrom rankTo amount {{ currency minorUnits }} }}
  entries(first: 20) {{ totalCount edges {{ node {{ {ENTRY} }} }} }}
  winners {{ rank creator {{ handle }} prize {{ minorUnits }} }}
  viewerEntry {{ id voidedAt }}
}} }} }}"""
MONEY = """query($id: ID!) { node(id: $id) { ... on Campaign {
  money { funded { minorUnits } paid { minorUnits } refunded { minorUnits } free { minorUnits }
          reserved { minorUnits } feeKept { minorUnits } feeRefunded { minorUnits } }
} } }"""


@pytest.fixture
def settings(settings, request):
    """Sessions outlast the 30-day window here (tests move the clock to its end)."""
    changes = {"session_ttl_days": 365, **getattr(request, "param", {})}
    return dataclasses.replace(settings, rules=dataclasses.replace(settings.rules, **changes))


# --- helpers -------------------------------------------------------------------------------


def gid(pk: int) -> str:
    return encode_id("Campaign", pk)


async def challenge(api: Any, brand: User, **fields: Any) -> int:
    fields.setdefault("budget_cents", BUDGET)
    fields.setdefault("prize_tiers", TIERS)
    return await funded_campaign(api.engine, brand, now=START, kind="CHALLENGE", **fields)


async def entrant(
    api: Any, handle: str, title: str = "My morning glow #challenge", **video: Any
) -> tuple[User, str]:
    """An enrolled creator and a video of theirs published now."""
    user = await make_creator(api, api.engine, handle)
    return user, await publish(api, user, title, **video)


async def enter(api: Any, user: User | None, cid: int, video_id: str) -> dict[str, Any]:
    return await api.mutate(
        "enterChallenge",
        {"campaignId": gid(cid), "videoId": video_id},
        f"entry {{ {ENTRY} }} campaign {{ status }}",
        token=user.token if user else None,
    )


async def entered(api: Any, user: User, cid: int, video_id: str) -> str:
    payload = await enter(api, user, cid, video_id)
    assert payload["userErrors"] == [], payload["userErrors"]
    return str(payload["entry"]["id"])


async def read(api: Any, cid: int, token: str | None = None) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.data(CAMPAIGN, {"id": gid(cid)}, token))["node"]
    return node


async def money(api: Any, cid: int, brand: User) -> dict[str, int]:
    node = (await api.data(MONEY, {"id": gid(cid)}, brand.token))["node"]
    return {k: v["minorUnits"] for k, v in node["money"].items()}


async def settle(api: Any, settings: Any, clock: Any) -> challenges.ResultsSummary:
    """The results job at the clock's time, then its refunds sent (as the CLI does)."""
    maker = create_sessionmaker(api.engine)
    summary = await challenges.settle_challenges(maker, now=clock.now(), rules=settings.rules)
    if summary.refund_ids:
        await escrow.send_refunds(
            maker, api.app.state.services.payments, now=clock.now(), refund_ids=summary.refund_ids
        )
    return summary


async def earnings(api: Any, user: User) -> int:
    query = "{ viewer { wallet { earningsBySource { source amount { minorUnits } } } } }"
    wallet = (await api.data(query, token=user.token))["viewer"]["wallet"]
    return {r["source"]: r["amount"]["minorUnits"] for r in wallet["earningsBySource"]}[
        "MARKETPLACE"
    ]


async def notifications(api: Any, user: User) -> list[tuple[str, str]]:
    query = "{ viewer { notifications(first: 50) { edges { node { kind body } } } } }"
    edges = (await api.data(query, token=user.token))["viewer"]["notifications"]["edges"]
    return [(e["node"]["kind"], e["node"]["body"]) for e in reversed(edges)]


async def entry_rows(engine: Any) -> list[ChallengeEntry]:
    async with create_sessionmaker(engine)() as session:
        return list(await session.scalars(sa.select(ChallengeEntry).order_by(ChallengeEntry.id)))


async def payments(engine: Any) -> int:
    async with create_sessionmaker(engine)() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count()).where(
                    LedgerTransaction.kind == TransactionKind.CAMPAIGN_PAYMENT
                )
            )
            or 0
        )


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


# --- entering ------------------------------------------------------------------------------


async def test_an_entry_starts_the_challenge_and_is_public(api, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")

    payload = await enter(api, mia, cid, video)

    assert payload["userErrors"] == []
    entry = payload["entry"]
    assert entry["enteredAt"] == START.isoformat()
    assert (entry["views"], entry["rank"], entry["prize"], entry["voidedAt"]) == (
        None,
        None,
        None,
        None,
    )
    assert payload["campaign"] == {"status": "IN_PROGRESS"}
    assert (await campaign_row(api.engine, cid)).started_at == START
    # Anyone sees the challenge's tiers and entries; winners wait for the results.
    public = await read(api, cid)
    assert public is not None
    assert public["prizeTiers"] == [
        {"rankFrom": 1, "rankTo": 1, "amount": {"currency": "USD", "minorUnits": 50_000}},
        {"rankFrom": 2, "rankTo": 5, "amount": {"currency": "USD", "minorUnits": 10_000}},
    ]
    assert public["entries"]["totalCount"] == 1
    assert public["entries"]["edges"][0]["node"]["creator"] == {"handle": "mia"}
    assert public["winners"] == []
    assert public["viewerEntry"] is None
    mine = await read(api, cid, mia.token)
    assert mine is not None and mine["viewerEntry"] == {"id": entry["id"], "voidedAt": None}
    # The entry by its ID, to anyone, with its video and challenge.
    query = (
        "query($id: ID!) { node(id: $id) { ... on ChallengeEntry { id video { id } "
        "campaign { id status } brandRank } } }"
    )
    node = (await api.data(query, {"id": entry["id"]}))["node"]
    assert node == {
        "id": entry["id"],
        "video": {"id": video},
        "campaign": {"id": gid(cid), "status": "IN_PROGRESS"},
        "brandRank": None,
    }


async def test_the_window_start_is_inside_and_its_end_outside(api, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    clock.set(START - SECOND)
    early, too_early = await entrant(api, "early")
    clock.set(START)
    on_time, at_start = await entrant(api, "ontime")
    clock.set(END - SECOND)
    late, last_second = await entrant(api, "late")

    refused = await enter(api, early, cid, too_early)
    assert codes(refused) == ["OUTSIDE_POSTING_WINDOW"]
    assert refused["userErrors"][0]["field"] == ["input", "videoId"]
    assert (await entered(api, on_time, cid, at_start)) is not None
    assert (await entered(api, late, cid, last_second)) is not None

    # At the end exactly no entry is taken (the end is excluded), whatever the video.
    clock.set(END - SECOND)
    in_time, video = await entrant(api, "intime")
    clock.set(END)
    payload = await enter(api, in_time, cid, video)
    assert payload["userErrors"] == [
        {
            "code": "APPLICATIONS_CLOSED",
            "field": ["input", "campaignId"],
            "message": "The challenge's submission window ended at 2026-07-15T12:00:00+00:00.",
        }
    ]
    assert [e.creator_id for e in await entry_rows(api.engine)] == [on_time.pk, late.pk]


@pytest.mark.parametrize(
    ("title", "fields", "code"),
    [
        ("No tag here", {}, "INVALID_DELIVERABLE"),
        ("Almost #challenges", {}, "INVALID_DELIVERABLE"),
        ("Almost #challengeaccepted", {}, "INVALID_DELIVERABLE"),
        ("Hidden #challenge", {"visibility": "PRIVATE"}, "INVALID_DELIVERABLE"),
    ],
    ids=["no-hashtag", "longer-tag", "tag-prefix", "private"],
)
async def test_an_entry_must_carry_the_hashtag_and_be_public(api, title, fields, code):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia", title, **fields)

    payload = await enter(api, mia, cid, video)

    assert codes(payload) == [code]
    assert payload["userErrors"][0]["field"] == ["input", "videoId"]
    assert payload["entry"] is None
    assert await entry_rows(api.engine) == []
    assert (await campaign_row(api.engine, cid)).status.value == "OPEN"


async def test_the_hashtag_matches_in_any_case_in_the_description_and_the_mention_counts(api):
    brand = await make_brand(api, api.engine, "glowco")
    cid = await challenge(api, brand, mention="glowco")
    mia, tagged = await entrant(api, "mia", "Morning", description="Try it! #CHALLENGE @GlowCo")
    noah, unmentioned = await entrant(api, "noah", "Morning #challenge")

    assert await entered(api, mia, cid, tagged)
    payload = await enter(api, noah, cid, unmentioned)
    assert payload["userErrors"] == [
        {
            "code": "INVALID_DELIVERABLE",
            "field": ["input", "videoId"],
            "message": "The video's title or description must mention @glowco.",
        }
    ]
    assert [e.creator_id for e in await entry_rows(api.engine)] == [mia.pk]


async def test_only_your_own_live_video_can_be_entered(api):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")
    noah, gone = await entrant(api, "noah")
    deleted = await api.mutate("deleteVideo", {"videoId": gone}, "deletedVideoId", token=noah.token)
    assert deleted["userErrors"] == []

    for user, what in ((noah, video), (noah, gone), (mia, encode_id("Video", 999_999))):
        payload = await enter(api, user, cid, what)
        assert codes(payload) == ["INVALID_DELIVERABLE"], what
        assert payload["userErrors"][0]["message"] == "No such video of yours."
    payload = await enter(api, mia, cid, encode_id("Campaign", 1))
    assert codes(payload) == ["INVALID_ID"]
    assert await entry_rows(api.engine) == []


async def test_one_entry_per_creator_and_withdrawing_frees_the_place(api):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, first = await entrant(api, "mia")
    second = await publish(api, mia, "Take two #challenge")
    entry = await entered(api, mia, cid, first)

    for video in (first, second):
        payload = await enter(api, mia, cid, video)
        assert codes(payload) == ["ALREADY_ENTERED"]

    withdrawn = await api.mutate(
        "withdrawChallengeEntry",
        {"entryId": entry},
        "withdrawnEntryId campaign { status }",
        token=mia.token,
    )
    assert withdrawn == {
        "withdrawnEntryId": entry,
        "campaign": {"status": "IN_PROGRESS"},
        "userErrors": [],
    }
    again = await entered(api, mia, cid, second)
    assert again != entry
    assert [e.video_id for e in await entry_rows(api.engine)] == [decode_pk(second)]


async def test_who_may_withdraw_and_until_when(api, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")
    noah = await make_creator(api, api.engine, "noah")
    staff = await make_staff(api, api.engine)
    entry = await entered(api, mia, cid, video)

    async def withdraw(user: User) -> dict[str, Any]:
        return await api.mutate(
            "withdrawChallengeEntry", {"entryId": entry}, "withdrawnEntryId", token=user.token
        )

    for other in (noah, brand, staff):
        assert codes(await withdraw(other)) == ["NOT_FOUND"]
    clock.set(END)
    payload = await withdraw(mia)
    assert codes(payload) == ["CAMPAIGN_STATE_INVALID"]
    assert len(await entry_rows(api.engine)) == 1
    query = (
        "mutation($i: WithdrawChallengeEntryInput!) { "
        "withdrawChallengeEntry(input: $i) { withdrawnEntryId } }"
    )
    error = await api.error(query, {"i": {"entryId": entry}})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_deal_campaigns_drafts_and_ended_challenges_take_no_entry(api):
    brand = await make_brand(api, api.engine)
    deal = await funded_campaign(api.engine, brand, now=START)
    draft = await challenge(api, brand, status="DRAFT")
    done = await challenge(api, brand, status="COMPLETED")
    gone = await challenge(api, brand, status="CANCELLED")
    mia, video = await entrant(api, "mia")

    assert codes(await enter(api, mia, deal, video)) == ["NOT_A_CHALLENGE"]
    assert codes(await enter(api, mia, draft, video)) == ["NOT_FOUND"]
    assert codes(await enter(api, mia, 999_999, video)) == ["NOT_FOUND"]
    for cid in (done, gone):
        payload = await enter(api, mia, cid, video)
        assert codes(payload) == ["CAMPAIGN_STATE_INVALID"]
        assert payload["userErrors"][0]["message"].startswith("The challenge is ")
    assert await entry_rows(api.engine) == []
    # Its brand sees its own draft but cannot enter it either (nor anything: it is a brand).
    assert codes(await enter(api, brand, draft, video)) == ["CAMPAIGN_STATE_INVALID"]


async def test_only_qualified_creators_enter(api):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand, min_followers=10, countries=["US", "CA"])
    outsider = await make_creator(api, api.engine, "outsider", enrolled=False)
    small = await make_creator(api, api.engine, "small", followers=9)
    abroad = await make_creator(api, api.engine, "abroad", followers=10, country="FR")

    for user, says in (
        (outsider, "not enrolled in the Creator Marketplace"),
        (small, "at least 10 followers"),
        (abroad, "creators in US, CA"),
    ):
        video = await publish(api, user, "Mine #challenge")
        payload = await enter(api, user, cid, video)
        assert codes(payload) == ["CREATOR_NOT_QUALIFIED"], user.handle
        assert says in payload["userErrors"][0]["message"]
    query = "mutation($i: EnterChallengeInput!) { enterChallenge(input: $i) { entry { id } } }"
    error = await api.error(query, {"i": {"campaignId": gid(cid), "videoId": "x"}})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await entry_rows(api.engine) == []


async def test_concurrent_entries_one_per_creator(api):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, first = await entrant(api, "mia")
    second = await publish(api, mia, "Again #challenge")
    others = [await entrant(api, f"creator{i}") for i in range(4)]

    results = await asyncio.gather(
        enter(api, mia, cid, first),
        enter(api, mia, cid, second),
        *(enter(api, user, cid, video) for user, video in others),
    )

    assert sorted(tuple(codes(r)) for r in results[:2]) == [(), ("ALREADY_ENTERED",)]
    assert all(r["userErrors"] == [] for r in results[2:])
    assert len(await entry_rows(api.engine)) == 5
    assert (await campaign_row(api.engine, cid)).status.value == "IN_PROGRESS"


async def test_an_entered_video_cannot_be_deleted_until_the_results(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")
    await entered(api, mia, cid, video)

    payload = await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", token=mia.token)
    assert codes(payload) == ["VIDEO_IN_CAMPAIGN"]

    clock.set(END)
    await settle(api, settings, clock)
    payload = await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", token=mia.token)
    assert payload["userErrors"] == []
    # The results stay; the video is hidden now.
    node = await read(api, cid)
    assert node is not None
    assert [e["node"]["rank"] for e in node["entries"]["edges"]] == [1]


# --- results: authentic views -----------------------------------------------------------------


async def test_results_rank_by_views_in_the_window_ties_to_the_earliest_entry(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    ada, ada_video = await entrant(api, "ada")
    ben, ben_video = await entrant(api, "ben")
    cy, cy_video = await entrant(api, "cy")
    for user, video in ((ada, ada_video), (ben, ben_video), (cy, cy_video)):
        await entered(api, user, cid, video)
        clock.advance(SECOND)  # entered one second apart: ada, ben, cy
    # ada and cy tie at 300 in the window; ben leads with 500. Views on the day the window
    # ends (and any later) do not count.
    await add_views(api.engine, ada_video, {FIRST_DAY: 100, LAST_DAY: 200, END.date(): 9_000})
    await add_views(api.engine, ben_video, {date(2026, 7, 1): 500})
    await add_views(api.engine, cy_video, {FIRST_DAY: 300, date(2026, 7, 20): 9_000})

    clock.set(END - SECOND)
    assert (await settle(api, settings, clock)).settled == []  # not due yet
    clock.set(END)
    summary = await settle(api, settings, clock)

    assert [(s.campaign_id, s.prizes, s.cents) for s in summary.settled] == [(cid, 3, 70_000)]
    node = await read(api, cid)
    assert node is not None and node["status"] == "COMPLETED"
    assert [
        (e["node"]["creator"]["handle"], e["node"]["views"], e["node"]["rank"],
         e["node"]["prize"]["minorUnits"])
        for e in node["entries"]["edges"]
    ] == [("ben", 500, 1, 50_000), ("ada", 300, 2, 10_000), ("cy", 300, 3, 10_000)]  # fmt: skip
    assert node["winners"] == [
        {"rank": 1, "creator": {"handle": "ben"}, "prize": {"minorUnits": 50_000}},
        {"rank": 2, "creator": {"handle": "ada"}, "prize": {"minorUnits": 10_000}},
        {"rank": 3, "creator": {"handle": "cy"}, "prize": {"minorUnits": 10_000}},
    ]
    assert [await earnings(api, u) for u in (ben, ada, cy)] == [50_000, 10_000, 10_000]
    # Ranks 4 and 5 went to nobody: their 200 USD went back to the brand's card.
    assert await money(api, cid, brand) == {
        "funded": BUDGET, "paid": 70_000, "refunded": 20_000, "free": 0, "reserved": 0,
        "feeKept": 0, "feeRefunded": 0,
    }  # fmt: skip
    assert await escrow_balances(api.engine, cid) == {"free": 0, "reserved": 0, "fees": 0}
    assert [c for _, c in api.app.state.services.payments.partial_refunds.values()] == [20_000]
    async with create_sessionmaker(api.engine)() as session:
        statuses = list(await session.scalars(sa.select(CampaignRefund.status)))
    assert statuses == [RefundStatus.SENT]
    # Everyone is told.
    assert (await notifications(api, ben))[-2:] == [
        ("CHALLENGE_RESULTS", 'Your entry in "Glow campaign" ranked #1 and won 500.00 USD '
         "(500 authentic views in the window)."),
        ("MARKETPLACE_PAYMENT", '500.00 USD from "Glow campaign" reached your earnings '
         "(challenge prize for rank #1)."),
    ]  # fmt: skip
    assert (await notifications(api, cy))[-1][0] == "MARKETPLACE_PAYMENT"
    assert await notifications(api, brand) == [
        ("CHALLENGE_RESULTS", '"Glow campaign" is complete: 3 ranked entries, 3 prizes paid '
         "(700.00 USD)."),
        ("CAMPAIGN_REFUNDED", 'The prizes of "Glow campaign" nobody won are on their way back '
         "to your card."),
    ]  # fmt: skip


async def test_entries_beyond_the_prizes_win_nothing(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(
        api, brand, budget_cents=60_000, prize_tiers=[(1, 1, 50_000), (2, 2, 10_000)]
    )
    users = []
    for i, views in enumerate((10, 40, 30)):
        user, video = await entrant(api, f"c{i}")
        await entered(api, user, cid, video)
        await add_views(api.engine, video, {FIRST_DAY: views})
        users.append(user)

    clock.set(END)
    await settle(api, settings, clock)

    node = await read(api, cid)
    assert node is not None
    assert [
        (e["node"]["creator"]["handle"], e["node"]["rank"], e["node"]["prize"]["minorUnits"])
        for e in node["entries"]["edges"]
    ] == [("c1", 1, 50_000), ("c2", 2, 10_000), ("c0", 3, 0)]
    assert [w["creator"]["handle"] for w in node["winners"]] == ["c1", "c2"]
    assert (await notifications(api, users[0])) == [
        ("CHALLENGE_RESULTS", 'Your entry in "Glow campaign" ranked #3 and won no prize (10 '
         "authentic views in the window)."),
    ]  # fmt: skip
    assert await money(api, cid, brand) == {
        "funded": 60_000, "paid": 60_000, "refunded": 0, "free": 0, "reserved": 0,
        "feeKept": 0, "feeRefunded": 0,
    }  # fmt: skip
    assert [n[0] for n in await notifications(api, brand)] == ["CHALLENGE_RESULTS"]


async def test_a_challenge_without_entries_refunds_everything(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)

    clock.set(END)
    summary = await settle(api, settings, clock)

    assert [(s.prizes, s.cents, len(s.refund_ids)) for s in summary.settled] == [(0, 0, 1)]
    node = await read(api, cid)
    assert node is not None
    assert (node["status"], node["entries"]["totalCount"], node["winners"]) == ("COMPLETED", 0, [])
    assert await money(api, cid, brand) == {
        "funded": BUDGET, "paid": 0, "refunded": BUDGET, "free": 0, "reserved": 0,
        "feeKept": 0, "feeRefunded": 0,
    }  # fmt: skip
    assert [c for _, c in api.app.state.services.payments.partial_refunds.values()] == [BUDGET]
    assert await notifications(api, brand) == [
        ("CHALLENGE_RESULTS", '"Glow campaign" is complete: 0 ranked entries, 0 prizes paid '
         "(0.00 USD)."),
        ("CAMPAIGN_REFUNDED", 'The prizes of "Glow campaign" nobody won are on their way back '
         "to your card."),
    ]  # fmt: skip


async def test_the_fee_is_kept_on_the_prizes_paid_and_the_rest_refunded(api, settings, clock):
    brand = await make_brand(api, api.engine)
    # A 10% fee paid on top: 9,000 on 90,000.
    cid = await challenge(api, brand, fee_cents=9_000, fee_basis_points=1_000)
    mia, video = await entrant(api, "mia")
    await entered(api, mia, cid, video)

    clock.set(END)
    await settle(api, settings, clock)

    # Paid 50,000: the platform keeps 5,000 of the fee; 40,000 and 4,000 go back.
    assert await money(api, cid, brand) == {
        "funded": BUDGET, "paid": 50_000, "refunded": 40_000, "free": 0, "reserved": 0,
        "feeKept": 5_000, "feeRefunded": 4_000,
    }  # fmt: skip
    assert [c for _, c in api.app.state.services.payments.partial_refunds.values()] == [44_000]
    assert await escrow_balances(api.engine, cid) == {"free": 0, "reserved": 0, "fees": 0}


async def test_a_video_made_private_voids_its_entry(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")
    noah, other = await entrant(api, "noah")
    mia_entry = await entered(api, mia, cid, video)
    await entered(api, noah, cid, other)
    await add_views(api.engine, video, {FIRST_DAY: 1_000})
    await hide_video(api.engine, video)

    clock.set(END)
    await settle(api, settings, clock)

    node = await read(api, cid, mia.token)
    assert node is not None
    assert [
        (e["node"]["creator"]["handle"], e["node"]["rank"]) for e in node["entries"]["edges"]
    ] == [("noah", 1)]
    assert node["viewerEntry"] == {"id": mia_entry, "voidedAt": END.isoformat()}
    assert await earnings(api, mia) == 0
    assert await earnings(api, noah) == 50_000
    assert (await notifications(api, mia))[-1] == (
        "CHALLENGE_RESULTS",
        'Your entry in "Glow campaign" was void: its video was deleted or is no longer public.',
    )


# --- results: the brand's choice -------------------------------------------------------------


async def rank(api: Any, user: User, cid: int, entry_ids: list[str]) -> dict[str, Any]:
    return await api.mutate(
        "rankChallengeEntries",
        {"campaignId": gid(cid), "entryIds": entry_ids},
        "entries { id brandRank } campaign { status }",
        token=user.token,
    )


async def three_entries(api: Any, cid: int) -> list[tuple[User, str, str]]:
    """ada (100 views), ben (300), cy (200), entered in that order."""
    found = []
    for handle, views in (("ada", 100), ("ben", 300), ("cy", 200)):
        user, video = await entrant(api, handle)
        entry = await entered(api, user, cid, video)
        await add_views(api.engine, video, {FIRST_DAY: views})
        found.append((user, video, entry))
    return found


async def test_the_brands_picks_come_first_and_the_rest_follow_by_views(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand, ranking="BRAND_CHOICE")
    (ada, _, ada_entry), (ben, _, _), (cy, _, cy_entry) = await three_entries(api, cid)

    payload = await rank(api, brand, cid, [cy_entry])
    assert codes(payload) == ["CAMPAIGN_STATE_INVALID"]  # the window is still open
    clock.set(END)
    assert (await settle(api, settings, clock)).settled == []  # the brand has a week to pick
    first_try = await rank(api, brand, cid, [ada_entry])
    assert first_try["userErrors"] == []
    payload = await rank(api, brand, cid, [cy_entry, ada_entry])  # it changes its mind
    assert payload == {
        "entries": [{"id": cy_entry, "brandRank": 1}, {"id": ada_entry, "brandRank": 2}],
        "campaign": {"status": "IN_PROGRESS"},
        "userErrors": [],
    }
    # Only the brand (and staff) see its picks.
    query = "query($id: ID!) { node(id: $id) { ... on ChallengeEntry { brandRank } } }"
    staff = await make_staff(api, api.engine)
    for token, seen in ((brand.token, 1), (staff.token, 1), (cy.token, None), (None, None)):
        assert (await api.data(query, {"id": cy_entry}, token))["node"] == {"brandRank": seen}

    summary = await settle(api, settings, clock)

    assert [(s.prizes, s.cents) for s in summary.settled] == [(3, 70_000)]
    node = await read(api, cid)
    assert node is not None
    assert [(w["creator"]["handle"], w["rank"]) for w in node["winners"]] == [
        ("cy", 1),
        ("ada", 2),
        ("ben", 3),  # not picked: after the picks, by views
    ]
    assert [await earnings(api, u) for u in (cy, ada, ben)] == [50_000, 10_000, 10_000]
    assert codes(await rank(api, brand, cid, [ada_entry])) == ["CAMPAIGN_STATE_INVALID"]


async def test_without_picks_the_views_decide_after_the_review_days(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand, ranking="BRAND_CHOICE")
    await three_entries(api, cid)

    clock.set(END + timedelta(days=settings.rules.marketplace_review_days) - SECOND)
    assert (await settle(api, settings, clock)).settled == []
    clock.advance(SECOND)
    await settle(api, settings, clock)

    node = await read(api, cid)
    assert node is not None
    assert [(w["creator"]["handle"], w["rank"]) for w in node["winners"]] == [
        ("ben", 1),
        ("cy", 2),
        ("ada", 3),
    ]


async def test_a_brand_choice_challenge_without_entries_settles_at_the_windows_end(
    api, settings, clock
):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand, ranking="BRAND_CHOICE")
    clock.set(END)
    assert [s.campaign_id for s in (await settle(api, settings, clock)).settled] == [cid]


async def test_who_may_rank_and_what(api, clock):
    brand = await make_brand(api, api.engine)
    rival = await make_brand(api, api.engine)
    cid = await challenge(api, brand, ranking="BRAND_CHOICE")
    views_ranked = await challenge(api, brand)
    deal = await funded_campaign(api.engine, brand, now=START)
    other = await challenge(api, rival, ranking="BRAND_CHOICE")
    (_, ada_video, ada_entry), (ben, _, ben_entry), _ = await three_entries(api, cid)
    stranger, stranger_video = await entrant(api, "stranger")
    foreign = await entered(api, stranger, other, stranger_video)
    await hide_video(api.engine, ada_video)
    clock.set(END)

    cases = [
        (ben, cid, [ben_entry], "BUSINESS_ACCOUNT_REQUIRED", None),
        (rival, cid, [ben_entry], "NOT_FOUND", ["input", "campaignId"]),
        (brand, views_ranked, [ben_entry], "CAMPAIGN_STATE_INVALID", ["input", "campaignId"]),
        (brand, deal, [ben_entry], "NOT_A_CHALLENGE", ["input", "campaignId"]),
        (brand, cid, [], "INVALID_INPUT", ["input", "entryIds"]),
        (brand, cid, [ben_entry, ben_entry], "INVALID_INPUT", ["input", "entryIds", "1"]),
        (brand, cid, [ben_entry, foreign], "NOT_FOUND", ["input", "entryIds", "1"]),
        (brand, cid, [ada_entry], "INVALID_INPUT", ["input", "entryIds", "0"]),
        (brand, cid, [gid(cid)], "INVALID_ID", ["input", "entryIds", "0"]),
    ]
    for user, campaign_id, ids, code, field in cases:
        payload = await rank(api, user, campaign_id, ids)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], code
    assert [e.brand_rank for e in await entry_rows(api.engine)] == [None, None, None, None]


# --- the job: idempotent, concurrent, crash-safe -------------------------------------------


async def test_the_job_pays_once_however_often_and_concurrently_it_runs(api, settings, clock):
    brand = await make_brand(api, api.engine)
    first = await challenge(api, brand)
    second = await challenge(api, brand)
    for cid in (first, second):
        for handle in ("a", "b"):
            user, video = await entrant(api, f"{handle}{cid}")
            await entered(api, user, cid, video)
    clock.set(END)

    runs = await asyncio.gather(*(settle(api, settings, clock) for _ in range(3)))
    again = await settle(api, settings, clock)

    settled = sorted(s.campaign_id for run in runs for s in run.settled)
    assert settled == [first, second]
    assert again.settled == [] and again.failed == []
    assert await payments(api.engine) == 4
    for cid in (first, second):
        assert (await campaign_row(api.engine, cid)).paid_cents == 60_000


async def test_a_failing_challenge_leaves_the_others_done_and_is_retried(
    api, settings, clock, monkeypatch
):
    brand = await make_brand(api, api.engine)
    broken = await challenge(api, brand)
    fine = await challenge(api, brand)
    for cid in (broken, fine):
        for handle in ("a", "b"):
            user, video = await entrant(api, f"{handle}{cid}")
            await entered(api, user, cid, video)
    clock.set(END)
    pay = escrow.pay
    calls = []

    async def failing_pay(session, campaign_id, *args, **kwargs):
        calls.append(campaign_id)
        if campaign_id == broken and len([c for c in calls if c == broken]) == 2:
            raise RuntimeError("the database went away mid-way")
        return await pay(session, campaign_id, *args, **kwargs)

    monkeypatch.setattr(escrow, "pay", failing_pay)
    summary = await settle(api, settings, clock)

    assert summary.failed == [broken]
    assert [s.campaign_id for s in summary.settled] == [fine]
    # Nothing of the failed one stayed: its first prize was rolled back with the rest.
    row = await campaign_row(api.engine, broken)
    assert (row.status.value, row.paid_cents, row.refunded_cents) == ("IN_PROGRESS", 0, 0)
    assert [e.rank for e in await entry_rows(api.engine) if e.campaign_id == broken] == [None, None]
    assert (await campaign_row(api.engine, fine)).status.value == "COMPLETED"

    monkeypatch.setattr(escrow, "pay", pay)
    retry = await settle(api, settings, clock)
    assert [s.campaign_id for s in retry.settled] == [broken]
    assert (await campaign_row(api.engine, broken)).paid_cents == 60_000
    assert await payments(api.engine) == 4


async def test_the_cli_job_settles_and_sends_the_refunds(api, settings, clock, monkeypatch, capsys):
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    mia, video = await entrant(api, "mia")
    await entered(api, mia, cid, video)
    clock.set(END)
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["jobs", "challenge-results"], clock=clock) == 0
    assert capsys.readouterr().out.splitlines() == [
        "challenge results: 1 challenge(s) completed, 1 prize(s) paid 500.00 USD; 1 of 1 "
        "refund(s) sent"
    ]
    assert await asyncio.to_thread(main, ["jobs", "challenge-results"], clock=clock) == 0
    assert capsys.readouterr().out.splitlines() == [
        "challenge results: 0 challenge(s) completed, 0 prize(s) paid 0.00 USD; 0 of 0 "
        "refund(s) sent"
    ]
    assert await earnings(api, mia) == 50_000
    async with create_sessionmaker(api.engine)() as session:
        refunds = list(await session.scalars(sa.select(CampaignRefund)))
    assert [(r.amount_cents, r.status) for r in refunds] == [(40_000, RefundStatus.SENT)]


# --- reading -------------------------------------------------------------------------------


async def test_entries_page_in_entry_order_then_in_ranked_order(api, settings, clock):
    brand = await make_brand(api, api.engine)
    cid = await challenge(api, brand)
    for i, views in enumerate((5, 50, 20)):
        user, video = await entrant(api, f"c{i}")
        await entered(api, user, cid, video)
        await add_views(api.engine, video, {FIRST_DAY: views})
        clock.advance(SECOND)
    query = (
        "query($id: ID!, $after: String) { node(id: $id) { ... on Campaign { "
        "entries(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { creator { handle } } } } } } }"
    )

    async def handles() -> list[str]:
        seen, after = [], None
        while True:
            page = (await api.data(query, {"id": gid(cid), "after": after}))["node"]["entries"]
            assert page["totalCount"] == 3
            seen += [e["node"]["creator"]["handle"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]

    assert await handles() == ["c0", "c1", "c2"]
    stale = (await api.data(query, {"id": gid(cid), "after": None}))["node"]["entries"]
    clock.set(END)
    await settle(api, settings, clock)
    assert await handles() == ["c1", "c2", "c0"]
    # A cursor of the entry order is not one of the ranked order.
    body = await api.execute(query, {"id": gid(cid), "after": stale["pageInfo"]["endCursor"]})
    assert body["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR"
    body = await api.execute(
        "query($id: ID!) { node(id: $id) { ... on Campaign { "
        "entries(first: 101) { totalCount } } } }",
        {"id": gid(cid)},
    )
    assert body["errors"][0]["extensions"]["reason"] == "INVALID_INPUT"


async def test_a_draft_challenge_and_its_fields_are_its_brands_alone(api):
    brand = await make_brand(api, api.engine)
    rival = await make_brand(api, api.engine)
    cid = await challenge(api, brand, status="DRAFT")
    creator = await make_creator(api, api.engine, "mia")

    for token in (None, creator.token, rival.token):
        assert await read(api, cid, token) is None
    node = await read(api, cid, brand.token)
    assert node is not None and len(node["prizeTiers"]) == 2


async def test_a_deal_campaign_has_no_challenge_fields(api):
    brand = await make_brand(api, api.engine)
    cid = await funded_campaign(api.engine, brand, now=START)
    node = await read(api, cid)
    assert node is not None
    assert (node["prizeTiers"], node["entries"]["totalCount"], node["winners"]) == ([], 0, [])
    assert node["entries"]["edges"] == [] and node["viewerEntry"] is None


async def test_a_page_of_challenges_costs_the_same_statements_as_one(api, settings, clock):
    brand = await make_brand(api, api.engine)
    ids = [await challenge(api, brand) for _ in range(3)]
    for cid in ids:
        for i in range(3):
            user, video = await entrant(api, f"c{cid}x{i}")
            await entered(api, user, cid, video)
    query = (
        "query($n: Int!) { myCampaigns(first: $n) { edges { node { prizeTiers { rankFrom } "
        "viewerEntry { id } winners { rank } entries(first: 5) { totalCount edges { node { "
        "rank brandRank creator { handle } video { title } campaign { title } } } } } } } }"
    )

    async def statements(n: int) -> int:
        from tests.test_graphql_api import counting_statements

        with counting_statements(api.engine) as seen:
            data = await api.data(query, {"n": n}, brand.token)
        assert len(data["myCampaigns"]["edges"]) == n
        return len(seen)

    one = await statements(1)
    assert await statements(3) == one
    clock.set(END)
    await settle(api, settings, clock)
    assert await statements(3) == await statements(1)


async def hide_video(engine: Any, video: str) -> None:
    """Make a video private behind the API's back: `updateVideo` refuses it while its campaign
    runs (VIDEO_IN_CAMPAIGN), but staff moderation or an operator may still do it, and the
    results must then leave it out."""
    from reelpay.content.models import Video
    from reelpay.graphql.relay import decode_id

    async with create_sessionmaker(engine)() as session:
        await run_write(
            session,
            lambda: session.execute(
                sa.update(Video).where(Video.id == decode_id(video)[1]).values(visibility="PRIVATE")
            ),
        )
