"""Settings from the environment (set per stage in .chalice/config.json)."""

from __future__ import annotations

import math
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
    aws_call_budget_seconds: float = 3.0  # settings read + event send on the API path, together
    jwt_max_lifetime_seconds: int = 24 * 3600
    settings_call_seconds: float = 2.5  # each DynamoDB call of a settings read or write (GET/PUT/PATCH channels)
    answers_table_name: str = "answers"
    feedback_key: str | None = None  # HMAC key for feedback tokens; None: resolutions carry no token
    support_reply_target_hours: int = 24  # platform support's reply target, shown as expected_reply
    policy_table_name: str = "platform-policy"
    policy_ttl_seconds: float = 30.0
    conversations_table_name: str = "conversations"
    conversation_key: str = "local-conversation-id-key-NOT-FOR-PRODUCTION-0"  # keys the pair's conversation id
    relay_domain: str = "relay.marketplace.test"
    platform_domain: str = "marketplace.test"  # the one link domain messages keep
    relay_bucket: str = "contact-resolver-relay-inbound"

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
            aws_call_budget_seconds=_positive(env, "AWS_CALL_BUDGET_SECONDS", 3.0),
            jwt_max_lifetime_seconds=int(_positive(env, "JWT_MAX_LIFETIME_SECONDS", 24 * 3600)),
            settings_call_seconds=_positive(env, "SETTINGS_CALL_SECONDS", 2.5),
            answers_table_name=env.get("ANSWERS_TABLE_NAME", "answers"),
            feedback_key=env.get("FEEDBACK_KEY") or None,
            support_reply_target_hours=int(env.get("SUPPORT_REPLY_TARGET_HOURS", "24")),
            policy_table_name=env.get("POLICY_TABLE_NAME", "platform-policy"),
            policy_ttl_seconds=_positive(env, "POLICY_TTL_SECONDS", 30.0),
            conversations_table_name=env.get("CONVERSATIONS_TABLE_NAME", "conversations"),
            conversation_key=env.get("CONVERSATION_KEY") or env.get("FEEDBACK_KEY") or Config.conversation_key,
            relay_domain=env.get("RELAY_DOMAIN") or "relay.marketplace.test",
            platform_domain=env.get("PLATFORM_DOMAIN") or "marketplace.test",
            relay_bucket=env.get("RELAY_BUCKET") or "contact-resolver-relay-inbound",
        )


def _positive(env: os._Environ[str], name: str, default: float) -> float:
    """A positive, finite number from `name`, or `default` when unset; a wrong value stops the cold start loudly
    (an infinite policy TTL would never refresh; a NaN one would refresh on every request)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = float(raw)
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds")
    return value


@cache
def get_config() -> Config:
    """Read once per container; tests call `get_config.cache_clear()` after changing env."""
    return Config.from_env()
