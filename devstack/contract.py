"""The published contracts, generated from the pydantic models and the app's routes: event JSON Schemas and OpenAPI.

    python -m devstack.contract           write docs/schemas/*.json and docs/openapi.json  (make contract)
    python -m devstack.contract --check   exit 1 if the committed files are stale

Tooling: it writes files, so it is not shipped (the Lambda serves the OpenAPI document from chalicelib/api/openapi.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from chalicelib.models.events import (
    ContactOutcomeEvent,
    ContactRequestEvent,
    ConversationEscalatedEvent,
    ConversationStartedEvent,
    ConversationViewedEvent,
    PolicyChangedEvent,
    ReplyOverdueEvent,
    SellerRestrictionChangedEvent,
    SettingsChangedEvent,
)
from chalicelib.models.policy import PlatformPolicy

DOCS = Path(__file__).resolve().parent.parent / "docs"
EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    "contact-request.v1.json": ContactRequestEvent,
    "settings-changed.v1.json": SettingsChangedEvent,
    "contact-outcome.v1.json": ContactOutcomeEvent,
    "policy-changed.v1.json": PolicyChangedEvent,
    "seller-restriction-changed.v1.json": SellerRestrictionChangedEvent,
    "conversation-started.v1.json": ConversationStartedEvent,
    "conversation-escalated.v1.json": ConversationEscalatedEvent,
    "reply-overdue.v1.json": ReplyOverdueEvent,
    "conversation-viewed.v1.json": ConversationViewedEvent,
    "platform-policy.v1.json": PlatformPolicy,
}


# What every v1 event carried from the first release on: required in the published schemas. Fields added within v1
# since (caller_role, seller_exists, policy_version, revealed, support_reason, ...) are not, so the schema accepts an
# older producer's events as the ingest does.
SENT_SINCE_V1_0 = frozenset({"schema_version", "event_id", "type"})


def event_schema(model: type[BaseModel], filename: str) -> dict[str, Any]:
    if model is PlatformPolicy:  # what GET /v1/platform/policy answers: every field is always there
        schema = model.model_json_schema(mode="serialization")
    else:
        schema = model.model_json_schema(mode="validation")
        schema["required"] = [name for name in schema["properties"] if name in SENT_SINCE_V1_0 or name in schema["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://contact-resolver.example/schemas/{filename}",
        **schema,
    }


def served_openapi() -> dict[str, Any]:
    """What GET /v1/openapi.json answers: generated from the app's routes."""
    import app
    from chalicelib.api.openapi import openapi

    return openapi(app.app.routes)


def rendered() -> dict[Path, str]:
    files = {DOCS / "schemas" / name: event_schema(model, name) for name, model in EVENT_SCHEMAS.items()}
    files[DOCS / "openapi.json"] = served_openapi()
    return {path: json.dumps(document, indent=2, sort_keys=True) + "\n" for path, document in files.items()}


def main(argv: list[str]) -> int:
    stale = [path for path, text in rendered().items() if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"stale: {path.relative_to(DOCS.parent)} (run: make contract)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
