"""Routes of answers: authors manage them (/v1/answers), buyers report whether one helped (.../outcome)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api import http
from chalicelib.api.openapi import BODY_ERRORS, COMMON_ERRORS, IF_MATCH, LOCALES, WRITE_ERRORS, error, ok, retry_later
from chalicelib.api.routing import Call, Operation, RouteGroup
from chalicelib.api.services import services
from chalicelib.models.answers import (
    ANSWER_ID_PATTERN,
    MAX_ANSWERS_PER_PAGE,
    Answer,
    AnswerInput,
    AnswerUpdate,
    OutcomeRequest,
)
from chalicelib.models.common import SELLER_ID_PATTERN, Topic
from chalicelib.shared import auth
from chalicelib.shared.errors import BadRequest

routes = RouteGroup(__name__)

ANSWER_ID = {"name": "answer_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": ANSWER_ID_PATTERN}}
ANSWER_ETAG = {"ETag": {"description": "The answer's version, quoted.", "schema": {"type": "string"}}}
ANSWER_FILTERS = [
    {"name": "owner", "in": "query", "required": False, "description": "platform (default) or a seller id.",
     "schema": {"type": "string", "pattern": SELLER_ID_PATTERN}},
    {"name": "topic", "in": "query", "required": False, "schema": {"enum": [t.value for t in Topic]}},
    {"name": "locale", "in": "query", "required": False, "schema": {"enum": LOCALES}},
    {"name": "limit", "in": "query", "required": False, "description": "Answers per page.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ANSWERS_PER_PAGE, "default": MAX_ANSWERS_PER_PAGE}},
    {"name": "cursor", "in": "query", "required": False, "description": "next_cursor of the page before.",
     "schema": {"type": "string", "pattern": ANSWER_ID_PATTERN}},
]
ANSWER_NOT_FOUND = {"404": error("No such answer (or a draft the caller may not see).")}


def answer_response(answer: Answer, status: int = 200, location: str | None = None) -> Response:
    return http.versioned_response(answer, answer.version, status, {"Location": location} if location else None)


OUTCOME = Operation(
    id="postContactOutcome",
    summary="Did an answer help, or which channel did the buyer choose (the buyer who got the result).",
    parameters=[{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": r"^[A-Za-z0-9-]{1,64}$"}}],
    body="OutcomeRequest",
    responses={
        "202": ok("OutcomeAccepted", "Accepted; the same outcome again is counted once."),
        **COMMON_ERRORS,
        **BODY_ERRORS,
        "503": error("Feedback is not configured."),
    },
)


@routes.endpoint("/v1/contact-requests/{request_id}/outcome", "POST", OUTCOME, roles=auth.OUTCOME_REPORTERS, body=OutcomeRequest)
def contact_outcome(call: Call[OutcomeRequest], request_id: str) -> Response:
    accepted = services().answers_service().record_outcome(http.request_id_param(request_id), call.body, call.caller)
    return http.json_response(accepted, status=202)


LIST = Operation(
    id="listAnswers",
    summary="An owner's answers: published ones for everybody, drafts too for their author and support (admin: the platform's).",
    parameters=ANSWER_FILTERS,
    responses={"200": ok("AnswerList"), **COMMON_ERRORS, "503": retry_later("DynamoDB unavailable; retry.")},
)


@routes.endpoint("/v1/answers", "GET", LIST)
def list_answers(call: Call[None]) -> Response:
    owner, topic, locale = http.answer_filters(call.request)
    page = services().answers_service().list(owner, topic, locale, call.caller, http.answer_page(call.request))
    return http.json_response(page)


CREATE = Operation(
    id="createAnswer",
    summary="Create an answer (support, admin: platform answers; a seller: their own auto-answers).",
    body="AnswerInput",
    responses={
        "201": ok("Answer", "Created", headers={**ANSWER_ETAG, "Location": {"schema": {"type": "string"}}}),
        **COMMON_ERRORS,
        **BODY_ERRORS,
        "409": error("too_many_answers: the owner has the most answers allowed (50 per seller, 500 platform)."),
        "503": retry_later("DynamoDB unavailable; retry."),
    },
)


@routes.endpoint("/v1/answers", "POST", CREATE, roles=auth.ANSWER_AUTHORS, body=AnswerInput)
def create_answer(call: Call[AnswerInput]) -> Response:
    answer = services().answers_service().create(call.body, call.caller)
    return answer_response(answer, status=201, location=http.link(call.request, f"/v1/answers/{answer.id}"))


GET = Operation(
    id="getAnswer",
    summary="One answer (drafts only for their author and support).",
    parameters=[ANSWER_ID],
    responses={
        "200": ok("Answer", headers=ANSWER_ETAG), **COMMON_ERRORS, **ANSWER_NOT_FOUND,
        "503": retry_later("The answers table (or the owner's restriction) unavailable; retry."),
    },
)


@routes.endpoint("/v1/answers/{answer_id}", "GET", GET)
def get_answer(call: Call[None], answer_id: str) -> Response:
    return answer_response(services().answers_service().get(http.answer_id_param(answer_id), call.caller))


REPLACE = Operation(
    id="replaceAnswer",
    summary="Replace an answer (its author), with If-Match.",
    parameters=[ANSWER_ID, IF_MATCH],
    body="AnswerUpdate",
    responses={"200": ok("Answer", headers=ANSWER_ETAG), **COMMON_ERRORS, **BODY_ERRORS, **WRITE_ERRORS, **ANSWER_NOT_FOUND},
)


@routes.endpoint("/v1/answers/{answer_id}", "PUT", REPLACE, roles=auth.ANSWER_AUTHORS, body=AnswerUpdate)
def put_answer(call: Call[AnswerUpdate], answer_id: str) -> Response:
    update = call.body
    answer_id = http.answer_id_param(answer_id)
    if update.id is not None and update.id != answer_id:  # a GET body sent back to another answer's address
        raise BadRequest(f"The body's id is {update.id}, not {answer_id}.", {"field": "id"})
    expected = http.expected_version(call.request, update.version)
    return answer_response(services().answers_service().replace(answer_id, update, expected, call.caller))


DELETE = Operation(
    id="deleteAnswer",
    summary="Delete an answer (its author); If-Match optional.",
    parameters=[ANSWER_ID, IF_MATCH],
    responses={
        "204": {"description": "Deleted."}, **COMMON_ERRORS, **ANSWER_NOT_FOUND,
        "409": error("Version conflict; details.current_version."),
        "503": retry_later("DynamoDB unavailable; retry."),
    },
)


@routes.endpoint("/v1/answers/{answer_id}", "DELETE", DELETE, roles=auth.ANSWER_AUTHORS)
def delete_answer(call: Call[None], answer_id: str) -> Response:
    services().answers_service().delete(http.answer_id_param(answer_id), http.optional_if_match(call.request), call.caller)
    return Response(body="", status_code=204)
