"""The use cases the routes call, provided once at start by chalicelib/wiring.py (the api never builds a store).

`provide(wiring)` in app.py; a route asks `services().resolution_service()` and so on, each built on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.answers.service import AnswersService
    from chalicelib.contacts.policy_preview import PolicyPreviewService
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.conversations.service import ConversationService
    from chalicelib.operations.service import OperationsService
    from chalicelib.platform_policy.service import PolicyService
    from chalicelib.sellers.service import SettingsService


class Services(Protocol):
    def resolution_service(self) -> ResolutionService: ...
    def settings_service(self) -> SettingsService: ...
    def policy_service(self) -> PolicyService: ...
    def policy_preview_service(self) -> PolicyPreviewService: ...
    def answers_service(self) -> AnswersService: ...
    def conversation_service(self) -> ConversationService: ...
    def operations_service(self) -> OperationsService: ...
    def health(self) -> dict[str, Any]: ...


_provided: list[Services] = []


def provide(services: Services) -> None:
    """Called once by app.py with chalicelib.wiring."""
    _provided[:] = [services]


def services() -> Services:
    return _provided[0]
