"""What a policy change would have done to recent contact requests: who gains or loses each channel.

Each sampled request (buyer, seller, topic) is resolved twice under the seller's settings of today, once with the
policy in force and once with the changed one; a channel offered after and not before is gained, and the reverse
lost. Buyers and sellers are counted once per channel, however many of their requests changed. `preview` is
pure; the use case below reads through ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.contacts.ranking import resolve
from chalicelib.models.common import Caller, Channel, Role, Topic
from chalicelib.models.policy import ChannelChange, PlatformPolicy, PolicyDocument, PolicyPreview
from chalicelib.models.settings import SellerSettings
from chalicelib.platform_policy.document import patched
from chalicelib.platform_policy.layers import decide
from chalicelib.shared.auth import POLICY_EDITORS, require_role
from chalicelib.shared.errors import RETRY_AFTER_SECONDS, ApiError, StoreUnavailable


@dataclass(frozen=True)
class SampledRequest:
    buyer_id: str
    seller_id: str
    topic: Topic


def offered(policy: PolicyDocument, request: SampledRequest, settings: SellerSettings | None, now: datetime) -> set[Channel]:
    restriction = settings.restriction if settings is not None else None
    verdict = decide(policy, request.topic, request.seller_id, request.buyer_id, restriction)
    return {option.channel for option in resolve(request.seller_id, settings, request.topic, now, platform=verdict).options}


def preview(
    requests: Iterable[SampledRequest],
    settings: Mapping[str, SellerSettings],
    in_force: PolicyDocument,
    changed: PolicyDocument,
    now: datetime,
    *,
    considered: int,
) -> PolicyPreview:
    gained: dict[Channel, tuple[set[str], set[str]]] = {channel: (set(), set()) for channel in Channel}
    lost: dict[Channel, tuple[set[str], set[str]]] = {channel: (set(), set()) for channel in Channel}
    sampled = 0
    for request in dict.fromkeys(requests):  # the same buyer, seller and topic twice changes nothing more
        sampled += 1
        seller = settings.get(request.seller_id)
        before, after = offered(in_force, request, seller, now), offered(changed, request, seller, now)
        for buyers, sellers in [*(gained[c] for c in after - before), *(lost[c] for c in before - after)]:
            buyers.add(request.buyer_id)
            sellers.add(request.seller_id)
    return PolicyPreview(
        requests_considered=considered,
        sampled=sampled,
        channels={
            channel.value: ChannelChange(
                buyers_gain=len(gained[channel][0]),
                buyers_lose=len(lost[channel][0]),
                sellers_gain=len(gained[channel][1]),
                sellers_lose=len(lost[channel][1]),
            )
            for channel in Channel
        },
    )


# ---------------------------------------------------------------- the use case

MAX_SAMPLED_REQUESTS = 2000  # newest first: the preview answers within a few seconds
PREVIEW_WINDOW = timedelta(hours=24)


class RecentRequests(Protocol):
    def recent_contact_requests(self, since: datetime, limit: int) -> list[dict[str, Any]]:
        """Contact request records newer than `since`, newest first, at most `limit` (buyer_id, seller_id, topic...)."""
        ...


class SettingsReader(Protocol):
    def get_many(self, seller_ids: Iterable[str]) -> tuple[dict[str, SellerSettings], set[str]]: ...


class PolicyReader(Protocol):
    def get_policy(self, caller: Caller) -> PlatformPolicy: ...


class PolicyPreviewService:
    """POST /v1/platform/policy/preview: replay the last day's requests under the policy in force and a patched one."""

    def __init__(
        self, policies: PolicyReader, requests: RecentRequests, settings: SettingsReader, clock: Callable[[], datetime]
    ) -> None:
        self._policies = policies
        self._requests = requests
        self._settings = settings
        self._clock = clock

    def preview(self, patch: dict[str, Any], caller: Caller) -> PolicyPreview:
        require_role(caller, POLICY_EDITORS)
        in_force = self._policies.get_policy(caller)
        changed = patched(in_force, patch)
        now = self._clock()
        try:
            records = self._requests.recent_contact_requests(now - PREVIEW_WINDOW, MAX_SAMPLED_REQUESTS)
            samples = [_sample(record) for record in records if record.get("caller_role") in (None, Role.BUYER.value)]
            settings, unavailable = self._settings.get_many({sample.seller_id for sample in samples if sample})
        except StoreUnavailable as exc:
            raise PreviewUnavailable("Recent requests or seller settings could not be read; retry shortly.") from exc
        if unavailable:
            raise PreviewUnavailable("Some sellers' settings could not be read; retry shortly.")
        return preview([s for s in samples if s], settings, in_force, changed, now, considered=len(records))


class PreviewUnavailable(ApiError):
    status, code = 503, "preview_unavailable"
    retry_after_seconds = RETRY_AFTER_SECONDS


def _sample(record: dict[str, Any]) -> SampledRequest | None:
    """A stored request as a sample; None for one this release cannot read (an unknown topic)."""
    try:
        return SampledRequest(str(record["buyer_id"]), str(record["seller_id"]), Topic(record["topic"]))
    except (KeyError, ValueError):
        return None
