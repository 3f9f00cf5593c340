"""The prod package, built once per session for every test of tests/deploy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.policy_coverage import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "infra"))
import package as infra_package


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    infra_package.package("prod", out)
    return out


@pytest.fixture(scope="session")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text())
