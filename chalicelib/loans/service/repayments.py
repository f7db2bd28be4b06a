"""Repayments (还款): scheduled (what is due), early partial (by the product's prepayment mode) and early
full; allocation by the product's order; penalty interest on overdue principal; repaid principal
restores a revolving line; the loan closes at zero. Each repayment is one transaction (loan,
installments, repayment record, line restore, audit); the API makes it idempotent (Idempotency-Key).
"""
from __future__ import annotations

import random
import time
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.loans.data import loans
from chalicelib.loans.domain import repayment as rp
from chalicelib.loans.domain import schedules
from chalicelib.loans.domain import servicing as sv
from chalicelib.loans.service import notify
from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict, ValidationFailed
from chalicelib.rating import public as line_usage

KINDS = ("due", "prepay_partial", "prepay_full")
ZERO = schedules.ZERO


def _accrued(loan: dict[str, Any], records: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return sv.accrue_penalties(records, today, annual_rate=Decimal(loan["annual_rate"]),
                               uplift=Decimal(loan["penalty_uplift"]), grace_days=int(loan["grace_days"]),
                               day_count=loan["day_count"])


def quote(loan: dict[str, Any], records: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """What is due today, the interest accrued in the running period, and the payoff amount."""
    accrued = _accrued(loan, records, today)
    due = sv.amounts_due(accrued, today)
    not_due = Decimal(loan["outstanding_principal"]) - due.principal
    interest_now = sv.accrued_interest_now(accrued, today, outstanding_not_due=not_due,
                                           annual_rate=Decimal(loan["annual_rate"]), day_count=loan["day_count"],
                                           loan_start=date.fromisoformat(loan["start_date"]))
    return {"as_of": today.isoformat(), "due": {"penalty": due.penalty, "interest": due.interest,
                                                "principal": due.principal, "total": due.total},
            "outstanding_principal": Decimal(loan["outstanding_principal"]), "accrued_interest": interest_now,
            "payoff": due.total + not_due + interest_now}


def loan_view(principal: Principal, loan_id: str) -> dict[str, Any]:
    loan = loans.get_scoped(principal, loan_id)
    records = sorted(loans.installments(loan_id), key=lambda i: int(i["number"]))
    loan["installments"] = records
    loan["repayments"] = loans.repayments(loan_id)
    if loan["status"] == "active":
        loan["quote"] = quote(loan, records, business_date())
    return loan


#: How long a repayment waits for its turn on a busy loan, and how long a turn may be held (a holder that died
#: frees the loan after this; a repayment takes well under a second). Both inside the API's 29 s.
TURN_WAIT_SECONDS = 20.0
TURN_LEASE_SECONDS = 10.0
#: Attempts within a turn: only writers that take no turn (post-loan jobs) can still change the loan under it.
RETRIES_IN_TURN = 5


def repay(principal: Principal, loan_id: str, *, kind: str, amount: Decimal | None,
          principal_amount: Decimal | None) -> dict[str, Any]:
    """Apply one repayment; returns the repayment record.

    Concurrent repayments of one loan are serialised here, not refused. Each waits for the loan's repayment turn
    (:func:`chalicelib.loans.data.loans.take_turn`, polled with jittered backoff for up to ``TURN_WAIT_SECONDS``), so
    they run one after another instead of all reading the same state and all but one losing. Correctness does
    not rest on the turn: the attempt reads the loan, allocates and writes in one transaction conditioned on the
    loan's version (the line gets the principal back by a commutative update, so repayments of other loans of
    the line do not conflict with it: :func:`chalicelib.rating.data.line_usage.add_restore`); if anything else changed
    the loan meanwhile (a post-loan job, a turn whose lease ran out), the attempt wrote nothing and is run again
    on the new state (bounded: :func:`chalicelib.platform.dynamo.retry_conflicts`). Every attempt re-checks the
    request against the state it read, so an amount the loan no longer owes is refused with its 422 code
    (``REPAYMENT_EXCEEDS_DUE``, ``NOTHING_DUE``, ``PREPAYMENT_EXCEEDS_BALANCE``, ``PAYOFF_AMOUNT_MISMATCH``) or
    409 ``LOAN_CLOSED``.
    Raises Conflict ``LOAN_BUSY`` only if the loan stayed busy through the whole wait."""
    loans.get_scoped(principal, loan_id)  # NotFound before queueing for a loan the caller cannot see
    owner = uuid.uuid4().hex
    busy = Conflict("the loan stayed busy with other repayments; retry the request (same Idempotency-Key)",
                    code="LOAN_BUSY")
    deadline = time.monotonic() + TURN_WAIT_SECONDS
    delay = 0.02
    while not loans.take_turn(loan_id, owner, lease_seconds=TURN_LEASE_SECONDS):
        if time.monotonic() > deadline:
            raise busy
        time.sleep(delay / 2 + random.random() * delay / 2)
        delay = min(0.5, delay * 2)
    try:
        return dynamo.retry_conflicts(lambda: _repay_once(principal, loan_id, kind=kind, amount=amount,
                                                          principal_amount=principal_amount),
                                      attempts=RETRIES_IN_TURN)
    except Conflict as exc:
        if exc.code not in dynamo.RETRYABLE_CONFLICTS:
            raise
        raise busy from None
    finally:
        loans.end_turn(loan_id, owner)


def _repay_once(principal: Principal, loan_id: str, *, kind: str, amount: Decimal | None,
                principal_amount: Decimal | None) -> dict[str, Any]:
    loan = loans.get_scoped(principal, loan_id)
    if loan["status"] != "active":
        raise Conflict("the loan is closed", code="LOAN_CLOSED")
    today = business_date()
    stored = sorted(loans.installments(loan_id), key=lambda i: int(i["number"]))
    accrued = _accrued(loan, stored, today)
    due = sv.amounts_due(accrued, today)
    outstanding = Decimal(loan["outstanding_principal"])
    rate = Decimal(loan["annual_rate"])
    changes: dict[int, dict[str, Any]] = {int(i["number"]): i for i in accrued}
    deleted: list[int] = []
    new_loan = dict(loan)

    if kind == "due":
        if due.total == 0:
            upcoming = next((i["due_date"] for i in sv.open_installments(accrued) if i["due_date"] > today.isoformat()),
                            None)
            raise ValidationFailed(f"nothing is due on {today.isoformat()}"
                                   + (f"; the next installment is due {upcoming}" if upcoming else "")
                                   + "; repay earlier with a prepayment", code="NOTHING_DUE", field="kind",
                                   details={"business_date": today.isoformat(), "next_due_date": upcoming})
        if amount is None or amount <= 0:
            raise ValidationFailed("amount is required", code="AMOUNT_INVALID", field="amount")
        if amount > due.total:
            raise ValidationFailed(f"only {due.total} CNY is due; pay the rest as a prepayment",
                                   code="REPAYMENT_EXCEEDS_DUE", field="amount", details={"due": str(due.total)})
        allocation = rp.allocate_repayment(amount, due, loan["allocation_order"])
        applied = allocation.applied
        for rec in sv.apply_amounts(accrued, applied, today):
            changes[int(rec["number"])] = rec
        cash = amount
    elif kind == "prepay_full":
        q = quote(loan, stored, today)
        if amount is None or amount != q["payoff"]:
            raise ValidationFailed(f"the payoff amount today is {q['payoff']} CNY", code="PAYOFF_AMOUNT_MISMATCH",
                                   field="amount", details={"payoff": str(q["payoff"])})
        for rec in sv.apply_amounts(accrued, due, today):
            changes[int(rec["number"])] = rec
        running = True
        for rec in sv.open_installments(changes.values()):
            rec = dict(rec)
            rec.update(paid_principal=Decimal(rec["principal"]), status="paid", paid_on=today.isoformat(),
                       settled_early=True)
            rec["interest"] = rec["paid_interest"] = q["accrued_interest"] if running else ZERO
            rec["payment"] = Decimal(rec["principal"]) + Decimal(rec["interest"])
            running = False
            changes[int(rec["number"])] = rec
        applied = rp.AmountsDue(penalty=due.penalty, interest=due.interest + q["accrued_interest"],
                                principal=outstanding)
        cash = amount
    elif kind == "prepay_partial":
        if due.total > 0:
            raise ValidationFailed(f"{due.total} CNY is due: pay it before prepaying", code="DUES_OUTSTANDING",
                                   field="kind", details={"due": str(due.total)})
        if principal_amount is None or principal_amount <= 0:
            raise ValidationFailed("principal_amount is required", code="AMOUNT_INVALID", field="principal_amount")
        if principal_amount >= outstanding:
            raise ValidationFailed("this repays the whole loan: use prepay_full", code="PREPAYMENT_EXCEEDS_BALANCE",
                                   field="principal_amount")
        open_records = sv.open_installments(accrued)
        start = sv.current_period_start(accrued, today, date.fromisoformat(loan["start_date"]))
        first_number = int(open_records[0]["number"])
        version = int(loan["schedule_version"]) + 1
        if loan["method"] == schedules.BULLET:
            interest_now = schedules.accrue_interest(outstanding, rate, start, today, loan["day_count"])
            rest = outstanding - principal_amount
            maturity = date.fromisoformat(open_records[0]["due_date"])
            new_inst = [schedules.Installment(number=1, due_date=maturity, period_start=today, principal=rest,
                                              interest=schedules.accrue_interest(rest, rate, today, maturity,
                                                                                 loan["day_count"]),
                                              payment=ZERO, closing_balance=ZERO)]
            new_inst[0] = schedules.Installment(**{**new_inst[0].__dict__, "payment": rest + new_inst[0].interest})
        else:
            mode = loan["prepayment_mode"]
            if loan["method"] == schedules.INTEREST_PERIODIC:
                mode = rp.REDUCE_INSTALLMENT  # nothing to shorten: principal is due at maturity only
            current = open_records[0]
            keep = Decimal(current["payment"]) if loan["method"] == schedules.EQUAL_INSTALLMENT \
                else Decimal(current["principal"])
            result = rp.recompute_after_prepayment(rp.PrepaymentRequest(
                outstanding_principal=outstanding, prepayment_amount=principal_amount, annual_rate=rate,
                method=loan["method"], mode=mode, prepayment_date=today, interest_from=start,
                remaining_due_dates=tuple(date.fromisoformat(r["due_date"]) for r in open_records),
                current_payment=keep, frequency_months=int(loan["frequency_months"]), day_count=loan["day_count"]))
            interest_now = result.interest_due_now
            new_inst = result.schedule.installments
        for n, inst in enumerate(new_inst):
            rec = sv.installment_record(inst, schedule_version=version)
            rec["number"] = first_number + n
            changes[rec["number"]] = rec
        deleted = [int(r["number"]) for r in open_records if int(r["number"]) >= first_number + len(new_inst)]
        for number in deleted:
            changes.pop(number, None)
        new_loan["schedule_version"] = version
        new_loan["maturity_date"] = max(r["due_date"] for r in changes.values())
        applied = rp.AmountsDue(penalty=ZERO, interest=interest_now, principal=principal_amount)
        cash = principal_amount + interest_now
    else:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}", code="REPAYMENT_KIND", field="kind")

    new_loan["outstanding_principal"] = outstanding - applied.principal
    remaining_open = sv.open_installments(changes.values())
    if new_loan["outstanding_principal"] == 0 and not remaining_open:
        new_loan.update(status="closed", closed_on=today.isoformat())
        new_loan.pop("next_due_date", None)
        new_loan.pop("next_due_amount", None)
    else:
        new_loan["next_due_date"] = remaining_open[0]["due_date"]
        new_loan["next_due_amount"] = sv.unpaid_scheduled(remaining_open[0])
    before = {int(i["number"]): i for i in stored}
    changed = [r for n, r in sorted(changes.items()) if n not in before or _differs(before[n], r)]
    repayment = {"repayment_id": "RP" + uuid.uuid4().hex[:14].upper(), "at": utc_now_iso(),
                 "value_date": today.isoformat(), "kind": kind, "amount": cash,
                 "applied": {"penalty": applied.penalty, "interest": applied.interest, "principal": applied.principal},
                 "actor_id": principal.user_id, "schedule_version": new_loan["schedule_version"],
                 "outstanding_after": new_loan["outstanding_principal"]}
    tx = dynamo.TxBuilder()
    loans.add_update(tx, loan, new_loan, changed=changed, deleted=deleted, repayment=repayment,
                     actor_id=principal.user_id, action=f"loan.repayment_{kind}")
    restores = False
    if loan.get("revolving") and applied.principal > 0:
        line = line_usage.get_line(loan["line_id"])
        if line is not None:
            line_usage.add_restore(tx, line, loan["product_code"], applied.principal)
            restores = True
    tx.commit()
    # the restore is commutative: the line's amounts are read after it (they include concurrent changes)
    repayment["line_restored"] = line_usage.available_amounts(loan["line_id"], loan["product_code"]) if restores \
        else {}
    repayment["loan_status"] = new_loan["status"]
    notify.send(loan["household_id"], "closed" if new_loan["status"] == "closed" else "repaid", loan_id, terms=loan,
                amount=cash, loan_id=loan_id, outstanding=new_loan["outstanding_principal"])
    return repayment


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = set(a) | set(b)
    return any(str(a.get(k)) != str(b.get(k)) for k in keys if k not in ("PK", "SK", "loan_id", "household_id",
                                                                       "org_path", "kind"))
