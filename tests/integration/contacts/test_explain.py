"""?explain=true: every layer's verdict for a buyer, in the asked language (support only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.models.common import Channel
from chalicelib.platform_policy.layers import in_rollout
from chalicelib.shared.aws import client
from tests.calls import body, excluded, get, options, put_policy, resolve_as, seed_tally, send, shown
from tests.conftest import SUPPORT, bearer, seller_token


def test_explain_shows_the_buyers_texts_in_the_asked_language(api: Any) -> None:
    response = api.http.get("/v1/sellers/demo-chat/contact-options?explain=true&topic=product_question&lang=en", headers=SUPPORT)
    explained = body(response)
    assert response.headers["Content-Language"] == "en"
    assert [o["label"] for o in explained["options"]] == ["Message the seller", "E-mail the seller", "Contact support"]
    assert explained["options"][0]["expected_reply"]["source"] == "seller_declared"
    assert explained["primary"] == explained["options"][0]
    assert [e["message"] for e in explained["excluded"]] == ["The seller takes no calls"]


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


def test_support_can_explain_any_buyer_a_token_may_name(limit_2: Any) -> None:
    """Was: a sub of 201-255 characters resolved fine, but support's explain refused it as buyer_id (max 200)."""
    buyer_id = "b" * 255
    assert resolve_as(limit_2, "demo-email", bearer("buyer", buyer_id)).status_code == 200
    response = limit_2.http.get(
        f"/v1/sellers/demo-email/contact-options?topic=product_question&explain=true&buyer_id={buyer_id}", headers=SUPPORT
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["explanation"]["buyer_id"] == buyer_id
    too_long = limit_2.http.get(
        f"/v1/sellers/demo-email/contact-options?explain=true&buyer_id={'b' * 256}", headers=SUPPORT
    )
    assert json.loads(too_long.body)["error"]["code"] == "invalid_buyer_id"


def explain(api: Any, seller_id: str, buyer_id: str | None = None) -> dict[str, Any]:
    query = f"topic=product_question&explain=true{f'&buyer_id={buyer_id}' if buyer_id else ''}"
    response = api.http.get(f"/v1/sellers/{seller_id}/contact-options?{query}", headers=SUPPORT)
    assert response.status_code == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


def test_explain_shows_support_what_the_limit_withholds_from_a_buyer(limit_2: Any) -> None:
    """Was: explain read no tally, so for a buyer over the limit it showed the e-mail the buyer could not see."""
    seed_tally("explained", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    seen_by_buyer = json.loads(resolve_as(limit_2, "demo-email", bearer("buyer", "explained")).body)
    explained = explain(limit_2, "demo-email", "explained")
    assert shown(explained) == shown(seen_by_buyer) == {"email": None}
    [layer] = [layer for layer in explained["explanation"]["layers"] if layer["layer"] == "reveal_limit"]
    assert layer["effect"] == "narrows" and "2 of 2 reveals used" in layer["detail"] and "email withheld" in layer["detail"]

    already_shown = explain(limit_2, "shop-4", "explained")  # counted today: shown again
    assert shown(already_shown) == {"email": "shop-4@example.com"}
    assert [layer["effect"] for layer in already_shown["explanation"]["layers"]][-1] == "none"


def test_explain_of_support_itself_is_not_limited(limit_2: Any) -> None:
    """Without buyer_id, or naming its own id (review6: that was limited), support explains itself: never limited."""
    seed_tally("agent-1", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    for buyer_id in (None, "agent-1"):
        explained = explain(limit_2, "demo-email", buyer_id)
        assert shown(explained) == {"email": "demo-email@example.com"}
        assert explained["explanation"]["layers"][-1]["layer"] == "reveal_limit"
        assert explained["explanation"]["layers"][-1]["effect"] == "none"


def test_explain_says_when_the_buyers_tally_could_not_be_read(limit_2: Any) -> None:
    """Was: "0 of 2 reveals used" for a buyer who had used 2 of 2, when the tally's table could not be read."""
    seed_tally("unreadable", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    client("dynamodb").delete_table(TableName="support-requests")
    [layer] = [layer for layer in explain(limit_2, "demo-email", "unreadable")["explanation"]["layers"] if layer["layer"] == "reveal_limit"]
    assert "could not be read" in layer["detail"] and "0 of 2 reveals used" not in layer["detail"]


@pytest.mark.parametrize(("lang", "message"), [("en", "The seller does not take chat messages"), ("ru", "Продавец не принимает сообщения в чате")])
def test_explain_carries_each_layers_messages_in_the_asked_language(api: Any, lang: str, message: str) -> None:
    """Was: every layer's excluded channels had "message": "" while the top-level list had the text."""
    response = api.http.get(f"/v1/sellers/demo-phone/contact-options?explain=true&buyer_id=x&lang={lang}", headers=SUPPORT)
    assert response.status_code == 200, response.body
    layers = json.loads(response.body)["explanation"]["layers"]
    excluded = [item for layer in layers for item in layer["excluded"]]
    assert excluded and all(item["message"] for item in excluded)
    assert {"channel": "chat", "reason": "chat_disabled", "message": message} in excluded


def test_when_the_kill_switch_leaves_support_alone_on_a_support_first_topic_it_says_so(api: Any) -> None:
    """Was: support's reason was platform_topic ("support handles this topic first") with nothing after it."""
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}}).status_code == 200
    body = {"chat": {"enabled": True}}
    assert send(api, "PUT", "/v1/sellers/chat-only/channels", body, {**seller_token("chat-only"), "If-Match": '"0"'}).status_code == 200

    result = options(api, "chat-only", topic="delivery")
    assert [(option["channel"], option["reason"]) for option in result["options"]] == [("support", "chat_disabled_by_platform")]
    assert excluded(result)["chat"] == "chat_disabled_by_platform"
    assert options(api, "demo-chat", topic="delivery")["options"][0]["reason"] == "platform_topic"  # e-mail still follows
