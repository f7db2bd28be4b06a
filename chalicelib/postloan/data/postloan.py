"""Post-loan state of loans (贷后): classification with history, the overdue / classification lists, the penalty
accrual ledger, and the readers of the loans context's active-loan index. The items and their keys are the models'
(:mod:`chalicelib.postloan.data.models`: ``LoanState``, ``ClassificationChange``, ``PenaltyAccrual``).

Loans context items read here (:mod:`chalicelib.loans.data.loans`, never written here): ``LOAN#<id>`` / ``LOAN``
with GSI3 ``LOANS#ACTIVE#<shard 00-15>`` / ``<next_due_date>#<loan_id>`` while active. ``next_due_date`` is the due
date of the first open installment, so the loans overdue on a business date D are exactly the keys ``< D`` of each
shard, and the loans due on D+7 the keys starting ``<D+7>#``: the jobs read only what they must.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.postloan.data.store import Items, dicts, save_versioned
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import institution_of


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


# ------------------------------------------------------------------------------------------------ low level
def query_page(*, pk_attr: str, pk_value: str, index: str | None = None, sk_attr: str | None = None,
               sk_op: str | None = None, sk_value: Any = None, limit: int | None = 500, cursor: str | None = None,
               filter_expr: str | None = None, filter_values: dict[str, Any] | None = None,
               filter_names: dict[str, str] | None = None, forward: bool = True,
               consistent: bool = False, where: dynamo.Filter | None = None,
               visible: Any = None) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`chalicelib.platform.dynamo.query_page` on the core table as ``(items, cursor)``: ``pk_attr`` and
    ``sk_attr`` name the attributes of ``index`` (checked), ``filter_*`` a filter that is not about scope,
    ``where``/``visible`` the caller's scope. ``limit`` ``None``: as many items as DynamoDB returns in one page
    (1 MB), for the jobs' sequential reads."""
    expected = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
    if pk_attr != expected[0] or (sk_attr or expected[1]) != expected[1]:
        raise ValueError(f"{pk_attr}/{sk_attr} are not the key attributes of {index or 'the table'}")
    if filter_expr:
        where = dynamo.Filter(filter_expr, dict(filter_names or {}), dict(filter_values or {})) & where
    page = dynamo.query_page(_table(), pk_value=pk_value, index=index, sk_op=sk_op, sk_value=sk_value, limit=limit,
                             cursor=cursor, forward=forward, consistent=consistent, where=where, visible=visible)
    return page.items, page.cursor


def batch_get(keys: list[dict[str, str]], *, consistent: bool = True) -> list[dict[str, Any]]:
    """Items of the core table by key (missing ones are absent), 100 keys per request."""
    return dynamo.batch_get(_table(), keys, consistent=consistent)


# ------------------------------------------------------------------------------------------------ loans' index
def loan_shard(loan_id: str) -> str:
    """The shard of a loan in the loans context's active-loan queue."""
    from chalicelib.loans import public as loans

    return loans.loan_shard(loan_id)


def shards() -> list[str]:
    from chalicelib.loans import public as loans

    return loans.loan_shards()


