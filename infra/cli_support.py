"""What the console commands share: the running local stack, an HTTP client of its API, and the one place that
turns an expected failure into one line on stderr and an exit code.

Expected failures (the stack is not running, wrong credentials, an API answer 4xx, bad input) raise
:class:`CliError` / :class:`CannotStart` or are recognised by :func:`describe`; ``infra.cli.main`` prints them as
``ERROR <CODE>: <message>`` and exits with the error's :attr:`CliError.exit_code`. A traceback is printed only with
``--debug``.

The exit-code rule (README "Console command"), decided here and nowhere else: the kind of error a command raises
carries its code, no command picks a number.

* **2 — the command could not start** (:class:`CannotStart`): its arguments or input are wrong, found before anything
  is asked of the stack (a date, a rate, a village code, a job name, a data file; typer's usage errors exit 2 too), the
  stack is not running, a port it needs is taken, or an optional extra is not installed. Nothing was changed.
* **1 — the command ran and something refused or failed** (:class:`CliError`): an API refusal (``VILLAGE_NOT_FOUND``,
  ``PERMISSION_DENIED``, ...), wrong credentials (``NOT_AUTHORIZED``), a step that did not happen (``CAMPAIGN_FAILED``).
"""
from __future__ import annotations

import json
from typing import Any

#: Exit codes: 1 = the command ran and something refused or failed, 2 = it could not start (see the module doc).
FAILED, CANNOT_START = 1, 2


class CliError(Exception):
    """An expected failure of a command that ran: a stable ``code`` (upper snake case) and a message for people;
    exit code 1 (:data:`FAILED`)."""

    exit_code = FAILED

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class CannotStart(CliError):
    """The command could not start: wrong arguments or input (found before anything was asked of the stack), no
    stack, a port taken, an extra missing; exit code 2 (:data:`CANNOT_START`)."""

    exit_code = CANNOT_START


class ApiError(CliError):
    """The API answered an error: ``status`` and the body's ``error.code``/``message`` (and first field)."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        error: dict[str, Any] = (body["error"] if isinstance(body, dict) and isinstance(body.get("error"), dict)
                                 else {})
        code = str(error.get("code") or f"HTTP_{status}")
        message = str(error.get("message") or (body if isinstance(body, str) else "") or f"HTTP {status}")[:500]
        fields = error.get("fields") or []
        if fields and isinstance(fields[0], dict) and fields[0].get("field"):
            message += f" (field {fields[0]['field']})"
        super().__init__(code, f"{message} [{method} {path} → {status}]")
        self.status, self.body, self.error = status, body, error


def stack_not_running(where: str = "") -> CannotStart:
    return CannotStart("STACK_NOT_RUNNING", f"the local stack is not running{f' at {where}' if where else ''}: "
                                            "start it with `make run` (in another terminal)")


def village_argument(code: str, option: str = "--village") -> str:
    """``code`` when it is a village-level unit of the shipped division list (checked offline, before any call);
    raises :class:`CannotStart` ``VILLAGE_CODE_FORMAT`` (not 12 digits) or ``VILLAGE_CODE_UNKNOWN``."""
    from chalicelib.platform.errors import DomainError
    from chalicelib.reference.divisions import get_village

    try:
        get_village(code)
    except DomainError as exc:  # of the division list: not 12 digits, unknown, not a village
        raise CannotStart(exc.code, f"{option} {code}: {exc}") from None
    return code


def describe(exc: BaseException) -> CliError | None:
    """The expected failure ``exc`` stands for, or ``None`` for a bug (which keeps its traceback)."""
    if isinstance(exc, CliError):
        return exc
    from chalicelib.platform.errors import DomainError

    if isinstance(exc, DomainError):
        field = f" (field {exc.fields[0].field})" if exc.fields else ""
        return CliError(exc.code, exc.message + field)
    import requests

    if isinstance(exc, requests.ConnectionError):
        return stack_not_running(getattr(getattr(exc, "request", None), "url", "") or "")
    if isinstance(exc, requests.Timeout):
        return CliError("API_TIMEOUT", f"the API did not answer in time: {exc}")
    from botocore.exceptions import ClientError, EndpointConnectionError

    if isinstance(exc, EndpointConnectionError):
        return stack_not_running(str(getattr(exc, "kwargs", {}).get("endpoint_url", "")))
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "AWS_ERROR")
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            return CliError("NOT_AUTHORIZED", "incorrect username or password")
        return CliError(_snake(code), err.get("Message") or str(exc))
    return None


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Exception")).upper()


def stack_state() -> dict[str, Any]:
    """The running local stack (``.local-stack.json`` written by ``make run``); raises CliError
    ``STACK_NOT_RUNNING`` when there is none."""
    from infra.local.server import STATE_FILE

    if not STATE_FILE.exists():
        raise stack_not_running()
    return json.loads(STATE_FILE.read_text())


def use_stack(state: dict[str, Any]) -> None:
    """Point this process's AWS clients and settings at the stack (for in-process reads such as roster import)."""
    import os

    os.environ.update(state["env"])
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    get_settings.cache_clear()
    aws.reset()  # clients made before pointed at another endpoint


