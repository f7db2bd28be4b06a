"""Jilin village-level division list (NBS 2023 统计用区划代码)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain import divisions
from chalicelib.domain.divisions import Village, county_name, get_village, villages_in_county
from chalicelib.errors import ValidationFailed

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
         "import chalicelib.domain.divisions as d, chalicelib.domain.identity as i;"
         "print(d._index.cache_info().currsize, i._address_codes.cache_info().currsize)"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == ["0", "0"]
