"""Identity checks run before timing: Reelpay and the raw app must answer the same bytes.

Reads are compared byte for byte. The Series page's signed links depend on the instant they are
made: each link must verify with the servers' key and expire `playback_url_ttl_seconds` after
the request, then `expires`, `sig` and `expiresAt` are replaced by placeholders and the rest
compared byte for byte. Writes: the two fans kept out of the load (`CHECK_FANS`), who hold the
same balance, send the same mutation, one to each server; the answers must match once the new
purchase's ID is normalised, and so must the ledger transactions they wrote. `approveDeal`: two
deals alike in every amount (bench/marketplace.py `check_deals`), one approved through each
server; the answers must match once the deal's ID is normalised, and so must everything the
approval wrote: the campaign's and the deal's rows, the ledger transaction, the notifications and
the live events (outbox), with the IDs that differ named by role.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sqlalchemy as sa
from bench.scenarios import DOCUMENTS

from reelpay.db import create_engine
from reelpay.events.models import OutboxEvent
from reelpay.marketplace.models import Campaign, Deal
from reelpay.notifications.models import Notification
from reelpay.series import access
from reelpay.wallet.models import LedgerAccount, LedgerPosting, LedgerTransaction

CHECK_FANS = (-1, -2)  # indexes in the manifest's fans: Reelpay's and the raw app's
TTL_SECONDS = 300


class Mismatch(SystemExit):
    """The two servers answered differently: the bench stops."""


def post(url: str, body: dict[str, Any], token: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(url, json=body, headers=headers, timeout=30)
    if response.status_code != 200:
        raise Mismatch(f"{url} answered {response.status_code}: {response.text[:300]}")
    return response.content


def same(scenario: str, reelpay: bytes, raw: bytes) -> None:
    if reelpay != raw:
        at = next((i for i, (a, b) in enumerate(zip(reelpay, raw, strict=False)) if a != b), 0)
        raise Mismatch(
            f"FAILED identity check ({scenario}): the bodies differ at byte {at}:\n"
            f"  Reelpay: ...{reelpay[max(0, at - 80) : at + 120]!r}\n"
            f"  raw:     ...{raw[max(0, at - 80) : at + 120]!r}"
        )


def both(reelpay: str, raw: str, scenario: str, body: dict[str, Any], tokens=(None, None)):
    return (
        post(f"{reelpay}/graphql", body, tokens[0]),
        post(f"{raw}/raw/{scenario}", body, tokens[1]),
    )


def check_profile(reelpay: str, raw: str, manifest: dict[str, Any], *_: Any) -> None:
    for n in random.sample(range(manifest["creators"]), 5):
        body = {"query": DOCUMENTS["profile"], "variables": {"handle": f"creator{n:05d}"}}
        same("profile", *both(reelpay, raw, "profile", body))


def check_plain(scenario: str) -> Callable[..., None]:
    def check(reelpay: str, raw: str, *_: Any) -> None:
        same(scenario, *both(reelpay, raw, scenario, {"query": DOCUMENTS[scenario]}))

    return check


def check_series(reelpay: str, raw: str, manifest: dict[str, Any], _: str, secret: str) -> None:
    body = {"query": DOCUMENTS["series"], "variables": {"id": manifest["page_series_id"]}}
    token = manifest["fan_tokens"][0]
    started = datetime.now(UTC)
    answers = both(reelpay, raw, "series", body, (token, token))
    finished = datetime.now(UTC)
    same("series", *(links_checked(a, secret, token, started, finished) for a in answers))


def links_checked(
    answer: bytes, secret: str, token: str, started: datetime, finished: datetime
) -> bytes:
    """The answer with each verified playback link's instant-dependent parts as placeholders."""
    data = json.loads(answer)
    episodes = data["data"]["node"]["episodes"]
    if not episodes or not all(e["playback"]["url"] for e in episodes):
        raise Mismatch(f"the Series page has no playback links: {answer[:300]!r}")
    for episode in episodes:
        playback = episode["playback"]
        link = urlsplit(playback["url"])
        query = {k: v[0] for k, v in parse_qs(link.query).items()}
        key = link.path.removeprefix(access.MEDIA_PREFIX)
        problem = access.check_link(
            secret, key, token, query.get("expires"), query.get("sig"), now=started
        )
        expires_at = datetime.fromisoformat(playback["expiresAt"])
        window = (
            started + timedelta(seconds=TTL_SECONDS),
            finished + timedelta(seconds=TTL_SECONDS),
        )
        if problem is not None or not window[0] <= expires_at <= window[1]:
            raise Mismatch(f"a playback link does not verify ({problem}): {playback}")
        if int(query["expires"]) != int(expires_at.timestamp()):
            raise Mismatch(f"`expires` and `expiresAt` disagree: {playback}")
    text = answer.decode()
    text = re.sub(r"expires=\d+&sig=[0-9a-f]{64}", "expires=E&sig=S", text)
    return re.sub(r'"expiresAt":"[^"]+"', '"expiresAt":"T"', text).encode()


