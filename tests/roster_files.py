"""Real roster files for tests, laid out the way village rosters (花名册) are kept in practice: 户编号
written once per household (merged down its rows in Excel, or left blank on the members' rows of a
CSV), ID numbers typed into numeric cells, hostile names. Built with openpyxl and the csv module, so
the parser reads exactly what a spreadsheet program would have saved."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from infra.roster_synth import COLUMNS, SynthHousehold, rows

NUMBER = COLUMNS.index("户编号")
RELATION = COLUMNS.index("与户主关系")
NAME = COLUMNS.index("姓名")
RID = COLUMNS.index("身份证号")
PHONE = COLUMNS.index("联系电话")
ADDRESS = COLUMNS.index("住址")


def table(households: list[SynthHousehold]) -> list[list[Any]]:
    """Header + one row per person, 户编号 on every row (the synthetic roster's own layout)."""
    return [list(r) for r in rows(households)]


def spans(tab: list[list[Any]]) -> list[tuple[int, int]]:
    """Spreadsheet row ranges (first, last) of each household of a fully numbered table (header = row 1)."""
    out: list[tuple[int, int]] = []
    for i, r in enumerate(tab[1:], start=2):
        if out and tab[out[-1][0] - 1][NUMBER] == r[NUMBER]:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def blank_member_numbers(tab: list[list[Any]]) -> list[list[Any]]:
    """The table with 户编号 left blank on every member row (only the head's row keeps it)."""
    out = [list(tab[0])]
    for r in tab[1:]:
        r = list(r)
        if r[RELATION] != "户主":
            r[NUMBER] = ""
        out.append(r)
    return out


def csv_bytes(tab: Sequence[Sequence[Any]], *, encoding: str = "utf-8-sig") -> bytes:
    """A CSV as Excel saves it: UTF-8 with BOM ("CSV UTF-8") or GB18030 ("CSV" on Chinese Windows)."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(
        [["" if v is None else str(v) for v in r] for r in tab])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(tab: Sequence[Sequence[Any]], *, merge: Sequence[tuple[int, int]] = (), merge_columns: Sequence[int] = (),
               numeric: dict[tuple[int, int], Any] | None = None, text_columns: Sequence[int] = (RID, PHONE)) -> bytes:
    """An XLSX of ``tab``: the cells of ``merge_columns`` merged over each row range of ``merge`` (the
    value stays in the range's first row, as Excel keeps it), ``numeric`` cells (row, column index) →
    a number stored as a numeric cell, ``text_columns`` formatted as text (``@``)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for r in tab:
        ws.append([str(v) if isinstance(v, Decimal) else v for v in r])
    for (row, col), value in (numeric or {}).items():
        ws.cell(row=row, column=col + 1, value=value)
    for col in text_columns:
        for cell in ws[get_column_letter(col + 1)][1:]:
            if (cell.row, col) not in (numeric or {}):
                cell.number_format = "@"
    for first, last in merge:
        if last > first:
            for col in merge_columns:
                ws.merge_cells(start_row=first, start_column=col + 1, end_row=last, end_column=col + 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
