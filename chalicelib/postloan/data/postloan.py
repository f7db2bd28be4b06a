"""Post-loan state of loans (贷后): classification with history, the overdue / classification lists,
penalty accrual ledger, portfolio snapshots, and the readers of the loans subsystem's active-loan index.

Loans subsystem items read here (:mod:`chalicelib.loans.data.loans`, never written except through its
``add_update``): ``LOAN#<id>`` / ``LOAN`` with GSI3 ``LOANS#ACTIVE#<shard 00-15>`` / ``<next_due_date>#<loan_id>``
while active. ``next_due_date`` is the due date of the first open installment, so the loans overdue on a
business date D are exactly the keys ``< D`` of each shard, and the loans due on D+7 the keys starting
``<D+7>#``: the jobs read only what they must.

Items owned here (core table):

- ``PLOAN#<loan_id>`` / ``STATE``: the post-loan state of a loan that has been overdue or not *pass*
  (healthy loans have none: no item means pass, 0 days past due). ``loan_id``, ``household_id``,
  ``org_path``, ``institution_id``, ``village_code``, ``account_manager_id``, ``line_id``, ``product_code``,
  ``status`` (active | closed), ``category``, ``category_since``, ``dpd`` and ``classified_on`` (as of the
  last classification run), ``oldest_unpaid_due_date``, ``outstanding_principal``, ``overdue_principal``,
  ``overdue_interest``, ``rule_version`` (classification_rule), ``assessed_category`` (optional
  qualitative floor), ``penalty_accrued_through``, ``penalty_accrued_total``, ``purpose_confirmed``
  (last inspection), ``version``.
  GSI1 ``PLRISK#<institution_id>`` / ``<rank><category>#<org_path>#<village_code>#<loan_id>`` while active
  and overdue or not pass (the overdue and classification lists; the org subtree is a key prefix);
  GSI2 ``PLFLAG#<institution_id>`` / ``<loan_id>`` while the last inspection could not confirm the purpose.
- ``PLOAN#<loan_id>`` / ``CLS#<business_date>#<seq>``: one classification change (``from``, ``to``,
  ``dpd``, ``rule_version``); with the audit record of the change in the same transaction.
- ``PLOAN#<loan_id>`` / ``PEN#<business_date>``: one penalty accrual (``days``, ``amount``, basis).
- ``PLSNAP#<scope>`` / ``<business_date>``: portfolio snapshot of a village (``VILLAGE#<code>``), an
  account manager (``AM#<user_id>``) or an organisation (``ORG#<org_id>``) written by the warning scan:
  loan counts and outstanding by category, overdue and NPL rates.
- ``PLRATEXP#<valid_to>`` / ``<household_id>#<rating_id>``: a rating noted before it expired (see
  :func:`note_rating_expiries`).
- ``PLHH#<household_id>`` / ``DRAWS``: the loans of a household drawn in the cycling window, noted by the
  loan-opened hook and by the warning scan (see :func:`record_draws`); GSI2 ``PLDRAWN#<last draw date>`` /
  ``<household_id>``: the households that drew on a date (:func:`households_drawn_on`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import NotFound
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import at_risk, institution_of

CATEGORIES = [c.value for c in Category]


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _table() -> str:
    return _settings().core_table


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
def state_key(loan_id: str) -> dict[str, str]:
    return {"PK": f"PLOAN#{loan_id}", "SK": "STATE"}


def risk_sort_key(state: dict[str, Any]) -> str:
    cat = Category(state["category"])
    return f"{cat.rank}{cat.value}#{state['org_path']}#{state.get('village_code') or '-'}#{state['loan_id']}"


def with_state_keys(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in state.items() if not k.startswith("GSI")}
    out.update(state_key(state["loan_id"]), kind="loan_postloan_state")
    if out.get("status") == "active" and at_risk(int(out.get("dpd") or 0), out.get("category") or "pass"):
        out.update(GSI1PK=f"PLRISK#{out['institution_id']}", GSI1SK=risk_sort_key(out))
    if out.get("status") == "active" and out.get("purpose_confirmed") is False:
        out.update(GSI2PK=f"PLFLAG#{out['institution_id']}", GSI2SK=out["loan_id"])
    return out


def get_state(loan_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *state_key(loan_id).values())


def states_by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    return {i["loan_id"]: i for i in batch_get([state_key(lid) for lid in loan_ids])}


def new_state(loan: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A fresh state from a loan item (pass, 0 days past due until classified)."""
    return {"loan_id": loan["loan_id"], "household_id": loan["household_id"], "org_path": loan["org_path"],
            "institution_id": institution_of(loan["org_path"]), "village_code": loan.get("village_code"),
            "account_manager_id": loan.get("account_manager_id"), "line_id": loan.get("line_id"),
            "product_code": loan.get("product_code"), "status": "active", "category": Category.PASS.value,
            "dpd": 0, **values}


