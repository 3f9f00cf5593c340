"""Build the deployable artefacts for one stage: out/sam.json (Chalice's template + infra/) and out/deployment.zip.

    python infra/package.py --stage prod [--out out]      (make package STAGE=prod)

Needs AWS_DEFAULT_REGION and the package index; no AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
INFRA = PROJECT_DIR / "infra"
# The goal is 10 MB (make bench reports the size against it). The guard sits at 12 MB, over the locked 10.1 MB,
# so that a security release of a dependency (cryptography grew 0.17 MB in one) can ship without a fight.
ZIP_GOAL_BYTES = 10_000_000
MAX_ZIP_BYTES = 12_000_000
NEVER_VENDORED = ("boto3", "botocore", "s3transfer")  # the Lambda runtime has them
# The only files under chalicelib/ that are not Python: the console's text files, served by the API
# (chalicelib/api/console.py ASSETS; a test keeps the two lists the same).
SHIPPED_ASSETS = frozenset({"chalicelib/console/index.html", "chalicelib/console/console.js", "chalicelib/console/console.css"})


def stages() -> list[str]:
    return sorted(json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())["stages"])


def deep_merge(base: Any, override: Any) -> Any:
    """Like Chalice's --merge-template: dicts merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: deep_merge(base.get(key), value) for key, value in override.items()}}
    return override


def merge_template_for(stage: str) -> dict[str, Any]:
    template = json.loads((INFRA / "resources.json").read_text())
    # Support staff run support_cli with their own role; policies/support_cli.json is what to attach to it.
    template["Resources"]["SupportStaffPolicy"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": "Least privilege for support_cli: read support requests, inspect and redrive dead letters.",
            "PolicyDocument": json.loads((PROJECT_DIR / "policies" / "support_cli.json").read_text()),
        },
    }
    template["Outputs"]["SupportStaffPolicyArn"] = {
        "Description": "Attach to the support staff role that runs support_cli.",
        "Value": {"Ref": "SupportStaffPolicy"},
    }
    overlay = INFRA / f"{stage}.json"
    merged: dict[str, Any] = deep_merge(template, json.loads(overlay.read_text())) if overlay.exists() else template
    return merged


def heaviest_packages(zip_path: Path, count: int = 3) -> list[tuple[str, int]]:
    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            sizes[info.filename.split("/")[0]] += info.compress_size
    return sizes.most_common(count)


def check_zip(zip_path: Path) -> list[str]:
    problems = []
    size = zip_path.stat().st_size
    if size > MAX_ZIP_BYTES:
        problems.append(f"deployment.zip is {size / 1e6:.2f} MB, over {MAX_ZIP_BYTES / 1e6:.0f} MB")
    with zipfile.ZipFile(zip_path) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    problems += [f"{name} is vendored; the Lambda runtime provides it" for name in NEVER_VENDORED if name in tops]
    problems += [
        f"{name} is not a module: chalice ships every file under chalicelib/ (an editor's swap file, a local .env...);"
        " move it out of chalicelib/ or delete it"
        for name in stray_project_files(zip_path)
    ]
    return problems


def stray_project_files(zip_path: Path) -> list[str]:
    """Files of ours in the zip that are neither source, the bytecode precompile_api_path adds, nor a console file."""
    with zipfile.ZipFile(zip_path) as archive:
        return sorted(
            name for name in archive.namelist()
            if name.startswith("chalicelib/") and not name.endswith("/") and not name.endswith(".py")
            and not _is_bytecode(name) and name not in SHIPPED_ASSETS
        )


def _is_bytecode(name: str) -> bool:
    return "/__pycache__/" in name and name.endswith(".pyc")


# What a fresh api_handler imports and runs for one resolution; its modules get precompiled bytecode.
TRACE_API_PATH = """
import json, sys
from datetime import datetime, timezone
import app
from chalicelib.models.common import Caller, Topic
from chalicelib.models.resolution import BatchRequest
from chalicelib.contacts.resolution import ResolutionService
import chalicelib.sellers.store, chalicelib.support.publisher, chalicelib.shared.aws, chalicelib.platform_policy.store
import chalicelib.platform_policy.cached, chalicelib.contacts.tally, chalicelib.contacts.reads, chalicelib.answers.shown, chalicelib.answers.store
import chalicelib.shared.cache, chalicelib.contacts.limits

class Store:
    def get(self, seller_id): return None
    def get_many(self, ids): return {}, set()

class Publisher:
    def publish(self, events): return len(events)

service = ResolutionService(Store(), Publisher())
caller = Caller(sub="trace", role="buyer")
service.resolve_one("s1", Topic.OTHER, caller, "trace")[0].model_dump_json()
service.resolve_batch(BatchRequest(seller_ids=["s1", "s2"]), caller, "trace")[0].model_dump_json()
root = sys.argv[1]
print(json.dumps(sorted(m.__file__ for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").startswith(root))))
"""


