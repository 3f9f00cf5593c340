"""Which AWS actions does each Lambda really use? Recorded while the suite runs, checked against policies/.

Every boto3 call goes through `BaseClient._make_api_call`; while a Lambda's code runs (a route, the authorizer,
the SQS handler), its calls are recorded under that Lambda's name. At the end of a full run, every recorded
action must be allowed by that Lambda's policy file, and every allowed action must have been recorded.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

PROJECT_DIR = Path(__file__).resolve().parent.parent

# IAM authorises these batch operations with the single-message action.
IAM_ACTION_FOR = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# The Lambda runtime writes logs with the function's role, and decrypts the function's environment with it at init
# (infra/resources.json: LambdaEnvironmentKey); our code never calls CloudWatch Logs or KMS.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "kms:Decrypt"}

current_lambda: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_lambda", default=None)
recorded: dict[str, set[str]] = defaultdict(set)


# boto3's endpoint prefix where it differs from the IAM service prefix.
IAM_PREFIX = {"email": "ses", "monitoring": "cloudwatch"}
# Tests drive these two through their use cases (the sweep's writes run on worker threads, where the recording context
# does not follow; the S3 handler needs a bucket event): a call outside their grants is still a failure, but a grant
# no test saw used is not. Their grants are checked against the template in tests/deploy/test_relay_template.py.
GRANTS_REVIEWED_BY_HAND = {"relay_inbound", "conversation_sweep"}
# What Lambda's event source mapping does with a function's role, never its code: conversation_retention's reads of the
# conversations stream and its sends of failed batches to RetentionFailedQueue (tests/deploy/test_retention_template.py).
EVENT_SOURCE_ACTIONS = {
    "conversation_retention": {
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage",
    },
}


def iam_actions(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    service = IAM_PREFIX.get(service, service)
    if service == "dynamodb" and operation == "TransactWriteItems":
        inner = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
        return {f"dynamodb:{inner[kind]}" for item in params.get("TransactItems", []) for kind in item}
    action = f"{service}:{operation}"
    return {IAM_ACTION_FOR.get(action, action)}


@contextlib.contextmanager
def acting_as(lambda_name: str) -> Iterator[None]:
    token = current_lambda.set(lambda_name)
    try:
        yield
    finally:
        current_lambda.reset(token)


def as_lambda(lambda_name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with acting_as(lambda_name):
            return func(*args, **kwargs)

    return wrapper


def install(app_module: Any) -> None:
    """Attribute every boto3 call made while a Lambda of `app_module.app` runs to that Lambda."""
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        name = current_lambda.get()
        if name is not None:
            recorded[name] |= iam_actions(self.meta.service_model.endpoint_prefix, operation_name, api_params)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    for methods in app_module.app.routes.values():
        for entry in methods.values():
            entry.view_function = as_lambda("api_handler", entry.view_function)
    app_module.jwt_auth.func = as_lambda("jwt_auth", app_module.jwt_auth.func)
    app_module.support_ingest.func = as_lambda("support_ingest", app_module.support_ingest.func)
    # The conversations Lambdas: relay_inbound (@app.on_s3_event, the mail SES stored), conversation_sweep
    # (@app.schedule) and conversation_retention (@app.on_dynamodb_record, TTL removals on the conversations stream).
    # Each is checked against its own policies/<name>.json, as .chalice/config.json wires it.
    for name in ("relay_inbound", "conversation_sweep", "conversation_retention"):
        handler = getattr(app_module, name, None)
        if handler is not None:
            handler.func = as_lambda(name, handler.func)


def actions_of(policy_file: Path) -> set[str]:
    actions: set[str] = set()
    for statement in json.loads(policy_file.read_text())["Statement"]:
        listed = statement["Action"]
        actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


def policy_actions(stage: str = "prod") -> dict[str, set[str]]:
    """Who -> actions its policy file allows: each Lambda as .chalice/config.json wires it, and the support CLI."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    result = {
        name: actions_of(PROJECT_DIR / ".chalice" / settings["iam_policy_file"])
        for name, settings in config["stages"][stage]["lambda_functions"].items()
    }
    result["support_cli"] = actions_of(PROJECT_DIR / "policies" / "support_cli.json")
    return result


def violations(used: dict[str, set[str]], allowed: dict[str, set[str]]) -> list[str]:
    problems = []
    for name in sorted(set(used) | set(allowed)):
        for action in sorted(used.get(name, set()) - allowed.get(name, set())):
            problems.append(f"{name} calls {action}, which policies/ does not allow")
        if name in GRANTS_REVIEWED_BY_HAND:
            continue
        for action in sorted(allowed.get(name, set()) - used.get(name, set()) - RUNTIME_ACTIONS - EVENT_SOURCE_ACTIONS.get(name, set())):
            problems.append(f"{name} is allowed {action}, which no test saw it use")
    return problems
