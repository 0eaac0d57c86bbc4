"""The HTTP face of the GraphQL endpoint: strawberry's ASGI view, made fully GraphQL-over-HTTP.

Adds `application/graphql-response+json` (strawberry 0.341 speaks only `application/json`). A
request that fails before execution (parse, validation, variable coercion, a limit, no
operation chosen) has no `data`; its status is 400 when the client accepts
`application/graphql-response+json` and 200 for `application/json` (or nothing), except a
subscription sent over HTTP: 400 for everyone. Everything that reached execution stays 200.
Errors strawberry raises as HTTP exceptions are answered as JSON with a code. The per-request
`Context` is built here from the `Authorization: Bearer` header.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from reelpay.accounts import service as accounts
from reelpay.db import is_unavailable
from reelpay.graphql.context import AppServices, Context, token_from_params
from reelpay.graphql.errors import (
    BAD_REQUEST,
    OPERATION_RESOLUTION_FAILURE,
    RETRY_AFTER_SECONDS,
    SUBSCRIPTION_NEEDS_WEBSOCKET,
    shape,
    unavailable_before_anything,
)
from reelpay.graphql.playground import page as playground
from reelpay.origins import origin_allowed

log = logging.getLogger("reelpay.graphql")

APPLICATION_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def negotiate_media_type(accept: str | None) -> str:
    """Return GRAPHQL_RESPONSE_JSON if the client accepts it at least as much
    as application/json, else APPLICATION_JSON (also the default when Accept is
    missing, `*/*`, or names neither type)."""
    gql_q = json_q = 0.0
    for media_range in (accept or "").split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media_type = media_type.lower()
        if media_type == GRAPHQL_RESPONSE_JSON:
            gql_q = max(gql_q, q)
        elif media_type in (APPLICATION_JSON, "application/*", "*/*"):
            json_q = max(json_q, q)
    return GRAPHQL_RESPONSE_JSON if gql_q > 0 and gql_q >= json_q else APPLICATION_JSON


def is_request_error(result: ExecutionResult) -> bool:
    """True if the operation failed before execution started."""
    # Parse and validation errors (including validation rules added by
    # extensions such as DisableIntrospection / QueryDepthLimiter) come back from
    # Schema.execute as a PreExecutionError.
    if isinstance(result, PreExecutionError):
        return True
    # Variable coercion errors come from graphql-core's execute() as a plain
    # result with data=None and errors that carry no `path`. Field errors always
    # have a path, even when null propagation turns `data` into null.
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The older `graphql-ws` subprotocol, closing on a refused token with 4403 (Forbidden)
    like graphql-transport-ws does; strawberry closes it with 1011 (internal error)."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if isinstance(message.get("payload"), dict):
            try:
                self.context.connection_params = message["payload"]
                await self.view.on_ws_connect(self.context)
            except ConnectionRejectionError as e:
                await self.send_message({"type": "connection_error", "payload": e.payload})
                await self.websocket.close(code=4403, reason="Forbidden")
                return
        # Accepted (or a malformed payload, which strawberry refuses): strawberry goes on,
        # checking the same token again, which now passes.
        await super().handle_connection_init(message)


class ReelpayGraphQL(GraphQL[Context, None]):
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, schema: Any, services: AppServices, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.services = services

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from this server's own files under a strict CSP (`graphql.playground`);
        strawberry only asks outside production (`graphql_ide` is None there)."""
        return playground.response(request)

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        """A page on another origin opens a WebSocket under the same rule as CORS."""
        return origin_allowed(origin, self.services.settings)

    def encode_json(self, data: object) -> str:
        """orjson: a page of 100 accounts with 10 videos each took 1.9 ms in `json.dumps` and
        takes 0.14 ms. Text, not bytes: strawberry sends bytes over a WebSocket as binary
        frames, which GraphQL WebSocket clients refuse. What orjson cannot encode (a lone
        surrogate echoed in an error message) is left to `json`, as before."""
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError as e:
            # `[[[[...` nested past Python's recursion limit: malformed, not our failure.
            raise json.JSONDecodeError("nested too deeply", "", 0) from e

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token, malformed = bearer(request.headers.get("authorization"))
        return Context(
            self.services,
            token=token,
            malformed_auth=malformed,
            request=request,
            response=response,
            over_websocket=isinstance(request, WebSocket),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: a token in the payload must be valid.

        The payload is `{"authorization": "Bearer <token>"}` or `{"token": "<token>"}`; without
        one the connection is anonymous. A bad token closes the socket with 4403.
        """
        token, malformed = token_from_params(context.connection_params or {})
        if malformed:
            raise ConnectionRejectionError({"message": "Send `authorization: Bearer <token>`."})
        if token is not None:
            session = self.services.sessionmaker()
            try:
                account = await accounts.authenticate(session, token, now=self.services.clock.now())
            except Exception as error:
                if not is_unavailable(error):
                    raise
                # The token cannot be checked now; every operation on the socket checks it
                # again (and answers SERVICE_UNAVAILABLE meanwhile): accept, rather than drop
                # the socket with an internal error.
                log.warning("WebSocket token not checked: the database is unavailable")
                return UNSET
            finally:
                await session.close()
            if account is None:
                raise ConnectionRejectionError(
                    {"message": "The session token is invalid, expired or revoked."}
                )
        return UNSET

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # `create_response` only receives the sub-response, so carry the
        # negotiated media type on it, and make it reachable from
        # `process_result`, which only receives the request.
        sub_response.graphql_media_type = negotiate_media_type(  # type: ignore[attr-defined]
            request.headers.get("accept")
        )
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Any,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        # One failed operation must not turn a whole batch into a 400.
        request.state.graphql_is_batch = isinstance(request_data, list)
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            # Here every result passes, whatever failed where: no message escapes unshaped.
            result.errors = [shape(error) for error in result.errors]
        response_data = await super().process_result(request, result)
        if getattr(request.state, "graphql_is_batch", False):
            return response_data
        request_error = is_request_error(result)
        if request_error:
            # Execution never started: no `data` (the GraphQL spec), whatever the media type.
            response_data.pop("data", None)
        sub_response = getattr(request.state, "graphql_sub_response", None)
        if unavailable_before_anything(result.data, result.errors):
            # The database failed the request before it answered anything: 503 for every
            # client, so that proxies and retrying clients see it; the same request may be
            # sent again. A field that failed next to answered ones keeps the 200.
            if sub_response is not None:
                sub_response.status_code = 503  # applied by GraphQL.create_response
                sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response_data
        if not request_error:
            return response_data
        if sub_response is not None and (
            sub_response.graphql_media_type == GRAPHQL_RESPONSE_JSON
            # A subscription is refused as a bad request for every client; other request
            # errors keep the 200 that legacy application/json clients expect.
            or any(_reason(error) == SUBSCRIPTION_NEEDS_WEBSOCKET for error in result.errors or ())
        ):
            sub_response.status_code = 400  # applied by GraphQL.create_response
        return response_data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_media_type", None) == GRAPHQL_RESPONSE_JSON:
            # Item assignment replaces the application/json header set by super().
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as e:
            # GraphQL.__call__ would turn this into a text/plain response: answer JSON, with a
            # code, in the media type the client asked for.
            if self.is_websocket_request(request):
                raise
            media_type = negotiate_media_type(request.headers.get("accept"))
            code, status = BAD_REQUEST, e.status_code
            cause = e.__cause__
            if isinstance(cause, CannotGetOperationTypeError):
                code = OPERATION_RESOLUTION_FAILURE
                if isinstance(cause.operation_name, str):
                    # A name the document lacks: a request error like any other (200 for
                    # application/json); a name that is no string is a malformed request.
                    status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
            return Response(
                self.encode_json({"errors": [{"message": e.reason, "extensions": {"code": code}}]}),
                status_code=status,
                media_type=f"{media_type}; charset=utf-8",
            )


def _reason(error: Any) -> Any:
    return (getattr(error, "extensions", None) or {}).get("reason")


def bearer(header: str | None) -> tuple[str | None, bool]:
    """(token, malformed): no header means anonymous; anything but `Bearer <token>` is refused."""
    if header is None or not header.strip():
        return None, False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, True
    return token.strip(), False
