"""Post-loan management (贷后管理): the scheduled jobs and the inspection visit.

Jobs (``functions/jobs/*.py`` call :func:`run_job`; each is one run per business date, checkpointed and
resumable, see :mod:`chalicelib.admin.service.jobs`), in their daily order:

1. ``loan_classification``: days past due and five-category classification of every overdue loan
   (the loans' index keys before the business date) and of every loan that was at risk and is not any
   more (cured or closed); a change of category is stored with its history and audit record (the
   classification job does not touch inspections: job 3 re-plans them).
2. ``penalty_accrual``: the day's penalty interest on overdue principal, computed with the loans
   subsystem's own accrual (:func:`chalicelib.loans.domain.servicing.accrue_penalties`), recorded once per
   loan and date in the post-loan ledger.
3. ``inspections``: a first inspection for every new loan, a periodic one after every visit (planned
   by the visit itself), an open task pulled forward when the loan's category (as classified by job 1)
   needs more frequent visits (:func:`replan_inspection`), tasks of closed loans cancelled.
4. ``warning_scan``: the ``warning_rules`` decision table over loans at risk or with inspection
   findings, households with negative third-party data, expiring lines, expired ratings or frequent
   draw-repay cycles, and the portfolios of villages and account managers; signals raised, escalated
   or marked cleared; portfolio snapshots.
5. ``reminders``: repayment due (T-7, T-1), overdue, line expiry (T-30), rating expiry (T-30, and
   ``rating_expired_manager`` on its last valid day), by SMS to the household and push to the account
   manager (outbox: exactly once); a malformed loan item is skipped and counted (``loans_skipped``).

Jobs 2-5 need job 1 for the same date (:class:`PrerequisiteNotMet` otherwise).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform import dynamo
from chalicelib.platform.errors import Conflict, DomainError
from chalicelib.postloan.data import inspections, notifications, postloan
from chalicelib.postloan.data import warnings as warning_repo
from chalicelib.postloan.domain import notification_templates as nt
from chalicelib.postloan.domain.classification import Category, classify
from chalicelib.postloan.domain.parameters import PostLoanPolicyDocument
from chalicelib.postloan.domain.postloan import (
    ZERO,
    LoanFacts,
    Portfolio,
    PostLoanPolicy,
    institution_of,
    loan_facts,
    next_inspection_due,
    overdue_reminder_due,
)
from chalicelib.postloan.domain.warning_rules import Firing, WarningRuleSet

CLASSIFICATION = "loan_classification"
PENALTY = "penalty_accrual"
INSPECTIONS = "inspections"
WARNING_SCAN = "warning_scan"
REMINDERS = "reminders"
JOBS = (CLASSIFICATION, PENALTY, INSPECTIONS, WARNING_SCAN, REMINDERS)


class PrerequisiteNotMet(DomainError, jobs.NotYet):
    """A job ran before the classification of its business date completed (retry later)."""

    status = 409
    code = "PREREQUISITE_NOT_MET"


# ================================================================================================ config
_PARAM_CACHE: dict[tuple[str, date], tuple[float, tuple[Any, int | None]]] = {}
_PARAM_TTL_SECONDS = 60.0


def _parameter(name: str, day: date) -> tuple[Any, int | None]:
    """``(model, version)`` of a parameter on ``day`` (:func:`chalicelib.platform.parameters.load`: the shipped
    default, version ``None``, if none is stored; models of :mod:`chalicelib.postloan.domain.parameters`); the
    look-up is cached for a minute so that a job reads each document once."""
    import time

    from chalicelib.platform import parameters

    hit = _PARAM_CACHE.get((name, day))
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = parameters.load(name, day)
    _PARAM_CACHE[(name, day)] = (time.monotonic() + _PARAM_TTL_SECONDS, value)
    return value


def policy(day: date) -> PostLoanPolicy:
    """The post-loan policy in force on ``day``."""
    policy_doc: PostLoanPolicyDocument = _parameter("postloan_policy", day)[0]
    return policy_doc.policy


def classification_rule(day: date) -> tuple[dict[str, Any], int | None]:
    """``(document, version)`` of the five-category rule in force on ``day``."""
    rule, version = _parameter("classification_rule", day)
    return rule.document, version


def warning_rules(day: date) -> WarningRuleSet:
    """The compiled warning rules in force on ``day`` (recording their version)."""
    rules, version = _parameter("warning_rules", day)
    return rules.rule_set(version)


@functools.lru_cache(maxsize=256)
def _org_name(org_id: str) -> str:
    from chalicelib.admin import public as orgs

    org = orgs.get_org(org_id)
    return org["name"] if org else org_id


def bank_name(org_path: str) -> str:
    try:
        return _org_name(institution_of(org_path))
    except ValueError:
        return "农村信用社"


def _require_classified(day: date) -> None:
    run = jobs.run_of(CLASSIFICATION, day)
    if not run or run.get("status") != "completed":
        raise PrerequisiteNotMet(f"the loan classification of {day} has not completed yet",
                                 details={"business_date": day.isoformat()})


# ================================================================================================ loans
def loan_manager(loan: dict[str, Any]) -> str | None:
    """The account manager responsible for a loan (loan item field; see docs/notes/postloan-needs.md)."""
    return loan.get("account_manager_id") or loan.get("manager_id")


def _household_manager(household_id: str) -> str | None:
    from chalicelib.customers import public as customers

    manager = customers.responsible_manager(customers.get_unscoped(household_id))
    if manager:
        return manager
    for loan in _household_loans(household_id):
        if loan.get("status") == "active" and loan_manager(loan):
            return loan_manager(loan)
    return None


def _household_loans(household_id: str) -> list[dict[str, Any]]:
    from chalicelib.loans import public as loans

    return loans.for_household_unscoped(household_id)


def _active_on(loan: dict[str, Any], day: date) -> bool:
    """An active loan item that existed on ``day`` (a job replaying a past date ignores later loans)."""
    start = str(loan.get("start_date") or loan.get("disbursed_on") or "")
    return loan.get("kind") == "loan" and loan.get("status") == "active" and start <= day.isoformat()


def _facts_of(loan: dict[str, Any], day: date, records: list[dict[str, Any]] | None = None) -> LoanFacts:
    """Facts of a loan from its installments; without installment items, from the loan item's own
    ``next_due_date`` (the first open installment: the oldest unpaid one once it is past)."""
    item = dict(loan)
    if "installments" not in item:
        found = records if records is not None else postloan.installments(loan["loan_id"])
        if found:
            item["installments"] = found
        else:
            item.setdefault("oldest_unpaid_due_date", item.get("next_due_date"))
    return loan_facts(item, day)


# ================================================================================================ job entry
def run_job(job: str, event: Any, context: Any) -> dict[str, Any]:
    bodies: dict[str, Callable[[jobs.JobRun], dict[str, Any] | None]] = {
        CLASSIFICATION: classification_job, PENALTY: penalty_job, INSPECTIONS: inspections_job,
        WARNING_SCAN: warning_scan_job, REMINDERS: reminders_job}
    return jobs.run(job, event, context, bodies[job])


# ================================================================================================ 1 classification
def _save_state(before: dict[str, Any] | None, after: dict[str, Any], *, day: date, dpd: int,
                rule_version: int | None, reason: str) -> str:
    """Store a state if anything changed: ``changed`` (category, with history), ``refreshed``, ``same``."""
    old_cat = (before or {}).get("category", Category.PASS.value)
    if before is None and after["category"] == Category.PASS.value and dpd == 0:
        return "same"
    if old_cat != after["category"]:
        after["category_since"] = day.isoformat()
        postloan.change_category(before, after, day=day, dpd=dpd, rule_version=rule_version, reason=reason)
        return "changed"
    if before is None:
        tx = dynamo.TxBuilder()
        dynamo.put_versioned(tx, postloan._table(), postloan.with_state_keys(after), expected_version=None,
                             entity="loan_state")
        tx.commit()
        return "refreshed"
    keys = ("dpd", "classified_on", "oldest_unpaid_due_date", "outstanding_principal", "overdue_principal",
            "overdue_interest", "status", "closed_on", "village_code", "account_manager_id", "rule_version")
    if all(str(before.get(k)) == str(after.get(k)) for k in keys):
        return "same"
    postloan.refresh_facts(before, after)
    return "refreshed"


def _classify_loan(jr: jobs.JobRun, loan: dict[str, Any], state: dict[str, Any] | None, rule: dict[str, Any],
                   rule_version: int | None, records: list[dict[str, Any]] | None) -> None:
    day = jr.day
    if state and str(state.get("classified_on") or "") > day.isoformat():
        jr.count("newer_classification_kept")  # a late run of a past date never turns the clock back
        return
    facts = _facts_of(loan, day, records)
    dpd = facts.dpd
    category = classify(dpd, rule, assessed=(state or {}).get("assessed_category")).value
    after = dict(state) if state else postloan.new_state(loan)
    after.update(status="active", category=category, dpd=dpd, classified_on=day.isoformat(),
                 oldest_unpaid_due_date=facts.oldest_unpaid_due_date.isoformat() if facts.oldest_unpaid_due_date else None,
                 outstanding_principal=facts.outstanding_principal, overdue_principal=facts.overdue_principal,
                 overdue_interest=facts.overdue_interest, rule_version=rule_version,
                 account_manager_id=loan_manager(loan) or after.get("account_manager_id"),
                 village_code=loan.get("village_code") or after.get("village_code"))
    for attempt in range(3):
        try:
            outcome = _save_state(state, after, day=day, dpd=dpd, rule_version=rule_version,
                                  reason=f"{dpd} days past due on {day.isoformat()}")
            break
        except Conflict as exc:
            if exc.code not in ("VERSION_CONFLICT", "LOAN_STATE_EXISTS", "CONCURRENT_UPDATE") or attempt == 2:
                raise
            state = postloan.get_state(loan["loan_id"])
            after = {**(state or {}), **{k: v for k, v in after.items() if k not in ("version", "updated_at",
                                                                                     "created_at")}}
    jr.count(f"classification_{outcome}")
    if outcome == "changed":
        jr.count(f"now_{category}")


def classification_job(jr: jobs.JobRun) -> dict[str, Any]:
    day = jr.day
    rule, rule_version = classification_rule(day)

    def overdue(shard: str, items: list[dict[str, Any]]) -> None:
        items = [i for i in items if i.get("kind") == "loan" and i.get("status") == "active"]
        if not items:
            return
        states = postloan.states_by_id([i["loan_id"] for i in items])
        records = postloan.installments_for(items)
        for loan in items:
            jr.count("loans_overdue_seen")
            try:
                _classify_loan(jr, loan, states.get(loan["loan_id"]), rule, rule_version, records.get(loan["loan_id"]))
            except (KeyError, ValueError, TypeError) as exc:  # a malformed loan item must not stop the run
                _skip(jr, loan, exc)

    jr.pages("overdue", postloan.shards(),
             lambda s, c: postloan.active_loans_page(s, c, due_before=day), overdue)

    def previously_at_risk(inst: str, items: list[dict[str, Any]]) -> None:
        stale = [s for s in items if s.get("classified_on") != day.isoformat() and s.get("status") == "active"]
        if not stale:
            return
        loans = postloan.loans_by_id([s["loan_id"] for s in stale])
        records = postloan.installments_for([ln for ln in loans.values() if ln.get("status") == "active"])
        for state in stale:
            jr.count("at_risk_rechecked")
            loan = loans.get(state["loan_id"])
            if loan is None or loan.get("status") != "active" or not loan.get("next_due_date"):
                after = {**state, "status": "closed", "closed_on": (loan or {}).get("closed_on") or day.isoformat(),
                         "dpd": 0, "classified_on": day.isoformat()}
                _save_state(state, after, day=day, dpd=0, rule_version=rule_version, reason="loan closed")
                jr.count("states_closed")
                continue
            try:
                _classify_loan(jr, loan, state, rule, rule_version, records.get(loan["loan_id"]))
            except (KeyError, ValueError, TypeError) as exc:
                _skip(jr, loan, exc)

    jr.pages("cured_or_closed", postloan.institutions(), lambda i, c: postloan.risk_page(i, c), previously_at_risk)
    return {"rule_version": rule_version}


def _skip(jr: jobs.JobRun, loan: dict[str, Any], exc: Exception) -> None:
    from chalicelib.platform.observability import logger

    jr.count("loans_skipped")
    logger().warning("loan item skipped", extra={"loan_id": loan.get("loan_id"), "error": f"{type(exc).__name__}: {exc}"})


# ================================================================================================ 2 penalty
def penalty_job(jr: jobs.JobRun) -> dict[str, Any]:
    from chalicelib.loans.public import accrue_penalties

    day = jr.day
    _require_classified(day)

    def accrue(inst: str, items: list[dict[str, Any]]) -> None:
        due = [s for s in items if s.get("status") == "active" and int(s.get("dpd") or 0) > 0
               and s.get("classified_on") == day.isoformat()
               and str(s.get("penalty_accrued_through") or "") < day.isoformat()]
        if not due:
            return
        loans = postloan.loans_by_id([s["loan_id"] for s in due])
        all_records = postloan.installments_for([ln for ln in loans.values() if ln.get("status") == "active"])
        for state in due:
            loan = loans.get(state["loan_id"])
            if loan is None or loan.get("status") != "active":
                continue
            try:
                records = all_records.get(loan["loan_id"]) or []
                accrued = accrue_penalties(records, day, annual_rate=Decimal(str(loan["annual_rate"])),
                                           uplift=Decimal(str(loan.get("penalty_uplift", "0.5"))),
                                           grace_days=int(loan.get("grace_days", 0)),
                                           day_count=loan.get("day_count", "ACT/360"))
            except (KeyError, ValueError, TypeError, DomainError) as exc:
                _skip(jr, loan, exc)
                continue
            cumulative = sum((Decimal(str(r.get("penalty_accrued") or 0)) for r in accrued), ZERO)
            amount = cumulative - Decimal(str(state.get("penalty_accrued_total") or 0))
            if amount <= 0:
                jr.count("penalty_nothing_to_accrue")
                continue
            since = state.get("penalty_accrued_through") or state.get("oldest_unpaid_due_date")
            days = (day - date.fromisoformat(since)).days if since else 0
            tx = dynamo.TxBuilder()
            postloan.add_penalty_accrual(tx, state, day=day, days=days, amount=amount, basis={
                "overdue_principal": state.get("overdue_principal"), "annual_rate": Decimal(str(loan["annual_rate"])),
                "uplift": Decimal(str(loan.get("penalty_uplift", "0.5"))), "grace_days": int(loan.get("grace_days", 0)),
                "day_count": loan.get("day_count", "ACT/360"), "cumulative": cumulative})
            tx.audit(postloan._settings().audit_table, dynamo.Audit(
                "loan", loan["loan_id"], "loan.penalty_accrued", "system", before={"penalty_accrued_total": str(
                    state.get("penalty_accrued_total") or "0")}, after={"penalty_accrued_total": str(cumulative),
                                                                     "business_date": day.isoformat()},
                org_path=loan["org_path"]))
            try:
                tx.commit()
            except Conflict:
                jr.count("penalty_already_accrued")
                continue
            jr.count("penalty_accrued")
            jr.count("penalty_fen", int(amount * 100))

    jr.pages("accrue", postloan.institutions(), lambda i, c: postloan.risk_page(i, c), accrue)
    return {}


# ================================================================================================ 3 inspections
def replan_inspection(task: dict[str, Any], category: str, day: date, pol: PostLoanPolicy) -> bool:
    """Pull an open inspection forward when the loan's category needs visits sooner than planned."""
    from chalicelib.postloan.domain.postloan import inspection_interval

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


