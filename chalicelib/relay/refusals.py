"""Why the relay refuses a mail, as an SMTP reply (on a laptop) or a bounce's reason (on AWS), and its verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Refusal(Enum):
    """Each reason with its SMTP reply code and text (enhanced status code first). The texts name no address."""

    UNKNOWN_ADDRESS = (550, "5.1.1 No such relay address")
    NOT_THE_PARTY = (550, "5.7.1 Only the conversation's party may write to this address, from the address registered with the platform")
    CONVERSATION_CLOSED = (550, "5.7.1 This conversation is closed: reopen it in the app, then write again")
    SELLER_RESTRICTED = (550, "5.7.1 The platform has paused this seller's conversations: its support answers the buyer meanwhile")
    UNAUTHENTICATED = (550, "5.7.26 The message failed the sender's authentication (SPF, DKIM, DMARC) or the spam or virus check")
    ONLY_QUOTED = (550, "5.6.0 The message has no new text, only the quoted earlier mail: write your reply above the quote")
    TOO_LONG = (552, "5.3.4 The message is longer than the 4,000 characters a conversation's message may have: shorten it or send it in parts")
    TEMPORARILY_UNAVAILABLE = (451, "4.3.0 The message cannot be stored now: try again later")

    @property
    def smtp_code(self) -> int:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]

    @property
    def permanent(self) -> bool:
        """A 5xx: the sender must not retry (on AWS: bounce). A 4xx: retry later (on AWS: the Lambda's retries)."""
        return self.smtp_code >= 500

    @property
    def smtp_reply(self) -> str:
        return f"{self.smtp_code} {self.text}"


@dataclass(frozen=True)
class RelayVerdict:
    """What became of one inbound mail: accepted (carried on), or refused and why."""

    refusal: Refusal | None = None

    @classmethod
    def accepted(cls) -> RelayVerdict:
        return cls(None)

    @classmethod
    def refused(cls, refusal: Refusal) -> RelayVerdict:
        return cls(refusal)

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def smtp_reply(self) -> str:
        return "250 OK" if self.refusal is None else self.refusal.smtp_reply
