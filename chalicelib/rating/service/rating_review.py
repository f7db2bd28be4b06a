"""Rating review: manual adjustment (account manager, ±1 grade with a reason), approval (reviewer or
approver, a different person: 审贷分离), objections raised during the public notice, and the daily
expiry of ratings and lines. Every change is written with its audit record in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.domain.credit_line import propose_line
from chalicelib.rating.domain.evaluation import evaluate_household
from chalicelib.rating.domain.grade_adjustment import grade_adjust_to
from chalicelib.rating.domain.rating_input import RatingInput
from chalicelib.rating.domain.scorecard import ScoreResult
from chalicelib.rating.service.campaign_config import config
from chalicelib.rating.service.campaign_notice import publish_notice
from chalicelib.rating.service.campaign_rating import line_records
from chalicelib.rating.service.campaign_tx import audit, commit, settings
from chalicelib.rating.service.rating_changes import LineCondition, change_line, change_rating


def _check_version(item: dict[str, Any], expected: int | None, what: str) -> None:
    if expected is not None and int(item.get("version", 0)) != expected:
        raise Conflict(f"the {what} was changed by someone else (now version {item.get('version')}); reload",
                       code="VERSION_CONFLICT", field="version")


def _rating_input(rating: dict[str, Any]) -> RatingInput:
    raw = dict(rating["rating_input"])
    for k in ("total_assets", "net_assets", "credit_union_shares", "net_income"):
        raw[k] = Decimal(str(raw[k]))
    for k in ("household_size", "labourers", "head_age", "requested_term_years"):
        raw[k] = int(raw[k])
    for k in ("blacklisted", "currently_overdue"):
        raw[k] = bool(raw[k])
    return RatingInput(**raw)


def adjust(principal: Principal, rating_id: str, *, target_grade: str, reason: str,
           expected_version: int | None = None) -> dict[str, Any]:
    """Adjust a rating by at most one grade from the automatic grade (人工调整), with a reason.

    The line proposal follows the new grade (limit, sub-lines; a line appears or is withdrawn when the
    grade crosses the no-credit boundary). A line that appears claims the household's line slot in the same
    transaction: if another line owns it, the rating gets no line and names that one (``existing_line_id``),
    decided by the slot's condition. Adjusting back to the automatic grade reverts to ``auto``. The same
    transaction counts the rating on the campaign's ``pending_adjustments`` (which the confirmation requires to
    be 0) with the condition that the campaign is not confirmed, so an adjustment and a confirmation never both
    succeed (docs/decisions/0011, decision 6).
    Raises ValidationFailed ``RATING_ADJUST_TOO_FAR`` / ``RATING_ADJUST_OUT_OF_RANGE`` /
    ``RATING_KNOCKED_OUT`` / ``UNKNOWN_GRADE``; Conflict ``RATING_NOT_ADJUSTABLE``,
    ``CAMPAIGN_ALREADY_CONFIRMED``, ``VERSION_CONFLICT``, ``CREDIT_LINE_STATE_CONFLICT``.
    """
    r = rating_repo.get(principal, rating_id)
    _check_version(r, expected_version, "rating")
    c = camp_repo.get_unscoped(r["campaign_id"])
    vc.check_adjustable(r, c)
    new_grade, proposal, is_credit = _follow_grade(r, target_grade)
    hid = r["household_id"]
    line = line_repo.get_unscoped(vc.line_id(r["campaign_id"], hid))
    if line is not None and line["status"] not in ("proposed", "withdrawn"):
        raise Conflict(f"the credit line is {line['status']}; it can no longer follow an adjustment",
                       code="CREDIT_LINE_STATE_CONFLICT")
    holds = line is not None and line["status"] == "proposed" and bool(line.get("holds_slot"))
    # who owns the household's line slot: a hint only, the transaction's condition on the slot decides
    owner = line_repo.slot_owners([hid]).get(hid) if proposal.eligible and not holds else None
    adjustment = _Adjustment(principal.user_id, new_grade, reason, utc_now_iso(), proposal, is_credit)
    action = "rating.adjustment_reverted" if new_grade == r["auto_grade"] else "rating.adjusted"
    for attempt in range(5):
        tx = dynamo.TxBuilder()
        change = adjustment.change(r, owner)
        stored = change_rating(tx, r, change, principal.user_id, action, reason,
                               remove=tuple(k for k, v in change.items() if v is None))
        _line_follows(tx, r, stored, proposal, line, holds=holds, owner=owner, actor=principal.user_id,
                      reason=reason)
        # the decision is the campaign item's: not confirmed meanwhile, and its count of adjusted ratings
        # (which the confirmation requires to be 0) follows this one
        camp_repo.add_count_adjustment(
            tx, r["campaign_id"], int(stored["status"] == "adjusted") - int(r["status"] == "adjusted"),
            statuses=vc.ADJUSTABLE_CAMPAIGN_STATUSES,
            on_fail=Conflict("the campaign was confirmed (or closed) meanwhile; ratings can no longer be adjusted",
                             code="CAMPAIGN_ALREADY_CONFIRMED"))
        try:
            commit(tx)
            break
        except line_repo.SlotTaken:
            if attempt == 4:
                raise
            owner = line_repo.slot_owners([hid]).get(hid)
    if c and c.get("status") == "awaiting_confirmation" and c.get("notice_keys"):
        publish_notice(r["campaign_id"], actor=principal.user_id, reason=f"rating {rating_id} adjusted")
    return stored


def _follow_grade(r: dict[str, Any], target_grade: str) -> tuple[str, Any, bool]:
    """(the adjusted grade, the line proposal at that grade, whether the household is then a credit household),
    with the campaign's frozen policies."""
    cfg = config(r["campaign_id"])
    knocked = bool(r.get("knocked_out"))
    new_grade = grade_adjust_to(r["auto_grade"], target_grade, scorecard=cfg.policies.scorecard, knocked_out=knocked)
    score = ScoreResult(r["scorecard_id"], r["scorecard_version"], Decimal(str(r["score"])), r["auto_grade"],
                        r["grade_by_score"], (), tuple(r.get("knocked_out") or ()), ())
    proposal = propose_line(score, _rating_input(r), cfg.policies.credit_line, cfg.policies.products,
                            grade_override=new_grade, as_of=cfg.rated_on)
    is_credit = evaluate_household(new_grade, knocked, cfg.policies.evaluation).is_credit_household
    return new_grade, proposal, is_credit


