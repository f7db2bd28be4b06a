"""Fires the template's Schedule events locally (EventBridge does not fire under moto).

``rate(N unit)`` fires every N units from start; ``cron(m h dom mon dow year)`` (AWS syntax, evaluated
in UTC like EventBridge) is converted to five-field cron for croniter. Each firing invokes the
function through moto's Lambda (``InvocationType=Event``), so it runs the real handler via the seam,
with an EventBridge ``Scheduled Event`` payload.
"""
from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.local.stack import LocalStack, Schedule

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")


def next_fire(expression: str, after: datetime) -> datetime:
    """The first firing time strictly after ``after`` (UTC). Raises ValueError for other syntax."""
    m = _RATE.match(expression)
    if m:
        n, unit = int(m.group(1)), m.group(2).rstrip("s")
        return after + timedelta(**{f"{unit}s": n})
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6:
            raise ValueError(f"AWS cron has six fields: {expression}")
        minute, hour, dom, month, dow, _year = fields
        from croniter import croniter

        five = " ".join(f.replace("?", "*") for f in (minute, hour, dom, month, dow))
        return croniter(five, after).get_next(datetime)
    raise ValueError(f"unsupported schedule expression: {expression}")


def scheduled_event(schedule: Schedule, when: datetime) -> dict[str, Any]:
    """The payload EventBridge would deliver, merged with the event's ``Input`` when it has one."""
    if schedule.input:
        return dict(schedule.input)
    return {"version": "0", "id": f"local-{schedule.name}-{when:%Y%m%d%H%M}", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": when.isoformat().replace("+00:00", "Z"), "region": "us-east-1",
            "resources": [f"local-schedule/{schedule.name}"], "detail": {}}


def fire(stack: LocalStack, schedule: Schedule, *, when: datetime | None = None, sync: bool = True) -> Any:
    """Invoke a schedule's function now; with ``sync`` return its result (raise on a function error)."""
    import boto3

    when = when or datetime.now(UTC)
    lam = boto3.client("lambda", endpoint_url=stack.endpoint)
    out = lam.invoke(FunctionName=schedule.function_name, InvocationType="RequestResponse" if sync else "Event",
                     Payload=json.dumps(scheduled_event(schedule, when)).encode())
    if not sync:
        return None
    payload = json.loads(out["Payload"].read() or b"null")
    if out.get("FunctionError"):
        raise RuntimeError(f"{schedule.function_name} failed: {payload}")
    return payload


class Scheduler(threading.Thread):
    """Background thread firing every enabled schedule of ``stack`` at its times, until stopped."""

    def __init__(self, stack: LocalStack):
        super().__init__(name="local-scheduler", daemon=True)
        self.stack = stack
        self._stop = threading.Event()

    def run(self) -> None:
        now = datetime.now(UTC)
        due = {s.name: next_fire(s.expression, now) for s in self.stack.schedules if s.enabled}
        while not self._stop.wait(1.0):
            now = datetime.now(UTC)
            for s in self.stack.schedules:
                if s.name in due and due[s.name] <= now:
                    try:
                        fire(self.stack, s, when=now, sync=False)
                    finally:
                        due[s.name] = next_fire(s.expression, now)

    def stop(self) -> None:
        self._stop.set()
