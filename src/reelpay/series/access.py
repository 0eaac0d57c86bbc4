"""Who may play a Series' episodes, and signed playback links. Pure: no I/O.

A playback link is bound to the login session that asked for it: its signature covers the
episode's media key, the session (as the SHA-256 hash of its bearer token, which is how the
database knows it) and the expiry, under the server's secret key. The URL itself carries only the
key, the expiry and the signature: no account id, nothing that identifies the session. /media
needs the same session's bearer token to verify it, then decides access again (`can_play`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from reelpay.accounts import tokens
from reelpay.accounts.models import Account
from reelpay.enums import Standing
from reelpay.series.models import PurchaseStatus, Series, SeriesStatus


class AccessReason(StrEnum):
    OWNER = "OWNER"
    PURCHASED = "PURCHASED"
    NOT_PURCHASED = "NOT_PURCHASED"
    REFUNDED = "REFUNDED"
    BANNED = "BANNED"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: AccessReason


def can_watch(viewer_id: int | None, creator_id: int, purchase: PurchaseStatus | None) -> Decision:
    """The creator and buyers with an active purchase play episodes; nobody else (staff
    neither: they moderate metadata, they do not get paid content for free)."""
    if viewer_id is not None and viewer_id == creator_id:
        return Decision(True, AccessReason.OWNER)
    if purchase is PurchaseStatus.ACTIVE:
        return Decision(True, AccessReason.PURCHASED)
    if purchase is PurchaseStatus.REFUNDED:
        return Decision(False, AccessReason.REFUNDED)
    return Decision(False, AccessReason.NOT_PURCHASED)


def can_play(viewer: Account | None, series: Series, purchase: PurchaseStatus | None) -> Decision:
    """`can_watch` with what may change after a link was issued: a BANNED buyer plays nothing
    they bought, and buyers play only a published or archived Series (the creator always plays
    their own). /media decides it again each time it serves, so a change counts at once."""
    decision = can_watch(viewer.id if viewer else None, series.creator_id, purchase)
    if decision.reason is not AccessReason.PURCHASED:
        return decision
    if viewer is not None and viewer.standing is Standing.BANNED:
        return Decision(False, AccessReason.BANNED)
    if series.status not in (SeriesStatus.PUBLISHED, SeriesStatus.ARCHIVED):
        return Decision(False, AccessReason.NOT_PURCHASED)
    return decision


def can_see_series(
    viewer: Account | None, series: Series, purchase: PurchaseStatus | None
) -> bool | None:
    """Who sees a Series at all: the creator and staff always; once published (or archived),
    anyone who bought it (even refunded), and otherwise (None) whoever may see the creator's
    content, which the caller looks up only then."""
    if viewer is not None and (viewer.id == series.creator_id or viewer.is_staff):
        return True
    if series.status is SeriesStatus.DRAFT:
        return False
    return True if purchase is not None else None


MEDIA_PREFIX = "/media/"
_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


def _signature(secret: str, media_key: str, token: str, expires: int) -> str:
    # The session enters as its token's hash (what `auth_sessions` stores), never as an id; the
    # first line keeps these signatures apart from any other HMAC made with the same key.
    message = f"playback\n{media_key}\n{tokens.hash_token(token)}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def playback_url(
    secret: str, media_key: str, token: str, *, now: datetime, ttl_seconds: int
) -> tuple[str, datetime]:
    """A link to an episode's content for the session of bearer `token`, expiring after
    `ttl_seconds`: `/media/<key>?expires=<unix seconds>&sig=<64 hex digits>`."""
    expires_at = now + timedelta(seconds=ttl_seconds)
    expires = int(expires_at.timestamp())
    query = urlencode({"expires": expires, "sig": _signature(secret, media_key, token, expires)})
    return f"{MEDIA_PREFIX}{media_key}?{query}", expires_at


class LinkProblem(StrEnum):
    MALFORMED = "MALFORMED"
    TAMPERED = "TAMPERED"  # changed, signed with another key, or issued to another session
    EXPIRED = "EXPIRED"


def check_link(
    secret: str,
    media_key: str,
    token: str,
    expires: str | None,
    sig: str | None,
    *,
    now: datetime,
) -> LinkProblem | None:
    """None when the link is genuine, was issued to the session of bearer `token`, and has
    not expired (it stops working at its `expires` second exactly)."""
    # Exactly the digits we write: ASCII, no sign, no leading zero (so no other spelling of
    # the same number passes, and int() never sees something it cannot parse).
    if not (expires and _NUMBER.fullmatch(expires) and sig and _SIGNATURE.fullmatch(sig)):
        return LinkProblem.MALFORMED
    expected = _signature(secret, media_key, token, int(expires))
    if not hmac.compare_digest(expected, sig):
        return LinkProblem.TAMPERED
    if int(expires) <= now.timestamp():
        return LinkProblem.EXPIRED
    return None
