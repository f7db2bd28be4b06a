"""Loan products (贷款产品) as parameters, and the checks a drawdown (用信) must pass against its product.

Pure domain code. The product catalogue is the ``products`` parameter document
(``chalicelib/reference/parameters/products.json``, shared with the rating subsystem, which reads the
sub-line fields). This module reads the lending terms of each product:

* ``kind``: ``credit`` (信用), ``guaranteed`` (保证) or ``land_mortgage`` (土地经营权抵押);
* ``amount`` and ``term_months`` ranges; ``purposes`` allowed;
* ``pricing``: ``default_mode`` ``fixed`` (``fixed_rate_default``) or ``lpr_spread`` (``benchmark`` LPR1Y/LPR5Y
  plus ``default_spread_bps``; LPR pricing is refused ``pricing.lpr_grace_days`` after a fixing's publication day
  while the table still lacks it, :func:`chalicelib.loans.domain.rates.assess`);
* ``repayment_methods`` (product names, mapped to :mod:`chalicelib.loans.domain.schedules` methods by
  :data:`METHOD_MAP`) and ``interest_periods`` (monthly / quarterly);
* ``day_count`` (default ACT/360), ``entrusted_payment_threshold`` (受托支付 above it), ``penalty_rate_uplift``,
  ``grace_days``, ``age_limits`` (min, max, max age plus term in years), ``repayment_allocation_order``,
  ``prepayment.recompute_mode`` (``shorten_term`` | ``reduce_installment``), ``revolving``, ``max_loan_to_value``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.loans.domain import schedules
from chalicelib.loans.domain.rates import LprTable, assess, contract_rate, fixing_in_force
from chalicelib.loans.domain.repayment import COMPONENTS, PREPAYMENT_MODES
from chalicelib.platform.errors import FieldError, NotFound, ValidationFailed

KINDS = ("credit", "guaranteed", "land_mortgage")

#: product repayment-method name → (schedules method, needs an interest period)
METHOD_MAP: dict[str, str] = {
    "equal_installment": schedules.EQUAL_INSTALLMENT,
    "equal_principal": schedules.EQUAL_PRINCIPAL,
    "interest_periodic_principal_at_maturity": schedules.INTEREST_PERIODIC,
    "interest_periodic": schedules.INTEREST_PERIODIC,
    "bullet": schedules.BULLET,
}
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3}

# Sanity bounds of a product's terms (checked by :func:`load_products`, so when a ``products`` version is stored
# and whenever it is read). Decisions, adjustable, each with its basis:
#: Annual rates (``pricing.fixed_rate_default``) in (0, 24 %]. 24 % was the ceiling of judicially protected
#: private-lending interest (最高人民法院关于审理民间借贷案件适用法律若干问题的规定, 2015, art. 26); its 2020
#: revision lowered the ceiling to 4 × the 1Y LPR (at most 4 × 4.25 % = 17 % for any fixing since 2019). Neither
#: binds a licensed lender, but a farm loan above either is a typo ("50" for 0.050), never a price.
ANNUAL_RATE_MAX = Decimal("0.24")
#: ``pricing.default_spread_bps`` over the LPR: -200 to +1500 bp (1Y LPR ≥ 3.00 % since 2019, so LPR + spread
#: stays ≥ 1 % and, for any LPR under 9 %, within the 24 % bound above; the shipped spreads are 100-150 bp).
SPREAD_BPS_RANGE = (-200, 1500)
#: ``penalty_rate_uplift`` in [0, 1]: 银发〔2003〕251号 sets the overdue penalty rate at the contract rate plus
#: 30 %-50 % (``chalicelib.loans.domain.repayment``); [0, 1] leaves the institution room either side, refuses "50".
PENALTY_UPLIFT_RANGE = (Decimal("0"), Decimal("1"))
#: ``grace_days`` 0-30: a grace period longer than a monthly installment period is not a grace period.
GRACE_DAYS_RANGE = (0, 30)
#: ``amount`` and ``entrusted_payment_threshold``: positive CNY at the fen up to 1 亿元 (the largest shipped
#: product lends 100 万元); ``term_months`` up to 30 years.
#: ``pricing.lpr_grace_days`` 0-31: a longer grace would let pricing run past the next monthly fixing too.
AMOUNT_MAX = Decimal("100000000")
TERM_MONTHS_MAX = 360
LPR_GRACE_DAYS_MAX = 31


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AmountRange(_Model):
    min: Decimal
    max: Decimal


class TermRange(_Model):
    min: int = Field(ge=1)
    max: int = Field(ge=1)


class Pricing(_Model):
    default_mode: str
    benchmark: str
    default_spread_bps: int
    fixed_rate_default: Decimal | None = None  # None: no fixed rate (the store keeps no null member)
    lpr_grace_days: int


class AgeLimits(_Model):
    min: int
    max: int
    max_age_plus_term_years: int


class Prepayment(_Model):
    mode: str
    recompute_mode: str


class LoanProduct(_Model):
    """One product's lending terms (fields not used by loans are ignored). Every term is required: the defaults
    live only in the ``products`` document (``chalicelib/reference/parameters/products.json``); only
    ``max_loan_to_value`` (None: no collateral ratio) and ``guarantee_forms`` (none) may be left out."""

    product_code: str
    name: str
    kind: str
    purposes: tuple[str, ...]
    amount: AmountRange
    term_months: TermRange
    pricing: Pricing
    repayment_methods: tuple[str, ...]
    interest_periods: tuple[str, ...]
    day_count: str
    entrusted_payment_threshold: Decimal
    penalty_rate_uplift: Decimal
    grace_days: int
    age_limits: AgeLimits
    prepayment: Prepayment
    repayment_allocation_order: tuple[str, ...]
    revolving: bool
    max_loan_to_value: Decimal | None = None
    guarantee_forms: tuple[str, ...] = ()


def _terms_problem(product: LoanProduct) -> tuple[str, str] | None:
    """``(field, message)`` of the first term of ``product`` outside the sanity bounds above, or None."""
    p = product.pricing

    def amount_problem(value: Decimal) -> str | None:
        if not value.is_finite() or not Decimal("0") < value <= AMOUNT_MAX or value != value.quantize(Decimal("0.01")):
            return f"must be a positive amount in CNY at the fen, at most {AMOUNT_MAX}"
        return None

    checks: list[tuple[str, str | None]] = [
        ("pricing.default_mode", None if p.default_mode in ("fixed", "lpr_spread") else "must be fixed or lpr_spread"),
        ("pricing.benchmark", None if p.benchmark in ("LPR1Y", "LPR5Y") else "must be LPR1Y or LPR5Y"),
        ("pricing.fixed_rate_default",
         "is required when default_mode is fixed" if p.default_mode == "fixed" and p.fixed_rate_default is None else
         None if p.fixed_rate_default is None or (p.fixed_rate_default.is_finite()
                                                  and Decimal("0") < p.fixed_rate_default <= ANNUAL_RATE_MAX)
         else f"must be an annual rate as a fraction in (0, {ANNUAL_RATE_MAX}] (0.045 for 4.5 %)"),
        ("pricing.default_spread_bps", None if SPREAD_BPS_RANGE[0] <= p.default_spread_bps <= SPREAD_BPS_RANGE[1]
         else f"must be from {SPREAD_BPS_RANGE[0]} to {SPREAD_BPS_RANGE[1]} basis points"),
        ("pricing.lpr_grace_days", None if 0 <= p.lpr_grace_days <= LPR_GRACE_DAYS_MAX
         else f"must be from 0 to {LPR_GRACE_DAYS_MAX} days"),
        ("day_count", None if product.day_count in schedules.DAY_COUNTS
         else f"must be one of {', '.join(schedules.DAY_COUNTS)}"),
        ("repayment_allocation_order", None if sorted(product.repayment_allocation_order) == sorted(COMPONENTS)
         else f"must list {', '.join(COMPONENTS)} each exactly once"),
        ("penalty_rate_uplift", None if product.penalty_rate_uplift.is_finite()
         and PENALTY_UPLIFT_RANGE[0] <= product.penalty_rate_uplift <= PENALTY_UPLIFT_RANGE[1]
         else f"must be from {PENALTY_UPLIFT_RANGE[0]} to {PENALTY_UPLIFT_RANGE[1]} (0.5: contract rate + 50 %)"),
        ("grace_days", None if GRACE_DAYS_RANGE[0] <= product.grace_days <= GRACE_DAYS_RANGE[1]
         else f"must be from {GRACE_DAYS_RANGE[0]} to {GRACE_DAYS_RANGE[1]} days"),
        ("amount.min", amount_problem(product.amount.min)),
        ("amount.max", amount_problem(product.amount.max)),
        ("amount", None if product.amount.min <= product.amount.max else "min must not exceed max"),
        ("entrusted_payment_threshold", amount_problem(product.entrusted_payment_threshold)),
        ("term_months", None if product.term_months.min <= product.term_months.max <= TERM_MONTHS_MAX
         else f"min must not exceed max, at most {TERM_MONTHS_MAX} months"),
        ("max_loan_to_value", None if product.max_loan_to_value is None or (
            product.max_loan_to_value.is_finite() and Decimal("0") < product.max_loan_to_value <= 1)
         else "must be a fraction in (0, 1]"),
    ]
    return next(((field, message) for field, message in checks if message), None)


def load_products(doc: Mapping[str, Any]) -> dict[str, LoanProduct]:
    """Parse the lending terms of every product in the ``products`` document and check them against the sanity
    bounds above (rates, spread, day count, allocation order, penalty uplift, grace, amounts, terms).

    Raises ValidationFailed ``PRODUCTS_INVALID`` naming the product and field that is wrong (the field, such as
    ``products[0].pricing.fixed_rate_default``, for a term out of bounds).
    """
    out: dict[str, LoanProduct] = {}
    for index, raw in enumerate(doc.get("products", [])):
        try:
            product = LoanProduct.model_validate(raw)
        except ValidationError as exc:
            raise ValidationFailed(f"product {raw.get('product_code')}: {exc.errors()[0]['loc']} "
                                   f"{exc.errors()[0]['msg']}", code="PRODUCTS_INVALID") from None
        if product.kind not in KINDS:
            raise ValidationFailed(f"product {product.product_code}: kind must be one of {KINDS}",
                                   code="PRODUCTS_INVALID")
        unknown = [m for m in product.repayment_methods if m not in METHOD_MAP]
        if unknown or product.prepayment.recompute_mode not in PREPAYMENT_MODES:
            raise ValidationFailed(f"product {product.product_code}: unknown repayment method or prepayment mode",
                                   code="PRODUCTS_INVALID")
        problem = _terms_problem(product)
        if problem:
            raise ValidationFailed(f"product {product.product_code}: {problem[0]} {problem[1]}",
                                   code="PRODUCTS_INVALID", field=f"products[{index}].{problem[0]}")
        out[product.product_code] = product
    return out


def get_product(doc: Mapping[str, Any], code: str) -> LoanProduct:
    """The product ``code`` of the document; NotFound ``PRODUCT_NOT_FOUND`` if absent."""
    product = load_products(doc).get(code)
    if product is None:
        raise NotFound(f"no product {code}", code="PRODUCT_NOT_FOUND", field="product_code")
    return product


@dataclass(frozen=True)
class ApplicationTerms:
    """What a drawdown asks for (validated by :func:`check_application`)."""

    amount: Decimal
    term_months: int
    repayment_method: str
    interest_period: str | None
    purpose: str
    payment_mode: str  # self | entrusted
    has_payee: bool
    has_guarantee: bool = False
    collateral_value: Decimal | None = None


@dataclass(frozen=True)
class ScheduleTerms:
    """How the schedule of a drawdown is built: schedules method, frequency, day count."""

    method: str
    frequency_months: int
    day_count: str


def schedule_terms(product: LoanProduct, repayment_method: str, interest_period: str | None) -> ScheduleTerms:
    """Map the product's repayment method (and interest period) to :func:`schedules.build_schedule` terms."""
    method = METHOD_MAP[repayment_method]
    # bullet (利随本清) is one period from drawdown to maturity; build_schedule ignores its frequency
    frequency = 1 if method == schedules.BULLET else PERIOD_MONTHS[interest_period or "monthly"]
    return ScheduleTerms(method=method, frequency_months=frequency, day_count=product.day_count)


