"""Fixtures shared by the integration tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import seller_token
from tests.integration.test_policy_api import put_policy, send


@pytest.fixture
def limit_2(api: Any) -> Any:
    """The API with a reveal limit of 2, and shop-4 and shop-5 offering e-mail (five revealing sellers in all)."""
    for seller_id in ("shop-4", "shop-5"):
        body = {"email": {"enabled": True, "address": f"{seller_id}@example.com"}}
        assert send(api, "PUT", f"/v1/sellers/{seller_id}/channels", body, {**seller_token(seller_id), "If-Match": '"0"'}).status_code == 200
    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 2}}).status_code == 200
    return api
