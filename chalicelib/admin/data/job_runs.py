"""Job runs: one item per (scheduled job, business date) so that a job is idempotent per date and
resumable after a crash.

Item (core table): ``JOBRUN#<job>`` / ``<business_date>``: ``job``, ``business_date``, ``status``
(running | completed), ``checkpoint`` (the job's cursor: phase, unit, page cursor, counters),
``attempts``, ``lease_owner``/``lease_until`` (epoch seconds: one invocation works on a date at a time;
a crashed invocation's lease simply runs out), ``last_error``, ``started_at``, ``updated_at``,
``completed_at``, ``result``. Side items ``JOBRUN#<job>`` / ``<business_date>#PART#<name>`` hold partial
results a job keeps between invocations (e.g. per-shard aggregates), zlib-compressed JSON.

Every write after :func:`begin` is fenced by ``lease_owner``: an invocation whose lease was taken over
cannot overwrite the newer invocation's checkpoint.
"""
from __future__ import annotations

import json
import time
import zlib
from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict


class LeaseLost(Conflict):
    """Another invocation took over this job run (our lease ran out)."""

    code = "JOB_LEASE_LOST"


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def key(job: str, day: date | str) -> dict[str, str]:
    return {"PK": f"JOBRUN#{job}", "SK": str(day)}


def get(job: str, day: date | str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *key(job, day).values())


def begin(job: str, day: date, *, owner: str, lease_seconds: int) -> tuple[str, dict[str, Any]]:
    """Take the run of ``job`` for ``day``: ``("started" | "resumed", item)``, or ``("completed", item)``
    when that date is done, or ``("leased", item)`` while another invocation holds an unexpired lease."""
    from botocore.exceptions import ClientError

    now = int(time.time())
    try:
        resp = dynamo.client().update_item(
            TableName=_table(), Key=dynamo.to_item(key(job, day)),
            UpdateExpression=("SET #s = if_not_exists(#s, :running), job = :job, business_date = :day, "
                              "lease_owner = :owner, lease_until = :until, updated_at = :at, "
                              "started_at = if_not_exists(started_at, :at), "
                              "checkpoint = if_not_exists(checkpoint, :empty), "
                              "attempts = if_not_exists(attempts, :zero) + :one"),
            ConditionExpression=("attribute_not_exists(PK) OR (#s <> :completed AND "
                                 "(attribute_not_exists(lease_until) OR lease_until < :now))"),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=dynamo.to_item({
                ":running": "running", ":completed": "completed", ":job": job, ":day": day.isoformat(),
                ":owner": owner, ":until": now + lease_seconds, ":at": utc_now_iso(), ":empty": {},
                ":zero": 0, ":one": 1, ":now": now}),
            ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        item = get(job, day) or {}
        return ("completed" if item.get("status") == "completed" else "leased"), item
    item = dynamo.from_item(resp["Attributes"])
    return ("resumed" if item.get("attempts", 1) > 1 else "started"), item


def _fenced_update(job: str, day: date, owner: str, expression: str, values: dict[str, Any],
                   names: dict[str, str] | None = None) -> None:
    from botocore.exceptions import ClientError

    kwargs: dict[str, Any] = dict(TableName=_table(), Key=dynamo.to_item(key(job, day)), UpdateExpression=expression,
                                  ConditionExpression="lease_owner = :owner",
                                  ExpressionAttributeValues=dynamo.to_item({**values, ":owner": owner}))
    if names:
        kwargs["ExpressionAttributeNames"] = names
    try:
        dynamo.client().update_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise LeaseLost(f"job {job} {day}: another invocation took over") from None
        raise


def save_checkpoint(job: str, day: date, owner: str, checkpoint: dict[str, Any], *, lease_seconds: int) -> None:
    """Store the cursor (and counters) reached, renewing the lease."""
    _fenced_update(job, day, owner, "SET checkpoint = :c, lease_until = :until, updated_at = :at",
                   {":c": checkpoint, ":until": int(time.time()) + lease_seconds, ":at": utc_now_iso()})


def complete(job: str, day: date, owner: str, result: dict[str, Any]) -> None:
    _fenced_update(job, day, owner, "SET #s = :done, completed_at = :at, updated_at = :at, #r = :r REMOVE lease_until",
                   {":done": "completed", ":at": utc_now_iso(), ":r": result}, names={"#s": "status", "#r": "result"})


def release(job: str, day: date, owner: str, error: str | None) -> None:
    """Give the lease back (after an error, or to let a continuation invocation take over at once)."""
    try:
        if error:
            _fenced_update(job, day, owner, "SET last_error = :e, updated_at = :at REMOVE lease_until",
                           {":e": error[:1000], ":at": utc_now_iso()})
        else:
            _fenced_update(job, day, owner, "SET updated_at = :at REMOVE lease_until", {":at": utc_now_iso()})
    except LeaseLost:
        pass


def put_part(job: str, day: date, name: str, data: Any) -> None:
    """Keep a partial result between invocations (compressed; must stay under DynamoDB's 400 KB)."""
    blob = zlib.compress(json.dumps(data, separators=(",", ":"), default=str).encode("utf-8"), 6)
    dynamo.batch_put(_table(), [{"PK": f"JOBRUN#{job}", "SK": f"{day.isoformat()}#PART#{name}", "data": blob}])


def parts(job: str, day: date) -> dict[str, Any]:
    """Every partial result of a run: ``{name: data}``."""
    items = dynamo.query_all(_table(), pk_value=f"JOBRUN#{job}", sk_prefix=f"{day.isoformat()}#PART#", consistent=True)
    out = {}
    for item in items:
        raw = item["data"]
        raw = raw.value if hasattr(raw, "value") else raw
        out[item["SK"].split("#PART#", 1)[1]] = json.loads(zlib.decompress(bytes(raw)).decode("utf-8"))
    return out


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
