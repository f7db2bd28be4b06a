"""Agricultural entities with USCC on the local stack: N-prefixed village collectives, unique USCC,
kind/USCC consistency, the legal representative linked to a filed person, optimistic locking."""
from __future__ import annotations

import pytest

from chalicelib.platform.uscc import organisation_code_check_char, uscc_check_char
from tests.integration.customers_support import SHOWCASE, create

pytestmark = pytest.mark.stack


def make_uscc(prefix: str, region: str, org8: str) -> str:
    """A USCC built per GB 32100-2015 (organisation-code and USCC check characters computed)."""
    first17 = prefix + region + org8 + organisation_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def entity(rep: dict, uscc: str, kind: str) -> dict:
    return {"name": "二道沟村股份经济合作社", "uscc": uscc, "kind": kind, "village_code": SHOWCASE,
            "legal_representative": {"household_id": rep["household_id"], "member_id": rep["head_member_id"]},
            "registered_on": "2019-06-18", "address": "农安县哈拉海镇二道沟村",
            "operations": {"main_business": "集体土地发包与农机服务", "crops": ["玉米"], "land_mu": "1320",
                           "members_count": 412},
            "assets": {"fixed_assets": "850000", "machinery": "320000", "deposits": "150000"},
            "liabilities": {"bank_loans": "200000"}}


def test_village_collective_with_n_prefixed_uscc_unique_and_versioned(client):
    rep = create(client)
    import uuid

    org8 = uuid.uuid4().hex[:8].upper()
    uscc = make_uscc("N2", "220122", org8)
    api = client.as_user("am.nongan")
    r = api.post("/agri-entities", json=entity(rep, uscc, "village_collective"))
    assert r.status_code == 201, r.text
    ent = r.json()
    assert ent["uscc"] == uscc and ent["kind"] == "village_collective" and ent["version"] == 1
    assert ent["legal_representative"]["name"] == "测试户主"
    assert "*" in ent["legal_representative"]["resident_id_masked"]
    again = api.post("/agri-entities", json=entity(rep, uscc.lower(), "village_collective"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "USCC_EXISTS"
    listed = api.get(f"/villages/{SHOWCASE}/agri-entities?limit=200").json()["items"]
    assert ent["entity_id"] in {e["entity_id"] for e in listed}
    upd = dict(entity(rep, uscc, "village_collective"), version=1)
    upd["operations"]["members_count"] = 420
    r = api.put(f"/agri-entities/{ent['entity_id']}", json=upd)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["operations"]["members_count"] == 420
    assert api.put(f"/agri-entities/{ent['entity_id']}", json=upd).status_code == 409
    # the legal representative's household (a farmer) could see it; the reviewer of the institution can
    assert client.as_user("reviewer.nongan").get(f"/agri-entities/{ent['entity_id']}").status_code == 200


def test_kind_must_match_the_uscc_and_the_legal_rep_must_be_filed(client):
    rep = create(client)
    coop = make_uscc("93", "220122", "MA0000" + "1A")
    r = client.as_user("am.nongan").post("/agri-entities", json=entity(rep, coop, "company"))
    assert r.status_code == 422
    assert [f["code"] for f in r.json()["error"]["fields"]] == ["USCC_KIND_MISMATCH"]
    bad_rep = entity(rep, coop, "cooperative")
    bad_rep["legal_representative"]["member_id"] = "m-nobody"
    r = client.as_user("am.nongan").post("/agri-entities", json=bad_rep)
    assert r.status_code == 422 and r.json()["error"]["code"] == "LEGAL_REP_NOT_FOUND"