@dataclass(frozen=True)
class _Adjustment:
    """An adjustment by ``by`` to ``grade`` at ``at``, with the proposal that grade gives."""

    by: str
    grade: str
    reason: str
    at: str
    proposal: Any
    is_credit: bool

    def change(self, r: dict[str, Any], owner: str | None) -> dict[str, Any]:
        """The rating's change (``None``: attribute removed) when the household's slot is owned by ``owner``."""
        reverted = self.grade == r["auto_grade"]
        p = self.proposal
        entry = {"from": r["grade"], "to": self.grade, "auto_grade": r["auto_grade"], "reason": self.reason,
                 "by": self.by, "at": self.at}
        change: dict[str, Any] = {
            "status": "auto" if reverted else "adjusted", "grade": self.grade, "is_credit_household": self.is_credit,
            "proposed_limit": p.master_limit, "binding_constraint": p.binding_constraint,
            "ineligible_reason": p.ineligible_reason,
            "line_id": vc.line_id(r["campaign_id"], r["household_id"]) if p.eligible and owner is None else None,
            "existing_line_id": owner if p.eligible else r.get("existing_line_id"),
            "adjustments": [*(r.get("adjustments") or []), entry]}
        if reverted:
            change.update(adjusted_by=None, adjusted_at=None, adjustment_reason=None)
        else:
            change.update(adjusted_by=self.by, adjusted_at=self.at, adjustment_reason=self.reason)
        return change


def _line_follows(tx: dynamo.TxBuilder, old: dict[str, Any], rating: dict[str, Any], proposal: Any,
                  line: dict[str, Any] | None, *, holds: bool, owner: str | None, actor: str, reason: str) -> None:
    """Make the campaign's line of the household (``line`` as read, with sub-lines; None if there is none)
    match the adjusted ``rating``: (re-)proposed when the rating has a ``line_id`` (claiming the household's
    line slot unless the line ``holds`` it already), otherwise withdrawn if proposed (releasing the slot),
    and when the proposal was eligible but ``owner`` owns the slot, a check that it still does."""
    lid = vc.line_id(old["campaign_id"], old["household_id"])
    if rating.get("line_id"):
        new_line, subs = line_records({**rating, "line_id": lid}, proposal)
        if line is not None:
            new_line["created_on"] = line.get("created_on", new_line["created_on"])
        dynamo.put_versioned(tx, settings().core_table, line_repo.with_keys(new_line),
                             expected_version=None if line is None else line["version"], entity="credit_line")
        if not holds:
            line_repo.add_claim_slot(tx, new_line, at=utc_now_iso())
        keep = {s["SK"] for s in subs}
        for s in subs:
            tx.put(settings().core_table, s)
        for s in (line or {}).get("sub_lines", []):
            if s["SK"] not in keep:
                tx.delete(settings().core_table, {"PK": s["PK"], "SK": s["SK"]})
        tx.audit(settings().audit_table, audit("credit_line", lid, "credit_line.reproposed", actor,
                                                None if line is None else {"status": line["status"],
                                                                           "limit": line["limit"]},
                                                {"status": "proposed", "limit": new_line["limit"],
                                                 "grade": new_line["grade"], "sub_limits": new_line["sub_limits"]},
                                                old["org_path"], reason))
        return
    if line is not None and line["status"] == "proposed":
        why = "HOUSEHOLD_HAS_LINE" if proposal.eligible else "GRADE_ADJUSTED"
        change_line(tx, line, {"status": "withdrawn", "available": Decimal("0"), "withdrawn_reason": why},
                      actor, "credit_line.withdrawn", reason)
    if proposal.eligible and owner:
        line_repo.add_check_slot_owner(tx, old["household_id"], owner)


