"""Running scheduled jobs: one run per (job, business date), checkpointed page by page, resumable.

A job body gets a :class:`JobRun` and walks its work in *phases*; each phase iterates *units* (index
shards, institutions, ...) page by page through :meth:`JobRun.pages`, which stores the cursor reached
after every page. A crash loses at most the page in flight, and every per-item effect of a job is
itself idempotent (conditional puts on deterministic keys), so redoing that page changes nothing.
When the invocation runs short of time, the run stops at a page boundary (:class:`OutOfTime`), gives
its lease back and invokes its own function again asynchronously (on AWS; locally the caller simply
runs the job again). A date that completed returns ``already_completed`` and does nothing.

Crashes: an invocation that dies without giving its lease back (out of memory, killed at its timeout)
holds the date until the lease runs out (:data:`LEASE_SECONDS`, the job functions' timeout); the
schedules fire every 20 minutes through a window of hours (template.yaml), so the first fire after the
lease ran out resumes from the checkpoint. A job that cannot start yet (:class:`NotYet`, e.g. the day's
classification has not completed) gives its lease back and answers ``waiting``, not an error: the next
fire tries again. Errors go to Lambda's retries, then to the dead-letter queue and its alarm.

Events: ``{"job": NAME, "business_date": "YYYY-MM-DD"?, "max_pages": N?}``: the business date defaults to
today's (Asia/Shanghai, :func:`chalicelib.platform.clock.business_date`); ``max_pages`` stops after N pages
(operations and tests use it to process a date in slices).
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chalicelib.admin.data import job_runs

LEASE_SECONDS = 900
SAFETY_MS = 60_000


class NotYet(Exception):
    """Raised by a job body that must wait for another job of its business date (the next fire retries)."""


class OutOfTime(Exception):
    """Raised at a page boundary when the invocation must stop (time budget or ``max_pages``)."""


class BadJobEvent(ValueError):
    """The event is not a job event (no ``job``/``business_date`` and not an EventBridge schedule)."""


def parse_event(event: Any, job: str) -> date:
    """The business date of a job event (raises :class:`BadJobEvent` for anything else)."""
    if not isinstance(event, dict) or not (event.get("job") == job or event.get("source") == "aws.events"
                                           or "business_date" in event):
        raise BadJobEvent(f"not a {job} job event")
    raw = event.get("business_date")
    if raw:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise BadJobEvent(f"business_date {raw!r} is not YYYY-MM-DD") from None
    from chalicelib.platform.clock import business_date

    return business_date()


@dataclass
class JobRun:
    job: str
    day: date
    owner: str
    checkpoint: dict[str, Any]
    context: Any = None
    max_pages: int | None = None
    pages_done: int = 0
    counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.checkpoint.setdefault("done", [])
        self.counters = {k: int(v) for k, v in (self.checkpoint.get("counters") or {}).items()}

    # ------------------------------------------------------------------ counters and checkpoints
    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.counters[name] = self.counters.get(name, 0) + n

    def save(self, **cursor: Any) -> None:
        self.checkpoint.update(cursor)
        self.checkpoint["counters"] = dict(self.counters)
        job_runs.save_checkpoint(self.job, self.day, self.owner, self.checkpoint, lease_seconds=LEASE_SECONDS)

    def _tick(self) -> None:
        self.pages_done += 1
        if self.max_pages is not None and self.pages_done >= self.max_pages:
            raise OutOfTime("max_pages reached")
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        if callable(remaining) and remaining() < SAFETY_MS:
            raise OutOfTime("time budget")

    def phase_done(self, phase: str) -> bool:
        return phase in self.checkpoint["done"]

    def finish_phase(self, phase: str) -> None:
        if phase not in self.checkpoint["done"]:
            self.checkpoint["done"].append(phase)
        self.save(phase=None, unit=0, cursor=None)

    # ------------------------------------------------------------------ iteration
    def pages(self, phase: str, units: list[str], fetch: Callable[[str, str | None], tuple[list[dict], str | None]],
              handle: Callable[[str, list[dict]], None], *, whole_units: bool = False,
              on_unit_done: Callable[[str], None] | None = None) -> None:
        """Run ``handle(unit, items)`` over every page ``fetch(unit, cursor) -> (items, next_cursor)`` of
        every unit, checkpointing after each page (``whole_units``: only after each unit, for handlers
        that keep per-unit state in memory until ``on_unit_done``)."""
        if self.phase_done(phase):
            return
        same = self.checkpoint.get("phase") == phase
        start = int(self.checkpoint.get("unit") or 0) if same else 0
        cursor = self.checkpoint.get("cursor") if same and not whole_units else None
        for index in range(start, len(units)):
            unit = units[index]
            while True:
                items, cursor = fetch(unit, cursor)
                handle(unit, items)
                if cursor is None:
                    break
                if not whole_units:
                    self.save(phase=phase, unit=index, cursor=cursor)
                    self._tick()
            if on_unit_done:
                on_unit_done(unit)
            self.save(phase=phase, unit=index + 1, cursor=None)
            if index + 1 < len(units):
                self._tick()
        self.finish_phase(phase)

    def step(self, phase: str, fn: Callable[[], None]) -> None:
        """A phase done in one go (small work), skipped when already done."""
        if self.phase_done(phase):
            return
        fn()
        self.finish_phase(phase)


def run(job: str, event: Any, context: Any, body: Callable[[JobRun], dict[str, Any] | None]) -> dict[str, Any]:
    """Run ``body`` as the run of ``job`` for the event's business date (see the module docstring)."""
    day = parse_event(event, job)
    owner = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    state, item = job_runs.begin(job, day, owner=owner, lease_seconds=LEASE_SECONDS)
    base = {"job": job, "business_date": day.isoformat()}
    if state == "completed":
        return {**base, "status": "already_completed", "counters": (item.get("checkpoint") or {}).get("counters", {})}
    if state == "leased":
        return {**base, "status": "in_progress"}
    max_pages = event.get("max_pages") if isinstance(event, dict) else None
    jr = JobRun(job, day, owner, dict(item.get("checkpoint") or {}), context=context,
                max_pages=int(max_pages) if max_pages else None)
    started = time.monotonic()
    try:
        extra = body(jr) or {}
    except OutOfTime as stop:
        job_runs.release(job, day, owner, None)
        continued = _continue(event, context, day) if str(stop) == "time budget" else False
        return {**base, "status": "partial", "counters": jr.counters, "continued": continued}
    except NotYet as wait:
        job_runs.release(job, day, owner, None)
        return {**base, "status": "waiting", "reason": str(wait)}
    except Exception as exc:
        job_runs.release(job, day, owner, f"{type(exc).__name__}: {exc}")
        raise
    result = {"counters": jr.counters, "elapsed_ms": int((time.monotonic() - started) * 1000), **extra}
    job_runs.complete(job, day, owner, json.loads(json.dumps(result, default=str)))
    return {**base, "status": "completed", **result}


def _continue(event: Any, context: Any, day: date) -> bool:
    """Invoke this function again (asynchronously) to carry on where the checkpoint stopped, for the same
    business date (a continuation that starts after midnight must not move on to the next date)."""
    name = getattr(context, "function_name", None)
    if not name:
        return False
    from chalicelib.platform import aws

    payload = dict(event) if isinstance(event, dict) else {}
    payload["continuation"] = int(payload.get("continuation", 0)) + 1
    payload["business_date"] = day.isoformat()
    if payload["continuation"] > 50:
        return False
    aws.client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode())
    return True


def chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
