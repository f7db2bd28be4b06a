"""Approval of drawdowns: the rules decision, the human steps (investigation → review → approval) with
the authority matrix and separation of duties, escalation and expiry on timeouts.

The approval state machine (statemachines/loan_approval.asl.json) calls :func:`evaluate`, then for a
manual case :func:`open_step` per human step (``.waitForTaskToken``: the token is stored server-side in
the task item) and :func:`step_timed_out` when a step's TimeoutSeconds passes. People act through the
inbox (:func:`my_tasks`) and :func:`decide`, which records the decision and resumes the workflow with
``SendTaskSuccess``.
"""
from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.admin import public as orgs
from chalicelib.loans.data import drawdowns, loan_tasks
from chalicelib.loans.domain import approval_rules
from chalicelib.loans.service import borrowers, config, notify
from chalicelib.platform import dynamo, rules
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.rating import public as line_usage

STAGES = ("investigation", "review", "approval")
STAGE_PERMISSION = {"investigation": "loan:investigate", "review": "loan:review", "approval": "loan:approve"}
STAGE_STATUS = {"investigation": "PENDING_INVESTIGATION", "review": "PENDING_REVIEW", "approval": "PENDING_APPROVAL"}
NEXT_STATUS = {"investigation": "PENDING_REVIEW", "review": "PENDING_APPROVAL", "approval": "APPROVED"}
DECIDER_FIELD = {"investigation": "investigated_by", "review": "reviewed_by", "approval": "approved_by"}
DECISION_STATUS = {"approve": "APPROVED", "manual": "PENDING_INVESTIGATION", "decline": "DECLINED"}


@cache
def _sfn() -> Any:
    from chalicelib.platform import aws

    return aws.stepfunctions()


# ---------------------------------------------------------------------------------------------- rules
def facts(drawdown: dict[str, Any], today: date, bureau_result: str) -> dict[str, Any]:
    """The facts the auto-approval rules see (see approval_rules.json ``facts``)."""
    line = line_usage.get_line(drawdown["line_id"])
    refused = line_usage.refusal(line, drawdown["product_code"], Decimal(drawdown["amount"]), today)
    line_problem = refused is not None and refused.code in ("LINE_NOT_ACTIVE", "LINE_NOT_VALID_TODAY")
    hh = drawdown["household_id"]
    return rules.facts_for(
        amount=Decimal(drawdown["amount"]), product_kind=drawdown["product_kind"], channel=drawdown["channel"],
        payment_mode=drawdown["payment_mode"], within_line=refused is None or line_problem,
        line_active=not line_problem,
        rating_valid=borrowers.rating_valid(borrowers.current_rating(hh, (line or {}).get("rating_id")), today),
        red_warning_open=borrowers.open_red_warnings(hh) > 0, overdue_loans=borrowers.overdue_loans(hh, today),
        bureau_result=bureau_result, face_verified=bool(drawdown.get("face_verification_id")))


def evaluate(drawdown_id: str) -> dict[str, Any]:
    """Decide a requested drawdown by the rules in force; store outcome, rule-set version, fired rules
    and facts. Returns ``{"outcome": approve|manual|decline}`` (idempotent on retries)."""
    from chalicelib.adapters import credit_bureau

    dd = drawdowns.require(drawdown_id)
    if dd["status"] != "REQUESTED":  # a retried step: the decision is already recorded
        return {"outcome": (dd.get("decision") or {}).get("outcome", "decline")}
    today = business_date()
    try:
        rules_doc, rules_version = config.document(config.APPROVAL_RULES, today)
        document, rule_set, refused = rules_doc.document, rules_doc.rule_set, None
    except ValidationFailed as exc:  # a stored rule set its model refuses: people decide, nothing is auto-approved
        document, rule_set, refused = {}, config.APPROVAL_RULES, exc.message
        rules_version = exc.details.get("version")
    bureau = credit_bureau.check(dd["household_id"], reason="loan_approval")
    known_facts = facts(dd, today, bureau["result"])
    decision = approval_rules.evaluate(document, known_facts) if refused is None else approval_rules.RuleDecision(
        "manual", [{"rule_id": "RULE_SET_INVALID", "outcome": "manual",
                    "reason": f"the rule set could not be loaded: {refused[:200]}"}], dict(known_facts))
    record = {"outcome": decision.outcome, "rule_set": rule_set,
              "rule_set_version": rules_version, "fired": decision.fired, "facts": _json_facts(decision.facts),
              "bureau": bureau, "decided_at": utc_now_iso()}
    versions = config.known({**dd.get("parameter_versions", {}), config.APPROVAL_RULES: rules_version})
    to = DECISION_STATUS[decision.outcome]
    drawdowns.transition(drawdown_id, allowed_from=("REQUESTED",), to=to, actor_id="system",
                         action=f"drawdown.rules_{decision.outcome}", current=dd,
                         changes={"decision": record, "parameter_versions": versions},
                         note="; ".join(decision.reasons) or None)
    if decision.outcome == "decline":
        notify.send(dd["household_id"], "declined", drawdown_id, terms=dd, amount=dd["amount"])
    return {"outcome": decision.outcome}