def approve(principal: Principal, rating_id: str, *, comment: str | None = None,
            expected_version: int | None = None) -> dict[str, Any]:
    """A reviewer or approver approves an automatic or adjusted rating.

    Separation of duties: the approver must not be the adjuster nor the account manager who started
    the campaign (Forbidden ``SEPARATION_OF_DUTIES``). Approving an adjusted rating takes it off the
    campaign's count of pending adjustments in the same transaction (docs/decisions/0011, decision 6).
    Raises Conflict ``RATING_NOT_APPROVABLE``, ``VERSION_CONFLICT``.
    """
    r = rating_repo.get(principal, rating_id)
    _check_version(r, expected_version, "rating")
    vc.check_approvable(r)
    c = camp_repo.get_unscoped(r["campaign_id"]) or {}
    vc.check_separation_of_duties(principal.user_id, others={"adjuster": r.get("adjusted_by"),
                                                             "campaign starter": c.get("started_by")})
    change = {"status": "approved", "approved_by": principal.user_id, "approved_at": utc_now_iso(),
              "approval_basis": "review", "approval_comment": comment}
    tx = dynamo.TxBuilder()
    stored = change_rating(tx, r, {k: v for k, v in change.items() if v is not None}, principal.user_id,
                             "rating.approved", comment)
    if r["status"] == "adjusted":
        camp_repo.add_adjustment_decided(tx, r["campaign_id"])
    commit(tx)
    return stored


# ============================================================================================ objections

def record_objection(principal: Principal, campaign_id: str, *, household_id: str, raised_by: str,
                     reason: str) -> dict[str, Any]:
    """Record an objection (异议) to a household on the posted list, during the notice period.

    Raises Conflict ``NOTICE_NOT_POSTED`` / ``NOTICE_PERIOD_OVER``; NotFound ``HOUSEHOLD_NOT_IN_CAMPAIGN``.
    """
    c = camp_repo.get(principal, campaign_id)
    if c["status"] not in ("awaiting_confirmation", "completed") or not c.get("notice_until"):
        raise Conflict(f"objections are recorded while the list is posted; the campaign is {c['status']}",
                       code="NOTICE_NOT_POSTED")
    if business_date() > date.fromisoformat(c["notice_until"]):
        raise Conflict(f"the notice period ended on {c['notice_until']} (business date {business_date()}): objections "
                       "are recorded until then", code="NOTICE_PERIOD_OVER",
                       details={"notice_until": c["notice_until"], "business_date": business_date().isoformat()})
    rating = rating_repo.get_unscoped(vc.rating_id(campaign_id, household_id))
    if rating is None:
        raise NotFound("the household is not on this campaign's list", code="HOUSEHOLD_NOT_IN_CAMPAIGN",
                       field="household_id")
    at = utc_now_iso()
    oid = vc.objection_id(campaign_id, household_id, at)
    tx = dynamo.TxBuilder()
    item = camp_repo.add_objection(tx, {
        "objection_id": oid, "campaign_id": campaign_id, "household_id": household_id,
        "rating_id": rating["rating_id"], "status": "open", "raised_by": raised_by, "reason": reason,
        "recorded_by": principal.user_id, "recorded_at": at, "org_path": c["org_path"], "version": 1})
    tx.audit(settings().audit_table, audit("campaign", campaign_id, "objection.recorded", principal.user_id, None,
                                            {"objection_id": oid, "household_id": household_id, "status": "open"},
                                            c["org_path"], reason))
    commit(tx)
    return item


