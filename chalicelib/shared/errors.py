"""Errors a client can act on, and the one JSON shape they all take."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:  # for an annotation only: this module, which every layer imports, imports no models
    from chalicelib.models.policy import PlatformPolicy

RETRY_AFTER_SECONDS = 5  # a 503 of an AWS outage: worth a retry soon, not in a tight loop


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "details"}}` with `status`."""

    status = 400
    code = "bad_request"
    retry_after_seconds: int | None = None  # a transient outage: when the client may try again (Retry-After)

    def __init__(self, message: str, details: Any = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "version_conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"


class StoreUnavailable(Exception):
    """DynamoDB could not answer in time. A resolution degrades; a read or write of the data itself is a 503."""

    code = "settings_unavailable"
    public_message = "Seller settings are unavailable right now; retry shortly."


class AnswersUnavailable(StoreUnavailable):
    """The answers table could not answer: a resolution shows no answers, answer management is a 503."""

    code = "answers_unavailable"
    public_message = "Answers are unavailable right now; retry shortly."


class InvalidStoredItem(StoreUnavailable):
    """A stored item no longer validates (edited by hand, or a shape this release cannot read): a full write by
    whoever owns it replaces it (its version is what that write names in If-Match)."""

    what = "item"

    def __init__(self, version: int) -> None:
        super().__init__(f"stored {self.what} (version {version}) does not validate")
        self.version = version


class InvalidStoredSettings(InvalidStoredItem):
    """A seller's stored settings: the seller can replace them."""

    what = "settings"


class InvalidStoredPolicy(InvalidStoredItem):
    """The stored platform policy: an admin can replace it. `version_attribute`: the item's `version` as stored
    (None: missing), which a replacement of an item without a readable version is conditioned on."""

    what = "policy"

    def __init__(self, version: int, version_attribute: dict[str, Any] | None = None, in_force: PlatformPolicy | None = None) -> None:
        super().__init__(version)
        self.version_attribute = version_attribute
        self.in_force = in_force  # the document, when only the version is unreadable: what resolutions apply


class InvalidStoredRestriction(StoreUnavailable):
    """A seller's stored restriction no longer validates (edited by hand, or a mode this release does not know):
    an admin can replace it (PUT) or lift it (DELETE)."""

    def __init__(self, stored_mode: str | None) -> None:
        super().__init__(f"stored restriction (mode {stored_mode!r}) does not validate")
        self.stored_mode = stored_mode


class VersionConflict(Exception):
    """A conditional write lost: someone else wrote first."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def invalid(exc: ValidationError, message: str = "The request is not valid.") -> BadRequest:
    """A 400 listing pydantic's field paths, without echoing the rejected input back."""
    details = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False)
    ]
    return BadRequest(message, details, code="validation_error")
