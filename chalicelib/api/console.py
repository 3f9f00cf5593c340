"""The support and admin console: its page and files (no token: they hold no data), and its read-only data routes.

`/console` (API Gateway and chalice local drop a trailing slash, so `/console/` too) serves index.html; its files are
`/console/{asset}`, an allow-list: no path is ever joined from what the client sent. They ship in the Lambda package
(chalicelib/console/, infra/package.py). Links in the page go through `http.link`, the prefix helper that builds
Location, so the console works under a stage prefix. Every datum the page shows comes from the routes below with the
caller's own token: the page has no privilege of its own.
"""

from __future__ import annotations

import html
import re
from datetime import date
from functools import cache
from pathlib import Path

from chalice.app import Request, Response

from chalicelib.api import http
from chalicelib.api.openapi import COMMON_ERRORS, SELLER_ID, error, ok, retry_later
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.common import MAX_OPS_DAYS, MAX_OPS_PAGE, SELLER_ID_PATTERN, Topic
from chalicelib.shared.auth import OPS_READERS, QUEUE_READERS
from chalicelib.shared.errors import BadRequest, error_body

routes = RouteGroup(__name__)

ASSET_DIR = Path(__file__).resolve().parents[1] / "console"
INDEX = "index.html"
# Every file the console is made of, with its type: anything else under /console/ is a 404.
ASSETS: dict[str, str] = {
    INDEX: "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The page is the same for everyone (no data in it); a release changes the files, so they are kept only briefly.
CACHE_CONTROL = {INDEX: "no-cache", "console.js": "public, max-age=300", "console.css": "public, max-age=300"}
PREFIX_MARK = "{{PREFIX}}"  # in index.html: the path prefix the page was served under ("" or "/prod")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,400}")


@cache
def _read(name: str) -> str:
    return (ASSET_DIR / name).read_text(encoding="utf-8")


def _file(request: Request, name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        body = error_body("not_found", "There is no such console file.")
        return Response(body, status_code=404, headers={**SECURITY_HEADERS, "Content-Type": "application/json"})
    text = _read(name)
    if name == INDEX:
        text = text.replace(PREFIX_MARK, html.escape(http.link(request, ""), quote=True))
    return Response(text, headers={**SECURITY_HEADERS, "Content-Type": content_type, "Cache-Control": CACHE_CONTROL[name]})


PAGE = Operation(
    id="consolePage",
    summary="The support and admin console (sign in with #token=<support or admin token>). No auth: it holds no data.",
    responses={"200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}}},
)


@routes.public("/console", PAGE)
def console_page() -> Response:
    return _file(routes.current_request, INDEX)


ASSET = Operation(
    id="consoleAsset",
    summary="One of the console's files. No auth.",
    parameters=[{"name": "asset", "in": "path", "required": True, "schema": {"enum": sorted(ASSETS)}}],
    responses={
        "200": {
            "description": "The file",
            "content": {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}},
                        "text/html": {"schema": {"type": "string"}}},
        },
        "404": error("No such console file."),
    },
)


@routes.public("/console/{asset}", ASSET)
def console_asset(asset: str) -> Response:
    return _file(routes.current_request, asset)


# ---------------------------------------------------------------- the data routes (support, admin)

UNAVAILABLE = {"503": retry_later("The support figures are unavailable; retry.")}
DAYS = {"name": "days", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_OPS_DAYS, "default": 7}}
CURSOR = {"name": "cursor", "in": "query", "required": False, "description": "The next_cursor of the page before.",
          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,400}$"}}
LIMIT = {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_OPS_PAGE, "default": 50}}

