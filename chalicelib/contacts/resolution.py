"""The resolution use case: seller settings + the platform's verdict + the reveal limit -> contact options, with
the answers shown first, the buyer's texts and a feedback token; one contact event per seller. Ports in, models out."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from chalicelib.answers import feedback
from chalicelib.answers.shown import ShownAnswers
from chalicelib.contacts.limits import (
    Allowance,
    apply_limit,
    explain_limit,
    rate_limit_headers,
    revealed_channels,
    utc_day,
    withholds,
)
from chalicelib.contacts.ranking import explain_seller_layers, not_offered_by_seller, phone_open, primary_option, resolve
from chalicelib.contacts.texts import localize_excluded, localize_options
from chalicelib.models.answers import DEFAULT_LOCALE, PLATFORM_OWNER, Answer, Locale, SuggestedAnswer
from chalicelib.models.common import Caller, Channel, Reason, Role, Topic
from chalicelib.models.conversations import ConversationOffer
from chalicelib.models.events import ContactRequestEvent
from chalicelib.models.policy import (
    ExplainedContactOptions,
    Explanation,
    LayerVerdict,
    PlatformPolicy,
    PolicyLayer,
    default_policy,
)
from chalicelib.models.resolution import BatchRequest, BatchResponse, ContactOption, ContactOptions, ExcludedChannel, StartLink
from chalicelib.models.restriction import SellerRestriction
from chalicelib.models.settings import SellerSettings
from chalicelib.platform_policy.layers import PlatformVerdict, decide, support_alone_reason, switched_off_for, topic_mode
from chalicelib.shared.auth import EXPLAINERS, RESOLVERS, require_role
from chalicelib.shared.cache import TtlCache
from chalicelib.shared.clock import utc_now
from chalicelib.shared.errors import StoreUnavailable
from chalicelib.shared.logs import log
from chalicelib.shared.ports import EventPublisher


class SettingsReads(Protocol):
    """The sellers' settings as a resolution reads them (a restriction alone reads as settings at version 0)."""

    def get(self, seller_id: str) -> SellerSettings | None: ...
    def get_many(self, seller_ids: Sequence[str]) -> tuple[dict[str, SellerSettings], set[str]]: ...


class RevealTally(Protocol):
    def get_with_reveals(
        self, seller_ids: Sequence[str], buyer_id: str, day: date
    ) -> tuple[dict[str, SellerSettings], set[str], frozenset[str] | None]:
        """The sellers' settings, the ids DynamoDB could not answer for, and the buyer's reveals of `day` (None:
        unreadable)."""
        ...


class PolicySource(Protocol):
    def fresh(self) -> PlatformPolicy | None:
        """The policy if the container's copy is within its TTL (else it is read along with the settings)."""
        ...

    def current(self, stored: Callable[[], PlatformPolicy | None] | None = None) -> tuple[PlatformPolicy, bool]:
        """(policy, degraded): degraded when it could not be read and the built-in default stands in. `stored()`:
        the item read along with the settings (raises StoreUnavailable if that failed), instead of a read of its own."""
        ...


class BuiltInPolicy:
    """The policy source when none is wired: the built-in default, never degraded."""

    def fresh(self) -> PlatformPolicy | None:
        return default_policy()

    def current(self, stored: Callable[[], PlatformPolicy | None] | None = None) -> tuple[PlatformPolicy, bool]:
        return default_policy(), False


class Wanted(NamedTuple):
    """What a resolution reads along with the sellers' settings, in the same BatchGetItem."""

    topic: Topic
    reveals_of: tuple[str, date] | None = None  # the buyer's reveal tally of that UTC day
    reply_stats: bool = False  # a single seller's reply summary (the measured reply time)
    policy: bool = False  # the platform policy item: the container's copy is older than its TTL
    answers_of: Sequence[str] = ()  # owners whose answers digest for `topic` the container has not cached


class ReadAlong(NamedTuple):
    """What that one read found."""

    found: dict[str, SellerSettings]
    unavailable: set[str]
    reveals: frozenset[str] | None = None  # None: not asked, or unreadable
    measured_hours: int | None = None
    policy: PlatformPolicy | StoreUnavailable | None = None  # None: not asked, or none stored (the default applies)
    answers: dict[str, list[Answer]] = {}  # noqa: RUF012 - a NamedTuple default; never mutated  # owners whose digest was read


