"""Waiting for the institution's confirmation of the posted list (the workflow's task-token step) and the
confirmation itself, which resumes the workflow towards activation (docs/decisions/0011)."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_close import close
from chalicelib.rating.service.campaign_tx import SYSTEM_ACTOR, log, sfn, update_campaign


def await_confirmation(campaign_id: str, task_token: str) -> dict[str, Any]:
    """Keep the task token server-side and mark the campaign as waiting for the institution."""
    try:
        update_campaign(campaign_id, {"task_token": task_token, "status": "awaiting_confirmation",
                                      "awaiting_since": utc_now_iso()},
                        actor=SYSTEM_ACTOR, action="campaign.awaiting_confirmation",
                        expect_status=("running", "awaiting_confirmation"))
    except Conflict:
        c = camp_repo.get_unscoped(campaign_id) or {}
        if c.get("confirmed_by"):  # confirmed by an earlier run: resume at once
            sfn().send_task_success(taskToken=task_token, output=json.dumps(
                {"confirmed_by": c["confirmed_by"], "confirmed_at": c.get("confirmed_at")}))
            return {"resumed": True}
        raise
    return {"waiting": True}


def confirm(principal: Principal, campaign_id: str, comment: str | None) -> dict[str, Any]:
    """The institution confirms the list after the notice: the workflow resumes and activates.

    The campaign's update is conditioned on its status and on no adjusted rating waiting for a reviewer
    (``pending_adjustments`` 0 or missing), the count every adjustment changes in its own transaction on the
    same item: whichever of a confirmation and an adjustment is applied second is refused
    (docs/decisions/0011, decision 6). The reads before it only give early, itemised answers.
    Raises Conflict ``CAMPAIGN_NOT_AWAITING_CONFIRMATION``, ``OBJECTIONS_OPEN``, ``ADJUSTMENTS_PENDING``,
    ``CONFIRMATION_WINDOW_CLOSED``; Forbidden ``SEPARATION_OF_DUTIES`` (the starter may not confirm).
    """
    c = camp_repo.get(principal, campaign_id)
    if c["status"] != "awaiting_confirmation" or not c.get("task_token"):
        raise Conflict(f"the campaign is {c['status']}, not awaiting confirmation",
                       code="CAMPAIGN_NOT_AWAITING_CONFIRMATION", field="status")
    vc.check_separation_of_duties(principal.user_id, others={"campaign starter": c.get("started_by")})
    open_objections = [o for o in camp_repo.objections(campaign_id) if o["status"] == "open"]
    if open_objections:
        raise Conflict(f"{len(open_objections)} objection(s) are still open; decide them first",
                       code="OBJECTIONS_OPEN", details={"objection_ids": [o["objection_id"] for o in open_objections]})
    pending = _pending_adjustments(campaign_id)
    if pending is not None:
        raise pending
    token = c["task_token"]
    at = utc_now_iso()
    raced = Conflict("the campaign changed while it was being confirmed", code="CONFIRMATION_RACED")
    try:  # the decision is the campaign item's condition: still awaiting, and no adjusted rating pending
        updated = update_campaign(campaign_id, {"status": "activating", "confirmed_by": principal.user_id,
                                                "confirmed_by_username": principal.username, "confirmed_at": at,
                                                "confirmation_comment": comment},
                                  actor=principal.user_id, action="campaign.confirmed", reason=comment,
                                  expect_status=("awaiting_confirmation",), remove=("task_token",),
                                  condition=camp_repo.NO_PENDING_ADJUSTMENTS, cond_values=camp_repo.NO_PENDING_VALUES,
                                  on_fail=raced)
    except Conflict as exc:
        if exc.code != raced.code:
            raise
        now = camp_repo.get_unscoped(campaign_id) or {}
        if now.get("status") != "awaiting_confirmation":
            raise Conflict(f"the campaign is {now.get('status')}, not awaiting confirmation",
                           code="CAMPAIGN_NOT_AWAITING_CONFIRMATION", field="status") from None
        raise _pending_adjustments(campaign_id) or Conflict(
            "an adjusted rating was waiting for a reviewer's approval; confirm again", code="ADJUSTMENTS_PENDING",
            details={"rating_ids": []}) from None
    from botocore.exceptions import ClientError

    try:
        sfn().send_task_success(taskToken=token, output=json.dumps({"confirmed_by": principal.user_id,
                                                                     "confirmed_at": at}))
    except ClientError as exc:
        log().warning("confirmation could not resume the workflow", extra={"campaign_id": campaign_id,
                                                                            "code": exc.response["Error"]["Code"]})
        try:
            close(campaign_id, "expired", reason="the confirmation window had closed")
        except Conflict:  # the workflow's own expiry step is closing it at the same time
            log().warning("closing the expired campaign met a concurrent change", extra={"campaign_id": campaign_id})
        raise Conflict("the confirmation window has closed; the campaign expired",
                       code="CONFIRMATION_WINDOW_CLOSED") from None
    return updated


def _pending_adjustments(campaign_id: str) -> Conflict | None:
    """409 ``ADJUSTMENTS_PENDING`` naming the campaign's adjusted ratings (read now), or None if it has none."""
    pending = [r["rating_id"] for r in rating_repo.list_for_campaign(campaign_id) if r["status"] == "adjusted"]
    if not pending:
        return None
    return Conflict(f"{len(pending)} adjusted rating(s) wait for a reviewer's approval",
                    code="ADJUSTMENTS_PENDING", details={"rating_ids": pending[:50]})


# ================================================================================= task: activate
