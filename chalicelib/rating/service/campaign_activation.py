"""The campaign's activation step: after the institution's confirmation, lines go live and ratings become
effective, except for households with an upheld objection (withdrawn) — and never at a limit nobody approved
(docs/decisions/0011)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain.credit_line import add_years
from chalicelib.rating.service.campaign_config import config
from chalicelib.rating.service.campaign_tx import (
    SYSTEM_ACTOR,
    WORKFLOW_STATUSES,
    Unit,
    commit_units,
    log,
    update_campaign,
)
from chalicelib.rating.service.rating_changes import change_line, change_rating


@dataclass(frozen=True)
class _Validity:
    """Who activates, and the validity periods the activated ratings and lines get."""

    actor: str
    valid_from: date
    rating_valid_to: date
    line_valid_to: date


def _minus_day(d: date) -> date:
    return d - timedelta(days=1)


def activate(campaign_id: str, confirmation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Make the confirmed list live (``{"activated", "withdrawn"}``: lines).

    Lines take effect the day after the notice period ends (or today if later), so nothing can be
    drawn while the list is still posted. A line goes live only in the transaction that makes its rating
    effective (``auto``: approved by the confirmation; ``approved``: by a reviewer); a rating still ``adjusted``
    (which the confirmation's condition rules out) is withdrawn with its line, never activated at an unapproved
    limit.
    """
    c = camp_repo.get_unscoped(campaign_id) or {}
    cfg = config(campaign_id)
    upheld = {o["household_id"] for o in camp_repo.objections(campaign_id) if o["status"] == "upheld"}
    today = business_date()
    notice_end = date.fromisoformat(c["notice_until"]) if c.get("notice_until") else today
    valid_from = max(today, notice_end + timedelta(days=1))
    validity = _Validity(
        actor=(confirmation or {}).get("confirmed_by") or c.get("confirmed_by") or SYSTEM_ACTOR,
        valid_from=valid_from,
        rating_valid_to=_minus_day(add_years(valid_from, cfg.policies.credit_line.rating_validity_years)),
        line_valid_to=_minus_day(add_years(valid_from, cfg.policies.credit_line.line_validity_years)))
    lines = {ln["line_id"]: ln for ln in line_repo.list_for_campaign(campaign_id)}
    units: list[Unit] = []
    for r in rating_repo.list_for_campaign(campaign_id):
        tx = dynamo.TxBuilder()
        line = lines.get(r.get("line_id") or "")
        if r["household_id"] in upheld:
            _withdraw(tx, r, line, validity.actor, "OBJECTION_UPHELD", "objection upheld",
                      statuses=("auto", "adjusted", "approved"))
        elif r["status"] == "adjusted":  # never approved: its limit must not go live (see confirm)
            log().error("an adjusted rating reached activation unapproved; withdrawn",
                        extra={"campaign_id": campaign_id, "rating_id": r["rating_id"]})
            _withdraw(tx, r, line, validity.actor, "ADJUSTMENT_NOT_APPROVED",
                      "adjusted rating not approved at activation", statuses=("adjusted",))
        else:
            _make_live(tx, r, line, validity)
        if tx.ops:
            units.append(Unit(tx=tx))
    commit_units(campaign_id, units, counters=False)
    return _complete(campaign_id, validity)


def _withdraw(tx: dynamo.TxBuilder, r: dict[str, Any], line: dict[str, Any] | None, actor: str, why: str,
              reason: str, *, statuses: tuple[str, ...]) -> None:
    if r["status"] in statuses:
        change_rating(tx, r, {"status": "withdrawn", "withdrawn_reason": why}, actor, "rating.withdrawn", reason)
    if line and line["status"] == "proposed":
        change_line(tx, line, {"status": "withdrawn", "available": Decimal("0"), "withdrawn_reason": why}, actor,
                    "credit_line.withdrawn", reason)


def _make_live(tx: dynamo.TxBuilder, r: dict[str, Any], line: dict[str, Any] | None, v: _Validity) -> None:
    if r["status"] not in ("auto", "approved"):
        return
    change = {"status": "effective", "valid_from": v.valid_from.isoformat(), "valid_to": v.rating_valid_to.isoformat(),
              "effective_at": utc_now_iso()}
    if r["status"] == "auto":
        change.update(approved_by=v.actor, approved_at=utc_now_iso(), approval_basis="campaign_confirmation")
    change_rating(tx, r, change, v.actor, "rating.effective", None)
    # a line goes live only in the transaction that makes its rating effective, guarded by the rating's
    # version: a rating that changed since this read cancels both
    if line and line["status"] == "proposed":
        change_line(tx, line, {"status": "active", "valid_from": v.valid_from.isoformat(),
                               "valid_to": v.line_valid_to.isoformat(), "available": line["limit"],
                               "activated_at": utc_now_iso(), "activated_by": v.actor},
                    v.actor, "credit_line.activated", None)


def _complete(campaign_id: str, v: _Validity) -> dict[str, Any]:
    final = line_repo.list_for_campaign(campaign_id)
    active = [ln for ln in final if ln["status"] == "active"]
    result = {"activated": len(active), "withdrawn": sum(1 for ln in final if ln["status"] == "withdrawn"),
              "active_limit_total": sum((Decimal(str(ln["limit"])) for ln in active), Decimal("0")),
              "lines_valid_from": v.valid_from.isoformat()}
    update_campaign(campaign_id, {**result, "status": "completed", "completed_at": utc_now_iso()},
                    actor=v.actor, action="campaign.completed", expect_status=WORKFLOW_STATUSES)
    return {"activated": result["activated"], "withdrawn": result["withdrawn"]}
