"""requestPayout through the API: threshold, daily cap, earnings, method, standing, idempotency,
the order of the checks, and concurrent requests on both databases.

Every refusal asserts that nothing moved: the wallet is unchanged and no payout was created.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reelpay.payouts import processing
from reelpay.wallet import earnings
from tests.factories import (
    User,
    add_paypal,
    credit_earnings,
    new_key,
    set_standing,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("verify_ledger")

AMOUNT = ["input", "amountCents"]
KEY = ["input", "idempotencyKey"]
METHOD = ["input", "methodId"]

PAYLOAD = (
    "payout { id status trigger amount { minorUnits currency } method { id } }"
    " wallet { earnings { minorUnits } inPayout { minorUnits } }"
)
STATE = """
{ viewer {
    wallet { earnings { minorUnits } pendingEarnings { minorUnits } inPayout { minorUnits }
             paidOut { minorUnits } }
    payouts { history(first: 50) { totalCount
      edges { node { id status amount { minorUnits } method { id } } } } }
} }
"""
REQUEST_QUERY = (
    "mutation($input: RequestPayoutInput!) { requestPayout(input: $input) "
    "{ payout { id } userErrors { code field } } }"
)


# --- helpers -------------------------------------------------------------------------------


async def creator(api: Any, cents: int, *, email: str | None = None, method: bool = True) -> User:
    """A creator with `cents` of available earnings and (by default) a PayPal method."""
    user = await sign_up(api)
    if cents:
        await credit_earnings(api.engine, user, cents)
    if method:
        await add_paypal(api, user, email)
    return user


async def request(
    api: Any,
    user: User,
    amount: int,
    *,
    key: str | None = None,
    method_id: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    input: dict[str, Any] = {
        "amountCents": amount,
        "idempotencyKey": new_key() if key is None else key,
    }
    if method_id is not None:
        input["methodId"] = method_id
    return await api.mutate("requestPayout", input, PAYLOAD, token=token or user.token)


async def state(api: Any, user: User) -> dict[str, Any]:
    """The wallet balances (cents) and every payout (newest first) as the creator sees them."""
    viewer = (await api.data(STATE, token=user.token))["viewer"]
    wallet = viewer["wallet"]
    history = viewer["payouts"]["history"]
    payouts = [
        {
            "id": e["node"]["id"],
            "status": e["node"]["status"],
            "amount": e["node"]["amount"]["minorUnits"],
            "method": e["node"]["method"]["id"],
        }
        for e in history["edges"]
    ]
    assert history["totalCount"] == len(payouts)
    return {
        "earnings": wallet["earnings"]["minorUnits"],
        "pending": wallet["pendingEarnings"]["minorUnits"],
        "inPayout": wallet["inPayout"]["minorUnits"],
        "paidOut": wallet["paidOut"]["minorUnits"],
        "payouts": payouts,
    }


def accepted(payload: dict[str, Any], amount: int, earnings: int, in_payout: int) -> str:
    """Assert a successful request of `amount` whose wallet shows the hold; returns its ID."""
    assert payload["userErrors"] == [], payload["userErrors"]
    payout = payload["payout"]
    assert payout["status"] == "REQUESTED"
    assert payout["trigger"] == "REQUESTED"
    assert payout["amount"] == {"minorUnits": amount, "currency": "USD"}
    assert payload["wallet"] == {
        "earnings": {"minorUnits": earnings},
        "inPayout": {"minorUnits": in_payout},
    }
    return payout["id"]


async def refused(
    api: Any,
    user: User,
    amount: int,
    code: str,
    field: list[str] | None = AMOUNT,
    **kwargs: Any,
) -> None:
    """Request and assert the refusal with `code` on `field`, and that nothing moved."""
    before = await state(api, user)
    payload = await request(api, user, amount, **kwargs)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert payload["payout"] is None
    assert payload["wallet"] is None
    assert await state(api, user) == before


async def credit_pending(api: Any, user: User, cents: int, *, days: int) -> None:
    """Credit `cents` of REWARDS earnings held for `days` (as a configured hold would)."""
    from reelpay.db import create_sessionmaker, run_write
    from reelpay.wallet import ledger
    from reelpay.wallet.models import (
        EarningsHold,
        EarningsSource,
        LedgerAccountKind,
        TransactionKind,
    )

    now = api.app.state.services.clock.now()
    async with create_sessionmaker(api.engine)() as session:

        async def work() -> None:
            transaction = await ledger.post(
                session,
                kind=TransactionKind.REWARDS_ACCRUAL,
                legs=[
                    (ledger.platform(LedgerAccountKind.CREATOR_PAYABLES), -cents),
                    (ledger.user(user.pk, LedgerAccountKind.EARNINGS_PENDING), cents),
                ],
                now=now,
                earnings_source=EarningsSource.REWARDS,
                memo="test pending earnings",
            )
            session.add(
                EarningsHold(
                    transaction_id=transaction.id,
                    owner_id=user.pk,
                    source=EarningsSource.REWARDS,
                    amount=cents,
                    release_at=now + timedelta(days=days),
                )
            )

        await run_write(session, work)


async def run_job(api: Any, settings: Any, clock: Any) -> processing.RunSummary:
    services = api.app.state.services
    return await processing.run(
        services.sessionmaker, services.payouts, now=clock.now(), settings=settings
    )


# --- threshold, earnings, cap --------------------------------------------------------------


async def test_9999_cents_is_below_the_threshold(api):
    user = await creator(api, 200_000)
    await refused(api, user, 9_999, "BELOW_PAYOUT_THRESHOLD")


async def test_exactly_the_threshold_is_held_at_once(api):
    user = await creator(api, 200_000)
    payout_id = accepted(await request(api, user, 10_000), 10_000, 190_000, 10_000)
    after = await state(api, user)
    assert after["earnings"] == 190_000
    assert after["inPayout"] == 10_000
    assert [(p["id"], p["status"], p["amount"]) for p in after["payouts"]] == [
        (payout_id, "REQUESTED", 10_000)
    ]


@pytest.mark.parametrize("amount", [0, -1, -10_000])
async def test_zero_and_negative_amounts_are_below_the_threshold(api, amount):
    user = await creator(api, 200_000)
    await refused(api, user, amount, "BELOW_PAYOUT_THRESHOLD")


async def test_the_daily_cap_itself_is_allowed(api):
    user = await creator(api, 200_000)
    accepted(await request(api, user, 100_000), 100_000, 100_000, 100_000)


async def test_one_cent_over_the_daily_cap_is_refused(api):
    user = await creator(api, 200_000)
    await refused(api, user, 100_001, "DAILY_PAYOUT_CAP_REACHED")


async def test_one_cent_more_than_available_is_refused(api):
    user = await creator(api, 14_999)
    await refused(api, user, 15_000, "INSUFFICIENT_EARNINGS")


async def test_everything_available_can_be_requested_and_is_then_gone(api):
    user = await creator(api, 15_000)
    accepted(await request(api, user, 15_000), 15_000, 0, 15_000)
    await refused(api, user, 10_000, "INSUFFICIENT_EARNINGS")


async def test_pending_earnings_cannot_be_paid_out_until_released(api, clock):
    user = await creator(api, 9_000)
    await credit_pending(api, user, 100_000, days=7)
    await refused(api, user, 10_000, "INSUFFICIENT_EARNINGS")

    clock.set(datetime(2026, 6, 22, 12, 0, tzinfo=UTC))
    services = api.app.state.services
    assert await earnings.release_due(services.sessionmaker, now=clock.now()) == (1, 100_000)
    accepted(await request(api, user, 100_000), 100_000, 9_000, 100_000)
    after = await state(api, user)
    assert (after["earnings"], after["pending"], after["inPayout"]) == (9_000, 0, 100_000)


async def test_requests_add_up_toward_the_cap_of_one_utc_day(api, clock):
    user = await creator(api, 400_000)
    accepted(await request(api, user, 60_000), 60_000, 340_000, 60_000)
    await refused(api, user, 40_001, "DAILY_PAYOUT_CAP_REACHED")
    accepted(await request(api, user, 40_000), 40_000, 300_000, 100_000)
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")

    clock.set(datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC))  # still the same UTC day
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")

    clock.set(datetime(2026, 6, 16, 0, 0, tzinfo=UTC))  # the next UTC day: a full cap again
    await refused(api, user, 100_001, "DAILY_PAYOUT_CAP_REACHED")
    accepted(await request(api, user, 100_000), 100_000, 200_000, 200_000)
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")


async def test_a_payout_at_235959_counts_for_its_own_day_not_the_next(api, clock):
    user = await creator(api, 300_000)
    clock.set(datetime(2026, 6, 15, 23, 59, 59, tzinfo=UTC))
    accepted(await request(api, user, 100_000), 100_000, 200_000, 100_000)
    clock.set(datetime(2026, 6, 16, 0, 0, tzinfo=UTC))
    accepted(await request(api, user, 100_000), 100_000, 100_000, 200_000)


async def test_a_failed_payout_no_longer_counts_toward_the_cap(api, clock, settings):
    user = await creator(api, 200_000, email="payout-fail@paypal.example")
    failing = accepted(await request(api, user, 100_000), 100_000, 100_000, 100_000)
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")

    summary = await run_job(api, settings, clock)
    assert (summary.paid, summary.failed, summary.retrying) == (0, 1, 0)
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"], after["paidOut"]) == (200_000, 0, 0)
    assert [(p["id"], p["status"]) for p in after["payouts"]] == [(failing, "FAILED")]

    await refused(api, user, 100_001, "DAILY_PAYOUT_CAP_REACHED")
    again = accepted(await request(api, user, 100_000), 100_000, 100_000, 100_000)
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")
    assert [(p["id"], p["status"]) for p in (await state(api, user))["payouts"]] == [
        (again, "REQUESTED"),
        (failing, "FAILED"),
    ]


async def test_a_paid_payout_still_counts_toward_the_cap(api, clock, settings):
    user = await creator(api, 200_000)
    accepted(await request(api, user, 100_000), 100_000, 100_000, 100_000)
    summary = await run_job(api, settings, clock)
    assert (summary.paid, summary.failed) == (1, 0)
    await refused(api, user, 10_000, "DAILY_PAYOUT_CAP_REACHED")
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"], after["paidOut"]) == (100_000, 0, 100_000)


# --- method and standing -------------------------------------------------------------------


async def test_without_a_payout_method_it_is_refused(api):
    user = await creator(api, 200_000, method=False)
    await refused(api, user, 10_000, "PAYOUT_METHOD_REQUIRED", field=None)


async def test_after_removing_the_only_method_it_is_refused(api):
    user = await creator(api, 200_000, method=False)
    method_id = await add_paypal(api, user)
    removed = await api.mutate(
        "removePayoutMethod", {"methodId": method_id}, "removedMethodId", token=user.token
    )
    assert removed["userErrors"] == []
    await refused(api, user, 10_000, "PAYOUT_METHOD_REQUIRED", field=None)
    await refused(api, user, 10_000, "NOT_FOUND", field=METHOD, method_id=method_id)


@pytest.mark.parametrize("method_id", ["not-an-id", "QWNjb3VudDox"])
async def test_a_method_id_that_is_not_a_payout_methods_is_refused(api, method_id):
    user = await creator(api, 200_000)
    await refused(api, user, 10_000, "INVALID_ID", field=METHOD, method_id=method_id)


@pytest.mark.parametrize("standing", ["RESTRICTED", "BANNED"])
async def test_restricted_and_banned_creators_cannot_request(api, standing):
    user = await creator(api, 200_000)
    await set_standing(api.engine, user, standing)
    await refused(api, user, 10_000, "PAYOUTS_SUSPENDED", field=None)


async def test_a_warned_creator_can_request(api):
    user = await creator(api, 200_000)
    await set_standing(api.engine, user, "WARNED")
    accepted(await request(api, user, 10_000), 10_000, 190_000, 10_000)


async def test_another_users_method_is_not_found(api):
    user = await creator(api, 200_000)
    other = await sign_up(api)
    theirs = await add_paypal(api, other)
    await refused(api, user, 10_000, "NOT_FOUND", field=METHOD, method_id=theirs)
    other_payouts = (await api.data(STATE, token=other.token))["viewer"]["payouts"]
    assert other_payouts["history"]["totalCount"] == 0


async def test_an_explicit_non_default_method_is_used_and_the_default_otherwise(api):
    user = await creator(api, 200_000, method=False)
    default = await add_paypal(api, user, "main@paypal.example")
    second = await add_paypal(api, user, "second@paypal.example")
    chosen = await request(api, user, 10_000, method_id=second)
    accepted(chosen, 10_000, 190_000, 10_000)
    assert chosen["payout"]["method"] == {"id": second}
    plain = await request(api, user, 20_000)
    accepted(plain, 20_000, 170_000, 30_000)
    assert plain["payout"]["method"] == {"id": default}
    assert [(p["amount"], p["method"]) for p in (await state(api, user))["payouts"]] == [
        (20_000, default),
        (10_000, second),
    ]


# --- order of the checks -------------------------------------------------------------------

# (method, standing, available, amount, expected code, field): each row fails several checks
ORDER = [
    ("none", "BANNED", 5_000, 9_999, "PAYOUT_METHOD_REQUIRED", None),
    ("foreign", "RESTRICTED", 5_000, 9_999, "NOT_FOUND", METHOD),
    ("own", "RESTRICTED", 5_000, 200_000, "PAYOUTS_SUSPENDED", None),
    ("own", "GOOD", 5_000, 9_999, "BELOW_PAYOUT_THRESHOLD", AMOUNT),
    ("own", "GOOD", 50_000, 100_001, "INSUFFICIENT_EARNINGS", AMOUNT),
    ("own", "WARNED", 150_000, 100_001, "DAILY_PAYOUT_CAP_REACHED", AMOUNT),
]


@pytest.mark.parametrize(("method", "standing", "available", "amount", "code", "field"), ORDER)
async def test_the_first_failing_check_is_reported(
    api, method, standing, available, amount, code, field
):
    user = await creator(api, available, method=method == "own")
    method_id = None
    if method == "foreign":
        method_id = await add_paypal(api, await sign_up(api))
    await set_standing(api.engine, user, standing)
    await refused(api, user, amount, code, field=field, method_id=method_id)


async def test_an_invalid_key_is_reported_before_anything_else(api):
    user = await creator(api, 0, method=False)
    await set_standing(api.engine, user, "BANNED")
    await refused(api, user, 0, "INVALID_IDEMPOTENCY_KEY", field=KEY, key=" ")


# --- idempotency ---------------------------------------------------------------------------


async def test_the_same_key_and_arguments_replay_the_payout_and_hold_once(api):
    user = await creator(api, 15_000)
    key = new_key()
    first = accepted(await request(api, user, 15_000, key=key), 15_000, 0, 15_000)
    # Replayed, even though the available earnings would no longer allow it.
    for _ in range(2):
        assert accepted(await request(api, user, 15_000, key=key), 15_000, 0, 15_000) == first
    after = await state(api, user)
    assert [(p["id"], p["amount"]) for p in after["payouts"]] == [(first, 15_000)]
    notes = await api.data(
        "{ viewer { notifications(first: 20) { edges { node { kind } } } } }", token=user.token
    )
    kinds = [e["node"]["kind"] for e in notes["viewer"]["notifications"]["edges"]]
    assert kinds.count("PAYOUT_REQUESTED") == 1


async def test_the_same_key_with_another_amount_is_refused(api):
    user = await creator(api, 200_000)
    key = new_key()
    accepted(await request(api, user, 10_000, key=key), 10_000, 190_000, 10_000)
    await refused(api, user, 10_001, "IDEMPOTENCY_KEY_REUSED", field=KEY, key=key)


async def test_the_same_key_with_another_method_is_refused(api):
    user = await creator(api, 200_000, method=False)
    await add_paypal(api, user, "main@paypal.example")
    second = await add_paypal(api, user, "second@paypal.example")
    key = new_key()
    accepted(await request(api, user, 10_000, key=key), 10_000, 190_000, 10_000)
    await refused(api, user, 10_000, "IDEMPOTENCY_KEY_REUSED", field=KEY, key=key, method_id=second)


async def test_keys_belong_to_one_creator(api):
    ann, bob = await creator(api, 50_000), await creator(api, 50_000)
    ann_payout = accepted(await request(api, ann, 10_000, key="shared"), 10_000, 40_000, 10_000)
    bob_payout = accepted(await request(api, bob, 20_000, key="shared"), 20_000, 30_000, 20_000)
    assert ann_payout != bob_payout


async def test_a_refused_request_does_not_use_up_its_key(api):
    user = await creator(api, 14_000)
    key = new_key()
    await refused(api, user, 9_999, "BELOW_PAYOUT_THRESHOLD", key=key)
    await refused(api, user, 15_000, "INSUFFICIENT_EARNINGS", key=key)
    await credit_earnings(api.engine, user, 1_000)
    # The same key and arguments as the refused request now succeed: nothing was stored.
    payout = accepted(await request(api, user, 15_000, key=key), 15_000, 0, 15_000)
    assert accepted(await request(api, user, 15_000, key=key), 15_000, 0, 15_000) == payout


@pytest.mark.parametrize("key", ["", "k" * 129, " padded", "padded ", "tab\tkey"])
async def test_invalid_keys_are_refused(api, key):
    user = await creator(api, 200_000)
    await refused(api, user, 10_000, "INVALID_IDEMPOTENCY_KEY", field=KEY, key=key)


async def test_a_key_of_128_characters_is_accepted(api):
    user = await creator(api, 200_000)
    key = "k" * 128
    payout = accepted(await request(api, user, 10_000, key=key), 10_000, 190_000, 10_000)
    assert accepted(await request(api, user, 10_000, key=key), 10_000, 190_000, 10_000) == payout


# --- authentication ------------------------------------------------------------------------


async def test_anonymous_requests_are_unauthenticated(api):
    user = await creator(api, 200_000)
    error = await api.error(
        REQUEST_QUERY, {"input": {"amountCents": 10_000, "idempotencyKey": new_key()}}
    )
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await api.error(
        REQUEST_QUERY,
        {"input": {"amountCents": 10_000, "idempotencyKey": new_key()}},
        token="not-a-token",
    )
    assert bad["extensions"]["code"] == "UNAUTHENTICATED"
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"], after["payouts"]) == (200_000, 0, [])


# --- concurrency (both databases) ----------------------------------------------------------


async def raw_request(api: Any, user: User, amount: int, key: str) -> dict[str, Any]:
    response = await api.post(
        REQUEST_QUERY, {"input": {"amountCents": amount, "idempotencyKey": key}}, user.token
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["requestPayout"]


def outcome(payloads: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The payout IDs of the successes and the codes of the refusals."""
    ids, codes = [], []
    for payload in payloads:
        if payload["userErrors"]:
            assert payload["payout"] is None
            codes.extend(e["code"] for e in payload["userErrors"])
        else:
            ids.append(payload["payout"]["id"])
    return ids, codes


