"""Roster parsing (chalicelib.customers.domain.roster): CSV/XLSX, Chinese headers and value words, grouping,
units, per-row problems. Pure, no sockets."""
from __future__ import annotations

import io
import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.customers.domain import roster
from chalicelib.customers.domain.households import HouseholdIn, normalise
from chalicelib.platform.errors import ValidationFailed
from infra.roster_synth import BAD_EXAMPLE_EXPECTED, COLUMNS, bad_example, synth_households, to_csv, to_xlsx
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
    assert [(e.row, e.code) for e in parsed.errors] == [(4, "ROSTER_HEAD_WITHOUT_NUMBER")]
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


# ------------------------------------------------------------------------------------------ layouts (issue 10)

def _people(parsed: roster.ParsedRoster) -> list[list[tuple[str, str]]]:
    return [[(m["name"], m["resident_id"]) for m in hh.payload["members"]] for hh in parsed.households]


def _expected_people(hhs) -> list[list[tuple[str, str]]]:
    return [[(p.name, p.resident_id) for p in hh.members] for hh in hhs]


def _every_row_accounted_for(parsed: roster.ParsedRoster) -> None:
    in_households = [n for hh in parsed.households for n in hh.rows]
    assert len(in_households) == len(set(in_households))
    assert sorted(in_households + parsed.unassigned_rows) == sorted(set(in_households) | set(parsed.unassigned_rows))
    assert len(in_households) + len(parsed.unassigned_rows) == parsed.data_rows
    assert {e.row for e in parsed.errors} == set(parsed.unassigned_rows)


def test_household_numbers_merged_down_the_rows_of_an_xlsx_keep_every_member():
    from tests.roster_files import ADDRESS, NUMBER, spans, table, xlsx_bytes

    hhs = synth_households(8, seed=2024)
    assert any(len(h.members) >= 3 for h in hhs)
    tab = table(hhs)
    data = xlsx_bytes(tab, merge=spans(tab), merge_columns=(NUMBER, ADDRESS))
    parsed = roster.parse(data, "花名册.xlsx", village_code=V)
    assert parsed.errors == [] and all(hh.errors == [] for hh in parsed.households)
    assert [tuple(hh.rows[i] for i in (0, -1)) for hh in parsed.households] == spans(tab)
    assert _people(parsed) == _expected_people(hhs)
    assert [hh.payload["address"] for hh in parsed.households] == [h.values["住址"] for h in hhs]
    _every_row_accounted_for(parsed)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_blank_household_numbers_on_member_rows_of_a_csv_continue_the_household_above(encoding):
    from tests.roster_files import blank_member_numbers, csv_bytes, table

    hhs = synth_households(8, seed=2025)
    parsed = roster.parse(csv_bytes(blank_member_numbers(table(hhs)), encoding=encoding), "r.csv", village_code=V)
    assert parsed.errors == [] and all(hh.errors == [] for hh in parsed.households)
    assert _people(parsed) == _expected_people(hhs)
    numbered = roster.parse(csv_bytes(table(hhs)), "r.csv", village_code=V)
    assert [hh.payload for hh in parsed.households] == [hh.payload for hh in numbered.households]
    _every_row_accounted_for(parsed)


def test_ambiguous_layouts_are_refused_row_by_row_and_nothing_is_dropped():
    text = ("户编号,与户主关系,姓名,身份证号\n"
            ",配偶,甲,22018219770301246X\n"           # 2: first data row, blank, a member: nothing above
            "1,户主,王春,22012219750820123X\n"        # 3
            ",配偶,李芳,220182197703012461\n"         # 4: continues 1 (its ID is wrong: household 1 refused)
            ",儿子,王小,220122200001011232\n"         # 5: continues 1 as well
            ",户主,赵强,220122198001011236\n"         # 6: a head without a number
            ",配偶,钱芳,220182198203092247\n"         # 7: below a refused row
            "2,户主,孙林,220122196805060013\n"        # 8
            "1,女儿,王丽,220122200203040024\n")       # 9: number 1 again after household 2
    parsed = roster.parse(text.encode(), "a.csv", village_code=V)
    assert [(e.row, e.field, e.code) for e in parsed.errors] == [
        (2, "户编号", "ROSTER_NO_HOUSEHOLD"), (6, "户编号", "ROSTER_HEAD_WITHOUT_NUMBER"),
        (7, "户编号", "ROSTER_NO_HOUSEHOLD")]
    assert parsed.unassigned_rows == [2, 6, 7]
    one, two = parsed.households
    assert one.rows == [3, 4, 5, 9] and two.rows == [8] and two.errors == []
    assert [(e.row, e.code) for e in one.errors] == [(9, "ROSTER_HOUSEHOLD_NOT_CONTIGUOUS")]
    _every_row_accounted_for(parsed)


