"""Job runs: one item per (scheduled job, business date) so that a job is idempotent per date and
resumable after a crash.

Items: the models :class:`~chalicelib.admin.data.models.JobRun` (one per job and business date: status,
checkpoint, attempts, lease) and :class:`~chalicelib.admin.data.models.JobRunPart` (partial results a job keeps
between invocations, e.g. per-shard aggregates, zlib-compressed JSON). Readers get runs as dicts
(``Model.state()``).

Every write after :func:`begin` is fenced by ``lease_owner``: an invocation whose lease was taken over
cannot overwrite the newer invocation's checkpoint.
"""
from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from datetime import date
from typing import Any

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict


class LeaseLost(Conflict):
    """Another invocation took over this job run (our lease ran out)."""

    code = "JOB_LEASE_LOST"


def key(job: str, day: date | str) -> dict[str, str]:
    """The key of the run of ``job`` on ``day`` (tests that age a lease write to it directly)."""
    from chalicelib.admin.data.models import JobRun

    pk, sk = JobRun.key(job, day)
    return {"PK": pk, "SK": sk}


def get(job: str, day: date | str) -> dict[str, Any] | None:
    """The run record as a dict (:class:`~chalicelib.admin.data.models.JobRun`), or ``None``."""
    from chalicelib.admin.data.models import JobRun

    run = JobRun.find(*JobRun.key(job, day))
    return run.state() if run else None


def begin(job: str, day: date, *, owner: str, lease_seconds: int) -> tuple[str, dict[str, Any]]:
    """Take the run of ``job`` for ``day``: ``("started" | "resumed", item)``, or ``("completed", item)``
    when that date is done, or ``("leased", item)`` while another invocation holds an unexpired lease."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.admin.data.models import JobRun

    now = int(time.time())
    at = utc_now_iso()
    run = JobRun.of(job, day)
    try:
        run.update(actions=[
            JobRun.status.set(JobRun.status | "running"), JobRun.job.set(job),
            JobRun.business_date.set(day.isoformat()), JobRun.lease_owner.set(owner),
            JobRun.lease_until.set(now + lease_seconds), JobRun.updated_at.set(at),
            JobRun.started_at.set(JobRun.started_at | at), JobRun.checkpoint.set(JobRun.checkpoint | {}),
            JobRun.attempts.set((JobRun.attempts | 0) + 1)],
            condition=JobRun.PK.does_not_exist() | ((JobRun.status != "completed") & (
                JobRun.lease_until.does_not_exist() | (JobRun.lease_until < now))))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        item = get(job, day) or {}
        return ("completed" if item.get("status") == "completed" else "leased"), item
    item = run.state()
    return ("resumed" if item.get("attempts", 1) > 1 else "started"), item


def _fenced_update(job: str, day: date, owner: str, actions: Callable[[Any], list[Any]]) -> None:
    """Update the run with ``actions(JobRun)`` only while ``owner`` holds its lease; raises :class:`LeaseLost`
    otherwise."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.admin.data.models import JobRun

    try:
        JobRun.of(job, day).update(actions=actions(JobRun), condition=JobRun.lease_owner == owner)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise LeaseLost(f"job {job} {day}: another invocation took over") from None
        raise


def save_checkpoint(job: str, day: date, owner: str, checkpoint: dict[str, Any], *, lease_seconds: int) -> None:
    """Store the cursor (and counters) reached, renewing the lease."""
    _fenced_update(job, day, owner, lambda m: [m.checkpoint.set(checkpoint),
                                               m.lease_until.set(int(time.time()) + lease_seconds),
                                               m.updated_at.set(utc_now_iso())])


def complete(job: str, day: date, owner: str, result: dict[str, Any]) -> None:
    """Mark the run completed with its ``result``, giving the lease back."""
    at = utc_now_iso()
    _fenced_update(job, day, owner, lambda m: [m.status.set("completed"), m.completed_at.set(at),
                                               m.updated_at.set(at), m.result.set(result), m.lease_until.remove()])


def release(job: str, day: date, owner: str, error: str | None) -> None:
    """Give the lease back (after an error, or to let a continuation invocation take over at once)."""
    at = utc_now_iso()
    try:
        if error:
            _fenced_update(job, day, owner, lambda m: [m.last_error.set(error[:1000]), m.updated_at.set(at),
                                                       m.lease_until.remove()])
        else:
            _fenced_update(job, day, owner, lambda m: [m.updated_at.set(at), m.lease_until.remove()])
    except LeaseLost:
        pass


def put_part(job: str, day: date, name: str, data: Any) -> None:
    """Keep a partial result between invocations (compressed; must stay under DynamoDB's 400 KB)."""
    from chalicelib.admin.data.models import JobRunPart

    blob = zlib.compress(json.dumps(data, separators=(",", ":"), default=str).encode("utf-8"), 6)
    JobRunPart(job=job, business_date=day.isoformat(), name=name, data=blob).put()


def parts(job: str, day: date) -> dict[str, Any]:
    """Every partial result of a run: ``{name: data}``."""
    from chalicelib.admin.data.models import JobRunPart
    from chalicelib.platform.dynamo import pages

    pk, prefix = JobRunPart.prefix(job, day.isoformat())
    found = pages.model_query_all(JobRunPart, pk_value=pk, sk_op="begins_with", sk_value=prefix, consistent=True)
    return {p.SK.split("#PART#", 1)[1]: json.loads(zlib.decompress(bytes(p.data)).decode("utf-8")) for p in found}


def get_visible(principal: Any, job: str, day: str) -> dict[str, Any]:
    """The run of ``job`` on ``day`` for a caller whose scope is the whole province (job runs are the
    platform's, covering every institution: they belong to the organisation of ``auth.SYSTEM``, the
    province root). Anyone else, and a run that does not exist, get 404 ``JOB_RUN_NOT_FOUND`` (field
    ``business_date``), as for any out-of-scope read; a ``day`` that is not a date gets 422
    ``BUSINESS_DATE_INVALID`` (field ``business_date``)."""
    from chalicelib.platform.access import SYSTEM
    from chalicelib.platform.errors import NotFound, ValidationFailed

    missing = NotFound("the job has not run for this business date", code="JOB_RUN_NOT_FOUND", field="business_date")
    if not principal.can_see(org_path=SYSTEM.org_path):
        raise missing
    try:
        parsed = date.fromisoformat(day) if len(day) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed("business_date must be a date (YYYY-MM-DD)", code="BUSINESS_DATE_INVALID",
                               field="business_date")
    item = get(job, parsed)
    if item is None:
        raise missing
    return item


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("job", "business_date", "status", "attempts", "started_at", "updated_at",
                                     "completed_at", "last_error", "result") if item.get(k) is not None} | {
        "checkpoint": {k: v for k, v in (item.get("checkpoint") or {}).items() if k != "cursor"}}
