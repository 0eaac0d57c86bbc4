"""Account queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.graphql.accounts.types import (
    ACCOUNT_KEY,
    Account,
    AccountTypeSwitchPreview,
)
from reelpay.graphql.context import Context
from reelpay.graphql.enums import AccountType
from reelpay.graphql.relay import After, Before, Connection, First, Last, connection, page_request


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The logged-in account; null when anonymous.")
    async def viewer(self, info: Info[Context, None]) -> Account | None:
        viewer = await info.context.viewer()
        return Account.from_model(viewer) if viewer else None

    @strawberry.field(
        description="An account by its handle; null when no account has it. Anyone may look "
        "one up; private fields resolve to null for others."
    )
    async def account(
        self,
        info: Info[Context, None],
        handle: Annotated[
            str, strawberry.argument(description="The handle, in any case, with or without '@'.")
        ],
    ) -> Account | None:
        model = await info.context.read(lambda s: accounts.get_by_handle(s, handle))
        if model is None:
            return None
        info.context.loaders.account.prime(model.id, model)
        return Account.from_model(model)

    @strawberry.field(
        description="Accounts, oldest first; `search` matches the start of a handle or "
        "display name."
    )
    async def accounts(
        self,
        info: Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Keep accounts whose handle or display name starts with this text "
                "(ignoring case)."
            ),
        ] = None,
    ) -> Connection[Account]:
        ctx = info.context
        request = page_request(
            ctx.settings.limits, ACCOUNT_KEY, first=first, after=after, last=last, before=before
        )
        rules = ctx.settings.rules
        page = await ctx.read(lambda s: accounts.list_accounts(s, request, search, rules=rules))
        for model in page.items:
            ctx.loaders.account.prime(model.id, model)
        return connection(
            page,
            Account.from_model,
            lambda: ctx.read(lambda s: accounts.count_accounts(s, search, rules=rules)),
        )

    @strawberry.field(
        description="What switching the viewer's account to `to` would change, without switching."
    )
    async def account_type_switch_preview(
        self,
        info: Info[Context, None],
        to: Annotated[
            AccountType,  # type: ignore[valid-type]
            strawberry.argument(description="The type to switch to."),
        ],
    ) -> AccountTypeSwitchPreview:
        viewer = await info.context.require_viewer()
        preview = await info.context.read(
            lambda s: accounts.preview_account_type_switch(s, viewer, to)
        )
        return AccountTypeSwitchPreview.from_preview(preview, viewer)
