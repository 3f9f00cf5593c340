"""A stored policy or restriction this release cannot fully read: resolutions keep the kill switch, admins can replace it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.platform_policy.cached import CachedPolicy
from chalicelib.platform_policy.service import REPLACED_UNREADABLE
from chalicelib.platform_policy.store import POLICY_KEY, DynamoPolicyStore
from chalicelib.shared.aws import client
from tests.calls import (
    ADMIN,
    CHAT_OFF,
    POLICY_TABLE,
    assert_error,
    edit_stored_policy,
    offered,
    options,
    put_policy,
    resolve_as,
    send,
    store_restriction,
)
from tests.conftest import SUPPORT, bearer, drain_queue


def test_a_limit_stored_by_the_release_before_the_maximum_still_reads(limit_2: Any) -> None:
    """Was: lowering the maximum to 1,000 made a stored 5,000 invalid: every resolution degraded to the built-in
    default (chat back on) and the admin's GET and PUT answered 503. It reads now, acting as 1,000."""
    table, key = "platform-policy", {"policy_id": {"S": "platform"}}
    item = client("dynamodb").get_item(TableName=table, Key=key)["Item"]
    document = json.loads(item["document"]["S"])
    document["limits"]["contact_reveals_per_buyer_per_day"] = 5000  # what the release before accepted
    document["channels"]["chat"]["enabled"] = False
    client("dynamodb").put_item(TableName=table, Item={**item, "document": {"S": json.dumps(document)}})
    wiring.reset()

    response = resolve_as(limit_2, "demo-chat", bearer("buyer", "old-policy"))
    result = json.loads(response.body)
    assert result["degraded"] is False and result["policy_version"] == 1
    assert "chat" not in [o["channel"] for o in result["options"]]  # the admin's switch, not the default
    assert response.headers["RateLimit-Policy"] == '"reveals";q=1000;w=86400'
    # The admin's GET shows the limit in force (review7, D: it showed 5000, and a PUT of that body was refused).
    stored = limit_2.http.get("/v1/platform/policy", headers=ADMIN)
    assert stored.status_code == 200 and json.loads(stored.body)["limits"]["contact_reveals_per_buyer_per_day"] == 1000
    sent_back = send(limit_2, "PUT", "/v1/platform/policy", json.loads(stored.body), {**ADMIN, "If-Match": stored.headers["ETag"]})
    assert sent_back.status_code == 200, sent_back.body


def test_a_newer_releases_field_in_the_stored_policy_is_ignored_and_the_kill_switch_holds(api: Any, aws: dict[str, str]) -> None:
    """Was: one unknown nested field made the stored policy unreadable: a cold container switched every channel
    back on (the built-in default) and the admin's GET and PUT answered 503."""
    everything_off = {"channels": {name: {"enabled": False} for name in ("chat", "email", "phone")}}
    assert put_policy(api, everything_off).status_code == 200

    def newer_release(document: dict[str, Any]) -> None:
        document["channels"]["chat"]["kill_reason"] = "incident-42"
        document["topics"]["warranty"] = "support_only"
        document["limits"]["reveals_per_hour"] = 5

    version = edit_stored_policy(newer_release)
    cold = CachedPolicy(DynamoPolicyStore(client("dynamodb"), POLICY_TABLE), ttl_seconds=30)
    policy, degraded = cold.current()
    assert (policy.version, degraded) == (version, False)
    assert not (policy.channels.chat.enabled or policy.channels.email.enabled or policy.channels.phone.enabled)
    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert response.status_code == 200 and response.headers["ETag"] == f'"{version}"'


def test_a_stored_policy_that_cannot_be_read_is_a_409_the_admin_can_replace(api: Any, aws: dict[str, str]) -> None:
    """Was: GET and PUT answered 503 "retry shortly" for good: no way to repair the document through the API."""
    assert put_policy(api, CHAT_OFF).status_code == 200
    version = edit_stored_policy(lambda document: document["channels"]["chat"].update(enabled="maybe"))
    drain_queue(aws["queue_url"])

    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert_error(response, 409, "stored_policy_invalid")
    assert json.loads(response.body)["error"]["details"]["current_version"] == version
    assert_error(put_policy(api, CHAT_OFF, if_match='"7"'), 409, "version_conflict")

    replaced = put_policy(api, CHAT_OFF, if_match=f'"{version}"')
    assert replaced.status_code == 200, replaced.body
    assert json.loads(replaced.body)["version"] == version + 1
    [event] = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "policy_changed"]
    assert (event["old_version"], event["new_version"], event["changed"]) == (version, version + 1, REPLACED_UNREADABLE)
    assert api.http.get("/v1/platform/policy", headers=ADMIN).status_code == 200


def restriction_events(aws: dict[str, str]) -> list[tuple[str | None, str | None]]:
    return [
        (m["body"]["old_mode"], m["body"]["new_mode"])
        for m in drain_queue(aws["queue_url"])
        if m["body"]["type"] == "seller_restriction_changed"
    ]