def precompile_api_path(zip_path: Path) -> int:
    """Add bytecode for the modules a fresh api_handler imports; returns how many.

    Lambda's /var/task is read-only, so without .pyc files every cold start compiles pydantic and
    chalice from source (measured: import app ~190 ms without, ~85 ms with). Unchecked-hash .pyc files
    are used as they are; a runtime with another bytecode version ignores them and compiles as before.
    """
    import py_compile

    if sys.version_info[:2] != (3, 11):
        print(f"not precompiling: this is Python {sys.version_info[0]}.{sys.version_info[1]}, Lambda runs 3.11", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
        traced = subprocess.run(
            [sys.executable, "-B", "-c", TRACE_API_PATH, str(root)],
            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, check=True,
        )
        sources = [Path(f) for f in json.loads(traced.stdout) if f.endswith(".py")]
        with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for source in sources:
                compiled = py_compile.compile(str(source), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                if compiled is None:  # only without doraise; keeps mypy sure of the type
                    raise RuntimeError(f"could not compile {source}")
                cached = Path(compiled)
                archive.write(cached, cached.relative_to(root).as_posix())
    return len(sources)


# Vendored files no Lambda ever loads: type stubs, and pydantic's v1 compatibility package (we use v2 only).
NEVER_LOADED = (".pyi",)
NEVER_LOADED_DIRS = ("pydantic/v1/",)


def prune(zip_path: Path) -> int:
    """Rewrite the zip without files no Lambda loads; returns the bytes saved.

    Also without the developer's own chalicelib/__pycache__ (chalice packs every file under chalicelib/): that
    bytecode is timestamp-checked, so useless on Lambda, and precompile_api_path adds the same names again, which
    left duplicate entries and 0.2 MB that put the zip over its 10 MB limit on any machine that had run the tests.
    """
    before = zip_path.stat().st_size
    pruned = zip_path.with_suffix(".pruned")
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(pruned, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename.endswith(NEVER_LOADED) or info.filename.startswith(NEVER_LOADED_DIRS):
                continue
            if info.filename.startswith("chalicelib/") and _is_bytecode(info.filename):
                continue
            target.writestr(info, source.read(info))
    pruned.replace(zip_path)
    return before - zip_path.stat().st_size


OUTPUTS = ("sam.json", "deployment.zip")


def package(stage: str, out: Path, precompile: bool = True) -> Path:
    if stage not in stages():
        raise SystemExit(f"unknown stage {stage!r}: .chalice/config.json has {', '.join(stages())}")
    with tempfile.TemporaryDirectory() as tmp:
        merge = Path(tmp) / "merge.json"
        merge.write_text(json.dumps(merge_template_for(stage)))
        build = Path(tmp) / "out"
        # The template uses ${AWS::Region}; chalice only insists on some region being set.
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")}
        result = subprocess.run(  # the chalice CLI, with relay_inbound's S3 event left to infra/ (chalice_package.py)
            [sys.executable, str(INFRA / "chalice_package.py"), "package", "--stage", stage, "--merge-template", str(merge), str(build)],
            cwd=PROJECT_DIR, env=env, check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"chalice package failed for stage {stage!r} (its output is above)")
        out.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS:
            shutil.copy(build / name, out / name)
    print(f"pruned {prune(out / 'deployment.zip') / 1e3:.0f} KB of type stubs, pydantic.v1 and local bytecode")
    if precompile:
        print(f"precompiled {precompile_api_path(out / 'deployment.zip')} modules of the API handler's path")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "out")
    args = parser.parse_args(argv)
    # Nothing half-built or half-checked is left to upload by hand (aws cloudformation package, a copy of out/):
    # the last run's outputs go first, and this run's stay only once checked.
    remove_outputs(args.out)
    try:
        out = package(args.stage, args.out)
        zip_path = out / "deployment.zip"
        print(f"{out / 'sam.json'}\n{zip_path}: {zip_path.stat().st_size / 1e6:.2f} MB; heaviest packages:")
        for name, size in heaviest_packages(zip_path):
            print(f"  {size / 1e6:5.2f} MB  {name}")
        problems = check_zip(zip_path)
    except BaseException:
        remove_outputs(args.out)
        raise
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        remove_outputs(out)
        print(f"error: removed {out / 'sam.json'} and {zip_path}: nothing there to deploy", file=sys.stderr)
    return 1 if problems else 0


def remove_outputs(out: Path) -> None:
    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
