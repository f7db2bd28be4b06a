"""Test data of the admin context: runs of the daily jobs."""
from __future__ import annotations

import time
from datetime import date
from typing import Any


def completed_job_run(job: str, day: date, result: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run of ``job`` for ``day`` completed with ``result`` (default ``{}``), through the job runner itself
    (chalicelib.admin.public.run). Returns what the runner answered."""
    from chalicelib.admin import public as admin

    return admin.run(job, {"job": job, "business_date": day.isoformat()}, None, lambda _run: dict(result or {}))


def job_run_left_behind(job: str, day: date, *, owner: str, checkpoint: dict[str, Any], lease_seconds: int) -> None:
    """A run of ``job`` for ``day`` that an invocation took and checkpointed, then died holding its lease (out of
    memory, killed at its timeout): what the runner's lease exists for. Made with the runner's own steps."""
    from chalicelib.admin.data import job_runs

    state, _ = job_runs.begin(job, day, owner=owner, lease_seconds=lease_seconds)
    if state != "started":
        raise AssertionError(f"the run of {job} on {day} was already {state}")
    job_runs.save_checkpoint(job, day, owner, checkpoint, lease_seconds=lease_seconds)


def lease_runs_out(job: str, day: date) -> None:
    """The lease of the run of ``job`` on ``day`` ends now (time passing, without waiting for it): the run's own
    model moves ``lease_until`` into the past."""
    from chalicelib.admin.data.models import JobRun

    JobRun.of(job, day).update(actions=[JobRun.lease_until.set(int(time.time()) - 1)])
