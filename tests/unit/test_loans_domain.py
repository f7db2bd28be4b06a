"""Pure loans domain: product checks and pricing, the auto-approval rule set, servicing (penalties, allocation
to installments), separation of duties, and the contract's capital amount."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.loans.domain import approval_rules, products, servicing
from chalicelib.loans.domain.contract_pdf import amount_in_words, render
from chalicelib.loans.domain.rates import parse_lpr_table
from chalicelib.loans.domain.repayment import AmountsDue, penalty_interest
from chalicelib.loans.domain.schedules import build_schedule
from chalicelib.platform import rules
from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.parameters import default_document
from tests.pdf_support import pdf_fonts

TODAY = date(2026, 11, 30)


def _product(code: str = "NH_XYD") -> products.LoanProduct:
    return products.get_product(default_document("products"), code)


def _terms(**kw) -> products.ApplicationTerms:
    base = dict(amount=D("20000"), term_months=12, repayment_method="equal_installment", interest_period="monthly",
                purpose="planting", payment_mode="self", has_payee=False)
    base.update(kw)
    return products.ApplicationTerms(**base)


def test_every_shipped_product_parses_with_its_lending_terms():
    catalogue = products.load_products(default_document("products"))
    assert set(catalogue) == {"NH_XYD", "NH_DBD", "NH_TDJ"}
    assert {p.kind for p in catalogue.values()} == {"credit", "guaranteed", "land_mortgage"}
    assert catalogue["NH_XYD"].repayment_allocation_order == ("penalty", "interest", "principal")


def test_a_valid_application_passes_and_each_broken_rule_is_reported():
    products.check_application(_product(), _terms(), head_birth_date=date(1980, 1, 1), today=TODAY)
    with pytest.raises(ValidationFailed) as err:
        products.check_application(_product(), _terms(amount=D("400000"), term_months=40, purpose="travel",
                                                      interest_period="quarterly"),
                                   head_birth_date=date(1950, 1, 1), today=TODAY)
    codes = {f.code for f in err.value.fields}
    assert codes == {"AMOUNT_OUT_OF_RANGE", "TERM_OUT_OF_RANGE", "PURPOSE_NOT_ALLOWED", "ENTRUSTED_PAYMENT_REQUIRED",
                     "BORROWER_AGE"}


def test_age_plus_term_and_collateral_rules():
    tdj = _product("NH_TDJ")
    with pytest.raises(ValidationFailed) as err:
        products.check_application(tdj, _terms(amount=D("500000"), term_months=60, payment_mode="entrusted",
                                               has_payee=True, collateral_value=D("600000")),
                                   head_birth_date=date(1961, 6, 1), today=TODAY)  # 65 + 5 years = 70: allowed
    assert {f.code for f in err.value.fields} == {"LOAN_TO_VALUE_EXCEEDED"}
    strict = tdj.model_copy(update={"age_limits": products.AgeLimits(min=18, max=65, max_age_plus_term_years=68)})
    with pytest.raises(ValidationFailed) as err:
        products.check_application(strict, _terms(amount=D("100000"), term_months=60, collateral_value=D("600000")),
                                   head_birth_date=date(1961, 6, 1), today=TODAY)
    assert {f.code for f in err.value.fields} == {"BORROWER_AGE_PLUS_TERM"}


def test_pricing_is_lpr_plus_spread_and_refuses_a_stale_table():
    import json
    from pathlib import Path

    table = parse_lpr_table(json.loads(Path("chalicelib/reference/parameters/lpr_fixings.json").read_text()))
    current = products.price(_product(), date(2026, 9, 1), table)  # the shipped table is current until 09-20
    assert current["annual_rate"] == D("0.0450") and current["benchmark_rate"] == D("0.0300")
    assert current["spread_bps"] == 150 and current["benchmark_fixing_date"] == "2026-08-20"
    assert "lpr_overdue_since" not in current
    in_grace = products.price(_product(), date(2026, 9, 30), table)  # the 09-20 fixing is overdue: still priced
    assert in_grace["annual_rate"] == D("0.0450") and in_grace["lpr_overdue_since"] == "2026-09-21"
    with pytest.raises(ValidationFailed) as err:
        products.price(_product(), date(2026, 10, 1), table)  # 10 days' grace (products.json) are over
    assert err.value.code == "LPR_TABLE_STALE"


FACTS = dict(amount=D("20000"), product_kind="credit", channel="pad", payment_mode="self", within_line=True,
             line_active=True, rating_valid=True, red_warning_open=False, overdue_loans=0, bureau_result="clear",
             face_verified=False)


@pytest.mark.parametrize("change, outcome, rule", [
    ({}, "approve", "AA99"),
    ({"amount": D("100000.01")}, "manual", "AA01"),
    ({"amount": D("100000.00")}, "approve", "AA99"),
    ({"rating_valid": False}, "manual", "AA02"),
    ({"red_warning_open": True}, "manual", "AA03"),
    ({"overdue_loans": 2}, "manual", "AA04"),
    ({"bureau_result": "hit"}, "manual", "AA05"),
    ({"bureau_result": "unavailable"}, "manual", "AA06"),
    ({"bureau_result": "reject"}, "decline", "AA07"),
    ({"product_kind": "guaranteed"}, "manual", "AA08"),
    ({"payment_mode": "entrusted"}, "manual", "AA09"),
    ({"within_line": False}, "decline", "AA10"),
    ({"line_active": False}, "decline", "AA11"),
    ({"channel": "app"}, "decline", "AA12"),
    ({"channel": "app", "face_verified": True}, "approve", "AA99"),
])
def test_each_auto_approval_rule_fires_on_its_fact(change, outcome, rule):
    decision = approval_rules.evaluate(default_document("approval_rules"), rules.facts_for(**{**FACTS, **change}))
    assert decision.outcome == outcome
    assert rule in {f["rule_id"] for f in decision.fired}


def test_the_strictest_outcome_wins_and_a_broken_or_silent_rule_set_means_people():
    doc = default_document("approval_rules")
    both = approval_rules.evaluate(doc, rules.facts_for(**{**FACTS, "amount": D("200000"),
                                                                    "bureau_result": "reject"}))
    assert both.outcome == "decline" and {"AA01", "AA07", "AA99"} <= {f["rule_id"] for f in both.fired}
    broken = approval_rules.evaluate({"decision": {"nodes": 1}}, rules.facts_for(**FACTS))
    assert broken.outcome == "manual" and broken.fired[0]["rule_id"] == "RULE_SET_INVALID"
    silent = copy.deepcopy(doc)
    table = next(n for n in silent["decision"]["nodes"] if n["type"] == "decisionTableNode")
    table["content"]["rules"] = [r for r in table["content"]["rules"] if r["out_rule_id"] != '"AA99"']
    assert approval_rules.evaluate(silent, rules.facts_for(**FACTS)).fired[0]["rule_id"] == "NO_RULE_FIRED"


def _records(amount="12000", term=12):
    schedule = build_schedule(principal=D(amount), annual_rate=D("0.045"), method="equal_installment",
                              term_months=term, start_date=TODAY)
    return [servicing.installment_record(i, schedule_version=1) for i in schedule.installments]


def test_penalty_interest_waits_for_the_grace_period_then_counts_from_the_due_date():
    recs = _records()
    due = date.fromisoformat(recs[0]["due_date"])
    kw = dict(annual_rate=D("0.045"), uplift=D("0.5"), grace_days=3, day_count="ACT/360")
    within = servicing.accrue_penalties(recs, date.fromordinal(due.toordinal() + 3), **kw)
    assert servicing.amounts_due(within, date.fromordinal(due.toordinal() + 3)).penalty == 0
    later = date.fromordinal(due.toordinal() + 4)
    accrued = servicing.accrue_penalties(recs, later, **kw)
    assert servicing.amounts_due(accrued, later).penalty == penalty_interest(D(str(recs[0]["principal"])), D("0.045"),
                                                                             D("0.5"), days=4)
    # accrual is incremental: accruing again the same day adds nothing
    assert servicing.accrue_penalties(accrued, later, **kw)[0]["penalty_accrued"] == accrued[0]["penalty_accrued"]


def test_applied_amounts_go_to_the_oldest_installment_first_and_mark_it_paid():
    recs = _records()
    day = date.fromisoformat(recs[1]["due_date"])
    due = servicing.amounts_due(recs, day)
    assert due.principal == D(str(recs[0]["principal"])) + D(str(recs[1]["principal"]))
    changed = servicing.apply_amounts(recs, AmountsDue(interest=due.interest, principal=D(str(recs[0]["principal"]))),
                                      day)
    assert [c["number"] for c in changed] == [1, 2]
    assert changed[0]["status"] == "paid" and changed[1]["status"] == "open"
    assert changed[1]["paid_interest"] == D(str(recs[1]["interest"])) and changed[1]["paid_principal"] == 0


@pytest.mark.parametrize("amount, words", [("50000", "伍万元整"), ("100100", "壹拾万零壹佰元整"), ("1005", "壹仟零伍元整"),
                                           ("12.05", "壹拾贰元零伍分"), ("300000.50", "叁拾万元伍角"),
                                           ("1000001", "壹佰万零壹元整")])
def test_capital_amounts_in_chinese(amount, words):
    assert amount_in_words(amount) == words


def test_the_contract_pdf_is_deterministic():
    doc = default_document("contract_template")
    one = render(doc, {"amount": "1.00"}, [("1", "2026-12-30", "1.00", "0.01", "1.01")])
    assert one == render(doc, {"amount": "1.00"}, [("1", "2026-12-30", "1.00", "0.01", "1.01")])
    assert one.startswith(b"%PDF") and all(f.embedded for f in pdf_fonts(one))


def test_separation_of_duties_bars_earlier_deciders_and_the_pad_applicant():
    from chalicelib.loans.service.approval import separation_conflict
    from chalicelib.platform.access import Principal

    p = Principal(user_id="u1", username="x", role="approver", org_id="JL-220122", org_path="/JL/JL-220122/")
    dd = {"applicant_user_id": "am", "applicant_role": "account_manager", "investigated_by": "am", "reviewed_by": "u1"}
    assert separation_conflict(p, "approval", dd) == "reviewed"
    assert separation_conflict(p, "approval", {**dd, "reviewed_by": "u2"}) is None
    assert separation_conflict(p, "review", {**dd, "applicant_user_id": "u1", "investigated_by": "x"}) == "filed"
    farmer_filed = {"applicant_user_id": "u1", "applicant_role": "farmer"}
    assert separation_conflict(p, "review", farmer_filed) is None
