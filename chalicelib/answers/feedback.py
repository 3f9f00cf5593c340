"""Feedback tokens: proof that this buyer saw this result, so an outcome needs no stored state.

A token is `v3.<topic>.<expiry>.<shown>.<usable>.<mac>`: an HMAC-SHA256 (key from configuration) over request id,
buyer id, seller id, topic, expiry, the answers shown and the channels the buyer could use. Only the buyer who got
the resolution, for that request and seller, can use it, only until it expires, and only naming an answer that
result showed and a channel it offered with its contact. `shown` is an 8-character tag per answer (the start of its
id's SHA-256), `usable` a letter per channel, so the token stays short. The topic rides along signed, so outcomes can
be counted per topic. Older tokens verify until they expire (24 h): `v2.<topic>.<expiry>.<shown>.<mac>` without the
channel check, `v1.<topic>.<expiry>.<mac>` (issued before answers were signed) without either check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.models.common import Channel, Topic

TOKEN_TTL_SECONDS = 24 * 3600
_VERSION = "v3"
_UNSIGNED_CHANNELS_VERSION = "v2"
_UNSIGNED_ANSWERS_VERSION = "v1"
CHANNEL_LETTERS = {Channel.CHAT: "c", Channel.EMAIL: "e", Channel.PHONE: "p", Channel.SUPPORT: "s"}
_CHANNELS_BY_LETTER = {letter: channel for channel, letter in CHANNEL_LETTERS.items()}
TAG_CHARS = 8
# Namespace for outcome event ids: uuid5(token, outcome, answer, channel) is the same for the same outcome.
_OUTCOME_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4d0b-9a57-0c4b7e1f2a90")


class TokenRejected(Exception):
    """Forged, another buyer's, another request's, or expired. The reason is logged, not shown."""


@dataclass(frozen=True)
class TokenClaims:
    topic: Topic
    expires_at: int
    shown: frozenset[str] | None  # tags of the answers shown; None for a v1 token, which did not sign them
    usable: frozenset[Channel] | None = None  # channels offered with their contact; None before v3

    def showed(self, answer_id: str) -> bool:
        return self.shown is None or answer_tag(answer_id) in self.shown

    def offered(self, channel: Channel) -> bool:
        return self.usable is None or channel in self.usable


@lru_cache(maxsize=4096)  # the same few answers are shown again and again
def answer_tag(answer_id: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(answer_id.encode()).digest()[:6]).decode()


def _mac(key: str, *fields: str) -> str:
    mac = _keyed(key).copy()
    mac.update("|".join(fields).encode())
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


@lru_cache(maxsize=4)
def _keyed(key: str) -> hmac.HMAC:
    """The HMAC with the key already mixed in; each token copies it (one key per container, set up once)."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def issue(
    key: str,
    request_id: str,
    buyer_id: str,
    seller_id: str,
    topic: Topic,
    now_epoch: int,
    shown: Sequence[str] = (),
    usable: Sequence[Channel] = (),
) -> str:
    """`usable`: the channels the result offered with their contact (not one the reveal limit withheld)."""
    expires_at = str(now_epoch + TOKEN_TTL_SECONDS)
    tags = "".join(answer_tag(answer_id) for answer_id in shown)
    channels = "".join(CHANNEL_LETTERS[channel] for channel in usable)
    mac = _mac(key, _VERSION, request_id, buyer_id, seller_id, topic.value, expires_at, tags, channels)
    return ".".join([_VERSION, topic.value, expires_at, tags, channels, mac])


def verify(key: str, token: str, request_id: str, buyer_id: str, seller_id: str, now_epoch: int) -> TokenClaims:
    parts = token.split(".")
    if parts[0] == _UNSIGNED_ANSWERS_VERSION and len(parts) == 4:
        parts[3:3] = ["", ""]
        signed = [_UNSIGNED_ANSWERS_VERSION, request_id, buyer_id, seller_id, parts[1], parts[2]]
    elif parts[0] == _UNSIGNED_CHANNELS_VERSION and len(parts) == 5:
        parts.insert(4, "")
        signed = [_UNSIGNED_CHANNELS_VERSION, request_id, buyer_id, seller_id, parts[1], parts[2], parts[3]]
    elif parts[0] == _VERSION and len(parts) == 6:
        signed = [_VERSION, request_id, buyer_id, seller_id, *parts[1:5]]
    else:
        raise TokenRejected("malformed")
    version, topic, expiry, tags, channels, mac = parts
    if not expiry.isdigit() or len(tags) % TAG_CHARS or not set(channels) <= set(_CHANNELS_BY_LETTER):
        raise TokenRejected("malformed")
    try:
        claims = TokenClaims(
            Topic(topic),
            int(expiry),
            None if version == _UNSIGNED_ANSWERS_VERSION else frozenset(tags[i : i + TAG_CHARS] for i in range(0, len(tags), TAG_CHARS)),
            frozenset(_CHANNELS_BY_LETTER[letter] for letter in channels) if version == _VERSION else None,
        )
    except ValueError:
        raise TokenRejected("malformed") from None
    # As bytes: compare_digest raises TypeError on a str with non-ASCII characters (a 500 for "…é").
    if not hmac.compare_digest(_mac(key, *signed).encode(), mac.encode()):
        raise TokenRejected("signature")
    # One spelling per token: the outcome's event id is derived from it, so "0<expiry>" or other digits spelling
    # the same number would make a repeated outcome a new event, counted again.
    if expiry != str(claims.expires_at):
        raise TokenRejected("malformed")
    if claims.expires_at < now_epoch:
        raise TokenRejected("expired")
    return claims


def outcome_event_id(token: str, outcome: str, answer_id: str | None) -> str:
    """Deterministic: a repeated outcome has the same event id, and the ingest stores each event id once.

    A result counts as `answered` once and `channel_chosen` once, whichever shown answer or channel is named: the
    deflection rate divides the two, so naming another answer of the same result must not count it again (a v1
    token does not say which answers were shown). `not_answered` is kept per answer (which answers fail), not per
    channel also named: one answer of one result must not count once more for each channel offered.
    """
    if outcome != "not_answered":
        answer_id = None
    # The last part was the channel of a not_answered: always empty now, so the ids of every other outcome stay.
    return str(uuid.uuid5(_OUTCOME_NAMESPACE, "|".join([token, outcome, answer_id or "", ""])))
