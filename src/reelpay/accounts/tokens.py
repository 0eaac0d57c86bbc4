"""Opaque bearer tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "rps_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A fast hash is right here: the token has 256 random bits, nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
