"""Video, pin, follow and view mutations."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from reelpay.content import service as content
from reelpay.content import viewer_tokens
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context, logged_in
from reelpay.graphql.enums import FollowStatus, Visibility
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.relay import decode_id_of, encode_id

VIDEO_ID = ("input", "videoId")
ACCOUNT_ID = ("input", "accountId")
USER_ERRORS_DESCRIPTION = "Why nothing changed; empty on success."
VIEWER_DESCRIPTION = (
    "Your own account as it is now (its counts and follow requests included); null when there "
    "are user errors."
)


@strawberry.input(description="A new video.")
class PublishVideoInput:
    title: str = strawberry.field(description="1 to 150 characters.")
    duration_seconds: int = strawberry.field(description="1 to 3600 seconds.")
    description: str = strawberry.field(default="", description="Up to 2,200 characters.")
    visibility: Visibility = strawberry.field(  # type: ignore[valid-type]
        default=Visibility.PUBLIC, description="PRIVATE: only you and staff see it."
    )
    is_original: bool = strawberry.field(
        default=True,
        description="Whether this is your own original content: send false for a repost, a "
        "duet or a re-upload of someone else's content. Creator Rewards pays for original "
        "videos only; staff may flag a video that is not what it declares.",
    )


@strawberry.type(
    description="The result of a video mutation. The video's `owner` is the account whose "
    "figures the change moved (video counts, pins, views)."
)
class VideoPayload:
    video: Video | None = strawberry.field(
        default=None,
        description="The video as it is now (same `id`, so caches update it); null when there "
        "are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="Only the fields you send change.")
class UpdateVideoInput:
    video_id: strawberry.ID = strawberry.field(description="One of your videos.")
    title: str | None = strawberry.field(default=None, description="1 to 150 characters.")
    description: str | None = strawberry.field(
        default=None, description='Up to 2,200 characters; "" clears it.'
    )
    visibility: Visibility | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Making a video PRIVATE unpins it."
    )
    is_original: bool | None = strawberry.field(
        default=None,
        description="Whether this is your own original content (false: a repost, a duet or a "
        "re-upload of someone else's content). Changing it does not clear a staff flag "
        "(`originalityFlags`): flags are what Series' ORIGINAL_CONTENT criterion reads.",
    )


@strawberry.input(description="The video to delete.")
class DeleteVideoInput:
    video_id: strawberry.ID = strawberry.field(description="One of your videos.")


@strawberry.type(description="The result of `deleteVideo`.")
class DeleteVideoPayload:
    deleted_video_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The ID of the deleted video (evict it from caches); null when there are "
        "user errors.",
    )
    owner: Account | None = strawberry.field(
        default=None,
        description="Your account as it is now, without the video (in `videos` and "
        "`pinnedVideos`); null when there are user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="The videos to pin, in order.")
class SetPinnedVideosInput:
    video_ids: list[strawberry.ID] = strawberry.field(
        description="Up to 3 of your own public videos, in display order; [] unpins all."
    )


@strawberry.type(description="The result of `setPinnedVideos`.")
class SetPinnedVideosPayload:
    account: Account | None = strawberry.field(
        default=None,
        description="Your account with its `pinnedVideos` as they are now; null when there are "
        "user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="Another account, by its global ID.")
class AccountRefInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")


@strawberry.type(description="The result of `follow`.")
class FollowPayload:
    account: Account | None = strawberry.field(
        default=None,
        description="The followed account as it is now (`followerCount`, `viewerFollowStatus`); "
        "what it hides from you stays hidden. Null when there are user errors.",
    )
    status: FollowStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="PENDING when the account is private and must approve."
    )
    viewer: Account | None = strawberry.field(
        default=None, description=VIEWER_DESCRIPTION + " `followingCount` counts the follow."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.type(
    description="The result of a follow change between you and another account: both accounts "
    "as they are now."
)
class AccountPayload:
    account: Account | None = strawberry.field(
        default=None,
        description="The other account: the one you unfollowed, or whose request you approved "
        "or declined, as it is now (counts and `viewerFollowStatus`); what it hides from you "
        "stays hidden. Null when there are user errors.",
    )
    viewer: Account | None = strawberry.field(default=None, description=VIEWER_DESCRIPTION)
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.input(description="The video watched.")
class RecordViewInput:
    video_id: strawberry.ID = strawberry.field(description="A video you may see.")
    viewer_token: str | None = strawberry.field(
        default=None,
        description="Anonymous viewers: the token `startViewerSession` gave this client, so "
        "its first play of the video each UTC day counts as an authentic view. Missing, "
        "altered or not ours: the play is still recorded (`playCount`) but is not an "
        "authentic view, and there is no error. Ignored when you are logged in (your account "
        "is the viewer).",
    )


@strawberry.input(description="Start (or keep) an anonymous viewer session.")
class StartViewerSessionInput:
    viewer_token: str | None = strawberry.field(
        default=None,
        description="A token this client already holds: when it is valid it is returned "
        "unchanged (the same viewer), so a client may call this at every start. Otherwise a "
        "new token is issued.",
    )


@strawberry.type(description="The result of `startViewerSession`.")
class StartViewerSessionPayload:
    viewer_token: str | None = strawberry.field(
        default=None,
        description="An opaque token naming this anonymous viewer: keep it (it does not "
        "expire) and send it as `recordView(input: {viewerToken})`. Null when there are "
        "user errors.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description=USER_ERRORS_DESCRIPTION
    )


@strawberry.type
class ContentMutations:
    @strawberry.mutation(description="Publish a video on the viewer's profile.")
    async def publish_video(
        self,
        info: Info[Context, None],
        input: Annotated[
            PublishVideoInput, strawberry.argument(description="The video to publish.")
        ],
    ) -> VideoPayload:
        ctx = info.context
        draft = content.VideoDraft(
            title=input.title,
            duration_seconds=input.duration_seconds,
            visibility=input.visibility,
            description=input.description,
            is_original=input.is_original,
        )

        async def work() -> VideoPayload:
            video = await ctx.write(
                lambda s, viewer: content.publish_video(
                    s, logged_in(viewer), draft, now=ctx.now, rules=ctx.settings.rules
                )
            )
            return VideoPayload(video=Video.from_model(video))

        return await as_user_errors(VideoPayload, work)

    @strawberry.mutation(description="Edit one of the viewer's videos.")
    async def update_video(
        self,
        info: Info[Context, None],
        input: Annotated[
            UpdateVideoInput, strawberry.argument(description="The video and the fields to change.")
        ],
    ) -> VideoPayload:
        ctx = info.context
        changes = content.VideoChanges(
            title=input.title,
            description=input.description,
            visibility=input.visibility,
            is_original=input.is_original,
        )

        async def work() -> VideoPayload:
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            video = await ctx.write(
                lambda s, viewer: content.update_video(
                    s, logged_in(viewer), video_id, changes, now=ctx.now, rules=ctx.settings.rules
                )
            )
            return VideoPayload(video=Video.from_model(video))

        return await as_user_errors(VideoPayload, work)

    @strawberry.mutation(description="Delete one of the viewer's videos (it also leaves pins).")
    async def delete_video(
        self,
        info: Info[Context, None],
        input: Annotated[DeleteVideoInput, strawberry.argument(description="The video to delete.")],
    ) -> DeleteVideoPayload:
        ctx = info.context

        async def work() -> DeleteVideoPayload:
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            await ctx.write(
                lambda s, viewer: content.delete_video(s, logged_in(viewer), video_id, now=ctx.now)
            )
            return DeleteVideoPayload(
                deleted_video_id=encode_id("Video", video_id), owner=await _viewer(ctx)
            )

        return await as_user_errors(DeleteVideoPayload, work)

    @strawberry.mutation(description="Set the viewer's pinned videos (pro accounts only).")
    async def set_pinned_videos(
        self,
        info: Info[Context, None],
        input: Annotated[
            SetPinnedVideosInput, strawberry.argument(description="The videos to pin.")
        ],
    ) -> SetPinnedVideosPayload:
        ctx = info.context

        async def work() -> SetPinnedVideosPayload:
            ids = [
                decode_id_of(gid, "Video", ("input", "videoIds", str(i)))
                for i, gid in enumerate(input.video_ids)
            ]

            async def pin(session: Any, viewer: Any) -> Any:
                account = logged_in(viewer)
                await content.set_pinned_videos(session, account, ids, rules=ctx.settings.rules)
                return account

            account = await ctx.write(pin)
            return SetPinnedVideosPayload(account=Account.from_model(account))

        return await as_user_errors(SetPinnedVideosPayload, work)

    @strawberry.mutation(
        description="Follow an account; a private account gets a request it must approve."
    )
    async def follow(
        self,
        info: Info[Context, None],
        input: Annotated[
            AccountRefInput, strawberry.argument(description="The account to follow.")
        ],
    ) -> FollowPayload:
        ctx = info.context

        async def work() -> FollowPayload:
            account_id = decode_id_of(input.account_id, "Account", ACCOUNT_ID)
            row = await ctx.write(
                lambda s, viewer: content.follow(s, logged_in(viewer), account_id, now=ctx.now)
            )
            followee = await ctx.loaders.account.load(row.followee_id)
            return FollowPayload(
                account=Account.from_model(followee), status=row.status, viewer=await _viewer(ctx)
            )

        return await as_user_errors(FollowPayload, work)

    @strawberry.mutation(description="Stop following an account, or withdraw a request.")
    async def unfollow(
        self,
        info: Info[Context, None],
        input: Annotated[
            AccountRefInput, strawberry.argument(description="The account to stop following.")
        ],
    ) -> AccountPayload:
        ctx = info.context

        async def work() -> AccountPayload:
            account_id = decode_id_of(input.account_id, "Account", ACCOUNT_ID)
            account = await ctx.write(
                lambda s, viewer: content.unfollow(s, logged_in(viewer), account_id, now=ctx.now)
            )
            return AccountPayload(account=Account.from_model(account), viewer=await _viewer(ctx))

        return await as_user_errors(AccountPayload, work)

    @strawberry.mutation(description="Approve a request to follow the viewer's private account.")
    async def approve_follow_request(
        self,
        info: Info[Context, None],
        input: Annotated[
            AccountRefInput,
            strawberry.argument(description="The account that asked to follow you."),
        ],
    ) -> AccountPayload:
        ctx = info.context

        async def work() -> AccountPayload:
            follower_id = decode_id_of(input.account_id, "Account", ACCOUNT_ID)
            await ctx.write(
                lambda s, viewer: content.approve_follow_request(
                    s, logged_in(viewer), follower_id, now=ctx.now
                )
            )
            follower = await ctx.loaders.account.load(follower_id)
            return AccountPayload(account=Account.from_model(follower), viewer=await _viewer(ctx))

        return await as_user_errors(AccountPayload, work)

    @strawberry.mutation(description="Decline a request to follow the viewer's private account.")
    async def decline_follow_request(
        self,
        info: Info[Context, None],
        input: Annotated[
            AccountRefInput,
            strawberry.argument(description="The account that asked to follow you."),
        ],
    ) -> AccountPayload:
        ctx = info.context

        async def work() -> AccountPayload:
            follower_id = decode_id_of(input.account_id, "Account", ACCOUNT_ID)
            await ctx.write(
                lambda s, viewer: content.decline_follow_request(s, logged_in(viewer), follower_id)
            )
            follower = await ctx.loaders.account.load(follower_id)
            return AccountPayload(account=Account.from_model(follower), viewer=await _viewer(ctx))

        return await as_user_errors(AccountPayload, work)

    @strawberry.mutation(
        description="Record a play of a video you can see (anonymous viewers too), on today's "
        "UTC day: it always adds to `playCount`, and to `viewCount` (authentic views) when it "
        "is not the owner's and is this viewer's first of the video that UTC day (a logged-in "
        "account, or an anonymous client with a valid `viewerToken`). Once per operation; "
        "throttled per account, or per client address when anonymous whatever the token "
        "(TOO_MANY_ATTEMPTS with `retryAfterSeconds`)."
    )
    async def record_view(
        self,
        info: Info[Context, None],
        input: Annotated[RecordViewInput, strawberry.argument(description="The video watched.")],
    ) -> VideoPayload:
        ctx = info.context

        async def work() -> VideoPayload:
            video_id = decode_id_of(input.video_id, "Video", VIDEO_ID)
            # Views are paid on (Creator Rewards) and open doors (eligibility): throttled per
            # viewer, the client address standing for anonymous ones.
            viewer = await ctx.viewer()
            who = f"account:{viewer.id}" if viewer else f"address:{ctx.client_address}"
            await ctx.services.throttle.hit(ctx.services.throttle.views, who)
            client_id = (
                None
                if viewer
                else viewer_tokens.client_id(ctx.settings.secret_key, input.viewer_token)
            )
            video = await ctx.write(
                lambda s, viewer: content.record_view(
                    s, viewer, video_id, now=ctx.now, client_id=client_id
                )
            )
            return VideoPayload(video=Video.from_model(video))

        return await as_user_errors(VideoPayload, work)

    @strawberry.mutation(
        description="Give this anonymous client a viewer token, so its views can count as "
        "authentic views (once per video and UTC day). Logged-in viewers need none. Once per "
        "operation; throttled per client address (TOO_MANY_ATTEMPTS with `retryAfterSeconds`)."
    )
    async def start_viewer_session(
        self,
        info: Info[Context, None],
        input: Annotated[
            StartViewerSessionInput,
            strawberry.argument(description="A token you may already hold."),
        ],
    ) -> StartViewerSessionPayload:
        ctx = info.context

        async def work() -> StartViewerSessionPayload:
            secret = ctx.settings.secret_key
            if viewer_tokens.client_id(secret, input.viewer_token) is not None:
                return StartViewerSessionPayload(viewer_token=input.viewer_token)
            await ctx.services.throttle.hit(
                ctx.services.throttle.viewer_sessions, f"address:{ctx.client_address}"
            )
            return StartViewerSessionPayload(viewer_token=viewer_tokens.issue(secret))

        return await as_user_errors(StartViewerSessionPayload, work)


async def _viewer(ctx: Context) -> Account:
    """The caller's account as the mutation's write left it (loaded in that transaction)."""
    return Account.from_model(await ctx.require_viewer())
