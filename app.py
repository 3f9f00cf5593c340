"""Contact Resolver: routes, authorizer and queue consumer. Wiring only; the logic lives in chalicelib/."""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from chalice.app import AuthResponse, Chalice, Request, Response

from chalicelib import auth, http
from chalicelib.auth import InvalidToken, caller_context, deny_policy, verify_token
from chalicelib.config import get_config
from chalicelib.errors import BadRequest
from chalicelib.logs import get_logger, log
from chalicelib.models import (
    Answer,
    AnswerInput,
    AnswerUpdate,
    BatchRequest,
    ChannelSettingsPatch,
    ChannelSettingsUpdate,
    OutcomeRequest,
    PlatformPolicy,
    PolicyUpdate,
    RestrictionInput,
    SellerSettings,
)
from chalicelib.service import ContactService

if TYPE_CHECKING:
    from chalicelib.answers_service import AnswersService
    from chalicelib.policy_service import CachedPolicy, PolicyService

app = Chalice(app_name="contact-resolver")
app.api.binary_types = []  # JSON in and out only: no body is base64-encoded, and each response skips the binary checks
get_logger(get_config().log_level)


def current_request() -> Request:
    """The request being served; Chalice sets it before calling any route."""
    return cast(Request, app.current_request)


@cache
def get_service() -> ContactService:
    """Built on first use, once per container: import stays cheap, tests can replace it."""
    from chalicelib.aws import resolution_client, settings_client
    from chalicelib.settings_store import DynamoSettingsStore

    config = get_config()
    # One store reads a resolution's settings and, in the same BatchGetItem, the buyer's reveal tally.
    store = DynamoSettingsStore(
        resolution_client("dynamodb"), config.seller_table_name, tally_table=config.support_requests_table_name,
        restricted_without_settings=True,
    )
    return ContactService(
        store,
        support_publisher(),
        settings_store=lambda: DynamoSettingsStore(settings_client(), config.seller_table_name),
        policy=get_cached_policy(),
        reveals=store,
        answers=answers_store(),
        feedback_key=config.feedback_key,
        support_reply_target_hours=config.support_reply_target_hours,
    )


@cache
def get_cached_policy() -> CachedPolicy:
    """The container's one policy cache: resolutions read it, a policy PUT here refreshes it at once."""
    from chalicelib.aws import policy_refresh_client, resolution_client
    from chalicelib.policy_service import CachedPolicy
    from chalicelib.policy_store import DynamoPolicyStore

    config = get_config()
    return CachedPolicy(
        DynamoPolicyStore(resolution_client("dynamodb"), config.policy_table_name),
        config.policy_ttl_seconds,
        refresh_store=lambda: DynamoPolicyStore(policy_refresh_client(), config.policy_table_name),
    )


@cache
def get_policy_service() -> PolicyService:
    from chalicelib.aws import settings_client
    from chalicelib.policy_service import PolicyService
    from chalicelib.policy_store import DynamoPolicyStore
    from chalicelib.service import utc_now
    from chalicelib.settings_store import DynamoSettingsStore

    config = get_config()
    return PolicyService(
        DynamoPolicyStore(settings_client(), config.policy_table_name),
        DynamoSettingsStore(settings_client(), config.seller_table_name),
        support_publisher(),
        get_cached_policy(),
        utc_now,
    )


@cache
def get_answers_service() -> AnswersService:
    """Answer management and outcomes: imported only by those routes.

    Its reads and writes take the settings routes' time per call: an author gets a 503 rather than a degraded
    answer, so the resolution's tight budget (meant to keep a degraded answer fast) would only fail them under load.
    """
    from chalicelib.answers_service import AnswersService
    from chalicelib.answers_store import DynamoAnswersStore
    from chalicelib.aws import settings_client
    from chalicelib.settings_store import DynamoSettingsStore

    config = get_config()
    store = DynamoAnswersStore(settings_client(), config.answers_table_name)
    restrictions = DynamoSettingsStore(settings_client(), config.seller_table_name)
    return AnswersService(store, support_publisher(), config.feedback_key, restrictions=restrictions)


def support_publisher() -> Any:
    from chalicelib.aws import resolution_client
    from chalicelib.events import SqsEventPublisher

    return SqsEventPublisher(resolution_client("sqs"), get_config().support_queue_url)


