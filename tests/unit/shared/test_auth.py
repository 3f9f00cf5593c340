"""Token verification on its own: algorithms pinned per stage, claims required."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.models.common import Role
from chalicelib.shared.auth import InvalidToken, verify_token
from chalicelib.shared.config import Config

SECRET = "test-secret-that-is-at-least-32-bytes-long"


def config(secret: str | None = None, public_key: str | None = None) -> Config:
    return Config("t", "q", "r", jwt_secret=secret, jwt_public_key=public_key, log_level="INFO")


def claims(**extra: object) -> dict[str, object]:
    return {"sub": "u1", "role": "buyer", "exp": int(time.time()) + 60, **extra}


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


def test_hs256_token_with_the_local_secret_is_accepted() -> None:
    caller = verify_token(f"Bearer {jwt.encode(claims(), SECRET, algorithm='HS256')}", config(secret=SECRET))
    assert (caller.sub, caller.role) == ("u1", Role.BUYER)


def test_rs256_stage_accepts_tokens_signed_by_the_identity_provider(rsa_keys: tuple[bytes, str]) -> None:
    private, public = rsa_keys
    token = jwt.encode(claims(role="seller", seller_id="s1"), private, algorithm="RS256")
    caller = verify_token(f"Bearer {token}", config(secret=SECRET, public_key=public))
    assert caller.role is Role.SELLER and caller.seller_id == "s1"


def test_rs256_stage_refuses_hs256_even_when_signed_with_the_public_key(rsa_keys: tuple[bytes, str]) -> None:
    """The classic algorithm-confusion attack: the public key is public, so it must never work as an HMAC secret."""
    _private, public = rsa_keys
    # PyJWT refuses to HMAC-sign with a PEM key, so the attacker's token is built by hand.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims(role='support')).encode())}"
    signature = b64(hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest())
    forged = f"{signing_input}.{signature}"
    with pytest.raises(InvalidToken):
        verify_token(f"Bearer {forged}", config(secret=SECRET, public_key=public))
    with pytest.raises(InvalidToken):  # and an HS256 token with the old local secret is refused on RS256 stages too
        verify_token(f"Bearer {jwt.encode(claims(), SECRET, algorithm='HS256')}", config(secret=SECRET, public_key=public))


@pytest.mark.parametrize(
    "token_claims",
    [
        {"role": "buyer", "exp": int(time.time()) + 60},  # no sub
        {"sub": "u1", "exp": int(time.time()) + 60},  # no role
        {"sub": "u1", "role": "buyer"},  # no exp: never accepted, it would never expire
        {"sub": "u1", "role": "buyer", "exp": int(time.time()) - 31},  # expired beyond the 30 s leeway
        {"sub": "u1", "role": "root", "exp": int(time.time()) + 60},
        {"sub": "u1", "role": "seller", "exp": int(time.time()) + 60},  # seller without seller_id
    ],
)
def test_tokens_missing_required_claims_are_refused(token_claims: dict[str, object]) -> None:
    with pytest.raises(InvalidToken):
        verify_token(f"Bearer {jwt.encode(token_claims, SECRET, algorithm='HS256')}", config(secret=SECRET))


def test_no_key_configured_refuses_everything() -> None:
    with pytest.raises(InvalidToken):
        verify_token(f"Bearer {jwt.encode(claims(), SECRET, algorithm='HS256')}", config())


@pytest.mark.parametrize(
    "token_claims",
    [
        claims(sub=""),
        claims(sub="   "),
        claims(sub=7),
        claims(sub="x" * 256),  # over OpenID Connect's 255: as a DynamoDB key it would fail every read of this buyer
        claims(exp=10**30),
        claims(exp=str(int(time.time()) + 60)),
        claims(exp=True),
        claims(iat=int(time.time()) - 3 * 24 * 3600, exp=int(time.time()) + 60),  # 3-day token, still valid now
        claims(exp=int(time.time()) + 25 * 3600),
    ],
)
def test_empty_subjects_lax_dates_and_overlong_lifetimes_are_refused(token_claims: dict[str, object]) -> None:
    with pytest.raises(InvalidToken):
        verify_token(f"Bearer {jwt.encode(token_claims, SECRET, algorithm='HS256')}", config(secret=SECRET))


def test_a_sub_of_255_characters_is_fine() -> None:
    token = f"Bearer {jwt.encode(claims(sub='x' * 255), SECRET, algorithm='HS256')}"
    assert verify_token(token, config(secret=SECRET)).sub == "x" * 255


def test_maximum_lifetime_is_configurable() -> None:
    import dataclasses

    long_lived = claims(iat=int(time.time()), exp=int(time.time()) + 20 * 3600)
    token = f"Bearer {jwt.encode(long_lived, SECRET, algorithm='HS256')}"
    assert verify_token(token, config(secret=SECRET)).sub == "u1"  # default: 24 h
    with pytest.raises(InvalidToken):
        verify_token(token, dataclasses.replace(config(secret=SECRET), jwt_max_lifetime_seconds=3600))


def test_a_token_from_another_key_is_rejected_with_the_reason_the_signature_alarm_counts(rsa_keys: tuple[bytes, str]) -> None:
    """The TokenSignatureRejected metric filter (infra/resources.json) matches this reason: a rotated identity-provider
    key denies every caller, and only that alarm sees it."""
    _private, public = rsa_keys
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), other, algorithm="RS256")
    with pytest.raises(InvalidToken, match=r"^InvalidSignatureError$"):
        verify_token(f"Bearer {token}", config(public_key=public))
    with pytest.raises(InvalidToken, match=r"^no JWT_PUBLIC_KEY or JWT_SECRET configured$"):
        verify_token(f"Bearer {token}", config())
    truncated = public[:200] + "\n-----END PUBLIC KEY-----\n"  # a key pasted incompletely (review9)
    with pytest.raises(InvalidToken, match=r"^InvalidKeyError$"):
        verify_token(f"Bearer {token}", config(public_key=truncated))
    private, _public = rsa_keys
    with pytest.raises(InvalidToken, match=r"^InvalidKeyError$"):  # the private key set as the public one (review10: a 500)
        verify_token(f"Bearer {token}", config(public_key=private.decode()))
    with pytest.raises(InvalidToken, match=r"^InvalidAlgorithmError$"):  # the provider moved to another algorithm
        verify_token(f"Bearer {jwt.encode(claims(), SECRET, algorithm='HS256')}", config(public_key=public))
