"""`chalice local`, with the gateway's own errors in the API's error shape, as AWS answers them.

    python -m devstack.local_gateway --stage local --host 127.0.0.1 --port 8000 --no-autoreload   (devstack.stack.start_api)

takes `chalice local`'s options and runs chalice's own command line; only the request handler is ours.

chalice local emulates API Gateway's own answers in API Gateway's default bodies: 401 {"message":"Unauthorized"}
without a token, 403 {"Message": ...} when the authorizer denies, 403 "Missing Authentication Token" for an unknown
route and 500 {"message": null} when the authorizer returns nothing. On AWS the gateway responses of
infra/resources.json reshape them into {"error": {"code", "message", "details": {}}}; this server answers with those
same responses, read from that file, so there is one table of them. Everything else is chalice local, unchanged.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    InvalidAuthorizerError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    NotAuthorizedError,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESOURCES = PROJECT_DIR / "infra" / "resources.json"


@dataclass(frozen=True)
class GatewayResponse:
    """One AWS::ApiGateway::GatewayResponse: its status (None: the gateway's own) and its JSON body."""

    status: int | None
    body: dict[str, Any]


def read_gateway_responses(template: dict[str, Any]) -> dict[str, GatewayResponse]:
    """ResponseType -> response, from a template's GatewayResponse resources (static JSON bodies only)."""
    responses = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::ApiGateway::GatewayResponse":  # others may be overlays on chalice's own
            continue
        properties = resource["Properties"]
        body_template = properties["ResponseTemplates"]["application/json"]
        if "$" in body_template or "#" in body_template:  # VTL: what AWS would fill in, we could not
            raise ValueError(f"{name}: the local server serves static bodies only, not VTL: {body_template}")
        status = properties.get("StatusCode")
        responses[properties["ResponseType"]] = GatewayResponse(int(status) if status else None, json.loads(body_template))
    return responses


@cache
def gateway_responses() -> dict[str, GatewayResponse]:
    return read_gateway_responses(json.loads(RESOURCES.read_text()))


def response_type(error: LocalGatewayException) -> str:
    """The API Gateway response type of an error chalice local's gateway emulation raised."""
    if isinstance(error, NotAuthorizedError):  # no Authorization header: the authorizer never ran
        return "UNAUTHORIZED"
    if isinstance(error, ForbiddenError):
        if error.headers.get("x-amzn-ErrorType") == "AccessDeniedException":  # the authorizer's policy denies
            return "ACCESS_DENIED"
        return "MISSING_AUTHENTICATION_TOKEN"  # no such route (with or without a token)
    if isinstance(error, InvalidAuthorizerError):  # the authorizer answered nothing usable
        return "AUTHORIZER_CONFIGURATION_ERROR"
    return "DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX"


def reshape(error: LocalGatewayException, responses: dict[str, GatewayResponse]) -> tuple[int, dict[str, Any], bytes]:
    """Status, headers and body AWS would answer for `error`, given the API's gateway responses.

    A type without a response of its own falls back to DEFAULT_4XX or DEFAULT_5XX by its status, as on AWS; with
    neither, chalice local's answer stays as it is.
    """
    kind = response_type(error)
    default = "DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX"
    response = responses.get(kind) or responses.get(default)
    if response is None:
        return error.CODE, dict(error.headers), error.body or b""
    headers = {**error.headers, "Content-Type": "application/json"}
    return response.status or error.CODE, headers, json.dumps(response.body).encode()


class GatewayResponseHandler(ChaliceRequestHandler):
    """chalice local's request handler, answering its gateway errors with the API's gateway responses."""

    def _send_error_response(self, error: LocalGatewayException) -> None:
        status, headers, body = reshape(error, gateway_responses())
        self._send_http_response(status, headers, body)


def create_local_server(_factory: CLIFactory, app_obj: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """CLIFactory.create_local_server (chalice.local.create_local_server), with our request handler."""
    CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
    app_obj.__class__ = CustomLocalChalice
    return LocalDevServer(app_obj, config, host, port, handler_cls=GatewayResponseHandler)


def main(argv: list[str] | None = None) -> int:
    """`chalice local ARGS...`, run by chalice's own command line, serving through GatewayResponseHandler."""
    from chalice.cli import main as chalice_main

    gateway_responses()  # a template this server cannot serve fails now, not at the first error
    CLIFactory.create_local_server = create_local_server  # type: ignore[method-assign,assignment]
    sys.argv = ["chalice", "local", *(sys.argv[1:] if argv is None else argv)]
    try:
        return int(chalice_main() or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
