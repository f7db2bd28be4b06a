"""Drawdowns (用信申请): the application aggregate and its status history.

Items (core table):
- ``DD#<drawdown_id>`` / ``DD``: the application (``household_id``, ``org_path``, ``line_id``, ``product_code``,
  ``amount``, terms, ``status``, ``decision``, ``pricing``, ``contract``, ``loan_id``, ``version``, ...);
  GSI1 ``HH#<household_id>#DD`` / ``<created_at>`` (a household's applications).
- ``DD#<drawdown_id>`` / ``EVT#<at>#<n>``: one item per status change (what the applicant sees), written
  in the same transaction as the change and its audit record.

Statuses: ``REQUESTED`` → ``PENDING_INVESTIGATION`` → ``PENDING_REVIEW`` → ``PENDING_APPROVAL`` →
``APPROVED`` → ``CONTRACT_SIGNED`` → ``DISBURSING`` → ``DISBURSED``; ends ``DECLINED`` (rules),
``REJECTED`` (people), ``EXPIRED`` (timeouts), ``DISBURSEMENT_FAILED`` (line or core banking; the
reservation is released), ``PENDING_RECONCILIATION`` (unknown core-banking result handed to people).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound

FINAL = ("DECLINED", "REJECTED", "EXPIRED", "DISBURSED", "DISBURSEMENT_FAILED")


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def new_id() -> str:
    return "DD" + uuid.uuid4().hex[:14].upper()


def key(drawdown_id: str) -> dict[str, str]:
    return {"PK": f"DD#{drawdown_id}", "SK": "DD"}


def _event(drawdown_id: str, status: str, actor_id: str, note: str | None, org_path: str,
           household_id: str) -> dict[str, Any]:
    at = utc_now_iso()
    return {"PK": f"DD#{drawdown_id}", "SK": f"EVT#{at}#{uuid.uuid4().hex[:6]}", "kind": "drawdown_event",
            "status": status, "at": at, "actor_id": actor_id, "note": note, "org_path": org_path,
            "household_id": household_id}


def create(item: dict[str, Any], *, actor_id: str, extra: Callable[[dynamo.TxBuilder], None] | None = None
           ) -> dict[str, Any]:
    """Store a new application (status ``REQUESTED``) with its first event and audit record."""
    s = _settings()
    item = {**item, **key(item["drawdown_id"]), "kind": "drawdown", "status": "REQUESTED",
            "GSI1PK": f"HH#{item['household_id']}#DD", "GSI1SK": utc_now_iso()}
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, item, expected_version=None, entity="drawdown")
    tx.put(s.core_table, _event(item["drawdown_id"], "REQUESTED", actor_id, None, item["org_path"],
                                item["household_id"]))
    tx.audit(s.audit_table, dynamo.Audit("drawdown", item["drawdown_id"], "drawdown.requested", actor_id,
                                         before=None, after=_summary(stored), org_path=item["org_path"]))
    if extra:
        extra(tx)
    tx.commit()
    return stored


def get(drawdown_id: str) -> dict[str, Any] | None:
    """Unscoped read (system tasks)."""
    return dynamo.get(_settings().core_table, f"DD#{drawdown_id}", "DD")


def require(drawdown_id: str) -> dict[str, Any]:
    item = get(drawdown_id)
    if item is None:
        raise NotFound("drawdown not found", code="DRAWDOWN_NOT_FOUND", field="drawdown_id")
    return item


def get_scoped(principal: Principal, drawdown_id: str) -> dict[str, Any]:
    """The application if the caller may see it; NotFound ``DRAWDOWN_NOT_FOUND`` otherwise."""
    return principal.ensure_can_see(get(drawdown_id), "drawdown")


def events(drawdown_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_settings().core_table, pk_value=f"DD#{drawdown_id}", sk_prefix="EVT#", consistent=True)


def list_for_household(principal: Principal, household_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """A household's applications, newest first, in the caller's scope: another organisation's household
    answers like an unknown one (no items, no cursor)."""
    return dynamo.query(_settings().core_table, index="GSI1", pk_value=f"HH#{household_id}#DD", limit=limit,
                        cursor=cursor, forward=False, where=dynamo.scope_filter(principal),
                        visible=lambda i: principal.can_see(org_path=i.get("org_path"),
                                                            household_id=i.get("household_id")))


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("status", "amount", "product_code", "line_id", "loan_id", "version")
            if item.get(k) is not None}


def transition(drawdown_id: str, *, allowed_from: Iterable[str], to: str, actor_id: str, action: str,
               changes: dict[str, Any] | None = None, note: str | None = None,
               extra: Callable[[dynamo.TxBuilder, dict[str, Any]], None] | None = None,
               current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move an application to status ``to`` (from one of ``allowed_from``) with ``changes``, an event and an
    audit record in one transaction; ``extra(tx, current)`` may add more operations (line reservation,
    task updates). Raises Conflict ``DRAWDOWN_STATUS`` if the status does not allow it and
    ``VERSION_CONFLICT`` if it changed meanwhile."""
    s = _settings()
    item = current or require(drawdown_id)
    allowed = tuple(allowed_from)
    if item["status"] not in allowed:
        raise Conflict(f"drawdown is {item['status']}, not {' or '.join(allowed)}", code="DRAWDOWN_STATUS",
                       details={"status": item["status"]})
    new = {**item, **(changes or {}), "status": to}
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, new, expected_version=item["version"], entity="drawdown")
    if to != item["status"] or note:
        tx.put(s.core_table, _event(drawdown_id, to, actor_id, note, item["org_path"], item["household_id"]))
    tx.audit(s.audit_table, dynamo.Audit("drawdown", drawdown_id, action, actor_id, before=_summary(item),
                                         after=_summary(stored), org_path=item["org_path"], reason=note))
    if extra:
        extra(tx, item)
    tx.commit()
    return stored
