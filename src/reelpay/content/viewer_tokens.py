"""Viewer tokens: how an anonymous client is one viewer for authentic views. Pure.

A token is `rv1.<client id>.<signature>`: a random client id signed with a key derived from the
server's secret key. Nothing is stored: a token is valid while the secret key is the same, and
a forged, altered or garbled one is simply not a viewer (its plays are not authentic views).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "rv1"
_ID_BYTES = 16
MAX_TOKEN_LENGTH = 200


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"reelpay viewer tokens\x00" + secret_key.encode()).digest()


def _signature(secret_key: str, client_id: str) -> str:
    digest = hmac.new(_key(secret_key), client_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(secret_key: str) -> str:
    """A new token naming a new anonymous viewer."""
    client_id = secrets.token_urlsafe(_ID_BYTES)
    return f"{PREFIX}.{client_id}.{_signature(secret_key, client_id)}"


def client_id(secret_key: str, token: str | None) -> str | None:
    """The viewer a token names, or None when it is missing or not one we issued."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1]:
        return None
    if not hmac.compare_digest(_signature(secret_key, parts[1]).encode(), parts[2].encode()):
        return None
    return parts[1]
