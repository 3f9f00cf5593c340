"""JWT verification for the authorizer (demo tokens for the local stage are minted by devstack.tokens).

PyJWT (and cryptography behind it) is imported inside the functions: only the
authorizer Lambda needs it, the API handler's cold start does not pay for it.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError

from chalicelib.models.common import MAX_SUB_CHARS, Caller, Role
from chalicelib.shared.config import Config
from chalicelib.shared.errors import Forbidden

REQUIRED_CLAIMS = ["exp", "sub", "role"]
LEEWAY_SECONDS = 30  # clock skew between the app's token issuer and Lambda
# OpenID Connect Core §2: a sub is at most 255 ASCII characters. It becomes a DynamoDB key (the buyer's reveal
# tally, REVEALS#<sub>): past 2048 bytes every read of that buyer would fail and every event of theirs dead-letter.


# Who may call what. A route checks its caller before it reads a body, a header or a parameter (a wrong role hears
# 403 `wrong_role`, not what is wrong with a request it may not make at all); each service checks again.
RESOLVERS = (Role.BUYER, Role.SUPPORT)
EXPLAINERS = (Role.SUPPORT,)
OPS_READERS = (Role.SUPPORT, Role.ADMIN)  # the console's figures, requests and histories
QUEUE_READERS = (Role.ADMIN,)  # the support queues' depths and ages
SETTINGS_READERS = (Role.SELLER, Role.SUPPORT, Role.ADMIN)  # admin: the console's seller page
SETTINGS_WRITERS = (Role.SELLER,)
POLICY_READERS = (Role.ADMIN, Role.SUPPORT)
POLICY_EDITORS = (Role.ADMIN,)
ANSWER_AUTHORS = (Role.SUPPORT, Role.ADMIN, Role.SELLER)
OUTCOME_REPORTERS = (Role.BUYER,)


class InvalidToken(Exception):
    """Why a token was refused; logged, never shown to the caller."""


def verify_token(authorization: str, config: Config) -> Caller:
    import jwt

    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("expected 'Bearer <token>'")
    if config.jwt_public_key:
        key, algorithms = config.jwt_public_key, ["RS256"]
    elif config.jwt_secret:
        key, algorithms = config.jwt_secret, ["HS256"]
    else:
        raise InvalidToken("no JWT_PUBLIC_KEY or JWT_SECRET configured")
    try:
        claims = jwt.decode(
            token, key, algorithms=algorithms, options={"require": REQUIRED_CLAIMS}, leeway=LEEWAY_SECONDS
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    except (AttributeError, TypeError, ValueError):  # a key PyJWT loads but cannot verify with (a private key set as
        raise InvalidToken("InvalidKeyError") from None  # the public one): every token fails, as a corrupt key does
    check_claims(claims, config.jwt_max_lifetime_seconds, time.time())
    try:
        caller = Caller(sub=claims["sub"], role=claims["role"], seller_id=claims.get("seller_id"), email=verified_email(claims))
    except ValidationError:
        raise InvalidToken("unknown role or malformed claims") from None
    if caller.role is Role.SELLER and not caller.seller_id:
        raise InvalidToken("seller token without seller_id")
    return caller


def check_claims(claims: dict[str, Any], max_lifetime_seconds: int, now: float) -> None:
    """What PyJWT leaves open: numeric dates must be JSON numbers, `sub` a string of 1-255 characters, lifetimes bounded.

    PyJWT accepts "exp": "1800000000" and any far-future exp; a token that never expires is a stolen key forever.
    """
    for name in ("exp", "iat", "nbf"):
        if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], int | float)):
            raise InvalidToken(f"{name} is not a number")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUB_CHARS:
        raise InvalidToken("empty or overlong sub")
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or 0xD800 <= ord(char) <= 0xDFFF for char in sub):
        # Control characters, and JSON's \ud800 escapes: lone surrogates no UTF-8 key, HMAC or log line can hold.
        # Anything else Unicode allows stays (a ZWJ emoji, a no-break space, characters newer than this runtime).
        raise InvalidToken("sub with control characters or lone surrogates")
    issued = claims.get("iat", now)
    if claims["exp"] - min(issued, now) > max_lifetime_seconds + LEEWAY_SECONDS:
        raise InvalidToken("lifetime over the maximum")


def verified_email(claims: dict[str, Any]) -> str | None:
    """The token's `email`, only when `email_verified` is true (the relay accepts mail from that address alone)."""
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or not 3 <= len(email) <= 320 or "@" not in email:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in email):
        return None
    return email


def caller_context(caller: Caller) -> dict[str, str]:
    """Flat string context: API Gateway passes only flat values on to the route."""
    return {"role": caller.role.value, "seller_id": caller.seller_id or "", "email": caller.email or ""}


def deny_policy(method_arn: str) -> dict[str, Any]:
    """The authorizer's answer to a bad token: API Gateway then answers 403 itself (same in chalice local)."""
    statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [method_arn]}
    return {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


def caller_from_context(authorizer_context: dict[str, Any]) -> Caller:
    return Caller(
        sub=str(authorizer_context.get("principalId", "")),
        role=authorizer_context["role"],
        seller_id=authorizer_context.get("seller_id") or None,
        email=authorizer_context.get("email") or None,
    )


def require_role(caller: Caller, roles: tuple[Role, ...]) -> None:
    if caller.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"This needs one of the roles: {allowed}.", {"role": caller.role.value}, code="wrong_role")
