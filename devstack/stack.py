"""The embedded local stack: moto server on 127.0.0.1 as DynamoDB + SQS, demo sellers, chalice local.

    python -m devstack                                  (what `make run` does)
    python -m devstack token --role seller --seller demo-chat   (`make token`)

Ctrl-C, SIGTERM and SIGHUP stop everything it started, however many arrive and whenever (exit status 0); its
children also die with it if it is SIGKILLed.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib.models.settings import ChannelSettingsInput, SellerSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
SELLER_TABLE = "seller-channels"
SUPPORT_REQUESTS_TABLE = "support-requests"
ANSWERS_TABLE = "answers"
DEMO_ANSWERS = Path(__file__).resolve().parent / "answers_demo.json"
POLICY_TABLE = "platform-policy"
SUPPORT_QUEUE = "support-contact-requests"
SUPPORT_DLQ = "support-contact-requests-dlq"
# Local table name -> its resource in infra/resources.json (key schema and indexes come from there).
LOCAL_TABLES = {
    SELLER_TABLE: "SellerTable",
    SUPPORT_REQUESTS_TABLE: "SupportRequestsTable",
    ANSWERS_TABLE: "AnswersTable",
    POLICY_TABLE: "PolicyTable",
    "conversations": "ConversationsTable",
}

# Fake credentials: moto accepts anything, and they keep boto3 from looking for real ones.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-central-1",
}

DEMO_SELLERS: dict[str, dict[str, Any]] = {
    "demo-chat": {
        "chat": {"enabled": True, "reply_within_hours": 4},
        "email": {"enabled": True, "address": "demo-chat@example.com", "reply_within_hours": 24},
    },
    "demo-email": {"email": {"enabled": True, "address": "demo-email@example.com"}},
    "demo-phone": {
        "phone": {
            "enabled": True,
            "number": "+7 495 123-45-67",
            "hours": {
                "timezone": "Europe/Moscow",
                "weekly": {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            },
        }
    },
    "demo-none": {},
}


def create_resources(dynamodb: Any, sqs: Any, visibility_timeout: int = 30) -> dict[str, str]:
    """Tables and queues as infra/resources.json defines them (keys, indexes, redrive); returns the queue URLs."""
    for table_name, resource in LOCAL_TABLES.items():
        dynamodb.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", **table_schema(resource))
    queues = infra_resources()
    dlq_retention = queues["SupportDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"]
    receives = queues["SupportQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    dlq_url = sqs.create_queue(QueueName=SUPPORT_DLQ, Attributes={"MessageRetentionPeriod": str(dlq_retention)})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=SUPPORT_QUEUE,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": receives}),
        },
    )["QueueUrl"]
    return {"queue_url": queue_url, "dlq_url": dlq_url}


def infra_resources() -> dict[str, Any]:
    """The CloudFormation resources merged into Chalice's template: the one source of table and queue shapes."""
    resources: dict[str, Any] = json.loads((PROJECT_DIR / "infra" / "resources.json").read_text())["Resources"]
    return resources


