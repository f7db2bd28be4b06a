"""Household files over the real API on the local stack: create, read, update with optimistic locking,
members, the explicit move, status transitions, village listing, search by resident ID, reveal."""
from __future__ import annotations

from datetime import date

import boto3
import pytest

from tests.integration.customers_support import SHOWCASE, create, household, new_id

pytestmark = pytest.mark.stack


def test_create_derives_gender_and_birth_date_masks_numbers_and_totals(client):
    head_id = new_id(date(1975, 8, 20), male=True)
    body = household(head_id=head_id, head_phone="13812345678")
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 201, r.text
    hh = r.json()
    assert hh["status"] == "draft" and hh["version"] == 1 and hh["data_source"] == "door_to_door"
    assert hh["village_name"] == "二道沟村委会" and hh["township_name"] == "哈拉海镇" and hh["county_name"] == "农安县"
    head = hh["members"][0]
    assert head["relation"] == "head" and head["member_id"] == hh["head_member_id"]
    assert head["gender"] == "male" and head["birth_date"].startswith("1975-08")
    assert head["resident_id_masked"] == head_id[:6] + "********" + head_id[-4:]
    assert head["phone_masked"] == "138****5678"
    assert "resident_id" not in head and "phone" not in head
    assert hh["members"][1]["gender"] == "female"
    # money as exact decimal strings; totals derived
    assert hh["assets"]["house_value"] == "120000.00"
    assert hh["totals"] == {"total_assets": "267000.00", "total_liabilities": "50000.00", "net_assets": "217000.00",
                            "gross_income": "55800.00", "net_income": "17800.00",  # 55800 − 38000
                            "total_expenses": "38000.00"}
    got = client.as_user("am2.nongan").get(f"/households/{hh['household_id']}")
    assert got.status_code == 200 and got.json()["version"] == 1
    # the GPS point is a GeoPoint of JSON numbers, in and out
    assert hh["gps"] == got.json()["gps"] == {"lat": 44.6123, "lon": 124.9312}


def test_a_gps_point_with_the_old_spelling_or_as_strings_is_refused(client):
    cases = (({"lat": 44.6123, "lng": 124.9312}, {("gps.lng", "FIELD_UNKNOWN"), ("gps.lon", "FIELD_REQUIRED")}),
             ({"lat": "44.6123", "lon": 124.9312}, {("gps.lat", "FIELD_COORDINATE_NOT_NUMBER")}))
    for gps, fields in cases:
        r = client.as_user("am.nongan").post("/households", json={**household(), "gps": gps})
        assert r.status_code == 422, r.text
        assert {(f["field"], f["code"]) for f in r.json()["error"]["fields"]} == fields


def test_invalid_household_reports_every_field_error(client):
    body = household()
    body["members"][0]["resident_id"] = body["members"][0]["resident_id"][:-1] + (
        "0" if body["members"][0]["resident_id"][-1] != "0" else "1")
    body["members"][1]["gender"] = "male"  # the spouse's ID says female
    body["members"].append({"relation": "head", "name": "第二户主", "resident_id": "610104620927690"})
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "HOUSEHOLD_INVALID"
    got = {(f["field"], f["code"]) for f in err["fields"]}
    assert ("members[0].resident_id", "ID_CHECK_DIGIT") in got
    assert ("members[1].gender", "MEMBER_GENDER_MISMATCH") in got
    assert ("members[2].resident_id", "ID_LEGACY_15") in got
    assert ("members", "HOUSEHOLD_HEAD_COUNT") in got


def test_unknown_village_code_and_float_free_money(client):
    body = household(village="220122999999")
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 422
    assert {f["code"] for f in r.json()["error"]["fields"]} == {"VILLAGE_CODE_UNKNOWN"}
    body = household()
    body["assets"]["house_value"] = "12.345"
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "assets.house_value"