def change_category(before: dict[str, Any] | None, after: dict[str, Any], *, day: date, dpd: int,
                    rule_version: int | None, reason: str) -> dict[str, Any]:
    """Store a new state whose category differs from ``before`` (or the first state of a loan), its
    history item and the audit record, in one transaction (optimistic lock on the state version)."""
    s = _settings()
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, with_state_keys(after),
                                  expected_version=before["version"] if before else None, entity="loan_state")
    old = (before or {}).get("category", Category.PASS.value)
    tx.put(s.core_table, {"PK": f"PLOAN#{after['loan_id']}", "SK": f"CLS#{day.isoformat()}#{stored['version']:04d}",
                          "kind": "loan_classification", "loan_id": after["loan_id"], "business_date": day.isoformat(),
                          "from": old, "to": after["category"], "dpd": dpd, "rule_version": rule_version,
                          "reason": reason, "household_id": after["household_id"], "org_path": after["org_path"],
                          "at": utc_now_iso()}, condition="attribute_not_exists(PK)")
    tx.audit(s.audit_table, dynamo.Audit("loan", after["loan_id"], "loan.classified", "system",
                                         before={"category": old, "dpd": (before or {}).get("dpd", 0)},
                                         after={"category": after["category"], "dpd": dpd,
                                                "business_date": day.isoformat(), "rule_version": rule_version},
                                         org_path=after["org_path"], reason=reason))
    tx.commit()
    return stored


_FACT_FIELDS = ("dpd", "classified_on", "oldest_unpaid_due_date", "outstanding_principal", "overdue_principal",
                "overdue_interest", "account_manager_id", "village_code", "status", "closed_on", "rule_version")


def refresh_facts(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Store changed loan facts (same category, e.g. one more day past due): one conditional put on the
    state's version, no history item and no audit record (the category did not change; the daily facts
    are a read model). A concurrent change makes it fail with 409 ``VERSION_CONFLICT``."""
    from botocore.exceptions import ClientError

    from chalicelib.platform.errors import Conflict

    stored = with_state_keys(after)
    stored.update(version=int(before["version"]) + 1, updated_at=utc_now_iso())
    try:
        dynamo.client().put_item(TableName=_table(), Item=dynamo.to_item(stored), ConditionExpression="#v = :v",
                                 ExpressionAttributeNames={"#v": "version"},
                                 ExpressionAttributeValues=dynamo.to_item({":v": int(before["version"])}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Conflict("the loan's post-loan state changed meanwhile", code="VERSION_CONFLICT") from None
        raise
    return stored


def history(loan_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), pk_value=f"PLOAN#{loan_id}", sk_prefix="CLS#", consistent=True)


def penalties(loan_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), pk_value=f"PLOAN#{loan_id}", sk_prefix="PEN#", consistent=True)


def risk_page(institution_id: str, cursor: str | None, *, limit: int | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Every at-risk state of an institution (system use: classification, penalty, warning scan)."""
    return query_page(pk_attr="GSI1PK", pk_value=f"PLRISK#{institution_id}", index="GSI1", limit=limit,
                      cursor=cursor)


