"""Disbursement (放款) as a saga (statemachines/disbursement.asl.json):

reserve the amount on the line (one transaction with the drawdown) → transfer through core banking with
the idempotent request id ``DSB-<drawdown_id>`` → on success open the loan account with its schedule and
commit the reservation (one transaction), announce ``loan.opened`` (``chalicelib.platform.events``: post-loan
plans the first inspection), notify by SMS → on failure release the reservation → on an
unknown result query with backoff, and when still unknown hand the case to the reconciliation queue
(the reservation stays held: the money may have left). People settle such a case only through
:mod:`chalicelib.loans.service.reconciliation` (checked against the core system), which ends it with
:func:`complete` or :func:`release` and a :class:`Settlement`.

Exactly-once: :func:`start` moves the drawdown ``CONTRACT_SIGNED → DISBURSING`` under optimistic locking,
so of many concurrent callers one starts the saga (execution name ``dsb-<drawdown_id>``); the reservation
item is put with ``attribute_not_exists``; and the core system's request id is idempotent.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.loans.data import drawdowns, loans
from chalicelib.loans.domain import products as products_domain
from chalicelib.loans.domain.servicing import installment_record, unpaid_scheduled
from chalicelib.loans.service import config, notify
from chalicelib.loans.service.contracts import loan_schedule
from chalicelib.platform import dynamo, events
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict
from chalicelib.rating import public as line_usage

STARTED_OR_LATER = ("DISBURSING", "DISBURSED", "DISBURSEMENT_FAILED", "PENDING_RECONCILIATION")
RESTART_AFTER_SECONDS = 60


@dataclass(frozen=True)
class Settlement:
    """A manual reconciliation that settles a ``PENDING_RECONCILIATION`` drawdown through :func:`complete` or
    :func:`release`: the drawdown as read (its version guards the settlement), the ``record`` stored as the
    drawdown's ``reconciliation``, the history ``note``, and ``also(tx)`` adding writes of the caller (the
    proposal's decision) to the same transaction."""

    drawdown: dict[str, Any]
    record: dict[str, Any]
    note: str
    also: Callable[[dynamo.TxBuilder], None] | None = None


def _settled_from(settlement: Settlement | None) -> tuple[str, ...]:
    """The saga settles a transfer it is running; a case handed to reconciliation is settled only by a
    reconciliation (which checked the core system first)."""
    return ("PENDING_RECONCILIATION",) if settlement else ("DISBURSING",)


@cache
def _sfn() -> Any:
    from chalicelib.platform import aws

    return aws.stepfunctions()


@cache
def _sqs() -> Any:
    from chalicelib.platform import aws

    return aws.sqs()


def request_id(drawdown_id: str) -> str:
    return f"DSB-{drawdown_id}"


def execution_name(drawdown_id: str) -> str:
    return f"dsb-{drawdown_id}"


def _start_execution(dd: dict[str, Any]) -> None:
    from chalicelib.platform.settings import get_settings

    workflow = config.recorded(config.WORKFLOW, dd)
    cfg = workflow.state_machine_config()
    payee = products_domain.disbursement_target(dd.get("payment_mode", "self"), dd.get("payee"), dd["household_id"])
    # the transfer's terms are fixed once the contract is signed: they travel with the execution
    payload = {"drawdown_id": dd["drawdown_id"], "request_id": request_id(dd["drawdown_id"]),
               "transfer_order": {"amount": f"{Decimal(dd['amount']):.2f}", "to_account": payee,
                                  "from_account": workflow.disbursing_account},
               "config": {"query_waits": cfg["query_waits"], "max_queries": cfg["max_queries"]},
               "query": {"attempt": 0, "wait_seconds": cfg["query_waits"][0]}}
    try:
        _sfn().start_execution(stateMachineArn=get_settings().disbursement_state_machine_arn,
                               name=execution_name(dd["drawdown_id"]), input=json.dumps(payload))
    except _sfn().exceptions.ExecutionAlreadyExists:
        pass


def _execution_exists(drawdown_id: str) -> bool:
    from chalicelib.platform.settings import get_settings

    arn = get_settings().disbursement_state_machine_arn.replace(":stateMachine:", ":execution:") \
        + ":" + execution_name(drawdown_id)
    try:
        _sfn().describe_execution(executionArn=arn)
        return True
    except _sfn().exceptions.ExecutionDoesNotExist:
        return False