def check_write(scenario: str, variables: Callable[[dict[str, Any]], dict[str, Any]]):
    """Same mutation from the two check fans, one per server; answers and ledger compared."""

    def check(reelpay: str, raw: str, manifest: dict[str, Any], database_url: str, *_: Any):
        body = {"query": DOCUMENTS[scenario], "variables": variables(manifest)}
        tokens = tuple(manifest["fan_tokens"][i] for i in CHECK_FANS)
        answers = both(reelpay, raw, scenario, body, tokens)
        same(scenario, *(normalised_ids(a) for a in answers))
        actors = [manifest["fan_ids"][i] for i in CHECK_FANS]
        effects = asyncio.run(ledger_effects(database_url, actors))
        if effects[0] != effects[1] or not effects[0]:
            raise Mismatch(
                f"FAILED identity check ({scenario}): the ledger effects differ:\n"
                f"  Reelpay: {effects[0]}\n  raw:     {effects[1]}"
            )

    return check


def normalised_ids(answer: bytes) -> bytes:
    return re.sub(rb'"purchase":\{"id":"[^"]+"', b'"purchase":{"id":"ID"', answer)


async def ledger_effects(database_url: str, actors: list[int]) -> list[list[Any]]:
    """Each actor's latest ledger transaction: its postings with the actor's own account named
    "actor" and the balance after kept for that account only."""
    engine = create_engine(database_url)
    found = []
    try:
        async with engine.connect() as conn:
            for actor in actors:
                tx = (
                    await conn.execute(
                        sa.select(
                            LedgerTransaction.id, LedgerTransaction.kind,
                            LedgerTransaction.memo, LedgerTransaction.earnings_source,
                        )
                        .where(LedgerTransaction.actor_id == actor)
                        .order_by(LedgerTransaction.id.desc())
                        .limit(1)
                    )
                ).one()  # fmt: skip
                postings = await conn.execute(
                    sa.select(
                        LedgerAccount.kind, LedgerAccount.owner_id, LedgerPosting.asset,
                        LedgerPosting.amount, LedgerPosting.balance_after,
                    )
                    .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
                    .where(LedgerPosting.transaction_id == tx.id)
                    .order_by(LedgerAccount.kind)
                )  # fmt: skip
                found.append(
                    [
                        (tx.kind, tx.memo, tx.earnings_source),
                        *(
                            # Another owner's balance moved by both checks in turn: not kept.
                            (kind, "actor", asset, amount, after)
                            if owner == actor
                            else (kind, owner, asset, amount, None)
                            for kind, owner, asset, amount, after in postings
                        ),
                    ]
                )
    finally:
        await engine.dispose()
    return found


def check_campaigns(reelpay: str, raw: str, manifest: dict[str, Any], *_: Any) -> None:
    for token in random.sample(manifest["marketplace"]["viewer_tokens"], 5):
        body = {"query": DOCUMENTS["campaigns"]}
        answers = both(reelpay, raw, "campaigns", body, (token, token))
        if b'"edges":[{' not in answers[0]:
            raise Mismatch(f"the browse lists no campaign: {answers[0][:300]!r}")
        same("campaigns", *answers)


def check_approve(scenario: str) -> Callable[..., None]:
    """The two check deals of `scenario`, one approved through each server."""

    def check(reelpay: str, raw: str, manifest: dict[str, Any], database_url: str, *_: Any):
        pair = manifest["marketplace"]["checks"][scenario]
        answers = [
            post(
                url,
                {"query": DOCUMENTS[scenario], "variables": {"input": {"dealId": item["deal"]}}},
                item["token"],
            )
            for url, item in zip((f"{reelpay}/graphql", f"{raw}/raw/{scenario}"), pair, strict=True)
        ]
        if b'"status":"APPROVED"' not in answers[0]:
            raise Mismatch(f"approveDeal did not approve: {answers[0][:300]!r}")
        same(
            scenario,
            *(re.sub(rb'"deal":\{"id":"[^"]+"', b'"deal":{"id":"ID"', a) for a in answers),
        )
        effects = asyncio.run(approval_effects(database_url, pair))
        if effects[0] != effects[1]:
            raise Mismatch(
                f"FAILED identity check ({scenario}): what the approvals wrote differs:\n"
                f"  Reelpay: {effects[0]}\n  raw:     {effects[1]}"
            )

    return check


def _roles(item: dict[str, Any], transaction_id: int | None = None) -> Callable[[Any], Any]:
    """Replaces the IDs of a check deal (its campaign, deal and transaction) in event payloads,
    notification data and memos by their role."""
    names = {
        ("campaignId", item["campaign_id"]): "CAMPAIGN",
        ("dealId", item["deal_id"]): "DEAL",
        ("transactionId", transaction_id): "TRANSACTION",
    }

    def named(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: names.get((k, v), named(v)) for k, v in value.items()}
        if isinstance(value, str):  # a memo: "Campaign <id>: deal <id> approved"
            value = value.replace(f"Campaign {item['campaign_id']}:", "Campaign CAMPAIGN:")
            return value.replace(f"deal {item['deal_id']} ", "deal DEAL ")
        return value

    return named


