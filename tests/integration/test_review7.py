"""Outside review of the whole API (review7): each test failed before its fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUYER, SUPPORT, bearer, seller_token
from tests.integration.test_api import assert_error
from tests.integration.test_policy_api import ADMIN, put_policy, send

SIZES = "/v1/sellers/demo-chat/contact-options?topic=product_question&lang=en&q=which+size+and+what+warranty"


def answer_owners(response: Any) -> set[str]:
    assert response.status_code == 200, response.body
    return {answer["owner"] for answer in json.loads(response.body)["answers"]}


def batch_answer_owners(api: Any, topic: str) -> set[str]:
    payload = json.dumps({"seller_ids": ["demo-chat"], "topic": topic, "question": "which size and what warranty"})
    response = api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "application/json"}, body=payload.encode())
    assert response.status_code == 200, response.body
    return {answer["owner"] for answer in json.loads(response.body)["results"][0]["answers"]}


def test_a_restricted_sellers_own_answers_are_not_shown(api: Any) -> None:
    """Was: restricted to support alone, the seller's auto-answer still came first (it may link to paying outside)."""
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"demo-chat", "platform"}
    restriction = {"mode": "support_only", "note": "chargeback review"}
    assert send(api, "PUT", "/v1/sellers/demo-chat/restriction", restriction, ADMIN).status_code == 200

    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"platform"}
    assert batch_answer_owners(api, "product_question") == {"platform"}

    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"demo-chat", "platform"}


def test_a_support_only_topic_shows_the_platforms_answers_alone(api: Any) -> None:
    """Was: with the topic routed to support alone, sellers' auto-answers for it were still shown."""
    assert put_policy(api, {"topics": {"product_question": "support_only"}}).status_code == 200
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"platform"}
    assert batch_answer_owners(api, "product_question") == {"platform"}


POLICY = {"topics": {"payment": "support_only"}}
ANSWER = {"owner": "platform", "topics": ["delivery"], "locale": "en", "title": "t", "body": "b"}
# A request each caller may not make at all, sent with a body or header that is also wrong: the role decides.
WRONG_ROLE_WITH_BAD_INPUT = [
    ("buyer", "PUT", "/v1/platform/policy", "garbage", {}),
    ("buyer", "PUT", "/v1/platform/policy", json.dumps(POLICY), {}),  # no If-Match: was 428
    ("support", "PUT", "/v1/platform/policy", json.dumps(POLICY), {"If-Match": "nonsense"}),
    ("buyer", "PATCH", "/v1/sellers/demo-chat/channels", json.dumps({"chat": {"enabled": False}}), {}),
    ("support", "PUT", "/v1/sellers/demo-chat/channels", "{", {}),
    ("buyer", "POST", "/v1/answers", "{}", {}),
    ("buyer", "PUT", "/v1/answers/faq-delivery-time-en", json.dumps(ANSWER), {}),
    ("buyer", "DELETE", "/v1/answers/faq-delivery-time-en", None, {"If-Match": "nonsense"}),
    ("seller", "POST", "/v1/contact-requests/abc/outcome", "garbage", {}),
    ("seller", "POST", "/v1/contact-options/batch", "garbage", {}),
    ("seller", "GET", "/v1/sellers/demo-chat/contact-options?topic=nonsense", None, {}),
    ("buyer", "GET", "/v1/sellers/demo-chat/contact-options?explain=true&topic=nonsense", None, {}),  # explain: support's
    ("buyer", "GET", f"/v1/sellers/demo-chat/contact-options?explain=true&buyer_id={'b' * 300}", None, {}),
    ("buyer", "GET", "/v1/sellers/not%20an%20id/channels", None, {}),
    ("support", "PUT", "/v1/sellers/demo-chat/restriction", "{}", {}),
    ("buyer", "GET", "/v1/sellers/not%20an%20id/restriction", None, {}),
]