def schedule(product: LoanProduct, *, amount: Decimal, annual_rate: Decimal, repayment_method: str,
             interest_period: str | None, term_months: int, start: date, first_due_date: date | None = None,
             strict: bool = True) -> schedules.Schedule:
    """The repayment schedule of a drawdown on ``start`` (:func:`schedules.build_schedule`). A requested
    ``first_due_date`` (a fixed repayment day: broken first period) that no longer fits ``start`` — the
    disbursement came later than planned — is dropped unless ``strict`` (then FIRST_DUE_DATE_INVALID)."""
    st = schedule_terms(product, repayment_method, interest_period)

    def build(first: date | None) -> schedules.Schedule:
        return schedules.build_schedule(principal=Decimal(amount), annual_rate=Decimal(annual_rate), method=st.method,
                                        term_months=int(term_months), start_date=start,
                                        frequency_months=st.frequency_months, day_count=st.day_count,
                                        first_due_date=first)

    if first_due_date is not None and st.method != schedules.BULLET:
        try:
            return build(first_due_date)
        except ValidationFailed as exc:
            if strict or exc.code != "FIRST_DUE_DATE_INVALID":
                raise
    return build(None)


def disbursement_target(payment_mode: str, payee: dict[str, Any] | None, household_id: str) -> dict[str, Any]:
    """The account a drawdown's money is paid to (the transfer order's ``to_account``): for entrusted
    payment (受托支付) the payee's account (``name``, ``account_no``, ``bank_name``); otherwise (自主支付)
    ``{"type": "borrower_account", "household_id"}``, the borrower's settlement account (结算账户), which the
    core system resolves from the household: the platform holds no number for it."""
    if payment_mode == "entrusted" and payee:
        return dict(payee)
    return {"type": "borrower_account", "household_id": household_id}


