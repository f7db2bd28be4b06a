"""Roster import jobs (批量导入任务): :class:`~chalicelib.customers.data.models.RosterImport` items (their keys,
the village index and the object keys of the file and the report are the model's). Readers get dicts
(``state()``). Status changes are conditional updates (a job is claimed once even if started twice).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound

MAX_INLINE_ERRORS = 500

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action


def create(principal: Principal, village: dict[str, Any], *, filename: str, content_type: str) -> dict[str, Any]:
    """A new job of ``village`` (its assignment: code, org_id, org_path) waiting for its file upload; the
    requesting principal is kept on it. Returns the job."""
    from chalicelib.customers.data.models import RosterImport
    from chalicelib.customers.domain import roster

    import_id = str(uuid.uuid4())
    ext = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    s3_key, report_key = RosterImport.file_keys(import_id, ext)
    now = utc_now_iso()
    job = RosterImport(
        import_id=import_id, village_code=village["village_code"], org_id=village["org_id"],
        org_path=village["org_path"], status="awaiting_upload", filename=filename, content_type=content_type,
        s3_key=s3_key, report_key=report_key,
        requested_by={"user_id": principal.user_id, "username": principal.username, "role": principal.role,
                      "org_id": principal.org_id, "org_path": principal.org_path},
        progress={"data_rows": 0, "households_total": 0, "households_done": 0}, counts=roster.new_counts(),
        errors=[], errors_total=0, created_at=now, updated_at=now, version=1)
    job.fill_keys()
    job.save(condition=RosterImport.PK.does_not_exist())
    return job.state()


def get_unscoped(import_id: str) -> dict[str, Any] | None:
    """The job (dict), or ``None`` (the import function, which acts with the job's own principal)."""
    from chalicelib.customers.data.models import RosterImport

    found = RosterImport.find(*RosterImport.key(import_id))
    return found.state() if found else None


def get(principal: Principal, import_id: str) -> dict[str, Any]:
    """The job if in the caller's scope (the village's organisation subtree); 404 ``IMPORT_NOT_FOUND``."""
    item = get_unscoped(import_id)
    if item is None or principal.role == "farmer" or not principal.can_see(org_path=item["org_path"]):
        raise NotFound("import not found", code="IMPORT_NOT_FOUND", field="import_id")
    return item


def _transition(import_id: str, *, from_status: tuple[str, ...], to_status: str,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from pynamodb.exceptions import UpdateError

    from chalicelib.customers.data.models import RosterImport

    job = RosterImport(import_id=import_id)
    job.PK, job.SK = RosterImport.key(import_id)
    actions: list[Action] = [RosterImport.status.set(to_status), RosterImport.updated_at.set(utc_now_iso()),
               RosterImport.version.add(1)]
    actions += [getattr(RosterImport, k).set(v) for k, v in (extra or {}).items()]
    allowed = RosterImport.status.is_in(*from_status)
    try:
        job.update(actions=actions, condition=RosterImport.PK.exists() & allowed)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"the import is not {' or '.join(from_status)}", code="IMPORT_STATUS",
                           field="status") from None
        raise
    return job.state()


def mark_queued(import_id: str, *, size: int) -> dict[str, Any]:
    """awaiting_upload (or failed, to retry) → queued; 409 ``IMPORT_STATUS`` otherwise."""
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
    """Progress of a running job (only while it is running; ``data_rows`` stays 0 until completion)."""
    from chalicelib.customers.data.models import RosterImport

    job = RosterImport(import_id=import_id)
    job.PK, job.SK = RosterImport.key(import_id)
    job.update(actions=[
        RosterImport.progress.set({"data_rows": 0, "households_total": households_total,
                                   "households_done": households_done}),
        RosterImport.counts.set(counts), RosterImport.updated_at.set(utc_now_iso())],
        condition=RosterImport.status == "running")


def complete(import_id: str, report: dict[str, Any]) -> dict[str, Any]:
    """running → completed with the summary of ``report`` (errors beyond :data:`MAX_INLINE_ERRORS` are only in
    the full report file)."""
    errors = report["errors"]
    return _transition(import_id, from_status=("running",), to_status="completed", extra={
        "finished_at": utc_now_iso(), "counts": report["counts"],
        "errors": errors[:MAX_INLINE_ERRORS], "errors_total": len(errors),
        "progress": {"data_rows": report["data_rows"], "households_total": report["households_total"],
                     "households_done": report["households_total"]}})


def fail(import_id: str, *, code: str, message: str) -> dict[str, Any]:
    """queued/running → failed with a stable code (the file could not be processed at all)."""
    return _transition(import_id, from_status=("queued", "running"), to_status="failed",
                       extra={"finished_at": utc_now_iso(), "failure": {"code": code, "message": message}})
