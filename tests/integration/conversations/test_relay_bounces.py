"""On AWS a refusal is a bounce the relay sends: SES accepted the mail before the relay's code ran. Through the S3
Lambda's handler on moto (S3, SES): a permanent refusal of authenticated mail gets one short notification to its
envelope sender (the Return-Path SES wrote) with the refusal's reason, From mailer-daemon@<relay domain>, with
Auto-Submitted: auto-replied, and nothing of the original but its redacted subject. Mail failing SPF/DKIM/DMARC is
dropped and counted (no backscatter to a forged sender); an automatic mail or one with an empty Return-Path gets none;
a failed send is logged with ids only and does not fail the Lambda."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conversations.conftest import BUYER_ADDRESS, SELLER_ADDRESS, mail, sent_mail
from tests.policy_coverage import acting_as

STRANGER = "stranger@elsewhere.example"
RELAY_DOMAIN_FROM = "mailer-daemon@"


def service() -> Any:
    from chalicelib import wiring

    return wiring.conversation_service()


def stored(key: str, body: bytes) -> tuple[Any, str]:
    from chalicelib.shared.aws import client

    s3 = client("s3")
    if not any(bucket["Name"] == "relay-in" for bucket in s3.list_buckets().get("Buckets", [])):
        s3.create_bucket(Bucket="relay-in", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_object(Bucket="relay-in", Key=f"inbound/{key}", Body=body)
    return s3, f"inbound/{key}"


def as_ses_stores(return_path: bytes, address: str, message: bytes, *, auth: bytes = b"") -> bytes:
    """What SES writes to S3: its Return-Path first, its trace headers (`auth`), then the mail as sent."""
    received = b"Received: from mx by inbound-smtp.eu-central-1.amazonaws.com for " + address.encode() + b";\r\n"
    return b"Return-Path: " + return_path + b"\r\n" + received + auth + message


def bounces() -> list[Any]:
    return [sent for sent in sent_mail() if sent["From"].addresses[0].addr_spec.startswith(RELAY_DOMAIN_FROM)]


def test_a_strangers_authenticated_mail_gets_one_bounce_to_its_envelope_sender_with_the_reason(
    relayed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object

    address = relayed["conversation"]["relay_address"]
    auth = b"Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=elsewhere.example; dkim=pass; dmarc=pass\r\n"
    body = mail(STRANGER, address, "Secret body: call me at owner@shop-1.example", subject=f"Hi {SELLER_ADDRESS} about the blue one")
    s3, key = stored("0123abcdstranger", as_ses_stores(f"<{STRANGER}>".encode(), address, body, auth=auth))
    capsys.readouterr()
    with acting_as("relay_inbound"):  # the bounce's SendRawEmail is checked against policies/relay_inbound.json
        assert handle_object("relay-in", key, service(), s3) == {"outcome": "not_the_party"}
    [bounce] = bounces()
    relay_domain = address.rpartition("@")[2]
    assert bounce["From"].addresses[0].addr_spec == f"mailer-daemon@{relay_domain}"
    assert [a.addr_spec for a in bounce["To"].addresses] == [STRANGER]
    assert bounce["Auto-Submitted"] == "auto-replied"
    assert str(bounce["Subject"]).startswith("Undelivered: Hi ") and "\n" not in str(bounce["Subject"])
    from chalicelib.relay.refusals import Refusal

    text = bounce.get_content()
    assert Refusal.NOT_THE_PARTY.text in text
    whole = bytes(bounce).decode("utf-8", "replace") + str(bounce["Subject"])
    assert "Secret body" not in whole and SELLER_ADDRESS not in whole and BUYER_ADDRESS not in whole
    assert relayed["buyer_mask"] not in whole
    logged = capsys.readouterr().out  # the JSON log lines, fields and all
    assert '"relay_bounce_sent"' in logged and '"mail_id":"0123abcdstranger"' in logged
    assert STRANGER not in logged and "Secret" not in logged and SELLER_ADDRESS not in logged


def test_the_partys_over_long_mail_is_bounced_in_russian_when_written_in_russian(relayed: dict[str, Any]) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object
    from chalicelib.relay.refusals import Refusal

    address = relayed["conversation"]["relay_address"]
    long_text = "\n".join(["привет " * 11] * 60)
    s3, key = stored("long", as_ses_stores(f"<{BUYER_ADDRESS}>".encode(), address, mail(BUYER_ADDRESS, address, long_text)))
    assert handle_object("relay-in", key, service(), s3) == {"outcome": "too_long"}
    [bounce] = bounces()
    assert [a.addr_spec for a in bounce["To"].addresses] == [BUYER_ADDRESS]
    text = bounce.get_content()
    assert "не доставлено" in text and Refusal.TOO_LONG.text in text and "привет" not in text


@pytest.mark.parametrize(
    "auth",
    [
        b"Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=fail\r\n",
        b"Authentication-Results: amazonses.com; spf=fail; dkim=fail; dmarc=none\r\n",
        b"X-SES-Spam-Verdict: FAIL\r\n",
    ],
)
def test_mail_failing_its_checks_is_dropped_and_counted_never_bounced(
    relayed: dict[str, Any], caplog: pytest.LogCaptureFixture, auth: bytes
) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object

    address = relayed["conversation"]["relay_address"]
    s3, key = stored("forged", as_ses_stores(f"<{STRANGER}>".encode(), address, mail(BUYER_ADDRESS, address, "pay here"), auth=auth))
    assert handle_object("relay-in", key, service(), s3) == {"outcome": "dropped"}
    assert bounces() == []
    assert "relay_mail_dropped" in caplog.text


@pytest.mark.parametrize(
    ("return_path", "extra"),
    [
        (f"<{STRANGER}>".encode(), b"Auto-Submitted: auto-replied\r\n"),
        (f"<{STRANGER}>".encode(), b"Auto-Submitted: auto-generated\r\n"),
        (b"<>", b""),
    ],
)
def test_an_automatic_mail_or_an_empty_return_path_gets_no_bounce(relayed: dict[str, Any], return_path: bytes, extra: bytes) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object

    address = relayed["conversation"]["relay_address"]
    s3, key = stored("auto", as_ses_stores(return_path, address, extra + mail(STRANGER, address, "I am away")))
    assert handle_object("relay-in", key, service(), s3) == {"outcome": "not_the_party"}
    assert bounces() == []


def test_a_mail_with_auto_submitted_no_is_bounced(relayed: dict[str, Any]) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object

    address = relayed["conversation"]["relay_address"]
    s3, key = stored("human", as_ses_stores(f"<{STRANGER}>".encode(), address, b"Auto-Submitted: no\r\n" + mail(STRANGER, address, "hi")))
    assert handle_object("relay-in", key, service(), s3) == {"outcome": "not_the_party"}
    assert len(bounces()) == 1


def test_a_failed_bounce_is_logged_with_ids_only_and_does_not_fail_the_lambda(
    relayed: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object

    address = relayed["conversation"]["relay_address"]
    s3, key = stored("abc123", as_ses_stores(f"<{STRANGER}>".encode(), address, mail(STRANGER, address, "hello there")))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SES down")

    monkeypatch.setattr(service()._mail._ses, "send_raw_email", refuse)
    capsys.readouterr()
    assert handle_object("relay-in", key, service(), s3) == {"outcome": "not_the_party"}
    assert bounces() == []
    logged = capsys.readouterr().out
    assert '"relay_bounce_failed"' in logged and '"mail_id":"abc123"' in logged and '"error":"RuntimeError"' in logged
    assert STRANGER not in logged and "hello there" not in logged
