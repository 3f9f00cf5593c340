"""The masked e-mail relay in the packaged prod template: SES receives into a private one-day bucket whose event
invokes relay_inbound; failed invocations are kept and alarmed; SES sends from the relay domain with DKIM; each
function may do what it needs on this stack's resources and nothing else; `make deploy` activates the rule set."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.policy_coverage import PROJECT_DIR

BUCKET_NAME = "${AWS::StackName}-mail-${AWS::AccountId}-${AWS::Region}"
RULE_SET = "${AWS::StackName}-relay"
RULE = "${AWS::StackName}-relay-to-s3"
PREFIX = "inbound/"


def policy_of(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    [policy] = template["Resources"][role]["Properties"]["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def grants(statements: list[dict[str, Any]], prefix: str) -> list[tuple[list[str], list[Any], dict[str, Any]]]:
    """(actions, resources, condition) of each statement with an action of the service `prefix` ("s3:")."""
    return [
        (s["Action"], s["Resource"], s.get("Condition", {}))
        for s in statements if any(a.startswith(prefix) for a in s["Action"])
    ]


def test_the_relay_handlers_are_lambdas_of_this_package(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    relay, sweep = resources["RelayInbound"], resources["ConversationSweep"]
    assert relay["Type"] == sweep["Type"] == "AWS::Serverless::Function"
    assert relay["Properties"]["Handler"] == "app.relay_inbound" and sweep["Properties"]["Handler"] == "app.conversation_sweep"
    assert sweep["Properties"]["Events"]["ConversationSweepEvent"] == {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)"}}
    assert "Events" not in relay["Properties"]  # its event is the bucket's notification, below
    for function, name in ((relay, "relay-inbound"), (sweep, "conversation-sweep")):
        props = function["Properties"]
        assert props["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
        assert props["KmsKeyArn"] == {"Fn::GetAtt": ["LambdaEnvironmentKey", "Arn"]}
        env = props["Environment"]["Variables"]
        assert env["CONVERSATIONS_TABLE_NAME"] == {"Ref": "ConversationsTable"} and env["RELAY_DOMAIN"] == {"Ref": "RelayDomain"}
        assert env["SUPPORT_QUEUE_URL"] == {"Ref": "SupportQueue"} and env["SELLER_TABLE_NAME"] == {"Ref": "SellerTable"}
        log_group = resources[function["DependsOn"][0]]["Properties"]
        assert log_group == {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"}, "RetentionInDays": 30}
    assert relay["Properties"]["ReservedConcurrentExecutions"] == {"Ref": "RelayMaxConcurrency"}
    assert sweep["Properties"]["ReservedConcurrentExecutions"] == 1  # two sweeps never race over the same conversations
    api_env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["CONVERSATIONS_TABLE_NAME"] == {"Ref": "ConversationsTable"} and api_env["RELAY_DOMAIN"] == {"Ref": "RelayDomain"}


def test_the_mail_bucket_is_private_encrypted_tls_only_and_forgets_after_a_day(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["RelayMailBucket"]
    props = bucket["Properties"]
    assert props["BucketName"] == {"Fn::Sub": BUCKET_NAME}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    [expiry] = props["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled" and expiry["ExpirationInDays"] == 1 and "Prefix" not in expiry
    assert "VersioningConfiguration" not in props  # a version would outlive the day
    skipped = {s["id"] for s in bucket["Metadata"]["checkov"]["skip"]}
    assert skipped == {"CKV_AWS_18", "CKV_AWS_21"}

    statements = template["Resources"]["RelayMailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert template["Resources"]["RelayMailBucketPolicy"]["Properties"]["Bucket"] == {"Ref": "RelayMailBucket"}
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [{
        "Sid": "SesStoresThisStacksInboundMail", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": {"Fn::Sub": "${RelayMailBucket.Arn}/" + PREFIX + "*"},
        "Condition": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:receipt-rule-set/{RULE_SET}:receipt-rule/{RULE}"}},
        },
    }]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [{"Fn::GetAtt": ["RelayMailBucket", "Arn"]}, {"Fn::Sub": "${RelayMailBucket.Arn}/*"}]


def test_a_stored_mail_invokes_relay_inbound_and_only_s3_of_this_bucket_may(template: dict[str, Any]) -> None:
    """Chalice cannot package @app.on_s3_event; infra/ wires it: the bucket's notification and S3's permission."""
    resources = template["Resources"]
    [notification] = resources["RelayMailBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification == {
        "Event": "s3:ObjectCreated:*",
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": PREFIX}]}},
        "Function": {"Fn::GetAtt": ["RelayInbound", "Arn"]},
    }
    permission = resources["RelayInboundS3Permission"]
    assert permission["Type"] == "AWS::Lambda::Permission"
    assert permission["Properties"] == {
        "FunctionName": {"Fn::GetAtt": ["RelayInbound", "Arn"]}, "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com", "SourceAccount": {"Ref": "AWS::AccountId"},
        "SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET_NAME}"},
    }
    # S3 checks the permission when the notification is set: the bucket waits for it
    assert "RelayInboundS3Permission" in resources["RelayMailBucket"]["DependsOn"]
    assert not any(r["Type"] == "Custom::S3BucketNotification" for r in resources.values())


def test_ses_receives_for_the_relay_domain_into_the_bucket_scanned_over_tls(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["RelayReceiptRuleSet"]["Properties"] == {"RuleSetName": {"Fn::Sub": RULE_SET}}
    rule = resources["RelayReceiptRule"]
    assert rule["DependsOn"] == ["RelayMailBucketPolicy"]  # SES checks it may write when the rule is created
    assert rule["Properties"]["RuleSetName"] == {"Ref": "RelayReceiptRuleSet"}
    assert rule["Properties"]["Rule"] == {
        "Name": {"Fn::Sub": RULE}, "Enabled": True, "Recipients": [{"Ref": "RelayDomain"}], "ScanEnabled": True,
        "TlsPolicy": "Require",
        "Actions": [{"S3Action": {"BucketName": {"Ref": "RelayMailBucket"}, "ObjectKeyPrefix": PREFIX}}],
    }
    assert template["Outputs"]["RelayReceiptRuleSetName"]["Value"] == {"Ref": "RelayReceiptRuleSet"}
    assert "inbound-smtp.${AWS::Region}.amazonaws.com" in template["Outputs"]["RelayMxRecord"]["Value"]["Fn::Sub"]


def test_ses_sends_from_the_relay_domain_with_dkim(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    identity = resources["RelayDomainIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "RelayDomain"}
    assert identity["Properties"]["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["Properties"]["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert identity["Properties"]["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": "RelayConfigurationSet"}}
    config_set = resources["RelayConfigurationSet"]["Properties"]
    assert config_set["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert set(config_set["SuppressionOptions"]["SuppressedReasons"]) == {"BOUNCE", "COMPLAINT"}
    for n in (1, 2, 3):  # the three DKIM CNAMEs to publish
        names = json.dumps(template["Outputs"][f"RelayDkimRecord{n}"]["Value"])
        assert f"DkimDNSTokenName{n}" in names and f"DkimDNSTokenValue{n}" in names
    domain = template["Parameters"]["RelayDomain"]
    assert "Default" not in domain  # no stack without a real relay domain


def test_failed_relay_invocations_are_retried_then_kept_encrypted_and_alarmed(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    invoke = resources["RelayInboundEventInvokeConfig"]
    assert invoke["Type"] == "AWS::Lambda::EventInvokeConfig"
    assert invoke["Properties"]["FunctionName"] == {"Ref": "RelayInbound"} and invoke["Properties"]["Qualifier"] == "$LATEST"
    assert invoke["Properties"]["MaximumRetryAttempts"] == 2
    assert invoke["Properties"]["MaximumEventAgeInSeconds"] <= 6 * 3600  # well inside the mail's one day
    failed = {"Fn::GetAtt": ["RelayFailedQueue", "Arn"]}
    assert invoke["Properties"]["DestinationConfig"] == {"OnFailure": {"Destination": failed}}
    queue = resources["RelayFailedQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    # Lambda sends to the destination with the function's own role
    sends = grants(policy_of(template, "RelayInboundRole"), "sqs:")
    assert any(failed in resources_ and actions == ["sqs:SendMessage"] for actions, resources_, _ in sends)
    sweep = resources["ConversationSweepEventInvokeConfig"]["Properties"]
    assert sweep["MaximumRetryAttempts"] == 0 and sweep["MaximumEventAgeInSeconds"] == 300  # the next run is the retry

    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    depth = alarms["RelayFailedAlarm"]
    assert (depth["Namespace"], depth["MetricName"], depth["Threshold"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 1)
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["RelayFailedQueue", "QueueName"]}}]
    for name, function in (("RelayInboundErrorsAlarm", "RelayInbound"), ("ConversationSweepErrorsAlarm", "ConversationSweep")):
        errors = alarms[name]
        assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
        assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    assert alarms["ConversationSweepErrorsAlarm"]["DatapointsToAlarm"] == 3  # one failed run heals itself
    assert {alarms[n]["MetricName"] for n in ("RelaySesBounceRateAlarm", "RelaySesComplaintRateAlarm")} == {
        "Reputation.BounceRate", "Reputation.ComplaintRate"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] == alarm["OKActions"]


def test_relay_inbound_reads_only_that_bucket_and_sends_only_from_the_relay_domain(template: dict[str, Any]) -> None:
    statements = policy_of(template, "RelayInboundRole")
    assert grants(statements, "s3:") == [
        (["s3:GetObject"], [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET_NAME}/{PREFIX}*"}], {})
    ]
    for role in ("RelayInboundRole", "ConversationSweepRole"):
        [(actions, resources, condition)] = grants(policy_of(template, role), "ses:")
        assert actions == ["ses:SendRawEmail"]
        assert resources == [
            {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${RelayDomain}"},
            {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${RelayConfigurationSet}"},
        ]
        assert condition == {"StringLike": {"ses:FromAddress": {"Fn::Sub": "*@${RelayDomain}"}}}
        tables = {json.dumps(r) for actions, resources, _ in grants(policy_of(template, role), "dynamodb:") for r in resources}
        assert json.dumps({"Fn::GetAtt": ["ConversationsTable", "Arn"]}) in tables
        assert not grants(policy_of(template, role), "s3:") or role == "RelayInboundRole"
    sweep_indexes = [r for _, resources, _ in grants(policy_of(template, "ConversationSweepRole"), "dynamodb:") for r in resources if "Fn::Sub" in r]
    assert sweep_indexes == [{"Fn::Sub": "${ConversationsTable.Arn}/index/by_due"}]
    # the seller and policy tables are read, never written, by either
    for role in ("RelayInboundRole", "ConversationSweepRole"):
        for actions, resources, _ in grants(policy_of(template, role), "dynamodb:"):
            if {"Fn::GetAtt": ["SellerTable", "Arn"]} in resources or {"Fn::GetAtt": ["PolicyTable", "Arn"]} in resources:
                assert set(actions) <= {"dynamodb:GetItem", "dynamodb:BatchGetItem"}, (role, actions)


def test_support_staff_read_conversations_through_the_two_party_indexes(template: dict[str, Any]) -> None:
    statements = template["Resources"]["SupportStaffPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [read] = [s for s in statements if s["Sid"] == "ReadConversations"]
    assert read["Action"] == ["dynamodb:Query"]
    assert read["Resource"] == [
        {"Fn::GetAtt": ["ConversationsTable", "Arn"]},
        {"Fn::Sub": "${ConversationsTable.Arn}/index/by_seller"},
        {"Fn::Sub": "${ConversationsTable.Arn}/index/by_buyer"},
    ]


def test_the_conversations_table_keys_indexes_and_retention(template: dict[str, Any]) -> None:
    table = template["Resources"]["ConversationsTable"]
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in props["GlobalSecondaryIndexes"]}
    assert indexes == {"by_buyer": ["buyer_id", "last_message_at"], "by_seller": ["seller_id", "last_message_at"],
                       "by_due": ["due_shard", "seller_reply_due_at"], "by_escalated": ["escalated_shard", "escalated_at"]}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True} and props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["DeletionProtectionEnabled"] is True and table["DeletionPolicy"] == "Retain"  # prod


def test_every_new_skip_has_its_reason_in_the_template(template: dict[str, Any]) -> None:
    relay_resources = ("RelayMailBucket", "RelayFailedQueue", "RelayInbound", "ConversationSweep", "RelayInboundLogGroup",
                       "ConversationSweepLogGroup", "ConversationsTable")
    for name in relay_resources:
        for skip in template["Resources"][name]["Metadata"]["checkov"]["skip"]:
            assert len(skip["comment"]) > 40 and "\n" not in skip["comment"], (name, skip["id"])


# ---------------------------------------------------------------- make relay-activate (run by make deploy)

FAKE_AWS = """#!/bin/sh
echo "$*" >> "$AWS_CALLS"
case "$*" in
  *describe-stacks*) echo "contact-resolver-dev-relay" ;;
  *describe-active-receipt-rule-set*) echo "$ACTIVE" ;;
  *set-active-receipt-rule-set*) exit 0 ;;
  *) exit 9 ;;
