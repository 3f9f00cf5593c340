"""The published contracts, generated from the pydantic models: event JSON Schemas and the OpenAPI document.

    python -m chalicelib.contract           write docs/schemas/*.json and docs/openapi.json  (make contract)
    python -m chalicelib.contract --check   exit 1 if the committed files are stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.models import (
    SELLER_ID_PATTERN,
    Answer,
    AnswerInput,
    AnswerList,
    AnswerUpdate,
    BatchRequest,
    BatchResponse,
    ChannelSettingsPatch,
    ChannelSettingsUpdate,
    ContactOptions,
    ContactOutcomeEvent,
    ContactRequestEvent,
    ExplainedContactOptions,
    Locale,
    OutcomeAccepted,
    OutcomeRequest,
    PlatformPolicy,
    PolicyChangedEvent,
    PolicyUpdate,
    RestrictionInput,
    SellerRestriction,
    SellerRestrictionChangedEvent,
    SellerSettings,
    SettingsChangedEvent,
    Topic,
)
from chalicelib.models.answers import ANSWER_ID_PATTERN, MAX_ANSWERS_PER_PAGE
from chalicelib.models.common import MAX_SUB_CHARS

DOCS = Path(__file__).resolve().parent.parent / "docs"
API_VERSION = "1.0.0"
EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    "contact-request.v1.json": ContactRequestEvent,
    "settings-changed.v1.json": SettingsChangedEvent,
    "contact-outcome.v1.json": ContactOutcomeEvent,
    "policy-changed.v1.json": PolicyChangedEvent,
    "seller-restriction-changed.v1.json": SellerRestrictionChangedEvent,
    "platform-policy.v1.json": PlatformPolicy,
}


# What every v1 event carried from the first release on: required in the published schemas. Fields added within v1
# since (caller_role, seller_exists, policy_version, revealed, support_reason, ...) are not, so the schema accepts an
# older producer's events as the ingest does.
SENT_SINCE_V1_0 = frozenset({"schema_version", "event_id", "type"})


def event_schema(model: type[BaseModel], filename: str) -> dict[str, Any]:
    if model is PlatformPolicy:  # what GET /v1/platform/policy answers: every field is always there
        schema = model.model_json_schema(mode="serialization")
    else:
        schema = model.model_json_schema(mode="validation")
        schema["required"] = [name for name in schema["properties"] if name in SENT_SINCE_V1_0 or name in schema["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://contact-resolver.example/schemas/{filename}",
        **schema,
    }


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _retry_later(description: str) -> dict[str, Any]:
    """A 503 of an AWS outage: the client may retry after Retry-After seconds."""
    retry_after = {"description": "Seconds to wait before retrying.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    return {**_error(description), "headers": {"Retry-After": retry_after}}


def _ok(model: str, description: str = "OK", headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _body(model: str, content_type: str = "application/json") -> dict[str, Any]:
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
    "400": _error("Malformed id, topic, body or header."),
    "401": _error("No bearer token (answered by the gateway).", "GatewayError"),
    "403": _error("Token denied (by the gateway), wrong role, or another seller's settings.", "GatewayError"),
}
BODY_ERRORS = {"413": _error("Body over 64 KiB."), "415": _error("Body is not JSON.")}
WRITE_ERRORS = {
    "404": _error("No settings to change yet."),
    "409": _error(
        "version_conflict: If-Match does not match; stored_settings_invalid: the stored item no longer validates "
        "(a full PUT with its version replaces it). details.current_version."
    ),
    "428": _error("Neither If-Match nor version given."),
    "503": _retry_later("DynamoDB unavailable; retry."),
}


def openapi() -> dict[str, Any]:
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
            (SellerRestriction, "serialization"),
            (RestrictionInput, "validation"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    schemas = definitions["$defs"]
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
    topic = {"name": "topic", "in": "query", "required": False, "schema": {"enum": [t.value for t in Topic], "default": "other"}}
    locales = [locale.value for locale in Locale]
    language = [
        {"name": "lang", "in": "query", "required": False, "description": "Wins over Accept-Language.", "schema": {"enum": locales}},
        {
            "name": "Accept-Language", "in": "header", "required": False,
            "description": "ru or en, q-values honoured; default ru.", "schema": {"type": "string"},
        },
    ]
    question = {
        "name": "q", "in": "query", "required": False, "description": "The buyer's own question: ranks the answers.",
        "schema": {"type": "string", "maxLength": 500},
    }
    language_headers = {
        "Content-Language": {"description": "ru or en: the language of labels, hints and messages.", "schema": {"enum": locales}},
        "Vary": {"description": "Accept-Language", "schema": {"type": "string"}},
    }
    # Buyers only, while the platform policy sets a daily reveal limit (IETF httpapi RateLimit draft; README).
    rate_limit_headers = {
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
    resolution_headers = {**NO_STORE, **language_headers, **rate_limit_headers}
    answer_id = {"name": "answer_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": ANSWER_ID_PATTERN}}
    answer_etag = {"ETag": {"description": "The answer's version, quoted.", "schema": {"type": "string"}}}
    answer_filters = [
        {"name": "owner", "in": "query", "required": False, "description": "platform (default) or a seller id.",
         "schema": {"type": "string", "pattern": SELLER_ID_PATTERN}},
        {"name": "topic", "in": "query", "required": False, "schema": {"enum": [t.value for t in Topic]}},
        {"name": "locale", "in": "query", "required": False, "schema": {"enum": locales}},
        {"name": "limit", "in": "query", "required": False, "description": "Answers per page.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ANSWERS_PER_PAGE, "default": MAX_ANSWERS_PER_PAGE}},
        {"name": "cursor", "in": "query", "required": False, "description": "next_cursor of the page before.",
         "schema": {"type": "string", "pattern": ANSWER_ID_PATTERN}},
    ]
    answer_not_found = {"404": _error("No such answer (or a draft the caller may not see).")}
    bearer: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Contact Resolver",
            "version": API_VERSION,
            "description": "Which channels a buyer may use to reach a seller or platform support, in which order, and why.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "paths": {
            "/v1/sellers/{seller_id}/contact-options": {
                "get": {
                    "operationId": "getContactOptions",
                    "summary": "Ranked contact options for one seller (buyer, support).",
                    "security": bearer,
                    "parameters": [SELLER_ID, topic, question, *language, EXPLAIN, BUYER_ID],
                    "responses": {
                        "200": {
                            "description": "OK; with explain=true (support only) also every layer's verdict.",
                            "headers": resolution_headers,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "anyOf": [
                                            {"$ref": "#/components/schemas/ContactOptions"},
                                            {"$ref": "#/components/schemas/ExplainedContactOptions"},
                                        ]
                                    }
                                }
                            },
                        },
                        **COMMON_ERRORS,
                    },
                }
            },
            "/v1/contact-requests/{request_id}/outcome": {
                "post": {
                    "operationId": "postContactOutcome",
                    "summary": "Did an answer help, or which channel did the buyer choose (the buyer who got the result).",
                    "security": bearer,
                    "parameters": [
                        {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": r"^[A-Za-z0-9-]{1,64}$"}}
                    ],
                    "requestBody": _body("OutcomeRequest"),
                    "responses": {
                        "202": _ok("OutcomeAccepted", "Accepted; the same outcome again is counted once."),
                        **COMMON_ERRORS,
                        **BODY_ERRORS,
                        "503": _error("Feedback is not configured."),
                    },
                }
            },
            "/v1/answers": {
                "get": {
                    "operationId": "listAnswers",
                    "summary": "An owner's answers: published ones for everybody, drafts too for their author and support (admin: the platform's).",
                    "security": bearer,
                    "parameters": answer_filters,
                    "responses": {"200": _ok("AnswerList"), **COMMON_ERRORS, "503": _retry_later("DynamoDB unavailable; retry.")},
                },
                "post": {
                    "operationId": "createAnswer",
                    "summary": "Create an answer (support, admin: platform answers; a seller: their own auto-answers).",
                    "security": bearer,
                    "requestBody": _body("AnswerInput"),
                    "responses": {
                        "201": _ok("Answer", "Created", headers={**answer_etag, "Location": {"schema": {"type": "string"}}}),
                        **COMMON_ERRORS,
                        **BODY_ERRORS,
                        "409": _error("too_many_answers: the owner has the most answers allowed (50 per seller, 500 platform)."),
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
            },
            "/v1/answers/{answer_id}": {
                "get": {
                    "operationId": "getAnswer",
                    "summary": "One answer (drafts only for their author and support).",
                    "security": bearer,
                    "parameters": [answer_id],
                    "responses": {
                        "200": _ok("Answer", headers=answer_etag), **COMMON_ERRORS, **answer_not_found,
                        "503": _retry_later("The answers table (or the owner's restriction) unavailable; retry."),
                    },
                },
                "put": {
                    "operationId": "replaceAnswer",
                    "summary": "Replace an answer (its author), with If-Match.",
                    "security": bearer,
                    "parameters": [answer_id, IF_MATCH],
                    "requestBody": _body("AnswerUpdate"),
                    "responses": {
                        "200": _ok("Answer", headers=answer_etag), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS, **answer_not_found,
                    },
                },
                "delete": {
                    "operationId": "deleteAnswer",
                    "summary": "Delete an answer (its author); If-Match optional.",
                    "security": bearer,
                    "parameters": [answer_id, IF_MATCH],
                    "responses": {
                        "204": {"description": "Deleted."}, **COMMON_ERRORS, **answer_not_found,
                        "409": _error("Version conflict; details.current_version."),
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
            },
            "/v1/platform/policy": {
                "get": {
                    "operationId": "getPlatformPolicy",
                    "summary": "The platform contact policy; version 0 is the built-in default (admin, support).",
                    "security": bearer,
                    "responses": {
                        "200": _ok("PlatformPolicy", headers=POLICY_ETAG),
                        **COMMON_ERRORS,
                        "409": _error(
                            "stored_policy_invalid: the stored document no longer validates (a full PUT with "
                            "details.current_version replaces it)."
                        ),
                        "503": _retry_later("Policy store unavailable; retry."),
                    },
                },
                "put": {
                    "operationId": "replacePlatformPolicy",
                    "summary": "Replace the platform contact policy (admin).",
                    "security": bearer,
                    "parameters": [IF_MATCH],
                    "requestBody": _body("PolicyUpdate"),
                    "responses": {
                        "200": _ok("PlatformPolicy", headers=POLICY_ETAG),
                        **COMMON_ERRORS,
                        **BODY_ERRORS,
                        "413": _error("Body over 256 KiB."),
                        "409": _error(
                            "version_conflict: If-Match does not match details.current_version (also the version of "
                            "a stored document that no longer validates, which this PUT replaces)."
                        ),
                        "428": _error("Neither If-Match nor version given."),
                        "503": _retry_later("Policy store unavailable; retry."),
                    },
                },
            },
            "/v1/sellers/{seller_id}/restriction": {
                "get": {
                    "operationId": "getSellerRestriction",
                    "summary": "The platform's restriction on a seller (admin, support).",
                    "security": bearer,
                    "parameters": [SELLER_ID],
                    "responses": {
                        "200": _ok("SellerRestriction"),
                        **COMMON_ERRORS,
                        "404": _error("The seller is not restricted."),
                        "409": _error(
                            "stored_restriction_invalid: the stored restriction no longer validates (details.stored_mode); "
                            "PUT replaces it, DELETE lifts it."
                        ),
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
                "put": {
                    "operationId": "restrictSeller",
                    "summary": "Restrict a seller to platform support only (admin).",
                    "security": bearer,
                    "parameters": [SELLER_ID],
                    "requestBody": _body("RestrictionInput"),
                    "responses": {
                        "200": _ok("SellerRestriction"),
                        **COMMON_ERRORS,
                        **BODY_ERRORS,
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
                "delete": {
                    "operationId": "liftSellerRestriction",
                    "summary": "Lift a seller's restriction; idempotent (admin).",
                    "security": bearer,
                    "parameters": [SELLER_ID],
                    "responses": {
                        "204": {"description": "Lifted, or there was none."},
                        **COMMON_ERRORS,
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
            },
            "/v1/contact-options/batch": {
                "post": {
                    "operationId": "getContactOptionsBatch",
                    "summary": "Contact options for up to 100 sellers of one order (buyer, support).",
                    "security": bearer,
                    "parameters": language,
                    "requestBody": _body("BatchRequest"),
                    "responses": {"200": _ok("BatchResponse", headers=resolution_headers), **COMMON_ERRORS, **BODY_ERRORS},
                }
            },
            "/v1/sellers/{seller_id}/channels": {
                "get": {
                    "operationId": "getChannels",
                    "summary": "A seller's channel settings (the seller, support).",
                    "security": bearer,
                    "parameters": [SELLER_ID],
                    "responses": {
                        "200": _ok("SellerSettings", headers=ETAG),
                        **COMMON_ERRORS,
                        "404": _error("No settings yet."),
                        "409": _error("stored_settings_invalid: replace them with a full PUT; details.current_version."),
                        "503": _retry_later("DynamoDB unavailable; retry."),
                    },
                },
                "put": {
                    "operationId": "replaceChannels",
                    "summary": "Replace the channel settings (the seller).",
                    "security": bearer,
                    "parameters": [SELLER_ID, IF_MATCH],
                    "requestBody": _body("ChannelSettingsUpdate"),
                    "responses": {"200": _ok("SellerSettings", headers=ETAG), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS},
                },
                "patch": {
                    "operationId": "patchChannels",
                    "summary": "Change part of the channel settings (the seller).",
                    "security": bearer,
                    "parameters": [SELLER_ID, IF_MATCH],
                    "requestBody": _body("ChannelSettingsPatch"),
                    "responses": {"200": _ok("SellerSettings", headers=ETAG), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS},
                },
            },
            "/v1/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Are the settings table and the support queue reachable? No auth.",
                    "security": [],
                    "responses": {"200": _ok("Health"), "503": _ok("Health", "A dependency is unreachable.")},
                }
            },
            "/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document. No auth.",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
    }


def rendered() -> dict[Path, str]:
    files = {DOCS / "schemas" / name: event_schema(model, name) for name, model in EVENT_SCHEMAS.items()}
    files[DOCS / "openapi.json"] = openapi()
    return {path: json.dumps(document, indent=2, sort_keys=True) + "\n" for path, document in files.items()}


def main(argv: list[str]) -> int:
    stale = [path for path, text in rendered().items() if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"stale: {path.relative_to(DOCS.parent)} (run: make contract)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
