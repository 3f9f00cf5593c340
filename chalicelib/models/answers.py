"""Self-service answers: the platform's FAQ and sellers' auto-answers, as stored, written and suggested."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from chalicelib.models.common import MAX_SUB_CHARS, SELLER_ID_PATTERN, Channel, Outgoing, SellerId, Strict, Topic, each_once
from chalicelib.models.settings import ExpectedVersion

PLATFORM_OWNER = "platform"
ANSWER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
AnswerId = Annotated[str, StringConstraints(pattern=ANSWER_ID_PATTERN)]
# `platform` or a seller id: the seller-id pattern already admits the word "platform".
AnswerOwner = Annotated[str, StringConstraints(pattern=SELLER_ID_PATTERN)]
MAX_BODY_BYTES = 8 * 1024
MAX_QUESTION_CHARS = 500
# Every resolution of a seller loads that seller's published answers for the topic (and the platform's): a bounded
# set keeps that one DynamoDB page and the per-container cache small, whatever one seller account does.
MAX_ANSWERS_PER_SELLER = 50
MAX_PLATFORM_ANSWERS = 500
MAX_SUGGESTED_ANSWERS = 3

# Bodies are plain text plus a small Markdown subset (**bold**, *italic*, `- ` lists, [text](https://...) links).
# No HTML at all: the app renders bodies natively and a tag would be either shown raw or an injection. A tag starts
# right after "<" (HTML reads "a < b and c > d" as text). Entities too: HTML decodes numeric ones (decimal or hex)
# even without the closing semicolon. A named one needs its ";" here: "&copy=2" in a link's query string is text.
_HTML = re.compile(r"</?[A-Za-z!?][^>]*>|&#[0-9]+;?|&#[xX][0-9A-Fa-f]+;?")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*;)")  # HTML's only if the name is one (AT&T; is text)
_CONTACT_NAMES = {"email": "an e-mail address", "messenger": "a messenger link or @handle", "phone": "a phone number"}
# A title or keyword is one line (a body may have many).
_LINE_BREAK = re.compile("[\t\n\r\x85\u2028\u2029]")
_IMAGE = re.compile(r"!\[")  # Markdown image: not in the subset, and a remote image tells its host who read it
# Control characters (C0 but tab and line breaks, DEL, C1) and the bidirectional overrides that make text read
# other than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Inline links [text](target), and reference definitions "[label]: target" on a line of their own.
_LINK = re.compile(r"\]\(\s*([^)\s]*)|^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]*)", re.MULTILINE)


class Locale(StrEnum):
    RU = "ru"
    EN = "en"


DEFAULT_LOCALE = Locale.RU


class AnswerStatus(StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"


def _no_html(value: str) -> str:
    if _HTML.search(value) or _is_named_entity(value):
        raise ValueError("HTML is not allowed; use plain text or the Markdown subset (**bold**, *italic*, - lists, [links](https://...))")
    for inline, reference in _LINK.findall(value):
        if not (inline or reference).startswith(("https://", "app://")):
            raise ValueError("links must point to https:// or app:// addresses")
    return value


def _is_named_entity(value: str) -> bool:
    names = _NAMED_ENTITY.findall(value)
    if not names:
        return False
    from html.entities import html5  # only for text with "&name;" in it: not on a resolution's cold path

    return any(name in html5 for name in names)


def _body_size(value: str) -> str:
    if len(value.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"the body is over {MAX_BODY_BYTES} bytes (UTF-8)")
    return value


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_html)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_body_size), AfterValidator(_no_html)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), AfterValidator(_no_html)]


class AnswerFields(Strict):
    """What an author writes: the same for create (POST) and replace (PUT)."""

    owner: AnswerOwner = Field(description="`platform`, or the seller id whose auto-answer this is.")
    topics: Annotated[list[Topic], Field(min_length=1, max_length=len(Topic))]
    locale: Locale
    status: AnswerStatus = AnswerStatus.PUBLISHED  # before the texts: their write rules depend on it
    title: Title
    body: Body = Field(description="Plain text or Markdown subset (**bold**, *italic*, `- ` lists, links); no HTML; at most 8 KiB.")
    keywords: Annotated[list[Keyword], Field(default_factory=list, max_length=30)]
    translation_key: AnswerId | None = Field(
        default=None, description="Answers saying the same in ru and en share it: a buyer sees only the one in their language."
    )


class AuthoredAnswer(AnswerFields):
    """What an author sends, checked further than a stored answer is read: answers stored before a rule was added
    must stay readable (a resolution loads them), so new rules apply to writes only."""

    @field_validator("topics")
    @classmethod
    def _topics_once(cls, topics: list[Topic]) -> list[Topic]:
        return each_once(topics, "topics")

    @field_validator("keywords")
    @classmethod
    def _keywords_once(cls, keywords: list[str]) -> list[str]:
        each_once([keyword.casefold() for keyword in keywords], "keywords")  # a repeat only inflates the ranking
        return keywords

    @field_validator("title", "body", "keywords")
    @classmethod
    def _no_contacts_from_sellers(cls, value: str | list[str], info: ValidationInfo) -> str | list[str]:
        """A seller's published answer must not hand out an e-mail address or phone number: buyers reach a seller
        through the channels the seller offers, within the platform's switches and daily reveal limit (the platform's
        own FAQ may name support's). A draft reaches no buyer: an older answer with a contact can be unpublished and
        edited. The detector is the one conversations redact with (chalicelib/moderation/contacts.py)."""
        if info.data.get("owner", PLATFORM_OWNER) == PLATFORM_OWNER or info.data.get("status") is AnswerStatus.DRAFT:
            return value
        # Writes only, as phonenumbers (which it imports on a first digit): not on a resolution's cold path.
        from chalicelib.moderation.contacts import ContactKind, find_contacts

        for written in [value] if isinstance(value, str) else value:
            # Links are the Markdown subset's own ([text](https://...), checked by _no_html); the rest refuses.
            found = {finding.kind for finding in find_contacts(written)} - {ContactKind.LINK}
            for kind in (ContactKind.EMAIL, ContactKind.MESSENGER, ContactKind.PHONE):
                if kind in found:
                    raise ValueError(f"an auto-answer may not carry {_CONTACT_NAMES[kind]}: buyers reach you through your channels")
        return value

    @field_validator("title", "keywords")
    @classmethod
    def _one_line(cls, value: str | list[str]) -> str | list[str]:
        for text in [value] if isinstance(value, str) else value:
            if _LINE_BREAK.search(text):
                raise ValueError("a title or keyword is one line: no line breaks or tabs")
        return value

    @field_validator("title", "body", "keywords")
    @classmethod
    def _plain_text(cls, value: str | list[str]) -> str | list[str]:
        for text in [value] if isinstance(value, str) else value:
            if _CONTROL.search(text):
                raise ValueError("control characters and bidirectional overrides are not allowed")
            if _IMAGE.search(text):
                raise ValueError("images are not allowed; use a link (a '!' right before '[' makes a link an image)")
        return value


class AnswerInput(AuthoredAnswer):
    """POST body."""


class AnswerUpdate(AuthoredAnswer):
    """PUT body: the whole answer again, with If-Match (or `version`). A GET's body can be sent back: `id` must be
    the answer's own, `updated_at`/`updated_by` are ignored (the server sets them)."""

    version: ExpectedVersion = None
    id: AnswerId | None = None
    updated_at: datetime | None = None
    updated_by: str | None = Field(default=None, max_length=MAX_SUB_CHARS)  # ignored; any caller's sub fits


