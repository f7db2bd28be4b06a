"""Post-loan management (贷后管理): pure rules over plain loan facts, no I/O.

What a loan looks like to post-loan management on a business date (:class:`LoanFacts`, built from the
loans subsystem's loan-account item by :func:`loan_facts`), days past due and five-category
classification (:mod:`chalicelib.postloan.domain.classification`), when inspections fall due
(:func:`next_inspection_due`), when an overdue reminder goes out (:func:`overdue_reminder_due`), when a
reported visit took place (:func:`visit_time`), portfolio aggregates for villages and account managers
(:class:`Portfolio`) and deterministic ids (:func:`stable_id`).

Loan-account item contract (what :func:`loan_facts` reads; see docs/notes/postloan-needs.md):
``loan_id``, ``household_id``, ``org_path``, ``village_code``, ``account_manager_id``, ``line_id``,
``product_code``, ``principal``, ``outstanding_principal``, ``annual_rate``, ``disbursed_on``,
``maturity_date``, ``purpose``, ``version`` and either

* ``installments``: the installment records of :mod:`chalicelib.loans.domain.servicing` (``due_date``,
  ``principal``, ``interest``, ``paid_principal``, ``paid_interest``, ``status``), from which every
  as-of-date figure is derived (preferred: it never goes stale when a due date passes), or
* the summary fields ``oldest_unpaid_due_date``, ``overdue_principal``, ``overdue_interest``,
  ``next_due_date``, ``next_due_amount``.

Money is ``Decimal`` CNY; dates are business dates (Asia/Shanghai).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.postloan.domain.classification import Category, days_past_due

ZERO = Decimal("0.00")
LEVELS = ("yellow", "orange", "red")
"""Warning levels, mildest first (黄色 / 橙色 / 红色预警)."""
SUBJECT_TYPES = ("loan", "household", "village", "account_manager")


def level_rank(level: str) -> int:
    """0 (yellow) .. 2 (red); -1 for an unknown level."""
    return LEVELS.index(level) if level in LEVELS else -1


def _d(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def stable_id(*parts: Any, length: int = 20) -> str:
    """A deterministic id from ``parts`` (upper-case hex): re-running a job derives the same ids."""
    raw = "|".join(str(p) for p in parts).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:length].upper()


def institution_of(org_path: str) -> str:
    """``/JL/JL-220122/JL-220122-102/…/`` → ``JL-220122`` (the second level of the org tree)."""
    parts = [p for p in (org_path or "").split("/") if p]
    if len(parts) < 2:
        raise ValueError(f"org_path {org_path!r} is not below an institution")
    return parts[1]


# --------------------------------------------------------------------------------------------------
# loan facts
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoanFacts:
    """A loan as post-loan management sees it on ``as_of`` (amounts in CNY).

    ``overdue_principal``/``overdue_interest``: unpaid principal/interest of installments due before
    ``as_of``; ``oldest_unpaid_due_date``: due date of the oldest installment with anything unpaid that
    is due on or before ``as_of`` (``None`` when nothing is due and unpaid); ``upcoming``: unpaid
    installments due after ``as_of`` as ``(due_date, amount)`` (the next few, oldest first).
    """

    loan_id: str
    household_id: str
    org_path: str
    village_code: str | None
    account_manager_id: str | None
    as_of: date
    line_id: str | None = None
    product_code: str | None = None
    purpose: str | None = None
    principal: Decimal = ZERO
    outstanding_principal: Decimal = ZERO
    annual_rate: Decimal = ZERO
    disbursed_on: date | None = None
    maturity_date: date | None = None
    oldest_unpaid_due_date: date | None = None
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    upcoming: tuple[tuple[date, Decimal], ...] = ()
    version: int | None = None

    @property
    def dpd(self) -> int:
        return days_past_due(self.oldest_unpaid_due_date, self.as_of)

    @property
    def next_due_date(self) -> date | None:
        return self.upcoming[0][0] if self.upcoming else None

    @property
    def next_due_amount(self) -> Decimal:
        return self.upcoming[0][1] if self.upcoming else ZERO

    @property
    def institution_id(self) -> str:
        return institution_of(self.org_path)


def loan_facts(item: Mapping[str, Any], as_of: date) -> LoanFacts:
    """:class:`LoanFacts` of a loan-account item on business date ``as_of`` (see the module docstring).

    Raises ``KeyError`` when ``loan_id``, ``household_id`` or ``org_path`` is missing.
    """
    installments = item.get("installments")
    oldest: date | None
    if isinstance(installments, list):
        oldest = None
        overdue_p = overdue_i = ZERO
        upcoming: list[tuple[date, Decimal]] = []
        for inst in sorted(installments, key=lambda i: (str(i.get("due_date")), int(i.get("number", 0)))):
            if inst.get("status", "open") != "open":
                continue
            due = _day(inst.get("due_date"))
            if due is None:
                continue
            unpaid_p = _d(inst.get("principal")) - _d(inst.get("paid_principal"))
            unpaid_i = _d(inst.get("interest")) - _d(inst.get("paid_interest"))
            if unpaid_p <= 0 and unpaid_i <= 0:
                continue
            if due <= as_of:
                oldest = due if oldest is None else min(oldest, due)
                if due < as_of:
                    overdue_p += max(unpaid_p, ZERO)
                    overdue_i += max(unpaid_i, ZERO)
            elif len(upcoming) < 3:
                upcoming.append((due, max(unpaid_p, ZERO) + max(unpaid_i, ZERO)))
    else:
        oldest = _day(item.get("oldest_unpaid_due_date"))
        if oldest is not None and oldest > as_of:
            oldest = None
        overdue_p = _d(item.get("overdue_principal")) if oldest else ZERO
        overdue_i = _d(item.get("overdue_interest")) if oldest else ZERO
        nxt = _day(item.get("next_due_date"))
        upcoming = [(nxt, _d(item.get("next_due_amount")))] if nxt and nxt > as_of else []
    return LoanFacts(
        loan_id=str(item["loan_id"]), household_id=str(item["household_id"]), org_path=str(item["org_path"]),
        village_code=item.get("village_code"),
        account_manager_id=item.get("account_manager_id") or item.get("manager_id"),
        as_of=as_of, line_id=item.get("line_id"), product_code=item.get("product_code"),
        purpose=item.get("purpose"), principal=_d(item.get("principal", item.get("amount"))),
        outstanding_principal=_d(item.get("outstanding_principal", item.get("principal", item.get("amount")))),
        annual_rate=_d(item.get("annual_rate")), disbursed_on=_day(item.get("disbursed_on")),
        maturity_date=_day(item.get("maturity_date")), oldest_unpaid_due_date=oldest,
        overdue_principal=overdue_p, overdue_interest=overdue_i, upcoming=tuple(upcoming),
        version=item.get("version"))


def at_risk(dpd: int, category: Category | str) -> bool:
    """True when a loan belongs on the overdue / classification lists (overdue or not pass)."""
    return dpd > 0 or Category(category) is not Category.PASS


# --------------------------------------------------------------------------------------------------
# post-loan policy (parameter ``postloan_policy``)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PostLoanPolicy:
    """Parameters of post-loan management, built from the ``postloan_policy`` document by its model
    (:class:`chalicelib.postloan.domain.parameters.PostLoanPolicyDocument`: the ranges; no defaults here, they live
    only in ``chalicelib/reference/parameters/postloan_policy.json``)."""

    first_inspection_within_days: int
    inspection_interval_days: Mapping[str, int]
    repayment_reminder_days_before: tuple[int, ...]
    overdue_reminder_dpd: tuple[int, ...]
    overdue_reminder_every_days_after: int
    line_expiry_reminder_days_before: tuple[int, ...]
    rating_expiry_reminder_days_before: tuple[int, ...]
    line_expiring_window_days: int
    rating_expired_lookback_days: int
    short_cycle_days: int
    cycling_window_days: int
    portfolio_compare_days: int
    notify_levels: tuple[str, ...]
    reraise_after_days: int


def inspection_interval(policy: PostLoanPolicy, category: Category | str) -> int:
    """Days between periodic inspections of a loan in ``category``."""
    return int(policy.inspection_interval_days[Category(category).value])


def next_inspection_due(policy: PostLoanPolicy, *, category: Category | str, disbursed_on: date | None,
                        last_inspected_on: date | None, today: date) -> tuple[str, date]:
    """``(kind, due_on)`` of the next inspection: ``first`` within ``first_inspection_within_days`` of
    disbursement when the loan was never inspected, otherwise ``periodic`` one interval (by
    classification) after the last inspection. A due date is never before ``today`` unless it
    already passed for a first inspection (then it stays, so that it shows as overdue)."""
    if last_inspected_on is None:
        start = disbursed_on or today
        return "first", start + timedelta(days=policy.first_inspection_within_days)
    return "periodic", last_inspected_on + timedelta(days=inspection_interval(policy, category))


# --------------------------------------------------------------------------------------------------
# inspection visits
# --------------------------------------------------------------------------------------------------
VISIT_CLOCK_SKEW = timedelta(minutes=5)
"""How far a device's clock may run ahead of ours when it reports when a visit took place."""


