"""The disbursement saga: every core-banking fault (timeout, failure, unknown then success, unknown then the
reconciliation queue), exactly one transfer under 50 concurrent disburse requests, and 20 concurrent
drawdowns that never take a line past its limit (master or sub-line)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import wait_for
from tests.integration.loans_support import (
    disburse,
    drawdown_body,
    line_amounts,
    make_borrower,
    pinned_date,
    quick_queries,
    request,
    script_core,
    signed_drawdown,
    stored,
    wait_status,
)

pytestmark = pytest.mark.usefixtures(pinned_date.__name__, quick_queries.__name__)


def _execution(drawdown_id: str) -> dict:
    import boto3

    from chalicelib.loans.service.disbursement import execution_name
    from chalicelib.platform.settings import get_settings

    arn = get_settings().disbursement_state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + \
        execution_name(drawdown_id)
    sfn = boto3.client("stepfunctions")

    return wait_for(lambda: (lambda e: e if e["status"] != "RUNNING" else None)(sfn.describe_execution(executionArn=arn)),
                    what="the disbursement execution to end")


def test_a_lost_answer_is_retried_with_the_same_request_id_and_posts_once(client):
    from chalicelib.adapters import core_banking

    b = make_borrower()
    d = signed_drawdown(client, b)
    rid = script_core(d, transfer=["timeout", "ok"])
    assert disburse(client, d).status_code == 202
    done = wait_status(d, "DISBURSED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION")
    assert done["status"] == "DISBURSED"
    assert core_banking.sandbox_calls(rid) == 2 and len(core_banking.sandbox_postings(d)) == 1
    assert done["core_ref"] == core_banking.sandbox_postings(d)[0]["core_ref"]
    assert _execution(d)["status"] == "SUCCEEDED"


def test_a_refused_transfer_releases_the_reservation(client):
    from chalicelib.adapters import core_banking
    from chalicelib.rating.data import line_usage

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    d = signed_drawdown(client, b)
    script_core(d, transfer=["fail"])
    disburse(client, d)
    done = wait_status(d, "DISBURSEMENT_FAILED", "DISBURSED")
    assert done["status"] == "DISBURSEMENT_FAILED" and done["failure"]["reason"] == "CORE_BANKING_ACCOUNT_REJECTED"
    assert line_amounts(b["line_id"]) == {"master": Decimal("100000"), "NH_XYD": Decimal("50000")}
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "released"
    assert core_banking.sandbox_postings(d) == [] and not done.get("loan_id")
    assert _execution(d)["status"] == "FAILED"


def test_an_unknown_answer_is_queried_until_it_is_known(client):
    from chalicelib.adapters import core_banking

    b = make_borrower()
    d = signed_drawdown(client, b)
    script_core(d, transfer=["unknown"], query=["unknown", "real"])
    disburse(client, d)
    done = wait_status(d, "DISBURSED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION")
    assert done["status"] == "DISBURSED" and done["loan_id"]
    assert len(core_banking.sandbox_postings(d)) == 1


def test_a_result_that_stays_unknown_goes_to_manual_reconciliation(client, stack):
    import boto3

    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import line_usage

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    d = signed_drawdown(client, b)
    script_core(d, transfer=["unknown"], query=["unknown"])
    disburse(client, d)
    done = wait_status(d, "PENDING_RECONCILIATION", "DISBURSED", "DISBURSEMENT_FAILED")
    assert done["status"] == "PENDING_RECONCILIATION"
    # the money may have left: the reservation stays held
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "reserved"
    assert line_amounts(b["line_id"])["master"] == Decimal("80000")
    sqs = boto3.client("sqs")
    found = []
    for _ in range(10):
        msgs = sqs.receive_message(QueueUrl=get_settings().reconciliation_queue_url, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=0).get("Messages", [])
        found += [json.loads(m["Body"]) for m in msgs]
        if any(f["drawdown_id"] == d for f in found):
            break
    message = next(f for f in found if f["drawdown_id"] == d)
    assert message["queries"] == 3 and Decimal(message["amount"]) == Decimal("20000")
    # people settle it against the core system: tests/integration/test_loans_reconciliation.py


def test_fifty_concurrent_disburse_requests_make_exactly_one_transfer(client):
    from chalicelib.adapters import core_banking
    from chalicelib.rating.data import line_usage

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    d = signed_drawdown(client, b)
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: disburse(client, d), range(50)))
    assert all(a.status_code == 202 for a in answers), {a.status_code for a in answers}
    done = wait_status(d, "DISBURSED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION")
    assert done["status"] == "DISBURSED"
    assert core_banking.sandbox_calls(core_banking_request := script_core(d)) == 1, core_banking_request
    assert len(core_banking.sandbox_postings(d)) == 1
    assert line_amounts(b["line_id"]) == {"master": Decimal("80000"), "NH_XYD": Decimal("30000")}
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "committed"
    # asking again later changes nothing
    assert disburse(client, d).json()["status"] == "DISBURSED"


@pytest.mark.parametrize("limit, sub, fits, reason", [
    ("100000", "60000", 12, "SUB_LINE_EXCEEDED"),      # the sub-line binds: 12 × 5,000
    ("30000", "100000", 6, "MASTER_LINE_EXCEEDED"),    # the master line binds: 6 × 5,000
])
def test_twenty_concurrent_drawdowns_never_take_the_line_past_its_limit(client, limit, sub, fits, reason):
    from chalicelib.adapters import core_banking

    b = make_borrower(limit=limit, subs={"NH_XYD": sub})
    body = drawdown_body(b["line_id"], amount="5000.00")
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: request(client, "am.nongan", body), range(20)))
    accepted = [a.json()["drawdown_id"] for a in answers if a.status_code == 202]
    assert len(accepted) == 20, [a.text for a in answers if a.status_code != 202][:2]
    final = [wait_status(d, "DISBURSED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION", "DECLINED")
             for d in accepted]
    disbursed = [f for f in final if f["status"] == "DISBURSED"]
    failed = [f for f in final if f["status"] != "DISBURSED"]
    assert len(disbursed) == fits
    assert {f["status"] for f in failed} == {"DISBURSEMENT_FAILED"}
    assert {f["failure"]["reason"] for f in failed} == {reason}
    amounts = line_amounts(b["line_id"])
    assert amounts["master"] == Decimal(limit) - 5000 * fits >= 0
    assert amounts["NH_XYD"] == Decimal(sub) - 5000 * fits >= 0
    assert sum(len(core_banking.sandbox_postings(f["drawdown_id"])) for f in final) == fits
    assert all(stored(f["drawdown_id"])["status"] == f["status"] for f in final)


def test_a_disbursed_loan_carries_its_village_manager_and_next_payment_and_is_planned_for_inspection(client):
    """The loan account opened by the saga holds what post-loan and the credit-village evaluation read:
    the household's village (and the village loan-book index), the responsible account manager (the PAD
    applicant), the amount of the next installment; the first inspection is planned at once."""
    from chalicelib.loans.data import loans
    from chalicelib.postloan.data import inspections
    from tests.integration.loans_support import BUSINESS_DATE, SHOWCASE_VILLAGE
    from tests.integration.postloan_support import repay_due

    b = make_borrower()
    dd = request(client, "am.nongan", drawdown_body(b["line_id"], amount="12000.00")).json()
    done = wait_status(dd["drawdown_id"], "DISBURSED")
    loan = loans.get(done["loan_id"])
    first = loans.installments(loan["loan_id"])[0]
    assert loan["village_code"] == SHOWCASE_VILLAGE
    assert loan["account_manager_id"] == done["applicant_user_id"]
    assert loan["next_due_amount"] == first["payment"] > 0
    assert loan["loan_id"] in {i["loan_id"] for i in loans.active_in_village(SHOWCASE_VILLAGE)}

    # planned by the post-loan hook right after the loan opens (after the DISBURSED transition)
    task = wait_for(lambda: inspections.open_for_loan(loan["loan_id"]), what="the first inspection to be planned")
    assert task["assignee_id"] == done["applicant_user_id"]
    assert BUSINESS_DATE.isoformat() < task["due_on"] <= "2026-12-30"  # within first_inspection_within_days (30)

    repay_due(loan["loan_id"], date.fromisoformat(first["due_date"]))
    after = loans.get(loan["loan_id"])
    second = loans.installments(loan["loan_id"])[1]
    assert after["next_due_date"] == second["due_date"] and after["next_due_amount"] == second["payment"]


def test_the_loan_belongs_to_the_households_account_manager_not_to_whoever_filed_the_drawdown(client):
    """Post-loan work (inspections, warnings, reminders) goes to the household's responsible account
    manager (管户), even when a colleague filed the drawdown on the PAD."""
    from chalicelib.loans.data import loans
    from tests.factories import customers

    b = make_borrower()
    am2 = client.as_user("am2.nongan").get("/me").json()["user_id"]
    customers.managed_by(b["household_id"], am2)
    dd = request(client, "am.nongan", drawdown_body(b["line_id"], amount="8000.00")).json()
    done = wait_status(dd["drawdown_id"], "DISBURSED")
    assert done["applicant_user_id"] != am2
    assert loans.get(done["loan_id"])["account_manager_id"] == am2


def test_parallel_drawdowns_never_sign_contracts_for_more_than_the_line(client):
    """The amount is reserved with the signature: of four parallel 30,000 drawdowns on a 70,000 line, two
    are signed and hold the line; the others end before signing, without a contract. Disbursing a signed
    one uses its reservation (nothing is reserved twice)."""
    b = make_borrower(limit="70000", subs={"NH_XYD": "70000"})
    body = drawdown_body(b["line_id"], amount="30000.00", disburse_immediately=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: request(client, "am.nongan", body), range(4)))
    ids = [a.json()["drawdown_id"] for a in answers if a.status_code == 202]
    assert len(ids) == 4, [a.text for a in answers]
    final = [wait_status(d, "CONTRACT_SIGNED", "DISBURSEMENT_FAILED", "DECLINED") for d in ids]
    signed = [f for f in final if f["status"] == "CONTRACT_SIGNED"]
    others = [f for f in final if f["status"] != "CONTRACT_SIGNED"]
    assert len(signed) == 2 and all(f["reservation"]["status"] == "reserved" for f in signed)
    assert {f["status"] for f in others} == {"DISBURSEMENT_FAILED"}
    assert {f["failure"]["reason"] for f in others} == {"MASTER_LINE_EXCEEDED"}
    assert not any(f.get("contract") for f in others)
    assert line_amounts(b["line_id"]) == {"master": Decimal("10000.00"), "NH_XYD": Decimal("10000.00")}
    disburse(client, signed[0]["drawdown_id"])
    assert wait_status(signed[0]["drawdown_id"], "DISBURSED", "DISBURSEMENT_FAILED")["status"] == "DISBURSED"
    assert line_amounts(b["line_id"]) == {"master": Decimal("10000.00"), "NH_XYD": Decimal("10000.00")}
