"""Retention in the packaged prod template: the conversations table streams its old images, conversation_retention
reads only TTL removals of conversation items from it, retries a failed batch within the stream's 24 hours, then keeps
the batch's place on an encrypted, alarmed queue; its role may delete on that table and nothing else."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.test_relay_template import grants, policy_of

EVENT = "ConversationRetentionDynamodbEventSource"
STREAM_RETENTION_SECONDS = 24 * 3600


def test_the_conversation_item_carries_the_ttl_and_the_table_streams_what_ttl_removes(template: dict[str, Any]) -> None:
    props = template["Resources"]["ConversationsTable"]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # the old image names the last message and the relay addresses; KEYS_ONLY could not, NEW_IMAGE is empty on REMOVE
    assert props["StreamSpecification"] == {"StreamViewType": "OLD_IMAGE"}


def test_the_consumer_reads_the_stream_of_this_table_and_only_ttl_removals_of_conversations(template: dict[str, Any]) -> None:
    function = template["Resources"]["ConversationRetention"]
    assert function["Type"] == "AWS::Serverless::Function" and function["Properties"]["Handler"] == "app.conversation_retention"
    [(name, event)] = function["Properties"]["Events"].items()
    assert name == EVENT and event["Type"] == "DynamoDB"
    source = event["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["ConversationsTable", "StreamArn"]}  # not the local placeholder in app.py
    assert source["StartingPosition"] == "TRIM_HORIZON"  # nothing of the stream's day is skipped when the mapping is made
    [pattern] = [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
        "dynamodb": {"Keys": {"sk": {"S": ["conversation"]}}},
    }
    assert function["Properties"]["Environment"]["Variables"]["CONVERSATIONS_TABLE_NAME"] == {"Ref": "ConversationsTable"}
    assert function["Properties"]["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-conversation-retention"}
    assert function["DependsOn"] == ["ConversationRetentionLogGroup"]


def test_a_failing_batch_is_retried_inside_the_streams_day_then_kept_and_alarmed(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    source = resources["ConversationRetention"]["Properties"]["Events"][EVENT]["Properties"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and source["BisectBatchOnFunctionError"] is True
    assert 0 < source["MaximumRetryAttempts"] <= 10
    assert 0 < source["MaximumRecordAgeInSeconds"] <= STREAM_RETENTION_SECONDS / 4  # leaves most of the day to replay
    failed = {"Fn::GetAtt": ["RetentionFailedQueue", "Arn"]}
    assert source["DestinationConfig"] == {"OnFailure": {"Destination": failed}}
    queue = resources["RetentionFailedQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    depth = alarms["RetentionFailedAlarm"]
    assert (depth["MetricName"], depth["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["RetentionFailedQueue", "QueueName"]}}]
    for name, metric in (("ConversationRetentionErrorsAlarm", "Errors"), ("ConversationRetentionIteratorAgeAlarm", "IteratorAge")):
        assert (alarms[name]["Namespace"], alarms[name]["MetricName"]) == ("AWS/Lambda", metric)
        assert alarms[name]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ConversationRetention"}}]
        assert alarms[name]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarms["ConversationRetentionIteratorAgeAlarm"]["Threshold"] <= 3600 * 1000  # milliseconds: an hour behind


def test_the_role_deletes_on_the_conversations_table_reads_its_stream_and_sends_only_failed_batches(template: dict[str, Any]) -> None:
    statements = policy_of(template, "ConversationRetentionRole")
    table, stream = {"Fn::GetAtt": ["ConversationsTable", "Arn"]}, {"Fn::GetAtt": ["ConversationsTable", "StreamArn"]}
    assert grants(statements, "dynamodb:") == [
        (["dynamodb:Query", "dynamodb:BatchWriteItem"], [table], {}),
        (["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], [stream], {}),
        (["dynamodb:ListStreams"], [{"Fn::Sub": "${ConversationsTable.Arn}/stream/*"}], {}),  # as SAM's DynamoDBStreamReadPolicy
    ]
    assert grants(statements, "sqs:") == [(["sqs:SendMessage"], [{"Fn::GetAtt": ["RetentionFailedQueue", "Arn"]}], {})]
    assert not grants(statements, "s3:") and not grants(statements, "ses:")
