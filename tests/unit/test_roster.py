"""Roster parsing (chalicelib.domain.roster): CSV/XLSX, Chinese headers and value words, grouping,
units, per-row problems. Pure, no sockets."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain import roster
from chalicelib.domain.households import HouseholdIn, normalise
from chalicelib.errors import ValidationFailed
from infra.roster_synth import BAD_EXAMPLE_EXPECTED, bad_example, synth_households, to_csv, to_xlsx
from infra.template import ROOT

V = "220122102202"


def report(data: bytes, filename: str = "r.csv") -> tuple[list[roster.RosterHousehold], list[tuple]]:
    from pydantic import ValidationError

    parsed = roster.parse(data, filename, village_code=V)
    lines = [(e.row, e.field, e.code) for e in parsed.errors]
    ok = []
    for hh in parsed.households:
        if hh.errors:
            lines += [(e.row, e.field, e.code) for e in hh.errors]
            continue
        try:
            normalise(HouseholdIn.model_validate(hh.payload), today=date(2026, 11, 29))
            ok.append(hh)
        except ValidationError as exc:
            lines += [(e.row, e.field, e.code) for e in roster.pydantic_errors(hh, exc)]
        except ValidationFailed as exc:
            lines += [(e.row, e.field, e.code) for e in roster.report_errors(hh, exc.fields)]
    return ok, sorted(lines)


def test_shipped_example_is_all_valid_and_in_the_showcase_village():
    data = (ROOT / "docs" / "examples" / "roster_220122102202.csv").read_bytes()
    ok, lines = report(data)
    assert lines == [] and len(ok) == 30
    ids = [m["resident_id"] for hh in ok for m in hh.payload["members"]]
    assert len(ids) == len(set(ids)) and all(i[:2] == "22" for i in ids)
    assert data == to_csv(synth_households(30)), "regenerate with python -m infra.roster_synth"


def test_the_roster_household_number_and_group_are_kept_for_the_household():
    """户编号 groups a household's rows and is kept as its roster number (the public notice lists it), with
    the 村民小组 of the head's row; a roster without 户编号 gives households without a number."""
    data = (ROOT / "docs" / "examples" / "roster_220122102202.csv").read_bytes()
    rows = [line.split(",") for line in data.decode("utf-8-sig").splitlines()[1:]]
    heads = {r[0]: r[10] for r in rows if r[1] == "户主"}  # 户编号 → 村民小组, as written in the file
    ok, _ = report(data)
    got = {hh.payload["household_no"]: hh.payload.get("village_group") for hh in ok}
    assert got == heads and len(got) == 30
    attributes = normalise(HouseholdIn.model_validate(ok[0].payload), today=date(2026, 11, 29)).attributes
    assert attributes["household_no"] == ok[0].payload["household_no"]
    without = "与户主关系,姓名,身份证号\n户主,邹红,220122198008197778\n".encode()
    parsed = roster.parse(without, "r.csv", village_code=V).households
    assert len(parsed) == 1 and "household_no" not in parsed[0].payload
    too_long = ("户编号,与户主关系,姓名,身份证号\n" + "7" * 33 + ",户主,邹红,220122198008197778\n").encode()
    assert report(too_long) == ([], [(2, "户编号", "FIELD_STRING_TOO_LONG")])  # reported on its cell, not stored


def test_bad_example_gives_exactly_the_documented_report():
    ok, lines = report(bad_example())
    assert lines == sorted(BAD_EXAMPLE_EXPECTED)
    assert [hh.rows for hh in ok] == [[2, 3], [11, 12], [20, 21]]


def test_xlsx_and_gb18030_csv_read_the_same_households():
    hhs = synth_households(6, seed=3)
    from_csv = roster.parse(to_csv(hhs), "a.csv", village_code=V).households
    from_xlsx = roster.parse(to_xlsx(hhs), "a.xlsx", village_code=V).households
    gbk = to_csv(hhs).decode("utf-8-sig").encode("gb18030")
    from_gbk = roster.parse(gbk, "a.csv", village_code=V).households
    assert [h.payload for h in from_csv] == [h.payload for h in from_xlsx] == [h.payload for h in from_gbk]


