"""Manual reconciliation of a disbursement whose core-banking result stayed unknown: the core system's answer to a
status query rules (an answer that contradicts it is refused, both facts shown, nothing changed); only when the
core cannot say do people decide, as a proposal with evidence that a second person approves.

The sandbox core is scripted per drawdown (``script_core``): a transfer scripted ``unknown`` posts the money but
answers "unknown", ``timeout_before`` posts nothing; the status query answers ``unknown`` until a test makes the
core "know" (query ``real``: the sandbox's ledger)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from tests.integration.loans_support import (
    disburse,
    line_amounts,
    make_borrower,
    pinned_date,
    quick_queries,
    script_core,
    signed_drawdown,
    staff_user,
    stored,
    wait_status,
)

pytestmark = pytest.mark.usefixtures(pinned_date.__name__, quick_queries.__name__)

EVIDENCE = {"checked": "核心系统放款户 LOAN-DISBURSEMENT 2026-11-30 交易流水及收款行回单",
            "reference": "JRNL-20261130-0042"}
HELD = {"master": Decimal("80000"), "NH_XYD": Decimal("30000")}      # 20,000 reserved on 100,000 / 50,000
RELEASED = {"master": Decimal("100000"), "NH_XYD": Decimal("50000")}


@pytest.fixture(scope="module")
def approver2(stack) -> str:
    """A second approver of the same institution (a different person from approver.nongan)."""
    return staff_user(stack, f"approver2.{uuid.uuid4().hex[:6]}", "approver", "JL-220122")


def _pending(client, *, transfer: str) -> tuple[dict, str]:
    """A 20,000 drawdown whose transfer ended unknown: PENDING_RECONCILIATION, the amount still reserved.
    ``transfer``: ``unknown`` (the core posted it) or ``timeout_before`` (the core never got it)."""
    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    d = signed_drawdown(client, b)
    script_core(d, transfer=[transfer], query=["unknown"])
    disburse(client, d)
    assert wait_status(d, "PENDING_RECONCILIATION", "DISBURSED", "DISBURSEMENT_FAILED")["status"] == \
        "PENDING_RECONCILIATION"
    return b, d


def _core_knows(d: str) -> None:
    script_core(d, query=["real"])  # the status query now answers from the core's ledger


def _posting(d: str) -> dict:
    from chalicelib.adapters import core_banking

    [posting] = core_banking.sandbox_postings(d)
    return posting


def _reconcile(client, user: str, d: str, key: str | None = None, **body):
    return client.as_user(user).post(f"/drawdowns/{d}/reconciliation",
                                     json={"comment": "已核对核心系统", **body},
                                     headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _decide(client, user: str, d: str, proposal_id: str, outcome: str = "approve", key: str | None = None):
    return client.as_user(user).post(f"/drawdowns/{d}/reconciliation/{proposal_id}/decision",
                                     json={"outcome": outcome, "comment": "证据已复核"},
                                     headers={"Idempotency-Key": key or uuid.uuid4().hex})


def _untouched(b: dict, d: str) -> None:
    """The case is as the saga left it: pending, the amount reserved, no loan account."""
    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage

    assert stored(d)["status"] == "PENDING_RECONCILIATION"
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "reserved"
    assert line_amounts(b["line_id"]) == HELD
    assert loans.get(loans.loan_id_for(d)) is None


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    return r.json()["error"]


# ------------------------------------------------------------------------------- the core knows: it rules
def test_the_core_posted_it_so_not_posted_is_refused_and_the_reservation_is_kept(client):
    b, d = _pending(client, transfer="unknown")
    posting = _posting(d)
    _core_knows(d)
    err = _error(_reconcile(client, "approver.nongan", d, posted=False), 409, "RECONCILIATION_CONTRADICTS_CORE")
    assert err["details"]["core"]["status"] == "posted"
    assert err["details"]["core"]["core_ref"] == posting["core_ref"]
    assert Decimal(err["details"]["core"]["amount"]) == Decimal("20000")
    assert err["details"]["answer"] == {"posted": False, "core_ref": None}
    _untouched(b, d)


def test_an_invented_reference_books_nothing_and_the_cores_own_reference_books_the_loan(client):
    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage

    b, d = _pending(client, transfer="unknown")
    posting = _posting(d)
    _core_knows(d)
    err = _error(_reconcile(client, "approver.nongan", d, posted=True, core_ref="CB-INVENTED-1"), 409,
                 "RECONCILIATION_CONTRADICTS_CORE")
    assert err["fields"][0]["field"] == "core_ref"
    assert err["details"]["core"]["core_ref"] == posting["core_ref"] != "CB-INVENTED-1"
    assert err["details"]["answer"] == {"posted": True, "core_ref": "CB-INVENTED-1"}
    _untouched(b, d)

    r = _reconcile(client, "approver.nongan", d, posted=True, core_ref=posting["core_ref"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["outcome"] == "booked" and out["core"]["status"] == "posted"
    assert out["drawdown"]["status"] == "DISBURSED" and out["drawdown"]["reconciliation"]["basis"] == "core"
    loan = loans.get(out["drawdown"]["loan_id"])
    assert loan["core_ref"] == posting["core_ref"] and loan["principal"] == posting["amount"] == Decimal("20000")
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "committed"
    assert line_amounts(b["line_id"]) == HELD  # the amount stays used: it is the loan now


def test_the_core_never_posted_it_so_posted_is_refused_and_not_posted_releases_the_line(client):
    from chalicelib.adapters import core_banking
    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage

    b, d = _pending(client, transfer="timeout_before")
    assert core_banking.sandbox_postings(d) == []
    _core_knows(d)
    err = _error(_reconcile(client, "approver.nongan", d, posted=True, core_ref="CB-SEEN-SOMEWHERE"), 409,
                 "RECONCILIATION_CONTRADICTS_CORE")
    assert err["details"]["core"]["status"] == "not_posted" and err["details"]["core"]["core_ref"] is None
    assert err["details"]["answer"]["posted"] is True
    _untouched(b, d)

    r = _reconcile(client, "approver.nongan", d, posted=False)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "released" and r.json()["drawdown"]["status"] == "DISBURSEMENT_FAILED"
    assert stored(d)["failure"]["reason"] == "CORE_BANKING_NOT_POSTED"
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "released"
    assert line_amounts(b["line_id"]) == RELEASED
    assert loans.get(loans.loan_id_for(d)) is None


def test_an_answer_must_be_complete_and_only_an_approver_may_give_it(client):
    b, d = _pending(client, transfer="unknown")
    _error(_reconcile(client, "approver.nongan", d, posted=True), 422, "CORE_REF_REQUIRED")
    _error(_reconcile(client, "approver.nongan", d, posted=False, core_ref="CB1"), 422, "CORE_REF_UNEXPECTED")
    _error(_reconcile(client, "approver.nongan", d, posted="yes"), 422, "REQUEST_VALIDATION")
    _error(_reconcile(client, "am.nongan", d, posted=False, evidence=EVIDENCE), 403, "PERMISSION_DENIED")
    _untouched(b, d)


# -------------------------------------------------------------- the core cannot say: two people decide
def test_an_unknown_core_turns_the_answer_into_a_proposal_that_a_second_person_approves(client, stack, approver2):
    from chalicelib.loans.data import loans, reconciliations
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data import line_usage

    b, d = _pending(client, transfer="unknown")
    ref = _posting(d)["core_ref"]  # what the person read off the paper journal
    _error(_reconcile(client, "approver.nongan", d, posted=True, core_ref=ref), 422, "EVIDENCE_REQUIRED")
    _untouched(b, d)

    key = uuid.uuid4().hex
    r = _reconcile(client, "approver.nongan", d, key, posted=True, core_ref=ref, evidence=EVIDENCE)
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["outcome"] == "proposed" and out["core"]["status"] == "unknown"
    proposal = out["proposal"]
    assert proposal["status"] == "open" and proposal["evidence"] == EVIDENCE and proposal["core_ref"] == ref
    assert out["drawdown"]["reconciliation"]["proposal"]["proposal_id"] == proposal["proposal_id"]
    _untouched(b, d)  # a proposal changes nothing
    again = _reconcile(client, "approver.nongan", d, key, posted=True, core_ref=ref, evidence=EVIDENCE)
    assert again.status_code == 202 and again.json() == out  # the same request replays
    assert [p["proposal_id"] for p in reconciliations.for_drawdown(d)] == [proposal["proposal_id"]]
    _error(_reconcile(client, approver2, d, posted=False, evidence=EVIDENCE), 409, "RECONCILIATION_PROPOSAL_OPEN")

    pid = proposal["proposal_id"]
    _error(_decide(client, "approver.nongan", d, pid), 403, "SEPARATION_OF_DUTIES")
    _error(_decide(client, "am.nongan", d, pid), 403, "PERMISSION_DENIED")
    other_county = staff_user(stack, f"approver.yushu.{uuid.uuid4().hex[:6]}", "approver", "JL-220182")
    _error(_decide(client, other_county, d, pid), 404, "DRAWDOWN_NOT_FOUND")
    _error(_decide(client, approver2, d, "RC0000000000NONE"), 404, "RECONCILIATION_PROPOSAL_NOT_FOUND")
    _untouched(b, d)

    approved = _decide(client, approver2, d, pid)
    assert approved.status_code == 200, approved.text
    out = approved.json()
    assert out["outcome"] == "booked" and out["proposal"]["status"] == "approved"
    assert out["drawdown"]["status"] == "DISBURSED"
    settled = out["drawdown"]["reconciliation"]
    assert settled["basis"] == "proposal" and settled["core"]["status"] == "unknown"
    assert settled["proposal"]["proposed_by"] != settled["settled_by"]
    assert loans.get(out["drawdown"]["loan_id"])["core_ref"] == ref
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "committed"
    _error(_decide(client, approver2, d, pid), 409, "RECONCILIATION_PROPOSAL_NOT_OPEN")
    # the audit trail of the proposal: who proposed what on which evidence, who approved it
    trail = dynamo.query_all(get_settings().audit_table, pk_value=f"reconciliation_proposal#{pid}")
    assert sorted(t["action"] for t in trail) == ["reconciliation.approved", "reconciliation.proposed"]
    proposed = next(t for t in trail if t["action"] == "reconciliation.proposed")
    assert proposed["after"]["evidence"] == EVIDENCE and proposed["actor_id"] == proposal["proposed_by"]
    assert next(t for t in trail if t["action"] == "reconciliation.approved")["actor_id"] == settled["settled_by"]


def test_a_rejected_proposal_leaves_the_case_pending_for_a_new_one(client, approver2):
    from chalicelib.rating.data import line_usage

    b, d = _pending(client, transfer="timeout_before")
    first = _reconcile(client, "approver.nongan", d, posted=False, evidence=EVIDENCE).json()["proposal"]
    rejected = _decide(client, approver2, d, first["proposal_id"], "reject")
    assert rejected.status_code == 200 and rejected.json()["outcome"] == "rejected"
    assert rejected.json()["proposal"]["status"] == "rejected"
    _untouched(b, d)
    second = _reconcile(client, approver2, d, posted=False, evidence={**EVIDENCE, "reference": "JRNL-0043"})
    assert second.status_code == 202
    approved = _decide(client, "approver.nongan", d, second.json()["proposal"]["proposal_id"])
    assert approved.status_code == 200 and approved.json()["outcome"] == "released"
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "released"
    assert line_amounts(b["line_id"]) == RELEASED


def test_two_concurrent_approvals_apply_once(client, stack, approver2):
    from chalicelib.adapters import core_banking
    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage

    b, d = _pending(client, transfer="unknown")
    proposer = staff_user(stack, f"approver3.{uuid.uuid4().hex[:6]}", "approver", "JL-220122")
    ref = _posting(d)["core_ref"]
    proposed = _reconcile(client, proposer, d, posted=True, core_ref=ref, evidence=EVIDENCE)
    pid = proposed.json()["proposal"]["proposal_id"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda user: _decide(client, user, d, pid), ["approver.nongan", approver2]))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert next(a for a in answers if a.status_code == 409).json()["error"]["code"] == \
        "RECONCILIATION_PROPOSAL_NOT_OPEN"
    assert stored(d)["status"] == "DISBURSED" and loans.get(loans.loan_id_for(d))["principal"] == Decimal("20000")
    assert line_usage.get_reservation(b["line_id"], d)["status"] == "committed"
    assert line_amounts(b["line_id"]) == HELD and len(core_banking.sandbox_postings(d)) == 1


def test_when_the_core_answers_after_a_proposal_its_answer_still_rules(client, approver2):
    """Two people proposed and approved "not posted" while the core could not say; by the time of the approval
    the core knows it was posted: the approval is refused (the line is not released while the money is out),
    and settling by the core's answer supersedes the proposal."""
    from chalicelib.loans.data import reconciliations

    b, d = _pending(client, transfer="unknown")
    pid = _reconcile(client, "approver.nongan", d, posted=False, evidence=EVIDENCE).json()["proposal"]["proposal_id"]
    _core_knows(d)
    err = _error(_decide(client, approver2, d, pid), 409, "RECONCILIATION_CONTRADICTS_CORE")
    assert err["details"]["core"]["status"] == "posted" and err["details"]["answer"]["posted"] is False
    _untouched(b, d)
    r = _reconcile(client, approver2, d, posted=True, core_ref=_posting(d)["core_ref"])
    assert r.status_code == 200 and r.json()["outcome"] == "booked", r.text
    assert reconciliations.get(d, pid)["status"] == "superseded"
    assert r.json()["drawdown"]["reconciliation"]["superseded_proposal_id"] == pid