REQUESTS = Operation(
    id="listContactRequests",
    summary="The latest contact requests, newest first: one UTC day a page (or a seller's, every day kept) (support, admin).",
    parameters=[
        {"name": "seller_id", "in": "query", "required": False, "schema": {"type": "string", "pattern": SELLER_ID_PATTERN}},
        {"name": "topic", "in": "query", "required": False, "schema": {"enum": [topic.value for topic in Topic]}},
        {"name": "day", "in": "query", "required": False, "description": "A UTC day within the 90 days requests are kept.",
         "schema": {"type": "string", "format": "date"}},
        CURSOR,
        LIMIT,
    ],
    responses={"200": ok("RequestPage"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/ops/requests", "GET", REQUESTS, roles=OPS_READERS)
def list_requests(call: Call[None]) -> Response:
    request = call.request
    seller = http.query_param(request, "seller_id")
    topic = http.enum_param(request, "topic", Topic, "topic")
    page = services().operations_service().requests(
        call.caller, seller_id=http.seller_id_param(seller) if seller is not None else None,
        topic=topic.value if topic is not None else None, day=_day(request), cursor=_cursor(request),
        limit=_whole_number(request, "limit", 50, 1, MAX_OPS_PAGE),
    )
    return http.json_response(page)


STATS = Operation(
    id="getSupportStats",
    summary="Today's and the last days' figures from the daily roll-ups: requests, reveals (and withheld), deflection, "
    "conversations by state, replies at risk, what the contact filter removed (support, admin).",
    parameters=[DAYS],
    responses={"200": ok("StatsResponse"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/ops/stats", "GET", STATS, roles=OPS_READERS)
def get_stats(call: Call[None]) -> Response:
    days = _whole_number(call.request, "days", 7, 1, MAX_OPS_DAYS)
    return http.json_response(services().operations_service().stats(call.caller, days))


DEFLECTION = Operation(
    id="getDeflection",
    summary="Per topic and UTC day, requests an answer resolved vs ones that went on to a channel; the weak answers "
    "(support, admin).",
    parameters=[DAYS, {"name": "top", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}],
    responses={"200": ok("DeflectionResponse"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/ops/deflection", "GET", DEFLECTION, roles=OPS_READERS)
def get_deflection(call: Call[None]) -> Response:
    days, top = _whole_number(call.request, "days", 7, 1, MAX_OPS_DAYS), _whole_number(call.request, "top", 10, 1, 50)
    return http.json_response(services().operations_service().deflection(call.caller, days, top))


HISTORY = Operation(
    id="getSettingsHistory",
    summary="A seller's settings and restriction changes, newest first (support, admin).",
    parameters=[SELLER_ID, CURSOR, LIMIT],
    responses={"200": ok("SettingsHistoryPage"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/sellers/{seller_id}/settings/history", "GET", HISTORY, roles=OPS_READERS)
def get_settings_history(call: Call[None], seller_id: str) -> Response:
    page = services().operations_service().settings_history(
        call.caller, http.seller_id_param(seller_id), _cursor(call.request), _whole_number(call.request, "limit", 50, 1, MAX_OPS_PAGE)
    )
    return http.json_response(page)


REPLIES = Operation(
    id="getSellerReplies",
    summary="A seller's replies within the due time over 7 and 30 days and the measured reply time (support, admin).",
    parameters=[SELLER_ID],
    responses={"200": ok("SellerReplies"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/sellers/{seller_id}/replies", "GET", REPLIES, roles=OPS_READERS)
def get_seller_replies(call: Call[None], seller_id: str) -> Response:
    return http.json_response(services().operations_service().seller_replies(call.caller, http.seller_id_param(seller_id)))


QUEUES = Operation(
    id="getSupportQueues",
    summary="The support queue's and its DLQ's depth, and the contact-support commands that act on them (admin).",
    responses={"200": ok("QueuesResponse"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/ops/queues", "GET", QUEUES, roles=QUEUE_READERS)
def get_queues(call: Call[None]) -> Response:
    return http.json_response(services().operations_service().queues(call.caller))


def _day(request: Request) -> date | None:
    raw = http.query_param(request, "day")
    if raw is None:
        return None
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest("day must be a date, YYYY-MM-DD (UTC).", {"field": "day"}, code="invalid_day") from None


def _cursor(request: Request) -> str | None:
    raw = http.query_param(request, "cursor")
    if raw is not None and not _CURSOR.fullmatch(raw):
        raise BadRequest("cursor must be the next_cursor of the page before.", {"field": "cursor"}, code="invalid_cursor")
    return raw or None


def _whole_number(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = http.query_param(request, name)
    if raw is None:
        return default
    # Leading zeros off and length first: int() of thousands of digits raises ValueError, a 500.
    digits = raw.lstrip("0") if raw.isascii() and raw.isdigit() else "x"
    if not (len(digits) <= 4 and digits.isdigit() and low <= int(digits) <= high):
        raise BadRequest(f"{name} must be a whole number from {low} to {high}.", {"field": name}, code=f"invalid_{name}")
    return int(digits)
