"""Configuration: deployment settings and the business rules' numbers, all from the environment.

Every number the domain rules name lives in `Rules` with its documented default and can be
overridden with an environment variable `REELPAY_<FIELD NAME IN CAPITALS>`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


DEV_SECRET_KEY = "reelpay-development-secret-do-not-use-in-production"
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 128
MAKE_A_SECRET_KEY = (
    'Make a good key with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
)


def secret_key_problem(key: str) -> str | None:
    """Why `key` may not sign playback links and encrypt payout destinations in production.

    None when it may. A key has at least 32 characters, is not the published development key,
    and carries an estimated 128 bits or more: the Shannon entropy of its characters times
    their number, where a key that repeats a shorter string counts as one copy of it ('ab' * 32
    counts as 'ab'). `secrets.token_urlsafe(32)` estimates about 208 bits (none of 200,000
    samples under 175), `secrets.token_hex(32)` about 244. A rough estimate: it catches a
    placeholder or a pattern, not every guessable phrase.
    """
    if not key:
        return "is required in production"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"has {len(key)} characters; production needs at least {SECRET_KEY_MIN_LENGTH}"
    if key == DEV_SECRET_KEY:
        return "is the published development key; production needs its own"
    bits = _entropy_bits(key)
    if bits < SECRET_KEY_MIN_BITS:
        return (
            f"is too predictable: an estimated {bits:.0f} bits of entropy, production needs "
            f"at least {SECRET_KEY_MIN_BITS}"
        )
    return None


def _entropy_bits(key: str) -> float:
    """Shannon entropy of the characters times their number, over the key's shortest period."""
    unit = key[: _shortest_period(key)]
    n = len(unit)
    return max(0.0, -sum(c * math.log2(c / n) for c in Counter(unit).values()))


def _shortest_period(text: str) -> int:
    """The least p with text[i] == text[i + p] for every i (len(text) when none is shorter).

    The prefix function of Knuth, Morris and Pratt: linear in the length of the text.
    """
    border = [0] * len(text)
    k = 0
    for i in range(1, len(text)):
        while k and text[i] != text[k]:
            k = border[k - 1]
        if text[i] == text[k]:
            k += 1
        border[i] = k
    return len(text) - (border[-1] if text else 0)


_R = TypeVar("_R", "Rules", "Limits")


class ConfigurationError(Exception):
    """The environment asks for something that cannot run."""