def flagged_page(institution_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return query_page(pk_attr="GSI2PK", pk_value=f"PLFLAG#{institution_id}", index="GSI2", limit=None,
                      cursor=cursor)


def set_purpose_confirmed(loan: dict[str, Any], confirmed: bool, *, actor_id: str, day: date,
                          tx: dynamo.TxBuilder) -> None:
    """Add to ``tx`` the update of a loan's state with the purpose check of an inspection (the state is
    created for a healthy loan whose purpose could not be confirmed)."""
    s = _settings()
    current = get_state(loan["loan_id"])
    if current is None and confirmed:
        return
    after = dict(current) if current else new_state(loan, classified_on=None)
    after.update(purpose_confirmed=confirmed, purpose_checked_on=day.isoformat())
    dynamo.put_versioned(tx, s.core_table, with_state_keys(after),
                         expected_version=current["version"] if current else None, entity="loan_state")


# ------------------------------------------------------------------------------------------------ penalty
def add_penalty_accrual(tx: dynamo.TxBuilder, state: dict[str, Any], *, day: date, days: int, amount: Decimal,
                        basis: dict[str, Any]) -> dict[str, Any]:
    """Add the penalty ledger entry of ``day`` (once: conditional put) and the state's running total."""
    s = _settings()
    tx.put(s.core_table, {"PK": f"PLOAN#{state['loan_id']}", "SK": f"PEN#{day.isoformat()}", "kind": "penalty_accrual",
                          "loan_id": state["loan_id"], "business_date": day.isoformat(), "days": days,
                          "amount": amount, "org_path": state["org_path"], "household_id": state["household_id"],
                          **basis}, condition="attribute_not_exists(PK)")
    after = dict(state)
    after["penalty_accrued_through"] = day.isoformat()
    after["penalty_accrued_total"] = Decimal(str(state.get("penalty_accrued_total") or "0")) + amount
    return dynamo.put_versioned(tx, s.core_table, with_state_keys(after), expected_version=state["version"],
                                entity="loan_state")


# ------------------------------------------------------------------------------------------------ draws
def record_draws(new_loans: dict[str, list[tuple[str, str]]], *, keep_from: str) -> dict[str, dict[str, str]]:
    """Add newly seen loans ``{household_id: [(loan_id, start_date), ...]}`` to each household's draw record
    (``PLHH#<household_id>`` / ``DRAWS``: ``draws`` {loan_id: start_date} since ``keep_from``) and return
    the records (key reads and batch writes only: the warning scan's cycling check)."""
    found = {i["household_id"]: i for i in batch_get([{"PK": f"PLHH#{h}", "SK": "DRAWS"} for h in new_loans])}
    out: dict[str, dict[str, str]] = {}
    items = []
    for hh, seen in new_loans.items():
        draws = {k: v for k, v in (found.get(hh, {}).get("draws") or {}).items() if v >= keep_from}
        draws.update({lid: start for lid, start in seen if start >= keep_from})
        out[hh] = draws
        item = {"PK": f"PLHH#{hh}", "SK": "DRAWS", "kind": "household_draws", "household_id": hh, "draws": draws}
        if draws:
            item.update(GSI2PK=f"PLDRAWN#{max(draws.values())}", GSI2SK=hh)
        items.append(item)
    if items:
        dynamo.batch_put(_table(), items)
    return out


def households_drawn_on(day: date) -> list[str]:
    """Households whose latest noted draw was on ``day`` (GSI2 ``PLDRAWN#<day>``): the warning scan finds
    those whose loans were drawn and repaid before it could see them active."""
    return [i["household_id"] for i in dynamo.query_all(_table(), index="GSI2", pk_value=f"PLDRAWN#{day.isoformat()}")]


# ------------------------------------------------------------------------------------------------ rating expiries
def note_rating_expiries(ratings: list[dict[str, Any]]) -> int:
    """Note ratings about to expire (``PLRATEXP#<valid_to>`` / ``<household_id>#<rating_id>``): the rating
    subsystem's expiry job drops them from its queue once expired, the warning scan reads the notes."""
    items = [{"PK": f"PLRATEXP#{r['valid_to']}", "SK": f"{r['household_id']}#{r['rating_id']}",
              "kind": "rating_expiry_note", "household_id": r["household_id"], "rating_id": r["rating_id"],
              "valid_to": r["valid_to"], "org_path": r["org_path"], "village_code": r.get("village_code")}
             for r in ratings if r.get("valid_to") and r.get("household_id")]
    return dynamo.batch_put(_table(), items) if items else 0


def rating_expiries(valid_to: date) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), pk_value=f"PLRATEXP#{valid_to.isoformat()}")