class StackApi:
    """HTTP client of a running stack's API, logging in demo users (or any user with a password) on demand.

    ``call`` returns the decoded JSON body and raises :class:`ApiError` for any 4xx/5xx answer."""

    def __init__(self, base: str, endpoint: str, client_id: str, *, timeout: float = 60, region: str = "us-east-1"):
        import requests

        self.base, self.endpoint, self.client_id, self.timeout = base.rstrip("/"), endpoint, client_id, timeout
        self.region = region
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}

    @classmethod
    def of(cls, state: dict[str, Any]) -> StackApi:
        return cls(state["api"], state["endpoint"], state["env"]["USER_POOL_CLIENT_ID"],
                   region=state["env"].get("AWS_REGION", "us-east-1"))

    def token(self, user: str, password: str | None = None) -> str:
        """An ID token of ``user`` (USER_PASSWORD_AUTH against the stack's pool; default the demo password)."""
        if user not in self._tokens or password is not None:
            import boto3

            from infra.seed import DEMO_PASSWORD

            idp = boto3.client("cognito-idp", endpoint_url=self.endpoint, region_name=self.region,
                               aws_access_key_id="local", aws_secret_access_key="local")
            out = idp.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": user, "PASSWORD": password or DEMO_PASSWORD})
            self._tokens[user] = out["AuthenticationResult"]["IdToken"]
        return self._tokens[user]

    def forget(self, user: str) -> None:
        """Drop a cached token (the user was created or changed)."""
        self._tokens.pop(user, None)

    def url(self, path: str) -> str:
        return self.base + path

    def request(self, method: str, path: str, user: str | None = None, **kw: Any):
        headers = dict(kw.pop("headers", None) or {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.session.request(method, self.base + path, headers=headers, timeout=self.timeout, **kw)

    def call(self, method: str, path: str, user: str | None = None, **kw: Any) -> Any:
        r = self.request(method, path, user, **kw)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        if r.status_code >= 400:
            raise ApiError(method, path, r.status_code, body)
        return body

    def business_date(self):
        """The stack's business date: its local clock's, else (a stack without one) today in Asia/Shanghai."""
        from datetime import date

        from chalicelib.platform.clock import calendar_date

        try:
            return date.fromisoformat(self.clock()["business_date"])
        except ApiError:  # no /_local/clock route (404): not a local stack
            return calendar_date()

    def clock(self, method: str = "GET", body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The local clock (``/_local/clock`` of the local server): ``{"business_date", "calendar_date",
        "pinned"}``."""
        from infra.local.server import CLOCK_PATH

        return self.call(method, CLOCK_PATH, json=body if body is not None else None)
