"""Business dates and timestamps.

Business dates are calendar dates in Asia/Shanghai (GLOSSARY: units and conventions); stored
timestamps are ISO 8601 UTC.

Two ways to move the business date, both for the ``local`` and ``test`` stages only:

* the **local clock** (:func:`set_local_business_date`): a process-wide pinned date. The local stack runs
  the API, the state-machine tasks and the scheduled jobs in one process, so one variable moves all of them
  at once, without a restart (``village-credit clock set|advance|reset`` reaches it through the local
  server's ``/_local/clock``, which exists only in ``infra/local/server.py``, never in template.yaml).
  Setting it outside the local and test stages raises :class:`LocalClockRefused`, and a pinned date is
  obeyed only while the settings say the stage is local or test.
* ``BUSINESS_DATE_OVERRIDE`` (environment, read per call): for unit tests and one-off processes; refused
  outside the local and test stages by the settings model at cold start.

The local clock wins over the environment variable; without either, the date is today's in Asia/Shanghai.
Timestamps (:func:`utc_now_iso`) are never moved: they record when something really happened.
"""
from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The stages in which the business date may be moved (the settings model refuses the override elsewhere).
LOCAL_CLOCK_STAGES = ("local", "test")

_lock = threading.Lock()
_pinned: date | None = None


class LocalClockRefused(RuntimeError):
    """The local clock was used outside the local and test stages (a deployment error, never a client's)."""


def utc_now() -> datetime:
    """The current instant (timezone-aware, UTC): the one reading of real time (timestamps, expiries)."""
    return datetime.now(UTC)


def utc_now_iso() -> str:
    """Current instant as ISO 8601 UTC with milliseconds, e.g. ``2026-11-29T09:30:00.123Z``."""
    return iso_utc(utc_now())


def iso_utc(moment: datetime) -> str:
    """An aware instant as it is stored: ISO 8601 in UTC with milliseconds, e.g. ``2026-11-29T09:30:00.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def calendar_date() -> date:
    """Today's date in Asia/Shanghai by the wall clock, whatever the local clock says."""
    return datetime.now(_SHANGHAI).date()


def business_date() -> date:
    """The business date: the local clock's pinned date (local/test), else ``BUSINESS_DATE_OVERRIDE``
    (local/test), else today in Asia/Shanghai. Raises :class:`LocalClockRefused` if a date is pinned while
    the stage is not local or test (cannot happen through :func:`set_local_business_date`)."""
    pinned = _pinned
    if pinned is not None:
        _require_local_stage()
        return pinned
    override = os.environ.get("BUSINESS_DATE_OVERRIDE")
    if override:
        return date.fromisoformat(override)
    return calendar_date()


def local_business_date() -> date | None:
    """The date pinned on the local clock, or ``None`` when the business date follows the calendar."""
    return _pinned


def set_local_business_date(day: date | None) -> date:
    """Pin the business date of this process to ``day`` (``None``: follow the calendar again); returns the
    business date now in force. Raises :class:`LocalClockRefused` unless the validated settings name the
    ``local`` or ``test`` stage."""
    global _pinned
    _require_local_stage()
    if day is not None and not isinstance(day, date):
        raise TypeError("day must be a datetime.date or None")
    with _lock:
        _pinned = day
    return business_date()


def _require_local_stage() -> None:
    from chalicelib.platform.settings import get_settings

    stage = get_settings().stage
    if stage not in LOCAL_CLOCK_STAGES:
        raise LocalClockRefused(f"the local clock exists only in the {' and '.join(LOCAL_CLOCK_STAGES)} stages, "
                                f"not in {stage}")
