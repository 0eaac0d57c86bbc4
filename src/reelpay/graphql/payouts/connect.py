"""Bank payouts through Stripe Connect: the creator's PayoutAccount, onboarding links and a
status check. Only the creator and staff see a PayoutAccount."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from reelpay.accounts import service as accounts
from reelpay.errors import NotFound
from reelpay.graphql.context import Context
from reelpay.graphql.enums import described_enum
from reelpay.graphql.errors import UserError, as_user_errors
from reelpay.graphql.relay import Node, decode_id_of
from reelpay.payouts import connect
from reelpay.payouts.models import ProviderAccount

PayoutAccountStatus = described_enum(
    connect.PayoutAccountStatus,
    "Whether your Stripe account can receive bank payouts.",
    {
        "ONBOARDING": "You have not finished Stripe's onboarding form: "
        "`startPayoutOnboarding` gives a new link.",
        "RESTRICTED": "Your details are submitted but Stripe does not pay out yet: "
        "`requirementsDue` says what it still needs (empty while it reviews them).",
        "READY": "Stripe pays out to your bank account: bank payouts are sent.",
    },
)


@strawberry.type(
    description="Your own account at a payout provider (a Stripe Connect Express account): "
    "bank payouts go there once it is READY. One per creator; the creator and staff see it."
)
class PayoutAccount(Node):
    provider: str = strawberry.field(description='The payout provider: "stripe".')
    status: PayoutAccountStatus = strawberry.field(  # type: ignore[valid-type]
        description="ONBOARDING, RESTRICTED or READY."
    )
    requirements_due: list[str] = strawberry.field(
        description='What Stripe still needs from you (its names, e.g. "external_account", '
        '"individual.verification.document"); empty when nothing is due.'
    )
    updated_at: datetime = strawberry.field(
        description="When Stripe last told us about it (a webhook or `refreshPayoutAccount`)."
    )

    @classmethod
    def from_model(cls, model: ProviderAccount) -> PayoutAccount:
        return cls(
            db_id=model.account_id,
            provider=model.provider,
            status=connect.status_of(model),
            requirements_due=list(model.requirements_due or []),
            updated_at=model.updated_at,
        )


async def load_payout_account(info: Info[Context, None], account_id: int) -> PayoutAccount | None:
    """The account's Stripe payout account (the caller has checked who may see it)."""
    found = await info.context.read(lambda s: connect.get_account(s, account_id))
    return PayoutAccount.from_model(found) if found is not None else None


async def payout_account_node(info: Info[Context, None], pk: int) -> Node | None:
    """`node(id:)` for PayoutAccount: the creator and staff."""
    viewer = await info.context.viewer()
    if viewer is None or (viewer.id != pk and not viewer.is_staff):
        return None
    return await load_payout_account(info, pk)


@strawberry.input(
    description="Where Stripe sends you back: pages of this app (their origin must be one of "
    "the server's web origins)."
)
class StartPayoutOnboardingInput:
    return_url: str = strawberry.field(
        description="Where Stripe sends you when you leave the form (finished or not): an "
        "http(s) URL, at most 2048 characters."
    )
    refresh_url: str = strawberry.field(
        description="Where Stripe sends you when the link has expired or was used: your page "
        "should call `startPayoutOnboarding` again for a new link."
    )


@strawberry.type(description="A new onboarding link, and your payout account.")
class StartPayoutOnboardingPayload:
    onboarding_url: str | None = strawberry.field(
        default=None,
        description="Stripe's onboarding page: open it at once (it is single use and expires "
        "within minutes). Null on userErrors.",
    )
    payout_account: PayoutAccount | None = strawberry.field(
        default=None, description="Your payout account; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.input(description="Whose payout account to check with Stripe.")
class RefreshPayoutAccountInput:
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff only: another Account's ID; yours when null."
    )


@strawberry.type(description="The payout account as Stripe describes it now.")
class RefreshPayoutAccountPayload:
    payout_account: PayoutAccount | None = strawberry.field(
        default=None, description="The payout account; null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing changed; empty on success."
    )


INPUT = "The mutation's arguments."


@strawberry.type
class PayoutAccountMutations:
    @strawberry.mutation(
        description="Set up bank payouts with Stripe: creates your Stripe account the first "
        "time, and returns a new onboarding link every time. Bank payouts are refused until "
        "your PayoutAccount is READY."
    )
    async def start_payout_onboarding(
        self,
        info: Info[Context, None],
        input: Annotated[StartPayoutOnboardingInput, strawberry.argument(description=INPUT)],
    ) -> StartPayoutOnboardingPayload:
        ctx = info.context

        async def work() -> StartPayoutOnboardingPayload:
            viewer = await ctx.require_viewer()
            await ctx.release()  # Stripe is called with no connection held
            done = await connect.start_onboarding(
                ctx.services.sessionmaker, ctx.services.connect, creator_id=viewer.id,
                return_url=input.return_url, refresh_url=input.refresh_url,
                settings=ctx.settings, now=ctx.now,
            )  # fmt: skip
            return StartPayoutOnboardingPayload(
                onboarding_url=done.url, payout_account=PayoutAccount.from_model(done.account)
            )

        return await as_user_errors(StartPayoutOnboardingPayload, work)

    @strawberry.mutation(
        description="Ask Stripe now whether your payout account can receive payouts (Stripe "
        "also tells us by webhook). Staff may check any creator's."
    )
    async def refresh_payout_account(
        self,
        info: Info[Context, None],
        input: Annotated[RefreshPayoutAccountInput, strawberry.argument(description=INPUT)],
    ) -> RefreshPayoutAccountPayload:
        ctx = info.context

        async def work() -> RefreshPayoutAccountPayload:
            viewer = await ctx.require_viewer()
            creator_id = viewer.id
            if input.account_id is not None:
                field = ("input", "accountId")
                creator_id = decode_id_of(input.account_id, "Account", field)
                if creator_id != viewer.id:
                    accounts.require_staff(viewer)
                    if await ctx.loaders.account.load(creator_id) is None:
                        raise NotFound("No such account.", field=field)
            await ctx.release()  # Stripe is called with no connection held
            found = await connect.refresh_account(
                ctx.services.sessionmaker, ctx.services.connect, creator_id=creator_id,
                now=ctx.now,
            )  # fmt: skip
            return RefreshPayoutAccountPayload(payout_account=PayoutAccount.from_model(found))

        return await as_user_errors(RefreshPayoutAccountPayload, work)
