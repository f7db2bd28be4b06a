"""Loan servicing (贷款核算): what a borrower owes on a business date, and how a repayment changes the
installments. Pure functions over plain installment records; builds on
:mod:`chalicelib.loans.domain.schedules` (schedules, accrual) and :mod:`chalicelib.loans.domain.repayment`
(allocation, penalty interest, prepayment recomputation).

An installment record (``dict``) has ``number``, ``due_date`` and ``period_start`` (ISO dates),
``principal``, ``interest``, ``payment`` (the schedule) and what happened since: ``paid_principal``,
``paid_interest``, ``paid_penalty``, ``penalty_accrued`` and ``penalty_accrued_to`` (ISO date), ``status``
(``open`` | ``paid`` | ``cancelled``). Money is ``Decimal`` CNY at the fen.

Rules
-----
* Due: an installment is due on its due date; principal and interest of every open installment with
  ``due_date <= today`` are due.
* Penalty interest (罚息) accrues on the unpaid principal of an installment from its due date at
  contract rate × (1 + uplift) by the product's day count, once the installment is more than
  ``grace_days`` past due; within the grace period nothing accrues, after it the penalty counts from the
  due date (the grace is a tolerance, not a free period).
  Accrual is incremental (``penalty_accrued_to``), so principal paid off part-way stops the penalty on
  that part from the day of payment. Compound interest on overdue interest (复利) is not charged.
* A repayment of due amounts is split by the product's allocation order (default penalty → interest
  → principal) with :func:`repayment.allocate_repayment`; each component is applied to installments
  oldest first.
* Interest accrued in the current (not yet due) period is charged on prepayment only: from the period
  start to the prepayment day on the outstanding principal (:func:`schedules.accrue_interest`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.loans.domain.repayment import AmountsDue, penalty_interest
from chalicelib.loans.domain.schedules import ZERO, Installment, accrue_interest

D = Decimal


def _d(value: Any) -> Decimal:
    return D(str(value)) if value is not None else ZERO


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def installment_record(inst: Installment, *, schedule_version: int) -> dict[str, Any]:
    """A fresh (unpaid) record of a schedule :class:`~chalicelib.loans.domain.schedules.Installment`."""
    return {"number": inst.number, "due_date": inst.due_date.isoformat(), "period_start": inst.period_start.isoformat(),
            "principal": inst.principal, "interest": inst.interest, "payment": inst.payment,
            "closing_balance": inst.closing_balance, "paid_principal": ZERO, "paid_interest": ZERO,
            "paid_penalty": ZERO, "penalty_accrued": ZERO, "status": "open", "schedule_version": schedule_version}


def open_installments(installments: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((i for i in installments if i.get("status", "open") == "open"), key=lambda i: int(i["number"]))


def unpaid_scheduled(installment: dict[str, Any]) -> Decimal:
    """Principal plus interest of an installment record not yet paid (CNY; penalty interest excluded):
    what the borrower is reminded to pay on its due date."""
    return (_d(installment["principal"]) - _d(installment.get("paid_principal"))
            + _d(installment["interest"]) - _d(installment.get("paid_interest")))


def accrue_penalties(installments: list[dict[str, Any]], today: date, *, annual_rate: Decimal, uplift: Decimal,
                     grace_days: int, day_count: str) -> list[dict[str, Any]]:
    """Installments with penalty interest accrued up to ``today`` (returns new dicts; see module rules)."""
    out = []
    for inst in installments:
        inst = dict(inst)
        due = _day(inst["due_date"])
        unpaid = _d(inst["principal"]) - _d(inst.get("paid_principal"))
        if inst.get("status", "open") == "open" and unpaid > 0 and (today - due).days > grace_days:
            since = _day(inst["penalty_accrued_to"]) if inst.get("penalty_accrued_to") else due
            days = (today - since).days
            if days > 0:
                inst["penalty_accrued"] = _d(inst.get("penalty_accrued")) + penalty_interest(
                    unpaid, annual_rate, uplift, days=days, day_count=day_count)
                inst["penalty_accrued_to"] = today.isoformat()
        out.append(inst)
    return out


def amounts_due(installments: Iterable[dict[str, Any]], today: date) -> AmountsDue:
    """Penalty, interest and principal due on ``today`` (penalties must be accrued first)."""
    penalty = interest = principal = ZERO
    for inst in open_installments(installments):
        penalty += _d(inst.get("penalty_accrued")) - _d(inst.get("paid_penalty"))
        if _day(inst["due_date"]) <= today:
            interest += _d(inst["interest"]) - _d(inst.get("paid_interest"))
            principal += _d(inst["principal"]) - _d(inst.get("paid_principal"))
    return AmountsDue(penalty=penalty, interest=interest, principal=principal)


def apply_amounts(installments: list[dict[str, Any]], applied: AmountsDue, today: date) -> list[dict[str, Any]]:
    """Apply paid ``applied`` amounts to the open installments, oldest first per component; an installment
    whose principal, interest and penalty are all paid becomes ``paid``. Returns the changed records."""
    remaining = {"penalty": applied.penalty, "interest": applied.interest, "principal": applied.principal}
    fields = {"penalty": ("penalty_accrued", "paid_penalty"), "interest": ("interest", "paid_interest"),
              "principal": ("principal", "paid_principal")}
    changed: dict[int, dict[str, Any]] = {}
    for inst in open_installments(installments):
        current = changed.get(int(inst["number"]), dict(inst))
        for component, (owed_field, paid_field) in fields.items():
            if component != "penalty" and _day(inst["due_date"]) > today:
                continue
            owed = _d(current.get(owed_field)) - _d(current.get(paid_field))
            take = min(owed, remaining[component])
            if take > 0:
                current[paid_field] = _d(current.get(paid_field)) + take
                remaining[component] -= take
                changed[int(inst["number"])] = current
    for inst in changed.values():
        if _d(inst["principal"]) == _d(inst["paid_principal"]) and _d(inst["interest"]) == _d(inst["paid_interest"]) \
                and _d(inst.get("penalty_accrued")) == _d(inst.get("paid_penalty")):
            inst["status"] = "paid"
            inst["paid_on"] = today.isoformat()
    return sorted(changed.values(), key=lambda i: int(i["number"]))


def current_period_start(installments: Iterable[dict[str, Any]], today: date, loan_start: date) -> date:
    """Start of the interest period running on ``today``: the period start of the first open
    installment not yet due (its interest has not been charged)."""
    for inst in open_installments(installments):
        if _day(inst["due_date"]) > today:
            return max(_day(inst["period_start"]), loan_start)
    return today


def accrued_interest_now(installments: Iterable[dict[str, Any]], today: date, *, outstanding_not_due: Decimal,
                         annual_rate: Decimal, day_count: str, loan_start: date) -> Decimal:
    """Interest of the running period up to ``today`` on the principal not yet due (for prepayment)."""
    start = current_period_start(installments, today, loan_start)
    if start >= today or outstanding_not_due <= 0:
        return ZERO
    return accrue_interest(outstanding_not_due, annual_rate, start, today, day_count)