def table_schema(resource: str) -> dict[str, Any]:
    """Key schema, attribute definitions and indexes of `resource` in infra/resources.json, so the local table cannot
    drift from AWS's."""
    properties = infra_resources()[resource]["Properties"]
    return {key: properties[key] for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes") if key in properties}


def verify_relay_domain(ses: Any, domain: str = "relay.marketplace.test") -> None:
    """The relay sends From addresses on its domain: moto's SES (like SES) sends only from a verified identity."""
    ses.verify_domain_identity(Domain=domain)


def demo_answers() -> list[Any]:
    """The committed demo corpus (platform FAQ and demo sellers' auto-answers, ru and en) as Answer models."""
    from chalicelib.models.answers import Answer

    now = datetime.now(UTC)
    return [
        Answer.model_validate({**entry, "version": 1, "updated_at": now, "updated_by": "demo-seed"})
        for entry in json.loads(DEMO_ANSWERS.read_text())
    ]


def seed_demo_answers(dynamodb: Any) -> None:
    """BatchWriteItem, 25 at a time: seeding is laptop tooling, not something a Lambda does. Then each owner's
    digests, which resolutions read (the store writes them with every answer it writes)."""
    from chalicelib.answers.store import DynamoAnswersStore, to_item

    answers = demo_answers()
    for start in range(0, len(answers), 25):
        chunk = answers[start : start + 25]
        dynamodb.batch_write_item(RequestItems={ANSWERS_TABLE: [{"PutRequest": {"Item": to_item(a)}} for a in chunk]})
    store = DynamoAnswersStore(dynamodb, ANSWERS_TABLE)
    for owner in sorted({answer.owner for answer in answers}):
        store.rebuild_digests(owner)


def seed_demo_sellers(store: Any) -> None:
    now = datetime.now(UTC)
    for seller_id, channels in DEMO_SELLERS.items():
        settings = SellerSettings(
            seller_id=seller_id,
            **ChannelSettingsInput.model_validate(channels).model_dump(),
            version=1,
            updated_at=now,
            updated_by="demo-seed",
        )
        store.put(settings, expected_version=0)


def store_default_policy(dynamodb: Any) -> None:
    """Version 1 of the platform policy: the built-in default, stored, as an admin would start from."""
    from chalicelib.models.policy import DEFAULT_POLICY
    from chalicelib.platform_policy.store import DynamoPolicyStore

    policy = DEFAULT_POLICY.model_copy(update={"version": 1, "updated_at": datetime.now(UTC), "updated_by": "demo-seed"})
    DynamoPolicyStore(dynamodb, POLICY_TABLE).put(policy, expected_version=0)


def local_stage_env() -> dict[str, str]:
    """The environment .chalice/config.json gives the local stage (what chalice local sets)."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return {**config["environment_variables"], **config["stages"]["local"]["environment_variables"]}


def local_jwt_secret() -> str:
    return local_stage_env()["JWT_SECRET"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:  # a slow answer (a loaded machine) is waited for: an abandoned request is a BrokenPipe traceback in the server
            urllib.request.urlopen(url, timeout=max(1.0, min(10.0, deadline - time.monotonic())))
            return
        except urllib.error.HTTPError:
            return  # it answered; any status will do
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_SECONDS = 3.0  # SIGTERM first, SIGKILL after this: the whole stop stays well under 5 s
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, loaded before any fork (None where there is none, e.g. macOS)."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    except OSError:
        return None


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """preexec_fn for a child: SIGKILL it when the supervisor dies, even by SIGKILL; default signal handling.

    SIGKILL, not SIGTERM: a child that is stopped (SIGSTOP, a debugger) keeps a SIGTERM pending for ever and would
    hold its port; no child has anything to save (moto's data dies with it anyway, the poller's unfinished batch
    comes back after the visibility timeout).
    """
    prctl = _prctl()

    def in_child() -> None:
        for signum in STOP_SIGNALS:  # a shell's background job starts with SIGINT ignored; children must not
            signal.signal(signum, signal.SIG_DFL)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the supervisor died before prctl took effect
            os._exit(1)

    return in_child


def spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """A child in a process group of its own (Ctrl-C reaches only us; we stop children in order) that dies with us."""
    return subprocess.Popen(argv, start_new_session=True, preexec_fn=_die_with_parent(os.getpid()), **kwargs)


def stop_processes(processes: list[subprocess.Popen[bytes]], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM each child's whole process group (grandchildren too), SIGKILL what is left after `grace` seconds.

    SIGCONT after SIGTERM: a stopped (SIGSTOPped, hung) child would otherwise sit on its SIGTERM for the whole grace.
    """
    for process in processes:
        _signal_group(process, signal.SIGTERM)
        _signal_group(process, signal.SIGCONT)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        _signal_group(process, signal.SIGKILL)  # whatever the group still holds, even if the leader has exited
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def _ready_or_stopped(process: subprocess.Popen[bytes], ready: Callable[[], None]) -> subprocess.Popen[bytes]:
    """Wait until `process` serves; if it never does (or we are interrupted meanwhile), leave nothing running."""
    try:
        ready()
    except BaseException:
        stop_processes([process])
        raise
    return process


def port_in_use(port: int) -> bool:
    """True if a server already listens on 127.0.0.1:`port` (bound as moto and chalice local bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start_moto(port: int) -> subprocess.Popen[bytes]:
    process = spawn(
        [sys.executable, "-m", "devstack.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_PORT": str(port)},  # moto reads it too: an empty MOTO_PORT= (ours: the default) crashed it
    )
    return _ready_or_stopped(process, lambda: wait_for_http(f"http://127.0.0.1:{port}/moto-api/", process=process))


def local_client(service: str, endpoint: str) -> Any:
    """A boto3 client for the moto server at `endpoint`, with the local stack's fake credentials."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id=LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=LOCAL_AWS_ENV["AWS_DEFAULT_REGION"],
    ).client(service, endpoint_url=endpoint)


