"""Conversations the platform carries between a buyer and a seller: what is stored, sent and accepted."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.models.common import Outgoing, SellerId, Strict, Topic
from chalicelib.models.resolution import ExcludedChannel

MAX_MESSAGE_CHARS = 4000
MESSAGES_PER_PAGE = 50
CONVERSATIONS_PER_PAGE = 50
ORDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
CONVERSATION_ID_PATTERN = r"^[a-z2-7]{26}$"


class ConversationStatus(StrEnum):
    WAITING_SELLER = "waiting_seller"
    WAITING_BUYER = "waiting_buyer"
    ESCALATED = "escalated"
    CLOSED = "closed"


class AuthorRole(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"


class Via(StrEnum):
    APP = "app"
    EMAIL = "email"


class RedactedKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LINK = "link"
    MESSENGER = "messenger"


# Control characters other than tab and line breaks, and the bidirectional overrides that make text read other than
# it is stored (as in answers); a message must also show something: not only spaces or invisible characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plain_visible_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters and bidirectional overrides are not allowed")
    if not any(not char.isspace() and unicodedata.category(char) not in ("Cf", "Mn", "Me") for char in value):
        raise ValueError("the text shows nothing: only spaces or invisible characters")
    return value


MessageText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS), AfterValidator(_plain_visible_text)]
def _not_a_phone_number(value: str) -> str:
    """The conversation's order numbers are exempt from phone redaction: an "order number" that is itself a phone
    number would let that phone through every later message unredacted."""
    from chalicelib.moderation.contacts import ContactKind, find_contacts  # a start only: not on a resolution's path

    if any(finding.kind is ContactKind.PHONE for finding in find_contacts(value)):
        raise ValueError("an order number may not be a phone number")
    return value


OrderId = Annotated[str, StringConstraints(pattern=ORDER_ID_PATTERN), AfterValidator(_not_a_phone_number)]


class Conversation(Outgoing):
    conversation_id: str
    buyer_id: str
    seller_id: SellerId
    status: ConversationStatus
    created_at: datetime
    last_message_at: datetime
    seller_reply_due_at: datetime | None = Field(default=None, description="Set while a buyer message waits for the seller.")
    relay_address: str | None = Field(default=None, description="The address the buyer writes to; null unless e-mail goes through the relay.")
    topic: Topic
    order_id: str | None = None
    escalated_at: datetime | None = Field(
        default=None, description="When the conversation went to support; null unless escalated (or escalated before this was recorded)."
    )


class Message(Outgoing):
    message_id: str
    author_role: AuthorRole
    via: Via
    text: str = Field(description="Plain text, contacts replaced by [contact removed] / [контакт скрыт].")
    redacted: list[RedactedKind] = Field(description="The kinds of contact removed from the text.")
    topic: Topic
    order_id: str | None = None
    created_at: datetime


class ConversationList(Outgoing):
    conversations: list[Conversation]
    next_cursor: str | None = None


class Transcript(Outgoing):
    """A conversation with its latest messages (oldest first); next_cursor pages to older ones."""

    conversation: Conversation
    messages: list[Message]
    next_cursor: str | None = None


class StartConversation(Strict):
    seller_id: SellerId
    topic: Topic
    order_id: OrderId | None = None
    text: MessageText | None = None


class PostMessage(Strict):
    text: MessageText


@dataclass(frozen=True)
class ConversationOffer:
    """What the resolver offers one buyer now for one seller and topic, as far as conversations are concerned."""

    chat: bool
    masked_email: bool
    excluded: list[ExcludedChannel]  # chat and e-mail as the resolution's `excluded` lists them
    seller_email: str | None  # the real address the relay sends to (masked e-mail only)
    reply_hours: int
    conversations_per_day: int
    # The platform restricts the seller (the restriction on their settings item, read with the settings): they may
    # not post, and a buyer's message goes to support instead (docs/conversations.md "A restricted seller").
    seller_restricted: bool = False

    @property
    def offered(self) -> bool:
        return self.chat or self.masked_email
