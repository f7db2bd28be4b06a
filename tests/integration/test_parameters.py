"""The versioned parameter store: effective dates, version history, audit trail, validation."""
from __future__ import annotations

import uuid

import pytest


def test_shipped_defaults_are_effective(client):
    r = client.as_user("admin.nongan").get("/parameters/credit_line_policy")
    assert r.status_code == 200
    assert r.json()["version"] >= 1


def test_new_version_takes_effect_on_its_date_and_is_audited(client):
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    admin = client.as_user("province.admin")
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
    admin = client.as_user("province.admin")
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


def test_only_province_staff_may_add_parameter_versions(client):
    # parameters are global (every institution's products, LPR table and rules): institution admins read them
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    body = {"value": {"threshold": "0.05"}, "effective_from": "2030-01-01", "comment": "institution edit"}
    for user in ("admin.nongan", "admin.yushu"):
        r = client.as_user(user).post(f"/parameters/{name}/versions", json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED", (user, r.text)
        assert "parameter:write" not in client.as_user(user).get("/me").json()["permissions"]
        assert client.as_user(user).get("/parameters/credit_line_policy").status_code == 200
    assert client.as_user("province.admin").get(f"/parameters/{name}/versions").json()["items"] == []
    assert client.as_user("province.admin").post(f"/parameters/{name}/versions", json=body).status_code == 201


def test_the_data_layer_refuses_a_version_from_below_the_province_root():
    from datetime import date

    from chalicelib.platform import parameters
    from chalicelib.platform.access import Principal
    from chalicelib.platform.errors import Forbidden

    institution = Principal(user_id="u1", username="u1", role="province_admin", org_id="JL-220122",
                            org_path="/JL/JL-220122/")
    with pytest.raises(Forbidden) as err:
        parameters.put_version("test_param_scope", {"x": 1}, effective_from=date(2030, 1, 1), actor=institution)
    assert err.value.code == "PERMISSION_DENIED"


def _raw_post(client, name: str, value_json: str, comment_json: str = '"hostile value"'):
    body = f'{{"value": {value_json}, "effective_from": "2030-01-01", "comment": {comment_json}}}'
    return client.as_user("province.admin").post(f"/parameters/{name}/versions", data=body.encode("utf-8"),
                                                  headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("value_json, field", [
    ('{"x": NaN}', "value.x"), ('{"x": Infinity}', "value.x"), ('{"x": -Infinity}', "value.x"),
    ('{"x": 1e400}', "value.x"), ('{"x": -1e400}', "value.x"), ('{"x": 1e-200}', "value.x"),
    ('{"x": ' + str(10 ** 40) + '}', "value.x"),
    ('{"x": 123456789012345678901234567890123456789012.5}', "value.x"),
    ('{"x": "\\ud800"}', "value.x"), ('{"a": {"\\ud800": 1}}', "value.a.\\ud800"),
    ('{"x": "' + "a" * 500_000 + '"}', "value"),
    ('{"x": ' + "[" * 500 + "]" * 500 + "}", "value.x" + "[0]" * 30),
    ('{"x": ' + "[" * 40 + "]" * 40 + "}", "value.x" + "[0]" * 30),
])
def test_values_the_store_cannot_keep_are_422_with_the_field_and_store_nothing(client, value_json, field):
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    r = _raw_post(client, name, value_json)
    assert r.status_code == 422, r.text[:500]
    error = r.json()["error"]
    assert error["code"] == "PARAMETER_VALUE" and error["fields"][0]["field"] == field, error
    assert client.as_user("province.admin").get(f"/parameters/{name}/versions").json()["items"] == []


def test_a_comment_that_is_not_unicode_is_422_not_a_conflict(client):
    r = _raw_post(client, f"test_param_{uuid.uuid4().hex[:8]}", '{"x": 1}', '"bad \\ud800 text"')
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "comment", r.text


def test_numbers_are_stored_exactly_as_sent(client):
    # parsed as Decimal on this route: no float rounding (0.1 + 19 digits would come back as 0.12345678901234568)
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    r = _raw_post(client, name, '{"rate": 0.1234567890123456789, "big": 12345678901234567890123456789012345678,'
                                ' "small": 1E-130, "n": 3}')
    assert r.status_code == 201, r.text
    stored = client.as_user("province.admin").get(f"/parameters/{name}?on=2030-01-01").json()["value"]
    for got in (r.json()["value"], stored):
        assert got == {"rate": "0.1234567890123456789", "big": 12345678901234567890123456789012345678,
                       "small": "1E-130", "n": 3}
    # an integer too long for Python's int parser is malformed JSON, not a 500
    huge = _raw_post(client, name, '{"x": ' + "1" * 5000 + '}')
    assert huge.status_code == 400 and huge.json()["error"]["code"] == "INVALID_JSON"
