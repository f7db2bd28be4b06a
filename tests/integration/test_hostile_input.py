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
    listed = client.as_user("am.nongan").get(f"/drawdowns?household_id={b['household_id']}")
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []  # nothing was created for this borrower


def test_consent_must_be_a_real_true(client):
    b = make_borrower(limit="100000")
    r = request(client, "am.nongan", drawdown_body(b["line_id"], consent="yes"))
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "consent"


def test_every_role_may_read_itself(client):
    me = client.as_user("farmer.demo").get("/me")
    assert me.status_code == 200 and me.json()["role"] == "farmer" and me.json()["household_id"]


def _b64(obj) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _postloan_partitions() -> tuple[str, str]:
    from chalicelib.postloan.data.models import LoanState, WarningSignal

    return WarningSignal.active_partition("JL-220122"), LoanState.risk_partition("JL-220122")


_ACTIVE, _AT_RISK = _postloan_partitions()  # the partitions of 农安's active warnings and at-risk loans


@pytest.mark.parametrize("path,cursor", [
    ("/postloan/warnings", {"u": -3, "c": None}),
    ("/postloan/warnings", {"u": 5, "c": None}),
    ("/postloan/warnings", {"u": 0, "c": _b64({"GSI3PK": _ACTIVE})}),
    ("/postloan/warnings", {"u": 0, "c": _b64({"GSI3PK": _ACTIVE, "GSI3SK": "/JL/", "PK": "x"})}),
    ("/postloan/overdue", {"u": -30, "c": None}),
    ("/postloan/overdue", {"u": 0, "c": _b64({"GSI1PK": _AT_RISK})}),
    ("/postloan/overdue", {"u": 0, "c": _b64({"PK": "x", "SK": "y", "GSI1PK": _AT_RISK, "GSI1SK": "zz"})}),
    ("/postloan/classification?category=npl", {"u": -30, "c": None}),
    ("/postloan/classification?category=loss", {"u": 0, "c": _b64({"GSI1PK": _AT_RISK})}),
    ("/audit/warning/W1", {"PK": "warning#W1"}),
    ("/audit/warning/W1", {"PK": "warning#W1", "SK": ""}),
    ("/villages/220122102202/households", {"GSI1PK": "VILLAGE#220122102202"}),
])
def test_a_crafted_cursor_is_a_400_not_a_500(client, path, cursor):
    sep = "&" if "?" in path else "?"
    r = client.as_user("admin.nongan").get(f"{path}{sep}cursor={_b64(cursor)}")
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "INVALID_CURSOR" and r.json()["error"]["fields"][0]["field"] == "cursor"


def test_an_inbox_cursor_made_by_the_client_is_a_400_even_inside_the_listing(client):
    """Cursors are sealed by the server (decision 0050): a key the client writes itself is refused, whether it
    lies outside the listing's sort-key range or inside it (the inner check is in tests/unit/test_cursors.py)."""
    me = client.as_user("am.nongan").get("/me").json()["user_id"]
    from chalicelib.postloan.data.models import InspectionTask

    pk, (tpk, tsk) = InspectionTask.assignee_partition(me), InspectionTask.key("I1")
    for key in ({"GSI2PK": pk}, {"PK": tpk, "SK": tsk, "GSI2PK": pk, "GSI2SK": "Z#2026-01-01#I1"},
                {"PK": tpk, "SK": tsk, "GSI2PK": pk, "GSI2SK": "A#2026-01-01#I1"}):
        r = client.as_user("am.nongan").get(f"/postloan/inspections?status=open&cursor={_b64(key)}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_CURSOR", r.text


@pytest.mark.parametrize("path", ["/loans/{x}", "/households/{x}/lines", "/postloan/warnings/{x}",
                                  "/parameters/{x}/versions"])
def test_an_overlong_path_parameter_is_a_400_not_a_key_error_in_dynamodb(client, path):
    """DynamoDB refuses keys over 1,024/2,048 bytes (a 500 on AWS; moto does not check): ids are refused
    at the edge, naming the parameter."""
    r = client.as_user("province.admin").get(path.replace("{x}", "L" * 300))
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_PATH_PARAMETER", r.text
    assert client.as_user("province.admin").get(path.replace("{x}", "L" * 200)).status_code != 400
