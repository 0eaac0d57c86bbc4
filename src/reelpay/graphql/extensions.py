"""Schema extensions: session clean-up, choosing the operation, and the node-count limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from reelpay.graphql.context import Context
from reelpay.graphql.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    OPERATION_RESOLUTION_FAILURE,
    SUBSCRIPTION_NEEDS_WEBSOCKET,
    shape,
)


class OperationScope(SchemaExtension):
    """Each operation gets its own Context, closed however the operation ends.

    Over HTTP that is one per request anyway; over a WebSocket strawberry hands every operation
    of the connection the same context object, so we fork it here, before execution reads it.
    Errors of streamed results (subscriptions) are shaped here: they bypass the HTTP view.
    """

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        shared = self.execution_context.context
        context = shared.for_operation() if isinstance(shared, Context) else shared
        self.execution_context.context = context
        try:
            yield
        finally:
            close = getattr(context, "close", None)
            if close is not None:
                await close()

    def on_stream_result(self, result: Any) -> Iterator[None]:  # type: ignore[override]
        if getattr(result, "errors", None):
            result.errors = [shape(error) for error in result.errors]
        yield None


class OneOperation(SchemaExtension):
    """Decide which operation a valid document runs, before it runs.

    A document of several operations needs `operationName` (strawberry would otherwise pick
    the first). A subscription needs the WebSocket: over HTTP it would run as a query and fail.
    """

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            error = _operation_error(
                ctx.graphql_document.definitions,
                # What the client sent: strawberry's `operation_name` falls back to the first
                # operation's name (tests pin this).
                getattr(ctx, "_provided_operation_name", ctx.operation_name),
                over_http=isinstance(ctx.context, Context) and not ctx.context.over_websocket,
            )
            if error is not None:
                ctx.result = ExecutionResult(data=None, errors=[error])  # nothing runs
        yield


def _operation_error(
    definitions: Any, operation_name: str | None, *, over_http: bool
) -> GraphQLError | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        return GraphQLError(
            "The document has several operations: name the one to run in `operationName`.",
            extensions={"code": OPERATION_RESOLUTION_FAILURE},
        )
    chosen = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if over_http and chosen is not None and chosen.operation is OperationType.SUBSCRIPTION:
        return GraphQLError(
            "Subscriptions run over the WebSocket at this same URL (graphql-transport-ws or "
            "graphql-ws), not over HTTP. In GraphiQL, give the subscription a name "
            "(`subscription MyEvents { ... }`) and it uses the WebSocket.",
            extensions={"code": BAD_REQUEST, "reason": SUBSCRIPTION_NEEDS_WEBSOCKET},
        )
    return None


class NodeLimit(SchemaExtension):
    """Refuse operations that could return more than `max_nodes` list items (GitHub's rule).

    Each connection counts its page size (first/last, or the default) times the page sizes of
    every connection around it, so nested pages multiply.
    """

    def __init__(self, *, max_nodes: int, default_page_size: int) -> None:
        self.max_nodes = max_nodes
        self.default_page_size = default_page_size

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        operation = get_operation_ast(document, ctx.operation_name) if document else None
        if operation is not None:
            schema: GraphQLSchema = ctx.schema._schema
            root = schema.get_root_type(operation.operation)
            fragments = {
                d.name.value: d
                for d in document.definitions  # type: ignore[union-attr]
                if isinstance(d, FragmentDefinitionNode)
            }
            counter = _Counter(schema, fragments, ctx.variables or {}, self.default_page_size)
            nodes = counter.count(operation.selection_set, root, 1) if root else 0
            if nodes > self.max_nodes and ctx.result is None:
                ctx.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"This operation could return {nodes} items; the limit is "
                            f"{self.max_nodes}. Ask for smaller pages.",
                            extensions={"code": BAD_USER_INPUT, "reason": "NODE_LIMIT_EXCEEDED"},
                        )
                    ],
                )
        yield


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default = default_page_size

    def count(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, multiplier: int
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, multiplier)
            elif isinstance(selection, InlineFragmentNode):
                kind = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.count(selection.selection_set, kind, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    kind = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.count(fragment.selection_set, kind, multiplier)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, multiplier: int) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        kind = get_named_type(definition.type)
        total = 0
        if kind.name.endswith("Connection"):
            multiplier *= self._page_size(node, definition)
            total += multiplier
        if node.selection_set:
            total += self.count(node.selection_set, kind, multiplier)
        return total

    def _page_size(self, node: FieldNode, definition: Any) -> int:
        sizes = []
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                arg_def = definition.args.get(argument.name.value)
                value = (
                    value_from_ast(argument.value, arg_def.type, self.variables)
                    if arg_def
                    else None
                )
                if isinstance(value, int):
                    sizes.append(value)
        return max([max(size, 0) for size in sizes], default=self.default)


class RejectUnstorableText(SchemaExtension):
    """Refuse any string argument no database can store: one holding a NUL character
    (PostgreSQL text cannot), or a lone UTF-16 surrogate (valid JSON, but not Unicode: neither
    database can encode it). Either would otherwise fail deep in a read or a write instead of
    as a clear input error."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        problem = _text_problem(ctx.variables) or _document_text_problem(ctx.graphql_document)
        if problem is not None and ctx.result is None:
            ctx.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        problem,
                        extensions={"code": BAD_USER_INPUT, "reason": "INVALID_INPUT"},
                    )
                ],
            )
        yield


NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."
SURROGATE_MESSAGE = (
    "Text must be valid Unicode: it holds a lone surrogate (\\ud800 to \\udfff), which "
    "cannot be stored."
)


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def _text_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return _string_problem(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        for item in value:
            problem = _text_problem(item)
            if problem is not None:
                return problem
    return None


def _document_text_problem(document: Any) -> str | None:
    if document is None:
        return None
    from graphql import StringValueNode, visit
    from graphql.language import Visitor

    found: list[str] = []

    class Finder(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            problem = _string_problem(node.value)
            if problem is not None:
                found.append(problem)

    visit(document, Finder())
    return found[0] if found else None
