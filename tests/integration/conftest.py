"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.calls import put_policy, send
from tests.conftest import seller_token


@pytest.fixture
def limit_2(api: Any) -> Any:
    """The API with a reveal limit of 2, and shop-4 and shop-5 offering e-mail (five revealing sellers in all)."""
    for seller_id in ("shop-4", "shop-5"):
        body = {"email": {"enabled": True, "address": f"{seller_id}@example.com"}}
        assert send(api, "PUT", f"/v1/sellers/{seller_id}/channels", body, {**seller_token(seller_id), "If-Match": '"0"'}).status_code == 200
    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 2}}).status_code == 200
    return api


@pytest.fixture
def services_at(api: Any) -> Iterator[Callable[[datetime], None]]:
    """Sets the app's services, wired as app.py does, to a clock at a given moment; restored before moto stops."""
    from chalicelib import wiring

    originals = wiring.resolution_service, wiring.answers_service
    yield _services_at
    wiring.resolution_service, wiring.answers_service = originals  # type: ignore[misc]


def _services_at(moment: datetime) -> None:
    from chalicelib import wiring
    from chalicelib.answers.service import AnswersService
    from chalicelib.answers.shown import ShownAnswers
    from chalicelib.answers.store import DynamoAnswersStore
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import client
    from chalicelib.shared.config import get_config
    from chalicelib.support.publisher import SqsEventPublisher

    config = get_config()
    publisher = SqsEventPublisher(client("sqs"), config.support_queue_url)
    answers = DynamoAnswersStore(client("dynamodb"), config.answers_table_name)
    contact = ResolutionService(
        DynamoSettingsStore(client("dynamodb"), config.seller_table_name), publisher, lambda: moment,
        answers=ShownAnswers(answers), feedback_key=config.feedback_key,
    )
    wiring.resolution_service = lambda: contact  # type: ignore[method-assign]
    wiring.answers_service = lambda: AnswersService(answers, publisher, config.feedback_key, lambda: moment)  # type: ignore[method-assign]
