"""Inspection visits (贷后检查走访): the photo upload and the visit record. A recorded visit closes the task, plans
the next periodic one and stores the purpose check on the loan's post-loan state, in one transaction; an
unconfirmed purpose is evaluated by the warning rules at once."""
from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.data import inspections, postloan
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import next_inspection_due
from chalicelib.postloan.service.common import Item, loan_manager
from chalicelib.postloan.service.config import policy

GPS_LAT = (Decimal("3.8"), Decimal("53.6"))
GPS_LON = (Decimal("73.5"), Decimal("135.1"))
"""The bounding box of China's territory (degrees, WGS 84) a visit's GPS point must fall in."""


def photo_upload(principal: Principal, task_id: str, content_type: str) -> dict[str, Any]:
    """A presigned S3 PUT for one inspection photo (key under ``inspections/<task_id>/``). Raises NotFound
    ``INSPECTION_NOT_FOUND``, Forbidden ``NOT_ASSIGNEE`` (another account manager's task), Conflict
    ``INSPECTION_NOT_OPEN``."""
    import uuid

    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    task = inspections.get_for_change(principal, task_id)
    if task["status"] != "open":
        raise Conflict("the inspection is not open", code="INSPECTION_NOT_OPEN")
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}[content_type]
    key = f"{inspections.photo_prefix(task_id)}{uuid.uuid4().hex}.{ext}"
    url = aws.s3().generate_presigned_url(
        "put_object", Params={"Bucket": get_settings().documents_bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=900)
    return {"key": key, "upload_url": url, "content_type": content_type, "expires_in": 900}


def _check_gps(gps: dict[str, Decimal]) -> None:
    from chalicelib.platform.errors import ValidationFailed

    lat, lon = Decimal(gps["lat"]), Decimal(gps["lon"])
    if not (GPS_LAT[0] <= lat <= GPS_LAT[1] and GPS_LON[0] <= lon <= GPS_LON[1]):
        raise ValidationFailed("the GPS point is outside China", code="GPS_OUT_OF_AREA", field="gps")


def _check_photos(task_id: str, photos: list[str]) -> None:
    """Each photo key was issued for this task, listed once and uploaded (ValidationFailed, field ``photos[i]``)."""
    import re

    from botocore.exceptions import ClientError

    from chalicelib.platform import aws
    from chalicelib.platform.errors import ValidationFailed
    from chalicelib.platform.settings import get_settings

    issued = re.compile(re.escape(inspections.photo_prefix(task_id)) + r"[0-9a-f]{32}\.(?:jpg|png|heic)")
    s3 = aws.s3()
    for i, key in enumerate(photos):
        if not issued.fullmatch(key):
            raise ValidationFailed("a photo must be uploaded for this inspection", code="PHOTO_NOT_OF_TASK",
                                   field=f"photos[{i}]")
        if key in photos[:i]:
            raise ValidationFailed("the same photo is listed twice", code="PHOTO_DUPLICATE", field=f"photos[{i}]")
        try:
            s3.head_object(Bucket=get_settings().documents_bucket, Key=key)
        except ClientError:
            raise ValidationFailed("this photo was not uploaded", code="PHOTO_NOT_FOUND", field=f"photos[{i}]") from None


def _open_task(principal: Principal, task_id: str, version: int) -> Item:
    task = inspections.get_for_change(principal, task_id)
    if task["status"] != "open":
        raise Conflict(f"the inspection is {task['status']}", code="INSPECTION_NOT_OPEN")
    if int(task["version"]) != int(version):
        raise Conflict("the inspection was changed by someone else; reload", code="VERSION_CONFLICT", field="version")
    return task


def record_visit(principal: Principal, task_id: str, *, version: int, gps: dict[str, Decimal], photos: list[str],
                 findings: str, purpose_confirmed: bool, risk_observed: bool, visited_at: str | None) -> dict[str, Any]:
    """Record an inspection visit: the task is done, the next periodic task planned, the purpose check
    stored on the loan's post-loan state (one transaction); an unconfirmed purpose is evaluated by the
    warning rules at once. ``gps``: ``{"lat", "lon", "accuracy_m"?}`` in degrees (Decimal).

    Raises ValidationFailed ``GPS_OUT_OF_AREA`` (field ``gps``: outside :data:`GPS_LAT`/:data:`GPS_LON`), NotFound
    ``INSPECTION_NOT_FOUND`` (unknown or out of scope), Forbidden ``NOT_ASSIGNEE`` (an account manager recording
    another's task), Conflict ``INSPECTION_NOT_OPEN`` / ``VERSION_CONFLICT``, ValidationFailed
    ``VISITED_AT_INVALID`` / ``VISITED_AT_IN_FUTURE`` (field ``visited_at``: ISO 8601 with a UTC offset, at most a
    few minutes ahead of the server's clock), ``PHOTO_NOT_OF_TASK`` (a key not issued by :func:`photo_upload` for
    this task), ``PHOTO_DUPLICATE``, ``PHOTO_NOT_FOUND`` (field ``photos[i]``)."""
    from datetime import datetime

    from chalicelib.loans import public as loans
    from chalicelib.platform.clock import business_date, utc_now_iso
    from chalicelib.postloan.domain.postloan import visit_time
    from chalicelib.postloan.service.warning_scan.rules import evaluate_loan_now

    _check_gps(gps)
    task = _open_task(principal, task_id, version)
    found = loans.get(task["loan_id"])
    start = (found or {}).get("start_date")
    visited_at = visit_time(visited_at, datetime.now(UTC), not_before=date.fromisoformat(start) if start else None)
    _check_photos(task_id, photos)
    loan = found or {"loan_id": task["loan_id"], "household_id": task["household_id"], "org_path": task["org_path"],
                     "status": "closed"}
    day = business_date()
    visit = {"visited_at": visited_at, "recorded_at": utc_now_iso(), "gps": gps, "photos": photos, "findings": findings,
             "purpose_confirmed": purpose_confirmed, "risk_observed": risk_observed}
    stored = _store_visit(principal, task, loan, visit, day)
    if not purpose_confirmed and loan.get("status") == "active":
        evaluate_loan_now(task["loan_id"], day)
    return stored


def _store_visit(principal: Principal, task: Item, loan: Item, visit: Item, day: date) -> Item:
    """The done task, the next periodic task (for an active loan) and the purpose check, in one transaction."""
    from chalicelib.platform import dynamo

    state = postloan.get_state(task["loan_id"])
    category = (state or {}).get("category", Category.PASS.value)
    done = {**task, "status": "done", "completed_by": principal.user_id, "completed_on": day.isoformat(),
            "visit": visit}
    tx = dynamo.Transaction()
    stored = inspections.add_update(tx, task, done, actor_id=principal.user_id, action="inspection.recorded",
                                    reason=str(visit["findings"])[:200])
    if loan.get("status") == "active":
        kind, due = next_inspection_due(policy(day), category=category, disbursed_on=None, last_inspected_on=day,
                                        today=day)
        nxt = inspections.new_task(loan, kind=kind, due_on=due, category=category, day=day,
                                   assignee_id=task.get("assignee_id") or loan_manager(loan),
                                   previous_task_id=task["task_id"])
        inspections.add_create(tx, nxt, actor_id=principal.user_id)
        stored["next_task_id"] = nxt["task_id"]
        postloan.set_purpose_confirmed({**loan, "village_code": loan.get("village_code") or task.get("village_code"),
                                        "account_manager_id": loan_manager(loan) or task.get("assignee_id")},
                                       bool(visit["purpose_confirmed"]), actor_id=principal.user_id, day=day, tx=tx)
    tx.commit()
    return stored
