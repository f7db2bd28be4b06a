"""The campaign's rating step (``rate_batch``, and ``record_batch_failure`` on its Catch path): each household of
a batch is rated and, if eligible, gets a proposed line that claims its line slot, in one transaction per ~14
households with the campaign's progress counters (:func:`chalicelib.rating.service.campaign_tx.commit_units`).

Idempotent: rating and line ids derive from the campaign and household ids; households already rated are skipped.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import DomainError, NotFound, ValidationFailed
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_config import Config, config, households_by_id
from chalicelib.rating.service.campaign_tx import SYSTEM_ACTOR, Unit, audit, commit_units, log, settings


def _plain(value: Any) -> Any:
    """Domain values → storable values (dates as ISO, tuples as lists)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _head(household: dict[str, Any]) -> tuple[str, str]:
    from chalicelib.rating.domain import household_metrics as hm

    try:
        head = hm.head_member(household)
    except ValidationFailed:
        return "", ""
    return str(head.get("name") or ""), vc.mask_resident_id(head.get("resident_id_masked"))


def rating_record(campaign: dict[str, Any], household: dict[str, Any], outcome: vc.HouseholdOutcome,
                  cfg: Config) -> dict[str, Any]:
    """The rating item of one household's outcome (without keys)."""
    s, p = outcome.score, outcome.proposal
    head_name, head_id = _head(household)
    inp = outcome.rating_input
    liabilities = household.get("liabilities") or {}
    bank_loans = liabilities.get("bank_loans") or 0
    return {
        "rating_id": vc.rating_id(campaign["campaign_id"], outcome.household_id),
        "household_id": outcome.household_id, "org_path": household.get("org_path") or campaign["org_path"],
        "village_code": campaign["village_code"], "campaign_id": campaign["campaign_id"], "status": "auto",
        "scorecard_id": s.scorecard_id, "scorecard_version": s.scorecard_version,
        "parameter_versions": cfg.policies.versions, "policy_version": p.policy_version,
        "score": s.total_score, "auto_grade": s.grade, "grade": s.grade, "grade_by_score": s.grade_by_score,
        "knocked_out": list(s.knocked_out), "reasons": list(s.reason_codes),
        "points": [{"indicator_id": i.indicator_id, "points": i.points, "max_points": i.max_points,
                    "bin": i.bin_label, "value_used": i.value_used, "raw_value": i.raw_value,
                    "reason_code": i.reason_code} for i in s.indicators],
        "rating_input": {"household_size": inp.household_size, "labourers": inp.labourers,
                         "total_assets": inp.total_assets, "net_assets": inp.net_assets,
                         "credit_union_shares": inp.credit_union_shares, "net_income": inp.net_income,
                         "committee_assessment": inp.committee_assessment,
                         "repayment_record": inp.repayment_record, "head_age": inp.head_age,
                         "blacklisted": inp.blacklisted, "currently_overdue": inp.currently_overdue,
                         "requested_term_years": inp.requested_term_years},
        "figures": dict(outcome.figures),
        "village_averages": {"total_assets": cfg.averages.total_assets, "net_assets": cfg.averages.net_assets,
                             "net_income": cfg.averages.net_income},
        "bank_loans": Decimal(str(bank_loans)), "currently_overdue": inp.currently_overdue,
        "ledger_overdue_loans": list(household.get("ledger_overdue_loans") or []),
        "is_credit_household": outcome.is_credit_household,
        "proposed_limit": p.master_limit, "line_id": vc.line_id(campaign["campaign_id"], outcome.household_id)
        if p.eligible and not household.get("existing_line_id") else None,
        "existing_line_id": household.get("existing_line_id"),
        "ineligible_reason": p.ineligible_reason, "binding_constraint": p.binding_constraint,
        "challenger": {k: _plain(outcome.challenger[k]) for k in ("model_id", "version", "score", "score_int",
                                                                  "probability_of_default", "fallbacks")
                       if outcome.challenger.get(k) is not None} if outcome.challenger else None,
        "challenger_detail": {"points": _plain(outcome.challenger.get("points"))} if outcome.challenger else None,
        "head_name": head_name, "head_id_masked": head_id,
        "village_group": household.get("village_group"), "household_no": household.get("household_no"),
        "rated_on": cfg.rated_on.isoformat(), "rated_by": SYSTEM_ACTOR, "campaign_started_by": campaign["started_by"],
        "household_version": household.get("version"),
    }


