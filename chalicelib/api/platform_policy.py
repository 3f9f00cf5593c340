"""Routes of the platform's rules (admin, support): the policy document and the restriction of a seller."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api import http
from chalicelib.api.openapi import BODY_ERRORS, COMMON_ERRORS, IF_MATCH, POLICY_ETAG, SELLER_ID, error, ok, retry_later
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.policy import PolicyPatch, PolicyUpdate
from chalicelib.models.restriction import RestrictionInput
from chalicelib.platform_policy.document import missing_paths
from chalicelib.shared import auth
from chalicelib.shared.errors import BadRequest

routes = RouteGroup(__name__)
POLICY = "/v1/platform/policy"
RESTRICTION = "/v1/sellers/{seller_id}/restriction"

GET_POLICY = Operation(
    id="getPlatformPolicy",
    summary="The platform contact policy; version 0 is the built-in default (admin, support).",
    responses={
        "200": ok("PlatformPolicy", headers=POLICY_ETAG),
        **COMMON_ERRORS,
        "409": error(
            "stored_policy_invalid: the stored document no longer validates (a full PUT with "
            "details.current_version replaces it)."
        ),
        "503": retry_later("Policy store unavailable; retry."),
    },
)


@routes.endpoint(POLICY, "GET", GET_POLICY, roles=auth.POLICY_READERS)
def get_policy(call: Call[None]) -> Response:
    policy = services().policy_service().get_policy(call.caller)
    return http.versioned_response(policy, policy.version)


PUT_POLICY = Operation(
    id="replacePlatformPolicy",
    summary="Replace the platform contact policy (admin).",
    parameters=[IF_MATCH],
    body="PolicyUpdate",
    responses={
        "200": ok("PlatformPolicy", headers=POLICY_ETAG),
        **COMMON_ERRORS,
        **BODY_ERRORS,
        "400": error("incomplete_policy: details.missing lists the dotted paths the document leaves out; or another 400."),
        "413": error("Body over 256 KiB."),
        "409": error(
            "version_conflict: If-Match does not match details.current_version (also the version of "
            "a stored document that no longer validates, which this PUT replaces)."
        ),
        "428": error("Neither If-Match nor version given."),
        "503": retry_later("Policy store unavailable; retry."),
    },
)


@routes.endpoint(POLICY, "PUT", PUT_POLICY, roles=auth.POLICY_EDITORS, body=PolicyUpdate, max_body_bytes=http.MAX_POLICY_BODY_BYTES)
def put_policy(call: Call[PolicyUpdate]) -> Response:
    expected = http.expected_version(call.request, call.body.version)
    missing = missing_paths(call.request.json_body)
    if missing:  # a field left out would silently take its default: a PUT names them all, PATCH changes a few
        raise BadRequest(
            "A PUT replaces the whole policy and must name every field; to change a few, use PATCH.",
            {"missing": missing},
            code="incomplete_policy",
        )
    policy = services().policy_service().put_policy(call.body, expected, call.caller, call.request_id)
    return http.versioned_response(policy, policy.version)


PATCH_POLICY = Operation(
    id="patchPlatformPolicy",
    summary="Change part of the platform contact policy with a JSON merge patch (admin).",
    parameters=[IF_MATCH],
    body="PolicyPatch",
    responses={
        "200": ok("PlatformPolicy", headers=POLICY_ETAG),
        **COMMON_ERRORS,
        **BODY_ERRORS,
        "413": error("Body over 256 KiB."),
        "409": error(
            "version_conflict: If-Match does not match details.current_version; stored_policy_invalid: the stored "
            "document no longer validates (replace it with a full PUT)."
        ),
        "428": error("Neither If-Match nor version given."),
        "503": retry_later("Policy store unavailable; retry."),
    },
)


@routes.endpoint(POLICY, "PATCH", PATCH_POLICY, roles=auth.POLICY_EDITORS, body=PolicyPatch, max_body_bytes=http.MAX_POLICY_BODY_BYTES)
def patch_policy(call: Call[PolicyPatch]) -> Response:
    expected = http.expected_version(call.request, call.body.version)
    policy = services().policy_service().patch_policy(call.body.patch(), expected, call.caller, call.request_id)
    return http.versioned_response(policy, policy.version)


PREVIEW_POLICY = Operation(
    id="previewPlatformPolicy",
    summary="What a merge patch on the policy in force would have done to the last 24 hours' contact requests: "
    "buyers and sellers gaining or losing each channel (admin). Writes nothing.",
    body="PolicyPatch",
    responses={
        "200": ok("PolicyPreview"),
        **COMMON_ERRORS,
        **BODY_ERRORS,
        "413": error("Body over 256 KiB."),
        "409": error("stored_policy_invalid: the stored document no longer validates."),
        "503": retry_later("Policy, requests or settings unavailable; retry."),
    },
)


@routes.endpoint(f"{POLICY}/preview", "POST", PREVIEW_POLICY, roles=auth.POLICY_EDITORS, body=PolicyPatch, max_body_bytes=http.MAX_POLICY_BODY_BYTES)
def preview_policy(call: Call[PolicyPatch]) -> Response:
    return http.json_response(services().policy_preview_service().preview(call.body.patch(), call.caller))


GET_RESTRICTION = Operation(
    id="getSellerRestriction",
    summary="The platform's restriction on a seller (admin, support).",
    parameters=[SELLER_ID],
    responses={
        "200": ok("SellerRestriction"),
        **COMMON_ERRORS,
        "404": error("The seller is not restricted."),
        "409": error(
            "stored_restriction_invalid: the stored restriction no longer validates (details.stored_mode); "
            "PUT replaces it, DELETE lifts it."
        ),
        "503": retry_later("DynamoDB unavailable; retry."),
    },
)


@routes.endpoint(RESTRICTION, "GET", GET_RESTRICTION, roles=auth.POLICY_READERS)
def get_restriction(call: Call[None], seller_id: str) -> Response:
    return http.json_response(services().policy_service().get_restriction(http.seller_id_param(seller_id), call.caller))


RESTRICT = Operation(
    id="restrictSeller",
    summary="Restrict a seller to platform support only (admin).",
    parameters=[SELLER_ID],
    body="RestrictionInput",
    responses={"200": ok("SellerRestriction"), **COMMON_ERRORS, **BODY_ERRORS, "503": retry_later("DynamoDB unavailable; retry.")},
)


@routes.endpoint(RESTRICTION, "PUT", RESTRICT, roles=auth.POLICY_EDITORS, body=RestrictionInput)
def put_restriction(call: Call[RestrictionInput], seller_id: str) -> Response:
    result = services().policy_service().restrict(http.seller_id_param(seller_id), call.body, call.caller, call.request_id)
    return http.json_response(result)


LIFT = Operation(
    id="liftSellerRestriction",
    summary="Lift a seller's restriction; idempotent (admin).",
    parameters=[SELLER_ID],
    responses={
        "204": {"description": "Lifted, or there was none."},
        **COMMON_ERRORS,
        "503": retry_later("DynamoDB unavailable; retry."),
    },
)


@routes.endpoint(RESTRICTION, "DELETE", LIFT, roles=auth.POLICY_EDITORS)
def delete_restriction(call: Call[None], seller_id: str) -> Response:
    services().policy_service().lift_restriction(http.seller_id_param(seller_id), call.caller, call.request_id)
    return Response("", status_code=204)
