"""Payouts end to end: a creator links PayPal, requests a payout, the job pays it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from reelpay.db import create_sessionmaker
from reelpay.payouts import audit, processing
from reelpay.payouts.models import Payout, PayoutMethod
from reelpay.payouts.sandbox import SandboxPayoutProvider
from tests.factories import add_paypal, credit_earnings, make_staff, new_key, sign_up

pytestmark = pytest.mark.usefixtures("verify_ledger")

WALLET = """
query($id: ID!) { node(id: $id) { ... on Account { wallet {
  earnings { amount } inPayout { amount } paidOut { amount }
  earningsBySource { source pending { amount } available { amount } inPayout { amount }
                     paidOut { amount } total { amount } }
} } } }
"""


async def _wallet(api, user):
    return (await api.data(WALLET, {"id": user.id}, token=user.token))["node"]["wallet"]


async def test_a_requested_payout_is_held_then_paid_by_the_job(api):
    creator = await sign_up(api, "maker")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, creator, 15_000, source="TIPS")
    method_id = await add_paypal(api, creator)

    payload = await api.mutate(
        "requestPayout",
        {"amountCents": 10_000, "idempotencyKey": new_key()},
        "payout { id status amount { amount } method { id masked } }"
        " wallet { earnings { amount } inPayout { amount } }",
        token=creator.token,
    )
    assert payload["userErrors"] == []
    assert payload["payout"]["status"] == "REQUESTED"
    assert payload["payout"]["method"] == {
        "id": method_id,
        "masked": "m\u2022\u2022\u2022@paypal.example",
    }
    assert payload["wallet"] == {"earnings": {"amount": "50.00"}, "inPayout": {"amount": "100.00"}}

    run = await api.mutate("runPayouts", {}, "scheduled paid failed retrying", token=staff.token)
    assert run == {"scheduled": 0, "paid": 1, "failed": 0, "retrying": 0, "userErrors": []}

    wallet = await _wallet(api, creator)
    assert wallet["earnings"] == {"amount": "50.00"}
    assert wallet["inPayout"] == {"amount": "0.00"}
    assert wallet["paidOut"] == {"amount": "100.00"}
    tips = next(s for s in wallet["earningsBySource"] if s["source"] == "TIPS")
    assert tips == {
        "source": "TIPS",
        "pending": {"amount": "0.00"},
        "available": {"amount": "50.00"},
        "inPayout": {"amount": "0.00"},
        "paidOut": {"amount": "100.00"},
        "total": {"amount": "150.00"},
    }
    node = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Payout { status paidAt } } }",
        {"id": payload["payout"]["id"]},
        token=creator.token,
    )
    assert node["node"]["status"] == "PAID"
    notes = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Account { notifications(first: 10) {"
        " edges { node { kind } } } } } }",
        {"id": creator.id},
        token=creator.token,
    )
    kinds = [e["node"]["kind"] for e in notes["node"]["notifications"]["edges"]]
    assert kinds == ["PAYOUT_PAID", "PAYOUT_PROCESSING", "PAYOUT_REQUESTED", "PAYOUT_METHOD_ADDED"]


async def _requested(api, user, cents=10_000):
    payload = await api.mutate(
        "requestPayout",
        {"amountCents": cents, "idempotencyKey": new_key()},
        "payout { id }",
        token=user.token,
    )
    assert payload["userErrors"] == [], payload
    return payload["payout"]["id"]


async def _payout(api, user, payout_id):
    query = (
        "query($id: ID!) { node(id: $id) { ... on Payout { status attempts failureCode"
        " failureMessage nextAttemptAt } } }"
    )
    return (await api.data(query, {"id": payout_id}, token=user.token))["node"]


class _NoAnswer:
    """A provider that sends the money and then times out: the outcome is unknown to us."""

    name = "sandbox"

    def __init__(self, inner, answers_after=10**9):
        self.inner, self.calls, self.answers_after = inner, 0, answers_after

    async def send(self, request):
        self.calls += 1
        result = await self.inner.send(request)
        if self.calls <= self.answers_after:
            raise TimeoutError("read timed out: https://payouts.example/v1?iban=DE89...")
        return result

    async def status(self, request):
        """Asking about the reference times out the same way until it answers."""
        if self.calls <= self.answers_after:
            raise TimeoutError("read timed out: https://payouts.example/v1/status")
        return await self.inner.status(request)


async def test_an_unknown_outcome_is_never_failed_and_the_same_reference_settles_it(
    api, clock, settings
):

    creator = await sign_up(api, "maker")
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator)
    payout_id = await _requested(api, creator)
    sandbox = SandboxPayoutProvider()
    flaky = _NoAnswer(sandbox)
    maker = create_sessionmaker(api.engine)

    for _ in range(settings.rules.payout_max_attempts + 3):  # more than any retry budget
        clock.advance(timedelta(hours=2))
        summary = await processing.run(maker, flaky, clock=clock, settings=settings)
        assert (summary.paid, summary.failed, summary.retrying) == (0, 0, 1)
    seen = await _payout(api, creator, payout_id)
    assert seen["status"] == "PROCESSING" and seen["failureCode"] == "PROVIDER_ERROR"
    assert "iban" not in seen["failureMessage"].lower()  # provider details stay in the log
    assert (await _wallet(api, creator))["inPayout"] == {"amount": "100.00"}  # still held
    assert list(sandbox.sent.values()) == [1]  # sent once, whatever we asked

    flaky.answers_after = 0  # the provider answers again: the same reference is PAID
    clock.advance(timedelta(hours=2))
    summary = await processing.run(maker, flaky, clock=clock, settings=settings)
    assert (summary.paid, summary.failed) == (1, 0)
    assert (await _payout(api, creator, payout_id))["status"] == "PAID"
    assert list(sandbox.sent.values()) == [1]
    wallet = await _wallet(api, creator)
    assert (wallet["earnings"], wallet["inPayout"], wallet["paidOut"]) == (
        {"amount": "50.00"}, {"amount": "0.00"}, {"amount": "100.00"},
    )  # fmt: skip


async def test_a_late_answer_is_recorded_after_another_run_took_over(api, clock, settings):
    """Run A's provider call outlives its lease; run B takes the payout over and gets no
    answer; A's definite PAID still counts (same reference), once."""

    creator = await sign_up(api, "maker")
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator)
    payout_id = await _requested(api, creator)
    sandbox = SandboxPayoutProvider()
    maker = create_sessionmaker(api.engine)
    release_a = asyncio.Event()

    class Slow:
        name = "sandbox"

        async def send(self, request):
            await release_a.wait()
            return await sandbox.send(request)

        async def status(self, request):
            return await sandbox.status(request)

    run_a = asyncio.create_task(processing.run(maker, Slow(), clock=clock, settings=settings))
    for _ in range(100):  # until A has claimed it
        if (await _payout(api, creator, payout_id))["status"] == "PROCESSING":
            break
        await asyncio.sleep(0.01)
    clock.advance(timedelta(seconds=settings.rules.payout_lease_seconds + 1))
    summary_b = await processing.run(maker, _NoAnswer(sandbox), clock=clock, settings=settings)
    assert summary_b.retrying == 1
    assert (await _payout(api, creator, payout_id))["attempts"] == 2

    release_a.set()
    summary_a = await run_a
    assert summary_a.paid == 1
    assert (await _payout(api, creator, payout_id))["status"] == "PAID"
    assert list(sandbox.sent.values()) == [1]


