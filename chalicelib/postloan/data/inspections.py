"""Post-loan inspections (贷后检查): one open task per active loan, chained visit by visit.

Item (core table): ``INSP#<task_id>`` / ``TASK``: ``task_id`` (deterministic: the loan and the task it
follows), ``loan_id``, ``household_id``, ``org_path``, ``institution_id``, ``village_code``,
``assignee_id`` (the loan's account manager), ``inspection_type`` (first | periodic), ``category`` (the loan's
classification when planned), ``due_on``, ``status`` (open | done | cancelled), ``created_on``,
``previous_task_id``, the visit when done (``visit``: ``visited_at``, ``gps`` (a GeoPoint: {``lat``, ``lon``,
``accuracy_m``}), ``photos`` (S3 keys under ``inspections/<task_id>/``), ``findings``,
``purpose_confirmed``, ``risk_observed``), ``completed_by``, ``completed_on``, ``cancel_reason``, ``version``.

- GSI1 ``PLOAN#<loan_id>#INSP`` / ``<due_on>#<task_id>``: a loan's inspections.
- GSI2 ``AMQ#<assignee_id>#INSP`` / ``<A (open) | Z (closed)>#<due_on>#<task_id>``: an account manager's list.
- GSI3 ``INSPOPEN#<shard>`` / ``<due_on>#<task_id>`` while open (shard of the loan, as in the loans'
  index): the planning job's view of open tasks, and the overdue ones (keys before the business date).

Every change is written with its audit record (entity type ``inspection``) in one transaction.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.data.postloan import loan_shard, query_page
from chalicelib.postloan.domain.postloan import institution_of, stable_id

ENTITY = "inspection"


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _table() -> str:
    return _settings().core_table


def task_id_for(loan_id: str, kind: str, previous_task_id: str | None = None) -> str:
    return "I" + stable_id(loan_id, kind, previous_task_id or "-", length=19)


def key(task_id: str) -> dict[str, str]:
    return {"PK": f"INSP#{task_id}", "SK": "TASK"}


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if not k.startswith("GSI")}
    group = "A" if out["status"] == "open" else "Z"
    out.update(key(out["task_id"]), kind="inspection_task",
               GSI1PK=f"PLOAN#{out['loan_id']}#INSP", GSI1SK=f"{out['due_on']}#{out['task_id']}")
    if out.get("assignee_id"):
        out.update(GSI2PK=f"AMQ#{out['assignee_id']}#INSP", GSI2SK=f"{group}#{out['due_on']}#{out['task_id']}")
    if out["status"] == "open":
        out.update(GSI3PK=f"INSPOPEN#{loan_shard(out['loan_id'])}", GSI3SK=f"{out['due_on']}#{out['task_id']}")
    return out


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("status", "inspection_type", "due_on", "assignee_id", "loan_id", "version")
            if item.get(k) is not None}


def get_unscoped(task_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *key(task_id).values())


def get(principal: Principal, task_id: str) -> dict[str, Any]:
    return principal.ensure_can_see(get_unscoped(task_id), "inspection")


def get_for_change(principal: Principal, task_id: str) -> dict[str, Any]:
    """The task if in scope (404 ``INSPECTION_NOT_FOUND``) and the caller may work on it: an account manager
    only a task assigned to them or unassigned (403 ``NOT_ASSIGNEE``)."""
    return principal.ensure_may_change(get(principal, task_id), "inspection")


def new_task(loan: dict[str, Any], *, kind: str, due_on: date, category: str, day: date,
             assignee_id: str | None, previous_task_id: str | None = None) -> dict[str, Any]:
    return {"task_id": task_id_for(loan["loan_id"], kind, previous_task_id), "loan_id": loan["loan_id"],
            "household_id": loan["household_id"], "org_path": loan["org_path"],
            "institution_id": institution_of(loan["org_path"]), "village_code": loan.get("village_code"),
            "assignee_id": assignee_id, "inspection_type": kind, "category": category, "due_on": due_on.isoformat(),
            "status": "open", "created_on": day.isoformat(), "previous_task_id": previous_task_id}


def add_create(tx: dynamo.TxBuilder, task: dict[str, Any], *, actor_id: str) -> dict[str, Any]:
    """Add a new task (fails with 409 ``INSPECTION_EXISTS`` if that task id exists) and its audit record."""
    s = _settings()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(task), expected_version=None, entity="inspection")
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, task["task_id"], "inspection.planned", actor_id, before=None,
                                         after=_summary(stored), org_path=task["org_path"]))
    return stored


def create(task: dict[str, Any], *, actor_id: str) -> dict[str, Any] | None:
    """Store a new task; ``None`` when it exists already (planning twice is harmless)."""
    tx = dynamo.TxBuilder()
    stored = add_create(tx, task, actor_id=actor_id)
    try:
        tx.commit()
    except Conflict as exc:
        if exc.code == "INSPECTION_EXISTS":
            return None
        raise
    return stored


def add_update(tx: dynamo.TxBuilder, before: dict[str, Any], after: dict[str, Any], *, actor_id: str,
               action: str, reason: str | None = None) -> dict[str, Any]:
    s = _settings()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(after), expected_version=before["version"],
                                  entity="inspection")
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, after["task_id"], action, actor_id, before=_summary(before),
                                         after=_summary(stored), org_path=after["org_path"], reason=reason))
    return stored


def update(before: dict[str, Any], after: dict[str, Any], *, actor_id: str, action: str,
           reason: str | None = None) -> dict[str, Any]:
    tx = dynamo.TxBuilder()
    stored = add_update(tx, before, after, actor_id=actor_id, action=action, reason=reason)
    tx.commit()
    return stored


def open_page(shard: str, cursor: str | None, *, due_before: date | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Open tasks of a shard (all, or those due before ``due_before``: overdue on that date)."""
    kwargs: dict[str, Any] = {}
    if due_before is not None:
        kwargs = dict(sk_attr="GSI3SK", sk_op="<", sk_value=due_before.isoformat())
    return query_page(pk_attr="GSI3PK", pk_value=f"INSPOPEN#{shard}", index="GSI3", limit=None, cursor=cursor,
                      **kwargs)


def for_loan(loan_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), index="GSI1", pk_value=f"PLOAN#{loan_id}#INSP")


def open_for_loan(loan_id: str) -> dict[str, Any] | None:
    """The open task of a loan (consistent read of the newest candidate)."""
    for item in sorted(for_loan(loan_id), key=lambda i: i["due_on"], reverse=True):
        if item.get("status") == "open":
            return get_unscoped(item["task_id"])
    return None


def list_assigned(principal: Principal, assignee_id: str, *, status: str, due_before: date | None,
                  limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """An account manager's tasks: ``open`` (soonest due first) or ``closed`` (newest first), in the caller's
    scope: the list of a manager of another organisation (or of nobody) answers like an empty one."""
    group = "A" if status == "open" else "Z"
    if due_before is not None and status == "open":
        kwargs: dict[str, Any] = dict(sk_attr="GSI2SK", sk_op="between",
                                      sk_value=(f"{group}#", f"{group}#{due_before.isoformat()}"))
    else:
        kwargs = dict(sk_attr="GSI2SK", sk_op="begins_with", sk_value=f"{group}#")
    return query_page(pk_attr="GSI2PK", pk_value=f"AMQ#{assignee_id}#INSP", index="GSI2", limit=limit, cursor=cursor,
                      forward=status == "open", where=dynamo.scope_filter(principal),
                      visible=lambda i: principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id")),
                      **kwargs)


def photo_prefix(task_id: str) -> str:
    return f"inspections/{task_id}/"
