"""Roster import function: processes one uploaded village roster (``POST /imports/{id}/start`` invokes it
asynchronously with ``{"import_id": ...}``).

The job is claimed with a conditional update (queued → running), so a duplicate delivery does
nothing. The requester's principal (stored on the job) bounds what the import may touch. Progress is
written as households are processed; the full report goes to S3 (``report_key``) and its first lines
onto the job. A roster that cannot be read at all fails the job with a stable code; an unexpected
error fails the job and is re-raised (the function's dead-letter queue and alarm catch it).
Nothing here logs a cell value.
"""
from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.customers.data import imports
    from chalicelib.platform.observability import logger

    log = logger()
    import_id = str(event.get("import_id") or "")
    job = imports.claim(import_id) if import_id else None
    if job is None:
        log.info("roster import not claimable", extra={"import_id": import_id})
        return {"import_id": import_id, "status": "skipped"}
    # Imported only once a job is claimed: a skipped (duplicate/empty) delivery needs none of them.
    from chalicelib.customers.service.roster_import import import_roster
    from chalicelib.platform import aws
    from chalicelib.platform.access import Principal
    from chalicelib.platform.errors import DomainError
    from chalicelib.platform.settings import get_settings

    settings = get_settings()
    s3 = aws.s3()
    principal = Principal(**job["requested_by"])
    try:
        body = s3.get_object(Bucket=settings.documents_bucket, Key=job["s3_key"])["Body"].read()
        report = import_roster(
            principal, job["village_code"], body, job["filename"],
            progress=lambda done, total, counts: imports.record_progress(
                import_id, households_total=total, households_done=done, counts=counts))
    except DomainError as exc:
        imports.fail(import_id, code=exc.code, message=exc.message)
        log.info("roster import failed", extra={"import_id": import_id, "code": exc.code})
        return {"import_id": import_id, "status": "failed", "code": exc.code}
    except Exception:
        imports.fail(import_id, code="INTERNAL", message="the import failed; quote the import id")
        log.exception("roster import crashed", extra={"import_id": import_id})
        raise
    s3.put_object(Bucket=settings.documents_bucket, Key=job["report_key"], ContentType="application/json",
                  Body=json.dumps(report, ensure_ascii=False, default=str).encode("utf-8"))
    imports.complete(import_id, report)
    log.info("roster import completed", extra={"import_id": import_id, "counts": report["counts"],
                                               "seconds": report["seconds"]})
    return {"import_id": import_id, "status": "completed", "counts": report["counts"]}
