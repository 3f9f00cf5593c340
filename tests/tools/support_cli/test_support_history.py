"""`contact-support history`: a seller's stored change events, newest first, any change type with its `type`."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.shared.aws import client
from chalicelib.shared.dynamo import to_attributes
from tests.calls import run_cli, sqs_event
from tests.conftest import drain_queue, seller_token


def patch_and_ingest(api: Any, aws: dict[str, str], seller_id: str, version: int, body: bytes) -> None:
    headers = {**seller_token(seller_id), "Content-Type": "application/json", "If-Match": f'"{version}"'}
    assert api.http.request("PATCH", f"/v1/sellers/{seller_id}/channels", headers=headers, body=body).status_code == 200
    bodies = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}


def test_history_lists_a_sellers_settings_changes_newest_first(api: Any, aws: dict[str, str], capsys: Any) -> None:
    patch_and_ingest(api, aws, "demo-chat", 1, b'{"chat": {"enabled": false}}')
    patch_and_ingest(api, aws, "demo-chat", 2, b'{"phone": {"enabled": true, "number": "+49 30 1234567"}}')
    patch_and_ingest(api, aws, "demo-email", 1, b'{"chat": {"enabled": true}}')  # another seller's change stays out

    code, out, _ = run_cli(capsys, "history", "--seller", "demo-chat", "--jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [(r["old_version"], r["new_version"]) for r in rows] == [(2, 3), (1, 2)]
    assert rows[0]["changed_channels"] == ["phone"] and rows[0]["enabled_channels"] == ["email", "phone"]
    assert rows[1]["changed_channels"] == ["chat"] and rows[1]["enabled_channels"] == ["email"]
    assert {r["changed_by"] for r in rows} == {"owner-of-demo-chat"} and {r["type"] for r in rows} == {"settings_changed"}
    assert "pk" not in rows[0] and "expires_at" not in rows[0]

    code, out, _ = run_cli(capsys, "history", "--seller", "demo-chat")
    header, newest, older = out.splitlines()
    assert header.split() == ["occurred_at", "type", "changed_by", "version", "changed", "enabled_now", "event_id"]
    assert "settings_changed" in newest and "2 -> 3" in newest and "email, phone" in newest
    assert "1 -> 2" in older

    _, out, _ = run_cli(capsys, "history", "--seller", "demo-chat", "--limit", "1", "--jsonl")
    assert [json.loads(line)["new_version"] for line in out.splitlines()] == [3]
    _, out, _ = run_cli(capsys, "history", "--seller", "demo-chat", "--since", "2999-01-01T00:00:00+02:00")
    assert "no changes stored for seller demo-chat" in out


def test_history_shows_other_change_types_with_their_type_and_fields(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """A change type stored under the same CHG# prefix by a newer producer shows up without changing the command."""
    patch_and_ingest(api, aws, "demo-chat", 1, b'{"chat": {"enabled": false}}')
    restriction = {
        "pk": "SELLER#demo-chat", "sk": "CHG#2999-01-01T00:00:00+00:00#r1", "schema_version": 1, "event_id": "r1",
        "type": "seller_badge_changed", "occurred_at": "2999-01-01T00:00:00Z", "request_id": "q1",
        "seller_id": "demo-chat", "changed_by": "trust-and-safety", "restricted_channels": ["phone"], "reason": "abuse_reports",
    }
    client("dynamodb").put_item(TableName="support-requests", Item=to_attributes(restriction))

    code, out, _ = run_cli(capsys, "history", "--seller", "demo-chat")
    _, newest, older = out.splitlines()
    assert code == 0
    assert newest.startswith("2999-01-01T00:00:00Z") and "seller_badge_changed" in newest and "trust-and-safety" in newest
    assert 'reason=abuse_reports' in newest and 'restricted_channels=["phone"]' in newest
    assert "settings_changed" in older


def test_history_needs_a_seller_or_the_policy(aws: dict[str, str], capsys: Any) -> None:
    import pytest

    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "history")
    assert exit_.value.code == 2 and "--seller" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "history", "--seller", "demo-chat", "--policy")
    assert exit_.value.code == 2


def test_history_shows_restrictions_and_the_policys_own_changes(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """The admin's levers are audited where support looks: a seller's history, and the platform policy's."""
    from tests.calls import CHAT_OFF, put_policy, restrict

    assert restrict(api, "demo-chat").status_code == 200
    assert put_policy(api, CHAT_OFF).status_code == 200
    bodies = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}

    code, out, _ = run_cli(capsys, "history", "--seller", "demo-chat")
    assert code == 0 and "seller_restriction_changed" in out and "restriction none -> support_only" in out
    code, out, _ = run_cli(capsys, "history", "--policy")
    _, row = out.splitlines()
    assert code == 0 and "policy_changed" in row and "0 -> 1" in row and "channels.chat.enabled" in row
    code, out, _ = run_cli(capsys, "history", "--policy", "--jsonl")
    assert json.loads(out)["changed_by"] and "pk" not in json.loads(out)
