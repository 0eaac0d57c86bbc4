"""GraphQL types of videos and analytics."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from reelpay.content.models import Video as VideoModel
from reelpay.content.service import Analytics
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.context import Context
from reelpay.graphql.enums import Visibility
from reelpay.graphql.relay import Node


@strawberry.type(description="A short video. Only people allowed to see it can reach it.")
class Video(Node):
    model: strawberry.Private[VideoModel]
    title: str
    description: str
    duration_seconds: int
    visibility: Visibility  # type: ignore[valid-type]
    is_original: bool
    published_at: datetime
    updated_at: datetime
    view_count: int = strawberry.field(description="Lifetime views.")

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
        )

    @strawberry.field
    async def owner(self, info: Info[Context, None]) -> Account:
        owner = await info.context.loaders.account.load(self.model.owner_id)
        return Account.from_model(owner)


@strawberry.type
class DailyCount:
    date: date
    count: int


@strawberry.type(description="One UTC day of an account's figures.")
class AnalyticsDay:
    date: date
    views: int
    followers_gained: int
    followers_lost: int
    followers_total: int = strawberry.field(description="Followers at the end of the day.")


@strawberry.type
class VideoViewsSeries:
    video_db_id: strawberry.Private[int]
    total_views: int = strawberry.field(description="Views in the range.")
    daily_views: list[DailyCount] = strawberry.field(description="One entry per day of the range.")

    @strawberry.field
    async def video(self, info: Info[Context, None]) -> Video:
        model = await info.context.loaders.video.load(self.video_db_id)
        return Video.from_model(model)


@strawberry.type(description="Advanced analytics of a pro (BUSINESS) account.")
class AccountAnalytics:
    from_: date = strawberry.field(name="from")
    to: date
    days: list[AnalyticsDay]
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
