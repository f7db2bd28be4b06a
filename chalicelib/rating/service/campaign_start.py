"""Starting a village's campaign (the API) and its first workflow step, ``load``.

A village runs one campaign at a time: the campaign item and the village's lock
(:func:`chalicelib.rating.data.campaigns.add_acquire_lock`) are written in one transaction.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound, ValidationFailed
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import parameters as rp
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.domain.rating_input import village_averages
from chalicelib.rating.service.campaign_close import settle_dead_execution, settle_village
from chalicelib.rating.service.campaign_config import (
    campaign_settings,
    check_challenger,
    documents,
    village_households,
)
from chalicelib.rating.service.campaign_tx import (
    GRADES,
    SYSTEM_ACTOR,
    WORKFLOW_STATUSES,
    audit,
    s3,
    settings,
    sfn,
    update_campaign,
)


def _execution_arn(name: str) -> str:
    sm = settings().campaign_state_machine_arn
    return sm.replace(":stateMachine:", ":execution:") + f":{name}"


def start_campaign(principal: Principal, village_code: str, *, period: str | None = None,
                   challenger: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """Start the campaign of a village for a period (default: the business year).

    Idempotent: a campaign that exists already is returned as it is (``created`` False), except a
    ``failed`` one, which is started again (attempt + 1) and picks up what the failed run wrote. A campaign
    whose workflow died without closing it is marked failed first (``campaign_close.settle_dead_execution``), here
    and when it holds the village (then the 409 names it as failed: restart it, or cancel it: campaign_cancel).
    A village runs one campaign at a time: the campaign item and the village's lock are written in one
    transaction, so of two starts for different periods only one succeeds, whatever their timing.
    Raises NotFound ``VILLAGE_NOT_FOUND`` (not the caller's village), ValidationFailed
    ``VILLAGE_IS_RESIDENTS_COMMITTEE``, ``CHALLENGER_NOT_FOUND`` / ``CHALLENGER_FEATURES_UNAVAILABLE``,
    Conflict ``CAMPAIGN_RUNNING`` (another campaign of the village is open; ``details.campaign_id`` names it).
    """
    from chalicelib.admin import public as orgs
    from chalicelib.platform import parameters

    village = orgs.get_village(principal, village_code)
    if principal.role == "farmer":
        raise NotFound("village not found", code="VILLAGE_NOT_FOUND", field="village_code")
    today = business_date()
    params, _version = parameters.load("village_campaign", today, rp.VillageCampaign)
    institution_id = village["org_path"].strip("/").split("/")[1]
    unit_type = vc.check_campaign_unit(village_code, institution_id, params.document)
    period = period or str(today.year)
    cid = vc.campaign_id(village_code, period)
    existing = camp_repo.get_unscoped(cid)
    if existing:
        existing = settle_dead_execution(existing)
    settle_village(village_code, cid)
    if existing and existing["status"] != "failed":
        return existing, False
    challenger_ref = check_challenger(params.challenger if challenger is None else challenger)
    try:
        stored, name = _start_or_restart(principal, village, existing, cid, period, challenger_ref, unit_type, today)
    except Conflict as exc:
        if exc.code != "CAMPAIGN_EXISTS":
            raise
        return camp_repo.get_unscoped(cid) or {}, False  # a concurrent start of the same period won the race
    _start_execution(cid, name)
    return camp_repo.get_unscoped(cid) or stored, True


def _start_or_restart(principal: Principal, village: dict[str, Any], existing: dict[str, Any] | None, cid: str,
                      period: str, challenger_ref: dict[str, Any] | None, unit_type: str,
                      today: date) -> tuple[dict[str, Any], str]:
    """Create (or restart) the campaign, naming the campaign that holds the village when the lock is taken."""
    for attempt in range(3):
        try:
            if existing:
                return _restart(principal, existing)
            name = f"{cid}-1"
            return _create(principal, village, cid, period, challenger_ref, unit_type, _execution_arn(name),
                           today), name
        except camp_repo.CampaignRunning:
            running = camp_repo.running_campaign_error(village["village_code"])
            if running is not None:
                raise running from None
            if attempt == 2:  # the holder kept closing and another kept starting: let the caller retry
                raise
    raise AssertionError("unreachable")


def _create(principal: Principal, village: dict[str, Any], cid: str, period: str,
            challenger_ref: dict[str, Any] | None, unit_type: str, execution_arn: str,
            today: date) -> dict[str, Any]:
    """Write a new campaign, the village's lock and the audit record in one transaction (Conflict
    ``CAMPAIGN_EXISTS`` / :class:`chalicelib.rating.data.campaigns.CampaignRunning` when they fail)."""
    now = utc_now_iso()
    item = camp_repo.with_keys({
        "campaign_id": cid, "village_code": village["village_code"], "village_name": village.get("village_name"),
        "township_code": village.get("township_code"), "township_name": village.get("township_name"),
        "county_code": village.get("county_code"), "county_name": village.get("county_name"),
        "unit_type": unit_type, "org_id": village["org_id"], "org_path": village["org_path"], "period": period,
        "status": "running", "attempt": 1, "execution_arn": execution_arn,
        "started_by": principal.user_id, "started_by_username": principal.username,
        "started_at": now, "started_on": today.isoformat(), "challenger": challenger_ref,
        "total": 0, "rated": 0, "skipped": 0, "lines_proposed": 0, "limit_total": Decimal("0")})
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, settings().core_table, item, expected_version=None, entity="campaign")
    camp_repo.add_acquire_lock(tx, item, at=now)
    tx.audit(settings().audit_table, audit("campaign", cid, "campaign.started", principal.user_id, None,
                                           {"status": "running", "period": period, "challenger": challenger_ref},
                                           village["org_path"]))
    tx.commit()
    return stored


def _restart(principal: Principal, existing: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Start a failed campaign again (attempt + 1), taking the village's lock back if it lost it."""
    cid = existing["campaign_id"]
    attempt = int(existing.get("attempt", 1)) + 1
    name = f"{cid}-{attempt}"
    stored = update_campaign(cid, {"status": "running", "attempt": attempt, "execution_arn": _execution_arn(name),
                                   "restarted_by": principal.user_id, "restarted_at": utc_now_iso()},
                             actor=principal.user_id, action="campaign.restarted", expect_status=("failed",),
                             remove=("error",),
                             extra=lambda tx, cur: camp_repo.add_acquire_lock(tx, cur, at=utc_now_iso()))
    return stored, name


