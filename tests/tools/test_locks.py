"""Every install goes through a lock with hashes, and `make lock` reports what a refresh changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack import lock

PROJECT_DIR = Path(__file__).resolve().parents[2]


LOCK_FILES = [lock_name for _source, lock_name in lock.LOCKS]


@pytest.mark.parametrize("lock_name", LOCK_FILES)
def test_every_pinned_package_carries_a_hash(lock_name: str) -> None:
    text = (PROJECT_DIR / lock_name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    pinned = [entry for entry in entries if "==" in entry.splitlines()[0]]
    assert pinned, f"{lock_name} pins nothing"
    assert [entry.splitlines()[0] for entry in pinned if "--hash=sha256:" not in entry] == []
    assert not [line for line in text.splitlines() if line and line[0].isalnum() and "==" not in line]


def test_the_runtime_lock_holds_no_dev_tool_and_no_boto3() -> None:
    runtime = lock.pins((PROJECT_DIR / "requirements.txt").read_text())
    assert {"pydantic", "pyjwt", "cryptography"} <= runtime.keys()
    assert not runtime.keys() & {"boto3", "botocore", "chalice", "moto", "pytest", "uv", "checkov"}


def test_the_dev_venv_runs_the_runtime_lock_versions() -> None:
    runtime = lock.pins((PROJECT_DIR / "requirements.txt").read_text())
    dev = lock.pins((PROJECT_DIR / "requirements-dev.txt").read_text())
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_install_in_the_makefile_and_ci_requires_hashes() -> None:
    scripts = (PROJECT_DIR / "Makefile").read_text() + (PROJECT_DIR / ".ci" / "run").read_text()
    installs = [line.strip() for line in scripts.splitlines() if re.search(r"pip (install|sync)", line)]
    assert installs
    unlocked = [
        line for line in installs
        if "--require-hashes" not in line and not ("-e ." in line and "--no-deps" in line)  # our own tooling, no deps
    ]
    assert unlocked == []


def test_a_refresh_reports_upgrades_additions_and_removals() -> None:
    before = "cryptography==51.0.0 \\\n    --hash=sha256:aa\ncffi==2.1.1 \\\n    --hash=sha256:bb\nold-thing==1.0\n"
    after = "cryptography==51.0.1 \\\n    --hash=sha256:cc\ncffi==2.1.1 \\\n    --hash=sha256:bb\nPyJWT[crypto]==2.15.1\n"
    assert [str(change) for change in lock.changes(before, after)] == [
        "  cryptography 51.0.0 -> 51.0.1",
        "  - old-thing 1.0",
        "  + pyjwt 2.15.1",
    ]
    assert lock.changes(before, before) == []
