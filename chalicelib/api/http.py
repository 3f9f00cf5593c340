"""The HTTP edge: parse and check what the client sent, turn every failure into the JSON error shape."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.models.answers import (
    ANSWER_ID_PATTERN,
    DEFAULT_LOCALE,
    MAX_ANSWERS_PER_PAGE,
    MAX_QUESTION_CHARS,
    PLATFORM_OWNER,
    AnswerPage,
    Locale,
)
from chalicelib.models.common import MAX_SUB_CHARS, SELLER_ID_PATTERN, Caller, Role, Topic
from chalicelib.models.settings import VersionPrecondition
from chalicelib.shared.auth import caller_from_context, require_role
from chalicelib.shared.errors import (
    RETRY_AFTER_SECONDS,
    ApiError,
    BadRequest,
    PayloadTooLarge,
    PreconditionRequired,
    StoreUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    error_body,
    invalid,
)
from chalicelib.shared.logs import log

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=Enum)
MAX_BODY_BYTES = 64 * 1024
# The policy PUT: 1,000 allow_sellers of 64 characters in each of the three channels (≈ 200 KB; the stored item stays
# inside DynamoDB's 400 KB).
MAX_POLICY_BODY_BYTES = 256 * 1024
JSON_CONTENT_TYPES = ["application/json", "application/merge-patch+json"]

# Every pattern is applied with fullmatch: `$` alone also matches before a trailing newline.
_SELLER_ID = re.compile(SELLER_ID_PATTERN)
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"|([0-9]{1,9})')  # RFC 9110 entity-tag; a bare number is accepted too
_VERSION = re.compile(r"[0-9]{1,9}")
# Answers that may carry a seller's e-mail or phone: never stored by a shared cache, nor kept by the client.
NO_STORE = {"Cache-Control": "private, no-store"}

# Chalice answers some requests itself ({"Code": ..., "Message": ...}); give them our shape and our words.
_CHALICE_ERRORS = {
    "BadRequestError": ("bad_request", "The request is not valid."),
    "MethodNotAllowedError": ("method_not_allowed", "This method is not allowed on this resource."),
    "UnsupportedMediaType": (
        "unsupported_media_type",
        "Send the body as application/json (or application/merge-patch+json for PATCH).",
    ),
    "NotFoundError": ("not_found", "There is no such resource."),
    "InternalServerError": ("internal_error", "Something went wrong on our side."),
}


def json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Route decorator: ApiError -> its status; anything unexpected -> 500 without a trace."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError as exc:
            retry: dict[str, str | list[str]] = {"Retry-After": str(exc.retry_after_seconds)} if exc.retry_after_seconds else {}
            extra: dict[str, str] = getattr(exc, "headers", None) or {}  # e.g. a 429's RateLimit headers
            return Response(exc.body(), status_code=exc.status, headers={**retry, **extra})
        except StoreUnavailable as exc:  # reads degrade in the service; a read or write of the data itself cannot
            # One line per 503, so operators see which store failed and how (the cause's type: never its text).
            cause = exc.__cause__ or exc
            log(logging.WARNING, "store_unavailable", code=exc.code, view=view.__name__, error=type(cause).__name__)
            return Response(error_body(exc.code, exc.public_message), status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a clean 500
            log(logging.ERROR, "unhandled_error", error=type(exc).__name__, view=view.__name__, exc_info=True)
            return Response(error_body("internal_error", "Something went wrong on our side."), status_code=500)

    return wrapper


def reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body:
        default = _CHALICE_ERRORS["InternalServerError" if response.status_code >= 500 else "BadRequestError"]
        response.body = error_body(*_CHALICE_ERRORS.get(body["Code"], default))
    return response


def request_id(request: Request) -> str:
    return str(request.context.get("requestId") or uuid.uuid4())


def current_caller(request: Request, roles: tuple[Role, ...] | None = None) -> Caller:
    """The caller the authorizer let in; with `roles`, refused (403 `wrong_role`) unless it has one of them."""
    context = request.context.get("authorizer")
    if not context or "role" not in context:
        raise Unauthorized("A bearer token is required.")
    caller = caller_from_context(context)
    if roles is not None:
        require_role(caller, roles)
    return caller


def seller_id_param(value: str) -> str:
    if not _SELLER_ID.fullmatch(value):
        raise BadRequest(
            "seller_id must be 1-64 characters: letters, digits, '_' or '-', starting with a letter or digit.",
            {"field": "seller_id"},
            code="invalid_seller_id",
        )
    return value


def query_param(request: Request, name: str) -> str | None:
    """One query parameter, or None. Named twice, it is a 400: `?explain=true&explain=false` has no one meaning (the
    last one winning would turn support's explain into a lookup that sends a contact event)."""
    query = request.query_params
    if not query or name not in query:
        return None
    values = query.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name} is given more than once.", {"field": name}, code="repeated_parameter")
    return str(values[0])


