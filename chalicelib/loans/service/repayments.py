"""Repayments (还款): scheduled (what is due), early partial (by the product's prepayment mode) and early
full; allocation by the product's order; penalty interest on overdue principal; repaid principal
restores a revolving line; the loan closes at zero. Each repayment is one transaction (loan,
installments, repayment record, line restore, audit); the API makes it idempotent (Idempotency-Key).
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
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


@dataclass
class _Attempt:
    """One repayment attempt on the state it read: the loan, its stored installments and those with penalty accrued
    to ``today``, what is due today, the installments changed (by number) or ``deleted``, and the loan after it."""

    loan: dict[str, Any]
    stored: list[dict[str, Any]]
    accrued: list[dict[str, Any]]
    due: rp.AmountsDue
    today: date
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    new_loan: dict[str, Any] = field(default_factory=dict)

    @property
    def outstanding(self) -> Decimal:
        return Decimal(self.loan["outstanding_principal"])


def _repay_once(principal: Principal, loan_id: str, *, kind: str, amount: Decimal | None,
                principal_amount: Decimal | None) -> dict[str, Any]:
    """One attempt of :func:`repay`: read, check the request against what was read, write in one transaction."""
    loan = loans.get_scoped(principal, loan_id)
    if loan["status"] != "active":
        raise Conflict("the loan is closed", code="LOAN_CLOSED")
    today = business_date()
    stored = sorted(loans.installments(loan_id), key=lambda i: int(i["number"]))
    accrued = _accrued(loan, stored, today)
    attempt = _Attempt(loan, stored, accrued, sv.amounts_due(accrued, today), today,
                       changes={int(i["number"]): i for i in accrued}, new_loan=dict(loan))
    if kind == "due":
        applied, cash = _pay_due(attempt, amount)
    elif kind == "prepay_full":
        applied, cash = _prepay_full(attempt, amount)
    elif kind == "prepay_partial":
        applied, cash = _prepay_partial(attempt, principal_amount)
    else:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}", code="REPAYMENT_KIND", field="kind")
    return _book(principal, attempt, kind=kind, applied=applied, cash=cash)


def _pay_due(a: _Attempt, amount: Decimal | None) -> tuple[rp.AmountsDue, Decimal]:
    """``due``: pay (part of) what is due, allocated by the product's order; ``(applied, cash)``."""
    today, due = a.today, a.due
    if due.total == 0:
        upcoming = next((i["due_date"] for i in sv.open_installments(a.accrued) if i["due_date"] > today.isoformat()),
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
    applied = rp.allocate_repayment(amount, due, a.loan["allocation_order"]).applied
    for rec in sv.apply_amounts(a.accrued, applied, today):
        a.changes[int(rec["number"])] = rec
    return applied, amount


def _prepay_full(a: _Attempt, amount: Decimal | None) -> tuple[rp.AmountsDue, Decimal]:
    """``prepay_full``: the payoff (what is due, the interest accrued in the running period and the principal)."""
    today, due = a.today, a.due
    q = quote(a.loan, a.stored, today)
    if amount is None or amount != q["payoff"]:
        raise ValidationFailed(f"the payoff amount today is {q['payoff']} CNY", code="PAYOFF_AMOUNT_MISMATCH",
                               field="amount", details={"payoff": str(q["payoff"])})
    for rec in sv.apply_amounts(a.accrued, due, today):
        a.changes[int(rec["number"])] = rec
    running = True
    for rec in sv.open_installments(a.changes.values()):
        rec = dict(rec)
        rec.update(paid_principal=Decimal(rec["principal"]), status="paid", paid_on=today.isoformat(),
                   settled_early=True)
        rec["interest"] = rec["paid_interest"] = q["accrued_interest"] if running else ZERO
        rec["payment"] = Decimal(rec["principal"]) + Decimal(rec["interest"])
        running = False
        a.changes[int(rec["number"])] = rec
    applied = rp.AmountsDue(penalty=due.penalty, interest=due.interest + q["accrued_interest"],
                            principal=a.outstanding)
    return applied, amount


def _prepay_partial(a: _Attempt, principal_amount: Decimal | None) -> tuple[rp.AmountsDue, Decimal]:
    """``prepay_partial``: principal now plus the interest accrued on it; the open installments are recomputed
    (:func:`_recomputed`) and renumbered from the first open one, a new schedule version."""
    loan, outstanding = a.loan, a.outstanding
    if a.due.total > 0:
        raise ValidationFailed(f"{a.due.total} CNY is due: pay it before prepaying", code="DUES_OUTSTANDING",
                               field="kind", details={"due": str(a.due.total)})
    if principal_amount is None or principal_amount <= 0:
        raise ValidationFailed("principal_amount is required", code="AMOUNT_INVALID", field="principal_amount")
    if principal_amount >= outstanding:
        raise ValidationFailed("this repays the whole loan: use prepay_full", code="PREPAYMENT_EXCEEDS_BALANCE",
                               field="principal_amount")
    open_records = sv.open_installments(a.accrued)
    interest_now, new_inst = _recomputed(a, principal_amount, open_records)
    first_number = int(open_records[0]["number"])
    version = int(loan["schedule_version"]) + 1
    for n, inst in enumerate(new_inst):
        rec = sv.installment_record(inst, schedule_version=version)
        rec["number"] = first_number + n
        a.changes[rec["number"]] = rec
    a.deleted = [int(r["number"]) for r in open_records if int(r["number"]) >= first_number + len(new_inst)]
    for number in a.deleted:
        a.changes.pop(number, None)
    a.new_loan["schedule_version"] = version
    a.new_loan["maturity_date"] = max(r["due_date"] for r in a.changes.values())
    return rp.AmountsDue(penalty=ZERO, interest=interest_now, principal=principal_amount), principal_amount + interest_now


def _recomputed(a: _Attempt, principal_amount: Decimal, open_records: list[dict[str, Any]]
                ) -> tuple[Decimal, list[schedules.Installment]]:
    """The interest due now and the new open installments after prepaying ``principal_amount``: a bullet loan keeps
    one installment at maturity; others by the product's prepayment mode
    (:func:`chalicelib.loans.domain.repayment.recompute_after_prepayment`)."""
    loan, today, outstanding = a.loan, a.today, a.outstanding
    rate = Decimal(loan["annual_rate"])
    start = sv.current_period_start(a.accrued, today, date.fromisoformat(loan["start_date"]))
    if loan["method"] == schedules.BULLET:
        interest_now = schedules.accrue_interest(outstanding, rate, start, today, loan["day_count"])
        rest = outstanding - principal_amount
        maturity = date.fromisoformat(open_records[0]["due_date"])
        interest = schedules.accrue_interest(rest, rate, today, maturity, loan["day_count"])
        return interest_now, [schedules.Installment(number=1, due_date=maturity, period_start=today, principal=rest,
                                                    interest=interest, payment=rest + interest, closing_balance=ZERO)]
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
    return result.interest_due_now, list(result.schedule.installments)


def _book(principal: Principal, a: _Attempt, *, kind: str, applied: rp.AmountsDue, cash: Decimal) -> dict[str, Any]:
    """Write the attempt in one transaction (loan, installments, repayment record, line restore, audit), notify;
    returns the repayment record with ``line_restored`` and ``loan_status``."""
    loan, new_loan, today = a.loan, a.new_loan, a.today
    new_loan["outstanding_principal"] = a.outstanding - applied.principal
    remaining_open = sv.open_installments(a.changes.values())
    if new_loan["outstanding_principal"] == 0 and not remaining_open:
        new_loan.update(status="closed", closed_on=today.isoformat())
        new_loan.pop("next_due_date", None)
        new_loan.pop("next_due_amount", None)
    else:
        new_loan["next_due_date"] = remaining_open[0]["due_date"]
        new_loan["next_due_amount"] = sv.unpaid_scheduled(remaining_open[0])
    before = {int(i["number"]): i for i in a.stored}
    changed = [r for n, r in sorted(a.changes.items()) if n not in before or _differs(before[n], r)]
    repayment = {"repayment_id": "RP" + uuid.uuid4().hex[:14].upper(), "at": utc_now_iso(),
                 "value_date": today.isoformat(), "kind": kind, "amount": cash,
                 "applied": {"penalty": applied.penalty, "interest": applied.interest, "principal": applied.principal},
                 "actor_id": principal.user_id, "schedule_version": new_loan["schedule_version"],
                 "outstanding_after": new_loan["outstanding_principal"]}
    tx = dynamo.TxBuilder()
    loans.add_update(tx, loan, new_loan, changed=changed, deleted=a.deleted, repayment=repayment,
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
    loan_id = loan["loan_id"]
    notify.send(loan["household_id"], "closed" if new_loan["status"] == "closed" else "repaid", loan_id, terms=loan,
                amount=cash, loan_id=loan_id, outstanding=new_loan["outstanding_principal"])
    return repayment


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = set(a) | set(b)
    return any(str(a.get(k)) != str(b.get(k)) for k in keys if k not in ("PK", "SK", "loan_id", "household_id",
                                                                       "org_path", "kind"))
