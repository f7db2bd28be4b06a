"""Shared fixtures. Integration tests run on the same local stack as `make run`: a moto server built
from template.yaml (infra.local), the real handlers in-process, and the Chalice API served over HTTP
on a free port. One stack per pytest worker; tests create their own data, so no reset is needed."""
from __future__ import annotations

import os
import time
from typing import Any, Callable

import pytest

# Unit tests must never reach AWS: a stray client without an endpoint fails fast instead of hanging.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="session")
def stack():
    """The local stack (moto server + template resources + seed data), env applied to this process."""
    from infra.local.server import free_port, start_stack

    server, built = start_stack(free_port(), extra_env={"STAGE": "test"})
    yield built
    server.stop()


@pytest.fixture(scope="session")
def api_url(stack) -> str:
    from infra.local.server import free_port, serve_api

    port = free_port()
    server = serve_api("127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def token(stack) -> Callable[[str], str]:
    """``token("am.nongan")`` → a real ID token from the local user pool (cached per user)."""
    from infra.seed import login

    cache: dict[str, str] = {}

    def get(username: str) -> str:
        if username not in cache:
            cache[username] = login(stack.endpoint, stack.env["USER_POOL_CLIENT_ID"], username)
        return cache[username]

    return get


class ApiClient:
    """Thin HTTP client: ``client.as_user("am.nongan").get("/me")`` → requests.Response."""

    def __init__(self, base: str, token_for: Callable[[str], str], user: str | None = None):
        import requests

        self.base, self.token_for, self.user = base, token_for, user
        self.session = requests.Session()

    def as_user(self, user: str | None) -> "ApiClient":
        return ApiClient(self.base, self.token_for, user)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any):
        h = dict(headers or {})
        if self.user:
            h.setdefault("Authorization", f"Bearer {self.token_for(self.user)}")
        return self.session.request(method, self.base + path, headers=h, timeout=30, **kwargs)

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any):
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any):
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any):
        return self.request("PATCH", path, **kw)


@pytest.fixture(scope="session")
def client(api_url, token) -> ApiClient:
    return ApiClient(api_url, token)


@pytest.fixture
def stack_file(stack, api_url, monkeypatch, tmp_path):
    """The state file ``make run`` writes (``.local-stack.json``), for this worker's stack and in a temporary
    directory (never the repository's own): the console command (``infra.cli.main``) then talks to this stack."""
    import json

    import infra.local.server as server

    path = tmp_path / ".local-stack.json"
    path.write_text(json.dumps({**stack.describe(), "api": api_url}))
    monkeypatch.setattr(server, "STATE_FILE", path)
    return path


@pytest.fixture
def restore_clock(stack):
    """Put the local clock back as it was (pinned date or none) after the test."""
    from chalicelib import clock

    before = clock.local_business_date()
    yield
    clock.set_local_business_date(before)


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
