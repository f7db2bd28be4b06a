"""Credit household / village / township evaluation at the exact thresholds."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.evaluation import (
    BORROWERS_WITHOUT_ARREARS_RATIO_LOW,
    CREDIT_HOUSEHOLD_RATIO_LOW,
    CREDIT_VILLAGE_RATIO_LOW,
    GRADE_BELOW_MIN,
    KNOCKED_OUT,
    NPL_RATIO_TOO_HIGH,
    VillageFacts,
    default_evaluation_document,
    evaluate_household,
    evaluate_township,
    evaluate_village,
)

POLICY = default_evaluation_document()


def facts(**kw) -> VillageFacts:
    base = dict(household_count=100, credit_household_count=80, borrower_count=100, borrowers_without_arrears=90,
                loan_balance=D("1000000"), npl_balance=D("10000"))
    base.update(kw)
    return VillageFacts(**base)


@pytest.mark.parametrize("grade, ko, ok, failed", [
    ("AAA", False, True, ()), ("AA", False, True, ()), ("A", False, True, ()),
    ("NONE", False, False, (GRADE_BELOW_MIN,)), ("AA", True, False, (KNOCKED_OUT,)),
    ("NONE", True, False, (GRADE_BELOW_MIN, KNOCKED_OUT)),
])
def test_credit_household(grade, ko, ok, failed):
    e = evaluate_household(grade, ko, POLICY)
    assert (e.is_credit_household, e.failed) == (ok, failed)


def test_credit_household_min_grade_is_a_parameter():
    pol = copy.deepcopy(POLICY)
    pol["credit_household"]["min_grade"] = "AA"
    assert evaluate_household("A", False, pol).failed == (GRADE_BELOW_MIN,)


def test_village_passes_with_margin():
    e = evaluate_village(facts(), POLICY)
    assert e.is_credit_village and e.failed == ()
    assert (e.credit_household_ratio, e.borrowers_without_arrears_ratio, e.npl_ratio) == (D("0.8"), D("0.9"), D("0.01"))


def test_credit_household_ratio_exactly_70_percent_passes():
    assert evaluate_village(facts(credit_household_count=70), POLICY).is_credit_village
    e = evaluate_village(facts(credit_household_count=69), POLICY)
    assert e.failed == (CREDIT_HOUSEHOLD_RATIO_LOW,) and e.credit_household_ratio == D("0.69")
    # 7 of 10 passes, 699 of 1000 does not
    assert evaluate_village(facts(household_count=10, credit_household_count=7, borrower_count=10,
                                  borrowers_without_arrears=9), POLICY).is_credit_village
    assert not evaluate_village(facts(household_count=1000, credit_household_count=699), POLICY).is_credit_village


def test_borrowers_without_arrears_exactly_85_percent_passes():
    assert evaluate_village(facts(borrowers_without_arrears=85), POLICY).is_credit_village
    e = evaluate_village(facts(borrowers_without_arrears=84), POLICY)
    assert e.failed == (BORROWERS_WITHOUT_ARREARS_RATIO_LOW,)


def test_npl_exactly_5_percent_fails():
    e = evaluate_village(facts(npl_balance=D("50000")), POLICY)          # 50000 / 1000000 = 0.05, not < 0.05
    assert e.failed == (NPL_RATIO_TOO_HIGH,) and e.npl_ratio == D("0.05")
    assert evaluate_village(facts(npl_balance=D("49999.99")), POLICY).is_credit_village


def test_all_criteria_reported():
    e = evaluate_village(facts(credit_household_count=10, borrowers_without_arrears=10, npl_balance=D("900000")), POLICY)
    assert e.failed == (CREDIT_HOUSEHOLD_RATIO_LOW, BORROWERS_WITHOUT_ARREARS_RATIO_LOW, NPL_RATIO_TOO_HIGH)


def test_village_without_borrowers():
    f = facts(borrower_count=0, borrowers_without_arrears=0, loan_balance=D(0), npl_balance=D(0))
    e = evaluate_village(f, POLICY)
    assert e.is_credit_village and e.borrowers_without_arrears_ratio is None and e.npl_ratio is None
    pol = copy.deepcopy(POLICY)
    pol["credit_village"]["no_borrowers"] = "fail"
    assert evaluate_village(f, pol).failed == (BORROWERS_WITHOUT_ARREARS_RATIO_LOW, NPL_RATIO_TOO_HIGH)


def test_village_errors():
    with pytest.raises(ValidationFailed) as e:
        evaluate_village(facts(household_count=0, credit_household_count=0, borrower_count=0,
                               borrowers_without_arrears=0), POLICY)
    assert e.value.code == "VILLAGE_EMPTY"
    with pytest.raises(ValidationFailed) as e:
        facts(credit_household_count=101)
    assert e.value.code == "INVALID_VILLAGE_FACTS"
    with pytest.raises(ValidationFailed):
        facts(npl_balance=0.5)


def test_township_threshold_exactly_50_percent():
    e = evaluate_township(10, 5, POLICY)
    assert e.is_credit_township and e.credit_village_ratio == D("0.5")
    e = evaluate_township(10, 4, POLICY)
    assert e.failed == (CREDIT_VILLAGE_RATIO_LOW,) and not e.is_credit_township
    e = evaluate_township(3, 1, POLICY)
    assert not e.is_credit_township and e.credit_village_ratio == D("0.333333")
    with pytest.raises(ValidationFailed) as ex:
        evaluate_township(0, 0, POLICY)
    assert ex.value.code == "TOWNSHIP_EMPTY"
    with pytest.raises(ValidationFailed) as ex:
        evaluate_township(3, 4, POLICY)
    assert ex.value.code == "INVALID_TOWNSHIP_FACTS"


# ------------------------------------------------------------------------------------ the village loan book

def _loan(loan_id, household, outstanding, due):
    return {"loan_id": loan_id, "household_id": household, "outstanding_principal": D(outstanding),
            "next_due_date": due}


TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("due, category, npl", [
    ("2026-11-30", "pass", False),             # due today: not yet past due
    ("2026-11-29", "special_mention", False),  # 1 day past due
    ("2026-09-01", "special_mention", False),  # 90 days: not more than 90
    ("2026-08-31", "substandard", True),       # 91 days
    ("2026-03-05", "substandard", True),       # 270 days
    ("2026-03-04", "doubtful", True),          # 271 days
    ("2025-12-05", "doubtful", True),          # 360 days
    ("2025-12-04", "loss", True),              # 361 days
])
def test_a_ledger_loan_is_classified_by_days_past_due(due, category, npl):
    from chalicelib.rating.domain.evaluation import village_loan_book

    book = village_loan_book([_loan("L1", "H1", "1000.00", due)], [], today=TODAY)
    assert book.balance_by_category[category] == D("1000.00")
    assert book.npl_balance == (D("1000.00") if npl else 0)
    assert book.borrowers_without_arrears == (1 if category == "pass" else 0)


def test_the_loan_book_combines_the_ledger_and_the_household_files():
    from chalicelib.rating.domain.evaluation import evaluate_village, village_loan_book

    ledger = [_loan("L1", "H1", "30000.00", "2026-12-20"), _loan("L2", "H1", "10000.00", "2026-11-20"),
              _loan("L3", "H2", "50000.00", "2026-06-01"), _loan("L4", "H3", "20000.00", "2026-12-31"),
              _loan("L5", "H6", "0.00", "2026-01-01")]  # nothing outstanding: not a borrower
    ratings = [{"household_id": "H1", "bank_loans": D("40000")},   # declared = its ledger loans: not added
               {"household_id": "H4", "bank_loans": D("15000")},   # borrows elsewhere only
               {"household_id": "H5", "bank_loans": D("5000"), "currently_overdue": True},
               {"household_id": "H7", "bank_loans": D("0")}]
    book = village_loan_book(ledger, ratings, today=TODAY, assessed={"L4": "doubtful"})
    assert (book.ledger_loan_count, book.ledger_borrowers, book.file_only_borrowers) == (4, 3, 2)
    assert book.borrower_count == 5
    assert book.borrowers_without_arrears == 2  # H3 and H4; H1 (L2), H2 (L3) and H5 (its file) are in arrears
    assert book.loan_balance == D("130000.00")  # 110,000 in the ledger + 20,000 declared elsewhere
    assert book.npl_balance == D("70000.00")    # L3 substandard by days, L4 doubtful as assessed
    assert (book.overdue_loan_count, book.npl_loan_count) == (2, 2)
    ev = evaluate_village(facts(household_count=7, credit_household_count=6, borrower_count=book.borrower_count,
                                borrowers_without_arrears=book.borrowers_without_arrears,
                                loan_balance=book.loan_balance, npl_balance=book.npl_balance), POLICY)
    assert ev.failed == (BORROWERS_WITHOUT_ARREARS_RATIO_LOW, NPL_RATIO_TOO_HIGH)


def test_the_loan_book_uses_the_classification_rule_given():
    from chalicelib.rating.domain.evaluation import village_loan_book

    stricter = {"dpd_more_than": {"special_mention": 0, "substandard": 60, "doubtful": 180, "loss": 360}}
    book = village_loan_book([_loan("L1", "H1", "1000.00", "2026-09-15")], [], today=TODAY,  # 76 days
                             classification_rule=stricter)
    assert book.npl_balance == D("1000.00")
