"""Post-loan inspections (贷后检查): one open task per active loan, chained visit by visit.

The item is the ``InspectionTask`` model (:mod:`chalicelib.postloan.data.models`): ``task_id`` (deterministic: the
loan and the task it follows), the loan, household, organisation and village, ``assignee_id`` (the loan's account
manager), ``inspection_type`` (first | periodic), ``category`` (the loan's classification when planned), ``due_on``,
``status`` (open | done | cancelled), the visit when done (``visit``: ``visited_at``, ``gps`` {``lat``, ``lon``,
``accuracy_m``}, ``photos`` (S3 keys under ``inspections/<task_id>/``), ``findings``, ``purpose_confirmed``,
``risk_observed``), ``completed_by``/``_on``, ``cancel_reason``, ``version``. Every change is written with its audit
record (entity type ``inspection``) in one transaction.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.data.store import Items, dicts, save_versioned
from chalicelib.postloan.domain.postloan import institution_of, stable_id

ENTITY = "inspection"


def task_id_for(loan_id: str, kind: str, previous_task_id: str | None = None) -> str:
    """The deterministic id of the task of ``kind`` (first | periodic) of a loan after ``previous_task_id``."""
    return "I" + stable_id(loan_id, kind, previous_task_id or "-", length=19)


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("status", "inspection_type", "due_on", "assignee_id", "loan_id", "version")
            if item.get(k) is not None}


def get_unscoped(task_id: str) -> dict[str, Any] | None:
    """A task by id (any scope), or ``None``."""
    from chalicelib.postloan.data.models import InspectionTask

    found = InspectionTask.find(*InspectionTask.key(task_id))
    return found.as_dict() if found else None


def get(principal: Principal, task_id: str) -> dict[str, Any]:
    """A task in the caller's scope; 404 ``INSPECTION_NOT_FOUND`` when unknown or out of scope."""
    return principal.ensure_can_see(get_unscoped(task_id), "inspection")


def get_for_change(principal: Principal, task_id: str) -> dict[str, Any]:
    """The task if in scope (404 ``INSPECTION_NOT_FOUND``) and the caller may work on it: an account manager
    only a task assigned to them or unassigned (403 ``NOT_ASSIGNEE``)."""
    return principal.ensure_may_change(get(principal, task_id), "inspection")


def new_task(loan: dict[str, Any], *, kind: str, due_on: date, category: str, day: date,
             assignee_id: str | None, previous_task_id: str | None = None) -> dict[str, Any]:
    """A new open task of ``loan`` (not stored): ``kind`` first | periodic, due ``due_on``."""
    return {"task_id": task_id_for(loan["loan_id"], kind, previous_task_id), "loan_id": loan["loan_id"],
            "household_id": loan["household_id"], "org_path": loan["org_path"],
            "institution_id": institution_of(loan["org_path"]), "village_code": loan.get("village_code"),
            "assignee_id": assignee_id, "inspection_type": kind, "category": category, "due_on": due_on.isoformat(),
            "status": "open", "created_on": day.isoformat(), "previous_task_id": previous_task_id}


def _save(tx: dynamo.Transaction, item: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    from chalicelib.postloan.data.models import InspectionTask

    return save_versioned(tx, InspectionTask.of(item), expected_version=expected_version, entity="inspection")


def add_create(tx: dynamo.Transaction, task: dict[str, Any], *, actor_id: str) -> dict[str, Any]:
    """Add a new task (fails with 409 ``INSPECTION_EXISTS`` if that task id exists) and its audit record."""
    stored = _save(tx, task, None)
    tx.record(dynamo.Audit(ENTITY, task["task_id"], "inspection.planned", actor_id, before=None,
                           after=_summary(stored), org_path=task["org_path"]))
    return stored


def create(task: dict[str, Any], *, actor_id: str) -> dict[str, Any] | None:
    """Store a new task; ``None`` when it exists already (planning twice is harmless)."""
    tx = dynamo.Transaction()
    stored = add_create(tx, task, actor_id=actor_id)
    try:
        tx.commit()
    except Conflict as exc:
        if exc.code == "INSPECTION_EXISTS":
            return None
        raise
    return stored


def add_update(tx: dynamo.Transaction, before: dict[str, Any], after: dict[str, Any], *, actor_id: str,
               action: str, reason: str | None = None) -> dict[str, Any]:
    """Add the change of a task (optimistic lock on ``before``'s version) and its audit record."""
    stored = _save(tx, after, before["version"])
    tx.record(dynamo.Audit(ENTITY, after["task_id"], action, actor_id, before=_summary(before),
                           after=_summary(stored), org_path=after["org_path"], reason=reason))
    return stored


def update(before: dict[str, Any], after: dict[str, Any], *, actor_id: str, action: str,
           reason: str | None = None) -> dict[str, Any]:
    """Store the change of a task with its audit record (409 ``VERSION_CONFLICT`` on a concurrent change)."""
    tx = dynamo.Transaction()
    stored = add_update(tx, before, after, actor_id=actor_id, action=action, reason=reason)
    tx.commit()
    return stored


def open_page(shard: str, cursor: str | None, *, due_before: date | None = None) -> Items:
    """Open tasks of a shard (all, or those due before ``due_before``: overdue on that date)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import InspectionTask

    sort: dict[str, Any] = dict(sk_op="<", sk_value=due_before.isoformat()) if due_before is not None else {}
    return dicts(model_query(InspectionTask, pk_value=InspectionTask.open_partition(shard), index="GSI3", limit=None,
                             cursor=cursor, **sort))


def for_loan(loan_id: str) -> list[dict[str, Any]]:
    """Every task of a loan (any status), by due date."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import InspectionTask

    return [m.as_dict() for m in model_query_all(InspectionTask, index="GSI1",
                                                 pk_value=InspectionTask.loan_partition(loan_id))]


def open_for_loan(loan_id: str) -> dict[str, Any] | None:
    """The open task of a loan (consistent read of the newest candidate)."""
    for item in sorted(for_loan(loan_id), key=lambda i: i["due_on"], reverse=True):
        if item.get("status") == "open":
            return get_unscoped(item["task_id"])
    return None


def list_assigned(principal: Principal, assignee_id: str, *, status: str, due_before: date | None,
                  limit: int, cursor: str | None) -> Items:
    """An account manager's tasks: ``open`` (soonest due first) or ``closed`` (newest first), in the caller's
    scope: the list of a manager of another organisation (or of nobody) answers like an empty one."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import InspectionTask

    group = InspectionTask.assignee_group(status)
    if due_before is not None and status == "open":
        sort: dict[str, Any] = dict(sk_op="between", sk_value=(group, f"{group}{due_before.isoformat()}"))
    else:
        sort = dict(sk_op="begins_with", sk_value=group)
    return dicts(model_query(InspectionTask, pk_value=InspectionTask.assignee_partition(assignee_id), index="GSI2",
                             limit=limit, cursor=cursor, forward=status == "open", where=dynamo.scope_filter(principal),
                             visible=lambda m: principal.can_see(org_path=m.org_path, household_id=m.household_id),
                             **sort))


def photo_prefix(task_id: str) -> str:
    """The S3 key prefix of an inspection's photos."""
    return f"inspections/{task_id}/"
