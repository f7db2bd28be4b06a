"""Household images (影像资料): register an image and upload it with a presigned POST, confirm it (size, type,
SHA-256 checked), list a household's images, and download one through a short-lived URL."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import NOT_FOUND, api
from chalicelib.platform.geo import GeoPoint
from chalicelib.platform.http.routing import Request
from chalicelib.platform.inputs import IsoDateTime, RequestModel


class ImageCreate(RequestModel):
    kind: Literal["id_card_front", "id_card_back", "house", "land", "livestock", "signature"]
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=10 * 1024 * 1024, description="bytes (signature: at most 1 MiB)")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    gps: GeoPoint | None = Field(default=None, description="where the photo was taken")
    taken_at: IsoDateTime | None = Field(default=None, description="when the photo was taken (RFC 3339 with UTC "
                                                                    "offset); answered in UTC")


class PresignedPost(BaseModel):
    url: str
    fields: dict[str, str]
    expires_in: int


class ImageOut(BaseModel):
    image_id: str
    household_id: str
    kind: str
    content_type: str
    size: int
    sha256: str
    gps: GeoPoint | None = None
    taken_at: str | None = None
    status: str = Field(description="pending | uploaded | rejected")
    rejection: str | None = None
    created_at: str
    upload: PresignedPost | None = None
    download_url: str | None = None


class ImageList(BaseModel):
    items: list[ImageOut]


def _image_out(item: dict[str, Any], **extra: Any) -> ImageOut:
    data = {k: v for k, v in item.items() if k in ImageOut.model_fields}
    data.update(extra)
    return ImageOut.model_validate(data)


@api.route("/households/{household_id}/images", "POST",
           summary="Register an image and get a presigned upload (POST policy: type and size bounded)",
           permission="image:write", body=ImageCreate, response=ImageOut, status=201,
           errors=NOT_FOUND + ("IMAGE_CONTENT_TYPE", "IMAGE_TOO_LARGE"))
def create_image(req: Request, household_id: str) -> ImageOut:
    from chalicelib.customers.service import images
    from chalicelib.platform.clock import iso_utc

    b = req.body
    item, post = images.create(req.caller, household_id, kind=b.kind, content_type=b.content_type, size=b.size,
                               sha256=b.sha256, gps=b.gps.stored() if b.gps else None,
                               taken_at=iso_utc(b.taken_at) if b.taken_at else None)
    return _image_out(item, upload=PresignedPost.model_validate(post))


@api.route("/households/{household_id}/images/{image_id}/confirm", "POST",
           summary="Check the uploaded image (size, type, SHA-256) and make it available",
           permission="image:write", response=ImageOut, errors=("IMAGE_NOT_FOUND", "IMAGE_NOT_UPLOADED"))
def confirm_image(req: Request, household_id: str, image_id: str) -> ImageOut:
    from chalicelib.customers.service import images

    return _image_out(images.confirm(req.caller, household_id, image_id))


@api.route("/households/{household_id}/images", "GET", summary="A household's images (metadata)",
           permission="household:read", response=ImageList, errors=NOT_FOUND)
def list_images(req: Request, household_id: str) -> ImageList:
    from chalicelib.customers.service import images

    return ImageList(items=[_image_out(i) for i in images.list_for(req.caller, household_id)])


@api.route("/households/{household_id}/images/{image_id}", "GET",
           summary="One image's metadata and a short-lived download URL", permission="household:read",
           response=ImageOut, responses={409: "IMAGE_NOT_AVAILABLE: the upload is not complete yet"},
           errors=("IMAGE_NOT_FOUND", "IMAGE_NOT_AVAILABLE"))
def get_image(req: Request, household_id: str, image_id: str) -> ImageOut:
    from chalicelib.customers.service import images

    item, url = images.get(req.caller, household_id, image_id)
    return _image_out(item, **({"download_url": url} if url else {}))
