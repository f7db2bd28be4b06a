"""When the LPR is published: the publication calendar the LPR table is judged against. Pure (no I/O).

Rule: the LPR is published on the 20th of every month, postponed to the next working day when the 20th is not one
(中国人民银行公告〔2019〕第15号: quotes are due before 9:00 on the 20th, "遇节假日顺延"; the National Interbank
Funding Center publishes at 9:30 the same day, Xinhua 2021-05-20). "Working day" is the official calendar of the
State Council's holiday notices, make-up working days included: the fixing of 2021-02-20, a Saturday worked for
the Spring Festival, was published that day. Every one of the 85 fixings of the shipped table (2019-08-20 to
2026-08-20) falls on the date this rule gives (``tests/unit/test_lpr_calendar.py``).

The holidays and make-up days come from the PyPI package ``chinese-calendar`` (MIT; a table of the State Council
notices). A year it does not cover yet (the notice for a year is published around November of the year before)
falls back to "Monday to Friday", and the result says so (``exact`` false) so that callers can log it: the fallback
is off only around a holiday it does not know (the real day is later: a warning comes a few days early) or a make-up
Saturday on the 20th (the real day is earlier: a missing fixing is noticed up to two days late).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PUBLICATION_DAY = 20


@dataclass(frozen=True)
class Publication:
    """A publication day of the LPR (``day``) for ``year``/``month``; ``exact`` is false when the holiday calendar
    did not cover a day looked at (weekends only were skipped)."""

    year: int
    month: int
    day: date
    exact: bool


def is_working_day(day: date) -> tuple[bool, bool]:
    """``(working, exact)``: whether ``day`` is an official working day in mainland China (make-up days included),
    and whether the holiday calendar covered it (``False``: judged by the weekday alone)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:  # the package has no notice for that year yet
        return day.weekday() < 5, False


def publication(year: int, month: int) -> Publication:
    """The publication day of the fixing of ``year``/``month``: the 20th, or the next working day."""
    day = date(year, month, PUBLICATION_DAY)
    exact = True
    while True:
        working, known = is_working_day(day)
        exact = exact and known
        if working:
            return Publication(year, month, day, exact)
        day += timedelta(days=1)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def publications_after(after: date, before: date) -> list[Publication]:
    """The publications with ``after < day < before`` (both exclusive), oldest first: the fixings a table complete
    up to ``after`` lacks on business date ``before`` (a fixing published on ``before`` itself is not missing yet:
    it is added the day it is published)."""
    found: list[Publication] = []
    year, month = after.year, after.month
    while date(year, month, 1) < before:
        p = publication(year, month)
        if after < p.day < before:
            found.append(p)
        year, month = _next_month(year, month)
    return found
