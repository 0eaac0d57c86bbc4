"""Cursors of `Account.notifications`: (last change, id), newest change first. Cursors given
out when the list was keyed by the id alone are still read, as that notification's key."""

from __future__ import annotations

from datetime import datetime

from reelpay.graphql.context import Context
from reelpay.graphql.relay import InvalidCursor, decode_cursor, encode_cursor
from reelpay.notifications import service as notifications

NOTIFICATION_KEY = (datetime, int)
LEGACY_NOTIFICATION_KEY = (int,)


async def current(ctx: Context, account_id: int, cursor: str | None, argument: str) -> str | None:
    """The cursor as the list reads it now (junk is left for `page_request` to report)."""
    if cursor is None:
        return None
    try:
        (notification_id,) = decode_cursor(cursor, LEGACY_NOTIFICATION_KEY, argument)
    except InvalidCursor:
        return cursor
    key = await ctx.read(lambda s: notifications.cursor_key(s, account_id, notification_id))
    if key is None:
        raise InvalidCursor(f"`{argument}` is not a cursor this list gave out.", field=(argument,))
    return encode_cursor(key)