def test_title_row_units_words_and_grouping_without_household_numbers():
    text = ("二道沟村农户信息采集表,,,,,,\n"
            "*与户主关系,*姓名,*身份证号,联系电话,房屋价值（万元）,养殖品种及数量,村委评议,劳动能力,存款(元)\n"
            "户主,王春,22012219750820123X,138 1234 5678,12.5,肉牛5头;生猪20头,较好,全劳力,\"30,000\"\n"
            "妻子,李芳,22018219770301246X,,,,,半劳力,\n"
            "本人,赵强,220122198001011236,,8,羊:30,优秀,全劳力,1.2万\n")
    parsed = roster.parse(text.encode(), "t.csv", village_code=V)
    assert parsed.errors == []
    a, b = parsed.households
    assert a.rows == [3, 4] and b.rows == [5]
    assert a.payload["assets"]["house_value"] == Decimal("125000.00")
    assert a.payload["assets"]["livestock"] == [{"kind": "cattle", "count": 5}, {"kind": "pig", "count": 20}]
    assert a.payload["committee_assessment"] == "good" and a.payload["assets"]["deposits"] == Decimal("30000.00")
    assert [m["relation"] for m in a.payload["members"]] == ["head", "spouse"]
    assert a.payload["members"][1]["labour_capacity"] == "partial"
    assert b.payload["assets"]["deposits"] == Decimal("12000.00")
    assert b.payload["assets"]["livestock"] == [{"kind": "sheep", "count": 30}]


def test_cell_problems_are_reported_with_row_and_header_and_never_the_value():
    text = ("户编号,与户主关系,姓名,身份证号,出生日期,村代码,存款(元),是否黑名单\n"
            "1,户主,王春,22012219750820123X,1975-13-01,220122102203,abc,也许\n"
            "2,配偶,李芳,22018219770301246X,,,,\n"
            ",户主,无户号,220122198001011236,,,,\n")
    parsed = roster.parse(text.encode(), "t.csv", village_code=V)
    got = sorted((e.row, e.field, e.code) for hh in parsed.households for e in hh.errors)
    assert got == [(2, "出生日期", "DATE_FORMAT"), (2, "存款(元)", "NUMBER_FORMAT"), (2, "是否黑名单", "VALUE_UNKNOWN"),
                   (2, "村代码", "ROSTER_VILLAGE_MISMATCH")]
    assert [(e.row, e.code) for e in parsed.errors] == [(4, "ROSTER_NO_HOUSEHOLD")]
    everything = " ".join(e.message for hh in parsed.households for e in hh.errors)
    assert "22012219750820123X" not in everything and "abc" not in everything


def test_an_id_typed_as_a_number_in_excel_is_caught():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["与户主关系", "姓名", "身份证号"])
    ws.append(["户主", "王春", 220122197508201230])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = roster.parse(buf.getvalue(), "n.xlsx", village_code=V)
    assert [(e.row, e.field, e.code) for e in parsed.households[0].errors] == [(2, "身份证号", "ID_STORED_AS_NUMBER")]


@pytest.mark.parametrize("data,name,code", [
    (b"", "e.csv", "ROSTER_EMPTY"),
    ("姓名,电话,备注\n张三,1,x\n".encode(), "m.csv", "ROSTER_FORMAT"),
    ("与户主关系,姓名,联系电话\n户主,张三,13812345678\n".encode(), "m.csv", "ROSTER_MISSING_COLUMN"),
    (b"PK\x03\x04garbage", "x.xlsx", "ROSTER_FORMAT"),
    (b"%PDF-1.4", "x.pdf", "ROSTER_FORMAT"),
])
def test_file_level_failures(data, name, code):
    with pytest.raises(roster.RosterFormatError) as exc:
        roster.parse(data, name, village_code=V)
    assert exc.value.code == code
