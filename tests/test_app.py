"""The HTTP surface: health, readiness, GraphiQL, and production hardening."""

from __future__ import annotations

import dataclasses
import gc

import httpx
import pytest

from reelpay.app import create_app
from reelpay.settings import ConfigurationError, Settings
from tests.factories import sign_up

# A key production accepts (shaped like secrets.token_urlsafe(32)); "k" * 32 is too predictable.
GOOD_KEY = "t3Qm8yXw1NfV6pLk0ZrJ9cHs2BdE7uGa5oWiYqTnR4M"


async def test_healthz_and_readyz_answer_ok(api):
    health = await api.client.get("/healthz")
    ready = await api.client.get("/readyz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})


async def test_readyz_is_503_when_the_database_is_unreachable(settings, clock):
    broken = dataclasses.replace(settings, database_url="sqlite+aiosqlite:////nonexistent/dir/x.db")
    app = create_app(broken, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


async def test_development_serves_graphiql_and_introspection(api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    data = await api.data("{ __schema { queryType { name } } }")
    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_hides_graphiql_introspection_and_suggestions(production_client):
    page = await production_client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    introspection = await production_client.post(
        "/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    assert introspection.json()["errors"][0]["message"].startswith("GraphQL introspection")
    typo = await production_client.post("/graphql", json={"query": "{ viewr { handle } }"})
    message = typo.json()["errors"][0]["message"]
    assert "Cannot query field 'viewr'" in message
    assert "Did you mean" not in message


async def test_development_suggests_field_names(api):
    error = await api.error("{ viewr { handle } }")
    assert "Did you mean 'viewer'?" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_production_requires_a_long_secret_key():
    with pytest.raises(ConfigurationError, match="REELPAY_SECRET_KEY"):
        Settings.from_env({"REELPAY_ENV": "production"})
    with pytest.raises(ConfigurationError):
        Settings.from_env({"REELPAY_ENV": "production", "REELPAY_SECRET_KEY": "short"})
    with pytest.raises(ConfigurationError, match="is too predictable"):
        Settings.from_env({"REELPAY_ENV": "production", "REELPAY_SECRET_KEY": "k" * 32})
    ok = Settings.from_env(
        {
            "REELPAY_ENV": "production",
            "REELPAY_SECRET_KEY": GOOD_KEY,
            "REELPAY_PAYMENT_PROVIDER": "sandbox",
            "REELPAY_PAYOUT_PROVIDER": "sandbox",
            "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "1",
        }
    )
    assert ok.is_production and ok.secret_key == GOOD_KEY


def test_production_names_its_payment_provider():
    prod = {"REELPAY_ENV": "production", "REELPAY_SECRET_KEY": GOOD_KEY}
    with pytest.raises(ConfigurationError, match="REELPAY_PAYMENT_PROVIDER is required"):
        Settings.from_env({**prod, "REELPAY_PAYOUT_PROVIDER": "sandbox"})
    with pytest.raises(ConfigurationError, match="must be one of sandbox, stripe"):
        Settings.from_env(
            {**prod, "REELPAY_PAYMENT_PROVIDER": "adyen", "REELPAY_PAYOUT_PROVIDER": "sandbox"}
        )
    assert Settings.from_env({}).payment_provider == "sandbox"


def test_production_names_its_payout_provider():
    prod = {
        "REELPAY_ENV": "production",
        "REELPAY_SECRET_KEY": GOOD_KEY,
        "REELPAY_PAYMENT_PROVIDER": "sandbox",
    }
    with pytest.raises(ConfigurationError, match="REELPAY_PAYOUT_PROVIDER is required"):
        Settings.from_env(prod)
    for wrong in ("wise", "sandbox,paypal", "paypal,,stripe"):
        with pytest.raises(ConfigurationError, match="REELPAY_PAYOUT_PROVIDER must be sandbox"):
            Settings.from_env({**prod, "REELPAY_PAYOUT_PROVIDER": wrong})
    assert Settings.from_env({}).payout_provider == "sandbox"


STRIPE_KEYS = {"REELPAY_STRIPE_SECRET_KEY": "sk_live_x", "REELPAY_STRIPE_WEBHOOK_SECRET": "whsec_x"}
PAYPAL_KEYS = {
    "REELPAY_PAYPAL_CLIENT_ID": "id",
    "REELPAY_PAYPAL_CLIENT_SECRET": "secret",
    "REELPAY_PAYPAL_WEBHOOK_ID": "WH-1",
}


def test_production_refuses_the_sandbox_unless_told_it_is_a_staging_deployment():
    prod = {"REELPAY_ENV": "production", "REELPAY_SECRET_KEY": GOOD_KEY, **STRIPE_KEYS}
    real = {"REELPAY_PAYMENT_PROVIDER": "stripe", "REELPAY_PAYOUT_PROVIDER": "stripe"}
    with pytest.raises(ConfigurationError, match=r"^REELPAY_PAYMENT_PROVIDER=sandbox is refused"):
        Settings.from_env({**prod, **real, "REELPAY_PAYMENT_PROVIDER": "sandbox"})
    with pytest.raises(ConfigurationError, match=r"^REELPAY_PAYOUT_PROVIDER=sandbox is refused"):
        Settings.from_env({**prod, **real, "REELPAY_PAYOUT_PROVIDER": "sandbox"})
    with pytest.raises(ConfigurationError, match="REELPAY_ALLOW_SANDBOX_IN_PRODUCTION"):
        Settings.from_env(
            {**prod, "REELPAY_PAYMENT_PROVIDER": "sandbox", "REELPAY_PAYOUT_PROVIDER": "sandbox"}
        )
    staging = Settings.from_env(
        {
            **prod,
            "REELPAY_PAYMENT_PROVIDER": "sandbox",
            "REELPAY_PAYOUT_PROVIDER": "sandbox",
            "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "true",
        }
    )
    assert staging.allow_sandbox_in_production and staging.payment_provider == "sandbox"
    live = Settings.from_env({**prod, **real})
    assert live.payment_provider == "stripe" and live.stripe is not None
    assert live.stripe.secret_key == "sk_live_x" and live.paypal is None
    with pytest.raises(ConfigurationError, match="must be 1 or 0"):
        Settings.from_env({**prod, **real, "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "maybe"})


@pytest.mark.parametrize(
    "providers, given, missing",
    [
        ({"REELPAY_PAYMENT_PROVIDER": "stripe"}, {}, list(STRIPE_KEYS)),
        (
            {"REELPAY_PAYMENT_PROVIDER": "stripe"},
            {"REELPAY_STRIPE_SECRET_KEY": "sk_live_x"},
            ["REELPAY_STRIPE_WEBHOOK_SECRET"],
        ),
        ({"REELPAY_PAYOUT_PROVIDER": "paypal"}, {}, list(PAYPAL_KEYS)),
        (
            {"REELPAY_PAYOUT_PROVIDER": "stripe,paypal"},
            {**STRIPE_KEYS, "REELPAY_PAYPAL_CLIENT_ID": " "},
            list(PAYPAL_KEYS),
        ),
    ],
)
def test_missing_provider_keys_are_named_at_start_up(providers, given, missing):
    """In development as in production: a configured provider without its keys cannot run."""
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({**providers, **given})
    message = str(refused.value)
    assert message.startswith(", ".join(missing) + (" is" if len(missing) == 1 else " are"))
    for name in {*STRIPE_KEYS, *PAYPAL_KEYS} - set(missing):
        assert name not in message


def test_real_providers_read_their_settings():
    settings = Settings.from_env(
        {
            "REELPAY_PAYMENT_PROVIDER": "stripe",
            "REELPAY_PAYOUT_PROVIDER": "paypal,stripe",
            **STRIPE_KEYS,
            **PAYPAL_KEYS,
            "REELPAY_STRIPE_API_BASE": "http://127.0.0.1:9999/",
            "REELPAY_PAYPAL_API_BASE": "https://api-m.sandbox.paypal.com",
        }
    )
    assert settings.payout_provider == "paypal,stripe"
    assert settings.stripe is not None and settings.stripe.api_base == "http://127.0.0.1:9999"
    assert settings.paypal is not None and settings.paypal.webhook_id == "WH-1"
    assert settings.paypal.api_base == "https://api-m.sandbox.paypal.com"
    with pytest.raises(ConfigurationError, match="REELPAY_STRIPE_API_BASE must be an http"):
        Settings.from_env(
            {
                "REELPAY_PAYMENT_PROVIDER": "stripe",
                **STRIPE_KEYS,
                "REELPAY_STRIPE_API_BASE": "ftp://x",
            }
        )


def test_coin_packages_come_from_the_environment():
    assert [p.coins for p in Settings.from_env({}).coin_packages] == [
        70,
        350,
        700,
        1400,
        3500,
        7000,
    ]
    custom = Settings.from_env({"REELPAY_COIN_PACKAGES": "350:499, 70:99"})
    assert [(p.coins, p.price_cents) for p in custom.coin_packages] == [(70, 99), (350, 499)]
    for bad in ("70", "70:0", "0:99", "x:99", "70:99,70:199"):
        with pytest.raises(ConfigurationError, match="REELPAY_COIN_PACKAGES"):
            Settings.from_env({"REELPAY_COIN_PACKAGES": bad})


def test_settings_read_rules_and_limits_from_the_environment():
    settings = Settings.from_env({"REELPAY_MAX_PINNED_VIDEOS": "5", "REELPAY_MAX_PAGE_SIZE": "50"})
    assert settings.rules.max_pinned_videos == 5
    assert settings.limits.max_page_size == 50
    assert Settings.from_env({}).rules.max_pinned_videos == 3
    with pytest.raises(ConfigurationError, match="REELPAY_PORT"):
        Settings.from_env({"REELPAY_PORT": "eighty"})
    with pytest.raises(ConfigurationError, match="REELPAY_ENV"):
        Settings.from_env({"REELPAY_ENV": "staging"})


def test_the_default_report_range_fits_the_longest_one():
    assert Settings.from_env({"REELPAY_REPORT_DEFAULT_DAYS": "92"}).rules.report_default_days == 92
    assert Settings.from_env({"REELPAY_REPORT_DEFAULT_DAYS": "1"}).rules.report_default_days == 1
    for bad in ({"REELPAY_REPORT_DEFAULT_DAYS": "0"}, {"REELPAY_REPORT_DEFAULT_DAYS": "93"}):
        with pytest.raises(ConfigurationError, match="REELPAY_REPORT_DEFAULT_DAYS must be 1 to"):
            Settings.from_env(bad)
    longer = {"REELPAY_ANALYTICS_MAX_RANGE_DAYS": "365", "REELPAY_REPORT_DEFAULT_DAYS": "200"}
    assert Settings.from_env(longer).rules.report_default_days == 200


async def test_an_unexpected_exception_is_masked(api, monkeypatch):
    from reelpay.accounts import service

    async def boom(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(service, "get_by_handle", boom)
    body = await api.execute('{ account(handle: "x") { id } }')
    assert body["data"] == {"account": None}
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in str(body)


async def test_signup_then_viewer(api):
    user = await sign_up(api, "alice")
    data = await api.data("{ viewer { handle email } }", token=user.token)
    assert data == {"viewer": {"handle": "alice", "email": "alice@example.com"}}


async def test_json_nested_past_the_recursion_limit_is_a_coded_400_not_a_500(api):
    response = await api.client.post(
        "/graphql",
        content=b"[" * 100_000,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "errors": [
            {
                "message": "Unable to parse request body as JSON",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


@pytest.mark.parametrize("threshold", [10_000, 0])
async def test_serving_freezes_what_start_up_built_and_collects_young_objects_less_often(
    settings, clock, threshold
):
    limits = dataclasses.replace(settings.limits, gc_young_threshold=threshold)
    app = create_app(dataclasses.replace(settings, limits=limits), clock=clock)
    before = gc.get_threshold()
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == ((threshold or before[0]), *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
