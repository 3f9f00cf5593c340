"""Refresh the lock files (`make lock`), or check that they still match their .in files (`--check`).

    python -m devstack.lock            re-resolve every lock with the newest releases the .in files allow
    python -m devstack.lock --check    fail if a lock no longer matches its .in file (run by `make lint`)

Each lock is produced by uv (`uv pip compile --generate-hashes`) for the platform the Lambdas run on (Python 3.11,
manylinux x86_64), so the hashes cover the wheels `chalice package` downloads. What changed is printed as one line
per package, for the review of the diff.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Order matters: the dev lock is constrained by the runtime lock, so the runtime lock is refreshed first.
LOCKS = (
    ("requirements-uv.in", "requirements-uv.txt"),
    ("requirements.in", "requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
    ("requirements-checkov.in", "requirements-checkov.txt"),
)
TARGET = ("--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_17")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


@dataclass(frozen=True)
class Change:
    package: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"  + {self.package} {self.after}"
        if self.after is None:
            return f"  - {self.package} {self.before}"
        return f"  {self.package} {self.before} -> {self.after}"


def pins(lock_text: str) -> dict[str, str]:
    """Package name (normalised as PyPI does) -> pinned version."""
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in _PIN.findall(lock_text)}


def changes(before: str, after: str) -> list[Change]:
    old, new = pins(before), pins(after)
    return [
        Change(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def compile_lock(source: Path, output: Path, upgrade: bool) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not installed: run `make install` first")
    command = [uv, "pip", "compile", "--quiet", "--generate-hashes", "--no-header", *TARGET, str(source.name), "-o", str(output)]
    if upgrade:
        command.append("--upgrade")
    subprocess.run(command, cwd=source.parent, check=True)  # nosec B603: a fixed uv command line, no shell


def refresh(upgrade: bool) -> dict[str, list[Change]]:
    """Re-resolve each lock in place; returns what changed per lock file."""
    report: dict[str, list[Change]] = {}
    for source_name, lock_name in LOCKS:
        lock = PROJECT_DIR / lock_name
        before = lock.read_text() if lock.exists() else ""
        compile_lock(PROJECT_DIR / source_name, lock, upgrade)
        report[lock_name] = changes(before, lock.read_text())
    return report


def stale_locks() -> list[str]:
    """Lock files whose pins differ from a fresh resolution of their .in file without upgrades."""
    stale = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for name in [name for pair in LOCKS for name in pair]:
            shutil.copy(PROJECT_DIR / name, copy / name)
        for source_name, lock_name in LOCKS:
            compile_lock(copy / source_name, copy / lock_name, upgrade=False)
            if changes((PROJECT_DIR / lock_name).read_text(), (copy / lock_name).read_text()):
                stale.append(lock_name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make lock", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the locks match their .in files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_locks()
        for name in stale:
            print(f"{name} does not match its .in file: run `make lock` and commit the result", file=sys.stderr)
        return 1 if stale else 0
    for lock_name, changed in refresh(upgrade=True).items():
        print(f"{lock_name}: {'unchanged' if not changed else f'{len(changed)} changed'}")
        for change in changed:
            print(change)
    return 0


if __name__ == "__main__":
    sys.exit(main())
