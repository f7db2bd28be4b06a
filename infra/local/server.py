"""``make run``: the whole product on one machine, in one process.

1. a moto server on 127.0.0.1:``MOTO_PORT`` (default 8001) with the seams installed;
2. the stack built from template.yaml, reference data and demo users seeded;
3. the Chalice API (``app.py``) on 127.0.0.1:``PORT`` (default 8000), tokens verified against the
   local pool's JWKS;
4. the template's schedules fired by a background thread.
Ctrl-C stops everything. ``.local-stack.json`` tells the console command where the stack is.

The API server of the local stack (and of the test stack) adds two things the deployed API never has
(they live here, not in ``app.py`` or template.yaml): every response carries the business date in
``X-Business-Date``, and ``/_local/clock`` reads and moves the local clock (:mod:`chalicelib.platform.clock`):
``GET`` shows it, ``PUT {"business_date": "YYYY-MM-DD"}`` pins it, ``POST {"advance_days": N}`` moves it on,
``DELETE`` lets it follow the calendar again. Each answers ``{"business_date", "calendar_date", "pinned"}``.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Mapping
from pathlib import Path

from infra.template import ROOT

#: Where ``make run`` describes the running stack for the console command: ``.local-stack.json`` in the clone, or the
#: file ``VILLAGE_CREDIT_STACK_FILE`` names (tests point a subprocess's console command at their own stack with it).
STATE_FILE = Path(os.environ.get("VILLAGE_CREDIT_STACK_FILE") or ROOT / ".local-stack.json")
#: Connections the local API queues before accepting them (Linux caps it at net.core.somaxconn).
API_LISTEN_BACKLOG = 128
#: The largest request body the local API reads: API Gateway's REST API payload quota (10 MB, "Amazon API Gateway
#: quotas", AWS documentation); API Gateway answers a larger one with 413 as well.
MAX_BODY_BYTES = 10 * 1024 * 1024
#: How long the local API waits for the rest of a body the client announced (Content-Length) and did not send
#: before it answers 408 and closes the connection.
BODY_TIMEOUT_SECONDS = 30.0
#: How long a refused connection is read from (what the client still sends) before it is closed.
LINGER_SECONDS = 0.5
#: The business dates the local clock can be set to: every date computation of the product (30-year schedules,
#: look-backs, validity periods) stays inside Python's calendar (years 1 to 9999) from any of them.
CLOCK_EARLIEST, CLOCK_LATEST = "2000-01-01", "2099-12-31"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(port: int):
    """Start an in-process moto server with the seams installed; return (server, endpoint). Raises OSError
    (``EADDRINUSE``) when the port cannot be bound."""
    from moto.server import ThreadedMotoServer

    from infra.local import seams

    class MotoServer(ThreadedMotoServer):
        # werkzeug's make_server, in the server's thread, prints "Address already in use" and exits that thread
        # (sys.exit) when the port is taken: ThreadedMotoServer.start() would then wait for ever for it to be ready.
        # Here the failure ends the wait and start_moto raises it.
        failure: BaseException | None = None

        def _server_entry(self) -> None:
            try:
                super()._server_entry()
            except BaseException as exc:  # noqa: BLE001 - SystemExit included: it is what werkzeug raises
                self.failure = exc
                self._server_ready_event.set()

    seams.install()
    os.environ["MOTO_PORT"] = str(port)  # Step Functions service integrations call back to this port
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = MotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    if server.failure is not None:
        import errno

        raise OSError(errno.EADDRINUSE, f"moto could not listen on 127.0.0.1:{port}") from server.failure
    return server, f"http://127.0.0.1:{port}"


def start_stack(port: int | None = None, *, seed: bool = True, extra_env: dict[str, str] | None = None):
    """Moto server + stack from the template + (optionally) seed data, env applied to this process."""
    from infra.local import stack as stack_mod

    server, endpoint = start_moto(port or free_port())
    stack = stack_mod.build(endpoint, extra_env=extra_env)
    stack_mod.apply_env(stack)
    if seed:
        from infra import seed as seed_mod

        seed_mod.seed_all(stack)
    return server, stack


CLOCK_PATH = "/_local/clock"
BUSINESS_DATE_HEADER = "X-Business-Date"


def clock_state() -> dict[str, object]:
    """``{"business_date", "calendar_date", "pinned"}`` of this process's clock."""
    from chalicelib.platform import clock

    return {"business_date": clock.business_date().isoformat(), "calendar_date": clock.calendar_date().isoformat(),
            "pinned": clock.local_business_date() is not None}


