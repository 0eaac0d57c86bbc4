"""`payoutUpdates` over graphql-transport-ws, against real uvicorn servers (as test_subscriptions).

The sandbox provider answers at once, so the job would run ahead of the subscriber and each
event would be read after the next state change; the tests hold the provider call (`gated`),
as a real provider call takes time, and so read every state while it is current.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from gql import gql
from gql.transport.exceptions import TransportQueryError

from reelpay.events import payouts_channel
from reelpay.payouts.provider import PayoutRequest, PayoutResult
from tests import test_subscriptions
from tests.factories import (
    User,
    add_paypal,
    credit_earnings,
    make_staff,
    new_key,
    set_standing,
    sign_up,
)
from tests.test_subscriptions import TIMEOUT, Server, subscribed

pytestmark = pytest.mark.usefixtures("verify_ledger")

serve = test_subscriptions.serve  # uvicorn servers on free ports, stopped after the test

PAYOUT_UPDATES = gql(
    """
    subscription {
      payoutUpdates {
        payout { id status trigger amount { amount } attempts failureCode nextAttemptAt }
      }
    }
    """
)
LEASE_END = "2026-06-15T12:05:00+00:00"  # START + payout_lease_seconds (300)
RUN_SUMMARY = "scheduled paid failed retrying"


class Gate:
    """Holds each provider call until the test opens the gate."""

    def __init__(self, send: Callable[[PayoutRequest], Any]) -> None:
        self._send = send
        self.calls = 0
        self.opened = asyncio.Event()

    async def send(self, request: PayoutRequest) -> PayoutResult:
        self.calls += 1
        await self.opened.wait()
        result: PayoutResult = await self._send(request)
        return result


@pytest.fixture
async def gated(serve: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """`gated(server)` puts a closed Gate in front of that server's payout provider."""
    gates: list[Gate] = []

    def hold(server: Server) -> Gate:
        provider = server.app.state.services.payouts
        gate = Gate(provider.send)
        monkeypatch.setattr(provider, "send", gate.send)
        gates.append(gate)
        return gate

    yield hold
    for gate in gates:  # let a job a failed test left waiting finish before the servers stop
        gate.opened.set()


async def creator_with_paypal(api: Any, handle: str, email: str | None = None) -> User:
    """A creator with 150.00 USD available and a PayPal default method."""
    creator = await sign_up(api, handle)
    await credit_earnings(api.engine, creator, 15_000)
    await add_paypal(api, creator, email)
    return creator


async def request_payout(server: Server, creator: User, cents: int = 10_000) -> str:
    payload = await server.mutate(
        "requestPayout",
        {"amountCents": cents, "idempotencyKey": new_key()},
        "payout { id }",
        creator.token,
    )
    return str(payload["payout"]["id"])


def start_job(server: Server, staff: User, **input: Any) -> asyncio.Task[Any]:
    """`runPayouts` through `server`, running while the test reads the stream."""
    return asyncio.create_task(server.mutate("runPayouts", input, RUN_SUMMARY, staff.token))


async def finished(job: asyncio.Task[Any]) -> dict[str, Any]:
    summary: dict[str, Any] = await asyncio.wait_for(job, TIMEOUT)
    summary.pop("userErrors")
    return summary


def summary(scheduled: int = 0, paid: int = 0, failed: int = 0, retrying: int = 0) -> dict:
    return {"scheduled": scheduled, "paid": paid, "failed": failed, "retrying": retrying}


def shown(
    payout_id: str,
    status: str,
    *,
    attempts: int,
    failure: str | None = None,
    next_at: str | None = None,
    trigger: str = "REQUESTED",
    amount: str = "100.00",
) -> dict[str, Any]:
    """What a `payoutUpdates` event should carry."""
    return {
        "id": payout_id,
        "status": status,
        "trigger": trigger,
        "amount": {"amount": amount},
        "attempts": attempts,
        "failureCode": failure,
        "nextAttemptAt": next_at,
    }


async def next_payout(stream: Any) -> dict[str, Any]:
    payout: dict[str, Any] = (await stream.next())["payoutUpdates"]["payout"]
    return payout


