"""Unit tests open no sockets (pytest-socket): a unit test that reaches the network (AWS, the local stack, an
HTTP server) fails with ``SocketBlockedError`` at the first attempt instead of passing on a machine that happens
to have the service. Integration tests (``tests/integration``) talk to the local stack on 127.0.0.1."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    """Sockets refused for the duration of each unit test, allowed again afterwards (a pytest worker runs
    integration test files too)."""
    disable_socket(allow_unix_socket=False)
    yield
    enable_socket()
