"""What sellers may store, and how it is normalised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.models.resolution import BatchRequest
from chalicelib.models.settings import ChannelSettingsInput, SellerSettings
from chalicelib.sellers.store import from_item, to_item


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
    from chalicelib.models.settings import ChannelSettings

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
from chalicelib import wiring
from chalicelib.contacts.resolution import ResolutionService
class Store:
    def get(self, seller_id): return None
class Publisher:
    def publish(self, events): return len(events)
wiring.resolution_service = lambda: ResolutionService(Store(), Publisher())
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
print(sorted({"chalicelib.models.operations", "chalicelib.operations.service"} & set(sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    authorizers, consoles = result.stdout.strip().splitlines()
    assert authorizers == "200 []"
    # Nor the console's models and figures: a resolution never uses them (the OpenAPI document imports them when asked).
    assert consoles == "[]"


@pytest.mark.parametrize(
    "timezone",
    ["Europe", "America/Indiana", "America/Indiana/", "localtime", "Factory", "posixrules", "posix/Europe/Berlin",
     "right/UTC", "Europe/Berlin\n", " UTC", "x" * 256, "Europe/" + "a" * 300, "", "zone.tab", "tzdata.zi"],
)
def test_only_zones_the_bundled_tzdata_lists_are_accepted(timezone: str) -> None:
    hours = {"timezone": timezone, "weekly": {"mon": ["09:00-18:00"]}}
    with pytest.raises(ValidationError) as exc:
        ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+74951234567", "hours": hours}})
    assert "phone.hours.timezone" in error_fields(exc)


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "America/Indiana/Knox", "Australia/Lord_Howe", "EST5EDT"])
def test_real_zones_are_accepted(timezone: str) -> None:
    hours = {"timezone": timezone, "weekly": {"mon": ["09:00-18:00"]}}
    channels = ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+74951234567", "hours": hours}})
    assert channels.phone.hours is not None and channels.phone.hours.timezone == timezone


def test_known_zones_are_the_bundled_tzdata_list_not_the_hosts_files() -> None:
    from importlib.resources import files

    from chalicelib.models.settings import known_zones

    listed = set(files("tzdata").joinpath("zones").read_text().split())
    assert known_zones() == listed - {"Factory"} and "localtime" not in known_zones()


@pytest.mark.parametrize("time_range", ["09:00-18:00\n", "09:00-18:00 ", "\n09:00-18:00", "\u06609:00-18:00", "09:00-18:00\x00"])
def test_time_ranges_must_be_the_whole_string(time_range: str) -> None:
    hours = {"timezone": "UTC", "weekly": {"mon": [time_range]}}
    with pytest.raises(ValidationError):
        ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+74951234567", "hours": hours}})
    with pytest.raises(ValidationError):  # the stored model refuses it too: it parses ranges into typed values
        SellerSettings.model_validate({"seller_id": "s", "version": 1, "updated_at": "2026-11-26T00:00:00Z",
                                       "updated_by": "u", "phone": {"enabled": True, "number": "+1", "hours": hours}})


def test_time_ranges_are_parsed_once_and_stored_as_written() -> None:
    from chalicelib.models.settings import ClockRange

    hours = {"timezone": "UTC", "weekly": {"mon": ["13:00-24:00", "09:00-12:30"]}}
    channels = ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+74951234567", "hours": hours}})
    assert channels.phone.hours is not None
    assert channels.phone.hours.weekly["mon"] == [ClockRange(780, 1440), ClockRange(540, 750)]  # type: ignore[index]
    assert channels.model_dump(mode="json")["phone"]["hours"]["weekly"]["mon"] == ["13:00-24:00", "09:00-12:30"]


@pytest.mark.parametrize(
    "body",
    [
        {"chat": {"enabled": "yes"}},
        {"chat": {"enabled": 1}},
        {"chat": {"enabled": "true"}},
        {"chat": {"enabled": True}, "version": "3"},
        {"chat": {"enabled": True}, "version": True},
        {"chat": {"enabled": True}, "version": 3.0},
    ],
)
def test_input_models_are_strict(body: dict[str, Any]) -> None:
    import json

    from chalicelib.models.settings import ChannelSettingsUpdate

    with pytest.raises(ValidationError):
        ChannelSettingsUpdate.model_validate_json(json.dumps(body), strict=True)


def test_phone_extension_is_kept_in_rfc3966_form() -> None:
    channels = ChannelSettingsInput.model_validate({"phone": {"enabled": True, "number": "+7 495 123-45-67 ext. 9"}})
    assert channels.phone.number == "+74951234567;ext=9"


@pytest.mark.parametrize("occurred_at", ["2026-11-26", "2026-11-26T13:01:20", 1764162080, "1764162080", "yesterday"])
def test_events_refuse_naive_date_only_and_epoch_timestamps(occurred_at: Any) -> None:
    from chalicelib.support.ingest import parse_event

    event = {"type": "contact_request", "schema_version": 1, "event_id": "e1", "occurred_at": occurred_at,
             "request_id": "r", "buyer_id": "b", "seller_id": "s", "topic": "other", "primary_channel": "support",
             "offered": ["support"], "degraded": False}
    import json

    with pytest.raises(ValidationError):
        parse_event(json.dumps(event))
    event["occurred_at"] = "2026-11-26T01:30:00+02:00"
    parsed = parse_event(json.dumps({**event, "added_later": {"x": 1.5}}))
    assert parsed.occurred_at == datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # bucketed by its UTC day
    assert parsed.model_dump()["added_later"] == {"x": 1.5}  # a field added within v1 is kept
