"""A seller's channel settings: read, replace, merge-patch (RFC 7386), each change versioned and sent as an event."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from chalicelib.models.common import SELLER_CHANNELS, Caller, Channel, Role
from chalicelib.models.events import SettingsChangedEvent
from chalicelib.models.settings import ChannelSettings, ChannelSettingsInput, SellerSettings, VersionPrecondition
from chalicelib.shared.auth import SETTINGS_READERS, SETTINGS_WRITERS, require_role
from chalicelib.shared.clock import utc_now
from chalicelib.shared.errors import Conflict, Forbidden, InvalidStoredSettings, NotFound, VersionConflict, invalid
from chalicelib.shared.logs import log
from chalicelib.shared.merge_patch import merge_patch
from chalicelib.shared.ports import EventPublisher


class SettingsStore(Protocol):
    def get(self, seller_id: str) -> SellerSettings | None: ...
    def put(self, settings: SellerSettings, expected_version: int) -> None: ...


class SettingsService:
    def __init__(self, store: SettingsStore, publisher: EventPublisher, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock

    def get_settings(self, seller_id: str, caller: Caller) -> SellerSettings:
        require_role(caller, SETTINGS_READERS)
        require_own_settings(caller, seller_id)
        settings = self._read_for_change(seller_id)
        if settings is None:
            raise _settings_not_found(seller_id)
        return settings

    def replace_settings(
        self,
        seller_id: str,
        channels: ChannelSettings,
        expected: VersionPrecondition,
        caller: Caller,
        request_id: str,
    ) -> SellerSettings:
        """Full replacement; also repairs a stored item that no longer validates (given its current version)."""
        require_role(caller, SETTINGS_WRITERS)
        require_own_settings(caller, seller_id)
        try:
            current = self._store.get(seller_id)
            current_version = current.version if current else 0
        except InvalidStoredSettings as exc:
            current, current_version = None, exc.version
        return self._write(seller_id, current, current_version, channels, expected, caller, request_id)

    def patch_settings(
        self, seller_id: str, patch: dict[str, Any], expected: VersionPrecondition, caller: Caller, request_id: str
    ) -> SellerSettings:
        """Apply a JSON merge patch (RFC 7386: objects merge, null removes) to the current settings."""
        require_role(caller, SETTINGS_WRITERS)
        require_own_settings(caller, seller_id)
        current = self._read_for_change(seller_id)
        if current is None:
            raise _settings_not_found(seller_id)
        merged = merge_patch(channels_of(current).model_dump(mode="json", exclude_none=True), patch)
        try:
            channels = ChannelSettingsInput.model_validate_json(json.dumps(merged), strict=True)
        except ValidationError as exc:
            raise invalid(exc, "The settings after this change are not valid.") from None
        return self._write(seller_id, current, current.version, channels, expected, caller, request_id)

    def _read_for_change(self, seller_id: str) -> SellerSettings | None:
        """The stored settings; one that no longer validates is a 409 saying how to replace it."""
        try:
            return self._store.get(seller_id)
        except InvalidStoredSettings as exc:
            raise Conflict(
                "The stored settings are no longer valid; replace them with a full PUT.",
                {"current_version": exc.version, "hint": f'PUT the whole settings with If-Match: "{exc.version}"'},
                code="stored_settings_invalid",
            ) from None

    def _write(
        self,
        seller_id: str,
        current: SellerSettings | None,
        current_version: int,
        channels: ChannelSettings,
        expected: VersionPrecondition,
        caller: Caller,
        request_id: str,
    ) -> SellerSettings:
        if not expected.matches(current_version):
            raise _conflict(current_version)
        wanted = channels.model_dump(mode="json", include={"chat", "email", "phone"})
        if current is not None and channels_of(current).model_dump(mode="json") == wanted:
            return current  # nothing changes: same version, no event
        new = SellerSettings(
            seller_id=seller_id,
            **channels.model_dump(include={"chat", "email", "phone"}),
            version=current_version + 1,
            updated_at=self._clock(),
            updated_by=caller.sub,
        )
        try:
            self._store.put(new, current_version)
        except VersionConflict as exc:  # lost a race between our read and our write
            raise _conflict(exc.current_version) from None
        log(logging.INFO, "settings_changed", seller_id=seller_id, version=new.version, request_id=request_id)
        self._publisher.publish([settings_event(current, current_version, new, caller, request_id)])
        return new


def require_own_settings(caller: Caller, seller_id: str) -> None:
    """A seller reaches only their own settings (support and admin may read anyone's; checked by role first)."""
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


def enabled_channels(settings: SellerSettings | None) -> list[Channel]:
    if settings is None:
        return []
    return [channel for channel in SELLER_CHANNELS if getattr(settings, channel.value).enabled]


def settings_event(
    old: SellerSettings | None, old_version: int, new: SellerSettings, caller: Caller, request_id: str
) -> SettingsChangedEvent:
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
        old_version=old_version,
        new_version=new.version,
        changed_channels=changed,
        enabled_channels=enabled_channels(new),
    )
