"""Jilin village-level division list (NBS 2023 统计用区划代码)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.reference import divisions
from chalicelib.reference.divisions import Village, county_name, get_village, villages_in_county

REPO = Path(__file__).resolve().parents[2]


def test_get_village_returns_all_levels():
    assert get_village("220322113213") == Village(
        code="220322113213", name="王家局子村", kind="village",
        township_code="220322113", township_name="林海镇",
        county_code="220322", county_name="梨树县",
        city_code="2203", city_name="四平市", province="吉林省",
    )


def test_community_and_other_kinds():
    assert get_village("220102001001").kind == "community"
    assert get_village("220102001001").name == "华阳社区"
    assert get_village("222426402507").kind == "other"
    assert get_village("222426402507").city_name == "延边朝鲜族自治州"


def test_surrounding_whitespace_is_ignored():
    assert get_village(" 220322113213\n").code == "220322113213"


@pytest.mark.parametrize("code", ["", "22032211321", "2203221132130", "22032211321a", "220322 13213",
                                  "２２０３２２１１３２１３", None, 220322113213])
def test_malformed_village_code(code):
    with pytest.raises(ValidationFailed) as ei:
        get_village(code, field="households[3].village_code")  # type: ignore[arg-type]
    assert ei.value.code == "VILLAGE_CODE_FORMAT"
    assert ei.value.fields[0].field == "households[3].village_code"


@pytest.mark.parametrize("code", ["220322113999", "110101001001", "000000000000"])
def test_unknown_village_code(code):
    with pytest.raises(ValidationFailed) as ei:
        get_village(code)
    assert ei.value.code == "VILLAGE_CODE_UNKNOWN"
    assert ei.value.fields[0].field == "village_code"


def test_villages_in_county():
    villages = villages_in_county("220322")
    assert len(villages) == 346
    assert all(v.county_code == "220322" and v.county_name == "梨树县" for v in villages)
    assert [v.code for v in villages] == sorted(v.code for v in villages)
    assert get_village("220322113213") in villages


def test_villages_in_county_returns_a_fresh_list():
    first = villages_in_county("220102")
    first.clear()
    assert len(villages_in_county("220102")) == 70


def test_villages_in_county_outside_jilin_is_empty_and_malformed_raises():
    assert villages_in_county("110101") == []
    with pytest.raises(ValidationFailed) as ei:
        villages_in_county("2203")
    assert ei.value.code == "COUNTY_CODE_FORMAT"


def test_county_name():
    assert county_name("220322") == "梨树县"
    assert county_name("222426") == "安图县"
    with pytest.raises(ValidationFailed) as ei:
        county_name("110101")
    assert ei.value.code == "COUNTY_CODE_UNKNOWN"
    with pytest.raises(ValidationFailed) as ei:
        county_name("22032")
    assert ei.value.code == "COUNTY_CODE_FORMAT"


def test_whole_list_loaded_with_unique_codes_in_jilin():
    index = divisions._index()
    assert len(index.by_code) == 11860
    assert len(index.by_county) == 69
    assert all(code.startswith("22") and len(code) == 12 for code in index.by_code)
    assert {v.kind for v in index.by_code.values()} == {"village", "community", "other"}


def test_list_is_loaded_once():
    divisions._index.cache_clear()
    get_village("220322113213")
    villages_in_county("220322")
    county_name("220102")
    info = divisions._index.cache_info()
    assert (info.misses, info.currsize) == (1, 1)


def test_import_does_not_load_the_list():
    out = subprocess.run(
        [sys.executable, "-c",
         "import chalicelib.reference.divisions as d, chalicelib.platform.identity as i;"
         "print(d._index.cache_info().currsize, i._address_codes.cache_info().currsize)"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == ["0", "0"]


# ------------------------------------------------------------------------------ unit type from the code (NBS rule)

@pytest.mark.parametrize("code, name, expected", [
    ("220122102001", "哈拉海居委会", "residents_committee"),        # the residents' committee of issue 10
    ("220102001001", "华阳社区", "residents_committee"),
    ("220122101002", "新村街居委会", "residents_committee"),        # listed with kind "village": the code decides
    ("220122102202", "二道沟村委会", "villagers_committee"),
    ("220122102200", "哈拉海村委会", "villagers_committee"),
    ("220502200206", "光复社区村", "villagers_committee"),          # listed with kind "community"
    ("220106400498", "开发区虚拟社区", "residents_committee_like"),
    ("220202402400", "吉林哈达湾经济开发区管委会社区", "residents_committee_like"),
    ("220122400598", "洼中高农场虚拟生活区", "villagers_committee_like"),
    ("222401100501", "果树农场（特殊村委会）", "villagers_committee_like"),
])
def test_unit_type_of_real_codes(code, name, expected):
    assert get_village(code).name == name
    assert divisions.unit_type(code) == expected
    assert divisions.is_urban_unit(code) is expected.startswith("residents_committee")


@pytest.mark.parametrize("code", ["220122102000", "220122102600", "220122102999", "22012210200", "", None,
                                  "２２０１２２１０２００１"])
def test_unit_type_outside_the_rule_is_unknown(code):
    assert divisions.unit_type(code) == "unknown"  # type: ignore[arg-type]
    assert divisions.is_urban_unit(code) is False  # type: ignore[arg-type]


def test_unit_type_agrees_with_the_names_of_the_whole_list():
    """Independent check on all 11,860 units: the names (not the codes) say which are residents' committees
    (社区 / 居委会) and which are villages (…村…): every 001-199 unit is named as a community and never as a
    村委会, every 200-399 unit has 村 in its name, and the kind column's few disagreements are the two units
    the code rule classifies differently (above)."""
    import csv

    with open(divisions.VILLAGES_FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_type: dict[str, list[dict]] = {}
    for row in rows:
        by_type.setdefault(divisions.unit_type(row["village_code_12"]), []).append(row)
    assert "unknown" not in by_type
    residents = by_type["residents_committee"]
    assert len(residents) == 2271
    assert all(("社区" in r["village_name"] or "居委会" in r["village_name"]) and "村委会" not in r["village_name"]
               for r in residents)
    assert all("村" in r["village_name"] for r in by_type["villagers_committee"])
    assert all("社区" in r["village_name"] for r in by_type["residents_committee_like"])
    disagree = sorted(r["village_code_12"] for r in rows
                      if (r["kind"] == "community") != divisions.is_urban_unit(r["village_code_12"])
                      and r["kind"] != "other")
    assert disagree == ["220122101002", "220502200206"]
