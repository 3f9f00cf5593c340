"""infra/package.py without packaging: what it prunes and what it refuses."""

from __future__ import annotations

import collections
import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType


def _package_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("infra_package", Path(__file__).resolve().parents[2] / "infra" / "package.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_package_drops_the_developers_bytecode_and_refuses_stray_files_in_chalicelib(tmp_path: Path) -> None:
    """chalice zips every file under chalicelib/: a machine that had run the tests shipped its __pycache__ (duplicated
    by the precompile step, and 0.2 MB over the 10 MB limit), and a local .env or an editor's swap file shipped too."""
    package = _package_module()
    zip_path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name in ("app.py", "chalicelib/__init__.py", "chalicelib/service.py", "chalicelib/models/__init__.py",
                     "chalicelib/__pycache__/service.cpython-311.pyc", "chalicelib/models/__pycache__/__init__.cpython-311.pyc",
                     "pydantic/__init__.py", "pydantic/__pycache__/main.cpython-311.pyc"):
            archive.writestr(name, "x")
    package.prune(zip_path)
    with zipfile.ZipFile(zip_path, "a") as archive:  # what precompile_api_path then adds
        archive.writestr("chalicelib/__pycache__/service.cpython-311.pyc", "fresh")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert [n for n, c in collections.Counter(names).items() if c > 1] == []
    assert "chalicelib/models/__pycache__/__init__.cpython-311.pyc" not in names
    assert "pydantic/__pycache__/main.cpython-311.pyc" in names  # only our own directory is pruned
    assert package.check_zip(zip_path) == []

    with zipfile.ZipFile(zip_path, "a") as archive:
        archive.writestr("chalicelib/local.env", "JWT_SECRET=not-for-the-zip")
        archive.writestr("chalicelib/.service.py.swp", "x")
    problems = package.check_zip(zip_path)
    assert len(problems) == 2 and "chalicelib/local.env is not a module" in problems[1], problems
