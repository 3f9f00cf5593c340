"""The served OpenAPI document, generated from the app's routes and the pydantic models (no second route table).

Each route carries its operation (chalicelib/api/routing.py); this module adds the path, method and security the
route itself declares, and the components: the models' JSON Schemas and the error shapes. The building blocks
below (parameters, headers, error responses) are shared by the route groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.models.answers import Locale
from chalicelib.models.common import MAX_SUB_CHARS, SELLER_ID_PATTERN, Topic

if TYPE_CHECKING:
    from chalice.app import RouteEntry

API_VERSION = "1.0.0"


def error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def retry_later(description: str) -> dict[str, Any]:
    """A 503 of an AWS outage: the client may retry after Retry-After seconds."""
    retry_after = {"description": "Seconds to wait before retrying.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    return {**error(description), "headers": {"Retry-After": retry_after}}


def ok(model: str, description: str = "OK", headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def body(model: str, content_type: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {content_type: {"schema": {"$ref": f"#/components/schemas/{model}"}}}}


SELLER_ID = {"name": "seller_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": SELLER_ID_PATTERN}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The version last read, e.g. "3" (0 creates), compared strongly (a weak W/"3" never matches); '
    "* means the settings exist. Alternatively \"version\" in the body.",
    "schema": {"type": "string", "pattern": r'^(\*|(W/)?("[0-9]{1,9}"|[0-9]{1,9})( *, *(W/)?("[0-9]{1,9}"|[0-9]{1,9}))*)$'},
}
NO_STORE = {
    "Cache-Control": {
        "description": "private, no-store: the answer may carry a seller's e-mail or phone.",
        "schema": {"type": "string"},
    }
}
ETAG = {"ETag": {"description": "The settings version, quoted.", "schema": {"type": "string"}}, **NO_STORE}
EXPLAIN = {
    "name": "explain",
    "in": "query",
    "required": False,
    "description": "true: list every precedence layer's verdict (support only; 403 wrong_role otherwise).",
    "schema": {"enum": ["true", "false"], "default": "false"},
}
BUYER_ID = {
    "name": "buyer_id",
    "in": "query",
    "required": False,
    "description": "With explain=true: whose rollout buckets to use (default: the caller).",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_SUB_CHARS},
}
POLICY_ETAG = {"ETag": {"description": "The policy version, quoted.", "schema": {"type": "string"}}}
COMMON_ERRORS = {
    "400": error("Malformed id, topic, body or header."),
    "401": error("No bearer token (answered by the gateway).", "GatewayError"),
    "403": error("Token denied (by the gateway), wrong role, or another seller's settings.", "GatewayError"),
}
BODY_ERRORS = {"413": error("Body over 64 KiB."), "415": error("Body is not JSON.")}
WRITE_ERRORS = {
    "404": error("No settings to change yet."),
    "409": error(
        "version_conflict: If-Match does not match; stored_settings_invalid: the stored item no longer validates "
        "(a full PUT with its version replaces it). details.current_version."
    ),
    "428": error("Neither If-Match nor version given."),
    "503": retry_later("DynamoDB unavailable; retry."),
}

# Resolutions: language, question, rate limit
TOPIC = {"name": "topic", "in": "query", "required": False, "schema": {"enum": [t.value for t in Topic], "default": "other"}}
LOCALES = [locale.value for locale in Locale]
LANGUAGE = [
    {"name": "lang", "in": "query", "required": False, "description": "Wins over Accept-Language.", "schema": {"enum": LOCALES}},
    {
        "name": "Accept-Language", "in": "header", "required": False,
        "description": "ru or en, q-values honoured; default ru.", "schema": {"type": "string"},
    },
]
QUESTION = {
    "name": "q", "in": "query", "required": False, "description": "The buyer's own question: ranks the answers.",
    "schema": {"type": "string", "maxLength": 500},
}
LANGUAGE_HEADERS = {
    "Content-Language": {"description": "ru or en: the language of labels, hints and messages.", "schema": {"enum": LOCALES}},
    "Vary": {"description": "Accept-Language", "schema": {"type": "string"}},
}
# Buyers only, while the platform policy sets a daily reveal limit (IETF httpapi RateLimit draft; README).
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": 'The daily reveal limit: "reveals";q=<sellers a day>;w=86400. A request uses a unit only when it '
        "shows the e-mail or phone of a seller not yet shown today.",
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": '"reveals";r=<reveals left today>;t=<seconds until UTC midnight>. At r=0 keep resolving: chat, '
        "support and sellers already shown today are never withheld.",
        "schema": {"type": "string"},
    },
}
RESOLUTION_HEADERS = {**NO_STORE, **LANGUAGE_HEADERS, **RATE_LIMIT_HEADERS}


def components() -> dict[str, Any]:
    """The models' JSON Schemas and the error shapes, by name."""
    # Only when the document is asked for: a resolution's cold start imports only the models it uses.
    from pydantic.json_schema import models_json_schema

    from chalicelib.models.answers import Answer, AnswerInput, AnswerList, AnswerUpdate, OutcomeAccepted, OutcomeRequest
    from chalicelib.models.conversations import (
        Conversation,
        ConversationList,
        Message,
        PostMessage,
        StartConversation,
        Transcript,
    )
    from chalicelib.models.operations import (
        DeflectionResponse,
        QueuesResponse,
        RequestPage,
        SellerReplies,
        SettingsHistoryPage,
        StatsResponse,
    )
    from chalicelib.models.policy import ExplainedContactOptions, PlatformPolicy, PolicyPatch, PolicyPreview, PolicyUpdate
    from chalicelib.models.resolution import BatchRequest, BatchResponse, ContactOptions
    from chalicelib.models.restriction import RestrictionInput, SellerRestriction
    from chalicelib.models.settings import ChannelSettingsPatch, ChannelSettingsUpdate, SellerSettings

    _, definitions = models_json_schema(
        [
            (ContactOptions, "serialization"),
            (BatchRequest, "validation"),
            (BatchResponse, "serialization"),
            (SellerSettings, "serialization"),
            (ChannelSettingsUpdate, "validation"),
            (ChannelSettingsPatch, "validation"),
            (Answer, "serialization"),
            (AnswerList, "serialization"),
            (AnswerInput, "validation"),
            (AnswerUpdate, "validation"),
            (OutcomeRequest, "validation"),
            (OutcomeAccepted, "serialization"),
            (ExplainedContactOptions, "serialization"),
            (PlatformPolicy, "serialization"),
            (PolicyUpdate, "validation"),
            (PolicyPatch, "validation"),
            (PolicyPreview, "serialization"),
            (SellerRestriction, "serialization"),
            (RestrictionInput, "validation"),
            (StartConversation, "validation"),
            (PostMessage, "validation"),
            (Conversation, "serialization"),
            (ConversationList, "serialization"),
            (Message, "serialization"),
            (Transcript, "serialization"),
            (RequestPage, "serialization"),
            (StatsResponse, "serialization"),
            (DeflectionResponse, "serialization"),
            (SettingsHistoryPage, "serialization"),
            (SellerReplies, "serialization"),
            (QueuesResponse, "serialization"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = definitions["$defs"]
    schemas["Error"] = {
        "title": "Error",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
            }
        },
    }
    schemas["GatewayError"] = {
        "title": "GatewayError",
        "description": "API Gateway answers 401/403 itself, before our code runs: deployed, in the Error shape "
        "(gateway responses in infra/resources.json); under chalice local, as {message} or {Message}.",
        "anyOf": [
            {"$ref": "#/components/schemas/Error"},
            {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
            {"type": "object", "required": ["Message"], "properties": {"Message": {"type": "string"}}},
        ],
    }
    schemas["Health"] = {
        "title": "Health",
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "checks": {"type": "object", "additionalProperties": {"enum": ["ok", "unavailable"]}},
        },
    }
    return schemas


def openapi(routes: dict[str, dict[str, RouteEntry]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes` (the app's `app.routes`)."""
    from chalicelib.api.routing import operation_of

    paths: dict[str, dict[str, Any]] = {}
    for path, methods in routes.items():
        for method, entry in methods.items():
            operation = operation_of(entry.view_function)
            document: dict[str, Any] = {
                "operationId": operation.id,
                "summary": operation.summary,
                "security": [{"bearerAuth": []}] if entry.authorizer is not None else [],
            }
            if operation.parameters:
                document["parameters"] = operation.parameters
            if operation.body is not None:
                document["requestBody"] = body(operation.body)
            document["responses"] = operation.responses
            paths.setdefault(path, {})[method.lower()] = document
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Contact Resolver",
            "version": API_VERSION,
            "description": "Which channels a buyer may use to reach a seller or platform support, in which order, and why.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "paths": paths,
    }
