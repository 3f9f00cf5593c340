"""`make package STAGE=prod`: a template cfn-lint accepts, least-privilege IAM on this stack's ARNs, a lean zip."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.policy_coverage import PROJECT_DIR, policy_actions, violations

sys.path.insert(0, str(PROJECT_DIR / "infra"))
import package as infra_package

DATA_RESOURCES = {
    "SellerTable", "PolicyTable", "SupportRequestsTable", "AnswersTable", "SupportQueue", "SupportDeadLetterQueue",
    "ConversationsTable", "RelayFailedQueue", "RetentionFailedQueue",
}
# Resources named by a computed ARN instead of Fn::GetAtt (test_relay_template.py checks each): the relay's bucket (its
# notification names the function, whose role names the bucket: a GetAtt would be a cycle) and the SES identity and
# configuration set (ARNs CloudFormation does not return).
NAMED_BY_ARN = ("s3:", "ses:")


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
    assert "chalicelib/contacts/__pycache__/ranking.cpython-311.pyc" in names
    assert not any(name.startswith(("jwt/__pycache__", "cryptography/")) and name.endswith(".pyc") for name in names)


# The only statements with Resource "*": actions IAM cannot scope to a resource (no resource type, no condition key).
UNSCOPABLE = {
    # cloudwatch:GetMetricData names no resource (IAM's service authorization reference); read-only, #/queue's oldest ages.
    ("ApiHandlerRole", "ConsoleReadsQueueAgeMetric", ("cloudwatch:GetMetricData",)),
}


def roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def test_every_role_is_its_policy_file_and_data_actions_name_this_stacks_resources(template: dict[str, Any]) -> None:
    expected = {
        "ApiHandlerRole": "api_handler", "JwtAuthRole": "jwt_auth", "SupportIngestRole": "support_ingest",
        "RelayInboundRole": "relay_inbound", "ConversationSweepRole": "conversation_sweep",
        "ConversationRetentionRole": "conversation_retention",
    }
    assert set(roles(template)) == {*expected, "ApiGatewayLogsRole"}
    gateway_logs = roles(template)["ApiGatewayLogsRole"]["Properties"]  # API Gateway's own, AWS managed policy only
    assert "Policies" not in gateway_logs and [p["Fn::Sub"].rsplit("/", 1)[1] for p in gateway_logs["ManagedPolicyArns"]] == ["AmazonAPIGatewayPushToCloudWatchLogs"]
    unscoped: set[tuple[str, str, tuple[str, ...]]] = set()
    for role_name, policy_name in expected.items():
        [policy] = roles(template)[role_name]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == json.loads((PROJECT_DIR / "policies" / f"{policy_name}.json").read_text())
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            assert "*" not in json.dumps(actions), f"{role_name}: wildcard action"
            for resource in statement["Resource"]:
                if resource == "*" and (role_name, statement["Sid"], tuple(actions)) in UNSCOPABLE:
                    unscoped.add((role_name, statement["Sid"], tuple(actions)))
                    continue
                assert resource != "*", f"{role_name}: Resource *"
                if any(a.startswith(("dynamodb:", "sqs:")) for a in actions):
                    named = resource.get("Fn::GetAtt", [None])[0] or resource["Fn::Sub"].split(".Arn}")[0].lstrip("${")
                    assert named in DATA_RESOURCES, resource
                elif all(a.startswith(NAMED_BY_ARN) for a in actions):
                    assert resource["Fn::Sub"].startswith("arn:${AWS::Partition}:"), resource
                elif actions == ["kms:Decrypt"]:  # its own environment, encrypted with this stack's key
                    assert resource == {"Fn::GetAtt": ["LambdaEnvironmentKey", "Arn"]}, resource
                else:
                    assert "${AWS::StackName}" in resource["Fn::Sub"]  # its own log group

    assert unscoped == UNSCOPABLE  # each exception is in use, alone in its statement


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


RUNTIME_MODULES = {"app.py", "chalicelib"}  # what the Lambdas import; everything else of ours stays on laptops


def project_modules() -> set[str]:
    """Top-level Python modules and packages of this repository (app.py, chalicelib, devstack, support_cli, tests...)."""
    return {
        path.name for path in PROJECT_DIR.iterdir()
        if (path.suffix == ".py" and path.is_file()) or (path.is_dir() and not path.name.startswith(".") and any(path.rglob("*.py")))
    }


def imported_project_modules(source: str, root: Path) -> set[str]:
    """Project modules `source` imports (at any depth, function-level imports included), as zip paths."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            path = name.replace(".", "/")
            for candidate in (f"{path}.py", f"{path}/__init__.py"):
                if (root / candidate).exists():
                    found.add(candidate)
    return found


