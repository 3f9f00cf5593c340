"""Use cases around answers: authors manage them, buyers read them and report whether they helped."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from chalicelib.answers import feedback
from chalicelib.models.answers import (
    MAX_ANSWERS_PER_SELLER,
    MAX_PLATFORM_ANSWERS,
    PLATFORM_OWNER,
    Answer,
    AnswerFields,
    AnswerInput,
    AnswerList,
    AnswerPage,
    AnswerStatus,
    Locale,
    OutcomeAccepted,
    OutcomeRequest,
)
from chalicelib.models.common import Caller, Role, Topic
from chalicelib.models.events import ContactOutcomeEvent
from chalicelib.models.restriction import SellerRestriction
from chalicelib.models.settings import VersionPrecondition
from chalicelib.shared.auth import ANSWER_AUTHORS, OUTCOME_REPORTERS, require_role
from chalicelib.shared.clock import utc_now
from chalicelib.shared.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidStoredRestriction,
    NotFound,
    VersionConflict,
)
from chalicelib.shared.logs import log
from chalicelib.shared.ports import EventPublisher


class AnswersStore(Protocol):
    def get(self, answer_id: str) -> Answer | None: ...
    def find(
        self, owner: str, *, status: AnswerStatus | None = None, locale: Locale | None = None, topic: Topic | None = None
    ) -> list[Answer]: ...
    def put(self, answer: Answer, expected_version: int) -> None: ...
    def delete(self, answer_id: str, expected_version: int) -> None: ...
    def count(self, owner: str) -> int: ...


class FeedbackUnavailable(ApiError):
    status, code = 503, "feedback_unavailable"


FIRST_PAGE = AnswerPage()


class Restrictions(Protocol):
    def get_restriction(self, seller_id: str) -> SellerRestriction | None: ...


class AnswersService:
    def __init__(
        self,
        store: AnswersStore,
        publisher: EventPublisher,
        feedback_key: str | None,
        clock: Callable[[], datetime] = utc_now,
        *,
        restrictions: Restrictions | None = None,
    ) -> None:
        """`restrictions`: where a seller's restriction is read (None: no seller is restricted)."""
        self._store = store
        self._publisher = publisher
        self._feedback_key = feedback_key
        self._clock = clock
        self._restrictions = restrictions

    # ------------------------------------------------------------ authors: support (platform), sellers (their own)

    def create(self, fields: AnswerInput, caller: Caller) -> Answer:
        """A new answer, within its owner's maximum (checked before the write: concurrent creates may pass it by a few)."""
        require_author(caller, fields.owner)
        most = MAX_PLATFORM_ANSWERS if fields.owner == PLATFORM_OWNER else MAX_ANSWERS_PER_SELLER
        if self._store.count(fields.owner) >= most:
            raise Conflict(
                f"{fields.owner} already has {most} answers, the most an owner may have; replace or delete one.",
                {"owner": fields.owner, "max_answers": most}, code="too_many_answers",
            )
        answer = self._stamped(str(uuid.uuid4()), fields, 1, caller)
        self._store.put(answer, 0)
        log(logging.INFO, "answer_created", answer_id=answer.id, owner=answer.owner)
        return answer

    def replace(self, answer_id: str, fields: AnswerFields, expected: VersionPrecondition, caller: Caller) -> Answer:
        current = self._readable(answer_id, caller)
        require_author(caller, current.owner)
        require_author(caller, fields.owner)
        if not expected.matches(current.version):
            raise _conflict(current.version)
        if _written_fields(fields) == _written_fields(current):
            return current  # nothing changes: same version and ETag, no write (as for settings and the policy)
        answer = self._stamped(answer_id, fields, current.version + 1, caller)
        try:
            self._store.put(answer, current.version)
        except VersionConflict as exc:
            raise _conflict(exc.current_version) from None
        log(logging.INFO, "answer_replaced", answer_id=answer_id, version=answer.version)
        return answer

    def delete(self, answer_id: str, expected: VersionPrecondition | None, caller: Caller) -> None:
        current = self._readable(answer_id, caller)
        require_author(caller, current.owner)
        if expected is not None and not expected.matches(current.version):
            raise _conflict(current.version)
        try:
            self._store.delete(answer_id, current.version)
        except VersionConflict as exc:
            raise _conflict(exc.current_version) from None
        log(logging.INFO, "answer_deleted", answer_id=answer_id)

    def _stamped(self, answer_id: str, fields: AnswerFields, version: int, caller: Caller) -> Answer:
        return Answer(
            id=answer_id,
            **_written_fields(fields),
            version=version,
            updated_at=self._clock(),
            updated_by=caller.sub,
        )

    # ------------------------------------------------------------ readers

    def get(self, answer_id: str, caller: Caller) -> Answer:
        return self._readable(answer_id, caller)

    def list(
        self, owner: str, topic: Topic | None, locale: Locale | None, caller: Caller, page: AnswerPage = FIRST_PAGE
    ) -> AnswerList:
        """Buyers and other sellers see published answers; the author (and support) sees drafts too.

        One page, ordered by id, after the cursor (the last id of the page before). An owner has at most 500
        answers, so each page reads them all and cuts: no cursor state to keep, and a cursor never goes stale.
        """
        if self._withheld(owner, caller):
            return AnswerList(items=[], next_cursor=None)
        status = None if may_see_drafts(caller, owner) else AnswerStatus.PUBLISHED
        found = self._store.find(owner, status=status, locale=locale, topic=topic)  # sorted by id
        after = [answer for answer in found if page.cursor is None or answer.id > page.cursor]
        items = after[: page.limit]
        return AnswerList(items=items, next_cursor=items[-1].id if len(after) > page.limit else None)

    def _readable(self, answer_id: str, caller: Caller) -> Answer:
        answer = self._store.get(answer_id)
        if (
            answer is None
            or (answer.status is not AnswerStatus.PUBLISHED and not may_see_drafts(caller, answer.owner))
            or self._withheld(answer.owner, caller)
        ):
            raise NotFound(f"No answer {answer_id}.", {"answer_id": answer_id}, code="answer_not_found")
        return answer

    def _withheld(self, owner: str, caller: Caller) -> bool:
        """A restricted seller's answers reach no buyer and no other seller, as in resolutions (the seller is under
        review); the seller, support and admins still see them. One GetItem, on these routes only."""
        if owner == PLATFORM_OWNER or caller.role in (Role.SUPPORT, Role.ADMIN) or _sellers_own(caller, owner):
            return False
        if self._restrictions is None:
            return False
        try:
            return self._restrictions.get_restriction(owner) is not None
        except InvalidStoredRestriction:
            return True  # a restriction this release cannot read still restricts: fail closed

    # ------------------------------------------------------------ did it help?

    def record_outcome(self, request_id: str, report: OutcomeRequest, caller: Caller) -> OutcomeAccepted:
        """Check the feedback token (no state) and send one contact_outcome event; a repeat has the same event id."""
        require_role(caller, OUTCOME_REPORTERS)
        if not self._feedback_key:
            raise FeedbackUnavailable("Feedback is not configured on this stage.")
        now = self._clock()
        try:
            claims = feedback.verify(
                self._feedback_key, report.token, request_id, caller.sub, report.seller_id, int(now.timestamp())
            )
        except feedback.TokenRejected as exc:
            log(logging.WARNING, "feedback_token_rejected", request_id=request_id, seller_id=report.seller_id, reason=str(exc))
            raise Forbidden(
                "This feedback token is not valid for this buyer, request and seller, or it has expired.",
                None, code="invalid_feedback_token",
            ) from None
        if report.answer_id is not None and not claims.showed(report.answer_id):
            raise BadRequest(
                "This answer was not shown with that result.", {"field": "answer_id"}, code="answer_not_shown"
            )
        if report.channel is not None and not claims.offered(report.channel):
            raise BadRequest(
                "That result did not offer this channel with its contact.", {"field": "channel"}, code="channel_not_offered"
            )
        event = ContactOutcomeEvent(
            event_id=feedback.outcome_event_id(report.token, report.outcome, report.answer_id),
            occurred_at=now,
            request_id=request_id,
            seller_id=report.seller_id,
            buyer_id=caller.sub,
            topic=claims.topic,
            outcome=report.outcome,
            answer_id=report.answer_id,
            channel=report.channel,
            reason=report.reason,
        )
        self._publisher.publish([event])
        log(logging.INFO, "contact_outcome", request_id=request_id, seller_id=report.seller_id, outcome=report.outcome)
        return OutcomeAccepted(event_id=event.event_id)