esac
"""


@pytest.fixture
def fake_aws(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(FAKE_AWS)
    aws.chmod(aws.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def relay_activate(fake_aws: Path, active: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = fake_aws / "calls.log"
    calls.unlink(missing_ok=True)
    result = subprocess.run(
        ["make", "-s", "relay-activate", "STAGE=dev", *extra], cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": f"{fake_aws / 'bin'}:{os.environ['PATH']}", "AWS_CALLS": str(calls), "ACTIVE": active},
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_make_deploy_activates_the_stacks_rule_set_when_none_or_ours_is_active(fake_aws: Path) -> None:
    result, calls = relay_activate(fake_aws, "None")
    assert result.returncode == 0, result.stderr
    assert calls[-1] == "ses set-active-receipt-rule-set --rule-set-name contact-resolver-dev-relay"
    assert "--stack-name contact-resolver-dev" in calls[0]
    result, calls = relay_activate(fake_aws, "contact-resolver-dev-relay")
    assert result.returncode == 0 and not any("set-active" in c for c in calls)
    assert "is active" in result.stdout
    makefile = (PROJECT_DIR / "Makefile").read_text()
    deploy = makefile.split("\ndeploy: package\n", 1)[1].split("\n\n", 1)[0]
    assert "relay-activate STAGE=$(STAGE)" in deploy and '"RelayDomain=$(RELAY_DOMAIN)"' in deploy


def test_make_deploy_never_silently_replaces_another_active_rule_set(fake_aws: Path) -> None:
    result, calls = relay_activate(fake_aws, "corporate-inbox")
    assert result.returncode != 0 and not any("set-active" in c for c in calls)
    assert "SES receipt rule set corporate-inbox is active" in result.stderr and "RELAY_TAKE_OVER=1" in result.stderr
    result, calls = relay_activate(fake_aws, "corporate-inbox", "RELAY_TAKE_OVER=1")
    assert result.returncode == 0 and calls[-1].startswith("ses set-active-receipt-rule-set")
