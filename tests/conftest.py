"""Shared fixtures. Integration tests run on the same local stack as `make run`: a moto server built
from template.yaml (infra.local), the real handlers in-process, and the Chalice API served over HTTP
on a free port. One stack per pytest worker; tests create their own data, so no reset is needed.

No test depends on wall time: tests wait for a state (:func:`wait_for`), never for a number of seconds,
and the only deadline is :data:`HANG_GUARD_SECONDS`, which stops a broken test from hanging the suite and
says nothing about speed (a loaded machine, e.g. ``pytest -n 4`` on two cores, is slower, not wrong)."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pytest

#: The one deadline of the suite: how long a wait (a poll, an HTTP request) may last before the test is
#: declared stuck. Not a performance assertion: keep it far above anything a loaded machine needs.
HANG_GUARD_SECONDS = 600.0

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


def pytest_collection_modifyitems(session, config, items):
    """The fuzz layer (tests/fuzz, marker ``fuzz``) writes random data through the API: it runs after every other
    test of the session (of each xdist worker: ``--dist loadfile`` hands out files in this order)."""
    items.sort(key=lambda item: item.get_closest_marker("fuzz") is not None)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """When pytest-randomly shuffled the order, end with its seed and the command that repeats that order: ``addopts``
    has ``-q``, which hides the plugin's own header line (``Using --randomly-seed=N``). Nothing with
    ``-p no:randomly``. The option is pytest-randomly's ``--randomly-seed`` (an int once its pytest_configure ran;
    under xdist the controller's seed is the workers')."""
    if not config.pluginmanager.hasplugin("randomly"):
        return
    seed = config.getoption("randomly_seed", None)
    if isinstance(seed, int):
        terminalreporter.write_line(f"pytest-randomly seed {seed}: rerun in this order with --randomly-seed={seed} "
                                    "(-p no:randomly runs in the written order)")


class _Contract:
    """docs/openapi.json as the integration tests see it: every answer :class:`ApiClient` receives for a
    documented operation must have a documented status, and every error the one error body. The whole
    integration suite thereby checks the document against the deep states the fuzz layer cannot reach."""

    def __init__(self) -> None:
        import json
        import re

        from infra.template import ROOT

        doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
        # routed as Chalice does: by path alone, the first of the sorted templates that matches
        # (/households/search before /households/{household_id}); the method is looked up afterwards
        self.paths: list[tuple[re.Pattern[str], str, dict[str, set[str]]]] = [
            (re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)) + "$"), template,
             {method.upper(): set(op["responses"]) for method, op in doc["paths"][template].items()})
            for template in sorted(doc["paths"])]

    def check(self, method: str, url: str, response: Any) -> None:
        from urllib.parse import urlparse

        path = urlparse(url).path.rstrip("/") or "/"
        template, operations = next(((t, ops) for pattern, t, ops in self.paths if pattern.match(path)), (None, {}))
        statuses = operations.get(method.upper())
        if statuses is not None:
            assert str(response.status_code) in statuses, (
                f"{method} {template} answered {response.status_code}, not documented in docs/openapi.json "
                f"({sorted(statuses)}): declare it on the route (statuses=...) or in openapi.statuses_of; "
                f"body: {response.text[:300]}")
        if response.status_code >= 400 and method.upper() != "HEAD":
            error = response.json().get("error") if response.headers.get("Content-Type", "").startswith(
                "application/json") else None
            assert isinstance(error, dict) and error.get("code") and error.get("message"), (
                f"{method} {path} answered {response.status_code} without the error body: {response.text[:300]}")


_contract: _Contract | None = None


def contract() -> _Contract:
    global _contract
    if _contract is None:
        _contract = _Contract()
    return _contract


class ApiClient:
    """Thin HTTP client: ``client.as_user("am.nongan").get("/me")`` → requests.Response. Every answer is checked
    against docs/openapi.json (:class:`_Contract`)."""

    def __init__(self, base: str, token_for: Callable[[str], str], user: str | None = None):
        import requests

        self.base, self.token_for, self.user = base, token_for, user
        self.session = requests.Session()

    def as_user(self, user: str | None) -> ApiClient:
        return ApiClient(self.base, self.token_for, user)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any):
        h = dict(headers or {})
        if self.user:
            h.setdefault("Authorization", f"Bearer {self.token_for(self.user)}")
        response = self.session.request(method, self.base + path, headers=h, timeout=HANG_GUARD_SECONDS, **kwargs)
        contract().check(method, self.base + path, response)
        return response

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
    from chalicelib.platform import clock

    before = clock.local_business_date()
    yield
    clock.set_local_business_date(before)


def wait_for(predicate: Callable[[], Any], *, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value and return that value. The predicate decides
    what the test waits for (include the failure states, so that a wrong outcome ends the wait at once);
    after :data:`HANG_GUARD_SECONDS` the test fails as stuck."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {HANG_GUARD_SECONDS:.0f} s: stuck")
        time.sleep(interval)
