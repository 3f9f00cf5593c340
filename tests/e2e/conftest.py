"""The real local stack: moto server and chalice local as subprocesses on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import local_stack


@dataclass
class Stack:
    api: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=self.env["AWS_DEFAULT_REGION"]
        ).client(service, endpoint_url=self.env["AWS_ENDPOINT_URL"])


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    moto = local_stack.start_moto(local_stack.free_port())
    api = None
    try:
        env = local_stack.provision(f"http://127.0.0.1:{moto.args[-1]}", visibility_timeout=1)
        port = local_stack.free_port()
        api = local_stack.start_api(port, env)
        yield Stack(api=f"http://127.0.0.1:{port}", env=env)
    finally:
        for process in (api, moto):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
