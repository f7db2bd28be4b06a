"""Institution B (榆树, am.yushu / admin.yushu) cannot see or change institution A's (农安) households,
members, images, entities, imports or index through any customer route; nothing changes."""
from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.integration.customers_support import SHOWCASE, create, household

pytestmark = pytest.mark.stack


def _yushu_village() -> str:
    from chalicelib.reference.divisions import villages_in_county

    township = sorted({v.township_code for v in villages_in_county("220182") if v.kind == "village"})[0]
    return next(v.code for v in villages_in_county("220182") if v.township_code == township and v.kind == "village")


@pytest.fixture(scope="module")
def nongan(client):
    """A 农安 household with an image, an entity and an import (all of institution A)."""
    hh = create(client)
    img = client.as_user("am.nongan").post(f"/households/{hh['household_id']}/images", json={
        "kind": "house", "content_type": "image/jpeg", "size": 10, "sha256": hashlib.sha256(b"x").hexdigest()}).json()
    job = client.as_user("am.nongan").post("/imports", json={"village_code": SHOWCASE, "filename": "r.csv",
                                                             "content_type": "text/csv", "size": 100}).json()
    from tests.integration.test_customers_entities import entity, make_uscc

    ent = client.as_user("am.nongan").post("/agri-entities", json=entity(
        hh, make_uscc("93", "220122", uuid.uuid4().hex[:8].upper()), "cooperative")).json()
    return {"hh": hh, "img": img, "job": job, "ent": ent}


@pytest.fixture(scope="module")
def nongan_person(client):
    body = household()
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 201
    return r.json(), body["members"][0]["resident_id"]


@pytest.mark.parametrize("user", ["am.yushu", "admin.yushu"])
def test_institution_b_cannot_read_or_change_institution_a(client, nongan, nongan_person, user):
    api = client.as_user(user)
    hh, img, job, ent = nongan["hh"], nongan["img"], nongan["job"], nongan["ent"]
    hid, mid = hh["household_id"], hh["members"][1]["member_id"]
    other, other_rid = nongan_person
    write = user == "am.yushu"  # admin.yushu has no household:write at all (403 before any lookup)

    def refused(r, *, writes: bool = False):
        allowed = (404,) if (write or not writes) else (403, 404)
        assert r.status_code in allowed, (r.request.method, r.request.url, r.status_code, r.text)

    refused(api.get(f"/households/{hid}"))
    refused(api.get(f"/households/{hid}?reveal=true"))
    refused(api.post("/households/search", json={"resident_id": other_rid}))
    refused(api.get(f"/villages/{SHOWCASE}/households"))
    body = household()
    body["version"] = 1
    refused(api.put(f"/households/{hid}", json=body), writes=True)
    for action in ("submit", "verify", "return"):
        refused(api.post(f"/households/{hid}/{action}", json={"version": 1}), writes=True)
    refused(api.post(f"/households/{hid}/members", json={"version": 1, "member": {
        "relation": "child", "name": "x", "resident_id": "11010519491231002X"}}), writes=True)
    refused(api.put(f"/households/{hid}/members/{mid}", json={"version": 1, "member": {
        "relation": "spouse", "name": "x"}}), writes=True)
    refused(api.request("DELETE", f"/households/{hid}/members/{mid}?version=1"), writes=True)
    refused(api.post(f"/households/{hid}/members/{mid}/move", json={
        "target_household_id": other["household_id"], "relation": "other", "version": 1, "target_version": 1}),
        writes=True)
    refused(api.get(f"/households/{hid}/images"))
    refused(api.get(f"/households/{hid}/images/{img['image_id']}"))
    refused(api.post(f"/households/{hid}/images/{img['image_id']}/confirm"), writes=True)
    refused(api.post(f"/households/{hid}/images", json={
        "kind": "house", "content_type": "image/jpeg", "size": 10, "sha256": "0" * 64}), writes=True)
    refused(api.get(f"/agri-entities/{ent['entity_id']}"))
    refused(api.get(f"/villages/{SHOWCASE}/agri-entities"))
    refused(api.get(f"/imports/{job['import_id']}"), writes=True)
    refused(api.post(f"/imports/{job['import_id']}/start"), writes=True)
    refused(api.post("/imports", json={"village_code": SHOWCASE, "filename": "r.csv", "content_type": "text/csv",
                                       "size": 100}), writes=True)
    refused(api.post("/households", json=household()), writes=True)
    if write:
        # sync: editing A's household, creating in A's village, or reusing A's household id: all rejected
        records = [
            {"op_id": str(uuid.uuid4()), "household_id": hid, "base_version": 1, "household": household()},
            {"op_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "base_version": None,
             "household": household()},
            {"op_id": str(uuid.uuid4()), "household_id": hid, "base_version": None,
             "household": household(_yushu_village())},
        ]
        r = api.post("/sync/households", json={"device_id": "PAD-Y", "records": records})
        assert r.status_code == 200
        results = r.json()["results"]
        assert [x["outcome"] for x in results] == ["rejected"] * 3
        assert [x["code"] for x in results] == ["HOUSEHOLD_NOT_FOUND", "VILLAGE_NOT_FOUND", "HOUSEHOLD_ID_TAKEN"]
        assert all(x.get("server") is None for x in results)
        # moving B's own member into A's household: the target is not found
        mine = create(client, user="am.yushu", village=_yushu_village())
        r = api.post(f"/households/{mine['household_id']}/members/{mine['members'][1]['member_id']}/move", json={
            "target_household_id": hid, "relation": "other", "version": 1, "target_version": 1})
        assert r.status_code == 404
        # an entity whose legal representative is A's person
        from tests.integration.test_customers_entities import entity, make_uscc

        ent_body = entity(hh, make_uscc("93", "220182", uuid.uuid4().hex[:8].upper()), "cooperative")
        ent_body["village_code"] = _yushu_village()
        r = api.post("/agri-entities", json=ent_body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "LEGAL_REP_NOT_FOUND"

    # nothing of A changed
    a = client.as_user("am.nongan").get(f"/households/{hid}").json()
    assert a["version"] == hh["version"] and a["members"] == hh["members"]
    assert client.as_user("am.nongan").get(f"/households/{hid}/images/{img['image_id']}").json()["status"] == "pending"


def test_institution_a_admin_sees_it_and_the_province_too(client, nongan):
    hid = nongan["hh"]["household_id"]
    assert client.as_user("admin.nongan").get(f"/households/{hid}").status_code == 200
    assert client.as_user("province.admin").get(f"/households/{hid}").status_code == 200
    assert client.as_user("admin.yushu").get(f"/households/{hid}").status_code == 404