class Answer(AnswerFields):
    """One stored answer (a DynamoDB item), as read and sent."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)  # frozen, deferred: Strict

    id: AnswerId
    version: int = Field(ge=1)
    updated_at: datetime
    updated_by: str

    @property
    def is_platform(self) -> bool:
        return self.owner == PLATFORM_OWNER


MAX_ANSWERS_PER_PAGE = 100  # 100 answers of at most 8 KiB each: well inside Lambda's 6 MB response limit


@dataclass(frozen=True)
class AnswerPage:
    """Which page of an answer list: at most `limit` answers whose id comes after `cursor`."""

    limit: int = MAX_ANSWERS_PER_PAGE
    cursor: str | None = None


class AnswerList(Outgoing):
    items: list[Answer] = Field(description="Ordered by id; at most `limit`.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


class SuggestedAnswer(Outgoing):
    """An answer shown before the channels."""

    model_config = ConfigDict(frozen=True)  # one instance per cached answer serves every resolution

    id: str
    owner: str
    title: str
    snippet: str = Field(description="The start of the body (Markdown removed), at most 200 characters.")
    score: float = Field(description="Relevance to the question (BM25); 0 when no question was asked.")
    link: str = Field(description="App deep link that opens the whole answer.")


Outcome = Literal["answered", "not_answered", "channel_chosen"]
NotAnsweredReason = Literal["not_related", "related_but_not_answered"]


class OutcomeRequest(Strict):
    """What the app reports after showing a resolution: did an answer help, or which channel was chosen."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="`feedback_token` of that result.")
    seller_id: SellerId
    outcome: Outcome
    answer_id: AnswerId | None = None
    channel: Channel | None = None
    reason: NotAnsweredReason | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeRequest:
        if self.outcome == "answered" and self.answer_id is None:
            raise ValueError("outcome 'answered' needs the answer_id that answered it")
        if self.outcome == "channel_chosen" and self.channel is None:
            raise ValueError("outcome 'channel_chosen' needs the channel")
        if self.reason is not None and self.outcome != "not_answered":
            raise ValueError("reason is only for outcome 'not_answered'")
        return self


class OutcomeAccepted(Outgoing):
    accepted: bool = True
    event_id: str = Field(description="The same outcome sent again gets the same id and is counted once.")
