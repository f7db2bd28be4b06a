"""Credit-line proposal (授信额度测算) with a master line and product sub-lines (总分授信).

Pure domain code driven by a *credit-line policy document* (default
``chalicelib/reference/parameters/credit_line_policy.json``)::

    limit    = round_down(min(grade cap, capacity, product cap, regulatory cap), rounding_unit)
    capacity = grade base + share_of_net_assets * net_assets + share_of_net_income * net_income

No line for the no-credit grade (``NONE``, score below 60 on the published form) or a knocked-out
household. Every number is a parameter; the defaults and their bases are in the document and in
``chalicelib/reference/SOURCES.md``. Money is ``Decimal`` CNY; limits are multiples of the rounding
unit (default 1,000 CNY), always rounded DOWN.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.rating_input import RatingInput
from chalicelib.rating.domain.scorecard import ScoreResult

GRADE_CAP = "GRADE_CAP"
CAPACITY = "CAPACITY"
PRODUCT_CAP = "PRODUCT_CAP"
REGULATORY_CAP = "REGULATORY_CAP"
#: Tie-break order when several constraints give the same amount (the first one is reported).
CONSTRAINT_ORDER = (GRADE_CAP, CAPACITY, PRODUCT_CAP, REGULATORY_CAP)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GradeTerms(_Model):
    cap: Decimal
    base: Decimal


class CreditLinePolicy(_Model):
    """Parsed credit-line policy document (see ``credit_line_policy.json``)."""

    policy_id: str
    version: str
    currency: str = "CNY"
    grade_order: tuple[str, ...] = ("NONE", "A", "AA", "AAA")
    grades: dict[str, GradeTerms]
    share_of_net_assets: Decimal
    share_of_net_income: Decimal
    rounding_unit: Decimal
    regulatory_cap: Decimal
    sub_limits_may_exceed_master: bool = True
    line_validity_years: int
    rating_validity_years: int

    @model_validator(mode="after")
    def _check(self) -> CreditLinePolicy:
        if self.rounding_unit <= 0:
            raise ValueError("rounding_unit must be positive")
        unknown = set(self.grades) - set(self.grade_order)
        if unknown:
            raise ValueError(f"grades not in grade_order: {sorted(unknown)}")
        if self.share_of_net_assets < 0 or self.share_of_net_income < 0 or self.regulatory_cap < 0:
            raise ValueError("shares and caps must not be negative")
        return self


class Product(_Model):
    """A loan product that can carry a sub-line: ``cap`` (CNY) per household, optional ``min_grade``."""

    product_id: str
    name: str = ""
    cap: Decimal
    min_grade: str | None = None


def load_policy(doc: Mapping[str, Any] | CreditLinePolicy) -> CreditLinePolicy:
    """Validate a credit-line policy document. Raises ``ValidationFailed`` ``CREDIT_LINE_POLICY_INVALID``."""
    if isinstance(doc, CreditLinePolicy):
        return doc
    try:
        return CreditLinePolicy.model_validate(doc)
    except ValueError as exc:
        raise ValidationFailed(f"invalid credit-line policy: {exc}", code="CREDIT_LINE_POLICY_INVALID") from exc


def default_policy_document() -> dict[str, Any]:
    """The bundled default credit-line policy document as a dict."""
    from chalicelib.reference.parameters import shipped

    return shipped("credit_line_policy")


def _load_products(products: Iterable[Mapping[str, Any] | Product] | None) -> list[Product]:
    out: list[Product] = []
    for p in products or ():
        try:
            out.append(p if isinstance(p, Product) else Product.model_validate(p))
        except ValueError as exc:
            raise ValidationFailed(f"invalid product: {exc}", code="PRODUCT_INVALID") from exc
    return out


def round_down(amount: Decimal, unit: Decimal) -> Decimal:
    """Largest multiple of ``unit`` not above ``amount`` (never below zero), quantised to 0.01 CNY."""
    if amount <= 0:
        return Decimal("0.00")
    return ((amount / unit).to_integral_value(rounding=ROUND_FLOOR) * unit).quantize(Decimal("0.01"))


def add_years(d: date, years: int) -> date:
    """``d`` plus ``years`` calendar years; 29 Feb becomes 28 Feb in a non-leap year."""
    y = d.year + years
    return d.replace(year=y, day=min(d.day, calendar.monthrange(y, d.month)[1]))


@dataclass(frozen=True)
class SubLine:
    """One product sub-line (分项额度): ``limit`` CNY; ``binding`` is ``PRODUCT_CAP`` or ``MASTER``."""

    product_id: str
    limit: Decimal
    binding: str


@dataclass(frozen=True)
class LineProposal:
    """Result of :func:`propose_line`.

    ``eligible`` False means no line: ``ineligible_reason`` is ``KNOCKED_OUT``, ``GRADE_NOT_ELIGIBLE``
    (no-credit grade or a grade without terms), ``NO_ELIGIBLE_PRODUCT`` or ``LIMIT_ZERO`` (the binding
    constraint rounded down to nothing), and ``master_limit`` is 0. ``candidates`` maps each constraint
    to its amount before rounding; ``binding_constraint`` is the smallest (ties in
    :data:`CONSTRAINT_ORDER`). Dates are filled only when ``as_of`` was given.
    """

    policy_id: str
    policy_version: str
    grade: str
    eligible: bool
    ineligible_reason: str | None
    master_limit: Decimal
    binding_constraint: str | None
    candidates: Mapping[str, Decimal] = field(default_factory=dict)
    sub_lines: tuple[SubLine, ...] = ()
    sub_limits_may_exceed_master: bool = True
    line_validity_years: int = 0
    rating_validity_years: int = 0
    valid_from: date | None = None
    valid_until: date | None = None
    rating_valid_until: date | None = None


def propose_line(score_result: ScoreResult, inp: RatingInput, policy: Mapping[str, Any] | CreditLinePolicy,
                 products: Iterable[Mapping[str, Any] | Product] | None = None, *,
                 grade_override: str | None = None, as_of: date | None = None) -> LineProposal:
    """Propose a household's master line and product sub-lines (预授信, 总分授信).

    ``grade_override`` is the grade after a permitted manual adjustment (see
    ``scorecard.grade_adjust``); otherwise ``score_result.grade`` is used. ``products`` are dicts or
    :class:`Product` (``product_id``, ``cap``, optional ``min_grade``); the products open to the grade
    set the product cap = the largest of their caps. With no products the product cap does not apply
    and there are no sub-lines.

    Sub-limits: each = round_down(min(product cap, master)). If the policy's
    ``sub_limits_may_exceed_master`` is false they are allocated in product order until the master is
    used up (products left with nothing are omitted). Raises ``ValidationFailed``
    (``CREDIT_LINE_POLICY_INVALID``, ``PRODUCT_INVALID``, ``UNKNOWN_GRADE``).
    """
    pol = load_policy(policy)
    prods = _load_products(products)
    grade = grade_override if grade_override is not None else score_result.grade
    if grade not in pol.grade_order:
        raise ValidationFailed(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grade")
    base = LineProposal(policy_id=pol.policy_id, policy_version=pol.version, grade=grade, eligible=False,
                        ineligible_reason=None, master_limit=Decimal("0.00"), binding_constraint=None,
                        sub_limits_may_exceed_master=pol.sub_limits_may_exceed_master,
                        line_validity_years=pol.line_validity_years, rating_validity_years=pol.rating_validity_years)

    def no_line(reason: str, binding: str | None = None, cands: Mapping[str, Decimal] | None = None) -> LineProposal:
        return replace(base, ineligible_reason=reason, binding_constraint=binding, candidates=dict(cands or {}))

    if score_result.is_knocked_out:
        return no_line("KNOCKED_OUT")
    terms = pol.grades.get(grade)
    if terms is None:
        return no_line("GRADE_NOT_ELIGIBLE")
    open_products = _open_products(prods, pol.grade_order, grade)
    capacity = terms.base + pol.share_of_net_assets * inp.net_assets + pol.share_of_net_income * inp.net_income
    cands: dict[str, Decimal] = {GRADE_CAP: terms.cap, CAPACITY: capacity}
    if prods:
        if not open_products:
            return no_line("NO_ELIGIBLE_PRODUCT", PRODUCT_CAP, cands)
        cands[PRODUCT_CAP] = max(p.cap for p in open_products)
    cands[REGULATORY_CAP] = pol.regulatory_cap
    binding = min(cands, key=lambda k: (cands[k], CONSTRAINT_ORDER.index(k)))
    master = round_down(cands[binding], pol.rounding_unit)
    if master <= 0:
        return no_line("LIMIT_ZERO", binding, cands)
    proposal = replace(base, eligible=True, master_limit=master, binding_constraint=binding, candidates=cands,
                       sub_lines=_sub_lines(open_products, master, pol))
    if as_of is None:
        return proposal
    return replace(proposal, valid_from=as_of, valid_until=add_years(as_of, pol.line_validity_years),
                   rating_valid_until=add_years(as_of, pol.rating_validity_years))


def _open_products(prods: list[Product], grade_order: Sequence[str], grade: str) -> list[Product]:
    """The products open to ``grade`` (no ``min_grade``, or one at or below it); ValidationFailed
    ``PRODUCT_INVALID`` for an unknown ``min_grade``."""
    rank = {g: n for n, g in enumerate(grade_order)}
    for p in prods:
        if p.min_grade is not None and p.min_grade not in rank:
            raise ValidationFailed(f"product {p.product_id}: unknown min_grade {p.min_grade!r}", code="PRODUCT_INVALID")
    return [p for p in prods if p.min_grade is None or rank[grade] >= rank[p.min_grade]]


def _sub_lines(open_products: list[Product], master: Decimal, pol: CreditLinePolicy) -> tuple[SubLine, ...]:
    """Each open product's sub-limit = round_down(min(product cap, master)); allocated in product order until the
    master is used up unless the policy lets sub-limits exceed it (products left with nothing are omitted)."""
    subs: list[SubLine] = []
    remaining = master
    for p in open_products:
        ceiling = master if pol.sub_limits_may_exceed_master else remaining
        limit = round_down(min(p.cap, ceiling), pol.rounding_unit)
        if limit <= 0:
            continue
        subs.append(SubLine(p.product_id, limit, PRODUCT_CAP if p.cap < ceiling else "MASTER"))
        remaining -= limit
    return tuple(subs)


def check_drawdown_fits(master_available: Decimal, sub_available: Decimal, amount: Decimal) -> None:
    """Check that a drawdown (用信) fits both the master line and its product sub-line (总分授信).

    All arguments are ``Decimal`` CNY: the available (unused) master limit, the available sub-limit,
    and the requested amount. Returns None when it fits. Raises ``ValidationFailed``:
    ``DRAWDOWN_AMOUNT_INVALID`` (amount <= 0 or not a Decimal/int), ``MASTER_LINE_EXCEEDED``
    (checked first), ``SUB_LINE_EXCEEDED``. Details carry the amounts as strings.
    """
    if isinstance(amount, (float, bool)) or not isinstance(amount, (Decimal, int)) or amount <= 0:
        raise ValidationFailed("drawdown amount must be a positive Decimal", code="DRAWDOWN_AMOUNT_INVALID",
                               field="amount")
    if amount > master_available:
        raise ValidationFailed("drawdown exceeds the available master line", code="MASTER_LINE_EXCEEDED",
                               field="amount", details={"amount": str(amount), "available": str(master_available)})
    if amount > sub_available:
        raise ValidationFailed("drawdown exceeds the available product sub-line", code="SUB_LINE_EXCEEDED",
                               field="amount", details={"amount": str(amount), "available": str(sub_available)})


__all__: Sequence[str] = (
    "CAPACITY",
    "CONSTRAINT_ORDER",
    "GRADE_CAP",
    "PRODUCT_CAP",
    "REGULATORY_CAP",
    "CreditLinePolicy",
    "LineProposal",
    "Product",
    "SubLine",
    "add_years",
    "check_drawdown_fits",
    "default_policy_document",
    "load_policy",
    "propose_line",
    "round_down",
)
