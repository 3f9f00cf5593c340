"""Routes of resolutions: GET /v1/sellers/{seller_id}/contact-options (buyer, support), POST /v1/contact-options/batch."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api import http
from chalicelib.api.openapi import (
    BODY_ERRORS,
    BUYER_ID,
    COMMON_ERRORS,
    EXPLAIN,
    LANGUAGE,
    QUESTION,
    RESOLUTION_HEADERS,
    SELLER_ID,
    TOPIC,
    ok,
)
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.resolution import BatchRequest, StartLink
from chalicelib.shared import auth

routes = RouteGroup(__name__)

CONTACT_OPTIONS = Operation(
    id="getContactOptions",
    summary="Ranked contact options for one seller (buyer, support).",
    parameters=[SELLER_ID, TOPIC, QUESTION, *LANGUAGE, EXPLAIN, BUYER_ID],
    responses={
        "200": {
            "description": "OK; with explain=true (support only) also every layer's verdict.",
            "headers": RESOLUTION_HEADERS,
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
)


@routes.endpoint("/v1/sellers/{seller_id}/contact-options", "GET", CONTACT_OPTIONS, roles=auth.RESOLVERS)
def contact_options(call: Call[None], seller_id: str) -> Response:
    request = call.request
    if http.query_param(request, "explain") == "true":  # support only: a buyer hears that before any parameter error
        auth.require_role(call.caller, auth.EXPLAINERS)
    seller_id, topic = http.seller_id_param(seller_id), http.topic_param(request)
    explain, buyer_id = http.explain_params(request)
    locale = http.language(request)
    resolutions = services().resolution_service()
    start = StartLink(href=http.link(request, "/v1/conversations"))
    if explain:
        explained = resolutions.explain_one(seller_id, topic, call.caller, call.request_id, buyer_id, locale=locale, start=start)
        return http.json_response(explained, headers=http.language_headers(locale))
    result, rate_limit = resolutions.resolve_one(
        seller_id, topic, call.caller, call.request_id, locale=locale, question=http.question_param(request), start=start
    )
    return http.json_response(result, headers={**rate_limit, **http.language_headers(locale)})


BATCH = Operation(
    id="getContactOptionsBatch",
    summary="Contact options for up to 100 sellers of one order (buyer, support).",
    parameters=LANGUAGE,
    body="BatchRequest",
    responses={"200": ok("BatchResponse", headers=RESOLUTION_HEADERS), **COMMON_ERRORS, **BODY_ERRORS},
)


@routes.endpoint("/v1/contact-options/batch", "POST", BATCH, roles=auth.RESOLVERS, body=BatchRequest)
def contact_options_batch(call: Call[BatchRequest]) -> Response:
    locale = http.language(call.request)
    start = StartLink(href=http.link(call.request, "/v1/conversations"))
    result, rate_limit = services().resolution_service().resolve_batch(call.body, call.caller, call.request_id, locale=locale, start=start)
    return http.json_response(result, headers={**rate_limit, **http.language_headers(locale)})
