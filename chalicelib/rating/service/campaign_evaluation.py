"""The campaign's evaluation step: credit household / village / township evaluation (信用户、信用村、信用乡镇),
kept as history (chalicelib.rating.data.models: VillageEvaluation, LatestVillageEvaluation, TownshipEvaluation).

Only a village (村民委员会, or a unit like one) is evaluated as a credit village (信用村): a residents' committee that
an institution was allowed to run a campaign in gets no credit-village evaluation and does not count for its
township; the campaign records why (``evaluation.applicable`` false, ``reason`` ``RESIDENTS_COMMITTEE``). The
township's villages are its villagers' committees by the division-code rule (``divisions.unit_type``).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.service.campaign_config import Config, config
from chalicelib.rating.service.campaign_tx import SYSTEM_ACTOR, WORKFLOW_STATUSES, commit, update_campaign

_RATIOS = ("credit_household_ratio", "borrowers_without_arrears_ratio", "npl_ratio", "is_credit_village", "failed")


def evaluate(campaign_id: str) -> dict[str, Any]:
    """Evaluate the campaign's village and its township (``{"is_credit_village", "is_credit_township"}``; both
    None for a residents' committee). Rules: chalicelib.rating.domain.evaluation."""
    from chalicelib.rating.domain.evaluation import evaluate_village
    from chalicelib.reference import divisions

    c = camp_repo.get_unscoped(campaign_id) or {}
    if divisions.is_urban_unit(c["village_code"]):
        summary: dict[str, Any] = {"applicable": False, "reason": "RESIDENTS_COMMITTEE",
                                   "unit_type": divisions.unit_type(c["village_code"])}
        update_campaign(campaign_id, {"evaluation": summary}, actor=SYSTEM_ACTOR, action="campaign.evaluated",
                        expect_status=WORKFLOW_STATUSES)
        return {"is_credit_village": None, "is_credit_township": None}
    cfg = config(campaign_id)
    day = business_date()
    facts, book = _facts(c, day, cfg)
    ev = evaluate_village(facts, cfg.policies.evaluation)
    village = _village_record(c, cfg, day, facts, book, ev)
    summary = {k: village[k] for k in _RATIOS}
    summary["facts"] = village["facts"]
    township = _township_record(c, cfg, ev.is_credit_village, village["evaluated_at"]) if c.get("township_code") \
        else None
    tx = dynamo.TxBuilder()
    camp_repo.add_evaluations(tx, village, township)
    if township is not None:
        summary["township"] = {k: v for k, v in township.items()
                               if k not in ("org_path", "campaign_id", "evaluated_at")}
    commit(tx)
    update_campaign(campaign_id, {"evaluation": summary}, actor=SYSTEM_ACTOR, action="campaign.evaluated",
                    expect_status=WORKFLOW_STATUSES)
    return {"is_credit_village": ev.is_credit_village,
            "is_credit_township": township["is_credit_township"] if township else None}


def _facts(c: dict[str, Any], day: date, cfg: Config) -> tuple[Any, Any]:
    """(VillageFacts, the village's loan book) of the campaign's village on ``day``."""
    from chalicelib.rating.domain.evaluation import VillageFacts

    ratings = [r for r in rating_repo.list_for_campaign(c["campaign_id"]) if r["status"] != "withdrawn"]
    book = _loan_book(c["village_code"], ratings, day, cfg.classification_rule)
    household_count = int(c.get("total", 0)) + int(c.get("skipped", 0))
    facts = VillageFacts(
        household_count=max(household_count, len(ratings), book.borrower_count),
        credit_household_count=sum(1 for r in ratings if r.get("is_credit_household")),
        borrower_count=book.borrower_count, borrowers_without_arrears=book.borrowers_without_arrears,
        loan_balance=book.loan_balance, npl_balance=book.npl_balance)
    return facts, book


