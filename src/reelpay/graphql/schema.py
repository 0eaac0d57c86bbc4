"""The schema: every domain's queries and mutations merged, with the protective extensions."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    DecimalDefinition,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, Info

from reelpay.errors import DomainError
from reelpay.graphql.accounts.mutations import AccountMutations
from reelpay.graphql.accounts.queries import AccountQueries
from reelpay.graphql.accounts.types import Account
from reelpay.graphql.content.mutations import ContentMutations
from reelpay.graphql.content.originality import OriginalityMutations, VideoOriginalityFlag
from reelpay.graphql.content.types import Video
from reelpay.graphql.context import Context
from reelpay.graphql.extensions import (
    OperationScope,
    PreparedDocument,
)
from reelpay.graphql.gifting.mutations import GiftingMutations, GiftingQueries
from reelpay.graphql.gifting.subscriptions import LiveSubscriptions
from reelpay.graphql.gifting.types import Gift, LiveStream
from reelpay.graphql.marketplace.campaigns import CampaignMutations, CampaignQueries
from reelpay.graphql.marketplace.challenges import ChallengeMutations
from reelpay.graphql.marketplace.deal_mutations import DealMutations, DealQueries
from reelpay.graphql.marketplace.deals import CampaignProposal, Deal, Dispute
from reelpay.graphql.marketplace.subscriptions import MarketplaceSubscriptions
from reelpay.graphql.marketplace.types import Campaign
from reelpay.graphql.node import resolve_node
from reelpay.graphql.payments.mutations import PaymentMutations, PaymentQueries
from reelpay.graphql.payments.types import CoinPackage
from reelpay.graphql.payouts.mutations import (
    PayoutMutations,
    PayoutQueries,
    PayoutSubscription,
)
from reelpay.graphql.payouts.types import Payout, PayoutMethod
from reelpay.graphql.programs.mutations import ProgramMutations, ProgramQueries
from reelpay.graphql.programs.types import Notification, ProgramApplication
from reelpay.graphql.relay import Node
from reelpay.graphql.sandbox import SandboxMutations, SandboxQueries, SandboxTime
from reelpay.graphql.series.links import SeriesLinkMutations
from reelpay.graphql.series.mutations import SeriesMutations, SeriesQueries
from reelpay.graphql.series.types import Series, SeriesEpisode, SeriesPurchase
from reelpay.graphql.wallet.mutations import WalletMutations
from reelpay.settings import Settings

# Codegen maps a scalar to a client type by its `@specifiedBy` URL and description; without
# them graphql-codegen's client preset types Date, DateTime and Decimal as `unknown`. Only the
# name, description and URL change here: parsing and serializing stay strawberry's own.
SCALARS: dict[object, Any] = {
    datetime.date: dataclasses.replace(
        DateDefinition,
        description=(
            'A calendar date as an RFC 3339 `full-date` string, "2026-12-05", '
            "sent and returned in that form. Days of activity are UTC days."
        ),
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    ),
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description=(
            "An instant, as an RFC 3339 `date-time` string in UTC: returned as "
            '"2026-12-05T10:00:00+00:00" (fractional seconds only when non-zero). '
            'Send it with a zone: "2026-12-05T10:00:00Z" or "+00:00".'
        ),
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    ),
    decimal.Decimal: dataclasses.replace(
        DecimalDefinition,
        description=(
            "An exact decimal number as a string, never a float: returned as digits with an "
            'optional "-" and "." and no exponent ("4.99", "0.50", "1200"). Send a string in '
            "the same form; a JSON number is accepted but may have lost digits in the client."
        ),
        specified_by_url="https://speleotrove.com/decimal/daops.html#refnumsyn",
    ),
}


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global ID; null if missing or hidden.")
    async def node(
        self,
        info: Info[Context, None],
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="An opaque global ID as returned in any object's `id` field."
            ),
        ],
    ) -> Node | None:
        return await resolve_node(info, id, "id")

    @strawberry.field(description="Several objects by global ID (at most 100), in order.")
    async def nodes(
        self,
        info: Info[Context, None],
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description=(
                    "Opaque global IDs, at most 100; the answer has one entry per ID, "
                    "in the same order, null where an object is missing or hidden."
                )
            ),
        ],
    ) -> list[Node | None]:
        limit = info.context.settings.limits.max_nodes_ids
        if len(ids) > limit:
            raise DomainError(f"Ask for at most {limit} IDs at once.", field=("ids",))
        return [await resolve_node(info, gid, "ids") for gid in ids]


Query = merge_types(
    "Query",
    (
        AccountQueries,
        NodeQueries,
        PaymentQueries,
        GiftingQueries,
        ProgramQueries,
        SeriesQueries,
        CampaignQueries,
        DealQueries,
        PayoutQueries,
        SandboxQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        ContentMutations,
        OriginalityMutations,
        PaymentMutations,
        WalletMutations,
        GiftingMutations,
        ProgramMutations,
        SeriesMutations,
        SeriesLinkMutations,
        CampaignMutations,
        DealMutations,
        PayoutMutations,
        SandboxMutations,
        ChallengeMutations,
    ),
)
Subscription = merge_types(
    "Subscription", (LiveSubscriptions, PayoutSubscription, MarketplaceSubscriptions)
)

# merge_types takes no description: the root types get theirs here, for the docs pane.
for _root, _description in (
    (Query, "What can be read: the viewer, objects by ID, lists and reports."),
    (Mutation, "What can be changed. Each takes one `input` and returns `userErrors`."),
    (Subscription, "Live events over WebSocket (graphql-transport-ws) at /graphql."),
):
    _root.__strawberry_definition__.description = _description  # type: ignore[attr-defined]


class ReelpaySchema(strawberry.Schema):
    # Production answers without "Did you mean ...?": no guessing at what the schema holds.
    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are answers, not incidents; the view's `shape` logs unexpected ones.
        if self.hide_suggestions:
            for error in errors:
                error.message = without_suggestion(error.message)


def without_suggestion(message: str) -> str:
    """graphql-core's messages end with " Did you mean ...?" when it has a guess."""
    return message.split(" Did you mean ")[0]


def build_schema(settings: Settings) -> strawberry.Schema:
    limits = settings.limits
    # Validation rules are built once here: the validation cache hits only for the same rule
    # objects (strawberry's limiters build new rule classes per instance, so not per request).
    rules = tuple(MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules)
    if settings.is_production:
        rules += tuple(DisableIntrospection().validation_rules)
    extensions: list[Any] = [
        OperationScope,
        lambda: PreparedDocument(limits=limits, rules=rules),
    ]
    if settings.sandbox_clock_enabled:  # after PreparedDocument: only accepted operations
        extensions.append(SandboxTime)
    built = ReelpaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Account,
            Video,
            VideoOriginalityFlag,
            Gift,
            LiveStream,
            CoinPackage,
            ProgramApplication,
            Notification,
            Series,
            SeriesEpisode,
            SeriesPurchase,
            Campaign,
            CampaignProposal,
            Deal,
            Dispute,
            Payout,
            PayoutMethod,
        ],
        extensions=extensions,
        scalar_overrides=SCALARS,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )
    built.hide_suggestions = settings.is_production
    return built


# For `strawberry export-schema` (make schema): the development schema.
schema = build_schema(Settings())