def provision(endpoint: str, visibility_timeout: int = 30) -> dict[str, str]:
    """Create and seed everything on the moto server at `endpoint`; returns the env the app needs."""
    from chalicelib.sellers.store import DynamoSettingsStore

    dynamodb = local_client("dynamodb", endpoint)
    urls = create_resources(dynamodb, local_client("sqs", endpoint), visibility_timeout)
    seed_demo_sellers(DynamoSettingsStore(dynamodb, SELLER_TABLE))
    seed_demo_answers(dynamodb)
    store_default_policy(dynamodb)
    verify_relay_domain(local_client("ses", endpoint))
    return {
        **LOCAL_AWS_ENV,
        "AWS_ENDPOINT_URL": endpoint,
        "SUPPORT_QUEUE_URL": urls["queue_url"],
        "SUPPORT_DLQ_URL": urls["dlq_url"],
    }


def start_api(port: int, env: dict[str, str], quiet: bool = False) -> subprocess.Popen[bytes]:
    """chalice local on 127.0.0.1:`port`; quiet drops its per-request lines (fuzzing, load).

    Through devstack.local_gateway: the gateway's own errors (401, 403, unknown route) answer as on AWS.
    """
    output = subprocess.DEVNULL if quiet else None
    process = spawn(
        [
            sys.executable, "-m", "devstack.local_gateway", "--stage", "local",
            "--host", "127.0.0.1", "--port", str(port), "--no-autoreload",
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        stdout=output,
        stderr=output,
    )
    return _ready_or_stopped(process, lambda: wait_for_http(f"http://127.0.0.1:{port}/v1/health", process=process))


def start_poller(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Runs the support_ingest handler on the local queue, as Lambda's event source would."""
    return spawn([sys.executable, "-m", "devstack.poller"], cwd=PROJECT_DIR, env={**os.environ, **local_stage_env(), **env})


def start_relay_smtp(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The relay's SMTP server on 127.0.0.1:$RELAY_SMTP_PORT (default 2525), delivering into conversations."""
    return spawn([sys.executable, "-m", "devstack.relay_smtp"], cwd=PROJECT_DIR, env={**os.environ, **local_stage_env(), **env})


class QueueDrainer(threading.Thread):
    """Reads and deletes support events as they arrive, counting them, as a consumer would.

    moto's SQS gets slower the deeper a queue is (~10 ms per 1000 messages for each send; real SQS does
    not), so long fuzzing and load runs keep the queue drained.
    """

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self._sqs = local_client("sqs", env["AWS_ENDPOINT_URL"])
        self._url = env["SUPPORT_QUEUE_URL"]
        self._stopping = threading.Event()
        self.drained = 0

    def run(self) -> None:
        while not self._stopping.is_set():
            self.drain_once(wait_seconds=1)

    def drain_once(self, wait_seconds: int = 0) -> int:
        messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds).get("Messages", [])
        if messages:
            self._sqs.delete_message_batch(
                QueueUrl=self._url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            )
            self.drained += len(messages)
        return len(messages)

    def drain(self) -> int:
        """Empty the queue now; returns how many events that took."""
        before = self.drained
        while self.drain_once():
            pass
        return self.drained - before

    def stop(self) -> int:
        """Stop, take what is still queued, and return how many events were drained in all."""
        self._stopping.set()
        self.join()
        self.drain()
        return self.drained


def print_banner(api: str, env: dict[str, str]) -> None:
    from urllib.parse import urlsplit

    from devstack.tokens import mint_token

    secret = local_jwt_secret()
    buyer = mint_token(secret, "buyer", "demo-buyer", ttl_seconds=12 * 3600)
    support = mint_token(secret, "support", "demo-support", ttl_seconds=12 * 3600)
    seller = mint_token(secret, "seller", "demo-chat-owner", seller_id="demo-chat", ttl_seconds=12 * 3600)
    admin = mint_token(secret, "admin", "demo-admin", ttl_seconds=12 * 3600)
    print(
        f"""
Contact Resolver is running on {api}   (moto: {env['AWS_ENDPOINT_URL']}, Ctrl-C stops everything)

  export BUYER='{buyer}'
  export SELLER='{seller}'
  export SUPPORT='{support}'
  export ADMIN='{admin}'

  curl -s {api}/v1/health
  curl -s -H "Authorization: Bearer $BUYER" '{api}/v1/sellers/demo-chat/contact-options?topic=product_question'
  curl -s -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' \\
       -X POST {api}/v1/contact-options/batch -d '{{"seller_ids": ["demo-chat", "demo-email", "demo-phone", "demo-none"], "topic": "delivery"}}'
  curl -s -G -H "Authorization: Bearer $BUYER" -H 'Accept-Language: ru' --data-urlencode 'q=где моя посылка' \\
       '{api}/v1/sellers/demo-none/contact-options?topic=delivery'
  curl -s -H "Authorization: Bearer $SELLER" {api}/v1/sellers/demo-chat/channels
  curl -s -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' -H 'If-Match: "1"' \\
       -X PATCH {api}/v1/sellers/demo-chat/channels -d '{{"chat": {{"enabled": false}}}}'
  curl -si -H "Authorization: Bearer $ADMIN" {api}/v1/platform/policy
The support and admin console (docs/console.md):
  support: {api}/console#token={support}
  admin:   {api}/console#token={admin}
Demo sellers: {", ".join(DEMO_SELLERS)}. Support queue: {env['SUPPORT_QUEUE_URL']}
Support CLI on this stack:  MOTO_PORT={urlsplit(env['AWS_ENDPOINT_URL']).port} make support ARGS="recent"   (or "stats", "dlq", "dlq --redrive")
""",
        flush=True,
    )


class StopRequested(BaseException):
    """A stop signal arrived; unwinds the supervisor to its clean-up.

    A BaseException, as KeyboardInterrupt is: raised wherever the signal lands, even inside a library's
    `except Exception:` (a stop during the banner's `import jwt` was swallowed there, and the stack then ignored
    every later signal).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopSignals:
    """The supervisor's handler of SIGINT, SIGTERM and SIGHUP: the first one raises StopRequested, once.

    Stop signals often come in twos: GNU make passes the SIGTERM sent to `make run`'s group on to the supervisor,
    which the group's signal has reached already, and a process manager may follow SIGTERM with SIGHUP. A second
    StopRequested raised in the clean-up interrupted it (a double traceback, status 1, children left to their death
    signal). So after the first, and once `disarm()` is called, a signal is only recorded.
    """

    def __init__(self) -> None:
        self.armed = False
        self.received: list[int] = []

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)
        self.armed = True

    def disarm(self) -> None:
        """From now on stop signals are recorded, never raised (the clean-up runs to its end)."""
        self.armed = False

    def raise_if_received(self) -> None:
        """Raise StopRequested for a signal whose raise some code swallowed (an `except BaseException:` that did not
        re-raise): the supervisor's loop asks between two polls, so the stack stops anyway."""
        if self.received:
            self.armed = False
            raise StopRequested(self.received[0])

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.armed:
            self.armed = False
            raise StopRequested(signum)


MAX_RESTARTS = 3  # per child; a child that keeps dying is a bug to read about, not to hide


@dataclass
class Child:
    """One supervised process and how to start it again."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    restartable: bool
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0


def supervise(
    children: list[Child], stop: StopSignals | None = None, poll_seconds: float = 0.2, backoff_seconds: float = 0.5
) -> int:
    """Keep started `children` up until a stop signal (raised as an exception); returns the exit status.

    A restartable child that exits is started again after a short back-off, at most MAX_RESTARTS times;
    then (or when a child that cannot be restarted exits) the caller stops everything and exits with 1.
    """
    while True:
        if stop is not None:
            stop.raise_if_received()
        time.sleep(poll_seconds)
        for child in children:
            process = child.process
            code = process.poll() if process is not None else None
            if process is None or code is None:
                continue
            _signal_group(process, signal.SIGKILL)  # anything it left behind in its group
            child.process = None
            if not child.restartable or child.restarts >= MAX_RESTARTS:
                why = "cannot be restarted" if not child.restartable else f"exited {child.restarts + 1} times"
                _say(f"error: {child.name} exited with status {code} and {why}; stopping everything")
                return 1
            child.restarts += 1
            _say(f"{child.name} exited with status {code}; restarting it ({child.restarts}/{MAX_RESTARTS})")
            time.sleep(backoff_seconds * 2 ** (child.restarts - 1))
            child.process = child.start()


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass  # the terminal is gone (SIGHUP); stopping matters more than saying so


def read_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """MOTO_PORT and API_PORT as two distinct TCP ports; raises ValueError with a one-line reason otherwise."""
    ports: dict[str, int] = {}
    for variable, default in (("MOTO_PORT", "5000"), ("API_PORT", "8000")):
        text = environ.get(variable, "").strip() or default  # empty counts as unset, as in the Makefile's ${MOTO_PORT:-5000}
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
            raise ValueError(f"{variable}={text!r} is not a TCP port; use a number from 1 to 65535, e.g. {variable}={default}")
        ports[variable] = int(text)
    if ports["MOTO_PORT"] == ports["API_PORT"]:
        raise ValueError(f"MOTO_PORT and API_PORT are both {ports['API_PORT']}; moto and chalice local need a port each")
    return ports


def run() -> int:
    """The supervisor of `make run`. Exit status: 0 when stopped by SIGINT, SIGTERM or SIGHUP (however many arrive,
    whenever they arrive), 1 when a child failed, 2 when it could not start (bad or busy port)."""
    import faulthandler

    # SIGUSR1 prints every thread's stack to the log: the lifecycle tests send it before failing on a stop signal
    # left unanswered (that is how the swallowed StopRequested above was found).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stop = StopSignals()
    status = 1
    children: list[Child] = []
    try:
        try:
            stop.install()  # first: a signal from here on is a clean stop (before it, Python's defaults apply)
            status = _start_and_supervise(children, stop)
        finally:
            stop.disarm()  # a signal from here on (a second one, or one during the clean-up) interrupts nothing
    except StopRequested as stopped:
        _say(f"\n{stopped}: stopping")
        status = 0
    except KeyboardInterrupt:  # SIGINT before our handler was installed
        status = 0
    except RuntimeError as exc:  # a child never came up
        _say(f"error: {exc}")
        status = 1
    finally:
        started = [c.process for c in reversed(children) if c.process is not None]
        if started:
            stop_processes(started)
            _say("stopped moto server, chalice local, the local poller" + (" and the relay SMTP server" if len(started) > 3 else ""))
    return status


def _start_and_supervise(children: list[Child], stop: StopSignals) -> int:
    """Check the ports, start the children (added to `children` as they are created) and supervise them."""
    try:
        ports = read_ports(os.environ)
    except ValueError as exc:
        _say(f"error: {exc}")
        return 2
    for variable, port in ports.items():
        if port_in_use(port):
            _say(f"error: port {port} on 127.0.0.1 is already in use; choose another one with {variable}=<port> make run")
            return 2
    moto_port, api_port = ports["MOTO_PORT"], ports["API_PORT"]
    env: dict[str, str] = {}
    children += [
        # moto holds every table and queue in memory: restarted, it would come back empty
        Child("moto server", lambda: start_moto(moto_port), restartable=False),
        Child("chalice local", lambda: start_api(api_port, env), restartable=True),
        Child("local poller", lambda: start_poller(env), restartable=True),
    ]
    relay_port = os.environ.get("RELAY_SMTP_PORT", "").strip() or "2525"
    if relay_port.isdigit() and port_in_use(int(relay_port)):  # the relay is optional: the API runs without it
        _say(f"warning: port {relay_port} on 127.0.0.1 is in use; the relay SMTP server is not started (RELAY_SMTP_PORT=<port>)")
    else:
        children.append(Child("relay smtp", lambda: start_relay_smtp(env), restartable=True))
    for child in children:
        child.process = child.start()
        if child is children[0]:
            env.update(provision(f"http://127.0.0.1:{moto_port}"))
    print_banner(f"http://127.0.0.1:{api_port}", env)
    return supervise(children, stop)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="moto server + demo sellers + chalice local (the default)")
    token = commands.add_parser("token", help="print a demo token signed with the local stage's key")
    token.add_argument("--role", choices=["buyer", "seller", "support", "admin"], default="buyer")
    token.add_argument("--seller", help="seller_id, required for --role seller")
    token.add_argument("--sub", help="subject (user id); default demo-<role>")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until it expires (default 12 h)")
    token.add_argument("--email", help="a verified e-mail claim (the relay accepts the buyer's mail from it)")
    args = parser.parse_args(argv)
    if args.command != "token":
        return run()
    if args.role == "seller" and not args.seller:
        parser.error("--role seller needs --seller SELLER_ID (e.g. demo-chat)")
    from devstack.tokens import mint_token

    print(mint_token(local_jwt_secret(), args.role, args.sub or f"demo-{args.role}", args.seller, args.ttl, email=args.email))
    return 0


if __name__ == "__main__":
    sys.exit(main())
