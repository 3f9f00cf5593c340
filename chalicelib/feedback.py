"""Feedback tokens: proof that this buyer saw this result, so an outcome needs no stored state.

A token is `v1.<topic>.<expiry>.<mac>`: an HMAC-SHA256 (key from configuration) over request id, buyer id,
seller id, topic and expiry. Only the buyer who got the resolution, for that request and seller, can use it,
and only until it expires. The topic rides along signed, so outcomes can be counted per topic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.models import Topic

TOKEN_TTL_SECONDS = 24 * 3600
_VERSION = "v1"
# Namespace for outcome event ids: uuid5(token, outcome, answer, channel) is the same for the same outcome.
_OUTCOME_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4d0b-9a57-0c4b7e1f2a90")


class TokenRejected(Exception):
    """Forged, another buyer's, another request's, or expired. The reason is logged, not shown."""


@dataclass(frozen=True)
class TokenClaims:
    topic: Topic
    expires_at: int


def _mac(key: str, request_id: str, buyer_id: str, seller_id: str, topic: str, expires_at: int) -> str:
    message = "|".join([_VERSION, request_id, buyer_id, seller_id, topic, str(expires_at)]).encode()
    mac = _keyed(key).copy()
    mac.update(message)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


@lru_cache(maxsize=4)
def _keyed(key: str) -> hmac.HMAC:
    """The HMAC with the key already mixed in; each token copies it (one key per container, set up once)."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def issue(key: str, request_id: str, buyer_id: str, seller_id: str, topic: Topic, now_epoch: int) -> str:
    expires_at = now_epoch + TOKEN_TTL_SECONDS
    return _token(topic.value, expires_at, _mac(key, request_id, buyer_id, seller_id, topic.value, expires_at))


def _token(topic: str, expires_at: int, mac: str) -> str:
    return f"{_VERSION}.{topic}.{expires_at}.{mac}"


def verify(key: str, token: str, request_id: str, buyer_id: str, seller_id: str, now_epoch: int) -> TokenClaims:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[2].isdigit():
        raise TokenRejected("malformed")
    _, topic, expiry, mac = parts
    try:
        claims = TokenClaims(Topic(topic), int(expiry))
    except ValueError:
        raise TokenRejected("malformed") from None
    expected = _mac(key, request_id, buyer_id, seller_id, topic, claims.expires_at)
    if not hmac.compare_digest(expected, mac):
        raise TokenRejected("signature")
    # One spelling per token: the outcome's event id is derived from it, so "0<expiry>" or other digits spelling
    # the same number would make a repeated outcome a new event, counted again.
    if token != _token(topic, claims.expires_at, expected):
        raise TokenRejected("malformed")
    if claims.expires_at < now_epoch:
        raise TokenRejected("expired")
    return claims


def outcome_event_id(token: str, outcome: str, answer_id: str | None, channel: str | None) -> str:
    """Deterministic: a repeated outcome has the same event id, and the ingest stores each event id once.

    A result counts as `answered` once and `channel_chosen` once, whichever answer or channel is named: the
    deflection rate divides the two, and an answer id is not checked against what was shown, so naming a new
    one each time must not count the result again. `not_answered` is kept per answer (which answers fail).
    """
    if outcome != "not_answered":
        answer_id = channel = None
    return str(uuid.uuid5(_OUTCOME_NAMESPACE, "|".join([token, outcome, answer_id or "", channel or ""])))
