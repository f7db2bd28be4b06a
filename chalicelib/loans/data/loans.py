"""Loan accounts (贷款账户), their repayment schedules and repayments.

Item shapes and keys: the models of :mod:`chalicelib.loans.data.models` (``Loan``, ``Installment``, ``Repayment``,
``LoanTurn``); repositories hand services dicts.

Items (core table):
- ``LOAN#<loan_id>`` / ``LOAN``: ``loan_id``, ``drawdown_id``, ``household_id``, ``org_path``, ``line_id``,
  ``product_code``, ``revolving``, ``principal``, ``outstanding_principal``, ``annual_rate``, ``pricing``,
  ``penalty_uplift``, ``grace_days``, ``day_count``, ``method`` (schedules method), ``repayment_method``
  (product name), ``frequency_months``, ``allocation_order``, ``prepayment_mode``, ``start_date``,
  ``maturity_date``, ``next_due_date`` (first open installment; absent when closed), ``next_due_amount``
  (its unpaid principal + interest), ``status`` (active | closed), ``closed_on``, ``schedule_version``,
  ``core_ref``, ``parameter_versions``, ``village_code`` (the household's village at disbursement),
  ``account_manager_id`` (the responsible account manager), ``version``.
  GSI1 ``HH#<household_id>#LOAN`` / ``A#<next_due_date>#<loan_id>`` while active, ``C#<closed_on>#<loan_id>``
  once closed (a household's overdue loans are one key-range query: ``A#`` up to today);
  GSI3 ``LOANS#ACTIVE#<shard 00-15>`` / ``<next_due_date>#<loan_id>`` while active: the sparse work queue
  of the post-loan jobs (classification, penalty accrual, reminders) — query each shard by due date;
  GSI2 ``VILLAGE#<village_code>#LOAN`` / ``<household_id>#<loan_id>`` while active: a village's loan book
  (the credit-village evaluation of a campaign).
- ``LOAN#<loan_id>`` / ``INST#<nnn>``: one installment (see :mod:`chalicelib.loans.domain.servicing`).
- ``LOAN#<loan_id>`` / ``RPY#<at>#<repayment_id>``: one repayment with its allocation.
- ``LOAN#<loan_id>`` / ``TURN``: the repayment turn, a short lease (``owner``, ``lease_until`` epoch seconds) that
  lines concurrent repayments of one loan up (:func:`take_turn`); present only while a repayment runs.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal

if TYPE_CHECKING:
    from chalicelib.loans.data.loan_models import Loan


def loan_id_for(drawdown_id: str) -> str:
    """The loan account of a drawdown (deterministic: creating it twice is detectable)."""
    return "LA" + drawdown_id[2:]


def get(loan_id: str) -> dict[str, Any] | None:
    """The loan (strongly consistent), or ``None``. Unscoped."""
    from chalicelib.loans.data.loan_models import Loan

    loan = Loan.find(*Loan.key(loan_id))
    return loan.state() if loan else None


def get_scoped(principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan if the caller may see it; NotFound ``LOAN_NOT_FOUND`` otherwise."""
    return principal.ensure_can_see(get(loan_id), "loan")


def installments(loan_id: str) -> list[dict[str, Any]]:
    """The loan's installments (strongly consistent), in number order."""
    from chalicelib.loans.data.loan_models import Installment
    from chalicelib.platform.dynamo import pages

    pk, prefix = Installment.prefix(loan_id)
    found = pages.model_query_all(Installment, pk_value=pk, sk_op="begins_with", sk_value=prefix, consistent=True)
    return [i.state() for i in found]


def repayments(loan_id: str) -> list[dict[str, Any]]:
    """The loan's repayments (strongly consistent), oldest first."""
    from chalicelib.loans.data.loan_models import Repayment
    from chalicelib.platform.dynamo import pages

    pk, prefix = Repayment.prefix(loan_id)
    found = pages.model_query_all(Repayment, pk_value=pk, sk_op="begins_with", sk_value=prefix, consistent=True)
    return [r.state() for r in found]


