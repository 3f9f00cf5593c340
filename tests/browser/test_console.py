"""The console in headless chromium: every view as support and admin, sign-in and refusals, stored markup shown as
text, the CSP header, the policy's Preview then Save (and a 409), Russian. Screenshots of each view: tests/browser/output/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from chalicelib.api.console import CONTENT_SECURITY_POLICY
from tests.browser.conftest import MARKUP, STAFF, WAIT_MS, Console, Seeded, bearer, token

pytestmark = pytest.mark.e2e


def markup_never_ran(console: Console) -> None:
    assert console.page.evaluate("window.__stored_markup_ran") is None
    assert console.page.locator("main img").count() == 0


def reads_well(console: Console) -> None:
    """Every value became text a person can read: no "[object …]", "undefined" or "NaN" where a figure should be."""
    text = console.page.locator("main").inner_text()
    for leak in ("[object", "undefined", "NaN"):
        assert leak not in text, (leak, text[:500])


def test_the_link_make_run_prints_signs_in_and_the_token_leaves_the_address_bar(staff: dict[str, Console], output: Path) -> None:
    console = staff["support"]
    headers = console.first_response.headers  # type: ignore[attr-defined]
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert console.page.url == f"{console.base}/console#/"
    assert console.page.evaluate("sessionStorage.length") == 1
    sent = [url for url in console.requests if not url.startswith("data:")]
    assert all(url.startswith(console.base + "/") for url in sent), sent  # nothing from another origin
    assert not [url for url in sent if "token" in url], sent  # the token never travels in a URL
    assert not [error for error in console.errors if "Content Security Policy" in error], console.errors
    for asset in ("console.js", "console.css"):
        served = requests.get(f"{console.base}/console/{asset}", timeout=30)
        assert served.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("role", STAFF)
def test_overview_shows_todays_figures_each_linked_to_its_view(staff: dict[str, Console], output: Path, role: str) -> None:
    console = staff[role]
    home = console.go("#/", "#view-home #card-conversations")
    expect(console.page.locator("#link-waiting")).to_have_text("1")  # one buyer waits for demo-chat
    expect(console.page.locator("#link-escalated")).to_have_text("1")  # and one conversation went to support
    assert re.search(r"escalated to support · oldest escalated: \d+ (s|min|h)", console.page.locator("#escalated-age").inner_text())
    assert console.page.locator("#link-waiting").get_attribute("href") == "#/conversations?status=waiting_seller"
    assert console.page.locator("#link-escalated").get_attribute("href") == "#/conversations?status=escalated"
    for card in ("#card-replies", "#card-filter", "#card-reveals"):  # every conversation card leads on to a view
        assert console.page.locator(f"{card} a.more").count() == 1, card
    assert "1" in console.page.locator("#card-filter .figure").inner_text()  # the e-mail address taken out of a message
    assert "withheld by the limit" in console.page.locator("#card-reveals").inner_text()
    assert "limit: 30 sellers a buyer a day" in console.page.locator("#reveal-limit").inner_text()  # the policy's default
    assert console.page.locator('#view-home a[href="#/deflection"]').count() == 1
    assert console.page.locator('#view-home a[href="#/requests"]').count() >= 1
    assert "chat: on" in console.page.locator("#switches").inner_text()
    assert (console.page.locator('#view-home a[href="#/queue"]').count() == 1) is (role == "admin")
    assert home.is_visible()
    reads_well(console)
    console.shot(output, f"home-{role}")


@pytest.mark.parametrize("role", STAFF)
def test_requests_newest_first_with_filters_and_a_buyer_id_shown_as_text(staff: dict[str, Console], output: Path, role: str) -> None:
    console = staff[role]
    console.go("#/requests", "#view-requests tbody tr")
    assert MARKUP in console.page.locator("#view-requests table").inner_text()
    markup_never_ran(console)
    console.page.fill("#filter-seller", "demo-email")
    console.page.select_option("#filter-topic", "product_question")
    console.page.click("#apply-filters")
    rows = console.page.locator("#view-requests tbody tr")
    expect(rows).to_have_count(1)
    assert "seller=demo-email" in console.page.url and "product_question" in rows.first.inner_text()
    reads_well(console)
    console.shot(output, f"requests-{role}")
    console.go("#/requests?seller=demo-email&topic=delivery", "#view-requests .outcome")  # the seeded outcome of seed-0-0
    expect(console.page.locator("#view-requests .outcome")).to_have_count(1)
    expect(console.page.locator("#view-requests .outcome")).to_contain_text("went on to email")
    assert "not reported" in console.page.locator("#view-requests table").inner_text()


@pytest.mark.parametrize("role", STAFF)
def test_deflection_charts_per_topic_and_day_with_the_weak_answers(staff: dict[str, Console], output: Path, role: str) -> None:
    console = staff[role]
    console.go("#/deflection", '.chart[data-topic="delivery"] rect.answered')
    bars = console.page.locator('.chart[data-topic="delivery"] rect.answered')
    expect(bars).to_have_count(7)
    assert all(float(bars.nth(day).get_attribute("height") or 0) > 0 for day in range(7))  # answered on each of 7 days
    assert "faq-weak-answer" in console.page.locator("#weak-answers").inner_text()
    reads_well(console)
    console.shot(output, f"deflection-{role}")
    console.go("#/deflection?days=30", '.chart[data-topic="delivery"] rect.answered >> nth=29')
    expect(bars).to_have_count(30)


@pytest.mark.parametrize("role", STAFF)
def test_seller_page_channels_history_restriction_replies_and_conversations(staff: dict[str, Console], output: Path, role: str) -> None:
    console = staff[role]
    console.go("#/sellers/demo-phone", "#restriction")
    assert MARKUP in console.page.locator("#restriction").inner_text()  # the admin's note, as the text it is
    markup_never_ran(console)
    assert (console.page.locator("#restrict").count() == 1) is (role == "admin")
    console.shot(output, f"seller-restricted-{role}")
    console.go("#/sellers/demo-chat", "#view-seller #seller-conversations")
    view = console.page.locator("#view-seller")
    expect(console.page.locator("#view-seller h1")).to_have_text("Seller demo-chat")
    text = view.inner_text()
    assert "demo-chat-owner" in text  # the settings history: who changed the channels
    assert "enabled" in text and "waiting_seller" in text and "escalated" in text
    assert "Not restricted." in text and console.page.locator("#view-seller .error").count() == 0  # every section read
    reads_well(console)
    console.shot(output, f"seller-{role}")


@pytest.mark.parametrize("role", STAFF)
def test_conversations_by_state_follow_from_the_overview(staff: dict[str, Console], console_stack: Seeded, output: Path, role: str) -> None:
    console = staff[role]
    console.go("#/", "#view-home #link-escalated")
    console.page.click("#link-escalated")
    table = console.go("#/conversations?status=escalated", '#view-conversations[data-status="escalated"] tbody tr')
    rows = console.page.locator("#view-conversations tbody tr")
    expect(rows).to_have_count(1)
    text = rows.first.inner_text()
    assert "console-buyer-2" in text and "demo-chat" in text and re.search(r"\d+ (s|min|h)", text)
    assert table.is_visible()
    reads_well(console)
    console.shot(output, f"conversations-escalated-{role}")
    console.page.click('#view-conversations a[href="#/conversations?status=waiting_seller"]')
    console.page.locator('#view-conversations[data-status="waiting_seller"]').wait_for()
    waiting = console.page.locator(f'#view-conversations a[href="#/conversations/{console_stack.conversation_id}"]')
    expect(waiting).to_have_count(1)  # the seeded buyer still waits for demo-chat (support replies later in this file)
    reads_well(console)


def test_an_admin_restricts_a_seller_and_lifts_it_again(staff: dict[str, Console]) -> None:
    console = staff["admin"]
    console.go("#/sellers/demo-email", "#restriction #restrict")
    console.page.fill("#restriction-note", "checking a complaint")
    console.page.click("#restrict")
    expect(console.page.locator("#restriction")).to_contain_text("checking a complaint")
    console.page.click("#lift")
    expect(console.page.locator("#restriction")).to_contain_text("Not restricted.")


@pytest.mark.parametrize("role", STAFF)
def test_transcript_marks_what_the_filter_removed(staff: dict[str, Console], console_stack: Seeded, output: Path, role: str) -> None:
    console = staff[role]
    console.go(f"#/conversations/{console_stack.conversation_id}", "#view-conversation .transcript")
    assert console.page.locator("mark.redacted").count() >= 1
    assert "buyer@mail.example" not in console.page.locator(".transcript").inner_text()
    assert (console.page.locator("#reply-text").count() == 1) is (role == "support")  # admins read, support replies
    reads_well(console)
    console.shot(output, f"conversation-{role}")


def test_support_replies_in_a_conversation(staff: dict[str, Console], console_stack: Seeded) -> None:
    console = staff["support"]
    console.go(f"#/conversations/{console_stack.conversation_id}", "#reply-text")
    console.page.fill("#reply-text", "Support here: your parcel left the warehouse today.")
    console.page.click("#send-reply")
    expect(console.page.locator(".transcript")).to_contain_text("your parcel left the warehouse", timeout=WAIT_MS)


def test_policy_and_queue_are_admin_views(staff: dict[str, Console]) -> None:
    console = staff["support"]
    notice = console.go("#/queue", ".notice")
    assert "for admins" in notice.inner_text()
    assert console.page.locator('#nav a[data-view="policy"]').count() == 0


def test_policy_preview_then_save_then_a_stale_save_shows_the_newer_version(staff: dict[str, Console], console_stack: Seeded, output: Path) -> None:
    console = staff["admin"]
    editor = console.go("#/policy", "#policy-editor")
    version = int(re.search(r"v(\d+)", console.page.locator("#view-policy h1").inner_text()).group(1))  # type: ignore[union-attr]
    document = editor.input_value()
    edited = re.sub(r'("email": \{\s*"enabled": )true', r"\1false", document, count=1)
    assert edited != document
    editor.fill(edited)
    console.page.click("#preview")
    preview = console.page.locator("#preview-result")
    expect(preview).to_contain_text("requests considered")
    assert "email" in preview.inner_text()
    reads_well(console)
    console.shot(output, "policy-preview-admin")
    console.page.click("#save")
    expect(console.page.locator("#saved")).to_contain_text(f"version {version + 1}")
    # Someone else saves first; this page still edits version + 1's predecessor: the save shows the newer version.
    newer = requests.patch(
        f"{console_stack.stack.api}/v1/platform/policy", json={"channels": {"email": {"enabled": True}}}, timeout=30,
        headers={**bearer("admin", "another-admin"), "Content-Type": "application/merge-patch+json", "If-Match": f'"{version + 1}"'},
    )
    assert newer.status_code == 200, newer.text
    console.page.click("#save")
    expect(console.page.locator("#conflict")).to_contain_text(f"version {version + 2}")
    console.shot(output, "policy-conflict-admin")


def test_queue_view_with_the_operators_commands(staff: dict[str, Console], output: Path) -> None:
    console = staff["admin"]
    console.go("#/queue", "#queue-dlq")
    assert "support-contact-requests-dlq" in console.page.locator("#queue-dlq").inner_text()
    assert "contact-support dlq --redrive" in console.page.locator("#queue-commands").inner_text()
    # the local stack's moto publishes no SQS metric: the age says it is not available, and why
    assert "not available: CloudWatch has no ApproximateAgeOfOldestMessage datapoint" in console.page.locator("#queue-dlq").inner_text()
    reads_well(console)
    console.shot(output, "queue-admin")


def test_queue_view_shows_the_oldest_age_cloudwatch_reports(staff: dict[str, Console], console_stack: Seeded, output: Path) -> None:
    from datetime import UTC, datetime, timedelta

    console_stack.stack.client("cloudwatch").put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": "support-contact-requests"}],
        "Timestamp": datetime.now(UTC) - timedelta(minutes=1), "Value": 780, "Unit": "Seconds",
    }])
    console = staff["admin"]
    console.go("#/", "#view-home .cards")
    expect(console.go("#/queue", "#queue-main [data-age]")).to_contain_text("oldest: 13 min (measured")
    assert "not available" in console.page.locator("#queue-dlq [data-age]").inner_text()  # no datum for the DLQ
    console.shot(output, "queue-age-admin")


def test_russian_follows_the_browser_and_can_be_switched(browser: Any, console_stack: Seeded, output: Path) -> None:
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    try:
        console = Console(context, console_stack.stack.api)
        console.sign_in(f"{console.base}/console#token={token('support')}")
        expect(console.page.locator('#nav a[data-view="home"]')).to_have_text("Обзор")
        assert console.page.evaluate("document.documentElement.lang") == "ru"
        console.page.locator("#view-home .cards").wait_for()
        console.shot(output, "home-support-ru")
        console.page.select_option("#lang", "en")
        expect(console.page.locator('#nav a[data-view="home"]')).to_have_text("Overview")
    finally:
        context.close()


def test_a_buyer_or_seller_token_sees_support_and_admin_only_and_no_data(browser: Any, console_stack: Seeded, output: Path) -> None:
    context = browser.new_context(locale="en-US")
    try:
        console = Console(context, console_stack.stack.api)
        console.sign_in(f"{console.base}/console#token={token('buyer')}")
        expect(console.page.locator("#refused")).to_contain_text("Support and admin only")
        console.shot(output, "refused-buyer")
        console.page.evaluate("link => { window.location.hash = link; }", f"token={token('seller', 'demo-chat-owner', 'demo-chat')}")
        expect(console.page.locator("#refused")).to_contain_text('role is "seller"')
        console.go("#/requests", "#refused")
        assert not [url for url in console.requests if "/v1/" in url], console.requests
    finally:
        context.close()
