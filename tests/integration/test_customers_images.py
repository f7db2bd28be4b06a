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
            "sha256": hashlib.sha256(data).hexdigest(), "gps": {"lat": 44.61, "lon": 124.93},
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


@pytest.mark.parametrize("gps_json,field,code", [
    ('{"lat": -1.96e-276, "lon": 124.93}', "gps.lat", "FIELD_COORDINATE_PRECISION"),  # was a 500 (boto3 Underflow)
    ('{"lat": 1e-131, "lon": 124.93}', "gps.lat", "FIELD_COORDINATE_PRECISION"),  # was 409 "reload and retry"
    ('{"lat": 44.61, "lon": 124.123456789}', "gps.lon", "FIELD_COORDINATE_PRECISION"),
    ('{"lat": 90.0000001, "lon": 124.93}', "gps.lat", "FIELD_LESS_THAN_EQUAL"),
    ('{"lat": 44.61, "lon": -180.5}', "gps.lon", "FIELD_GREATER_THAN_EQUAL"),
    ('{"lat": "44.61", "lon": 124.93}', "gps.lat", "FIELD_COORDINATE_NOT_NUMBER"),
    ('{"lat": NaN, "lon": 124.93}', "gps.lat", "FIELD_COORDINATE_NOT_NUMBER"),
    ('{"lat": 44.61, "lng": 124.93}', "gps.lng", "FIELD_UNKNOWN"),  # the old spelling of post-loan visits
])
def test_a_gps_point_is_checked_at_the_edge_and_nothing_is_stored(client, gps_json, field, code):
    expected = {(field, code)} | ({("gps.lon", "FIELD_REQUIRED")} if field == "gps.lng" else set())
    """Coordinates are JSON numbers in range with at most 7 decimals: DynamoDB never sees one it would refuse."""
    hh = create(client)
    body = json.dumps({"kind": "house", "content_type": "image/jpeg", "size": len(JPEG),
                       "sha256": hashlib.sha256(JPEG).hexdigest(), "gps": "GPS"}).replace('"GPS"', gps_json)
    r = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images", data=body,
                                         headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "REQUEST_VALIDATION"
    assert {(f["field"], f["code"]) for f in err["fields"]} == expected
    assert client.as_user("am.nongan").get(f"/households/{hh['household_id']}/images").json()["items"] == []


def test_a_gps_point_comes_back_as_the_numbers_sent(client):
    hh = create(client)
    r = register(client, hh["household_id"], JPEG, gps={"lat": -0.0000001, "lon": 124.9312005, "accuracy_m": 4.5})
    assert r.status_code == 201, r.text
    assert r.json()["gps"] == {"lat": -0.0000001, "lon": 124.9312005, "accuracy_m": 4.5}
    got = client.as_user("am.nongan").get(f"/households/{hh['household_id']}/images/{r.json()['image_id']}")
    assert got.json()["gps"] == {"lat": -0.0000001, "lon": 124.9312005, "accuracy_m": 4.5}
