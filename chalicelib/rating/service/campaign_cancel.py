"""Staff abandon a campaign that is not confirmed (``POST /campaigns/{id}/cancel``): a stuck or failed campaign
that is not to be resumed gives its village and its households back."""
from __future__ import annotations

from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_close import withdraw_proposals
from chalicelib.rating.service.campaign_tx import execution_status, log, sfn, update_campaign


def cancel(principal: Principal, campaign_id: str, reason: str) -> dict[str, Any]:
    """Cancel a campaign that is not confirmed (running, awaiting confirmation or failed). Returns the campaign,
    ``cancelled``.

    One transaction moves the campaign to ``cancelled`` (conditioned on its status and on no confirmation:
    a confirmation and a cancellation cannot both succeed) with the audit record (``reason``) and releases the
    village's lock if the campaign holds it. Then its not-yet-effective ratings are withdrawn and its proposed
    lines withdrawn, releasing their households' line slots, and its execution is stopped. A workflow step still
    in flight cannot add to it: the rating writes are conditioned on the campaign not being cancelled, and so are
    the campaign's other workflow updates (``campaign_tx.WORKFLOW_STATUSES``).

    Idempotent: cancelling a cancelled campaign withdraws what an interrupted earlier cancellation left and
    returns it. Scoped: NotFound ``CAMPAIGN_NOT_FOUND`` outside the caller's organisation. Raises Conflict
    ``CAMPAIGN_CONFIRMED`` (confirmed: its lines are, or are being, activated) and ``CAMPAIGN_CLOSED`` (completed
    or expired)."""
    c = camp_repo.get(principal, campaign_id)
    if c["status"] != "cancelled":
        if c.get("confirmed_by") or c["status"] in ("activating", "completed"):
            raise Conflict(f"the campaign is confirmed ({c['status']}); it cannot be cancelled",
                           code="CAMPAIGN_CONFIRMED", field="status")
        if c["status"] not in vc.CAMPAIGN_CANCELLABLE_STATUSES:
            raise Conflict(f"the campaign is {c['status']} already", code="CAMPAIGN_CLOSED", field="status")
        raced = Conflict("the campaign changed while it was being cancelled", code="CANCELLATION_RACED")
        try:
            update_campaign(campaign_id, {"status": "cancelled", "cancelled_by": principal.user_id,
                                          "cancelled_at": utc_now_iso(), "cancellation_reason": reason},
                            actor=principal.user_id, action="campaign.cancelled", reason=reason,
                            expect_status=vc.CAMPAIGN_CANCELLABLE_STATUSES, remove=("task_token",),
                            condition="attribute_not_exists(confirmed_by)", on_fail=raced)
        except Conflict as exc:
            if exc.code != raced.code:
                raise
            now = camp_repo.get_unscoped(campaign_id) or {}
            if now.get("status") != "cancelled":  # confirmed or closed meanwhile: say which
                return cancel(principal, campaign_id, reason)
    # Concurrent cancellations (a client's retry, two staff) withdraw the same proposals: the one that loses a
    # household's transaction reads again and skips what the other withdrew (the withdrawals are idempotent), so
    # every cancellation answers the cancelled campaign instead of a stale-version conflict.
    dynamo.retry_conflicts(
        lambda: withdraw_proposals(campaign_id, rating_status="withdrawn", reason_code="CAMPAIGN_CANCELLED",
                                   actor=principal.user_id, why=reason),
        codes=(*dynamo.RETRYABLE_CONFLICTS, "CREDIT_LINE_STATE_CONFLICT"))
    _stop_execution(c)
    return camp_repo.get_unscoped(campaign_id) or c


def _stop_execution(campaign: dict[str, Any]) -> None:
    """Stop the campaign's execution (``campaign`` as read before the cancellation, with its ``task_token`` if it
    was waiting for the confirmation). The waiting task is also failed with its token: on AWS the stop has ended
    the execution already and the call is refused (ignored); moto's executor notices a stop only when the task
    it waits on returns, and then ends the execution without running its failure step."""
    from botocore.exceptions import ClientError

    arn = campaign.get("execution_arn")
    if not arn or execution_status(campaign) != "RUNNING":
        return
    calls = [lambda: sfn().stop_execution(executionArn=arn, error="CampaignCancelled", cause="cancelled by staff")]
    if campaign.get("task_token"):
        calls.append(lambda: sfn().send_task_failure(taskToken=campaign["task_token"], error="CampaignCancelled",
                                                     cause="cancelled by staff"))
    for call in calls:
        try:
            call()
        except ClientError as exc:  # ended meanwhile
            log().info("the cancelled campaign's execution: a stop call was refused",
                       extra={"campaign_id": campaign["campaign_id"], "code": exc.response["Error"]["Code"]})
