"""Routes of a seller's channel settings: GET, PUT and PATCH /v1/sellers/{seller_id}/channels."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api import http
from chalicelib.api.openapi import BODY_ERRORS, COMMON_ERRORS, ETAG, IF_MATCH, SELLER_ID, WRITE_ERRORS, error, ok, retry_later
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.settings import ChannelSettingsPatch, ChannelSettingsUpdate
from chalicelib.shared import auth

routes = RouteGroup(__name__)
CHANNELS = "/v1/sellers/{seller_id}/channels"

GET = Operation(
    id="getChannels",
    summary="A seller's channel settings (the seller, support, admin).",
    parameters=[SELLER_ID],
    responses={
        "200": ok("SellerSettings", headers=ETAG),
        **COMMON_ERRORS,
        "404": error("No settings yet."),
        "409": error("stored_settings_invalid: replace them with a full PUT; details.current_version."),
        "503": retry_later("DynamoDB unavailable; retry."),
    },
)


@routes.endpoint(CHANNELS, "GET", GET, roles=auth.SETTINGS_READERS)
def get_channels(call: Call[None], seller_id: str) -> Response:
    settings = services().settings_service().get_settings(http.seller_id_param(seller_id), call.caller)
    return http.versioned_response(settings, settings.version)


REPLACE = Operation(
    id="replaceChannels",
    summary="Replace the channel settings (the seller).",
    parameters=[SELLER_ID, IF_MATCH],
    body="ChannelSettingsUpdate",
    responses={"200": ok("SellerSettings", headers=ETAG), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS},
)


@routes.endpoint(CHANNELS, "PUT", REPLACE, roles=auth.SETTINGS_WRITERS, body=ChannelSettingsUpdate)
def put_channels(call: Call[ChannelSettingsUpdate], seller_id: str) -> Response:
    update = call.body
    settings = services().settings_service().replace_settings(
        http.seller_id_param(seller_id), update, http.expected_version(call.request, update.version), call.caller, call.request_id
    )
    return http.versioned_response(settings, settings.version)


PATCH = Operation(
    id="patchChannels",
    summary="Change part of the channel settings (the seller).",
    parameters=[SELLER_ID, IF_MATCH],
    body="ChannelSettingsPatch",
    responses={"200": ok("SellerSettings", headers=ETAG), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS},
)


@routes.endpoint(CHANNELS, "PATCH", PATCH, roles=auth.SETTINGS_WRITERS, body=ChannelSettingsPatch)
def patch_channels(call: Call[ChannelSettingsPatch], seller_id: str) -> Response:
    patch = call.body
    settings = services().settings_service().patch_settings(
        http.seller_id_param(seller_id),
        patch.model_dump(exclude_unset=True, exclude={"version"}),
        http.expected_version(call.request, patch.version),
        call.caller,
        call.request_id,
    )
    return http.versioned_response(settings, settings.version)
