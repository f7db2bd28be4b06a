"""Closing a campaign that was not confirmed in time (``expired``) or whose workflow failed (``failed``)."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.service.campaign_tx import SYSTEM_ACTOR, Unit, commit_units, update_campaign
from chalicelib.rating.service.rating_changes import change_line, change_rating


def close(campaign_id: str, outcome: str, error: dict[str, Any] | None = None, *,
          reason: str = "no confirmation within the notice period and margin") -> dict[str, Any]:
    """End a campaign that was not confirmed in time (``expired``: proposed lines withdrawn, releasing their
    households' line slots, pending ratings expired, the village's lock released) or that failed
    (``failed``: the error is kept, and so are the village's lock and the proposed lines: starting it
    again resumes). Returns ``{"status"}``."""
    if outcome == "expired":
        return _expire(campaign_id, reason)
    err = error or {}
    cause = str(err.get("Cause") or "")
    try:
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    update_campaign(campaign_id, {"status": "failed", "failed_at": utc_now_iso(),
                                  "error": {"Error": str(err.get("Error") or "FAILED"), "Cause": cause[:500]}},
                    actor=SYSTEM_ACTOR, action="campaign.failed", remove=("task_token",))
    return {"status": "failed"}


def _expire(campaign_id: str, reason: str) -> dict[str, Any]:
    units: list[Unit] = []
    lines = {ln["line_id"]: ln for ln in line_repo.list_for_campaign(campaign_id)}
    why = "the campaign was not confirmed in time"
    for r in rating_repo.list_for_campaign(campaign_id):
        tx = dynamo.TxBuilder()
        if r["status"] in ("auto", "adjusted", "approved"):
            change_rating(tx, r, {"status": "expired", "expired_reason": "CAMPAIGN_NOT_CONFIRMED"}, SYSTEM_ACTOR,
                          "rating.expired", why)
        line = lines.get(r.get("line_id") or "")
        if line and line["status"] == "proposed":
            change_line(tx, line, {"status": "withdrawn", "available": Decimal("0"),
                                   "withdrawn_reason": "CAMPAIGN_NOT_CONFIRMED"}, SYSTEM_ACTOR,
                        "credit_line.withdrawn", why)
        if tx.ops:
            units.append(Unit(tx=tx))
    commit_units(campaign_id, units, counters=False)
    update_campaign(campaign_id, {"status": "expired", "expired_at": utc_now_iso()}, actor=SYSTEM_ACTOR,
                    action="campaign.expired", remove=("task_token",), reason=reason)
    return {"status": "expired"}