@pytest.mark.parametrize(("role", "method", "path", "payload", "headers"), WRONG_ROLE_WITH_BAD_INPUT)
def test_a_wrong_role_hears_403_before_anything_about_its_input(
    api: Any, role: str, method: str, path: str, payload: str | None, headers: dict[str, str]
) -> None:
    """Was: the body, If-Match or a parameter was checked first: a buyer was told to send If-Match to the policy."""
    token = seller_token("demo-chat") if role == "seller" else bearer(role)
    sent = {**token, **headers, **({"Content-Type": "application/json"} if payload is not None else {})}
    response = api.http.request(method, path, headers=sent, body=payload.encode() if payload is not None else b"")
    assert_error(response, 403, "wrong_role")


def test_the_right_role_still_hears_what_is_wrong_with_its_input(api: Any) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    assert_error(api.http.request("PUT", "/v1/platform/policy", headers=headers, body=b"garbage"), 400, "malformed_json")
    assert_error(api.http.request("PUT", "/v1/platform/policy", headers=headers, body=json.dumps(POLICY).encode()), 428)
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?topic=nonsense", headers=SUPPORT), 400)


@pytest.mark.parametrize(("typed", "ascii_digits"), [("٩٩", "99"), ("０９", "09")])
def test_a_phone_extension_typed_in_other_digits_is_stored_in_ascii(api: Any, typed: str, ascii_digits: str) -> None:
    """Was: stored and shown to buyers as ';ext=٩٩', which no dialler reads (RFC 3966 digits are ASCII)."""
    body = {"phone": {"enabled": True, "number": f"+7 495 123-45-67 ext. {typed}"}}
    response = send(api, "PUT", "/v1/sellers/ext-1/channels", body, {**seller_token("ext-1"), "If-Match": '"0"'})
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["phone"]["number"] == f"+74951234567;ext={ascii_digits}"


@pytest.mark.parametrize(("lang", "message"), [("en", "The seller does not take chat messages"), ("ru", "Продавец не принимает сообщения в чате")])
def test_explain_carries_each_layers_messages_in_the_asked_language(api: Any, lang: str, message: str) -> None:
    """Was: every layer's excluded channels had "message": "" while the top-level list had the text."""
    response = api.http.get(f"/v1/sellers/demo-phone/contact-options?explain=true&buyer_id=x&lang={lang}", headers=SUPPORT)
    assert response.status_code == 200, response.body
    layers = json.loads(response.body)["explanation"]["layers"]
    excluded = [item for layer in layers for item in layer["excluded"]]
    assert excluded and all(item["message"] for item in excluded)
    assert {"channel": "chat", "reason": "chat_disabled", "message": message} in excluded


def test_the_policy_routes_say_when_to_retry_while_the_policy_table_is_down(api: Any) -> None:
    """Was: 503 policy_unavailable without the Retry-After that settings and answers outages send."""
    from tests.integration.test_faults import inject

    inject("dynamodb", "GetItem", "ProvisionedThroughputExceededException")
    response = api.http.get("/v1/platform/policy", headers=ADMIN)
    assert_error(response, 503, "policy_unavailable")
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/sellers/demo-chat/contact-options?explain=true&explain=false", "explain"),
        ("/v1/sellers/demo-chat/contact-options?topic=delivery&topic=payment", "topic"),
        ("/v1/sellers/demo-chat/contact-options?lang=en&lang=ru", "lang"),
        ("/v1/sellers/demo-chat/contact-options?q=size&q=warranty", "q"),
        ("/v1/answers?owner=platform&owner=demo-chat", "owner"),
        ("/v1/answers?limit=1&limit=100", "limit"),
    ],
)
def test_a_parameter_given_twice_is_refused(api: Any, aws: dict[str, str], path: str, field: str) -> None:
    """Was: the last one won, so `explain=true&explain=false` became a buyer's lookup that sent a contact event."""
    from tests.conftest import drain_queue

    drain_queue(aws["queue_url"])
    response = api.http.get(path, headers=SUPPORT)
    assert assert_error(response, 400, "repeated_parameter")["details"] == {"field": field}
    assert drain_queue(aws["queue_url"]) == []