@dataclass(frozen=True)
class Rules:
    """Business thresholds from domain.md; each is a named setting with the domain's default."""

    min_signup_age: int = 13
    handle_min_length: int = 2
    handle_max_length: int = 24
    display_name_max_length: int = 50
    bio_max_length: int = 300
    url_max_length: int = 2048
    password_min_length: int = 8
    password_max_length: int = 128
    max_pinned_videos: int = 3
    video_title_max_length: int = 150
    video_description_max_length: int = 2200
    video_min_duration_seconds: int = 1
    video_max_duration_seconds: int = 3600
    views_window_days: int = 30
    posts_window_days: int = 30
    analytics_max_range_days: int = 92
    # Reports by day (analytics, rewards, earnings) without `from`/`to`: the last 30 days.
    report_default_days: int = 30
    session_ttl_days: int = 30
    # Money (domain.md "Money"). Amounts of real money are USD cents.
    min_spender_age: int = 18
    min_spender_age_kr: int = 19
    base_rate_coins: int = 70  # paying USD with coins: coins = ceil(cents * 70 / 99)
    base_rate_cents: int = 99
    gift_diamonds_per_coin: int = 1
    diamonds_per_cent: int = 2  # 0.5 US cent per diamond; an odd diamond stays
    gift_max_quantity: int = 99
    gift_receiver_min_age: int = 18
    live_gifts_min_followers: int = 1_000
    tips_min_followers: int = 100_000
    tip_min_cents: int = 100
    tip_max_cents: int = 10_000
    tip_daily_max_cents: int = 50_000
    tip_daily_max_count: int = 100
    idempotency_key_max_length: int = 128
    # Monetization programs (domain.md "Monetization programs and who may join").
    program_min_age: int = 18
    series_min_age_kr: int = 19
    rewards_min_followers: int = 10_000
    rewards_min_views: int = 100_000
    series_min_followers: int = 10_000
    series_min_views: int = 1_000
    series_min_public_posts: int = 3
    series_min_account_age_days: int = 30  # the account must be older than this
    # Series ORIGINAL_CONTENT: no staff flag of a video as unoriginal raised in this many days.
    originality_window_days: int = 30
    marketplace_min_followers: int = 10_000
    reapply_cooldown_days: int = 30
    # A program terms version's label (`publishProgramTerms`), e.g. "2" or "2026-12".
    terms_version_max_length: int = 32
    # Creator Rewards: original public videos longer than this, paid per 1,000 views.
    rewards_min_video_seconds: int = 60
    rewards_cents_per_1000_views: int = 50
    # Series (domain.md "Series").
    series_min_price_cents: int = 99
    series_max_price_cents: int = 18_999
    series_max_episodes: int = 80
    episode_min_seconds: int = 30
    episode_max_seconds: int = 1_200
    series_title_max_length: int = 100
    series_description_max_length: int = 2_000
    series_creator_share_percent: int = 70
    series_refund_window_days: int = 7
    playback_url_ttl_seconds: int = 300
    # Earnings held before they can be withdrawn (Series sales wait for their refund window).
    gifts_hold_days: int = 0
    tips_hold_days: int = 0
    rewards_hold_days: int = 0
    # Payouts (domain.md "Payouts").
    payout_threshold_cents: int = 10_000
    payout_daily_cap_cents: int = 100_000  # per UTC calendar day
    payout_max_methods: int = 10
    payout_max_attempts: int = 5  # provider attempts before a payout fails for good
    payout_retry_base_seconds: int = 60  # then 2x, 4x, ... after each transient failure
    payout_lease_seconds: int = 300  # a payout being sent is not picked up again before this
    payout_batch_size: int = 100
    # A payout the provider accepted and answers later (PayPal) is asked about this often.
    payout_status_poll_seconds: int = 900
    # Creator Marketplace and sponsored challenges (domain.md "Brand partnerships").
    marketplace_fee_basis_points: int = 0  # the platform fee brands pay on top; 100 = 1%
    marketplace_review_days: int = 7  # a submission not reviewed by then is approved
    marketplace_max_change_rounds: int = 2  # changes a brand may request per deal
    campaign_title_max_length: int = 100
    campaign_brief_max_length: int = 4_000
    campaign_message_max_length: int = 2_000  # pitches, invitations, reviews, disputes
    campaign_min_budget_cents: int = 100
    campaign_max_budget_cents: int = 10_000_000  # 100,000 USD per funding charge
    campaign_max_slots: int = 100
    campaign_max_videos: int = 10
    campaign_max_prize_tiers: int = 10
    campaign_max_prize_rank: int = 100


@dataclass(frozen=True)
class Limits:
    """Protection of the API against expensive or abusive operations."""

    max_page_size: int = 100
    default_page_size: int = 20
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_nodes: int = 10_000
    max_nodes_ids: int = 100
    # Fields a document selects once every fragment spread is expanded in place.
    max_selections: int = 5_000
    # Fragments spreading fragments, this many deep at most.
    max_fragment_nesting: int = 50
    # Request bodies over this many bytes are refused (413) before they are read.
    max_body_bytes: int = 1_048_576
    # Password hashes (argon2) running at once; 0 means half the cores, at least one.
    password_hash_concurrency: int = 0
    # Throttles (per sliding window of `*_window_seconds`), shared by every worker through
    # Redis when REELPAY_REDIS_URL is set. Wrong passwords per account; logIn and signUp
    # attempts per client address; recorded views per client address.
    requests_per_address: int = 200  # HTTP requests, any kind (health checks excepted)
    requests_window_seconds: int = 10
    requests_in_flight_per_address: int = 8  # at once per worker; more wait their turn
    login_failures_per_account: int = 10
    login_attempts_per_address: int = 50
    login_window_seconds: int = 900
    signups_per_address: int = 20
    signup_window_seconds: int = 3_600
    views_per_address: int = 120
    views_window_seconds: int = 60
    # Viewer tokens (anonymous viewers of authentic views) issued per client address.
    viewer_sessions_per_address: int = 60
    viewer_sessions_window_seconds: int = 3_600
    # The database: how long to wait for a connection (to open one, or one from the pool)
    # and for one statement before answering SERVICE_UNAVAILABLE; pool size per worker.
    db_connect_timeout_ms: int = 5_000
    db_statement_timeout_ms: int = 15_000
    db_pool_size: int = 10
    db_pool_timeout_ms: int = 10_000
    # Objects allocated between young garbage collections (Python's default is 700). A request
    # allocates tens of thousands of short-lived objects: at 700 the collector took 5-7% of a
    # profile read's time, at 10,000 half that, with pauses under 10 ms (at 50,000 each young
    # collection paused 35 ms). 0 keeps Python's default.
    gc_young_threshold: int = 10_000