def enum_param(request: Request, name: str, enum: type[E], what: str, *, lower: bool = False) -> E | None:
    """Query parameter `name` as a member of `enum` (None when absent); an unknown value is a 400 `invalid_<name>`
    listing the allowed values. `lower`: compared in lower case."""
    raw = query_param(request, name)
    if raw is None:
        return None
    try:
        return enum(raw.lower() if lower else raw)
    except ValueError:
        raise BadRequest(
            f"Unknown {what}.", {"field": name, "allowed": [member.value for member in enum]}, code=f"invalid_{name}"
        ) from None


def topic_param(request: Request) -> Topic:
    topic = enum_param(request, "topic", Topic, "topic")
    return Topic.OTHER if topic is None else topic


def explain_params(request: Request) -> tuple[bool, str | None]:
    """`?explain=true[&buyer_id=...]`: whether to explain, and for which buyer (None: the caller)."""
    explain = query_param(request, "explain")
    if explain not in (None, "true", "false"):
        raise BadRequest("explain must be true or false.", {"field": "explain"}, code="invalid_explain")
    buyer_id = query_param(request, "buyer_id")
    if buyer_id is not None and not 1 <= len(buyer_id) <= MAX_SUB_CHARS:  # any buyer's token sub can be explained
        raise BadRequest(f"buyer_id must be 1-{MAX_SUB_CHARS} characters.", {"field": "buyer_id"}, code="invalid_buyer_id")
    if buyer_id is not None and explain != "true":
        raise BadRequest("buyer_id is only meaningful with explain=true.", {"field": "buyer_id"}, code="invalid_buyer_id")
    return explain == "true", buyer_id


def require_content_type(request: Request) -> None:
    """A body route's request must say what its body is. Chalice (locally and behind API Gateway, which passes the
    headers on as sent) refuses a Content-Type other than JSON with its own 415, but takes a missing one as
    application/json: refuse that too, with the same code and words (a client that forgot the header learns it)."""
    if request.headers.get("content-type") is None:
        raise UnsupportedMediaType(_CHALICE_ERRORS["UnsupportedMediaType"][1], {"header": "Content-Type"})


def json_body(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Any:
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The body is over {max_bytes} bytes.", {"max_bytes": max_bytes})
    if not raw.strip():
        raise BadRequest("A JSON body is required.", code="missing_body")
    # Our words in details, never the parser's (they name Python internals such as recursion limits).
    try:
        # UTF-8 only (RFC 8259): json.loads would also guess UTF-16/32 from bytes, which the model parser refuses.
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_members)
    except RecursionError:
        details: dict[str, Any] = {"reason": "nested too deeply"}
    except UnicodeDecodeError:
        details = {"reason": "not UTF-8 text"}
    except _DuplicateMember:
        details = {"reason": "a member name appears twice in one object"}
    except json.JSONDecodeError as exc:
        details = {"reason": "not valid JSON", "line": exc.lineno, "column": exc.colno}
    except ValueError:  # NaN/Infinity, or an integer with thousands of digits
        details = {"reason": "a number that JSON does not allow or that is too long"}
    raise BadRequest("The body is not valid JSON.", details, code="malformed_json")


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


class _DuplicateMember(Exception):
    """{"seller_ids": [...], "seller_ids": [...]}: parsers disagree on which one counts, so neither does."""


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _DuplicateMember
    return members


def parse_body(request: Request, model: type[M], max_bytes: int = MAX_BODY_BYTES) -> M:
    """The body as `model`, strictly: JSON's own types only ("yes", 1 or "3" are not booleans or numbers)."""
    raw = request.raw_body or b""
    json_body(request, max_bytes)  # size, presence and syntax, with our error texts
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        unparsed = [error for error in exc.errors() if error["type"] == "json_invalid"]
        if unparsed:  # deeper than pydantic parses, or an escape that is no character (a lone surrogate)
            reason = "nested too deeply" if "recursion" in unparsed[0]["msg"] else "not valid JSON"
            raise BadRequest("The body is not valid JSON.", {"reason": reason}, code="malformed_json") from None
        raise invalid(exc) from None