def test_empty_and_unknown_parameters_keep_their_meaning(api: Any) -> None:
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?topic=", headers=BUYER), 400, "invalid_topic")
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?explain=", headers=SUPPORT), 400, "invalid_explain")
    assert api.http.get("/v1/sellers/demo-chat/contact-options?utm=a&utm=b", headers=BUYER).status_code == 200


NEW_ANSWER = {"owner": "platform", "topics": ["delivery"], "locale": "en", "title": "Parcels", "body": "Parcels come in 3 days."}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "See ![map](https://tracker.example/pixel.png)"}, "body"),  # a remote image reports who read it
        ({"title": "a\u0000b"}, "title"),
        ({"body": "a\u0085b"}, "body"),  # C1 control
        ({"keywords": ["gro\u202eup"]}, "keywords"),  # right-to-left override: reads other than it is stored
        ({"topics": ["delivery", "delivery"]}, "topics"),
    ],
)
def test_answer_content_outside_the_documented_subset_is_refused(api: Any, changes: dict[str, Any], field: str) -> None:
    """Was: accepted (201), against "any HTML tag or entity is refused" and the Markdown subset."""
    error = assert_error(send(api, "POST", "/v1/answers", {**NEW_ANSWER, **changes}, SUPPORT), 400, "validation_error")
    assert field in [detail["field"] for detail in error["details"]]


def test_plain_text_with_angle_brackets_and_ampersands_is_an_answer(api: Any) -> None:
    """Was: "a < b and c > d" refused as HTML. A link's query string may name parameters like "copy" or "times"."""
    text = {"body": "Sizes: S < M < L, and L > M. AT&T and R&D parcels: 1 & 2 days. "
                    "[Track](https://track.example/?id=1&copy=2&times=3&region=eu)"}
    response = send(api, "POST", "/v1/answers", {**NEW_ANSWER, **text}, SUPPORT)
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["body"] == text["body"]


def test_an_answer_stored_before_the_new_rules_still_reaches_buyers(api: Any, aws: dict[str, str]) -> None:
    """The new rules apply to writes: a stored answer with an image or a repeated topic is still read and shown."""
    from chalicelib.answers_store import to_item
    from chalicelib.aws import client
    from chalicelib.models import Answer

    stored = Answer.model_validate(
        {
            **NEW_ANSWER, "topics": ["delivery", "delivery"], "body": "Track it: ![map](https://example.com/m.png)",
            "id": "old-image", "version": 1, "updated_at": "2026-01-01T00:00:00Z", "updated_by": "agent-0",
            "keywords": ["track"],
        }
    )
    client("dynamodb").put_item(TableName="answers", Item=to_item(stored))
    response = api.http.get("/v1/sellers/demo-none/contact-options?topic=delivery&lang=en&q=track", headers=BUYER)
    assert "old-image" in [answer["id"] for answer in json.loads(response.body)["answers"]]


