"""Business dates and timestamps.

Business dates are calendar dates in Asia/Shanghai (GLOSSARY: units and conventions); stored
timestamps are ISO 8601 UTC. Tests and the local stack may pin the business date with
``BUSINESS_DATE_OVERRIDE`` (refused outside the local and test stages by the settings model).
"""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

_SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """The current instant (timezone-aware, UTC): the one reading of real time (timestamps, expiries)."""
    return datetime.now(timezone.utc)


def utc_now_iso() -> str:
    """Current instant as ISO 8601 UTC with milliseconds, e.g. ``2026-11-29T09:30:00.123Z``."""
    return utc_now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def business_date() -> date:
    """Today's business date in Asia/Shanghai, or ``BUSINESS_DATE_OVERRIDE`` when set (local/test)."""
    override = os.environ.get("BUSINESS_DATE_OVERRIDE")
    if override:
        return date.fromisoformat(override)
    return datetime.now(_SHANGHAI).date()
