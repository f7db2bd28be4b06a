"""PAD offline sync on the local stack: client-generated ids, idempotent batches, conflicts with both versions."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.customers_support import household

pytestmark = pytest.mark.stack


def test_offline_create_is_idempotent_when_the_same_batch_is_sent_twice(client):
    hid, op = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {"device_id": "PAD-0007", "records": [{"op_id": op, "household_id": hid, "base_version": None,
                                                   "household": household()}]}
    api = client.as_user("am.nongan")
    first = api.post("/sync/households", json=batch)
    assert first.status_code == 200, first.text
    r = first.json()["results"][0]
    assert r["outcome"] == "created" and r["version"] == 1 and r["replayed"] is False and r["household_id"] == hid
    again = api.post("/sync/households", json=batch).json()["results"][0]
    assert again["outcome"] == "created" and again["version"] == 1 and again["replayed"] is True
    got = api.get(f"/households/{hid}").json()
    assert got["version"] == 1 and got["data_source"] == "door_to_door"


def test_a_stale_edit_is_reported_as_a_conflict_with_both_versions_and_not_applied(client):
    api = client.as_user("am.nongan")
    hid = str(uuid.uuid4())
    body = household()
    created = api.post("/sync/households", json={"device_id": "PAD-1", "records": [
        {"op_id": str(uuid.uuid4()), "household_id": hid, "base_version": None, "household": body}]}).json()
    assert created["results"][0]["outcome"] == "created"
    server = api.get(f"/households/{hid}").json()
    members = [{"member_id": m["member_id"], "relation": m["relation"], "name": m["name"]} for m in server["members"]]
    # someone changes it on the server (version 2) ...
    online = dict(body, members=members, committee_assessment="excellent", version=1)
    assert api.put(f"/households/{hid}", json=online).status_code == 200
    # ... while the PAD edits version 1 offline
    offline = dict(body, members=members, assets=dict(body["assets"], deposits="99999"))
    op = str(uuid.uuid4())
    r = api.post("/sync/households", json={"device_id": "PAD-1", "records": [
        {"op_id": op, "household_id": hid, "base_version": 1, "household": offline}]}).json()["results"][0]
    assert r["outcome"] == "conflict" and r["code"] == "VERSION_CONFLICT"
    assert r["server"]["version"] == 2 and r["server"]["committee_assessment"] == "excellent"
    # the record as read: money to the fen, like the server copy
    assert r["client"]["base_version"] == 1 and r["client"]["household"]["assets"]["deposits"] == "99999.00"
    assert "resident_id" not in r["client"]["household"]["members"][0]
    after = api.get(f"/households/{hid}").json()
    assert after["version"] == 2 and after["assets"]["deposits"] == "40000.00"
    # rebased on version 2 it applies; sending it again replays
    rebased = {"device_id": "PAD-1", "records": [{"op_id": op, "household_id": hid, "base_version": 2,
                                                  "household": offline}]}
    ok = api.post("/sync/households", json=rebased).json()["results"][0]
    assert ok["outcome"] == "updated" and ok["version"] == 3
    assert api.post("/sync/households", json=rebased).json()["results"][0]["replayed"] is True
    assert api.get(f"/households/{hid}").json()["version"] == 3


def test_batch_reports_each_record_on_its_own(client):
    api = client.as_user("am.nongan")
    bad = household()
    bad["members"][0]["resident_id"] = "36042619910102009X"
    records = [
        {"op_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "base_version": None, "household": household()},
        {"op_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "base_version": None, "household": bad},
        {"op_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "base_version": 4, "household": household()},
    ]
    results = api.post("/sync/households", json={"device_id": "PAD-2", "records": records}).json()["results"]
    assert [r["outcome"] for r in results] == ["created", "rejected", "rejected"]
    assert results[1]["errors"][0] == {"field": "members[0].resident_id", "code": "ID_CHECK_DIGIT",
                                       "message": results[1]["errors"][0]["message"]}
    assert results[2]["code"] == "HOUSEHOLD_NOT_FOUND"