def answers_store() -> Any:
    """The published answers a resolution shows: within the resolution's AWS time budget."""
    from chalicelib.answers_store import DynamoAnswersStore
    from chalicelib.aws import resolution_client

    return DynamoAnswersStore(resolution_client("dynamodb"), get_config().answers_table_name)


@app.authorizer(ttl_seconds=60)
def jwt_auth(auth_request: Any) -> Any:
    """Valid token: allow every route (roles are checked per route, with a JSON 403). Else deny."""
    try:
        caller = verify_token(auth_request.token, get_config())
    except InvalidToken as exc:
        log(logging.WARNING, "token_rejected", reason=str(exc))
        return deny_policy(auth_request.method_arn)
    return AuthResponse(routes=["*"], principal_id=caller.sub, context=caller_context(caller))


@app.middleware("http")
def json_error_shape(event: Any, get_response: Any) -> Response:
    """Every answer in our error shape, and none stored by a cache (errors, health and 204s included)."""
    response = http.reshape_chalice_error(get_response(event))
    for name, value in http.NO_STORE.items():
        response.headers.setdefault(name, value)
    return response


@app.route("/v1/sellers/{seller_id}/contact-options", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def contact_options(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.RESOLVERS)
    if http.query_param(request, "explain") == "true":  # support only: a buyer hears that before any parameter error
        auth.require_role(caller, auth.EXPLAINERS)
    seller_id, topic = http.seller_id_param(seller_id), http.topic_param(request)
    explain, buyer_id = http.explain_params(request)
    locale = http.language(request)
    if explain:
        explained = get_service().explain_one(seller_id, topic, caller, http.request_id(request), buyer_id, locale=locale)
        return http.json_response(explained, headers=http.language_headers(locale))
    result, rate_limit = get_service().resolve_one(
        seller_id, topic, caller, http.request_id(request), locale=locale, question=http.question_param(request)
    )
    return http.json_response(result, headers={**rate_limit, **http.language_headers(locale)})


@app.route("/v1/contact-options/batch", methods=["POST"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def contact_options_batch() -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.RESOLVERS)
    batch = http.parse_body(request, BatchRequest)
    locale = http.language(request)
    result, rate_limit = get_service().resolve_batch(batch, caller, http.request_id(request), locale=locale)
    return http.json_response(result, headers={**rate_limit, **http.language_headers(locale)})


@app.route(
    "/v1/contact-requests/{request_id}/outcome", methods=["POST"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES
)
@http.json_errors
def contact_outcome(request_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.OUTCOME_REPORTERS)
    report = http.parse_body(request, OutcomeRequest)
    accepted = get_answers_service().record_outcome(http.request_id_param(request_id), report, caller)
    return http.json_response(accepted, status=202)


@app.route("/v1/answers", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def list_answers() -> Response:
    request = current_request()
    owner, topic, locale = http.answer_filters(request)
    page = get_answers_service().list(owner, topic, locale, http.current_caller(request), http.answer_page(request))
    return http.json_response(page)


@app.route("/v1/answers", methods=["POST"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def create_answer() -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.ANSWER_AUTHORS)
    answer = get_answers_service().create(http.parse_body(request, AnswerInput), caller)
    return answer_response(answer, status=201, location=True)


@app.route("/v1/answers/{answer_id}", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def get_answer(answer_id: str) -> Response:
    request = current_request()
    return answer_response(get_answers_service().get(http.answer_id_param(answer_id), http.current_caller(request)))


@app.route("/v1/answers/{answer_id}", methods=["PUT"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def put_answer(answer_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.ANSWER_AUTHORS)
    update = http.parse_body(request, AnswerUpdate)
    answer_id = http.answer_id_param(answer_id)
    if update.id is not None and update.id != answer_id:  # a GET body sent back to another answer's address
        raise BadRequest(f"The body's id is {update.id}, not {answer_id}.", {"field": "id"})
    answer = get_answers_service().replace(answer_id, update, http.expected_version(request, update.version), caller)
    return answer_response(answer)


@app.route("/v1/answers/{answer_id}", methods=["DELETE"], authorizer=jwt_auth)
@http.json_errors
def delete_answer(answer_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.ANSWER_AUTHORS)
    get_answers_service().delete(http.answer_id_param(answer_id), http.optional_if_match(request), caller)
    return Response(body="", status_code=204)


def answer_response(answer: Answer, status: int = 200, location: bool = False) -> Response:
    headers = {"ETag": f'"{answer.version}"'}
    if location:
        headers["Location"] = f"/v1/answers/{answer.id}"
    return http.json_response(answer, status=status, headers=headers)


@app.route("/v1/sellers/{seller_id}/channels", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def get_channels(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.SETTINGS_READERS)
    settings = get_service().get_settings(http.seller_id_param(seller_id), caller)
    return settings_response(settings)


@app.route("/v1/sellers/{seller_id}/channels", methods=["PUT"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def put_channels(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.SETTINGS_WRITERS)
    update = http.parse_body(request, ChannelSettingsUpdate)
    settings = get_service().replace_settings(
        http.seller_id_param(seller_id),
        update,
        http.expected_version(request, update.version),
        caller,
        http.request_id(request),
    )
    return settings_response(settings)


@app.route("/v1/sellers/{seller_id}/channels", methods=["PATCH"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def patch_channels(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.SETTINGS_WRITERS)
    patch = http.parse_body(request, ChannelSettingsPatch)
    settings = get_service().patch_settings(
        http.seller_id_param(seller_id),
        patch.model_dump(exclude_unset=True, exclude={"version"}),
        http.expected_version(request, patch.version),
        caller,
        http.request_id(request),
    )
    return settings_response(settings)


def settings_response(settings: SellerSettings) -> Response:
    return http.json_response(settings, headers={"ETag": f'"{settings.version}"'})


@app.route("/v1/platform/policy", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def get_policy() -> Response:
    return policy_response(get_policy_service().get_policy(http.current_caller(current_request(), auth.POLICY_READERS)))


@app.route("/v1/platform/policy", methods=["PUT"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def put_policy() -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.POLICY_EDITORS)
    update = http.parse_body(request, PolicyUpdate, http.MAX_POLICY_BODY_BYTES)
    expected = http.expected_version(request, update.version)
    return policy_response(get_policy_service().put_policy(update, expected, caller, http.request_id(request)))


def policy_response(policy: PlatformPolicy) -> Response:
    return http.json_response(policy, headers={"ETag": f'"{policy.version}"'})


@app.route("/v1/sellers/{seller_id}/restriction", methods=["GET"], authorizer=jwt_auth)
@http.json_errors
def get_restriction(seller_id: str) -> Response:
    caller = http.current_caller(current_request(), auth.POLICY_READERS)
    return http.json_response(get_policy_service().get_restriction(http.seller_id_param(seller_id), caller))


@app.route("/v1/sellers/{seller_id}/restriction", methods=["PUT"], authorizer=jwt_auth, content_types=http.JSON_CONTENT_TYPES)
@http.json_errors
def put_restriction(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.POLICY_EDITORS)
    restriction = http.parse_body(request, RestrictionInput)
    result = get_policy_service().restrict(http.seller_id_param(seller_id), restriction, caller, http.request_id(request))
    return http.json_response(result)


@app.route("/v1/sellers/{seller_id}/restriction", methods=["DELETE"], authorizer=jwt_auth)
@http.json_errors
def delete_restriction(seller_id: str) -> Response:
    request = current_request()
    caller = http.current_caller(request, auth.POLICY_EDITORS)
    get_policy_service().lift_restriction(http.seller_id_param(seller_id), caller, http.request_id(request))
    return Response("", status_code=204)


@cache
def get_ingest_store() -> Any:
    from chalicelib.aws import client
    from chalicelib.ingest import SupportRequestStore

    return SupportRequestStore(client("dynamodb"), get_config().support_requests_table_name)


# The queue's real ARN comes from infra/resources.json (merged into the package); this name is the local one.
@app.on_sqs_message(queue="support-contact-requests", batch_size=10, maximum_batching_window_in_seconds=1)
def support_ingest(event: Any) -> dict[str, Any]:
    """Store each support event once; report failed records so only those are retried (then dead-lettered)."""
    from chalicelib.ingest import ingest_batch, record_from_sqs

    return ingest_batch([record_from_sqs(record.to_dict()) for record in event], get_ingest_store())


@app.route("/v1/openapi.json", methods=["GET"])
@http.json_errors
def openapi_document() -> Response:
    return Response(openapi_json(), headers={"Content-Type": "application/json"})


@cache
def openapi_json() -> str:
    import json

    from chalicelib.contract import openapi

    return json.dumps(openapi())


@app.route("/v1/health", methods=["GET"])
@http.json_errors
def health() -> Response:
    from chalicelib.health import check

    status = check(get_config())
    return Response(status, status_code=200 if status["status"] == "ok" else 503)
