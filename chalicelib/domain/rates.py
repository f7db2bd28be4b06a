"""Loan prime rate (LPR, 贷款市场报价利率) lookup and contract-rate pricing: pure functions, no I/O.

Facts used
----------
* Since the reform of 2019-08-20 (PBOC 公告〔2019〕第15号), the LPR is published monthly by
  全国银行间同业拆借中心 (CFETS / National Interbank Funding Center) on the 20th (next business day
  if a holiday) for two tenors: 1 year and 5 years and above. New loans are priced as
  ``LPR ± spread``. A fixing is in force from its publication date until the next fixing.
* The fixings table is the versioned parameter ``lpr_fixings`` (shipped default
  ``chalicelib/reference/parameters/lpr_fixings.json``, see ``chalicelib/reference/SOURCES.md``; operations
  add each monthly fixing as a new version); callers load the version in force and pass the document to
  :func:`parse_lpr_table`. This module never reads files.

Rates are returned as annual ``Decimal`` fractions (4.25 % → ``Decimal("0.0425")``).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from chalicelib.errors import ValidationFailed

TENORS = ("1Y", "5Y")
BASES = ("LPR1Y", "LPR5Y", "FIXED")
DEFAULT_MAX_AGE_DAYS = 45  # monthly fixings: the longest gap between two fixings is about 35 days


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
    if isinstance(value, float) or isinstance(value, bool):
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


def lpr_on(on_date: date, tenor: str = "1Y", table: LprTable | None = None, *,
           max_age_days: int | None = DEFAULT_MAX_AGE_DAYS) -> Decimal:
    """The LPR of ``tenor`` (``"1Y"`` or ``"5Y"``) in force on ``on_date``, as an annual fraction.

    The fixing in force is the latest one published on or before ``on_date`` (a fixing applies from
    its own publication day). Raises ``ValidationFailed`` with ``LPR_TENOR_INVALID`` for another
    tenor, ``LPR_NOT_AVAILABLE`` for a date before the first fixing (2019-08-20, start of the reformed
    LPR) and ``LPR_TABLE_STALE`` when ``on_date`` is more than ``max_age_days`` after ``table.as_of``
    (a newer fixing may exist that the table lacks; pass ``max_age_days=None`` to accept the last
    fixing regardless).
    """
    if tenor not in TENORS:
        raise ValidationFailed(f"tenor must be one of {', '.join(TENORS)}", code="LPR_TENOR_INVALID",
                               field="tenor")
    if table is None:
        raise ValidationFailed("an LPR table is required", code="LPR_TABLE_INVALID", field="table")
    position = bisect_right(table.dates, on_date)
    if position == 0:
        raise ValidationFailed(f"no LPR fixing on or before {on_date.isoformat()}", code="LPR_NOT_AVAILABLE",
                               field="on_date")
    if max_age_days is not None and on_date > table.as_of + timedelta(days=max_age_days):
        raise ValidationFailed(f"LPR table ends {table.as_of.isoformat()}, too old for {on_date.isoformat()}",
                               code="LPR_TABLE_STALE", field="on_date")
    fixing = table.fixings[position - 1]
    pct = fixing.one_year_pct if tenor == "1Y" else fixing.five_year_pct
    return pct / 100


def contract_rate(*, base: str, spread_bps: int | Decimal = 0, fixed_rate: Decimal | None = None,
                  on_date: date | None = None, table: LprTable | None = None,
                  max_age_days: int | None = DEFAULT_MAX_AGE_DAYS) -> Decimal:
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
        rate = lpr_on(on_date, tenor, table, max_age_days=max_age_days) + Decimal(spread_bps) / 10000
    if rate < 0:
        raise ValidationFailed("contract rate must not be negative", code="RATE_NEGATIVE", field="spread_bps")
    return rate