async def test_a_creator_sees_requested_processing_then_paid_in_order(api, serve, gated):
    server = await serve()
    gate = gated(server)
    creator = await creator_with_paypal(api, "maker")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(server, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)

        job = start_job(server, staff)
        # Claimed: on its way, leased to this run until the lease ends.
        claimed = await next_payout(stream)
        assert claimed == shown(payout_id, "PROCESSING", attempts=1, next_at=LEASE_END)
        assert gate.calls == 1
        gate.opened.set()
        assert await next_payout(stream) == shown(payout_id, "PAID", attempts=1)
        assert await finished(job) == summary(paid=1)


async def test_a_rejected_payout_streams_failed_with_its_code(api, serve, gated):
    server = await serve()
    gate = gated(server)
    creator = await creator_with_paypal(api, "maker", "payout-fail@paypal.example")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(server, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)
        job = start_job(server, staff)
        claimed = await next_payout(stream)
        assert claimed == shown(payout_id, "PROCESSING", attempts=1, next_at=LEASE_END)
        gate.opened.set()
        failed = await next_payout(stream)
        assert failed == shown(payout_id, "FAILED", attempts=1, failure="RECIPIENT_REJECTED")
        assert await finished(job) == summary(failed=1)


async def test_a_payout_of_a_suspended_creator_streams_failed_without_processing(api, serve, gated):
    server = await serve()
    gate = gated(server)
    creator = await creator_with_paypal(api, "maker")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(server, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)
        await set_standing(api.engine, creator, "RESTRICTED")
        job = start_job(server, staff)
        # The very next event is the failure: it was never claimed nor sent.
        failed = await next_payout(stream)
        assert failed == shown(payout_id, "FAILED", attempts=0, failure="ACCOUNT_SUSPENDED")
        assert await finished(job) == summary(failed=1)
    assert gate.calls == 0


async def test_a_transient_failure_streams_each_retry_until_it_fails_for_good(
    api, serve, gated, clock
):
    server = await serve()
    gate = gated(server)
    creator = await creator_with_paypal(api, "maker", "payout-unavailable@paypal.example")
    staff = await make_staff(api, api.engine)
    unavailable = "PROVIDER_UNAVAILABLE"

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(server, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)

        job = start_job(server, staff)
        claimed = await next_payout(stream)
        assert claimed == shown(payout_id, "PROCESSING", attempts=1, next_at=LEASE_END)
        gate.opened.set()
        retry = await next_payout(stream)
        assert retry == shown(
            payout_id, "PROCESSING", attempts=1, failure=unavailable,
            next_at="2026-06-15T12:01:00+00:00",
        )  # fmt: skip
        assert await finished(job) == summary(retrying=1)

        # Each later attempt streams one event, its retry (60 s * 2^(attempts-1) later): a
        # second event per attempt would show up here instead of the next attempt's.
        schedule = [
            ("2026-06-15T12:01:00+00:00", 2, "2026-06-15T12:03:00+00:00"),
            ("2026-06-15T12:03:00+00:00", 3, "2026-06-15T12:07:00+00:00"),
            ("2026-06-15T12:07:00+00:00", 4, "2026-06-15T12:15:00+00:00"),
        ]
        for now, attempts, next_at in schedule:
            clock.set(datetime.fromisoformat(now))
            job = start_job(server, staff)
            retry = await next_payout(stream)
            assert retry == shown(
                payout_id, "PROCESSING", attempts=attempts, failure=unavailable, next_at=next_at
            )
            assert await finished(job) == summary(retrying=1)

        clock.set(datetime.fromisoformat("2026-06-15T12:15:00+00:00"))
        job = start_job(server, staff)
        failed = await next_payout(stream)
        assert failed == shown(payout_id, "FAILED", attempts=5, failure=unavailable)
        assert await finished(job) == summary(failed=1)
    assert gate.calls == 5