@dataclass(frozen=True)
class CoinPackage:
    """A pack of coins sold for real money (`price_cents` in USD cents)."""

    coins: int
    price_cents: int
    currency: str = "USD"


DEFAULT_COIN_PACKAGES: tuple[CoinPackage, ...] = (
    CoinPackage(70, 99),
    CoinPackage(350, 499),
    CoinPackage(700, 999),
    CoinPackage(1_400, 1_999),
    CoinPackage(3_500, 4_999),
    CoinPackage(7_000, 9_999),
)

PAYMENT_PROVIDERS = ("sandbox", "stripe")
# REELPAY_PAYOUT_PROVIDER is `sandbox`, or the real ones, comma-separated: Stripe Connect sends
# bank payouts, PayPal Payouts sends PayPal payouts.
PAYOUT_PROVIDERS = ("sandbox", "stripe", "paypal")
PAYOUT_KINDS = {"stripe": "BANK_ACCOUNT", "paypal": "PAYPAL"}


@dataclass(frozen=True)
class StripeSettings:
    """Stripe: card payments (PaymentIntents) and bank payouts (Connect transfers)."""

    secret_key: str  # REELPAY_STRIPE_SECRET_KEY: sk_live_… (sk_test_… in Stripe's test mode)
    webhook_secret: str  # REELPAY_STRIPE_WEBHOOK_SECRET: whsec_… of the /webhooks/stripe endpoint
    # REELPAY_STRIPE_API_BASE: Stripe's API; tests point it at a local fake.
    api_base: str = "https://api.stripe.com"
    timeout_seconds: float = 20.0  # REELPAY_STRIPE_TIMEOUT_SECONDS: one HTTP request
    max_network_retries: int = 2  # the SDK retries with the same idempotency key
    # REELPAY_STRIPE_CONNECT_WEBHOOK_SECRET: the whsec_… of a second endpoint at the same URL
    # that listens to connected accounts' events (`account.updated`), if it is a separate one.
    connect_webhook_secret: str = ""


@dataclass(frozen=True)
class PayPalSettings:
    """PayPal: payouts to PayPal accounts (the Payouts API)."""

    client_id: str  # REELPAY_PAYPAL_CLIENT_ID
    client_secret: str  # REELPAY_PAYPAL_CLIENT_SECRET
    webhook_id: str  # REELPAY_PAYPAL_WEBHOOK_ID: the id PayPal gave the /webhooks/paypal hook
    # REELPAY_PAYPAL_API_BASE: live; https://api-m.sandbox.paypal.com for PayPal's sandbox.
    api_base: str = "https://api-m.paypal.com"
    timeout_seconds: float = 20.0  # REELPAY_PAYPAL_TIMEOUT_SECONDS