def _json_facts(facts: dict[str, Any]) -> dict[str, Any]:
    # floats were only for the rule engine; store Decimals (DynamoDB refuses floats)
    return {k: (Decimal(str(v)) if isinstance(v, float) else v) for k, v in facts.items()}


# ----------------------------------------------------------------------------------------- human steps
def open_step(event: dict[str, Any]) -> dict[str, Any]:
    """``.waitForTaskToken`` task: store the token of a human step in its task item."""
    dd = drawdowns.require(event["drawdown_id"])
    task = loan_tasks.open_task(dd, event["stage"], event["token"], int(event.get("timeout_seconds") or 86400))
    return {"task_id": task["task_id"]}


def step_timed_out(event: dict[str, Any]) -> dict[str, Any]:
    """A human step's timeout: ``decided`` (a decision landed just in time: route by it), ``escalate``
    (the task moves one organisation level up and waits again) or ``expired`` (the application ends)."""
    stage, drawdown_id = event["stage"], event["drawdown_id"]
    max_escalations = int(event.get("max_escalations", 1))
    for _ in range(3):
        task = loan_tasks.require(loan_tasks.task_id(drawdown_id, stage))
        if task["status"] == "decided":
            return {"action": "decided", "outcome": task["outcome"]}
        if task["status"] == "expired":
            return {"action": "expired", "outcome": None}
        try:
            if int(task.get("escalations", 0)) < max_escalations:
                loan_tasks.escalate(task)
                dd = drawdowns.require(drawdown_id)
                drawdowns.transition(drawdown_id, allowed_from=(dd["status"],), to=dd["status"], actor_id="system",
                                     action="drawdown.escalated", current=dd,
                                     note=f"{stage} not decided in time: escalated")
                return {"action": "escalate", "outcome": None}
            drawdowns.transition(
                drawdown_id, allowed_from=(STAGE_STATUS[stage],), to="EXPIRED", actor_id="system",
                action="drawdown.expired", note=f"{stage} not decided in time",
                extra=functools.partial(_expire_task, task=task))
        except Conflict:
            continue
        dd = drawdowns.require(drawdown_id)
        notify.send(dd["household_id"], "expired", drawdown_id, terms=dd, amount=dd["amount"])
        return {"action": "expired", "outcome": None}
    raise Conflict("the task kept changing while timing out", code="CONCURRENT_UPDATE")


def _org_level(principal: Principal) -> str | None:
    org = orgs.get_org(principal.org_id)
    return org["level"] if org else None


def authority_limit(principal: Principal, stage: str, rules: list[dict[str, Any]]) -> Decimal | None:
    """The largest amount the caller may decide at ``stage`` by the authority matrix (None: no authority)."""
    level = _org_level(principal)
    limits = [Decimal(str(r["max_amount"])) for r in rules
              if r.get("stage") == stage and r.get("role") == principal.role and r.get("org_level") == level]
    return max(limits) if limits else None


def separation_conflict(principal: Principal, stage: str, dd: dict[str, Any]) -> str | None:
    """Why the caller may not decide ``stage`` of ``dd`` under 审贷分离 (None when allowed): the account
    manager (investigator or PAD applicant), the reviewer and the approver are three different people."""
    pad_applicant = dd.get("applicant_user_id") if dd.get("applicant_role") != "farmer" else None
    earlier = {"investigation": [], "review": [("investigated", dd.get("investigated_by")),
                                               ("filed", pad_applicant)],
               "approval": [("investigated", dd.get("investigated_by")), ("filed", pad_applicant),
                            ("reviewed", dd.get("reviewed_by"))]}[stage]
    for what, user in earlier:
        if user and user == principal.user_id:
            return what
    return None