def _written_fields(answer: AnswerFields) -> dict[str, Any]:
    return answer.model_dump(include=set(AnswerFields.model_fields))


def may_see_drafts(caller: Caller, owner: str) -> bool:
    """Support sees every draft, admin the platform's, a seller their own."""
    return caller.role is Role.SUPPORT or (caller.role is Role.ADMIN and owner == PLATFORM_OWNER) or _sellers_own(caller, owner)


def require_author(caller: Caller, owner: str) -> None:
    """Support and admin write the platform's answers; a seller writes only their own auto-answers."""
    require_role(caller, ANSWER_AUTHORS)
    allowed = owner == PLATFORM_OWNER if caller.role in (Role.SUPPORT, Role.ADMIN) else _sellers_own(caller, owner)
    if not allowed:
        who = "answers whose owner is your seller id" if caller.role is Role.SELLER else "platform answers"
        raise Forbidden(f"You can manage only {who}.", {"owner": owner}, code="not_your_answer")


def _sellers_own(caller: Caller, owner: str) -> bool:
    """Whether `owner` is the calling seller's own; a seller is never the platform.

    The seller-id pattern admits the word "platform": a seller token naming seller "platform" must not be able to
    publish (or read drafts of) the FAQ every buyer sees.
    """
    return caller.role is Role.SELLER and owner == caller.seller_id and owner != PLATFORM_OWNER


def _conflict(current_version: int) -> Conflict:
    return Conflict("The answer changed since you read it; reload and retry.", {"current_version": current_version})
