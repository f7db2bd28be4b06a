"""Human tasks of the approval workflow (investigation, review, approval): the task-token store and inbox.

Item :class:`~chalicelib.loans.data.models.LoanTask` (keys and index entries its own; ``task_id`` =
``<drawdown_id>-<stage>``): ``drawdown_id``, ``stage``,
``status`` (open | decided | expired), ``token`` (the Step Functions task token: server-side only, never
answered by the API), ``org_path`` (the drawdown's), ``scope_path`` (who may see it: starts at the
drawdown's outlet and moves one organisation level up per escalation), ``amount``, ``product_code``,
``borrower_household_id``, ``escalations``, ``opened_at``, ``deadline``, ``decided_by``, ``decided_role``,
``outcome``, ``comment``, ``decided_at``, ``version``.
GSI2 ``TASKQ#<stage>`` / ``<scope_path><opened_at>#<task_id>`` while open: the inbox. A caller's inbox is
the query ``begins_with(GSI2SK, <caller's org_path>)`` — the materialised path makes the organisation
subtree a key prefix — plus, for escalated tasks (visible to the whole subtree of their widened scope),
GSI3 ``TASKESC#<stage>#<scope_path>`` / ``<opened_at>#<task_id>``, one query per ancestor of the caller.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound


def task_id(drawdown_id: str, stage: str) -> str:
    return f"{drawdown_id}-{stage}"


def get(tid: str) -> dict[str, Any] | None:
    """The task (strongly consistent), or ``None``."""
    from chalicelib.loans.data.models import LoanTask

    found = LoanTask.find(*LoanTask.key(tid))
    return found.state() if found else None


def require(tid: str) -> dict[str, Any]:
    item = get(tid)
    if item is None:
        raise NotFound("task not found", code="TASK_NOT_FOUND", field="task_id")
    return item


def _model(item: dict[str, Any]) -> Any:
    from chalicelib.loans.data.models import LoanTask

    return LoanTask.of({k: v for k, v in item.items() if k != "version"})


def open_task(drawdown: dict[str, Any], stage: str, token: str, timeout_seconds: int) -> dict[str, Any]:
    """Store the task token of ``stage`` (a new task, or the same task re-opened after an escalation)."""
    from chalicelib.loans.data.store import save_versioned

    tid = task_id(drawdown["drawdown_id"], stage)
    existing = get(tid)
    now = utc_now_iso()
    deadline = (datetime.now(UTC) + timedelta(seconds=timeout_seconds)).isoformat(
        timespec="seconds").replace("+00:00", "Z")
    if existing is not None and existing["status"] != "open":
        raise Conflict(f"task {tid} is {existing['status']}", code="TASK_NOT_OPEN")
    base = existing or {"task_id": tid, "drawdown_id": drawdown["drawdown_id"], "stage": stage, "escalations": 0,
                        "org_path": drawdown["org_path"], "scope_path": drawdown["org_path"],
                        "borrower_household_id": drawdown["household_id"], "amount": drawdown["amount"],
                        "product_code": drawdown["product_code"], "created_at": now}
    item = {**base, "status": "open", "token": token, "opened_at": now, "deadline": deadline}
    tx = dynamo.TxBuilder()
    stored = save_versioned(tx, _model(item), expected_version=existing["version"] if existing else None,
                            entity="task")
    tx.commit()
    return stored


def escalate(task: dict[str, Any]) -> dict[str, Any]:
    """Widen the task's scope one organisation level up and drop the dead token (the workflow re-opens it)."""
    from chalicelib.loans.data.store import save_versioned

    parts = [p for p in task["scope_path"].split("/") if p]
    scope = "/" + "/".join(parts[:-1]) + "/" if len(parts) > 2 else task["scope_path"]
    item = {k: v for k, v in task.items() if k != "token"}
    item.update(scope_path=scope, escalations=int(task.get("escalations", 0)) + 1, escalated_at=utc_now_iso())
    tx = dynamo.TxBuilder()
    stored = save_versioned(tx, _model(item), expected_version=task["version"], entity="task")
    tx.record(dynamo.Audit("loan_task", task["task_id"], "task.escalated", "system",
                           before={"scope_path": task["scope_path"]}, after={"scope_path": scope},
                           org_path=task["org_path"]))
    tx.commit()
    return stored


def add_close(tx: dynamo.TxBuilder, task: dict[str, Any], *, status: str, actor_id: str, role: str | None = None,
              outcome: str | None = None, comment: str | None = None, require_token: bool = True) -> dict[str, Any]:
    """Add the closing of an open task (decided or expired) to ``tx``; fails if it changed meanwhile."""
    from chalicelib.loans.data.store import save_versioned

    if task["status"] != "open" or (require_token and not task.get("token")):
        raise Conflict("the task is not open for a decision right now; reload it", code="TASK_NOT_OPEN")
    item = {k: v for k, v in task.items() if k != "token"}
    item.update(status=status, decided_by=actor_id, decided_role=role, outcome=outcome, comment=comment,
                decided_at=utc_now_iso())
    stored = save_versioned(tx, _model(item), expected_version=task["version"], entity="task")
    tx.record(dynamo.Audit("loan_task", task["task_id"], f"task.{status}", actor_id, before={"status": "open"},
                           after={"status": status, "outcome": outcome}, org_path=task["org_path"], reason=comment))
    return stored


def visible_to(task: dict[str, Any], org_path: str) -> bool:
    """A task is visible in the subtree of its scope and to every organisation above it."""
    return org_path.startswith(task["scope_path"]) or task["scope_path"].startswith(org_path)


def inbox(stage: str, org_path: str) -> list[dict[str, Any]]:
    """Open tasks of ``stage`` visible to a caller at ``org_path``: those scoped in the caller's subtree
    (GSI2 prefix query) plus escalated ones scoped at one of the caller's ancestors (GSI3, one query each)."""
    from chalicelib.loans.data.models import LoanTask
    from chalicelib.platform.dynamo import pages

    found = {t.task_id: t.state() for t in pages.model_query_all(
        LoanTask, index="GSI2", pk_value=LoanTask.inbox_partition(stage), sk_op="begins_with", sk_value=org_path)}
    parts = [p for p in org_path.split("/") if p]
    for depth in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:depth]) + "/"
        for t in pages.model_query_all(LoanTask, index="GSI3", pk_value=LoanTask.escalated_partition(stage, ancestor)):
            found.setdefault(t.task_id, t.state())
    return sorted(found.values(), key=lambda t: t["opened_at"])


def for_drawdown(drawdown_id: str) -> list[dict[str, Any]]:
    return [t for t in (get(task_id(drawdown_id, s)) for s in ("investigation", "review", "approval")) if t]