async def test_one_payout_that_cannot_be_read_does_not_stop_the_others(api, clock, settings):

    first = await sign_up(api, "first")
    second = await sign_up(api, "second")
    for user in (first, second):
        await credit_earnings(api.engine, user, 15_000)
        await add_paypal(api, user)
    broken = await _requested(api, first)
    fine = await _requested(api, second)
    async with api.engine.begin() as connection:  # first's method was sealed with another key
        await connection.execute(
            sa.update(PayoutMethod)
            .where(PayoutMethod.account_id == first.pk)
            .values(destination="gAAAAAB-not-a-token-we-can-read")
        )
    maker = create_sessionmaker(api.engine)
    summary = await processing.run(maker, SandboxPayoutProvider(), clock=clock, settings=settings)
    assert (summary.paid, summary.failed, summary.errors) == (1, 1, 0)
    assert (await _payout(api, second, fine))["status"] == "PAID"
    unreadable = await _payout(api, first, broken)
    assert (unreadable["status"], unreadable["failureCode"]) == ("FAILED", "DESTINATION_UNREADABLE")
    assert (await _wallet(api, first))["earnings"] == {"amount": "150.00"}  # returned

    # The same after a first attempt (it may have been sent): logged, left for a person.
    third = await sign_up(api, "third")
    await credit_earnings(api.engine, third, 15_000)
    await add_paypal(api, third, email="payout-unavailable@paypal.example")
    stuck = await _requested(api, third)
    assert (
        await processing.run(maker, SandboxPayoutProvider(), clock=clock, settings=settings)
    ).retrying == 1
    async with api.engine.begin() as connection:
        await connection.execute(
            sa.update(PayoutMethod)
            .where(PayoutMethod.account_id == third.pk)
            .values(destination="gAAAAAB-not-a-token-we-can-read")
        )
    clock.advance(timedelta(hours=1))
    summary = await processing.run(maker, SandboxPayoutProvider(), clock=clock, settings=settings)
    assert summary.errors == 1
    assert (await _payout(api, third, stuck))["status"] == "PROCESSING"
    assert (await _wallet(api, third))["inPayout"] == {"amount": "100.00"}


