"""argon2id password hashing, run off the event loop (hashing is deliberately slow).

At most `password_hash_concurrency` hashes run at once (half the cores by default), in threads of
their own: a flood of logins queues here instead of taking every core from everything else.
Callers hash with no transaction open and no connection held.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reelpay.settings import Settings

T = TypeVar("T")


def hash_concurrency(configured: int) -> int:
    """The configured number, or half the cores (at least one) for 0."""
    return configured if configured > 0 else max(1, (os.cpu_count() or 2) // 2)


_pools: dict[int, ThreadPoolExecutor] = {}


def _threads(count: int) -> ThreadPoolExecutor:
    """One pool per process (per size): the bound holds however many apps it runs."""
    if count not in _pools:
        _pools[count] = ThreadPoolExecutor(count, thread_name_prefix="reelpay-argon2")
    return _pools[count]


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=max(1, settings.password_hash_time_cost),
            memory_cost=max(8, settings.password_hash_memory_kib),
        )
        self.concurrency = hash_concurrency(settings.limits.password_hash_concurrency)
        self._threads = _threads(self.concurrency)
        # Verified when an email is unknown, so both paths take the same time.
        self._dummy_hash = self._hasher.hash("reelpay-timing-equaliser")

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work)

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; always does the full amount of work."""

        def check() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                    password_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

        return await self._run(check)
