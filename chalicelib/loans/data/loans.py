"""Loan accounts (贷款账户), their repayment schedules and repayments.

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

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal

SHARDS = 16


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def loan_id_for(drawdown_id: str) -> str:
    """The loan account of a drawdown (deterministic: creating it twice is detectable)."""
    return "LA" + drawdown_id[2:]


def key(loan_id: str) -> dict[str, str]:
    return {"PK": f"LOAN#{loan_id}", "SK": "LOAN"}


def inst_key(loan_id: str, number: int) -> dict[str, str]:
    return {"PK": f"LOAN#{loan_id}", "SK": f"INST#{int(number):03d}"}


def with_keys(loan: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in loan.items() if not k.startswith("GSI")}
    active = out.get("status") == "active" and out.get("next_due_date")
    out.update(key(loan["loan_id"]), kind="loan", GSI1PK=f"HH#{loan['household_id']}#LOAN",
               GSI1SK=f"A#{out['next_due_date']}#{loan['loan_id']}" if active
               else f"C#{out.get('closed_on') or loan['start_date']}#{loan['loan_id']}")
    if active:
        shard = int(hashlib.sha256(loan["loan_id"].encode()).hexdigest()[:4], 16) % SHARDS
        out.update(GSI3PK=f"LOANS#ACTIVE#{shard:02d}", GSI3SK=f"{out['next_due_date']}#{loan['loan_id']}")
        if out.get("village_code"):
            out.update(GSI2PK=f"VILLAGE#{out['village_code']}#LOAN", GSI2SK=f"{loan['household_id']}#{loan['loan_id']}")
    return out


def inst_item(loan: dict[str, Any], inst: dict[str, Any]) -> dict[str, Any]:
    clean = {k: v for k, v in inst.items() if k not in ("PK", "SK")}
    return {**inst_key(loan["loan_id"], inst["number"]), "kind": "installment", "loan_id": loan["loan_id"],
            "household_id": loan["household_id"], "org_path": loan["org_path"], **clean}


def get(loan_id: str) -> dict[str, Any] | None:
    return dynamo.get(_settings().core_table, f"LOAN#{loan_id}", "LOAN")


def get_scoped(principal: Principal, loan_id: str) -> dict[str, Any]:
    return principal.ensure_can_see(get(loan_id), "loan")


def installments(loan_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_settings().core_table, pk_value=f"LOAN#{loan_id}", sk_prefix="INST#", consistent=True)


def repayments(loan_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_settings().core_table, pk_value=f"LOAN#{loan_id}", sk_prefix="RPY#", consistent=True)


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
    """The installments of several loans by key (``LOAN#<id>`` / ``INST#nnn``, BatchGetItem, 100 keys per
    request) instead of one query per loan: ``{loan_id: [installment, ...]}`` in number order."""
    keys = [inst_key(ln["loan_id"], n) for ln in loans for n in range(1, _max_installments(ln) + 1)]
    out: dict[str, list[dict[str, Any]]] = {ln["loan_id"]: [] for ln in loans}
    for item in dynamo.batch_get(_settings().core_table, keys, consistent=True):
        out.setdefault(item["loan_id"], []).append(item)
    for records in out.values():
        records.sort(key=lambda i: int(i["number"]))
    return out


def for_household_unscoped(household_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_settings().core_table, index="GSI1", pk_value=f"HH#{household_id}#LOAN")


def active_in_village(village_code: str) -> list[dict[str, Any]]:
    """Every active loan of a village (GSI2, eventually consistent), in household order."""
    return dynamo.query_all(_settings().core_table, index="GSI2", pk_value=f"VILLAGE#{village_code}#LOAN")


def overdue_for_household(household_id: str, today: str) -> list[dict[str, Any]]:
    """Active loans of the household whose first open installment fell due before ``today`` (ISO date)."""
    return dynamo.query_all(_settings().core_table, index="GSI1", pk_value=f"HH#{household_id}#LOAN",
                            sk_between=("A#", f"A#{today}"))


def list_for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    return [i for i in for_household_unscoped(household_id)
            if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]


def add_create(tx: dynamo.TxBuilder, loan: dict[str, Any], records: Iterable[dict[str, Any]], *,
               actor_id: str) -> dict[str, Any]:
    """Add the creation of a loan account and its installments (and the audit record) to ``tx``."""
    s = _settings()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(loan), expected_version=None, entity="loan")
    for rec in records:
        tx.put(s.core_table, inst_item(loan, rec))
    tx.audit(s.audit_table, dynamo.Audit("loan", loan["loan_id"], "loan.opened", actor_id, before=None,
                                         after=_summary(stored), org_path=loan["org_path"]))
    return stored


def _summary(loan: dict[str, Any]) -> dict[str, Any]:
    return {k: loan.get(k) for k in ("status", "principal", "outstanding_principal", "next_due_date",
                                     "schedule_version", "version") if loan.get(k) is not None}


def add_update(tx: dynamo.TxBuilder, before: dict[str, Any], after: dict[str, Any], *, changed: Iterable[dict[str, Any]],
               deleted: Iterable[int] = (), repayment: dict[str, Any] | None = None, actor_id: str,
               action: str) -> dict[str, Any]:
    """Add an optimistic update of the loan (version), changed/deleted installments, the repayment item
    and the audit record to ``tx``."""
    s = _settings()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(after), expected_version=before["version"],
                                  entity="loan")
    for rec in changed:
        tx.put(s.core_table, inst_item(after, rec))
    for number in deleted:
        tx.delete(s.core_table, inst_key(after["loan_id"], number))
    if repayment is not None:
        tx.put(s.core_table, {"PK": f"LOAN#{after['loan_id']}", "SK": f"RPY#{repayment['at']}#{repayment['repayment_id']}",
                              "kind": "repayment", "loan_id": after["loan_id"], "household_id": after["household_id"],
                              "org_path": after["org_path"], **repayment}, condition="attribute_not_exists(PK)")
    tx.audit(s.audit_table, dynamo.Audit("loan", after["loan_id"], action, actor_id, before=_summary(before),
                                         after=_summary(stored), org_path=after["org_path"]))
    return stored


def take_turn(loan_id: str, owner: str, *, lease_seconds: float) -> bool:
    """Take the loan's repayment turn for ``owner`` (one conditional write: free, or its lease ran out, e.g. its
    holder died); False while another holds it. Advisory: it spares concurrent repayments work that would lose the
    race anyway; what keeps a repayment correct is the loan's version condition (:func:`add_update`)."""
    import time

    from botocore.exceptions import ClientError

    now = time.time()
    try:
        dynamo.client().put_item(
            TableName=_settings().core_table,
            Item=dynamo.to_item({**turn_key(loan_id), "kind": "loan_turn", "owner": owner,
                                 "lease_until": Decimal(str(round(now + lease_seconds, 3)))}),
            ConditionExpression="attribute_not_exists(PK) OR lease_until < :now",
            ExpressionAttributeValues=dynamo.to_item({":now": Decimal(str(round(now, 3)))}))
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False


def end_turn(loan_id: str, owner: str) -> None:
    """Give the turn back (only ``owner``'s: a lease taken over after it ran out is not someone else's to end)."""
    from botocore.exceptions import ClientError

    try:
        dynamo.client().delete_item(TableName=_settings().core_table, Key=dynamo.to_item(turn_key(loan_id)),
                                    ConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                                    ExpressionAttributeValues=dynamo.to_item({":o": owner}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def turn_key(loan_id: str) -> dict[str, str]:
    return {"PK": f"LOAN#{loan_id}", "SK": "TURN"}
