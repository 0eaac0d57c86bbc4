"""Bank payouts through Stripe Connect: onboarding (`startPayoutOnboarding`), the creator's
PayoutAccount, Stripe's view of it (`account.updated` through `connect.account_updated`, and
`refreshPayoutAccount`), and payouts to bank accounts refused until it is READY.

Rules: the Express account is created once per creator (one `provider_accounts` row, one
Stripe account, even for concurrent calls) and every call returns a new onboarding link; the
return and refresh URLs are http(s), at most 2048 characters, on one of the configured web
origins (and localhost outside production); adults not restricted or banned only; without
Stripe configured PAYOUT_PROVIDER_UNAVAILABLE; a Stripe failure keeps nothing that blocks a
retry. A payout to a BANK_ACCOUNT method is PAYOUT_ACCOUNT_NOT_READY until Stripe enables
payouts (requested or scheduled; the forecast says why); PAYPAL methods are not affected.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.clock import FrozenClock
from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import encode_id
from reelpay.payouts import connect
from reelpay.settings import Environment, PayPalSettings, Settings
from tests.conftest import Api, serving_api
from tests.factories import (
    User,
    add_paypal,
    credit_earnings,
    make_staff,
    new_key,
    set_standing,
    sign_up,
)
from tests.fakes.stripe_server import FakeStripe, event, sign

pytestmark = pytest.mark.usefixtures("verify_ledger")

RETURN = "http://localhost:5173/payouts/done"
REFRESH = "http://localhost:5173/payouts/again"
ACCOUNT = "id provider status requirementsDue updatedAt"
ONBOARD = f"onboardingUrl payoutAccount {{ {ACCOUNT} }}"
MINE = f"{{ viewer {{ payouts {{ payoutAccount {{ {ACCOUNT} }} }} }} }}"
OF_ACCOUNT = (
    "query($id: ID!) { node(id: $id) { ... on Account { payouts { payoutAccount { id } } } } }"
)
NODE = "query($id: ID!) { node(id: $id) { ... on PayoutAccount { id status } } }"
FORECAST = "{ payoutForecast { reasons { code message } requestableNow { minorUnits } } }"
WALLET = "{ viewer { wallet { earnings { minorUnits } inPayout { minorUnits } } } }"
DE_IBAN = "DE89370400440532013000"
NOT_READY = "Finish setting up your bank payouts with Stripe: "


# --- arranging ------------------------------------------------------------------------------


def with_stripe(settings: Settings, stripe_settings: Any, **changes: Any) -> Settings:
    """Bank payouts through the fake Stripe; the SDK does not retry (each failure shows)."""
    return dataclasses.replace(
        settings,
        payout_provider=changes.pop("payout_provider", "stripe"),
        stripe=dataclasses.replace(stripe_settings, max_network_retries=0),
        **changes,
    )


@pytest.fixture
async def stripe_api(
    settings: Settings, clock: FrozenClock, clean_db: AsyncEngine, stripe_settings: Any
) -> AsyncIterator[Api]:
    async with serving_api(with_stripe(settings, stripe_settings), clock, clean_db) as api:
        yield api


async def onboard(
    api: Api, user: User | None, return_url: str = RETURN, refresh_url: str = REFRESH
) -> dict[str, Any]:
    input = {"returnUrl": return_url, "refreshUrl": refresh_url}
    return await api.mutate(
        "startPayoutOnboarding", input, ONBOARD, token=user.token if user else None
    )


async def onboarded(api: Api, user: User) -> dict[str, Any]:
    payload = await onboard(api, user)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def rows(engine: AsyncEngine, table: str = "provider_accounts") -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))
        return [dict(r._mapping) for r in result]


async def mine(api: Api, user: User) -> dict[str, Any] | None:
    found = (await api.data(MINE, token=user.token))["viewer"]["payouts"]["payoutAccount"]
    return found  # type: ignore[no-any-return]


async def stripe_says(api: Api, external_id: str, **state: Any) -> bool:
    """Stripe's `account.updated`, as the webhook route hands it to the service."""
    state = {
        "payouts_enabled": False,
        "details_submitted": False,
        "requirements_due": [],
        **state,
    }
    now = api.app.state.services.clock.now()
    async with create_sessionmaker(api.engine)() as session:
        return await run_write(
            session,
            lambda: connect.account_updated(session, external_id=external_id, now=now, **state),
        )