def visit_time(value: str | None, now: datetime, *, not_before: date | None = None) -> str:
    """The ``visited_at`` to store for a visit reported at ``now`` (aware): ``value``, an ISO 8601 date and
    time with a UTC offset (``2025-02-14T09:30:00+08:00``, ``…Z``), not later than ``now`` plus
    :data:`VISIT_CLOCK_SKEW` and not before ``not_before`` (the loan's disbursement date, in Asia/Shanghai),
    normalised to UTC (``2025-02-14T01:30:00.000Z``); ``now`` when ``value`` is ``None``. Raises
    ValidationFailed ``VISITED_AT_INVALID`` (not such a time, no offset, or before the loan existed) or
    ``VISITED_AT_IN_FUTURE``, both with field ``visited_at``."""
    from chalicelib.platform.errors import ValidationFailed

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    if value is None:
        return utc(now)
    try:
        moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) and "T" in value else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None or moment.year < 2000:
        raise ValidationFailed("visited_at must be an ISO 8601 date and time with a UTC offset, e.g. "
                               "2025-02-14T09:30:00+08:00", code="VISITED_AT_INVALID", field="visited_at")
    if moment > now + VISIT_CLOCK_SKEW:
        latest = utc(now + VISIT_CLOCK_SKEW)
        raise ValidationFailed(f"visited_at lies in the future: at the latest {latest}", code="VISITED_AT_IN_FUTURE",
                               field="visited_at", details={"latest": latest})
    if not_before is not None and moment.astimezone(ZoneInfo("Asia/Shanghai")).date() < not_before:
        raise ValidationFailed(f"visited_at is before the loan was disbursed: on {not_before} (Beijing date) or "
                               "later", code="VISITED_AT_INVALID", field="visited_at",
                               details={"earliest": not_before.isoformat()})
    return utc(moment)


# --------------------------------------------------------------------------------------------------
# reminders
# --------------------------------------------------------------------------------------------------
def overdue_reminder_due(policy: PostLoanPolicy, dpd: int) -> bool:
    """True on the days past due when an overdue reminder goes out (the listed days, then every
    ``overdue_reminder_every_days_after`` days after the last listed one)."""
    if dpd <= 0:
        return False
    if dpd in policy.overdue_reminder_dpd:
        return True
    last = max(policy.overdue_reminder_dpd) if policy.overdue_reminder_dpd else 0
    every = policy.overdue_reminder_every_days_after
    return bool(every) and dpd > last and (dpd - last) % every == 0


# --------------------------------------------------------------------------------------------------
# portfolio aggregates (villages, account managers)
# --------------------------------------------------------------------------------------------------
@dataclass
class Portfolio:
    """Loans of one village or one account manager: counts and outstanding principal."""

    org_path: str = ""
    loan_count: int = 0
    outstanding: Decimal = ZERO
    overdue_count: int = 0
    overdue_outstanding: Decimal = ZERO
    npl_outstanding: Decimal = ZERO
    managers: dict[str, int] = field(default_factory=dict)

    def add(self, *, outstanding: Decimal, dpd: int, category: Category | str, org_path: str,
            account_manager_id: str | None) -> None:
        self.org_path = self.org_path or org_path
        self.loan_count += 1
        self.outstanding += outstanding
        if dpd > 0:
            self.overdue_count += 1
            self.overdue_outstanding += outstanding
        if Category(category).is_npl:
            self.npl_outstanding += outstanding
        if account_manager_id:
            self.managers[account_manager_id] = self.managers.get(account_manager_id, 0) + 1

    def merge(self, other: Portfolio) -> None:
        self.org_path = self.org_path or other.org_path
        self.loan_count += other.loan_count
        self.outstanding += other.outstanding
        self.overdue_count += other.overdue_count
        self.overdue_outstanding += other.overdue_outstanding
        self.npl_outstanding += other.npl_outstanding
        for k, v in other.managers.items():
            self.managers[k] = self.managers.get(k, 0) + v

    @property
    def overdue_rate(self) -> Decimal:
        """Overdue outstanding / outstanding (balance-weighted), 4 decimals; 0 for an empty portfolio."""
        return (self.overdue_outstanding / self.outstanding).quantize(Decimal("0.0001")) if self.outstanding else \
            Decimal("0.0000")

    @property
    def npl_rate(self) -> Decimal:
        return (self.npl_outstanding / self.outstanding).quantize(Decimal("0.0001")) if self.outstanding else \
            Decimal("0.0000")

    @property
    def main_manager(self) -> str | None:
        """The account manager with the most loans here (ties: smallest id)."""
        if not self.managers:
            return None
        return sorted(self.managers.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def to_dict(self) -> dict[str, Any]:
        return {"org_path": self.org_path, "loan_count": self.loan_count, "outstanding": str(self.outstanding),
                "overdue_count": self.overdue_count, "overdue_outstanding": str(self.overdue_outstanding),
                "npl_outstanding": str(self.npl_outstanding), "managers": dict(self.managers)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Portfolio:
        return cls(org_path=d.get("org_path", ""), loan_count=int(d.get("loan_count", 0)),
                   outstanding=_d(d.get("outstanding")), overdue_count=int(d.get("overdue_count", 0)),
                   overdue_outstanding=_d(d.get("overdue_outstanding")),
                   npl_outstanding=_d(d.get("npl_outstanding")),
                   managers={k: int(v) for k, v in (d.get("managers") or {}).items()})

