"""Households written by ``infra.synthetic`` (tests, seeding, benchmarks) are the customers subsystem's own items.

Issue found by a probe: ``infra.synthetic.stored_household`` built a second, incomplete shape of the household
item (no ``head_name``, ``member_count``, ``data_source``, ``collected_by``, no person index), written straight
into the table, and ``GET /villages/{code}/households`` answered 500 for such a village. The shape now has one
owner (``chalicelib.customers.data.households.build_item``, written by ``write_for_system``): the list, the household and
the person search answer for them like for any household. Village 220122102224 (哈拉海镇; no other test uses it).
"""
from __future__ import annotations

from decimal import Decimal

VILLAGE = "220122102224"


def test_synthetic_households_are_listed_read_and_found_like_any_household(client):
    from chalicelib.platform.identity import mask_resident_id
    from infra.synthetic import store_households, village_households_in

    households = village_households_in(VILLAGE, 4, seed=8080)
    ids = [f"HH-{VILLAGE}-P{n:03d}" for n in range(1, 5)]
    stored = store_households(list(zip(ids, households, strict=True)), status="submitted")
    assert [s["household_id"] for s in stored] == ids

    r = client.as_user("am.nongan").get(f"/villages/{VILLAGE}/households?limit=50")
    assert r.status_code == 200, r.text
    listed = {i["household_id"]: i for i in r.json()["items"]}
    assert sorted(listed) == sorted(ids)
    for hid, h in zip(ids, households, strict=True):
        head = next(m for m in h["members"] if m["relation"] == "head")
        item = listed[hid]
        assert (item["status"], item["village_code"], item["head_name"], item["member_count"]) == (
            "submitted", VILLAGE, head["name"], len(h["members"]))
        assert item["head_resident_id_masked"] == mask_resident_id(head["resident_id"])
        assert item["data_source"] and item["collected_by"] and item["version"] == 1

    one = client.as_user("am.nongan").get(f"/households/{ids[0]}")
    assert one.status_code == 200, one.text
    assert Decimal(one.json()["assets"]["house_value"]) == households[0]["assets"]["house_value"]
    assert all("resident_id" not in m for m in one.json()["members"])  # personal data masked, as for any household

    # the person index was written with it: a member is found by resident ID
    member = households[1]["members"][-1]
    found = client.as_user("am.nongan").post("/households/search", json={"resident_id": member["resident_id"]})
    assert found.status_code == 200 and found.json()["household_id"] == ids[1], found.text

    # writing again replaces (version + 1), it does not make a second shape or a duplicate
    again = store_households([(ids[0], households[0])], status="verified")
    assert again[0]["version"] == 2
    r = client.as_user("am.nongan").get(f"/villages/{VILLAGE}/households?limit=50")
    assert r.status_code == 200 and len(r.json()["items"]) == 4, r.text
    assert {i["household_id"]: i["status"] for i in r.json()["items"]}[ids[0]] == "verified"
