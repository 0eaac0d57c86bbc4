"""Payouts end to end: a creator links PayPal, requests a payout, the job pays it."""

from __future__ import annotations

import pytest

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