def start(drawdown_id: str, actor_id: str, principal: Principal | None = None) -> dict[str, Any]:
    """Start the disbursement of a signed drawdown once, however many callers ask at the same time.

    Returns the drawdown. Raises Conflict ``DRAWDOWN_STATUS`` before the contract is signed; a caller
    that loses the race gets the drawdown in its new status (nothing started twice)."""
    dd = drawdowns.get_scoped(principal, drawdown_id) if principal else drawdowns.require(drawdown_id)
    if dd["status"] == "CONTRACT_SIGNED":
        try:
            dd = drawdowns.transition(drawdown_id, allowed_from=("CONTRACT_SIGNED",), to="DISBURSING",
                                      actor_id=actor_id, action="drawdown.disbursement_started", current=dd,
                                      changes={"disbursement_started_at": utc_now_iso()})
        except Conflict:
            return drawdowns.require(drawdown_id)
        _start_execution(dd)
        return dd
    if dd["status"] == "DISBURSING" and _stale(dd) and not _execution_exists(drawdown_id):
        _start_execution(dd)  # recovery: the winner of the transition died before starting the saga
    if dd["status"] not in STARTED_OR_LATER:
        raise Conflict(f"drawdown is {dd['status']}: only a signed contract can be disbursed",
                       code="DRAWDOWN_STATUS", details={"status": dd["status"]})
    return dd


def _stale(dd: dict[str, Any]) -> bool:
    started = dd.get("disbursement_started_at")
    if not started:
        return True
    at = datetime.fromisoformat(started.replace("Z", "+00:00"))
    return (datetime.now(UTC) - at).total_seconds() > RESTART_AFTER_SECONDS


# --------------------------------------------------------------------------------------------- saga steps
def reserve(event: dict[str, Any]) -> dict[str, Any]:
    """Make sure the amount is reserved on master and sub-line. The contract signature reserves it
    (``contracts.prepare``), so this step normally finds it held; it reserves only a drawdown that reached
    DISBURSING without a reservation (a guard, in one transaction with the drawdown).
    Returns ``{"ok": True}`` or ``{"ok": False, "reason": CODE}`` (the drawdown is then failed)."""
    drawdown_id = event["drawdown_id"]
    dd = drawdowns.require(drawdown_id)
    if dd["status"] != "DISBURSING":
        return {"ok": dd["status"] in ("DISBURSED", "PENDING_RECONCILIATION"), "reason": dd["status"]}
    if (dd.get("reservation") or {}).get("status") == "reserved":
        return {"ok": True, "reason": None}  # reserved when the contract was signed
    today = business_date()
    amount = Decimal(dd["amount"])
    try:
        drawdowns.transition(
            drawdown_id, allowed_from=("DISBURSING",), to="DISBURSING", actor_id="system",
            action="drawdown.line_reserved", current=dd, note="amount reserved on the credit line",
            changes={"reservation": {"status": "reserved", "at": utc_now_iso()}},
            extra=lambda tx, _dd: line_usage.add_reserve(tx, line_id=dd["line_id"], product_code=dd["product_code"],
                                                         amount=amount, drawdown_id=drawdown_id, today=today))
        return {"ok": True, "reason": None}
    except line_usage.AlreadyReserved:
        return {"ok": True, "reason": None}
    except line_usage.LineRefused:
        line = line_usage.get_line(dd["line_id"])
        why = line_usage.refusal(line, dd["product_code"], amount, today)
        reason = why.code if why else "LINE_REFUSED"
        drawdowns.transition(drawdown_id, allowed_from=("DISBURSING",), to="DISBURSEMENT_FAILED", actor_id="system",
                             action="drawdown.disbursement_failed", changes={"failure": {"reason": reason}},
                             note=f"the line cannot give the amount: {reason}")
        notify.send(dd["household_id"], "disbursement_failed", drawdown_id, terms=dd, amount=dd["amount"])
        return {"ok": False, "reason": reason}


