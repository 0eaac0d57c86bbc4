"""Who may see which videos and follow lists. Pure policy, no I/O."""

from __future__ import annotations

from enum import Enum

from reelpay.accounts.models import Account
from reelpay.content.models import Video
from reelpay.enums import FollowStatus, Visibility


class ContentAccess(Enum):
    """How much of an account's content a viewer may see."""

    ALL = "ALL"  # the owner and staff: every video that is not deleted
    PUBLIC = "PUBLIC"  # public videos only
    NONE = "NONE"  # a private account seen by someone it has not approved


def content_access(
    viewer: Account | None, owner: Account, viewer_follow: FollowStatus | None
) -> ContentAccess:
    """Private accounts show their content only to themselves and approved followers."""
    if viewer is not None and (viewer.id == owner.id or viewer.is_staff):
        return ContentAccess.ALL
    if owner.visibility is Visibility.PUBLIC or viewer_follow is FollowStatus.ACCEPTED:
        return ContentAccess.PUBLIC
    return ContentAccess.NONE


def can_see_video(access: ContentAccess, video: Video) -> bool:
    if video.deleted_at is not None:
        return False
    if access is ContentAccess.ALL:
        return True
    return access is ContentAccess.PUBLIC and video.visibility is Visibility.PUBLIC