def change_clock(method: str, body: dict[str, object]) -> dict[str, object]:
    """Apply one ``/_local/clock`` request; raises ValueError with a message for a bad one (a date that is not
    ``YYYY-MM-DD``, ``advance_days`` that is not a whole number from -3660 to 3660, or a business date outside
    :data:`CLOCK_EARLIEST` … :data:`CLOCK_LATEST` either way) and changes nothing then."""
    from datetime import date, timedelta

    from chalicelib.platform import clock

    if method == "PUT":
        raw = body.get("business_date")
        try:
            day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"business_date must be a date YYYY-MM-DD, got {raw!r}")
        clock.set_local_business_date(_in_clock_range(day))
    elif method == "POST":
        days = body.get("advance_days")
        if not isinstance(days, int) or isinstance(days, bool) or not -3660 <= days <= 3660:
            raise ValueError(f"advance_days must be a whole number of days (-3660 to 3660), got {days!r}")
        today = clock.business_date()
        if not date.fromisoformat(CLOCK_EARLIEST) <= today + timedelta(days=days) <= date.fromisoformat(CLOCK_LATEST):
            raise ValueError(f"advancing {today.isoformat()} by {days} days leaves {CLOCK_EARLIEST} to {CLOCK_LATEST}")
        clock.set_local_business_date(today + timedelta(days=days))
    elif method == "DELETE":
        clock.set_local_business_date(None)
    elif method != "GET":
        raise ValueError(f"{method} is not one of GET, PUT, POST, DELETE")
    return clock_state()


def _in_clock_range(day):
    if not CLOCK_EARLIEST <= day.isoformat() <= CLOCK_LATEST:
        raise ValueError(f"business_date must be from {CLOCK_EARLIEST} to {CLOCK_LATEST}, got {day.isoformat()}")
    return day


