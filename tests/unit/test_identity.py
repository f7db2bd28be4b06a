"""Resident ID (GB 11643-1999), USCC (GB 32100-2015) and mobile phone rules.

Valid test numbers below were computed outside the module under test (hard-coded literals), and
the helper ``_iso7064_mod11_2`` uses the recursive ISO 7064 form rather than the weighted sum the
module uses, so the two implementations cross-check each other.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.identity import (
    EARLIEST_BIRTH_DATE,
    ResidentId,
    mask_phone,
    mask_resident_id,
    parse_mobile_phone,
    parse_resident_id,
)
from chalicelib.platform.uscc import Uscc, parse_uscc

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "id_uscc_published_examples.json"
EXAMPLES = json.loads(FIXTURE.read_text(encoding="utf-8"))
TODAY = date(2026, 6, 1)

# Published reason -> the code this product raises for it.
ID_REASON_CODES = {
    "bad_checksum": "ID_CHECK_DIGIT",
    "bad_date": "ID_BIRTH_DATE",
    "bad_region": "ID_ADDRESS_CODE",
    "legacy_15_digit": "ID_LEGACY_15",
}
USCC_REASON_CODES = {"checksum": "USCC_CHECK_CHAR", "charset": "USCC_CHARSET"}


def _iso7064_mod11_2(first17: str) -> str:
    """Recursive (pure system) form of ISO 7064 MOD 11-2; independent of the module's weights."""
    p = 0
    for c in first17:
        p = ((p + int(c)) * 2) % 11
    r = (12 - p) % 11
    return "X" if r == 10 else str(r)