async def test_concurrent_requests_cannot_overdraw_the_earnings(api):
    user = await creator(api, 35_000)
    payloads = await asyncio.gather(*(raw_request(api, user, 10_000, new_key()) for _ in range(6)))
    ids, codes = outcome(payloads)
    assert len(set(ids)) == len(ids) == 3
    assert codes == ["INSUFFICIENT_EARNINGS"] * 3
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"]) == (5_000, 30_000)
    assert sorted(p["id"] for p in after["payouts"]) == sorted(ids)


async def test_concurrent_requests_cannot_pass_the_daily_cap(api):
    user = await creator(api, 250_000)
    payloads = await asyncio.gather(*(raw_request(api, user, 10_000, new_key()) for _ in range(12)))
    ids, codes = outcome(payloads)
    assert len(set(ids)) == len(ids) == 10
    assert codes == ["DAILY_PAYOUT_CAP_REACHED"] * 2
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"]) == (150_000, 100_000)
    assert len(after["payouts"]) == 10


async def test_concurrent_requests_with_one_key_make_one_payout(api):
    user = await creator(api, 50_000)
    key = new_key()
    payloads = await asyncio.gather(*(raw_request(api, user, 10_000, key) for _ in range(8)))
    ids, codes = outcome(payloads)
    assert codes == []
    assert len(ids) == 8
    assert len(set(ids)) == 1
    after = await state(api, user)
    assert (after["earnings"], after["inPayout"]) == (40_000, 10_000)
    assert [p["id"] for p in after["payouts"]] == ids[:1]
