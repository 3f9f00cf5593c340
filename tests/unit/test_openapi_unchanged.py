"""The HTTP contract survives the move into packages: the served OpenAPI equals the one from before it."""

from __future__ import annotations

import json
from pathlib import Path

BEFORE = Path(__file__).resolve().parents[1] / "data" / "openapi_before_move.json"


def test_served_openapi_equals_the_document_from_before_the_move() -> None:
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    served = json.loads(response.body)
    before = json.loads(BEFORE.read_text())
    # Conversations (issue #25) add routes, schemas and fields; every route from before is served exactly as before.
    for path, methods in before["paths"].items():
        assert served["paths"][path] == methods, path
    for name, schema in before["components"]["schemas"].items():
        now = served["components"]["schemas"][name]
        changed = sorted(key for key, value in schema.get("properties", {}).items() if now["properties"].get(key) != value)
        assert changed == ADDITIVE_CHANGES.get(name, []), name
    for name in set(served["components"]["schemas"]) - set(before["components"]["schemas"]):
        assert name in ADDED_SCHEMAS, name


# Fields whose schema grew with conversations: e-mail `masked`, `form`, the measured reply source, policy sections.
ADDITIVE_CHANGES = {
    "ChannelPolicies": ["email"], "ChannelSettingsUpdate": ["email"], "SellerSettings": ["email"], "ExpectedReply": ["source"],
    "PlatformPolicy": ["channels", "limits"], "PolicyUpdate": ["channels", "limits"],
}
ADDED_SCHEMAS = {
    "StartConversation", "PostMessage", "Conversation", "ConversationList", "Message", "Transcript", "ConversationStatus",
    "AuthorRole", "Via", "RedactedKind", "StartLink", "EmailChannelPolicy", "ConversationsPolicy",
}