async def external_id(api: Api, user: User) -> str:
    found = [r for r in await rows(api.engine) if r["account_id"] == user.pk]
    assert len(found) == 1
    return str(found[0]["external_id"])


async def add_bank(api: Api, user: User, **extra: Any) -> str:
    payload = await api.mutate(
        "addPayoutMethod",
        {"bank": {"holderName": "Jane Doe", "iban": DE_IBAN}, **extra},
        "method { id }",
        token=user.token,
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    return str(payload["method"]["id"])


async def request_payout(api: Api, user: User, method_id: str | None = None) -> dict[str, Any]:
    input = {"amountCents": 10_000, "methodId": method_id, "idempotencyKey": new_key()}
    return await api.mutate("requestPayout", input, "payout { id status }", token=user.token)


async def wallet(api: Api, user: User) -> tuple[int, int]:
    w = (await api.data(WALLET, token=user.token))["viewer"]["wallet"]
    return w["earnings"]["minorUnits"], w["inPayout"]["minorUnits"]


async def reasons(api: Api, user: User) -> list[tuple[str, str]]:
    found = (await api.data(FORECAST, token=user.token))["payoutForecast"]["reasons"]
    return [(r["code"], r["message"]) for r in found]


# --- onboarding -----------------------------------------------------------------------------


async def test_onboarding_creates_one_stripe_account_and_a_new_link_each_time(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann = await sign_up(stripe_api, "ann", country="DE")
    assert await mine(stripe_api, ann) is None

    first = await onboarded(stripe_api, ann)
    second = await onboarded(stripe_api, ann)

    [created] = stripe.created("/v1/accounts")
    acct = created_id = next(iter(stripe.accounts))
    assert created.params["type"] == "express"
    assert created.params["country"] == "DE"
    assert created.params["email"] == ann.email
    assert created.params["metadata"] == {"creator_id": str(ann.pk)}
    assert created.idempotency_key == f"reelpay-connect-account-{ann.pk}"
    links = stripe.created("/v1/account_links")
    assert [(r.params["account"], r.params["return_url"], r.params["refresh_url"],
             r.params["type"]) for r in links] == [
        (acct, RETURN, REFRESH, "account_onboarding")
    ] * 2  # fmt: skip
    assert first["onboardingUrl"] != second["onboardingUrl"]
    for payload in (first, second):
        assert payload["onboardingUrl"].startswith(f"{stripe.base_url}/setup/e/{acct}/")
        assert payload["payoutAccount"] == {
            "id": encode_id("PayoutAccount", ann.pk),
            "provider": "stripe",
            "status": "ONBOARDING",
            "requirementsDue": [],
            "updatedAt": "2026-06-15T12:00:00+00:00",
        }
    assert await mine(stripe_api, ann) == first["payoutAccount"]
    [row] = await rows(stripe_api.engine)
    assert (row["account_id"], row["provider"], row["external_id"]) == (
        ann.pk,
        "stripe",
        created_id,
    )
    assert (row["payouts_enabled"], row["details_submitted"]) == (False, False)


async def test_concurrent_onboarding_creates_one_account(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann = await sign_up(stripe_api, "ann")
    payloads = await asyncio.gather(*(onboard(stripe_api, ann) for _ in range(5)))
    assert [p["userErrors"] for p in payloads] == [[]] * 5
    assert len(stripe.accounts) == 1
    assert len(await rows(stripe_api.engine)) == 1
    assert {p["payoutAccount"]["id"] for p in payloads} == {encode_id("PayoutAccount", ann.pk)}
    assert len({p["onboardingUrl"] for p in payloads}) == 5


async def test_each_creator_gets_their_own_account(stripe_api: Api, stripe: FakeStripe) -> None:
    ann, bob = await sign_up(stripe_api, "ann"), await sign_up(stripe_api, "bob")
    await onboarded(stripe_api, ann)
    await onboarded(stripe_api, bob)
    assert len(stripe.accounts) == 2
    assert sorted(r["account_id"] for r in await rows(stripe_api.engine)) == [ann.pk, bob.pk]
    assert await external_id(stripe_api, ann) != await external_id(stripe_api, bob)


LONG = "http://localhost/" + "a" * (2048 - len("http://localhost/") + 1)
BAD_URLS = [
    "ftp://localhost/payouts",
    "javascript:alert(1)",
    "localhost:5173/payouts",
    "http:///payouts",
    "http://localhost/with space",
    LONG,
    "https://evil.example/payouts",  # not one of our origins
    "http://localhost.evil.example/payouts",
    "http://localhost@evil.example/payouts",
]


@pytest.mark.parametrize("which", ["returnUrl", "refreshUrl"])
@pytest.mark.parametrize("bad", BAD_URLS)
async def test_bad_urls_are_refused_before_stripe_is_asked(
    stripe_api: Api, stripe: FakeStripe, which: str, bad: str
) -> None:
    ann = await sign_up(stripe_api, "ann")
    urls = {"returnUrl": RETURN, "refreshUrl": REFRESH, which: bad}
    payload = await onboard(stripe_api, ann, urls["returnUrl"], urls["refreshUrl"])
    assert errors(payload) == [("INVALID_URL", ["input", which])]
    assert (payload["onboardingUrl"], payload["payoutAccount"]) == (None, None)
    assert stripe.requests == []
    assert await rows(stripe_api.engine) == []


async def test_the_longest_url_and_listed_origins_are_accepted(
    settings: Settings,
    clock: FrozenClock,
    clean_db: AsyncEngine,
    stripe_settings: Any,
    stripe: FakeStripe,
) -> None:
    longest = LONG[:-1]
    listed = with_stripe(settings, stripe_settings, cors_origins=("https://app.example.com",))
    async with serving_api(listed, clock, clean_db) as api:
        ann = await sign_up(api, "ann")
        for return_url, refresh_url in [
            (longest, "http://127.0.0.1:8000/again"),
            ("https://app.example.com/payouts/done?x=1", "HTTPS://App.Example.com:443/again"),
            ("http://[::1]:3000/done", REFRESH),
        ]:
            payload = await onboard(api, ann, return_url, refresh_url)
            assert payload["userErrors"] == [], (return_url, refresh_url)
        assert [r.params["return_url"] for r in stripe.created("/v1/account_links")] == [
            longest,
            "https://app.example.com/payouts/done?x=1",
            "http://[::1]:3000/done",
        ]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://app.example.com/payouts/done", True),
        ("https://APP.example.com:443/payouts/done", True),
        ("http://app.example.com/payouts/done", False),  # another scheme: another origin
        ("https://app.example.com:8443/payouts/done", False),
        ("https://app.example.com.evil.example/payouts", False),
        ("https://evil.example/?next=https://app.example.com", False),
        ("http://localhost:5173/payouts/done", False),  # not in production
        ("http://127.0.0.1/payouts/done", False),
    ],
)
async def test_in_production_only_the_configured_origins(
    settings: Settings,
    clock: FrozenClock,
    clean_db: AsyncEngine,
    stripe_settings: Any,
    stripe: FakeStripe,
    url: str,
    accepted: bool,
) -> None:
    production = with_stripe(
        settings,
        stripe_settings,
        environment=Environment.PRODUCTION,
        secret_key="x" * 40,
        allow_sandbox_in_production=True,
        cors_origins=("https://app.example.com", "*"),  # `*` never admits a return URL
    )
    async with serving_api(production, clock, clean_db) as api:
        ann = await sign_up(api, "ann")
        payload = await onboard(api, ann, url, "https://app.example.com/payouts/again")
        if accepted:
            assert payload["userErrors"] == []
            assert len(stripe.accounts) == 1
        else:
            assert errors(payload) == [("INVALID_URL", ["input", "returnUrl"])]
            assert "returnUrl" in payload["userErrors"][0]["message"]
            assert stripe.requests == []


# --- who may --------------------------------------------------------------------------------


async def test_anonymous_is_unauthenticated(stripe_api: Api, stripe: FakeStripe) -> None:
    for token in (None, "not-a-session-token"):
        error = await stripe_api.error(
            "mutation($i: StartPayoutOnboardingInput!) { startPayoutOnboarding(input: $i) "
            "{ onboardingUrl } }",
            {"i": {"returnUrl": RETURN, "refreshUrl": REFRESH}},
            token=token,
        )
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert stripe.requests == []
    assert await rows(stripe_api.engine) == []


async def test_minors_and_suspended_accounts_are_refused(
    stripe_api: Api, stripe: FakeStripe, clock: FrozenClock
) -> None:
    minor = await sign_up(stripe_api, "minor", birthDate="2008-06-16")  # 18 tomorrow
    payload = await onboard(stripe_api, minor)
    assert errors(payload) == [("CREATOR_NOT_ELIGIBLE", None)]
    assert payload["userErrors"][0]["message"] == (
        "You must be 18 or older to set up bank payouts."
    )
    for standing in ("RESTRICTED", "BANNED"):
        user = await sign_up(stripe_api, standing.lower())
        await set_standing(stripe_api.engine, user, standing)
        payload = await onboard(stripe_api, user)
        assert errors(payload) == [("PAYOUTS_SUSPENDED", None)]
    assert stripe.requests == []
    assert await rows(stripe_api.engine) == []

    clock.advance(timedelta(days=1))  # the minor turns 18
    assert (await onboard(stripe_api, minor))["userErrors"] == []


async def test_only_the_creator_and_staff_see_the_payout_account(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann, bob = await sign_up(stripe_api, "ann"), await sign_up(stripe_api, "bob")
    staff = await make_staff(stripe_api, stripe_api.engine)
    account_id = (await onboarded(stripe_api, ann))["payoutAccount"]["id"]

    def node(token: str | None) -> Any:
        return stripe_api.data(NODE, {"id": account_id}, token=token)

    assert (await node(ann.token))["node"] == {"id": account_id, "status": "ONBOARDING"}
    assert (await node(staff.token))["node"] == {"id": account_id, "status": "ONBOARDING"}
    assert (await node(bob.token))["node"] is None
    assert (await node(None))["node"] is None
    via_account = await stripe_api.data(OF_ACCOUNT, {"id": ann.id}, token=staff.token)
    assert via_account["node"]["payouts"] == {"payoutAccount": {"id": account_id}}
    for token in (bob.token, None):
        via_account = await stripe_api.data(OF_ACCOUNT, {"id": ann.id}, token=token)
        assert via_account["node"]["payouts"] is None
    assert await mine(stripe_api, bob) is None


async def test_without_stripe_configured_onboarding_is_unavailable(api: Api) -> None:
    ann = await sign_up(api, "ann")
    payload = await onboard(api, ann)
    assert payload["userErrors"] == [
        {
            "code": "PAYOUT_PROVIDER_UNAVAILABLE",
            "field": None,
            "message": "Bank payouts through Stripe are not configured on this server.",
        }
    ]
    refreshed = await api.mutate(
        "refreshPayoutAccount", {}, "payoutAccount { id }", token=ann.token
    )
    assert errors(refreshed) == [("PAYOUT_PROVIDER_UNAVAILABLE", None)]
    assert await mine(api, ann) is None
    assert await rows(api.engine) == []


async def test_the_sandbox_pays_bank_accounts_without_onboarding(api: Api) -> None:
    ann = await sign_up(api, "ann")
    await credit_earnings(api.engine, ann, 20_000)
    await add_bank(api, ann)
    assert await reasons(api, ann) == [
        (
            "MANUAL_SCHEDULE",
            "You have no payout schedule: request payouts yourself, or choose a weekly or "
            "monthly schedule.",
        )
    ]
    assert (await request_payout(api, ann))["userErrors"] == []


# --- Stripe failures ------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [500, 503, 429, "timeout"])
async def test_stripe_down_creating_the_account_keeps_nothing_and_a_retry_works(
    stripe_api: Api, stripe: FakeStripe, failure: int | str
) -> None:
    ann = await sign_up(stripe_api, "ann")
    stripe.fail_next(1, failure)
    payload = await onboard(stripe_api, ann)
    assert errors(payload) == [("PAYOUT_PROVIDER_UNAVAILABLE", None)]
    assert payload["userErrors"][0]["message"] == (
        "Stripe did not answer; nothing was kept. Try again in a moment."
    )
    assert await rows(stripe_api.engine) == []
    assert await mine(stripe_api, ann) is None

    again = await onboarded(stripe_api, ann)
    assert again["payoutAccount"]["status"] == "ONBOARDING"
    assert len(stripe.accounts) == 1
    assert len(await rows(stripe_api.engine)) == 1


async def test_a_lost_answer_gets_the_same_stripe_account_on_retry(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    """Stripe created the account but its answer was lost: the retry's idempotency key (per
    creator) gets the same account back, not a second one."""
    ann = await sign_up(stripe_api, "ann")
    stripe.fail_next(1, "lost")
    assert errors(await onboard(stripe_api, ann)) == [("PAYOUT_PROVIDER_UNAVAILABLE", None)]
    assert len(stripe.accounts) == 1
    await onboarded(stripe_api, ann)
    assert len(stripe.accounts) == 1
    assert await external_id(stripe_api, ann) == next(iter(stripe.accounts))


async def test_stripe_down_making_the_link_keeps_the_account_for_the_retry(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann = await sign_up(stripe_api, "ann")
    first = await onboarded(stripe_api, ann)
    stripe.fail_next(1, 500)  # the account exists: only the link is asked for
    payload = await onboard(stripe_api, ann)
    assert errors(payload) == [("PAYOUT_PROVIDER_UNAVAILABLE", None)]
    assert await mine(stripe_api, ann) == first["payoutAccount"]
    again = await onboarded(stripe_api, ann)
    assert again["payoutAccount"] == first["payoutAccount"]
    assert len(stripe.created("/v1/accounts")) == 1


# --- what Stripe says about the account -----------------------------------------------------


async def test_status_follows_stripe_onboarding_restricted_ready(
    stripe_api: Api, stripe: FakeStripe, clock: FrozenClock
) -> None:
    ann = await sign_up(stripe_api, "ann")
    await onboarded(stripe_api, ann)
    acct = await external_id(stripe_api, ann)

    clock.advance(timedelta(minutes=5))
    due = ["individual.verification.document", "external_account"]
    assert await stripe_says(stripe_api, acct, details_submitted=True, requirements_due=due)
    found = await mine(stripe_api, ann)
    assert found is not None
    assert (found["status"], found["requirementsDue"], found["updatedAt"]) == (
        "RESTRICTED",
        due,
        "2026-06-15T12:05:00+00:00",
    )

    assert await stripe_says(stripe_api, acct, details_submitted=True, payouts_enabled=True)
    found = await mine(stripe_api, ann)
    assert found is not None
    assert (found["status"], found["requirementsDue"]) == ("READY", [])

    # Stripe may disable payouts again (new requirements): the status follows.
    assert await stripe_says(
        stripe_api, acct, details_submitted=True, requirements_due=["external_account"]
    )
    found = await mine(stripe_api, ann)
    assert found is not None
    assert (found["status"], found["requirementsDue"]) == ("RESTRICTED", ["external_account"])


async def test_an_unknown_account_is_ignored(stripe_api: Api, stripe: FakeStripe) -> None:
    ann = await sign_up(stripe_api, "ann")
    await onboarded(stripe_api, ann)
    before = await rows(stripe_api.engine)
    assert not await stripe_says(stripe_api, "acct_someone_else", payouts_enabled=True)
    assert await rows(stripe_api.engine) == before


async def test_refresh_asks_stripe_and_stores_what_it_says(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann, bob = await sign_up(stripe_api, "ann"), await sign_up(stripe_api, "bob")
    staff = await make_staff(stripe_api, stripe_api.engine)
    selection = "payoutAccount { id status requirementsDue }"

    def refresh(user: User, input: dict[str, Any] | None = None) -> Any:
        return stripe_api.mutate("refreshPayoutAccount", input or {}, selection, user.token)

    assert errors(await refresh(ann)) == [("NOT_FOUND", None)]
    await onboarded(stripe_api, ann)
    acct = await external_id(stripe_api, ann)
    stripe.set_account(acct, payouts_enabled=False, currently_due=["external_account"])
    payload = await refresh(ann)
    assert payload["payoutAccount"] == {
        "id": encode_id("PayoutAccount", ann.pk),
        "status": "RESTRICTED",
        "requirementsDue": ["external_account"],
    }
    stripe.set_account(acct, payouts_enabled=True)
    staff_payload = await refresh(staff, {"accountId": ann.id})
    assert staff_payload["payoutAccount"]["status"] == "READY"
    assert (await mine(stripe_api, ann) or {})["status"] == "READY"

    error = await stripe_api.error(
        "mutation($i: RefreshPayoutAccountInput!) { refreshPayoutAccount(input: $i) "
        "{ payoutAccount { id } } }",
        {"i": {"accountId": ann.id}},
        token=bob.token,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"

    stripe.fail_next(1, 500)
    assert errors(await refresh(ann)) == [("PAYOUT_PROVIDER_UNAVAILABLE", None)]
    assert (await mine(stripe_api, ann) or {})["status"] == "READY"


# --- bank payouts wait for the account ------------------------------------------------------


async def test_a_bank_payout_is_refused_until_the_stripe_account_is_ready(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    ann = await sign_up(stripe_api, "ann")
    await credit_earnings(stripe_api.engine, ann, 30_000)
    await add_bank(stripe_api, ann)

    async def refused(reason: str) -> None:
        payload = await request_payout(stripe_api, ann)
        assert payload["payout"] is None
        assert payload["userErrors"] == [
            {"code": "PAYOUT_ACCOUNT_NOT_READY", "field": None, "message": NOT_READY + reason}
        ]
        assert await wallet(stripe_api, ann) == (30_000, 0)
        assert await rows(stripe_api.engine, "payouts") == []
        found = await stripe_api.data(FORECAST, token=ann.token)
        forecast = found["payoutForecast"]
        assert forecast["requestableNow"] == {"minorUnits": 0}
        assert ("PAYOUT_ACCOUNT_NOT_READY", NOT_READY + reason) in [
            (r["code"], r["message"]) for r in forecast["reasons"]
        ]

    await refused("start with `startPayoutOnboarding`.")
    await onboarded(stripe_api, ann)
    await refused("complete Stripe's form (`startPayoutOnboarding` gives a new link).")
    acct = await external_id(stripe_api, ann)
    await stripe_says(
        stripe_api, acct, details_submitted=True, requirements_due=["external_account"]
    )
    await refused("Stripe still needs external_account.")
    await stripe_says(stripe_api, acct, details_submitted=True)
    await refused("Stripe is reviewing your details; payouts start once it enables them.")

    await stripe_says(stripe_api, acct, details_submitted=True, payouts_enabled=True)
    assert "PAYOUT_ACCOUNT_NOT_READY" not in [c for c, _ in await reasons(stripe_api, ann)]
    payload = await request_payout(stripe_api, ann)
    assert payload["userErrors"] == []
    assert payload["payout"]["status"] == "REQUESTED"
    assert await wallet(stripe_api, ann) == (20_000, 10_000)


async def test_a_scheduled_bank_payout_is_skipped_until_ready_and_the_forecast_says_why(
    stripe_api: Api, stripe: FakeStripe, clock: FrozenClock
) -> None:
    ann = await sign_up(stripe_api, "ann")
    staff = await make_staff(stripe_api, stripe_api.engine)
    await credit_earnings(stripe_api.engine, ann, 20_000)
    await add_bank(stripe_api, ann)
    await onboarded(stripe_api, ann)
    schedule = {"frequency": "WEEKLY", "weekday": 1}  # the tests' clock starts on a Monday
    payload = await stripe_api.mutate("setPayoutSchedule", schedule, "schedule { weekday }",
                                      token=ann.token)  # fmt: skip
    assert payload["userErrors"] == []

    async def run() -> int:
        done = await stripe_api.mutate(
            "runPayouts", {"createScheduled": True}, "scheduled", token=staff.token
        )
        assert done["userErrors"] == []
        return int(done["scheduled"])

    assert await run() == 0
    assert await rows(stripe_api.engine, "payouts") == []
    assert await wallet(stripe_api, ann) == (20_000, 0)
    assert (
        "PAYOUT_ACCOUNT_NOT_READY",
        NOT_READY + "complete Stripe's form (`startPayoutOnboarding` gives a new link).",
    ) in await reasons(stripe_api, ann)

    acct = await external_id(stripe_api, ann)
    await stripe_says(stripe_api, acct, details_submitted=True, payouts_enabled=True)
    assert await reasons(stripe_api, ann) == []
    clock.advance(timedelta(days=7))  # the next Monday
    assert await run() == 1
    [payout] = await rows(stripe_api.engine, "payouts")
    assert (payout["trigger"], payout["amount_cents"]) == ("SCHEDULED", 20_000)


async def test_paypal_payouts_need_no_stripe_account(
    settings: Settings,
    clock: FrozenClock,
    clean_db: AsyncEngine,
    stripe_settings: Any,
    stripe: FakeStripe,
) -> None:
    paypal = PayPalSettings(
        client_id="id", client_secret="secret", webhook_id="hook", api_base="http://127.0.0.1:9"
    )
    both = with_stripe(settings, stripe_settings, payout_provider="paypal,stripe", paypal=paypal)
    async with serving_api(both, clock, clean_db) as api:
        ann = await sign_up(api, "ann")
        await credit_earnings(api.engine, ann, 30_000)
        paypal_id = await add_paypal(api, ann)
        bank_id = await add_bank(api, ann)
        assert "PAYOUT_ACCOUNT_NOT_READY" not in [c for c, _ in await reasons(api, ann)]
        assert (await request_payout(api, ann, paypal_id))["userErrors"] == []
        refused = await request_payout(api, ann, bank_id)
        assert errors(refused) == [("PAYOUT_ACCOUNT_NOT_READY", None)]
        assert await wallet(api, ann) == (20_000, 10_000)
        assert stripe.requests == []


async def test_end_to_end_the_account_updated_webhook_makes_it_ready_and_the_job_pays_it(
    stripe_api: Api, stripe: FakeStripe
) -> None:
    """Onboarding, Stripe's signed `account.updated` at /webhooks/stripe, a requested payout,
    and the job's Transfer to the creator's own Stripe account."""
    ann = await sign_up(stripe_api, "ann")
    staff = await make_staff(stripe_api, stripe_api.engine)
    await credit_earnings(stripe_api.engine, ann, 25_000)
    await add_bank(stripe_api, ann)
    await onboarded(stripe_api, ann)
    acct = await external_id(stripe_api, ann)

    async def deliver(account: dict[str, Any]) -> None:
        body = event("account.updated", account)
        response = await stripe_api.client.post(
            "/webhooks/stripe",
            content=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
        )
        assert response.status_code == 200, response.text

    await deliver(
        stripe.set_account(acct, payouts_enabled=False, currently_due=["external_account"])
    )
    assert (await mine(stripe_api, ann) or {})["requirementsDue"] == ["external_account"]
    assert errors(await request_payout(stripe_api, ann)) == [("PAYOUT_ACCOUNT_NOT_READY", None)]

    await deliver(stripe.set_account(acct, payouts_enabled=True))
    assert (await mine(stripe_api, ann) or {})["status"] == "READY"
    payout = await request_payout(stripe_api, ann)
    assert payout["userErrors"] == []
    done = await stripe_api.mutate(
        "runPayouts", {"createScheduled": False}, "paid failed", token=staff.token
    )
    assert (done["paid"], done["failed"]) == (1, 0)
    [transfer] = stripe.transfers.values()
    assert (transfer["destination"], transfer["amount"]) == (acct, 10_000)
    assert await wallet(stripe_api, ann) == (15_000, 0)
