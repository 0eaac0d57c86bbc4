"""Where fans find a creator's Series: `linkVideoSeries`, `unlinkVideoSeries`,
`setProfileSeriesOrder`, and `Account.series` in the creator's order."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay.accounts.models import Account as AccountModel
from reelpay.content.visibility import ContentAccess
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.mutations import VideoPayload
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.relay import (
    Connection,
    InvalidCursor,
    decode_cursor,
    decode_id_of,
    encode_cursor,
    encode_id,
    paged,
)
from reelpay.graphql.series.types import Series
from reelpay.series import links
from reelpay.series import service as series_service

VIDEO_ID = ("input", "videoId")
SERIES_ID = ("input", "seriesId")
PROFILE_KEY = (int, int)  # (profile position, id)
LEGACY_PROFILE_KEY = (int,)  # the id alone, before the profile had an order
INPUT = "The mutation's arguments."


@strawberry.input(description="A video of yours and the Series of yours to link from it.")
class LinkVideoSeriesInput:
    video_id: strawberry.ID = strawberry.field(
        description="One of your videos (not deleted; someone else's is NOT_FOUND)."
    )
    series_id: strawberry.ID = strawberry.field(
        description="One of your Series, PUBLISHED (a draft or an archived one is "
        "SERIES_NOT_PUBLISHED; someone else's is NOT_FOUND)."
    )


@strawberry.input(description="The video whose Series link to remove.")
class UnlinkVideoSeriesInput:
    video_id: strawberry.ID = strawberry.field(
        description="One of your videos (not deleted; someone else's is NOT_FOUND)."
    )


@strawberry.input(description="Your published Series in the order your profile shows them.")
class SetProfileSeriesOrderInput:
    series_ids: list[strawberry.ID] = strawberry.field(
        description="Every one of your PUBLISHED Series exactly once, the first on the profile "
        "first. A missing, repeated, unknown, someone else's, draft or archived ID is "
        "INVALID_INPUT naming it ([] when you have no published Series)."
    )


@strawberry.type(description="The result of `setProfileSeriesOrder`.")
class SetProfileSeriesOrderPayload:
    series: list[Series] | None = strawberry.field(
        default=None,
        description="Your published Series in their new order; null when there are user errors.",
    )
    account: Account | None = strawberry.field(
        default=None,
        description="Your account: its `series` list is in the new order (drafts and archived "
        "Series after the published ones). Null when there are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


@strawberry.type
class SeriesLinkMutations:
    @strawberry.mutation(
        description="Link one of your PUBLISHED Series from one of your videos, so viewers of "
        "the video find it (`Video.series`). A video links one Series: this replaces its link; "
        "the same link again changes nothing. The link grants no access (fans still buy the "
        "Series); archiving the Series removes it."
    )
    async def link_video_series(
        self,
        info: Info[Context, None],
        input: Annotated[LinkVideoSeriesInput, strawberry.argument(description=INPUT)],
    ) -> VideoPayload:
        ctx = info.context

        async def link(session: Any, owner: AccountModel) -> Any:
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            series_id = decode_id_of(input.series_id, "Series", SERIES_ID)
            return await links.link_video_series(session, owner, video_id, series_id, now=ctx.now)

        async def work() -> VideoPayload:
            return VideoPayload(video=Video.from_model(await ctx.write_logged_in(link)))

        return await as_user_errors(VideoPayload, work)

    @strawberry.mutation(
        description="Remove the Series link of one of your videos (`Video.series` becomes "
        "null); a video without one is left as it is."
    )
    async def unlink_video_series(
        self,
        info: Info[Context, None],
        input: Annotated[UnlinkVideoSeriesInput, strawberry.argument(description=INPUT)],
    ) -> VideoPayload:
        ctx = info.context

        async def unlink(session: Any, owner: AccountModel) -> Any:
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            return await links.unlink_video_series(session, owner, video_id, now=ctx.now)

        async def work() -> VideoPayload:
            return VideoPayload(video=Video.from_model(await ctx.write_logged_in(unlink)))

        return await as_user_errors(VideoPayload, work)

    @strawberry.mutation(
        description="Choose the order in which your profile (`Account.series`) lists your "
        "published Series. Until you call it again, a Series you publish goes first; drafts "
        "and archived Series (seen where `Account.series` shows them) come after the "
        "published ones."
    )
    async def set_profile_series_order(
        self,
        info: Info[Context, None],
        input: Annotated[SetProfileSeriesOrderInput, strawberry.argument(description=INPUT)],
    ) -> SetProfileSeriesOrderPayload:
        ctx = info.context

        async def reorder(session: Any, creator: AccountModel) -> Any:
            ids = [
                decode_id_of(gid, "Series", ("input", "seriesIds", str(i)))
                for i, gid in enumerate(input.series_ids)
            ]
            ordered = await links.set_profile_order(
                session, creator, ids, name=lambda pk: encode_id("Series", pk)
            )
            return creator, ordered

        async def work() -> SetProfileSeriesOrderPayload:
            creator, ordered = await ctx.write_logged_in(reorder)
            return SetProfileSeriesOrderPayload(
                series=[Series.from_model(s) for s in ordered],
                account=Account.from_model(creator),
            )

        return await as_user_errors(SetProfileSeriesOrderPayload, work)


async def profile_series(
    info: Info[Context, None],
    account_id: int,
    *,
    own: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Series] | None:
    """`Account.series`: the creator's Series in their profile order; null when the account's
    content is hidden from the viewer. `own`: the creator or staff, who see drafts too."""
    ctx = info.context
    if not own and await ctx.loaders.access.load(account_id) is ContentAccess.NONE:
        return None
    after = await _current_cursor(ctx, account_id, after, "after")
    before = await _current_cursor(ctx, account_id, before, "before")
    return await paged(
        ctx, PROFILE_KEY, first=first, after=after, last=last, before=before,
        fetch=lambda s, request: series_service.creator_series(
            s, account_id, request, include_drafts=own
        ),
        count=lambda s: series_service.creator_series_count(s, account_id, include_drafts=own),
        to_node=Series.from_model,
    )  # fmt: skip


async def _current_cursor(
    ctx: Context, account_id: int, cursor: str | None, argument: str
) -> str | None:
    """A cursor as the list is keyed now: one given out when it was keyed by the Series id
    alone is read as that Series' current place."""
    if cursor is None:
        return None
    try:
        (series_id,) = decode_cursor(cursor, LEGACY_PROFILE_KEY, argument)
    except InvalidCursor:
        return cursor  # a current cursor, or junk that `paged` reports
    key = await ctx.read(lambda s: series_service.profile_key(s, account_id, series_id))
    if key is None:
        raise InvalidCursor(f"`{argument}` is not a cursor this list gave out.", field=(argument,))
    return encode_cursor(key)
