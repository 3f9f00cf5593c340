"""The house rules that import-linter and ruff do not check (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_init_is_empty_but_for_its_docstring() -> None:
    """An __init__.py that imports would load its whole package with any one module: lazy imports stay lazy only so."""
    inits = sorted((ROOT / "chalicelib").rglob("__init__.py"))
    assert len(inits) >= 9
    for init in inits:
        body = ast.parse(init.read_text()).body
        assert all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                   for node in body), f"{init.relative_to(ROOT)} holds code"
        assert len(body) == 1, f"{init.relative_to(ROOT)}: one line saying what the package is"


def test_only_the_wiring_builds_a_store() -> None:
    """A store is constructed (Dynamo...Store(...) or SqsEventPublisher(...)) in chalicelib/wiring.py alone."""
    builders = []
    for module in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name.startswith("Dynamo") or name in ("SqsEventPublisher", "SupportRequestStore"):
                    builders.append((str(module.relative_to(ROOT)), name))
    assert {module for module, _ in builders} == {"chalicelib/wiring.py"}, builders


def test_app_py_is_a_table_of_contents() -> None:
    """app.py: Chalice(), the authorizer, the route groups and the queue consumer; no route of its own."""
    source = (ROOT / "app.py").read_text()
    assert "@app.route" not in source and "@app.middleware" not in source
    assert source.count("@app.") == 5  # the authorizer, the queue consumer, the conversation sweep, the relay's S3 event, retention's stream
