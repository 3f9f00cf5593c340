"""Ports every use case shares: where events go. Each concept's own ports sit in its service module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.models.events import AnyEvent


class EventPublisher(Protocol):
    def publish(self, events: Sequence[AnyEvent]) -> int:
        """Send `events`; returns how many reached the queue (the rest are logged whole, never dropped)."""
        ...