def expected_version(request: Request, body_version: int | None) -> VersionPrecondition:
    """What the client expects of the stored version: If-Match header or `version` in the body (they must agree)."""
    header = request.headers.get("if-match")
    if header is None:
        if body_version is None:
            raise PreconditionRequired(
                'Send If-Match: "<version>" (0 to create) so a concurrent change is never overwritten.',
                {"header": "If-Match"},
            )
        return VersionPrecondition.exactly(body_version)
    precondition = parse_if_match(header)
    if body_version is not None and precondition != VersionPrecondition.exactly(body_version):
        raise BadRequest("If-Match and body version disagree.", {"version": body_version})
    return precondition


def parse_if_match(header: str) -> VersionPrecondition:
    """`*`, or a list of entity tags; only strong tags holding a version can match (RFC 9110 strong comparison)."""
    value = header.strip(" \t")
    if value == "*":
        return VersionPrecondition(any_existing=True)
    versions = set()
    for element in value.split(","):
        match = _ENTITY_TAG.fullmatch(element.strip(" \t"))
        if not match:
            raise _invalid_if_match()
        weak, tag, bare = match.groups()
        # Strong comparison is octet by octet: "01" is a well-formed tag, but not the ETag "1" (it never matches).
        if bare is not None:
            if bare == str(int(bare)):
                versions.add(int(bare))
        elif not _VERSION.fullmatch(tag):
            raise _invalid_if_match()
        elif not weak and tag == str(int(tag)):
            versions.add(int(tag))
    return VersionPrecondition(versions=frozenset(versions))


def _invalid_if_match() -> BadRequest:
    return BadRequest('If-Match must be a version in quotes, e.g. "3" (what the ETag said), or *.', {"header": "If-Match"}, code="invalid_if_match")


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=model.model_dump_json(),
        status_code=status,
        headers={"Content-Type": "application/json", **NO_STORE, **(headers or {})},
    )


_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]{1,128}){0,8}")


def link(request: Request, path: str) -> str:
    """`path` (e.g. /v1/conversations) under the prefix the client called through: the API Gateway stage
    (/prod on the execute-api host), a custom domain's base path, or nothing (chalice local, a root mapping).

    The prefix is what the called `path` has before the route's own path (`resourcePath` with its parameters)."""
    context = request.context or {}
    called = str(context.get("path") or "")
    filled = str(context.get("resourcePath") or "")
    for name, value in (request.uri_params or {}).items():
        filled = filled.replace("{" + name + "}", str(value))
    prefix = ""
    if called and filled and called.endswith(filled):
        prefix = called[: len(called) - len(filled)].rstrip("/")
    if not _PREFIX.fullmatch(prefix):
        prefix = ""
    return prefix + path


