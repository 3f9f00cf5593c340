"""The packaged prod template: the gateway's own errors in the API's error shape, and the functions' environment
encrypted with the stack's own KMS key (docs/deploy-gateway-and-kms.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.local import ForbiddenError, InvalidAuthorizerError, NotAuthorizedError

from devstack import local_gateway
from tests.policy_coverage import PROJECT_DIR

# ResponseType -> (status, code); None: the gateway's own status (any 4XX / 5XX it has no response for)
EXPECTED = {
    "DEFAULT_4XX": (None, "bad_request"),
    "DEFAULT_5XX": (None, "internal_error"),
    "UNAUTHORIZED": ("401", "unauthorized"),
    "ACCESS_DENIED": ("403", "forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),  # an unknown route (or method): not API Gateway's 403
    "REQUEST_TOO_LARGE": ("413", "payload_too_large"),
    "THROTTLED": ("429", "throttled"),
}
FUNCTIONS = {
    "APIHandler": "api_handler", "JwtAuth": "jwt_auth", "SupportIngest": "support_ingest",
    "RelayInbound": "relay_inbound", "ConversationSweep": "conversation_sweep", "ConversationRetention": "conversation_retention",
}


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_every_gateway_error_answers_in_the_error_shape_with_its_code(template: dict[str, Any]) -> None:
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in of_type(template, "AWS::ApiGateway::GatewayResponse").values()}
    assert set(responses) == set(EXPECTED)
    for kind, (status, code) in EXPECTED.items():
        properties = responses[kind]
        assert properties["RestApiId"] == {"Ref": "RestAPI"}
        assert properties.get("StatusCode") == status, kind
        assert list(properties["ResponseTemplates"]) == ["application/json"], kind  # the one template: JSON content type
        body = json.loads(properties["ResponseTemplates"]["application/json"])  # static JSON: no VTL to go wrong
        assert body == {"error": {"code": code, "message": body["error"]["message"], "details": {}}}, kind
        assert body["error"]["message"].endswith(".") and len(body["error"]["message"]) > 10, kind


def test_the_local_server_serves_the_templates_gateway_responses(template: dict[str, Any]) -> None:
    """devstack.local_gateway reads infra/resources.json; what ships is that file merged, so both say the same."""
    shipped = local_gateway.read_gateway_responses(template)
    assert local_gateway.gateway_responses() == shipped
    headers = {"x-amzn-RequestId": "r1"}
    cases = [
        (NotAuthorizedError({**headers, "x-amzn-ErrorType": "UnauthorizedException"}, b'{"message":"Unauthorized"}'), 401, "UNAUTHORIZED"),
        (ForbiddenError({**headers, "x-amzn-ErrorType": "AccessDeniedException"}, b'{"Message": "User is not authorized"}'), 403, "ACCESS_DENIED"),
        (ForbiddenError({**headers, "x-amzn-ErrorType": "UnauthorizedException"}, b'{"message": "Missing Authentication Token"}'), 404, "MISSING_AUTHENTICATION_TOKEN"),
        # no response of its own: DEFAULT_5XX, with the gateway's status
        (InvalidAuthorizerError({**headers, "x-amzn-ErrorType": "AuthorizerConfigurationException"}, b'{"message":null}'), 500, "DEFAULT_5XX"),
    ]
    for error, status, kind in cases:
        answered_status, answered_headers, body = local_gateway.reshape(error, shipped)
        assert (answered_status, json.loads(body)) == (status, shipped[kind].body), kind
        assert answered_headers["Content-Type"] == "application/json" and answered_headers["x-amzn-RequestId"] == "r1"


def test_a_vtl_body_is_refused_rather_than_served_unrendered() -> None:
    template = {"Resources": {"R": {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
        "ResponseType": "DEFAULT_4XX", "ResponseTemplates": {"application/json": '{"message": $context.error.messageString}'}}}}}
    with pytest.raises(ValueError, match="static bodies only"):
        local_gateway.read_gateway_responses(template)


def test_the_functions_environment_is_encrypted_with_the_stacks_rotating_key(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    [(key_name, key)] = of_type(template, "AWS::KMS::Key").items()
    assert key_name == "LambdaEnvironmentKey"
    properties = key["Properties"]
    assert properties["EnableKeyRotation"] is True and properties["KeySpec"] == "SYMMETRIC_DEFAULT"
    # The key policy hands the key to the account's IAM (AWS's default policy; without it the key could become
    # unmanageable): no other principal, no wildcard principal.
    [statement] = properties["KeyPolicy"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    [alias] = of_type(template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["TargetKeyId"] == {"Ref": "LambdaEnvironmentKey"}
    functions = {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(FUNCTIONS)
    for name in functions:
        assert resources[name]["Properties"]["KmsKeyArn"] == {"Fn::GetAtt": ["LambdaEnvironmentKey", "Arn"]}, name
    assert "FEEDBACK_KEY" in resources["APIHandler"]["Properties"]["Environment"]["Variables"]


def test_only_the_functions_roles_may_decrypt_with_the_key(template: dict[str, Any]) -> None:
    """kms:Decrypt comes from policies/<function>.json, on this key only; no other policy of the stack grants KMS."""
    key_arn = {"Fn::GetAtt": ["LambdaEnvironmentKey", "Arn"]}
    granted = {}
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                if any(action.lower().startswith("kms:") for action in actions):
                    assert actions == ["kms:Decrypt"] and statement["Resource"] == [key_arn] and "Condition" not in statement
                    granted[name] = statement["Sid"]
    assert set(granted) == {f"{name}Role".replace("APIHandler", "ApiHandler") for name in FUNCTIONS}
    for policy in FUNCTIONS.values():
        document = json.loads((PROJECT_DIR / "policies" / f"{policy}.json").read_text())
        assert {"Sid": "DecryptOwnEnvironment", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]} in document["Statement"]
