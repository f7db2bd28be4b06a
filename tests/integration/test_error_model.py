"""Every answer of the API, whoever gives it (a view, Chalice, the local HTTP server), has the one error body
``{"error": {"code", "message", "correlation_id"}}``: unknown paths and methods, unusual content types, requests
the HTTP server cannot parse."""
from __future__ import annotations

import socket
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS


def _error(r: requests.Response) -> dict:
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] and err["message"] and err["correlation_id"], err
    return err


@pytest.mark.parametrize("method", ["PROPFIND", "FOO", "TRACE"])
def test_a_method_the_server_does_not_know_is_a_405_with_allow(client, method):
    r = client.as_user("am.nongan").request(method, "/households", data=b"{}")
    assert r.status_code == 405, r.text
    assert _error(r)["code"] == "METHOD_NOT_ALLOWED"
    assert [m.strip() for m in r.headers["Allow"].split(",")] == ["POST"]


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT"])
def test_a_known_method_a_path_does_not_have_is_a_405_with_allow(client, method):
    r = client.as_user("am.nongan").request(method, "/households/search", json={})
    assert r.status_code == 405, r.text
    assert _error(r)["code"] == "METHOD_NOT_ALLOWED"
    assert [m.strip() for m in r.headers["Allow"].split(",")] == ["POST"]
    both = client.as_user("am.nongan").request(method, "/households/H1/members/M1/move")
    assert both.status_code == 405 and both.headers["Allow"] == "POST", both.headers


@pytest.mark.parametrize("method", ["GET", "POST", "PROPFIND"])
def test_a_path_the_api_does_not_have_is_a_404_in_the_error_model(client, method):
    r = client.as_user("am.nongan").request(method, "/no/such/route")
    assert r.status_code == 404, r.text
    assert _error(r)["code"] == "ROUTE_NOT_FOUND"


@pytest.mark.parametrize("content_type", ["application/foo", "image/png", "application/json-patch+json", "*/*",
                                          "text/plain; charset=utf-8", "garbage"])
def test_any_content_type_but_json_is_a_415_in_the_error_model(client, content_type):
    r = client.as_user("am.nongan").post("/households", data=b'{"village_code": "220122102202"}',
                                         headers={"Content-Type": content_type})
    assert r.status_code == 415, r.text
    err = _error(r)
    assert err["code"] == "UNSUPPORTED_MEDIA_TYPE" and err["fields"][0]["field"] == "Content-Type"


def test_a_route_without_a_body_ignores_the_content_type(client):
    r = client.as_user("am.nongan").get("/me", headers={"Content-Type": "application/foo"})
    assert r.status_code == 200, r.text


def test_head_of_a_get_route_is_a_405_without_a_body(client):
    r = client.as_user("am.nongan").request("HEAD", "/me")
    assert r.status_code == 405 and r.headers["Allow"] == "GET" and r.content == b""
    assert client.as_user("am.nongan").get("/me").status_code == 200  # the connection is still usable


def test_a_request_the_http_server_cannot_parse_gets_the_error_body(api_url):
    """http.server refuses more than 100 header lines itself (431), before any route is looked at."""
    import json

    url = urlparse(api_url)
    headers = b"".join(b"X-Filler-%d: x\r\n" % i for i in range(120))
    with socket.create_connection((url.hostname, url.port), timeout=HANG_GUARD_SECONDS) as sock:
        sock.sendall(b"GET /me HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"


def _exchange(api_url: str, data: bytes) -> tuple[bytes, bytes]:
    """Send ``data`` on a new connection, read until the server closes it; (status line + headers, body)."""
    url = urlparse(api_url)
    with socket.create_connection((url.hostname, url.port), timeout=HANG_GUARD_SECONDS) as sock:
        sock.sendall(data)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


def _clock(api_url: str) -> dict:
    r = requests.get(api_url + "/_local/clock", timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("length", [b"abc", b"-5", b"-1", b"1e3", b"0x10", b"5, 5", b"+5", b"", b"99999999999999999999999"])
def test_a_content_length_that_is_not_a_number_of_bytes_is_a_400_and_changes_nothing(api_url, restore_clock, length):
    """Chalice's local server did ``int(Content-Length)``: ``abc`` raised and the connection closed with no answer,
    a negative one read no body. Each is now a 400 with the error body (a number beyond 20 digits too: it is no
    length anyone sends), and the request is not run (the clock does not move)."""
    import json

    before = _clock(api_url)
    body = b'{"advance_days": 3}'
    head, answer = _exchange(api_url, b"POST /_local/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: " + length + b"\r\n\r\n" + body)
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"Connection: close" in head and b"Content-Type: application/json" in head
    assert json.loads(answer)["error"]["code"] == "CONTENT_LENGTH_INVALID"
    assert _clock(api_url) == before


def test_two_different_content_lengths_are_a_400(api_url):
    import json

    head, answer = _exchange(api_url, b"POST /households HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                      b"Content-Length: 3\r\n\r\n{}")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert json.loads(answer)["error"]["code"] == "CONTENT_LENGTH_INVALID"


def test_a_body_over_the_api_gateway_quota_is_a_413_before_it_is_read(api_url):
    import json

    from infra.local.server import MAX_BODY_BYTES

    head, answer = _exchange(api_url, b"POST /households HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: %d\r\n\r\n{" % (MAX_BODY_BYTES + 1))
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert json.loads(answer)["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_shorter_than_announced_is_a_408_once_the_body_deadline_passes(api_url, restore_clock, monkeypatch):
    """The server read the announced length for ever; now it waits ``BODY_TIMEOUT_SECONDS`` (shortened here) and
    answers 408 (the test waits on the answer, not on a clock)."""
    import json

    import infra.local.server as server

    monkeypatch.setattr(server, "BODY_TIMEOUT_SECONDS", 0.5)
    before = _clock(api_url)
    head, answer = _exchange(api_url, b"POST /_local/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: 100\r\n\r\n{\"advance_days\": 3}")
    assert head.startswith(b"HTTP/1.1 408 "), head
    assert json.loads(answer)["error"]["code"] == "REQUEST_TIMEOUT"
    assert _clock(api_url) == before


@pytest.mark.parametrize("line, status, code", [
    (b"GET /me HTTP/9.9", 505, "HTTP_VERSION_NOT_SUPPORTED"),
    (b"GET /me HTTP/2.0", 505, "HTTP_VERSION_NOT_SUPPORTED"),
    (b"GET /me", 505, "HTTP_VERSION_NOT_SUPPORTED"),  # HTTP/0.9
    (b"GET /me FOO/1.1", 400, "BAD_REQUEST"),
    (b"GET /me HTTP/1.1.1", 400, "BAD_REQUEST"),
    (b"GET /me now HTTP/1.1", 400, "BAD_REQUEST")])
def test_a_request_line_without_a_usable_version_gets_a_status_line_and_the_error_body(api_url, line, status, code):
    """http.server answered these with the body alone (no status line: it answers in the request's version, which
    it had not read yet); now every answer is a full HTTP/1.1 response."""
    import json

    head, answer = _exchange(api_url, line + b"\r\nHost: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), head
    assert b"Content-Type: application/json" in head and b"X-Business-Date: " in head
    assert json.loads(answer)["error"]["code"] == code
