"""Reconciliation proposals (对账复核): what a person proposes for a disbursement the core system cannot
confirm, with the evidence, until a second person approves or rejects it.

Item :class:`~chalicelib.loans.data.models.ReconciliationProposal` (keys its own), below the drawdown: ``proposal_id``, ``drawdown_id``,
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


def new_id() -> str:
    return "RC" + uuid.uuid4().hex[:14].upper()


def get(drawdown_id: str, proposal_id: str) -> dict[str, Any] | None:
    """The proposal (strongly consistent), or ``None``."""
    from chalicelib.loans.data.models import ReconciliationProposal as P

    found = P.find(*P.key(drawdown_id, proposal_id))
    return found.state() if found else None


def for_drawdown(drawdown_id: str) -> list[dict[str, Any]]:
    """Every proposal of a drawdown, oldest first (by the time it was proposed)."""
    from chalicelib.loans.data.models import ReconciliationProposal as P
    from chalicelib.platform.dynamo import pages

    pk, prefix = P.prefix(drawdown_id)
    items = [p.state() for p in pages.model_query_all(P, pk_value=pk, sk_op="begins_with", sk_value=prefix,
                                                      consistent=True)]
    return sorted(items, key=lambda i: i["proposed_at"])


def add_create(tx: dynamo.TxBuilder, proposal: dict[str, Any]) -> dict[str, Any]:
    """Add the new ``proposal`` (status ``open``, version 1) and its audit record to ``tx``."""
    from chalicelib.loans.data.models import ReconciliationProposal as P
    from chalicelib.loans.data.store import save_versioned

    model = P.of({k: v for k, v in proposal.items() if k != "version"})
    model.status = OPEN
    stored = save_versioned(tx, model, expected_version=None, entity="reconciliation proposal",
                            on_fail=Conflict("the proposal exists already", code="RECONCILIATION_PROPOSAL_EXISTS"))
    tx.record(dynamo.Audit("reconciliation_proposal", proposal["proposal_id"], "reconciliation.proposed",
                           proposal["proposed_by"], before=None, after=_public(stored), org_path=proposal["org_path"],
                           reason=proposal.get("comment")))
    return stored


def add_decide(tx: dynamo.TxBuilder, proposal: dict[str, Any], *, status: str, actor_id: str,
               comment: str) -> dict[str, Any]:
    """Add the decision (``approved`` | ``rejected`` | ``superseded``) of an open ``proposal`` (as read) and its
    audit record to ``tx``; the write is conditioned on the proposal still being open at the version read
    (Conflict ``RECONCILIATION_PROPOSAL_NOT_OPEN`` otherwise)."""
    from chalicelib.loans.data.models import ReconciliationProposal as P
    from chalicelib.loans.data.store import save_versioned

    if status not in DECIDED:
        raise ValueError(f"unknown proposal status {status}")
    model = P.of({**{k: v for k, v in proposal.items() if k != "version"}, "status": status,
                  "decided_by": actor_id, "decided_at": utc_now_iso(), "decision_comment": comment})
    after = save_versioned(tx, model, expected_version=int(proposal["version"]), entity="reconciliation proposal",
                           condition=P.status == OPEN,
                           on_fail=Conflict("the proposal was decided meanwhile", code="RECONCILIATION_PROPOSAL_NOT_OPEN"))
    tx.record(dynamo.Audit("reconciliation_proposal", proposal["proposal_id"], f"reconciliation.{status}", actor_id,
                           before=_public(proposal), after=_public(after), org_path=proposal["org_path"], reason=comment))
    return after


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "kind"}
