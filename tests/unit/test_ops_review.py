"""Operations review (review3): `make capacity` refuses arguments that mean nothing; `make package` ships no local leftovers."""

from __future__ import annotations

import collections
import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from capacity.__main__ import main as capacity_main


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--taps-per-day", "nan"], "--taps-per-day must be positive"),
        (["--taps-per-day", "inf"], "--taps-per-day must be positive"),
        (["--peak-factor", "-1"], "--peak-factor must be at least 1"),
        (["--peak-factor", "0"], "--peak-factor must be at least 1"),
        (["--peak-factor", "nan"], "--peak-factor must be at least 1"),
        (["--sellers", "0"], "--sellers must be from 1"),  # was IndexError from the simulation
        (["--sellers", "-5"], "--sellers must be from 1"),
        (["--sellers", "1000000000"], "--sellers must be from 1"),  # was tens of GB of memory before any output
        (["--zipf", "-3"], "--zipf must be 0"),
        (["--zipf", "nan"], "--zipf must be 0"),
        (["--sample", "999"], "--sample must be from 1,000"),
        (["--sample", "1000000000"], "--sample must be from 1,000"),  # was a day of simulating before any output
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_make_capacity_refuses_nonsense_with_one_line_and_status_2(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        capacity_main([*argv, "--taps-per-day", "1000000"] if "--taps-per-day" not in argv else argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and says in err.splitlines()[-1] and "Traceback" not in err


def test_make_capacity_still_takes_the_edges(capsys: pytest.CaptureFixture[str]) -> None:
    assert capacity_main(["--taps-per-day", "1000000", "--peak-factor", "1", "--sellers", "1", "--zipf", "0", "--sample", "1000"]) == 0
    assert "busiest partition key" in capsys.readouterr().out


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
