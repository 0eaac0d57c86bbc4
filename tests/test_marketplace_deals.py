"""A deal's life through the API: submitting videos (every deliverable rule, at both edges
of the posting window), the paid-partnership label, approval paying the fee, changes asked
for and their limit, cancelling, deleting delivered videos, who may do and see what, and
concurrent approvals; the `marketplaceEvents` subscription reaches both sides and nobody else.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from gql import gql

from reelpay.db import create_sessionmaker, run_write
from reelpay.events import marketplace_channel
from reelpay.marketplace.deliverables import carries_hashtag, carries_mention
from reelpay.marketplace.models import Campaign
from tests import test_subscriptions
from tests.conftest import START
from tests.factories import User, make_staff, publish, set_account
from tests.marketplace_factories import (
    campaign_row,
    escrow_balances,
    funded_campaign,
    make_brand,
    make_creator,
)
from tests.test_marketplace_proposals import (
    DEAL,
    apply,
    campaign_gid,
    codes,
    notices,
    sees,
    start_deal,
    table_count,
)
from tests.test_subscriptions import subscribed

pytestmark = pytest.mark.usefixtures("verify_ledger")

serve = test_subscriptions.serve  # uvicorn servers on free ports, stopped after the test

DEAL_PAYLOAD = f"deal {{ {DEAL} deliverables {{ submittedAt views video {{ id title }} }} }}"
WALLET = "{ viewer { wallet { earnings { minorUnits } } } }"


async def submit(api: Any, creator: User, deal_id: str, video_ids: list[str]) -> dict[str, Any]:
    return await api.mutate(
        "submitDeal", {"dealId": deal_id, "videoIds": video_ids}, DEAL_PAYLOAD, creator.token
    )


async def act(api: Any, name: str, user: User, deal_id: str, **extra: Any) -> dict[str, Any]:
    return await api.mutate(name, {"dealId": deal_id, **extra}, DEAL_PAYLOAD, token=user.token)


async def forbidden(api: Any, name: str, user: User | None, input: dict[str, Any]) -> str:
    """The top-level error code of a mutation refused outright (FORBIDDEN, UNAUTHENTICATED)."""
    body = await api.execute(
        f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) "
        "{ userErrors { code } } }",
        {"input": input},
        token=user.token if user else None,
    )
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def earnings(api: Any, user: User) -> int:
    data = await api.data(WALLET, token=user.token)
    return int(data["viewer"]["wallet"]["earnings"]["minorUnits"])


async def deal_status(api: Any, user: User, deal_id: str) -> str:
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Deal { status } } }", {"id": deal_id}, user.token
    )
    return str(data["node"]["status"])


async def a_deal(api: Any, engine: Any, **fields: Any) -> tuple[User, User, int, str]:
    """A brand, a creator, a funded campaign (with `fields`) and their ACTIVE deal."""
    brand = await make_brand(api, engine, name=fields.pop("brand_name", "Glow Co"))
    creator = await make_creator(api, engine)
    cid = await funded_campaign(engine, brand, now=START, **fields)
    return brand, creator, cid, await start_deal(api, brand, creator, cid)


# --- the tag rules (pure) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag", "carried"),
    [
        ("Morning #glow routine", "glow", True),
        ("#GLOW", "glow", True),
        ("so #Glow!", "#glow", True),
        ("(#glow)", "glow", True),
        ("#glowup", "glow", False),
        ("##glow", "glow", False),
        ("a#glow", "glow", False),
        ("glow", "glow", False),
        ("#glo", "glow", False),
        ("#glow_co", "glow", False),
        ("line one\n#glow", "glow", True),
    ],
)
def test_a_hashtag_is_a_whole_tag_in_any_case(text, tag, carried):
    assert carries_hashtag(text, tag) is carried


@pytest.mark.parametrize(
    ("text", "handle", "carried"),
    [
        ("thanks @glow.co", "glow.co", True),
        ("thanks @Glow.Co.", "glow.co", True),
        ("@glow.co, again", "glow.co", True),
        ("@glow.company", "glow.co", False),
        ("@glow.co_", "glow.co", False),
        ("mail@glow.co", "glow.co", False),
        ("@glowco", "glow.co", False),
        ("hi @glow", "@glow", True),
    ],
)
def test_a_mention_is_a_whole_handle_in_any_case(text, handle, carried):
    assert carries_mention(text, handle) is carried


# --- submitting ------------------------------------------------------------------------------


async def test_submitting_labels_the_videos_and_asks_the_brand_to_review(api, clean_db, clock):
    brand, creator, cid, deal_id = await a_deal(
        api, clean_db, hashtag="glow", mention="glowco", videos_required=2
    )
    clock.advance(timedelta(hours=1))
    first = await publish(api, creator, "Morning #Glow routine with @GlowCo")
    second = await publish(api, creator, "Part two", description="#glow! thanks @glowco.")
    clock.advance(timedelta(hours=1))

    payload = await submit(api, creator, deal_id, [first, second])

    assert payload["userErrors"] == []
    deal = payload["deal"]
    submitted_at = START + timedelta(hours=2)
    assert deal["status"] == "SUBMITTED"
    assert deal["submittedAt"] == submitted_at.isoformat()
    assert deal["reviewDueAt"] == (submitted_at + timedelta(days=7)).isoformat()
    assert [d["video"]["id"] for d in deal["deliverables"]] == [first, second]
    assert deal["deliverables"][0]["views"] == 0
    assert await notices(clean_db, brand) == [
        "CAMPAIGN_APPLICATION",
        "DEAL_STARTED",
        "DEAL_SUBMITTED",
    ]

    # The label is public, like the video.
    label = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Video { paidPartnership { labelledAt "
        "brand { name } brandAccount { handle } campaign { id title } } } } }",
        {"id": first},
    )
    assert label["node"]["paidPartnership"] == {
        "labelledAt": submitted_at.isoformat(),
        "brand": {"name": "Glow Co"},
        "brandAccount": {"handle": brand.handle},
        "campaign": {"id": campaign_gid(cid), "title": "Glow campaign"},
    }
    # Nothing moved: the fee stays reserved until approval.
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}


@pytest.mark.parametrize(
    ("case", "code", "index"),
    [
        ("someone_elses", "INVALID_DELIVERABLE", 0),
        ("private_video", "INVALID_DELIVERABLE", 0),
        ("deleted", "INVALID_DELIVERABLE", 0),
        ("before_window", "OUTSIDE_POSTING_WINDOW", 0),
        ("at_window_end", "OUTSIDE_POSTING_WINDOW", 0),
        ("no_hashtag", "INVALID_DELIVERABLE", 0),
        ("longer_hashtag", "INVALID_DELIVERABLE", 0),
        ("no_mention", "INVALID_DELIVERABLE", 0),
        ("duplicate", "INVALID_DELIVERABLE", 1),
        ("missing", "INVALID_DELIVERABLE", 0),
    ],
)
async def test_each_deliverable_rule(api, clean_db, clock, case, code, index):
    starts, ends = START + timedelta(hours=1), START + timedelta(hours=3)
    _brand, creator, _cid, deal_id = await a_deal(
        api, clean_db, hashtag="glow", mention="glowco", posting_starts_at=starts,
        posting_ends_at=ends, application_deadline=starts,
    )  # fmt: skip
    good_title = "#glow @glowco"
    clock.set(starts)  # the window's start itself is inside
    good = await publish(api, creator, good_title)
    videos = [good]
    if case == "someone_elses":
        videos = [await publish(api, await make_creator(api, clean_db), good_title)]
    elif case == "private_video":
        videos = [await publish(api, creator, good_title, visibility="PRIVATE")]
    elif case == "deleted":
        gone = await publish(api, creator, good_title)
        await api.mutate("deleteVideo", {"videoId": gone}, "deletedVideoId", creator.token)
        videos = [gone]
    elif case == "before_window":
        clock.set(starts - timedelta(seconds=1))
        videos = [await publish(api, creator, good_title)]
    elif case == "at_window_end":
        clock.set(ends)
        videos = [await publish(api, creator, good_title)]
    elif case == "no_hashtag":
        videos = [await publish(api, creator, "@glowco")]
    elif case == "longer_hashtag":
        videos = [await publish(api, creator, "#glowup @glowco")]
    elif case == "no_mention":
        videos = [await publish(api, creator, "#glow @glowcompany")]
    elif case == "duplicate":
        videos = [good, good]
    elif case == "missing":
        videos = ["VmlkZW86OTk5OTk"]  # Video:99999
    clock.set(ends + timedelta(hours=1))  # submitting after the window is fine

    payload = await submit(api, creator, deal_id, videos)

    assert code in codes(payload), payload["userErrors"]
    fields = [e["field"] for e in payload["userErrors"] if e["code"] == code]
    assert ["input", "videoIds", str(index)] in fields
    assert payload["deal"] is None
    assert await deal_status(api, creator, deal_id) == "ACTIVE"
    assert await table_count(clean_db, "campaign_deliverables") == 0
    assert await table_count(clean_db, "paid_partnerships") == 0


async def test_the_window_edges_inside(api, clean_db, clock):
    starts, ends = START + timedelta(hours=1), START + timedelta(hours=3)
    _, creator, _, deal_id = await a_deal(
        api, clean_db, posting_starts_at=starts, posting_ends_at=ends,
        application_deadline=starts, videos_required=2,
    )  # fmt: skip
    clock.set(starts)
    first = await publish(api, creator, "first")
    clock.set(ends - timedelta(seconds=1))
    last = await publish(api, creator, "last")
    assert (await submit(api, creator, deal_id, [first, last]))["userErrors"] == []


async def test_exactly_the_videos_required(api, clean_db):
    _, creator, _, deal_id = await a_deal(api, clean_db, videos_required=2)
    videos = [await publish(api, creator, f"v{i}") for i in range(3)]
    for given in (videos[:1], videos):
        payload = await submit(api, creator, deal_id, given)
        assert codes(payload) == ["INVALID_DELIVERABLE"]
        assert payload["userErrors"][0]["field"] == ["input", "videoIds"]
        assert "exactly 2 videos" in payload["userErrors"][0]["message"]
    too_many = await submit(api, creator, deal_id, videos * 4)
    assert codes(too_many) == ["INVALID_INPUT"]
    assert (await submit(api, creator, deal_id, videos[:2]))["userErrors"] == []


async def test_a_private_account_cannot_deliver(api, clean_db):
    _, creator, _, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    await set_account(api, creator, visibility="PRIVATE")
    assert codes(await submit(api, creator, deal_id, [video])) == ["INVALID_DELIVERABLE"]


async def test_a_video_is_delivered_for_one_deal_only(api, clean_db):
    brand = await make_brand(api, clean_db)
    creator = await make_creator(api, clean_db)
    first = await start_deal(api, brand, creator, await funded_campaign(clean_db, brand, now=START))
    second = await start_deal(
        api, brand, creator, await funded_campaign(clean_db, brand, now=START)
    )
    video = await publish(api, creator, "once")
    assert (await submit(api, creator, first, [video]))["userErrors"] == []
    refused = await submit(api, creator, second, [video])
    assert codes(refused) == ["INVALID_DELIVERABLE"]
    assert "another deal" in refused["userErrors"][0]["message"]


async def test_who_may_submit(api, clean_db):
    brand, creator, _, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    input = {"dealId": deal_id, "videoIds": [video]}
    assert await forbidden(api, "submitDeal", brand, input) == "FORBIDDEN"
    assert await forbidden(api, "submitDeal", await make_staff(api, clean_db), input) == "FORBIDDEN"
    assert await forbidden(api, "submitDeal", None, input) == "UNAUTHENTICATED"
    outsider = await make_creator(api, clean_db)
    assert codes(await submit(api, outsider, deal_id, [video])) == ["NOT_FOUND"]
    assert await deal_status(api, creator, deal_id) == "ACTIVE"


async def test_a_submitted_deal_is_not_submitted_again(api, clean_db):
    _, creator, _, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    assert (await submit(api, creator, deal_id, [video]))["userErrors"] == []
    again = await submit(api, creator, deal_id, [video])
    assert codes(again) == ["DEAL_STATE_INVALID"]
    assert "SUBMITTED" in again["userErrors"][0]["message"]


# --- approving -------------------------------------------------------------------------------


async def test_approving_pays_the_fee_to_the_creators_earnings(api, clean_db):
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    await submit(api, creator, deal_id, [video])

    # Not yet: only SUBMITTED deals are approved, by their brand.
    approved = await act(api, "approveDeal", brand, deal_id)

    assert approved["userErrors"] == []
    deal = approved["deal"]
    assert (deal["status"], deal["approvedAt"], deal["autoApproved"]) == (
        "APPROVED", START.isoformat(), False,
    )  # fmt: skip
    assert (deal["paid"], deal["reserved"]) == ({"minorUnits": 25_000}, {"minorUnits": 0})
    assert await earnings(api, creator) == 25_000
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 0, "fees": 0}
    row = await campaign_row(clean_db, cid)
    assert (row.paid_cents, row.reserved_cents) == (25_000, 0)
    assert await notices(clean_db, creator) == [
        "DEAL_STARTED",
        "DEAL_APPROVED",
        "MARKETPLACE_PAYMENT",
    ]
    assert (await notices(clean_db, brand))[-1] == "DEAL_APPROVED"

    again = await act(api, "approveDeal", brand, deal_id)
    assert codes(again) == ["DEAL_STATE_INVALID"]
    assert await earnings(api, creator) == 25_000


async def test_approval_needs_a_submission_and_the_brand(api, clean_db):
    brand, creator, _, deal_id = await a_deal(api, clean_db)
    assert codes(await act(api, "approveDeal", brand, deal_id)) == ["DEAL_STATE_INVALID"]
    await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
    input = {"dealId": deal_id}
    assert await forbidden(api, "approveDeal", creator, input) == "FORBIDDEN"
    assert (
        await forbidden(api, "approveDeal", await make_staff(api, clean_db), input) == "FORBIDDEN"
    )
    other_brand = await make_brand(api, clean_db)
    assert codes(await act(api, "approveDeal", other_brand, deal_id)) == ["NOT_FOUND"]
    assert await deal_status(api, creator, deal_id) == "SUBMITTED"
    assert await earnings(api, creator) == 0


async def test_commission_terms_keep_the_cap_reserved_after_approval(api, clean_db):
    brand, creator, cid, deal_id = await a_deal(
        api, clean_db, terms_kind="COMMISSION", flat_fee_cents=10_000,
        commission_basis_points=500, cap_per_creator_cents=30_000,
    )  # fmt: skip
    await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
    approved = await act(api, "approveDeal", brand, deal_id)
    assert (approved["deal"]["paid"], approved["deal"]["reserved"]) == (
        {"minorUnits": 10_000}, {"minorUnits": 30_000},
    )  # fmt: skip
    assert await escrow_balances(clean_db, cid) == {"free": 60_000, "reserved": 30_000, "fees": 0}


async def test_concurrent_approvals_pay_each_deal_once(api, clean_db):
    brand = await make_brand(api, clean_db)
    cid = await funded_campaign(clean_db, brand, now=START, creator_slots=4)
    deals = []
    for _ in range(3):
        creator = await make_creator(api, clean_db)
        deal_id = await start_deal(api, brand, creator, cid)
        await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
        deals.append((creator, deal_id))

    # Every deal approved twice at once: each pays exactly once.
    results = await asyncio.gather(
        *(act(api, "approveDeal", brand, deal_id) for _, deal_id in deals for _ in range(2))
    )

    assert sorted(tuple(codes(r)) for r in results) == [()] * 3 + [("DEAL_STATE_INVALID",)] * 3
    for creator, _ in deals:
        assert await earnings(api, creator) == 25_000
    assert await escrow_balances(clean_db, cid) == {"free": 25_000, "reserved": 0, "fees": 0}
    assert (await campaign_row(clean_db, cid)).paid_cents == 75_000


# --- changes ---------------------------------------------------------------------------------


async def test_the_brand_asks_for_changes_at_most_twice(api, clean_db):
    brand, creator, _, deal_id = await a_deal(api, clean_db)
    first = await publish(api, creator, "take one")
    await submit(api, creator, deal_id, [first])

    empty = await act(api, "requestDealChanges", brand, deal_id, comment="   ")
    assert codes(empty) == ["INVALID_INPUT"]
    assert empty["userErrors"][0]["field"] == ["input", "comment"]

    changed = await act(api, "requestDealChanges", brand, deal_id, comment="Show the label")
    deal = changed["deal"]
    assert (deal["status"], deal["changeRounds"], deal["comment"], deal["reviewDueAt"]) == (
        "ACTIVE", 1, "Show the label", None,
    )  # fmt: skip
    assert (await notices(clean_db, creator))[-1] == "DEAL_CHANGES_REQUESTED"
    assert codes(await act(api, "requestDealChanges", brand, deal_id, comment="x")) == [
        "DEAL_STATE_INVALID"
    ]

    # A resubmission replaces the videos: the first loses its label.
    second = await publish(api, creator, "take two")
    resubmitted = await submit(api, creator, deal_id, [second])
    assert [d["video"]["id"] for d in resubmitted["deal"]["deliverables"]] == [second]
    label = "query($id: ID!) { node(id: $id) { ... on Video { paidPartnership { labelledAt } } } }"
    assert (await api.data(label, {"id": first}))["node"]["paidPartnership"] is None
    assert (await api.data(label, {"id": second}))["node"]["paidPartnership"] is not None

    await act(api, "requestDealChanges", brand, deal_id, comment="Once more")
    await submit(api, creator, deal_id, [second])  # the same video again is fine
    third = await act(api, "requestDealChanges", brand, deal_id, comment="And again")
    assert codes(third) == ["TOO_MANY_CHANGE_ROUNDS"]
    assert await deal_status(api, creator, deal_id) == "SUBMITTED"
    assert (
        await forbidden(api, "requestDealChanges", creator, {"dealId": deal_id, "comment": "me?"})
        == "FORBIDDEN"
    )


# --- cancelling ------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["creator", "brand"])
async def test_either_side_cancels_an_active_deal(api, clean_db, side):
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    actor = creator if side == "creator" else brand

    cancelled = await act(api, "cancelDeal", actor, deal_id)

    assert cancelled["userErrors"] == []
    assert (cancelled["deal"]["status"], cancelled["deal"]["reserved"]) == (
        "CANCELLED", {"minorUnits": 0},
    )  # fmt: skip
    assert await escrow_balances(clean_db, cid) == {"free": 100_000, "reserved": 0, "fees": 0}
    assert (await notices(clean_db, creator))[-1] == "DEAL_CANCELLED"
    assert (await notices(clean_db, brand))[-1] == "DEAL_CANCELLED"
    assert codes(await act(api, "cancelDeal", actor, deal_id)) == ["DEAL_STATE_INVALID"]


async def test_a_submitted_deal_is_not_cancelled_and_outsiders_cannot(api, clean_db):
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    assert codes(await act(api, "cancelDeal", await make_creator(api, clean_db), deal_id)) == [
        "NOT_FOUND"
    ]
    await submit(api, creator, deal_id, [await publish(api, creator, "mine")])
    assert codes(await act(api, "cancelDeal", creator, deal_id)) == ["DEAL_STATE_INVALID"]
    assert codes(await act(api, "cancelDeal", brand, deal_id)) == ["DEAL_STATE_INVALID"]
    assert await escrow_balances(clean_db, cid) == {"free": 75_000, "reserved": 25_000, "fees": 0}


async def test_cancelling_after_changes_drops_the_videos_labels(api, clean_db):
    brand, creator, _, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    await submit(api, creator, deal_id, [video])
    await act(api, "requestDealChanges", brand, deal_id, comment="redo")
    await act(api, "cancelDeal", creator, deal_id)
    assert await table_count(clean_db, "paid_partnerships") == 0
    deleted = await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", creator.token)
    assert deleted["userErrors"] == []


# --- the label and deleting delivered videos -------------------------------------------------


async def test_a_delivered_video_and_its_label_stay_while_the_campaign_runs(api, clean_db):
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    video = await publish(api, creator, "mine")
    other = await publish(api, creator, "not delivered")
    await submit(api, creator, deal_id, [video])

    deleting = await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", creator.token)
    assert codes(deleting) == ["VIDEO_IN_CAMPAIGN"]
    assert deleting["userErrors"][0]["field"] == ["input", "videoId"]
    unlabel = await api.mutate(
        "removePaidPartnershipLabel", {"videoId": video}, "video { id }", creator.token
    )
    assert codes(unlabel) == ["PARTNERSHIP_LABEL_LOCKED"]
    no_label = await api.mutate(
        "removePaidPartnershipLabel", {"videoId": other}, "video { id }", creator.token
    )
    assert codes(no_label) == ["NOT_FOUND"]
    theirs = await api.mutate(
        "removePaidPartnershipLabel", {"videoId": video}, "video { id }", brand.token
    )
    assert codes(theirs) == ["NOT_FOUND"]

    await act(api, "approveDeal", brand, deal_id)
    # Approved, but the campaign still runs.
    assert codes(
        await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", creator.token)
    ) == ["VIDEO_IN_CAMPAIGN"]
    closed = await api.mutate(
        "closeCampaign", {"campaignId": campaign_gid(cid)}, "campaign { status }", brand.token
    )
    assert closed["campaign"] == {"status": "COMPLETED"}

    removed = await api.mutate(
        "removePaidPartnershipLabel", {"videoId": video},
        "video { id paidPartnership { labelledAt } }", creator.token,
    )  # fmt: skip
    assert removed == {"video": {"id": video, "paidPartnership": None}, "userErrors": []}
    deleted = await api.mutate("deleteVideo", {"videoId": video}, "deletedVideoId", creator.token)
    assert deleted["userErrors"] == []


async def update(api: Any, creator: User, video: str, **changes: Any) -> dict[str, Any]:
    return await api.mutate(
        "updateVideo", {"videoId": video, **changes}, "video { title visibility }", creator.token
    )


@pytest.mark.parametrize("entered", [False, True], ids=["deliverable", "challenge-entry"])
async def test_a_video_in_a_running_campaign_stays_public_and_keeps_its_tags(
    api, clean_db, entered
):
    """Making a delivered video (or a challenge entry) private, or editing its hashtag or
    mention away, would take the disclosure or the deliverable away: refused until the
    campaign has ended; other edits go through."""
    if entered:
        brand = await make_brand(api, clean_db)
        creator = await make_creator(api, clean_db)
        cid = await funded_campaign(clean_db, brand, now=START, kind="CHALLENGE", mention=None)
        video = await publish(api, creator, "Morning #challenge")
        entry = await api.mutate(
            "enterChallenge", {"campaignId": campaign_gid(cid), "videoId": video},
            "entry { id }", creator.token,
        )  # fmt: skip
        assert entry["userErrors"] == []
    else:
        brand, creator, cid, deal_id = await a_deal(
            api, clean_db, hashtag="glow", mention=None, brand_name="Glow Co"
        )
        video = await publish(api, creator, "Morning #glow", description="with @somebody")
        assert (await submit(api, creator, deal_id, [video]))["userErrors"] == []
    tag = "#challenge" if entered else "#glow"

    for changes in ({"visibility": "PRIVATE"}, {"title": "Morning"}):
        refused = await update(api, creator, video, **changes)
        assert codes(refused) == ["VIDEO_IN_CAMPAIGN"], changes
        assert refused["video"] is None
    kept = await update(api, creator, video, title=f"Sunday {tag.upper()}", description="")
    assert kept == {
        "video": {"title": f"Sunday {tag.upper()}", "visibility": "PUBLIC"},
        "userErrors": [],
    }
    # Once the campaign has ended, the video is the creator's to change again.
    async with create_sessionmaker(clean_db)() as session:
        await run_write(
            session,
            lambda: session.execute(
                sa.update(Campaign).where(Campaign.id == cid).values(status="COMPLETED")
            ),
        )
    freed = await update(api, creator, video, visibility="PRIVATE", title="Morning")
    assert freed["userErrors"] == []


# --- visibility ------------------------------------------------------------------------------


async def test_a_deal_is_seen_by_its_two_sides_and_staff_on_every_path(api, clean_db):
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    staff = await make_staff(api, clean_db)
    others = [await make_creator(api, clean_db), await make_brand(api, clean_db), None]
    for user in (brand, creator, staff):
        assert await sees(api, deal_id, user)
    for user in others:
        assert not await sees(api, deal_id, user)

    by_campaign = """query($id: ID!) { node(id: $id) { ... on Campaign {
      deals { edges { node { id fee { minorUnits } } } }
      money { byCreator { paid { minorUnits } } } } } }"""
    for user in (brand, staff):
        data = await api.data(by_campaign, {"id": campaign_gid(cid)}, user.token)
        assert data["node"]["deals"]["edges"][0]["node"]["id"] == deal_id
    for user in [creator, *others]:
        data = await api.data(by_campaign, {"id": campaign_gid(cid)}, user.token if user else None)
        assert data["node"] == {"deals": None, "money": None}

    own = await api.data("{ viewer { deals { edges { node { id } } } } }", token=creator.token)
    assert own["viewer"]["deals"]["edges"] == [{"node": {"id": deal_id}}]
    assert (await api.data("{ viewer { deals { totalCount } } }", token=others[0].token))["viewer"][
        "deals"
    ] == {"totalCount": 0}


# --- live events -----------------------------------------------------------------------------

EVENTS = gql(
    """subscription { marketplaceEvents { event campaign { id status } deal { id status }
      proposal { id status } } }"""
)


async def test_deal_changes_stream_to_both_sides_and_nobody_else(api, clean_db, serve):
    server = await serve()
    brand, creator, cid, deal_id = await a_deal(api, clean_db)
    outsider = await make_creator(api, clean_db)
    video = await publish(api, creator, "mine")

    async with (
        subscribed(server, EVENTS, marketplace_channel(brand.pk), token=brand.token) as to_brand,
        subscribed(
            server, EVENTS, marketplace_channel(creator.pk), token=creator.token
        ) as to_creator,
        subscribed(
            server, EVENTS, marketplace_channel(outsider.pk), token=outsider.token
        ) as to_outsider,
    ):
        await server.mutate(
            "submitDeal", {"dealId": deal_id, "videoIds": [video]}, "deal { id }", creator.token
        )
        expected = {
            "event": "DEAL_SUBMITTED",
            "campaign": {"id": campaign_gid(cid), "status": "IN_PROGRESS"},
            "deal": {"id": deal_id, "status": "SUBMITTED"},
            "proposal": None,
        }
        assert (await to_brand.next())["marketplaceEvents"] == expected
        assert (await to_creator.next())["marketplaceEvents"] == expected

        # The outsider's first event is their own application, not the deal above.
        other = await funded_campaign(clean_db, brand, now=START)
        applied = await apply(api, outsider, other)
        event = (await to_outsider.next())["marketplaceEvents"]
        assert event == {
            "event": "APPLICATION_SENT",
            "campaign": {"id": campaign_gid(other), "status": "OPEN"},
            "deal": None,
            "proposal": {"id": applied["proposal"]["id"], "status": "PENDING"},
        }
        assert (await to_brand.next())["marketplaceEvents"]["event"] == "APPLICATION_SENT"


async def test_the_subscription_needs_a_login(api, clean_db, serve):
    server = await serve()
    async with subscribed(server, EVENTS, "none") as stream:
        with pytest.raises(Exception) as refused:
            await stream.next()
    assert "Log in" in str(refused.value) or "UNAUTHENTICATED" in str(refused.value)
