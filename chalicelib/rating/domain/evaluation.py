"""Credit household / village / township evaluation (信用户 / 信用村 / 信用乡(镇)评定): pure domain code.

Driven by an *evaluation document* (default ``chalicelib/reference/parameters/credit_evaluation.json``).
Defaults (DESIGN.md, one published rule): a credit village has >= 70 % credit households, >= 85 % of
borrowers without arrears and an NPL stock < 5 %; a credit township has >= 50 % credit villages; a credit
household is rated A or better and not knocked out (default, adjustable).

Ratios are ``Decimal``. Verdicts compare exactly (``count >= threshold * total``, no rounding); the
reported ratios are truncated (ROUND_DOWN) to 6 decimal places so a shown ratio never looks better
than the verdict.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.platform.errors import ValidationFailed

_RATIO_Q = Decimal("0.000001")

# failed-criterion codes
GRADE_BELOW_MIN = "GRADE_BELOW_MIN"
KNOCKED_OUT = "KNOCKED_OUT"
CREDIT_HOUSEHOLD_RATIO_LOW = "CREDIT_HOUSEHOLD_RATIO_LOW"
BORROWERS_WITHOUT_ARREARS_RATIO_LOW = "BORROWERS_WITHOUT_ARREARS_RATIO_LOW"
NPL_RATIO_TOO_HIGH = "NPL_RATIO_TOO_HIGH"
CREDIT_VILLAGE_RATIO_LOW = "CREDIT_VILLAGE_RATIO_LOW"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class HouseholdRule(_Model):
    grade_order: tuple[str, ...] = ("NONE", "A", "AA", "AAA")
    min_grade: str = "A"
    exclude_knocked_out: bool = True

    @model_validator(mode="after")
    def _check(self) -> HouseholdRule:
        if self.min_grade not in self.grade_order:
            raise ValueError("min_grade must be in grade_order")
        return self


class VillageRule(_Model):
    min_credit_household_ratio: Decimal
    min_borrowers_without_arrears_ratio: Decimal
    max_npl_ratio_exclusive: Decimal
    no_borrowers: Literal["pass", "fail"] = "pass"


class TownshipRule(_Model):
    min_credit_village_ratio: Decimal


class EvaluationPolicy(_Model):
    """Parsed evaluation document (see ``credit_evaluation.json``)."""

    evaluation_id: str
    version: str
    credit_household: HouseholdRule
    credit_village: VillageRule
    credit_township: TownshipRule


def load_evaluation_policy(doc: Mapping[str, Any] | EvaluationPolicy) -> EvaluationPolicy:
    """Validate an evaluation document. Raises ``ValidationFailed`` ``EVALUATION_POLICY_INVALID``."""
    if isinstance(doc, EvaluationPolicy):
        return doc
    try:
        return EvaluationPolicy.model_validate(doc)
    except ValueError as exc:
        raise ValidationFailed(f"invalid evaluation document: {exc}", code="EVALUATION_POLICY_INVALID") from exc


def default_evaluation_document() -> dict[str, Any]:
    """The bundled default evaluation document as a dict."""
    from chalicelib.reference.parameters import shipped

    return shipped("credit_evaluation")


def _ratio(num: int | Decimal, den: int | Decimal) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) / Decimal(den)).quantize(_RATIO_Q, rounding=ROUND_DOWN)


# --------------------------------------------------------------------------------------------------
# Credit household
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HouseholdEvaluation:
    """``is_credit_household`` (信用户) and the failed criteria (``GRADE_BELOW_MIN``, ``KNOCKED_OUT``)."""

    grade: str
    is_credit_household: bool
    failed: tuple[str, ...]


def evaluate_household(grade: str, knocked_out: bool, policy: Mapping[str, Any] | EvaluationPolicy) -> HouseholdEvaluation:
    """Is a rated household a credit household? ``grade`` is its current (possibly adjusted) grade.

    Default rule: grade >= A and no knock-out. Raises ``ValidationFailed`` ``UNKNOWN_GRADE``.
    """
    rule = load_evaluation_policy(policy).credit_household
    if grade not in rule.grade_order:
        raise ValidationFailed(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grade")
    failed: list[str] = []
    if rule.grade_order.index(grade) < rule.grade_order.index(rule.min_grade):
        failed.append(GRADE_BELOW_MIN)
    if rule.exclude_knocked_out and knocked_out:
        failed.append(KNOCKED_OUT)
    return HouseholdEvaluation(grade, not failed, tuple(failed))


# --------------------------------------------------------------------------------------------------
# Credit village
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VillageFacts:
    """What a credit-village evaluation needs about one administrative village.

    - ``household_count``: households in the village (the denominator of the credit-household ratio);
      ``credit_household_count``: of those, credit households (see :func:`evaluate_household`).
    - ``borrower_count``: households with a loan balance; ``borrowers_without_arrears``: of those, with
      no overdue principal or interest.
    - ``loan_balance`` and ``npl_balance`` (Decimal CNY): total balance and the non-performing part
      (substandard + doubtful + loss in the five-category classification).

    Raises ``ValidationFailed`` ``INVALID_VILLAGE_FACTS`` when counts or balances are inconsistent.
    """

    household_count: int
    credit_household_count: int
    borrower_count: int
    borrowers_without_arrears: int
    loan_balance: Decimal
    npl_balance: Decimal

    def __post_init__(self) -> None:
        for name in ("loan_balance", "npl_balance"):
            v = getattr(self, name)
            if isinstance(v, (float, bool)) or not isinstance(v, (Decimal, int)):
                raise ValidationFailed(f"{name} must be a Decimal", code="INVALID_VILLAGE_FACTS", field=name)
            object.__setattr__(self, name, Decimal(v))
        ok = (0 <= self.credit_household_count <= self.household_count
              and 0 <= self.borrowers_without_arrears <= self.borrower_count <= self.household_count
              and 0 <= self.npl_balance <= self.loan_balance)
        if not ok:
            raise ValidationFailed("village counts or balances are inconsistent", code="INVALID_VILLAGE_FACTS")


@dataclass(frozen=True)
class LoanBook:
    """The loan side of a village's facts, with where each figure came from (the evidence kept with the
    evaluation). Counts are households or loans as named; balances are Decimal CNY."""

    borrower_count: int
    borrowers_without_arrears: int
    loan_balance: Decimal
    npl_balance: Decimal
    ledger_loan_count: int
    ledger_borrowers: int
    ledger_balance: Decimal
    overdue_loan_count: int
    npl_loan_count: int
    balance_by_category: dict[str, Decimal]
    file_only_borrowers: int
    declared_balance: Decimal


def village_loan_book(ledger_loans: Iterable[Mapping[str, Any]], ratings: Iterable[Mapping[str, Any]], *,
                      today: date, classification_rule: Mapping[str, Any] | None = None,
                      assessed: Mapping[str, str] | None = None) -> LoanBook:
    """Borrowers, arrears, loan balance and NPL balance of a village, from the institution's own loan
    ledger first and the household files second.

    - ``ledger_loans``: the village's active loan accounts (``loan_id``, ``household_id``,
      ``outstanding_principal``, ``next_due_date`` = due date of the first open installment, i.e. the
      oldest unpaid one once it is past). Each is classified on ``today`` with the five-category rule
      (:func:`chalicelib.postloan.domain.classification.classify`, 2023 rule by default) from its days past due,
      never better than its ``assessed`` category (loan id → category, from post-loan). A loan more than
      0 days past due is in arrears; substandard, doubtful and loss are non-performing (NPL).
    - ``ratings``: the campaign's household ratings (``household_id``, ``bank_loans`` declared in the
      file, ``currently_overdue`` flag). A household with declared bank loans but no ledger loan is a
      borrower too (loans from before the system or from other lenders): its declared balance counts in
      the loan balance as performing (its classification is unknown), and it is in arrears when its file
      says it is currently overdue. Declared loans of a household that has ledger loans are not added
      (they would be counted twice when the declaration includes the institution's own loan).

    Raises ``ValidationFailed`` (``DPD_INVALID``, ``CATEGORY_INVALID``) on malformed loan facts.
    """
    from chalicelib.postloan.domain.classification import Category, classify, days_past_due

    assessed = assessed or {}
    by_category = {c.value: Decimal("0") for c in Category}
    in_arrears: set[str] = set()
    ledger_households: set[str] = set()
    ledger_balance = npl_balance = Decimal("0")
    loans = overdue = npl = 0
    for loan in ledger_loans:
        outstanding = Decimal(str(loan.get("outstanding_principal") or 0))
        if outstanding <= 0:
            continue
        due = loan.get("next_due_date")
        dpd = days_past_due(date.fromisoformat(str(due)) if due else None, today)
        category = classify(dpd, classification_rule, assessed=assessed.get(loan["loan_id"]))
        loans += 1
        ledger_households.add(loan["household_id"])
        ledger_balance += outstanding
        by_category[category.value] += outstanding
        if dpd > 0:
            overdue += 1
            in_arrears.add(loan["household_id"])
        if category.is_npl:
            npl += 1
            npl_balance += outstanding
    file_only, declared = _file_borrowers(ratings, ledger_households, in_arrears)
    borrowers = ledger_households | file_only
    return LoanBook(borrower_count=len(borrowers), borrowers_without_arrears=len(borrowers - in_arrears),
                    loan_balance=ledger_balance + declared, npl_balance=npl_balance, ledger_loan_count=loans,
                    ledger_borrowers=len(ledger_households), ledger_balance=ledger_balance,
                    overdue_loan_count=overdue, npl_loan_count=npl, balance_by_category=by_category,
                    file_only_borrowers=len(file_only), declared_balance=declared)


def _file_borrowers(ratings: Iterable[Mapping[str, Any]], ledger_households: set[str],
                    in_arrears: set[str]) -> tuple[set[str], Decimal]:
    """(households that are borrowers by their file only, their declared balance); a household whose file says
    it is currently overdue is added to ``in_arrears``. See :func:`village_loan_book`."""
    file_only: set[str] = set()
    declared = Decimal("0")
    for r in ratings:
        hid = r["household_id"]
        if r.get("currently_overdue"):
            in_arrears.add(hid)
        amount = Decimal(str(r.get("bank_loans") or 0))
        if amount > 0 and hid not in ledger_households:
            file_only.add(hid)
            declared += amount
    return file_only, declared


@dataclass(frozen=True)
class VillageEvaluation:
    """Ratios (Decimal fractions; None when the denominator is zero), ``is_credit_village`` (信用村)
    and the failed criteria codes."""

    credit_household_ratio: Decimal
    borrowers_without_arrears_ratio: Decimal | None
    npl_ratio: Decimal | None
    is_credit_village: bool
    failed: tuple[str, ...]


def evaluate_village(facts: VillageFacts, policy: Mapping[str, Any] | EvaluationPolicy) -> VillageEvaluation:
    """Is the village a credit village?

    Default criteria (DESIGN.md): credit households / households >= 0.70; borrowers without arrears /
    borrowers >= 0.85; NPL balance / loan balance < 0.05 (strict). With no borrowers (or no loan
    balance) the arrears (or NPL) criterion follows the document's ``no_borrowers`` ("pass" default).
    Raises ``ValidationFailed`` ``VILLAGE_EMPTY`` when ``household_count`` is 0.
    """
    rule = load_evaluation_policy(policy).credit_village
    if facts.household_count == 0:
        raise ValidationFailed("a village without households cannot be evaluated", code="VILLAGE_EMPTY")
    failed: list[str] = []
    if facts.credit_household_count < rule.min_credit_household_ratio * facts.household_count:
        failed.append(CREDIT_HOUSEHOLD_RATIO_LOW)
    if facts.borrower_count:
        if facts.borrowers_without_arrears < rule.min_borrowers_without_arrears_ratio * facts.borrower_count:
            failed.append(BORROWERS_WITHOUT_ARREARS_RATIO_LOW)
    elif rule.no_borrowers == "fail":
        failed.append(BORROWERS_WITHOUT_ARREARS_RATIO_LOW)
    if facts.loan_balance:
        if facts.npl_balance >= rule.max_npl_ratio_exclusive * facts.loan_balance:
            failed.append(NPL_RATIO_TOO_HIGH)
    elif rule.no_borrowers == "fail":
        failed.append(NPL_RATIO_TOO_HIGH)
    chr_ = _ratio(facts.credit_household_count, facts.household_count)
    assert chr_ is not None
    return VillageEvaluation(
        credit_household_ratio=chr_,
        borrowers_without_arrears_ratio=_ratio(facts.borrowers_without_arrears, facts.borrower_count),
        npl_ratio=_ratio(facts.npl_balance, facts.loan_balance),
        is_credit_village=not failed,
        failed=tuple(failed),
    )


# --------------------------------------------------------------------------------------------------
# Credit township
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TownshipEvaluation:
    """``credit_village_ratio`` (Decimal), ``is_credit_township`` (信用乡镇) and the failed criteria."""

    credit_village_ratio: Decimal
    is_credit_township: bool
    failed: tuple[str, ...]


def evaluate_township(village_count: int, credit_village_count: int,
                      policy: Mapping[str, Any] | EvaluationPolicy) -> TownshipEvaluation:
    """Is the township a credit township? Default (DESIGN.md): credit villages / villages >= 0.50.

    Raises ``ValidationFailed`` ``TOWNSHIP_EMPTY`` (no villages) or ``INVALID_TOWNSHIP_FACTS``.
    """
    rule = load_evaluation_policy(policy).credit_township
    if village_count == 0:
        raise ValidationFailed("a township without villages cannot be evaluated", code="TOWNSHIP_EMPTY")
    if not 0 <= credit_village_count <= village_count:
        raise ValidationFailed("credit_village_count must be between 0 and village_count",
                               code="INVALID_TOWNSHIP_FACTS", field="credit_village_count")
    failed = (CREDIT_VILLAGE_RATIO_LOW,) if credit_village_count < rule.min_credit_village_ratio * village_count else ()
    ratio = _ratio(credit_village_count, village_count)
    assert ratio is not None
    return TownshipEvaluation(ratio, not failed, failed)


__all__: Sequence[str] = (
    "BORROWERS_WITHOUT_ARREARS_RATIO_LOW",
    "CREDIT_HOUSEHOLD_RATIO_LOW",
    "CREDIT_VILLAGE_RATIO_LOW",
    "GRADE_BELOW_MIN",
    "KNOCKED_OUT",
    "NPL_RATIO_TOO_HIGH",
    "EvaluationPolicy",
    "HouseholdEvaluation",
    "LoanBook",
    "TownshipEvaluation",
    "VillageEvaluation",
    "VillageFacts",
    "default_evaluation_document",
    "evaluate_household",
    "evaluate_township",
    "evaluate_village",
    "load_evaluation_policy",
    "village_loan_book",
)
