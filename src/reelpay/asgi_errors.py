"""Errors answered by our ASGI middleware, before GraphQL sees the request: the same JSON shape
(`errors[].message`, `extensions.code`) as every other error of the API."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send


async def send_error(
    send: Send,
    status: int,
    message: str,
    extensions: dict[str, Any],
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
