"""The local clock: ``/_local/clock`` of the local API server moves the business date of the running stack at once
(the API, the state-machine tasks and the scheduled jobs), nothing is lost, every response names the business date,
and the route exists only in the local server (not in the product's routes, OpenAPI document or template)."""
from __future__ import annotations

from datetime import date

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS

CLOCK = "/_local/clock"


def test_set_advance_and_reset_move_the_api_and_the_jobs_without_losing_data(client, api_url, stack, restore_clock):
    from chalicelib.platform.clock import calendar_date
    from infra.local.scheduler import fire
    from infra.local.stack import Schedule

    me_before = client.as_user("am.nongan").get("/me")
    assert me_before.status_code == 200

    r = requests.put(api_url + CLOCK, json={"business_date": "2030-01-02"}, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200, r.text
    assert r.json() == {"business_date": "2030-01-02", "calendar_date": calendar_date().isoformat(), "pinned": True}
    assert r.headers["X-Business-Date"] == "2030-01-02"

    me = client.as_user("am.nongan").get("/me")  # same session, same user, same data: nothing restarted
    assert me.status_code == 200 and me.json() == me_before.json()
    assert me.headers["X-Business-Date"] == "2030-01-02"
    in_force = client.as_user("province.admin").get("/parameters/products")
    assert in_force.status_code == 200 and in_force.headers["X-Business-Date"] == "2030-01-02"

    # a scheduled job fired now works on the new business date (the penalty job waits for that date's
    # classification, which has not run: nothing is changed by asking)
    penalty = next(Schedule(**s.__dict__) for s in stack.schedules if s.name == "PenaltyAccrualDaily")
    penalty.input = {"job": "penalty_accrual"}
    result = fire(stack, penalty)
    assert result["business_date"] == "2030-01-02" and result["status"] == "waiting", result

    r = requests.post(api_url + CLOCK, json={"advance_days": 8}, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200 and r.json()["business_date"] == "2030-01-10"
    assert client.as_user("am.nongan").get("/me").headers["X-Business-Date"] == "2030-01-10"

    r = requests.delete(api_url + CLOCK, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200 and r.json()["pinned"] is False
    assert r.json()["business_date"] == calendar_date().isoformat()
    assert requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json()["pinned"] is False


@pytest.mark.parametrize("method, body", [
    ("PUT", {"business_date": "2027-02-30"}), ("PUT", {"business_date": "tomorrow"}), ("PUT", {}),
    ("POST", {"advance_days": "8"}), ("POST", {"advance_days": 1.5}), ("POST", {"advance_days": 10 ** 9}),
    ("PUT", ["2027-01-01"]), ("PATCH", {"business_date": "2027-01-01"})])
def test_a_bad_clock_request_is_refused_and_changes_nothing(api_url, restore_clock, method, body):
    before = requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json()
    r = requests.request(method, api_url + CLOCK, json=body, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 400 and r.json()["error"]["code"] == "CLOCK_REQUEST_INVALID", r.text
    assert requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json() == before


def test_a_business_date_error_names_the_date_that_would_work(client, restore_clock):
    """A line whose validity starts later is refused with the date it becomes valid."""
    from chalicelib.platform.clock import set_local_business_date
    from tests.integration.loans_support import BUSINESS_DATE, drawdown_body, make_borrower, request

    set_local_business_date(BUSINESS_DATE)
    b = make_borrower(limit="50000", subs={"NH_XYD": "50000"})
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import credit_lines

    k = credit_lines.key(b["line_id"])
    dynamo.TxBuilder().update(get_settings().core_table, k, "SET valid_from = :f",
                              values={":f": "2026-12-15"}).commit()
    r = request(client, "am.nongan", drawdown_body(b["line_id"], amount="1000.00"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "LINE_NOT_VALID_TODAY"
    assert "valid from 2026-12-15" in error["message"] and error["details"]["valid_from"] == "2026-12-15"
    assert error["details"]["business_date"] == BUSINESS_DATE.isoformat()


def test_the_clock_route_is_not_part_of_the_product():
    from app import app
    from infra.template import TEMPLATE

    assert CLOCK not in app.routes and not any(path.startswith("/_local") for path in app.routes)
    assert "_local" not in TEMPLATE.read_text(encoding="utf-8")
    from infra.openapi_doc import current_text

    assert "_local" not in current_text() and "X-Business-Date" not in current_text()


def test_error_answers_name_the_business_date_too(client, restore_clock):
    from chalicelib.platform.clock import set_local_business_date

    set_local_business_date(date(2027, 6, 30))
    unauthenticated = client.get("/me")
    assert unauthenticated.status_code == 401 and unauthenticated.headers["X-Business-Date"] == "2027-06-30"
    missing = client.as_user("auditor").get("/drawdowns/DDNOSUCHTHING")
    assert missing.status_code == 404 and missing.headers["X-Business-Date"] == "2027-06-30"


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000, b'{"advance_days": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_a_clock_body_nested_too_deeply_is_a_400_not_a_dropped_connection(api_url, restore_clock, body):
    """json.loads raised RecursionError, which the server did not catch: the connection closed with no answer."""
    before = requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json()
    r = requests.post(api_url + CLOCK, data=body, headers={"Content-Type": "application/json"},
                      timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 400 and r.json()["error"]["code"] == "CLOCK_REQUEST_INVALID", r.text
    assert requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json() == before


@pytest.mark.parametrize("body", [
    b'{"business_date": "9999-12-31"}', b'{"business_date": "0001-01-01"}', b'{"business_date": "1999-12-31"}',
    b'{"business_date": "2100-01-01"}', b'{"advance_days": 1' + b"0" * 5000 + b"}",
    b'{"advance_days": 1e400}', b'{"advance_days": -1e400}', b'{"advance_days": NaN}'])
def test_a_clock_value_out_of_range_is_a_400_and_changes_nothing(api_url, restore_clock, body):
    """A business date the product's date arithmetic cannot live with (year 9999 overflowed the next date
    computation; moving past it raised OverflowError in the server) and numbers JSON makes huge or infinite."""
    before = requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json()
    method = "PUT" if b"business_date" in body else "POST"
    r = requests.request(method, api_url + CLOCK, data=body, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 400 and r.json()["error"]["code"] == "CLOCK_REQUEST_INVALID", r.text
    assert requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json() == before


def test_advancing_the_clock_past_its_range_is_a_400_and_changes_nothing(api_url, restore_clock):
    from infra.local.server import CLOCK_LATEST

    r = requests.put(api_url + CLOCK, json={"business_date": CLOCK_LATEST}, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200 and r.json()["business_date"] == CLOCK_LATEST, r.text
    for days in (1, 3660):
        r = requests.post(api_url + CLOCK, json={"advance_days": days}, timeout=HANG_GUARD_SECONDS)
        assert r.status_code == 400 and r.json()["error"]["code"] == "CLOCK_REQUEST_INVALID", r.text
    assert requests.get(api_url + CLOCK, timeout=HANG_GUARD_SECONDS).json()["business_date"] == CLOCK_LATEST
    r = requests.post(api_url + CLOCK, json={"advance_days": -1}, timeout=HANG_GUARD_SECONDS)
    assert r.status_code == 200 and r.json()["business_date"] == "2099-12-30"
