"""The admin use cases: the platform policy document and the restrictions of sellers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.models.common import Caller
from chalicelib.models.events import PolicyChangedEvent, SellerRestrictionChangedEvent
from chalicelib.models.policy import ChannelPolicies, PlatformPolicy, PolicyDocument, default_policy
from chalicelib.models.restriction import RestrictionInput, SellerRestriction
from chalicelib.models.settings import VersionPrecondition
from chalicelib.platform_policy.document import patched
from chalicelib.shared.auth import POLICY_EDITORS, POLICY_READERS, require_role
from chalicelib.shared.errors import (
    RETRY_AFTER_SECONDS,
    ApiError,
    BadRequest,
    Conflict,
    InvalidStoredPolicy,
    InvalidStoredRestriction,
    NotFound,
    StoreUnavailable,
    VersionConflict,
)
from chalicelib.shared.logs import log
from chalicelib.shared.ports import EventPublisher

if TYPE_CHECKING:
    from chalicelib.platform_policy.cached import CachedPolicy

# What a policy_changed event names as changed when the document it replaced could not be read: all of it.
REPLACED_UNREADABLE = ["channels", "conversations", "limits", "topics"]


class PolicyStore(Protocol):
    def get(self, *, for_change: bool = False) -> PlatformPolicy | None: ...
    def put(self, policy: PlatformPolicy, expected_version: int, *, replacing: InvalidStoredPolicy | None = None) -> None: ...


class RestrictionStore(Protocol):
    def get_restriction(self, seller_id: str) -> SellerRestriction | None: ...
    def set_restriction(self, seller_id: str, restriction: SellerRestriction) -> str | None: ...
    def lift_restriction(self, seller_id: str) -> str | None: ...


class PolicyUnavailable(ApiError):
    status, code = 503, "policy_unavailable"
    retry_after_seconds = RETRY_AFTER_SECONDS


class PolicyService:
    def __init__(
        self,
        policies: PolicyStore,
        restrictions: RestrictionStore,
        publisher: EventPublisher,
        cached: CachedPolicy | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._policies = policies
        self._restrictions = restrictions
        self._publisher = publisher
        self._cached = cached
        self._clock = clock

    # ------------------------------------------------------------ the policy document

    def get_policy(self, caller: Caller) -> PlatformPolicy:
        """The stored policy, read fresh (not the cache): what a PUT must name in If-Match."""
        require_role(caller, POLICY_READERS)
        try:
            return self._read()
        except InvalidStoredPolicy as exc:
            details: dict[str, Any] = {"current_version": exc.version, "hint": f'PUT the whole policy with If-Match: "{exc.version}"'}
            if exc.in_force is not None:  # only the item's version is unreadable: show what resolutions apply
                details["in_force"] = exc.in_force.model_dump(mode="json", include={"channels", "topics", "limits", "conversations"})
            raise Conflict(
                "The stored policy is no longer valid (edited by hand, or written by a newer release); replace it "
                "with a full PUT.",
                details,
                code="stored_policy_invalid",
            ) from None

    def put_policy(
        self, document: PolicyDocument, expected: VersionPrecondition, caller: Caller, request_id: str
    ) -> PlatformPolicy:
        require_role(caller, POLICY_EDITORS)
        current: PlatformPolicy | None
        try:
            current = self._read()  # the built-in default (version 0) when none is stored
            current_version, replacing = current.version, None
        except InvalidStoredPolicy as exc:  # what cannot be read can still be replaced, by the version it has
            current, current_version, replacing = None, exc.version, exc
        if not expected.matches(current_version):
            raise _conflict("The policy changed since you read it; reload and retry.", current_version)
        if current is not None and current.version > 0 and not changed_paths(current, document):
            return current  # nothing changes: same version, no write, no audit event (as a seller's unchanged PUT)
        _refuse_rollouts_on_channels_turned_on(current, document)
        new = PlatformPolicy(
            channels=document.channels,
            topics=document.topics,
            limits=document.limits,
            conversations=document.conversations,
            version=current_version + 1,
            updated_at=self._clock(),
            updated_by=caller.sub,
        )
        try:
            self._policies.put(new, current_version, replacing=replacing)
        except VersionConflict as exc:
            raise _conflict("The policy changed since you read it; reload and retry.", exc.current_version) from None
        except StoreUnavailable as exc:
            raise _unavailable(exc) from None
        if self._cached is not None:
            self._cached.written(new)
        changed = changed_paths(current, new) if current is not None else REPLACED_UNREADABLE
        log(logging.INFO, "policy_changed", version=new.version, changed=changed, request_id=request_id)
        self._publisher.publish(
            [
                PolicyChangedEvent(
                    occurred_at=new.updated_at or self._clock(),
                    request_id=request_id,
                    changed_by=caller.sub,
                    old_version=current_version,
                    new_version=new.version,
                    changed=changed,
                )
            ]
        )
        return new

    def patch_policy(
        self, patch: dict[str, Any], expected: VersionPrecondition, caller: Caller, request_id: str
    ) -> PlatformPolicy:
        """Apply a JSON merge patch to the policy in force; the result must be a valid full document."""
        require_role(caller, POLICY_EDITORS)
        current = self.get_policy(caller)  # an unreadable stored policy is a 409: only a full PUT can replace it
        if not expected.matches(current.version):
            raise _conflict("The policy changed since you read it; reload and retry.", current.version)
        return self.put_policy(patched(current, patch), expected, caller, request_id)

    def _read(self) -> PlatformPolicy:
        try:
            return self._policies.get(for_change=True) or default_policy()
        except InvalidStoredPolicy:
            raise
        except StoreUnavailable as exc:
            raise _unavailable(exc) from None

    # ------------------------------------------------------------ seller restrictions

    def get_restriction(self, seller_id: str, caller: Caller) -> SellerRestriction:
        require_role(caller, POLICY_READERS)
        try:
            restriction = self._restrictions.get_restriction(seller_id)
        except InvalidStoredRestriction as exc:
            raise Conflict(
                "The stored restriction is no longer valid; replace it with PUT or lift it with DELETE.",
                {"stored_mode": exc.stored_mode},
                code="stored_restriction_invalid",
            ) from None
        if restriction is None:
            raise NotFound(f"Seller {seller_id} is not restricted.", None, code="restriction_not_found")
        return restriction

    def restrict(self, seller_id: str, request: RestrictionInput, caller: Caller, request_id: str) -> SellerRestriction:
        require_role(caller, POLICY_EDITORS)
        new = SellerRestriction(mode=request.mode, note=request.note, set_by=caller.sub, set_at=self._clock())
        old_mode = self._restrictions.set_restriction(seller_id, new)
        self._restriction_changed(seller_id, old_mode, new, caller, request_id)
        return new

    def lift_restriction(self, seller_id: str, caller: Caller, request_id: str) -> None:
        """Idempotent: lifting a restriction that is not there changes nothing and sends no event."""
        require_role(caller, POLICY_EDITORS)
        old_mode = self._restrictions.lift_restriction(seller_id)
        if old_mode is not None:
            self._restriction_changed(seller_id, old_mode, None, caller, request_id)

    def _restriction_changed(
        self,
        seller_id: str,
        old_mode: str | None,
        new: SellerRestriction | None,
        caller: Caller,
        request_id: str,
    ) -> None:
        log(logging.INFO, "seller_restriction_changed", seller_id=seller_id, restricted=new is not None, request_id=request_id)
        event = SellerRestrictionChangedEvent(
            occurred_at=new.set_at if new else self._clock(),
            request_id=request_id,
            seller_id=seller_id,
            changed_by=caller.sub,
            old_mode=old_mode,
            new_mode=new.mode.value if new else None,
            note=new.note if new else "",
        )
        self._publisher.publish([event])


def _refuse_rollouts_on_channels_turned_on(current: PlatformPolicy | None, document: PolicyDocument) -> None:
    """A rollout re-opens a channel that is off; with `enabled: true` the channel is on for every buyer, so an admin
    who sends both meant something else. Checked only where this PUT changes the channel's switch or share: a GET
    body of a policy stored that way (before this check) can still be sent back."""
    refused = []
    for name in ChannelPolicies.model_fields:
        rule, before = getattr(document.channels, name), getattr(current.channels, name) if current else None
        changed = before is None or (before.enabled, before.rollout_percent) != (rule.enabled, rule.rollout_percent)
        if rule.enabled and rule.rollout_percent > 0 and changed:
            refused.append({
                "field": f"channels.{name}.rollout_percent",
                "message": f"channels.{name}: rollout_percent applies only while the channel is off (enabled: false); with "
                "enabled: true it is on for every buyer. Send enabled: false to roll it out to a share.",
                "type": "rollout_on_enabled_channel",
            })
    if refused:
        raise BadRequest("The policy is not valid.", refused, code="validation_error")


def changed_paths(old: PolicyDocument, new: PolicyDocument) -> list[str]:
    """Dotted paths of the leaves that differ: what the audit event says changed (none: the PUT changes nothing)."""
    return sorted(_diff(_meaning(old), _meaning(new)))


def _meaning(policy: PolicyDocument) -> dict[str, Any]:
    """The document as the resolver reads it: `allow_sellers` is a set (only membership counts, not order or repeats)."""
    document: dict[str, Any] = policy.model_dump(mode="json", include={"channels", "topics", "limits", "conversations"})
    for rule in document["channels"].values():
        rule["allow_sellers"] = sorted(set(rule["allow_sellers"]))
    return document


def _diff(old: object, new: object, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        paths = []
        for key in sorted(set(old) | set(new)):
            paths += _diff(old.get(key), new.get(key), f"{prefix}{key}.")
        return paths
    return [] if old == new else [prefix.rstrip(".")]


def _conflict(message: str, current_version: int) -> Conflict:
    return Conflict(message, {"current_version": current_version})


def _unavailable(exc: StoreUnavailable) -> PolicyUnavailable:
    log(logging.WARNING, "policy_store_unavailable", error=str(exc)[:200])
    return PolicyUnavailable("The platform policy is unavailable right now; retry shortly.")
