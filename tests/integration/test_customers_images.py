"""Household images on the local stack: presigned POST upload with a bounded policy, server-side check
of size, type and SHA-256, short-lived download, scope of the household."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS
from tests.integration.customers_support import create

pytestmark = pytest.mark.stack

JPEG = b"\xff\xd8\xff\xe0" + b"synthetic house photo " * 200 + b"\xff\xd9"


def register(client, hid: str, data: bytes, **over) -> requests.Response:
    body = {"kind": "house", "content_type": "image/jpeg", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "gps": {"lat": "44.61", "lon": "124.93"},
            "taken_at": "2026-11-20T03:12:00Z"}
    body.update(over)
    return client.as_user("am.nongan").post(f"/households/{hid}/images", json=body)


def upload(ticket: dict, data: bytes, **override: str) -> requests.Response:
    fields = {**ticket["fields"], **override}
    return requests.post(ticket["url"], data=fields, files={"file": ("photo.jpg", data, "image/jpeg")},
                         timeout=HANG_GUARD_SECONDS)


def test_upload_confirm_and_download(client):
    hh = create(client)
    r = register(client, hh["household_id"], JPEG)
    assert r.status_code == 201, r.text
    img = r.json()
    assert img["status"] == "pending" and img["size"] == len(JPEG)
    policy = json.loads(base64.b64decode(img["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert img["upload"]["fields"]["key"].startswith(f"households/{hh['household_id']}/images/")
    assert upload(img["upload"], JPEG).status_code in (200, 201, 204)
    r = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images/{img['image_id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "uploaded", r.text
    got = client.as_user("reviewer.nongan").get(f"/households/{hh['household_id']}/images/{img['image_id']}")
    assert got.status_code == 200
    assert requests.get(got.json()["download_url"], timeout=HANG_GUARD_SECONDS).content == JPEG
    listed = client.as_user("am.nongan").get(f"/households/{hh['household_id']}/images").json()["items"]
    assert [i["image_id"] for i in listed] == [img["image_id"]]


def test_a_file_that_differs_from_its_declaration_is_rejected_and_deleted(client):
    hh = create(client)
    img = register(client, hh["household_id"], JPEG).json()
    tampered = JPEG[:-10] + b"0123456789"
    assert upload(img["upload"], tampered).status_code in (200, 201, 204)
    r = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images/{img['image_id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["rejection"] == "IMAGE_CHECKSUM_MISMATCH"
    got = client.as_user("am.nongan").get(f"/households/{hh['household_id']}/images/{img['image_id']}").json()
    assert got["status"] == "rejected" and "download_url" not in got
    other = register(client, hh["household_id"], JPEG).json()
    # S3 would refuse this form (the policy fixes Content-Type); the emulator does not, the server check does
    assert upload(other["upload"], JPEG, **{"Content-Type": "image/png"}).status_code in (200, 201, 204)
    r = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images/{other['image_id']}/confirm")
    assert r.json()["rejection"] == "IMAGE_CONTENT_TYPE_MISMATCH"


def test_limits_and_confirm_before_upload(client):
    hh = create(client)
    r = register(client, hh["household_id"], JPEG, kind="signature", size=2 * 1024 * 1024)
    assert r.status_code == 422 and r.json()["error"]["code"] == "IMAGE_TOO_LARGE"
    r = register(client, hh["household_id"], JPEG, size=11 * 1024 * 1024)
    assert r.status_code == 422
    r = register(client, hh["household_id"], JPEG, content_type="application/pdf")
    assert r.status_code == 422
    img = register(client, hh["household_id"], JPEG).json()
    r = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images/{img['image_id']}/confirm")
    assert r.status_code == 409 and r.json()["error"]["code"] == "IMAGE_NOT_UPLOADED"
