"""Settings from the environment (set per stage in .chalice/config.json)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Config:
    seller_table_name: str
    support_queue_url: str
    support_requests_table_name: str
    jwt_secret: str | None
    jwt_public_key: str | None
    log_level: str
    policy_table_name: str = "platform-policy"
    policy_ttl_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(
            seller_table_name=env.get("SELLER_TABLE_NAME", "seller-channels"),
            support_queue_url=env.get("SUPPORT_QUEUE_URL", ""),
            support_requests_table_name=env.get("SUPPORT_REQUESTS_TABLE_NAME", "support-requests"),
            jwt_secret=env.get("JWT_SECRET") or None,
            jwt_public_key=env.get("JWT_PUBLIC_KEY") or None,
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            policy_table_name=env.get("POLICY_TABLE_NAME", "platform-policy"),
            policy_ttl_seconds=float(env.get("POLICY_TTL_SECONDS", "30")),
        )


@cache
def get_config() -> Config:
    """Read once per container; tests call `get_config.cache_clear()` after changing env."""
    return Config.from_env()
