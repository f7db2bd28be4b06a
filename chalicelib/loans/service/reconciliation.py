"""Manual reconciliation (人工对账) of a disbursement whose core-banking result stayed unknown
(``PENDING_RECONCILIATION``, the reservation still held).

The core-banking system is the book of record (rule table: :mod:`chalicelib.loans.domain.reconciliation`):

* :func:`settle` (``POST /drawdowns/{id}/reconciliation``): first asks the core for the transfer's status.
  When the core knows, the person's answer must agree with it: an agreeing answer settles the case from the
  core's facts (posted → the loan account opens with the core's reference; not posted → the reservation is
  released), a contradicting one is refused (409 ``RECONCILIATION_CONTRADICTS_CORE`` with both facts) and
  changes nothing. Only when the core cannot say does the answer become a **proposal**: it needs evidence
  (what was checked, a document reference), is stored and audited, and changes nothing yet.
* :func:`decide` (``POST /drawdowns/{id}/reconciliation/{proposal_id}/decision``): a second person (not the
  proposer: 403 ``SEPARATION_OF_DUTIES``; permission ``loan:approve`` and the drawdown in scope) approves or
  rejects. An approval asks the core again: if it now knows, its answer rules as above; if it still cannot
  say, the proposal is applied. Rejecting leaves the case pending for a new proposal.

Every settlement is one transaction: the drawdown (its version guards the case, so of concurrent requests one
applies), the loan or the line release, the proposal's decision (conditioned on ``status = open``) and the
audit records. The drawdown's ``reconciliation`` shows the open or last proposal (``{"proposal": …}``) and, once
settled, on which basis (``core`` | ``proposal``), the core's answer, the answer, the outcome and who settled it.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.loans.data import drawdowns, reconciliations
from chalicelib.loans.domain import reconciliation as rc
from chalicelib.loans.service import disbursement
from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed

PENDING = "PENDING_RECONCILIATION"
_OUTCOME = {rc.BOOK: "booked", rc.RELEASE: "released"}


def core_status(drawdown_id: str) -> rc.CoreFacts:
    """Ask core banking for the disbursement transfer of ``drawdown_id`` (request id ``DSB-<id>``); a timeout
    is an unknown answer."""
    from chalicelib.adapters import core_banking

    try:
        result = core_banking.query(disbursement.request_id(drawdown_id))
    except core_banking.CoreBankingTimeout:
        result = {"status": "unknown"}
    return rc.core_facts(result, utc_now_iso())


def settle(principal: Principal, drawdown_id: str, *, posted: bool, core_ref: str | None, comment: str,
           evidence: dict[str, str] | None) -> dict[str, Any]:
    """Settle a ``PENDING_RECONCILIATION`` drawdown against the core system, or propose when the core cannot
    say (see the module docstring). Returns ``{"outcome": "booked" | "released" | "proposed", "drawdown",
    "core", "proposal"}``.

    Raises ValidationFailed ``CORE_REF_REQUIRED`` / ``CORE_REF_UNEXPECTED`` (before anything is asked),
    ``EVIDENCE_REQUIRED`` (core unknown, no evidence); NotFound ``DRAWDOWN_NOT_FOUND``; Conflict
    ``DRAWDOWN_STATUS``, ``RECONCILIATION_CONTRADICTS_CORE``, ``CORE_AMOUNT_MISMATCH``,
    ``RECONCILIATION_PROPOSAL_OPEN`` (one proposal at a time), ``VERSION_CONFLICT``."""
    answer = rc.Answer(posted=posted, core_ref=core_ref)
    rc.check_answer(answer)
    dd = _pending(principal, drawdown_id)
    core = core_status(drawdown_id)
    verdict = rc.judge(core, answer, Decimal(dd["amount"]))
    open_proposal = _open_proposal(dd)
    if verdict == rc.PROPOSE:
        if not evidence:
            raise ValidationFailed("the core system cannot say whether the transfer was posted: record what you "
                                   "checked and a reference of the document (evidence) for a second person to "
                                   "approve", code="EVIDENCE_REQUIRED", field="evidence",
                                   details={"core": core.to_dict()})
        if open_proposal:
            raise Conflict(f"proposal {open_proposal['proposal_id']} is waiting for a decision",
                           code="RECONCILIATION_PROPOSAL_OPEN", details={"proposal": open_proposal})
        proposal = _propose(principal, dd, answer, comment, evidence, core)
        return {"outcome": "proposed", "drawdown": drawdowns.require(drawdown_id), "core": core.to_dict(),
                "proposal": proposal}
    superseded = reconciliations.get(drawdown_id, open_proposal["proposal_id"]) if open_proposal else None
    record = {"basis": "core", "outcome": _OUTCOME[verdict], "core": core.to_dict(), "answer": answer.to_dict(),
              "settled_by": principal.user_id, "settled_at": utc_now_iso(), "comment": comment}
    if superseded:
        record["superseded_proposal_id"] = superseded["proposal_id"]
    also = (lambda tx: reconciliations.add_decide(tx, superseded, status="superseded", actor_id=principal.user_id,
                                                  comment=f"settled by the core system's answer: {comment}")) \
        if superseded else None
    _apply(dd, verdict, core_ref=core.core_ref, record=record, actor_id=principal.user_id,
           note=f"reconciled with the core system ({core.status}): {comment}", also=also)
    return {"outcome": _OUTCOME[verdict], "drawdown": drawdowns.require(drawdown_id), "core": core.to_dict(),
            "proposal": None}


def decide(principal: Principal, drawdown_id: str, proposal_id: str, *, outcome: str, comment: str) -> dict[str, Any]:
    """A second person approves or rejects an open proposal (see the module docstring). Returns
    ``{"outcome": "booked" | "released" | "rejected", "drawdown", "core", "proposal"}``.

    Raises NotFound ``DRAWDOWN_NOT_FOUND`` / ``RECONCILIATION_PROPOSAL_NOT_FOUND``; Forbidden
    ``SEPARATION_OF_DUTIES`` (the proposer); Conflict ``RECONCILIATION_PROPOSAL_NOT_OPEN`` (decided already,
    also for the loser of two concurrent decisions), ``DRAWDOWN_STATUS``, ``RECONCILIATION_CONTRADICTS_CORE``
    and ``CORE_AMOUNT_MISMATCH`` (the core has answered meanwhile, against the proposal: reject it)."""
    dd = drawdowns.get_scoped(principal, drawdown_id)
    proposal = reconciliations.get(drawdown_id, proposal_id)
    if proposal is None:
        raise NotFound("reconciliation proposal not found", code="RECONCILIATION_PROPOSAL_NOT_FOUND",
                       field="proposal_id")
    if proposal["proposed_by"] == principal.user_id:
        raise Forbidden("the person who proposed a reconciliation cannot decide it (双人复核)",
                        code="SEPARATION_OF_DUTIES")
    _require_open(proposal)
    if dd["status"] != PENDING:
        raise Conflict(f"drawdown is {dd['status']}, not {PENDING}", code="DRAWDOWN_STATUS",
                       details={"status": dd["status"]})
    try:
        if outcome == "reject":
            return _reject(principal, dd, proposal, comment)
        return _approve(principal, dd, proposal, comment)
    except Conflict as exc:
        if exc.code not in ("VERSION_CONFLICT", "RECONCILIATION_PROPOSAL_NOT_OPEN", "DRAWDOWN_STATUS"):
            raise
        _require_open(reconciliations.get(drawdown_id, proposal_id) or proposal)  # another decision won
        raise


def _pending(principal: Principal, drawdown_id: str) -> dict[str, Any]:
    dd = drawdowns.get_scoped(principal, drawdown_id)
    if dd["status"] != PENDING:
        raise Conflict(f"drawdown is {dd['status']}, not {PENDING}", code="DRAWDOWN_STATUS",
                       details={"status": dd["status"]})
    return dd


def _open_proposal(dd: dict[str, Any]) -> dict[str, Any] | None:
    summary = (dd.get("reconciliation") or {}).get("proposal")
    return summary if summary and summary.get("status") == reconciliations.OPEN else None


def _require_open(proposal: dict[str, Any]) -> None:
    if proposal["status"] != reconciliations.OPEN:
        raise Conflict(f"the proposal is {proposal['status']} already", code="RECONCILIATION_PROPOSAL_NOT_OPEN",
                       details={"status": proposal["status"], "decided_by": proposal.get("decided_by")})


def _summary(proposal: dict[str, Any]) -> dict[str, Any]:
    """What the drawdown shows of a proposal (the proposal item holds everything)."""
    return {k: proposal.get(k) for k in ("proposal_id", "status", "posted", "core_ref", "evidence", "proposed_by",
                                         "proposed_at", "decided_by", "decided_at") if proposal.get(k) is not None}


def _propose(principal: Principal, dd: dict[str, Any], answer: rc.Answer, comment: str, evidence: dict[str, str],
             core: rc.CoreFacts) -> dict[str, Any]:
    proposal = {"proposal_id": reconciliations.new_id(), "drawdown_id": dd["drawdown_id"],
                "household_id": dd["household_id"], "org_path": dd["org_path"], "posted": answer.posted,
                "core_ref": answer.core_ref, "comment": comment, "evidence": dict(evidence), "core": core.to_dict(),
                "proposed_by": principal.user_id, "proposed_at": utc_now_iso(), "status": reconciliations.OPEN}
    stored: dict[str, Any] = {}

    def extra(tx: dynamo.TxBuilder, _dd: dict[str, Any]) -> None:
        stored.update(reconciliations.add_create(tx, proposal))

    try:
        drawdowns.transition(dd["drawdown_id"], allowed_from=(PENDING,), to=PENDING, actor_id=principal.user_id,
                             action="drawdown.reconciliation_proposed", current=dd, extra=extra,
                             changes={"reconciliation": {"proposal": _summary(proposal)}},
                             note=f"core banking cannot say: {'posted' if answer.posted else 'not posted'} "
                                  f"proposed, waiting for a second person: {comment}")
    except Conflict as exc:
        if exc.code == "VERSION_CONFLICT" and _open_proposal(drawdowns.require(dd["drawdown_id"])):
            raise Conflict("another proposal was made meanwhile and is waiting for a decision",
                           code="RECONCILIATION_PROPOSAL_OPEN") from None
        raise
    return stored


def _reject(principal: Principal, dd: dict[str, Any], proposal: dict[str, Any], comment: str) -> dict[str, Any]:
    rejected = {**_summary(proposal), "status": "rejected", "decided_by": principal.user_id,
                "decided_at": utc_now_iso()}
    drawdowns.transition(dd["drawdown_id"], allowed_from=(PENDING,), to=PENDING, actor_id=principal.user_id,
                         action="drawdown.reconciliation_rejected", current=dd,
                         extra=lambda tx, _dd: reconciliations.add_decide(tx, proposal, status="rejected",
                                                                          actor_id=principal.user_id, comment=comment),
                         changes={"reconciliation": {"proposal": rejected}},
                         note=f"reconciliation proposal {proposal['proposal_id']} rejected: {comment}")
    return {"outcome": "rejected", "drawdown": drawdowns.require(dd["drawdown_id"]), "core": None,
            "proposal": reconciliations.get(dd["drawdown_id"], proposal["proposal_id"])}


def _approve(principal: Principal, dd: dict[str, Any], proposal: dict[str, Any], comment: str) -> dict[str, Any]:
    answer = rc.Answer(posted=bool(proposal["posted"]), core_ref=proposal.get("core_ref"))
    core = core_status(dd["drawdown_id"])
    verdict = rc.judge(core, answer, Decimal(dd["amount"]))
    basis = "core" if verdict != rc.PROPOSE else "proposal"
    if verdict == rc.PROPOSE:  # the core still cannot say: two people decided, on the recorded evidence
        verdict = rc.BOOK if answer.posted else rc.RELEASE

    def also(tx: dynamo.TxBuilder) -> None:
        reconciliations.add_decide(tx, proposal, status="approved", actor_id=principal.user_id, comment=comment)

    record = {"basis": basis, "outcome": _OUTCOME[verdict], "core": core.to_dict(), "answer": answer.to_dict(),
              "proposal": {**_summary(proposal), "status": "approved", "decided_by": principal.user_id,
                           "decided_at": utc_now_iso()},
              "settled_by": principal.user_id, "settled_at": utc_now_iso(), "comment": comment}
    _apply(dd, verdict, core_ref=core.core_ref if basis == "core" else answer.core_ref, record=record,
           actor_id=principal.user_id, also=also,
           note=f"reconciliation proposal {proposal['proposal_id']} of {proposal['proposed_by']} approved "
                f"(core: {core.status}): {comment}")
    return {"outcome": _OUTCOME[verdict], "drawdown": drawdowns.require(dd["drawdown_id"]), "core": core.to_dict(),
            "proposal": reconciliations.get(dd["drawdown_id"], proposal["proposal_id"])}


def _apply(dd: dict[str, Any], verdict: str, *, core_ref: str | None, record: dict[str, Any], actor_id: str,
           note: str, also: Callable[[dynamo.TxBuilder], Any] | None) -> None:
    settlement = disbursement.Settlement(drawdown=dd, record=record, note=note, also=also)
    if verdict == rc.BOOK:
        disbursement.complete({"drawdown_id": dd["drawdown_id"],
                               "transfer": {"status": "success", "core_ref": core_ref}}, actor_id, settlement=settlement)
    else:
        disbursement.release({"drawdown_id": dd["drawdown_id"], "transfer": {"status": "not_posted",
                                                                             "reason": "NOT_POSTED"}},
                              actor_id, settlement=settlement)
