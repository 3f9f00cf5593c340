"""make browser: Debian's chromium found, installed when missing, and refused with one line below the minimum."""

from __future__ import annotations

from devstack import browser


def test_a_missing_or_too_old_chromium_is_one_clear_line() -> None:
    missing = browser.problem(None, "/nowhere/chromium")
    old = browser.problem((browser.MIN_CHROMIUM_MAJOR - 1, "Chromium 119.0.1 built on Debian"), "/usr/bin/chromium")
    assert missing is not None and "\n" not in missing and "apt-get install chromium" in missing
    assert old is not None and "\n" not in old and f"minimum major version {browser.MIN_CHROMIUM_MAJOR}" in old
    assert browser.problem((browser.MIN_CHROMIUM_MAJOR, "Chromium"), "/usr/bin/chromium") is None


def test_the_version_line_is_read_from_the_binary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'Chromium 156.0.8078.129 built on Debian GNU/Linux 12 (bookworm)'\n")
    fake.chmod(0o755)
    assert browser.chromium_version(str(fake)) == (156, "Chromium 156.0.8078.129 built on Debian GNU/Linux 12 (bookworm)")
    assert browser.chromium_version(str(tmp_path / "absent")) is None
