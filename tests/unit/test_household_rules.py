"""Household file rules (chalicelib.customers.domain.households): pure, no sockets."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.customers.domain.figures import totals
from chalicelib.customers.domain.households import HouseholdIn, check_transition, content_fingerprint, normalise
from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.identity import resident_id_check_char

TODAY = date(2026, 11, 29)


def rid(address: str, born: str, seq: int) -> str:
    first17 = f"{address}{born}{seq:03d}"
    return first17 + resident_id_check_char(first17)


HEAD = rid("220122", "19750820", 123)      # male (odd)
SPOUSE = rid("220182", "19770301", 246)    # female (even)
CHILD = rid("220122", "20120615", 35)      # male, 14 years old


def body(**over):
    doc = {"village_code": "220122102202", "village_group": " 三组 ",
           "members": [{"relation": "spouse", "name": "李芳", "resident_id": SPOUSE.lower()},
                       {"relation": "head", "name": "王春", "resident_id": HEAD, "phone": "+86 138-1234-5678"}],
           "assets": {"house_value": "120000", "deposits": 30000.5, "credit_union_shares": "5000"},
           "liabilities": {"bank_loans": "50000"}, "income": {"crops": "-1200.50", "wages": "24000"}}
    doc.update(over)
    return HouseholdIn.model_validate(doc)


def fields(exc: pytest.ExceptionInfo) -> set[tuple[str, str]]:
    return {(f.field, f.code) for f in exc.value.fields}


def test_normalise_derives_orders_and_quantises():
    n = normalise(body(), today=TODAY)
    assert [m.relation for m in n.members] == ["head", "spouse"]
    head, spouse = n.members
    assert head.gender == "male" and head.birth_date == date(1975, 8, 20) and head.phone == "13812345678"
    assert spouse.resident_id == SPOUSE and spouse.gender == "female"  # lower-case x normalised upstream
    assert n.attributes["village_group"] == "三组"
    assert n.attributes["assets"]["deposits"] == Decimal("30000.50")
    assert n.attributes["income"]["crops"] == Decimal("-1200.50")
    assert n.village_code == "220122102202"


def test_every_problem_is_reported_at_once():
    doc = body().model_dump()
    doc["members"][0].update(resident_id=SPOUSE[:-1] + ("0" if SPOUSE[-1] != "0" else "1"))
    doc["members"][1].update(gender="female", birth_date=date(1975, 8, 21), phone="010-12345678")
    doc["members"].append({"relation": "spouse", "name": "重复", "resident_id": HEAD})
    doc["village_code"] = "220122999999"
    doc["gps"] = {"lat": 39.9, "lon": 116.4}
    with pytest.raises(ValidationFailed) as exc:
        normalise(HouseholdIn.model_validate(doc), today=TODAY)
    assert exc.value.code == "HOUSEHOLD_INVALID"
    assert fields(exc) == {
        ("village_code", "VILLAGE_CODE_UNKNOWN"), ("members[0].resident_id", "ID_CHECK_DIGIT"),
        ("members[1].gender", "MEMBER_GENDER_MISMATCH"), ("members[1].birth_date", "MEMBER_BIRTH_DATE_MISMATCH"),
        ("members[1].phone", "PHONE_FORMAT"), ("members[2].resident_id", "MEMBER_DUPLICATE_ID"),
        ("members", "HOUSEHOLD_SPOUSE_COUNT"), ("gps", "GPS_OUT_OF_AREA")}


def test_head_rules():
    with pytest.raises(ValidationFailed) as exc:
        normalise(body(members=[{"relation": "spouse", "name": "a", "resident_id": SPOUSE}]), today=TODAY)
    assert fields(exc) == {("members", "HOUSEHOLD_HEAD_COUNT")}
    with pytest.raises(ValidationFailed) as exc:
        normalise(body(members=[{"relation": "head", "name": "a", "resident_id": CHILD}]), today=TODAY)
    assert fields(exc) == {("members[0].relation", "HEAD_MINOR")}
    with pytest.raises(ValidationFailed) as exc:
        normalise(body(members=[{"relation": "head", "name": "a"}]), today=TODAY)
    assert fields(exc) == {("members[0].resident_id", "MEMBER_RESIDENT_ID_REQUIRED")}


def test_future_birth_and_legacy_ids_keep_their_codes():
    future = rid("220122", "20270101", 11)
    with pytest.raises(ValidationFailed) as exc:
        normalise(body(members=[{"relation": "head", "name": "a", "resident_id": HEAD},
                                {"relation": "child", "name": "b", "resident_id": future},
                                {"relation": "child", "name": "c", "resident_id": "220122750820123"}]), today=TODAY)
    assert fields(exc) == {("members[1].resident_id", "ID_FUTURE_BIRTH_DATE"),
                           ("members[2].resident_id", "ID_LEGACY_15")}


def test_existing_members_keep_their_protected_numbers():
    stored = {"m-1": {"member_id": "m-1", "resident_id_hash": "h1", "gender": "male", "birth_date": "1975-08-20",
                      "phone_hash": "p1"},
              "m-2": {"member_id": "m-2", "resident_id_hash": "h2", "gender": "female", "birth_date": "1977-03-01",
                      "phone_hash": "p2"}}
    inp = HouseholdIn.model_validate({"village_code": "220122102202", "members": [
        {"member_id": "m-1", "relation": "head", "name": "王春"},
        {"member_id": "m-2", "relation": "spouse", "name": "李芳", "phone": None}]})
    n = normalise(inp, today=TODAY, existing=stored)
    head, spouse = n.members
    assert head.keep_resident_id and head.keep_phone and head.gender == "male"
    assert spouse.keep_resident_id and not spouse.keep_phone and spouse.phone is None  # explicit null removes
    inp = HouseholdIn.model_validate({"village_code": "220122102202", "members": [
        {"member_id": "m-1", "relation": "head", "name": "王春", "gender": "female"}]})
    with pytest.raises(ValidationFailed) as exc:
        normalise(inp, today=TODAY, existing=stored)
    assert fields(exc) == {("members[0].gender", "MEMBER_GENDER_MISMATCH")}


def test_money_is_never_float_and_has_at_most_two_decimals():
    with pytest.raises(ValidationError):
        body(assets={"house_value": "1.234"})
    with pytest.raises(ValidationError):
        body(assets={"house_value": "-1"})
    with pytest.raises(ValidationError):
        body(unknown_field=1)


def test_fingerprint_ignores_member_order_and_ids_but_not_content():
    a = normalise(body(), today=TODAY)
    doc = body().model_dump()
    doc["members"].reverse()
    b = normalise(HouseholdIn.model_validate(doc), today=TODAY)
    assert content_fingerprint(a) == content_fingerprint(b)
    c = normalise(body(assets={"house_value": "120001"}), today=TODAY)
    assert content_fingerprint(a) != content_fingerprint(c)


def test_totals_and_transitions():
    item = {"assets": {"house_value": 120000, "deposits": Decimal("30000.50"), "credit_union_shares": 5000,
                       "house_area_m2": 96, "contracted_land_mu": 20},
            "liabilities": {"bank_loans": 50000}, "income": {"crops": Decimal("-1200.50"), "wages": 24000},
            "expenses": {"living": 20000}}
    assert totals(item) == {"total_assets": Decimal("155000.50"), "total_liabilities": Decimal("50000.00"),
                            "net_assets": Decimal("105000.50"), "gross_income": Decimal("22799.50"),
                            "net_income": Decimal("2799.50"),  # 22799.50 income − 20000 expenses
                            "total_expenses": Decimal("20000.00")}
    check_transition("draft", "submitted")
    check_transition("submitted", "verified")
    check_transition("submitted", "draft")
    for cur, target in (("draft", "verified"), ("verified", "draft"), ("verified", "submitted")):
        with pytest.raises(ValidationFailed) as exc:
            check_transition(cur, target)
        assert exc.value.code == "HOUSEHOLD_STATUS"
