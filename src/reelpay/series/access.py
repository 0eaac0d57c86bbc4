"""Who may play a Series' episodes, and signed playback links. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from reelpay.accounts.models import Account
from reelpay.series.models import PurchaseStatus, Series, SeriesStatus


class AccessReason(StrEnum):
    OWNER = "OWNER"
    PURCHASED = "PURCHASED"
    NOT_PURCHASED = "NOT_PURCHASED"
    REFUNDED = "REFUNDED"


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


def _signature(secret: str, media_key: str, viewer_id: int, expires: int) -> str:
    message = f"{media_key}\n{viewer_id}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def playback_url(
    secret: str, media_key: str, viewer_id: int, *, now: datetime, ttl_seconds: int
) -> tuple[str, datetime]:
    """A link to an episode's content for one viewer that expires after `ttl_seconds`."""
    expires_at = now + timedelta(seconds=ttl_seconds)
    expires = int(expires_at.timestamp())
    query = urlencode(
        {
            "viewer": viewer_id,
            "expires": expires,
            "sig": _signature(secret, media_key, viewer_id, expires),
        }
    )
    return f"{MEDIA_PREFIX}{media_key}?{query}", expires_at


class LinkProblem(StrEnum):
    MALFORMED = "MALFORMED"
    TAMPERED = "TAMPERED"
    EXPIRED = "EXPIRED"


def check_link(
    secret: str,
    media_key: str,
    viewer: str | None,
    expires: str | None,
    sig: str | None,
    *,
    now: datetime,
) -> LinkProblem | None:
    """None when the link is genuine and unexpired."""
    # Exactly the digits we write: ASCII, no sign, no leading zero (so no other spelling of
    # the same number passes, and int() never sees something it cannot parse).
    numbers_ok = bool(
        viewer and expires and _NUMBER.fullmatch(viewer) and _NUMBER.fullmatch(expires)
    )
    if not (numbers_ok and sig and _SIGNATURE.fullmatch(sig)):
        return LinkProblem.MALFORMED
    assert viewer is not None and expires is not None and sig is not None
    expected = _signature(secret, media_key, int(viewer), int(expires))
    if not hmac.compare_digest(expected, sig):
        return LinkProblem.TAMPERED
    if int(expires) <= now.timestamp():
        return LinkProblem.EXPIRED
    return None