def test_without_a_household_number_column_member_rows_follow_their_head():
    text = ("与户主关系,姓名,身份证号\n"
            "配偶,甲,22018219770301246X\n"
            "户主,王春,22012219750820123X\n"
            "配偶,李芳,220182197703012461\n")
    parsed = roster.parse(text.encode(), "a.csv", village_code=V)
    assert [(e.row, e.code) for e in parsed.errors] == [(2, "ROSTER_NO_HEAD")]
    assert [hh.rows for hh in parsed.households] == [[3, 4]]
    _every_row_accounted_for(parsed)


# ------------------------------------------------------------------------------------------ ID numbers typed as numbers

#: 220183197012116983 typed into a numeric Excel cell keeps 15 significant digits and the rest become
#: zeros (Microsoft Support, "Last digits are changed to zeros when you type long numbers in cells of
#: Excel"): 220183197012116000, whose check digit happens to be right (MOD 11-2 of 22018319701211600 is 0).
REAL, MANGLED = "220183197012116983", "220183197012116000"
OTHER_REAL = "220122197508201230"
OTHER_MANGLED = OTHER_REAL[:15] + "000"  # check digit wrong: proof that the column went through a number


def test_the_issues_example_is_a_mangled_id_with_a_passing_check_digit():
    from chalicelib.platform.identity import resident_id_check_char

    assert REAL[:15] + "000" == MANGLED
    assert resident_id_check_char(MANGLED[:17]) == MANGLED[17]
    assert resident_id_check_char(OTHER_MANGLED[:17]) != OTHER_MANGLED[17]


def test_ids_in_numeric_xlsx_cells_are_refused_and_exact_phone_numbers_accepted():
    from tests.roster_files import PHONE, RID, table, xlsx_bytes

    hhs = synth_households(4, seed=77)
    tab = table(hhs)
    heads = [i for i, r in enumerate(tab[1:], start=2) if r[1] == "户主"]
    numeric = {(heads[0], RID): int(tab[heads[0] - 1][RID][:15] + "000"),  # as Excel stores it
               (heads[1], RID): float(tab[heads[1] - 1][RID]),
               (heads[3], PHONE): int(tab[heads[3] - 1][PHONE])}
    # the damaged number pasted back as text (the column formatted as text afterwards): its check digit
    # passes, but the column shows it went through a number
    tab[heads[2] - 1][RID], tab[heads[2] - 1][COLUMNS.index("性别")] = MANGLED, "女"
    parsed = roster.parse(xlsx_bytes(tab, numeric=numeric), "n.xlsx", village_code=V)
    got = [[(e.row, e.field, e.code) for e in hh.errors] for hh in parsed.households]
    assert got == [[(heads[0], "身份证号", "ID_STORED_AS_NUMBER")], [(heads[1], "身份证号", "ID_STORED_AS_NUMBER")],
                   [(heads[2], "身份证号", "ID_STORED_AS_NUMBER")], []]
    assert all("文本" in e.message for hh in parsed.households for e in hh.errors)
    assert parsed.households[3].payload["members"][0]["phone"] == tab[heads[3] - 1][PHONE]


def _id_rows(*ids: str) -> bytes:
    lines = ["户编号,与户主关系,姓名,身份证号"] + [f"{k},户主,户主{k},{i}" for k, i in enumerate(ids, 1)]
    return "\n".join(lines).encode("utf-8-sig")


@pytest.mark.parametrize("ids,refused", [
    ((REAL, "2.20183E+17"), [3]),                      # Excel's CSV of a General-format number
    ((REAL, "220183197012116983.0"), [3]),             # an integer that went through a float
    ((MANGLED, OTHER_MANGLED), [2, 3]),                # the column went through a number: both refused,
    ((MANGLED, OTHER_REAL, "2.20122E+17"), [2, 4]),    # including the one whose check digit passes
])
def test_ids_that_went_through_a_number_in_a_csv_are_refused(ids, refused):
    parsed = roster.parse(_id_rows(*ids), "c.csv", village_code=V)
    got = [(e.row, e.code) for hh in parsed.households for e in hh.errors]
    assert got == [(r, "ID_STORED_AS_NUMBER") for r in refused]