def test_stats_count_no_channel_only_for_sellers_who_enabled_none(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Was: a seller the platform restricted, or whose e-mail the platform switched off, was counted as offering no
    channel: `contact-support stats` listed them among the sellers who left buyers with support alone."""
    from tests.conftest import drain_queue
    from tests.integration.test_ingest import counters, resolved_events, sqs_event

    assert send(api, "PUT", "/v1/sellers/demo-email/restriction", {"mode": "support_only", "note": "x"}, ADMIN).status_code == 200
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}}).status_code == 200  # demo-chat keeps e-mail
    drain_queue(aws["queue_url"])  # the admin's change events
    bodies = resolved_events(api, aws, "demo-email", "demo-none")
    assert put_policy(api, {"channels": {"chat": {"enabled": False}, "email": {"enabled": False}}}, if_match="1").status_code == 200
    drain_queue(aws["queue_url"])
    bodies += resolved_events(api, aws, "demo-chat")  # chat and e-mail off platform-wide: support alone
    assert [json.loads(body)["support_reason"] for body in bodies] == ["seller_restricted", "seller_has_no_channels", "chat_disabled_by_platform"]

    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}
    day = json.loads(bodies[0])["occurred_at"][:10]
    assert counters("demo-none", day)["no_channel"] == 1
    for platform_blocked in ("demo-email", "demo-chat"):
        assert counters(platform_blocked, day)["buyer_requests"] == 1
        assert counters(platform_blocked, day).get("no_channel", 0) == 0

    from tests.integration.test_support_cli import run_cli

    code, out, _ = run_cli(capsys, "recent", "--jsonl")  # support sees why each buyer had support alone
    assert code == 0
    assert {row["seller_id"]: row["support_reason"] for row in map(json.loads, out.splitlines())} == {
        "demo-email": "seller_restricted", "demo-none": "seller_has_no_channels", "demo-chat": "chat_disabled_by_platform",
    }


def test_each_request_that_cannot_read_settings_logs_one_settings_unavailable(api: Any, capsys: Any) -> None:
    """The SettingsUnavailable alarm counts these lines. Was: a batch logged two (store and service), a buyer's single
    resolution (settings and tally in one BatchGetItem) none: five failed batches paged, a hundred singles did not."""
    from tests.conftest import log_lines
    from tests.integration.test_faults import inject, post_batch

    inject("dynamodb", "BatchGetItem", "InternalServerError")
    capsys.readouterr()
    assert json.loads(post_batch(api, ["demo-chat", "demo-email", "demo-none"]).body)["results"][0]["degraded"] is True
    assert json.loads(api.http.get("/v1/sellers/demo-chat/contact-options", headers=BUYER).body)["degraded"] is True
    messages = [line["msg"] for line in log_lines(capsys.readouterr().out)]
    assert messages.count("settings_unavailable") == 2


def test_a_hung_shard_read_fails_the_support_cli_after_one_wave_of_timeouts(monkeypatch: Any) -> None:
    """Was: with DynamoDB hung, the workers freed by the first wave's timeouts started the next queued shards before
    the failure cancelled them, and the command waited out their timeouts too: 25 s, not ~12 s."""
    import contextlib
    import threading
    from collections.abc import Iterator

    from botocore.exceptions import ReadTimeoutError

    from support_cli import cli

    started: list[str] = []
    lock = threading.Lock()
    # The first wave times out together, once every reader has started (was: a fixed 0.2 s, after which on a loaded
    # machine a reader thread not yet running found the failure set and started nothing: 15 of 16).
    first_wave = threading.Barrier(cli.SHARD_READERS, timeout=30)

    def hung_query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        with lock:
            started.append(kwargs["ExpressionAttributeValues"][":partition"]["S"])
        with contextlib.suppress(threading.BrokenBarrierError):  # a read past the first wave: counted above, and fails
            first_wave.wait()
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1")
        yield {}  # a generator, as the real one

    monkeypatch.setattr(cli, "_query", hung_query)
    with pytest.raises(ReadTimeoutError):
        list(cli._query_shards("support-requests", [f"SELLER#s#R{n:02d}" for n in range(3 * cli.SHARD_READERS)]))
    assert len(started) == cli.SHARD_READERS


def test_one_unreadable_seller_does_not_empty_the_answers_of_the_whole_batch(api: Any) -> None:
    """Regression of the time-budget fix: a batch skipped loading answers when any seller was unavailable, and one
    stored item that no longer validates left every seller of the batch without answers, the platform's FAQ too."""
    from chalicelib.aws import client

    client("dynamodb").put_item(
        TableName="seller-channels", Item={"seller_id": {"S": "broken-1"}, "version": {"N": "1"}, "chat": {"S": "garbage"}}
    )
    payload = {"seller_ids": ["demo-chat", "broken-1"], "topic": "return_refund", "question": "how do I return an item"}
    response = api.http.post(
        "/v1/contact-options/batch?lang=en", headers={**BUYER, "Content-Type": "application/json"}, body=json.dumps(payload).encode()
    )
    results = {result["seller_id"]: result for result in json.loads(response.body)["results"]}
    assert results["broken-1"]["degraded"] is True
    assert results["demo-chat"]["degraded"] is False and results["demo-chat"]["answers"], results["demo-chat"]


def test_a_support_first_topic_beyond_the_platform_ones_gets_a_hint_that_fits_it(api: Any) -> None:
    """Was: a product question routed support first was told "Delivery, refunds and payments are handled by support"."""
    assert put_policy(api, {"topics": {"product_question": "support_first"}}).status_code == 200
    for lang, hint in [("en", "Platform support handles this topic first"), ("ru", "Этим вопросом в первую очередь занимается поддержка площадки")]:
        response = api.http.get(f"/v1/sellers/demo-chat/contact-options?topic=product_question&lang={lang}", headers=BUYER)
        support = json.loads(response.body)["options"][0]
        assert (support["channel"], support["reason"], support["hint"]) == ("support", "platform_topic", hint)


def test_a_token_whose_sub_holds_a_lone_surrogate_is_denied_not_a_500(api: Any) -> None:
    """Was: accepted by the authorizer; both resolution routes then failed with a 500 (UnicodeEncodeError)."""
    for sub in ("buyer-\ud800", "buyer-\u0000"):
        response = api.http.get("/v1/sellers/demo-chat/contact-options", headers=bearer("buyer", sub))
        assert response.status_code == 403, response.body



@pytest.mark.parametrize(
    "text",
    ["Пишите на shop-08@shop.example.com", "звоните +7 495 123-45-67", "или 8 (495) 123-45-67 в будни", "WhatsApp +1 212 555 0100"],
)
def test_a_sellers_answer_cannot_carry_an_email_or_a_phone_past_the_limit(api: Any, text: str) -> None:
    """Was: 201, and every buyer got the contact in `answers`, past the daily reveal limit, the platform's e-mail and
    phone switches and a restriction (through GET /v1/answers)."""
    answer = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru", "body": text}
    error = assert_error(send(api, "POST", "/v1/answers", answer, seller_token("demo-chat")), 400, "validation_error")
    assert "body" in [detail["field"] for detail in error["details"]]
    title = {**answer, "body": "Ответим в чате", "title": text}
    assert_error(send(api, "POST", "/v1/answers", title, seller_token("demo-chat")), 400, "validation_error")


def test_sizes_dates_and_order_numbers_are_not_phone_numbers_and_the_platform_may_name_support(api: Any) -> None:
    ordinary = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru",
                "body": "Размеры 44-46, рост 170-176 см, заказ 1234567, доставка 3-5 дней, с 27.11.2026"}
    assert send(api, "POST", "/v1/answers", ordinary, seller_token("demo-chat")).status_code == 201
    platform = {**NEW_ANSWER, "body": "Write to support@market.example or call 8 800 555-35-35."}
    assert send(api, "POST", "/v1/answers", platform, SUPPORT).status_code == 201