def _plan_loan(jr: jobs.JobRun, loan: dict[str, Any], category: str, day: date, pol: PostLoanPolicy) -> None:
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


def inspections_job(jr: jobs.JobRun) -> dict[str, Any]:
    day = jr.day
    pol = policy(day)
    seen: dict[str, set[str]] = {}
    open_tasks: dict[str, dict[str, dict[str, Any]]] = {}
    risk: dict[str, str] = {}
    for inst in postloan.institutions():
        cursor = None
        while True:
            items, cursor = postloan.risk_page(inst, cursor)
            risk.update({s["loan_id"]: s["category"] for s in items if s.get("classified_on") == day.isoformat()
                         or s.get("status") == "active"})
            if not cursor:
                break

    def load_open(shard: str) -> None:
        tasks: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            items, cursor = inspections.open_page(shard, cursor)
            for t in items:
                tasks[t["loan_id"]] = t
            if not cursor:
                break
        open_tasks[shard] = tasks
        seen[shard] = set()

    def plan(shard: str, items: list[dict[str, Any]]) -> None:
        if shard not in open_tasks:
            load_open(shard)
        items = [i for i in items if _active_on(i, day)]
        new = [i for i in items if i["loan_id"] not in open_tasks[shard]]
        seen[shard].update(i["loan_id"] for i in items)
        jr.count("active_loans", len(items))
        for loan in items:
            task = open_tasks[shard].get(loan["loan_id"])
            if task is not None and loan["loan_id"] in risk and replan_inspection(task, risk[loan["loan_id"]], day, pol):
                jr.count("tasks_rescheduled")
        if not new:
            return
        for loan in new:
            try:
                _plan_loan(jr, loan, risk.get(loan["loan_id"], Category.PASS.value), day, pol)
            except (KeyError, ValueError, TypeError) as exc:
                _skip(jr, loan, exc)

    def close_orphans(shard: str) -> None:
        orphans = [t for lid, t in open_tasks.get(shard, {}).items() if lid not in seen.get(shard, set())]
        if orphans:
            loans = postloan.loans_by_id([t["loan_id"] for t in orphans])
            for task in orphans:
                loan = loans.get(task["loan_id"])
                if loan is not None and loan.get("status") == "active":
                    continue
                try:
                    inspections.update(task, {**task, "status": "cancelled", "cancel_reason": "loan closed",
                                              "completed_on": day.isoformat()},
                                       actor_id="system", action="inspection.cancelled", reason="loan closed")
                    jr.count("tasks_cancelled")
                except Conflict:
                    pass
        open_tasks.pop(shard, None)
        seen.pop(shard, None)

    def fetch(shard: str, cursor: str | None):
        if shard not in open_tasks:
            load_open(shard)
        return postloan.active_loans_page(shard, cursor)

    jr.pages("plan", postloan.shards(), fetch, plan, whole_units=True, on_unit_done=close_orphans)
    return {}


