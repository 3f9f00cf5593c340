"""The HTTP contract survives the move into packages: the served OpenAPI equals the one from before it."""

from __future__ import annotations

import json
from pathlib import Path

BEFORE = Path(__file__).resolve().parents[2] / "data" / "openapi_before_move.json"


def test_served_openapi_equals_the_document_from_before_the_move() -> None:
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    served = json.loads(response.body)
    before = json.loads(BEFORE.read_text())
    assert json.dumps(served, sort_keys=True, indent=1) == json.dumps(before, sort_keys=True, indent=1)