def age_on(birth: date, on: date) -> int:
    """Full years of age on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_application(product: LoanProduct, terms: ApplicationTerms, *, head_birth_date: date | None,
                      today: date) -> None:
    """Check a drawdown against its product; raise ValidationFailed ``DRAWDOWN_INVALID`` listing every
    broken rule as a field error (codes ``AMOUNT_OUT_OF_RANGE``, ``TERM_OUT_OF_RANGE``,
    ``REPAYMENT_METHOD_NOT_OFFERED``, ``INTEREST_PERIOD_NOT_OFFERED``, ``PURPOSE_NOT_ALLOWED``,
    ``ENTRUSTED_PAYMENT_REQUIRED``, ``PAYEE_REQUIRED``, ``BORROWER_AGE``, ``BORROWER_AGE_PLUS_TERM``,
    ``GUARANTEE_REQUIRED``, ``COLLATERAL_REQUIRED``, ``LOAN_TO_VALUE_EXCEEDED``)."""
    errors: list[FieldError] = []

    def bad(field: str, code: str, message: str) -> None:
        errors.append(FieldError(field, code, message))

    if not product.amount.min <= terms.amount <= product.amount.max:
        bad("amount", "AMOUNT_OUT_OF_RANGE", f"amount must be between {product.amount.min} and {product.amount.max}")
    if not product.term_months.min <= terms.term_months <= product.term_months.max:
        bad("term_months", "TERM_OUT_OF_RANGE",
            f"term must be between {product.term_months.min} and {product.term_months.max} months")
    if terms.repayment_method not in product.repayment_methods:
        bad("repayment_method", "REPAYMENT_METHOD_NOT_OFFERED",
            f"{product.product_code} offers {', '.join(product.repayment_methods)}")
    elif METHOD_MAP[terms.repayment_method] != schedules.BULLET:
        period = terms.interest_period or "monthly"
        if period not in product.interest_periods or period not in PERIOD_MONTHS:
            bad("interest_period", "INTEREST_PERIOD_NOT_OFFERED",
                f"{product.product_code} offers {', '.join(product.interest_periods)} periods")
        elif terms.term_months % PERIOD_MONTHS[period]:
            bad("term_months", "TERM_OUT_OF_RANGE", "the term must be a whole number of interest periods")
    if terms.purpose not in product.purposes:
        bad("purpose", "PURPOSE_NOT_ALLOWED", f"{product.product_code} lends for {', '.join(product.purposes)}")
    if terms.amount > product.entrusted_payment_threshold and terms.payment_mode != "entrusted":
        bad("payment_mode", "ENTRUSTED_PAYMENT_REQUIRED",
            f"above {product.entrusted_payment_threshold} CNY the bank pays the supplier (受托支付)")
    if terms.payment_mode == "entrusted" and not terms.has_payee:
        bad("payee", "PAYEE_REQUIRED", "entrusted payment needs the payee's name and account")
    if head_birth_date is not None:
        age = age_on(head_birth_date, today)
        if not product.age_limits.min <= age <= product.age_limits.max:
            bad("household", "BORROWER_AGE",
                f"the borrower's age must be {product.age_limits.min}-{product.age_limits.max} (is {age})")
        elif Decimal(age) + Decimal(terms.term_months) / 12 > product.age_limits.max_age_plus_term_years:
            bad("term_months", "BORROWER_AGE_PLUS_TERM",
                f"age plus term must not exceed {product.age_limits.max_age_plus_term_years} years")
    if product.kind == "guaranteed" and not terms.has_guarantee:
        bad("guarantee", "GUARANTEE_REQUIRED", "a guaranteed loan needs the guarantor's details")
    if product.kind == "land_mortgage":
        if terms.collateral_value is None:
            bad("collateral", "COLLATERAL_REQUIRED", "a mortgage loan needs the land-management right and its value")
        elif product.max_loan_to_value is not None and \
                terms.amount > terms.collateral_value * product.max_loan_to_value:
            bad("amount", "LOAN_TO_VALUE_EXCEEDED",
                f"at most {product.max_loan_to_value} of the appraised value may be lent")
    if errors:
        raise ValidationFailed("the drawdown does not meet the product's terms", code="DRAWDOWN_INVALID",
                               fields=errors)


def price(product: LoanProduct, on: date, lpr_table: LprTable) -> dict[str, Any]:
    """The contract rate of a new drawdown on ``on``: ``{"annual_rate", "mode", "benchmark", "benchmark_rate",
    "spread_bps"}`` (rates as Decimal fractions), LPR-priced ones also ``benchmark_fixing_date`` (the fixing used)
    and, when the table lacks a fixing already published (within the grace period), ``lpr_overdue_since``, so that
    such loans can be found and checked once the fixing is added. Raises the errors of :func:`rates.contract_rate`
    (e.g. ``LPR_TABLE_STALE``)."""
    p = product.pricing
    if p.default_mode == "fixed":
        rate = contract_rate(base="FIXED", fixed_rate=p.fixed_rate_default)
        return {"annual_rate": rate, "mode": "fixed", "benchmark": None, "benchmark_rate": None, "spread_bps": 0}
    rate = contract_rate(base=p.benchmark, spread_bps=p.default_spread_bps, on_date=on, table=lpr_table,
                         grace_days=p.lpr_grace_days)
    benchmark_rate = rate - Decimal(p.default_spread_bps) / 10000
    fixing = fixing_in_force(lpr_table, on)  # contract_rate refused a date without one
    out = {"annual_rate": rate, "mode": "lpr_spread", "benchmark": p.benchmark, "benchmark_rate": benchmark_rate,
           "spread_bps": p.default_spread_bps, "benchmark_fixing_date": fixing.date.isoformat() if fixing else None}
    overdue = assess(lpr_table, on, p.lpr_grace_days).overdue_since
    if overdue:
        out["lpr_overdue_since"] = overdue.isoformat()
    return out
