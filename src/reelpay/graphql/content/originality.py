"""Staff flags of videos as unoriginal: the type, `Video.originalityFlags` and the staff
mutations `flagVideoUnoriginal` and `clearVideoFlag`. Flags are seen by the video's owner and
staff only, on every path (`node(id:)` included)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.content import originality
from reelpay.content.models import Video as VideoModel
from reelpay.content.models import VideoOriginalityFlag as FlagModel
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.relay import Node, decode_id_of

VIDEO_ID = ("input", "videoId")
FLAG_ID = ("input", "flagId")


@strawberry.type(
    description="Staff's finding that a video is not original content (a repost, a duet of "
    "someone else's video), whatever its owner declared in `isOriginal`. While it stands (not "
    "cleared) the video earns no Creator Rewards, and for 30 days after it was raised its "
    "owner fails Series' ORIGINAL_CONTENT criterion, even if the video is deleted. The "
    "video's owner and staff see it."
)
class VideoOriginalityFlag(Node):
    model: strawberry.Private[FlagModel]
    reason: str = strawberry.field(description="Why staff flagged it, written for the owner.")
    created_at: datetime = strawberry.field(description="When staff flagged it (UTC).")
    cleared_at: datetime | None = strawberry.field(
        description="When staff cleared it as a mistake (it counts for nothing any more); null "
        "while it stands."
    )

    @classmethod
    def from_model(cls, model: FlagModel) -> VideoOriginalityFlag:
        return cls(
            db_id=model.id,
            model=model,
            reason=model.reason,
            created_at=model.created_at,
            cleared_at=model.cleared_at,
        )

    @strawberry.field(
        description="Not cleared: the video earns no Creator Rewards (cleared flags are kept "
        "for the record)."
    )
    def standing(self) -> bool:
        return self.cleared_at is None

    @strawberry.field(
        description="When it stops failing Series' ORIGINAL_CONTENT criterion: 30 days after "
        "`createdAt` (if it is not cleared before). It still stops Creator Rewards after that, "
        "for as long as it stands."
    )
    def counts_until(self, info: Info[Context, None]) -> datetime:
        return self.created_at + timedelta(days=info.context.settings.rules.originality_window_days)

    @strawberry.field(description="The flagged video; null once it is deleted.")
    async def video(self, info: Info[Context, None]) -> Video | None:
        from reelpay.graphql.node import resolve_visible_video

        return await resolve_visible_video(info, self.model.video_id)


async def _owner_or_staff(info: Info[Context, None], video: VideoModel) -> bool:
    viewer = await info.context.viewer()
    return viewer is not None and (viewer.id == video.owner_id or viewer.is_staff)


async def flags_of(
    info: Info[Context, None], video: VideoModel
) -> list[VideoOriginalityFlag] | None:
    """`Video.originalityFlags`: newest first to the owner and staff, None to anyone else."""
    if not await _owner_or_staff(info, video):
        return None
    flags = await info.context.loaders.originality_flags.load(video.id)
    return [VideoOriginalityFlag.from_model(flag) for flag in flags]


async def flag_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for VideoOriginalityFlag: the video's owner and staff."""
    if await info.context.viewer() is None:
        return None
    flag = (await info.context.read(lambda s: originality.flags_by_ids(s, [pk]))).get(pk)
    if flag is None:
        return None
    video = await info.context.loaders.video.load(flag.video_id)
    if video is None or not await _owner_or_staff(info, video):
        return None
    return VideoOriginalityFlag.from_model(flag)


@strawberry.input(description="A video staff find unoriginal.")
class FlagVideoUnoriginalInput:
    video_id: strawberry.ID = strawberry.field(
        description="The video (not deleted: a deleted video is NOT_FOUND)."
    )
    reason: str = strawberry.field(
        description="Why, for its owner to read (the notification and the ORIGINAL_CONTENT "
        "message quote it): 1 to 500 characters, line breaks allowed."
    )


@strawberry.input(description="A flag to clear.")
class ClearVideoFlagInput:
    flag_id: strawberry.ID = strawberry.field(description="The flag's ID.")


@strawberry.type(description="The result of `flagVideoUnoriginal` or `clearVideoFlag`.")
class VideoOriginalityFlagPayload:
    flag: VideoOriginalityFlag | None = strawberry.field(
        default=None,
        description="The flag as it is now (its `video` shows the video's `originalityFlags`); "
        "null when there are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.type
class OriginalityMutations:
    @strawberry.mutation(
        description="Staff: flag a video as unoriginal, with a reason its owner is notified of "
        "(VIDEO_FLAGGED_UNORIGINAL). While a flag of the video raised in the last 30 days "
        "stands, flagging it again returns that flag unchanged (no second notification, the "
        "30 days do not restart); after that, it raises a new flag."
    )
    async def flag_video_unoriginal(
        self,
        info: Info[Context, None],
        input: Annotated[
            FlagVideoUnoriginalInput,
            strawberry.argument(description="The video and the reason."),
        ],
    ) -> VideoOriginalityFlagPayload:
        ctx = info.context

        async def flag(session: Any, viewer: Any) -> FlagModel:
            staff = accounts.require_staff(logged_in(viewer))
            return await originality.flag_video(
                session,
                staff,
                decode_id_of(input.video_id, "Video", VIDEO_ID),
                reason=input.reason,
                now=ctx.now,
                rules=ctx.settings.rules,
            )

        async def work() -> VideoOriginalityFlagPayload:
            found = await ctx.write(flag)
            return VideoOriginalityFlagPayload(flag=VideoOriginalityFlag.from_model(found))

        return await as_user_errors(VideoOriginalityFlagPayload, work)

    @strawberry.mutation(
        description="Staff: clear a flag raised by mistake. It counts for nothing from now on "
        "(the video earns Creator Rewards again for days not settled yet, and the flag no "
        "longer fails ORIGINAL_CONTENT); it stays listed with `clearedAt`. Clearing a cleared "
        "flag returns it unchanged."
    )
    async def clear_video_flag(
        self,
        info: Info[Context, None],
        input: Annotated[
            ClearVideoFlagInput, strawberry.argument(description="The flag to clear.")
        ],
    ) -> VideoOriginalityFlagPayload:
        ctx = info.context

        async def clear(session: Any, viewer: Any) -> FlagModel:
            staff = accounts.require_staff(logged_in(viewer))
            flag_id = decode_id_of(input.flag_id, "VideoOriginalityFlag", FLAG_ID)
            return await originality.clear_flag(session, staff, flag_id, now=ctx.now)

        async def work() -> VideoOriginalityFlagPayload:
            found = await ctx.write(clear)
            return VideoOriginalityFlagPayload(flag=VideoOriginalityFlag.from_model(found))

        return await as_user_errors(VideoOriginalityFlagPayload, work)
