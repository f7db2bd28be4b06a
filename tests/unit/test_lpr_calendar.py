"""The LPR publication calendar: the 20th, or the next official working day (make-up days count)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chalicelib.loans.domain import lpr_calendar
from chalicelib.loans.domain.rates import assess, parse_lpr_table
from infra.lpr_cli import UNPUBLISHED_KEY, carried_forward, with_fixing

SHIPPED = json.loads((Path(__file__).resolve().parents[2] / "chalicelib" / "reference" / "parameters"
                      / "lpr_fixings.json").read_text(encoding="utf-8"))


def test_every_published_fixing_of_the_shipped_table_falls_on_the_calendars_day():
    """85 real publication dates (2019-08-20 to 2026-08-20, sources in SOURCES.md) against the rule."""
    days = [date.fromisoformat(row[0]) for row in SHIPPED["fixings"]]
    predicted = [lpr_calendar.publication(d.year, d.month) for d in days]
    assert [p.day for p in predicted] == days
    assert all(p.exact for p in predicted)


@pytest.mark.parametrize("year, month, expected, why", [
    (2021, 2, date(2021, 2, 20), "Saturday, a make-up working day of the 2021 Spring Festival: published that day"),
    (2026, 2, date(2026, 2, 24), "20th inside the 2026 Spring Festival holiday (02-15 to 02-23)"),
    (2019, 10, date(2019, 10, 21), "Sunday"),
    (2026, 9, date(2026, 9, 20), "Sunday, a make-up working day of the 2026 National Day holiday"),
])
def test_holidays_weekends_and_make_up_days(year, month, expected, why):
    assert lpr_calendar.publication(year, month).day == expected, why


def test_a_year_the_holiday_calendar_does_not_cover_falls_back_to_weekdays_and_says_so():
    p = lpr_calendar.publication(2027, 3)  # 2027-03-20 is a Saturday; the package has no 2027 notice yet
    assert p.day == date(2027, 3, 22) and p.exact is False


def test_missing_fixings_are_the_publications_between_the_table_and_the_business_date():
    table = parse_lpr_table(SHIPPED)
    assert assess(table, date(2026, 9, 20)).missing == ()  # published that day: added that day, not missing yet
    s = assess(table, date(2026, 12, 7))
    assert [d.isoformat() for d in s.missing] == ["2026-09-20", "2026-10-20", "2026-11-20"]
    assert s.overdue_since == date(2026, 9, 21) and s.days_overdue == 78 and s.refused


def test_a_carried_forward_table_is_current_and_marks_its_rows_as_not_published():
    doc, added = carried_forward(SHIPPED, date(2027, 6, 30))
    assert added[0] == "2026-09-20" and added[-1] == "2027-06-21" and len(added) == 10
    assert doc[UNPUBLISHED_KEY] == added and doc["fixings"][-1] == ["2027-06-21", "3.00", "3.50"]
    assert not assess(parse_lpr_table(doc), date(2027, 6, 30)).missing
    assert carried_forward(doc, date(2027, 6, 30)) == (doc, [])
    # a published fixing replaces the carried-forward row of its date and its mark
    fixed = with_fixing(doc, date(2026, 10, 20), "2.90", "3.40")
    assert ["2026-10-20", "2.90", "3.40"] in fixed["fixings"] and "2026-10-20" not in fixed[UNPUBLISHED_KEY]
    assert len(fixed["fixings"]) == len(doc["fixings"])


def test_a_published_fixing_is_not_overwritten_with_other_rates():
    from infra.cli_support import CliError

    with pytest.raises(CliError) as err:
        with_fixing(SHIPPED, date(2026, 8, 20), "2.90", "3.50")
    assert err.value.code == "LPR_FIXING_EXISTS"
    assert with_fixing(SHIPPED, date(2026, 8, 20), "3.00", "3.50") == SHIPPED
