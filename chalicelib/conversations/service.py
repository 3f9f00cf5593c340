"""Conversation use cases: start, list, read, post, escalate, close; the reply-clock sweep; mail in and out.

Ports in (the store, the resolver's offer, the seller's address, the event publisher, the mail sender, the clock),
models out. Every message is redacted (moderation.redact) in its author's language before it is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from chalicelib.conversations import rules
from chalicelib.conversations.records import (
    Counter,
    Idempotent,
    InvalidCursor,
    Reads,
    StatsUpdate,
    StoredConversation,
    WriteRefused,
)
from chalicelib.conversations.rules import Access, ReplyClock, RuleViolation
from chalicelib.models.answers import Locale
from chalicelib.models.common import Caller, Role, Topic
from chalicelib.models.conversations import (
    CONVERSATIONS_PER_PAGE,
    MESSAGES_PER_PAGE,
    AuthorRole,
    Conversation,
    ConversationList,
    ConversationOffer,
    ConversationStatus,
    Message,
    PostMessage,
    RedactedKind,
    StartConversation,
    Transcript,
    Via,
)
from chalicelib.models.events import (
    AnyEvent,
    ConversationEscalatedEvent,
    ConversationStartedEvent,
    ConversationViewedEvent,
    ReplyOverdueEvent,
)
from chalicelib.moderation.contacts import redact
from chalicelib.relay.addresses import RelayMapping, RelayStoreUnavailable, Side, new_local_part
from chalicelib.relay.bounce import bounce_recipient, build_bounce
from chalicelib.relay.inbound import MailVerdicts, parse_inbound
from chalicelib.relay.outbound import build_outgoing, display_name
from chalicelib.relay.receive import Received, receive
from chalicelib.relay.refusals import Refusal, RelayVerdict
from chalicelib.shared.clock import utc_now
from chalicelib.shared.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound, StoreUnavailable
from chalicelib.shared.logs import log
from chalicelib.shared.ports import EventPublisher

# Statuses support lists across every seller, each from a sparse index of its own (store.STATE_INDEXES).
BY_STATE = frozenset({ConversationStatus.ESCALATED, ConversationStatus.WAITING_SELLER})
IDEMPOTENCY_TTL = timedelta(hours=24)
STATS_TTL = timedelta(days=400)
MAX_IDEMPOTENCY_KEY_CHARS = 255


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, details: Any, *, code: str, headers: dict[str, str], retry_after: int) -> None:
        super().__init__(message, details, code=code)
        self.headers = headers
        self.retry_after_seconds = retry_after


class SellerRestricted(Forbidden):
    """The platform restricts the seller: they may not post in their conversations (the app's 403; the relay refuses
    their mail). Support answers the buyer meanwhile."""

    status, code = 403, "seller_restricted"


@dataclass(frozen=True)
class SellerTerms:
    """What a message needs to know of its seller: the reply time and whether the platform restricts them."""

    reply_hours: int
    restricted: bool


class Offers(Protocol):
    def conversation_offer(self, seller_id: str, topic: Topic, buyer_id: str, locale: Locale) -> ConversationOffer:
        """What the resolver offers the buyer now (StoreUnavailable: the settings cannot be read)."""
        ...


class SellerAddresses(Protocol):
    def seller_email(self, seller_id: str) -> str | None:
        """The seller's registered e-mail address, None without one."""
        ...


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Send one message; raises when it was not accepted."""
        ...


class ConversationRecords(Protocol):
    """The store (chalicelib/conversations/store.py) as the use cases need it."""

    def read(self, conversation_id: str, idempotency_pk: str | None = None, counters: Sequence[str] = ()) -> Reads: ...
    def get(self, conversation_id: str) -> StoredConversation | None: ...
    def list_conversations(self, index: str, owner: str, status: ConversationStatus | None, cursor: str | None, limit: int) -> tuple[list[Conversation], str | None]: ...
    def list_by_state(self, status: ConversationStatus, cursor: str | None, limit: int) -> tuple[list[Conversation], str | None]: ...
    def messages(self, conversation_id: str, cursor: str | None, limit: int, since: datetime | None = None) -> tuple[list[Message], str | None]: ...
    def overdue(self, now: datetime, shard: str, limit: int = 100) -> list[StoredConversation]: ...
    def relay(self, local_part: str) -> tuple[str, Side] | None: ...
    def save(self, stored: StoredConversation, *, expected_version: int, message: Message | None = None,
             relay: Sequence[tuple[str, Side]] = (), counters: Sequence[Counter] = (), idempotent: Idempotent | None = None,
             stats: StatsUpdate | None = None, rollups: Sequence[rules.RollupAdd] = ()) -> None: ...
    def add_rollups(self, rollups: Sequence[rules.RollupAdd]) -> None: ...
    def purge(self, conversation_id: str) -> int: ...
    def queue_mail(self, raw: bytes, created_at: datetime, mail_id: str) -> None: ...
    def queued_mail(self, limit: int = 25) -> list[tuple[str, bytes]]: ...
    def mail_sent(self, sort_key: str) -> None: ...


@dataclass(frozen=True)
class Answer:
    """What a route sends: status, JSON body and headers."""

    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Idempotency:
    """The Idempotency-Key of a message-creating POST and the hash of what was asked."""

    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str | None, method: str, path: str, body: bytes) -> Idempotency | None:
        if key is None:
            return None
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS or not all(0x21 <= ord(char) <= 0x7E for char in key):
            raise BadRequest(
                f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters.",
                {"header": "Idempotency-Key"}, code="invalid_idempotency_key",
            )
        digest = hashlib.sha256(b"\x00".join((method.encode(), path.encode(), body))).hexdigest()
        return cls(key, digest)


@dataclass(frozen=True)
class SweepResult:
    escalated: int = 0
    purged: int = 0
    mail_sent: int = 0
    mail_failed: int = 0


class ConversationService:
    def __init__(
        self,
        store: ConversationRecords,
        offers: Offers,
        sellers: SellerAddresses,
        publisher: EventPublisher,
        mail: MailSender | None,
        *,
        id_key: str,
        relay_domain: str,
        platform_domain: str,
        platform_name: str = "Marketplace",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._offers = offers
        self._sellers = sellers
        self._publisher = publisher
        self._mail = mail
        self._id_key = id_key
        self._relay_domain = relay_domain.lower()
        self._platform_domain = platform_domain
        self._platform_name = platform_name
        self._clock = clock

    # ------------------------------------------------------------ start

    def start(
        self, caller: Caller, body: StartConversation, idempotency: Idempotency | None, request_id: str, locale: Locale,
        location: Callable[[str], str],
    ) -> Answer:
        """POST /v1/conversations: 201 new, 200 the pair's existing one (a closed one reopens, `text` as a message)."""
        if caller.role is not Role.BUYER:
            raise Forbidden("Only a buyer starts a conversation.", {"role": caller.role.value}, code="wrong_role")
        now = self._clock()
        cid = rules.conversation_id(self._id_key, caller.sub, body.seller_id)
        idem_pk = self._idempotency_pk(caller, idempotency)
        day_pk = f"rate#buyer#{caller.sub}#{rules.day_window(now)}"
        # A start with `text` posts a message: it counts against the messages-per-hour limit like any other.
        message_pk = f"rate#{cid}#{Access.BUYER.value}#{rules.hour_window(now)}"
        reads = self._store.read(cid, idem_pk, [day_pk, message_pk])
        messages_used = reads.counters.get(message_pk, 0)
        if (replay := self._replay(reads, idempotency)) is not None:
            return replay
        offer = self._offer(body.seller_id, body.topic, caller.sub, locale)
        limited = offer.conversations_per_day > 0
        stored = reads.stored
        if stored is not None and rules.expired(stored.conversation.last_message_at, now):
            # Past its retention, not yet removed by TTL: it goes now, with its messages, and the pair starts afresh
            # (writing to it would bring back messages older than 180 days after its last one).
            self._store.purge(cid)
            stored = None
        counters: list[Counter] = []
        used = reads.counters.get(day_pk, 0)
        if stored is None or stored.conversation.status is ConversationStatus.CLOSED:
            counters = self._day_counters(offer, day_pk, used, now)
        headers = self._conversation_headers(offer, used + len(counters), now) if limited else {}
        if stored is not None and stored.conversation.status is not ConversationStatus.CLOSED:
            if body.text is None:
                return self._answer(200, stored.conversation, headers)
            posted = self._post(stored, Access.BUYER, body.text, Via.APP, locale, now, offer.reply_hours, idempotency, idem_pk,
                                200, headers, topic=body.topic, order_id=body.order_id, counters=counters, rate_used=messages_used,
                                was=stored, seller_restricted=offer.seller_restricted)
            return posted
        reopened = stored is not None
        if stored is None:
            stored = self._new(cid, caller, body, offer, now)
        else:
            stored = StoredConversation(
                rules.reopen(stored.conversation, body.topic, body.order_id),
                ReplyClock(), stored.version, stored.buyer_email, stored.buyer_mask, stored.order_ids,
            )
        status = 200 if reopened else 201
        headers = {**headers, "Location": location(cid)} if not reopened else headers
        event = ConversationStartedEvent(
            occurred_at=now, request_id=request_id, seller_id=body.seller_id, conversation_id=cid, buyer_id=caller.sub,
            topic=body.topic, has_order=body.order_id is not None, reopened=reopened, relay=stored.conversation.relay_address is not None,
        )
        relay = [] if reopened else self._relay_items(stored)
        if body.text is None:
            answer = self._answer(status, stored.conversation, headers)
            self._save(stored, expected=0 if not reopened else stored.version, new_version=True, relay=relay, counters=counters,
                       idempotent=self._idempotent(idem_pk, idempotency, answer, now), was=reads.stored, now=now,
                       day_counts={"reopened" if reopened else "started": 1})
            self._publish([event])
            return answer
        answer = self._post(stored, Access.BUYER, body.text, Via.APP, locale, now, offer.reply_hours, idempotency, idem_pk, status,
                            headers, topic=body.topic, order_id=body.order_id, counters=counters, relay=relay,
                            expected=0 if not reopened else stored.version, events=[event], rate_used=messages_used,
                            was=reads.stored, day_counts={"reopened" if reopened else "started": 1},
                            seller_restricted=offer.seller_restricted)
        return answer

    def _new(self, cid: str, caller: Caller, body: StartConversation, offer: ConversationOffer, now: datetime) -> StoredConversation:
        relay_address = buyer_mask = buyer_email = None
        if offer.masked_email:
            relay_address = f"{new_local_part()}@{self._relay_domain}"
            buyer_mask = f"{new_local_part()}@{self._relay_domain}"
            buyer_email = caller.email
        conversation = Conversation(
            conversation_id=cid, buyer_id=caller.sub, seller_id=body.seller_id, status=ConversationStatus.WAITING_BUYER,
            created_at=now, last_message_at=now, relay_address=relay_address, topic=body.topic, order_id=body.order_id,
        )
        return StoredConversation(conversation, ReplyClock(), 0, buyer_email, buyer_mask, (body.order_id,) if body.order_id else ())

    @staticmethod
    def _relay_items(stored: StoredConversation) -> list[tuple[str, Side]]:
        items = []
        if stored.conversation.relay_address:
            items.append((stored.conversation.relay_address.partition("@")[0], Side.SELLER))
        if stored.buyer_mask:
            items.append((stored.buyer_mask.partition("@")[0], Side.BUYER))
        return items

    def _offer(self, seller_id: str, topic: Topic, buyer_id: str, locale: Locale) -> ConversationOffer:
        """What the resolver offers now; 409 contact_not_offered without chat or a masked e-mail (StoreUnavailable:
        503). Starting a conversation and reopening a closed one both ask it."""
        offer = self._offers.conversation_offer(seller_id, topic, buyer_id, locale)
        if not offer.offered:
            raise Conflict(
                "The seller cannot be reached by a conversation now.",
                {"excluded": [json.loads(item.model_dump_json()) for item in offer.excluded]},
                code="contact_not_offered",
            )
        return offer

    def _day_counters(self, offer: ConversationOffer, day_pk: str, used: int, now: datetime) -> list[Counter]:
        """The buyer's daily conversation counter a new or reopened conversation adds to (none without a limit);
        429 conversation_limit_reached when today's are used up. The write is conditional on the limit too."""
        if offer.conversations_per_day <= 0:
            return []
        if used >= offer.conversations_per_day:
            raise self._conversation_limit(offer, used, now)
        return [Counter(day_pk, offer.conversations_per_day, int(now.timestamp()) + 2 * 86400, "conversations_limit")]

    def _conversation_limit(self, offer: ConversationOffer, used: int, now: datetime) -> TooManyRequests:
        reset = rules.seconds_to_next_day(now)
        return TooManyRequests(
            f"A buyer may start {offer.conversations_per_day} conversations a day.",
            {"limit": offer.conversations_per_day}, code="conversation_limit_reached",
            headers=rules.rate_limit_headers("conversations", offer.conversations_per_day, used, 86400, reset), retry_after=reset,
        )

    @staticmethod
    def _conversation_headers(offer: ConversationOffer, used: int, now: datetime) -> dict[str, str]:
        return rules.rate_limit_headers("conversations", offer.conversations_per_day, used, 86400, rules.seconds_to_next_day(now))

    # ------------------------------------------------------------ reads

    def list_conversations(
        self, caller: Caller, status: ConversationStatus | None, seller_id: str | None, buyer_id: str | None, cursor: str | None
    ) -> ConversationList:
        """Own conversations, newest first; support (and admin) name a seller or a buyer, or list every conversation
        escalated (the oldest escalation first) or waiting for the seller (the earliest reply due first)."""
        if caller.role in (Role.SUPPORT, Role.ADMIN) and seller_id is None and buyer_id is None and status in BY_STATE:
            assert status is not None  # nosec B101 - BY_STATE holds no None (for mypy)
            try:
                listed, next_cursor = self._store.list_by_state(status, cursor, CONVERSATIONS_PER_PAGE)
            except InvalidCursor:
                raise _invalid_cursor() from None
            now = self._clock()
            return ConversationList(conversations=[c for c in listed if not rules.expired(c.last_message_at, now)], next_cursor=next_cursor)
        if caller.role in (Role.SUPPORT, Role.ADMIN):
            if (seller_id is None) == (buyer_id is None):
                raise BadRequest(
                    "Support lists by ?seller_id= or ?buyer_id= (one of them), or every conversation by ?status=escalated or waiting_seller.",
                    {"field": "seller_id"}, code="missing_owner",
                )
            index, owner = ("by_seller", seller_id) if seller_id is not None else ("by_buyer", buyer_id)
        elif seller_id is not None or buyer_id is not None:
            raise BadRequest("seller_id and buyer_id are for support; a party lists its own.", {"field": "seller_id"}, code="invalid_owner")
        elif caller.role is Role.BUYER:
            index, owner = "by_buyer", caller.sub
        else:
            index, owner = "by_seller", caller.seller_id or ""
        assert owner is not None  # nosec B101 - one of them was given (for mypy)
        try:
            conversations, next_cursor = self._store.list_conversations(index, owner, status, cursor, CONVERSATIONS_PER_PAGE)
        except InvalidCursor:
            raise _invalid_cursor() from None
        now = self._clock()  # an expired conversation is gone for every reader, listed or read, whenever TTL comes
        live = [conversation for conversation in conversations if not rules.expired(conversation.last_message_at, now)]
        return ConversationList(conversations=live, next_cursor=next_cursor)

    def transcript(self, caller: Caller, conversation_id: str, cursor: str | None, request_id: str) -> Transcript:
        stored, reached_as = self._reach(caller, conversation_id)
        try:
            messages, next_cursor = self._store.messages(conversation_id, cursor, MESSAGES_PER_PAGE, stored.conversation.created_at)
        except InvalidCursor:
            raise _invalid_cursor() from None
        if reached_as in (Access.SUPPORT, Access.ADMIN):
            conversation = stored.conversation
            self._publish([ConversationViewedEvent(
                occurred_at=self._clock(), request_id=request_id, seller_id=conversation.seller_id, conversation_id=conversation_id,
                buyer_id=conversation.buyer_id, viewed_by=caller.sub, viewer_role=caller.role,
            )])
        return Transcript(conversation=stored.conversation, messages=messages, next_cursor=next_cursor)

    def _reach(self, caller: Caller, conversation_id: str) -> tuple[StoredConversation, Access]:
        stored = self._store.get(conversation_id)
        reached_as = rules.access(caller, stored.conversation) if stored is not None else None
        if stored is None or reached_as is None or self._expired(stored):
            raise NotFound("There is no such conversation.", {"conversation_id": conversation_id}, code="conversation_not_found")
        return stored, reached_as

    def _expired(self, stored: StoredConversation) -> bool:
        """Past its retention: TTL removes the item within days; until then it is gone for every reader."""
        return rules.expired(stored.conversation.last_message_at, self._clock())

    # ------------------------------------------------------------ writes

    def post_message(
        self, caller: Caller, conversation_id: str, body: PostMessage, idempotency: Idempotency | None, locale: Locale
    ) -> Answer:
        now = self._clock()
        idem_pk = self._idempotency_pk(caller, idempotency)
        stored = self._store.get(conversation_id)
        reached_as = rules.access(caller, stored.conversation) if stored is not None else None
        if stored is None or reached_as is None or self._expired(stored):
            raise NotFound("There is no such conversation.", {"conversation_id": conversation_id}, code="conversation_not_found")
        try:
            author = rules.author_role(reached_as)
        except RuleViolation as exc:
            raise Forbidden(exc.message, {"role": caller.role.value}, code=exc.code) from None
        rate_pk = f"rate#{conversation_id}#{author.value}#{rules.hour_window(now)}"
        day_pk = f"rate#buyer#{caller.sub}#{rules.day_window(now)}"
        # The buyer's day counter only for a reopening (read in the same BatchGetItem); should the conversation close
        # between the two reads, the counter's conditional write still holds the limit.
        reopening = author is AuthorRole.BUYER and stored.conversation.status is ConversationStatus.CLOSED
        reads = self._store.read(conversation_id, idem_pk, [rate_pk, day_pk] if reopening else [rate_pk])
        if (replay := self._replay(reads, idempotency)) is not None:
            return replay
        stored = reads.stored or stored
        counters: list[Counter] = []
        headers: dict[str, str] = {}
        if author is AuthorRole.BUYER and stored.conversation.status is ConversationStatus.CLOSED:
            # A buyer's message reopens a closed conversation: as starting one would, it needs the offer now and
            # counts against the buyer's conversations of the day.
            conversation = stored.conversation
            offer = self._offer(conversation.seller_id, conversation.topic, caller.sub, locale)
            used = reads.counters.get(day_pk, 0)
            counters = self._day_counters(offer, day_pk, used, now)
            headers = self._conversation_headers(offer, used + len(counters), now) if counters else {}
            terms = SellerTerms(offer.reply_hours, offer.seller_restricted)
        else:
            terms = self._seller_terms(stored)
        return self._post(stored, reached_as, body.text, Via.APP, locale, now, terms.reply_hours, idempotency, idem_pk, 201, headers,
                          counters=counters, rate_used=reads.counters.get(rate_pk, 0), was=stored, seller_restricted=terms.restricted)

    def _seller_terms(self, stored: StoredConversation) -> SellerTerms:
        """The reply time and the seller's restriction, from the offer's one read of the seller's settings item (the
        restriction lives on it: platform_policy/restrictions.py), so a message costs no extra read for it.

        An item that cannot be read gives the default reply time and "not restricted": a DynamoDB blip does not stop
        every conversation, and an admin's restriction applies from the next message that reads it."""
        conversation = stored.conversation
        try:
            offer = self._offers.conversation_offer(conversation.seller_id, conversation.topic, conversation.buyer_id, Locale.EN)
        except StoreUnavailable as exc:
            log(logging.WARNING, "seller_terms_unread", seller_id=conversation.seller_id,
                conversation_id=conversation.conversation_id, error=type(exc).__name__)
            return SellerTerms(24, False)
        return SellerTerms(offer.reply_hours, offer.seller_restricted)

    def _post(
        self,
        stored: StoredConversation,
        reached_as: Access,
        text: str,
        via: Via,
        locale: Locale,
        now: datetime,
        reply_hours: int,
        idempotency: Idempotency | None,
        idem_pk: str | None,
        status: int,
        headers: dict[str, str],
        *,
        topic: Topic | None = None,
        order_id: str | None = None,
        counters: Sequence[Counter] = (),
        relay: Sequence[tuple[str, Side]] = (),
        expected: int | None = None,
        events: Sequence[AnyEvent] = (),
        rate_used: int | None = None,
        was: StoredConversation | None,
        day_counts: dict[str, int] | None = None,
        seller_restricted: bool = False,
    ) -> Answer:
        """Redact, apply the rules, store in one transaction, send the events (one queue send), mail the other side.

        `seller_restricted`: the platform restricts the seller (403 seller_restricted for their message; a buyer's
        message escalates the conversation to support and is not mailed to the seller)."""
        author = rules.author_role(reached_as)
        conversation = stored.conversation
        order_ids = tuple(dict.fromkeys([*stored.order_ids, *([order_id] if order_id else [])]))[-rules.MAX_ORDER_IDS :]
        redaction = redact(text, locale.value, self._platform_domain, order_ids, relay_domain=self._relay_domain)
        try:
            posted = rules.post(conversation, stored.clock, author, now, reply_hours, topic, order_id, seller_restricted)
        except RuleViolation as exc:
            if exc.code == "seller_restricted":
                raise SellerRestricted(exc.message, {"conversation_id": conversation.conversation_id}, code=exc.code) from None
            raise Conflict(exc.message, {"status": conversation.status.value}, code=exc.code) from None
        message = Message(
            message_id=uuid.uuid4().hex, author_role=author, via=via, text=redaction.text,
            redacted=[RedactedKind(kind.value) for kind in redaction.removed], topic=posted.conversation.topic,
            order_id=order_id if author is AuthorRole.BUYER else None, created_at=now,
        )
        all_counters = list(counters)
        if rate_used is not None:
            rate_pk = f"rate#{conversation.conversation_id}#{author.value}#{rules.hour_window(now)}"
            reset = rules.seconds_to_next_hour(now)
            limit = rules.MESSAGES_PER_HOUR_PER_SIDE
            if rate_used >= limit:
                raise TooManyRequests(
                    f"At most {limit} messages an hour per conversation and side.", {"limit": limit}, code="message_rate_limited",
                    headers=rules.rate_limit_headers("messages", limit, rate_used, 3600, reset), retry_after=reset,
                )
            all_counters.append(Counter(rate_pk, limit, int(now.timestamp()) + 7200, "messages_limit"))
            # A start names its own policy ("conversations") in the headers; a post names "messages".
            headers = {**rules.rate_limit_headers("messages", limit, rate_used + 1, 3600, reset), **headers}
        new = StoredConversation(posted.conversation, posted.clock, stored.version, stored.buyer_email, stored.buyer_mask, order_ids)
        stats = None
        if author is AuthorRole.SELLER:
            counts = {"replies": 1 if posted.reply_seconds is not None else 0, "messages": 1, "redactions": 1 if redaction.removed else 0}
            if posted.reply_seconds is not None:
                counts["replies_on_time"] = 1 if posted.on_time else 0
                counts[f"bucket_{rules.reply_bucket(posted.reply_seconds)}"] = 1
            stats = StatsUpdate(conversation.seller_id, rules.day_window(now), counts, int((now + STATS_TTL).timestamp()))
        body = message if status == 201 and expected is None else None
        answer = self._answer(status, body or posted.conversation, headers)
        counts = {**(day_counts or {}), **rules.message_day_counts([kind.value for kind in redaction.removed])}
        if posted.reopened and not day_counts:  # a buyer's message reopened a closed conversation (not a start)
            counts["reopened"] = 1
        if posted.escalated:
            counts["escalated"] = 1
        self._save(
            new, expected=stored.version if expected is None else expected, new_version=True, message=message, relay=relay,
            counters=all_counters, idempotent=self._idempotent(idem_pk, idempotency, answer, now), stats=stats,
            was=was, now=now, day_counts=counts,
        )
        published = list(events)
        if posted.reopened and not events:
            published.append(ConversationStartedEvent(
                occurred_at=now, request_id=message.message_id, seller_id=conversation.seller_id,
                conversation_id=conversation.conversation_id, buyer_id=conversation.buyer_id, topic=posted.conversation.topic,
                has_order=posted.conversation.order_id is not None, reopened=True, relay=conversation.relay_address is not None,
            ))
        if posted.escalated:  # support's queue learns why: the buyer wrote to a seller the platform restricts
            published.append(ConversationEscalatedEvent(
                occurred_at=now, request_id=message.message_id, seller_id=conversation.seller_id,
                conversation_id=conversation.conversation_id, buyer_id=conversation.buyer_id, escalated_by="buyer",
                reason="seller_restricted",
            ))
        self._publish(published)
        if not (seller_restricted and author is AuthorRole.BUYER):  # a restricted seller receives nothing meanwhile
            self._mail_on(new, message, via)
        return answer

    def _save(
        self, stored: StoredConversation, *, expected: int, new_version: bool, was: StoredConversation | None, now: datetime,
        day_counts: dict[str, int] | None = None, **writes: Any,
    ) -> None:
        """Store `stored` at version `expected`; `was`: the conversation as it was stored (None: new), for the roll-up."""
        versioned = StoredConversation(
            stored.conversation, stored.clock, expected + 1 if new_version else stored.version, stored.buyer_email,
            stored.buyer_mask, stored.order_ids,
        )
        rollups = rules.rollup_changes(
            stored.conversation.conversation_id, (was.conversation, was.clock) if was is not None else None,
            (stored.conversation, stored.clock), now, day_counts or {},
        )
        try:
            self._store.save(versioned, expected_version=expected, rollups=rollups, **writes)
        except WriteRefused as refused:
            if refused.which == "conversations_limit":
                raise TooManyRequests("Today's conversation limit is reached.", None, code="conversation_limit_reached", headers={}, retry_after=60) from None
            if refused.which == "messages_limit":
                raise TooManyRequests("Too many messages this hour.", None, code="message_rate_limited", headers={}, retry_after=60) from None
            if refused.which == "idempotency_key_taken":
                raise Conflict("A request with this Idempotency-Key is in progress; retry it.", None, code="idempotency_key_in_progress") from None
            raise Conflict("The conversation changed meanwhile; retry.", None, code="concurrent_change") from None

    def escalate(self, caller: Caller, conversation_id: str, request_id: str) -> Conversation:
        stored, reached_as = self._reach(caller, conversation_id)
        if reached_as not in (Access.BUYER, Access.SELLER):
            raise Forbidden("Only a party escalates a conversation.", {"role": caller.role.value}, code="wrong_role")
        if stored.conversation.status is ConversationStatus.ESCALATED:
            return stored.conversation  # already with support: a repeat changes nothing (no count, no event)
        try:
            conversation = rules.escalate(stored.conversation, self._clock())
        except RuleViolation as exc:
            raise Conflict(exc.message, {"status": stored.conversation.status.value}, code=exc.code) from None
        changed = StoredConversation(conversation, ReplyClock(), stored.version, stored.buyer_email, stored.buyer_mask, stored.order_ids)
        try:
            # Conditional on the version read, so on the status: of concurrent escalates exactly one is written and counted.
            self._save(changed, expected=stored.version, new_version=True, was=stored, now=self._clock(), day_counts={"escalated": 1})
        except Conflict as exc:
            if exc.code != "concurrent_change":
                raise
            now_stored = self._store.get(conversation_id)
            if now_stored is not None and now_stored.conversation.status is ConversationStatus.ESCALATED:
                return now_stored.conversation  # another escalate (or the sweep) won the race and counted it
            raise
        self._publish([ConversationEscalatedEvent(
            occurred_at=self._clock(), request_id=request_id, seller_id=conversation.seller_id, conversation_id=conversation_id,
            buyer_id=conversation.buyer_id, escalated_by="buyer" if reached_as is Access.BUYER else "seller",
        )])
        return conversation

    def close(self, caller: Caller, conversation_id: str) -> Conversation:
        stored, reached_as = self._reach(caller, conversation_id)
        if reached_as is Access.ADMIN:
            raise Forbidden("The parties or support close a conversation.", {"role": caller.role.value}, code="wrong_role")
        if stored.conversation.status is ConversationStatus.CLOSED:
            return stored.conversation
        conversation = rules.close(stored.conversation)
        changed = StoredConversation(conversation, ReplyClock(), stored.version, stored.buyer_email, stored.buyer_mask, stored.order_ids)
        self._save(changed, expected=stored.version, new_version=True, was=stored, now=self._clock(), day_counts={"closed": 1})
        return conversation

    # ------------------------------------------------------------ idempotency

    @staticmethod
    def _idempotency_pk(caller: Caller, idempotency: Idempotency | None) -> str | None:
        return f"idempotency#{caller.sub}#{idempotency.key}" if idempotency is not None else None

    @staticmethod
    def _replay(reads: Reads, idempotency: Idempotency | None) -> Answer | None:
        stored = reads.idempotent
        if idempotency is None or stored is None:
            return None
        if stored.request_hash != idempotency.request_hash:
            raise ApiError_422("This Idempotency-Key was used with another request.", {"header": "Idempotency-Key"})
        return Answer(stored.status, stored.body, {"Idempotent-Replayed": "true"})

    @staticmethod
    def _answer(status: int, model: Conversation | Message, headers: dict[str, str]) -> Answer:
        return Answer(status, model.model_dump_json(), headers)

    @staticmethod
    def _idempotent(idem_pk: str | None, idempotency: Idempotency | None, answer: Answer, now: datetime) -> Idempotent | None:
        if idem_pk is None or idempotency is None:
            return None
        return Idempotent(idem_pk, idempotency.request_hash, answer.status, answer.body, int((now + IDEMPOTENCY_TTL).timestamp()))

    def _publish(self, events: Sequence[AnyEvent]) -> None:
        if events:
            self._publisher.publish(events)

    # ------------------------------------------------------------ the reply clock

    def sweep(self, now: datetime | None = None) -> SweepResult:
        """Escalate every conversation whose seller reply is overdue (reason reply_overdue), purge expired ones and
        retry the mail SES did not take. The scheduled `conversation_sweep` runs it every 5 minutes."""
        now = now or self._clock()
        escalated = purged = 0
        for shard in range(rules.DUE_SHARDS):
            for stored in self._store.overdue(now, f"due#{shard}"):
                conversation = stored.conversation
                if rules.expired(conversation.last_message_at, now):
                    purged += 1 if self.purge_expired_conversation(conversation.conversation_id, now) else 0
                    continue
                if not rules.overdue(conversation, now):
                    continue
                due = conversation.seller_reply_due_at
                changed = StoredConversation(rules.escalate(conversation, now), ReplyClock(), stored.version, stored.buyer_email,
                                             stored.buyer_mask, stored.order_ids)
                try:
                    self._save(changed, expected=stored.version, new_version=True, was=stored, now=now,
                               day_counts={"escalated": 1, "reply_overdue": 1})
                except ApiError:
                    continue  # a reply or a close won the race: the next sweep sees the new state
                escalated += 1
                assert due is not None  # nosec B101 - overdue() checked it (for mypy)
                self._publish([ReplyOverdueEvent(
                    occurred_at=now, request_id=f"sweep-{uuid.uuid4().hex[:12]}", seller_id=conversation.seller_id,
                    conversation_id=conversation.conversation_id, buyer_id=conversation.buyer_id, seller_reply_due_at=due,
                )])
        sent, failed = self.retry_mail()
        log(logging.INFO, "conversation_sweep", escalated=escalated, purged=purged, mail_sent=sent, mail_failed=failed)
        return SweepResult(escalated, purged, sent, failed)

    def purge_expired_conversation(self, conversation_id: str, now: datetime | None = None) -> bool:
        """Delete a conversation whose retention has passed, with every message and relay address it still has."""
        now = now or self._clock()
        stored = self._store.get(conversation_id)
        if stored is not None and not rules.expired(stored.conversation.last_message_at, now):
            return False
        self._store.purge(conversation_id)
        if stored is not None:  # it leaves its state's gauge (the purge is no transaction: counted after it)
            closed = rules.replace_fields(stored.conversation, status=ConversationStatus.CLOSED)
            self._store.add_rollups(rules.rollup_changes(conversation_id, (stored.conversation, stored.clock), (closed, ReplyClock()), now, {}))
        return True

    # ------------------------------------------------------------ the relay

    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        """RelayAddressLookup: the conversation and side a relay address stands for, and the only accepted writer."""
        try:
            found = self._store.relay(local_part)
            if found is None:
                return None
            conversation_id, stands_for = found
            stored = self._store.get(conversation_id)
            if stored is None or self._expired(stored):
                return None
            current = (stored.conversation.relay_address, stored.buyer_mask)
            if not any(address and address.partition("@")[0] == local_part for address in current):
                return None  # an expired conversation's address, left until retention deletes it: not the new one's
            if stands_for is Side.SELLER:  # the buyer writes to it, from their verified address
                writer = stored.buyer_email
            else:
                writer = self._sellers.seller_email(stored.conversation.seller_id)
        except StoreUnavailable as exc:
            raise RelayStoreUnavailable(str(exc)) from exc
        if writer is None:
            return None
        closed = stored.conversation.status is ConversationStatus.CLOSED
        return RelayMapping(conversation_id, stands_for, writer, closed)

    def receive_mail(
        self, raw: bytes, rcpt_tos: list[str], verdicts: MailVerdicts | None = None, *, mail_from: str | None
    ) -> RelayVerdict:
        """One inbound mail: refused (why), or stored as a message `via: email` of its author and sent on.
        `mail_from`: the envelope sender (SMTP's MAIL FROM; on AWS the Return-Path SES writes first on the stored mail)."""
        placed = receive(raw, rcpt_tos, self._relay_domain, self, verdicts, mail_from=mail_from)
        if isinstance(placed, Refusal):
            log(logging.INFO, "relay_mail_refused", refusal=placed.name.lower())
            return RelayVerdict.refused(placed)
        if placed.mail.automatic:
            log(logging.INFO, "relay_mail_automatic_dropped")
            return RelayVerdict.accepted()
        return self._store_mail(placed)

    def bounce(self, raw: bytes, refusal: Refusal, *, mail_from: str | None, mail_id: str) -> bool:
        """On AWS, tell the envelope sender of a mail refused for good why (chalicelib/relay/bounce.py says which mail
        is never bounced). A failed send is logged with ids only and not raised: the mail was refused either way, and
        there is nothing to retry. True when a bounce was sent."""
        if self._mail is None:
            return False
        mail = parse_inbound(raw)
        to = bounce_recipient(refusal, mail, mail_from, self._relay_domain)
        if to is None:
            log(logging.INFO, "relay_bounce_skipped", refusal=refusal.name.lower(), mail_id=mail_id)
            return False
        language = Locale.RU if _looks_russian(mail.text or mail.subject) else Locale.EN
        try:
            message = build_bounce(mail, refusal, to=to, relay_domain=self._relay_domain, now=self._clock(),
                                   language=language.value, allowed_link_domain=self._platform_domain)
            self._mail.send(message)
        except Exception as exc:  # noqa: BLE001 - a bounce is best effort: the refusal stands either way
            log(logging.WARNING, "relay_bounce_failed", error=type(exc).__name__, refusal=refusal.name.lower(), mail_id=mail_id)
            return False
        log(logging.INFO, "relay_bounce_sent", refusal=refusal.name.lower(), mail_id=mail_id)
        return True

    def _store_mail(self, placed: Received) -> RelayVerdict:
        try:
            stored = self._store.get(placed.route.conversation_id)
            if stored is None:
                return RelayVerdict.refused(Refusal.UNKNOWN_ADDRESS)
            if stored.conversation.status is ConversationStatus.CLOSED:  # closed since the address was looked up
                return RelayVerdict.refused(Refusal.CONVERSATION_CLOSED)
            reached_as = Access.BUYER if placed.route.author is Side.BUYER else Access.SELLER
            language = Locale.RU if _looks_russian(placed.mail.text) else Locale.EN
            text = placed.mail.carried_text(language.value).strip() or placed.mail.subject or "(empty)"
            now = self._clock()
            rate_pk = f"rate#{stored.conversation.conversation_id}#{reached_as.value}#{rules.hour_window(now)}"
            used = self._store.read(stored.conversation.conversation_id, None, [rate_pk]).counters.get(rate_pk, 0)
            terms = self._seller_terms(stored)
            self._post(stored, reached_as, text, Via.EMAIL, language, now, terms.reply_hours, None, None, 201, {}, rate_used=used,
                       was=stored, seller_restricted=terms.restricted)
        except SellerRestricted:  # refused for good: nothing stored or sent on (docs/conversations.md "A restricted seller")
            log(logging.INFO, "relay_mail_refused", refusal="seller_restricted", conversation_id=placed.route.conversation_id)
            return RelayVerdict.refused(Refusal.SELLER_RESTRICTED)
        except TooManyRequests:
            return RelayVerdict.refused(Refusal.TEMPORARILY_UNAVAILABLE)
        except Conflict as exc:
            if exc.code == "conversation_closed":
                return RelayVerdict.refused(Refusal.CONVERSATION_CLOSED)
            return RelayVerdict.refused(Refusal.TEMPORARILY_UNAVAILABLE)
        except StoreUnavailable:
            return RelayVerdict.refused(Refusal.TEMPORARILY_UNAVAILABLE)
        return RelayVerdict.accepted()

    def _mail_on(self, stored: StoredConversation, message: Message, via: Via) -> None:
        """A message reaches the other side by e-mail when that side uses e-mail (the relay). Never lost: what SES
        does not take is queued and retried by the sweep."""
        conversation = stored.conversation
        if conversation.relay_address is None or stored.buyer_mask is None or self._mail is None:
            return
        if message.author_role is AuthorRole.BUYER:
            to, from_address, writer = self._sellers.seller_email(conversation.seller_id), stored.buyer_mask, Side.BUYER
        else:
            to, from_address, writer = stored.buyer_email, conversation.relay_address, Side.SELLER
        if to is None:
            return
        language = "ru" if _looks_russian(message.text) else "en"
        name = display_name(writer, buyer_alias=f"Buyer {conversation.buyer_id[:1].upper()}.", shop_name=conversation.seller_id,
                            platform_name=self._platform_name, language=language)
        subject = f"{'Заказ' if language == 'ru' else 'Order'} {conversation.order_id}" if conversation.order_id else (
            "Сообщение" if language == "ru" else "Message") + f" ({conversation.topic.value})"
        outgoing = build_outgoing(
            from_address=from_address, name=name, to=to, subject=subject, text=message.text, relay_domain=self._relay_domain,
            now=message.created_at, language=language, allowed_link_domain=self._platform_domain, order_numbers=stored.order_ids,
            support_of=self._platform_name if message.author_role is AuthorRole.SUPPORT else None,
        )
        try:
            self._mail.send(outgoing.message)
        except Exception as exc:  # noqa: BLE001 - whatever SES said, the mail is queued, never lost
            log(logging.WARNING, "relay_mail_send_failed", error=type(exc).__name__, conversation_id=conversation.conversation_id)
            self._store.queue_mail(outgoing.as_bytes(), message.created_at, message.message_id)

    def retry_mail(self) -> tuple[int, int]:
        """Send the queued mail again; what SES still refuses stays queued."""
        if self._mail is None:
            return 0, 0
        sent = failed = 0
        from email import policy
        from email.parser import BytesParser

        for sort_key, raw in self._store.queued_mail():
            message = BytesParser(policy=policy.SMTP).parsebytes(raw)
            try:
                self._mail.send(message)
            except Exception as exc:  # noqa: BLE001 - stays queued for the next sweep
                log(logging.WARNING, "relay_mail_retry_failed", error=type(exc).__name__)
                failed += 1
                continue
            self._store.mail_sent(sort_key)
            sent += 1
        return sent, failed


class ApiError_422(ApiError):
    status, code = 422, "idempotency_key_reused"


def _invalid_cursor() -> BadRequest:
    return BadRequest("cursor must be the next_cursor of the page before.", {"field": "cursor"}, code="invalid_cursor")


def _looks_russian(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and sum("\u0400" <= char <= "\u04ff" for char in letters) * 2 >= len(letters)
