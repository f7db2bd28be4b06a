"""Reconciliation proposals (对账复核): what a person proposes for a disbursement the core system cannot
confirm, with the evidence, until a second person approves or rejects it.

Item (core table): ``DD#<drawdown_id>`` / ``RECON#<proposal_id>``: ``proposal_id``, ``drawdown_id``,
``household_id``, ``org_path`` (the drawdown's, for scope), ``posted`` (bool), ``core_ref`` (when posted),
``comment``, ``evidence`` (``{"checked", "reference"}``), ``core`` (the core's answer when proposed:
``{"status": "unknown", "checked_at"}``), ``proposed_by``, ``proposed_at``, ``status`` (``open`` → ``approved``
| ``rejected`` | ``superseded``: the core later answered and the case was settled by its answer),
``decided_by``, ``decided_at``, ``decision_comment``, ``version``.

Every write is added to the caller's transaction together with the drawdown's change (whose version guards the
case) and an audit record of the proposal (entity ``reconciliation_proposal``) carrying the evidence; the
decision is conditioned on ``status = open``, so of two concurrent decisions one applies.
"""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict

OPEN = "open"
DECIDED = ("approved", "rejected", "superseded")


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def new_id() -> str:
    return "RC" + uuid.uuid4().hex[:14].upper()


def key(drawdown_id: str, proposal_id: str) -> dict[str, str]:
    return {"PK": f"DD#{drawdown_id}", "SK": f"RECON#{proposal_id}"}


def get(drawdown_id: str, proposal_id: str) -> dict[str, Any] | None:
    k = key(drawdown_id, proposal_id)
    return dynamo.get(_settings().core_table, k["PK"], k["SK"])


def for_drawdown(drawdown_id: str) -> list[dict[str, Any]]:
    """Every proposal of a drawdown, oldest first by id order of creation time."""
    items = dynamo.query_all(_settings().core_table, pk_value=f"DD#{drawdown_id}", sk_prefix="RECON#",
                             consistent=True)
    return sorted(items, key=lambda i: i["proposed_at"])


def add_create(tx: dynamo.TxBuilder, proposal: dict[str, Any]) -> dict[str, Any]:
    """Add the new ``proposal`` (status ``open``, version 1) and its audit record to ``tx``."""
    s = _settings()
    stored = {**proposal, **key(proposal["drawdown_id"], proposal["proposal_id"]), "kind": "reconciliation_proposal",
              "status": OPEN, "version": 1}
    tx.put(s.core_table, stored, condition="attribute_not_exists(PK)",
           on_fail=Conflict("the proposal exists already", code="RECONCILIATION_PROPOSAL_EXISTS"))
    tx.audit(s.audit_table, dynamo.Audit("reconciliation_proposal", proposal["proposal_id"],
                                         "reconciliation.proposed", proposal["proposed_by"], before=None,
                                         after=_public(stored), org_path=proposal["org_path"],
                                         reason=proposal.get("comment")))
    return stored


def add_decide(tx: dynamo.TxBuilder, proposal: dict[str, Any], *, status: str, actor_id: str,
               comment: str) -> dict[str, Any]:
    """Add the decision (``approved`` | ``rejected`` | ``superseded``) of an open ``proposal`` (as read) and its
    audit record to ``tx``; the write is conditioned on the proposal still being open at the version read
    (Conflict ``RECONCILIATION_PROPOSAL_NOT_OPEN`` otherwise)."""
    if status not in DECIDED:
        raise ValueError(f"unknown proposal status {status}")
    s = _settings()
    after = {**proposal, "status": status, "decided_by": actor_id, "decided_at": utc_now_iso(),
             "decision_comment": comment, "version": int(proposal["version"]) + 1}
    tx.put(s.core_table, after, condition="#s = :open AND #v = :v", names={"#s": "status", "#v": "version"},
           values={":open": OPEN, ":v": int(proposal["version"])},
           on_fail=Conflict("the proposal was decided meanwhile", code="RECONCILIATION_PROPOSAL_NOT_OPEN"))
    tx.audit(s.audit_table, dynamo.Audit("reconciliation_proposal", proposal["proposal_id"],
                                         f"reconciliation.{status}", actor_id, before=_public(proposal),
                                         after=_public(after), org_path=proposal["org_path"], reason=comment))
    return after


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("PK", "SK", "kind")}