def active_loans_page(shard: str, cursor: str | None, *, due_before: date | None = None,
                      due_on: date | None = None, limit: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Active loans of one shard: all, those whose first open installment fell due before ``due_before``
    (overdue on that date), or those with it due exactly on ``due_on`` (the loans context's queue)."""
    from chalicelib.loans import public as loans

    return loans.active_loans_page(shard, cursor, due_before=due_before, due_on=due_on, limit=limit)


def loans_by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    from chalicelib.loans import public as loans

    return loans.loans_by_id(loan_ids)


def installments(loan_id: str) -> list[dict[str, Any]]:
    from chalicelib.loans import public as loans

    return sorted(loans.installments(loan_id), key=lambda i: int(i["number"]))


def installments_for(loans: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The installments of several loans, by loan id, in number order (the loans context's batch read)."""
    from chalicelib.loans import public as loans_public

    return loans_public.installments_of(loans)


_INSTITUTIONS: dict[str, Any] = {"until": 0.0, "ids": []}


def institutions() -> list[str]:
    """Institution ids (the province's children), sorted; cached for five minutes (the org tree is
    reference data)."""
    import time

    if _INSTITUTIONS["until"] < time.monotonic():
        from chalicelib.admin import public as admin

        _INSTITUTIONS.update(ids=admin.institutions(), until=time.monotonic() + 300)
    return list(_INSTITUTIONS["ids"])



# ------------------------------------------------------------------------------------------------ state items
def get_state(loan_id: str) -> dict[str, Any] | None:
    """The post-loan state of a loan (``None``: it has none, i.e. pass and 0 days past due)."""
    from chalicelib.postloan.data.models import LoanState

    found = LoanState.find(*LoanState.key(loan_id))
    return found.as_dict() if found else None


def states_by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The states of the loans that have one, by loan id (batch reads)."""
    from chalicelib.platform.dynamo.batch import get_models
    from chalicelib.postloan.data.models import LoanState

    return {m.loan_id: m.as_dict() for m in get_models(LoanState, [LoanState.key(lid) for lid in loan_ids])}


def new_state(loan: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A fresh state from a loan item (pass, 0 days past due until classified)."""
    return {"loan_id": loan["loan_id"], "household_id": loan["household_id"], "org_path": loan["org_path"],
            "institution_id": institution_of(loan["org_path"]), "village_code": loan.get("village_code"),
            "account_manager_id": loan.get("account_manager_id"), "line_id": loan.get("line_id"),
            "product_code": loan.get("product_code"), "status": "active", "category": Category.PASS.value,
            "dpd": 0, **values}


def _add_state(tx: dynamo.Transaction, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.postloan.data.models import LoanState

    return save_versioned(tx, LoanState.of(after), expected_version=before["version"] if before else None,
                          entity="loan_state")


def create_state(state: dict[str, Any]) -> dict[str, Any]:
    """Store the first state of a loan whose category stays pass (409 ``LOAN_STATE_EXISTS`` if it has one)."""
    tx = dynamo.Transaction()
    stored = _add_state(tx, None, state)
    tx.commit()
    return stored


def change_category(before: dict[str, Any] | None, after: dict[str, Any], *, day: date, dpd: int,
                    rule_version: int | None, reason: str) -> dict[str, Any]:
    """Store a new state whose category differs from ``before`` (or the first state of a loan), its
    history item and the audit record, in one transaction (optimistic lock on the state version)."""
    from chalicelib.postloan.data.models import ClassificationChange

    tx = dynamo.Transaction()
    stored = _add_state(tx, before, after)
    old = (before or {}).get("category", Category.PASS.value)
    change = ClassificationChange(loan_id=after["loan_id"], business_date=day.isoformat(), seq=stored["version"],
                                  from_=old, to=after["category"], dpd=dpd, rule_version=rule_version, reason=reason,
                                  household_id=after["household_id"], org_path=after["org_path"], at=utc_now_iso())
    tx.save(change, condition=ClassificationChange.PK.does_not_exist())
    tx.record(dynamo.Audit("loan", after["loan_id"], "loan.classified", "system",
                           before={"category": old, "dpd": (before or {}).get("dpd", 0)},
                           after={"category": after["category"], "dpd": dpd, "business_date": day.isoformat(),
                                  "rule_version": rule_version},
                           org_path=after["org_path"], reason=reason))
    tx.commit()
    return stored


def refresh_facts(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Store changed loan facts (same category, e.g. one more day past due): one conditional put on the
    state's version, no history item and no audit record (the category did not change; the daily facts
    are a read model). A concurrent change makes it fail with 409 ``VERSION_CONFLICT``."""
    from pynamodb.exceptions import PutError

    from chalicelib.platform.errors import Conflict
    from chalicelib.postloan.data.models import LoanState

    model = LoanState.of(after)
    model.version, model.updated_at = int(before["version"]) + 1, utc_now_iso()
    model.fill_keys()
    try:
        model.save(condition=LoanState.version == int(before["version"]))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the loan's post-loan state changed meanwhile", code="VERSION_CONFLICT") from None
        raise
    return model.as_dict()


def history(loan_id: str) -> list[dict[str, Any]]:
    """A loan's classification changes, oldest first: ``business_date``, ``from``, ``to``, ``dpd``, ..."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import ClassificationChange

    pk, prefix = ClassificationChange.prefix(loan_id)
    return [m.as_dict() for m in model_query_all(ClassificationChange, pk_value=pk, sk_op="begins_with",
                                                 sk_value=prefix, consistent=True)]


def penalties(loan_id: str) -> list[dict[str, Any]]:
    """A loan's penalty accruals, oldest first: ``business_date``, ``days``, ``amount``, ``cumulative``, ..."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import PenaltyAccrual

    pk, prefix = PenaltyAccrual.prefix(loan_id)
    return [m.as_dict() for m in model_query_all(PenaltyAccrual, pk_value=pk, sk_op="begins_with", sk_value=prefix,
                                                 consistent=True)]


def risk_page(institution_id: str, cursor: str | None, *, limit: int | None = None) -> Items:
    """Every at-risk state of an institution (system use: classification, penalty, warning scan)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import LoanState

    return dicts(model_query(LoanState, pk_value=LoanState.risk_partition(institution_id), index="GSI1", limit=limit,
                             cursor=cursor))


def flagged_page(institution_id: str, cursor: str | None) -> Items:
    """The states of an institution's loans whose purpose the last inspection could not confirm."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import LoanState

    return dicts(model_query(LoanState, pk_value=LoanState.flag_partition(institution_id), index="GSI2", limit=None,
                             cursor=cursor))


def risk_list_page(principal: Principal, institution_id: str, category: str, *, org_path: str,
                   village_code: str | None, min_dpd: int, limit: int, cursor: str | None) -> Items:
    """One page of an institution's at-risk loans of one category in an org subtree (or one village) with at
    least ``min_dpd`` days past due, in the caller's scope. Raises BadRequest ``INVALID_CURSOR``."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import LoanState

    where = dynamo.Filter("dpd >= :m", {}, {":m": min_dpd}) if min_dpd else None
    return dicts(model_query(LoanState, pk_value=LoanState.risk_partition(institution_id), index="GSI1",
                             sk_op="begins_with", sk_value=LoanState.risk_prefix(category, org_path, village_code),
                             limit=limit, cursor=cursor, where=where,
                             visible=lambda m: principal.can_see(org_path=m.org_path, household_id=m.household_id)))


def set_purpose_confirmed(loan: dict[str, Any], confirmed: bool, *, actor_id: str, day: date,
                          tx: dynamo.Transaction) -> None:
    """Add to ``tx`` the update of a loan's state with the purpose check of an inspection (the state is
    created for a healthy loan whose purpose could not be confirmed)."""
    current = get_state(loan["loan_id"])
    if current is None and confirmed:
        return
    after = dict(current) if current else new_state(loan, classified_on=None)
    after.update(purpose_confirmed=confirmed, purpose_checked_on=day.isoformat())
    _add_state(tx, current, after)


def accrue_penalty(state: dict[str, Any], *, day: date, days: int, amount: Decimal, cumulative: Decimal,
                   org_path: str, basis: dict[str, Any]) -> dict[str, Any]:
    """Store the penalty ledger entry of ``day`` (once: 409 when it exists), the state's running total
    (``penalty_accrued_through``/``_total``; optimistic lock) and the audit record, in one transaction.
    ``basis``: ``overdue_principal``, ``annual_rate``, ``uplift``, ``grace_days``, ``day_count``, ``cumulative``."""
    from chalicelib.postloan.data.models import PenaltyAccrual

    tx = dynamo.Transaction()
    entry = PenaltyAccrual(loan_id=state["loan_id"], business_date=day.isoformat(), days=days, amount=amount,
                           org_path=state["org_path"], household_id=state["household_id"],
                           **{k: v for k, v in basis.items() if v is not None})
    tx.save(entry, condition=PenaltyAccrual.PK.does_not_exist())
    after = dict(state)
    after["penalty_accrued_through"] = day.isoformat()
    after["penalty_accrued_total"] = Decimal(str(state.get("penalty_accrued_total") or "0")) + amount
    stored = _add_state(tx, state, after)
    tx.record(dynamo.Audit("loan", state["loan_id"], "loan.penalty_accrued", "system",
                           before={"penalty_accrued_total": str(state.get("penalty_accrued_total") or "0")},
                           after={"penalty_accrued_total": str(cumulative), "business_date": day.isoformat()},
                           org_path=org_path))
    tx.commit()
    return stored
