"""Contact Resolver: the app, its route groups, the authorizer and the queue consumer. The logic lives in chalicelib/."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import AuthResponse, Chalice, Rate

from chalicelib import wiring
from chalicelib.api import answers, console, contacts, conversations, meta, platform_policy, sellers
from chalicelib.api.services import provide
from chalicelib.shared.auth import InvalidToken, caller_context, deny_policy, verify_token
from chalicelib.shared.config import get_config
from chalicelib.shared.logs import get_logger, log

app = Chalice(app_name="contact-resolver")
app.api.binary_types = []  # JSON in and out only: no body is base64-encoded, and each response skips the binary checks
get_logger(get_config().log_level)
provide(wiring)


@app.authorizer(ttl_seconds=60)
def jwt_auth(auth_request: Any) -> Any:
    """Valid token: allow every route (roles are checked per route, with a JSON 403). Else deny."""
    try:
        caller = verify_token(auth_request.token, get_config())
    except InvalidToken as exc:
        log(logging.WARNING, "token_rejected", reason=str(exc))
        return deny_policy(auth_request.method_arn)
    return AuthResponse(routes=["*"], principal_id=caller.sub, context=caller_context(caller))


# Registered after the authorizer: their protected routes take it by name (chalicelib/api/routing.py).
route_groups = (contacts.routes, answers.routes, sellers.routes, platform_policy.routes, conversations.routes, console.routes, meta.routes)
for route_group in route_groups:
    app.register_blueprint(route_group)


# The queue's real ARN comes from infra/resources.json (merged into the package); this name is the local one.
@app.on_sqs_message(queue="support-contact-requests", batch_size=10, maximum_batching_window_in_seconds=1)
def support_ingest(event: Any) -> dict[str, Any]:
    """Store each support event once; report failed records so only those are retried (then dead-lettered)."""
    from chalicelib.support.ingest import ingest_batch, record_from_sqs

    return ingest_batch([record_from_sqs(record.to_dict()) for record in event], wiring.ingest_store())


@app.schedule(Rate(5, unit=Rate.MINUTES))
def conversation_sweep(event: Any) -> dict[str, int]:
    """Escalate conversations whose seller reply is overdue (reply_overdue), purge expired ones, retry queued mail."""
    result = wiring.conversation_service().sweep()
    return {"escalated": result.escalated, "purged": result.purged, "mail_sent": result.mail_sent, "mail_failed": result.mail_failed}


@app.on_s3_event(bucket=get_config().relay_bucket, events=["s3:ObjectCreated:*"])
def relay_inbound(event: Any) -> dict[str, str]:
    """One mail SES stored in the relay bucket: read it, carry it into its conversation (or drop and count it)."""
    from chalicelib.conversations.inbound_s3 import handle_object

    return handle_object(event.bucket, event.key, wiring.conversation_service(), wiring.s3_client())


# The stream's real ARN comes from infra/resources.json (merged into the package, with the filter that passes only TTL
# removals of conversation items, retries and the on-failure queue); this one only names it locally.
@app.on_dynamodb_record(
    stream_arn="arn:aws:dynamodb:eu-central-1:000000000000:table/conversations/stream/local",
    batch_size=10, starting_position="TRIM_HORIZON", maximum_batching_window_in_seconds=5,
)
def conversation_retention(event: Any) -> dict[str, Any]:
    """TTL removed an expired conversation: delete its messages and relay addresses (report the first record that failed)."""
    from chalicelib.conversations.retention import delete_expired_conversations

    return delete_expired_conversations([record.to_dict() for record in event], wiring.conversation_store())