def test_update_with_version_keeps_stored_numbers_and_refuses_stale_versions(client):
    hh = create(client)
    hid = hh["household_id"]
    body = household()
    # resend the members without their numbers: they are kept (members named by member_id)
    body["members"] = [{"member_id": m["member_id"], "relation": m["relation"], "name": m["name"]}
                       for m in hh["members"]]
    body["assets"]["house_value"] = "150000"
    body["version"] = 1
    r = client.as_user("am.nongan").put(f"/households/{hid}", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["version"] == 2 and out["assets"]["house_value"] == "150000.00"
    assert [m["resident_id_masked"] for m in out["members"]] == [m["resident_id_masked"] for m in hh["members"]]
    assert out["members"][0]["phone_masked"] == hh["members"][0]["phone_masked"]
    stale = client.as_user("am2.nongan").put(f"/households/{hid}", json=body)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "VERSION_CONFLICT"


def test_members_add_change_remove_and_one_person_one_household(client):
    a = create(client)
    b = create(client)
    child_id = new_id(date(2005, 1, 3), male=False)
    r = client.as_user("am.nongan").post(f"/households/{a['household_id']}/members", json={
        "version": 1, "member": {"relation": "child", "name": "测试女儿", "resident_id": child_id,
                                 "education": "senior_secondary", "labour_capacity": "partial"}})
    assert r.status_code == 201, r.text
    a2 = r.json()
    assert a2["version"] == 2 and len(a2["members"]) == 3
    child = next(m for m in a2["members"] if m["relation"] == "child")
    # the same person cannot be added to another household
    r = client.as_user("am.nongan").post(f"/households/{b['household_id']}/members", json={
        "version": 1, "member": {"relation": "child", "name": "测试女儿", "resident_id": child_id.lower()}})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "PERSON_IN_OTHER_HOUSEHOLD"
    assert r.json()["error"]["fields"][0]["field"] == "members[2].resident_id"
    # change one member's occupation; its ID stays
    r = client.as_user("am.nongan").put(f"/households/{a['household_id']}/members/{child['member_id']}", json={
        "version": 2, "member": {"relation": "child", "name": "测试女儿", "occupation": "学生"}})
    assert r.status_code == 200, r.text
    changed = next(m for m in r.json()["members"] if m["member_id"] == child["member_id"])
    assert changed["occupation"] == "学生" and changed["resident_id_masked"] == child["resident_id_masked"]
    # removing the member frees the person for the other household
    r = client.as_user("am.nongan").request("DELETE", f"/households/{a['household_id']}/members/"
                                                      f"{child['member_id']}?version=3")
    assert r.status_code == 200, r.text
    assert len(r.json()["members"]) == 2
    r = client.as_user("am.nongan").post(f"/households/{b['household_id']}/members", json={
        "version": 1, "member": {"relation": "child", "name": "测试女儿", "resident_id": child_id}})
    assert r.status_code == 201, r.text


def test_moving_a_person_is_explicit_and_atomic(client, stack):
    a = create(client)
    b = create(client)
    spouse = a["members"][1]
    head = a["members"][0]
    r = client.as_user("am.nongan").post(f"/households/{a['household_id']}/members/{head['member_id']}/move",
                                         json={"target_household_id": b["household_id"], "relation": "sibling",
                                               "version": 1, "target_version": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "MEMBER_IS_HEAD"
    r = client.as_user("am.nongan").post(f"/households/{a['household_id']}/members/{spouse['member_id']}/move",
                                         json={"target_household_id": b["household_id"], "relation": "sibling",
                                               "version": 1, "target_version": 1})
    assert r.status_code == 200, r.text
    src, dst = r.json()["source"], r.json()["target"]
    assert [m["member_id"] for m in src["members"]] == [head["member_id"]] and src["version"] == 2
    moved = [m for m in dst["members"] if m["resident_id_masked"] == spouse["resident_id_masked"]]
    assert len(moved) == 1 and moved[0]["relation"] == "sibling" and dst["version"] == 2
    # the index follows the person
    from chalicelib.customers.data.models import ResidentIndex

    rid = next(i for i in _raw_members(stack, b["household_id"]) if i["member_id"]["S"] == moved[0]["member_id"])
    idx = ResidentIndex.find(*ResidentIndex.key(rid["resident_id_hash"]["S"]))
    assert idx is not None and idx.household_id == b["household_id"]
    # a stale move is refused and changes nothing
    r = client.as_user("am.nongan").post(f"/households/{b['household_id']}/members/{moved[0]['member_id']}/move",
                                         json={"target_household_id": a["household_id"], "relation": "spouse",
                                               "version": 1, "target_version": 2})
    assert r.status_code == 409
    assert client.as_user("am.nongan").get(f"/households/{b['household_id']}").json()["version"] == 2


def _raw_members(stack, household_id: str) -> list[dict]:
    """The members as stored (DynamoDB's wire form), read past the repository."""
    from chalicelib.customers.data.models import Household

    item = boto3.client("dynamodb").get_item(TableName=stack.env["CORE_TABLE"],
                                             Key={k: {"S": v} for k, v in zip(("PK", "SK"),
                                                                              Household.key(household_id),
                                                                              strict=True)})["Item"]
    return [m["M"] for m in item["members"]["L"]]


def test_status_draft_submitted_verified_with_four_eyes(client):
    hh = create(client, user="am.nongan")
    hid = hh["household_id"]
    r = client.as_user("am.nongan").post(f"/households/{hid}/verify", json={"version": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "HOUSEHOLD_STATUS"
    r = client.as_user("am.nongan").post(f"/households/{hid}/submit", json={"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = client.as_user("am.nongan").post(f"/households/{hid}/verify", json={"version": 2})
    assert r.status_code == 403 and r.json()["error"]["code"] == "VERIFIER_IS_COLLECTOR"
    r = client.as_user("am2.nongan").post(f"/households/{hid}/verify", json={"version": 2})
    assert r.status_code == 200 and r.json()["status"] == "verified" and r.json()["version"] == 3
    # a content change sends it back to draft
    body = household()
    body["members"] = [{"member_id": m["member_id"], "relation": m["relation"], "name": m["name"]}
                       for m in hh["members"]]
    body["committee_assessment"] = "excellent"
    body["version"] = 3
    r = client.as_user("am.nongan").put(f"/households/{hid}", json=body)
    assert r.status_code == 200 and r.json()["status"] == "draft"


def test_village_listing_pages_and_filters(client):
    mine = [create(client, user="am2.nongan") for _ in range(3)]
    ids = {h["household_id"] for h in mine}
    collector = mine[0]["collected_by"]
    seen: list[dict] = []
    cursor = None
    for _ in range(200):
        q = f"/villages/{SHOWCASE}/households?limit=2&collected_by={collector}" + (f"&cursor={cursor}" if cursor else "")
        r = client.as_user("am.nongan").get(q)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert ids <= {i["household_id"] for i in seen}
    assert all(i["collected_by"] == collector for i in seen)
    assert len({i["household_id"] for i in seen}) == len(seen)
    head = seen[0]
    assert head["head_resident_id_masked"].count("*") == 8 and head["member_count"] >= 1
    r = client.as_user("am.nongan").post(f"/households/{mine[0]['household_id']}/submit", json={"version": 1})
    assert r.status_code == 200
    r = client.as_user("am.nongan").get(f"/villages/{SHOWCASE}/households?status=submitted&limit=200")
    assert mine[0]["household_id"] in {i["household_id"] for i in r.json()["items"]}
    assert all(i["status"] == "submitted" for i in r.json()["items"])
    bad = client.as_user("am.nongan").get(f"/villages/{SHOWCASE}/households?cursor=bm90LWEtY3Vyc29y")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_CURSOR"


def test_search_by_resident_id_and_audited_reveal(client, stack):
    head_id = new_id(date(1968, 2, 2))
    hh = create(client, head_id=head_id, head_phone="13900001111")
    r = client.as_user("reviewer.nongan").post("/households/search", json={"resident_id": head_id.lower()})
    assert r.status_code == 200 and r.json()["household_id"] == hh["household_id"]
    assert "resident_id" not in r.json()["members"][0]
    # a role without pii:reveal may not reveal
    r = client.as_user("reviewer.nongan").get(f"/households/{hh['household_id']}?reveal=true")
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
    r = client.as_user("am.nongan").get(f"/households/{hh['household_id']}?reveal=true")
    assert r.status_code == 200
    head = r.json()["members"][0]
    assert head["resident_id"] == head_id and head["phone"] == "13900001111"
    trail = client.as_user("admin.nongan").get(f"/audit/household/{hh['household_id']}?limit=50")
    actions = [a["action"] for a in trail.json()["items"]]
    assert "create" in actions and "pii_reveal" in actions
    reveal = next(a for a in trail.json()["items"] if a["action"] == "pii_reveal")
    assert reveal["after"]["members"] == sorted(m["member_id"] for m in hh["members"])
    # search for somebody nobody filed
    r = client.as_user("am.nongan").post("/households/search", json={"resident_id": new_id()})
    assert r.status_code == 404 and r.json()["error"]["code"] == "HOUSEHOLD_NOT_FOUND"
    r = client.as_user("am.nongan").post("/households/search", json={"resident_id": "36042619910102009X"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "ID_CHECK_DIGIT"


def test_farmer_demo_sees_only_their_own_household(client):
    from infra.seed import FARMER_DEMO_HOUSEHOLD

    r = client.as_user("farmer.demo").get(f"/households/{FARMER_DEMO_HOUSEHOLD}")
    assert r.status_code == 200, r.text
    assert r.json()["village_code"] == SHOWCASE
    other = create(client)
    assert client.as_user("farmer.demo").get(f"/households/{other['household_id']}").status_code == 404
    assert client.as_user("farmer.demo").post("/households", json=household()).status_code == 403
    r = client.as_user("farmer.demo").get(f"/households/{FARMER_DEMO_HOUSEHOLD}?reveal=true")
    assert r.status_code == 403
