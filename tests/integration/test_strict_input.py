"""What a client sends is read strictly and refused whole (issue 10): typed text without control or invisible
characters everywhere, money as a plain decimal, dates, booleans and integers of their own JSON type. Each
refusal is 422 REQUEST_VALIDATION with the field and a stable code, and nothing is stored (checked by sending
the corrected request afterwards: it succeeds where a stored first attempt would have made it a conflict)."""
from __future__ import annotations

import copy
import json
import uuid

import pytest

from tests.integration.customers_support import SHOWCASE, create, household
from tests.integration.loans_support import drawdown_body, make_borrower, pinned_date, request
from tests.integration.test_customers_entities import entity, make_uscc

pytestmark = pytest.mark.stack

RLO = "\u202e"  # right-to-left override: "张三\u202e" shows other than it is stored


def _refused(r, field: str, code: str) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "REQUEST_VALIDATION", error
    assert [(f["field"], f["code"]) for f in error["fields"]] == [(field, code)], error


@pytest.mark.parametrize("name", [f"二道沟村{RLO}合作社", "二道沟村\u0000合作社", "二道沟村\u200b合作社",
                                  "二道沟村\ufeff合作社"])
def test_hostile_text_in_an_agricultural_entity_name_is_refused_and_nothing_is_stored(client, name):
    rep = create(client)
    body = entity(rep, make_uscc("N2", "220122", uuid.uuid4().hex[:8].upper()), "village_collective")
    api = client.as_user("am.nongan")
    _refused(api.post("/agri-entities", json={**body, "name": name}), "name", "TEXT_INVISIBLE_CHARACTER")
    r = api.post("/agri-entities", json=body)  # the same USCC: 409 USCC_EXISTS had the first been stored
    assert r.status_code == 201, r.text


