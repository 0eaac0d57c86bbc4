"""Each operation reads the sandbox clock before its resolvers read `now` (outside production)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import DocumentNode, FieldNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from reelpay.graphql.context import Context

# Root fields that never read the time: an operation of only these costs no read.
TIMELESS_FIELDS = frozenset({"__typename", "__schema", "__type"})


class SandboxTime(SchemaExtension):
    """Reads the shared offset once per operation, after the document was accepted and before
    execution (installed only when the sandbox clock is enabled: production has no such hook).
    """

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        ctx = self.execution_context
        context = ctx.context
        if (
            ctx.result is None
            and ctx.graphql_document is not None
            and isinstance(context, Context)
            and reads_time(ctx.graphql_document, ctx.operation_name)
        ):
            await context.start()
        yield


def reads_time(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation may read `now`: any root field but introspection's does."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return True
    return any(
        not isinstance(selection, FieldNode) or selection.name.value not in TIMELESS_FIELDS
        for selection in operation.selection_set.selections
    )
