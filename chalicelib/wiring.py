"""The one place that builds stores and services: each lazily, once per container (import stays cheap).

Every route reaches its use case through these functions (chalicelib/api/services.py); tests replace one with
monkeypatch, or call `reset()` after changing the environment. Each path gets the AWS client with its own time
budget (chalicelib/shared/aws.py): resolutions a tight one, a seller's or admin's reads and writes a longer one.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.shared.config import get_config

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from chalicelib.answers.service import AnswersService
    from chalicelib.contacts.policy_preview import PolicyPreviewService
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.conversations.mail import SesMailSender
    from chalicelib.conversations.service import ConversationService
    from chalicelib.conversations.store import DynamoConversationStore
    from chalicelib.operations.service import OperationsService
    from chalicelib.platform_policy.cached import CachedPolicy
    from chalicelib.platform_policy.restrictions import DynamoRestrictionStore
    from chalicelib.platform_policy.service import PolicyService
    from chalicelib.sellers.service import SettingsService
    from chalicelib.support.publisher import SqsEventPublisher
    from chalicelib.support.store import SupportRequestStore


@cache
def resolution_service() -> ResolutionService:
    from chalicelib.shared.clock import utc_now

    return build_resolution_service(utc_now)


def build_resolution_service(clock: Callable[[], datetime]) -> ResolutionService:
    """The resolution service as a container builds it, on `clock` (tests move it; the container's is utc_now)."""
    from chalicelib.answers.shown import ShownAnswers
    from chalicelib.contacts.reads import DynamoResolutionReads
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import resolution_client

    config = get_config()
    # One store reads a resolution's settings and, in the same BatchGetItem, the buyer's reveal tally, the seller's
    # reply summary, the policy when its TTL is over and the answers digests the container has not cached.
    settings = DynamoSettingsStore(resolution_client("dynamodb"), config.seller_table_name, restricted_without_settings=True)
    reads = DynamoResolutionReads(
        settings, config.support_requests_table_name, config.conversations_table_name, config.policy_table_name,
        config.answers_table_name,
    )
    return ResolutionService(
        settings,
        support_publisher(),
        clock,
        policy=cached_policy(),
        reveals=reads,
        reads=reads,
        answers=ShownAnswers(),
        feedback_key=config.feedback_key,
        support_reply_target_hours=config.support_reply_target_hours,
    )


@cache
def settings_service() -> SettingsService:
    """A seller's reads and writes: a little more time per call, since a 503 there is not degraded."""
    from chalicelib.sellers.service import SettingsService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import settings_client

    return SettingsService(DynamoSettingsStore(settings_client(), get_config().seller_table_name), support_publisher())


@cache
def cached_policy() -> CachedPolicy:
    """The container's one policy cache: resolutions read it, a policy PUT here refreshes it at once."""
    from chalicelib.platform_policy.cached import CachedPolicy
    from chalicelib.platform_policy.store import DynamoPolicyStore
    from chalicelib.shared.aws import policy_refresh_client, resolution_client

    config = get_config()
    return CachedPolicy(
        DynamoPolicyStore(resolution_client("dynamodb"), config.policy_table_name),
        config.policy_ttl_seconds,
        refresh_store=lambda: DynamoPolicyStore(policy_refresh_client(), config.policy_table_name),
    )


@cache
def policy_service() -> PolicyService:
    from chalicelib.platform_policy.service import PolicyService
    from chalicelib.platform_policy.store import DynamoPolicyStore
    from chalicelib.shared.aws import settings_client
    from chalicelib.shared.clock import utc_now

    config = get_config()
    return PolicyService(
        DynamoPolicyStore(settings_client(), config.policy_table_name),
        restriction_store(),
        support_publisher(),
        cached_policy(),
        utc_now,
    )


@cache
def policy_preview_service() -> PolicyPreviewService:
    """An admin's preview of a policy change: today's settings (with restrictions) of the sellers of recent requests."""
    from chalicelib.contacts.policy_preview import PolicyPreviewService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import settings_client
    from chalicelib.shared.clock import utc_now

    config = get_config()
    settings = DynamoSettingsStore(settings_client(), config.seller_table_name, restricted_without_settings=True)
    return PolicyPreviewService(policy_service(), ingest_store(), settings, utc_now)


@cache
def answers_service() -> AnswersService:
    """Answer management and outcomes: imported only by those routes.

    Its reads and writes take the settings routes' time per call: an author gets a 503 rather than a degraded
    answer, so the resolution's tight budget (meant to keep a degraded answer fast) would only fail them under load.
    """
    from chalicelib.answers.service import AnswersService
    from chalicelib.answers.store import DynamoAnswersStore
    from chalicelib.shared.aws import settings_client

    config = get_config()
    store = DynamoAnswersStore(settings_client(), config.answers_table_name)
    return AnswersService(store, support_publisher(), config.feedback_key, restrictions=restriction_store())


@cache
def conversation_service() -> ConversationService:
    """Conversations: imported only by their routes, the sweep and the relay (a resolution imports none of it).

    The offer is the resolution's own logic, on the settings routes' time budget (a 503 here is not degraded)."""
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.conversations.service import ConversationService
    from chalicelib.conversations.store import DynamoConversationStore
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import settings_client

    config = get_config()
    offers = ResolutionService(
        DynamoSettingsStore(settings_client(), config.seller_table_name, restricted_without_settings=True),
        support_publisher(),
        policy=cached_policy(),
    )
    return ConversationService(
        DynamoConversationStore(settings_client(), config.conversations_table_name),
        offers,
        offers,
        support_publisher(),
        mail_sender(),
        id_key=config.conversation_key,
        relay_domain=config.relay_domain,
        platform_domain=config.platform_domain,
    )


def conversation_store() -> DynamoConversationStore:
    """The conversations table alone: the retention Lambda deletes expired conversations' messages through it."""
    from chalicelib.conversations.store import DynamoConversationStore
    from chalicelib.shared.aws import client

    return DynamoConversationStore(client("dynamodb"), get_config().conversations_table_name)


@cache
def operations_service() -> OperationsService:
    """The console's reads (support, admin): the roll-ups and stored requests, on the settings routes' time budget.

    Read-only: Query and BatchGetItem on support-requests and conversations, GetQueueAttributes on the support queue and
    its DLQ, CloudWatch GetMetricData for their oldest message's age (docs/architecture.md names the grants)."""
    from chalicelib.operations.service import OperationsService
    from chalicelib.operations.store import ConversationFigures, QueueAgeReader, QueueReader, SupportFigures
    from chalicelib.shared.aws import request_client, settings_client
    from chalicelib.shared.clock import utc_now

    config = get_config()
    return OperationsService(
        SupportFigures(settings_client(), config.support_requests_table_name),
        ConversationFigures(settings_client(), config.conversations_table_name),
        QueueReader(request_client("sqs", config.settings_call_seconds), config.support_queue_url),
        utc_now,
        QueueAgeReader(request_client("cloudwatch", config.settings_call_seconds), utc_now),
    )


def mail_sender() -> SesMailSender:
    from chalicelib.conversations.mail import SesMailSender
    from chalicelib.shared.aws import client

    return SesMailSender(client("ses"))


def s3_client() -> Any:
    from chalicelib.shared.aws import client

    return client("s3")


def restriction_store() -> DynamoRestrictionStore:
    """Restrictions as the admin routes and answer management read them (on the seller's item)."""
    from chalicelib.platform_policy.restrictions import DynamoRestrictionStore
    from chalicelib.shared.aws import settings_client

    return DynamoRestrictionStore(settings_client(), get_config().seller_table_name)


def support_publisher() -> SqsEventPublisher:
    from chalicelib.shared.aws import resolution_client
    from chalicelib.support.publisher import SqsEventPublisher

    return SqsEventPublisher(resolution_client("sqs"), get_config().support_queue_url)


@cache
def ingest_store() -> SupportRequestStore:
    from chalicelib.shared.aws import client
    from chalicelib.support.store import SupportRequestStore

    return SupportRequestStore(client("dynamodb"), get_config().support_requests_table_name)


def health() -> dict[str, Any]:
    from chalicelib.shared.health import check

    return check(get_config())


def reset() -> None:
    """Forget every built store and service (tests, after changing the environment)."""
    for built in (
        resolution_service, settings_service, cached_policy, policy_service, answers_service, ingest_store, conversation_service,
        operations_service,
    ):
        built.cache_clear()
