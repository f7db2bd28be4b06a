"""Job 1, ``loan_classification``: days past due and five-category classification of every overdue loan (the loans'
index keys before the business date) and of every loan that was at risk and is not any more (cured or closed).
A change of category is stored with its history and audit record; the job does not touch inspections (the
inspections job re-plans them). Rule: the ``classification_rule`` parameter
(:func:`chalicelib.postloan.domain.classification.classify`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.data import postloan
from chalicelib.postloan.domain.classification import Category, classify
from chalicelib.postloan.service.common import Item, facts_of, loan_manager, skip
from chalicelib.postloan.service.config import classification_rule

_FACTS = ("dpd", "classified_on", "oldest_unpaid_due_date", "outstanding_principal", "overdue_principal",
          "overdue_interest", "status", "closed_on", "village_code", "account_manager_id", "rule_version")


@dataclass(frozen=True)
class _Rule:
    doc: dict[str, Any]
    version: int | None


def _save_state(before: Item | None, after: Item, *, day: date, dpd: int, rule_version: int | None,
                reason: str) -> str:
    """Store a state if anything changed: ``changed`` (category, with history), ``refreshed``, ``same``."""
    old_cat = (before or {}).get("category", Category.PASS.value)
    if before is None and after["category"] == Category.PASS.value and dpd == 0:
        return "same"
    if old_cat != after["category"]:
        after["category_since"] = day.isoformat()
        postloan.change_category(before, after, day=day, dpd=dpd, rule_version=rule_version, reason=reason)
        return "changed"
    if before is None:
        postloan.create_state(after)
        return "refreshed"
    if all(str(before.get(k)) == str(after.get(k)) for k in _FACTS):
        return "same"
    postloan.refresh_facts(before, after)
    return "refreshed"


def _classified(loan: Item, state: Item | None, day: date, rule: dict[str, Any], rule_version: int | None,
                records: list[Item] | None) -> tuple[Item, int]:
    """The loan's state after classifying it on ``day``, and its days past due."""
    facts = facts_of(loan, day, records)
    dpd = facts.dpd
    category = classify(dpd, rule, assessed=(state or {}).get("assessed_category")).value
    after = dict(state) if state else postloan.new_state(loan)
    oldest = facts.oldest_unpaid_due_date
    after.update(status="active", category=category, dpd=dpd, classified_on=day.isoformat(),
                 oldest_unpaid_due_date=oldest.isoformat() if oldest else None,
                 outstanding_principal=facts.outstanding_principal, overdue_principal=facts.overdue_principal,
                 overdue_interest=facts.overdue_interest, rule_version=rule_version,
                 account_manager_id=loan_manager(loan) or after.get("account_manager_id"),
                 village_code=loan.get("village_code") or after.get("village_code"))
    return after, dpd


def _classify_loan(jr: jobs.JobRun, loan: Item, state: Item | None, rule: dict[str, Any],
                   rule_version: int | None, records: list[Item] | None) -> None:
    """Classify one loan on the run's date and store its state (retried on a concurrent change)."""
    day = jr.day
    if state and str(state.get("classified_on") or "") > day.isoformat():
        jr.count("newer_classification_kept")  # a late run of a past date never turns the clock back
        return
    after, dpd = _classified(loan, state, day, rule, rule_version, records)
    for attempt in range(3):
        try:
            outcome = _save_state(state, after, day=day, dpd=dpd, rule_version=rule_version,
                                  reason=f"{dpd} days past due on {day.isoformat()}")
            break
        except Conflict as exc:
            if exc.code not in ("VERSION_CONFLICT", "LOAN_STATE_EXISTS", "CONCURRENT_UPDATE") or attempt == 2:
                raise
            state = postloan.get_state(loan["loan_id"])
            after = {**(state or {}), **{k: v for k, v in after.items() if k not in ("version", "updated_at",
                                                                                     "created_at")}}
    jr.count(f"classification_{outcome}")
    if outcome == "changed":
        jr.count(f"now_{after['category']}")


def _overdue(jr: jobs.JobRun, rule: _Rule, items: list[Item]) -> None:
    """Classify the overdue active loans of one page of the loans' index."""
    items = [i for i in items if i.get("kind") == "loan" and i.get("status") == "active"]
    if not items:
        return
    states = postloan.states_by_id([i["loan_id"] for i in items])
    records = postloan.installments_for(items)
    for loan in items:
        jr.count("loans_overdue_seen")
        try:
            _classify_loan(jr, loan, states.get(loan["loan_id"]), rule.doc, rule.version, records.get(loan["loan_id"]))
        except (KeyError, ValueError, TypeError) as exc:  # a malformed loan item must not stop the run
            skip(jr, loan, exc)


def _previously_at_risk(jr: jobs.JobRun, rule: _Rule, items: list[Item]) -> None:
    """Re-check the at-risk states the overdue pass did not classify today: cured, or closed."""
    day = jr.day
    stale = [s for s in items if s.get("classified_on") != day.isoformat() and s.get("status") == "active"]
    if not stale:
        return
    loans = postloan.loans_by_id([s["loan_id"] for s in stale])
    records = postloan.installments_for([ln for ln in loans.values() if ln.get("status") == "active"])
    for state in stale:
        jr.count("at_risk_rechecked")
        loan = loans.get(state["loan_id"])
        if loan is None or loan.get("status") != "active" or not loan.get("next_due_date"):
            after = {**state, "status": "closed", "closed_on": (loan or {}).get("closed_on") or day.isoformat(),
                     "dpd": 0, "classified_on": day.isoformat()}
            _save_state(state, after, day=day, dpd=0, rule_version=rule.version, reason="loan closed")
            jr.count("states_closed")
            continue
        try:
            _classify_loan(jr, loan, state, rule.doc, rule.version, records.get(loan["loan_id"]))
        except (KeyError, ValueError, TypeError) as exc:
            skip(jr, loan, exc)


def classification_job(jr: jobs.JobRun) -> dict[str, Any]:
    """The body of the ``loan_classification`` run of ``jr.day``; returns ``{"rule_version"}``."""
    day = jr.day
    rule = _Rule(*classification_rule(day))
    jr.pages("overdue", postloan.shards(), lambda s, c: postloan.active_loans_page(s, c, due_before=day),
             lambda _s, items: _overdue(jr, rule, items))
    jr.pages("cured_or_closed", postloan.institutions(), lambda i, c: postloan.risk_page(i, c),
             lambda _i, items: _previously_at_risk(jr, rule, items))
    return {"rule_version": rule.version}
