"""The manual path of the approval state machine: investigation → review → approval by task-token
callbacks, rejection, separation of duties, the authority matrix, and timeouts (escalate, then expire)."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS, wait_for
from tests.integration.loans_support import (
    drawdown_body,
    history,
    line_amounts,
    make_borrower,
    parameter_override,
    pinned_date,
    request,
    staff_user,
    wait_sms,
    wait_status,
)
from tests.pdf_support import pdf_text

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)

MANUAL_AMOUNT = "150000.00"  # above the auto-approval cap (rule AA01)


def _manual_drawdown(client, amount: str = MANUAL_AMOUNT, user: str = "am.nongan") -> tuple[dict, dict]:
    b = make_borrower(limit="300000", subs={"NH_XYD": "300000"})
    dd = request(client, user, drawdown_body(b["line_id"], amount=amount)).json()
    wait_status(dd["drawdown_id"], "PENDING_INVESTIGATION")
    return b, dd


def _open_task(drawdown_id: str, stage: str) -> dict:
    from chalicelib.loans.data import loan_tasks

    def ready():
        t = loan_tasks.get(loan_tasks.task_id(drawdown_id, stage))
        return t if t and t["status"] == "open" and t.get("token") else None

    return wait_for(ready, interval=0.05, what=f"{stage} task of {drawdown_id}")


def _decide(client, user: str, task_id: str, outcome: str = "approve", token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return client.as_user(None if token else user).post(f"/tasks/{task_id}/decision", headers=headers,
                                                         json={"outcome": outcome, "comment": f"{user}: {outcome} 同意"})


def _inbox(client, user: str, token: str | None = None) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    r = client.as_user(None if token else user).get("/tasks", headers=headers)
    assert r.status_code == 200, r.text
    assert all("token" not in t for t in r.json()["items"])
    return {t["task_id"] for t in r.json()["items"]}


def test_manual_approval_runs_investigation_review_and_approval_then_disburses(client):
    b, dd = _manual_drawdown(client)
    d = dd["drawdown_id"]
    assert "AA01" in {f["rule_id"] for f in wait_status(d, "PENDING_INVESTIGATION")["decision"]["fired"]}
    for user, stage, next_status in (("am.nongan", "investigation", "PENDING_REVIEW"),
                                     ("reviewer.nongan", "review", "PENDING_APPROVAL"),
                                     ("approver.nongan", "approval", "DISBURSED")):
        task = _open_task(d, stage)
        assert task["task_id"] in _inbox(client, user)
        r = _decide(client, user, task["task_id"])
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "approve" and "token" not in r.json()
        wait_status(d, next_status)
    done = wait_status(d, "DISBURSED")
    assert len({done["investigated_by"], done["reviewed_by"], done["approved_by"]}) == 3
    assert done["parameter_versions"]["approval_authority"] >= 1
    assert history(d)[:5] == ["REQUESTED", "PENDING_INVESTIGATION", "PENDING_REVIEW", "PENDING_APPROVAL", "APPROVED"]
    assert line_amounts(b["line_id"])["master"] == Decimal("150000")
    # a decided task cannot be decided again
    again = _decide(client, "approver.nongan", f"{d}-approval")
    assert again.status_code == 409 and again.json()["error"]["code"] == "TASK_NOT_OPEN"


def test_a_reviewer_can_reject_and_the_applicant_is_told(client):
    b, dd = _manual_drawdown(client)
    d = dd["drawdown_id"]
    assert _decide(client, "am.nongan", _open_task(d, "investigation")["task_id"]).status_code == 200
    r = _decide(client, "reviewer.nongan", _open_task(d, "review")["task_id"], "reject")
    assert r.status_code == 200 and r.json()["outcome"] == "reject"
    done = wait_status(d, "REJECTED")
    assert done["reviewed_by"] and not done.get("approved_by")
    assert history(d)[-1] == "REJECTED"
    assert wait_sms(d, "未获批准")
    assert line_amounts(b["line_id"])["master"] == Decimal("300000")
    farmer_view = client.as_user("am.nongan").get(f"/drawdowns/{d}").json()
    assert [h["status"] for h in farmer_view["history"]][-1] == "REJECTED"


def test_separation_of_duties_holds_even_when_a_reviewer_becomes_an_approver(client, stack):
    from infra.seed import login

    person = staff_user(stack, f"sod.{uuid.uuid4().hex[:6]}", "reviewer", "JL-220122")
    client_id = stack.env["USER_POOL_CLIENT_ID"]
    _b, dd = _manual_drawdown(client)
    d = dd["drawdown_id"]
    assert _decide(client, "am.nongan", _open_task(d, "investigation")["task_id"]).status_code == 200
    as_reviewer = login(stack.endpoint, client_id, person)
    # the investigator cannot review (role), the reviewer reviews
    assert _decide(client, "am.nongan", _open_task(d, "review")["task_id"]).json()["error"]["code"] == \
        "PERMISSION_DENIED"
    assert _decide(client, person, f"{d}-review", token=as_reviewer).status_code == 200
    # the same person, now provisioned as an approver, may not approve what they reviewed
    staff_user(stack, person, "approver", "JL-220122")
    as_approver = login(stack.endpoint, client_id, person)
    task = _open_task(d, "approval")
    assert task["task_id"] not in _inbox(client, person, token=as_approver)
    refused = _decide(client, person, task["task_id"], token=as_approver)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "SEPARATION_OF_DUTIES"
    assert task["task_id"] in _inbox(client, "approver.nongan")
    assert _decide(client, "approver.nongan", task["task_id"]).status_code == 200
    done = wait_status(d, "DISBURSED")
    assert done["reviewed_by"] != done["approved_by"]


def test_the_authority_matrix_limits_who_may_approve_how_much(client, stack):
    from chalicelib.adapters import sandbox
    from infra.seed import branch_id
    from tests.integration.loans_support import SHOWCASE_VILLAGE

    branch_approver = staff_user(stack, f"approver.branch.{uuid.uuid4().hex[:6]}", "approver",
                                 branch_id(SHOWCASE_VILLAGE[:9]))
    _b, big = _manual_drawdown(client)  # 150,000: above the branch approver's 100,000
    d = big["drawdown_id"]
    assert _decide(client, "am.nongan", _open_task(d, "investigation")["task_id"]).status_code == 200
    assert _decide(client, "reviewer.nongan", _open_task(d, "review")["task_id"]).status_code == 200
    task = _open_task(d, "approval")
    assert task["task_id"] not in _inbox(client, branch_approver)
    refused = _decide(client, branch_approver, task["task_id"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AUTHORITY_EXCEEDED"
    wrong_role = _decide(client, "reviewer.nongan", task["task_id"])
    assert wrong_role.status_code == 403 and wrong_role.json()["error"]["code"] == "PERMISSION_DENIED"
    other_county = _decide(client, "admin.yushu", task["task_id"])
    assert other_county.status_code in (403, 404)
    assert _decide(client, "approver.nongan", task["task_id"]).status_code == 200
    wait_status(d, "DISBURSED")

    # 60,000 goes to people because the bureau shows adverse records; the branch approver may approve it
    small_b = make_borrower(limit="300000", subs={"NH_XYD": "300000"})
    sandbox.set_scenario("credit_bureau", f"HH#{small_b['household_id']}", ["hit"])
    small = request(client, "am.nongan", drawdown_body(small_b["line_id"], amount="60000.00")).json()
    s = small["drawdown_id"]
    assert {f["rule_id"] for f in wait_status(s, "PENDING_INVESTIGATION")["decision"]["fired"]} == {"AA05", "AA99"}
    assert _decide(client, "am.nongan", _open_task(s, "investigation")["task_id"]).status_code == 200
    assert _decide(client, "reviewer.nongan", _open_task(s, "review")["task_id"]).status_code == 200
    task = _open_task(s, "approval")
    assert task["task_id"] in _inbox(client, branch_approver)
    assert _decide(client, branch_approver, task["task_id"]).status_code == 200
    wait_status(s, "DISBURSED")


def test_an_entrusted_payment_contract_names_the_masked_payee_account_the_money_goes_to(client):
    """受托支付: the contract names the account the disbursement pays (the payee's, masked) and the
    account repayments are debited from; the core-banking posting goes to that same payee account."""
    from chalicelib.adapters import core_banking

    payee = {"name": "农安县丰收农机有限公司", "account_no": "6217001234567890123", "bank_name": "吉林农安农村商业银行"}
    b = make_borrower(limit="300000", subs={"NH_XYD": "300000"})
    dd = request(client, "am.nongan", drawdown_body(b["line_id"], amount=MANUAL_AMOUNT, payment_mode="entrusted",
                                                    payee=payee)).json()
    d = dd["drawdown_id"]
    wait_status(d, "PENDING_INVESTIGATION")
    for user, stage in (("am.nongan", "investigation"), ("reviewer.nongan", "review"), ("approver.nongan", "approval")):
        assert _decide(client, user, _open_task(d, stage)["task_id"]).status_code == 200
    assert wait_status(d, "DISBURSED")["status"] == "DISBURSED"
    [posting] = core_banking.sandbox_postings(d)
    assert posting["to_account"]["account_no"] == payee["account_no"]
    contract = client.as_user("am.nongan").get(f"/drawdowns/{d}/contract").json()
    text = pdf_text(requests.get(contract["download_url"], timeout=HANG_GUARD_SECONDS).content).replace("\n", "")
    assert "放款账户：农安县丰收农机有限公司在吉林农安农村商业银行开立的账户（账号 621700*********0123）" in text
    assert "还款账户：借款人在甲方开立的结算账户（账号以核心系统结算账户为准）" in text
    assert payee["account_no"] not in text


def test_an_undecided_step_is_escalated_then_the_application_expires(client):
    from chalicelib.loans.data import loan_tasks

    with parameter_override("loan_workflow", task_timeout_seconds={"investigation": 2, "review": 2, "approval": 2},
                            max_escalations=1):
        b = make_borrower(limit="300000", subs={"NH_XYD": "300000"})  # the workflow's terms are recorded with
        dd = request(client, "am.nongan", drawdown_body(b["line_id"], amount=MANUAL_AMOUNT)).json()  # the request
    d = dd["drawdown_id"]
    # The steps time out after 2 s each: the test waits for the end state and reads what happened on the
    # way from the stored task and history (watching the short-lived escalated state would race the timer).
    done = wait_status(d, "EXPIRED")
    assert done["status"] == "EXPIRED"
    task = loan_tasks.get(loan_tasks.task_id(d, "investigation"))
    outlet_scope = done["org_path"]  # a task's scope starts at its drawdown's outlet
    assert task["status"] == "expired" and int(task["escalations"]) == 1
    assert outlet_scope.startswith(task["scope_path"]) and task["scope_path"] != outlet_scope
    notes = [e for e in client.as_user("am.nongan").get(f"/drawdowns/{d}").json()["history"]]
    assert any("escalated" in (e.get("note") or "") for e in notes) and notes[-1]["status"] == "EXPIRED"
    assert wait_sms(d, "失效")
    late = _decide(client, "am.nongan", task["task_id"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "TASK_NOT_OPEN"
