"""The HTTP contract from before the move into packages is still served: what clients were built against only grew.

The move itself changed nothing (the served document was equal to tests/data/openapi_before_move.json when it
landed); later issues add routes, responses and fields, never take one away.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BEFORE = Path(__file__).resolve().parents[2] / "data" / "openapi_before_move.json"


def served_document() -> dict[str, Any]:
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.body)
    return document


def test_every_route_parameter_and_response_from_before_the_move_is_still_served() -> None:
    served, before = served_document(), json.loads(BEFORE.read_text())
    for path, operations in before["paths"].items():
        for method, operation in operations.items():
            now = served["paths"].get(path, {}).get(method)
            assert now is not None, f"{method.upper()} {path} is gone"
            assert now["operationId"] == operation["operationId"]
            assert [p["name"] for p in now.get("parameters", [])] == [p["name"] for p in operation.get("parameters", [])]
            assert set(operation["responses"]) <= set(now["responses"]), f"{method.upper()} {path}"


def test_every_schema_from_before_the_move_keeps_its_fields() -> None:
    served, before = served_document()["components"]["schemas"], json.loads(BEFORE.read_text())["components"]["schemas"]
    for name, schema in before.items():
        assert name in served, name
        assert set(schema.get("properties", {})) <= set(served[name].get("properties", {})), name
