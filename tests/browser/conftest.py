"""Browser tests: Playwright drives Debian's chromium against the real local stack (moto, chalice local, the poller).

One browser for the session and one page per role, moved between views by their hash routes: each view is one
render, not one page load. `make browser` (a dependency of `make test`) installs chromium; without it, or below the
minimum version, the tests fail with devstack/browser.py's one line. Screenshots: tests/browser/output/ (gitignored),
or $BROWSER_OUTPUT.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import browser as system_browser
from devstack.stack import local_jwt_secret
from devstack.tokens import mint_token
from tests.e2e.conftest import Stack, run_stack

# Without the background-networking flags, chromium keeps reaching for Google's hosts.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OUTPUT = Path(os.environ.get("BROWSER_OUTPUT", Path(__file__).resolve().parent / "output"))
# Stored text that would run if it were ever inserted as markup: as a buyer id (a token's sub) and a restriction note.
MARKUP = '<img src=x onerror="window.__stored_markup_ran=1">'
WAIT_MS = 20_000  # two loaded cores: generous waits on conditions, never sleeps
STAFF = ("support", "admin")


def token(role: str, sub: str | None = None, seller_id: str | None = None) -> str:
    return mint_token(local_jwt_secret(), role, sub or f"demo-{role}", seller_id)


def bearer(role: str, sub: str | None = None, seller_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, sub, seller_id)}"}


@pytest.fixture(scope="session")
def chromium() -> str:
    if (reason := system_browser.problem(system_browser.chromium_version())) is not None:
        pytest.fail(reason, pytrace=False)
    return system_browser.CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def output() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@dataclass(frozen=True)
class Seeded:
    stack: Stack
    conversation_id: str  # a buyer's conversation with demo-chat, waiting for the seller; its message was redacted


@pytest.fixture(scope="session")
def console_stack() -> Iterator[Seeded]:
    """moto + chalice local + the poller (as `make run`), with something for every view to show."""
    stacks = run_stack(with_poller=True)
    stack = next(stacks)
    try:
        yield Seeded(stack, seed(stack))
    finally:
        stacks.close()


def call(stack: Stack, method: str, path: str, headers: dict[str, str], body: Any = None) -> requests.Response:
    response = requests.request(method, stack.api + path, json=body, headers=headers, timeout=30)
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response


def seed(stack: Stack) -> str:
    """Requests, outcomes over a week, a settings change, a restriction, conversations: through the API and the queue,
    so the ingest and the conversation code write the roll-ups the views read."""
    from chalicelib.models.events import ContactOutcomeEvent, ContactRequestEvent
    from chalicelib.support.publisher import SqsEventPublisher

    buyer = bearer("buyer", MARKUP)
    for seller in ("demo-chat", "demo-email", "demo-none"):
        for topic in ("delivery", "product_question"):
            call(stack, "GET", f"/v1/sellers/{seller}/contact-options?topic={topic}", buyer)
    call(stack, "PATCH", "/v1/sellers/demo-chat/channels", {**bearer("seller", "demo-chat-owner", "demo-chat"), "If-Match": '"1"'},
         {"chat": {"reply_within_hours": 6}})
    call(stack, "PUT", "/v1/sellers/demo-phone/restriction", bearer("admin"), {"mode": "support_only", "note": MARKUP})
    start = {"seller_id": "demo-chat", "topic": "delivery", "text": "Where is it? Write to me at buyer@mail.example"}
    conversation_id = str(call(stack, "POST", "/v1/conversations", bearer("buyer", "console-buyer"), start).json()["conversation_id"])
    other = call(stack, "POST", "/v1/conversations", bearer("buyer", "console-buyer-2"), {**start, "text": "Hello"}).json()
    call(stack, "POST", f"/v1/conversations/{other['conversation_id']}/escalate", bearer("buyer", "console-buyer-2"))

    now = datetime.now(UTC)
    events: list[Any] = []
    for day in range(7):  # a week of outcomes: the deflection charts have a bar a day
        at = now - timedelta(days=day, minutes=1)
        events += [
            ContactRequestEvent(occurred_at=at, request_id=f"seed-{day}-{n}", seller_id="demo-email", buyer_id="seed-buyer",
                                topic="delivery", primary_channel="email", offered=["email", "support"], degraded=False,
                                caller_role="buyer", seller_exists=True, withheld=["email"] if n == 0 else [])
            for n in range(2)
        ]
        events += [
            ContactOutcomeEvent(occurred_at=at, request_id=f"seed-a-{day}-{n}", seller_id="demo-chat", buyer_id="seed-buyer",
                                topic="delivery", outcome="answered", answer_id="faq-delivery-time")
            for n in range(2 + day % 3)
        ]
        events.append(ContactOutcomeEvent(occurred_at=at, request_id=f"seed-n-{day}", seller_id="demo-chat", buyer_id="seed-buyer",
                                          topic="delivery", outcome="not_answered", answer_id="faq-weak-answer", reason="not_related"))
        events.append(ContactOutcomeEvent(occurred_at=at, request_id=f"seed-c-{day}", seller_id="demo-chat", buyer_id="seed-buyer",
                                          topic="delivery", outcome="channel_chosen", channel="chat"))
    # The outcome of one seeded request (today's first for demo-email): the requests view shows it on that row.
    events.append(ContactOutcomeEvent(occurred_at=now, request_id="seed-0-0", seller_id="demo-email", buyer_id="seed-buyer",
                                      topic="delivery", outcome="channel_chosen", channel="email"))
    publisher = SqsEventPublisher(stack.client("sqs"), stack.env["SUPPORT_QUEUE_URL"])
    for first in range(0, len(events), 10):
        assert publisher.publish(events[first : first + 10]) == len(events[first : first + 10])
    support = bearer("support")

    def ingested() -> bool:
        stats = requests.get(f"{stack.api}/v1/ops/stats?days=7", headers=support, timeout=30).json()
        history = requests.get(f"{stack.api}/v1/sellers/demo-chat/settings/history", headers=support, timeout=30).json()
        return stats["totals"]["requests"] >= 6 + 14 and stats["totals"]["answered"] >= 7 and stats["totals"]["channel_chosen"] >= 8 and len(history["items"]) >= 1

    eventually(ingested, "the poller ingested the seeded requests, outcomes and settings change")
    return conversation_id


def eventually(condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)  # a poll interval, not a synchronisation: the condition decides
    raise AssertionError(f"not within {seconds} s: {what}")


class Console:
    """One signed-in page; the URLs it requested and what the browser reported (page errors, CSP violations)."""

    def __init__(self, context: Any, base: str) -> None:
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)

    def sign_in(self, link: str) -> Any:
        return self.page.goto(link)

    def go(self, hash_route: str, ready: str) -> Any:
        """Show the view at `hash_route` (no page load) and wait for `ready`, a selector of its rendered content."""
        self.page.evaluate("route => { window.location.hash = route; }", hash_route)
        locator = self.page.locator(ready).first
        locator.wait_for(state="attached")
        return locator

    def shot(self, output: Path, name: str) -> Path:
        path = output / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def console_link(stack: Stack, role: str) -> str:
    """The console link `make run` prints for `role` (devstack.stack.print_banner), as a developer would paste it."""
    from devstack.stack import print_banner

    printed = io.StringIO()
    with redirect_stdout(printed):
        print_banner(stack.api, stack.env)
    [line] = [line for line in printed.getvalue().splitlines() if line.strip().startswith(f"{role}:") and "/console#token=" in line]
    return line.split(":", 1)[1].strip()


@pytest.fixture(scope="session")
def staff(browser: Any, console_stack: Seeded) -> Iterator[dict[str, Console]]:
    """A page per staff role, signed in with the link `make run` prints, English."""
    pages: dict[str, Console] = {}
    for role in STAFF:
        console = Console(browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}), console_stack.stack.api)
        response = console.sign_in(console_link(console_stack.stack, role))
        assert response is not None and response.status == 200
        console.page.locator("#view-home .cards").wait_for()
        console.first_response = response  # type: ignore[attr-defined]
        pages[role] = console
    yield pages
    for console in pages.values():
        console.context.close()
