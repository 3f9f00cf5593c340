"""What sellers may store, and how it is normalised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from chalicelib.models import BatchRequest, ChannelSettingsInput, SellerSettings
from chalicelib.settings_store import from_item, to_item


def error_fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}


def test_phone_is_normalised_to_e164() -> None:
    channels = ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+7 (495) 123-45-67"}})
    assert channels.phone.number == "+74951234567"


@pytest.mark.parametrize("number", ["12345", "+1 000", "call me", "+7 495 123-45-67 ext. 9" * 5])
def test_invalid_phone_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": number}})
    assert "phone.number" in error_fields(exc)


@pytest.mark.parametrize("address", ["not-an-email", "a@b", "x@@example.com", "a b@example.com"])
def test_invalid_email_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ChannelSettingsInput.model_validate({"email": {"enabled": True, "address": address}})
    assert "email.address" in error_fields(exc)


def test_enabled_channels_need_their_contact_value() -> None:
    with pytest.raises(ValidationError):
        ChannelSettingsInput.model_validate({"email": {"enabled": True}})
    with pytest.raises(ValidationError):
        ChannelSettingsInput.model_validate({"phone": {"enabled": True}})
    assert ChannelSettingsInput.model_validate({"email": {"enabled": False}}).email.address is None


@pytest.mark.parametrize(
    "hours",
    [
        {"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-18:00"]}},
        {"timezone": "UTC", "weekly": {"mon": ["18:00-09:00"]}},
        {"timezone": "UTC", "weekly": {"mon": ["9-18"]}},
        {"timezone": "UTC", "weekly": {"mon": ["09:00-24:30"]}},
        {"timezone": "UTC", "weekly": {"someday": ["09:00-18:00"]}},
        {"timezone": "../../etc/passwd", "weekly": {}},
    ],
)
def test_bad_opening_hours_are_refused(hours: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError):
        ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+74951234567", "hours": hours}})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ChannelSettingsInput.model_validate({"chat": {"enabled": True, "colour": "red"}})
    assert "chat.colour" in error_fields(exc)


@pytest.mark.parametrize("seller_id", ["", "-x", "a" * 65, "a/b", "ä", "a b", "a\nb"])
def test_batch_refuses_malformed_seller_ids(seller_id: str) -> None:
    with pytest.raises(ValidationError):
        BatchRequest.model_validate({"seller_ids": [seller_id]})


def test_batch_needs_unique_ids_and_at_most_100() -> None:
    with pytest.raises(ValidationError):
        BatchRequest.model_validate({"seller_ids": ["a", "a"]})
    with pytest.raises(ValidationError):
        BatchRequest.model_validate({"seller_ids": [f"s{i}" for i in range(101)]})
    assert len(BatchRequest.model_validate({"seller_ids": [f"s{i}" for i in range(100)]}).seller_ids) == 100


def test_settings_round_trip_through_native_dynamodb_attributes() -> None:
    settings = SellerSettings(
        seller_id="s1",
        **ChannelSettingsInput.model_validate(
            {
                "chat": {"enabled": True},
                "phone": {"enabled": True, "number": "+74951234567",
                          "hours": {"timezone": "Europe/Moscow", "weekly": {"mon": ["09:00-13:00", "14:00-18:00"]}}},
            }
        ).model_dump(),
        version=7, updated_at=datetime(2026, 1, 2, tzinfo=UTC), updated_by="u1",
    )
    item = to_item(settings)
    assert item["version"] == {"N": "7"}
    assert item["chat"] == {"M": {"enabled": {"BOOL": True}}}
    assert item["phone"]["M"]["hours"]["M"]["weekly"]["M"]["mon"] == {"L": [{"S": "09:00-13:00"}, {"S": "14:00-18:00"}]}
    assert from_item(item) == settings


def test_stored_settings_are_read_without_reparsing_contact_values() -> None:
    """A stored item is trusted for syntax (checked on write); structure is still checked on every read."""
    from chalicelib.models import ChannelSettings

    stored = ChannelSettings.model_validate({"phone": {"enabled": True, "number": "+74951234567"}})
    assert stored.phone.number == "+74951234567"
    with pytest.raises(ValidationError):
        ChannelSettings.model_validate({"phone": {"enabled": "sometimes"}})


def test_resolution_path_does_not_import_contact_validators() -> None:
    import subprocess
    import sys

    code = "import sys, app; print(sorted({'email_validator', 'phonenumbers', 'jwt', 'cryptography'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_api_handler_serving_a_resolution_never_imports_the_authorizers_libraries() -> None:
    """Only the authorizer Lambda needs PyJWT and cryptography (≈ 20 ms of import); the API handler must not load them."""
    import subprocess
    import sys

    code = """
import json, sys
import app
from chalicelib.service import ContactService
class Store:
    def get(self, seller_id): return None
class Publisher:
    def publish(self, events): return len(events)
app.get_service = lambda: ContactService(Store(), Publisher())
event = {
    "resource": "/v1/sellers/{seller_id}/contact-options", "path": "/v1/sellers/s1/contact-options", "httpMethod": "GET",
    "headers": {}, "multiValueQueryStringParameters": None, "pathParameters": {"seller_id": "s1"}, "stageVariables": {},
    "requestContext": {"resourcePath": "/v1/sellers/{seller_id}/contact-options", "httpMethod": "GET", "requestId": "r1",
                       "path": "/v1/sellers/s1/contact-options",
                       "authorizer": {"principalId": "buyer-1", "role": "buyer", "seller_id": ""}},
    "body": None, "isBase64Encoded": False,
}
response = app.app(event, None)
print(response["statusCode"], sorted({"jwt", "cryptography", "email_validator", "phonenumbers"} & set(sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "200 []"
