"""The AWS work per request that the capacity model (make capacity) reads, counted on the real handlers.

capacity/counts.json is committed; this test counts again and fails if the code now does different work.
`make capacity-counts` rewrites the file after an intended change.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from capacity.work import COUNTS_FILE, Recorder, load_counts
from tests.conftest import BUYER, drain_queue, seller_token

JSON = {"Content-Type": "application/json"}
pytestmark = pytest.mark.slow  # every operation through the real handlers on moto, counted

OPERATIONS = {
    "resolution": "one seller's contact options (warm container)",
    "resolution_cold": "the same in a new container: policy and answers read in the same BatchGetItem",
    "batch_10": "contact options for 10 sellers of one order",
    "batch_100": "contact options for 100 sellers (the maximum)",
    "batch_100_cold": "the same in a new container: 100 settings, 101 answers digests, the tally and the policy",
    "settings_write": "a seller's PATCH of their channels",
    "ingest_contact_event": "support_ingest storing one contact event",
    "outcome": "the app reporting how a resolution ended (POST .../outcome)",
    "ingest_outcome_event": "support_ingest storing one outcome event",
}


def measure_everything(api: Any, queue_url: str) -> dict[str, Any]:
    from chalicelib.shared.aws import client, resolution_client, settings_client

    recorder = Recorder()
    for service in ("dynamodb", "sqs"):  # the API path's budgeted clients, and the ingest's
        recorder.attach(client(service))
        recorder.attach(resolution_client(service))
    recorder.attach(settings_client())
    single = "/v1/sellers/demo-chat/contact-options?topic=product_question"
    with recorder.measure("resolution_cold"):
        assert api.http.get(single, headers=BUYER).status_code == 200
    with recorder.measure("resolution"):
        resolved = api.http.get(single, headers=BUYER)
        assert resolved.status_code == 200
    result = json.loads(resolved.body)
    outcome = {"token": result["feedback_token"], "seller_id": "demo-chat", "outcome": "channel_chosen", "channel": "chat"}
    with recorder.measure("outcome"):
        response = api.http.post(
            f"/v1/contact-requests/{result['request_id']}/outcome", body=json.dumps(outcome),
            headers={**BUYER, "Content-Type": "application/json"},
        )
        assert response.status_code == 202, response.body
    from chalicelib import wiring

    wiring.reset()  # a new container: nothing cached
    sellers = ["demo-chat", "demo-email", "demo-phone", "demo-none"] + [f"shop-{i}" for i in range(96)]
    with recorder.measure("batch_100_cold"):
        response = api.http.post("/v1/contact-options/batch", body=json.dumps({"seller_ids": sellers}), headers={**BUYER, **JSON})
        assert response.status_code == 200
    for size in (10, 100):
        body = json.dumps({"seller_ids": ["demo-chat", "demo-email", "demo-phone", "demo-none"] + [f"shop-{i}" for i in range(size - 4)]})
        api.http.post("/v1/contact-options/batch", body=body, headers={**BUYER, "Content-Type": "application/json"})  # warm
        with recorder.measure(f"batch_{size}"):
            response = api.http.post("/v1/contact-options/batch", body=body, headers={**BUYER, "Content-Type": "application/json"})
            assert response.status_code == 200
    with recorder.measure("settings_write"):
        response = api.http.patch(
            "/v1/sellers/demo-email/channels",
            body=json.dumps({"chat": {"enabled": True}}),
            headers={**seller_token("demo-email"), "Content-Type": "application/json", "If-Match": '"1"'},
        )
        assert response.status_code == 200
    events = [m["body"] for m in drain_queue(queue_url)]
    for kind, name in (("contact_request", "ingest_contact_event"), ("contact_outcome", "ingest_outcome_event")):
        event = next(body for body in events if body["type"] == kind)
        with recorder.measure(name):
            ingested = api.lambda_.invoke("support_ingest", api.events.generate_sqs_event([json.dumps(event)]))
            assert ingested.payload == {"batchItemFailures": []}
    return {name: {"what": OPERATIONS[name], **recorder.work[name].as_dict()} for name in OPERATIONS}


def test_committed_counts_match_what_the_handlers_do(api: Any, aws: dict[str, str]) -> None:
    measured = measure_everything(api, aws["queue_url"])
    if os.environ.get("CAPACITY_WRITE_COUNTS") == "1":
        COUNTS_FILE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
    assert load_counts() == measured, "the AWS work per request changed: run `make capacity-counts` and review the diff"


def test_a_resolution_cold_or_warm_makes_the_bare_handlers_calls_and_no_more(api: Any, aws: dict[str, str]) -> None:
    """One read and one send, in a new container as in a warm one: the policy and the answers ride in the settings'
    BatchGetItem (was: a cold first request also made a policy GetItem and two answers Queries). A batch of 100
    makes ceil(keys / 100) reads and 10 sends, cold or warm, and no Query."""
    work = measure_everything(api, aws["queue_url"])
    for name in ("resolution", "resolution_cold"):
        assert work[name]["calls"] == {"dynamodb:BatchGetItem": 1, "sqs:SendMessage": 1}, (name, work[name]["calls"])
    # cold: 100 settings + 101 digests (100 sellers, the platform's) + tally + policy = 203 keys; warm: 101 keys
    assert work["batch_100_cold"]["calls"] == {"dynamodb:BatchGetItem": 3, "sqs:SendMessageBatch": 10}
    assert work["batch_100"]["calls"] == {"dynamodb:BatchGetItem": 2, "sqs:SendMessageBatch": 10}