def runtime_import_closure(root: Path) -> set[str]:
    """Everything app.py (the three Lambdas' entry point) can import from the project, following imports."""
    reached, todo = set(), ["app.py"]
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        parents = Path(module).parents
        todo += [f"{parent}/__init__.py" for parent in parents if str(parent) != "." and (root / parent / "__init__.py").exists()]
        todo += sorted(imported_project_modules((root / module).read_text(), root) - reached)
    return reached


def test_deployment_zip_ships_only_runtime_project_modules(packaged: Path, tmp_path: Path) -> None:
    """Only app.py and chalicelib/ ship, and every shipped module of ours is one the Lambdas can import."""
    import zipfile

    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path, [n for n in names if n.split("/")[0] in project_modules()])
    tops = {name.split("/")[0] for name in names}
    assert {"devstack", "support_cli", "tests", "infra"} <= project_modules()  # the check below can see tooling
    assert tops & project_modules() == RUNTIME_MODULES
    shipped = {name for name in names if name.endswith(".py") and name.split("/")[0] in RUNTIME_MODULES}
    print(f"\nproject modules in deployment.zip: {sorted(shipped)}")
    assert shipped - runtime_import_closure(tmp_path) == set(), "shipped, but no Lambda imports it"


def test_the_import_closure_check_sees_an_unused_module(tmp_path: Path) -> None:
    (tmp_path / "chalicelib").mkdir()
    (tmp_path / "app.py").write_text("from chalicelib import used\n\ndef handler():\n    import chalicelib.lazy\n")
    for name in ("__init__", "used", "lazy", "local_stack"):
        (tmp_path / "chalicelib" / f"{name}.py").write_text("")
    reached = runtime_import_closure(tmp_path)
    assert {"app.py", "chalicelib/used.py", "chalicelib/lazy.py", "chalicelib/__init__.py"} <= reached
    assert "chalicelib/local_stack.py" not in reached