def _check_may_decide(principal: Principal, task: dict[str, Any], dd: dict[str, Any],
                      authority: list[dict[str, Any]]) -> None:
    stage = task["stage"]
    principal.require(STAGE_PERMISSION[stage])
    limit = authority_limit(principal, stage, authority)
    if limit is None or Decimal(task["amount"]) > limit:
        raise Forbidden(f"your authority does not cover {stage} of {task['amount']} CNY",
                        code="AUTHORITY_EXCEEDED", details={"limit": str(limit) if limit is not None else None})
    conflict = separation_conflict(principal, stage, dd)
    if conflict:
        raise Forbidden(f"you {conflict} this application: {stage} must be done by someone else (审贷分离)",
                        code="SEPARATION_OF_DUTIES")


def my_tasks(principal: Principal) -> list[dict[str, Any]]:
    """Open tasks the caller may decide now: stage by permission, in organisation scope, within the
    caller's authority, and not barred by separation of duties."""
    authority, _ = config.document(config.AUTHORITY)
    out = []
    for stage in STAGES:
        if STAGE_PERMISSION[stage] not in principal.permissions:
            continue
        for task in loan_tasks.inbox(stage, principal.org_path):
            dd = drawdowns.get(task["drawdown_id"])
            if dd is None:
                continue
            try:
                _check_may_decide(principal, task, dd, authority.rules)
            except Forbidden:
                continue
            out.append(task)
    return out


def decide(principal: Principal, task_id: str, outcome: str, comment: str) -> dict[str, Any]:
    """Record a person's decision on a human step and resume the workflow.

    Raises NotFound ``TASK_NOT_FOUND`` (unknown or out of scope), Forbidden ``PERMISSION_DENIED``,
    ``AUTHORITY_EXCEEDED``, ``SEPARATION_OF_DUTIES``, Conflict ``TASK_NOT_OPEN``/``VERSION_CONFLICT``."""
    task = loan_tasks.get(task_id)
    if task is None or not loan_tasks.visible_to(task, principal.org_path) or principal.role == "farmer":
        raise NotFound("task not found", code="TASK_NOT_FOUND", field="task_id")
    dd = drawdowns.require(task["drawdown_id"])
    authority, authority_version = config.document(config.AUTHORITY)
    _check_may_decide(principal, task, dd, authority.rules)
    if task["status"] != "open" or not task.get("token"):
        raise Conflict("the task is not open for a decision right now; reload it", code="TASK_NOT_OPEN")
    stage = task["stage"]
    to = NEXT_STATUS[stage] if outcome == "approve" else "REJECTED"
    versions = config.known({**dd.get("parameter_versions", {}), config.AUTHORITY: authority_version})
    changes = {DECIDER_FIELD[stage]: principal.user_id, f"{stage}_comment": comment, "parameter_versions": versions}
    drawdowns.transition(dd["drawdown_id"], allowed_from=(STAGE_STATUS[stage],), to=to, actor_id=principal.user_id,
                         action=f"drawdown.{stage}_{outcome}", current=dd, changes=changes, note=comment,
                         extra=lambda tx, _dd: loan_tasks.add_close(tx, task, status="decided",
                                                                    actor_id=principal.user_id, role=principal.role,
                                                                    outcome=outcome, comment=comment))
    from botocore.exceptions import ClientError

    try:
        _sfn().send_task_success(taskToken=task["token"], output=_output(outcome, principal))
    except ClientError as exc:  # the step timed out meanwhile: the timeout task reads the recorded decision
        from chalicelib.platform.observability import logger

        logger().warning("task token no longer valid", extra={"task_id": task_id, "error": str(exc)})
    if outcome == "reject":
        notify.send(dd["household_id"], "rejected", dd["drawdown_id"], terms=dd, amount=dd["amount"])
    return loan_tasks.require(task_id)


def _output(outcome: str, principal: Principal) -> str:
    import json

    return json.dumps({"outcome": outcome, "decided_by": principal.user_id})


def task_view(task: dict[str, Any]) -> dict[str, Any]:
    """A task without its token (tokens never leave the server)."""
    return {k: v for k, v in task.items() if k != "token" and k not in ("PK", "SK") and not k.startswith("GSI")}


def get_task(principal: Principal, task_id: str) -> dict[str, Any]:
    task = loan_tasks.get(task_id)
    if task is None or principal.role == "farmer" or not loan_tasks.visible_to(task, principal.org_path):
        raise NotFound("task not found", code="TASK_NOT_FOUND", field="task_id")
    return task


def _expire_task(tx: dynamo.Transaction, _dd: dict[str, Any], *, task: dict[str, Any]) -> None:
    """Close the timed-out ``task`` as expired in the drawdown's transaction (its token died with the step)."""
    loan_tasks.add_close(tx, task, status="expired", actor_id="system", require_token=False)
