"""Debian's chromium for the browser tests (tests/browser/): installed when missing, its major version checked.

    python -m devstack.browser      (`make browser`, and so `make test`)

Playwright drives the system's chromium (`executable_path`), never a browser it downloads itself: a download is not
locked and these machines do not reach its CDN. Debian's package cannot be locked with hashes either, so its major
version is checked against MIN_CHROMIUM_MAJOR, the oldest the locked Playwright (requirements-dev.in) drives; an older
or missing one fails with one line. Raise the minimum with a Playwright upgrade.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

MIN_CHROMIUM_MAJOR = 120
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def chromium_version(path: str = CHROMIUM) -> tuple[int, str] | None:
    """(major, the version line) of the chromium at `path`; None when there is none."""
    if not os.access(path, os.X_OK):
        return None
    line = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=False).stdout.strip()
    match = re.search(r"(\d+)\.\d+", line)
    return (int(match.group(1)), line) if match else None


def problem(found: tuple[int, str] | None, path: str = CHROMIUM) -> str | None:
    """The one line that says why the browser tests cannot run, or None."""
    if found is None:
        return f"chromium: not found at {path}: install Debian's package (apt-get install chromium), or run make browser"
    major, line = found
    if major < MIN_CHROMIUM_MAJOR:
        return f"chromium: {line} at {path} is older than the minimum major version {MIN_CHROMIUM_MAJOR}: update Debian's chromium package"
    return None


def install() -> None:
    """apt-get update && apt-get install chromium (as root, or through sudo)."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        subprocess.run([*sudo, *command], env=environment, check=True)


def main() -> int:
    found = chromium_version()
    if found is None and CHROMIUM == "/usr/bin/chromium" and shutil.which("apt-get"):
        try:
            install()
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"chromium: apt-get install chromium failed ({exc}); install Debian's chromium package", file=sys.stderr)
            return 1
        found = chromium_version()
    if (reason := problem(found)) is not None:
        print(reason, file=sys.stderr)
        return 1
    assert found is not None  # nosec B101 - problem() said so (for mypy)
    print(f"{found[1]} (minimum major version {MIN_CHROMIUM_MAJOR})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