class OneRead(Protocol):
    def read(self, seller_ids: Sequence[str], wanted: Wanted) -> ReadAlong:
        """The sellers' settings and everything `wanted`, in ceil(keys / 100) parallel BatchGetItem calls (a
        GetItem when only one seller's settings are wanted)."""
        ...


class Gathered(NamedTuple):
    """What a resolution knows after its one read."""

    policy: PlatformPolicy
    policy_degraded: bool
    found: dict[str, SellerSettings]
    unavailable: set[str]
    allowance: Allowance | None
    measured_hours: int | None


class Asked(NamedTuple):
    """What one request fixes for every seller it resolves: read once (one instant, one policy)."""

    topic: Topic
    request_id: str
    now: datetime
    policy: PlatformPolicy
    policy_degraded: bool
    buyer_id: str


OFFERS_KEPT = 4096  # sellers x topics x languages a container keeps the offer of (least recently used go first)


class Offer(NamedTuple):
    """One seller's options and left-out channels in the buyer's language, and the primary option: an answer without
    the answers shown, the feedback token and the request's own fields."""

    options: list[ContactOption]
    excluded: list[ExcludedChannel]
    primary: ContactOption
    degraded: bool  # the seller's settings could not be read or used


class Shown(NamedTuple):
    """How the offer is shown to this buyer: their language, the seller's measured reply time on the chat option, and
    the conversation start link (with_start)."""

    locale: Locale
    measured_hours: int | None = None
    start: StartLink | None = None


class OfferKey(NamedTuple):
    """Everything a cached Offer depends on. The settings and the policy stand in by their versions (every write makes
    a new one); a restriction is written without a new settings version, so it is here itself. The buyer stands in
    by what the channel layer takes from them: the channels the rollout leaves out for them."""

    seller_id: str
    settings_version: int | None
    restriction: SellerRestriction | None
    policy_version: int
    topic: Topic
    switched_off: frozenset[Channel]
    shown: Shown


class BuiltFrom(NamedTuple):
    """A cached Offer and the very settings and policy it was built from. The versions in its key see every write; a
    stored item edited by hand keeps its version, but is parsed into new objects (the settings when the item differs,
    the policy at its next refresh), so it is seen as soon as today."""

    settings: SellerSettings | None
    policy: PlatformPolicy
    offer: Offer