async def test_ledger_verify_reconciles_payouts_with_the_ledger(api, clock):

    creator = await sign_up(api, "maker")
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator)
    await _requested(api, creator)
    async with create_sessionmaker(api.engine)() as session:
        assert await audit.verify(session) == []
    async with api.engine.begin() as connection:  # a payout marked PAID behind the ledger's back
        await connection.execute(sa.update(Payout).values(status="PAID"))
    async with create_sessionmaker(api.engine)() as session:
        problems = await audit.verify(session)
    assert problems == [
        f"account {creator.pk}: 10000 cents held for payouts, but its requested and "
        "processing payouts total 0",
        f"account {creator.pk}: the ledger paid out 0 cents, but its paid and returned "
        "payouts total 10000",
    ]
    async with api.engine.begin() as connection:  # put it back for the fixture's check
        await connection.execute(sa.update(Payout).values(status="REQUESTED"))


STAFF_PAGE = """query { payouts(first: 100) { totalCount edges { node {
  amount { amount } status creator { handle } method { masked kind } } } } }"""


async def test_a_page_of_payouts_costs_the_same_queries_for_3_or_30(api):
    from tests.test_graphql_api import counting_statements

    staff = await make_staff(api, api.engine)

    async def creators(start, stop):
        for n in range(start, stop):
            user = await sign_up(api, f"creator{n:02d}")
            await credit_earnings(api.engine, user, 10_000)
            await add_paypal(api, user)
            await _requested(api, user)

    await creators(0, 3)
    with counting_statements(api.engine) as few:
        small = await api.data(STAFF_PAGE, token=staff.token)
    await creators(3, 30)
    with counting_statements(api.engine) as many:
        large = await api.data(STAFF_PAGE, token=staff.token)

    assert small["payouts"]["totalCount"] == 3 and large["payouts"]["totalCount"] == 30
    assert len(few) == len(many), "\n".join(["--- 3:", *few, "--- 30:", *many])
    node = large["payouts"]["edges"][0]["node"]
    assert node["creator"] == {"handle": "creator29"}
    assert node["method"] == {"masked": "c\u2022\u2022\u2022@paypal.example", "kind": "PAYPAL"}


async def test_only_the_creator_and_staff_see_a_payout_through_every_path(api):
    creator = await sign_up(api, "maker")
    other = await sign_up(api, "other")
    staff = await make_staff(api, api.engine)
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator)
    payout_id = await _requested(api, creator)
    node = "query($id: ID!) { node(id: $id) { ... on Payout { status } } }"
    nodes = "query($id: ID!) { nodes(ids: [$id]) { ... on Payout { status } } }"
    history = (
        "query($a: ID!) { node(id: $a) { ... on Account { payouts { history(first: 5)"
        " { totalCount } } } } }"
    )

    for viewer, visible in ((creator, True), (staff, True), (other, False), (None, False)):
        token = viewer.token if viewer else None
        expected = {"status": "REQUESTED"} if visible else None
        assert (await api.data(node, {"id": payout_id}, token))["node"] == expected
        assert (await api.data(nodes, {"id": payout_id}, token))["nodes"] == [expected]
        seen = (await api.data(history, {"a": creator.id}, token))["node"]["payouts"]
        assert seen == ({"history": {"totalCount": 1}} if visible else None)
