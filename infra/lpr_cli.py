"""``village-credit lpr ...``: the LPR fixings table (parameter ``lpr_fixings``) of the running stack.

``lpr add DATE --one-year R --five-year R`` adds a published fixing the way operations do every month (a new
version of ``lpr_fixings`` through ``POST /parameters/lpr_fixings/versions`` as province staff, effective from the
business date; a DATE after the business date is refused: a fixing is not known before it is published).
``lpr status`` judges the table in force against the
publication calendar (:func:`chalicelib.loans.domain.rates.assess`). ``lpr demo-fill`` adds, for a demo on a date past the
shipped table, the fixings due up to the business date as the last published rates carried forward, marked in the
document as *not published* (``unpublished_fixings``) and in the version's comment: it never invents a rate that
could pass for a published one (ADR 0041).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import typer

lpr_app = typer.Typer(help="the LPR fixings table (parameter lpr_fixings)", no_args_is_help=True)

PARAMETER = "lpr_fixings"
UNPUBLISHED_KEY = "unpublished_fixings"
UNPUBLISHED_NOTE = ("rows whose dates are listed here are NOT published LPR fixings: the last published rates carried "
                    "forward so that a demo or test can price on a date past the shipped table")


def with_fixing(document: dict[str, Any], day: date, one_year: str, five_year: str) -> dict[str, Any]:
    """``document`` with the fixing ``[day, one_year, five_year]`` (percent strings) in date order. A published
    fixing replaces a carried-forward row of the same date (and its mark); the same published fixing again returns
    ``document`` itself (rates compared as numbers: 3 = 3.00). Raises CliError ``LPR_FIXING_EXISTS`` when a
    published fixing of that date with other rates is already there."""
    from infra.cli_support import CliError

    rows = [list(r) for r in document.get("fixings") or []]
    unpublished = set(document.get(UNPUBLISHED_KEY) or [])
    iso = day.isoformat()
    same = next((r for r in rows if r[0] == iso), None)
    if same is not None and iso not in unpublished:
        if (Decimal(str(same[1])), Decimal(str(same[2]))) == (Decimal(one_year), Decimal(five_year)):
            return document
        raise CliError("LPR_FIXING_EXISTS", f"the table already has the fixing of {iso}: {same[1]} % / {same[2]} %")
    rows = sorted([r for r in rows if r[0] != iso] + [[iso, one_year, five_year]], key=lambda r: r[0])
    out = {**document, "fixings": rows}
    unpublished.discard(iso)
    _mark(out, unpublished)
    return out


def carried_forward(document: dict[str, Any], through: date) -> tuple[dict[str, Any], list[str]]:
    """``(document, added)``: ``document`` with a row for every publication day after its last fixing up to and
    including ``through``, each with the last fixing's rates and listed under ``unpublished_fixings``."""
    from chalicelib.loans.domain import lpr_calendar
    from chalicelib.loans.domain.rates import parse_lpr_table

    table = parse_lpr_table(document)
    last = table.fixings[-1]
    added = [p.day.isoformat() for p in lpr_calendar.publications_after(table.as_of, date.fromordinal(
        through.toordinal() + 1))]
    if not added:
        return document, []
    rows = [list(r) for r in document["fixings"]] + [[d, f"{last.one_year_pct:.2f}", f"{last.five_year_pct:.2f}"]
                                                      for d in added]
    out = {**document, "fixings": rows}
    if out.get("as_of"):
        out["as_of"] = added[-1]
    _mark(out, set(document.get(UNPUBLISHED_KEY) or []) | set(added))
    return out, added


def _mark(document: dict[str, Any], unpublished: set[str]) -> None:
    if unpublished:
        document[UNPUBLISHED_KEY] = sorted(unpublished)
        document["unpublished_note"] = UNPUBLISHED_NOTE
    else:
        document.pop(UNPUBLISHED_KEY, None)
        document.pop("unpublished_note", None)


def _rate(value: str, name: str) -> str:
    from infra.cli_support import CannotStart

    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or not Decimal("0.5") <= rate <= Decimal("20"):
        raise CannotStart("LPR_RATE_INVALID", f"{name} {value!r} is not a rate in percent (e.g. 3.00)")
    return f"{rate:.2f}" if rate == rate.quantize(Decimal("0.01")) else str(rate)


