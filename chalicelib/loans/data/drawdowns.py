"""Drawdowns (用信申请): the application aggregate and its status history.

Item shapes and keys: :class:`~chalicelib.loans.data.models.Drawdown` and
:class:`~chalicelib.loans.data.models.DrawdownEvent`; repositories hand services dicts.

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

#: what a service may add to a drawdown dict for its answer, never stored
_NOT_STORED = ("history", "version")


def new_id() -> str:
    return "DD" + uuid.uuid4().hex[:14].upper()


def _event(drawdown_id: str, status: str, actor_id: str, note: str | None, org_path: str, household_id: str) -> Any:
    from chalicelib.loans.data.models import DrawdownEvent

    return DrawdownEvent(drawdown_id=drawdown_id, event_no=uuid.uuid4().hex[:6], status=status, at=utc_now_iso(),
                         actor_id=actor_id, note=note, org_path=org_path, household_id=household_id)


def _model(item: dict[str, Any]) -> Any:
    from chalicelib.loans.data.models import Drawdown

    return Drawdown.of({k: v for k, v in item.items() if k not in _NOT_STORED})


def create(item: dict[str, Any], *, actor_id: str, extra: Callable[[dynamo.TxBuilder], None] | None = None
           ) -> dict[str, Any]:
    """Store a new application (status ``REQUESTED``) with its first event and audit record."""
    from chalicelib.loans.data.store import save_versioned

    tx = dynamo.TxBuilder()
    stored = save_versioned(tx, _model({**item, "status": "REQUESTED"}), expected_version=None, entity="drawdown")
    tx.save(_event(item["drawdown_id"], "REQUESTED", actor_id, None, item["org_path"], item["household_id"]))
    tx.record(dynamo.Audit("drawdown", item["drawdown_id"], "drawdown.requested", actor_id, before=None,
                           after=_summary(stored), org_path=item["org_path"]))
    if extra:
        extra(tx)
    tx.commit()
    return stored


def get(drawdown_id: str) -> dict[str, Any] | None:
    """Unscoped read (system tasks)."""
    from chalicelib.loans.data.models import Drawdown

    found = Drawdown.find(*Drawdown.key(drawdown_id))
    return found.state() if found else None


def require(drawdown_id: str) -> dict[str, Any]:
    item = get(drawdown_id)
    if item is None:
        raise NotFound("drawdown not found", code="DRAWDOWN_NOT_FOUND", field="drawdown_id")
    return item


def get_scoped(principal: Principal, drawdown_id: str) -> dict[str, Any]:
    """The application if the caller may see it; NotFound ``DRAWDOWN_NOT_FOUND`` otherwise."""
    return principal.ensure_can_see(get(drawdown_id), "drawdown")


def events(drawdown_id: str) -> list[dict[str, Any]]:
    """The application's status changes, oldest first (strongly consistent)."""
    from chalicelib.loans.data.models import DrawdownEvent
    from chalicelib.platform.dynamo import pages

    pk, prefix = DrawdownEvent.prefix(drawdown_id)
    found = pages.model_query_all(DrawdownEvent, pk_value=pk, sk_op="begins_with", sk_value=prefix, consistent=True)
    return [e.state() for e in found]


def list_for_household(principal: Principal, household_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """A household's applications, newest first, in the caller's scope: another organisation's household
    answers like an unknown one (no items, no cursor). Items are dicts."""
    from chalicelib.loans.data.models import Drawdown
    from chalicelib.platform.dynamo import pages

    page = pages.model_query(Drawdown, index="GSI1", pk_value=Drawdown.household_partition(household_id),
                             limit=limit, cursor=cursor, forward=False, where=dynamo.scope_filter(principal),
                             visible=lambda d: principal.can_see(org_path=d.org_path, household_id=d.household_id))
    return dynamo.Page([d.state() for d in page.items], page.cursor)


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("status", "amount", "product_code", "line_id", "loan_id", "version")
            if item.get(k) is not None}


def transition(drawdown_id: str, *, allowed_from: Iterable[str], to: str, actor_id: str, action: str,
               changes: dict[str, Any] | None = None, note: str | None = None,
               extra: Callable[[dynamo.TxBuilder, dict[str, Any]], object] | None = None,
               current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move an application to status ``to`` (from one of ``allowed_from``) with ``changes``, an event and an
    audit record in one transaction; ``extra(tx, current)`` may add more operations (line reservation,
    task updates). Raises Conflict ``DRAWDOWN_STATUS`` if the status does not allow it and
    ``VERSION_CONFLICT`` if it changed meanwhile."""
    from chalicelib.loans.data.store import save_versioned

    item = current or require(drawdown_id)
    allowed = tuple(allowed_from)
    if item["status"] not in allowed:
        raise Conflict(f"drawdown is {item['status']}, not {' or '.join(allowed)}", code="DRAWDOWN_STATUS",
                       details={"status": item["status"]})
    tx = dynamo.TxBuilder()
    stored = save_versioned(tx, _model({**item, **(changes or {}), "status": to}), expected_version=item["version"],
                            entity="drawdown")
    if to != item["status"] or note:
        tx.save(_event(drawdown_id, to, actor_id, note, item["org_path"], item["household_id"]))
    tx.record(dynamo.Audit("drawdown", drawdown_id, action, actor_id, before=_summary(item), after=_summary(stored),
                           org_path=item["org_path"], reason=note))
    if extra:
        extra(tx, item)
    tx.commit()
    return stored
