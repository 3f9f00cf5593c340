"""Build the deployable artefacts for one stage: out/sam.json (Chalice's template + infra/) and out/deployment.zip.

    python infra/package.py --stage prod [--out out]      (make package STAGE=prod)

Needs AWS_DEFAULT_REGION and the package index; no AWS credentials.
"""

from __future__ import annotations

import argparse
import json
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
MAX_ZIP_BYTES = 10 * 1024 * 1024
NEVER_VENDORED = ("boto3", "botocore", "s3transfer")  # the Lambda runtime has them


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
    return deep_merge(template, json.loads(overlay.read_text())) if overlay.exists() else template


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
        problems.append(f"deployment.zip is {size / 1e6:.1f} MB, over {MAX_ZIP_BYTES / 1e6:.1f} MB")
    with zipfile.ZipFile(zip_path) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    problems += [f"{name} is vendored; the Lambda runtime provides it" for name in NEVER_VENDORED if name in tops]
    return problems


def package(stage: str, out: Path) -> Path:
    if stage not in stages():
        raise SystemExit(f"unknown stage {stage!r}: .chalice/config.json has {', '.join(stages())}")
    with tempfile.TemporaryDirectory() as tmp:
        merge = Path(tmp) / "merge.json"
        merge.write_text(json.dumps(merge_template_for(stage)))
        build = Path(tmp) / "out"
        chalice = Path(sys.executable).parent / "chalice"
        subprocess.run(
            [str(chalice), "package", "--stage", stage, "--merge-template", str(merge), str(build)],
            cwd=PROJECT_DIR, check=True,
        )
        out.mkdir(parents=True, exist_ok=True)
        for name in ("sam.json", "deployment.zip"):
            shutil.copy(build / name, out / name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "out")
    args = parser.parse_args(argv)
    out = package(args.stage, args.out)
    zip_path = out / "deployment.zip"
    print(f"{out / 'sam.json'}\n{zip_path}: {zip_path.stat().st_size / 1e6:.2f} MB; heaviest packages:")
    for name, size in heaviest_packages(zip_path):
        print(f"  {size / 1e6:5.2f} MB  {name}")
    problems = check_zip(zip_path)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
