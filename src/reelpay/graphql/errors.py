"""How failures reach clients: `userErrors` in payloads, coded top-level errors otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import exc

from reelpay import db
from reelpay.errors import DomainError, ErrorCode, PermissionDenied, Problem, Unauthenticated
from reelpay.events.broker import EventsLost

log = logging.getLogger("reelpay.graphql")

UserErrorCode = strawberry.enum(
    ErrorCode, name="UserErrorCode", description="What went wrong, for clients to switch on."
)


@strawberry.type(description="An expected failure: the operation changed nothing.")
class UserError:
    code: UserErrorCode  # type: ignore[valid-type]
    message: str
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "handle"].'
    )
    retry_after_seconds: int | None = strawberry.field(
        default=None,
        description="With TOO_MANY_ATTEMPTS: how many seconds to wait before trying again.",
    )

    @classmethod
    def of(cls, problem: Problem) -> UserError:
        return cls(
            code=problem.code,
            message=problem.message,
            field=list(problem.field) if problem.field else None,
            retry_after_seconds=problem.retry_after_seconds,
        )


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.of(p) for p in error.problems]


# Top-level error codes (extensions.code), following Apollo's conventions.
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# Request errors of the transport: which operation to run cannot be decided, or HTTP cannot
# carry the request (malformed JSON, a subscription: `reason` SUBSCRIPTION_NEEDS_WEBSOCKET).
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
BAD_REQUEST = "BAD_REQUEST"
SUBSCRIPTION_NEEDS_WEBSOCKET = "SUBSCRIPTION_NEEDS_WEBSOCKET"
EVENTS_LOST = "EVENTS_LOST"
# The database cannot be reached or did not answer in time (`db.is_unavailable`): the same
# request may be sent again after `retryAfterSeconds`; money mutations with the same key.
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database is not answering; try again in a few seconds."


def shape(error: GraphQLError) -> GraphQLError:
    """Give every error an `extensions.code`; hide anything we did not expect."""
    original = error.original_error
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        return _with(error, error.message, GRAPHQL_VALIDATION_FAILED)
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return error
    if isinstance(original, Unauthenticated):
        return _with(error, str(original) or "Log in first.", UNAUTHENTICATED)
    if isinstance(original, PermissionDenied):
        return _with(error, str(original) or "You may not do this.", FORBIDDEN)
    if isinstance(original, EventsLost):
        return _with(error, f"Events were lost ({original}); subscribe again.", EVENTS_LOST)
    if isinstance(original, DomainError):
        problem = original.problems[0]
        extra: dict[str, Any] = {"reason": problem.code.value}
        if problem.field:
            extra["field"] = list(problem.field)
        return _with(error, problem.message, BAD_USER_INPUT, extra)
    if db.is_unavailable(original):
        # Not a bug: one line in the log, no traceback (there would be one per failing field).
        log.warning(
            "the database is unavailable in %s: %s", error.path or "the operation", brief(original)
        )
        return _with(
            error,
            UNAVAILABLE_MESSAGE,
            SERVICE_UNAVAILABLE,
            {"retryAfterSeconds": RETRY_AFTER_SECONDS},
        )
    if error.path is None and isinstance(original, GraphQLError):
        # Raised before execution, while coercing variables (a scalar's parser refused a
        # value such as the Date "2026-13-01"): the request is at fault, and graphql-core's
        # message says which variable and why.
        return _with(error, error.message, BAD_USER_INPUT)
    # Anything else is ours (a database failure outside any field included): its message
    # stays in the log.
    log.error("unexpected error in %s", error.path or "the operation", exc_info=original)
    return _with(error, "Unexpected error.", INTERNAL_SERVER_ERROR)


def unavailable_before_anything(data: Any, errors: list[GraphQLError] | None) -> bool:
    """True if the database's unavailability left the client nothing: every error is
    SERVICE_UNAVAILABLE and every root field (if any) is null because it failed. Such a request
    is answered 503 with Retry-After (it may be sent again as it is)."""
    if not errors or any(_code(e) != SERVICE_UNAVAILABLE for e in errors):
        return False
    if data is None:
        return True
    failed = {e.path[0] for e in errors if e.path}
    return all(value is None and key in failed for key, value in data.items())


def _code(error: GraphQLError) -> Any:
    return (error.extensions or {}).get("code")


def brief(error: BaseException) -> str:
    """What failed, on one line for the log: the driver's message, not SQLAlchemy's with the SQL."""
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        error = error.orig
    text = str(error).strip().splitlines()
    module, name = type(error).__module__, type(error).__qualname__
    name = name if module == "builtins" else f"{module}.{name}"
    return f"{name}: {text[0]}" if text else name


def _with(
    error: GraphQLError, message: str, code: str, extra: dict[str, Any] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code, **(extra or {})},
    )


P = TypeVar("P")


async def as_user_errors(payload: Callable[..., P], work: Callable[[], Awaitable[P]]) -> P:
    """Run a mutation's work; a DomainError becomes the payload's `userErrors`."""
    try:
        return await work()
    except DomainError as error:
        return payload(user_errors=user_errors(error))
