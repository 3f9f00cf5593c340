"""GET /v1/health and GET /v1/openapi.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.calls import body


def test_health_needs_no_token(api: Any) -> None:
    response = api.http.get("/v1/health")
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "checks": {"seller_table": "ok", "support_queue": "ok"}}


def test_openapi_document_is_served_without_a_token_and_matches_the_committed_one(api: Any) -> None:
    from devstack.contract import DOCS

    response = api.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert body(response) == json.loads((DOCS / "openapi.json").read_text())


def test_the_served_contract_documents_the_ratelimit_headers(limit_2: Any) -> None:
    """Was: clients generated from /v1/openapi.json knew Cache-Control and Content-Language, not RateLimit."""
    paths = json.loads(limit_2.http.get("/v1/openapi.json").body)["paths"]
    for path, method in (("/v1/sellers/{seller_id}/contact-options", "get"), ("/v1/contact-options/batch", "post")):
        headers = paths[path][method]["responses"]["200"]["headers"]
        assert {"RateLimit", "RateLimit-Policy"} <= set(headers), path


def test_health_says_ok_or_unavailable_and_names_no_exception(api: Any, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import reset_caches

    monkeypatch.setenv("SUPPORT_QUEUE_URL", aws["queue_url"] + "-gone")
    reset_caches()
    response = api.http.get("/v1/health")
    assert response.status_code == 503
    assert body(response) == {"status": "degraded", "checks": {"seller_table": "ok", "support_queue": "unavailable"}}
    assert "Error" not in response.body.decode() and "Exception" not in response.body.decode()
