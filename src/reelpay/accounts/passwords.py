"""argon2id password hashing, run off the event loop (hashing is deliberately slow)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reelpay.settings import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=max(1, settings.password_hash_time_cost),
            memory_cost=max(8, settings.password_hash_memory_kib),
        )
        # Verified when an email is unknown, so both paths take the same time.
        self._dummy_hash = self._hasher.hash("reelpay-timing-equaliser")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; always does the full amount of work."""

        def check() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                    password_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)
