"""Helpers of the post-loan integration tests: households, lines, ratings and loan accounts written with
the other subsystems' own factories (tests/factories/customers.py, loans.py and rating.py), jobs fired like
``village-credit jobs run NAME --business-date D``, and a pinned
business date for API calls."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.integration.loans_support import business_date

__all__ = ["business_date"]  # the post-loan tests pin the business date with it too

VILLAGE = "220122102201"        # 头道沟村, 哈拉海镇, 农安县 (the demo account managers' outlet)
OTHER_VILLAGE = "220122102203"  # 三道沟村, same outlet


def yushu_village() -> str:
    from chalicelib.reference.divisions import villages_in_county

    township = sorted({v.township_code for v in villages_in_county("220182") if v.kind == "village"})[0]
    return sorted(v.code for v in villages_in_county("220182") if v.township_code == township and v.kind == "village")[0]


def village_org_path(code: str) -> str:
    from chalicelib.admin.data import orgs

    return orgs.village_assignment(code)["org_path"]


def make_household(village: str, *, line_valid_to: date | None = None, rating_valid_to: date | None = None,
                   manager: str | None = None, tag: str = "") -> dict[str, Any]:
    """A household (customers' shape), an effective rating and an active line (rating subsystem's shapes)."""
    from tests.factories import customers
    from tests.factories import rating as rating_factory

    org_path = village_org_path(village)
    hh = "HH" + tag + uuid.uuid4().hex[:10].upper()
    # a draft: no campaign of the village rates it (its rating and line are made here)
    customers.household(village, hh, head_name="王德福", head_birth=date(1975, 4, 2), collected_by=manager or "system",
                        status="draft")
    if manager is None:
        customers.unmanaged(hh)
    rating_id = rating_factory.rating(hh, org_path, campaign_id="PLTEST", rated_on=date(2024, 12, 1),
                                      village_code=village, valid_from=date(2024, 12, 1),
                                      valid_to=rating_valid_to or date(2027, 11, 30))
    line_id = rating_factory.line(hh, org_path, rating_id=rating_id, campaign_id="PLTEST", limit=Decimal("100000"),
                                  valid_from=date(2024, 12, 1), valid_to=line_valid_to or date(2027, 11, 30),
                                  village_code=village)
    return {"household_id": hh, "line_id": line_id, "rating_id": rating_id, "org_path": org_path, "village": village}


def make_loan(household: dict[str, Any], *, start: date, amount: str = "20000.00", term_months: int = 12,
              rate: str = "0.0600", manager: str | None = None,
              status: str = "active", closed_on: date | None = None) -> dict[str, Any]:
    """A loan account opened through the loans context's factory (tests/factories/loans.py)."""
    from tests.factories.loans import open_loan

    return open_loan(household, start=start, amount=amount, term_months=term_months, rate=rate, manager=manager,
                     status=status, closed_on=closed_on)


def repay_due(loan_id: str, day: date) -> dict[str, Any]:
    """Pay everything due on ``day`` through the loans subsystem's repayment service."""
    from chalicelib.loans.data import loans
    from chalicelib.loans.service import repayments
    from chalicelib.platform.access import SYSTEM

    with business_date(day):
        loan = loans.get(loan_id)
        quote = repayments.quote(loan, loans.installments(loan_id), day)
        return repayments.repay(SYSTEM, loan_id, kind="due", amount=quote["due"]["total"], principal_amount=None)


def repay_in_full(loan_id: str, day: date) -> dict[str, Any]:
    """Pay the loan off on ``day`` through the loans subsystem's repayment service."""
    from chalicelib.loans.data import loans
    from chalicelib.loans.service import repayments
    from chalicelib.platform.access import SYSTEM

    with business_date(day):
        loan = loans.get(loan_id)
        payoff = repayments.quote(loan, loans.installments(loan_id), day)["payoff"]
        return repayments.repay(SYSTEM, loan_id, kind="prepay_full", amount=payoff, principal_amount=None)


def keep_current(loan_ids: list[str], day: date) -> None:
    """Each loan pays every installment due up to ``day`` on its due date (on time, no penalty)."""
    from chalicelib.loans.data import loans

    for loan_id in loan_ids:
        while True:
            loan = loans.get(loan_id)
            if loan["status"] != "active" or loan["next_due_date"] > day.isoformat():
                break
            repay_due(loan_id, date.fromisoformat(loan["next_due_date"]))


def quote(loan_id: str, day: date) -> dict[str, Any]:
    from chalicelib.loans.data import loans
    from chalicelib.loans.service import repayments

    return repayments.quote(loans.get(loan_id), loans.installments(loan_id), day)


def run_job(stack, job: str, day: date, **extra: Any) -> dict[str, Any]:
    """Fire a job's schedule with a business date, exactly as ``village-credit jobs run`` does."""
    from infra.local.scheduler import fire

    match = [s for s in stack.schedules if s.input.get("job") == job]
    assert match, f"no schedule for {job}"
    schedule = match[0]
    original = dict(schedule.input)
    schedule.input = {**original, "business_date": day.isoformat(), **extra}
    try:
        return fire(stack, schedule)
    finally:
        schedule.input = original


DAILY = ("loan_classification", "penalty_accrual", "inspections", "warning_scan", "reminders")


def run_day(stack, day: date, times: int = 2) -> list[dict[str, Any]]:
    """Every daily job for ``day`` in schedule order, ``times`` times (a re-run must change nothing)."""
    out = []
    for n in range(times):
        for job in DAILY:
            result = run_job(stack, job, day)
            expected = "completed" if n == 0 else "already_completed"
            assert result["status"] == expected, result
            out.append(result)
    return out


def upload_photo(task_id: str) -> str:
    """Put a photo under the task's prefix directly (the presigned flow is tested separately)."""
    import boto3

    from chalicelib.platform.settings import get_settings

    key = f"inspections/{task_id}/{uuid.uuid4().hex}.jpg"
    boto3.client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=b"\xff\xd8\xff\xe0 test jpeg",
                                  ContentType="image/jpeg")
    return key


def days_after(start: date, n: int) -> date:
    return start + timedelta(days=n)
