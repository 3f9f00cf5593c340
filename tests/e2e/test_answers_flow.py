"""On the local stack `make run` starts: a buyer asks in Russian, gets the right answer first, reports the outcome,
and support sees it in `stats`."""

from __future__ import annotations

import json

import pytest
import requests

from tests.conftest import BUYER
from tests.e2e.conftest import Stack
from tests.e2e.test_support_flow import eventually, support_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_russian_question_gets_its_answer_and_the_outcome_reaches_stats(stack_with_poller: Stack) -> None:
    stack = stack_with_poller
    response = requests.get(
        f"{stack.api}/v1/sellers/demo-none/contact-options",
        params={"topic": "payment", "q": "с карты дважды списали деньги"},
        headers={**BUYER, "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru" and "Accept-Language" in response.headers["Vary"]
    result = response.json()
    assert result["answers"][0]["id"] == "faq-double-charge-ru"
    assert result["options"][0]["label"] == "Написать в поддержку"

    report = {"token": result["feedback_token"], "seller_id": "demo-none", "outcome": "answered", "answer_id": "faq-double-charge-ru"}
    for _ in range(2):  # sent twice (a retry): counted once
        posted = requests.post(f"{stack.api}/v1/contact-requests/{result['request_id']}/outcome", json=report, headers=BUYER, timeout=10)
        assert posted.status_code == 202
    forged = requests.post(
        f"{stack.api}/v1/contact-requests/{result['request_id']}/outcome",
        json={**report, "token": report["token"][:-4] + "AAAA"}, headers=BUYER, timeout=10,
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "invalid_feedback_token"

    def payment_outcomes() -> list[dict[str, object]]:
        stats = json.loads(support_cli(stack, "stats", "--jsonl").stdout)
        return [row for row in stats["deflection_per_topic"] if row["topic"] == "payment"]

    rows = eventually(payment_outcomes, lambda rows: bool(rows) and rows[0]["answered"] >= 1)
    assert rows == [{"topic": "payment", "answered": 1, "not_answered": 0, "channel_chosen": 0, "deflection_rate": 1.0}]
    assert "deflection per topic" in support_cli(stack, "stats").stdout