def decide_objection(principal: Principal, campaign_id: str, objection_id: str, *, decision: str,
                     reason: str) -> dict[str, Any]:
    """Uphold or dismiss an objection. Upholding withdraws the household's rating and line at once
    (a line already drawn on is frozen instead); activation skips the household.

    Raises Conflict ``OBJECTION_DECIDED``, ``CAMPAIGN_ACTIVATING``; Forbidden ``SEPARATION_OF_DUTIES``
    (the person who recorded the objection may not decide it).
    """
    c = camp_repo.get(principal, campaign_id)
    if c["status"] == "activating":
        raise Conflict("the lines are being activated; decide after activation", code="CAMPAIGN_ACTIVATING")
    o = camp_repo.get_objection(campaign_id, objection_id)
    if o["status"] != "open":
        raise Conflict(f"the objection was already {o['status']}", code="OBJECTION_DECIDED")
    vc.check_separation_of_duties(principal.user_id, others={"recorder of the objection": o.get("recorded_by")})
    status = "upheld" if decision == "uphold" else "dismissed"
    now = utc_now_iso()
    tx = dynamo.TxBuilder()
    camp_repo.add_decide_objection(tx, campaign_id, objection_id, status=status, by=principal.user_id, at=now,
                                   reason=reason)
    tx.audit(settings().audit_table, audit("campaign", campaign_id, f"objection.{status}", principal.user_id,
                                            {"objection_id": objection_id, "status": "open"},
                                            {"objection_id": objection_id, "status": status,
                                             "household_id": o["household_id"]}, c["org_path"], reason))
    if status == "upheld":
        _withdraw(tx, o, principal.user_id, reason)
    commit(tx)
    if status == "upheld" and c["status"] == "awaiting_confirmation":
        publish_notice(campaign_id, actor=principal.user_id, reason=f"objection {objection_id} upheld")
    return {**o, "status": status, "decided_by": principal.user_id, "decided_at": now, "decision_reason": reason}


def _withdraw(tx: dynamo.TxBuilder, objection: dict[str, Any], actor: str, reason: str) -> None:
    rating = rating_repo.get_unscoped(objection["rating_id"])
    if rating and rating["status"] not in ("withdrawn", "expired"):
        change_rating(tx, rating, {"status": "withdrawn", "withdrawn_reason": "OBJECTION_UPHELD"}, actor,
                        "rating.withdrawn", reason)
        if rating["status"] == "adjusted":
            camp_repo.add_adjustment_decided(tx, rating["campaign_id"])
    line = line_repo.get_unscoped(rating["line_id"]) if rating and rating.get("line_id") else None
    if line is None:
        return
    if line["status"] == "proposed":
        change_line(tx, line, {"status": "withdrawn", "available": Decimal("0"),
                                 "withdrawn_reason": "OBJECTION_UPHELD"}, actor, "credit_line.withdrawn", reason)
    elif line["status"] == "active":
        if Decimal(str(line["available"])) == Decimal(str(line["limit"])):
            change_line(tx, line, {"status": "withdrawn", "available": Decimal("0"),
                                     "withdrawn_reason": "OBJECTION_UPHELD"}, actor, "credit_line.withdrawn",
                          reason, also=LineCondition("available = #lim", names={"#lim": "limit"}))
        else:  # already drawn on: no new drawdowns, outstanding loans run off
            change_line(tx, line, {"status": "frozen", "frozen_reason": "OBJECTION_UPHELD"}, actor,
                          "credit_line.frozen", reason)


# ============================================================================================ expiry

def expire_due(today: date | None = None, *, lookback_days: int = 31) -> dict[str, int]:
    """Expire effective ratings and active lines whose ``valid_to`` is before ``today`` (daily job).

    Reads the expiry queue (GSI3 ``EXPIRY#<valid_to>``) of the last ``lookback_days`` days, so a missed
    run catches up.
    """
    today = today or business_date()
    counts = {"ratings": 0, "lines": 0}
    for n in range(lookback_days, 0, -1):
        day = (today - timedelta(days=n)).isoformat()
        for item in rating_repo.due_for_expiry(day):
            tx = dynamo.TxBuilder()
            if item.get("kind") == "rating" and item.get("status") == "effective":
                change_rating(tx, item, {"status": "expired", "expired_reason": "VALIDITY_ENDED"},
                                "system:expiry", "rating.expired", f"valid until {day}")
                counts["ratings"] += 1
            elif item.get("kind") == "credit_line" and item.get("status") == "active":
                change_line(tx, item, {"status": "expired", "expired_on": today.isoformat()}, "system:expiry",
                              "credit_line.expired", f"valid until {day}")
                counts["lines"] += 1
            if tx.ops:
                try:
                    commit(tx)
                except Conflict:
                    continue  # changed meanwhile; the next run sees it again if still due
    return counts
