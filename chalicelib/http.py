"""The HTTP edge: parse and check what the client sent, turn every failure into the JSON error shape."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.auth import caller_from_context
from chalicelib.errors import (
    ApiError,
    BadRequest,
    PayloadTooLarge,
    PreconditionRequired,
    StoreUnavailable,
    Unauthorized,
    error_body,
    invalid,
)
from chalicelib.logs import log
from chalicelib.models import SELLER_ID_PATTERN, Caller, Topic

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024
JSON_CONTENT_TYPES = ["application/json", "application/merge-patch+json"]

_SELLER_ID = re.compile(SELLER_ID_PATTERN)
_IF_MATCH = re.compile(r'^(?:W/)?(?:"(\d{1,9})"|(\d{1,9}))$')

# Chalice answers some requests itself ({"Code": ..., "Message": ...}); give them our shape.
_CHALICE_ERROR_CODES = {
    "BadRequestError": "bad_request",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Route decorator: ApiError -> its status; anything unexpected -> 500 without a trace."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError as exc:
            return Response(exc.body(), status_code=exc.status)
        except StoreUnavailable:  # reads degrade in the service; a settings read or write cannot
            body = error_body("settings_unavailable", "Seller settings are unavailable right now; retry shortly.")
            return Response(body, status_code=503, headers={"Retry-After": "5"})
        except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a clean 500
            log(logging.ERROR, "unhandled_error", error=type(exc).__name__, view=view.__name__, exc_info=True)
            return Response(error_body("internal_error", "Something went wrong on our side."), status_code=500)

    return wrapper


def reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body:
        code = _CHALICE_ERROR_CODES.get(body["Code"], "bad_request")
        message = "Something went wrong on our side." if response.status_code >= 500 else body.get("Message", "")
        response.body = error_body(code, message)
    return response


def request_id(request: Request) -> str:
    return str(request.context.get("requestId") or uuid.uuid4())


def current_caller(request: Request) -> Caller:
    context = request.context.get("authorizer")
    if not context or "role" not in context:
        raise Unauthorized("A bearer token is required.")
    return caller_from_context(context)


def seller_id_param(value: str) -> str:
    if not _SELLER_ID.match(value):
        raise BadRequest(
            "seller_id must be 1-64 characters: letters, digits, '_' or '-', starting with a letter or digit.",
            {"field": "seller_id"},
            code="invalid_seller_id",
        )
    return value


def topic_param(request: Request) -> Topic:
    query: Mapping[str, str] = request.query_params or {}
    raw = query.get("topic", Topic.OTHER.value)
    try:
        return Topic(raw)
    except ValueError:
        raise BadRequest(
            "Unknown topic.", {"field": "topic", "allowed": [topic.value for topic in Topic]}, code="invalid_topic"
        ) from None


def explain_params(request: Request) -> tuple[bool, str | None]:
    """`?explain=true[&buyer_id=...]`: whether to explain, and for which buyer (None: the caller)."""
    query: Mapping[str, str] = request.query_params or {}
    explain = query.get("explain", "false")
    if explain not in ("true", "false"):
        raise BadRequest("explain must be true or false.", {"field": "explain"}, code="invalid_explain")
    buyer_id = query.get("buyer_id")
    if buyer_id is not None and not 1 <= len(buyer_id) <= 200:
        raise BadRequest("buyer_id must be 1-200 characters.", {"field": "buyer_id"}, code="invalid_buyer_id")
    if buyer_id is not None and explain != "true":
        raise BadRequest("buyer_id is only meaningful with explain=true.", {"field": "buyer_id"}, code="invalid_buyer_id")
    return explain == "true", buyer_id


def json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body is over {MAX_BODY_BYTES} bytes.", {"max_bytes": MAX_BODY_BYTES})
    if not raw.strip():
        raise BadRequest("A JSON body is required.", code="missing_body")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise BadRequest("The body is not valid JSON.", {"reason": str(exc)[:200]}, code="malformed_json") from None


def parse_body(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(json_body(request))
    except ValidationError as exc:
        raise invalid(exc) from None


def expected_version(request: Request, body_version: int | None) -> int:
    """The version the client last read: If-Match header or `version` in the body (they must agree)."""
    header = request.headers.get("if-match")
    header_version = None
    if header is not None:
        match = _IF_MATCH.match(header.strip())
        if not match:
            raise BadRequest('If-Match must be a settings version, e.g. "3".', {"header": "If-Match"}, code="invalid_if_match")
        header_version = int(match[1] or match[2])
    if header_version is not None and body_version is not None and header_version != body_version:
        raise BadRequest("If-Match and body version disagree.", {"if_match": header_version, "version": body_version})
    version = header_version if header_version is not None else body_version
    if version is None:
        raise PreconditionRequired(
            'Send If-Match: "<version>" (0 to create) so a concurrent change is never overwritten.',
            {"header": "If-Match"},
        )
    return version


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=model.model_dump_json(),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )

