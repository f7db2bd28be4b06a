"""Loan prime rate (LPR, 贷款市场报价利率) lookup and contract-rate pricing: pure functions, no I/O.

Facts used
----------
* Since the reform of 2019-08-20 (PBOC 公告〔2019〕第15号), the LPR is published monthly by
  全国银行间同业拆借中心 (CFETS / National Interbank Funding Center) on the 20th (next working day
  if a holiday; :mod:`chalicelib.loans.domain.lpr_calendar`) for two tenors: 1 year and 5 years and above.
  New loans are priced as ``LPR ± spread``. A fixing is in force from its publication date until the
  next fixing.
* Staleness (:func:`assess`) is judged against that calendar: a fixing published on day P and missing
  from the table is *overdue* from P + 1 (operations add it the day it is published); LPR pricing goes
  on with the last fixing during a grace period (``pricing.lpr_grace_days`` of the product) and is
  refused (``LPR_TABLE_STALE``) from P + grace + 1. The policy and its default are argued in
  docs/decisions/0041-lpr-staleness-and-the-local-clock.md.
* The fixings table is the versioned parameter ``lpr_fixings`` (shipped default
  ``chalicelib/reference/parameters/lpr_fixings.json``, see ``chalicelib/reference/SOURCES.md``; operations
  add each monthly fixing as a new version); callers load the version in force and pass the document to
  :func:`parse_lpr_table`. This module never reads files.

Rates are returned as annual ``Decimal`` fractions (4.25 % → ``Decimal("0.0425")``).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.platform.errors import ValidationFailed

TENORS = ("1Y", "5Y")
BASES = ("LPR1Y", "LPR5Y", "FIXED")
#: Days after a missing fixing's publication day during which LPR pricing goes on with the last fixing (the
#: default of ``pricing.lpr_grace_days``; decision and basis in ADR 0041).
DEFAULT_GRACE_DAYS = 10


@dataclass(frozen=True)
class LprFixing:
    """One LPR publication: its date and the 1-year / 5-year-and-above rates in percent."""

    date: date
    one_year_pct: Decimal
    five_year_pct: Decimal


@dataclass(frozen=True)
class LprTable:
    """LPR fixings sorted by date. ``as_of`` is the date up to which the table is known complete
    (the last fixing date unless the document says otherwise)."""

    fixings: tuple[LprFixing, ...]
    as_of: date

    @property
    def dates(self) -> list[date]:
        return [f.date for f in self.fixings]


def _pct(value: Any, where: str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise ValidationFailed(f"{where}: rates must be strings or Decimals, not float",
                               code="LPR_TABLE_INVALID", field=where)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(f"{where}: {value!r} is not a number", code="LPR_TABLE_INVALID",
                               field=where) from None
    if not result.is_finite() or result < 0:
        raise ValidationFailed(f"{where}: invalid rate {value!r}", code="LPR_TABLE_INVALID", field=where)
    return result


def parse_lpr_table(document: Mapping[str, Any]) -> LprTable:
    """Build an :class:`LprTable` from an ``lpr_fixings`` parameter document.

    Shape: ``{"fixings": [["2019-08-20", "4.25", "4.85"], ...], "as_of": "YYYY-MM-DD" (optional)}``
    with rates in percent as strings. Raises ``ValidationFailed`` (``LPR_TABLE_INVALID``) for an
    empty table, malformed rows, float rates, duplicate dates or a malformed ``as_of``.
    """
    rows = document.get("fixings") if isinstance(document, Mapping) else None
    if not rows:
        raise ValidationFailed("LPR table has no fixings", code="LPR_TABLE_INVALID", field="fixings")
    fixings = []
    for index, row in enumerate(rows):
        where = f"fixings[{index}]"
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            raise ValidationFailed(f"{where} must be [date, 1Y %, 5Y %]", code="LPR_TABLE_INVALID", field=where)
        try:
            day = date.fromisoformat(row[0])
        except (TypeError, ValueError):
            raise ValidationFailed(f"{where}: bad date {row[0]!r}", code="LPR_TABLE_INVALID", field=where) from None
        fixings.append(LprFixing(day, _pct(row[1], where), _pct(row[2], where)))
    fixings.sort(key=lambda f: f.date)
    if len({f.date for f in fixings}) != len(fixings):
        raise ValidationFailed("LPR table has duplicate dates", code="LPR_TABLE_INVALID", field="fixings")
    try:
        as_of = date.fromisoformat(document["as_of"]) if document.get("as_of") else fixings[-1].date
    except (TypeError, ValueError):
        raise ValidationFailed(f"as_of: bad date {document['as_of']!r}", code="LPR_TABLE_INVALID",
                               field="as_of") from None
    return LprTable(tuple(fixings), as_of)


@dataclass(frozen=True)
class Staleness:
    """How current an LPR table is on ``business_date``: ``missing`` are the publication days after the table's
    ``as_of`` and before the business date (oldest first; empty when the table is current); ``exact`` is false
    when the holiday calendar did not cover a day looked at (weekends only were skipped)."""

    business_date: date
    last_fixing: date
    as_of: date
    missing: tuple[date, ...]
    grace_days: int | None
    exact: bool

    @property
    def overdue_since(self) -> date | None:
        """The first day a fixing was overdue (the day after the oldest missing publication), or None."""
        return self.missing[0] + timedelta(days=1) if self.missing else None

    @property
    def days_overdue(self) -> int:
        """Days since the oldest missing fixing became overdue, counting its first day as 1 (0: current)."""
        since = self.overdue_since
        return (self.business_date - since).days + 1 if since else 0

    @property
    def refused_from(self) -> date | None:
        """The first day LPR pricing is refused (None: current, or no grace limit)."""
        if not self.missing or self.grace_days is None:
            return None
        return self.missing[0] + timedelta(days=self.grace_days + 1)

    @property
    def refused(self) -> bool:
        return self.refused_from is not None and self.business_date >= self.refused_from

    def details(self) -> dict[str, Any]:
        """JSON-ready facts for an error's ``details``, a log line or a job result."""
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {"business_date": iso(self.business_date), "last_fixing": iso(self.last_fixing),
                "missing_fixings": [iso(d) for d in self.missing], "overdue_since": iso(self.overdue_since),
                "days_overdue": self.days_overdue, "grace_days": self.grace_days,
                "refused_from": iso(self.refused_from), "calendar_exact": self.exact}


def assess(table: LprTable, on_date: date, grace_days: int | None = DEFAULT_GRACE_DAYS) -> Staleness:
    """Judge ``table`` on business date ``on_date`` against the publication calendar (see the module docstring):
    which fixings are missing and since when, and from which day pricing is refused."""
    from chalicelib.loans.domain import lpr_calendar

    pubs = lpr_calendar.publications_after(table.as_of, on_date)
    return Staleness(business_date=on_date, last_fixing=table.fixings[-1].date, as_of=table.as_of,
                     missing=tuple(p.day for p in pubs), grace_days=grace_days,
                     exact=all(p.exact for p in pubs))


def stale_error(status: Staleness) -> ValidationFailed:
    """``LPR_TABLE_STALE``: which fixing is missing, since when pricing is refused, how to add it."""
    first = status.missing[0].isoformat()
    refused = status.refused_from.isoformat() if status.refused_from else "now"
    return ValidationFailed(
        f"the LPR fixing published on {first} is missing from the lpr_fixings table (last fixing "
        f"{status.last_fixing.isoformat()}); LPR pricing is refused from {refused} "
        f"({status.grace_days} days' grace): operations add the published fixing (`village-credit lpr add {first} "
        f"--one-year R --five-year R` or POST /parameters/lpr_fixings/versions)",
        code="LPR_TABLE_STALE", field="on_date", details=status.details())


def fixing_in_force(table: LprTable, on_date: date) -> LprFixing | None:
    """The latest fixing published on or before ``on_date`` (None before the first)."""
    position = bisect_right(table.dates, on_date)
    return table.fixings[position - 1] if position else None


def lpr_on(on_date: date, tenor: str = "1Y", table: LprTable | None = None, *,
           grace_days: int | None = DEFAULT_GRACE_DAYS) -> Decimal:
    """The LPR of ``tenor`` (``"1Y"`` or ``"5Y"``) in force on ``on_date``, as an annual fraction.

    The fixing in force is the latest one published on or before ``on_date`` (a fixing applies from
    its own publication day). Raises ``ValidationFailed`` with ``LPR_TENOR_INVALID`` for another
    tenor, ``LPR_NOT_AVAILABLE`` for a date before the first fixing (2019-08-20, start of the reformed
    LPR) and ``LPR_TABLE_STALE`` (:func:`stale_error`) when a fixing published before ``on_date`` has
    been missing from the table for more than ``grace_days`` days (:func:`assess`; ``grace_days=None``
    accepts the last fixing regardless).
    """
    if tenor not in TENORS:
        raise ValidationFailed(f"tenor must be one of {', '.join(TENORS)}", code="LPR_TENOR_INVALID",
                               field="tenor")
    if table is None:
        raise ValidationFailed("an LPR table is required", code="LPR_TABLE_INVALID", field="table")
    position = bisect_right(table.dates, on_date)
    if position == 0:
        first = table.fixings[0].date.isoformat()
        raise ValidationFailed(f"no LPR fixing on or before {on_date.isoformat()}: the first is of {first}",
                               code="LPR_NOT_AVAILABLE", field="on_date", details={"first_fixing": first})
    if grace_days is not None:
        status = assess(table, on_date, grace_days)
        if status.refused:
            raise stale_error(status)
    fixing = table.fixings[position - 1]
    pct = fixing.one_year_pct if tenor == "1Y" else fixing.five_year_pct
    return pct / 100


def contract_rate(*, base: str, spread_bps: int | Decimal = 0, fixed_rate: Decimal | None = None,
                  on_date: date | None = None, table: LprTable | None = None,
                  grace_days: int | None = DEFAULT_GRACE_DAYS) -> Decimal:
    """Annual contract (execution) rate as a fraction.

    * ``base="LPR1Y"`` / ``"LPR5Y"``: ``lpr_on(on_date, tenor, table) + spread_bps / 10000``
      (LPR-based pricing, PBOC 公告〔2019〕第15号; 1 bp = 0.0001); ``spread_bps`` may be negative.
    * ``base="FIXED"``: ``fixed_rate`` (``spread_bps`` must be 0).

    Raises ``ValidationFailed``: ``RATE_BASE_INVALID``, ``RATE_INPUT_MISSING`` (no ``on_date``/
    ``table`` for LPR, no ``fixed_rate`` for FIXED), ``RATE_NEGATIVE`` (result below zero), float
    inputs (``NOT_DECIMAL``), plus the errors of :func:`lpr_on`.
    """
    if base not in BASES:
        raise ValidationFailed(f"base must be one of {', '.join(BASES)}", code="RATE_BASE_INVALID", field="base")
    if isinstance(spread_bps, (float, bool)) or not isinstance(spread_bps, (int, Decimal)):
        raise ValidationFailed("spread_bps must be an int or Decimal", code="NOT_DECIMAL", field="spread_bps")
    if base == "FIXED":
        if fixed_rate is None:
            raise ValidationFailed("fixed_rate is required for a FIXED rate", code="RATE_INPUT_MISSING",
                                   field="fixed_rate")
        if isinstance(fixed_rate, float) or not isinstance(fixed_rate, (Decimal, int)):
            raise ValidationFailed("fixed_rate must be a Decimal", code="NOT_DECIMAL", field="fixed_rate")
        if spread_bps:
            raise ValidationFailed("spread_bps must be 0 for a FIXED rate", code="RATE_INPUT_INVALID",
                                   field="spread_bps")
        rate = Decimal(fixed_rate)
    else:
        if on_date is None or table is None:
            raise ValidationFailed("on_date and table are required for an LPR-based rate",
                                   code="RATE_INPUT_MISSING", field="on_date")
        tenor = "1Y" if base == "LPR1Y" else "5Y"
        rate = lpr_on(on_date, tenor, table, grace_days=grace_days) + Decimal(spread_bps) / 10000
    if rate < 0:
        raise ValidationFailed("contract rate must not be negative", code="RATE_NEGATIVE", field="spread_bps")
    return rate