def transfer(event: dict[str, Any]) -> dict[str, Any]:
    """Post the transfer (raises CoreBankingTimeout for the state machine's Retry/Catch)."""
    from chalicelib.adapters import core_banking

    order = event["transfer_order"]
    result = core_banking.transfer(event["request_id"], Decimal(order["amount"]), from_account=order["from_account"],
                                   to_account=order["to_account"], reference=event["drawdown_id"])
    return {"status": result["status"], "core_ref": result.get("core_ref"), "reason": result.get("reason")}


def query(event: dict[str, Any]) -> dict[str, Any]:
    """Ask core banking for the transfer's result; a timeout counts as unknown. Returns the status, the
    attempt number, the wait before the next query and whether the queries are exhausted."""
    from chalicelib.adapters import core_banking

    attempt = int(event.get("query", {}).get("attempt", 0)) + 1
    waits = event["config"]["query_waits"]
    try:
        result = core_banking.query(event["request_id"])
    except core_banking.CoreBankingTimeout:
        result = {"status": "unknown"}
    return {"status": result["status"], "core_ref": result.get("core_ref"), "attempt": attempt,
            "wait_seconds": int(waits[min(attempt, len(waits) - 1)]),
            "exhausted": attempt >= int(event["config"]["max_queries"])}


def complete(event: dict[str, Any], actor_id: str = "system", *, settlement: Settlement | None = None
             ) -> dict[str, Any]:
    """Open the loan account and its schedule, commit the reservation and mark the drawdown disbursed
    (one transaction); notify by SMS. Idempotent for the saga. With a ``settlement`` (manual reconciliation,
    :mod:`chalicelib.loans.service.reconciliation`) only a ``PENDING_RECONCILIATION`` drawdown is settled
    (Conflict ``DRAWDOWN_STATUS`` otherwise): its record and writes join the same transaction."""
    drawdown_id = event["drawdown_id"]
    dd = settlement.drawdown if settlement else drawdowns.require(drawdown_id)
    if dd["status"] == "DISBURSED" and settlement is None:
        return {"loan_id": dd["loan_id"]}
    today = business_date()
    product = config.recorded(config.PRODUCTS, dd).product(dd["product_code"])
    st = products_domain.schedule_terms(product, dd["repayment_method"], dd.get("interest_period"))
    schedule = loan_schedule(dd, product, today)
    loan_id = loans.loan_id_for(drawdown_id)
    core_ref = (event.get("transfer") or {}).get("core_ref")
    records = [installment_record(i, schedule_version=1) for i in schedule.installments]
    loan = {"loan_id": loan_id, "drawdown_id": drawdown_id, "household_id": dd["household_id"],
            "org_path": dd["org_path"], "line_id": dd["line_id"], "product_code": dd["product_code"],
            "product_kind": dd["product_kind"], "revolving": product.revolving, "principal": Decimal(dd["amount"]),
            "outstanding_principal": Decimal(dd["amount"]), "annual_rate": Decimal(dd["pricing"]["annual_rate"]),
            "pricing": dd["pricing"], "penalty_uplift": product.penalty_rate_uplift, "grace_days": product.grace_days,
            "day_count": st.day_count, "method": st.method, "repayment_method": dd["repayment_method"],
            "frequency_months": st.frequency_months, "allocation_order": list(product.repayment_allocation_order),
            "prepayment_mode": product.prepayment.recompute_mode, "start_date": today.isoformat(),
            "maturity_date": schedule.maturity_date.isoformat(), "next_due_date": records[0]["due_date"],
            "next_due_amount": unpaid_scheduled(records[0]), "village_code": dd.get("village_code"),
            "account_manager_id": dd.get("account_manager_id"),
            "status": "active", "schedule_version": 1, "core_ref": core_ref, "payee": dd.get("payee"),
            "parameter_versions": dd.get("parameter_versions", {}), "contract_no": (dd.get("contract") or {}).get("contract_no")}

    def extra(tx: dynamo.TxBuilder, _dd: dict[str, Any]) -> None:
        loans.add_create(tx, loan, records, actor_id=actor_id)
        line_usage.add_commit(tx, line_id=dd["line_id"], drawdown_id=drawdown_id, loan_id=loan_id)
        if settlement and settlement.also:
            settlement.also(tx)

    changes = {"loan_id": loan_id, "disbursed_on": today.isoformat(), "disbursed_at": utc_now_iso(),
               "core_ref": core_ref, "reservation": {"status": "committed", "at": utc_now_iso()}}
    if settlement:
        changes["reconciliation"] = settlement.record
    drawdowns.transition(drawdown_id, allowed_from=_settled_from(settlement), to="DISBURSED", actor_id=actor_id,
                         action="drawdown.reconciled_posted" if settlement else "drawdown.disbursed", current=dd,
                         extra=extra, changes=changes, note=settlement.note if settlement else None)
    events.publish(events.LOAN_OPENED, loan)  # post-loan plans the first inspection (chalicelib.subscriptions)
    notify.send(dd["household_id"], "disbursed", loan_id, terms=dd, amount=dd["amount"], date=today.isoformat(),
                loan_id=loan_id, first_due_date=records[0]["due_date"])
    return {"loan_id": loan_id}


