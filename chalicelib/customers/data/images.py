"""Household images (影像资料): ID card front/back, house, land, livestock, signature photos.

Item (core table) ``HH#<household_id>`` / ``IMG#<image_id>``: ``household_id`` and ``org_path`` (of the
household: images are scoped exactly like it), ``kind``, ``content_type``, ``size`` (bytes, declared),
``sha256`` (hex, declared), ``gps`` {lat, lon}, ``taken_at``, ``s3_key``, ``status`` (pending →
uploaded | rejected), ``uploaded_by``, timestamps.

Upload: a presigned POST whose policy fixes the key and the Content-Type and bounds the size
(``content-length-range``), valid :data:`UPLOAD_EXPIRES_S` seconds. Confirm: the server checks the
stored object (size, content type, SHA-256) and marks it uploaded, or deletes it and marks it
rejected (S3 emulators do not all enforce POST policies; the check does not rely on them).
Download: a presigned GET valid :data:`DOWNLOAD_EXPIRES_S` seconds, only for uploaded images.
The bucket encrypts objects with the PII KMS key (template.yaml).
"""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, NotFound, ValidationFailed

KINDS = ("id_card_front", "id_card_back", "house", "land", "livestock", "signature")
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_BYTES = 10 * 1024 * 1024
MAX_SIGNATURE_BYTES = 1024 * 1024
UPLOAD_EXPIRES_S = 900
DOWNLOAD_EXPIRES_S = 300


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _s3():
    from chalicelib.platform import aws

    return aws.s3()


def limit_for(kind: str) -> int:
    return MAX_SIGNATURE_BYTES if kind == "signature" else MAX_BYTES


def _not_found() -> NotFound:
    return NotFound("image not found", code="IMAGE_NOT_FOUND", field="image_id")


def create(principal: Principal, household_id: str, *, kind: str, content_type: str, size: int, sha256: str,
           gps: dict[str, Any] | None, taken_at: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register an image of a household in scope and return ``(item, presigned POST)``."""
    from chalicelib.customers.data import households

    if content_type not in CONTENT_TYPES:
        raise ValidationFailed(f"content type must be one of {', '.join(CONTENT_TYPES)}", code="IMAGE_CONTENT_TYPE",
                               field="content_type")
    if not 0 < size <= limit_for(kind):
        raise ValidationFailed(f"a {kind} image must be 1 byte to {limit_for(kind) // 1024} KiB",
                               code="IMAGE_TOO_LARGE", field="size")
    hh = households.get(principal, household_id)
    image_id = str(uuid.uuid4())
    s = _settings()
    key = f"households/{household_id}/images/{image_id}.{CONTENT_TYPES[content_type]}"
    now = utc_now_iso()
    item = {"PK": f"HH#{household_id}", "SK": f"IMG#{image_id}", "item_type": "household_image",
            "image_id": image_id, "household_id": household_id, "org_path": hh["org_path"], "kind": kind,
            "content_type": content_type, "size": size, "sha256": sha256.lower(), "gps": gps, "taken_at": taken_at,
            "s3_key": key, "status": "pending", "uploaded_by": principal.user_id, "created_at": now,
            "updated_at": now}
    tx = dynamo.TxBuilder()
    tx.put(s.core_table, item, condition="attribute_not_exists(PK)")
    tx.audit(s.audit_table, dynamo.Audit(entity_type="household", entity_id=household_id, action="image_added",
                                         actor_id=principal.user_id, before=None,
                                         after={"image_id": image_id, "kind": kind, "size": size},
                                         org_path=hh["org_path"]))
    tx.commit()
    post = _s3().generate_presigned_post(
        Bucket=s.documents_bucket, Key=key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, limit_for(kind)]],
        ExpiresIn=UPLOAD_EXPIRES_S)
    return item, {"url": post["url"], "fields": post["fields"], "expires_in": UPLOAD_EXPIRES_S}


def get(principal: Principal, household_id: str, image_id: str) -> dict[str, Any]:
    """The image metadata if its household is in scope (404 otherwise)."""
    item = dynamo.get(_settings().core_table, f"HH#{household_id}", f"IMG#{image_id}")
    if item is None or not principal.can_see(org_path=item.get("org_path"), household_id=item.get("household_id")):
        raise _not_found()
    return item


def list_for(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    from chalicelib.customers.data import households

    households.get(principal, household_id)
    return dynamo.query_all(_settings().core_table, pk_value=f"HH#{household_id}", sk_prefix="IMG#")


def confirm(principal: Principal, household_id: str, image_id: str) -> dict[str, Any]:
    """Check the uploaded object against the declared metadata and limits: ``uploaded`` or ``rejected``
    (object deleted, ``rejection`` code). Raises Conflict ``IMAGE_NOT_UPLOADED`` while nothing is stored."""
    from botocore.exceptions import ClientError

    principal.require("image:write")
    item = get(principal, household_id, image_id)
    if item["status"] != "pending":
        return item
    s = _settings()
    try:
        obj = _s3().get_object(Bucket=s.documents_bucket, Key=item["s3_key"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            raise Conflict("the image has not been uploaded yet", code="IMAGE_NOT_UPLOADED") from None
        raise
    size = int(obj["ContentLength"])
    rejection = None
    if size > limit_for(item["kind"]) or size != int(item["size"]):
        rejection = "IMAGE_SIZE_MISMATCH"
    elif (obj.get("ContentType") or "").split(";")[0].strip() != item["content_type"]:
        rejection = "IMAGE_CONTENT_TYPE_MISMATCH"
    else:
        digest = hashlib.sha256()
        for chunk in iter(lambda: obj["Body"].read(1024 * 1024), b""):
            digest.update(chunk)
        if digest.hexdigest() != item["sha256"]:
            rejection = "IMAGE_CHECKSUM_MISMATCH"
    if rejection:
        _s3().delete_object(Bucket=s.documents_bucket, Key=item["s3_key"])
    status = "rejected" if rejection else "uploaded"
    values = {":st": status, ":now": utc_now_iso(), ":pending": "pending"}
    update = "SET #s = :st, updated_at = :now"
    if rejection:
        values[":r"] = rejection
        update += ", rejection = :r"
    tx = dynamo.TxBuilder()
    tx.update(s.core_table, {"PK": item["PK"], "SK": item["SK"]}, update, values=values, names={"#s": "status"},
              condition="#s = :pending")
    tx.audit(s.audit_table, dynamo.Audit(entity_type="household", entity_id=household_id, action=f"image_{status}",
                                         actor_id=principal.user_id, before={"image_id": image_id, "status": "pending"},
                                         after={"image_id": image_id, "status": status, "rejection": rejection},
                                         org_path=item["org_path"]))
    tx.commit()
    return {**item, "status": status, **({"rejection": rejection} if rejection else {})}


def download_url(item: dict[str, Any]) -> str:
    if item["status"] != "uploaded":
        raise Conflict("the image is not available", code="IMAGE_NOT_AVAILABLE")
    return _s3().generate_presigned_url("get_object", Params={"Bucket": _settings().documents_bucket,
                                                              "Key": item["s3_key"]}, ExpiresIn=DOWNLOAD_EXPIRES_S)
