"""Test data of the loans context: loan accounts opened without a drawdown (the saga opens them only after a
transfer, which a post-loan or rating test does not need) and in states no use case reaches, made with the loans
context's own repository and models."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any


def open_loan(household: dict[str, Any], *, start: date, amount: str = "20000.00", term_months: int = 12,
              rate: str = "0.0600", manager: str | None = None, status: str = "active",
              closed_on: date | None = None) -> dict[str, Any]:
    """A loan account of ``household`` (``household_id``, ``org_path``, ``line_id``, ``village``) opened on
    ``start`` with a real equal-installment schedule, as the disbursement saga builds it, through the loans
    repository (``loans.add_create``: the loan, its installments and the audit record in one transaction).
    ``status="closed"``: every installment paid, closed on ``closed_on`` (default ``start``). Returns the loan."""
    from chalicelib.loans.data import loans
    from chalicelib.loans.domain.schedules import build_schedule
    from chalicelib.loans.domain.servicing import installment_record
    from chalicelib.platform.dynamo import Transaction

    schedule = build_schedule(principal=Decimal(amount), annual_rate=Decimal(rate), method="equal_installment",
                              term_months=term_months, start_date=start, frequency_months=1, day_count="ACT/360")
    records = [installment_record(i, schedule_version=1) for i in schedule.installments]
    loan_id = "LA" + uuid.uuid4().hex[:14].upper()
    loan = {"loan_id": loan_id, "drawdown_id": "DD" + loan_id[2:], "household_id": household["household_id"],
            "org_path": household["org_path"], "line_id": household["line_id"], "product_code": "NH_XYD",
            "product_kind": "credit", "revolving": True, "principal": Decimal(amount),
            "outstanding_principal": Decimal(amount), "annual_rate": Decimal(rate),
            "pricing": {"mode": "fixed", "annual_rate": Decimal(rate)}, "penalty_uplift": Decimal("0.5"),
            "grace_days": 0, "day_count": "ACT/360", "method": "equal_installment",
            "repayment_method": "equal_installment", "frequency_months": 1,
            "allocation_order": ["penalty", "interest", "principal"], "prepayment_mode": "reduce_installment",
            "start_date": start.isoformat(), "maturity_date": schedule.maturity_date.isoformat(),
            "next_due_date": records[0]["due_date"], "status": status, "schedule_version": 1,
            "next_due_amount": records[0]["payment"], "parameter_versions": {}, "account_manager_id": manager,
            "village_code": household["village"]}
    if status == "closed":
        loan.pop("next_due_date")
        loan.pop("next_due_amount")
        loan["closed_on"] = (closed_on or start).isoformat()
        loan["outstanding_principal"] = Decimal("0.00")
        for r in records:
            r.update(status="paid", paid_principal=r["principal"], paid_interest=r["interest"])
    tx = Transaction()
    loans.add_create(tx, loan, records, actor_id="test")
    tx.commit()
    return loan


def loan_missing(loan_id: str, attribute: str) -> None:
    """The stored loan ``loan_id`` loses ``attribute`` (e.g. ``next_due_amount``): a malformed item, as a faulty
    migration or a hand edit would leave it, for readers that must skip it. Made with the loan's own model (an
    update of the version read, which it increments)."""
    from chalicelib.loans.data.loan_models import Loan

    loan = Loan.get(*Loan.key(loan_id), consistent_read=True)
    loan.update(actions=[getattr(Loan, attribute).remove()])
