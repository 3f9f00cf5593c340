"""The API handler's AWS calls fit the time budget; background clients keep botocore's retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.shared.aws import _session, client, policy_refresh_client, request_client, resolution_client, settings_client
from chalicelib.shared.config import get_config


def worst_case_seconds(aws_client: object) -> float:
    config = aws_client.meta.config  # type: ignore[attr-defined]
    attempts = config.retries.get("total_max_attempts", 1)
    return float(attempts * (config.connect_timeout + config.read_timeout))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    for cached in (get_config, request_client, client):
        cached.cache_clear()
    yield monkeypatch
    # _session too: one made before moto is imported would never be mocked in later tests
    for cached in (get_config, request_client, client, _session):
        cached.cache_clear()


@pytest.mark.parametrize("budget", [None, "2", "4.5"])
def test_settings_read_and_event_send_fit_the_budget_together(fresh: pytest.MonkeyPatch, budget: str | None) -> None:
    if budget is not None:
        fresh.setenv("AWS_CALL_BUDGET_SECONDS", budget)
    else:
        fresh.delenv("AWS_CALL_BUDGET_SECONDS", raising=False)
    expected = float(budget or 3)
    read, send = resolution_client("dynamodb"), resolution_client("sqs")
    assert worst_case_seconds(read) + worst_case_seconds(send) == pytest.approx(expected)
    # the first request after the policy's TTL also refreshes it: a sixth of the budget more at most
    assert worst_case_seconds(policy_refresh_client()) == pytest.approx(expected / 6)
    assert read.meta.config.retries["total_max_attempts"] == 1


def test_a_settings_write_ends_well_inside_the_lambda_timeout(fresh: pytest.MonkeyPatch) -> None:
    import json
    from pathlib import Path

    lambda_timeout = json.loads(Path(".chalice/config.json").read_text())["lambda_timeout"]
    # read + conditional write on the settings client, then the settings_changed event on the resolution one
    write = 2 * worst_case_seconds(settings_client()) + worst_case_seconds(resolution_client("sqs"))
    assert write <= lambda_timeout - 3
    assert worst_case_seconds(resolution_client("dynamodb")) * 2 <= lambda_timeout / 2


def test_a_budget_that_is_not_a_positive_number_stops_the_cold_start(fresh: pytest.MonkeyPatch) -> None:
    fresh.setenv("AWS_CALL_BUDGET_SECONDS", "0")
    with pytest.raises(ValueError, match="AWS_CALL_BUDGET_SECONDS"):
        get_config()


@pytest.mark.parametrize("value", ["inf", "nan", "-30"])
def test_a_policy_ttl_that_is_not_a_finite_positive_number_stops_the_cold_start(fresh: pytest.MonkeyPatch, value: str) -> None:
    """Was: POLICY_TTL_SECONDS=inf was taken (a container that never sees a policy change again), nan refreshed on
    every request."""
    fresh.setenv("POLICY_TTL_SECONDS", value)
    with pytest.raises(ValueError, match="POLICY_TTL_SECONDS"):
        get_config()
