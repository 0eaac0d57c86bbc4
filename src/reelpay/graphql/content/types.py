"""GraphQL types of videos and analytics."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from reelpay.content.models import Video as VideoModel
from reelpay.content.service import Analytics
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import Visibility
from reelpay.graphql.relay import Node
from reelpay.graphql.series.types import Series
from reelpay.series import links

if TYPE_CHECKING:
    from reelpay.graphql.content.originality import VideoOriginalityFlag
    from reelpay.graphql.marketplace.deals import PaidPartnership

FlagRef = Annotated["VideoOriginalityFlag", strawberry.lazy("reelpay.graphql.content.originality")]
PartnershipRef = Annotated["PaidPartnership", strawberry.lazy("reelpay.graphql.marketplace.deals")]


@strawberry.type(description="A short video. Only people allowed to see it can reach it.")
class Video(Node):
    model: strawberry.Private[VideoModel]
    title: str = strawberry.field(description="1 to 150 characters.")
    description: str = strawberry.field(description="Up to 2,200 characters; may be empty.")
    duration_seconds: int = strawberry.field(description="Length in seconds: 1 to 3600.")
    visibility: Visibility = strawberry.field(  # type: ignore[valid-type]
        description="PRIVATE videos are seen by their owner and staff only."
    )
    is_original: bool = strawberry.field(
        description="Declared by the owner: original content, not a repost, a duet or a "
        "re-upload of someone else's content. Creator Rewards pays for original videos only. "
        "Staff may still flag an original-declared video as unoriginal (`originalityFlags`): "
        "those flags, not this declaration, are what Series' ORIGINAL_CONTENT criterion reads."
    )
    published_at: datetime = strawberry.field(description="When it was published (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    view_count: int = strawberry.field(
        description="Lifetime authentic views: what eligibility counts and Creator Rewards pays "
        "on. The owner's own views never count, and each viewer counts once per UTC day "
        "(logged in, or anonymous with a viewer token from `startViewerSession`)."
    )
    play_count: int = strawberry.field(
        description="Lifetime plays: every `recordView`, the owner's, repeats and anonymous "
        "plays without a viewer token included. At least `viewCount`; nothing is paid on it."
    )

    @classmethod
    def from_model(cls, model: VideoModel) -> Video:
        return cls(
            db_id=model.id,
            model=model,
            title=model.title,
            description=model.description,
            duration_seconds=model.duration_seconds,
            visibility=model.visibility,
            is_original=model.is_original,
            published_at=model.published_at,
            updated_at=model.updated_at,
            view_count=model.view_count,
            play_count=model.play_count,
        )

    @strawberry.field(
        description="The account that published it (its figures such as `videos.totalCount` "
        "and, for the owner, `publicPostsInLast30Days` change with its videos)."
    )
    async def owner(self, info: Info[Context, None]) -> Account:
        owner = await info.context.loaders.account.load(self.model.owner_id)
        return Account.from_model(owner)

    @strawberry.field(
        description="Staff flags of this video as unoriginal, newest first, cleared ones "
        "included. Only the video's owner and staff see them: null for everyone else."
    )
    async def originality_flags(self, info: Info[Context, None]) -> list[FlagRef] | None:
        from reelpay.graphql.content.originality import flags_of

        return await flags_of(info, self.model)

    @strawberry.field(
        description="The Series its owner links from this video (`linkVideoSeries`), for "
        "whoever can see the video; null when none is linked, and while the Series is not "
        "PUBLISHED (archiving a Series also removes its links). The link grants no access: "
        "the Series' `viewerAccess` and its episodes' `playback` say what you may play, and "
        "`purchaseSeries` unlocks it."
    )
    async def series(self, info: Info[Context, None]) -> Series | None:
        if self.model.series_id is None:
            return None
        found = await info.context.loaders.series.load(self.model.series_id)
        linked = links.linked_series(self.model, found)
        return Series.from_model(linked) if linked is not None else None

    @strawberry.field(
        description="The public disclosure that this video is a paid partnership with a brand "
        "(put on when it was delivered for a campaign's deal); null when it is not one."
    )
    async def paid_partnership(self, info: Info[Context, None]) -> PartnershipRef | None:
        from reelpay.graphql.marketplace.deals import PaidPartnership

        found = await info.context.loaders.paid_partnership.load(self.db_id)
        return PaidPartnership(model=found, labelled_at=found.labelled_at) if found else None


@strawberry.type(description="A count for one UTC day.")
class DailyCount:
    date: date = strawberry.field(description="The UTC day.")
    count: int = strawberry.field(description="How many on that day.")


@strawberry.type(description="One UTC day of an account's figures.")
class AnalyticsDay:
    date: date = strawberry.field(description="The UTC day.")
    views: int = strawberry.field(
        description="Authentic views of all the account's videos that day (see `Video.viewCount`)."
    )
    plays: int = strawberry.field(
        description="Plays of all the account's videos that day, authentic or not (see "
        "`Video.playCount`)."
    )
    followers_gained: int = strawberry.field(description="New approved followers that day.")
    followers_lost: int = strawberry.field(description="Followers who left that day.")
    followers_total: int = strawberry.field(description="Followers at the end of the day.")


@strawberry.type(description="One video's views per day over an analytics range.")
class VideoViewsSeries:
    video_db_id: strawberry.Private[int]
    total_views: int = strawberry.field(description="Authentic views in the range.")
    daily_views: list[DailyCount] = strawberry.field(
        description="Authentic views, one entry per day of the range."
    )

    @strawberry.field(description="The video (the account's own).")
    async def video(self, info: Info[Context, None]) -> Video:
        model = await info.context.loaders.video.load(self.video_db_id)
        return Video.from_model(model)


@strawberry.type(description="Advanced analytics of a pro (BUSINESS) account.")
class AccountAnalytics:
    from_: date = strawberry.field(name="from", description="The first UTC day of the range.")
    to: date = strawberry.field(description="The last UTC day of the range (included).")
    days: list[AnalyticsDay] = strawberry.field(
        description="One entry per UTC day from `from` to `to`, in order."
    )
    videos: list[VideoViewsSeries] = strawberry.field(
        description="Videos with at least one view in the range."
    )

    @classmethod
    def from_result(cls, result: Analytics) -> AccountAnalytics:
        return cls(
            from_=result.start,
            to=result.end,
            days=[
                AnalyticsDay(
                    date=d.day,
                    views=d.views,
                    plays=d.plays,
                    followers_gained=d.followers_gained,
                    followers_lost=d.followers_lost,
                    followers_total=d.followers_total,
                )
                for d in result.days
            ],
            videos=[
                VideoViewsSeries(
                    video_db_id=s.video_id,
                    total_views=s.total_views,
                    daily_views=[DailyCount(date=day, count=n) for day, n in s.views_by_day],
                )
                for s in result.videos
            ],
        )
