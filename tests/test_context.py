"""The operation's Context owns its database session: work it started always runs to its end,
even when the resolver awaiting it or the clean-up itself is cancelled, and nothing runs after."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from reelpay.graphql.context import Context, OperationOver
from tests.factories import sign_up


def new_context(api: Any) -> Context:
    return Context(api.app.state.services, token=None, malformed_auth=False)


async def until(condition: Callable[[], bool]) -> None:
    """Wait (a few seconds at most) for `condition`, letting the loop run meanwhile."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 (a pool counter has no event to wait on)
            await asyncio.sleep(0.01)


def checked_out(api: Any) -> int:
    return api.engine.sync_engine.pool.checkedout()


async def test_a_statement_runs_to_its_end_though_its_resolver_and_close_are_cancelled(api):
    ctx = new_context(api)
    started, go_on = asyncio.Event(), asyncio.Event()
    finished: list[int] = []

    async def slow(session: Any) -> int:
        started.set()
        await go_on.wait()  # the statement is under way when the cancellations come
        value = int(await session.scalar(sa.text("SELECT 41 + 1")))
        finished.append(value)
        return value

    resolver = asyncio.ensure_future(ctx.read(slow))
    await started.wait()
    resolver.cancel()  # graphql-core cancelling a sibling of a failing non-null field
    closing = asyncio.ensure_future(ctx.close())
    await asyncio.sleep(0.01)
    closing.cancel()  # the server shutting down while the operation cleans up
    with pytest.raises(asyncio.CancelledError):
        await resolver
    with pytest.raises(asyncio.CancelledError):
        await closing

    assert finished == []  # the work goes on
    go_on.set()
    await until(lambda: finished == [42] and checked_out(api) == 0)
    with pytest.raises(OperationOver):  # the operation is over: nothing starts after
        await ctx.read(lambda session: session.scalar(sa.text("SELECT 1")))


async def test_a_cancelled_write_still_commits_or_rolls_back_whole(api):
    """A write cut off half way could leave the transaction open on a pooled connection."""
    alice = await sign_up(api, "alice")
    ctx = new_context(api)
    started, go_on = asyncio.Event(), asyncio.Event()

    async def rename(session: Any, _viewer: Any) -> None:
        started.set()
        await go_on.wait()
        await session.execute(
            sa.text("UPDATE accounts SET display_name = 'Renamed' WHERE id = :id"),
            {"id": alice.pk},
        )

    mutation = asyncio.ensure_future(ctx.write(rename, anonymous=True))
    await started.wait()
    mutation.cancel()
    go_on.set()
    await ctx.close()

    data = await api.data('{ account(handle: "alice") { displayName } }')
    assert data == {"account": {"displayName": "Renamed"}}
    assert checked_out(api) == 0


async def test_a_database_call_inside_another_is_refused_not_left_waiting_forever(api):
    ctx = new_context(api)

    async def nested(session: Any) -> Any:
        return await ctx.read(lambda inner: inner.scalar(sa.text("SELECT 1")))

    with pytest.raises(RuntimeError, match="inside another one of the same operation"):
        await ctx.read(nested)
    assert await ctx.read(lambda session: session.scalar(sa.text("SELECT 7"))) == 7
    await ctx.close()
    assert checked_out(api) == 0