def _max_installments(loan: dict[str, Any]) -> int:
    """An upper bound of a loan's installment numbers: months from start to maturity over the frequency
    (numbers never exceed the original count: prepayments renumber from the first open one), plus a
    margin for a broken first period."""
    start, maturity = str(loan.get("start_date") or ""), str(loan.get("maturity_date") or "")
    try:
        s, m = date.fromisoformat(start), date.fromisoformat(maturity)
    except ValueError:
        return 60
    months = (m.year - s.year) * 12 + (m.month - s.month)
    return max(1, months // max(1, int(loan.get("frequency_months") or 1))) + 2


def installments_of(loans: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The installments of several loans by key (BatchGetItem, 100 keys per request) instead of one query per
    loan: ``{loan_id: [installment, ...]}`` in number order."""
    from chalicelib.loans.data.loan_models import Installment
    from chalicelib.platform.dynamo import batch

    keys = [Installment.key(ln["loan_id"], n) for ln in loans for n in range(1, _max_installments(ln) + 1)]
    out: dict[str, list[dict[str, Any]]] = {ln["loan_id"]: [] for ln in loans}
    for inst in batch.get_models(Installment, keys, consistent=True):
        out.setdefault(inst.loan_id, []).append(inst.state())
    for records in out.values():
        records.sort(key=lambda i: int(i["number"]))
    return out


def by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The loans with these ids that exist, by id (BatchGetItem, 100 keys per request; strongly consistent)."""
    from chalicelib.loans.data.loan_models import Loan
    from chalicelib.platform.dynamo import batch

    return {ln.loan_id: ln.state() for ln in batch.get_models(Loan, (Loan.key(i) for i in loan_ids))}


def _loans(**kwargs: Any) -> list[dict[str, Any]]:
    from chalicelib.loans.data.loan_models import Loan
    from chalicelib.platform.dynamo import pages

    return [ln.state() for ln in pages.model_query_all(Loan, **kwargs)]


def for_household_unscoped(household_id: str) -> list[dict[str, Any]]:
    """Every loan of the household (GSI1, eventually consistent): active ones by next due date, then closed."""
    from chalicelib.loans.data.loan_models import Loan

    return _loans(index="GSI1", pk_value=Loan.household_partition(household_id))


def active_in_village(village_code: str) -> list[dict[str, Any]]:
    """Every active loan of a village (GSI2, eventually consistent), in household order."""
    from chalicelib.loans.data.loan_models import Loan

    return _loans(index="GSI2", pk_value=Loan.village_partition(village_code))


def overdue_for_household(household_id: str, today: str) -> list[dict[str, Any]]:
    """Active loans of the household whose first open installment fell due before ``today`` (ISO date)."""
    from chalicelib.loans.data.loan_models import Loan

    return _loans(index="GSI1", pk_value=Loan.household_partition(household_id), sk_op="between",
                  sk_value=Loan.active_before(today))


def list_for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """The household's loans the caller may see."""
    return [i for i in for_household_unscoped(household_id)
            if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]


def shards() -> list[str]:
    """The shards of the active-loan queue (``00``..``15``)."""
    from chalicelib.loans.data.loan_models import Loan

    return Loan.shards()


def shard(loan_id: str) -> str:
    """The shard of a loan in the active-loan queue (:meth:`~chalicelib.loans.data.models.Loan.shard`)."""
    from chalicelib.loans.data.loan_models import Loan

    return Loan.shard(loan_id)


def active_page(shard_no: str, cursor: str | None, *, due_before: date | None = None, due_on: date | None = None,
                limit: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the active loans of one shard of the queue (GSI3, eventually consistent), by next due date:
    all, those first due before ``due_before`` (overdue on that date) or exactly on ``due_on``. ``limit`` ``None``:
    as many as one DynamoDB page holds. Returns ``(loans, inner cursor)``."""
    from chalicelib.loans.data.loan_models import Loan
    from chalicelib.platform.dynamo import pages

    op, value = (("<", due_before.isoformat()) if due_before is not None
                 else ("begins_with", f"{due_on.isoformat()}#") if due_on is not None else (None, None))
    page = pages.model_query(Loan, index="GSI3", pk_value=Loan.active_partition(shard_no), sk_op=op, sk_value=value,
                             limit=limit, cursor=cursor)
    return [ln.state() for ln in page.items], page.cursor


def _model(loan: dict[str, Any]) -> Loan:
    from chalicelib.loans.data.loan_models import Loan

    return Loan.of({k: v for k, v in loan.items() if k not in ("version", "installments", "repayments", "quote")})


def _installment(loan: dict[str, Any], record: dict[str, Any]) -> Any:
    from chalicelib.loans.data.loan_models import Installment

    return Installment.of({**record, "kind": "installment", "loan_id": loan["loan_id"],
                           "household_id": loan["household_id"], "org_path": loan["org_path"]})


def add_create(tx: dynamo.TxBuilder, loan: dict[str, Any], records: Iterable[dict[str, Any]], *,
               actor_id: str) -> dict[str, Any]:
    """Add the creation of a loan account and its installments (and the audit record) to ``tx``."""
    from chalicelib.loans.data.store import save_versioned

    stored = save_versioned(tx, _model(loan), expected_version=None, entity="loan")
    for rec in records:
        tx.save(_installment(loan, rec))
    tx.record(dynamo.Audit("loan", loan["loan_id"], "loan.opened", actor_id, before=None, after=_summary(stored),
                           org_path=loan["org_path"]))
    return stored


def _summary(loan: dict[str, Any]) -> dict[str, Any]:
    return {k: loan.get(k) for k in ("status", "principal", "outstanding_principal", "next_due_date",
                                     "schedule_version", "version") if loan.get(k) is not None}


def add_update(tx: dynamo.TxBuilder, before: dict[str, Any], after: dict[str, Any], *, changed: Iterable[dict[str, Any]],
               deleted: Iterable[int] = (), repayment: dict[str, Any] | None = None, actor_id: str,
               action: str) -> dict[str, Any]:
    """Add an optimistic update of the loan (version), changed/deleted installments, the repayment item
    and the audit record to ``tx``."""
    from chalicelib.loans.data.loan_models import Installment, Repayment
    from chalicelib.loans.data.store import save_versioned

    stored = save_versioned(tx, _model(after), expected_version=before["version"], entity="loan")
    for rec in changed:
        tx.save(_installment(after, rec))
    for number in deleted:
        tx.delete_model(Installment(loan_id=after["loan_id"], number=int(number)))
    if repayment is not None:
        item = Repayment.of({**repayment, "loan_id": after["loan_id"], "household_id": after["household_id"],
                             "org_path": after["org_path"]})
        tx.save(item, condition=Repayment.PK.does_not_exist())
    tx.record(dynamo.Audit("loan", after["loan_id"], action, actor_id, before=_summary(before), after=_summary(stored),
                           org_path=after["org_path"]))
    return stored


def take_turn(loan_id: str, owner: str, *, lease_seconds: float) -> bool:
    """Take the loan's repayment turn for ``owner`` (one conditional write: free, or its lease ran out, e.g. its
    holder died); False while another holds it. Advisory: it spares concurrent repayments work that would lose the
    race anyway; what keeps a repayment correct is the loan's version condition (:func:`add_update`)."""
    from pynamodb.exceptions import PutError

    from chalicelib.loans.data.loan_models import LoanTurn

    now = time.time()
    turn = LoanTurn(loan_id=loan_id, owner=owner, lease_until=Decimal(str(round(now + lease_seconds, 3))))
    turn.fill_keys()
    try:
        turn.save(condition=LoanTurn.PK.does_not_exist() | (LoanTurn.lease_until < Decimal(str(round(now, 3)))))
        return True
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def end_turn(loan_id: str, owner: str) -> None:
    """Give the turn back (only ``owner``'s: a lease taken over after it ran out is not someone else's to end)."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.loans.data.loan_models import LoanTurn

    turn = LoanTurn(loan_id=loan_id, owner=owner, lease_until=Decimal(0))
    turn.fill_keys()
    try:
        turn.delete(condition=LoanTurn.owner == owner)
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def turn(loan_id: str) -> dict[str, Any] | None:
    """The loan's repayment turn (``owner``, ``lease_until``), or ``None`` when no repayment runs."""
    from chalicelib.loans.data.loan_models import LoanTurn

    found = LoanTurn.find(*LoanTurn.key(loan_id))
    return found.state() if found else None


def seed(accounts: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]) -> int:
    """Write loans and their installments unconditionally, without audit records (``(loan, installment records)``
    pairs; a loan's ``version`` is set to 1): for benchmarks seeding a portfolio, never for a change of a loan.
    Returns the number of items written."""
    from chalicelib.platform.dynamo import batch

    def models() -> Iterable[Any]:
        for loan, records in accounts:
            model = _model(loan)
            model.version = 1
            yield model
            for rec in records:
                yield _installment(loan, rec)

    return batch.put_models(models())
