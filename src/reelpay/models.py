"""Every table, imported in one place for Alembic and the tests."""

from reelpay.accounts.models import Account, AuthSession
from reelpay.content.models import DailyFollowerChange, Follow, PinnedVideo, Video, VideoDailyViews
from reelpay.db import Base

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "DailyFollowerChange",
    "Follow",
    "PinnedVideo",
    "Video",
    "VideoDailyViews",
]