def store(api: Any, user: str, document: dict[str, Any], effective_from: date, comment: str) -> dict[str, Any]:
    """POST the document as a new ``lpr_fixings`` version; returns the stored version."""
    return api.call("POST", f"/parameters/{PARAMETER}/versions", user,
                    json={"value": document, "effective_from": effective_from.isoformat(), "comment": comment})


def fill_for_demo(api: Any, user: str = "province.admin") -> tuple[dict[str, Any] | None, list[str]]:
    """Carry the last published fixing forward to the business date (see :func:`carried_forward`), as one new
    version effective today; ``(stored version or None, dates added)``."""
    today = api.business_date()
    current = api.call("GET", f"/parameters/{PARAMETER}", user)
    document, added = carried_forward(current["value"], today)
    if not added:
        return None, []
    stored = store(api, user, document, today,
                   f"DEMO DATA, not published rates: {added[0]} to {added[-1]} carried forward from "
                   f"{current['value']['fixings'][-1][0]}")
    return stored, added


@lpr_app.command("add")
def add(day: str = typer.Argument(..., metavar="DATE", help="publication date of the fixing, YYYY-MM-DD: the 20th, or "
                                                            "the next working day"),
        one_year: str = typer.Option(..., "--one-year", help="1-year LPR in percent, e.g. 3.00"),
        five_year: str = typer.Option(..., "--five-year", help="5-year-and-above LPR in percent, e.g. 3.50"),
        comment: str | None = typer.Option(None, help="default: 'LPR fixing of DATE'"),
        force: bool = typer.Option(False, "--force", help="take DATE although the publication calendar expects the "
                                                          "month's fixing on another day (CFETS moved it)"),
        user: str = typer.Option("province.admin", "--as", help="province staff (parameter:write)")) -> None:
    """Add a published LPR fixing (a new lpr_fixings version, effective from the business date).

    DATE must not be after the stack's business date (a fixing is known only once it is published: refused with
    LPR_DATE_IN_FUTURE, exit 2; on the local stack move the clock first, `village-credit clock set DATE`). It must be
    the month's publication day by the calendar (the 20th, or the next working day after a weekend or holiday):
    another date is refused (LPR_DATE_NOT_PUBLICATION_DAY, exit 2) unless --force, for the day CFETS
    publishes off the calendar. A fixing already in the table with the same rates changes nothing ("unchanged");
    with other rates it is refused (LPR_FIXING_EXISTS). A published fixing replaces a carried-forward demo row of
    its date (`lpr demo-fill`) and says so."""
    from infra.cli import _date_argument
    from infra.cli_support import StackApi, stack_state

    fixing_day = _date_argument(day, "DATE")
    one, five = _rate(one_year, "--one-year"), _rate(five_year, "--five-year")
    if not force:
        publication_day_argument(fixing_day)
    api = StackApi.of(stack_state())
    today = api.business_date()
    not_in_future(fixing_day, today)
    current = api.call("GET", f"/parameters/{PARAMETER}", user)
    document = with_fixing(current["value"], fixing_day, one, five)
    if document == current["value"]:
        typer.echo(f"unchanged: the fixing of {fixing_day} (1Y {one} %, 5Y {five} %) is already in lpr_fixings "
                   f"version {current['version']}")
        return
    replaced = fixing_day.isoformat() in (current["value"].get(UNPUBLISHED_KEY) or [])
    stored = store(api, user, document, today, comment or f"LPR fixing of {fixing_day}")
    typer.echo(f"lpr_fixings version {stored['version']} effective {stored['effective_from']}: "
               f"{fixing_day} 1Y {one} % 5Y {five} %"
               + (" (replaces the carried-forward row of that date, which was not a published rate)"
                  if replaced else ""))


def not_in_future(day: date, today: date) -> None:
    """Nothing when ``day`` is on or before the business date ``today``; else CannotStart ``LPR_DATE_IN_FUTURE``.

    A fixing is published on its day (CFETS, PBOC 公告〔2019〕第15号): before that day no rate for it exists. Accepting one would store
    a version effective on a future day holding a copy of today's table, which later versions could not correct and
    which would make a conflicting rate for the same day look new (ADR 0041)."""
    from infra.cli_support import CannotStart

    if day > today:
        raise CannotStart("LPR_DATE_IN_FUTURE",
                          f"DATE {day} is after the business date {today}: a fixing is known only once it is "
                          f"published; add it on {day} or later (local stack: `village-credit clock set {day}` "
                          "first)")


