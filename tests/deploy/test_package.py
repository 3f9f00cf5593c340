"""`make package STAGE=prod`: a template cfn-lint accepts, least-privilege IAM on this stack's ARNs, a lean zip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.policy_coverage import PROJECT_DIR, policy_actions, violations

sys.path.insert(0, str(PROJECT_DIR / "infra"))
import package as infra_package

DATA_RESOURCES = {"SellerTable", "PolicyTable", "SupportRequestsTable", "SupportQueue", "SupportDeadLetterQueue"}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    infra_package.package("prod", out)
    return out


@pytest.fixture(scope="session")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text())


def test_cfn_lint_accepts_the_packaged_template(packaged: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(packaged / "sam.json")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deployment_zip_is_lean(packaged: Path) -> None:
    zip_path = packaged / "deployment.zip"
    print(f"\ndeployment.zip {zip_path.stat().st_size / 1e6:.2f} MB, heaviest: {infra_package.heaviest_packages(zip_path)}")
    assert infra_package.check_zip(zip_path) == []


def test_api_path_ships_bytecode_and_the_authorizer_path_does_not_need_to(packaged: Path) -> None:
    """/var/task is read-only: without .pyc files every cold start would compile pydantic and chalice again."""
    import zipfile

    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = set(archive.namelist())
    assert "__pycache__/app.cpython-311.pyc" in names
    assert "pydantic/__pycache__/main.cpython-311.pyc" in names
    assert "chalicelib/__pycache__/resolver.cpython-311.pyc" in names
    assert not any(name.startswith(("jwt/__pycache__", "cryptography/")) and name.endswith(".pyc") for name in names)


def roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def test_every_role_is_its_policy_file_and_data_actions_name_this_stacks_resources(template: dict[str, Any]) -> None:
    expected = {"ApiHandlerRole": "api_handler", "JwtAuthRole": "jwt_auth", "SupportIngestRole": "support_ingest"}
    assert set(roles(template)) == set(expected)
    for role_name, policy_name in expected.items():
        [policy] = roles(template)[role_name]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == json.loads((PROJECT_DIR / "policies" / f"{policy_name}.json").read_text())
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            assert "*" not in json.dumps(actions), f"{role_name}: wildcard action"
            for resource in statement["Resource"]:
                assert resource != "*", f"{role_name}: Resource *"
                if any(a.startswith(("dynamodb:", "sqs:")) for a in actions):
                    assert resource.get("Fn::GetAtt", [None])[0] in DATA_RESOURCES, resource
                else:
                    assert "${AWS::StackName}" in resource["Fn::Sub"]  # its own log group


def test_support_staff_policy_is_the_cli_policy_file_on_this_stacks_resources(template: dict[str, Any]) -> None:
    staff = template["Resources"]["SupportStaffPolicy"]
    assert staff["Type"] == "AWS::IAM::ManagedPolicy"
    assert staff["Properties"]["PolicyDocument"] == json.loads((PROJECT_DIR / "policies" / "support_cli.json").read_text())
    for statement in staff["Properties"]["PolicyDocument"]["Statement"]:
        for resource in statement["Resource"]:
            named = resource.get("Fn::GetAtt", [None])[0] or resource["Fn::Sub"].split(".Arn}")[0].lstrip("${")
            assert named in DATA_RESOURCES, resource
    assert template["Outputs"]["SupportStaffPolicyArn"] == {"Description": "Attach to the support staff role that runs support_cli.", "Value": {"Ref": "SupportStaffPolicy"}}


def test_lambdas_point_at_this_stacks_resources(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    api_env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["SELLER_TABLE_NAME"] == {"Ref": "SellerTable"} and api_env["SUPPORT_QUEUE_URL"] == {"Ref": "SupportQueue"}
    assert resources["JwtAuth"]["Properties"]["Environment"]["Variables"]["JWT_PUBLIC_KEY"] == {"Ref": "JwtPublicKey"}
    ingest = resources["SupportIngest"]["Properties"]
    assert ingest["Environment"]["Variables"]["SUPPORT_REQUESTS_TABLE_NAME"] == {"Ref": "SupportRequestsTable"}
    source = ingest["Events"]["SupportIngestSqsEventSource"]["Properties"]
    assert source["Queue"] == {"Fn::Sub": "${SupportQueue.Arn}"}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_prod_data_is_protected_and_queues_dead_letter(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    for table in ("SellerTable", "SupportRequestsTable"):
        props = resources[table]["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST" and props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] is True and resources[table]["DeletionPolicy"] == "Retain"
    queue, dlq = resources["SupportQueue"]["Properties"], resources["SupportDeadLetterQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SupportDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600 and queue["SqsManagedSseEnabled"] and dlq["SqsManagedSseEnabled"]
    assert resources["NotFoundResponse"]["Properties"]["StatusCode"] == "404"
    assert {"SupportQueueUrl", "EndpointURL"} <= set(template["Outputs"])


def test_dev_tables_can_be_deleted_prod_tables_cannot() -> None:
    dev = infra_package.merge_template_for("dev")["Resources"]["SellerTable"]
    assert dev["Properties"]["DeletionProtectionEnabled"] is False


def test_unknown_or_missing_stage_fails_loudly() -> None:
    result = subprocess.run(["make", "-s", "check-stage", "STAGE=staging"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "unknown STAGE 'staging'" in result.stderr
    result = subprocess.run(["make", "-s", "package"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "set STAGE to one of: local dev prod" in result.stderr
    with pytest.raises(SystemExit, match="unknown stage 'staging'"):
        infra_package.package("staging", PROJECT_DIR / "out" / "never")


def test_stages_use_the_same_policy_files() -> None:
    assert policy_actions("local") == policy_actions("dev") == policy_actions("prod")


def test_policy_coverage_check_catches_an_unlisted_call_and_an_unused_grant() -> None:
    allowed = {"api_handler": {"dynamodb:GetItem", "logs:PutLogEvents"}}
    assert violations({"api_handler": {"dynamodb:GetItem"}}, allowed) == []
    assert violations({"api_handler": {"dynamodb:GetItem", "dynamodb:Scan"}}, allowed) == [
        "api_handler calls dynamodb:Scan, which policies/ does not allow"
    ]
    assert violations({"api_handler": set()}, allowed) == ["api_handler is allowed dynamodb:GetItem, which no test saw it use"]
