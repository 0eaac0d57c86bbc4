"""Schema extensions: session clean-up, choosing the operation, and the cost limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from reelpay.graphql.context import Context
from reelpay.graphql.cost import measure, root_field_count
from reelpay.graphql.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    GRAPHQL_VALIDATION_FAILED,
    OPERATION_RESOLUTION_FAILURE,
    SUBSCRIPTION_NEEDS_WEBSOCKET,
    shape,
)
from reelpay.settings import Limits


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


def operation_problem(ctx: Any) -> GraphQLError | None:
    """Which operation a valid document runs, decided before it runs.

    A document of several operations needs `operationName` (strawberry would otherwise pick
    the first). A subscription needs the WebSocket: over HTTP it would run as a query and fail.
    """
    return _operation_error(
        ctx.graphql_document.definitions,
        # What the client sent: strawberry's `operation_name` falls back to the first
        # operation's name (tests pin this).
        getattr(ctx, "_provided_operation_name", ctx.operation_name),
        over_http=isinstance(ctx.context, Context) and not ctx.context.over_websocket,
    )


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


# Aliases must not turn one request into a batch: of password guesses (each costs a hash),
# or of views (each is paid on by Creator Rewards and counts toward eligibility).
ONCE_PER_OPERATION = ("logIn", "signUp", "recordView", "startViewerSession")


class PreparedDocument(SchemaExtension):
    """Everything checked before an operation runs: parse, measure and validate a document,
    each once per document text, then choose its operation and check its text.

    - Parsing is remembered per query text (an LRU of `DOCUMENT_CACHE_SIZE`), with at most
      `max_tokens` tokens.
    - Before validation, the cost limits refuse an operation too deep, too large once its
      fragments are expanded, that could return more than `max_nodes` list items (GitHub's
      rule: nested pages multiply), or that runs a `ONCE_PER_OPERATION` mutation twice;
      measured in time linear in the document (`cost.measure`), and set as the request's errors
      so that graphql-core's rules never see a hostile document.
    - graphql-core's validation, with `rules` added, is remembered per document.
    - Before execution: the operation to run (`operation_problem`), and text no database can
      store (`unstorable_text_problem`); either refuses the request and nothing runs.

    One extension rather than seven (strawberry's token limiter, parser cache and added rules,
    the cost limit, the validation cache, the operation choice, the text check): strawberry
    sets up every extension's hooks again for each request, which was a quarter of the time of
    `{ __typename }`.
    """

    def __init__(self, *, limits: Limits, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.limits = limits
        self.rules = rules

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.graphql_document = _parse(ctx.query, self.limits.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            error = cost_problem(ctx, self.limits)
            ctx.pre_execution_errors = (
                [error]
                if error is not None
                else _validate(
                    ctx.schema._schema,
                    ctx.query,
                    self.limits.max_tokens,
                    ctx.validation_rules + self.rules,
                )
            )
        yield

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            error = operation_problem(ctx) or unstorable_text_problem(ctx, self.limits.max_tokens)
            if error is not None:
                ctx.result = ExecutionResult(data=None, errors=[error])  # nothing runs
        yield


DOCUMENT_CACHE_SIZE = 256
# Keyed by the query text, never by the document: graphql-core's nodes are dataclasses whose
# hash walks the whole tree (7.6% of a profile read), while a string computes its hash once.


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _validate(
    schema: GraphQLSchema, query: str, max_tokens: int, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, _parse(query, max_tokens), rules)


def cost_problem(ctx: Any, limits: Limits) -> GraphQLError | None:
    """The first limit an operation of the document breaks, as a request error."""
    costs = measure(
        ctx.schema._schema, ctx.graphql_document, ctx.variables, limits.default_page_size
    )
    for operation, cost in costs:
        name = operation.name.value if operation.name else "anonymous"
        if cost.depth > limits.max_query_depth:
            return _invalid(
                f"'{name}' exceeds maximum operation depth of {limits.max_query_depth}",
                "DEPTH_LIMIT_EXCEEDED",
            )
        if cost.nesting > limits.max_fragment_nesting:
            return _invalid(
                f"'{name}' nests fragments {cost.nesting} deep (a fragment spreading a "
                f"fragment that spreads another...); the limit is "
                f"{limits.max_fragment_nesting}.",
                "FRAGMENT_NESTING_LIMIT_EXCEEDED",
            )
        if cost.selections > limits.max_selections:
            return _invalid(
                f"'{name}' selects {cost.selections} fields once its fragments are expanded; "
                f"the limit is {limits.max_selections}.",
                "SELECTION_LIMIT_EXCEEDED",
            )
        for field_name in (
            ONCE_PER_OPERATION if operation.operation is OperationType.MUTATION else ()
        ):
            if root_field_count(ctx.graphql_document, operation, field_name) > 1:
                return _invalid(
                    f"'{name}' runs `{field_name}` more than once; one per operation.",
                    "ONCE_PER_OPERATION",
                )
        if cost.nodes > limits.max_nodes:
            return _invalid(
                f"This operation could return {cost.nodes} items; the limit is "
                f"{limits.max_nodes}. Ask for smaller pages or fewer IDs.",
                "NODE_LIMIT_EXCEEDED",
                code=BAD_USER_INPUT,
            )
    return None


def _invalid(message: str, reason: str, code: str = GRAPHQL_VALIDATION_FAILED) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "reason": reason})


def unstorable_text_problem(ctx: Any, max_tokens: int) -> GraphQLError | None:
    """Any string argument no database can store: one holding a NUL character (PostgreSQL
    text cannot), or a lone UTF-16 surrogate (valid JSON, but not Unicode: neither database can
    encode it). Either would otherwise fail deep in a read or a write instead of as a clear
    input error."""
    problem = _text_problem(ctx.variables) or _document_text_problem(ctx.query, max_tokens)
    if problem is None:
        return None
    return GraphQLError(problem, extensions={"code": BAD_USER_INPUT, "reason": "INVALID_INPUT"})


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


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)  # one walk per query text
def _document_text_problem(query: str, max_tokens: int) -> str | None:
    document = _parse(query, max_tokens)
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
