"""The loans context's item models own their keys: the loan's indexes, the shard of the active-loan queue (one
function, which post-loan reads through chalicelib.loans.public), the approval inbox, and the refusal of fields a
model does not declare."""
from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from chalicelib.loans import public
from chalicelib.loans.data.loan_models import Loan
from chalicelib.loans.data.models import Drawdown, LoanTask


def _loan(**over):
    base = {"loan_id": "LA0000000001", "household_id": "HH1", "org_path": "/JL/", "start_date": "2025-01-01",
            "status": "active", "next_due_date": "2025-02-01", "village_code": "220122102202"}
    return Loan.of({**base, **over})


def test_the_shard_is_the_first_16_bits_of_the_ids_sha256_modulo_16_and_post_loan_reads_the_same_one():
    for n in range(40):
        lid = f"LA{n:012d}"
        expected = int.from_bytes(hashlib.sha256(lid.encode()).digest()[:2], "big") % 16
        loan = _loan(loan_id=lid)
        loan.fill_keys()
        assert f"LOANS#ACTIVE#{expected:02d}" == loan.GSI3PK and public.loan_shard(lid) == f"{expected:02d}"
    assert {public.loan_shard(f"LA{n}") for n in range(400)} == set(public.loan_shards())
    assert public.loan_shards() == [f"{i:02d}" for i in range(16)]


def test_an_active_loan_is_in_the_queue_the_village_book_and_its_households_due_range():
    loan = _loan()
    loan.fill_keys()
    assert (loan.PK, loan.SK) == ("LOAN#LA0000000001", "LOAN")
    assert (loan.GSI1PK, loan.GSI1SK) == ("HH#HH1#LOAN", "A#2025-02-01#LA0000000001")
    assert loan.GSI3SK == "2025-02-01#LA0000000001"
    assert (loan.GSI2PK, loan.GSI2SK) == ("VILLAGE#220122102202#LOAN", "HH1#LA0000000001")


def test_a_closed_loan_leaves_the_queue_and_the_village_book():
    loan = _loan(status="closed", next_due_date=None, closed_on="2025-06-30")
    loan.fill_keys()
    assert loan.GSI1SK == "C#2025-06-30#LA0000000001"
    assert (loan.GSI2PK, loan.GSI3PK) == (None, None)
    assert "GSI3PK" not in loan.to_wire() and "GSI2PK" not in loan.to_wire()


def test_an_open_task_with_a_token_is_in_its_stage_inbox_and_once_escalated_in_the_widened_scope():
    task = LoanTask.of({"task_id": "DD1-review", "drawdown_id": "DD1", "stage": "review", "status": "open",
                        "token": "t", "org_path": "/JL/A/B/", "scope_path": "/JL/A/", "opened_at": "2025-01-01T00:00:00Z",
                        "escalations": 1, "amount": Decimal("5000")})
    task.fill_keys()
    assert (task.GSI2PK, task.GSI2SK) == ("TASKQ#review", "/JL/A/2025-01-01T00:00:00Z#DD1-review")
    assert (task.GSI3PK, task.GSI3SK) == ("TASKESC#review#/JL/A/", "2025-01-01T00:00:00Z#DD1-review")
    task.status, task.token = "decided", None
    task.fill_keys()
    assert (task.GSI2PK, task.GSI3PK) == (None, None)


def test_a_field_the_model_does_not_declare_is_refused_not_dropped():
    with pytest.raises(ValueError):
        Drawdown.of({"drawdown_id": "DD1", "household_id": "H", "org_path": "/", "line_id": "L", "product_code": "P",
                     "amount": Decimal("1"), "status": "REQUESTED", "no_such_field": 1})


def test_money_is_refused_as_a_float():
    with pytest.raises(TypeError):
        _loan(principal=1000.0).to_wire()
