"""The platform policy and seller restrictions through the API: precedence, rollouts, audit events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.models.common import Channel
from chalicelib.models.events import ContactRequestEvent
from chalicelib.models.policy import PlatformPolicy
from chalicelib.platform_policy.cached import CachedPolicy
from chalicelib.platform_policy.layers import in_rollout
from chalicelib.platform_policy.store import DynamoPolicyStore
from chalicelib.shared.aws import client, policy_refresh_client, resolution_client
from tests.calls import (
    ADMIN,
    CHAT_OFF,
    assert_error,
    body,
    edit_stored_policy,
    excluded,
    full_policy,
    offered,
    options,
    put_policy,
    restrict,
    send,
    sqs_event,
)
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue, log_lines, seller_token
from tests.fakes import inject, unprocessed


def error_code(response: Any) -> str:
    code: str = json.loads(response.body)["error"]["code"]
    return code


def test_no_stored_policy_is_the_built_in_default_version_0(api: Any, aws: dict[str, str]) -> None:
    for headers in (ADMIN, SUPPORT):
        response = api.http.get("/v1/platform/policy", headers=headers)
        assert response.status_code == 200 and response.headers["ETag"] == '"0"'
        policy = json.loads(response.body)
        assert policy["version"] == 0 and policy["channels"]["chat"]["enabled"] is True
        assert policy["topics"]["delivery"] == "support_first" and policy["topics"]["other"] == "seller_first"
    result = options(api, "demo-chat")
    assert result["policy_version"] == 0 and offered(result) == ["chat", "email", "support"]


@pytest.mark.parametrize("headers", [BUYER, seller_token("demo-chat")])
def test_buyers_and_sellers_may_not_read_or_change_the_policy(api: Any, headers: dict[str, str]) -> None:
    assert error_code(api.http.get("/v1/platform/policy", headers=headers)) == "wrong_role"
    response = put_policy(api, CHAT_OFF, headers=headers)
    assert response.status_code == 403 and error_code(response) == "wrong_role"


def test_support_may_read_but_not_change_the_policy(api: Any) -> None:
    response = put_policy(api, CHAT_OFF, headers=SUPPORT)
    assert response.status_code == 403 and error_code(response) == "wrong_role"


def test_put_needs_if_match_creates_with_0_and_refuses_a_stale_version(api: Any, aws: dict[str, str]) -> None:
    missing = put_policy(api, CHAT_OFF, if_match=None)
    assert missing.status_code == 428 and error_code(missing) == "precondition_required"
    created = put_policy(api, CHAT_OFF, if_match='"0"')
    assert created.status_code == 200 and created.headers["ETag"] == '"1"'
    stored = json.loads(created.body)
    assert stored["version"] == 1 and stored["updated_by"] == "ops-1" and stored["channels"]["chat"]["enabled"] is False
    stale = put_policy(api, {}, if_match='"0"')
    assert stale.status_code == 409 and json.loads(stale.body)["error"]["details"]["current_version"] == 1
    # A GET's body can be sent back as it is (version, updated_at and updated_by included).
    round_trip = send(api, "PUT", "/v1/platform/policy", {**stored, "topics": {**stored["topics"], "payment": "support_only"}}, ADMIN)
    assert round_trip.status_code == 200 and json.loads(round_trip.body)["version"] == 2
    assert api.http.get("/v1/platform/policy", headers=SUPPORT).headers["ETag"] == '"2"'


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"channels": {"fax": {"enabled": False}}}, "channels.fax"),
        ({"topics": {"refunds": "support_only"}}, "topics.refunds"),
        ({"channels": {"chat": {"rollout_percent": 101}}}, "channels.chat.rollout_percent"),
        ({"channels": {"chat": {"allow_sellers": [f"s{i}" for i in range(1001)]}}}, "channels.chat.allow_sellers"),
    ],
)
def test_invalid_policy_is_400_naming_the_field(api: Any, document: dict[str, Any], field: str) -> None:
    response = put_policy(api, document)
    assert response.status_code == 400 and error_code(response) == "validation_error"
    assert field in [detail["field"] for detail in json.loads(response.body)["error"]["details"]]


def test_chat_switched_off_then_given_back_to_one_pilot_seller(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, CHAT_OFF).status_code == 200
    result = options(api, "demo-chat")
    assert offered(result) == ["email", "support"] and excluded(result)["chat"] == "chat_disabled_by_platform"
    assert result["policy_version"] == 1 and result["degraded"] is False
    other = options(api, "demo-email")  # the seller switched chat off too: their own choice, not the platform's
    assert offered(other) == ["email", "support"] and excluded(other)["chat"] == "chat_disabled"

    pilot = {"channels": {"chat": {"enabled": False, "allow_sellers": ["demo-chat"]}}}
    assert put_policy(api, pilot, if_match='"1"').status_code == 200
    assert offered(options(api, "demo-chat")) == ["chat", "email", "support"]

    events = [ContactRequestEvent.model_validate(m["body"]) for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_request"]
    assert [e.policy_version for e in events] == [1, 1, 2]


def test_rollout_reopens_chat_for_its_share_of_buyers_only(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, {"channels": {"chat": {"enabled": False, "rollout_percent": 50}}}).status_code == 200
    buyers = [f"buyer-{i}" for i in range(12)]
    for buyer in buyers:
        result = options(api, "demo-chat", headers=bearer("buyer", buyer))
        if in_rollout(Channel.CHAT, buyer, 50):
            assert offered(result)[0] == "chat"
        else:
            assert excluded(result)["chat"] == "not_in_rollout"


def test_support_only_topic_and_support_first_topic(api: Any) -> None:
    document = {"topics": {"product_question": "support_only", "order_status": "support_first"}}
    assert put_policy(api, document).status_code == 200
    only = options(api, "demo-chat", "product_question")
    assert [(o["channel"], o["reason"]) for o in only["options"]] == [("support", "topic_support_only")]
    # demo-chat offers chat and e-mail, not the phone: the topic is named for what it removed, the seller for the rest.
    assert excluded(only) == {"chat": "topic_support_only", "email": "topic_support_only", "phone": "phone_disabled"}
    assert offered(options(api, "demo-chat", "order_status")) == ["support", "chat", "email"]


def test_restriction_makes_a_seller_support_only_and_the_sellers_own_writes_keep_it(api: Any, aws: dict[str, str]) -> None:
    response = restrict(api, "demo-chat")
    assert response.status_code == 200 and json.loads(response.body)["set_by"] == "ops-1"
    result = options(api, "demo-chat")
    assert [(o["channel"], o["reason"]) for o in result["options"]] == [("support", "seller_restricted")]
    assert excluded(result) == {"chat": "seller_restricted", "email": "seller_restricted", "phone": "phone_disabled"}

    mine = seller_token("demo-chat")
    channels = api.http.get("/v1/sellers/demo-chat/channels", headers=mine)
    assert "restriction" not in json.loads(channels.body) and "chargebacks" not in channels.body.decode()
    put = send(api, "PUT", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": True}}, {**mine, "If-Match": '"1"'})
    assert put.status_code == 200 and "restriction" not in json.loads(put.body)
    assert offered(options(api, "demo-chat")) == ["support"]
    patch = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"email": None}, {**mine, "If-Match": '"2"'})
    assert patch.status_code == 200
    assert offered(options(api, "demo-chat")) == ["support"]

    assert json.loads(api.http.get("/v1/sellers/demo-chat/restriction", headers=SUPPORT).body)["note"] == "chargebacks"
    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert offered(options(api, "demo-chat")) == ["chat", "support"]  # the seller's PUT/PATCH stood underneath
    assert api.http.get("/v1/sellers/demo-chat/restriction", headers=SUPPORT).status_code == 404
    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204  # idempotent


def test_restriction_before_the_seller_has_settings_survives_their_first_put(api: Any) -> None:
    assert restrict(api, "newcomer").status_code == 200
    assert offered(options(api, "newcomer")) == ["support"]
    mine = seller_token("newcomer")
    assert api.http.get("/v1/sellers/newcomer/channels", headers=mine).status_code == 404
    created = send(api, "PUT", "/v1/sellers/newcomer/channels", {"chat": {"enabled": True}}, {**mine, "If-Match": '"0"'})
    assert created.status_code == 200 and json.loads(created.body)["version"] == 1
    result = options(api, "newcomer")
    assert [(o["channel"], o["reason"]) for o in result["options"]] == [("support", "seller_restricted")]


def test_a_restricted_seller_without_settings_is_support_only_because_of_the_restriction(api: Any, aws: dict[str, str]) -> None:
    """Precedence: the restriction decides, whether or not the seller ever stored settings."""
    assert restrict(api, "newcomer").status_code == 200
    drain_queue(aws["queue_url"])
    for headers in (BUYER, bearer("buyer", "buyer-batch")):
        result = options(api, "newcomer", headers=headers)
        assert [(o["channel"], o["reason"]) for o in result["options"]] == [("support", "seller_restricted")]
        # Support alone because of the restriction; each channel left out because the seller never offered it.
        assert set(excluded(result).values()) == {"seller_settings_missing"}
    batch = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["newcomer", "demo-chat"]}, BUYER)
    assert [o["reason"] for o in json.loads(batch.body)["results"][0]["options"]] == ["seller_restricted"]
    explained = json.loads(api.http.get("/v1/sellers/newcomer/contact-options?explain=true", headers=SUPPORT).body)
    first = explained["explanation"]["layers"][0]
    assert (first["layer"], first["effect"]) == ("seller_restriction", "decides")
    # The seller still has no settings of their own: their events say so, and their own routes too.
    contact_events = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_request"]
    assert contact_events and all(e["seller_exists"] is False for e in contact_events if e["seller_id"] == "newcomer")
    assert api.http.get("/v1/sellers/newcomer/channels", headers=seller_token("newcomer")).status_code == 404
    assert api.http.request("DELETE", "/v1/sellers/newcomer/restriction", headers=ADMIN).status_code == 204
    assert [(o["channel"], o["reason"]) for o in options(api, "newcomer")["options"]] == [("support", "seller_settings_missing")]


@pytest.mark.parametrize("headers", [BUYER, SUPPORT, seller_token("demo-chat")])
def test_only_admin_restricts_or_lifts(api: Any, headers: dict[str, str]) -> None:
    assert error_code(restrict(api, "demo-chat", headers)) == "wrong_role"
    assert error_code(api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=headers)) == "wrong_role"


@pytest.mark.parametrize("headers", [BUYER, seller_token("demo-chat")])
def test_buyers_and_the_seller_cannot_see_the_restriction(api: Any, headers: dict[str, str]) -> None:
    restrict(api, "demo-chat")
    assert error_code(api.http.get("/v1/sellers/demo-chat/restriction", headers=headers)) == "wrong_role"


def test_invalid_restriction_is_400(api: Any) -> None:
    response = send(api, "PUT", "/v1/sellers/demo-chat/restriction", {"mode": "banned"}, ADMIN)
    assert response.status_code == 400 and error_code(response) == "validation_error"


def test_policy_and_restriction_changes_are_audited_and_stored(api: Any, aws: dict[str, str]) -> None:
    put_policy(api, CHAT_OFF)
    restrict(api, "demo-email")
    api.http.request("DELETE", "/v1/sellers/demo-email/restriction", headers=ADMIN)
    bodies = [m["body"] for m in drain_queue(aws["queue_url"])]
    [policy_event] = [b for b in bodies if b["type"] == "policy_changed"]
    assert (policy_event["changed_by"], policy_event["old_version"], policy_event["new_version"]) == ("ops-1", 0, 1)
    assert policy_event["changed"] == ["channels.chat.enabled"]
    restrictions = [b for b in bodies if b["type"] == "seller_restriction_changed"]
    assert [(b["old_mode"], b["new_mode"]) for b in restrictions] == [(None, "support_only"), ("support_only", None)]

    result = api.lambda_.invoke("support_ingest", sqs_event(api, [json.dumps(b) for b in bodies]))
    assert result.payload == {"batchItemFailures": []}
    db = client("dynamodb")
    [stored_policy] = db.query(
        TableName="support-requests", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "POLICY"}}
    )["Items"]
    assert stored_policy["sk"]["S"].startswith("CHG#") and stored_policy["type"]["S"] == "policy_changed"
    stored_restrictions = db.query(
        TableName="support-requests",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :chg)",
        ExpressionAttributeValues={":pk": {"S": "SELLER#demo-email"}, ":chg": {"S": "CHG#"}},
    )["Items"]
    assert sorted(item["type"]["S"] for item in stored_restrictions) == ["seller_restriction_changed"] * 2


def test_explain_lists_every_layer_for_a_given_buyer(api: Any) -> None:
    assert put_policy(api, {"channels": {"chat": {"enabled": False, "rollout_percent": 10}}}).status_code == 200
    response = api.http.get("/v1/sellers/demo-chat/contact-options?explain=true&buyer_id=buyer-77", headers=SUPPORT)
    assert response.status_code == 200
    result = json.loads(response.body)
    explanation = result["explanation"]
    assert explanation["buyer_id"] == "buyer-77" and explanation["policy_version"] == 1
    layers = [layer["layer"] for layer in explanation["layers"]]
    assert layers == ["seller_restriction", "topic", "platform_channels", "seller_settings", "opening_hours", "reveal_limit"]
    channels_layer = explanation["layers"][2]
    assert "buyer bucket" in channels_layer["detail"]
    if in_rollout(Channel.CHAT, "buyer-77", 10):
        assert offered(result)[0] == "chat"
    else:
        assert [(e["channel"], e["reason"]) for e in channels_layer["excluded"]] == [("chat", "not_in_rollout")]
        assert excluded(result)["chat"] == "not_in_rollout"


def test_explain_is_support_only_and_sends_no_contact_event(api: Any, aws: dict[str, str]) -> None:
    response = api.http.get("/v1/sellers/demo-chat/contact-options?explain=true", headers=BUYER)
    assert response.status_code == 403 and error_code(response) == "wrong_role"
    assert api.http.get("/v1/sellers/demo-chat/contact-options?explain=yes", headers=SUPPORT).status_code == 400
    assert api.http.get("/v1/sellers/demo-chat/contact-options?explain=true", headers=SUPPORT).status_code == 200
    assert drain_queue(aws["queue_url"]) == []


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stored_policy(version: int, chat: bool) -> PlatformPolicy:
    return PlatformPolicy.model_validate({"channels": {"chat": {"enabled": chat}}, "version": version})


def test_cached_policy_honours_the_ttl_keeps_the_last_good_one_and_degrades_only_when_cold(aws: dict[str, str], capsys: Any) -> None:
    store = DynamoPolicyStore(resolution_client("dynamodb"), "platform-policy")  # the client resolutions read it with
    clock = Clock()
    cached = CachedPolicy(store, ttl_seconds=30, clock=clock)
    store.put(stored_policy(1, chat=False), expected_version=0)
    assert cached.current()[0].version == 1
    store.put(stored_policy(2, chat=True), expected_version=1)
    clock.now += 29
    assert cached.current() == (stored_policy(1, chat=False), False)  # within the TTL: the cached one
    clock.now += 2
    assert cached.current()[0].version == 2  # past it: read again

    inject("dynamodb", "GetItem", "ProvisionedThroughputExceededException")
    clock.now += 31
    assert cached.current() == (stored_policy(2, chat=True), False)  # a failed refresh keeps the last good one
    assert cached.current()[0].version == 2
    lines = [line for line in log_lines(capsys.readouterr().out) if line["msg"].startswith("policy_")]
    assert [line["msg"] for line in lines] == ["policy_refresh_failed_kept_last_good"]  # once per TTL, not per request

    cold = CachedPolicy(store, ttl_seconds=30, clock=clock)
    policy, degraded = cold.current()
    assert policy.version == 0 and degraded is True


def test_cold_container_with_the_policy_unreadable_answers_with_the_default_marked_degraded(api: Any, aws: dict[str, str]) -> None:
    with unprocessed("platform-policy"):  # the policy rides in the settings' BatchGetItem; its table is throttled
        result = options(api, "demo-chat")
    assert result["degraded"] is True and result["policy_version"] == 0
    assert offered(result) == ["chat", "email", "support"]  # the built-in default: today's rules
    assert options(api, "demo-chat")["degraded"] is False  # the next request reads it again


def test_a_put_takes_effect_at_once_in_the_writing_container_and_warm_resolutions_make_no_policy_call(api: Any) -> None:
    options(api, "demo-chat")  # warms the caches (policy version 0, answers)
    options(api, "demo-email", headers=SUPPORT)
    assert put_policy(api, CHAT_OFF).status_code == 200
    calls: list[tuple[str, list[str]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, sorted(params.get("RequestItems") or [params.get("TableName")])))

    resolution_client("dynamodb").meta.events.register("provide-client-params.dynamodb", record)
    result = options(api, "demo-chat")
    assert result["policy_version"] == 1 and excluded(result)["chat"] == "chat_disabled_by_platform"
    options(api, "demo-email", headers=SUPPORT)
    # One read each, no policy read: the settings with the seller's reply summary in one BatchGetItem, and for a
    # buyer the reveal tally too.
    assert calls == [("BatchGetItem", ["conversations", "seller-channels", "support-requests"]), ("BatchGetItem", ["conversations", "seller-channels"])]


def test_policy_store_lets_exactly_one_concurrent_writer_win(aws: dict[str, str]) -> None:
    from chalicelib.shared.errors import VersionConflict

    store = DynamoPolicyStore(client("dynamodb"), "platform-policy")
    store.put(stored_policy(1, chat=False), expected_version=0)
    with pytest.raises(VersionConflict) as lost:
        store.put(stored_policy(1, chat=True), expected_version=0)
    assert lost.value.current_version == 1
    assert store.get() == stored_policy(1, chat=False)


def test_a_put_that_changes_nothing_keeps_the_version_and_sends_no_event(api: Any, aws: dict[str, str]) -> None:
    first = put_policy(api, CHAT_OFF)
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'
    drain_queue(aws["queue_url"])
    again = put_policy(api, {**CHAT_OFF, "topics": {}}, if_match='"1"')  # the same document, a default spelled out
    assert again.status_code == 200 and again.headers["ETag"] == '"1"', again.body
    assert json.loads(again.body)["version"] == 1
    assert not [m for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "policy_changed"]
    changed = put_policy(api, {"channels": {"chat": {"enabled": True}}}, if_match='"1"')
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'


def test_a_refresh_reads_with_the_short_refresh_client_the_first_read_does_not(aws: dict[str, str]) -> None:
    """The first read has no policy to fall back on: it gets a full call. A refresh that fails only keeps the last
    good policy, so it has shorter timeouts (a sixth of the AWS budget), built on the first refresh."""
    first, refresh = DynamoPolicyStore(resolution_client("dynamodb"), "platform-policy"), []
    clock = Clock()

    def refresh_store() -> DynamoPolicyStore:
        refresh.append(DynamoPolicyStore(policy_refresh_client(), "platform-policy"))
        return refresh[-1]

    first.put(stored_policy(1, chat=False), expected_version=0)
    cached = CachedPolicy(first, ttl_seconds=30, clock=clock, refresh_store=refresh_store)
    assert cached.current()[0].version == 1 and refresh == []
    first.put(stored_policy(2, chat=True), expected_version=1)
    clock.now += 31
    assert cached.current()[0].version == 2 and len(refresh) == 1
    clock.now += 31
    assert cached.current()[0].version == 2 and len(refresh) == 1  # built once


PILOT = {"channels": {"chat": {"enabled": False, "allow_sellers": ["shop-a", "shop-b"], "rollout_percent": 10}}}


@pytest.mark.parametrize(
    "same",
    [
        {"channels": {"chat": {"enabled": False, "allow_sellers": ["shop-b", "shop-a"], "rollout_percent": 10}}},
        {"channels": {"chat": {"enabled": False, "allow_sellers": ["shop-a", "shop-b", "shop-a"], "rollout_percent": 10.0}}},
    ],
)
def test_allow_sellers_reordered_or_repeated_changes_nothing(api: Any, aws: dict[str, str], same: dict[str, Any]) -> None:
    assert put_policy(api, PILOT, '"0"').status_code == 200
    drain_queue(aws["queue_url"])
    again = put_policy(api, same, '"1"')
    assert again.status_code == 200 and again.headers["ETag"] == '"1"', again.body
    assert body(again)["channels"]["chat"]["allow_sellers"] == ["shop-a", "shop-b"]  # the stored policy, as it is
    assert [m for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "policy_changed"] == []
    assert_error(put_policy(api, same, '"0"'), 409, "version_conflict")  # a stale If-Match is still a conflict


def test_a_real_change_next_to_a_reordering_names_only_the_real_change(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, PILOT, '"0"').status_code == 200
    drain_queue(aws["queue_url"])
    changed = {"channels": {"chat": {"enabled": False, "allow_sellers": ["shop-b", "shop-a"], "rollout_percent": 20}}}
    response = put_policy(api, changed, '"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    events = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "policy_changed"]
    assert [e["changed"] for e in events] == [["channels.chat.rollout_percent"]]


def test_the_policy_routes_say_when_to_retry_while_the_policy_table_is_down(api: Any) -> None:
    """Was: 503 policy_unavailable without the Retry-After that settings and answers outages send."""
    from tests.fakes import inject

    inject("dynamodb", "GetItem", "ProvisionedThroughputExceededException")
    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert_error(response, 503, "policy_unavailable")
    assert response.headers["Retry-After"] == "5"


def test_a_rollout_on_a_channel_that_is_on_is_refused_not_silently_open_to_everyone(api: Any) -> None:
    """Was: {"enabled": true, "rollout_percent": 10} was stored: an admin meaning "10 %" had opened chat to all."""
    response = put_policy(api, {"channels": {"chat": {"enabled": True, "rollout_percent": 10}}})
    assert_error(response, 400, "validation_error")
    assert "channels.chat: rollout_percent applies only while the channel is off" in response.body.decode()
    assert put_policy(api, {"channels": {"chat": {"enabled": False, "rollout_percent": 10}}}).status_code == 200


def test_a_thousand_allow_sellers_of_64_characters_fit_and_repeats_are_dropped(api: Any) -> None:
    """Was: the documented 1,000 pilot sellers per channel met the 64 KiB body cap (413); repeats were stored."""
    sellers = [f"{i:04d}".ljust(64, "s") for i in range(1000)]
    document = {"channels": {name: {"enabled": False, "allow_sellers": sellers} for name in ("chat", "email", "phone")}}
    response = put_policy(api, document)
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["channels"]["phone"]["allow_sellers"] == sellers

    repeated = {"channels": {"chat": {"enabled": False, "allow_sellers": ["b", "a", "b"]}}, "version": 1}
    response = send(api, "PUT", "/v1/platform/policy", full_policy(repeated), ADMIN)
    assert json.loads(response.body)["channels"]["chat"]["allow_sellers"] == ["b", "a"]


def test_a_get_body_goes_back_unchanged_even_when_stored_before_a_rule_or_by_a_long_sub(api: Any) -> None:
    """Was: 400 for a policy stored with a rollout on an enabled channel (before that check), and for any policy an
    admin with a sub of 201-255 characters had written (updated_by allowed 200) (review9)."""
    from tests.conftest import bearer

    long_admin = bearer("admin", "a" * 255)
    assert put_policy(api, CHAT_OFF, headers=long_admin).status_code == 200
    edit_stored_policy(lambda document: document["channels"]["chat"].update(enabled=True, rollout_percent=10))
    read = api.http.get("/v1/platform/policy", headers=ADMIN)
    sent_back = api.http.request("PUT", "/v1/platform/policy", headers={**ADMIN, "Content-Type": "application/json", "If-Match": read.headers["ETag"]}, body=read.body)
    assert sent_back.status_code == 200, sent_back.body
    assert sent_back.headers["ETag"] == read.headers["ETag"]  # nothing changed
    stored = json.loads(read.body)
    changed = {**stored, "channels": {**stored["channels"], "chat": {**stored["channels"]["chat"], "enabled": True, "rollout_percent": 20}}}
    assert_error(send(api, "PUT", "/v1/platform/policy", changed, ADMIN), 400, "validation_error")


def test_a_channel_the_seller_never_offered_is_blamed_on_the_seller_not_the_rollout(api: Any) -> None:
    """With chat off platform-wide and a rollout running, demo-none's chat is their own choice (chat_disabled), in
    `excluded` and in explain alike; demo-chat's chat, which the platform did remove, names the rollout."""
    assert put_policy(api, {"channels": {"chat": {"enabled": False, "rollout_percent": 1}}}).status_code == 200
    assert excluded(options(api, "demo-none"))["chat"] == "chat_disabled"
    explained = json.loads(api.http.get("/v1/sellers/demo-none/contact-options?explain=true", headers=SUPPORT).body)
    layers = {layer["layer"]: layer for layer in explained["explanation"]["layers"]}
    assert layers["platform_channels"]["excluded"] == [] and layers["platform_channels"]["effect"] == "none"
    assert {e["channel"]: e["reason"] for e in layers["seller_settings"]["excluded"]}["chat"] == "chat_disabled"
    assert excluded(explained)["chat"] == "chat_disabled"
    buyer_outside = next(b for b in (f"buyer-{i}" for i in range(200)) if not in_rollout(Channel.CHAT, b, 1))
    assert excluded(options(api, "demo-chat", headers=bearer("buyer", buyer_outside)))["chat"] == "not_in_rollout"
