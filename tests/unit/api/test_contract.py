"""The committed contracts are generated from the models and match what the service really sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema

from chalicelib.models.events import ContactRequestEvent
from devstack.contract import DOCS, main, rendered


def test_committed_schemas_and_openapi_are_up_to_date() -> None:
    stale = [str(path) for path, text in rendered().items() if not path.exists() or path.read_text() != text]
    assert stale == [], "run `make contract` and commit the result"
    assert main(["--check"]) == 0


def test_event_schema_accepts_real_events_and_tolerates_additions() -> None:
    schema = json.loads((DOCS / "schemas" / "contact-request.v1.json").read_text())
    event = ContactRequestEvent(
        occurred_at=datetime.now(UTC), request_id="r", buyer_id="b", seller_id="s",
        topic="other", primary_channel="support", offered=["support"], degraded=False,
    )
    document = json.loads(event.model_dump_json())
    jsonschema.validate(document, schema)
    jsonschema.validate({**document, "added_in_v1_1": "ignored"}, schema)  # additive changes stay valid
    # An older producer's event, from before the fields added within v1: valid (was: they were all required).
    added_within_v1 = {"caller_role", "seller_exists", "policy_version", "revealed", "support_reason"}
    jsonschema.validate({k: v for k, v in document.items() if k not in added_within_v1}, schema)
    missing = ("seller_id", "event_id", "schema_version", "type")
    for broken in ({**document, "schema_version": 2}, *({k: v for k, v in document.items() if k != name} for name in missing)):
        try:
            jsonschema.validate(broken, schema)
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"schema accepted {broken}")


def test_openapi_lists_every_route_of_the_app() -> None:
    import app

    document = json.loads((DOCS / "openapi.json").read_text())
    assert document["openapi"] == "3.1.0"
    for path, methods in app.app.routes.items():
        assert path in document["paths"], path
        assert {m.lower() for m in methods} == set(document["paths"][path]), path