# ------------------------------------------------------------------------------------------------ snapshots
def put_snapshots(day: date, snapshots: dict[str, dict[str, Any]]) -> int:
    """Portfolio snapshots of ``day`` (derived read model: plain batch writes)."""
    items = [{"PK": f"PLSNAP#{scope}", "SK": day.isoformat(), "kind": "portfolio_snapshot", "scope": scope,
              "business_date": day.isoformat(), **values} for scope, values in snapshots.items()]
    return dynamo.batch_put(_table(), items)


def snapshot(scope: str, day: date) -> dict[str, Any] | None:
    return dynamo.get(_table(), f"PLSNAP#{scope}", day.isoformat(), consistent=False)


def snapshots(scopes: list[str], day: date) -> dict[str, dict[str, Any]]:
    found = batch_get([{"PK": f"PLSNAP#{s}", "SK": day.isoformat()} for s in scopes], consistent=False)
    return {i["scope"]: i for i in found}


def snapshot_near(scope: str, day: date, *, earliest: date) -> dict[str, Any] | None:
    """The newest snapshot of ``scope`` dated from ``earliest`` to ``day`` (a scan that did not run on
    ``day`` itself must not make the comparison silently vanish)."""
    items, _ = query_page(pk_attr="PK", pk_value=f"PLSNAP#{scope}", limit=1, forward=False, sk_attr="SK",
                          sk_op="between", sk_value=(earliest.isoformat(), day.isoformat()))
    return items[0] if items else None


def latest_snapshot(scope: str) -> dict[str, Any] | None:
    items, _ = query_page(pk_attr="PK", pk_value=f"PLSNAP#{scope}", limit=1, forward=False)
    return items[0] if items else None


# ------------------------------------------------------------------------------------------------ queries
def _scope_of(principal: Principal, org_id: str | None, village_code: str | None) -> tuple[list[str], str, str | None]:
    """``(institution ids, org_path prefix, village code)`` of a list query in the caller's scope."""
    from chalicelib.admin import public as orgs

    if village_code:
        village = orgs.get_village(principal, village_code)
        path = village["org_path"]
    elif org_id:
        org = orgs.get_org(org_id)
        if org is None or not principal.can_see(org_path=org["org_path"]):
            raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="org_id")
        path = org["org_path"]
    else:
        path = principal.org_path
    parts = [p for p in path.split("/") if p]
    insts = [parts[1]] if len(parts) >= 2 else institutions()
    return insts, path, village_code


def list_at_risk(principal: Principal, *, categories: list[str], org_id: str | None, village_code: str | None,
                 min_dpd: int, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """At-risk loans (overdue or not pass) of the given categories in the caller's scope, worst first.
    Raises BadRequest ``INVALID_CURSOR`` (field ``cursor``) for a cursor not issued by this listing."""
    insts, path, village = _scope_of(principal, org_id, village_code)
    wanted = [c for c in sorted(CATEGORIES, key=lambda c: -Category(c).rank) if c in categories]
    units = [(inst, cat) for inst in insts for cat in wanted]
    pos, inner = dynamo.decode_unit_cursor(cursor, units=len(units))
    out: list[dict[str, Any]] = []
    while pos < len(units) and len(out) < limit:
        inst, cat = units[pos]
        prefix = f"{Category(cat).rank}{cat}#{path}" + (f"#{village}#" if village else "")
        items, inner = query_page(pk_attr="GSI1PK", pk_value=f"PLRISK#{inst}", index="GSI1", sk_attr="GSI1SK",
                                  sk_op="begins_with", sk_value=prefix, limit=limit - len(out), cursor=inner,
                                  filter_expr="dpd >= :m" if min_dpd else None,
                                  filter_values={":m": min_dpd} if min_dpd else None,
                                  visible=lambda i: principal.can_see(org_path=i.get("org_path"),
                                                                      household_id=i.get("household_id")))
        out.extend(items)
        if inner is None:
            pos += 1
    return out, dynamo.encode_unit_cursor(pos, inner) if pos < len(units) else None


def loan_scope_item(principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan (loans' item, else our state) if in the caller's scope; 404 ``LOAN_NOT_FOUND``."""
    from chalicelib.loans import public as loans

    item = loans.get(loan_id) or get_state(loan_id)
    return principal.ensure_can_see(item, "loan")
