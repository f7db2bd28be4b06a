"""Watching the LPR table (parameter ``lpr_fixings``) against the publication calendar.

From the day a published fixing is overdue (missing from the table in force the day after its publication),
operations are warned: a WARNING log line and the CloudWatch metric ``LprFixingOverdue`` (namespace
``VillageCredit``, dimension ``service``; value = days overdue, 0 when current), on which template.yaml sets the
alarm ``LprFixingOverdueAlarm``. The daily job ``LprFixingCheck`` emits it every day (so the alarm also clears),
and every drawdown priced during the grace period emits it too. Pricing itself is refused only after the grace
period (:func:`chalicelib.loans.domain.rates.assess`); see ADR 0041.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.loans.domain.rates import Staleness, assess

METRIC = "LprFixingOverdue"


def grace_days(on: date) -> int | None:
    """The shortest ``pricing.lpr_grace_days`` of the LPR-priced products in force on ``on`` (None: none is)."""
    from chalicelib.loans.service import config

    products, _ = config.document(config.PRODUCTS, on)
    graces = [p.pricing.lpr_grace_days for p in products.catalogue.values() if p.pricing.default_mode == "lpr_spread"]
    return min(graces) if graces else None


def status(on: date) -> tuple[Staleness, int | None]:
    """``(staleness, lpr_fixings version)`` of the table in force on ``on``."""
    from chalicelib.loans.service import config

    table, version = config.lpr_table(on)
    return assess(table, on, grace_days(on)), version


def report(s: Staleness, *, version: int | None, where: str) -> None:
    """Log and measure ``s``: the metric always (days overdue, 0 when current); a WARNING while a fixing is
    overdue, an ERROR once pricing is refused; an INFO when the holiday calendar did not cover a day looked at."""
    from chalicelib.platform.observability import emit_metric, logger

    facts = {**s.details(), "lpr_fixings_version": version, "where": where}
    if s.missing:
        level = logger().error if s.refused else logger().warning
        level("LPR fixing overdue: add the published fixing to lpr_fixings", extra=facts)
    if not s.exact:
        logger().info("LPR publication calendar: no holiday notice for a year looked at; weekends only skipped",
                      extra=facts)
    emit_metric(METRIC, s.days_overdue)


def check(event: dict[str, Any] | None = None) -> dict[str, Any]:
    """The daily check (job ``LprFixingCheck``; event ``{"business_date"?: "YYYY-MM-DD"}``): reports and returns
    ``{"status": "current" | "overdue" | "refused", "lpr_fixings_version", ...Staleness.details()}``."""
    from chalicelib.platform.clock import business_date

    raw = (event or {}).get("business_date")
    day = date.fromisoformat(str(raw)) if raw else business_date()
    s, version = status(day)
    report(s, version=version, where="daily check")
    state = "refused" if s.refused else "overdue" if s.missing else "current"
    return {"status": state, "lpr_fixings_version": version, **s.details()}