def test_every_text_field_of_an_agricultural_entity_applies_the_rule(client):
    rep = create(client)
    body = entity(rep, make_uscc("N2", "220122", uuid.uuid4().hex[:8].upper()), "village_collective")
    body.update(address=f"农安县{RLO}", operations={**body["operations"], "main_business": "农机\x07服务",
                                                      "crops": ["玉米", "大\u200d豆"]})
    r = client.as_user("am.nongan").post("/agri-entities", json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "REQUEST_VALIDATION"
    assert sorted((f["field"], f["code"]) for f in r.json()["error"]["fields"]) == [
        ("address", "TEXT_INVISIBLE_CHARACTER"), ("operations.crops[1]", "TEXT_INVISIBLE_CHARACTER"),
        ("operations.main_business", "TEXT_INVISIBLE_CHARACTER")]


def test_a_parameter_comment_with_a_right_to_left_override_is_refused_and_nothing_is_stored(client):
    admin = client.as_user("province.admin")
    name = f"test_param_{uuid.uuid4().hex[:8]}"
    body = {"value": {"x": 1}, "effective_from": "2099-01-01", "comment": f"上调{RLO}阈值"}
    _refused(admin.post(f"/parameters/{name}/versions", json=body), "comment", "TEXT_INVISIBLE_CHARACTER")
    assert admin.get(f"/parameters/{name}/versions").json()["items"] == []
    # a comment of several lines keeps its line breaks (CR LF becomes LF), nothing else invisible
    r = admin.post(f"/parameters/{name}/versions", json={**body, "comment": "上调阈值\r\n依据：省联社通知 "})
    assert r.status_code == 201, r.text
    assert [v["comment"] for v in admin.get(f"/parameters/{name}/versions").json()["items"]] == [
        "上调阈值\n依据：省联社通知"]


@pytest.mark.usefixtures(pinned_date.__name__)
def test_a_loan_payee_name_with_hostile_text_is_refused_and_no_drawdown_is_made(client):
    b = make_borrower(limit="100000")
    body = drawdown_body(b["line_id"], payment_mode="entrusted",
                         payee={"name": f"农安县农资{RLO}公司", "account_no": "6221880012345678",
                                "bank_name": "吉林农安农村商业银行"})
    _refused(request(client, "am.nongan", body), "payee.name", "TEXT_INVISIBLE_CHARACTER")
    listed = client.as_user("am.nongan").get("/drawdowns", params={"household_id": b["household_id"]})
    assert listed.status_code == 200 and listed.json()["items"] == []


@pytest.mark.parametrize("raw, code", [('"1e5"', "AMOUNT_FORMAT"), ("1e5", "AMOUNT_FORMAT"),
                                       ('"120000.001"', "AMOUNT_PRECISION"), ("120000.001", "AMOUNT_PRECISION"),
                                       ('"-1"', "AMOUNT_NEGATIVE"), ('" 120000"', "AMOUNT_FORMAT"),
                                       ("NaN", "AMOUNT_FORMAT"), ('"1000000000000000"', "AMOUNT_FORMAT")])
def test_a_household_asset_that_is_not_a_plain_amount_is_refused_and_nothing_is_stored(client, raw, code):
    body = household()
    text = json.dumps(body, ensure_ascii=False).replace('"house_value": "120000"', f'"house_value": {raw}')
    api = client.as_user("am.nongan")
    r = api.post("/households", data=text.encode(), headers={"Content-Type": "application/json"})
    _refused(r, "assets.house_value", code)
    # the same people again: 409 PERSON_IN_OTHER_HOUSEHOLD had the first attempt been filed
    created = api.post("/households", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["assets"]["house_value"] == "120000.00"


def test_an_amount_as_a_json_number_is_kept_to_the_digit(client):
    body = household()
    text = json.dumps(body, ensure_ascii=False).replace('"deposits": "40000"', '"deposits": 123456789012345.67')
    r = client.as_user("am.nongan").post("/households", data=text.encode(),
                                         headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["assets"]["deposits"] == "123456789012345.67"  # 17 digits: a float would have lost the last


@pytest.mark.parametrize("value, code", [(0, "FIELD_BOOL_TYPE"), ("false", "FIELD_BOOL_TYPE"),
                                         (None, "FIELD_BOOL_TYPE")])
def test_blacklisted_must_be_a_json_boolean(client, value, code):
    body = household()
    api = client.as_user("am.nongan")
    _refused(api.post("/households", json={**body, "blacklisted": value}), "blacklisted", code)
    assert api.post("/households", json={**body, "blacklisted": False}).status_code == 201


@pytest.mark.parametrize("field, value, code", [
    ("collected_on", 0, "DATE_FORMAT"), ("collected_on", "20261101", "DATE_FORMAT"),
    ("collected_on", "2026-11-01T00:00:00", "DATE_FORMAT"), ("village_code", "22012210220", "VILLAGE_CODE_FORMAT"),
    ("main_crops", ["玉米", 1], "FIELD_STRING_TYPE")])
def test_household_dates_codes_and_lists_are_read_strictly(client, field, value, code):
    body = household()
    r = client.as_user("am.nongan").post("/households", json={**body, field: value})
    _refused(r, field + ("[1]" if field == "main_crops" else ""), code)


def test_a_member_count_must_be_a_json_integer(client):
    body = copy.deepcopy(household())
    body["assets"]["livestock"] = [{"kind": "cattle", "count": 6.0}]
    _refused(client.as_user("am.nongan").post("/households", json=body), "assets.livestock[0].count",
             "FIELD_INT_TYPE")


@pytest.mark.parametrize("query, field, code", [
    ("due_before=0", "due_before", "DATE_FORMAT"), ("due_before=2026-2-1", "due_before", "DATE_FORMAT"),
    ("limit=1.0", "limit", "FIELD_INT_TYPE"), ("limit=%2B5", "limit", "FIELD_INT_TYPE"),
    ("limit=5%20", "limit", "FIELD_INT_TYPE")])
def test_query_dates_and_integers_are_read_strictly(client, query, field, code):
    _refused(client.as_user("am.nongan").get(f"/postloan/inspections?{query}"), field, code)


def test_query_booleans_are_true_or_false(client):
    hh = create(client)
    api = client.as_user("admin.nongan")
    for raw in ("1", "True", "yes"):
        _refused(api.get(f"/households/{hh['household_id']}?reveal={raw}"), "reveal", "FIELD_BOOL_TYPE")
    assert api.get(f"/households/{hh['household_id']}?reveal=false").status_code == 200


def test_a_sync_record_needs_canonical_uuids(client):
    record = {"op_id": uuid.uuid4().hex, "household_id": str(uuid.uuid4()), "base_version": None,
              "household": household()}
    r = client.as_user("am.nongan").post("/sync/households", json={"device_id": "PAD-1", "records": [record]})
    _refused(r, "records[0].op_id", "UUID_FORMAT")


def test_an_image_time_needs_its_offset_and_is_answered_in_utc(client):
    hh = create(client)
    body = {"kind": "house", "content_type": "image/jpeg", "size": 1000, "sha256": "ab" * 32}
    api = client.as_user("am.nongan")
    _refused(api.post(f"/households/{hh['household_id']}/images", json={**body, "taken_at": "2026-11-20 11:12"}),
             "taken_at", "DATETIME_FORMAT")
    r = api.post(f"/households/{hh['household_id']}/images", json={**body, "taken_at": "2026-11-20T11:12:00+08:00"})
    assert r.status_code == 201 and r.json()["taken_at"] == "2026-11-20T03:12:00.000Z"


def test_strict_reading_keeps_an_ordinary_household_as_it_was(client):
    created = create(client, village=SHOWCASE)
    assert created["assets"]["house_area_m2"] == "96.00" and created["assets"]["contracted_land_mu"] == "25.50"
    assert created["blacklisted"] is False and created["members"][0]["name"] == "测试户主"