def test_a_restriction_that_cannot_be_read_is_lifted_or_replaced_with_its_audit_event(api: Any, aws: dict[str, str]) -> None:
    """Was: DELETE and PUT wrote, then answered 503 and sent no seller_restriction_changed event."""
    store_restriction("demo-chat", "suspended")
    response = api.http.get("/v1/sellers/demo-chat/restriction", headers=SUPPORT)
    assert_error(response, 409, "stored_restriction_invalid")
    assert json.loads(response.body)["error"]["details"] == {"stored_mode": "suspended"}

    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert restriction_events(aws) == [("suspended", None)]
    assert "chat" in offered(options(api, "demo-chat"))

    store_restriction("demo-chat", "suspended")
    replaced = send(api, "PUT", "/v1/sellers/demo-chat/restriction", {"mode": "support_only", "note": "review"}, ADMIN)
    assert replaced.status_code == 200, replaced.body
    assert restriction_events(aws) == [("suspended", "support_only")]


def test_an_unreadable_restriction_of_a_seller_without_settings_fails_closed(api: Any) -> None:
    """Was: explain said "the seller is not restricted"; the restriction could not be read, so that is unknown."""
    store_restriction("ghost-9", "suspended")
    result = options(api, "ghost-9")
    assert result["degraded"] is True
    assert [option["reason"] for option in result["options"]] == ["settings_unavailable"]


def replace_version_attribute(version_attribute: Any, document_change: Any = None) -> None:
    db = client("dynamodb")
    item = db.get_item(TableName=POLICY_TABLE, Key=POLICY_KEY)["Item"]
    item.pop("version")
    if version_attribute is not None:
        item["version"] = version_attribute
    if document_change is not None:
        document = json.loads(item["document"]["S"])
        document_change(document)
        item["document"] = {"S": json.dumps(document)}
    db.put_item(TableName=POLICY_TABLE, Item=item)


@pytest.mark.parametrize("version_attribute", [None, {"S": "seven"}, {"N": "0"}])
def test_a_stored_policy_without_a_readable_version_can_be_replaced_with_0(api: Any, aws: dict[str, str], version_attribute: Any) -> None:
    """Was: the 409 said to PUT with If-Match "0", and that PUT was a version_conflict every time (review9)."""
    assert put_policy(api, CHAT_OFF).status_code == 200
    replace_version_attribute(version_attribute, lambda document: document["channels"]["chat"].update(enabled="maybe"))

    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert_error(response, 409, "stored_policy_invalid")
    assert json.loads(response.body)["error"]["details"]["current_version"] == 0
    replaced = put_policy(api, CHAT_OFF, if_match='"0"')
    assert replaced.status_code == 200, replaced.body
    assert api.http.get("/v1/platform/policy", headers=ADMIN).headers["ETag"] == '"1"'


@pytest.mark.parametrize("version_attribute", [None, {"S": "7"}, {"N": "0"}, {"N": "-3"}, {"N": "2.5"}])
def test_a_readable_policy_without_a_readable_version_keeps_its_switches_and_can_be_replaced(api: Any, version_attribute: Any) -> None:
    """Review10, a regression of the fix above: such a policy was unreadable as a whole, so a cold container served
    the built-in default (every channel on). Review11: with a version attribute below 1 or a fraction, every
    If-Match was a version_conflict. Resolutions now read the document; a change is a 409 that If-Match "0" resolves,
    conditioned on the version attribute exactly as it was read."""
    assert put_policy(api, {"channels": {"phone": {"enabled": False}}}).status_code == 200
    replace_version_attribute(version_attribute, lambda document: document.update(version=7))
    policy, degraded = CachedPolicy(DynamoPolicyStore(client("dynamodb"), POLICY_TABLE), ttl_seconds=30).current()
    assert (policy.channels.phone.enabled, degraded) == (False, False)

    read = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert_error(read, 409, "stored_policy_invalid")
    # review12: the admin sees what is in force before replacing it (a hand-set switch must not be lost unseen)
    assert json.loads(read.body)["error"]["details"]["in_force"]["channels"]["phone"]["enabled"] is False
    assert_error(put_policy(api, CHAT_OFF, if_match='"7"'), 409, "version_conflict")
    assert put_policy(api, CHAT_OFF, if_match='"0"').headers["ETag"] == '"1"'
    assert_error(put_policy(api, CHAT_OFF, if_match='"0"'), 409, "version_conflict")  # the item has a version again


def test_the_items_version_wins_over_one_written_into_the_document(api: Any) -> None:
    """Was: with the document saying 9 and the item 7, If-Match "9" and "7" each answered 409 naming the other."""
    assert put_policy(api, CHAT_OFF).status_code == 200
    edit_stored_policy(lambda document: document.update(version=9))
    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert response.headers["ETag"] == '"1"' and json.loads(response.body)["version"] == 1
    assert put_policy(api, {"channels": {"email": {"enabled": False}}}, if_match='"1"').status_code == 200
