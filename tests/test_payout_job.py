"""The payouts job and the payout provider: REQUESTED -> PROCESSING -> PAID, or FAILED with the
money returned; transient failures retried with backoff; never paid twice, even when the job
dies mid-batch or two runs race; staff's list, retry and run; the CLI."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.cli import main
from reelpay.db import create_sessionmaker
from reelpay.payouts import processing
from reelpay.payouts.models import Payout
from reelpay.payouts.provider import PayoutRequest, PayoutResult
from tests.conftest import START
from tests.factories import (
    User,
    credit_earnings,
    decode_pk,
    iban_with_checksum,
    make_staff,
    new_key,
    set_standing,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

ROUTING = "021000021"  # a valid ABA routing number


def paypal(local: str) -> dict[str, Any]:
    return {"paypal": {"email": f"{local}@paypal.example"}}


def iban(last4: str) -> dict[str, Any]:
    number = iban_with_checksum("DE", "37040044000000" + last4)
    return {"bank": {"holderName": "Ann Example", "iban": number}}


def us(last4: str) -> dict[str, Any]:
    account = "12345" + last4
    return {"bank": {"holderName": "Ann", "routingNumber": ROUTING, "accountNumber": account}}


GOOD = paypal("payout-ok")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def after(seconds: int) -> datetime:
    return START + timedelta(seconds=seconds)


class Recording:
    """The app's sandbox, counting every request per reference (sent or not); `then` runs
    after each answer arrived (to simulate what happens next in the job's process)."""

    name = "sandbox"

    def __init__(self, inner: Any, then: Any = None) -> None:
        self.inner, self.then = inner, then
        self.calls: Counter[str] = Counter()  # sends
        self.asked: Counter[str] = Counter()  # questions about a reference sent before

    async def send(self, request: PayoutRequest) -> PayoutResult:
        self.calls[request.reference] += 1
        result = await self.inner.send(request)
        if self.then is not None:
            await self.then(self)
        return result

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        """What the sandbox remembers of the reference (a sent one is not sent again)."""
        self.asked[request.reference] += 1
        result: PayoutResult | None = await self.inner.status(request)
        if self.then is not None:
            await self.then(self)
        return result


class ProcessDied(BaseException):
    """The process is killed: nothing after the provider call runs."""


async def die_once(provider: Recording) -> None:
    if sum(provider.calls.values()) == 1:
        raise ProcessDied


class Broken:
    name = "sandbox"

    async def send(self, request: PayoutRequest) -> PayoutResult:
        raise RuntimeError("connection reset by peer")

    async def status(self, request: PayoutRequest) -> PayoutResult | None:
        raise RuntimeError("connection reset by peer")


def sandbox(api: Any) -> Any:
    return api.app.state.services.payouts


async def add_method(api: Any, user: User, destination: dict[str, Any], **extra: Any) -> str:
    payload = await api.mutate(
        "addPayoutMethod", {**destination, **extra}, "method { id }", token=user.token
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["method"]["id"]


async def creator(
    api: Any, handle: str, destination: dict[str, Any] = GOOD, cents: int = 50_000
) -> User:
    user = await sign_up(api, handle)
    await credit_earnings(api.engine, user, cents)
    await add_method(api, user, destination)
    return user


async def request(api: Any, user: User, cents: int = 10_000) -> str:
    input = {"amountCents": cents, "idempotencyKey": new_key()}
    payload = await api.mutate("requestPayout", input, "payout { id status }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload["payout"]["status"] == "REQUESTED"
    return payload["payout"]["id"]


async def ref(api: Any, payout_id: str) -> str:
    """The payout's current provider reference (its idempotency key at the provider)."""
    async with create_sessionmaker(api.engine)() as session:
        found = await session.get(Payout, decode_pk(payout_id))
        assert found is not None
        return found.reference


async def run(api: Any, clock: Any, settings: Any, provider: Any = None, now: Any = None) -> Any:
    summary = await processing.run(
        create_sessionmaker(api.engine), provider or sandbox(api), now=now or clock.now(),
        settings=settings,
    )  # fmt: skip
    return (summary.scheduled, summary.paid, summary.failed, summary.retrying)


FIELDS = "status attempts nextAttemptAt failureCode paidAt failedAt method { id }"


async def payout(api: Any, user: User, payout_id: str) -> dict[str, Any]:
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Payout {{ {FIELDS} }} }} }}"
    return (await api.data(query, {"id": payout_id}, token=user.token))["node"]