def publication_day_argument(day: date) -> None:
    """Nothing when ``day`` is the publication day of its month's fixing (:func:`chalicelib.loans.domain.lpr_calendar.
    publication`); else CannotStart ``LPR_DATE_NOT_PUBLICATION_DAY`` naming the expected day (a fixing is dated the
    day it is published: a wrong date would make the table's staleness checks expect the next one on a wrong day)."""
    from chalicelib.loans.domain.lpr_calendar import publication
    from infra.cli_support import CannotStart

    expected = publication(day.year, day.month)
    if expected.day != day:
        calendar = "" if expected.exact else (f" (the holiday calendar does not cover {day.year}: weekends only were "
                                              "skipped)")
        raise CannotStart("LPR_DATE_NOT_PUBLICATION_DAY",
                          f"DATE {day}: the fixing of {day:%Y-%m} is due on {expected.day}{calendar}, the 20th or the "
                          "next working day; add it with that date, or with --force if CFETS published it on "
                          f"{day}")


@lpr_app.command("status")
def status(user: str = typer.Option("province.admin", "--as")) -> None:
    """How current the LPR table in force is: last fixing, missing fixings, from when pricing is refused."""
    from chalicelib.loans.domain.products import load_products
    from infra.cli_support import StackApi, stack_state

    api = StackApi.of(stack_state())
    today = api.business_date()
    current = api.call("GET", f"/parameters/{PARAMETER}", user)
    products = api.call("GET", "/parameters/products", user)["value"]
    graces = [p.pricing.lpr_grace_days for p in load_products(products).values()
              if p.pricing.default_mode == "lpr_spread"]
    for line in status_lines(current["value"], current["version"], today, min(graces) if graces else None):
        typer.echo(line)


def status_lines(document: dict[str, Any], version: int, today: date, grace_days: int | None) -> list[str]:
    """What ``lpr status`` prints for the ``lpr_fixings`` ``document`` (stored as ``version``) on the business date
    ``today``: the last fixing, the fixings missing by the publication calendar and from when LPR pricing is refused
    (:func:`chalicelib.loans.domain.rates.assess`, ``grace_days`` = the shortest ``pricing.lpr_grace_days`` of the
    LPR-priced products, None for none), and the rows carried forward by ``lpr demo-fill`` (``unpublished_fixings``):
    a table "current" only thanks to them holds rates nobody published."""
    from chalicelib.loans.domain.rates import assess, parse_lpr_table

    s = assess(parse_lpr_table(document), today, grace_days)
    lines = [f"lpr_fixings version {version}: last fixing {s.last_fixing}, business date {today}"]
    dates = {r[0] for r in document.get("fixings") or []}
    carried = sorted(d for d in document.get(UNPUBLISHED_KEY) or [] if d in dates)
    if not s.missing:
        lines.append("current: no fixing is missing" + (", counting the carried-forward rows" if carried else ""))
    else:
        lines.append(f"missing: {', '.join(d.isoformat() for d in s.missing)} (overdue since {s.overdue_since}); "
                     f"LPR pricing {'refused since' if s.refused else 'refused from'} {s.refused_from}")
    if carried:
        lines.append(f"carried forward, NOT published rates: {len(carried)} row{'s' if len(carried) > 1 else ''} "
                     f"({', '.join(carried)}; demo data from `lpr demo-fill`: `lpr add` each published fixing to "
                     "replace its row)")
    if not s.exact:
        lines.append("note: the holiday calendar does not cover every day looked at; weekends only were skipped")
    return lines


@lpr_app.command("demo-fill")
def demo_fill(user: str = typer.Option("province.admin", "--as")) -> None:
    """DEMO ONLY: carry the last fixing forward to the business date, marked as not published."""
    from infra.cli_support import StackApi, stack_state

    stored, added = fill_for_demo(StackApi.of(stack_state()), user)
    if stored is None:
        typer.echo("the LPR table is current: nothing added")
        return
    typer.echo(f"lpr_fixings version {stored['version']} effective {stored['effective_from']}: {len(added)} "
               f"carried-forward rows ({added[0]} to {added[-1]}), marked as NOT published rates")
