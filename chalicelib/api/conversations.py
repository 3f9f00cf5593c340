"""Routes of conversations: POST/GET /v1/conversations, GET /v1/conversations/{conversation_id}, and its
messages, escalate and close (docs/conversations.md)."""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Request, Response

from chalicelib.api import http
from chalicelib.api.openapi import BODY_ERRORS, COMMON_ERRORS, LANGUAGE, error, ok, retry_later
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.common import MAX_SUB_CHARS, SELLER_ID_PATTERN, Role
from chalicelib.models.conversations import CONVERSATION_ID_PATTERN, ConversationStatus, PostMessage, StartConversation
from chalicelib.shared.errors import BadRequest

routes = RouteGroup(__name__)

PARTIES_AND_STAFF = (Role.BUYER, Role.SELLER, Role.SUPPORT, Role.ADMIN)
_CONVERSATION_ID = re.compile(CONVERSATION_ID_PATTERN)

CONVERSATION_ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": CONVERSATION_ID_PATTERN}}
CURSOR = {"name": "cursor", "in": "query", "required": False, "description": "next_cursor of the page before.",
          "schema": {"type": "string", "maxLength": 1024}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Kept 24 h: a replay answers as the first request did; the same key with another body is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
RATE_LIMIT = {
    "RateLimit-Policy": {"description": '"conversations";q=<a day>;w=86400, or "messages";q=30;w=3600.', "schema": {"type": "string"}},
    "RateLimit": {"description": '"<policy>";r=<left>;t=<seconds until the window resets>.', "schema": {"type": "string"}},
}
NOT_FOUND = {"404": error("No such conversation, or not the caller's (never 403).")}
UNAVAILABLE = {"503": retry_later("DynamoDB unavailable (settings_unavailable, conversations_unavailable); retry.")}
POST_ERRORS = {
    "409": error("contact_not_offered (details.excluded: chat and e-mail as the resolution lists them), conversation_closed, "
                 "concurrent_change."),
    "422": error("idempotency_key_reused: the Idempotency-Key was used with another request."),
    "429": {**error("conversation_limit_reached or message_rate_limited, with RateLimit headers."), "headers": RATE_LIMIT},
}

START = Operation(
    id="startConversation",
    summary="Start (201) or return (200) the buyer's conversation with a seller; a closed one reopens (buyer).",
    parameters=[*LANGUAGE, IDEMPOTENCY_KEY],
    body="StartConversation",
    responses={
        "201": ok("Conversation", "Created", headers={"Location": {"schema": {"type": "string"}}, **RATE_LIMIT}),
        "200": ok("Conversation", "The pair's existing conversation.", headers=RATE_LIMIT),
        **COMMON_ERRORS, **BODY_ERRORS, **POST_ERRORS, **UNAVAILABLE,
    },
)


def _idempotency(request: Request, route: str) -> Any:
    from chalicelib.conversations.service import Idempotency

    raw = request.raw_body or b""
    return Idempotency.of(request.headers.get("idempotency-key"), request.method, route, raw if isinstance(raw, bytes) else raw.encode())


def _answer(answer: Any) -> Response:
    return Response(answer.body, status_code=answer.status, headers={"Content-Type": "application/json", **http.NO_STORE, **answer.headers})


@routes.endpoint("/v1/conversations", "POST", START, roles=(Role.BUYER,), body=StartConversation)
def start_conversation(call: Call[StartConversation]) -> Response:
    request = call.request
    answer = services().conversation_service().start(
        call.caller, call.body, _idempotency(request, "/v1/conversations"), call.request_id, http.language(request),
        lambda conversation_id: http.link(request, f"/v1/conversations/{conversation_id}"),
    )
    return _answer(answer)


LIST = Operation(
    id="listConversations",
    summary="The caller's conversations, latest message first; support names ?seller_id= or ?buyer_id=, or lists every "
    "conversation with ?status=escalated (oldest escalation first) or ?status=waiting_seller (earliest reply due first).",
    parameters=[
        {"name": "status", "in": "query", "required": False, "schema": {"enum": [s.value for s in ConversationStatus]}},
        {"name": "seller_id", "in": "query", "required": False, "description": "Support and admin.",
         "schema": {"type": "string", "pattern": SELLER_ID_PATTERN}},
        {"name": "buyer_id", "in": "query", "required": False, "description": "Support and admin.",
         "schema": {"type": "string", "minLength": 1, "maxLength": MAX_SUB_CHARS}},
        CURSOR,
    ],
    responses={"200": ok("ConversationList"), **COMMON_ERRORS, **UNAVAILABLE},
)


@routes.endpoint("/v1/conversations", "GET", LIST, roles=PARTIES_AND_STAFF)
def list_conversations(call: Call[None]) -> Response:
    request = call.request
    status = http.enum_param(request, "status", ConversationStatus, "status")
    seller_id = http.query_param(request, "seller_id")
    if seller_id is not None:
        http.seller_id_param(seller_id)
    buyer_id = http.query_param(request, "buyer_id")
    if buyer_id is not None and not 1 <= len(buyer_id) <= MAX_SUB_CHARS:
        raise BadRequest(f"buyer_id must be 1-{MAX_SUB_CHARS} characters.", {"field": "buyer_id"}, code="invalid_buyer_id")
    result = services().conversation_service().list_conversations(call.caller, status, seller_id, buyer_id, _cursor(request))
    return http.json_response(result)


def _cursor(request: Request) -> str | None:
    cursor = http.query_param(request, "cursor")
    if cursor is not None and (not cursor or len(cursor) > 1024 or not re.fullmatch(r"[A-Za-z0-9_-]+", cursor)):
        raise BadRequest("cursor must be the next_cursor of the page before.", {"field": "cursor"}, code="invalid_cursor")
    return cursor


def conversation_id_param(value: str) -> str:
    if not _CONVERSATION_ID.fullmatch(value):
        raise BadRequest("conversation_id must be 26 characters a-z and 2-7.", {"field": "conversation_id"}, code="invalid_conversation_id")
    return value


READ = Operation(
    id="getConversation",
    summary="A conversation with its latest 50 messages (oldest first); next_cursor for older ones. Support and admin "
    "reads are audited (conversation_viewed).",
    parameters=[CONVERSATION_ID, CURSOR],
    responses={"200": ok("Transcript"), **COMMON_ERRORS, **NOT_FOUND, **UNAVAILABLE},
)


@routes.endpoint("/v1/conversations/{conversation_id}", "GET", READ, roles=PARTIES_AND_STAFF)
def read_conversation(call: Call[None], conversation_id: str) -> Response:
    transcript = services().conversation_service().transcript(
        call.caller, conversation_id_param(conversation_id), _cursor(call.request), call.request_id
    )
    return http.json_response(transcript)


POST = Operation(
    id="postConversationMessage",
    summary="Post a message (plain text, 1-4,000 characters; contacts are redacted). A buyer's message reopens a closed "
    "conversation.",
    parameters=[CONVERSATION_ID, *LANGUAGE, IDEMPOTENCY_KEY],
    body="PostMessage",
    responses={
        "201": ok("Message", "Created", headers=RATE_LIMIT),
        **COMMON_ERRORS, **BODY_ERRORS, **NOT_FOUND, **POST_ERRORS, **UNAVAILABLE,
    },
)


@routes.endpoint("/v1/conversations/{conversation_id}/messages", "POST", POST, roles=PARTIES_AND_STAFF, body=PostMessage)
def post_message(call: Call[PostMessage], conversation_id: str) -> Response:
    conversation_id = conversation_id_param(conversation_id)
    request = call.request
    answer = services().conversation_service().post_message(
        call.caller, conversation_id, call.body, _idempotency(request, f"/v1/conversations/{conversation_id}/messages"),
        http.language(request),
    )
    return _answer(answer)


ESCALATE = Operation(
    id="escalateConversation",
    summary="A party hands the conversation to support (status escalated).",
    parameters=[CONVERSATION_ID],
    responses={"200": ok("Conversation"), **COMMON_ERRORS, **NOT_FOUND, "409": error("conversation_closed."), **UNAVAILABLE},
)


@routes.endpoint("/v1/conversations/{conversation_id}/escalate", "POST", ESCALATE, roles=PARTIES_AND_STAFF)
def escalate_conversation(call: Call[None], conversation_id: str) -> Response:
    conversation = services().conversation_service().escalate(call.caller, conversation_id_param(conversation_id), call.request_id)
    return http.json_response(conversation)


CLOSE = Operation(
    id="closeConversation",
    summary="A party or support closes the conversation (the buyer can reopen it by writing).",
    parameters=[CONVERSATION_ID],
    responses={"200": ok("Conversation"), **COMMON_ERRORS, **NOT_FOUND, **UNAVAILABLE},
)


@routes.endpoint("/v1/conversations/{conversation_id}/close", "POST", CLOSE, roles=PARTIES_AND_STAFF)
def close_conversation(call: Call[None], conversation_id: str) -> Response:
    conversation = services().conversation_service().close(call.caller, conversation_id_param(conversation_id))
    return http.json_response(conversation)
