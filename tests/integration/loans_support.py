"""Helpers of the loans integration tests: borrower households, ratings and credit lines written with the
rating and customer subsystems' item shapes (so the loans tests do not depend on a campaign run), a pinned
business date, parameter overrides, and polls with deadlines."""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import wait_for

#: The loans tests run on a pinned business date: pricing uses the shipped LPR table, which a real date
#: far in the future would find stale (LPR_TABLE_STALE, tested separately).
BUSINESS_DATE = date(2026, 11, 30)
SHOWCASE_VILLAGE = "220122102202"


@pytest.fixture(scope="module")
def pinned_date(stack) -> Iterator[date]:
    lpr_fixings_through(BUSINESS_DATE)
    with business_date(BUSINESS_DATE):
        yield BUSINESS_DATE


def lpr_fixings_through(day: date) -> list[str]:
    """Test data: the shipped LPR table ends 2026-08-20, so pricing on a later date needs the fixings published
    since. When the table in force on ``day`` lacks some, store a version of ``lpr_fixings`` effective ``day`` with
    the last fixing carried forward, its rows marked as not published (``infra.lpr_cli.carried_forward``, what
    ``village-credit demo`` does through the API). The store only ever gains such rows, so no test depends on
    another's order; a test about a stale table stores the stale table it needs itself. Returns the dates added."""
    from chalicelib.loans.domain.parameters import LprFixings
    from chalicelib.platform import parameters
    from chalicelib.platform.access import SYSTEM
    from infra.lpr_cli import carried_forward

    document, added = carried_forward(parameters.load("lpr_fixings", day, LprFixings)[0].document, day)
    if added:
        parameters.put_version("lpr_fixings", document, effective_from=day, actor=SYSTEM,
                               comment=f"test data, not published rates: {added[0]} to {added[-1]} carried forward")
    return added


@contextlib.contextmanager
def business_date(day: date) -> Iterator[date]:
    """Pin the stack's business date (the local clock: API, tasks and jobs of this worker's stack) to ``day``;
    put back whatever was pinned before (or nothing) afterwards."""
    from chalicelib.platform import clock

    before = clock.local_business_date()
    clock.set_local_business_date(day)
    try:
        yield day
    finally:
        clock.set_local_business_date(before)


def showcase_org_path() -> str:
    from chalicelib.admin.data import orgs

    return orgs.village_assignment(SHOWCASE_VILLAGE)["org_path"]


def make_borrower(*, limit: str = "100000", subs: dict[str, str] | None = None, grade: str = "AA",
                  rating_status: str = "effective", line_status: str = "active", birth: str = "1980-05-01",
                  valid_years: int = 3, org_path: str | None = None) -> dict[str, Any]:
    """A household with a head, an effective rating and an active master line with sub-lines."""
    from tests.factories import customers
    from tests.factories import rating as rating_factory

    org_path = org_path or showcase_org_path()
    hh = "HH" + uuid.uuid4().hex[:10].upper()
    today = BUSINESS_DATE
    # filed by am.nongan, as a draft: no campaign of the village rates it (its rating and line are made here)
    household = customers.household(SHOWCASE_VILLAGE, hh, head_name="张建国", head_birth=date.fromisoformat(birth),
                                    spouse=("李秀兰", date(1982, 3, 3)), collected_by=customers.user_id("am.nongan"),
                                    status="draft")
    rating_id = rating_factory.rating(hh, org_path, campaign_id="TEST", rated_on=today - timedelta(days=30),
                                      status=rating_status, grade=grade, valid_from=today - timedelta(days=30),
                                      valid_to=today + timedelta(days=335))
    line_id = rating_factory.line(hh, org_path, rating_id=rating_id, campaign_id="TEST", limit=Decimal(limit),
                                  subs={code: Decimal(v) for code, v in (subs or {"NH_XYD": limit,
                                                                                 "NH_DBD": limit}).items()},
                                  status=line_status, grade=grade, valid_from=today - timedelta(days=1),
                                  valid_to=today + timedelta(days=365 * valid_years), created_on=today,
                                  village_code=SHOWCASE_VILLAGE)
    head = next(m for m in household["members"] if m["relation"] == "head")
    return {"household_id": hh, "line_id": line_id, "rating_id": rating_id, "org_path": org_path,
            "head_id_masked": head["resident_id_masked"]}


def line_amounts(line_id: str) -> dict[str, Decimal]:
    from chalicelib.rating.data import line_usage

    line = line_usage.get_line(line_id)
    out = {"master": Decimal(str(line["available"]))}
    for sub in line["sub_lines"]:
        out[sub["product_code"]] = Decimal(str(sub["available"]))
    return out


