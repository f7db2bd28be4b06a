"""Roster import jobs (批量导入任务) as the API sees them: start a job (an upload URL for the file), queue the
uploaded file for the import function, and the job's status with a link to its full report. The import itself is
:mod:`chalicelib.customers.service.roster_import`."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.customers.data import imports as repo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, ValidationFailed

#: how long the upload and report links are valid (seconds)
UPLOAD_EXPIRES_S = 900
REPORT_EXPIRES_S = 300


def create(principal: Principal, *, village_code: str, filename: str, content_type: str
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A job for a roster of ``village_code`` and the ticket to upload the file: ``(job, {method, url, headers,
    expires_in})``. Raises ValidationFailed ``VILLAGE_CODE_UNKNOWN``, NotFound ``VILLAGE_NOT_FOUND``."""
    from chalicelib.admin import public as orgs
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings
    from chalicelib.reference.divisions import get_village

    get_village(village_code)
    village = orgs.get_village(principal, village_code)
    job = repo.create(principal, village, filename=filename, content_type=content_type)
    url = aws.s3().generate_presigned_url(
        "put_object", Params={"Bucket": get_settings().documents_bucket, "Key": job["s3_key"],
                              "ContentType": content_type}, ExpiresIn=UPLOAD_EXPIRES_S)
    return job, {"method": "PUT", "url": url, "headers": {"Content-Type": content_type},
                 "expires_in": UPLOAD_EXPIRES_S}


def start(principal: Principal, import_id: str) -> dict[str, Any]:
    """Queue the uploaded roster and invoke the import function (asynchronously); returns the job. Raises
    NotFound ``IMPORT_NOT_FOUND``, Conflict ``IMPORT_FILE_MISSING`` / ``IMPORT_STATUS``, ValidationFailed
    ``ROSTER_TOO_LARGE``."""
    from botocore.exceptions import ClientError

    from chalicelib.customers.domain.roster import MAX_BYTES
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    settings = get_settings()
    job = repo.get(principal, import_id)
    try:
        head = aws.s3().head_object(Bucket=settings.documents_bucket, Key=job["s3_key"])
    except ClientError:
        raise Conflict("upload the file to the upload URL first", code="IMPORT_FILE_MISSING") from None
    if head["ContentLength"] > MAX_BYTES:
        raise ValidationFailed("the roster file is larger than 20 MB", code="ROSTER_TOO_LARGE", field="file")
    job = repo.mark_queued(import_id, size=int(head["ContentLength"]))
    # Event invocation returns at once on AWS; the local stack runs the handler before answering,
    # hence the long read timeout and no retries (the job is claimed once anyway).
    aws.lambda_async().invoke(FunctionName=settings.roster_import_function_name, InvocationType="Event",
                              Payload=json.dumps({"import_id": import_id}).encode())
    return repo.get(principal, import_id) or job


def get(principal: Principal, import_id: str) -> tuple[dict[str, Any], str | None]:
    """The job in the caller's scope and, once completed, a short-lived link to its full report; 404
    ``IMPORT_NOT_FOUND``."""
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    job = repo.get(principal, import_id)
    if job["status"] != "completed":
        return job, None
    url = aws.s3().generate_presigned_url(
        "get_object", Params={"Bucket": get_settings().documents_bucket, "Key": job["report_key"]},
        ExpiresIn=REPORT_EXPIRES_S)
    return job, str(url)