def test_a_restricted_sellers_answers_are_not_served_to_buyers_by_the_answers_routes(api: Any) -> None:
    """Was: hidden in resolutions, but GET /v1/answers/{id} (what the answer's link opens) and the listing still
    served them to buyers."""
    other_seller = seller_token("demo-email")
    assert get_ok(api, "/v1/answers/demo-chat-sizes-en", BUYER)
    assert send(api, "PUT", "/v1/sellers/demo-chat/restriction", {"mode": "support_only", "note": "x"}, ADMIN).status_code == 200

    for caller in (BUYER, other_seller):
        assert_error(api.http.get("/v1/answers/demo-chat-sizes-en", headers=caller), 404, "answer_not_found")
        listing = api.http.get("/v1/answers?owner=demo-chat", headers=caller)
        assert listing.status_code == 200 and json.loads(listing.body)["items"] == []
    for caller in (seller_token("demo-chat"), SUPPORT, ADMIN):  # the author, and who reviews the seller, still see them
        assert get_ok(api, "/v1/answers/demo-chat-sizes-en", caller)

    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert get_ok(api, "/v1/answers/demo-chat-sizes-en", BUYER)


def get_ok(api: Any, path: str, headers: dict[str, str]) -> bool:
    response = api.http.get(path, headers=headers)
    return bool(response.status_code == 200 and json.loads(response.body)["id"])


