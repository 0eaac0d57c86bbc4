"""Factories: make accounts and content through the API, and history through services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from reelpay.accounts import service as accounts
from reelpay.content import service as content
from reelpay.db import create_sessionmaker, run_write
from reelpay.graphql.relay import decode_id

_sequence = itertools.count(1)


def decode_pk(global_id: str) -> int:
    """The primary key behind a global ID (tests only: clients treat IDs as opaque)."""
    return decode_id(global_id)[1]


@dataclass
class User:
    id: str  # global ID
    pk: int
    handle: str
    email: str
    token: str
    password: str = "correct horse battery"


async def sign_up(api: Any, handle: str | None = None, **fields: Any) -> User:
    """A new account through `signUp`; defaults make an adult in the US."""
    n = next(_sequence)
    handle = handle or f"user{n}"
    input = {
        "email": fields.pop("email", f"{handle.lower()}@example.com"),
        "password": fields.pop("password", "correct horse battery"),
        "handle": handle,
        "displayName": fields.pop("displayName", handle.title()),
        "birthDate": fields.pop("birthDate", "1995-05-05"),
        "country": fields.pop("country", "US"),
    }
    assert not fields, f"unknown sign-up fields {fields}"
    payload = await api.mutate("signUp", input, "token account { id handle }")
    assert payload["userErrors"] == [], payload["userErrors"]
    account = payload["account"]
    return User(
        id=account["id"],
        pk=decode_pk(account["id"]),
        handle=account["handle"],
        email=input["email"],
        token=payload["token"],
        password=input["password"],
    )


async def make_staff(api: Any, engine: AsyncEngine, handle: str = "staff") -> User:
    user = await sign_up(api, handle)
    async with create_sessionmaker(engine)() as session:
        await run_write(session, lambda: accounts.promote_to_staff(session, user.email))
    return user


async def publish(api: Any, user: User, title: str = "A video", **fields: Any) -> str:
    """Publish a video; returns its global ID."""
    input = {"title": title, "durationSeconds": fields.pop("durationSeconds", 45), **fields}
    payload = await api.mutate("publishVideo", input, "video { id }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["video"]["id"]


async def add_views(engine: AsyncEngine, video_id: str, views_by_day: dict[date, int]) -> None:
    """Load view history through the service (not thousands of mutations)."""
    async with create_sessionmaker(engine)() as session:
        await run_write(
            session, lambda: content.add_views(session, decode_pk(video_id), views_by_day)
        )


async def set_account(api: Any, user: User, **changes: Any) -> dict[str, Any]:
    payload = await api.mutate("updateProfile", changes, "account { id }", token=user.token)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload
