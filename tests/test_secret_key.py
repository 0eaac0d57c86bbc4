"""REELPAY_SECRET_KEY in production: long, not the development key, not predictable.

The key signs playback links and encrypts payout destinations. `secret_key_problem` estimates
its entropy as the Shannon entropy of its characters times their number, over one period of a
key that repeats a shorter string, and asks for 128 bits.
"""

from __future__ import annotations

import secrets

import pytest

from reelpay.cli import main
from reelpay.settings import (
    DEV_SECRET_KEY,
    MAKE_A_SECRET_KEY,
    ConfigurationError,
    Settings,
    secret_key_problem,
)

HOW_TO = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
PRODUCTION = {
    "REELPAY_ENV": "production",
    "REELPAY_PAYMENT_PROVIDER": "sandbox",
    "REELPAY_PAYOUT_PROVIDER": "sandbox",
    "REELPAY_ALLOW_SANDBOX_IN_PRODUCTION": "1",  # a staging deployment: no money moves
}
SAMPLES = 20_000


@pytest.mark.parametrize(
    "make",
    [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(32)],
    ids=["urlsafe", "hex"],
)
def test_keys_from_the_secrets_module_always_pass(make):
    failures = [key for key in (make() for _ in range(SAMPLES)) if secret_key_problem(key)]
    assert failures == []


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is required in production"),
        ("x" * 31, "has 31 characters; production needs at least 32"),
        (secrets.token_urlsafe(16), "has 22 characters; production needs at least 32"),
        (DEV_SECRET_KEY, "is the published development key; production needs its own"),
        ("a" * 64, "is too predictable: an estimated 0 bits"),
        ("k" * 32, "is too predictable: an estimated 0 bits"),
        ("ab" * 32, "is too predictable: an estimated 2 bits"),
        ("0123456789abcdef" * 2, "is too predictable: an estimated 64 bits"),
        ("0123456789abcdef" * 4 + "0123", "is too predictable: an estimated 64 bits"),
        ("password" * 8, "is too predictable: an estimated 22 bits"),
        ("changeme-changeme-changeme-changeme", "is too predictable: an estimated 27 bits"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "is too predictable: an estimated 6 bits"),
    ],
    ids=[
        "empty",
        "31-characters",
        "short-random",
        "development-key",
        "a-times-64",
        "k-times-32",
        "ab-times-32",
        "hex-digits-twice",
        "hex-digits-repeated-with-a-tail",
        "password-times-8",
        "changeme-repeated",
        "almost-all-one-character",
    ],
)
def test_weak_keys_are_refused_with_a_reason(key, problem):
    found = secret_key_problem(key)
    assert found is not None and found.startswith(problem), found


def test_a_key_with_enough_entropy_passes():
    assert secret_key_problem("t3Qm8yXw1NfV6pLk0ZrJ9cHs2BdE7uGa5oWiYqTnR4M") is None
    # A rough estimate: 32 different characters make 160 bits, guessable or not.
    assert secret_key_problem("abcdefghijklmnopqrstuvwxyz012345") is None


@pytest.mark.parametrize(
    "key", ["", "short", DEV_SECRET_KEY, "k" * 32, "0123456789abcdef" * 2], ids=repr
)
def test_production_refuses_to_start_and_says_how_to_make_a_key(key):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({**PRODUCTION, "REELPAY_SECRET_KEY": key})
    message = str(refused.value)
    assert message.startswith("REELPAY_SECRET_KEY ")
    assert message.endswith(MAKE_A_SECRET_KEY) and HOW_TO in message


def test_development_keeps_its_published_key():
    assert Settings.from_env({}).secret_key == DEV_SECRET_KEY
    assert Settings.from_env({"REELPAY_SECRET_KEY": "k" * 32}).secret_key == "k" * 32


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    monkeypatch.setenv("REELPAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (DEV_SECRET_KEY, "is the published development key"),
        ("ab" * 32, "is too predictable: an estimated 2 bits of entropy"),
    ],
    ids=["development-key", "ab-times-32"],
)
def test_the_command_line_refuses_a_weak_key(production_env, capsys, key, reason):
    production_env.setenv("REELPAY_SECRET_KEY", key)
    assert main(["migrate"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"configuration error: REELPAY_SECRET_KEY {reason}")
    assert HOW_TO in captured.err


def test_the_command_line_starts_with_a_good_key(production_env, capsys):
    production_env.setenv("REELPAY_SECRET_KEY", secrets.token_urlsafe(32))
    assert main(["migrate"]) == 0
    assert "database is up to date" in capsys.readouterr().out