def drawdown_body(line_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"line_id": line_id, "product_code": "NH_XYD", "amount": "20000.00", "term_months": 12,
            "repayment_method": "equal_installment", "interest_period": "monthly", "purpose": "planting",
            "consent": True}
    body.update(overrides)
    return body


def request(client, user: str, body: dict[str, Any], key: str | None = None):
    return client.as_user(user).post("/drawdowns", json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def stored(drawdown_id: str) -> dict[str, Any]:
    from chalicelib.loans.data import drawdowns

    return drawdowns.get(drawdown_id)


def wait_status(drawdown_id: str, *statuses: str) -> dict[str, Any]:
    """The drawdown once it is in one of ``statuses``; fails at once if it ends in another final status."""
    from chalicelib.loans.data.drawdowns import FINAL

    def check():
        item = stored(drawdown_id)
        return item if item and (item["status"] in statuses or item["status"] in FINAL) else None

    try:
        item = wait_for(check, interval=0.05, what=f"{drawdown_id} to reach {statuses}")
    except AssertionError:
        item = stored(drawdown_id)
    if not item or item["status"] not in statuses:
        raise AssertionError(f"{drawdown_id} is {item and item['status']}, expected {statuses}")
    return item


def wait_sms(reference: str, fragment: str) -> list[dict[str, Any]]:
    """The sandbox SMS of ``reference`` (a drawdown or loan id) containing ``fragment``, once sent: the
    workflows send them after the status change a test waits for, so they are waited for too."""
    from chalicelib.adapters import sms

    return wait_for(lambda: [m for m in sms.sandbox_messages(reference) if fragment in m["text"]],
                    interval=0.05, what=f"an SMS of {reference} with {fragment!r}")


@pytest.fixture(scope="module")
def quick_queries(pinned_date):
    """Backoff of the unknown-result queries of the disbursement saga shortened to seconds (a parameter)."""
    with parameter_override("loan_workflow", query_wait_seconds=[1, 1, 1]):
        yield


def signed_drawdown(client, b: dict[str, Any], **overrides: Any) -> str:
    """A drawdown of borrower ``b`` approved and signed (the amount reserved), waiting for POST .../disburse."""
    body = drawdown_body(b["line_id"], disburse_immediately=False, **overrides)
    dd = request(client, "am.nongan", body).json()
    wait_status(dd["drawdown_id"], "CONTRACT_SIGNED")
    return dd["drawdown_id"]


def disburse(client, drawdown_id: str, key: str | None = None):
    return client.as_user("am.nongan").post(f"/drawdowns/{drawdown_id}/disburse",
                                            headers={"Idempotency-Key": key or uuid.uuid4().hex})


def script_core(drawdown_id: str, *, transfer: list[str] | None = None, query: list[str] | None = None) -> str:
    """Script the core-banking sandbox for the drawdown's transfer (``chalicelib/adapters/core_banking.py``:
    transfer ``ok``/``timeout``/``timeout_before``/``fail``/``unknown``; query ``real``/``unknown``/``timeout``;
    a new script starts again at its first step). Returns the core request id."""
    from chalicelib.adapters import sandbox
    from chalicelib.loans.service.disbursement import request_id

    rid = request_id(drawdown_id)
    if transfer:
        sandbox.set_scenario("core_banking", f"{rid}#transfer", transfer)
    if query:
        sandbox.set_scenario("core_banking", f"{rid}#query", query)
    return rid


def history(drawdown_id: str) -> list[str]:
    from chalicelib.loans.data import drawdowns

    return [e["status"] for e in drawdowns.events(drawdown_id)]


@contextlib.contextmanager
def parameter_override(name: str, **changes: Any) -> Iterator[dict[str, Any]]:
    """A new version of parameter ``name`` effective on the pinned date with ``changes``; the old value is
    put back (as a newer version) afterwards."""
    from chalicelib.platform import parameters
    from chalicelib.platform.access import SYSTEM
    from chalicelib.platform.clock import business_date as today

    day = today()
    current = parameters.get_effective(name, day)["value"]
    new = parameters.put_version(name, {**current, **changes}, effective_from=day, actor=SYSTEM, comment="test")
    try:
        yield new
    finally:
        parameters.put_version(name, current, effective_from=day, actor=SYSTEM, comment="test restore")


def farmer_user(stack, household_id: str, username: str | None = None) -> str:
    """A farmer login linked to ``household_id`` (created in the local user pool)."""
    from infra.seed import DemoUser, seed_users

    username = username or f"farmer.{household_id.lower()}"
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser(username, "farmer", "JL-220122", household_id)])
    return username


def staff_user(stack, username: str, role: str, org_id: str) -> str:
    from infra.seed import DemoUser, seed_users

    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], [DemoUser(username, role, org_id)])
    return username
