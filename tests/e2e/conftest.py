"""The real local stack: moto server and chalice local as subprocesses on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from devstack import stack as local_stack


@dataclass
class Stack:
    api: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return local_stack.local_client(service, self.env["AWS_ENDPOINT_URL"])


def run_stack(with_poller: bool) -> Iterator[Stack]:
    processes = [local_stack.start_moto(local_stack.free_port())]
    try:
        env = local_stack.provision(f"http://127.0.0.1:{processes[0].args[-1]}", visibility_timeout=1)
        port = local_stack.free_port()
        processes.append(local_stack.start_api(port, env))
        if with_poller:
            processes.append(local_stack.start_poller(env))
        yield Stack(api=f"http://127.0.0.1:{port}", env=env)
    finally:
        local_stack.stop_processes(list(reversed(processes)))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """moto + chalice local; tests read the queue themselves."""
    yield from run_stack(with_poller=False)


@pytest.fixture(scope="module")
def stack_with_poller() -> Iterator[Stack]:
    """moto + chalice local + the local poller feeding support_ingest, as `make run` starts them."""
    yield from run_stack(with_poller=True)