# ================================================================================================ hooks
def on_loan_opened(loan: dict[str, Any]) -> str | None:
    """For the loans subsystem to call right after a loan account is opened (outside its transaction):
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
        postloan.record_draws({loan["household_id"]: [(loan["loan_id"], day.isoformat())]},
                              keep_from=(day - timedelta(days=pol.cycling_window_days)).isoformat())
        return task["task_id"]
    except Exception:  # noqa: BLE001 - a post-loan hook must never break a disbursement
        from chalicelib.platform.observability import logger

        logger().exception("post-loan hook failed", extra={"loan_id": loan.get("loan_id")})
        return None


# ================================================================================================ visits
def photo_upload(principal: Any, task_id: str, content_type: str) -> dict[str, Any]:
    """A presigned S3 PUT for one inspection photo (key under ``inspections/<task_id>/``). Raises NotFound
    ``INSPECTION_NOT_FOUND``, Forbidden ``NOT_ASSIGNEE`` (another account manager's task), Conflict
    ``INSPECTION_NOT_OPEN``."""
    import uuid

    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    task = inspections.get_for_change(principal, task_id)
    if task["status"] != "open":
        raise Conflict("the inspection is not open", code="INSPECTION_NOT_OPEN")
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}[content_type]
    key = f"{inspections.photo_prefix(task_id)}{uuid.uuid4().hex}.{ext}"
    url = aws.s3().generate_presigned_url(
        "put_object", Params={"Bucket": get_settings().documents_bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=900)
    return {"key": key, "upload_url": url, "content_type": content_type, "expires_in": 900}


def record_visit(principal: Any, task_id: str, *, version: int, gps: dict[str, Decimal], photos: list[str],
                 findings: str, purpose_confirmed: bool, risk_observed: bool, visited_at: str | None) -> dict[str, Any]:
    """Record an inspection visit: the task is done, the next periodic task planned, the purpose check
    stored on the loan's post-loan state (one transaction); an unconfirmed purpose is evaluated by the
    warning rules at once.

    Raises NotFound ``INSPECTION_NOT_FOUND`` (unknown or out of scope), Forbidden ``NOT_ASSIGNEE`` (an account
    manager recording another's task), Conflict ``INSPECTION_NOT_OPEN`` / ``VERSION_CONFLICT``,
    ValidationFailed ``VISITED_AT_INVALID`` / ``VISITED_AT_IN_FUTURE`` (field ``visited_at``: ISO 8601 with a
    UTC offset, at most a few minutes ahead of the server's clock), ``PHOTO_NOT_OF_TASK`` (a key not issued
    by :func:`photo_upload` for this task), ``PHOTO_DUPLICATE``, ``PHOTO_NOT_FOUND`` (field ``photos[i]``)."""
    import re
    from datetime import datetime

    from botocore.exceptions import ClientError

    from chalicelib.platform import aws
    from chalicelib.platform.clock import business_date, utc_now_iso
    from chalicelib.platform.errors import ValidationFailed
    from chalicelib.platform.settings import get_settings
    from chalicelib.postloan.domain.postloan import visit_time

    task = inspections.get_for_change(principal, task_id)
    if task["status"] != "open":
        raise Conflict(f"the inspection is {task['status']}", code="INSPECTION_NOT_OPEN")
    if int(task["version"]) != int(version):
        raise Conflict("the inspection was changed by someone else; reload", code="VERSION_CONFLICT", field="version")
    from chalicelib.loans import public as loan_repo

    loan = loan_repo.get(task["loan_id"]) or {}
    start = loan.get("start_date")
    visited_at = visit_time(visited_at, datetime.now(UTC),
                            not_before=date.fromisoformat(start) if start else None)
    prefix = inspections.photo_prefix(task_id)
    issued = re.compile(re.escape(prefix) + r"[0-9a-f]{32}\.(?:jpg|png|heic)")
    s3 = aws.s3()
    for i, key in enumerate(photos):
        if not issued.fullmatch(key):
            raise ValidationFailed("a photo must be uploaded for this inspection", code="PHOTO_NOT_OF_TASK",
                                   field=f"photos[{i}]")
        if key in photos[:i]:
            raise ValidationFailed("the same photo is listed twice", code="PHOTO_DUPLICATE", field=f"photos[{i}]")
        try:
            s3.head_object(Bucket=get_settings().documents_bucket, Key=key)
        except ClientError:
            raise ValidationFailed("this photo was not uploaded", code="PHOTO_NOT_FOUND", field=f"photos[{i}]") from None
    from chalicelib.loans import public as loan_repo

    loan = loan_repo.get(task["loan_id"]) or {"loan_id": task["loan_id"], "household_id": task["household_id"],
                                               "org_path": task["org_path"], "status": "closed"}
    day = business_date()
    pol = policy(day)
    state = postloan.get_state(task["loan_id"])
    category = (state or {}).get("category", Category.PASS.value)
    done = {**task, "status": "done", "completed_by": principal.user_id, "completed_on": day.isoformat(),
            "visit": {"visited_at": visited_at, "recorded_at": utc_now_iso(),
                      "gps": gps, "photos": photos, "findings": findings, "purpose_confirmed": purpose_confirmed,
                      "risk_observed": risk_observed}}
    tx = dynamo.TxBuilder()
    stored = inspections.add_update(tx, task, done, actor_id=principal.user_id, action="inspection.recorded",
                                    reason=findings[:200])
    if loan.get("status") == "active":
        kind, due = next_inspection_due(pol, category=category, disbursed_on=None, last_inspected_on=day, today=day)
        nxt = inspections.new_task(loan, kind=kind, due_on=due, category=category, day=day,
                                   assignee_id=task.get("assignee_id") or loan_manager(loan), previous_task_id=task_id)
        inspections.add_create(tx, nxt, actor_id=principal.user_id)
        stored["next_task_id"] = nxt["task_id"]
        postloan.set_purpose_confirmed({**loan, "village_code": loan.get("village_code") or task.get("village_code"),
                                        "account_manager_id": loan_manager(loan) or task.get("assignee_id")},
                                       purpose_confirmed, actor_id=principal.user_id, day=day, tx=tx)
    tx.commit()
    if not purpose_confirmed and loan.get("status") == "active":
        evaluate_loan_now(task["loan_id"], day)
    return stored


def evaluate_loan_now(loan_id: str, day: date) -> list[str]:
    """Evaluate the warning rules for one loan at once (after an inspection finding)."""
    state = postloan.get_state(loan_id)
    if state is None:
        return []
    rules = warning_rules(day)
    pol = policy(day)
    task = inspections.open_for_loan(loan_id)
    facts = _loan_rule_facts(state, task, day, as_last_classified=True)
    outcomes = _apply_rules(rules, pol, "loan", loan_id, facts, _loan_meta(state, task), day, {}, None)
    return outcomes


# ================================================================================================ 4 warning scan
def _loan_rule_facts(state: dict[str, Any] | None, task: dict[str, Any] | None, day: date, *,
                     as_last_classified: bool = False) -> dict[str, Any]:
    """Rule facts of a loan on ``day``: days past due and arrears from its state when the classification
    of that day saw it (or, ``as_last_classified``, from its last classification), else none."""
    current = bool(state) and state.get("status") == "active" and (
        as_last_classified or state.get("classified_on") == day.isoformat())
    overdue_days = 0
    if task and task.get("status") == "open":
        overdue_days = max(0, (day - date.fromisoformat(task["due_on"])).days)
    purpose = (state or {}).get("purpose_confirmed") if (state or {}).get("status") == "active" else None
    return {"dpd": int(state.get("dpd") or 0) if current else 0,
            "interest_arrears": Decimal(str(state.get("overdue_interest") or 0)) if current else ZERO,
            "inspection_overdue_days": overdue_days,
            "purpose_confirmed": purpose if purpose is False else None,
            "category": (state or {}).get("category", "pass") if current else "pass"}


def _loan_meta(state: dict[str, Any] | None, task: dict[str, Any] | None,
               signal: dict[str, Any] | None = None) -> dict[str, Any]:
    src = state or task or signal or {}
    return {"org_path": src["org_path"], "household_id": src.get("household_id"), "loan_id": src.get("loan_id"),
            "village_code": src.get("village_code"),
            "assignee_id": (state or {}).get("account_manager_id") or (task or {}).get("assignee_id")
            or (signal or {}).get("assignee_id")}


def _apply_rules(rules: WarningRuleSet, pol: PostLoanPolicy, subject_type: str, subject_id: str,
                 facts: dict[str, Any], meta: dict[str, Any], day: date,
                 active: dict[tuple[str, str], dict[str, dict[str, Any]]], jr: jobs.JobRun | None) -> list[str]:
    """Evaluate one subject; raise/escalate fired rules; mark active signals whose rule no longer fires."""
    fired: list[Firing] = rules.evaluate(subject_type, facts)
    mine = active.get((subject_type, subject_id), {})
    outcomes = []
    evidence = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in facts.items()}
    for f in fired:
        outcome, signal = warning_repo.raise_signal(
            rule_id=f.rule_id, level=f.level, reason=f.reason, rule_set=rules.rule_set, rule_version=rules.version,
            subject_type=subject_type, subject_id=subject_id, org_path=meta["org_path"], day=day, evidence=evidence,
            assignee_id=meta.get("assignee_id"), loan_id=meta.get("loan_id"), household_id=meta.get("household_id"),
            village_code=meta.get("village_code"), reraise_after_days=pol.reraise_after_days,
            known_active=mine.get(f.rule_id), preloaded=jr is not None)
        outcomes.append(outcome)
        if jr:
            jr.count(f"signals_{outcome}")
            jr.count(f"fired_{f.rule_id}")
        if signal is not None:
            mine[f.rule_id] = signal
        if outcome in ("raised", "escalated") and signal and f.level in pol.notify_levels and signal.get("assignee_id"):
            _notify_signal(signal, day, meta)
    fired_ids = {f.rule_id for f in fired}
    for rule_id, signal in list(mine.items()):
        if rule_id not in fired_ids and signal.get("status") in warning_repo.ACTIVE and \
                warning_repo.mark_cleared(signal, day) is not None and jr:
            jr.count("signals_cleared")
    return outcomes


def _subject_label(signal: dict[str, Any], meta: dict[str, Any]) -> str:
    kind, sid = signal["subject_type"], signal["subject_id"]
    if kind == "loan":
        return f"贷款尾号{nt.ref(sid)}"
    if kind == "household":
        return f"农户尾号{nt.ref(sid)}"
    if kind == "village":
        return str(meta.get("village_name") or f"村{sid}")
    return "客户经理管户贷款"


def _notify_signal(signal: dict[str, Any], day: date, meta: dict[str, Any]) -> None:
    try:
        templates = _parameter("notification_templates", day)[0].document
        channel, text = nt.render(templates, "warning_raised", {
            "level_zh": nt.LEVEL_ZH[signal["level"]], "reason": signal["reason"],
            "subject": _subject_label(signal, meta)})
        notifications.send_once(template="warning_raised", channel=channel, recipient_type="user",
                                recipient_id=signal["assignee_id"], reference=signal["signal_id"],
                                about=signal["level"], day=day, text=text, org_path=signal["org_path"],
                                household_id=signal.get("household_id"))
    except DomainError:
        from chalicelib.platform.observability import logger

        logger().exception("warning notification not sent", extra={"signal_id": signal["signal_id"]})


def _preload_active() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for inst in postloan.institutions():
        for sig in warning_repo.active_for_institution(inst):
            out.setdefault((sig["subject_type"], sig["subject_id"]), {})[sig["rule_id"]] = sig
    return out


def warning_scan_job(jr: jobs.JobRun) -> dict[str, Any]:
    day = jr.day
    _require_classified(day)
    rules = warning_rules(day)
    pol = policy(day)
    rule_doc, _ = classification_rule(day)
    active = _preload_active()

    # ---------------------------------------------------------------- portfolios (every active loan once)
    acc: dict[str, Any] = {}

    def reset(_shard: str | None = None) -> None:
        acc.clear()
        acc.update(villages={}, managers={}, orgs={}, recent={}, judicial={})

    reset()

    def portfolio(shard: str, items: list[dict[str, Any]]) -> None:
        from chalicelib.adapters import judicial

        items = [i for i in items if _active_on(i, day)]
        overdue_ids = [i["loan_id"] for i in items if (i.get("next_due_date") or "9999") < day.isoformat()]
        states = postloan.states_by_id(overdue_ids) if overdue_ids else {}
        recent_from = (day - timedelta(days=2)).isoformat()  # drawn since the last daily scan (one day slack)
        for loan in items:
            try:
                dpd = max(0, (day - date.fromisoformat(loan["next_due_date"])).days)
                st = states.get(loan["loan_id"])
                cat = st["category"] if st and st.get("classified_on") == day.isoformat() else classify(dpd, rule_doc).value
                out = Decimal(str(loan.get("outstanding_principal", 0)))
                mgr = loan_manager(loan)
                args = dict(outstanding=out, dpd=dpd, category=cat, org_path=loan["org_path"], account_manager_id=mgr)
                if loan.get("village_code"):
                    acc["villages"].setdefault(loan["village_code"], Portfolio()).add(**args)
                if mgr:
                    acc["managers"].setdefault(mgr, Portfolio()).add(**args)
                acc["orgs"].setdefault(loan["org_path"], Portfolio()).add(**args)
                start = str(loan.get("start_date") or loan.get("disbursed_on") or "")
                if start > recent_from:
                    acc["recent"].setdefault(loan["household_id"], []).append([loan["loan_id"], start])
            except (KeyError, ValueError, TypeError) as exc:
                _skip(jr, loan, exc)
        jr.count("active_loans", len(items))
        for hh, entry in judicial.listed({i["household_id"] for i in items}).items():
            acc["judicial"][hh] = entry

    def save_part(shard: str) -> None:
        jobs.put_run_part(WARNING_SCAN, day, f"shard-{shard}", {
            "villages": {k: p.to_dict() for k, p in acc["villages"].items()},
            "managers": {k: p.to_dict() for k, p in acc["managers"].items()},
            "orgs": {k: p.to_dict() for k, p in acc["orgs"].items()},
            "recent": acc["recent"], "judicial": acc["judicial"]})
        reset()

    def fetch(shard: str, cursor: str | None):
        if cursor is None:
            reset()
        return postloan.active_loans_page(shard, cursor)

    jr.pages("portfolio", postloan.shards(), fetch, portfolio, whole_units=True, on_unit_done=save_part)

    # ---------------------------------------------------------------- loans
    def loans_phase() -> None:
        states: dict[str, dict[str, Any]] = {}
        for inst in postloan.institutions():
            for fetcher in (postloan.risk_page, postloan.flagged_page):
                cursor = None
                while True:
                    items, cursor = fetcher(inst, cursor)
                    for s in items:
                        states[s["loan_id"]] = s
                    if not cursor:
                        break
        tasks: dict[str, dict[str, Any]] = {}
        for shard in postloan.shards():
            cursor = None
            while True:
                items, cursor = inspections.open_page(shard, cursor, due_before=day)
                for t in items:
                    tasks[t["loan_id"]] = t
                if not cursor:
                    break
        signal_loans = {sid: next(iter(rules_.values())) for (kind, sid), rules_ in active.items() if kind == "loan"}
        missing = [lid for lid in set(tasks) | set(signal_loans) if lid not in states]
        states.update(postloan.states_by_id(missing) if missing else {})
        for loan_id in sorted(set(states) | set(tasks) | set(signal_loans)):
            state, task = states.get(loan_id), tasks.get(loan_id)
            facts = _loan_rule_facts(state, task, day)
            meta = _loan_meta(state, task, signal_loans.get(loan_id))
            _apply_rules(rules, pol, "loan", loan_id, facts, meta, day, active, jr)
            jr.count("loans_evaluated")

    jr.step("loans", loans_phase)

    # ---------------------------------------------------------------- households
    def households_phase() -> None:
        parts = jobs.run_parts(WARNING_SCAN, day)
        judicial_hits: dict[str, Any] = {}
        recent: dict[str, list[tuple[str, str]]] = {}
        for part in parts.values():
            judicial_hits.update(part.get("judicial") or {})
            for hh, seen in (part.get("recent") or {}).items():
                recent.setdefault(hh, []).extend((lid, start) for lid, start in seen)
        window_from = (day - timedelta(days=pol.cycling_window_days)).isoformat()
        # cycling: only a household seen drawing at least twice in the window is looked at closely; the
        # loan-opened hook notes draws too, so households whose loans were repaid before this scan count
        for back in (0, 1, 2):
            for hh in postloan.households_drawn_on(day - timedelta(days=back)):
                recent.setdefault(hh, [])
        draws = postloan.record_draws(recent, keep_from=window_from) if recent else {}
        cycling_candidates = {hh for hh, d in draws.items() if len(d) >= 2}
        facts: dict[str, dict[str, Any]] = {}
        meta: dict[str, dict[str, Any]] = {}

        def f(hh: str) -> dict[str, Any]:
            return facts.setdefault(hh, {"judicial_listed": False})

        for hh in judicial_hits:
            f(hh)["judicial_listed"] = True
        from chalicelib.rating import public as ratings

        about_to_expire: list[dict[str, Any]] = []
        for offset in range(0, max(pol.line_expiring_window_days, pol.rating_expired_lookback_days) + 1):
            for item in ratings.due_for_expiry((day + timedelta(days=offset)).isoformat()):
                kind = str(item.get("GSI3SK", "")).split("#", 1)[0]
                if kind == "LINE" and offset <= pol.line_expiring_window_days:
                    cur = f(item["household_id"]).get("line_days_to_expiry")
                    f(item["household_id"])["line_days_to_expiry"] = offset if cur is None else min(cur, offset)
                    meta.setdefault(item["household_id"], {"org_path": item["org_path"],
                                                           "village_code": item.get("village_code")})
                elif kind == "RATING" and offset <= pol.rating_expired_lookback_days:
                    about_to_expire.append(item)
        # ratings leave the expiry queue the night after their last valid day (rating_expiry job), so
        # the scan notes the ones about to expire and reads those notes back once they have expired
        postloan.note_rating_expiries(about_to_expire)
        expired: set[str] = set()
        from chalicelib.rating import public as rating_public

        for back in range(1, pol.rating_expired_lookback_days + 1):
            d = day - timedelta(days=back)
            for note in postloan.rating_expiries(d):
                hh = note["household_id"]
                if rating_public.rating_valid(rating_public.current_rating(hh), day):
                    continue  # re-rated since
                expired.add(hh)
                cur = f(hh).get("rating_expired_days")
                f(hh)["rating_expired_days"] = back if cur is None else min(cur, back)
                meta.setdefault(hh, {"org_path": note["org_path"], "village_code": note.get("village_code")})
        signal_households = {sid: next(iter(r.values())) for (kind, sid), r in active.items() if kind == "household"}
        for hh in cycling_candidates | expired | set(signal_households) | set(judicial_hits):
            loans = _household_loans(hh)
            act = [ln for ln in loans if ln.get("status") == "active"]
            cycles = 0
            for ln in loans:
                start, closed = ln.get("start_date"), ln.get("closed_on")
                if ln.get("status") == "closed" and start and closed and start >= window_from and \
                        (date.fromisoformat(closed) - date.fromisoformat(start)).days <= pol.short_cycle_days:
                    cycles += 1
            f(hh).update(active_loans=len(act), draw_repay_cycles=cycles)
            if act:
                meta.setdefault(hh, {"org_path": act[0]["org_path"], "village_code": act[0].get("village_code")})
                meta[hh].setdefault("assignee_id", loan_manager(act[0]))
            elif loans:
                meta.setdefault(hh, {"org_path": loans[-1]["org_path"], "village_code": loans[-1].get("village_code")})
            elif hh in signal_households:
                sig = signal_households[hh]
                meta.setdefault(hh, {"org_path": sig["org_path"], "village_code": sig.get("village_code"),
                                     "assignee_id": sig.get("assignee_id")})
        for hh in sorted(facts):
            if hh not in meta:
                jr.count("households_without_org")
                continue
            m = {**meta[hh], "household_id": hh}
            if not m.get("assignee_id"):
                m["assignee_id"] = _household_manager(hh)
            facts[hh].setdefault("active_loans", 0)
            _apply_rules(rules, pol, "household", hh, facts[hh], m, day, active, jr)
            jr.count("households_evaluated")

    jr.step("households", households_phase)

    # ---------------------------------------------------------------- villages and account managers
    def portfolios_phase() -> None:
        from chalicelib.admin import public as orgs

        parts = jobs.run_parts(WARNING_SCAN, day)
        villages: dict[str, Portfolio] = {}
        managers: dict[str, Portfolio] = {}
        org_paths: dict[str, Portfolio] = {}
        for part in parts.values():
            for target, name in ((villages, "villages"), (managers, "managers"), (org_paths, "orgs")):
                for k, d in (part.get(name) or {}).items():
                    target.setdefault(k, Portfolio()).merge(Portfolio.from_dict(d))
        compare = day - timedelta(days=pol.portfolio_compare_days)
        before = postloan.snapshots([f"AM#{m}" for m in managers], compare) if managers else {}
        for m in managers:  # no scan on exactly that day: the newest of the week before it
            if f"AM#{m}" not in before:
                near = postloan.snapshot_near(f"AM#{m}", compare, earliest=compare - timedelta(days=7))
                if near is not None:
                    before[f"AM#{m}"] = near
        for code in sorted(set(villages) | {sid for (k, sid) in active if k == "village"}):
            p = villages.get(code) or Portfolio()
            village = orgs.village_assignment(code) or {}
            org_path = p.org_path or village.get("org_path")
            if not org_path:
                continue
            facts = {"loan_count": p.loan_count, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate}
            _apply_rules(rules, pol, "village", code, facts,
                         {"org_path": village.get("org_path") or org_path, "village_code": code,
                          "assignee_id": p.main_manager, "village_name": village.get("village_name")},
                         day, active, jr)
            jr.count("villages_evaluated")
        for mgr in sorted(set(managers) | {sid for (k, sid) in active if k == "account_manager"}):
            p = managers.get(mgr) or Portfolio()
            prev = before.get(f"AM#{mgr}")
            change = p.overdue_rate - Decimal(str(prev["overdue_rate"])) if prev else Decimal("0")
            sig = (active.get(("account_manager", mgr)) or {})
            org_path = p.org_path or (next(iter(sig.values()))["org_path"] if sig else None)
            if not org_path:
                continue
            facts = {"loan_count": p.loan_count, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate,
                     "overdue_rate_change": change}
            _apply_rules(rules, pol, "account_manager", mgr, facts, {"org_path": org_path, "assignee_id": mgr},
                         day, active, jr)
            jr.count("managers_evaluated")
        snaps: dict[str, dict[str, Any]] = {}
        for prefix, group in (("VILLAGE#", villages), ("AM#", managers)):
            for k, p in group.items():
                snaps[f"{prefix}{k}"] = _snapshot_values(p)
        by_org: dict[str, Portfolio] = {}
        for path, p in org_paths.items():
            for org_id, org_path in _ancestors(path):
                by_org.setdefault(org_id, Portfolio(org_path=org_path)).merge(p)
        for org_id, p in by_org.items():
            snaps[f"ORG#{org_id}"] = _snapshot_values(p)
        postloan.put_snapshots(day, snaps)
        jr.count("snapshots", len(snaps))

    jr.step("portfolios", portfolios_phase)
    return {"rule_version": rules.version, "rule_evaluations": rules.evaluations}


def _ancestors(org_path: str) -> list[tuple[str, str]]:
    """``/JL/JL-220122/X/`` → ``[("JL", "/JL/"), ("JL-220122", "/JL/JL-220122/"), ("X", "/JL/JL-220122/X/")]``."""
    parts = [p for p in org_path.split("/") if p]
    return [(parts[i], "/" + "/".join(parts[:i + 1]) + "/") for i in range(len(parts))]


def _snapshot_values(p: Portfolio) -> dict[str, Any]:
    return {"org_path": p.org_path, "loan_count": p.loan_count, "outstanding": p.outstanding,
            "overdue_count": p.overdue_count, "overdue_outstanding": p.overdue_outstanding,
            "npl_outstanding": p.npl_outstanding, "overdue_rate": p.overdue_rate, "npl_rate": p.npl_rate}


# ================================================================================================ 5 reminders
def reminders_job(jr: jobs.JobRun) -> dict[str, Any]:
    day = jr.day
    _require_classified(day)
    pol = policy(day)
    templates = _parameter("notification_templates", day)[0].document

    def send(template: str, *, recipient_type: str, recipient_id: str | None, reference: str, about: str,
             org_path: str, household_id: str | None, fields: dict[str, Any]) -> None:
        if not recipient_id:
            jr.count("reminders_without_recipient")
            return
        channel, text = nt.render(templates, template, {"bank": bank_name(org_path), **fields})
        outcome = notifications.send_once(template=template, channel=channel, recipient_type=recipient_type,
                                          recipient_id=recipient_id, reference=reference, about=about, day=day,
                                          text=text, org_path=org_path, household_id=household_id)
        jr.count(f"{template}_{outcome}")

    for days_before in pol.repayment_reminder_days_before:
        due_on = day + timedelta(days=days_before)

        def due(shard: str, items: list[dict[str, Any]], _n: int = days_before, _due: date = due_on) -> None:
            for loan in (i for i in items if _active_on(i, day)):
                try:
                    # unpaid principal + interest of the installment due on _due
                    amount = Decimal(str(loan["next_due_amount"]))
                    if not amount.is_finite():
                        raise ValueError(f"next_due_amount {amount}")
                    fields = {"loan_ref": nt.ref(loan["loan_id"]), "due_date": _due.isoformat(), "amount": amount}
                    send(f"repayment_due_t{_n}", recipient_type="household", recipient_id=loan["household_id"],
                         reference=loan["loan_id"], about=_due.isoformat(), org_path=loan["org_path"],
                         household_id=loan["household_id"], fields=fields)
                except (KeyError, ValueError, TypeError, ArithmeticError) as exc:  # a malformed loan item:
                    _skip(jr, loan, exc)  # counted and logged, the run goes on

        jr.pages(f"due_t{days_before}", postloan.shards(),
                 lambda s, c, _d=due_on: postloan.active_loans_page(s, c, due_on=_d), due)

    def overdue(inst: str, items: list[dict[str, Any]]) -> None:
        for st in items:
            try:
                dpd = int(st.get("dpd") or 0)
                if st.get("status") != "active" or st.get("classified_on") != day.isoformat() \
                        or not overdue_reminder_due(pol, dpd):
                    continue
                fields = {"loan_ref": nt.ref(st["loan_id"]), "dpd": dpd,
                          "overdue_principal": Decimal(str(st.get("overdue_principal") or 0)),
                          "category_zh": nt.CATEGORY_ZH.get(st.get("category", "pass"), "")}
                send("overdue", recipient_type="household", recipient_id=st["household_id"], reference=st["loan_id"],
                     about=day.isoformat(), org_path=st["org_path"], household_id=st["household_id"], fields=fields)
                send("overdue_manager", recipient_type="user", recipient_id=st.get("account_manager_id"),
                     reference=st["loan_id"], about=day.isoformat(), org_path=st["org_path"],
                     household_id=st["household_id"], fields=fields)
            except (KeyError, ValueError, TypeError, ArithmeticError) as exc:  # a malformed state: skipped
                _skip(jr, st, exc)

    jr.pages("overdue", postloan.institutions(), lambda i, c: postloan.risk_page(i, c), overdue)

    def expiries() -> None:
        from chalicelib.rating import public as ratings

        for n in pol.line_expiry_reminder_days_before:
            valid_to = day + timedelta(days=n)
            for line in ratings.due_for_expiry(valid_to.isoformat()):
                if not str(line.get("GSI3SK", "")).startswith("LINE#"):
                    continue
                hh = line["household_id"]
                fields = {"valid_to": valid_to.isoformat(), "days": n, "household_ref": nt.ref(hh)}
                send(f"line_expiry_t{n}", recipient_type="household", recipient_id=hh, reference=line["line_id"],
                     about=valid_to.isoformat(), org_path=line["org_path"], household_id=hh, fields=fields)
                send("line_expiry_manager", recipient_type="user", recipient_id=_household_manager(hh),
                     reference=line["line_id"], about=valid_to.isoformat(), org_path=line["org_path"],
                     household_id=hh, fields=fields)
        for n in pol.rating_expiry_reminder_days_before:
            valid_to = day + timedelta(days=n)
            for rating in ratings.due_for_expiry(valid_to.isoformat()):
                if not str(rating.get("GSI3SK", "")).startswith("RATING#"):
                    continue
                hh = rating["household_id"]
                # T-0 is the rating's last valid day: "已于…到期"; before that "将于…到期（还有n天）"
                send("rating_expiry_manager" if n else "rating_expired_manager", recipient_type="user",
                     recipient_id=_household_manager(hh), reference=rating["rating_id"],
                     about=f"{valid_to.isoformat()}#T{n}", org_path=rating["org_path"], household_id=hh,
                     fields={"valid_to": valid_to.isoformat(), "days": n, "household_ref": nt.ref(hh)})

    jr.step("expiries", expiries)
    return {}
