"""Use cases: resolve contact options, read and change seller settings. Ports in, models out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from chalicelib.errors import Conflict, Forbidden, NotFound, StoreUnavailable, VersionConflict, invalid
from chalicelib.limits import Allowance, apply_limit, rate_limit_headers, revealed_channels, utc_day
from chalicelib.logs import log
from chalicelib.models import (
    DEFAULT_POLICY,
    SELLER_CHANNELS,
    AnyEvent,
    BatchRequest,
    BatchResponse,
    Caller,
    Channel,
    ChannelSettings,
    ChannelSettingsInput,
    ContactOptions,
    ContactRequestEvent,
    ExplainedContactOptions,
    Explanation,
    PlatformPolicy,
    Role,
    SellerSettings,
    SettingsChangedEvent,
    Topic,
)
from chalicelib.policy import PlatformVerdict, decide
from chalicelib.resolver import explain_seller_layers, resolve


class SettingsStore(Protocol):
    def get(self, seller_id: str) -> SellerSettings | None: ...
    def get_many(self, seller_ids: Sequence[str]) -> tuple[dict[str, SellerSettings], set[str]]: ...
    def put(self, settings: SellerSettings, expected_version: int) -> None: ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[AnyEvent]) -> int: ...


class RevealTally(Protocol):
    def get_with_reveals(
        self, seller_ids: Sequence[str], buyer_id: str, day: date
    ) -> tuple[dict[str, SellerSettings], set[str], frozenset[str]]: ...


class PolicySource(Protocol):
    def current(self) -> tuple[PlatformPolicy, bool]:
        """(policy, degraded): degraded when it could not be read and the built-in default stands in."""
        ...


class BuiltInPolicy:
    """The policy source when none is wired: the built-in default, never degraded."""

    def current(self) -> tuple[PlatformPolicy, bool]:
        return DEFAULT_POLICY, False


def utc_now() -> datetime:
    return datetime.now(UTC)


class ContactService:
    def __init__(
        self,
        store: SettingsStore,
        publisher: EventPublisher,
        clock: Callable[[], datetime] = utc_now,
        policy: PolicySource | None = None,
        reveals: RevealTally | None = None,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._policy = policy or BuiltInPolicy()
        self._reveals = reveals  # None: no reveal limit (the store cannot read the tally)

    # ------------------------------------------------------------ buyers and support

    def resolve_one(self, seller_id: str, topic: Topic, caller: Caller, request_id: str) -> ContactOptions:
        return self.resolve_one_limited(seller_id, topic, caller, request_id)[0]

    def resolve_one_limited(
        self, seller_id: str, topic: Topic, caller: Caller, request_id: str
    ) -> tuple[ContactOptions, dict[str, str]]:
        """The answer and its RateLimit headers (none when the caller is not limited)."""
        require_role(caller, Role.BUYER, Role.SUPPORT)
        policy, policy_degraded = self._policy.current()
        limit = self._limit_for(caller, policy)
        if limit is None:
            settings, unavailable = self._read_one(seller_id, request_id)
            allowance = None
        else:  # the same one BatchGetItem reads the settings and the buyer's tally
            found, unavailable_ids, already = limit.get_with_reveals([seller_id], caller.sub, utc_day(self._clock()))
            settings, unavailable = found.get(seller_id), seller_id in unavailable_ids
            allowance = Allowance(policy.limits.contact_reveals_per_buyer_per_day, already)
        result = self._resolve(
            seller_id, settings, unavailable, topic, request_id, policy, policy_degraded, caller.sub, allowance=allowance
        )
        self._publisher.publish([contact_event(result, caller)])
        return result, rate_limit_headers(allowance, result.resolved_at) if allowance else {}

    def _limit_for(self, caller: Caller, policy: PlatformPolicy) -> RevealTally | None:
        """The tally to read when this caller is limited: buyers only, and only with a limit set (0: none)."""
        if caller.role is not Role.BUYER or policy.limits.contact_reveals_per_buyer_per_day == 0:
            return None
        return self._reveals

    def explain_one(
        self, seller_id: str, topic: Topic, caller: Caller, request_id: str, buyer_id: str | None
    ) -> ExplainedContactOptions:
        """What `buyer_id` (default: the caller) would be offered, with every layer's verdict. Support only; no event."""
        require_role(caller, Role.SUPPORT)
        buyer = buyer_id or caller.sub
        settings, unavailable = self._read_one(seller_id, request_id)
        policy, policy_degraded = self._policy.current()
        restriction = settings.restriction if settings else None
        verdict = decide(policy, topic, seller_id, buyer, restriction, explain=True)
        result = self._resolve(seller_id, settings, unavailable, topic, request_id, policy, policy_degraded, buyer, verdict)
        now = result.resolved_at
        layers = [*verdict.layers, *explain_seller_layers(seller_id, settings, unavailable, verdict, now)]
        explanation = Explanation(policy_version=policy.version, buyer_id=buyer, layers=layers)
        return ExplainedContactOptions(**dict(result), explanation=explanation)

    def resolve_batch(self, request: BatchRequest, caller: Caller, request_id: str) -> BatchResponse:
        return self.resolve_batch_limited(request, caller, request_id)[0]

    def resolve_batch_limited(
        self, request: BatchRequest, caller: Caller, request_id: str
    ) -> tuple[BatchResponse, dict[str, str]]:
        """The answers in request order; the allowance is spent seller by seller in that order."""
        require_role(caller, Role.BUYER, Role.SUPPORT)
        policy, policy_degraded = self._policy.current()
        limit = self._limit_for(caller, policy)
        allowance = None
        if limit is None:
            found, unavailable = self._store.get_many(request.seller_ids)
        else:
            found, unavailable, already = limit.get_with_reveals(request.seller_ids, caller.sub, utc_day(self._clock()))
            allowance = Allowance(policy.limits.contact_reveals_per_buyer_per_day, already)
        if unavailable:
            log(logging.WARNING, "settings_unavailable", sellers=len(unavailable), request_id=request_id)
        results = [
            self._resolve(
                sid, found.get(sid), sid in unavailable, request.topic, request_id, policy, policy_degraded, caller.sub,
                allowance=allowance,
            )
            for sid in request.seller_ids
        ]
        self._publisher.publish([contact_event(result, caller) for result in results])
        now = self._clock()
        response = BatchResponse(topic=request.topic, results=results, request_id=request_id, resolved_at=now)
        return response, rate_limit_headers(allowance, now) if allowance else {}

    def _read_one(self, seller_id: str, request_id: str) -> tuple[SellerSettings | None, bool]:
        try:
            return self._store.get(seller_id), False
        except StoreUnavailable as exc:
            log(logging.WARNING, "settings_unavailable", seller_id=seller_id, request_id=request_id, error=str(exc)[:200])
            return None, True

    def _resolve(
        self,
        seller_id: str,
        settings: SellerSettings | None,
        unavailable: bool,
        topic: Topic,
        request_id: str,
        policy: PlatformPolicy,
        policy_degraded: bool,
        buyer_id: str,
        verdict: PlatformVerdict | None = None,
        allowance: Allowance | None = None,
    ) -> ContactOptions:
        now = self._clock()
        if verdict is None:
            verdict = decide(policy, topic, seller_id, buyer_id, settings.restriction if settings else None)
        resolution = resolve(seller_id, settings, topic, now, settings_unavailable=unavailable, platform=verdict)
        options = resolution.options if allowance is None else apply_limit(resolution.options, seller_id, allowance, now)
        return ContactOptions(
            seller_id=seller_id,
            topic=topic,
            options=options,
            excluded=resolution.excluded,
            primary=options[0],
            degraded=unavailable or policy_degraded,
            policy_version=policy.version,
            request_id=request_id,
            resolved_at=now,
        )

    # ------------------------------------------------------------ sellers

    def get_settings(self, seller_id: str, caller: Caller) -> SellerSettings:
        require_role(caller, Role.SELLER, Role.SUPPORT)
        require_own_settings(caller, seller_id)
        settings = self._store.get(seller_id)
        if settings is None:
            raise _settings_not_found(seller_id)
        return settings

    def replace_settings(
        self, seller_id: str, channels: ChannelSettings, expected_version: int, caller: Caller, request_id: str
    ) -> SellerSettings:
        require_role(caller, Role.SELLER)
        require_own_settings(caller, seller_id)
        current = self._store.get(seller_id)
        return self._write(seller_id, current, channels, expected_version, caller, request_id)

    def patch_settings(
        self, seller_id: str, patch: dict[str, Any], expected_version: int, caller: Caller, request_id: str
    ) -> SellerSettings:
        """Apply a JSON merge patch (RFC 7386: objects merge, null removes) to the current settings."""
        require_role(caller, Role.SELLER)
        require_own_settings(caller, seller_id)
        current = self._store.get(seller_id)
        if current is None:
            raise _settings_not_found(seller_id)
        merged = merge_patch(channels_of(current).model_dump(mode="json", exclude_none=True), patch)
        try:
            channels = ChannelSettingsInput.model_validate(merged)
        except ValidationError as exc:
            raise invalid(exc, "The settings after this change are not valid.") from None
        return self._write(seller_id, current, channels, expected_version, caller, request_id)

    def _write(
        self,
        seller_id: str,
        current: SellerSettings | None,
        channels: ChannelSettings,
        expected_version: int,
        caller: Caller,
        request_id: str,
    ) -> SellerSettings:
        current_version = current.version if current else 0
        if expected_version != current_version:
            raise _conflict(current_version)
        new = SellerSettings(
            seller_id=seller_id,
            **channels.model_dump(include={"chat", "email", "phone"}),
            version=current_version + 1,
            updated_at=self._clock(),
            updated_by=caller.sub,
        )
        try:
            self._store.put(new, expected_version)
        except VersionConflict as exc:  # lost a race between our read and our write
            raise _conflict(exc.current_version) from None
        log(logging.INFO, "settings_changed", seller_id=seller_id, version=new.version, request_id=request_id)
        self._publisher.publish([settings_event(current, new, caller, request_id)])
        return new