def versioned_response(model: BaseModel, version: int, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A stored document with its version as the ETag (what the next If-Match names)."""
    return json_response(model, status, {"ETag": f'"{version}"', **(headers or {})})



# ---------------------------------------------------------------- language, question, answers, outcomes

_ANSWER_ID = re.compile(ANSWER_ID_PATTERN)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
MAX_ACCEPT_LANGUAGE_ITEMS = 20


def language(request: Request) -> Locale:
    """`?lang=` if given, else the best of ru/en in Accept-Language (q-values honoured): see preferred_locale."""
    lang = enum_param(request, "lang", Locale, "language", lower=True)
    return preferred_locale(request.headers.get("accept-language", "")) if lang is None else lang


@functools.lru_cache(maxsize=256)  # apps send a handful of distinct headers: parse each once per container
def preferred_locale(header: str) -> Locale:
    """The acceptable locale with the highest q-value (the first named wins a tie).

    Russian only when the header asks for it or says nothing we can read (no header, or only malformed items): a
    buyer whose app asks for a language we do not speak (`de`) reads English, the closer guess for them. `*` stands
    for the languages the header does not name (RFC 4647) and then also prefers English; q=0 excludes a language:
    so `ru;q=0` and `*;q=0.5, ru;q=0` both mean English, never Russian.
    """
    named: dict[Locale, tuple[float, int]] = {}  # locale -> (highest q, position of its first mention)
    wildcard: tuple[float, int] | None = None
    readable = False  # any well-formed item at all, ours or not
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = _q_value(params)
        primary = tag.lower().split("-")[0]
        if weight is None or not primary:
            continue  # a malformed weight or an empty item: ignore it
        readable = True
        if primary == "*":
            wildcard = wildcard or (weight, position)
        elif (locale := next((loc for loc in Locale if loc.value == primary), None)) is not None:
            best, first = named.get(locale, (weight, position))
            named[locale] = (max(best, weight), first)
    weights = {locale: named.get(locale, wildcard) for locale in Locale}
    acceptable = [(weight, position, locale) for locale, (weight, position) in _present(weights) if weight > 0]
    if acceptable:
        # A tie between two locales only the wildcard covers: English, as for a language we do not speak.
        return min(acceptable, key=lambda c: (-c[0], c[1], c[2] is not Locale.EN))[2]
    if not readable:
        return DEFAULT_LOCALE
    # Nothing the header names is ours: English, unless the header excluded it and not Russian.
    excluded = {locale for locale, (weight, _) in _present(weights) if weight == 0}
    return next((locale for locale in (Locale.EN, Locale.RU) if locale not in excluded), DEFAULT_LOCALE)


def _present(weights: dict[Locale, tuple[float, int] | None]) -> list[tuple[Locale, tuple[float, int]]]:
    return [(locale, value) for locale, value in weights.items() if value is not None]


def _q_value(params: list[str]) -> float | None:
    """The item's q (1 when absent); None when it is not a number from 0 to 1."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                return None
            return weight if 0 <= weight <= 1 else None
    return 1.0


def language_headers(locale: Locale) -> dict[str, str]:
    """The texts depend on Accept-Language: caches must key on it."""
    return {"Content-Language": locale.value, "Vary": "Accept-Language"}


def question_param(request: Request) -> str | None:
    question = query_param(request, "q")
    if question is not None and len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(
            f"q is limited to {MAX_QUESTION_CHARS} characters.", {"field": "q", "max_length": MAX_QUESTION_CHARS},
            code="validation_error",
        )
    return question or None


def answer_id_param(value: str) -> str:
    if not _ANSWER_ID.fullmatch(value):
        raise BadRequest(
            "answer_id must be 1-64 characters: lower-case letters, digits or '-'.", {"field": "answer_id"},
            code="invalid_answer_id",
        )
    return value


def request_id_param(value: str) -> str:
    if not _REQUEST_ID.fullmatch(value):
        raise BadRequest("request_id must be 1-64 letters, digits or '-'.", {"field": "request_id"}, code="invalid_request_id")
    return value


def answer_filters(request: Request) -> tuple[str, Topic | None, Locale | None]:
    """GET /v1/answers?owner=&topic=&locale= (owner defaults to platform)."""
    owner = query_param(request, "owner")
    owner = PLATFORM_OWNER if owner is None else owner
    if not _SELLER_ID.fullmatch(owner):
        raise BadRequest("owner must be 'platform' or a seller id.", {"field": "owner"}, code="invalid_owner")
    return owner, enum_param(request, "topic", Topic, "topic"), enum_param(request, "locale", Locale, "locale")


def answer_page(request: Request) -> AnswerPage:
    """`?limit=` (1-100, default 100) and `?cursor=` (the `next_cursor` of the page before)."""
    limit = MAX_ANSWERS_PER_PAGE
    raw = query_param(request, "limit")
    if raw is not None:
        # Leading zeros off and length first: int() of over 4,300 digits (zeros too) raises ValueError, a 500.
        digits = raw.lstrip("0") if raw.isascii() and raw.isdigit() else "x"
        if not (len(digits) <= 3 and digits.isdigit() and 1 <= int(digits) <= MAX_ANSWERS_PER_PAGE):
            raise BadRequest(
                f"limit must be a whole number from 1 to {MAX_ANSWERS_PER_PAGE}.", {"field": "limit"}, code="invalid_limit"
            )
        limit = int(digits)
    cursor = query_param(request, "cursor")
    if cursor is not None and not _ANSWER_ID.fullmatch(cursor):
        raise BadRequest("cursor must be the next_cursor of the page before.", {"field": "cursor"}, code="invalid_cursor")
    return AnswerPage(limit=limit, cursor=cursor)


def optional_if_match(request: Request) -> VersionPrecondition | None:
    """If-Match for DELETE: optional; when sent it must be the current version."""
    if request.headers.get("if-match") is None:
        return None
    return expected_version(request, None)