async def approval_effects(database_url: str, pair: list[dict[str, Any]]) -> list[list[Any]]:
    """Per check deal: its campaign's and its own amounts and state, the newest ledger
    transaction on the campaign's accounts with its postings, and every notification and live
    event of its brand and creator (accounts used by this check alone)."""
    engine = create_engine(database_url)
    found = []
    try:
        async with engine.connect() as conn:
            for item in pair:
                brand, creator = item["brand_id"], item["creator_id"]
                campaign = (
                    await conn.execute(
                        sa.select(
                            Campaign.status, Campaign.funded_cents, Campaign.reserved_cents,
                            Campaign.paid_cents, Campaign.refunded_cents,
                        ).where(Campaign.id == item["campaign_id"])
                    )
                ).one()  # fmt: skip
                deal = (
                    await conn.execute(
                        sa.select(
                            Deal.status, Deal.fee_cents, Deal.reserved_cents, Deal.paid_cents,
                            Deal.auto_approved, Deal.change_rounds,
                            Deal.approved_at.is_not(None), Deal.ended_at.is_not(None),
                            Deal.updated_at == Deal.approved_at,
                        ).where(Deal.id == item["deal_id"])
                    )
                ).one()  # fmt: skip
                tx = (
                    await conn.execute(
                        sa.select(
                            LedgerTransaction.id, LedgerTransaction.kind, LedgerTransaction.memo,
                            LedgerTransaction.earnings_source, LedgerTransaction.actor_id,
                        )
                        .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
                        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
                        .where(LedgerAccount.campaign_id == item["campaign_id"])
                        .order_by(LedgerTransaction.id.desc())
                        .limit(1)
                    )
                ).one()  # fmt: skip
                named = _roles(item, tx.id)
                postings = await conn.execute(
                    sa.select(
                        LedgerAccount.kind, LedgerAccount.owner_id, LedgerAccount.campaign_id,
                        LedgerPosting.asset, LedgerPosting.amount, LedgerPosting.balance_after,
                    )
                    .join(LedgerAccount, LedgerAccount.id == LedgerPosting.ledger_account_id)
                    .where(LedgerPosting.transaction_id == tx.id)
                    .order_by(LedgerAccount.kind)
                )  # fmt: skip
                notes = await conn.execute(
                    sa.select(
                        Notification.account_id, Notification.kind, Notification.title,
                        Notification.body, Notification.data, Notification.batch_key,
                        Notification.count, Notification.total, Notification.read_at,
                        Notification.created_at == Notification.updated_at,
                    )
                    .where(Notification.account_id.in_([brand, creator]))
                    .order_by(Notification.id)
                )  # fmt: skip
                channels = {
                    f"wallet:{creator}": "wallet:CREATOR",
                    f"marketplace:{brand}": "marketplace:BRAND",
                    f"marketplace:{creator}": "marketplace:CREATOR",
                }
                events = await conn.execute(
                    sa.select(OutboxEvent.channel, OutboxEvent.payload)
                    .where(OutboxEvent.channel.in_(list(channels)))
                    .order_by(OutboxEvent.id)
                )
                found.append(
                    [
                        tuple(campaign),
                        tuple(deal),
                        (
                            tx.kind,
                            named(tx.memo),
                            tx.earnings_source,
                            "BRAND" if tx.actor_id == brand else tx.actor_id,
                        ),
                        *(
                            (
                                kind,
                                "CREATOR" if owner == creator else owner,
                                "CAMPAIGN" if campaign_id == item["campaign_id"] else campaign_id,
                                asset,
                                amount,
                                after,
                            )
                            for kind, owner, campaign_id, asset, amount, after in postings
                        ),
                        *(
                            ("BRAND" if n[0] == brand else "CREATOR", *n[1:4], named(n[4]), *n[5:])
                            for n in notes
                        ),
                        *((channels[c], named(json.loads(p))) for c, p in events),
                    ]
                )
    finally:
        await engine.dispose()
    return found


CHECKS: dict[str, Callable[..., None]] = {
    "profile": check_profile,
    "accounts": check_plain("accounts"),
    "typename": check_plain("typename"),
    "series": check_series,
    "gift": check_write(
        "gift",
        lambda m: {
            "input": {
                "giftId": m["gift_id"],
                "liveId": m["live_id"],
                "quantity": 1,
                "idempotencyKey": "bench-check-gift",
            }
        },
    ),
    "campaigns": check_campaigns,
    "approve": check_approve("approve"),
    "approve_hot": check_approve("approve_hot"),
    "purchase": check_write(
        "purchase",
        lambda m: {
            "input": {
                "seriesId": m["sale_series_ids"][0],
                "paidWith": "COINS",
                "idempotencyKey": "bench-check-purchase",
            }
        },
    ),
}
