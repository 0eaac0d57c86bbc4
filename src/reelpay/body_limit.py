"""Refuse request bodies over a size (413) before reading them.

A declared `Content-Length` over the limit is refused at once, unread. A body of unknown length
(chunked) is read up to the limit and refused as soon as it passes it, so no request holds more
than the limit in memory. GraphQL documents are small: the default is 1 MiB.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelpay.asgi_errors import send_error

TOO_LARGE = "BODY_TOO_LARGE"
LINGER_SECONDS = 1.0


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(send, receive)
            return
        if length is not None:
            await self.app(scope, receive, send)  # the server delivers no more than declared
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send, receive)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, receive: Receive) -> None:
        await send_error(
            send,
            413,
            f"The request body is over {self.max_bytes} bytes.",
            {"code": "BAD_REQUEST", "reason": TOO_LARGE},
            ((b"connection", b"close"),),
        )
        await _linger(receive)


async def _linger(receive: Receive) -> None:
    """Read and drop what the client is still sending, for a moment: closing with its upload
    unread resets the connection, and the client may then never see the 413 (like nginx's
    lingering close). Bounded in time, so holding a connection open this way gains nothing."""
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
    except TimeoutError:
        return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
