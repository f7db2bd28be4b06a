"""Household images (影像资料): ID card front/back, house, land, livestock, signature photos.

Upload: a presigned POST whose policy fixes the key and the Content-Type and bounds the size
(``content-length-range``), valid :data:`UPLOAD_EXPIRES_S` seconds. Confirm: the server checks the stored object
(size, content type, SHA-256) and marks it uploaded, or deletes it and marks it rejected (S3 emulators do not all
enforce POST policies; the check does not rely on them). Download: a presigned GET valid
:data:`DOWNLOAD_EXPIRES_S` seconds, only for uploaded images. The bucket encrypts objects with the PII KMS key
(template.yaml).
"""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from chalicelib.customers.data import households
from chalicelib.customers.data import images as repo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, ValidationFailed

KINDS = ("id_card_front", "id_card_back", "house", "land", "livestock", "signature")
CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_BYTES = 10 * 1024 * 1024
MAX_SIGNATURE_BYTES = 1024 * 1024
UPLOAD_EXPIRES_S = 900
DOWNLOAD_EXPIRES_S = 300


def _s3() -> Any:
    from chalicelib.platform import aws

    return aws.s3()


def _bucket() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().documents_bucket


def limit_for(kind: str) -> int:
    """Largest size of an image of ``kind`` (bytes): 1 MiB for a signature, 10 MiB otherwise."""
    return MAX_SIGNATURE_BYTES if kind == "signature" else MAX_BYTES


def create(principal: Principal, household_id: str, *, kind: str, content_type: str, size: int, sha256: str,
           gps: dict[str, Any] | None, taken_at: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register an image of a household in scope and return ``(image, presigned POST {url, fields,
    expires_in})``. Raises ValidationFailed ``IMAGE_CONTENT_TYPE`` / ``IMAGE_TOO_LARGE``, NotFound
    ``HOUSEHOLD_NOT_FOUND``."""
    from chalicelib.platform.clock import utc_now_iso

    if content_type not in CONTENT_TYPES:
        raise ValidationFailed(f"content type must be one of {', '.join(CONTENT_TYPES)}", code="IMAGE_CONTENT_TYPE",
                               field="content_type")
    if not 0 < size <= limit_for(kind):
        raise ValidationFailed(f"a {kind} image must be 1 byte to {limit_for(kind) // 1024} KiB",
                               code="IMAGE_TOO_LARGE", field="size")
    hh = households.get(principal, household_id)
    image_id = str(uuid.uuid4())
    key = f"households/{household_id}/images/{image_id}.{CONTENT_TYPES[content_type]}"
    now = utc_now_iso()
    image = {"image_id": image_id, "household_id": household_id, "org_path": hh["org_path"], "kind": kind,
             "content_type": content_type, "size": size, "sha256": sha256.lower(), "gps": gps, "taken_at": taken_at,
             "s3_key": key, "status": "pending", "uploaded_by": principal.user_id, "created_at": now,
             "updated_at": now}
    repo.add(image, actor_id=principal.user_id)
    post = _s3().generate_presigned_post(
        Bucket=_bucket(), Key=key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, limit_for(kind)]],
        ExpiresIn=UPLOAD_EXPIRES_S)
    return ({k: v for k, v in image.items() if v is not None},
            {"url": post["url"], "fields": post["fields"], "expires_in": UPLOAD_EXPIRES_S})


def get(principal: Principal, household_id: str, image_id: str) -> tuple[dict[str, Any], str | None]:
    """The image's metadata and, once uploaded, a short-lived download URL; 404 ``IMAGE_NOT_FOUND``."""
    image = repo.get(principal, household_id, image_id)
    return image, download_url(image) if image["status"] == "uploaded" else None


def list_for(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """A household's images (metadata); 404 ``HOUSEHOLD_NOT_FOUND``."""
    households.get(principal, household_id)
    return repo.list_for(household_id)


def _rejection(image: dict[str, Any], obj: dict[str, Any]) -> str | None:
    size = int(obj["ContentLength"])
    if size > limit_for(image["kind"]) or size != int(image["size"]):
        return "IMAGE_SIZE_MISMATCH"
    if (obj.get("ContentType") or "").split(";")[0].strip() != image["content_type"]:
        return "IMAGE_CONTENT_TYPE_MISMATCH"
    digest = hashlib.sha256()
    for chunk in iter(lambda: obj["Body"].read(1024 * 1024), b""):
        digest.update(chunk)
    return "IMAGE_CHECKSUM_MISMATCH" if digest.hexdigest() != image["sha256"] else None


def confirm(principal: Principal, household_id: str, image_id: str) -> dict[str, Any]:
    """Check the uploaded object against the declared metadata and limits: ``uploaded`` or ``rejected`` (object
    deleted, ``rejection`` code). Raises Conflict ``IMAGE_NOT_UPLOADED`` while nothing is stored."""
    from botocore.exceptions import ClientError

    principal.require("image:write")
    image = repo.get(principal, household_id, image_id)
    if image["status"] != "pending":
        return image
    try:
        obj = _s3().get_object(Bucket=_bucket(), Key=image["s3_key"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            raise Conflict("the image has not been uploaded yet", code="IMAGE_NOT_UPLOADED") from None
        raise
    rejection = _rejection(image, obj)
    if rejection:
        _s3().delete_object(Bucket=_bucket(), Key=image["s3_key"])
    status = "rejected" if rejection else "uploaded"
    repo.settle(image, status, rejection, actor_id=principal.user_id)
    return {**image, "status": status, **({"rejection": rejection} if rejection else {})}


def download_url(image: dict[str, Any]) -> str:
    """A presigned GET of an uploaded image (Conflict ``IMAGE_NOT_AVAILABLE`` otherwise)."""
    if image["status"] != "uploaded":
        raise Conflict("the image is not available", code="IMAGE_NOT_AVAILABLE")
    return str(_s3().generate_presigned_url("get_object", Params={"Bucket": _bucket(), "Key": image["s3_key"]},
                                            ExpiresIn=DOWNLOAD_EXPIRES_S))
