"""The local stack's own pieces (devstack/)."""

from __future__ import annotations

import pytest


def test_the_local_moto_server_starts_with_an_empty_moto_port_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: `MOTO_PORT= make run` (empty: our default port) crashed moto, which reads MOTO_PORT itself."""
    from devstack import stack

    monkeypatch.setenv("MOTO_PORT", "")
    port = stack.free_port()
    moto = stack.start_moto(port)
    try:
        assert moto.poll() is None
    finally:
        stack.stop_processes([moto])