def checkov_results(template_path: Path) -> dict[str, Any]:
    checkov = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"
    assert checkov.exists(), "checkov has a venv of its own: run `make checkov-install` (make test does)"
    result = subprocess.run(
        [str(checkov), "-f", str(template_path), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(template_path.parent)},
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_checkov_passes_the_prod_template_and_every_skip_is_explained_in_the_deploy_doc(packaged: Path) -> None:
    report = checkov_results(packaged / "sam.json")
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 50
    deploy_doc = (PROJECT_DIR / "docs" / "deploy.md").read_text()
    for check in report["results"]["skipped_checks"]:
        assert len(check["check_result"]["suppress_comment"]) > 40, check["resource"]  # a reason, not a shrug
        resource = check["resource"].split(".")[-1]
        assert re.search(rf"\| `{check['check_id']}` \|[^\n]*`{resource}`", deploy_doc), f"docs/deploy.md lacks {check['check_id']} on {resource}"


def test_observability_and_limits_are_wired(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    api = resources["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    log_format = json.loads(api["AccessLogSetting"]["Format"])
    assert {"requestId", "sourceIp", "principal", "resourcePath", "status", "latencyMs", "integrationLatencyMs"} <= set(log_format)
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "AccessLogRetentionDays"}
    assert all(s["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"} for s in api["MethodSettings"])
    source = resources["SupportIngest"]["Properties"]["Events"]["SupportIngestSqsEventSource"]["Properties"]
    assert source["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SupportIngestMaxConcurrency"}}

    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    watched = {(a["Namespace"], a["MetricName"], json.dumps(a["Dimensions"][0]["Value"])) for a in alarms.values() if "Dimensions" in a}
    assert watched >= {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", json.dumps({"Fn::GetAtt": ["SupportDeadLetterQueue", "QueueName"]})),
        # a backlog: SQS deletes what waits past the retention without dead-lettering it
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", json.dumps({"Fn::GetAtt": ["SupportQueue", "QueueName"]})),
        ("AWS/Lambda", "Errors", json.dumps({"Ref": "SupportIngest"})),
        ("AWS/Lambda", "Errors", json.dumps({"Ref": "APIHandler"})),
        ("AWS/Lambda", "Throttles", json.dumps({"Ref": "APIHandler"})),
    }
    assert alarms["DeadLettersAlarm"]["Threshold"] == 1
    latency = alarms["ResolutionLatencyAlarm"]
    assert latency["ExtendedStatistic"] == "p99" and latency["Threshold"] == {"Ref": "ResolutionLatencyP99ThresholdMs"}
    assert {"Name": "Resource", "Value": "/v1/sellers/{seller_id}/contact-options"} in latency["Dimensions"]
    assert {a["MetricName"] for a in alarms.values() if a["Namespace"] == "AWS/ApiGateway"} == {"5XXError", "Latency"}
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    # Answers that stay 200 while something is lost: alarms on the api_handler's own log lines.
    filters = {r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"}
    counted = {
        "SupportEventsUndelivered": ["support_event_undelivered"],
        "RevealTallyUnavailable": ["reveal_tally_unavailable"],
        "SettingsUnavailable": ["settings_unavailable"],  # one line per request, however many sellers or reads
    }
    for metric, messages in counted.items():
        assert filters[metric]["FilterPattern"] == "{ " + " || ".join(f'$.msg = "{message}"' for message in messages) + " }"
        assert filters[metric]["LogGroupName"] == {"Ref": "APIHandlerLogGroup"}
        assert alarms[f"{metric}Alarm"]["MetricName"] == metric and alarms[f"{metric}Alarm"]["Statistic"] == "Sum"
        for message in messages:  # a renamed log line would leave its alarm silent
            assert any(f'"{message}"' in path.read_text() for path in (PROJECT_DIR / "chalicelib").rglob("*.py")), message
    # A wrong or rotated identity-provider key denies everyone with 403, which no 5XX alarm sees.
    signature = filters["TokenSignatureRejected"]
    assert signature["LogGroupName"] == {"Ref": "JwtAuthLogGroup"} and '$.msg = "token_rejected"' in signature["FilterPattern"]
    assert alarms["TokenSignatureRejectedAlarm"]["MetricName"] == "TokenSignatureRejected"
    for reason in ("InvalidSignatureError", "InvalidKeyError", "InvalidAlgorithmError", "no JWT_PUBLIC_KEY or JWT_SECRET configured"):
        assert f'$.reason = "{reason}"' in signature["FilterPattern"]
    assert "no JWT_PUBLIC_KEY or JWT_SECRET configured" in (PROJECT_DIR / "chalicelib" / "shared" / "auth.py").read_text()
    # A week to notice and catch up; the DLQ keeps a message 14 days from its first enqueue (SQS keeps that time when
    # it moves), so a message dead-lettered after a week's backlog still has a week there.
    queue, dead_letters = resources["SupportQueue"]["Properties"], resources["SupportDeadLetterQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 7 * 24 * 3600 < dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    parameters = template["Parameters"]
    # secrets, and the relay's own domain: no default
    assert all("Default" in parameters[name] for name in parameters if name not in ("JwtPublicKey", "FeedbackKey", "RelayDomain"))


def test_a_package_that_fails_its_check_leaves_nothing_to_deploy(tmp_path: Path, monkeypatch: Any) -> None:
    """Was: `make package` exited 2 but left out/<stage>/deployment.zip with the stray chalicelib/.env inside."""
    import zipfile

    def package_with_a_stray_file(stage: str, out: Path) -> Path:
        out.mkdir(parents=True)
        (out / "sam.json").write_text("{}")
        with zipfile.ZipFile(out / "deployment.zip", "w") as archive:
            archive.writestr("app.py", "")
            archive.writestr("chalicelib/__init__.py", "")
            archive.writestr("chalicelib/.env", "SECRET=1\n")
        return out

    monkeypatch.setattr(infra_package, "package", package_with_a_stray_file)
    assert infra_package.main(["--stage", "prod", "--out", str(tmp_path / "prod")]) == 1
    assert list((tmp_path / "prod").iterdir()) == []


def test_a_package_that_fails_midway_leaves_neither_its_outputs_nor_the_last_runs(tmp_path: Path, monkeypatch: Any) -> None:
    """Was: a failure after the copy (pruning, precompiling) left this run's outputs; a failed chalice package, the
    last run's."""
    out = tmp_path / "prod"
    out.mkdir()
    for name in infra_package.OUTPUTS:
        (out / name).write_text("the last run's")

    def package_failing_after_the_copy(stage: str, out: Path) -> Path:
        assert list(out.iterdir()) == []  # the last run's outputs are gone before this run writes
        (out / "sam.json").write_text("{}")
        (out / "deployment.zip").write_bytes(b"")
        raise SystemExit("precompiling failed")

    monkeypatch.setattr(infra_package, "package", package_failing_after_the_copy)
    with pytest.raises(SystemExit):
        infra_package.main(["--stage", "prod", "--out", str(out)])
    assert list(out.iterdir()) == []