def _request_handler():
    """Chalice's local request handler, with every answer in the product's error body.

    Chalice's local server (``chalice.local``) answers outside the error model in three places; here

    * a path the API does not have: 404 ``ROUTE_NOT_FOUND`` (Chalice mimics API Gateway's 403 "Missing
      Authentication Token"; template.yaml's ``GatewayResponses`` turn that into the same 404 on AWS);
    * a method the HTTP server does not know (``PROPFIND``, ``FOO``; ``http.server`` answers 501 with an HTML
      page): 405 ``METHOD_NOT_ALLOWED`` with ``Allow`` (the path's methods), as for a known method the path
      does not have (Chalice's 405, given the error body by ``chalicelib.platform.http.routing.framework_errors``).
      Behind API Gateway both are 404 ``ROUTE_NOT_FOUND``: it cannot tell a missing method from a missing path;
    * a request the HTTP server cannot parse (bad request line, URI or headers too long): the status it
      chose, with the error body — always with a status line (``http.server`` writes none when the request line
      named no usable version, e.g. ``HTTP/9.9``: 505, or none at all: HTTP/0.9 is refused with 505);
    * a ``Content-Length`` that is not a decimal number (``abc``, ``-1``; Chalice's ``int()`` raised and the
      connection closed without an answer): 400 ``CONTENT_LENGTH_INVALID``; a body over :data:`MAX_BODY_BYTES`:
      413 ``PAYLOAD_TOO_LARGE`` without reading it; a body that does not arrive within
      :data:`BODY_TIMEOUT_SECONDS`: 408 ``REQUEST_TIMEOUT``. These close the connection;
    * anything else the server itself fails on: 500 ``LOCAL_SERVER_ERROR`` (logged), never a dropped connection.
    A HEAD answer carries no body.

    It also serves the local stack's clock route (``/_local/clock``: :func:`change_clock`), which is no route
    of the app, and gives every answer the ``X-Business-Date`` header."""
    import logging
    import re
    import uuid
    from http import HTTPStatus

    from chalice.local import ChaliceRequestHandler, ForbiddenError, RouteMatcher

    from chalicelib.platform.http.routing import error_body

    log = logging.getLogger("village-credit.local")
    digits = re.compile(r"[0-9]{1,20}")

    class _Answered(Exception):
        """The request has been answered (an error) and its handling ends here."""

    class ApiRequestHandler(ChaliceRequestHandler):
        request_version: str  # set by parse_request (http.server)
        # every read of the connection (request line, headers, body, the next request of a kept-alive connection)
        # gives up after this: a client that starts a request and stops no longer holds a server thread for ever
        # (http.server closes the connection on the timeout)
        timeout = BODY_TIMEOUT_SECONDS

        def __init__(self, request, client_address, server, app_object, config):
            self._routes = app_object.routes
            self._matcher = RouteMatcher(list(app_object.routes))
            self._responded = False
            super().__init__(request, client_address, server, app_object=app_object, config=config)

        def __getattr__(self, name: str):
            if name.startswith("do_"):  # any method http.server has no handler for
                return self._guarded(self._unknown_method)
            raise AttributeError(name)

        def parse_request(self) -> bool:
            self._responded = False
            if not super().parse_request():
                return False
            if self.request_version == "HTTP/0.9":  # "GET /" without a version: nothing could read the answer
                self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/0.9 is not supported")
                return False
            lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
            if lengths and (len(lengths) > 1 or not digits.fullmatch(next(iter(lengths)))):
                self._refuse(400, "CONTENT_LENGTH_INVALID",
                             f"Content-Length must be one decimal number of bytes, got {sorted(lengths)!r}")
                return False
            if lengths and int(next(iter(lengths))) > MAX_BODY_BYTES:
                self._refuse(413, "PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes")
                return False
            return True

        def _refuse(self, status: int, code: str, message: str) -> None:
            """Answer an error and close the connection, after reading (briefly, up to 1 MiB) what the client is
            still sending: closing a socket with unread input resets it, and the client may lose the answer."""
            self.close_connection = True
            self._json_error(status, code, message, {"Connection": "close"})
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(LINGER_SECONDS)
                for _ in range(16):
                    if not self.connection.recv(65536):
                        break
            except OSError:  # the client is gone, or still sending after the linger: nothing more to do
                pass

        def _parse_payload(self):
            """Chalice's, reading the body with a deadline (``Content-Length`` was checked by parse_request)."""
            length = int(self.headers.get("Content-Length") or 0)
            if length == 0:
                return dict(self.headers), None
            self.connection.settimeout(BODY_TIMEOUT_SECONDS)
            try:
                body = self.rfile.read(length)
            except TimeoutError:
                body = None
            finally:
                self.connection.settimeout(self.timeout)
            if body is None or len(body) < length:
                self._refuse(408, "REQUEST_TIMEOUT", f"the body did not arrive ({length} bytes announced)")
                raise _Answered
            return dict(self.headers), body

        def _guarded(self, handle):
            def run() -> None:
                try:
                    handle()
                except _Answered:
                    pass
                except (BrokenPipeError, ConnectionResetError):  # the client left before the answer
                    self.close_connection = True
                except Exception:
                    log.exception("the local API server failed on %s %s", self.command, self.path)
                    if self._responded:
                        raise
                    self._refuse(500, "LOCAL_SERVER_ERROR", "the local API server failed on this request")
            return run

        def send_response(self, code, message=None) -> None:
            self._responded = True
            if self.request_version == "HTTP/0.9":  # only before the version was read: always a status line
                self.request_version = "HTTP/1.1"
            super().send_response(code, message)

        def _generic_handle(self) -> None:
            if self.path.split("?", 1)[0].rstrip("/") != CLOCK_PATH:
                return super()._generic_handle()
            _headers, raw = self._parse_payload()
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                status, answer = 200, change_clock(self.command, body)
            except RecursionError:
                status, answer = 400, {"error": {"code": "CLOCK_REQUEST_INVALID",
                                                 "message": "the body is nested too deeply"}}
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                status, answer = 400, {"error": {"code": "CLOCK_REQUEST_INVALID", "message": str(exc)}}
            self._send_http_response(status, {"Content-Type": "application/json"}, json.dumps(answer))

        def _dispatch(self) -> None:
            self._guarded(self._generic_handle)()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

        def _send_headers(self, headers) -> None:
            from chalicelib.platform.clock import business_date

            super()._send_headers({**headers, BUSINESS_DATE_HEADER: business_date().isoformat()})

        def _correlation_id(self) -> str:
            headers = getattr(self, "headers", None)
            return (headers.get("x-correlation-id") if headers else None) or uuid.uuid4().hex

        def _json_error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
            body = error_body(code, message, self._correlation_id()).encode("utf-8")
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header(BUSINESS_DATE_HEADER, _business_date_text())
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _unknown_method(self) -> None:
            self._parse_payload()  # read the body off the connection
            try:
                route = self._matcher.match_route(self.path).route
            except ValueError:
                self._json_error(404, "ROUTE_NOT_FOUND", "no such route")
                return
            allowed = ", ".join(sorted(self._routes[route]))
            self._json_error(405, "METHOD_NOT_ALLOWED", f"{self.command} is not allowed here; allowed: {allowed}",
                             {"Allow": allowed})

        def _send_error_response(self, error) -> None:
            if isinstance(error, ForbiddenError):  # Chalice's "Missing Authentication Token": no such route
                self._json_error(404, "ROUTE_NOT_FOUND", "no such route")
            else:
                self._json_error(error.CODE, HTTPStatus(error.CODE).name, "refused by the local gateway")

        def _send_http_response_with_body(self, code, headers, body) -> None:
            if self.command == "HEAD":
                self._send_http_response_no_body(code, headers)
            else:
                super()._send_http_response_with_body(code, headers, body)

        def send_error(self, code, message=None, explain=None) -> None:
            self.close_connection = True
            try:
                phrase = HTTPStatus(code)
                name, text = phrase.name, phrase.phrase
            except ValueError:
                name, text = "BAD_REQUEST", "bad request"
            self._json_error(code, name, message or text, {"Connection": "close"})

    return ApiRequestHandler


