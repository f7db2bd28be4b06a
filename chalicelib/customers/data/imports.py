"""Roster import jobs (批量导入任务).

Item (core table) ``IMPORT#<import_id>`` / ``IMPORT``: ``village_code``, ``org_path`` / ``org_id`` (of the
village, for scope), ``status`` (awaiting_upload → queued → running → completed | failed),
``filename``, ``content_type``, ``s3_key`` (the uploaded file), ``report_key`` (the full JSON report),
``requested_by`` (the requesting principal, so the asynchronous import acts with the requester's
scope), ``progress`` {data_rows, households_total, households_done}, ``counts`` (households and people
by outcome, rows: ``chalicelib.customers.domain.roster.new_counts``), ``errors`` (the first :data:`MAX_INLINE_ERRORS`
report lines),
``errors_total``, ``failure`` {code, message}, timestamps. GSI1 ``VILLAGEIMPORT#<code>`` / created_at.

Status changes are conditional updates (a job is claimed once even if started twice).
"""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound

MAX_INLINE_ERRORS = 500


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def _key(import_id: str) -> dict[str, str]:
    return {"PK": f"IMPORT#{import_id}", "SK": "IMPORT"}


def create(principal: Principal, village: dict[str, Any], *, filename: str, content_type: str) -> dict[str, Any]:
    """A new job waiting for its file upload."""
    from chalicelib.customers.domain import roster

    import_id = str(uuid.uuid4())
    ext = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    now = utc_now_iso()
    item = {**_key(import_id), "kind": "roster_import", "import_id": import_id,
            "village_code": village["village_code"], "org_id": village["org_id"], "org_path": village["org_path"],
            "status": "awaiting_upload", "filename": filename, "content_type": content_type,
            "s3_key": f"imports/{import_id}/roster.{ext}", "report_key": f"imports/{import_id}/report.json",
            "requested_by": {"user_id": principal.user_id, "username": principal.username, "role": principal.role,
                             "org_id": principal.org_id, "org_path": principal.org_path},
            "progress": {"data_rows": 0, "households_total": 0, "households_done": 0},
            "counts": roster.new_counts(),
            "errors": [], "errors_total": 0, "created_at": now, "updated_at": now, "version": 1,
            "GSI1PK": f"VILLAGEIMPORT#{village['village_code']}", "GSI1SK": now}
    dynamo.client().put_item(TableName=_table(), Item=dynamo.to_item(item),
                             ConditionExpression="attribute_not_exists(PK)")
    return item


def get_unscoped(import_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), f"IMPORT#{import_id}", "IMPORT")


def get(principal: Principal, import_id: str) -> dict[str, Any]:
    """The job if in the caller's scope (the village's organisation subtree); 404 ``IMPORT_NOT_FOUND``."""
    item = get_unscoped(import_id)
    if item is None or principal.role == "farmer" or not principal.can_see(org_path=item["org_path"]):
        raise NotFound("import not found", code="IMPORT_NOT_FOUND", field="import_id")
    return item


def _transition(import_id: str, *, from_status: tuple[str, ...], to_status: str,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    sets = ["#s = :to", "updated_at = :now", "version = version + :one"]
    values: dict[str, Any] = {":to": to_status, ":now": utc_now_iso(), ":one": 1}
    names = {"#s": "status"}
    for n, (k, v) in enumerate((extra or {}).items()):
        names[f"#e{n}"] = k
        values[f":e{n}"] = v
        sets.append(f"#e{n} = :e{n}")
    conds = []
    for n, s in enumerate(from_status):
        values[f":f{n}"] = s
        conds.append(f"#s = :f{n}")
    try:
        resp = dynamo.client().update_item(
            TableName=_table(), Key=dynamo.to_item(_key(import_id)), UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="attribute_exists(PK) AND (" + " OR ".join(conds) + ")",
            ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.to_item(values), ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Conflict(f"the import is not {' or '.join(from_status)}", code="IMPORT_STATUS",
                           field="status") from None
        raise
    return dynamo.from_item(resp["Attributes"])


def mark_queued(import_id: str, *, size: int) -> dict[str, Any]:
    """awaiting_upload (or failed, to retry) → queued."""
    return _transition(import_id, from_status=("awaiting_upload", "failed"), to_status="queued",
                       extra={"file_size": size, "queued_at": utc_now_iso()})


def claim(import_id: str) -> dict[str, Any] | None:
    """queued → running, once; ``None`` when another invocation already claimed the job."""
    try:
        return _transition(import_id, from_status=("queued",), to_status="running",
                           extra={"started_at": utc_now_iso()})
    except Conflict:
        return None


def record_progress(import_id: str, *, households_total: int, households_done: int, counts: dict[str, int]) -> None:
    """Progress of a running job (only while it is running; ``data_rows`` is filled at completion)."""
    dynamo.client().update_item(
        TableName=_table(), Key=dynamo.to_item(_key(import_id)),
        UpdateExpression="SET progress.households_total = :t, progress.households_done = :d, counts = :c, "
                         "updated_at = :now",
        ConditionExpression="#s = :running", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=dynamo.to_item({":t": households_total, ":d": households_done, ":c": counts,
                                                  ":now": utc_now_iso(), ":running": "running"}))


def complete(import_id: str, report: dict[str, Any]) -> dict[str, Any]:
    """running → completed with the summary of ``report`` (errors beyond :data:`MAX_INLINE_ERRORS`
    are only in the full report file)."""
    errors = report["errors"]
    return _transition(import_id, from_status=("running",), to_status="completed", extra={
        "finished_at": utc_now_iso(), "counts": report["counts"], "errors": errors[:MAX_INLINE_ERRORS],
        "errors_total": len(errors),
        "progress": {"data_rows": report["data_rows"], "households_total": report["households_total"],
                     "households_done": report["households_total"]}})


def fail(import_id: str, *, code: str, message: str) -> dict[str, Any]:
    """queued/running → failed with a stable code (the file could not be processed at all)."""
    return _transition(import_id, from_status=("queued", "running"), to_status="failed",
                       extra={"finished_at": utc_now_iso(), "failure": {"code": code, "message": message}})
