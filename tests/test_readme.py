"""The README's tour works as written, against the demo data."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse, print_ast

from reelpay.db import create_sessionmaker, run_write
from reelpay.demo import DEMO_PASSWORD, seed
from reelpay.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The README says: to try tips locally, start with REELPAY_TIPS_MIN_FOLLOWERS=10.
    return dataclasses.replace(
        settings, rules=dataclasses.replace(settings.rules, tips_min_followers=10)
    )


def last_day_of_month(day: date) -> date:
    following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return following - timedelta(days=1)


def tour_operations() -> list[str]:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
    operations = []
    for block in blocks:
        document = parse(block)
        operations += [
            print_ast(d)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            # Subscriptions need a WebSocket; tests/test_subscriptions.py runs them.
            and d.operation is not OperationType.SUBSCRIPTION
        ]
    return operations


@pytest.mark.dated
async def test_every_tour_operation_runs_without_errors(api, settings, clock, clean_db):
    """The tour as a new user follows it, on the day they do (the clock's)."""
    async with create_sessionmaker(clean_db)() as session:
        await run_write(session, lambda: seed(session, settings=settings, now=clock.now()))
    operations = tour_operations()
    assert len(operations) >= 8
    login, *rest = operations
    assert "mia.dances@demo.reelpay.dev" in login and DEMO_PASSWORD in login
    token = (await api.data(login))["logIn"]["token"]
    assert token
    leo = (
        await api.data(
            '{ account(handle: "chef.leo") { id videos(first: 1) { edges { node { id } } } } }'
        )
    )["account"]
    live = (await api.data('{ account(handle: "chef.leo") { currentLive { id } } }'))["account"]
    ids = {
        "<an Account id>": leo["id"],
        "<a Video id>": leo["videos"]["edges"][0]["node"]["id"],
        "<a LiveStream id>": live["currentLive"]["id"],
        "<a Series id>": (
            await api.data('{ account(handle: "chef.leo") { series { edges { node { id } } } } }')
        )["account"]["series"]["edges"][0]["node"]["id"],
    }
    now = clock.now()
    for placeholder, days in (("<now>", 0), ("<in 14 days>", 14), ("<in 30 days>", 30)):
        ids[placeholder] = (now + timedelta(days=days)).isoformat()
    checked: set[str] = set()
    for operation in rest:
        for placeholder, value in ids.items():
            operation = operation.replace(placeholder, value)
        data = await api.data(operation, token=token)
        if "logIn" in data:  # the tour goes on as whoever it logged in
            assert data["logIn"]["userErrors"] == [], data
            token = data["logIn"]["token"]
        payloads = [v for v in data.values() if isinstance(v, dict) and "userErrors" in v]
        for payload in payloads:
            assert payload["userErrors"] == [], (operation, payload)
        if "purchaseSeries" in data:  # staff refund it later in the tour
            ids["<mia's Series purchase id>"] = data["purchaseSeries"]["purchase"]["id"]
        if "refundSeriesPurchase" in data:
            assert data["refundSeriesPurchase"]["purchase"]["status"] == "REFUNDED"
        if "notifications(first: 1)" in operation:  # mia is told of the refund
            [latest] = data["viewer"]["notifications"]["edges"]
            assert latest["node"]["kind"] == "SERIES_PURCHASE_REFUNDED"
        if "linkVideoSeries" in data:  # chef.leo links his Series from his newest video
            assert data["linkVideoSeries"]["video"]["series"]["id"] == ids["<a Series id>"]
            checked.add("linkVideoSeries")
        videos = (data.get("account") or {}).get("videos") or {"edges": []}
        if any("series" in edge["node"] for edge in videos["edges"]):  # the demo's Series link
            linked = [
                edge["node"]["series"]
                for edge in data["account"]["videos"]["edges"]
                if edge["node"]["series"]
            ]
            assert [(x["title"], x["viewerAccess"]["reason"]) for x in linked] == [
                ("Five-ingredient dinners", "NOT_PURCHASED")
            ]
            checked.add("link")
        # The campaign tour: glow.labs funds a campaign, jin.sings delivers, is paid, withdraws.
        if "createCampaign" in data:
            ids["<the new campaign id>"] = data["createCampaign"]["campaign"]["id"]
        if "fundCampaign" in data:
            money = data["fundCampaign"]["campaign"]["money"]
            assert (money["funded"]["amount"], money["free"]["amount"]) == ("500.00", "500.00")
        if "applyToCampaign" in data:
            ids["<jin's proposal id>"] = data["applyToCampaign"]["proposal"]["id"]
        if "acceptCampaignProposal" in data:
            deal = data["acceptCampaignProposal"]["deal"]
            assert (deal["status"], deal["reserved"]["amount"]) == ("ACTIVE", "250.00")
            ids["<jin's deal id>"] = deal["id"]
        if "publishVideo" in data:
            ids["<jin's new video id>"] = data["publishVideo"]["video"]["id"]
        if "submitDeal" in data:
            [delivered] = data["submitDeal"]["deal"]["deliverables"]
            assert delivered["video"]["paidPartnership"] == {"brand": {"name": "Glow Labs"}}
        if "approveDeal" in data:
            assert data["approveDeal"]["deal"]["paid"]["amount"] == "250.00"
            checked.add("approveDeal")
        if "Campaign" in operation and "node" in data:
            money = data["node"]["money"]
            assert {k: v["amount"] for k, v in money.items()} == {
                "funded": "500.00", "reserved": "0.00", "paid": "250.00", "free": "250.00"
            }  # fmt: skip
        if "requestPayout" in data and "jin-payout" in operation:
            assert data["requestPayout"]["payout"]["amount"]["amount"] == "250.00"
            checked.add("campaign payout")
        if "applyToProgram" in data:  # mia accepts the current terms
            application = data["applyToProgram"]["application"]
            assert application["acceptedTerms"] == {"version": "1"}
            assert application["ageConfirmedAt"] is not None
            checked.add("applyToProgram")
        if "pauseMonetization" in data:
            assert data["pauseMonetization"]["monetization"]["state"] == "PAUSED"
        if "runPayouts" in data:  # chef.leo's requested payout is sent by the sandbox
            ran = data["runPayouts"]
            # and, on a month's last day (his schedule is MONTHLY on the 31st, that is the
            # month's last day), the scheduled one too: he has more than the threshold left.
            due = clock.now().date() == last_day_of_month(clock.now().date())
            assert ran["scheduled"] == (1 if due else 0), ran
            assert (ran["paid"], ran["failed"]) == (1 + ran["scheduled"], 0), ran
        if "analytics" in operation:  # the last 30 days, every one with views
            days = data["viewer"]["analytics"]["days"]
            assert len(days) == 30 and all(day["views"] > 0 for day in days)
        if "earningsByDay" in operation:  # chef.leo's 24 Series sales, 6.99 USD each
            days = data["viewer"]["wallet"]["earningsByDay"]
            assert len(days) == 30
            assert sum(Decimal(day["total"]["amount"]) for day in days) >= 24 * Decimal("6.99")
    # issue 15's and issue 16's tour steps ran
    assert checked == {
        "link", "linkVideoSeries", "applyToProgram", "approveDeal", "campaign payout"
    }  # fmt: skip


def sandbox_operations() -> list[str]:
    """The operations of "Moving time in the sandbox" (blocks fenced as `graphql sandbox`)."""
    blocks = re.findall(r"```graphql sandbox\n(.*?)```", README.read_text(), re.S)
    return [
        print_ast(d)
        for block in blocks
        for d in parse(block).definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def expected_code(operation: str, source: str) -> str | None:
    """The `# expect: CODE` comment the README puts inside an operation (print_ast drops it)."""
    for block in re.findall(r"```graphql sandbox\n(.*?)```", source, re.S):
        for chunk in block.split("\n\n"):
            found = re.search(r"# expect: (\w+)", chunk)
            if found and print_ast(parse(chunk)) == operation:
                return found.group(1)
    return None


@pytest.mark.dated
async def test_the_sandbox_clock_walkthrough_closes_a_refund_window_and_pays_a_weekly_payout(
    api, settings, clock, clean_db
):
    """As written, on fresh demo data: after 8 days the refund is refused and chef.leo's weekly
    payout, due 3 days after the demo was loaded, is paid at the moved time."""
    async with create_sessionmaker(clean_db)() as session:
        await run_write(session, lambda: seed(session, settings=settings, now=clock.now()))
    source = README.read_text()
    operations = sandbox_operations()
    assert len(operations) == 8
    series_id = (
        await api.data('{ account(handle: "chef.leo") { series { edges { node { id } } } } }')
    )["account"]["series"]["edges"][0]["node"]["id"]
    ids = {"<a Series id>": series_id}
    token = None
    seen: dict[str, Any] = {}
    for operation in operations:
        expected = expected_code(operation, source)
        for placeholder, value in ids.items():
            operation = operation.replace(placeholder, value)
        data = await api.data(operation, token=token)
        if "logIn" in data:
            token = data["logIn"]["token"]
        payloads = [v for v in data.values() if isinstance(v, dict) and "userErrors" in v]
        for payload in payloads:
            codes = [error["code"] for error in payload["userErrors"]]
            assert codes == ([expected] if expected else []), (operation, payload)
        if "purchaseSeries" in data:
            ids["<mia's purchase id>"] = data["purchaseSeries"]["purchase"]["id"]
        seen.update(data)

    day = timedelta(days=1)
    assert seen["advanceSandboxClock"]["sandboxClock"]["offsetSeconds"] == 8 * 86_400
    moved = datetime.fromisoformat(seen["advanceSandboxClock"]["sandboxClock"]["now"])
    assert moved == clock.now() + 8 * day
    refund = seen["refundSeriesPurchase"]
    assert refund["purchase"] is None
    assert seen["runPayouts"] == {
        "scheduled": 1, "paid": 1, "failed": 0, "retrying": 0, "userErrors": []
    }  # fmt: skip
    [paid] = [edge["node"] for edge in seen["payouts"]["edges"]]
    assert paid["creator"] == {"handle": "chef.leo"}
    assert paid["trigger"] == "SCHEDULED"
    assert paid["scheduledFor"] == (clock.now() + 3 * day).date().isoformat()
    assert datetime.fromisoformat(paid["paidAt"]) == moved