class ResolutionService:
    def __init__(
        self,
        store: SettingsReads,
        publisher: EventPublisher,
        clock: Callable[[], datetime] = utc_now,
        *,
        policy: PolicySource | None = None,
        reveals: RevealTally | None = None,
        reads: OneRead | None = None,
        answers: ShownAnswers | None = None,
        feedback_key: str | None = None,
        support_reply_target_hours: int = 24,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._policy = policy or BuiltInPolicy()
        self._reveals = reveals  # None: no reveal limit (the store cannot read the tally)
        # None: the policy and the answers are read by their own sources (a GetItem, Queries), the settings alone
        self._reads = reads
        self._answers = answers
        self._feedback_key = feedback_key
        self._support_target_hours = support_reply_target_hours
        # Versioned keys never go stale: no TTL, only a bound.
        self._offers: TtlCache[OfferKey, BuiltFrom] = TtlCache(_no_load, math.inf, max_entries=OFFERS_KEPT)

    # ------------------------------------------------------------ buyers and support

    def resolve_one(
        self,
        seller_id: str,
        topic: Topic,
        caller: Caller,
        request_id: str,
        *,
        locale: Locale = DEFAULT_LOCALE,
        question: str | None = None,
        start: StartLink | None = None,
    ) -> tuple[ContactOptions, dict[str, str]]:
        """The answer and its RateLimit headers (none when the caller is not limited). `start`: how the app starts a
        conversation, on the options that offer one (with_start)."""
        require_role(caller, RESOLVERS)
        now = self._clock()  # read once: the tally's day, resolved_at and the reset are of one instant
        if self._reads is None:
            policy, policy_degraded = self._policy.current()
            limit = self._limit_for(caller.role, policy)
            settings, unavailable, allowance, measured = self._read_for(seller_id, caller.sub, limit, policy, now, request_id)
        else:
            gathered = self._read_along(self._reads, [seller_id], topic, caller, now, request_id)
            policy, policy_degraded, allowance, measured = gathered.policy, gathered.policy_degraded, gathered.allowance, gathered.measured_hours
            settings, unavailable = gathered.found.get(seller_id), seller_id in gathered.unavailable
        asked = Asked(topic, request_id, now, policy, policy_degraded, caller.sub)
        offer = self._offer(seller_id, settings, unavailable, asked, allowance, Shown(locale, measured, start))
        seller_answers = seller_answers_shown(policy, topic, settings, unavailable)
        result = self._self_service(seller_id, offer, asked, caller, locale, question, seller_answers, prefetched=self._reads is not None)
        self._publisher.publish([contact_event(result, caller, seller_exists(settings, unavailable))])
        return result, rate_limit_headers(allowance, result.resolved_at) if allowance else {}

    def _read_along(self, reads: OneRead, seller_ids: Sequence[str], topic: Topic, caller: Caller, now: datetime, request_id: str) -> Gathered:
        """One read for the settings and whatever the container lacks: the policy once its TTL is over, the answers
        digests it has not cached, a single seller's reply summary, and the reveal tally of a buyer who may be
        limited. A cold container asks for everything, so its first request makes the same calls as a warm one."""
        policy = self._policy.fresh()
        limited = caller.role is Role.BUYER and self._reveals is not None and (
            policy is None or policy.limits.contact_reveals_per_buyer_per_day > 0
        )
        wanted = Wanted(
            topic,
            reveals_of=(caller.sub, utc_day(now)) if limited else None,
            reply_stats=len(seller_ids) == 1,  # the measured reply time: a key more in the one read, never a call more
            policy=policy is None,
            answers_of=self._answers.missing([*seller_ids, PLATFORM_OWNER], topic) if self._answers is not None else (),
        )
        read = reads.read(seller_ids, wanted)
        policy_degraded = False
        if policy is None:
            policy, policy_degraded = self._policy.current(lambda: _stored_policy(read.policy))
        if read.unavailable:  # one line per request: the SettingsUnavailable alarm counts it
            log(logging.WARNING, "settings_unavailable", sellers=len(read.unavailable), request_id=request_id)
        if self._answers is not None:
            self._answers.loaded(topic, read.answers)
        allowance = None
        if self._limit_for(caller.role, policy) is not None:
            allowance = Allowance.from_tally(policy.limits.contact_reveals_per_buyer_per_day, read.reveals)
        return Gathered(policy, policy_degraded, read.found, read.unavailable, allowance, read.measured_hours)

    def _read_for(
        self, seller_id: str, buyer_id: str, limit: RevealTally | None, policy: PlatformPolicy, now: datetime, request_id: str
    ) -> tuple[SellerSettings | None, bool, Allowance | None, int | None]:
        """One seller's settings, whether DynamoDB failed to answer, and, with a `limit`, the buyer's allowance and
        the seller's measured reply time: then the same one BatchGetItem reads the settings, the buyer's tally and
        the seller's reply summary."""
        if limit is None:
            return *self._read_one(seller_id, request_id), None, None
        found, unavailable, allowance, measured = _read_with_tally(limit, [seller_id], buyer_id, policy, now, with_stats=True)
        if unavailable:  # one line per request, as from _read_one and the batch: the SettingsUnavailable alarm counts it
            log(logging.WARNING, "settings_unavailable", seller_id=seller_id, request_id=request_id)
        return found.get(seller_id), seller_id in unavailable, allowance, measured

    def _limit_for(self, role: Role, policy: PlatformPolicy) -> RevealTally | None:
        """The tally to read when the caller is limited: buyers only, and only with a limit set (0: none)."""
        if role is not Role.BUYER or policy.limits.contact_reveals_per_buyer_per_day == 0:
            return None
        return self._reveals

    def explain_one(
        self, seller_id: str, topic: Topic, caller: Caller, request_id: str, buyer_id: str | None,
        *, locale: Locale = DEFAULT_LOCALE, start: StartLink | None = None,
    ) -> ExplainedContactOptions:
        """What `buyer_id` (default: the caller) would be offered, with every layer's verdict. Support only; no event.

        The options carry the buyer's texts (labels, hints, reply times, messages): support reads what the buyer saw.
        """
        require_role(caller, EXPLAINERS)
        buyer = buyer_id or caller.sub
        now = self._clock()
        policy, policy_degraded = self._policy.current()
        # A named buyer is limited as in their own resolution (same read); support explaining itself is not.
        limit = self._limit_for(Role.BUYER, policy) if buyer_id not in (None, caller.sub) else None
        settings, unavailable, allowance, _ = self._read_for(seller_id, buyer, limit, policy, now, request_id)
        restriction = settings.restriction if settings else None
        verdict = decide(policy, topic, seller_id, buyer, restriction, explain=True)
        asked = Asked(topic, request_id, now, policy, policy_degraded, buyer)
        result = self._resolve(seller_id, settings, unavailable, asked, verdict, allowance)
        layers = [
            *verdict.layers,
            *explain_seller_layers(seller_id, settings, unavailable, verdict, now),
            explain_limit(allowance, seller_id, result.options, now),
        ]
        # The channel layer that left out every channel the seller offers left support only, so it decides.
        channels_decide = verdict.support_reason is None and _support_alone_by_channel_layer(result)
        # A platform layer is named only where it removed something the seller offered (as in `excluded`).
        not_offered = {} if unavailable else not_offered_by_seller(seller_id, settings, now)
        layers = [_offered_only(layer, not_offered) for layer in layers]
        layers = [
            layer.model_copy(
                update={
                    "excluded": localize_excluded(layer.excluded, locale),
                    **({"effect": "decides"} if channels_decide and layer.layer is PolicyLayer.PLATFORM_CHANNELS else {}),
                }
            )
            for layer in layers
        ]
        explanation = Explanation(policy_version=policy.version, buyer_id=buyer, layers=layers)
        explained = ExplainedContactOptions(**{**dict(result), **self._texts(result, settings, locale)}, explanation=explanation)
        return explained if start is None else with_start(explained, start)

    def resolve_batch(
        self, request: BatchRequest, caller: Caller, request_id: str, *, locale: Locale = DEFAULT_LOCALE, start: StartLink | None = None
    ) -> tuple[BatchResponse, dict[str, str]]:
        """The answers in request order; the allowance is spent seller by seller in that order."""
        require_role(caller, RESOLVERS)
        now = self._clock()  # read once: every result, the tally's day and the reset are of one instant
        if self._reads is not None:
            policy, policy_degraded, found, unavailable, allowance, _ = self._read_along(
                self._reads, request.seller_ids, request.topic, caller, now, request_id
            )
        else:
            policy, policy_degraded = self._policy.current()
            limit = self._limit_for(caller.role, policy)
            allowance = None
            if limit is None:
                found, unavailable = self._store.get_many(request.seller_ids)
            else:
                found, unavailable, allowance, _ = _read_with_tally(limit, request.seller_ids, caller.sub, policy, now)
            if unavailable:
                log(logging.WARNING, "settings_unavailable", sellers=len(unavailable), request_id=request_id)
        seller_answers = {
            sid: seller_answers_shown(policy, request.topic, found.get(sid), sid in unavailable) for sid in request.seller_ids
        }
        if self._reads is None and len(unavailable) < len(request.seller_ids):  # else DynamoDB failed: the cache only
            self._prefetch_answers([*(sid for sid, shown in seller_answers.items() if shown), PLATFORM_OWNER], request.topic)
        asked = Asked(request.topic, request_id, now, policy, policy_degraded, caller.sub)
        results = [
            self._self_service(
                sid, self._offer(sid, found.get(sid), sid in unavailable, asked, allowance, Shown(locale, start=start)),
                asked, caller, locale, request.question, seller_answers[sid], prefetched=True,
            )
            for sid in request.seller_ids
        ]
        self._publisher.publish(
            [
                contact_event(result, caller, seller_exists(found.get(result.seller_id), result.seller_id in unavailable))
                for result in results
            ]
        )
        response = BatchResponse(topic=request.topic, results=results, request_id=request_id, resolved_at=now)
        return response, rate_limit_headers(allowance, now) if allowance else {}

    def _read_one(self, seller_id: str, request_id: str) -> tuple[SellerSettings | None, bool]:
        try:
            return self._store.get(seller_id), False
        except StoreUnavailable as exc:
            log(logging.WARNING, "settings_unavailable", seller_id=seller_id, request_id=request_id, error=str(exc)[:200])
            return None, True

    def _resolve(
        self,
        seller_id: str,
        settings: SellerSettings | None,
        unavailable: bool,
        asked: Asked,
        verdict: PlatformVerdict | None = None,
        allowance: Allowance | None = None,
    ) -> ContactOptions:
        try:
            return _options(seller_id, settings, unavailable, asked, verdict, allowance)
        except Exception as exc:  # noqa: BLE001 - one seller's stored data never fails the answer or the batch
            log(logging.ERROR, "settings_unresolvable", seller_id=seller_id, request_id=asked.request_id, error=type(exc).__name__)
            return _options(seller_id, None, True, asked, None, allowance)

    def conversation_offer(self, seller_id: str, topic: Topic, buyer_id: str, locale: Locale) -> ConversationOffer:
        """What the resolver offers `buyer_id` now for a conversation: chat, or a masked e-mail (settings, the
        platform's switches and rollout, restrictions). StoreUnavailable when the settings cannot be read."""
        now = self._clock()
        policy, _ = self._policy.current()
        settings = self._store.get(seller_id)
        result = _options(seller_id, settings, False, Asked(topic, "conversation", now, policy, False, buyer_id), None, None)
        channels = {option.channel: option for option in result.options}
        email = channels.get(Channel.EMAIL)
        masked = email is not None and email.masked
        return ConversationOffer(
            chat=Channel.CHAT in channels,
            masked_email=masked,
            excluded=localize_excluded([e for e in result.excluded if e.channel in (Channel.CHAT, Channel.EMAIL)], locale),
            seller_email=settings.email.address if masked and settings is not None else None,
            reply_hours=policy.conversations.seller_reply_hours,
            conversations_per_day=policy.limits.conversations_per_buyer_per_day,
            seller_restricted=settings is not None and settings.restriction is not None,
        )

    def seller_email(self, seller_id: str) -> str | None:
        """The seller's registered address (the relay sends to it and accepts mail from it alone)."""
        settings = self._store.get(seller_id)
        return settings.email.address if settings is not None and settings.email.enabled else None

    # ------------------------------------------------------------ self-service: answers, language, feedback

    def _offer(
        self, seller_id: str, settings: SellerSettings | None, unavailable: bool, asked: Asked, allowance: Allowance | None, shown: Shown
    ) -> Offer:
        """The seller's offer, built once per OfferKey and then reused; the reveal limit is applied on every request.

        Built anew each time: what moves with the clock or the day (a closed phone's next opening, contact values the
        limit withholds until midnight) and unusable settings.
        """
        if not unavailable and _same_at_any_time(settings, asked.now):
            key = OfferKey(
                seller_id, settings.version if settings else None, settings.restriction if settings else None,
                asked.policy.version, asked.topic, switched_off_for(asked.policy, seller_id, asked.buyer_id), shown,
            )
            cached = self._offers.peek(key)
            if cached is not None and cached.settings is settings and cached.policy is asked.policy:
                offer = cached.offer
            else:
                offer = self._build_offer(seller_id, settings, False, asked, None, shown)
                if not offer.degraded:
                    self._offers.put(key, BuiltFrom(settings, asked.policy, offer))
            # admit() answers a second call as it answered the first, so the build below withholds the same channels
            if allowance is None or not withholds(offer.options, seller_id, allowance):
                return offer
        return self._build_offer(seller_id, settings, unavailable, asked, allowance, shown)

    def _build_offer(
        self, seller_id: str, settings: SellerSettings | None, unavailable: bool, asked: Asked, allowance: Allowance | None, shown: Shown
    ) -> Offer:
        # The policy's own degradation is the request's, not the offer's: Offer.degraded speaks of the seller alone.
        result = self._resolve(seller_id, settings, unavailable, asked._replace(policy_degraded=False), allowance=allowance)
        texts = self._texts(result, settings, shown.locale, shown.measured_hours)
        options, primary = texts["options"], texts["primary"]
        if shown.start is not None:
            options, primary = [started(option, shown.start) for option in options], started(primary, shown.start)
        return Offer(options, texts["excluded"], primary, result.degraded)

    def _self_service(
        self,
        seller_id: str,
        offer: Offer,
        asked: Asked,
        caller: Caller,
        locale: Locale,
        question: str | None,
        seller_answers: bool,
        *,
        prefetched: bool = False,
    ) -> ContactOptions:
        """The answer: the offer, with what the buyer sees beyond it (answers first, a feedback token).

        `seller_answers`: the seller's own auto-answers are shown with the platform's (else the platform's alone).
        """
        degraded = offer.degraded or asked.policy_degraded
        # Degraded: DynamoDB did not answer the settings read; answers come from the cache only, so the answer
        # still leaves within the AWS time budget.
        owners = [seller_id, PLATFORM_OWNER] if seller_answers else [PLATFORM_OWNER]
        answers = self._suggest(owners, asked.topic, locale, question, prefetched or degraded)
        token = None
        if self._feedback_key and caller.role is Role.BUYER:  # only a buyer may post the outcome it is for
            token = feedback.issue(
                self._feedback_key, asked.request_id, caller.sub, seller_id, asked.topic,
                int(asked.now.timestamp()), [answer.id for answer in answers],
                [option.channel for option in offer.options if option.contact is not None],  # not one withheld
            )
        return ContactOptions(
            seller_id=seller_id,
            topic=asked.topic,
            answers=answers,
            options=offer.options,
            excluded=offer.excluded,
            primary=offer.primary,
            degraded=degraded,
            policy_version=asked.policy.version,
            request_id=asked.request_id,
            resolved_at=asked.now,
            feedback_token=token,
        )

    def _texts(
        self, result: ContactOptions, settings: SellerSettings | None, locale: Locale, measured_hours: int | None = None
    ) -> dict[str, Any]:
        """The options and left-out channels with the buyer's texts, and the primary option among them."""
        options = localize_options(result.options, settings, locale, result.resolved_at, self._support_target_hours, measured_hours)
        return {"options": options, "excluded": localize_excluded(result.excluded, locale), "primary": primary_option(options)}

    def _suggest(
        self, owners: list[str], topic: Topic, locale: Locale, question: str | None, prefetched: bool
    ) -> list[SuggestedAnswer]:
        if self._answers is None:
            return []
        return self._answers.suggest(owners, topic, locale, question, prefetched)

    def _prefetch_answers(self, owners: list[str], topic: Topic) -> None:
        if self._answers is not None:
            self._answers.prefetch(owners, topic)


def _same_at_any_time(settings: SellerSettings | None, now: datetime) -> bool:
    """Whether the seller's offer stays what it is at `now` for as long as the settings do: not with a closed phone,
    whose next opening moves with the clock. Hours that cannot be read (a hand-edited zone) are left to the
    resolution, which degrades that seller alone."""
    try:
        return phone_open(settings, now) is not False
    except Exception:  # noqa: BLE001 - any stored value the clock check cannot take: never cached
        return False


def _no_load(key: OfferKey) -> BuiltFrom:
    raise LookupError(key)  # offers are put as they are built, never loaded by key


def started(option: ContactOption, start: StartLink) -> ContactOption:
    """The chat option and a masked e-mail option carry how to start the conversation (POST /v1/conversations)."""
    if option.channel is Channel.CHAT or (option.channel is Channel.EMAIL and option.masked):
        return option.model_copy(update={"start": start})
    return option


R = TypeVar("R", bound=ContactOptions)


def with_start(result: R, start: StartLink) -> R:
    """`result` with `start` on the options that start a conversation."""
    if not any(option.channel in (Channel.CHAT, Channel.EMAIL) for option in result.options):
        return result
    return result.model_copy(update={"options": [started(option, start) for option in result.options], "primary": started(result.primary, start)})


def _stored_policy(read: PlatformPolicy | StoreUnavailable | None) -> PlatformPolicy | None:
    if isinstance(read, StoreUnavailable):
        raise read
    return read


def _read_with_tally(
    limit: RevealTally, seller_ids: Sequence[str], buyer_id: str, policy: PlatformPolicy, now: datetime, *, with_stats: bool = False
) -> tuple[dict[str, SellerSettings], set[str], Allowance, int | None]:
    """The sellers' settings and the buyer's allowance for today (and, `with_stats`, one seller's measured reply
    time), read in the same BatchGetItem."""
    measured = None
    with_reply_stats = getattr(limit, "get_with_reveals_and_stats", None) if with_stats else None
    if with_reply_stats is not None:
        found, unavailable, already, measured = with_reply_stats(seller_ids, buyer_id, utc_day(now))
    else:
        found, unavailable, already = limit.get_with_reveals(seller_ids, buyer_id, utc_day(now))
    return found, unavailable, Allowance.from_tally(policy.limits.contact_reveals_per_buyer_per_day, already), measured


def _options(
    seller_id: str,
    settings: SellerSettings | None,
    unavailable: bool,
    asked: Asked,
    verdict: PlatformVerdict | None,
    allowance: Allowance | None,
) -> ContactOptions:
    """The platform's verdict, then the ranking, then the reveal limit: one seller's answer before localisation."""
    topic, request_id, now, policy, policy_degraded, buyer_id = asked
    if verdict is None:
        verdict = decide(policy, topic, seller_id, buyer_id, settings.restriction if settings else None)
    resolution = resolve(seller_id, settings, topic, now, settings_unavailable=unavailable, platform=verdict)
    options = masked_email(resolution.options, settings, policy)
    options = options if allowance is None else apply_limit(options, seller_id, allowance, now)
    return ContactOptions(
        seller_id=seller_id,
        topic=topic,
        options=options,
        excluded=resolution.excluded,
        primary=primary_option(options),
        degraded=unavailable or policy_degraded,
        policy_version=policy.version,
        request_id=request_id,
        resolved_at=now,
    )


def email_masked(settings: SellerSettings | None, policy: PlatformPolicy) -> bool:
    """The seller's e-mail goes through the platform's relay: their own choice, or the platform's for everyone."""
    return policy.channels.email.form == "relay" or (settings is not None and settings.email.masked)


def masked_email(options: list[ContactOption], settings: SellerSettings | None, policy: PlatformPolicy) -> list[ContactOption]:
    """The e-mail option without the address when it is masked: the buyer writes through a conversation."""
    if not email_masked(settings, policy):
        return options
    return [
        option.model_copy(update={"contact": None, "masked": True}) if option.channel is Channel.EMAIL else option
        for option in options
    ]


# Support alone for a reason of the seller's own layer (or of the store): not the platform's channel switches.
_SELLER_SIDE_ALONE = frozenset({Reason.SELLER_HAS_NO_CHANNELS, Reason.SELLER_SETTINGS_MISSING, Reason.SETTINGS_UNAVAILABLE})


_PLATFORM_LAYERS = frozenset({PolicyLayer.SELLER_RESTRICTION, PolicyLayer.TOPIC, PolicyLayer.PLATFORM_CHANNELS})


def _offered_only(layer: LayerVerdict, not_offered: dict[Channel, Reason]) -> LayerVerdict:
    """A platform layer's verdict without the channels the seller never offered; a channel switch that then removes
    nothing has no effect (a restriction or support_only topic still decides: support is all the buyer gets)."""
    if layer.layer not in _PLATFORM_LAYERS or not any(e.channel in not_offered for e in layer.excluded):
        return layer
    kept = [excluded for excluded in layer.excluded if excluded.channel not in not_offered]
    effect = "none" if not kept and layer.layer is PolicyLayer.PLATFORM_CHANNELS else layer.effect
    return layer.model_copy(update={"excluded": kept, "effect": effect})


def _support_alone_by_channel_layer(result: ContactOptions) -> bool:
    """Support is the only option although the seller offers a channel (restriction and topic did not decide)."""
    return [option.channel for option in result.options] == [Channel.SUPPORT] and result.options[0].reason not in _SELLER_SIDE_ALONE


def seller_answers_shown(policy: PlatformPolicy, topic: Topic, settings: SellerSettings | None, unavailable: bool) -> bool:
    """Whether the seller's own auto-answers go before the buyer: not when the platform leaves support alone (a
    restriction, a `support_only` topic), nor when the settings read failed and a restriction cannot be ruled out.

    A seller under review must not reach buyers with their own words (say, a link to pay outside the platform).
    """
    if unavailable:
        return False
    return support_alone_reason(topic_mode(policy, topic), settings.restriction if settings else None) is None


def seller_exists(settings: SellerSettings | None, unavailable: bool) -> bool | None:
    """Whether the seller has stored settings (version 0: only the platform's restriction); None when the store could not say."""
    return None if unavailable else settings is not None and settings.version > 0


def contact_event(result: ContactOptions, caller: Caller, exists: bool | None) -> ContactRequestEvent:
    return ContactRequestEvent(
        occurred_at=result.resolved_at,
        request_id=result.request_id,
        buyer_id=caller.sub,
        seller_id=result.seller_id,
        topic=result.topic,
        primary_channel=result.primary.channel,
        offered=[option.channel for option in result.options],
        degraded=result.degraded,
        caller_role=caller.role,
        seller_exists=exists,
        policy_version=result.policy_version,
        revealed=revealed_channels(result.options),
        withheld=[option.channel for option in result.options if option.reason is Reason.CONTACT_LIMIT_REACHED],
        support_reason=next(option.reason for option in result.options if option.channel is Channel.SUPPORT),
    )
