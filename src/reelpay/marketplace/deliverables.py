"""What a video must be to be delivered for a deal (pure: no I/O).

The creator's own PUBLIC video on a public account, not deleted, published inside the posting
window [posting_starts_at, posting_ends_at), carrying the campaign's hashtag and mention when
set, not delivered for another deal, and not already labelled as a paid partnership of another
campaign; exactly `videos_required` distinct videos in one submission. Every problem is
reported at once, each with the path of the video at fault (`input.videoIds.<index>`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from reelpay.enums import Visibility
from reelpay.errors import ErrorCode, Problem
from reelpay.marketplace.models import Campaign

VIDEOS_FIELD = ("input", "videoIds")


def carries_hashtag(text: str, hashtag: str) -> bool:
    """Whether `text` has "#hashtag" as a whole tag, in any letter case ("#glow" is not in
    "#glowup", but is in "#Glow!")."""
    tag = hashtag.strip().removeprefix("#")
    if not tag:
        return True
    pattern = rf"(?<![\w#])#{re.escape(tag)}(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def carries_mention(text: str, handle: str) -> bool:
    """Whether `text` mentions "@handle" as a whole handle, in any letter case (a handle may
    hold "." and "_", but never ends with "."; a "." after it ends the sentence)."""
    name = handle.strip().removeprefix("@")
    if not name:
        return True
    pattern = rf"(?<![\w@.])@{re.escape(name)}(?![\w]|\.\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


@dataclass(frozen=True)
class VideoFacts:
    """One video as the rules look at it."""

    id: int
    owner_id: int
    owner_public: bool
    visibility: Visibility
    deleted: bool
    published_at: datetime
    title: str
    description: str
    # The deal it is delivered for already (a video is delivered once), if any.
    delivered_for_deal_id: int | None = None
    # The campaign whose paid-partnership label it carries, if any.
    labelled_for_campaign_id: int | None = None


def problems(
    campaign: Campaign,
    *,
    creator_id: int,
    deal_id: int,
    video_ids: Sequence[int],
    videos: Mapping[int, VideoFacts],
) -> list[Problem]:
    """Everything wrong with submitting `video_ids` (in order) for the deal; empty: fine."""
    found: list[Problem] = []
    required = campaign.videos_required
    if len(video_ids) != required:
        plural = "video" if required == 1 else "videos"
        found.append(
            Problem(
                ErrorCode.INVALID_DELIVERABLE,
                f"Submit exactly {required} {plural} (you sent {len(video_ids)}).",
                VIDEOS_FIELD,
            )
        )
    seen: set[int] = set()
    for index, video_id in enumerate(video_ids):
        field = (*VIDEOS_FIELD, str(index))
        if video_id in seen:
            found.append(
                Problem(ErrorCode.INVALID_DELIVERABLE, "This video is listed twice.", field)
            )
            continue
        seen.add(video_id)
        video = videos.get(video_id)
        problem = _video_problem(campaign, creator_id, deal_id, video)
        if problem is not None:
            found.append(Problem(problem[0], problem[1], field))
    return found


def _video_problem(
    campaign: Campaign, creator_id: int, deal_id: int, video: VideoFacts | None
) -> tuple[ErrorCode, str] | None:
    bad = ErrorCode.INVALID_DELIVERABLE
    if video is None or video.owner_id != creator_id or video.deleted:
        return bad, "No such video of yours."
    if video.visibility is not Visibility.PUBLIC or not video.owner_public:
        return bad, "Deliverables are public videos (on a public account): this one is not."
    if not campaign.posting_starts_at <= video.published_at < campaign.posting_ends_at:
        return (
            ErrorCode.OUTSIDE_POSTING_WINDOW,
            f"The video was published at {video.published_at.isoformat()}, outside the posting "
            f"window ({campaign.posting_starts_at.isoformat()} to "
            f"{campaign.posting_ends_at.isoformat()}, the end excluded).",
        )
    text = f"{video.title}\n{video.description}"
    if campaign.hashtag and not carries_hashtag(text, campaign.hashtag):
        tag = campaign.hashtag.removeprefix("#")
        return bad, f"The video's title or description must carry #{tag}."
    if campaign.mention and not carries_mention(text, campaign.mention):
        handle = campaign.mention.removeprefix("@")
        return bad, f"The video's title or description must mention @{handle}."
    if video.delivered_for_deal_id is not None and video.delivered_for_deal_id != deal_id:
        return bad, "The video was delivered for another deal already."
    if video.labelled_for_campaign_id is not None and video.labelled_for_campaign_id != campaign.id:
        return bad, "The video is labelled as a paid partnership of another campaign."
    return None