def require_role(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise Forbidden(f"This needs one of the roles: {allowed}.", {"role": caller.role.value}, code="wrong_role")


def require_own_settings(caller: Caller, seller_id: str) -> None:
    """A seller reaches only their own settings (support may read anyone's; checked by role first)."""
    if caller.role is Role.SELLER and caller.seller_id != seller_id:
        raise Forbidden("A seller can read and change only their own settings.", None, code="not_your_settings")


def _settings_not_found(seller_id: str) -> NotFound:
    return NotFound(
        f"Seller {seller_id} has no channel settings yet.",
        {"current_version": 0, "hint": "create them with PUT and If-Match: 0"},
        code="settings_not_found",
    )


def _conflict(current_version: int) -> Conflict:
    return Conflict(
        "The settings changed since you read them; reload and retry.", {"current_version": current_version}
    )


def channels_of(settings: SellerSettings) -> ChannelSettings:
    return ChannelSettings(chat=settings.chat, email=settings.email, phone=settings.phone)


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def enabled_channels(settings: SellerSettings | None) -> list[Channel]:
    if settings is None:
        return []
    return [channel for channel in SELLER_CHANNELS if getattr(settings, channel.value).enabled]


def contact_event(result: ContactOptions, caller: Caller) -> ContactRequestEvent:
    return ContactRequestEvent(
        occurred_at=result.resolved_at,
        request_id=result.request_id,
        buyer_id=caller.sub,
        seller_id=result.seller_id,
        topic=result.topic,
        primary_channel=result.primary.channel,
        offered=[option.channel for option in result.options],
        degraded=result.degraded,
        policy_version=result.policy_version,
        revealed=revealed_channels(result.options),
    )


def settings_event(old: SellerSettings | None, new: SellerSettings, caller: Caller, request_id: str) -> SettingsChangedEvent:
    changed = [
        channel
        for channel in SELLER_CHANNELS
        if old is None or getattr(old, channel.value) != getattr(new, channel.value)
    ]
    return SettingsChangedEvent(
        occurred_at=new.updated_at,
        request_id=request_id,
        seller_id=new.seller_id,
        changed_by=caller.sub,
        old_version=old.version if old else 0,
        new_version=new.version,
        changed_channels=changed,
        enabled_channels=enabled_channels(new),
    )