def _business_date_text() -> str:
    from chalicelib.platform.clock import business_date

    return business_date().isoformat()


def serve_api(host: str, port: int):
    """Serve app.py with Chalice's local server (every answer in the error model, the clock route and the
    ``X-Business-Date`` header: :func:`_request_handler`) on a daemon thread; returns the server."""
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    from app import app

    if not isinstance(app, LocalChalice):  # what chalice.local.create_local_server does, once per process
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    server = LocalDevServer(app, Config.create(app_name="village-credit", chalice_stage="local"), host, port,
                            handler_cls=_request_handler())
    # socketserver listens with a backlog of 5 (TCPServer.request_queue_size); API Gateway takes whatever burst
    # comes. With 17 concurrent requests on a loaded machine the accept loop fell behind and connections were reset.
    server.server.socket.listen(API_LISTEN_BACKLOG)
    threading.Thread(target=server.serve_forever, name="api", daemon=True).start()
    return server


#: ``make run``'s ports: environment variable → default.
PORT_DEFAULTS = {"PORT": 8000, "MOTO_PORT": 8001}


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (bound the way the servers bind: SO_REUSEADDR, so a port
    whose last connections are in TIME_WAIT counts as free, one another program listens on does not)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def run_ports(host: str, environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """``{"PORT": n, "MOTO_PORT": m}`` from the environment (defaults 8000 and 8001), both checked before anything
    starts. Raises :class:`infra.cli_support.CannotStart` ``PORT_INVALID`` (not a port number, or the same port
    twice) or ``PORT_IN_USE`` naming the variable and a free pair to start with instead."""
    from infra.cli_support import CannotStart

    env: Mapping[str, str] = os.environ if environ is None else environ
    ports: dict[str, int] = {}
    for name, default in PORT_DEFAULTS.items():
        raw = env.get(name, "").strip() or str(default)
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise CannotStart("PORT_INVALID", f"{name}={raw!r} is not a port number (1-65535)")
        ports[name] = int(raw)
    if ports["PORT"] == ports["MOTO_PORT"]:
        raise CannotStart("PORT_INVALID", f"PORT and MOTO_PORT are both {ports['PORT']}: they must differ")
    for name, port in ports.items():
        if not port_is_free(host, port):
            raise CannotStart("PORT_IN_USE", f"port {port} ({name}) is in use; start with e.g. "
                                             f"{_free_pair_hint(host, set(ports.values()))} make run")
    return ports


def _free_pair_hint(host: str, taken: set[int]) -> str:
    """``PORT=p MOTO_PORT=p+1`` for the first pair p = 8100, 8200, ... that is free now (the README's example pair
    when none is)."""
    for base in range(8100, 9000, 100):
        if not {base, base + 1} & taken and port_is_free(host, base) and port_is_free(host, base + 1):
            return f"PORT={base} MOTO_PORT={base + 1}"
    return "PORT=8100 MOTO_PORT=8101"


def main() -> None:
    """``make run``: check both ports, start moto, build and seed the stack, serve the API, fire the schedules; wait
    for Ctrl-C (or SIGTERM) and stop everything. A port taken is one line ``ERROR PORT_IN_USE`` (exit 2) before
    anything starts."""
    host = "127.0.0.1"
    ports = run_ports(host)
    api_port, moto_port = ports["PORT"], ports["MOTO_PORT"]
    print(f"starting the local stack (moto on {host}:{moto_port}) ...", flush=True)
    try:
        moto_server, stack = start_stack(moto_port)
    except OSError as exc:  # taken between the check and the start
        raise _port_taken(host, ports, "MOTO_PORT", exc) from None
    from infra.local.scheduler import Scheduler

    try:
        api = serve_api(host, api_port)
    except OSError as exc:
        moto_server.stop()
        raise _port_taken(host, ports, "PORT", exc) from None
    scheduler = Scheduler(stack)
    scheduler.start()
    STATE_FILE.write_text(json.dumps({**stack.describe(), "api": f"http://{host}:{api_port}"}, indent=1))
    from infra.seed import DEMO_PASSWORD, demo_users

    print(f"\nvillage-credit is running\n  API:   http://{host}:{api_port}\n  Docs:  http://{host}:{api_port}/docs"
          f"\n  AWS:   {stack.endpoint} (moto)\n\nDemo users (password {DEMO_PASSWORD}):")
    for u in demo_users():
        print(f"  {u.username:<16} {u.role:<18} {u.org_id}")
    print(f"  {'farmer.demo':<16} {'farmer':<18} (a household of the showcase village 220122102202)")
    print(started_hint(host, api_port), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    print("stopping ...", flush=True)
    scheduler.stop()
    api.shutdown()
    moto_server.stop()
    STATE_FILE.unlink(missing_ok=True)
    print("stopped.", flush=True)


def started_hint(host: str, api_port: int) -> str:
    """What ``make run`` prints once the stack is up: how to call it, and that its data lives only as long as the
    process (moto keeps everything in memory: a restart starts again from the seed)."""
    return ("\nGet a token:  TOKEN=$(.venv/bin/village-credit login am.nongan)\n"
            f"Call the API: curl -H \"Authorization: Bearer $TOKEN\" http://{host}:{api_port}/me\n"
            + ("" if api_port == PORT_DEFAULTS["PORT"] else
               f"README's walk-through through the API: set API=http://{host}:{api_port}\n")
            + "\nDATA IS KEPT IN MEMORY ONLY: stopping or restarting `make run` deletes every import, campaign, loan "
              "and clock setting (a new stack starts from the seed).\nStop with Ctrl-C.")


def _port_taken(host: str, ports: dict[str, int], name: str, exc: OSError) -> Exception:
    """CannotStart ``PORT_IN_USE`` for a port that could not be bound after all; other OSErrors as they are."""
    import errno

    if exc.errno != errno.EADDRINUSE:
        return exc
    from infra.cli_support import CannotStart

    return CannotStart("PORT_IN_USE", f"port {ports[name]} ({name}) is in use; start with e.g. "
                                      f"{_free_pair_hint(host, set(ports.values()))} make run")


if __name__ == "__main__":
    main()