WALLET = "{ viewer { wallet { earnings { minorUnits } inPayout { minorUnits } paidOut { minorUnits } } } }"  # noqa: E501


async def money(api: Any, user: User) -> tuple[int, ...]:
    """(available earnings, in payout, paid out) in cents."""
    wallet = (await api.data(WALLET, token=user.token))["viewer"]["wallet"]
    return tuple(wallet[k]["minorUnits"] for k in ("earnings", "inPayout", "paidOut"))


async def notices(api: Any, user: User) -> list[str]:
    """The creator's payout notifications, oldest first."""
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Account { notifications(first: 50) {"
        " edges { node { kind } } } } } }",
        {"id": user.id},
        token=user.token,
    )
    kinds = [e["node"]["kind"] for e in data["node"]["notifications"]["edges"]]
    return [k for k in reversed(kinds) if k.startswith("PAYOUT_") and "METHOD" not in k]


async def method_id_of(api: Any, user: User) -> str:
    """The creator's only payout method."""
    data = await api.data("{ viewer { payouts { methods { id } } } }", token=user.token)
    (only,) = data["viewer"]["payouts"]["methods"]
    return only["id"]


async def transactions(api: Any, kind: str, payout_id: str | None = None) -> int:
    """Ledger transactions of `kind` (of one payout: its memo says "Payout <id>: ..." or
    "Payout <id> failed: ...")."""
    query = sa.text("SELECT memo FROM ledger_transactions WHERE kind = :kind")
    async with api.engine.connect() as connection:
        memos = list(await connection.scalars(query, {"kind": kind}))
    if payout_id is None:
        return len(memos)
    return sum(re.match(rf"Payout {decode_pk(payout_id)}\b", m) is not None for m in memos)


def state(found: dict[str, Any]) -> tuple[Any, ...]:
    return (found["status"], found["attempts"], found["failureCode"], found["nextAttemptAt"])


def paid(method_id: str, attempts: int = 1, at: datetime = START) -> dict[str, Any]:
    return {"status": "PAID", "attempts": attempts, "nextAttemptAt": None, "failureCode": None,
            "paidAt": iso(at), "failedAt": None, "method": {"id": method_id}}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Outcomes


@pytest.mark.parametrize(
    "destination", [GOOD, iban("0001"), us("0005")], ids=["paypal", "iban", "us"]
)
async def test_a_payout_is_sent_once_and_its_money_moves_to_paid_out(
    api, clock, settings, destination
):
    user = await creator(api, "maker", destination)
    method_id = await method_id_of(api, user)
    payout_id = await request(api, user)
    assert await money(api, user) == (40_000, 10_000, 0)

    assert await run(api, clock, settings) == (0, 1, 0, 0)

    assert await payout(api, user, payout_id) == paid(method_id)
    assert await money(api, user) == (40_000, 0, 10_000)
    assert sandbox(api).sent == {await ref(api, payout_id): 1}
    assert await transactions(api, "PAYOUT_HOLD", payout_id) == 1
    assert await transactions(api, "PAYOUT_PAID", payout_id) == 1
    assert await transactions(api, "PAYOUT_RETURN") == 0
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID"]


@pytest.mark.parametrize(
    "destination", [paypal("payout-fail"), iban("0002"), us("0002")], ids=["paypal", "iban", "us"]
)
async def test_a_rejected_payout_fails_and_its_money_returns(api, clock, settings, destination):
    user = await creator(api, "maker", destination)
    payout_id = await request(api, user)

    assert await run(api, clock, settings) == (0, 0, 1, 0)

    found = await payout(api, user, payout_id)
    assert state(found) == ("FAILED", 1, "RECIPIENT_REJECTED", None)
    assert (found["failedAt"], found["paidAt"]) == (iso(START), None)
    assert await money(api, user) == (50_000, 0, 0)
    assert sandbox(api).sent == {}
    assert await transactions(api, "PAYOUT_RETURN", payout_id) == 1
    assert await transactions(api, "PAYOUT_PAID") == 0
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_FAILED"]


@pytest.mark.parametrize(
    "destination", [paypal("payout-unavailable"), iban("0003")], ids=["paypal", "iban"]
)
async def test_transient_failures_back_off_and_fail_after_the_fifth_attempt(
    api, clock, settings, destination
):
    user = await creator(api, "maker", destination)
    payout_id = await request(api, user)
    provider = Recording(sandbox(api))
    reference = await ref(api, payout_id)
    t = START
    for attempt, delay in enumerate([60, 120, 240, 480], start=1):
        clock.set(t)
        assert await run(api, clock, settings, provider) == (0, 0, 0, 1)
        assert state(await payout(api, user, payout_id)) == (
            "PROCESSING", attempt, "PROVIDER_UNAVAILABLE", iso(t + timedelta(seconds=delay))
        )  # fmt: skip
        assert await money(api, user) == (40_000, 10_000, 0)
        # One second early: not sent again.
        clock.set(t + timedelta(seconds=delay - 1))
        assert await run(api, clock, settings, provider) == (0, 0, 0, 0)
        assert provider.calls == {reference: attempt}
        assert (await payout(api, user, payout_id))["attempts"] == attempt
        t += timedelta(seconds=delay)
    assert t == after(900)

    clock.set(t)
    assert await run(api, clock, settings, provider) == (0, 0, 1, 0)

    found = await payout(api, user, payout_id)
    assert state(found) == ("FAILED", 5, "PROVIDER_UNAVAILABLE", None)
    assert found["failedAt"] == iso(t)
    assert provider.calls == {reference: 5}
    assert sandbox(api).sent == {}
    assert await money(api, user) == (50_000, 0, 0)
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_FAILED"]
    clock.set(t + timedelta(days=1))
    assert await run(api, clock, settings, provider) == (0, 0, 0, 0)
    assert provider.calls == {reference: 5}


@pytest.mark.parametrize("destination", [paypal("payout-flaky"), us("0004")], ids=["paypal", "us"])
async def test_a_flaky_destination_is_paid_on_the_third_attempt(api, clock, settings, destination):
    user = await creator(api, "maker", destination)
    payout_id = await request(api, user)
    provider = Recording(sandbox(api))

    assert await run(api, clock, settings, provider) == (0, 0, 0, 1)
    clock.set(after(60))
    assert await run(api, clock, settings, provider) == (0, 0, 0, 1)
    assert (await payout(api, user, payout_id))["nextAttemptAt"] == iso(after(180))
    clock.set(after(180))
    assert await run(api, clock, settings, provider) == (0, 1, 0, 0)

    assert await payout(api, user, payout_id) == paid(await method_id_of(api, user), 3, after(180))
    reference = await ref(api, payout_id)
    assert (provider.calls, sandbox(api).sent) == ({reference: 3}, {reference: 1})
    assert await money(api, user) == (40_000, 0, 10_000)
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID"]


async def test_a_provider_exception_is_retried_like_a_transient_failure(api, clock, settings):
    user = await creator(api, "maker")
    payout_id = await request(api, user)

    assert await run(api, clock, settings, Broken()) == (0, 0, 0, 1)

    found = await payout(api, user, payout_id)
    assert state(found) == ("PROCESSING", 1, "PROVIDER_ERROR", iso(after(60)))
    assert await money(api, user) == (40_000, 10_000, 0)
    clock.set(after(59))
    assert await run(api, clock, settings) == (0, 0, 0, 0)
    clock.set(after(60))
    assert await run(api, clock, settings) == (0, 1, 0, 0)
    assert (await payout(api, user, payout_id))["attempts"] == 2
    assert sandbox(api).sent == {await ref(api, payout_id): 1}
    assert await money(api, user) == (40_000, 0, 10_000)


async def lost_answer(_: Recording) -> None:
    raise TimeoutError("the provider's answer never arrived")


async def test_money_the_provider_may_have_sent_is_never_returned_to_the_balance(
    api, clock, settings
):
    user = await creator(api, "maker")
    payout_id = await request(api, user)
    timing_out = Recording(sandbox(api), then=lost_answer)
    # The provider pays at once, but every answer is lost: asked about (never sent again) again
    # and again, never failed (past the transient attempts' limit of 5), the backoff growing up
    # to an hour at most.
    t = START
    for attempt, delay in enumerate([60, 120, 240, 480, 960, 1920, 3600], start=1):
        clock.set(t)
        assert await run(api, clock, settings, timing_out) == (0, 0, 0, 1)
        found = await payout(api, user, payout_id)
        assert state(found) == (
            "PROCESSING",
            attempt,
            "PROVIDER_ERROR",
            iso(t + timedelta(seconds=delay)),
        )
        t += timedelta(seconds=delay)
    assert await money(api, user) == (40_000, 10_000, 0)
    reference = await ref(api, payout_id)
    assert (timing_out.calls, timing_out.asked) == ({reference: 1}, {reference: 6})
    assert sandbox(api).sent == {reference: 1}

    clock.set(t)
    assert await run(api, clock, settings) == (0, 1, 0, 0)  # the provider answers again

    assert await payout(api, user, payout_id) == paid(await method_id_of(api, user), 8, t)
    assert await money(api, user) == (40_000, 0, 10_000)
    assert sandbox(api).sent == {reference: 1}


async def test_an_unreadable_destination_fails_only_a_payout_never_sent_and_the_run_goes_on(
    api, clock, settings
):
    slow = await creator(api, "slow", paypal("payout-unavailable"))
    tried = await request(api, slow)
    assert await run(api, clock, settings) == (0, 0, 0, 1)
    fresh = await creator(api, "fresh")
    untried = await request(api, fresh)
    rotated = replace(settings, secret_key="a different secret key, 32+ characters long")

    clock.set(after(60))
    summary = await processing.run(
        create_sessionmaker(api.engine), sandbox(api), now=clock.now(), settings=rotated
    )

    assert (summary.paid, summary.failed, summary.retrying, summary.errors) == (0, 1, 0, 1)
    # It may have been sent: left as it was for a person to look at, its money still held.
    assert state(await payout(api, slow, tried)) == (
        "PROCESSING", 1, "PROVIDER_UNAVAILABLE", iso(after(60))
    )  # fmt: skip
    assert state(await payout(api, fresh, untried)) == (
        "FAILED", 0, "DESTINATION_UNREADABLE", None
    )  # fmt: skip
    assert (await money(api, slow), await money(api, fresh)) == (
        (40_000, 10_000, 0),
        (50_000, 0, 0),
    )
    assert sandbox(api).sent == {}


# ---------------------------------------------------------------------------------------------
# Never paid twice


async def test_a_job_dying_after_sending_pays_once_when_run_again_after_the_lease(
    api, clock, settings
):
    ann, bob = await creator(api, "ann"), await creator(api, "bob")
    first, second = await request(api, ann), await request(api, bob)
    provider = Recording(sandbox(api), then=die_once)

    with pytest.raises(ProcessDied):
        await run(api, clock, settings, provider)

    a, b = await ref(api, first), await ref(api, second)
    assert sandbox(api).sent == {a: 1}  # the money left, nothing recorded it
    assert state(await payout(api, ann, first)) == ("PROCESSING", 1, None, iso(after(300)))
    assert (await payout(api, bob, second))["status"] == "REQUESTED"
    assert await money(api, ann) == (40_000, 10_000, 0)

    clock.set(after(299))  # the dead run's lease still holds: only the untouched payout goes
    assert await run(api, clock, settings, provider) == (0, 1, 0, 0)
    assert provider.calls == {a: 1, b: 1}
    assert (await payout(api, ann, first))["status"] == "PROCESSING"
    assert await transactions(api, "PAYOUT_PAID", first) == 0

    clock.set(after(300))
    assert await run(api, clock, settings, provider) == (0, 1, 0, 0)

    assert await payout(api, ann, first) == paid(await method_id_of(api, ann), 2, after(300))
    # The second run asked what became of `a` instead of sending it again.
    assert (provider.calls, provider.asked) == ({a: 1, b: 1}, {a: 1})
    assert sandbox(api).sent == {a: 1, b: 1}
    assert await transactions(api, "PAYOUT_PAID", first) == 1
    assert await money(api, ann) == (40_000, 0, 10_000)
    assert await notices(api, ann) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID"]
    clock.set(after(3600))
    assert await run(api, clock, settings, provider) == (0, 0, 0, 0)
    assert sandbox(api).sent == {a: 1, b: 1}


async def test_concurrent_runs_pay_every_payout_exactly_once(api, clock, settings):
    users = [await creator(api, f"maker{i}") for i in range(3)]
    ids = [await request(api, user) for user in users for _ in range(2)]
    weekly = await creator(api, "weekly", cents=25_000)
    schedule = {"frequency": "WEEKLY", "weekday": START.isoweekday()}
    await api.mutate("setPayoutSchedule", schedule, "schedule { frequency }", token=weekly.token)
    provider = Recording(sandbox(api))

    results = await asyncio.gather(*(run(api, clock, settings, provider) for _ in range(3)))

    assert [sum(r[i] for r in results) for i in range(4)] == [1, 7, 0, 0]
    history = "{ viewer { payouts { history { edges { node { id trigger } } } } } }"
    data = await api.data(history, token=weekly.token)
    (scheduled,) = data["viewer"]["payouts"]["history"]["edges"]
    assert scheduled["node"]["trigger"] == "SCHEDULED"
    expected = {await ref(api, i): 1 for i in [*ids, scheduled["node"]["id"]]}
    assert sandbox(api).sent == expected
    assert provider.calls == expected  # a claimed payout is never sent by another run
    assert await transactions(api, "PAYOUT_PAID") == 7
    for user in users:
        assert await money(api, user) == (30_000, 0, 20_000)
    assert await money(api, weekly) == (0, 0, 25_000)


@pytest.mark.parametrize("unavailable", [False, True], ids=["paid", "transient"])
async def test_a_run_whose_lease_ran_out_records_nothing_over_the_run_that_took_over(
    api, clock, settings, unavailable
):
    user = await creator(api, "maker", paypal("payout-unavailable") if unavailable else GOOD)
    payout_id = await request(api, user)
    sending, answer = asyncio.Event(), asyncio.Event()

    async def stall(_: Recording) -> None:  # sent, then the answer takes very long
        sending.set()
        await answer.wait()

    stalled = asyncio.create_task(run(api, clock, settings, Recording(sandbox(api), stall), START))
    await sending.wait()

    took_over = await run(api, clock, settings, None, after(300))
    answer.set()
    assert await stalled == (0, 0, 0, 0)  # its claim (attempt 1) is no longer current

    found = await payout(api, user, payout_id)
    if unavailable:  # the later attempt's backoff stands (not the stale one's: +60 s)
        assert took_over == (0, 0, 0, 1)
        assert state(found) == ("PROCESSING", 2, "PROVIDER_UNAVAILABLE", iso(after(420)))
        return
    assert took_over == (0, 1, 0, 0)
    assert found == paid(await method_id_of(api, user), 2, after(300))
    assert sandbox(api).sent == {await ref(api, payout_id): 1}
    assert await transactions(api, "PAYOUT_PAID", payout_id) == 1
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID"]


async def test_a_run_sends_at_most_a_batch_oldest_first(api, clock, settings):
    small = replace(settings, rules=replace(settings.rules, payout_batch_size=2))
    user = await creator(api, "maker")
    ids = [await request(api, user) for _ in range(3)]

    assert await run(api, clock, small) == (0, 2, 0, 0)
    assert [(await payout(api, user, i))["status"] for i in ids] == ["PAID", "PAID", "REQUESTED"]
    assert await run(api, clock, small) == (0, 1, 0, 0)
    assert await run(api, clock, small) == (0, 0, 0, 0)
    assert await money(api, user) == (20_000, 0, 30_000)


async def test_running_a_finished_batch_again_changes_nothing(api, clock, settings):
    ok, bad = await creator(api, "ok"), await creator(api, "bad", paypal("payout-fail"))
    await request(api, ok)
    await request(api, bad)
    provider = Recording(sandbox(api))
    assert await run(api, clock, settings, provider) == (0, 1, 1, 0)

    async def snapshot() -> Any:
        kinds = ("PAYOUT_HOLD", "PAYOUT_PAID", "PAYOUT_RETURN")
        people = (ok, bad)
        return ([await money(api, u) for u in people], [await notices(api, u) for u in people],
                [await transactions(api, k) for k in kinds], dict(provider.calls))  # fmt: skip

    before = await snapshot()
    assert before[0] == [(40_000, 0, 10_000), (50_000, 0, 0)]
    for seconds in (0, 300, 86_400):
        clock.set(after(seconds))
        assert await run(api, clock, settings, provider) == (0, 0, 0, 0)
    assert await snapshot() == before


@pytest.mark.parametrize("standing", ["RESTRICTED", "BANNED"])
async def test_a_creator_suspended_before_the_first_attempt_gets_the_money_back(
    api, clock, settings, standing
):
    user = await creator(api, "maker")
    payout_id = await request(api, user)
    await set_standing(api.engine, user, standing)
    provider = Recording(sandbox(api))

    assert await run(api, clock, settings, provider) == (0, 0, 1, 0)

    assert state(await payout(api, user, payout_id)) == ("FAILED", 0, "ACCOUNT_SUSPENDED", None)
    assert provider.calls == {}
    assert await money(api, user) == (50_000, 0, 0)
    assert await notices(api, user) == ["PAYOUT_REQUESTED", "PAYOUT_FAILED"]


async def test_a_warned_creator_is_paid_and_a_suspension_after_sending_began_does_not_stop_it(
    api, clock, settings
):
    warned = await creator(api, "warned")
    later = await creator(api, "later", paypal("payout-flaky"))
    warned_payout, later_payout = await request(api, warned), await request(api, later)
    await set_standing(api.engine, warned, "WARNED")
    assert await run(api, clock, settings) == (0, 1, 0, 1)

    # The money may already be on its way: the payout is finished, not abandoned.
    await set_standing(api.engine, later, "RESTRICTED")
    clock.set(after(60))
    assert await run(api, clock, settings) == (0, 0, 0, 1)
    clock.set(after(180))
    assert await run(api, clock, settings) == (0, 1, 0, 0)

    assert (await payout(api, warned, warned_payout))["status"] == "PAID"
    assert (await payout(api, later, later_payout))["status"] == "PAID"
    assert sandbox(api).sent == {await ref(api, warned_payout): 1, await ref(api, later_payout): 1}


# ---------------------------------------------------------------------------------------------
# Staff


PAYOUTS = """
query($status: PayoutStatus, $first: Int, $after: String) {
  payouts(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status } }
  }
}
"""


async def test_staff_list_payouts_by_status_newest_first_in_pages(api, clock, settings):
    staff = await make_staff(api, api.engine)
    ok = await creator(api, "ok")
    paid_id = await request(api, ok)
    failed_id = await request(api, await creator(api, "bad", paypal("payout-fail")))
    processing_id = await request(api, await creator(api, "slow", paypal("payout-unavailable")))
    assert await run(api, clock, settings) == (0, 1, 1, 1)
    requested_id = await request(api, ok)

    async def listed(**variables: Any) -> tuple[int, list[str], bool, str | None]:
        page = (await api.data(PAYOUTS, variables, token=staff.token))["payouts"]
        ids = [e["node"]["id"] for e in page["edges"]]
        info = page["pageInfo"]
        return page["totalCount"], ids, info["hasNextPage"], info["endCursor"]

    for status, only in [("REQUESTED", requested_id), ("PROCESSING", processing_id),
                         ("PAID", paid_id), ("FAILED", failed_id)]:  # fmt: skip
        assert (await listed(status=status))[:3] == (1, [only], False)
    newest_first = [requested_id, processing_id, failed_id, paid_id]
    assert (await listed())[:3] == (4, newest_first, False)
    assert (await listed(first=4))[:3] == (4, newest_first, False)
    total, ids, more, cursor = await listed(first=3)
    assert (total, ids, more) == (4, newest_first[:3], True)
    assert (await listed(first=3, after=cursor))[:3] == (4, newest_first[3:], False)
    total, ids, more, cursor = await listed(status="PAID", first=1)
    assert (total, ids, more) == (1, [paid_id], False)


async def failed_payout(
    api: Any, clock: Any, settings: Any, cents: int = 50_000
) -> tuple[User, str]:
    user = await creator(api, "maker", paypal("payout-fail"), cents=cents)
    payout_id = await request(api, user)
    assert await run(api, clock, settings) == (0, 0, 1, 0)
    return user, payout_id


RETRY = "payout { id status attempts failureCode failedAt method { id } }"


async def retry(api: Any, staff: User, payout_id: str, selection: str = "payout { status }") -> Any:
    return await api.mutate("retryPayout", {"payoutId": payout_id}, selection, token=staff.token)


async def test_staff_retry_a_failed_payout_with_a_new_reference_to_the_current_default(
    api, clock, settings
):
    staff = await make_staff(api, api.engine)
    user, payout_id = await failed_payout(api, clock, settings)
    good = await add_method(api, user, GOOD, makeDefault=True)
    failed_reference = await ref(api, payout_id)
    clock.set(after(3600))

    payload = await retry(api, staff, payout_id, RETRY)

    assert payload == {"payout": {"id": payout_id, "status": "REQUESTED", "attempts": 0,
                                  "failureCode": None, "failedAt": None, "method": {"id": good}},
                       "userErrors": []}  # fmt: skip
    assert await money(api, user) == (40_000, 10_000, 0)
    assert await transactions(api, "PAYOUT_HOLD", payout_id) == 2
    reference = await ref(api, payout_id)
    assert reference != failed_reference  # that one has its final answer: FAILED
    provider = Recording(sandbox(api))
    assert await run(api, clock, settings, provider) == (0, 1, 0, 0)
    assert await payout(api, user, payout_id) == paid(good, at=after(3600))
    assert (provider.calls, sandbox(api).sent) == ({reference: 1}, {reference: 1})
    assert await money(api, user) == (40_000, 0, 10_000)
    assert await notices(api, user) == [
        "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_FAILED",
        "PAYOUT_REQUESTED", "PAYOUT_PROCESSING", "PAYOUT_PAID",
    ]  # fmt: skip


@pytest.mark.parametrize("state", ["REQUESTED", "PROCESSING", "PAID"])
async def test_only_a_failed_payout_can_be_retried(api, clock, settings, state):
    staff = await make_staff(api, api.engine)
    destination = paypal("payout-unavailable") if state == "PROCESSING" else GOOD
    user = await creator(api, "maker", destination)
    payout_id = await request(api, user)
    if state != "REQUESTED":
        await run(api, clock, settings)

    async def seen() -> Any:
        return await payout(api, user, payout_id), await money(api, user), await notices(api, user)

    before = await seen()
    assert before[0]["status"] == state

    payload = await retry(api, staff, payout_id, "payout { id }")

    assert payload["payout"] is None
    errors = [(e["code"], e["field"]) for e in payload["userErrors"]]
    assert errors == [("PAYOUT_NOT_FAILED", ["input", "payoutId"])]
    assert await seen() == before


@pytest.mark.parametrize(
    "change, cents, spent, code",
    [
        ("suspend", 50_000, 0, "PAYOUTS_SUSPENDED"),
        ("remove method", 50_000, 0, "PAYOUT_METHOD_REQUIRED"),
        ("spend", 19_999, 10_000, "INSUFFICIENT_EARNINGS"),
        ("spend", 20_000, 10_000, None),
        ("spend", 200_000, 90_000, None),  # exactly today's cap with the retry
        ("spend", 200_000, 90_001, "DAILY_PAYOUT_CAP_REACHED"),
    ],
)
async def test_a_retry_is_checked_like_a_new_request_and_counts_toward_todays_cap(
    api, clock, settings, change, cents, spent, code
):
    staff = await make_staff(api, api.engine)
    user, payout_id = await failed_payout(api, clock, settings, cents=cents)
    if change == "suspend":
        await set_standing(api.engine, user, "RESTRICTED")
    elif change == "remove method":
        removed = await api.mutate(
            "removePayoutMethod", {"methodId": await method_id_of(api, user)}, "removedMethodId",
            token=user.token,
        )  # fmt: skip
        assert removed["userErrors"] == []
    else:
        await add_method(api, user, GOOD, makeDefault=True)
        await request(api, user, spent)  # the failed payout no longer counts toward the cap
    before = (await money(api, user), await transactions(api, "PAYOUT_HOLD"))
    assert before == ((cents - spent, spent, 0), 2 if spent else 1)

    payload = await retry(api, staff, payout_id)

    if code is None:
        assert payload == {"payout": {"status": "REQUESTED"}, "userErrors": []}
        assert await money(api, user) == (cents - spent - 10_000, spent + 10_000, 0)
        return
    assert payload["payout"] is None
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert (await payout(api, user, payout_id))["status"] == "FAILED"
    assert (await money(api, user), await transactions(api, "PAYOUT_HOLD")) == before


async def test_two_staff_retrying_the_same_payout_at_once_hold_its_money_once(api, clock, settings):
    staff = [await make_staff(api, api.engine, f"staff{i}") for i in range(2)]
    user, payout_id = await failed_payout(api, clock, settings)
    await add_method(api, user, GOOD, makeDefault=True)

    payloads = await asyncio.gather(*(retry(api, s, payout_id) for s in staff))

    codes = sorted(tuple(e["code"] for e in p["userErrors"]) for p in payloads)
    assert codes == [(), ("PAYOUT_NOT_FAILED",)]
    assert await money(api, user) == (40_000, 10_000, 0)
    assert await transactions(api, "PAYOUT_HOLD", payout_id) == 2
    assert await run(api, clock, settings) == (0, 1, 0, 0)
    assert sandbox(api).sent == {await ref(api, payout_id): 1}


async def test_staff_run_the_job_through_the_api_and_get_the_counts(api, clock, settings):
    staff = await make_staff(api, api.engine)
    for handle, destination in [("ok", GOOD), ("bad", paypal("payout-fail")),
                                ("slow", paypal("payout-unavailable"))]:  # fmt: skip
        await request(api, await creator(api, handle, destination))
    weekly = await creator(api, "weekly")
    schedule = await api.mutate(
        "setPayoutSchedule", {"frequency": "WEEKLY", "weekday": START.isoweekday()},
        "schedule { frequency }", token=weekly.token,
    )  # fmt: skip
    assert schedule["userErrors"] == []
    selection = "scheduled paid failed retrying"

    once = await api.mutate("runPayouts", {"createScheduled": False}, selection, token=staff.token)
    assert once == {"scheduled": 0, "paid": 1, "failed": 1, "retrying": 1, "userErrors": []}
    assert await money(api, weekly) == (50_000, 0, 0)

    twice = await api.mutate("runPayouts", {}, selection, token=staff.token)
    assert twice == {"scheduled": 1, "paid": 1, "failed": 0, "retrying": 0, "userErrors": []}
    assert await money(api, weekly) == (0, 0, 50_000)
    again = await api.mutate("runPayouts", {}, selection, token=staff.token)
    assert again == {"scheduled": 0, "paid": 0, "failed": 0, "retrying": 0, "userErrors": []}


@pytest.mark.parametrize("who, code", [("creator", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")])
async def test_only_staff_list_retry_and_run_payouts(api, clock, settings, who, code):
    user, failed_id = await failed_payout(api, clock, settings)
    await add_method(api, user, GOOD, makeDefault=True)
    requested_id = await request(api, user)
    token = user.token if who == "creator" else None
    before = (await money(api, user), await notices(api, user))

    retrying = "mutation($id: ID!) { retryPayout(input: {payoutId: $id}) { payout { id } } }"
    running = "mutation { runPayouts(input: {}) { paid } }"
    for query, variables in [(PAYOUTS, {}), (retrying, {"id": failed_id}), (running, {})]:
        error = await api.error(query, variables, token=token)
        assert error["extensions"]["code"] == code, error

    assert (await payout(api, user, failed_id))["status"] == "FAILED"
    assert (await payout(api, user, requested_id))["status"] == "REQUESTED"
    assert (await money(api, user), await notices(api, user)) == before
    assert sandbox(api).sent == {}


# ---------------------------------------------------------------------------------------------
# CLI


async def test_the_cli_runs_the_job_and_prints_its_summary(api, settings, monkeypatch, capsys):
    # The CLI reads the real clock and has its own sandbox: payouts requested at the test
    # clock, never tried, are due whatever the real date is.
    monkeypatch.setenv("REELPAY_DATABASE_URL", settings.database_url)
    ok, bad = await creator(api, "ok"), await creator(api, "bad", paypal("payout-fail"))
    ok_payout, bad_payout = await request(api, ok), await request(api, bad)
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["jobs", "payouts"]) == 0
    summary = "payouts: 0 scheduled payout(s) created, {} paid, {} failed, 0 to retry"
    assert capsys.readouterr().out.strip() == summary.format(1, 1)
    assert (await payout(api, ok, ok_payout))["status"] == "PAID"
    assert (await payout(api, bad, bad_payout))["status"] == "FAILED"
    assert (await money(api, ok), await money(api, bad)) == ((40_000, 0, 10_000), (50_000, 0, 0))

    assert await asyncio.to_thread(main, ["jobs", "payouts"]) == 0
    assert capsys.readouterr().out.strip() == summary.format(0, 0)
    assert await transactions(api, "PAYOUT_PAID") == 1