def test_a_lone_id_ending_in_000_with_a_right_check_digit_is_accepted():
    """A genuine ID may end in 000 (about 1 in 1,100): without other evidence it is not refused."""
    ok, lines = report(_id_rows(MANGLED, OTHER_REAL))
    assert lines == [] and len(ok) == 2


# ------------------------------------------------------------------------------------------ money and names

def _money_file(deposits: str, crops: str = "") -> bytes:
    return ("户编号,与户主关系,姓名,身份证号,存款(元),种植业纯收入(元),房屋价值(万元)\n"
            f"1,户主,王春,22012219750820123X,{deposits},{crops},\n").encode()


@pytest.mark.parametrize("cell,code", [
    ("0.001", "AMOUNT_PRECISION"), ("1000.005", "AMOUNT_PRECISION"), ("1.0000001万", "AMOUNT_PRECISION"),
    ("1e5", "AMOUNT_FORMAT"), ("1.2E+05", "AMOUNT_FORMAT"), ("-3", "AMOUNT_NEGATIVE"),
    ("NaN", "NUMBER_FORMAT"), ("Infinity", "NUMBER_FORMAT"), ("1_000", "NUMBER_FORMAT"), ("十二万", "NUMBER_FORMAT"),
    ("1" * 16, "AMOUNT_FORMAT"),  # too large for any amount, as the API says
])
def test_money_cells_are_refused_never_rounded(cell, code):
    parsed = roster.parse(_money_file(cell), "m.csv", village_code=V)
    [hh] = parsed.households
    assert [(e.row, e.field, e.code) for e in hh.errors] == [(2, "存款(元)", code)]


@pytest.mark.parametrize("cell,value", [
    ('"1,234.50"', "1234.50"), ("1.23456万", "12345.60"), ("0.0001万", "1.00"), ("0.100", "0.10"), ("12000元", "12000.00"),
])
def test_money_cells_that_are_exact_in_fen_are_read_exactly(cell, value):
    [hh] = roster.parse(_money_file(cell, crops="-1200.5"), "m.csv", village_code=V).households
    assert hh.errors == []
    assert hh.payload["assets"]["deposits"] == Decimal(value)
    assert hh.payload["income"]["crops"] == Decimal("-1200.50")  # a net income may be negative


def test_xlsx_money_is_taken_at_excels_15_digits():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["户编号", "与户主关系", "姓名", "身份证号", "存款(元)"])
    ws.append(["1", "户主", "王春", "22012219750820123X", 0.1 + 0.2 + 1234.26])  # 1234.5600000000002 in binary
    ws.append(["2", "户主", "赵强", "220122198001011236", 0.001])
    buf = io.BytesIO()
    wb.save(buf)
    one, two = roster.parse(buf.getvalue(), "f.xlsx", village_code=V).households
    assert one.errors == [] and one.payload["assets"]["deposits"] == Decimal("1234.56")
    assert [e.code for e in two.errors] == ["AMOUNT_PRECISION"]


@pytest.mark.parametrize("name,code_point", [
    ("王\x00春", "U+0000"), ("王春\u202e", "U+202E"), ("王\u200b春", "U+200B"), ("王\ufeff春", "U+FEFF"),
    ("王\u2066春", "U+2066"), ("王\x07春", "U+0007"), ("王\u3164春", "U+3164"), ("王\ufe0f春", "U+FE0F"),
])
def test_names_with_control_or_invisible_characters_are_refused_per_row(name, code_point):
    text = f"户编号,与户主关系,姓名,身份证号\n1,户主,王春,22012219750820123X\n,配偶,{name},22018219770301246X\n"
    ok, lines = report(text.encode("utf-8"))
    assert ok == [] and lines == [(3, "姓名", "TEXT_INVISIBLE_CHARACTER")]
    parsed = roster.parse(text.encode("utf-8"), "n.csv", village_code=V)
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as exc:
        HouseholdIn.model_validate(parsed.households[0].payload)
    # the roster reads cells NFKC-normalised (full-width digits → ASCII): U+3164 arrives as U+1160
    shown = f"U+{ord(unicodedata.normalize('NFKC', chr(int(code_point[2:], 16)))):04X}"
    assert shown in roster.pydantic_errors(parsed.households[0], exc.value)[0].message
