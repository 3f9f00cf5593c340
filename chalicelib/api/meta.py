"""The API about itself: GET /v1/health and GET /v1/openapi.json (no token), and the error shape of every answer."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from chalice.app import Response

from chalicelib.api import http
from chalicelib.api.openapi import ok, openapi
from chalicelib.api.routing import Operation, RouteGroup
from chalicelib.api.services import services

routes = RouteGroup(__name__)


@routes.middleware("http")
def json_error_shape(event: Any, get_response: Any) -> Response:
    """Every answer in our error shape, and none stored by a cache (errors, health and 204s included)."""
    response = http.reshape_chalice_error(get_response(event))
    for name, value in http.NO_STORE.items():
        response.headers.setdefault(name, value)
    return response


HEALTH = Operation(
    id="health",
    summary="Are the settings table and the support queue reachable? No auth.",
    responses={"200": ok("Health"), "503": ok("Health", "A dependency is unreachable.")},
)


@routes.public("/v1/health", HEALTH)
def health() -> Response:
    status = services().health()
    return Response(status, status_code=200 if status["status"] == "ok" else 503)


OPENAPI = Operation(
    id="openapi",
    summary="This document. No auth.",
    responses={"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
)


@routes.public("/v1/openapi.json", OPENAPI)
def openapi_document() -> Response:
    return Response(openapi_json(), headers={"Content-Type": "application/json"})


@cache
def openapi_json() -> str:
    return json.dumps(openapi(routes.current_app.routes))
