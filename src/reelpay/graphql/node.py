"""`node(id:)` and `nodes(ids:)`: every type is authorised here exactly as on its other paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.types import Info

from reelpay.content.visibility import can_see_video
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.relay import InvalidId, Node, decode_id


async def _account(info: Info[Context, None], pk: int) -> Node | None:
    model = await info.context.loaders.account.load(pk)
    return Account.from_model(model) if model else None


async def _video(info: Info[Context, None], pk: int) -> Node | None:
    model = await info.context.loaders.video.load(pk)
    if model is None:
        return None
    access = await info.context.loaders.access.load(model.owner_id)
    return Video.from_model(model) if can_see_video(access, model) else None


RESOLVERS: dict[str, Callable[[Info[Context, None], int], Awaitable[Node | None]]] = {
    "Account": _account,
    "Video": _video,
}


async def resolve_node(info: Info[Context, None], global_id: str, argument: str) -> Node | None:
    """The object behind a global ID, or null when it does not exist or is not yours to see."""
    type_name, pk = decode_id(global_id, (argument,))
    resolver = RESOLVERS.get(type_name)
    if resolver is None:
        raise InvalidId(f"{global_id[:64]!r} is not a valid ID.", field=(argument,))
    return await resolver(info, pk)
