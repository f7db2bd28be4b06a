"""The versioned parameter store: effective dates, version history, audit trail, validation."""
from __future__ import annotations

import uuid


def test_shipped_defaults_are_effective(client):
    r = client.as_user("admin.nongan").get("/parameters/credit_line_policy")
    assert r.status_code == 200
    assert r.json()["version"] >= 1


def test_new_version_takes_effect_on_its_date_and_is_audited(client):
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    admin = client.as_user("admin.nongan")
    v1 = admin.post(f"/parameters/{name}/versions",
                    json={"value": {"threshold": "0.05"}, "effective_from": "2030-01-01", "comment": "first"})
    assert v1.status_code == 201 and v1.json()["version"] == 1
    v2 = admin.post(f"/parameters/{name}/versions",
                    json={"value": {"threshold": "0.07"}, "effective_from": "2031-01-01", "comment": "raise"})
    assert v2.json()["version"] == 2
    assert admin.get(f"/parameters/{name}?on=2029-12-31").status_code == 404
    assert admin.get(f"/parameters/{name}?on=2030-06-01").json()["value"] == {"threshold": "0.05"}
    assert admin.get(f"/parameters/{name}?on=2031-01-01").json()["value"] == {"threshold": "0.07"}
    versions = admin.get(f"/parameters/{name}/versions").json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    trail = client.as_user("auditor").get(f"/audit/parameter/{name}").json()["items"]
    assert [t["after"]["version"] for t in trail] == [1, 2]
    assert all(t["actor_id"] and t["at"] for t in trail)


def test_invalid_parameter_requests_change_nothing(client):
    admin = client.as_user("admin.nongan")
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    past = admin.post(f"/parameters/{name}/versions", json={"value": {}, "effective_from": "2001-01-01", "comment": "x1"})
    assert past.status_code == 422 and past.json()["error"]["code"] == "PARAMETER_EFFECTIVE_DATE"
    not_json = admin.post(f"/parameters/{name}/versions", data=b"{oops", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "INVALID_JSON"
    missing = admin.post(f"/parameters/{name}/versions", json={"effective_from": "2099-01-01"})
    assert missing.status_code == 422
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"value", "comment"}
    bad_name = admin.post("/parameters/Bad-Name/versions", json={"value": {}, "effective_from": "2099-01-01",
                                                                 "comment": "xx"})
    assert bad_name.status_code == 422 and bad_name.json()["error"]["code"] == "PARAMETER_NAME"
    assert admin.get(f"/parameters/{name}/versions").json()["items"] == []
