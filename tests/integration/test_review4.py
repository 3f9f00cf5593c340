"""Review 4: hostile and domain checks of feedback tokens v2, answer pages, the unchanged policy PUT and the
support option when the platform leaves out every channel a seller offers."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.models.common import Channel
from chalicelib.platform_policy.layers import in_rollout
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue
from tests.integration.test_api import assert_error, body, get, send
from tests.integration.test_policy_api import put_policy

# ---------------------------------------------------------------- feedback tokens


def outcome(api: Any, request_id: str, report: dict[str, Any]) -> Any:
    return send(api, "POST", f"/v1/contact-requests/{request_id}/outcome", report, BUYER)


@pytest.mark.parametrize("spoil", [lambda t: t[:-1] + "é", lambda t: "v2.other.1..é", lambda t: "v1.other.1.ü", lambda t: t + "\u00a0"])
def test_a_token_with_non_ascii_characters_is_403_not_500(api: Any, spoil: Any) -> None:
    result = body(get(api, "/v1/sellers/demo-none/contact-options?topic=delivery&q=parcel"))
    report = {"token": spoil(result["feedback_token"]), "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
    assert_error(outcome(api, result["request_id"], report), 403, "invalid_feedback_token")


# ---------------------------------------------------------------- answer pages


@pytest.mark.parametrize("digits", [4301, 5000])
def test_a_page_size_of_thousands_of_digits_is_400_not_500(api: Any, digits: int) -> None:
    assert_error(get(api, "/v1/answers?limit=" + "9" * digits), 400, "invalid_limit")
    assert len(body(get(api, "/v1/answers?limit=" + "0" * digits + "5"))["items"]) == 5  # 5, however spelled


def test_a_page_size_with_leading_zeros_still_works(api: Any) -> None:
    assert len(body(get(api, "/v1/answers?limit=005"))["items"]) == 5


# ---------------------------------------------------------------- a policy PUT that changes nothing


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


# ---------------------------------------------------------------- support alone because of the platform


def test_explain_says_the_channel_layer_decides_when_it_left_out_everything(api: Any) -> None:
    off = {"channels": {"chat": {"enabled": False}, "email": {"enabled": False}}}
    assert put_policy(api, off, '"0"').status_code == 200
    for topic in ("other", "delivery"):  # seller first: the platform's reason; support first: platform_topic
        result = body(get(api, f"/v1/sellers/demo-chat/contact-options?topic={topic}&explain=true", SUPPORT))
        assert [o["channel"] for o in result["options"]] == ["support"]
        effects = {layer["layer"]: layer["effect"] for layer in result["explanation"]["layers"]}
        assert effects["platform_channels"] == "decides", result["explanation"]
        assert [effect for effect in effects.values() if effect == "decides"] == ["decides"]
    # demo-phone never offered chat or e-mail: switching them off removed nothing of theirs, so the layer did nothing.
    result = body(get(api, "/v1/sellers/demo-phone/contact-options?topic=other&explain=true", SUPPORT))
    layers = {layer["layer"]: layer for layer in result["explanation"]["layers"]}
    assert layers["platform_channels"]["effect"] == "none" and layers["platform_channels"]["excluded"] == []
    assert {e["channel"]: e["reason"] for e in layers["seller_settings"]["excluded"]} == {"chat": "chat_disabled", "email": "email_disabled"}
    # The channel layer narrows while the seller keeps a channel of their own (demo-chat's e-mail with chat off).
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}}, '"1"').status_code == 200
    result = body(get(api, "/v1/sellers/demo-chat/contact-options?topic=other&explain=true", SUPPORT))
    effects = {layer["layer"]: layer["effect"] for layer in result["explanation"]["layers"]}
    assert effects["platform_channels"] == "narrows" and "decides" not in effects.values()


def test_support_alone_outside_a_rollout_does_not_say_support_is_not_open_to_everyone(api: Any) -> None:
    assert put_policy(api, {"channels": {"chat": {"enabled": False, "rollout_percent": 10}}}, '"0"').status_code == 200
    demo_chat_only = {"chat": {"enabled": True}}
    seller = bearer("seller", "owner-of-chat-only", "chat-only")
    assert send(api, "PUT", "/v1/sellers/chat-only/channels", demo_chat_only, {**seller, "If-Match": '"0"'}).status_code == 200
    buyer = next(b for b in (f"buyer-{i}" for i in range(100)) if not in_rollout(Channel.CHAT, b, 10))
    hints = {}
    for lang in ("ru", "en"):
        result = body(get(api, f"/v1/sellers/chat-only/contact-options?lang={lang}", bearer("buyer", buyer)))
        (support,) = result["options"]
        assert support["reason"] == "not_in_rollout" and result["primary"]["channel"] == "support"
        hints[lang] = support["hint"]
        # The excluded chat keeps the channel's own message; the support button's hint speaks of the seller's channel.
        assert result["excluded"][0]["channel"] == "chat" and result["excluded"][0]["message"] != support["hint"]
    assert "продав" in hints["ru"] and "seller" in hints["en"], hints