def release(event: dict[str, Any], actor_id: str = "system", *, settlement: Settlement | None = None
            ) -> dict[str, Any]:
    """The transfer failed for good: release the reservation and fail the drawdown (one transaction).
    With a ``settlement`` (manual reconciliation) only a ``PENDING_RECONCILIATION`` drawdown is settled
    (Conflict ``DRAWDOWN_STATUS`` otherwise), its record and writes in the same transaction."""
    drawdown_id = event["drawdown_id"]
    dd = settlement.drawdown if settlement else drawdowns.require(drawdown_id)
    if dd["status"] == "DISBURSEMENT_FAILED" and settlement is None:
        return {"released": True}
    reason = (event.get("transfer") or {}).get("reason") or (event.get("transfer") or {}).get("status") or "FAILED"

    def extra(tx: dynamo.TxBuilder, _dd: dict[str, Any]) -> None:
        line_usage.add_release(tx, line_id=dd["line_id"], product_code=dd["product_code"],
                               amount=Decimal(dd["amount"]), drawdown_id=drawdown_id)
        if settlement and settlement.also:
            settlement.also(tx)

    changes = {"failure": {"reason": f"CORE_BANKING_{str(reason).upper()}"},
               "reservation": {"status": "released", "at": utc_now_iso()}}
    if settlement:
        changes["reconciliation"] = settlement.record
    drawdowns.transition(
        drawdown_id, allowed_from=_settled_from(settlement), to="DISBURSEMENT_FAILED", actor_id=actor_id,
        action="drawdown.reconciled_not_posted" if settlement else "drawdown.disbursement_failed", current=dd,
        note=settlement.note if settlement else f"core banking: {reason}", changes=changes, extra=extra)
    notify.send(dd["household_id"], "disbursement_failed", drawdown_id, terms=dd, amount=dd["amount"])
    return {"released": True}


def reconcile(event: dict[str, Any]) -> dict[str, Any]:
    """Still unknown after every query: hand the case to the reconciliation queue (people check the core
    system); the drawdown waits in ``PENDING_RECONCILIATION`` with the reservation held."""
    from chalicelib.platform.settings import get_settings

    drawdown_id = event["drawdown_id"]
    dd = drawdowns.require(drawdown_id)
    if dd["status"] == "PENDING_RECONCILIATION":
        return {"queued": True}
    message = {"drawdown_id": drawdown_id, "request_id": event["request_id"], "amount": f"{Decimal(dd['amount']):.2f}",
               "line_id": dd["line_id"], "org_path": dd["org_path"], "queries": (event.get("query") or {}).get("attempt"),
               "reason": "core banking result unknown after every query", "at": utc_now_iso()}
    # message first (at least once: a retried step may queue a duplicate, never lose the case)
    _sqs().send_message(QueueUrl=get_settings().reconciliation_queue_url, MessageBody=json.dumps(message),
                        MessageAttributes={"drawdown_id": {"DataType": "String", "StringValue": drawdown_id}})
    drawdowns.transition(drawdown_id, allowed_from=("DISBURSING",), to="PENDING_RECONCILIATION", actor_id="system",
                         action="drawdown.reconciliation", current=dd,
                         note="core banking result unknown: handed to manual reconciliation")
    return {"queued": True}
