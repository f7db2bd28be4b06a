"""Job 3, ``inspections`` (贷后检查 planning), and the loan-opened hook: a first inspection for every new loan, a
periodic one after every visit (planned by the visit itself, :mod:`chalicelib.postloan.service.visits`), an open task
pulled forward when the loan's category (as classified by job 1) needs more frequent visits
(:func:`replan_inspection`), tasks of closed loans cancelled. Intervals: the ``postloan_policy`` parameter
(:func:`chalicelib.postloan.domain.postloan.next_inspection_due`)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.data import inspections, postloan
from chalicelib.postloan.data import scan as scan_repo
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import PostLoanPolicy, inspection_interval, next_inspection_due
from chalicelib.postloan.service.common import Item, active_on, all_pages, loan_manager, skip
from chalicelib.postloan.service.config import policy


def replan_inspection(task: Item, category: str, day: date, pol: PostLoanPolicy) -> bool:
    """Pull an open inspection forward when the loan's category needs visits sooner than planned; ``True`` when
    it was rescheduled."""
    due = day + timedelta(days=inspection_interval(pol, category))
    if date.fromisoformat(task["due_on"]) <= due or Category(category).rank <= Category(task.get("category") or "pass").rank:
        return False
    current = inspections.get_unscoped(task["task_id"])
    if current is None or current.get("status") != "open":
        return False
    after = {**current, "due_on": due.isoformat(), "category": category}
    try:
        inspections.update(current, after, actor_id="system", action="inspection.rescheduled",
                           reason=f"classified {category} on {day.isoformat()}")
    except Conflict:
        return False
    return True


def _plan_loan(jr: jobs.JobRun, loan: Item, category: str, day: date, pol: PostLoanPolicy) -> None:
    """A loan without an open inspection: its first one (deterministic id: planned once), or, when that
    exists, the next periodic one after its last visit."""
    start = loan.get("disbursed_on") or loan.get("start_date")
    kind, due = next_inspection_due(pol, category=category, disbursed_on=date.fromisoformat(start) if start else day,
                                    last_inspected_on=None, today=day)
    first = inspections.new_task(loan, kind=kind, due_on=due, category=category, day=day,
                                 assignee_id=loan_manager(loan))
    if inspections.create(first, actor_id="system"):
        jr.count("tasks_planned")
        return
    history = inspections.for_loan(loan["loan_id"])
    if any(t.get("status") == "open" for t in history):
        jr.count("tasks_existing")
        return
    done = sorted((t for t in history if t.get("status") == "done"), key=lambda t: t["completed_on"])
    if not done:
        jr.count("tasks_existing")  # the first inspection was cancelled: nothing to chain from
        return
    kind, due = next_inspection_due(pol, category=category, disbursed_on=None,
                                    last_inspected_on=date.fromisoformat(done[-1]["completed_on"]), today=day)
    task = inspections.new_task(loan, kind=kind, due_on=due, category=category, day=day,
                                assignee_id=loan_manager(loan), previous_task_id=done[-1]["task_id"])
    jr.count("tasks_planned" if inspections.create(task, actor_id="system") else "tasks_existing")


@dataclass
class _Planning:
    """What the planning pass keeps per shard (whole units: one shard at a time is in memory)."""

    jr: jobs.JobRun
    pol: PostLoanPolicy
    risk: dict[str, str]
    open_tasks: dict[str, dict[str, Item]] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)

    def load_open(self, shard: str) -> None:
        if shard not in self.open_tasks:
            self.open_tasks[shard] = {t["loan_id"]: t for t in all_pages(lambda c: inspections.open_page(shard, c))}
            self.seen[shard] = set()

    def fetch(self, shard: str, cursor: str | None) -> tuple[list[Item], str | None]:
        self.load_open(shard)
        return postloan.active_loans_page(shard, cursor)

    def plan(self, shard: str, items: list[Item]) -> None:
        jr, day = self.jr, self.jr.day
        self.load_open(shard)
        items = [i for i in items if active_on(i, day)]
        new = [i for i in items if i["loan_id"] not in self.open_tasks[shard]]
        self.seen[shard].update(i["loan_id"] for i in items)
        jr.count("active_loans", len(items))
        for loan in items:
            task = self.open_tasks[shard].get(loan["loan_id"])
            if task is not None and loan["loan_id"] in self.risk and \
                    replan_inspection(task, self.risk[loan["loan_id"]], day, self.pol):
                jr.count("tasks_rescheduled")
        for loan in new:
            try:
                _plan_loan(jr, loan, self.risk.get(loan["loan_id"], Category.PASS.value), day, self.pol)
            except (KeyError, ValueError, TypeError) as exc:
                skip(jr, loan, exc)

    def close_orphans(self, shard: str) -> None:
        """Cancel the open tasks of loans the shard's pass did not see active (closed loans)."""
        seen = self.seen.get(shard, set())
        orphans = [t for lid, t in self.open_tasks.get(shard, {}).items() if lid not in seen]
        loans = postloan.loans_by_id([t["loan_id"] for t in orphans]) if orphans else {}
        for task in orphans:
            loan = loans.get(task["loan_id"])
            if loan is not None and loan.get("status") == "active":
                continue
            try:
                inspections.update(task, {**task, "status": "cancelled", "cancel_reason": "loan closed",
                                          "completed_on": self.jr.day.isoformat()},
                                   actor_id="system", action="inspection.cancelled", reason="loan closed")
                self.jr.count("tasks_cancelled")
            except Conflict:
                pass
        self.open_tasks.pop(shard, None)
        self.seen.pop(shard, None)


def inspections_job(jr: jobs.JobRun) -> dict[str, Any]:
    """The body of the ``inspections`` run of ``jr.day``."""
    day = jr.day
    risk: dict[str, str] = {}
    for inst in postloan.institutions():
        risk.update({s["loan_id"]: s["category"] for s in all_pages(functools.partial(postloan.risk_page, inst))
                     if s.get("classified_on") == day.isoformat() or s.get("status") == "active"})
    planning = _Planning(jr, policy(day), risk)
    jr.pages("plan", postloan.shards(), planning.fetch, planning.plan, whole_units=True,
             on_unit_done=planning.close_orphans)
    return {}


def on_loan_opened(loan: dict[str, Any]) -> str | None:
    """For the loans context to call right after a loan account is opened (outside its transaction):
    plans the first inspection at once and notes the draw for the cycling check. Never raises (the daily
    jobs catch up on anything missed); returns the first inspection's task id, or ``None``."""
    try:
        day = date.fromisoformat(str(loan.get("start_date") or loan.get("disbursed_on")))
        pol = policy(day)
        kind, due = next_inspection_due(pol, category=Category.PASS.value, disbursed_on=day, last_inspected_on=None,
                                        today=day)
        task = inspections.new_task(loan, kind=kind, due_on=due, category=Category.PASS.value, day=day,
                                    assignee_id=loan_manager(loan))
        inspections.create(task, actor_id="system")
        scan_repo.record_draws({loan["household_id"]: [(loan["loan_id"], day.isoformat())]},
                              keep_from=(day - timedelta(days=pol.cycling_window_days)).isoformat())
        return str(task["task_id"])
    except Exception:  # noqa: BLE001 - a post-loan hook must never break a disbursement
        from chalicelib.platform.observability import logger

        logger().exception("post-loan hook failed", extra={"loan_id": loan.get("loan_id")})
        return None