def line_records(rating: dict[str, Any], proposal: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Master line (proposed, owning the household's line slot: the caller claims it in the same
    transaction) and sub-line items for an eligible proposal."""
    line = {"line_id": rating["line_id"], "household_id": rating["household_id"], "org_path": rating["org_path"],
            "village_code": rating["village_code"], "campaign_id": rating["campaign_id"],
            "rating_id": rating["rating_id"], "status": "proposed", "grade": proposal.grade,
            "limit": proposal.master_limit, "available": proposal.master_limit,
            "binding_constraint": proposal.binding_constraint,
            "candidates": {k: Decimal(str(v)) for k, v in proposal.candidates.items()},
            "policy_id": proposal.policy_id, "policy_version": proposal.policy_version,
            "line_validity_years": proposal.line_validity_years, "created_on": rating["rated_on"],
            "currency": "CNY", "revolving": True, "holds_slot": True}
    subs = [line_repo.sub_item(line, s.product_id, s.limit, s.limit) for s in proposal.sub_lines]
    line["sub_limits"] = {s.product_id: s.limit for s in proposal.sub_lines}
    return line, subs


def creation_unit(campaign: dict[str, Any], household: dict[str, Any], outcome: vc.HouseholdOutcome,
                  cfg: Config) -> Unit:
    """The writes of one household's rating and, if eligible, its proposed line with the claim of the
    household's line slot. ``household["existing_line_id"]`` (the slot's owner as read, if any) means: no
    line, the rating names that line, and the transaction checks that it still owns the slot. Either way
    the condition, not the read, decides; a unit whose condition fails is rebuilt (``Unit.redo``)."""
    rating = rating_record(campaign, household, outcome, cfg)
    main, detail = rating_repo.split(rating)
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, settings().core_table, rating_repo.with_keys(main), expected_version=None, entity="rating")
    tx.put(settings().core_table, detail)
    tx.audit(settings().audit_table, audit("rating", rating["rating_id"], "rating.created", SYSTEM_ACTOR, None,
                                    {k: stored[k] for k in ("status", "score", "grade", "auto_grade", "knocked_out",
                                                            "reasons", "proposed_limit", "campaign_id")},
                                    rating["org_path"]))
    unit = Unit(tx=tx, rated=1, grade=rating["grade"], household_id=outcome.household_id,
                redo=lambda owner: creation_unit(campaign, {**household, "existing_line_id": owner}, outcome, cfg))
    if outcome.proposal.eligible and not rating["line_id"]:
        line_repo.add_check_slot_owner(tx, outcome.household_id, rating["existing_line_id"])
    if outcome.proposal.eligible and rating["line_id"]:
        line, subs = line_records(rating, outcome.proposal)
        dynamo.put_versioned(tx, settings().core_table, line_repo.with_keys(line), expected_version=None, entity="credit_line")
        line_repo.add_claim_slot(tx, line, at=utc_now_iso())
        for s in subs:
            tx.put(settings().core_table, s)
        tx.audit(settings().audit_table, audit("credit_line", line["line_id"], "credit_line.proposed", SYSTEM_ACTOR, None,
                                        {"status": "proposed", "limit": line["limit"],
                                         "sub_limits": line["sub_limits"], "rating_id": rating["rating_id"]},
                                        rating["org_path"]))
        unit.lines, unit.limit = 1, line["limit"]
    return unit


def rate_batch(campaign_id: str, household_ids: list[str]) -> dict[str, Any]:
    """Rate and propose lines for a batch of households; per-household problems become failure records."""
    c = camp_repo.get_unscoped(campaign_id)
    if c is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    cfg = config(campaign_id)
    ids = list(dict.fromkeys(household_ids))
    rids = {h: vc.rating_id(campaign_id, h) for h in ids}
    existing = rating_repo.batch_get(rids.values())
    todo = [h for h in ids if rids[h] not in existing]
    households = households_by_id(todo)
    ledger = _ledger_overdue(todo, cfg.rated_on)
    slot_owners = line_repo.slot_owners(todo)  # a hint: each unit's condition on the slot decides
    units: list[Unit] = []
    failures: list[tuple[str, str, str]] = []
    for hid in todo:
        h = households.get(hid)
        if h is None:
            failures.append((hid, "HOUSEHOLD_NOT_FOUND", "the household was not found"))
            continue
        if h.get("village_code") != c["village_code"]:
            failures.append((hid, "HOUSEHOLD_NOT_IN_VILLAGE", "the household belongs to another village now"))
            continue
        if ledger.get(hid):
            h = {**h, "currently_overdue": True, "ledger_overdue_loans": ledger[hid]}
        if slot_owners.get(hid):
            h = {**h, "existing_line_id": slot_owners[hid]}
        try:
            outcome = vc.rate_household(h, cfg.averages, cfg.policies, today=cfg.rated_on,
                                        challenger_artifact=cfg.challenger_artifact)
            units.append(creation_unit(c, h, outcome, cfg))
        except DomainError as exc:
            failures.append((hid, exc.code, exc.message))
        except Exception as exc:  # noqa: BLE001 - a household must not stop the village: record it, go on
            log().exception("rating a household failed", extra={"household_id": hid, "campaign_id": campaign_id})
            failures.append((hid, "INTERNAL_ERROR", type(exc).__name__))
    commit_units(campaign_id, units)
    record_failures(campaign_id, failures)
    return {"rated": len(units), "failed": len(failures), "already_rated": len(ids) - len(todo)}


def _ledger_overdue(household_ids: list[str], on: date) -> dict[str, list[str]]:
    """Household id → its loans at this institution past due on ``on``: such a household is *currently
    overdue* for the knock-out rule, whatever its file says. One key-range query per household on its own
    loan index (GSI1 ``HH#<id>#LOAN``), so loans booked under another village (the household moved) or
    written before loans carried a village count too."""
    from chalicelib.loans import public as loans

    out: dict[str, list[str]] = {}
    for hid in household_ids:
        late = [ln["loan_id"] for ln in loans.overdue_for_household(hid, on.isoformat())]
        if late:
            out[hid] = sorted(late)
    return out


def record_failures(campaign_id: str, failures: list[tuple[str, str, str]]) -> None:
    """Record ``(household_id, code, message)``: households of the campaign that could not be rated."""
    camp_repo.put_failures(campaign_id, failures, at=utc_now_iso())


def record_batch_failure(campaign_id: str, household_ids: list[str], error: dict[str, Any] | None) -> dict[str, Any]:
    """Catch path of a batch: every household of it without a rating is recorded as failed."""
    error = error or {}
    code = str(error.get("Error") or "BATCH_FAILED")
    cause = str(error.get("Cause") or "")
    try:
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    existing = rating_repo.batch_get(vc.rating_id(campaign_id, h) for h in household_ids)
    missing = [h for h in household_ids if vc.rating_id(campaign_id, h) not in existing]
    record_failures(campaign_id, [(h, code, cause or "the batch failed") for h in missing])
    return {"failed": len(missing)}