def test_an_outcome_names_only_a_channel_its_result_offered_with_a_contact(limit_2: Any) -> None:
    """Was: 202 for `channel_chosen` with a channel never offered (phone for demo-none) or one the limit withheld."""
    from tests.integration.test_review5 import seed_tally

    def result(seller_id: str, buyer: dict[str, str]) -> dict[str, Any]:
        response = limit_2.http.get(f"/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=buyer)
        return dict(json.loads(response.body))

    def chosen(found: dict[str, Any], buyer: dict[str, str], channel: str) -> Any:
        report = {"token": found["feedback_token"], "seller_id": found["seller_id"], "outcome": "channel_chosen", "channel": channel}
        return send(limit_2, "POST", f"/v1/contact-requests/{found['request_id']}/outcome", report, buyer)

    only_support = result("demo-none", BUYER)
    assert_error(chosen(only_support, BUYER, "phone"), 400, "channel_not_offered")
    assert chosen(only_support, BUYER, "support").status_code == 202

    from datetime import UTC, datetime

    over = bearer("buyer", "over-the-limit")
    seed_tally("over-the-limit", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    withheld = result("demo-chat", over)  # chat offered, its e-mail withheld by the limit
    assert [o["contact"] is None for o in withheld["options"] if o["channel"] == "email"] == [True]
    assert_error(chosen(withheld, over, "email"), 400, "channel_not_offered")
    assert chosen(withheld, over, "chat").status_code == 202


def test_a_seller_can_unpublish_and_edit_an_older_answer_that_carries_a_contact(api: Any) -> None:
    """Regression of the contact rule: an answer stored before it, with a contact, could be neither unpublished
    nor edited, only deleted. A draft reaches no buyer; publishing it again needs the contact gone."""
    from chalicelib.answers_store import to_item
    from chalicelib.aws import client
    from chalicelib.models import Answer

    body = "Пишите: shop@demo.ru или 8 916 123 45 67"
    old = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru", "body": body}
    stored = Answer.model_validate({**old, "id": "old-contact", "version": 1, "updated_at": "2026-01-01T00:00:00Z", "updated_by": "s"})
    client("dynamodb").put_item(TableName="answers", Item=to_item(stored))
    seller = {**seller_token("demo-chat"), "If-Match": '"1"'}

    unpublished = send(api, "PUT", "/v1/answers/old-contact", {**old, "status": "draft"}, seller)
    assert unpublished.status_code == 200, unpublished.body
    edited = send(api, "PUT", "/v1/answers/old-contact", {**old, "status": "draft", "title": "Draft"}, {**seller, "If-Match": '"2"'})
    assert edited.status_code == 200, edited.body
    republished = send(api, "PUT", "/v1/answers/old-contact", {**old, "title": "Draft"}, {**seller, "If-Match": '"3"'})
    assert_error(republished, 400, "validation_error")
    fixed = {**old, "body": "Пишите в чат магазина"}
    assert send(api, "PUT", "/v1/answers/old-contact", fixed, {**seller, "If-Match": '"3"'}).status_code == 200


@pytest.mark.parametrize("sub", ["👨\u200d👩\u200d👧", "می\u200cخواهم", "a\u00a0b", "\U0001fae8", "a\u00adb", "Иван Петров"])
def test_subs_with_joiners_no_break_spaces_or_newer_emoji_are_still_let_in(api: Any, sub: str) -> None:
    """Regression of the lone-surrogate fix: str.isprintable() also refused these, which resolved before."""
    response = api.http.get("/v1/sellers/demo-chat/contact-options?topic=product_question", headers=bearer("buyer", sub))
    assert response.status_code == 200, response.body
