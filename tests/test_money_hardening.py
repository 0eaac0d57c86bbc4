"""Card payments that go wrong between the charge and the record, races with the end of a LIVE,
and refusals that must not reveal a creator's private details (found in review)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.accounts.models import Account
from reelpay.db import begin_write, create_sessionmaker
from reelpay.errors import DomainError
from reelpay.gifting import live as lives
from reelpay.gifting import service as gifting
from tests.factories import (
    SUCCESS_TOKEN,
    User,
    buy_coins,
    decode_pk,
    enrol,
    new_key,
    package_id,
    publish,
    set_account,
    set_standing,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

TIP = "tip { amount { minorUnits } } wallet { coins }"


def provider_of(api: Any) -> Any:
    return api.client._transport.app.state.services


class Meddling:
    """The sandbox, with something happening while a card is being charged."""

    def __init__(self, api: Any, during_charge: Any) -> None:
        self.services = provider_of(api)
        self.sandbox = self.services.payments
        self.name = self.sandbox.name
        self.during_charge = during_charge
        self.charges: list[str] = []

    async def charge(self, request: Any) -> Any:
        result = await self.sandbox.charge(request)
        self.charges.append(result.charge_id)
        if self.during_charge is not None:
            during, self.during_charge = self.during_charge, None
            await during()
        return result

    async def refund(self, charge_id: str) -> None:
        await self.sandbox.refund(charge_id)

    def __enter__(self) -> Meddling:
        self.services.payments = self
        return self

    def __exit__(self, *_: object) -> None:
        self.services.payments = self.sandbox


async def card_tip(api: Any, fan: User, creator_id: str, key: str, cents: int = 1000) -> Any:
    input = {"creatorId": creator_id, "amountCents": cents, "method": "CARD",
             "paymentToken": SUCCESS_TOKEN, "idempotencyKey": key}  # fmt: skip
    return await api.mutate("sendTip", input, TIP, token=fan.token)


async def earnings(api: Any, user: User) -> int:
    data = await api.data("{ viewer { wallet { earnings { minorUnits } } } }", token=user.token)
    return data["viewer"]["wallet"]["earnings"]["minorUnits"]


async def scalar(api: Any, sql: str) -> Any:
    async with api.engine.connect() as connection:
        return await connection.scalar(sa.text(sql))


async def test_a_refunded_charge_is_never_credited_by_a_retry_with_its_key(api, clean_db):
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, star, "TIPS")
    key = new_key()

    # The creator is banned while the card is charged: the tip is refused and refunded.
    with Meddling(api, lambda: set_standing(clean_db, star, "BANNED")) as provider:
        first = await card_tip(api, fan, star.id, key)
    assert [e["code"] for e in first["userErrors"]] == ["CREATOR_NOT_ELIGIBLE"]
    assert provider.sandbox.refunded == set(provider.charges)

    # Restored, the same request again reaches the same (refunded) charge: it is not credited.
    await set_standing(clean_db, star, "GOOD")
    again = await card_tip(api, fan, star.id, key)
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [
        ("PAYMENT_REFUNDED", ["input", "idempotencyKey"])
    ]
    assert await earnings(api, star) == 0
    assert await scalar(api, "SELECT count(*) FROM payments") == 0
    assert await scalar(api, "SELECT count(*) FROM refunded_charges") == 1

    fresh = await card_tip(api, fan, star.id, new_key())
    assert fresh["userErrors"] == []
    assert await earnings(api, star) == 1000


async def test_one_key_for_two_different_tips_at_once_charges_each_and_refunds_the_loser(
    api, clean_db
):
    ann, bob, fan = await sign_up(api, "ann"), await sign_up(api, "bob"), await sign_up(api, "fan")
    await enrol(clean_db, ann, "TIPS")
    await enrol(clean_db, bob, "TIPS")
    key = new_key()
    inner: dict[str, Any] = {}

    async def bob_tip_with_the_same_key() -> None:
        inner["payload"] = await card_tip(api, fan, bob.id, key)

    with Meddling(api, bob_tip_with_the_same_key) as provider:
        outer = await card_tip(api, fan, ann.id, key)

    assert inner["payload"]["userErrors"] == []
    assert [e["code"] for e in outer["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    # Two requests, two charges: bob's is recorded, ann's (the loser's own) refunded.
    bob_charge, ann_charge = provider.charges[1], provider.charges[0]
    assert bob_charge != ann_charge
    assert provider.sandbox.refunded == {ann_charge}
    assert await scalar(api, "SELECT provider_charge_id FROM payments") == bob_charge
    assert (await earnings(api, ann), await earnings(api, bob)) == (0, 1000)


async def test_a_session_revoked_during_the_charge_is_refunded_not_kept(api, clean_db):
    fan = await sign_up(api, "fan")

    async def log_out() -> None:
        await api.mutate("logOut", {}, "revokedSessions", token=fan.token)

    with Meddling(api, log_out) as provider:
        error = await api.error(
            "mutation($i: PurchaseCoinsInput!) "
            "{ purchaseCoins(input: $i) { userErrors { code } } }",
            {"i": {"packageId": package_id(700), "paymentToken": SUCCESS_TOKEN,
                   "idempotencyKey": new_key()}},
            fan.token,
        )  # fmt: skip
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert provider.sandbox.refunded == set(provider.charges) != set()
    assert await scalar(api, "SELECT count(*) FROM payments") == 0
    assert await scalar(api, "SELECT count(*) FROM ledger_transactions") == 0


@pytest.mark.parametrize(("enrolled", "standing"), [(False, "GOOD"), (True, "BANNED")])
async def test_refusals_do_not_reveal_why_a_creator_cannot_receive(
    api, clean_db, enrolled, standing
):
    star = await sign_up(api, "star")
    if enrolled:
        await enrol(clean_db, star, "LIVE_GIFTS", "TIPS")
    await set_standing(clean_db, star, standing)
    video = await publish(api, star)
    fan = await sign_up(api, "fan")
    await buy_coins(api, fan, 700)
    rose = (await api.data("{ gifts { id } }"))["gifts"][0]["id"]

    gift = await api.mutate(
        "sendGift",
        {"giftId": rose, "videoId": video, "idempotencyKey": new_key()},
        "wallet { coins }",
        token=fan.token,
    )
    tip = await api.mutate(
        "sendTip",
        {"creatorId": star.id, "amountCents": 100, "method": "COINS", "idempotencyKey": new_key()},
        "wallet { coins }",
        token=fan.token,
    )
    assert gift["userErrors"] == [
        {"code": "CREATOR_NOT_ELIGIBLE", "field": None,
         "message": "This creator cannot receive gifts right now."}
    ]  # fmt: skip
    assert [(e["code"], e["message"]) for e in tip["userErrors"]] == [
        ("CREATOR_NOT_ELIGIBLE", "This creator cannot receive tips right now.")
    ]


async def test_a_gift_shows_the_live_only_to_those_who_may_see_it(api, clean_db):
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, star, "LIVE_GIFTS", "TIPS")
    await buy_coins(api, fan, 700)
    live = (await api.mutate("startLive", {"title": "On air"}, "live { id }", star.token))["live"]
    rose = (await api.data("{ gifts { id } }"))["gifts"][0]["id"]
    gift = {"giftId": rose, "liveId": live["id"], "idempotencyKey": new_key()}
    selection = "gift { coins live { id } }"
    sent = await api.mutate("sendGift", gift, selection, token=fan.token)
    assert sent["gift"]["live"] == {"id": live["id"]}

    await set_account(api, star, visibility="PRIVATE")
    replay = await api.mutate("sendGift", gift, selection, token=fan.token)
    assert replay["gift"] == {"coins": 1, "live": None}


async def _wait_for_a_lock_wait(api: Any) -> None:
    for _ in range(500):
        waiting = await scalar(api, "SELECT count(*) FROM pg_locks WHERE NOT granted")
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second transaction never waited for the first")


@pytest.mark.parametrize("first", ["gift", "end"])
async def test_a_gift_and_the_end_of_its_live_never_overlap(
    api, clean_db, settings, clock, backend, first
):
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    star, fan = await sign_up(api, "star"), await sign_up(api, "fan")
    await enrol(clean_db, star, "LIVE_GIFTS", "TIPS")
    await buy_coins(api, fan, 700)
    live = await api.mutate("startLive", {"title": "On air"}, "live { id }", star.token)
    live_id = decode_pk(live["live"]["id"])
    rose = decode_pk((await api.data("{ gifts { id } }"))["gifts"][0]["id"])
    maker = create_sessionmaker(clean_db)

    async def gift(session: Any) -> Any:
        sender = await session.get(Account, fan.pk)
        request = gifting.GiftRequest(gift_id=rose, quantity=1, key="k", live_id=live_id)
        return await gifting.send_gift(session, sender, request, now=clock.now(), settings=settings)

    async def end(session: Any) -> Any:
        creator = await session.get(Account, star.pk)
        return await lives.end_live(session, creator, live_id, now=clock.now())

    steps = {"gift": gift, "end": end}
    second = "end" if first == "gift" else "gift"
    async with maker() as one, maker() as two:
        await begin_write(one)
        await steps[first](one)
        await begin_write(two)
        waiting = asyncio.ensure_future(steps[second](two))
        await _wait_for_a_lock_wait(api)
        assert not waiting.done()
        await one.commit()
        try:
            await waiting
            await two.commit()
            outcome = "ok"
        except DomainError as error:
            await two.rollback()
            outcome = error.problems[0].code.value

    gifts = await scalar(api, "SELECT count(*) FROM gift_sends")
    status = await scalar(api, f"SELECT status FROM live_streams WHERE id = {live_id}")
    assert status == "ENDED"
    # Gift first: it landed while the LIVE was on air. End first: the gift is refused.
    assert (gifts, outcome) == ((1, "ok") if first == "gift" else (0, "LIVE_NOT_ACTIVE"))