async def test_a_scheduled_payout_created_by_the_job_streams_from_requested(api, serve, gated):
    server = await serve()
    gate = gated(server)
    creator = await creator_with_paypal(api, "maker")
    staff = await make_staff(api, api.engine)
    # 2026-06-15 is a Monday: today is a schedule date.
    await server.mutate(
        "setPayoutSchedule", {"frequency": "WEEKLY", "weekday": 1}, "schedule { frequency }",
        creator.token,
    )  # fmt: skip

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        job = start_job(server, staff)
        requested = await next_payout(stream)
        payout_id = requested["id"]
        # The job claims the payout right after creating it, and an event's `payout` is read
        # when it is delivered: a late REQUESTED event may show it claimed already (never
        # further: the gate holds the provider call).
        assert requested in (
            shown(payout_id, "REQUESTED", attempts=0, trigger="SCHEDULED", amount="150.00"),
            shown(
                payout_id, "PROCESSING", attempts=1, next_at=LEASE_END, trigger="SCHEDULED",
                amount="150.00",
            ),
        )  # fmt: skip
        claimed = await next_payout(stream)
        assert claimed == shown(
            payout_id, "PROCESSING", attempts=1, next_at=LEASE_END, trigger="SCHEDULED",
            amount="150.00",
        )  # fmt: skip
        gate.opened.set()
        paid = await next_payout(stream)
        assert paid == shown(payout_id, "PAID", attempts=1, trigger="SCHEDULED", amount="150.00")
        assert await finished(job) == summary(scheduled=1, paid=1)


async def test_a_retried_payout_streams_requested_again_then_paid(api, serve, gated):
    server = await serve()
    gate = gated(server)
    gate.opened.set()
    creator = await creator_with_paypal(api, "maker", "payout-fail@paypal.example")
    staff = await make_staff(api, api.engine)
    payout_id = await request_payout(server, creator)
    assert await finished(start_job(server, staff)) == summary(failed=1)
    await add_paypal(api, creator, "maker@paypal.example", makeDefault=True)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        await server.mutate("retryPayout", {"payoutId": payout_id}, "payout { id }", staff.token)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)
        gate.opened.clear()
        job = start_job(server, staff)
        claimed = await next_payout(stream)
        assert claimed == shown(payout_id, "PROCESSING", attempts=1, next_at=LEASE_END)
        gate.opened.set()
        assert await next_payout(stream) == shown(payout_id, "PAID", attempts=1)
        assert await finished(job) == summary(paid=1)


async def test_another_creators_payouts_never_reach_your_subscription(api, serve, gated):
    server = await serve()
    gated(server).opened.set()
    maker = await creator_with_paypal(api, "maker")
    failing = await creator_with_paypal(api, "failing", "payout-fail@paypal.example")
    other = await creator_with_paypal(api, "other")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(other.pk), token=other.token
    ) as stream:
        await request_payout(server, maker)
        await request_payout(server, failing)
        assert await finished(start_job(server, staff)) == summary(paid=1, failed=1)
        # Published after all of theirs: if any of theirs reached us, it would come first.
        own = await request_payout(server, other)
        assert await next_payout(stream) == shown(own, "REQUESTED", attempts=0)


async def test_payout_updates_need_a_logged_in_viewer(serve):
    server = await serve()
    async with subscribed(server, PAYOUT_UPDATES, "none") as stream:
        with pytest.raises(TransportQueryError) as raised:
            await stream.next()
    assert raised.value.errors
    error = raised.value.errors[0]
    assert error == {
        "message": "Log in first: send `Authorization: Bearer <token>`.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


async def test_payout_updates_stop_when_the_session_is_revoked(api, serve, gated):
    server = await serve()
    gated(server).opened.set()
    creator = await creator_with_paypal(api, "maker")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        server, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(server, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)
        await api.mutate("logOut", {}, "revokedSessions", creator.token)
        assert await finished(start_job(server, staff)) == summary(paid=1)
        with pytest.raises(TransportQueryError) as raised:
            await stream.next()
    assert raised.value.errors
    assert raised.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_payout_events_caused_on_one_worker_reach_a_subscriber_on_another(api, serve, gated):
    worker_a, worker_b = await serve(), await serve()
    gate = gated(worker_a)
    creator = await creator_with_paypal(api, "maker")
    staff = await make_staff(api, api.engine)

    async with subscribed(
        worker_b, PAYOUT_UPDATES, payouts_channel(creator.pk), token=creator.token
    ) as stream:
        payout_id = await request_payout(worker_a, creator)
        assert await next_payout(stream) == shown(payout_id, "REQUESTED", attempts=0)
        job = start_job(worker_a, staff)
        claimed = await next_payout(stream)
        assert claimed == shown(payout_id, "PROCESSING", attempts=1, next_at=LEASE_END)
        gate.opened.set()
        assert await next_payout(stream) == shown(payout_id, "PAID", attempts=1)
        assert await finished(job) == summary(paid=1)
    assert worker_a.broker is not worker_b.broker
