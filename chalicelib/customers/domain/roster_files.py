"""Reading a roster file (花名册): CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it in China) or XLSX
(the first worksheet, merged cells spread over their rows) → non-empty rows of cells. Pure domain code: it reads
the bytes it is given (in-memory buffers), no file system."""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from chalicelib.customers.domain.roster_columns import RosterFormatError, norm_text
from chalicelib.platform import csv_safe

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024


def read_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it in China)
    or XLSX file as ``(row number, cells)``. Raises :class:`RosterFormatError`."""
    if len(data) > MAX_BYTES:
        raise RosterFormatError("ROSTER_TOO_LARGE", f"文件超过 {MAX_BYTES // 1024 // 1024} MB (file too large)")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        rows = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        rows = _read_csv(data)
    else:
        raise RosterFormatError("ROSTER_FORMAT", "只支持 CSV 或 XLSX 文件 (only CSV and XLSX are supported)")
    out = [(n, cells) for n, cells in rows if any(norm_text(c) for c in cells)]
    if len(out) > MAX_ROWS:
        raise RosterFormatError("ROSTER_TOO_LARGE", f"超过 {MAX_ROWS} 行 (more than {MAX_ROWS} rows)")
    return out


def _read_csv(data: bytes) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFormatError("ROSTER_FORMAT", "无法识别文件编码 (not UTF-8 or GB18030 text)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # a cell this product wrote as '=… (chalicelib.platform.csv_safe) reads back as =…
        return [(reader.line_num, [csv_safe.unescape(c) for c in row]) for row in reader]
    except csv.Error:
        raise RosterFormatError("ROSTER_FORMAT", "CSV 格式错误 (malformed CSV)") from None


def _read_xlsx(data: bytes) -> list[tuple[int, list[Any]]]:
    """The first worksheet's rows (values, formulas' cached results), read in streaming mode; a range of
    merged cells spanning several rows gives its value to every row of the range (in the range's first
    column): that is what a person reading the sheet sees, and the usual 花名册 merges ``户编号``
    (and household-level columns) down a household's rows."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken file
        raise RosterFormatError("ROSTER_FORMAT", "无法读取 XLSX 文件 (unreadable XLSX file)") from None
    try:
        ws = wb.worksheets[0]
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    for min_col, min_row, _max_col, max_row in _merged_ranges(data):
        if max_row <= min_row or min_row > len(rows):
            continue
        anchor = rows[min_row - 1]
        value = anchor[min_col - 1] if min_col - 1 < len(anchor) else None
        for r in range(min_row + 1, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < min_col:
                row.extend([None] * (min_col - len(row)))
            if row[min_col - 1] is None:
                row[min_col - 1] = value
    return list(enumerate(rows, start=1))


_MERGE_CELL = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref\s*=\s*["']([A-Za-z0-9:$]+)["']""")


def _merged_ranges(data: bytes) -> list[tuple[int, int, int, int]]:
    """``(min_col, min_row, max_col, max_row)`` of every ``<mergeCell>`` of the workbook's first sheet.

    openpyxl's streaming reader does not expose merged cells (``ws.merged_cells`` exists only when the
    whole workbook is loaded into memory, several hundred MB for a 20,000-row roster), so the sheet part
    is located as ECMA-376 Part 1 defines it (workbook.xml's first ``<sheet>`` → its relationship target)
    and its ``<mergeCells>`` element, which follows ``<sheetData>`` (§18.3.1.99 ``worksheet``), is read
    from the text after the last ``sheetData>``: cell text cannot contain a raw ``<``, so only real tags
    match, and the 20,000-row sheet data is not parsed a second time. A part that cannot be followed
    yields no merges; the rows then read as if the merged cells were blank, which the layout rules
    already handle (a blank ``户编号`` on a member row continues the household above)."""
    import posixpath
    import zipfile

    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import fromstring

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheet = next(fromstring(z.read("xl/workbook.xml")).iter(f"{main}sheet"))
            rid = sheet.get(f"{rel_ns}id")
            rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next(r.get("Target") for r in rels if r.get("Id") == rid)
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            xml = z.read(path)
        tail = xml[xml.rfind(b"sheetData>") + 1:]
        return [range_boundaries(m.group(1).decode("ascii").replace("$", "")) for m in _MERGE_CELL.finditer(tail)]
    except Exception:  # noqa: BLE001 - any unreadable part means: no merges (see above)
        return []
