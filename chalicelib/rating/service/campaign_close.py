"""Closing a campaign whose workflow is in flight: not confirmed in time (``expired``) or failed (``failed``), and
marking failed a campaign whose execution died without its failure step (:func:`settle_dead_execution`). Also the
withdrawal of a campaign's pending proposals, which expiry and cancellation share."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_tx import (
    SYSTEM_ACTOR,
    Unit,
    commit_units,
    execution_status,
    log,
    update_campaign,
)
from chalicelib.rating.service.rating_changes import change_line, change_rating


def withdraw_proposals(campaign_id: str, *, rating_status: str, reason_code: str, actor: str, why: str) -> int:
    """Take every not-yet-effective rating of the campaign (auto | adjusted | approved) to ``rating_status`` and
    withdraw every proposed line (releasing its household's line slot), each household in one transaction with
    its audit records; returns how many households changed. Idempotent: what is no longer pending is skipped."""
    units: list[Unit] = []
    lines = {ln["line_id"]: ln for ln in line_repo.list_for_campaign(campaign_id)}
    withdrawn = {"status": "withdrawn", "available": Decimal("0"), "withdrawn_reason": reason_code}
    for r in rating_repo.list_for_campaign(campaign_id):
        tx = dynamo.TxBuilder()
        if r["status"] in ("auto", "adjusted", "approved"):
            change_rating(tx, r, {"status": rating_status, f"{rating_status}_reason": reason_code}, actor,
                          f"rating.{rating_status}", why)
        line = lines.pop(r.get("line_id") or "", None)
        if line and line["status"] == "proposed":
            change_line(tx, line, dict(withdrawn), actor, "credit_line.withdrawn", why)
        if tx.ops:
            units.append(Unit(tx=tx))
    for line in lines.values():  # a proposal whose rating is missing (written by a step that then died)
        if line["status"] == "proposed":
            tx = dynamo.TxBuilder()
            change_line(tx, line, dict(withdrawn), actor, "credit_line.withdrawn", why)
            units.append(Unit(tx=tx))
    commit_units(campaign_id, units, counters=False)
    return len(units)


def close(campaign_id: str, outcome: str, error: dict[str, Any] | None = None, *,
          reason: str = "no confirmation within the notice period and margin") -> dict[str, Any]:
    """End a campaign whose workflow is still in flight (:data:`vc.CAMPAIGN_IN_FLIGHT_STATUSES`) that was not
    confirmed in time (``expired``: proposed lines withdrawn, releasing their households' line slots, pending
    ratings expired, the village's lock released) or that failed (``failed``: the error is kept, and so are the
    village's lock and the proposals, ADR 0011 decision 9: starting it again resumes, and staff who do not want
    that cancel it, which frees both: chalicelib.rating.service.campaign_cancel).

    A campaign that is no longer in flight (closed, failed already, cancelled meanwhile) is left as it is; returns
    ``{"status"}``, the campaign's status afterwards. NotFound ``CAMPAIGN_NOT_FOUND``."""
    current = camp_repo.get_unscoped(campaign_id)
    if current is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    if current["status"] not in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
        return {"status": current["status"]}
    try:
        if outcome == "expired":
            withdraw_proposals(campaign_id, rating_status="expired", reason_code="CAMPAIGN_NOT_CONFIRMED",
                               actor=SYSTEM_ACTOR, why="the campaign was not confirmed in time")
            update_campaign(campaign_id, {"status": "expired", "expired_at": utc_now_iso()}, actor=SYSTEM_ACTOR,
                            action="campaign.expired", remove=("task_token",), reason=reason,
                            expect_status=vc.CAMPAIGN_IN_FLIGHT_STATUSES)
            return {"status": "expired"}
        update_campaign(campaign_id, {"status": "failed", "failed_at": utc_now_iso(), "error": _error(error)},
                        actor=SYSTEM_ACTOR, action="campaign.failed", remove=("task_token",),
                        expect_status=vc.CAMPAIGN_IN_FLIGHT_STATUSES)
        return {"status": "failed"}
    except Conflict as exc:  # closed meanwhile (a cancellation, a concurrent close): it stays as it is
        if exc.code not in ("CAMPAIGN_STATE_CONFLICT", "CAMPAIGN_CANCELLED"):
            raise
        after = camp_repo.get_unscoped(campaign_id) or {}
        if after.get("status") in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
            raise
        return {"status": after.get("status")}


def _error(error: dict[str, Any] | None) -> dict[str, str]:
    """The workflow's error (``{"Error", "Cause"}``, the cause a Lambda's JSON error or text) as the campaign keeps
    it: the cause's message, at most 500 characters."""
    err = error or {}
    cause = str(err.get("Cause") or "")
    try:
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    return {"Error": str(err.get("Error") or "FAILED"), "Cause": cause[:500]}


#: Step Functions execution statuses of a workflow that has ended without a campaign status to show for it.
_DEAD_EXECUTION = ("FAILED", "TIMED_OUT", "ABORTED")


def settle_dead_execution(campaign: dict[str, Any]) -> dict[str, Any]:
    """A campaign still in flight whose Step Functions execution has ended (failed, timed out or aborted without
    reaching its failure step: a Lambda that kept failing in the failure step itself, an execution stopped by
    hand) is marked ``failed`` (error ``EXECUTION_<status>``), so it can be restarted or cancelled. Returns the
    campaign as it is afterwards (unchanged if its workflow is alive or it is not in flight)."""
    if campaign.get("status") not in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
        return campaign
    status = execution_status(campaign)
    if status not in _DEAD_EXECUTION:
        return campaign
    log().warning("a campaign's workflow ended without closing it; marked failed",
                  extra={"campaign_id": campaign["campaign_id"], "execution_status": status})
    close(campaign["campaign_id"], "failed", {"Error": f"EXECUTION_{status}",
                                              "Cause": f"the campaign's Step Functions execution is {status}"})
    return camp_repo.get_unscoped(campaign["campaign_id"]) or campaign


def settle_village(village_code: str, cid: str) -> None:
    """Mark the campaign that holds the village failed if its workflow died (:func:`settle_dead_execution`), so
    that a refused start names it as failed (it keeps the village: ADR 0011, decision 9)."""
    lock = camp_repo.get_lock(village_code)
    if lock is None or lock.get("campaign_id") == cid:
        return
    holder = camp_repo.get_unscoped(lock["campaign_id"])
    if holder is not None:
        settle_dead_execution(holder)
