"""Serving an episode's content behind a playback link: the link, the session it was issued to,
and the Series access rule, all checked at the moment of serving (see `series.access`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelpay.accounts import tokens
from reelpay.accounts.models import Account, AuthSession
from reelpay.series import access
from reelpay.series.models import PurchaseStatus, Series, SeriesEpisode, SeriesPurchase

# Why /media refused, beyond `access.LinkProblem` and `access.AccessReason`.
UNAUTHENTICATED = "UNAUTHENTICATED"  # 401: no (or a malformed) `Authorization: Bearer` header
SESSION_ENDED = "SESSION_ENDED"  # 403: the link's session was logged out or has expired
NOT_FOUND = "NOT_FOUND"  # 404: the episode was removed after the link was issued


@dataclass(frozen=True)
class MediaAnswer:
    """What /media answers: 200 with the content of `media_key`, or a status and an error."""

    status: int
    error: str | None = None


async def episode_access(
    session: AsyncSession, *, token: str, media_key: str, now: datetime
) -> MediaAnswer:
    """Whether the live session of bearer `token` may play the episode `media_key` now: one
    SELECT (the session, its account, the episode, its Series and the account's purchases)."""
    purchases = sa.select(SeriesPurchase.id).where(
        SeriesPurchase.series_id == Series.id, SeriesPurchase.buyer_id == Account.id
    )
    active = purchases.where(SeriesPurchase.status == PurchaseStatus.ACTIVE).exists()
    bought = purchases.exists()
    # An episode that is gone still leaves the session's row (the outer joins), so the two
    # refusals stay apart.
    row: Any = (
        await session.execute(
            sa.select(Account, Series, bought, active)
            .select_from(AuthSession)
            .join(Account, Account.id == AuthSession.account_id)
            .outerjoin(SeriesEpisode, SeriesEpisode.media_key == media_key)
            .outerjoin(Series, Series.id == SeriesEpisode.series_id)
            .where(
                AuthSession.token_hash == tokens.hash_token(token),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
        )
    ).one_or_none()
    if row is None:
        return MediaAnswer(403, SESSION_ENDED)
    viewer, series, has_bought, has_active = row
    if series is None:
        return MediaAnswer(404, NOT_FOUND)
    purchase = (
        PurchaseStatus.ACTIVE if has_active else PurchaseStatus.REFUNDED if has_bought else None
    )
    decision = access.can_play(viewer, series, purchase)
    return MediaAnswer(200) if decision.allowed else MediaAnswer(403, decision.reason.value)