def _start_execution(cid: str, name: str) -> None:
    from botocore.exceptions import ClientError

    try:
        sfn().start_execution(stateMachineArn=settings().campaign_state_machine_arn, name=name,
                              input=json.dumps({"campaign_id": cid}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return
        update_campaign(cid, {"status": "failed", "error": {"Error": "START_FAILED",
                                                            "Cause": exc.response["Error"]["Code"]}},
                        actor=SYSTEM_ACTOR, action="campaign.failed")
        raise


# ================================================================================= task: load

def _rate_statuses(docs: dict[str, Any]) -> set[str]:
    return set(campaign_settings(docs["campaign"]).rate_statuses)


def _snapshot(c: dict[str, Any], households: list[dict[str, Any]]) -> dict[str, Any]:
    """The campaign's configuration snapshot, written by the first run that gets here (ValidationFailed
    ``VILLAGE_EMPTY`` when no household can be rated)."""
    try:
        return camp_repo.get_config(c["campaign_id"])
    except NotFound:
        pass
    on = date.fromisoformat(c["started_on"])
    docs, versions = documents(on)
    rateable = [h for h in households if h.get("status") in _rate_statuses(docs)]
    policies = vc.Policies.from_documents(scorecard=docs["scorecard"], credit_line=docs["credit_line"],
                                          products=docs["products"], evaluation=docs["evaluation"])
    inputs, _bad = vc.inputs_for(rateable, today=on, term_years=policies.requested_term_years)
    if not inputs:
        raise ValidationFailed(f"village {c['village_code']} has no household that can be rated",
                               code="VILLAGE_EMPTY")
    avg = village_averages(inputs.values())
    return camp_repo.put_config(c["campaign_id"], rated_on=on.isoformat(), documents=docs, versions=versions,
                                challenger=c.get("challenger"),
                                averages={"household_count": avg.household_count, "total_assets": avg.total_assets,
                                          "net_assets": avg.net_assets, "net_income": avg.net_income,
                                          "credit_union_shares": avg.credit_union_shares})


def _baseline(campaign_id: str, ids: list[str], households: list[dict[str, Any]],
              cfg_item: dict[str, Any]) -> dict[str, Any]:
    """The campaign's progress as already stored (a re-run starts from it)."""
    existing = rating_repo.list_for_campaign(campaign_id)
    baseline: dict[str, Any] = {
        "total": len(ids), "skipped": len(households) - len(ids), "rated": len(existing),
        "lines_proposed": sum(1 for r in existing if r.get("line_id")),
        "limit_total": sum((Decimal(str(r.get("proposed_limit") or 0)) for r in existing), Decimal("0")),
        "parameter_versions": cfg_item["versions"],
        "notice_days": campaign_settings(cfg_item["documents"]["campaign"]).notice_days}
    for g in GRADES:
        baseline[f"grade_{g}"] = sum(1 for r in existing if r.get("grade") == g)
    return baseline


def load(campaign_id: str) -> dict[str, Any]:
    """Load the village's households, snapshot the configuration (once), reset progress to what is
    already stored (stale failures are retried), write the S3 manifest and return the batches of household
    ids (``{"batches", "total", "manifest", "max_concurrency", "confirmation_timeout_seconds",
    "already_confirmed"}``). NotFound ``CAMPAIGN_NOT_FOUND``; ValidationFailed ``VILLAGE_EMPTY``."""
    c = camp_repo.get_unscoped(campaign_id)
    if c is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    households = village_households(c["village_code"])
    cfg_item = _snapshot(c, households)
    settings_ = campaign_settings(cfg_item["documents"]["campaign"])
    ids = sorted(h["household_id"] for h in households if h.get("status") in _rate_statuses(cfg_item["documents"]))
    camp_repo.clear_failures(campaign_id)
    baseline = _baseline(campaign_id, ids, households, cfg_item)
    manifest_key = f"campaigns/{campaign_id}/manifest.json"
    bucket = settings().documents_bucket
    s3().put_object(Bucket=bucket, Key=manifest_key, ContentType="application/json",
                    Body=json.dumps([{"household_id": i} for i in ids]).encode())
    baseline["manifest_key"] = manifest_key
    update_campaign(campaign_id, baseline, actor=SYSTEM_ACTOR, action="campaign.loaded", expect_status=WORKFLOW_STATUSES)
    size = settings_.batch_size
    margin = settings_.confirmation_margin_days
    return {"batches": [{"household_ids": ids[i:i + size]} for i in range(0, len(ids), size)],
            "total": len(ids), "manifest": {"Bucket": bucket, "Key": manifest_key},
            "max_concurrency": settings_.max_concurrency,
            "confirmation_timeout_seconds": (baseline["notice_days"] + margin) * 86400,
            "already_confirmed": bool(c.get("confirmed_by"))}