STRIPE_REQUIRED = ("REELPAY_STRIPE_SECRET_KEY", "REELPAY_STRIPE_WEBHOOK_SECRET")
PAYPAL_REQUIRED = (
    "REELPAY_PAYPAL_CLIENT_ID",
    "REELPAY_PAYPAL_CLIENT_SECRET",
    "REELPAY_PAYPAL_WEBHOOK_ID",
)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./reelpay.db"
    environment: Environment = Environment.DEVELOPMENT
    secret_key: str = DEV_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = 8000
    # argon2id cost; the defaults are argon2-cffi's RFC 9106 "low memory" profile.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    rules: Rules = field(default_factory=Rules)
    limits: Limits = field(default_factory=Limits)
    coin_packages: tuple[CoinPackage, ...] = DEFAULT_COIN_PACKAGES
    # Which payment provider takes real money: `sandbox` (no money moves) or `stripe`.
    payment_provider: str = "sandbox"
    # Which payout providers send creators their money: `sandbox`, or `stripe` (bank payouts
    # through Connect) and/or `paypal`, comma-separated in that order ("paypal,stripe").
    payout_provider: str = "sandbox"
    stripe: StripeSettings | None = None  # set when a provider above is Stripe
    paypal: PayPalSettings | None = None  # set when a payout provider above is PayPal
    # Production refuses the sandbox providers unless this is set (a staging deployment).
    allow_sandbox_in_production: bool = False
    # Redis for what every worker must share (throttles); None keeps it in process.
    redis_url: str | None = None
    # Web origins whose pages may call the API (CORS and WebSocket; see `reelpay.origins`).
    cors_origins: tuple[str, ...] = ()
    # Staff may move a shared clock forward for testing (`advanceSandboxClock`); never in
    # production, which always reads the real clock.
    sandbox_clock: bool = True

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def sandbox_clock_enabled(self) -> bool:
        """Whether time is the base clock plus the sandbox offset (never in production)."""
        return self.sandbox_clock and not self.is_production

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read REELPAY_* variables; refuse an unsafe production configuration."""
        env = os.environ if env is None else env
        try:
            environment = Environment(env.get("REELPAY_ENV", Environment.DEVELOPMENT.value))
        except ValueError as exc:
            raise ConfigurationError("REELPAY_ENV must be 'development' or 'production'") from exc
        secret_key = env.get("REELPAY_SECRET_KEY", "")
        if environment is Environment.PRODUCTION:
            problem = secret_key_problem(secret_key)
            if problem is not None:
                raise ConfigurationError(f"REELPAY_SECRET_KEY {problem}. {MAKE_A_SECRET_KEY}")
        providers = _providers(env, environment)
        settings = cls(
            database_url=env.get("REELPAY_DATABASE_URL", cls.database_url),
            environment=environment,
            secret_key=secret_key or DEV_SECRET_KEY,
            host=env.get("REELPAY_HOST", cls.host),
            port=_int(env, "REELPAY_PORT", cls.port),
            password_hash_time_cost=_int(
                env, "REELPAY_PASSWORD_HASH_TIME_COST", cls.password_hash_time_cost
            ),
            password_hash_memory_kib=_int(
                env, "REELPAY_PASSWORD_HASH_MEMORY_KIB", cls.password_hash_memory_kib
            ),
            rules=_overridden(Rules(), env),
            limits=_overridden(Limits(), env),
            coin_packages=_coin_packages(env.get("REELPAY_COIN_PACKAGES")),
            **providers,
            redis_url=env.get("REELPAY_REDIS_URL") or None,
            cors_origins=_origins(env.get("REELPAY_CORS_ORIGINS", "")),
            sandbox_clock=_sandbox_clock(env.get("REELPAY_SANDBOX_CLOCK", ""), environment),
        )
        rules = settings.rules
        if not 1 <= rules.report_default_days <= rules.analytics_max_range_days:
            # A report asked for without dates must be one the API accepts.
            raise ConfigurationError(
                "REELPAY_REPORT_DEFAULT_DAYS must be 1 to REELPAY_ANALYTICS_MAX_RANGE_DAYS "
                f"({rules.analytics_max_range_days}), got {rules.report_default_days}"
            )
        return settings


def _providers(env: Mapping[str, str], environment: Environment) -> dict[str, Any]:
    """The payment and payout providers and their keys, or a ConfigurationError naming every
    variable that is missing or wrong."""
    production = environment is Environment.PRODUCTION
    payment = env.get("REELPAY_PAYMENT_PROVIDER", "").strip()
    payout_raw = env.get("REELPAY_PAYOUT_PROVIDER", "").strip()
    if production and not payment:
        # Never hand out free coins by accident: production names its provider explicitly.
        raise ConfigurationError("REELPAY_PAYMENT_PROVIDER is required in production")
    if production and not payout_raw:
        # Never pretend to pay creators: production names its payout provider explicitly.
        raise ConfigurationError("REELPAY_PAYOUT_PROVIDER is required in production")
    payment = payment or Settings.payment_provider
    if payment not in PAYMENT_PROVIDERS:
        raise ConfigurationError(
            f"REELPAY_PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}"
        )
    payouts = sorted({p.strip() for p in (payout_raw or Settings.payout_provider).split(",")})
    if any(p not in PAYOUT_PROVIDERS for p in payouts) or (
        "sandbox" in payouts and len(payouts) > 1
    ):
        raise ConfigurationError(
            "REELPAY_PAYOUT_PROVIDER must be sandbox, or stripe and/or paypal "
            f"(e.g. stripe,paypal), got {payout_raw!r}"
        )
    allow_sandbox = _flag(env, "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION")
    sandboxed = [
        name
        for name, value in (
            ("REELPAY_PAYMENT_PROVIDER", payment),
            ("REELPAY_PAYOUT_PROVIDER", payouts[0]),
        )
        if value == "sandbox"
    ]
    if production and sandboxed and not allow_sandbox:
        raise ConfigurationError(
            f"{' and '.join(f'{name}=sandbox' for name in sandboxed)} "
            f"{'is' if len(sandboxed) == 1 else 'are'} refused in production: no money would move. "
            "Configure stripe/paypal, or set REELPAY_ALLOW_SANDBOX_IN_PRODUCTION=1 for a "
            "staging deployment."
        )
    uses_stripe = payment == "stripe" or "stripe" in payouts
    uses_paypal = "paypal" in payouts
    missing = [
        name
        for name in (STRIPE_REQUIRED if uses_stripe else ())
        + (PAYPAL_REQUIRED if uses_paypal else ())
        if not env.get(name, "").strip()
    ]
    if missing:
        raise ConfigurationError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required by the "
            "configured payment and payout providers (see the README's Deployment section)"
        )
    stripe = None
    if uses_stripe:
        stripe = StripeSettings(
            secret_key=env["REELPAY_STRIPE_SECRET_KEY"].strip(),
            webhook_secret=env["REELPAY_STRIPE_WEBHOOK_SECRET"].strip(),
            api_base=_url(env, "REELPAY_STRIPE_API_BASE", StripeSettings.api_base),
            timeout_seconds=_int(env, "REELPAY_STRIPE_TIMEOUT_SECONDS", 20) or 20,
            max_network_retries=_int(env, "REELPAY_STRIPE_MAX_NETWORK_RETRIES", 2),
            connect_webhook_secret=env.get("REELPAY_STRIPE_CONNECT_WEBHOOK_SECRET", "").strip(),
        )
    paypal = None
    if uses_paypal:
        paypal = PayPalSettings(
            client_id=env["REELPAY_PAYPAL_CLIENT_ID"].strip(),
            client_secret=env["REELPAY_PAYPAL_CLIENT_SECRET"].strip(),
            webhook_id=env["REELPAY_PAYPAL_WEBHOOK_ID"].strip(),
            api_base=_url(env, "REELPAY_PAYPAL_API_BASE", PayPalSettings.api_base),
            timeout_seconds=_int(env, "REELPAY_PAYPAL_TIMEOUT_SECONDS", 20) or 20,
        )
    return {
        "payment_provider": payment,
        "payout_provider": ",".join(payouts),
        "stripe": stripe,
        "paypal": paypal,
        "allow_sandbox_in_production": allow_sandbox,
    }


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigurationError(f"{name} must be 1 or 0 (true/false), got {raw!r}")


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip().rstrip("/") or default
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", raw):
        raise ConfigurationError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw


def _sandbox_clock(raw: str, environment: Environment) -> bool:
    """`REELPAY_SANDBOX_CLOCK`: `on` (the default outside production) or `off`."""
    value = raw.strip().lower()
    if value not in ("", "on", "off"):
        raise ConfigurationError(f"REELPAY_SANDBOX_CLOCK must be 'on' or 'off', got {raw!r}")
    if environment is Environment.PRODUCTION:
        if value == "on":
            raise ConfigurationError(
                "REELPAY_SANDBOX_CLOCK=on is refused in production: it always uses the real clock"
            )
        return False
    return value != "off"


_ORIGIN = re.compile(r"https?://[^/?#\s]+")


def _origins(raw: str) -> tuple[str, ...]:
    """`https://app.example.com, http://localhost:5173` or `*`; an origin is a scheme and a
    host (and port), with no path: that is what browsers send in `Origin`."""
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise ConfigurationError(
                f"REELPAY_CORS_ORIGINS: {origin!r} is not an origin "
                "(scheme://host[:port], e.g. https://app.example.com) or *"
            )
    return origins


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative, got {value}")
    return value


def _overridden(defaults: _R, env: Mapping[str, str]) -> _R:
    changes = {
        f.name: _int(env, f"REELPAY_{f.name.upper()}", getattr(defaults, f.name))
        for f in dataclasses.fields(defaults)
    }
    return dataclasses.replace(defaults, **changes)


def _coin_packages(raw: str | None) -> tuple[CoinPackage, ...]:
    """`REELPAY_COIN_PACKAGES="70:99,350:499"`: coins:price-in-cents pairs."""
    if raw is None or not raw.strip():
        return DEFAULT_COIN_PACKAGES
    packages = []
    for item in raw.split(","):
        coins, sep, cents = item.strip().partition(":")
        if not (sep and coins.isdigit() and cents.isdigit() and int(coins) > 0 and int(cents) > 0):
            raise ConfigurationError(
                f"REELPAY_COIN_PACKAGES items are coins:cents (e.g. 70:99), got {item.strip()!r}"
            )
        packages.append(CoinPackage(int(coins), int(cents)))
    if len({p.coins for p in packages}) != len(packages):
        raise ConfigurationError("REELPAY_COIN_PACKAGES has two packages with the same coins")
    return tuple(sorted(packages, key=lambda p: p.coins))