def _village_record(c: dict[str, Any], cfg: Config, day: date, facts: Any, book: Any, ev: Any) -> dict[str, Any]:
    """The attributes of the village's evaluation (chalicelib.rating.data.models.VillageEvaluation)."""
    return {"village_code": c["village_code"], "village_name": c.get("village_name"),
            "township_code": c.get("township_code"), "org_path": c["org_path"], "campaign_id": c["campaign_id"],
            "evaluated_at": utc_now_iso(), "evaluated_on": day.isoformat(),
            "evaluation_id": cfg.policies.evaluation.evaluation_id,
            "evaluation_version": cfg.policies.evaluation.version,
            "parameter_version": cfg.policies.versions.get("credit_evaluation"),
            "facts": {"household_count": facts.household_count,
                      "credit_household_count": facts.credit_household_count,
                      "borrower_count": facts.borrower_count,
                      "borrowers_without_arrears": facts.borrowers_without_arrears,
                      "loan_balance": facts.loan_balance, "npl_balance": facts.npl_balance,
                      "ledger": {"loans": book.ledger_loan_count, "borrowers": book.ledger_borrowers,
                                 "balance": book.ledger_balance, "overdue_loans": book.overdue_loan_count,
                                 "npl_loans": book.npl_loan_count, "balance_by_category": book.balance_by_category},
                      "household_files": {"borrowers_without_ledger_loans": book.file_only_borrowers,
                                          "declared_balance": book.declared_balance}},
            "credit_household_ratio": ev.credit_household_ratio,
            "borrowers_without_arrears_ratio": ev.borrowers_without_arrears_ratio, "npl_ratio": ev.npl_ratio,
            "is_credit_village": ev.is_credit_village, "failed": list(ev.failed)}


def _township_record(c: dict[str, Any], cfg: Config, is_credit_village: bool, at: str) -> dict[str, Any]:
    """The attributes of the township's evaluation (chalicelib.rating.data.models.TownshipEvaluation): its
    villagers' committees, with the latest evaluation of each evaluated one and this village's new one."""
    from chalicelib.rating.domain.evaluation import evaluate_township
    from chalicelib.reference import divisions

    latest = {i["village_code"]: bool(i.get("is_credit_village"))
              for i in camp_repo.latest_village_evaluations(c["township_code"])
              if not divisions.is_urban_unit(i["village_code"])}
    latest[c["village_code"]] = is_credit_village
    codes = {v.code for v in divisions.villages_in_county(c["township_code"][:6])
             if v.township_code == c["township_code"]
             and divisions.unit_type(v.code) == "villagers_committee"} | set(latest)
    credit_villages = sum(1 for v in latest.values() if v)
    te = evaluate_township(len(codes), credit_villages, cfg.policies.evaluation)
    return {"township_code": c["township_code"], "township_name": c.get("township_name"),
            "org_path": c["org_path"], "campaign_id": c["campaign_id"], "evaluated_at": at,
            "village_count": len(codes), "credit_village_count": credit_villages,
            "evaluated_village_count": len(latest), "credit_village_ratio": te.credit_village_ratio,
            "is_credit_township": te.is_credit_township, "failed": list(te.failed)}


def _loan_book(village_code: str, ratings: list[dict[str, Any]], day: date,
               classification_rule: dict[str, Any] | None) -> Any:
    """The village's loan book on ``day``: its active loans (one index query), each classified with the
    campaign's rule and never better than the category post-loan assessed for it (one batch read of the
    post-loan states: healthy loans mostly have none)."""
    from chalicelib.loans import public as loans
    from chalicelib.postloan import public as postloan_repo
    from chalicelib.rating.domain.evaluation import village_loan_book

    ledger = loans.active_in_village(village_code)
    states = postloan_repo.states_by_id([ln["loan_id"] for ln in ledger]) if ledger else {}
    assessed = {k: v["assessed_category"] for k, v in states.items() if v.get("assessed_category")}
    return village_loan_book(ledger, ratings, today=day, classification_rule=classification_rule, assessed=assessed)
