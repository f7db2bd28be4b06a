"""Regression tests for what an adversarial review found: no 500 and no framework-shaped error for
anything a client can send, and money strings parsed strictly."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.loans_support import drawdown_body, make_borrower, pinned_date, request

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)


@pytest.mark.parametrize("path", ["/households", "/campaigns", "/drawdowns", "/households/search"])
def test_deeply_nested_json_is_a_400_not_a_500(client, path):
    body = "[" * 5000 + "]" * 5000
    r = client.as_user("am.nongan").post(path, data=body, headers={"Content-Type": "application/json",
                                                                   "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_JSON"


def test_a_body_that_is_not_json_gets_415_in_the_error_model(client):
    r = client.as_user("am.nongan").post("/campaigns", data='{"x":1}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE" and r.json()["error"]["correlation_id"]


@pytest.mark.parametrize("amount", ["1E5", " 1000", "1_000", "０１０００", "+1000", "1000.", "1000.001"])
def test_money_strings_are_strict_and_nothing_is_created(client, amount):
    b = make_borrower(limit="100000")
    r = request(client, "am.nongan", drawdown_body(b["line_id"], amount=amount))
    assert r.status_code == 422, r.text
    assert any(f["field"] == "amount" for f in r.json()["error"]["fields"])
    listed = client.as_user("am.nongan").get(f"/drawdowns?line_id={b['line_id']}")
    assert listed.status_code != 200 or listed.json().get("items", []) == []


def test_consent_must_be_a_real_true(client):
    b = make_borrower(limit="100000")
    r = request(client, "am.nongan", drawdown_body(b["line_id"], consent="yes"))
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "consent"


def test_every_role_may_read_itself(client):
    me = client.as_user("farmer.demo").get("/me")
    assert me.status_code == 200 and me.json()["role"] == "farmer" and me.json()["household_id"]
