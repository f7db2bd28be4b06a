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
