"""The daily reveal limit through the local stack and its poller: the tally is kept from the queue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.conftest import SUPPORT, bearer, seller_token
from tests.e2e.conftest import Stack, run_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN = bearer("admin", "ops-limits")
EXTRA_SELLERS = ["limit-4", "limit-5", "limit-6", "limit-7", "limit-8"]


@pytest.fixture(scope="module")
def limit_stack() -> Iterator[Stack]:
    """moto + chalice local + the poller, with N = 2 and five more sellers that offer e-mail."""
    for stack in run_stack(with_poller=True):
        for seller_id in EXTRA_SELLERS:
            response = requests.put(
                f"{stack.api}/v1/sellers/{seller_id}/channels",
                json={"email": {"enabled": True, "address": f"{seller_id}@example.com"}},
                headers={**seller_token(seller_id), "If-Match": '"0"'},
                timeout=10,
            )
            assert response.status_code == 200
        current = requests.get(f"{stack.api}/v1/platform/policy", headers=ADMIN, timeout=10)
        response = requests.patch(  # only the limit: a PATCH leaves the rest of the policy in force
            f"{stack.api}/v1/platform/policy",
            json={"limits": {"contact_reveals_per_buyer_per_day": 2}},
            headers={**ADMIN, "If-Match": current.headers["ETag"]},
            timeout=10,
        )
        assert response.status_code == 200
        yield stack


def get(stack: Stack, seller_id: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{stack.api}/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=headers, timeout=10)


def values(result: dict[str, Any]) -> dict[str, str | None]:
    return {o["channel"]: o["contact"] for o in result["options"] if o["channel"] in ("email", "phone")}


def tally_size(stack: Stack, buyer_id: str) -> int:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    item = stack.client("dynamodb").get_item(
        TableName="support-requests", Key={"pk": {"S": f"REVEALS#{buyer_id}"}, "sk": {"S": f"DAY#{day}"}}
    ).get("Item", {})
    return len(item.get("sellers", {}).get("SS", []))


def wait_for_tally(stack: Stack, buyer_id: str, size: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while tally_size(stack, buyer_id) < size:
        assert time.monotonic() < deadline, "the poller did not count the reveals"
        time.sleep(0.3)


def test_third_seller_is_withheld_once_the_poller_counted_two(limit_stack: Stack) -> None:
    buyer = bearer("buyer", "e2e-buyer-1")
    for seller_id in ("demo-chat", "demo-email"):
        assert all(values(get(limit_stack, seller_id, buyer).json()).values())
    wait_for_tally(limit_stack, "e2e-buyer-1", 2)

    third = get(limit_stack, "demo-phone", buyer)
    assert values(third.json()) == {"phone": None}
    assert [o["reason"] for o in third.json()["options"] if o["channel"] == "phone"] == ["contact_limit_reached"]
    assert third.json()["options"][-1]["channel"] == "support"
    assert third.headers["RateLimit"].startswith('"reveals";r=0;')

    first_again = get(limit_stack, "demo-chat", buyer).json()
    assert values(first_again) == {"email": "demo-chat@example.com"}  # still shown: counted already
    assert first_again["options"][0]["channel"] == "chat"  # chat is never withheld
    assert values(get(limit_stack, "demo-email", buyer).json()) == {"email": "demo-email@example.com"}


def test_one_batch_of_five_by_a_fresh_buyer_reveals_two(limit_stack: Stack) -> None:
    response = requests.post(
        f"{limit_stack.api}/v1/contact-options/batch",
        json={"seller_ids": EXTRA_SELLERS, "topic": "product_question"},
        headers=bearer("buyer", "e2e-buyer-2"),
        timeout=10,
    )
    shown = [r["seller_id"] for r in response.json()["results"] if any(values(r).values())]
    assert shown == EXTRA_SELLERS[:2]


def test_support_is_not_limited(limit_stack: Stack) -> None:
    response = requests.post(
        f"{limit_stack.api}/v1/contact-options/batch", json={"seller_ids": EXTRA_SELLERS}, headers=SUPPORT, timeout=10
    )
    assert all(all(values(r).values()) for r in response.json()["results"])


def test_a_burst_of_concurrent_requests_overshoots_by_at_most_the_requests_in_flight(limit_stack: Stack) -> None:
    """The documented precision: requests the poller has not counted yet each see the same tally."""
    buyer = bearer("buyer", "e2e-buyer-burst")
    with ThreadPoolExecutor(max_workers=len(EXTRA_SELLERS)) as pool:
        answers = list(pool.map(lambda seller_id: get(limit_stack, seller_id, buyer).json(), EXTRA_SELLERS))
    revealed = sum(1 for answer in answers if any(values(answer).values()))
    print(f"\nburst of {len(EXTRA_SELLERS)} concurrent single resolutions, N = 2: {revealed} sellers revealed")
    assert 2 <= revealed <= len(EXTRA_SELLERS)
    wait_for_tally(limit_stack, "e2e-buyer-burst", revealed)
    assert not any(values(get(limit_stack, "demo-email", buyer).json()).values())  # counted: the next one is held


def test_concurrent_batches_each_reveal_at_most_n(limit_stack: Stack) -> None:
    """The documented precision for batches: each request in flight spends the whole allowance it sees, so k
    concurrent requests reveal at most k x N sellers (review5 measured 8 batches of 10 at N = 2: 16)."""
    buyer = bearer("buyer", "e2e-buyer-batch-burst")
    sellers = [*EXTRA_SELLERS, "demo-chat", "demo-email", "demo-phone"]
    batches = [sellers[start : start + 2] for start in range(0, len(sellers), 2)]  # 4 batches, no seller twice

    def post(seller_ids: list[str]) -> dict[str, Any]:
        url = f"{limit_stack.api}/v1/contact-options/batch"
        response = requests.post(url, json={"seller_ids": seller_ids, "topic": "product_question"}, headers=buyer, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        answers = list(pool.map(post, batches))
    per_batch = [sum(1 for result in answer["results"] if any(values(result).values())) for answer in answers]
    print(f"\n{len(batches)} concurrent batches of 2 sellers, N = 2: {per_batch} revealed ({sum(per_batch)} in all)")
    assert all(revealed <= 2 for revealed in per_batch)  # one request never passes the allowance it saw
    assert sum(per_batch) <= 2 * len(batches)
    wait_for_tally(limit_stack, "e2e-buyer-batch-burst", sum(per_batch))
    fresh = post(["demo-email", "limit-4"])  # counted now: only sellers already shown today are shown again
    assert sum(1 for result in fresh["results"] if any(values(result).values())) <= 2
