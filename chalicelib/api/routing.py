"""The one route shape: caller (role checked first) -> body -> the view's service call -> response.

Every route group is a `RouteGroup` (a Chalice Blueprint). `@routes.endpoint(...)` registers a view that receives a
`Call` (the request, the caller the authorizer let in, the parsed body) and the path parameters; it turns every
failure into the JSON error shape (http.json_errors) and carries the route's OpenAPI operation, from which the
served document is generated (chalicelib/api/openapi.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalice.app import Blueprint, Chalice, Request, Response
from pydantic import BaseModel

from chalicelib.api import http
from chalicelib.models.common import Caller, Role

B = TypeVar("B")
# The app's authorizer, by name: app.py defines it; each protected route gets it when its group is registered.
AUTHORIZER = "jwt_auth"


@dataclass(frozen=True)
class Operation:
    """A route's OpenAPI operation, without what the route itself says (its path, method and security)."""

    id: str
    summary: str
    responses: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body: str | None = None  # the request body's schema name (components/schemas)


@dataclass(frozen=True)
class Call(Generic[B]):
    """One request to a view: the request, its caller, and its body parsed as the route's model (None without one)."""

    request: Request
    caller: Caller
    body: B

    @property
    def request_id(self) -> str:
        return http.request_id(self.request)


class RouteGroup(Blueprint):
    """A Blueprint of one route group; its protected routes get the app's authorizer when the app registers it."""

    def endpoint(
        self,
        path: str,
        method: str,
        operation: Operation,
        *,
        roles: tuple[Role, ...] | None = None,
        body: type[BaseModel] | None = None,
        max_body_bytes: int = http.MAX_BODY_BYTES,
    ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Register `view(call, **path_params)` for `method` on `path`.

        A route with a `body` takes JSON only: a wrong Content-Type is refused by Chalice (415) before anything else,
        and so is a missing one, here (Chalice and API Gateway would read a body without one as JSON). Then the caller
        is checked (`roles`: else 403 `wrong_role`), then the body is parsed as `body` (strict JSON, at most
        `max_body_bytes`); path parameters are the view's to check.
        """

        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            @functools.wraps(view)
            def handle(**path_params: str) -> Response:
                request = self.current_request
                if body is not None:
                    http.require_content_type(request)
                caller = http.current_caller(request, roles)
                parsed = http.parse_body(request, body, max_body_bytes) if body is not None else None
                return view(Call(request, caller, parsed), **path_params)

            routed = http.json_errors(handle)
            routed.operation = operation  # type: ignore[attr-defined]
            content_types = http.JSON_CONTENT_TYPES if body is not None else None
            self.route(path, methods=[method], authorizer=AUTHORIZER, **({"content_types": content_types} if content_types else {}))(routed)
            return view

        return register

    def public(self, path: str, operation: Operation) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        """Register a GET without authorizer (health, this API's own document, the console's files); path parameters
        are passed to the view as keywords, for it to check."""

        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            routed = http.json_errors(view)
            routed.operation = operation  # type: ignore[attr-defined]
            self.route(path, methods=["GET"])(routed)
            return view

        return register

    def _register_handler(
        self,
        handler_type: str,
        name: str,
        user_handler: Any,
        wrapped_handler: Any,
        kwargs: dict[str, Any],
        options: dict[Any, Any] | None = None,
    ) -> None:
        if handler_type == "route" and kwargs["kwargs"].get("authorizer") == AUTHORIZER:

            def register_protected(app: Chalice, options: dict[Any, Any]) -> None:
                route_kwargs = {**kwargs, "kwargs": {**kwargs["kwargs"], "authorizer": app.handler_map[AUTHORIZER]}}
                app._register_handler(handler_type, name, user_handler, wrapped_handler, route_kwargs, options)

            self._deferred_registrations.append(register_protected)
            return
        super()._register_handler(handler_type, name, user_handler, wrapped_handler, kwargs, options)


def operation_of(view: Callable[..., Any]) -> Operation:
    """The OpenAPI operation a view was registered with."""
    operation: Operation = getattr(view, "operation")  # noqa: B009 - set by RouteGroup on every view it registers
    return operation