def _code_of(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return excinfo.value.code


def _reason_key(reason: str) -> str:
    return reason.split(" ")[0]


# --- published examples --------------------------------------------------------------------

def test_fixture_has_examples_of_both_outcomes():
    ids = EXAMPLES["id_cases"]
    usccs = EXAMPLES["uscc_cases"]
    assert len(ids) == 7 and len(usccs) == 4
    assert {c["expected_valid"] for c in ids} == {True, False}
    assert {c["expected_valid"] for c in usccs} == {True, False}


@pytest.mark.parametrize("case", EXAMPLES["id_cases"], ids=lambda c: c["id"])
def test_published_resident_id_examples(case):
    if case["expected_valid"]:
        rid = parse_resident_id(case["id"], today=TODAY)
        raw = case["id"]
        assert rid.number == raw.upper()
        assert rid.address_code == raw[:6]
        assert rid.birth_date == date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
        assert rid.gender == ("male" if int(raw[16]) % 2 else "female")
    else:
        with pytest.raises(ValidationFailed) as ei:
            parse_resident_id(case["id"], today=TODAY)
        assert _code_of(ei) == ID_REASON_CODES[_reason_key(case["reason"])]


def test_published_valid_ids_parse_to_the_documented_people():
    beijing = parse_resident_id("11010519491231002X", today=TODAY)
    assert (beijing.birth_date, beijing.gender, beijing.address_code) == (date(1949, 12, 31), "female", "110105")
    shantou = parse_resident_id("440524188001010014", today=TODAY)
    assert (shantou.birth_date, shantou.gender) == (date(1880, 1, 1), "male")
    guangzhou = parse_resident_id("44011320141005001x", today=TODAY)
    assert guangzhou.number == "44011320141005001X"
    assert (guangzhou.birth_date, guangzhou.gender) == (date(2014, 10, 5), "male")


@pytest.mark.parametrize("case", EXAMPLES["uscc_cases"], ids=lambda c: c["uscc"])
def test_published_uscc_examples(case):
    if case["expected_valid"]:
        u = parse_uscc(case["uscc"])
        assert u.number == case["uscc"]
    else:
        with pytest.raises(ValidationFailed) as ei:
            parse_uscc(case["uscc"])
        assert _code_of(ei) == USCC_REASON_CODES[_reason_key(case["reason"])]


def test_published_uscc_parts():
    u = parse_uscc("91350100M000100Y43")
    assert u == Uscc(number="91350100M000100Y43", department_code="9", category_code="1",
                     region_code="350100", organisation_code="M000100Y4")
    # 512081 (简阳市) was renumbered 510185 in 2016: region codes are not checked against the list.
    assert parse_uscc("91512081MA62K0260E").region_code == "512081"


def test_independent_check_digit_agrees_with_published_examples():
    # Guards the test helper itself: it must reproduce the published check characters.
    for case in EXAMPLES["id_cases"]:
        raw = case["id"].upper()
        if len(raw) == 18 and case["reason"] != "bad_checksum":
            assert _iso7064_mod11_2(raw[:17]) == raw[17]
    assert _iso7064_mod11_2("36042619910102009") != "X"


# --- resident ID boundaries ----------------------------------------------------------------

def test_valid_constructed_id_and_gender_from_sequence_parity():
    male = parse_resident_id("220122199001010012", today=TODAY)
    female = parse_resident_id("220122199001010020", today=TODAY)
    assert male == ResidentId("220122199001010012", "220122", date(1990, 1, 1), "male")
    assert female.gender == "female"


def test_lower_case_x_and_whitespace_are_normalised():
    rid = parse_resident_id("  11010519491231002x\t", today=TODAY)
    assert rid.number == "11010519491231002X"


def test_full_width_characters_are_normalised():
    rid = parse_resident_id("１１０１０５１９４９１２３１００２ｘ", today=TODAY)
    assert rid.number == "11010519491231002X"


def test_wrong_check_digit():
    assert _iso7064_mod11_2("22012219900101001") == "2"
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("220122199001010013", today=TODAY)
    assert _code_of(ei) == "ID_CHECK_DIGIT"


def test_x_where_a_digit_is_expected_is_a_check_digit_error():
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("22012219900101001X", today=TODAY)
    assert _code_of(ei) == "ID_CHECK_DIGIT"


@pytest.mark.parametrize("raw", ["220122610927690", " 220122610927690 "])
def test_15_digit_legacy_form(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id(raw, today=TODAY)
    assert _code_of(ei) == "ID_LEGACY_15"


@pytest.mark.parametrize("raw", [
    "", "22012219900101001", "2201221990010100123", "22012219900101X012", "X20122199001010012",
    "220122 199001010012", "22012219900101001A", "22012219900101001Y",
])
def test_malformed_ids(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id(raw, today=TODAY)
    assert _code_of(ei) == "ID_FORMAT"


@pytest.mark.parametrize("raw", [None, 220122199001010012])
def test_non_string_is_a_format_error(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id(raw, today=TODAY)  # type: ignore[arg-type]
    assert _code_of(ei) == "ID_FORMAT"


def test_feb_29_on_a_non_leap_year_is_rejected():
    for raw in ("220122190102290016", "220122190002290019"):  # 1901; 1900 is not a leap year
        with pytest.raises(ValidationFailed) as ei:
            parse_resident_id(raw, today=TODAY)
        assert _code_of(ei) == "ID_BIRTH_DATE"


def test_feb_29_on_a_leap_year_is_accepted():
    assert parse_resident_id("220122200002290015", today=TODAY).birth_date == date(2000, 2, 29)


def test_earliest_birth_date_boundary():
    assert date(1800, 1, 1) == EARLIEST_BIRTH_DATE
    assert parse_resident_id("220122180001010012", today=TODAY).birth_date == date(1800, 1, 1)
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("220122179912310018", today=TODAY)
    assert _code_of(ei) == "ID_BIRTH_DATE"


def test_future_birth_date_relative_to_given_today():
    today = date(2024, 1, 1)
    assert parse_resident_id("220122202401010016", today=today).birth_date == today
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("220122202401020011", today=today)
    assert _code_of(ei) == "ID_FUTURE_BIRTH_DATE"
    assert parse_resident_id("220122202401020011", today=date(2024, 1, 2)).birth_date == date(2024, 1, 2)


def test_default_today_is_the_business_date(monkeypatch):
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2000-01-01")
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("220122200001020013")
    assert _code_of(ei) == "ID_FUTURE_BIRTH_DATE"
    monkeypatch.setenv("BUSINESS_DATE_OVERRIDE", "2000-01-02")
    assert parse_resident_id("220122200001020013").birth_date == date(2000, 1, 2)


@pytest.mark.parametrize("raw", ["220199199001010016", "000000199001010018"])
def test_unknown_address_code(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id(raw, today=TODAY)
    assert _code_of(ei) == "ID_ADDRESS_CODE"


@pytest.mark.parametrize("raw, code", [
    ("220181199001010012", "220181"),  # 九台市, became 九台区 220113 in 2014
    ("440524188001010014", "440524"),  # 潮阳县, abolished 1993 (GB 11643-1999 Annex A example)
    ("830000199001010012", "830000"),  # Taiwan residents' residence permit
])
def test_historical_and_special_address_codes_are_accepted(raw, code):
    assert parse_resident_id(raw, today=TODAY).address_code == code


def _id_with_address(code: str) -> str:
    """A well-formed ID (born 1990-01-01, sequence 001) with ``code`` as its address code."""
    first17 = f"{code}19900101001"
    return first17 + _iso7064_mod11_2(first17)


@pytest.mark.parametrize("code", [
    "220000",  # 吉林省: a province is not a county-level unit (GB 11643-1999 §6.2)
    "110000",  # 北京市
    "710000",  # 台湾省 in GB/T 2260, but residence permits of Taiwan residents use 830000
    "220100",  # 长春市: a prefecture with districts and counties
    "110100",  # 北京市 市辖区 (a grouping, not a county-level unit)
    "429000",  # 湖北省 省直辖县级行政区划 (a grouping)
    "110200",  # 北京市 县 (historical grouping, abolished 2014)
])
def test_province_and_prefecture_address_codes_are_refused(code):
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id(_id_with_address(code), today=TODAY)
    assert _code_of(ei) == "ID_ADDRESS_CODE"
    assert ei.value.fields[0].field == "resident_id"


@pytest.mark.parametrize("code", [
    "441900",  # 东莞市 and
    "442000",  # 中山市 and
    "460400",  # 儋州市: prefecture-level cities without districts (不设区的地级市), their own county-level unit
    "810000",  # 香港 / 澳门 / 台湾 residents' residence permits (国办发〔2018〕81号 art. 3)
    "820000",
    "830000",
    "220122",  # 农安县: an ordinary county
])
def test_county_level_and_documented_special_address_codes_are_accepted(code):
    assert parse_resident_id(_id_with_address(code), today=TODAY).address_code == code


def test_prefecture_codes_accepted_are_exactly_those_without_county_level_divisions():
    # Read the shipped lists directly: every PPCC00 code the parser accepts has no PPCCnn (nn != 00)
    # listed under it, and every such childless prefecture is one of the known cases.
    import csv

    ref = Path(__file__).resolve().parents[2] / "chalicelib" / "reference"
    codes = set()
    for name in ("county_codes.csv", "county_codes_historical.csv"):
        with open(ref / name, encoding="utf-8", newline="") as f:
            codes |= {row["code"] for row in csv.DictReader(f)}
    prefectures = {c for c in codes if c.endswith("00") and not c.endswith("0000")}
    accepted = set()
    for code in prefectures:
        try:
            parse_resident_id(_id_with_address(code), today=TODAY)
        except ValidationFailed:
            continue
        accepted.add(code)
    # 东莞, 中山, 儋州 today; 沙市市 (to 1993), 三亚市 (Guangdong code, to 1987), 石河子市 (to 1984)
    assert accepted == {"441900", "442000", "460400", "420400", "441100", "650300"}
    assert all(not any(c[:4] == p[:4] and not c.endswith("00") for c in codes) for p in accepted)


def test_error_carries_the_callers_field_path():
    with pytest.raises(ValidationFailed) as ei:
        parse_resident_id("220122199001010013", today=TODAY, field="members[0].resident_id")
    err = ei.value
    assert err.status == 422
    assert [(f.field, f.code) for f in err.fields] == [("members[0].resident_id", "ID_CHECK_DIGIT")]


def test_resident_id_is_frozen():
    rid = parse_resident_id("220122199001010012", today=TODAY)
    with pytest.raises(AttributeError):
        rid.number = "x"  # type: ignore[misc]


# --- USCC boundaries -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, category", [
    ("N12201221234567884", "1"),  # 组级集体经济组织
    ("N2220122MA0P4K1B2P", "2"),  # 村级集体经济组织
    ("N3220322MA1B2C3D84", "3"),  # 乡镇级集体经济组织
    ("N9220122MA0P4K1B22", "9"),
])
def test_n_prefixed_village_collectives_are_accepted(raw, category):
    u = parse_uscc(raw)
    assert (u.department_code, u.category_code) == ("N", category)
    assert u.is_collective_economic_organisation is (category != "9")


def test_farmers_cooperative_and_individual_business():
    assert parse_uscc("93220122MA0P4K1B22").category_code == "3"
    assert parse_uscc("92220122MA0P4K1B25").category_code == "2"


def test_lower_case_and_whitespace_uscc_are_normalised():
    assert parse_uscc(" n2220122ma0p4k1b2p ").number == "N2220122MA0P4K1B2P"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
@pytest.mark.parametrize("position", [1, 10, 17])
def test_excluded_letters_are_a_charset_error(letter, position):
    raw = "N2220122MA0P4K1B2P"
    bad = raw[:position] + letter + raw[position + 1:]
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc(bad)
    assert _code_of(ei) == "USCC_CHARSET"


@pytest.mark.parametrize("raw", ["", "N2220122MA0P4K1B2", "N2220122MA0P4K1B2PP", None])
def test_wrong_length_uscc(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc(raw)  # type: ignore[arg-type]
    assert _code_of(ei) == "USCC_FORMAT"


def test_non_digit_region_code_is_a_format_error():
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc("N222A122MA0P4K1B2P")
    assert _code_of(ei) == "USCC_FORMAT"


def test_wrong_check_char():
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc("N2220122MA0P4K1B2Q")
    assert _code_of(ei) == "USCC_CHECK_CHAR"


def test_unknown_department():
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc("B1220122MA0P4K1B26")  # check char is right, department B does not exist
    assert _code_of(ei) == "USCC_DEPARTMENT"


@pytest.mark.parametrize("raw", ["N4220122MA0P4K1B2H", "94220122MA0P4K1B2Y"])
def test_category_not_allowed_for_department(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc(raw)
    assert _code_of(ei) == "USCC_CATEGORY"


def test_embedded_organisation_code_check():
    # MOD 31 check char is right, but the GB 11714 check of MA0P4K1B is 2, not 1.
    with pytest.raises(ValidationFailed) as ei:
        parse_uscc("93220122MA0P4K1B1Y", field="entity.uscc")
    assert _code_of(ei) == "USCC_ORG_CODE_CHECK"
    assert ei.value.fields[0].field == "entity.uscc"


# --- phone and masking ---------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "13812345678", " 13812345678 ", "+86 138 1234 5678", "+8613812345678", "008613812345678",
    "8613812345678", "138-1234-5678", "１３８１２３４５６７８",
])
def test_mobile_phone_normalised(raw):
    assert parse_mobile_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", [
    "12812345678", "1381234567", "138123456789", "01012345678", "0431-88888888", "+8512345678901",
    "1381234567a", "", None, 13812345678,
])
def test_mobile_phone_rejected(raw):
    with pytest.raises(ValidationFailed) as ei:
        parse_mobile_phone(raw, field="head.phone")  # type: ignore[arg-type]
    assert _code_of(ei) == "PHONE_FORMAT"
    assert ei.value.fields[0].field == "head.phone"


def test_mask_resident_id():
    assert mask_resident_id("220122199001011234") == "220122********1234"
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_resident_id("") == ""
    assert mask_resident_id("12345") == "*****"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("123") == "***"
