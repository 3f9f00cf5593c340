"""Demo tokens for the local stage, signed with its documented demo key (README: make token)."""

from __future__ import annotations

import time
from typing import Any


def mint_token(
    secret: str, role: str, sub: str, seller_id: str | None = None, ttl_seconds: int = 3600, email: str | None = None
) -> str:
    """An HS256 token the local stage's authorizer accepts; `email` is sent as a verified address."""
    import jwt

    claims: dict[str, Any] = {"sub": sub, "role": role, "iat": int(time.time()), "exp": int(time.time()) + ttl_seconds}
    if seller_id:
        claims["seller_id"] = seller_id
    if email:
        claims["email"], claims["email_verified"] = email, True
    return jwt.encode(claims, secret, algorithm="HS256")
